// SPDX-License-Identifier: GPL-2.0-or-later
// DONE and ACCEPT requests compared byte for byte with what the kernel's policy expects.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <vector>

#include "netlink/wire.h"

namespace handshaked::netlink {
namespace {

TEST(AcceptRequest, CarriesOnlyTheHandlerClass) {
    const std::vector<std::uint8_t> expected = {
        0x1c, 0x00, 0x00, 0x00,                          // len 28
        0x20, 0x00, 0x01, 0x00,                          // type 0x20, flags NLM_F_REQUEST
        0x07, 0x00, 0x00, 0x00,                          // seq 7
        0x39, 0x30, 0x00, 0x00,                          // port 12345
        0x02, 0x00, 0x00, 0x00,                          // cmd ACCEPT, version 0 (as tlshd sends)
        0x08, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,  // handler-class = tlshd
    };
    EXPECT_EQ(build_accept_request(0x20, 7, 12345), expected);
}

TEST(DoneRequest, SuccessWithRemoteAuthAndAck) {
    HandshakeResult result;
    result.sockfd = 5;
    result.failure = std::nullopt;
    result.remote_auth = {0x11223344};
    const std::vector<std::uint8_t> expected = {
        0x2c, 0x00, 0x00, 0x00,  // len 44
        0x20, 0x00, 0x05, 0x00,  // flags NLM_F_REQUEST | NLM_F_ACK
        0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,  // cmd DONE
        0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,                          // status 0
        0x08, 0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00,                          // sockfd 5
        0x08, 0x00, 0x03, 0x00, 0x44, 0x33, 0x22, 0x11,                          // remote-auth
    };
    EXPECT_EQ(build_done_request(0x20, 3, 0, result, DoneSupport{}), expected);
}

TEST(DoneRequest, FailureCarriesStatusAndNeverRemoteAuth) {
    HandshakeResult result;
    result.sockfd = 5;
    result.failure = ErrorCause::kUnknownPskIdentity;
    result.remote_auth = {99};
    auto bytes = build_done_request(0x20, 3, 0, result, DoneSupport{});
    ASSERT_EQ(bytes.size(), 36u);
    std::uint32_t status = bytes[24] | bytes[25] << 8 | bytes[26] << 16 | bytes[27] << 24;
    EXPECT_EQ(status, static_cast<std::uint32_t>(EKEYREJECTED));
}

// Whatever the cause, even a value past the enum's last name, the kernel gets a non-zero errno
// no larger than MAX_ERRNO (6.18 stable refuses a DONE with a larger one).
TEST(DoneRequest, FailureStatusIsAlwaysAnErrnoTheKernelTakes) {
    for (int raw = 1; raw <= 255; ++raw) {
        HandshakeResult result;
        result.sockfd = 5;
        result.failure = static_cast<ErrorCause>(raw);
        auto bytes = build_done_request(0x20, 3, 0, result, DoneSupport{});
        std::uint32_t status = bytes[24] | bytes[25] << 8 | bytes[26] << 16 | bytes[27] << 24;
        EXPECT_GT(status, 0u) << raw;
        EXPECT_LE(status, 4095u) << raw;
    }
}

TEST(DoneRequest, RemoteAuthOmittedWhenThePolicyLacksIt) {
    HandshakeResult result;
    result.sockfd = 5;
    result.failure = std::nullopt;
    result.remote_auth = {1, 2};
    EXPECT_EQ(build_done_request(0x20, 3, 0, result, DoneSupport{false, false}).size(), 36u);
}

TEST(DoneRequest, AtMostFiveNonZeroSerials) {
    HandshakeResult result;
    result.sockfd = 5;
    result.failure = std::nullopt;
    result.remote_auth = {1, 0, 2, 3, 4, 5, 6};
    EXPECT_EQ(build_done_request(0x20, 3, 0, result, DoneSupport{}).size(), 36u + 5 * 8);
}

constexpr std::uint32_t kNlU32 = 4, kNlS32 = 8, kNlNulString = 12, kNlU64 = 5;

// A CTRL_CMD_GETPOLICY answer as the 6.12 kernel sends it for handshake's DONE: op policy
// { [3] = { DO = 0 } } and policy 0 = { [1] u32, [2] s32, [3] u32 }; attr4_type adds attribute 4
// with that type (the nfsd tree: NUL_STRING "tag"; the KeyUpdate series: an integer).
std::vector<std::uint8_t> policy_dump_message(std::optional<std::uint32_t> attr4_type,
                                              std::uint32_t attr3_type = kNlU32) {
    auto attr = [](std::uint16_t type, std::vector<std::uint8_t> payload) {
        std::vector<std::uint8_t> out;
        std::uint16_t length = static_cast<std::uint16_t>(4 + payload.size());
        out = {static_cast<std::uint8_t>(length), static_cast<std::uint8_t>(length >> 8),
               static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(type >> 8)};
        out.insert(out.end(), payload.begin(), payload.end());
        while (out.size() % 4) out.push_back(0);
        return out;
    };
    auto u32 = [&](std::uint16_t type, std::uint32_t value) {
        return attr(
            type, {static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
                   static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)});
    };
    auto concat = [](std::initializer_list<std::vector<std::uint8_t>> parts) {
        std::vector<std::uint8_t> out;
        for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
        return out;
    };
    constexpr std::uint16_t kNested = 0x8000;
    auto entry = [&](std::uint16_t id, std::uint32_t nl_attr_type) {
        return attr(id | kNested, u32(1 /* NL_POLICY_TYPE_ATTR_TYPE */, nl_attr_type));
    };
    auto policy_entries = concat({entry(1, kNlU32), entry(2, kNlS32), entry(3, attr3_type)});
    if (attr4_type) policy_entries = concat({policy_entries, entry(4, *attr4_type)});
    auto body = concat({
        attr(2 /* CTRL_ATTR_FAMILY_NAME */, {'h', 'a', 'n', 'd', 's', 'h', 'a', 'k', 'e', 0}),
        attr(9 /* CTRL_ATTR_OP_POLICY */ | kNested, attr(3 | kNested, u32(1 /* DO */, 0))),
        attr(8 /* CTRL_ATTR_POLICY */ | kNested, attr(0 | kNested, policy_entries)),
    });
    std::vector<std::uint8_t> message(20, 0);
    std::uint32_t length = static_cast<std::uint32_t>(20 + body.size());
    for (int i = 0; i < 4; ++i) message[i] = static_cast<std::uint8_t>(length >> (8 * i));
    message[4] = 0x10;  // GENL_ID_CTRL
    message[16] = 14;   // CTRL_CMD_GETPOLICY
    message.insert(message.end(), body.begin(), body.end());
    return message;
}

TEST(DonePolicy, MainlineKernelHasRemoteAuthButNoTag) {
    DonePolicyReader reader;
    ASSERT_TRUE(reader.feed(policy_dump_message(std::nullopt)));
    ASSERT_TRUE(reader.saw_policy());
    EXPECT_TRUE(reader.done_support().remote_auth);
    EXPECT_FALSE(reader.done_support().tag);
}

TEST(DonePolicy, NfsdTreeKernelHasTag) {
    DonePolicyReader reader;
    ASSERT_TRUE(reader.feed(policy_dump_message(kNlNulString)));
    EXPECT_TRUE(reader.done_support().tag);
}

// Attribute 4 is claimed twice upstream: where it is an integer (the KeyUpdate series' session
// id) a string tag must not be sent, or the kernel refuses the whole DONE.
TEST(DonePolicy, AttributeFourOfAnotherTypeIsNotATag) {
    for (std::uint32_t type : {kNlU32, kNlU64, kNlS32}) {
        DonePolicyReader reader;
        ASSERT_TRUE(reader.feed(policy_dump_message(type)));
        EXPECT_FALSE(reader.done_support().tag) << "type " << type;
        EXPECT_TRUE(reader.done_support().remote_auth);
    }
}

TEST(DonePolicy, RemoteAuthOfAnotherTypeIsNotSent) {
    DonePolicyReader reader;
    ASSERT_TRUE(reader.feed(policy_dump_message(std::nullopt, kNlNulString)));
    EXPECT_FALSE(reader.done_support().remote_auth);
}

TEST(DonePolicy, NoOpPolicyMeansDefaults) {
    DonePolicyReader reader;
    EXPECT_FALSE(reader.saw_policy());
    EXPECT_TRUE(reader.done_support().remote_auth);
    EXPECT_FALSE(reader.done_support().tag);
}

}  // namespace
}  // namespace handshaked::netlink
