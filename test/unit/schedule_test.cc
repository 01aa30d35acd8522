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

TEST(Admission, AFreshWorkerRefusesNothing) {
    Admission admission;
    for (int i = 0; i < 500; ++i) admission.started();
    EXPECT_EQ(admission.per_handshake(), 0s);
    EXPECT_TRUE(admission.can_finish(t0, t0 + 1ms));
}

TEST(Admission, LearnsFromCompletedHandshakesOnly) {
    Admission admission;
    admission.started();
    admission.ran(900ms);
    admission.ended(900ms, /*completed=*/false);  // a failure teaches nothing
    EXPECT_EQ(admission.per_handshake(), 0s);
    admission.started();
    admission.ran(10ms);
    admission.ended(10ms, true);
    EXPECT_EQ(admission.per_handshake(), 10ms);
    admission.started();
    admission.ran(18ms);
    admission.ended(18ms, true);
    EXPECT_EQ(admission.per_handshake(), 11ms);  // moves by an eighth of the difference
    EXPECT_EQ(admission.started_jobs(), 0u);
    EXPECT_EQ(admission.backlog(), 0s);
}

TEST(Admission, TheBacklogIsWhatTheStartedJobsStillNeed) {
    Admission admission;
    admission.started();
    admission.ended(10ms, true);  // one handshake: 10 ms
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
    admission.started();
    admission.ended(20ms, true);
    for (int i = 0; i < 400; ++i) admission.started();  // 8 s of work ahead
    EXPECT_EQ(admission.expected_finish(t0), t0 + 8020ms);
    EXPECT_TRUE(admission.can_finish(t0, t0 + 10s));
    EXPECT_TRUE(admission.can_finish(t0, t0 + 8020ms));
    EXPECT_FALSE(admission.can_finish(t0, t0 + 8019ms));
    EXPECT_FALSE(admission.can_finish(t0 + 2s, t0 + 10s));  // it waited 2 s in the queue
}

}  // namespace
}  // namespace handshaked::workers
