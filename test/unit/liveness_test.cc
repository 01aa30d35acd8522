// SPDX-License-Identifier: GPL-2.0-or-later
// The watchdog's judgement of the workers' pulses: idle and busy-but-progressing workers are
// healthy; a worker without progress, one that leaves a deadline unanswered, or one whose loop
// returned, is not (and says which and why).
#include <gtest/gtest.h>

#include "service/registry/liveness.h"

namespace handshaked::registry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const LivenessLimits kLimits{milliseconds(2000), milliseconds(1000)};

TEST(Liveness, IdleWorkersThatWakeEveryHeartbeatAreHealthy) {
    LivenessBoard board;
    board.reset(2);
    const auto start = job::Clock::now();
    EXPECT_EQ(kLimits.heartbeat(), milliseconds(666));
    for (int beat = 0; beat <= 100; ++beat) {
        const auto now = start + beat * kLimits.heartbeat();
        for (int worker : {0, 1}) {
            board.progress(worker, now);
            board.waiting(worker, 0, std::nullopt);
        }
        auto verdict = judge_liveness(board.pulses(), now + kLimits.heartbeat(), kLimits);
        ASSERT_TRUE(verdict.healthy) << verdict.reason;
        EXPECT_EQ(verdict.reason, "");
    }
}

TEST(Liveness, AWorkerStuckInEpollWaitIsWedgedEvenWithoutJobs) {
    // Stopped (or blocked) while idle: READYs for it would go unanswered.
    LivenessBoard board;
    board.reset(1);
    const auto start = job::Clock::now();
    board.progress(0, start);
    board.waiting(0, 0, std::nullopt);
    EXPECT_TRUE(judge_liveness(board.pulses(), start + milliseconds(1900), kLimits).healthy);
    auto verdict = judge_liveness(board.pulses(), start + milliseconds(2100), kLimits);
    EXPECT_FALSE(verdict.healthy);
    EXPECT_NE(verdict.reason.find(
                  "worker 0 has not turned its event loop for 2.1 s (in epoll_wait, 0 jobs)"),
              std::string::npos)
        << verdict.reason;
}

TEST(Liveness, BusyWorkerThatKeepsProgressingIsHealthy) {
    LivenessBoard board;
    board.reset(1);
    const auto start = job::Clock::now();
    for (int step = 0; step < 10; ++step) board.progress(0, start + milliseconds(step * 1500));
    EXPECT_TRUE(judge_liveness(board.pulses(), start + milliseconds(15'000), kLimits).healthy);
}

TEST(Liveness, BusyWorkerWithoutProgressIsWedged) {
    LivenessBoard board;
    board.reset(2);
    const auto start = job::Clock::now();
    board.progress(1, start);                       // and never again
    board.progress(0, start + milliseconds(1500));  // worker 0's heartbeat
    board.waiting(0, 0, std::nullopt);
    EXPECT_TRUE(judge_liveness(board.pulses(), start + milliseconds(2000), kLimits).healthy);
    auto verdict = judge_liveness(board.pulses(), start + milliseconds(2500), kLimits);
    EXPECT_FALSE(verdict.healthy);
    EXPECT_NE(verdict.reason.find("worker 1 has not turned its event loop for 2.5 s (busy"),
              std::string::npos)
        << verdict.reason;
    EXPECT_EQ(verdict.reason.find("worker 0"), std::string::npos) << verdict.reason;
}

TEST(Liveness, WaitingPastAHeldDeadlineIsWedged) {
    // A worker stopped inside epoll_wait (or whose timer is wrong) looks idle; the deadline it
    // published when it went to wait gives it away.
    LivenessBoard board;
    board.reset(1);
    const auto start = job::Clock::now();
    board.progress(0, start);
    board.waiting(0, 3, start + seconds(9));
    board.progress(0, start + seconds(10));  // the heartbeat came, and the deadline stayed
    board.waiting(0, 3, start + seconds(9));
    EXPECT_TRUE(judge_liveness(board.pulses(), start + milliseconds(9'900), kLimits).healthy);
    auto verdict = judge_liveness(board.pulses(), start + milliseconds(10'500), kLimits);
    EXPECT_FALSE(verdict.healthy);
    EXPECT_NE(verdict.reason.find("worker 0 is 1.5 s past the deadline"), std::string::npos)
        << verdict.reason;
}

TEST(Liveness, AnExitedWorkerIsAFaultUnlessTheServiceStops) {
    LivenessBoard board;
    board.reset(1);
    const auto start = job::Clock::now();
    board.progress(0, start);
    board.exited(0);
    auto verdict = judge_liveness(board.pulses(), start, kLimits);
    EXPECT_FALSE(verdict.healthy);
    EXPECT_NE(verdict.reason.find("worker 0 has stopped serving"), std::string::npos);
    EXPECT_TRUE(judge_liveness(board.pulses(), start, kLimits, /*stopping=*/true).healthy);
}

TEST(Liveness, EveryWedgedWorkerIsNamed) {
    LivenessBoard board;
    board.reset(3);
    const auto start = job::Clock::now();
    board.progress(0, start);
    board.progress(1, start + seconds(9));
    board.progress(2, start);
    auto verdict = judge_liveness(board.pulses(), start + seconds(10), kLimits);
    EXPECT_FALSE(verdict.healthy);
    EXPECT_NE(verdict.reason.find("worker 0"), std::string::npos);
    EXPECT_EQ(verdict.reason.find("worker 1"), std::string::npos);
    EXPECT_NE(verdict.reason.find("worker 2"), std::string::npos);
    const auto pulses = board.pulses();
    EXPECT_FALSE(worker_healthy(pulses[0], start + seconds(10), kLimits));
    EXPECT_TRUE(worker_healthy(pulses[1], start + seconds(10), kLimits));
}

}  // namespace
}  // namespace handshaked::registry
