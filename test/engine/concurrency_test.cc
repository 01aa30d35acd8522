// SPDX-License-Identifier: GPL-2.0-or-later
// What the worker pool shares between its threads, exercised from several threads at once (run
// under TSan by ./check): one TLS engine (its wolfSSL contexts and parsed credentials) used by
// every worker, and the Registry that workers write and D-Bus reads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "service/registry/registry.h"
#include "test/engine/harness.h"

namespace handshaked::test {
namespace {

using tls::Progress;

constexpr int kThreads = 4;
constexpr int kHandshakesPerThread = 8;

tls::SessionParams params(Role role, handshaked::AuthMode auth) {
    tls::SessionParams p;
    p.role = role;
    p.auth = auth;
    if (role == Role::kClient) p.peername = "localhost";
    return p;
}

TEST(Concurrency, OneEngineServesManyThreads) {
    auto config = test_config();
    config.server.certificate = cert_path("server-ec.pem");
    config.server.private_key = cert_path("server-ec.key");
    auto engine = make_engine(config);  // both ends share it, as workers share the snapshot's
    ASSERT_TRUE(engine);
    SecureBytes psk(32);
    for (std::size_t i = 0; i < psk.size(); ++i) psk[i] = static_cast<std::uint8_t>(i + 3);
    const std::string identity = "NVMe0R01 nqn.test:host nqn.test:subsystem";

    std::atomic<int> succeeded{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kHandshakesPerThread; ++i) {
                TcpPair pair;
                const bool use_psk = (i + t) % 2 == 0;
                auto client =
                    params(Role::kClient, use_psk ? handshaked::AuthMode::kPsk
                                                  : handshaked::AuthMode::kUnauthenticated);
                auto server = params(Role::kServer, use_psk ? handshaked::AuthMode::kPsk
                                                            : handshaked::AuthMode::kX509);
                if (use_psk) {
                    client.client_psks.push_back(tls::PskKey{identity, psk, 7});
                    server.server_psk_lookup =
                        [&](std::string_view id) -> std::optional<tls::PskKey> {
                        if (id != identity) return std::nullopt;
                        return tls::PskKey{identity, psk, 7};
                    };
                }
                auto hs =
                    run_handshake(*engine, std::move(client), *engine, std::move(server), pair);
                if (hs.client_progress == Progress::kDone &&
                    hs.server_progress == Progress::kDone && hs.client->export_keys().ok() &&
                    hs.server->export_keys().ok()) {
                    ++succeeded;
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(succeeded.load(), kThreads * kHandshakesPerThread);
}

TEST(Concurrency, RegistryUnderConcurrentWritersAndReaders) {
    registry::Registry registry;
    std::atomic<int> signalled{0};
    registry.set_completion_listener([&](const registry::CompletedHandshake&) { ++signalled; });
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        while (!stop) {
            auto counters = registry.counters();
            auto pending = registry.pending();
            auto history = registry.history();
            EXPECT_LE(history.size(), registry::Registry::kHistorySize);
            (void)counters;
            (void)pending;
        }
    });
    constexpr int kJobsPerThread = 500;
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            for (int i = 0; i < kJobsPerThread; ++i) {
                job::JobSnapshot snapshot;
                snapshot.id = static_cast<std::uint64_t>(t * kJobsPerThread + i + 1);
                snapshot.worker = t;
                registry.job_started(snapshot);
                snapshot.state = job::JobState::kHandshaking;
                registry.job_updated(snapshot);
                registry::CompletedHandshake done;
                done.id = snapshot.id;
                done.status = i % 5 == 0 ? 110 : 0;
                done.failure = i % 5 == 0 ? HandshakeFailure(ErrorCause::kTimeout) : std::nullopt;
                done.duration_ms = i;
                registry.job_finished(done);
            }
        });
    }
    for (auto& writer : writers) writer.join();
    stop = true;
    reader.join();
    auto counters = registry.counters();
    EXPECT_EQ(counters.accepted, static_cast<std::uint64_t>(kThreads * kJobsPerThread));
    EXPECT_EQ(counters.in_flight, 0u);
    EXPECT_EQ(counters.timed_out, static_cast<std::uint64_t>(kThreads * kJobsPerThread / 5));
    EXPECT_EQ(counters.succeeded + counters.failed, counters.accepted);
    EXPECT_EQ(signalled.load(), kThreads * kJobsPerThread);
    EXPECT_TRUE(registry.pending().empty());
}

}  // namespace
}  // namespace handshaked::test
