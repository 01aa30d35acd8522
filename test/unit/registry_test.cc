// SPDX-License-Identifier: GPL-2.0-or-later
// What the D-Bus adapter and handshakectl read from the Registry: pending jobs, the bounded
// history (oldest first, the newest kHistorySize kept) and counters with latency percentiles
// over the last kLatencyWindow completions.
#include <gtest/gtest.h>

#include <string>

#include "service/registry/registry.h"

namespace handshaked::registry {
namespace {

job::JobSnapshot started(std::uint64_t id) {
    job::JobSnapshot snapshot;
    snapshot.id = id;
    snapshot.peer_address = "192.0.2.7:20049";
    return snapshot;
}

CompletedHandshake finished(std::uint64_t id, double duration_ms, std::uint32_t status = 0) {
    CompletedHandshake completed;
    completed.id = id;
    completed.cipher = "TLS_AES_128_GCM_SHA256";
    completed.peername = "server-" + std::to_string(id) + ".example.net";
    completed.status = status;
    completed.duration_ms = duration_ms;
    if (status)
        completed.detail =
            "a failure long enough to need more than the reserved capacity of a slot, "
            "which the ring must still keep whole";
    return completed;
}

TEST(Registry, PendingUntilFinished) {
    Registry registry;
    registry.job_started(started(1));
    registry.job_started(started(2));
    ASSERT_EQ(registry.pending().size(), 2u);
    EXPECT_EQ(registry.counters().in_flight, 2u);
    registry.job_finished(finished(1, 5));
    ASSERT_EQ(registry.pending().size(), 1u);
    EXPECT_EQ(registry.pending().front().id, 2u);
    EXPECT_EQ(registry.counters().in_flight, 1u);
}

TEST(Registry, HistoryIsOldestFirstBeforeTheRingIsFull) {
    Registry registry;
    EXPECT_TRUE(registry.history().empty());
    for (std::uint64_t id = 1; id <= 3; ++id) registry.job_finished(finished(id, 1));
    auto history = registry.history();
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[0].id, 1u);
    EXPECT_EQ(history[2].id, 3u);
    EXPECT_EQ(history[2].peername, "server-3.example.net");
}

TEST(Registry, HistoryKeepsTheNewestAfterWrappingAndNothingOfOldSlots) {
    Registry registry;
    const std::uint64_t total = Registry::kHistorySize * 2 + 17;
    for (std::uint64_t id = 1; id <= total; ++id)
        registry.job_finished(finished(id, 1, id % 5 == 0 ? 110 : 0));
    auto history = registry.history();
    ASSERT_EQ(history.size(), Registry::kHistorySize);
    for (std::size_t i = 0; i < history.size(); ++i) {
        const std::uint64_t id = total - Registry::kHistorySize + 1 + i;
        ASSERT_EQ(history[i].id, id);
        EXPECT_EQ(history[i].peername, "server-" + std::to_string(id) + ".example.net");
        // A slot that held a failure and now holds a success keeps no stale detail.
        EXPECT_EQ(history[i].detail.empty(), id % 5 != 0) << id;
    }
}

TEST(Registry, CountersAndPercentilesOverTheLatestWindow) {
    Registry registry;
    // An old slow era that must fall out of the window, then a window of 1..kLatencyWindow ms.
    for (std::size_t i = 0; i < 100; ++i) registry.job_finished(finished(i, 100000.0));
    for (std::size_t i = 1; i <= Registry::kLatencyWindow; ++i) {
        registry.job_finished(finished(1000 + i, static_cast<double>(i), i % 10 == 0 ? 110 : 0));
    }
    auto counters = registry.counters();
    EXPECT_EQ(counters.latency_window, Registry::kLatencyWindow);
    EXPECT_NEAR(counters.latency_p50_ms, Registry::kLatencyWindow / 2.0, 1.0);
    EXPECT_NEAR(counters.latency_p99_ms, Registry::kLatencyWindow * 0.99, 1.0);
    EXPECT_EQ(counters.failed, Registry::kLatencyWindow / 10);
    EXPECT_EQ(counters.succeeded, 100 + Registry::kLatencyWindow - Registry::kLatencyWindow / 10);
    EXPECT_EQ(counters.failed_by_status.at(110), Registry::kLatencyWindow / 10);
}

TEST(Registry, PercentilesOfAPartialWindow) {
    Registry registry;
    EXPECT_EQ(registry.counters().latency_window, 0u);
    for (double ms : {4.0, 1.0, 3.0}) registry.job_finished(finished(1, ms));
    auto counters = registry.counters();
    EXPECT_EQ(counters.latency_window, 3u);
    EXPECT_DOUBLE_EQ(counters.latency_p50_ms, 3.0);
    EXPECT_DOUBLE_EQ(counters.latency_p99_ms, 4.0);
}

}  // namespace
}  // namespace handshaked::registry
