// SPDX-License-Identifier: GPL-2.0-or-later
#include "test/engine/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <gtest/gtest.h>

namespace handshaked::test {
namespace {

using Clock = std::chrono::steady_clock;

void set_nonblocking(int fd) {
    const int flags = fcntl(fd, F_GETFL);
    ASSERT_GE(flags, 0);
    ASSERT_EQ(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

int remaining_ms(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

std::array<std::uint8_t, 12> record_nonce(const tls::TrafficKeys& keys, std::uint64_t sequence) {
    std::array<std::uint8_t, 12> nonce{};
    std::memcpy(nonce.data(), keys.iv.data(), 12);
    for (int i = 0; i < 8; ++i) {
        nonce[11 - i] ^= static_cast<std::uint8_t>(sequence >> (8 * i));
    }
    return nonce;
}

// Seals or opens in place: true on success.
bool aead(bool seal, tls::Cipher cipher, const tls::TrafficKeys& keys, std::uint64_t sequence,
          const std::uint8_t* aad, const std::uint8_t* in, std::size_t size, std::uint8_t* out,
          std::uint8_t* tag) {
    const auto nonce = record_nonce(keys, sequence);
    if (cipher == tls::Cipher::kChacha20Poly1305) {
        if (seal) {
            return wc_ChaCha20Poly1305_Encrypt(keys.key.data(), nonce.data(), aad, 5, in,
                                               static_cast<word32>(size), out, tag) == 0;
        }
        return wc_ChaCha20Poly1305_Decrypt(keys.key.data(), nonce.data(), aad, 5, in,
                                           static_cast<word32>(size), tag, out) == 0;
    }
    Aes aes;
    if (wc_AesInit(&aes, nullptr, INVALID_DEVID) != 0) return false;
    int ret;
    if (cipher == tls::Cipher::kAes128Ccm) {
        ret = wc_AesCcmSetKey(&aes, keys.key.data(), static_cast<word32>(keys.key.size()));
        if (ret == 0) {
            ret = seal ? wc_AesCcmEncrypt(&aes, out, in, static_cast<word32>(size), nonce.data(),
                                          12, tag, 16, aad, 5)
                       : wc_AesCcmDecrypt(&aes, out, in, static_cast<word32>(size), nonce.data(),
                                          12, tag, 16, aad, 5);
        }
    } else {
        ret = wc_AesGcmSetKey(&aes, keys.key.data(), static_cast<word32>(keys.key.size()));
        if (ret == 0) {
            ret = seal ? wc_AesGcmEncrypt(&aes, out, in, static_cast<word32>(size), nonce.data(),
                                          12, tag, 16, aad, 5)
                       : wc_AesGcmDecrypt(&aes, out, in, static_cast<word32>(size), nonce.data(),
                                          12, tag, 16, aad, 5);
        }
    }
    wc_AesFree(&aes);
    return ret == 0;
}

}  // namespace

std::string cert_path(std::string_view name) {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    if (!srcdir) throw std::runtime_error("TEST_SRCDIR is not set (run under bazel test)");
    return std::string(srcdir) + "/handshaked/test/certs/" + std::string(name);
}

std::vector<std::uint8_t> read_test_file(std::string_view name) {
    std::ifstream in(cert_path(name), std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + cert_path(name));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

tls::DerCredentials der_credentials(std::string_view cert_der_name, std::string_view key_der_name) {
    tls::DerCredentials credentials;
    credentials.certificate = read_test_file(cert_der_name);
    const auto key = read_test_file(key_der_name);
    credentials.private_key = SecureBytes(key.data(), key.size());
    return credentials;
}

TcpPair::TcpPair() {
    const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(listener, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listener, 1), 0);
    EXPECT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size), 0);
    client_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_EQ(connect(client_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    server_ = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    EXPECT_GE(server_, 0);
    close(listener);
    set_nonblocking(client_);
    set_nonblocking(server_);
}

TcpPair::~TcpPair() {
    if (client_ >= 0) close(client_);
    if (server_ >= 0) close(server_);
}

void TcpPair::shutdown_client() { shutdown(client_, SHUT_RDWR); }
void TcpPair::shutdown_server() { shutdown(server_, SHUT_RDWR); }

void TcpPair::reset_client() {
    linger option{1, 0};
    setsockopt(client_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
    close(client_);
    client_ = -1;
}

std::vector<tls::Progress> drive(std::vector<Party> parties, int timeout_ms) {
    std::vector<tls::Progress> progress(parties.size(), tls::Progress::kWantWrite);
    std::vector<bool> finished(parties.size(), false);
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        bool all_finished = true;
        for (std::size_t i = 0; i < parties.size(); ++i) {
            if (finished[i]) continue;
            progress[i] = parties[i].advance();
            if (progress[i] == tls::Progress::kDone || progress[i] == tls::Progress::kFailed) {
                finished[i] = true;
                if (progress[i] == tls::Progress::kFailed && parties[i].shutdown_on_failure) {
                    shutdown(parties[i].fd, SHUT_RDWR);
                }
            } else {
                all_finished = false;
            }
        }
        if (all_finished) return progress;
        const int left = remaining_ms(deadline);
        if (left == 0) {
            ADD_FAILURE() << "handshake did not finish within " << timeout_ms << " ms";
            return progress;
        }
        std::vector<pollfd> fds;
        for (std::size_t i = 0; i < parties.size(); ++i) {
            if (finished[i]) continue;
            const short events = progress[i] == tls::Progress::kWantRead ? POLLIN : POLLOUT;
            fds.push_back(pollfd{parties[i].fd, events, 0});
        }
        // Short timeout: a party may make progress without its own fd changing.
        poll(fds.data(), fds.size(), std::min(left, 50));
    }
}

Party party(tls::TlsSession& session, int fd) {
    return Party{[&session] { return session.advance(); }, fd, true};
}

tls::EngineConfig test_config() {
    tls::EngineConfig config;
    config.client.truststore = cert_path("ca-bundle.pem");
    config.server.truststore = cert_path("ca-bundle.pem");
    config.system_truststore = "/nonexistent/never-used";
    return config;
}

std::unique_ptr<tls::TlsEngine> make_engine(const tls::EngineConfig& config,
                                            std::vector<std::string>* log) {
    tls::EngineLog sink;
    if (log) sink = [log](std::string_view message) { log->emplace_back(message); };
    auto engine = tls::make_wolfssl_engine(config, sink);
    if (!engine) {
        ADD_FAILURE() << "make_wolfssl_engine: " << engine.error().message;
        return nullptr;
    }
    return std::move(engine).value();
}

Handshake run_handshake(tls::TlsEngine& client_engine, tls::SessionParams client_params,
                        tls::TlsEngine& server_engine, tls::SessionParams server_params,
                        TcpPair& pair,
                        const std::function<void(tls::TlsSession&, tls::TlsSession&)>& before) {
    Handshake result;
    client_params.role = Role::kClient;
    server_params.role = Role::kServer;
    auto client = client_engine.start_session(pair.client(), std::move(client_params));
    auto server = server_engine.start_session(pair.server(), std::move(server_params));
    if (!client) {
        ADD_FAILURE() << "client start_session: " << client.error().message;
        return result;
    }
    if (!server) {
        ADD_FAILURE() << "server start_session: " << server.error().message;
        return result;
    }
    result.client = std::move(client).value();
    result.server = std::move(server).value();
    if (before) before(*result.client, *result.server);
    const auto progress =
        drive({party(*result.client, pair.client()), party(*result.server, pair.server())});
    result.client_progress = progress[0];
    result.server_progress = progress[1];
    return result;
}

void offer_only_psk_ke(tls::TlsSession& session) {
    WOLFSSL* ssl = tls::wolfssl_handle_for_testing(session);
    ASSERT_NE(ssl, nullptr);
    ASSERT_EQ(wolfSSL_no_dhe_psk(ssl), 0);
}

void restrict_ciphers(tls::TlsSession& session, const char* wolfssl_list) {
    WOLFSSL* ssl = tls::wolfssl_handle_for_testing(session);
    ASSERT_NE(ssl, nullptr);
    ASSERT_EQ(wolfSSL_set_cipher_list(ssl, wolfssl_list), WOLFSSL_SUCCESS) << wolfssl_list;
}

std::vector<std::uint8_t> seal_record(tls::Cipher cipher, const tls::TrafficKeys& keys,
                                      std::uint64_t sequence, std::string_view data) {
    std::vector<std::uint8_t> inner(data.begin(), data.end());
    inner.push_back(0x17);  // the real content type: application_data
    const std::size_t length = inner.size() + 16;
    std::vector<std::uint8_t> record = {0x17, 0x03, 0x03, static_cast<std::uint8_t>(length >> 8),
                                        static_cast<std::uint8_t>(length & 0xff)};
    record.resize(5 + length);
    const bool ok = aead(true, cipher, keys, sequence, record.data(), inner.data(), inner.size(),
                         record.data() + 5, record.data() + 5 + inner.size());
    EXPECT_TRUE(ok) << "sealing failed";
    return record;
}

std::optional<std::string> open_record(tls::Cipher cipher, const tls::TrafficKeys& keys,
                                       std::uint64_t sequence,
                                       const std::vector<std::uint8_t>& record) {
    if (record.size() < 5 + 17 || record[0] != 0x17) return std::nullopt;
    const std::size_t size = record.size() - 5 - 16;
    std::vector<std::uint8_t> plain(size);
    if (!aead(false, cipher, keys, sequence, record.data(), record.data() + 5, size, plain.data(),
              const_cast<std::uint8_t*>(record.data() + 5 + size))) {
        return std::nullopt;
    }
    while (!plain.empty() && plain.back() == 0) plain.pop_back();  // padding
    if (plain.empty() || plain.back() != 0x17) return std::nullopt;
    plain.pop_back();
    return std::string(plain.begin(), plain.end());
}

bool send_all(int fd, const std::vector<std::uint8_t>& bytes) {
    std::size_t done = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (done < bytes.size()) {
        const ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR) && remaining_ms(deadline) > 0) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, 50);
            continue;
        }
        return false;
    }
    return true;
}

