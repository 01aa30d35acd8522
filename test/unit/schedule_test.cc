// SPDX-License-Identifier: GPL-2.0-or-later
// The order a worker serves its jobs in (earliest deadline first) and which jobs it answers
// ETIMEDOUT without starting them: what the kernel's consumers see of an overloaded agent.
#include <gtest/gtest.h>

#include <vector>

#include "service/workers/schedule.h"

namespace handshaked::workers {
namespace {

using namespace std::chrono_literals;
const ScheduleClock::time_point t0{};

std::vector<int> drain(RunQueue& queue) {
    std::vector<int> order;
    while (auto fd = queue.pop_earliest()) order.push_back(*fd);
    return order;
}

TEST(RunQueue, EarliestDeadlineFirstWhateverTheArrivalOrder) {
    RunQueue queue;
    queue.push(t0 + 10s, 7);
    queue.push(t0 + 2s, 9);
    queue.push(t0 + 5s, 3);
    EXPECT_EQ(drain(queue), (std::vector<int>{9, 3, 7}));
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.pop_earliest(), std::nullopt);
}

TEST(RunQueue, AJobIsQueuedOnceAndCanBeTakenOut) {
    RunQueue queue;
    queue.push(t0 + 1s, 4);
    queue.push(t0 + 1s, 4);  // a second event for a job already waiting its turn
    queue.push(t0 + 1s, 2);  // same deadline: the lower fd first
    queue.push(t0 + 3s, 8);
    EXPECT_EQ(queue.size(), 3u);
    queue.erase(t0 + 1s, 2);  // finished (deadline, shutdown) while it waited
    EXPECT_EQ(drain(queue), (std::vector<int>{4, 8}));
}

// Completes `count` handshakes of `each` on a worker with nothing else started.
void learn(Admission& admission, int count, std::chrono::milliseconds each) {
    for (int i = 0; i < count; ++i) {
        admission.started();
        admission.ran(each);
        admission.ended(each, /*completed=*/true);
    }
}

TEST(Admission, AFreshWorkerRefusesNothing) {
    Admission admission;
    learn(admission, Admission::kMinSamples - 1, 300ms);  // too few to judge by
    for (int i = 0; i < 500; ++i) admission.started();
    EXPECT_EQ(admission.per_handshake(), 0s);
    EXPECT_TRUE(admission.can_finish(t0, t0 + 1ms));
}

TEST(Admission, LearnsFromCompletedHandshakesOnly) {
    Admission admission;
    for (int i = 0; i < 20; ++i) {
        admission.started();
        admission.ran(900ms);
        admission.ended(900ms, /*completed=*/false);  // failures teach nothing
    }
    EXPECT_EQ(admission.per_handshake(), 0s);
    learn(admission, Admission::kMinSamples, 10ms);
    EXPECT_EQ(admission.per_handshake(), 10ms);
    EXPECT_EQ(admission.started_jobs(), 0u);
    EXPECT_EQ(admission.backlog(), 0s);
}

TEST(Admission, ColdFirstHandshakesDoNotMakeTheWorkerRefuse) {
    // What a -O0 build under TCG measured: the first handshakes after start-up took ten times
    // the rest. A mean seeded with them refused most of a 500-request burst that could finish.
    Admission admission;
    learn(admission, 2, 319ms);
    learn(admission, 6, 30ms);
    EXPECT_EQ(admission.per_handshake(), 30ms);
    for (int i = 0; i < 90; ++i) admission.started();  // 2.7 s ahead
    EXPECT_TRUE(admission.can_finish(t0, t0 + 3s));
}

TEST(Admission, FollowsAChangeOfModeWithinHalfTheWindow) {
    Admission admission;
    learn(admission, Admission::kSamples, 5ms);  // PSK
    learn(admission, Admission::kSamples / 2 - 1, 40ms);
    EXPECT_EQ(admission.per_handshake(), 5ms);
    learn(admission, 2, 40ms);  // RSA is now the majority of the window
    EXPECT_EQ(admission.per_handshake(), 40ms);
}

TEST(Admission, TheBacklogIsWhatTheStartedJobsStillNeed) {
    Admission admission;
    learn(admission, Admission::kMinSamples, 10ms);
    for (int i = 0; i < 100; ++i) admission.started();
    EXPECT_EQ(admission.backlog(), 1000ms);
    admission.ran(250ms);  // steps of those jobs
    EXPECT_EQ(admission.backlog(), 750ms);
    admission.ended(10ms, true);
    EXPECT_EQ(admission.started_jobs(), 99u);
    EXPECT_EQ(admission.backlog(), 750ms);  // 99 x 10 ms owed, 240 ms of it done
    admission.ran(10s);                     // slower than learnt: nothing is owed, not less
    EXPECT_EQ(admission.backlog(), 0s);
}

TEST(Admission, AJobThatCouldNotFinishBeforeItsDeadlineIsNotStarted) {
    Admission admission;
    learn(admission, Admission::kMinSamples, 20ms);
    for (int i = 0; i < 400; ++i) admission.started();  // 8 s of work ahead
    EXPECT_EQ(admission.expected_finish(t0), t0 + 8020ms);
    EXPECT_TRUE(admission.can_finish(t0, t0 + 10s));
    EXPECT_TRUE(admission.can_finish(t0, t0 + 8020ms));
    EXPECT_FALSE(admission.can_finish(t0, t0 + 8019ms));
    EXPECT_FALSE(admission.can_finish(t0 + 2s, t0 + 10s));  // it waited 2 s in the queue
}

}  // namespace
}  // namespace handshaked::workers
