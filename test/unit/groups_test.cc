// SPDX-License-Identifier: GPL-2.0-or-later
// Key exchange group names (service/tls/groups.h).
#include "service/tls/groups.h"

#include <gtest/gtest.h>

namespace handshaked::tls {
namespace {

TEST(Groups, OfferedGroupNames) {
    EXPECT_EQ(offered_group_name(4588), "X25519MLKEM768");
    EXPECT_EQ(offered_group_name(23), "secp256r1");
    EXPECT_EQ(offered_group_name(256), "ffdhe2048");
    EXPECT_EQ(offered_group_name(30), "x448");
    EXPECT_EQ(offered_group_name(0x0a0a), "0x0a0a");  // a GREASE value
}

}  // namespace
}  // namespace handshaked::tls