std::optional<std::vector<std::uint8_t>> receive_record(int fd, int timeout_ms) {
    std::vector<std::uint8_t> record;
    std::size_t want = 5;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (record.size() < want) {
        std::uint8_t buffer[4096];
        const ssize_t n = recv(fd, buffer, std::min(sizeof buffer, want - record.size()), 0);
        if (n > 0) {
            record.insert(record.end(), buffer, buffer + n);
            if (record.size() == 5) want = 5 + ((record[3] << 8) | record[4]);
            continue;
        }
        if (n == 0) return std::nullopt;
        if ((errno == EAGAIN || errno == EINTR) && remaining_ms(deadline) > 0) {
            pollfd p{fd, POLLIN, 0};
            poll(&p, 1, 50);
            continue;
        }
        return std::nullopt;
    }
    return record;
}

ReadResult wolfssl_read(tls::TlsSession& session, int fd, int timeout_ms) {
    WOLFSSL* ssl = tls::wolfssl_handle_for_testing(session);
    ReadResult result;
    if (!ssl) {
        result.error = -1;
        return result;
    }
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    char buffer[4096];
    for (;;) {
        const int n = wolfSSL_read(ssl, buffer, sizeof buffer);
        if (n > 0) {
            result.bytes = n;
            result.data.assign(buffer, static_cast<std::size_t>(n));
            return result;
        }
        const int error = wolfSSL_get_error(ssl, n);
        if (error == WOLFSSL_ERROR_WANT_READ && remaining_ms(deadline) > 0) {
            pollfd p{fd, POLLIN, 0};
            poll(&p, 1, 50);
            continue;
        }
        result.bytes = n;
        result.error = error;
        return result;
    }
}

