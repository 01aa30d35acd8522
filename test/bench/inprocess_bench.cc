// SPDX-License-Identifier: GPL-2.0-or-later
// The in-process limit: the same handshakes handshaked does for the kernel, with the same TLS
// engine and credentials, but both ends in this process over loopback TCP and no upcall.
// One thread per --threads; each runs client+server pairs back to back.
//   inprocess-bench --mode ecdsa-p256|rsa-2048|psk --seconds S --threads N --certs DIR
//                   [--groups NAME,...]   (key exchange groups; default: the engine's default)
// Prints one JSON object: {"mode":..., "threads":N, "seconds":S, "handshakes":N,
// "hs_per_s":X, "failures":N, "library":..., "cpu_paths":...} where a pair counts as two
// handshakes (client and server); library and cpu_paths say which wolfSSL and which of its
// assembly paths ran.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/unique_fd.h"
#include "service/tls/wolfssl/wolfssl_engine.h"

using namespace handshaked;

namespace {

struct Options {
    std::string mode = "ecdsa-p256";
    double seconds = 5;
    unsigned threads = 1;
    std::string certs = "/run/add/certs";
    std::vector<tls::KeyExchangeGroup> groups = tls::default_key_exchange_groups();
};

UniqueFd listener_socket(sockaddr_in& address) {
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(fd.get(), 64) != 0 ||
        getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        std::perror("listener");
        std::exit(1);
    }
    return fd;
}

