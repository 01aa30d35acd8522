// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string_view>

#include "proto/failure.h"

namespace handshaked {
namespace {

TEST(StatusTable, MatchesTheKernelConsumersContract) {
    EXPECT_EQ(done_status(std::nullopt), 0u);
    EXPECT_EQ(done_status(ErrorCause::kAuthentication), static_cast<std::uint32_t>(EACCES));
    EXPECT_EQ(done_status(ErrorCause::kProtocol), static_cast<std::uint32_t>(EACCES));
    EXPECT_EQ(done_status(ErrorCause::kPeerClosed), static_cast<std::uint32_t>(ETIMEDOUT));
    EXPECT_EQ(done_status(ErrorCause::kTimeout), static_cast<std::uint32_t>(ETIMEDOUT));
    EXPECT_EQ(done_status(ErrorCause::kUnknownPskIdentity),
              static_cast<std::uint32_t>(EKEYREJECTED));
    EXPECT_EQ(done_status(ErrorCause::kMissingCredentials), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(done_status(ErrorCause::kLocalFault), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(done_status(ErrorCause::kNotTcp), static_cast<std::uint32_t>(EOPNOTSUPP));
    EXPECT_EQ(done_status(ErrorCause::kBadRequest), static_cast<std::uint32_t>(EIO));
}

TEST(StatusTable, EveryCauseHasADistinctNameAndSuccessIsOk) {
    std::set<std::string_view> names{failure_name(std::nullopt)};
    EXPECT_EQ(failure_name(std::nullopt), "ok");
    for (int i = 1; i <= static_cast<int>(kLastErrorCause); ++i) {
        auto name = cause_name(static_cast<ErrorCause>(i));
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(names.insert(name).second) << name;
    }
}

TEST(StatusTable, OnlySuccessIsZero) {
    for (int i = 1; i <= static_cast<int>(kLastErrorCause); ++i)
        EXPECT_NE(done_status(static_cast<ErrorCause>(i)), 0u)
            << cause_name(static_cast<ErrorCause>(i));
}

// Causes that end no handshake have no row of their own; if a bug let one through, the kernel
// must still see a local error, not success or an errno that invites a retry.
TEST(StatusTable, CausesOutsideAHandshakeWouldBeALocalFault) {
    EXPECT_EQ(done_status(ErrorCause::kConfig), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(done_status(ErrorCause::kBus), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(done_status(ErrorCause::kNetlink), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(done_status(ErrorCause::kUnsupportedKernel), static_cast<std::uint32_t>(EIO));
}

}  // namespace
}  // namespace handshaked
