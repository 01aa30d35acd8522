// SPDX-License-Identifier: GPL-2.0-or-later
// Peernames: address literals and DNS names (service/tls/peername.h).
#include "service/tls/peername.h"

#include <gtest/gtest.h>

namespace handshaked::tls {
namespace {

TEST(Peername, AddressLiterals) {
    auto v4 = parse_ip_literal("127.0.0.1");
    ASSERT_TRUE(v4.has_value());
    EXPECT_EQ(v4->size, 4u);
    EXPECT_EQ(v4->bytes[0], 127);
    EXPECT_EQ(v4->bytes[3], 1);

    auto v6 = parse_ip_literal("::1");
    ASSERT_TRUE(v6.has_value());
    EXPECT_EQ(v6->size, 16u);
    EXPECT_EQ(v6->bytes[15], 1);
    EXPECT_EQ(parse_ip_literal("[::1]"), v6);
    EXPECT_EQ(parse_ip_literal("fe80::1%eth0")->bytes[0], 0xfe);
}

TEST(Peername, DnsNames) {
    for (const char* name : {"", "localhost", "server.example", "127.0.0.1.example", "127.1",
                             "1.2.3", "[127.0.0.1]", "::g", "256.0.0.1"}) {
        EXPECT_FALSE(parse_ip_literal(name).has_value()) << name;
    }
}

}  // namespace
}  // namespace handshaked::tls
