// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string_view>

#include "proto/failure.h"

namespace handshaked {
namespace {

TEST(StatusTable, MatchesTheKernelConsumersContract) {
    EXPECT_EQ(done_status(Failure::kNone), 0u);
    EXPECT_EQ(done_status(Failure::kAuthentication), static_cast<std::uint32_t>(EACCES));
    EXPECT_EQ(done_status(Failure::kProtocol), static_cast<std::uint32_t>(EACCES));
    EXPECT_EQ(done_status(Failure::kPeerClosed), static_cast<std::uint32_t>(ETIMEDOUT));
    EXPECT_EQ(done_status(Failure::kTimeout), static_cast<std::uint32_t>(ETIMEDOUT));
    EXPECT_EQ(done_status(Failure::kUnknownPskIdentity), static_cast<std::uint32_t>(EKEYREJECTED));
    EXPECT_EQ(done_status(Failure::kMissingCredentials), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(done_status(Failure::kLocalFault), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(done_status(Failure::kNotTcp), static_cast<std::uint32_t>(EOPNOTSUPP));
    EXPECT_EQ(done_status(Failure::kBadRequest), static_cast<std::uint32_t>(EIO));
}

TEST(StatusTable, EveryFailureHasADistinctName) {
    std::set<std::string_view> names;
    for (int i = 0; i <= static_cast<int>(Failure::kShuttingDown); ++i) {
        auto name = failure_name(static_cast<Failure>(i));
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(names.insert(name).second) << name;
    }
}

TEST(StatusTable, OnlySuccessIsZero) {
    for (int i = 1; i <= static_cast<int>(Failure::kShuttingDown); ++i)
        EXPECT_NE(done_status(static_cast<Failure>(i)), 0u)
            << failure_name(static_cast<Failure>(i));
}

}  // namespace
}  // namespace handshaked