bool wolfssl_write(tls::TlsSession& session, int fd, std::string_view data) {
    WOLFSSL* ssl = tls::wolfssl_handle_for_testing(session);
    if (!ssl) return false;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    for (;;) {
        const int n = wolfSSL_write(ssl, data.data(), static_cast<int>(data.size()));
        if (n == static_cast<int>(data.size())) return true;
        const int error = wolfSSL_get_error(ssl, n);
        if (error == WOLFSSL_ERROR_WANT_WRITE && remaining_ms(deadline) > 0) {
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, 50);
            continue;
        }
        return false;
    }
}

tls::SessionParams client_params(AuthMode auth, std::optional<std::string> peername) {
    tls::SessionParams params;
    params.role = Role::kClient;
    params.auth = auth;
    params.peername = std::move(peername);
    return params;
}

tls::SessionParams server_params(AuthMode auth) {
    tls::SessionParams params;
    params.role = Role::kServer;
    params.auth = auth;
    return params;
}

tls::EngineConfig server_with(std::string_view cert, std::string_view key) {
    auto config = test_config();
    config.server.certificate = cert_path(cert);
    config.server.private_key = cert_path(key);
    return config;
}

tls::PskKey make_psk(std::string identity, std::size_t key_size, KeySerial serial,
                     std::uint8_t fill) {
    tls::PskKey psk;
    psk.identity = std::move(identity);
    psk.key = SecureBytes(key_size);
    for (std::size_t i = 0; i < key_size; ++i) psk.key[i] = static_cast<std::uint8_t>(fill + i);
    psk.serial = serial;
    return psk;
}

}  // namespace handshaked::test