bool connected_pair(int listener, const sockaddr_in& address, UniqueFd& client, UniqueFd& server) {
    client.reset(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (connect(client.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        return false;
    server.reset(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
    int one = 1;
    setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(server.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return server.valid();
}

tls::EngineConfig engine_config(const Options& options) {
    tls::EngineConfig config;
    const bool rsa = options.mode == "rsa-2048";
    config.client.truststore = options.certs + (rsa ? "/ca-rsa.pem" : "/ca-ec.pem");
    config.server.truststore = config.client.truststore;
    config.server.certificate = options.certs + (rsa ? "/server-rsa.pem" : "/server-ec.pem");
    config.server.private_key = options.certs + (rsa ? "/server-rsa.key" : "/server-ec.key");
    config.groups = options.groups;
    return config;
}

struct Totals {
    std::atomic<std::uint64_t> handshakes{0};
    std::atomic<std::uint64_t> failures{0};
};

void run_pairs(tls::TlsEngine& engine, const Options& options,
               std::chrono::steady_clock::time_point end, Totals& totals) {
    sockaddr_in address{};
    UniqueFd listener = listener_socket(address);
    SecureBytes psk(32);
    for (std::size_t i = 0; i < psk.size(); ++i) psk[i] = static_cast<std::uint8_t>(i * 7 + 1);
    const std::string identity =
        "NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:bench-host nqn.2014-08.org.example:bench";
    while (std::chrono::steady_clock::now() < end) {
        UniqueFd client_fd, server_fd;
        if (!connected_pair(listener.get(), address, client_fd, server_fd)) {
            ++totals.failures;
            continue;
        }
        tls::SessionParams client, server;
        client.role = Role::kClient;
        server.role = Role::kServer;
        if (options.mode == "psk") {
            client.auth = server.auth = AuthMode::kPsk;
            client.client_psks.push_back(tls::PskKey{identity, psk, 1});
            server.server_psk_lookup = [&](std::string_view wanted) -> std::optional<tls::PskKey> {
                if (wanted != identity) return std::nullopt;
                return tls::PskKey{identity, psk, 1};
            };
        } else {
            client.auth = AuthMode::kUnauthenticated;
            server.auth = AuthMode::kX509;
            client.peername = "127.0.0.1";
        }
        auto c = engine.start_session(client_fd.get(), std::move(client));
        auto s = engine.start_session(server_fd.get(), std::move(server));
        if (!c || !s) {
            std::fprintf(stderr, "start: %s\n", (!c ? c.error() : s.error()).message.c_str());
            std::exit(1);
        }
        tls::Progress cp = tls::Progress::kWantWrite, sp = tls::Progress::kWantRead;
        auto finished = [](tls::Progress p) {
            return p == tls::Progress::kDone || p == tls::Progress::kFailed;
        };
        for (int steps = 0; !(finished(cp) && finished(sp)) && steps < 100000; ++steps) {
            if (!finished(cp)) cp = (*c)->advance();
            if (!finished(sp)) sp = (*s)->advance();
        }
        if (cp == tls::Progress::kDone && sp == tls::Progress::kDone) {
            auto ck = (*c)->export_keys();
            auto sk = (*s)->export_keys();
            if (ck && sk) {
                totals.handshakes += 2;
                continue;
            }
        }
        ++totals.failures;
        if (totals.failures == 1 && cp == tls::Progress::kFailed)
            std::fprintf(stderr, "client failed: %s\n", (*c)->error().message.c_str());
        if (totals.failures == 1 && sp == tls::Progress::kFailed)
            std::fprintf(stderr, "server failed: %s\n", (*s)->error().message.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string key = argv[i], value = argv[i + 1];
        if (key == "--mode")
            options.mode = value;
        else if (key == "--seconds")
            options.seconds = std::stod(value);
        else if (key == "--threads")
            options.threads = static_cast<unsigned>(std::stoul(value));
        else if (key == "--certs")
            options.certs = value;
        else if (key == "--groups") {
            options.groups.clear();
            for (std::size_t start = 0; start <= value.size();) {
                const std::size_t end = std::min(value.find(',', start), value.size());
                const auto group = tls::group_by_name(value.substr(start, end - start));
                if (!group) {
                    std::fprintf(stderr, "inprocess-bench: unknown group in '%s'\n", value.c_str());
                    return 2;
                }
                options.groups.push_back(*group);
                start = end + 1;
            }
        } else {
            std::fprintf(stderr,
                         "usage: inprocess-bench --mode ecdsa-p256|rsa-2048|psk --seconds S "
                         "--threads N --certs DIR [--groups NAME,...]\n");
            return 2;
        }
    }
    if (options.mode != "ecdsa-p256" && options.mode != "rsa-2048" && options.mode != "psk") {
        std::fprintf(stderr, "inprocess-bench: unknown mode %s\n", options.mode.c_str());
        return 2;
    }
    auto engine = tls::make_wolfssl_engine(engine_config(options));
    if (!engine) {
        std::fprintf(stderr, "inprocess-bench: %s\n", engine.error().message.c_str());
        return 1;
    }
    Totals totals;
    // Warm-up: what a long-lived worker has warm too (caches, page faults of the first run).
    {
        Totals warm;
        run_pairs(**engine, options,
                  std::chrono::steady_clock::now() + std::chrono::milliseconds(300), warm);
    }
    const auto start = std::chrono::steady_clock::now();
    const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(options.seconds));
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < options.threads; ++t)
        threads.emplace_back([&] { run_pairs(**engine, options, end, totals); });
    for (auto& thread : threads) thread.join();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf(
        "{\"mode\":\"%s\",\"threads\":%u,\"seconds\":%.3f,\"handshakes\":%llu,\"hs_per_s\":%.1f,"
        "\"failures\":%llu,"
        "\"library\":\"%s\",\"cpu_paths\":\"%s\",\"groups\":\"%s\"}\n",
        options.mode.c_str(), options.threads, elapsed,
        static_cast<unsigned long long>(totals.handshakes.load()),
        static_cast<double>(totals.handshakes.load()) / elapsed,
        static_cast<unsigned long long>(totals.failures.load()), tls::wolfssl_version().c_str(),
        tls::wolfssl_cpu_paths().c_str(), tls::group_list(options.groups).c_str());
    return totals.failures.load() == 0 ? 0 : 1;
}
