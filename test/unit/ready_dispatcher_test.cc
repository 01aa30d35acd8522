// SPDX-License-Identifier: GPL-2.0-or-later
// Which worker the READY reader gives a request to: the least loaded one with room, so a burst
// spreads over the workers and a full worker gets nothing while another has room.
#include <gtest/gtest.h>

#include <vector>

#include "service/workers/ready_dispatcher.h"

namespace handshaked::workers {
namespace {

TEST(ReadyDispatcher, ChoosesTheLeastLoadedWorker) {
    EXPECT_EQ(ReadyDispatcher::choose({3, 1, 2}, 512), 1u);
    EXPECT_EQ(ReadyDispatcher::choose({0, 0}, 512), 0u);  // ties: the first
    EXPECT_EQ(ReadyDispatcher::choose({5}, 512), 0u);
}

TEST(ReadyDispatcher, ABurstSpreadsEvenly) {
    std::vector<unsigned> loads = {0, 0};
    std::vector<int> given(2, 0);
    for (int i = 0; i < 64; ++i) {
        const auto chosen = ReadyDispatcher::choose(loads, 512);
        ++loads[chosen];
        ++given[chosen];
    }
    EXPECT_EQ(given, (std::vector<int>{32, 32}));
}

TEST(ReadyDispatcher, AFullWorkerGetsNothingWhileAnotherHasRoom) {
    EXPECT_EQ(ReadyDispatcher::choose({512, 600}, 512), 0u);  // both full: least loaded
    EXPECT_EQ(ReadyDispatcher::choose({511, 512}, 512), 0u);
    EXPECT_EQ(ReadyDispatcher::choose({512, 511}, 512), 1u);
}

}  // namespace
}  // namespace handshaked::workers
