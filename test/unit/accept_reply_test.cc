// SPDX-License-Identifier: GPL-2.0-or-later
// ACCEPT replies laid out byte for byte as net/handshake/tlshd.c emits them (attribute order:
// sockfd, message-type, [timeout], auth-mode, then peer-identity x n or the certificate nest,
// [peername], [keyring]; host byte order, 4-byte aligned).
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "netlink/wire.h"

namespace handshaked::netlink {
namespace {

constexpr std::uint16_t kFamily = 0x20;  // the id the 6.12 guest gave the family

// A PSK ClientHello request from the NVMe host: sockfd 7, clienthello, timeout 10000 ms, psk,
// one peer identity 0x2a5e7d1c, keyring 0x1f000001. Written out by hand, not by the encoder.
// One line per header or attribute, as the comments name them.
// clang-format off
const std::vector<std::uint8_t> kNvmePskClientReply = {
    // nlmsghdr: len 92, type 0x20, flags 0, seq 5, pid 1234
    0x5c, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0xd2, 0x04, 0x00, 0x00,
    // genlmsghdr: cmd ACCEPT (2), version 1
    0x02, 0x01, 0x00, 0x00,
    // sockfd = 7
    0x08, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00,
    // message-type = clienthello (1)
    0x08, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
    // timeout = 10000
    0x08, 0x00, 0x04, 0x00, 0x10, 0x27, 0x00, 0x00,
    // auth-mode = psk (2)
    0x08, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00,
    // peer-identity = 0x2a5e7d1c
    0x08, 0x00, 0x06, 0x00, 0x1c, 0x7d, 0x5e, 0x2a,
    // keyring = 0x1f000001
    0x08, 0x00, 0x09, 0x00, 0x01, 0x00, 0x00, 0x1f,
    // an attribute from a future kernel (id 42, 8 bytes of payload): ignored
    0x0c, 0x00, 0x2a, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
    // peername "nvme" padded to 4 bytes
    0x09, 0x00, 0x08, 0x00, 'n', 'v', 'm', 'e', 0x00, 0x00, 0x00, 0x00,
};
// clang-format on

class ReplyBuilder {
public:
    ReplyBuilder& u32(std::uint16_t type, std::uint32_t value) {
        return raw(
            type, {static_cast<std::uint8_t>(value), static_cast<std::uint8_t>(value >> 8),
                   static_cast<std::uint8_t>(value >> 16), static_cast<std::uint8_t>(value >> 24)});
    }
    ReplyBuilder& raw(std::uint16_t type, std::vector<std::uint8_t> payload) {
        std::uint16_t length = static_cast<std::uint16_t>(4 + payload.size());
        attributes_.push_back(length & 0xff);
        attributes_.push_back(length >> 8);
        attributes_.push_back(type & 0xff);
        attributes_.push_back(type >> 8);
        attributes_.insert(attributes_.end(), payload.begin(), payload.end());
        while (attributes_.size() % 4) attributes_.push_back(0);
        return *this;
    }
    ReplyBuilder& string(std::uint16_t type, const std::string& text) {
        std::vector<std::uint8_t> payload(text.begin(), text.end());
        payload.push_back(0);
        return raw(type, payload);
    }
    std::vector<std::uint8_t> build(std::uint8_t cmd = 2) const {
        std::vector<std::uint8_t> message(20, 0);
        std::uint32_t length = static_cast<std::uint32_t>(20 + attributes_.size());
        for (int i = 0; i < 4; ++i) message[i] = static_cast<std::uint8_t>(length >> (8 * i));
        message[4] = kFamily;
        message[16] = cmd;
        message[17] = 1;
        message.insert(message.end(), attributes_.begin(), attributes_.end());
        return message;
    }

private:
    std::vector<std::uint8_t> attributes_;
};

TEST(AcceptReply, ParsesTheNvmePskClientFixture) {
    auto request = parse_accept_reply(kNvmePskClientReply);
    ASSERT_TRUE(request.ok()) << request.error().message;
    EXPECT_EQ(request->sockfd, 7);
    EXPECT_EQ(request->role, Role::kClient);
    EXPECT_EQ(request->auth, AuthMode::kPsk);
    ASSERT_TRUE(request->timeout_ms.has_value());
    EXPECT_EQ(*request->timeout_ms, 10000u);
    EXPECT_EQ(request->peer_identities, std::vector<KeySerial>{0x2a5e7d1c});
    ASSERT_TRUE(request->keyring.has_value());
    EXPECT_EQ(*request->keyring, 0x1f000001);
    ASSERT_TRUE(request->peername.has_value());
    EXPECT_EQ(*request->peername, "nvme");
}

TEST(AcceptReply, NfsServerRequestHasOnlyTheMandatoryAttributes) {
    // nfsd: tls_server_hello_x509 with no cert, key, keyring, timeout or peername.
    auto bytes = ReplyBuilder().u32(1, 4).u32(3, 2).u32(5, 3).build();
    auto request = parse_accept_reply(bytes);
    ASSERT_TRUE(request.ok()) << request.error().message;
    EXPECT_EQ(request->role, Role::kServer);
    EXPECT_EQ(request->auth, AuthMode::kX509);
    EXPECT_FALSE(request->timeout_ms.has_value());
    EXPECT_FALSE(request->peername.has_value());
    EXPECT_FALSE(request->keyring.has_value());
    EXPECT_EQ(request->certificate, 0);
    EXPECT_EQ(request->private_key, 0);
    EXPECT_TRUE(request->peer_identities.empty());
}

TEST(AcceptReply, CertificateNestCarriesBothSerials) {
    auto nest = ReplyBuilder().u32(1, 111).u32(2, 222).build();
    std::vector<std::uint8_t> nest_payload(nest.begin() + 20, nest.end());
    auto bytes = ReplyBuilder()
                     .u32(1, 9)
                     .u32(3, 1)
                     .string(8, "server.example")
                     .u32(5, 3)
                     .raw(7 | 0x8000 /* NLA_F_NESTED */, nest_payload)
                     .build();
    auto request = parse_accept_reply(bytes);
    ASSERT_TRUE(request.ok()) << request.error().message;
    EXPECT_EQ(request->certificate, 111);
    EXPECT_EQ(request->private_key, 222);
    EXPECT_EQ(*request->peername, "server.example");
}

TEST(AcceptReply, RepeatedPeerIdentitiesKeepKernelOrderAndStopAtFive) {
    ReplyBuilder builder;
    builder.u32(1, 3).u32(3, 1).u32(5, 2);
    for (std::uint32_t serial : {50u, 40u, 30u, 20u, 10u, 60u}) builder.u32(6, serial);
    auto request = parse_accept_reply(builder.build());
    ASSERT_TRUE(request.ok()) << request.error().message;
    EXPECT_EQ(request->peer_identities, (std::vector<KeySerial>{50, 40, 30, 20, 10}));
}

TEST(AcceptReply, ZeroTimeoutMeansNone) {
    auto request =
        parse_accept_reply(ReplyBuilder().u32(1, 3).u32(3, 1).u32(4, 0).u32(5, 1).build());
    ASSERT_TRUE(request.ok());
    EXPECT_FALSE(request->timeout_ms.has_value());
}

TEST(AcceptReply, MissingMandatoryAttributesAreErrorsButTheFdIsStillFound) {
    auto no_auth = ReplyBuilder().u32(1, 12).u32(3, 1).build();
    auto request = parse_accept_reply(no_auth);
    ASSERT_FALSE(request.ok());
    EXPECT_EQ(request.error().cause, ErrorCause::kBadRequest);
    EXPECT_EQ(accept_reply_sockfd(no_auth), 12);

    EXPECT_FALSE(parse_accept_reply(ReplyBuilder().u32(3, 1).u32(5, 1).build()).ok());
    EXPECT_FALSE(parse_accept_reply(ReplyBuilder().u32(1, 3).u32(5, 1).build()).ok());
}

TEST(AcceptReply, UnknownEnumValuesAreRejected) {
    EXPECT_FALSE(parse_accept_reply(ReplyBuilder().u32(1, 3).u32(3, 7).u32(5, 1).build()).ok());
    EXPECT_FALSE(parse_accept_reply(ReplyBuilder().u32(1, 3).u32(3, 1).u32(5, 9).build()).ok());
}

TEST(AcceptReply, WrongAttributeLengthIsRejected) {
    auto bytes = ReplyBuilder().u32(1, 3).u32(3, 1).raw(5, {1, 0}).build();
    EXPECT_FALSE(parse_accept_reply(bytes).ok());
}

TEST(AcceptReply, UnterminatedPeernameIsRejected) {
    auto bytes = ReplyBuilder().u32(1, 3).u32(3, 1).u32(5, 1).raw(8, {'a', 'b', 'c', 'd'}).build();
    EXPECT_FALSE(parse_accept_reply(bytes).ok());
}

TEST(AcceptReply, EveryTruncationIsAnErrorNeverACrash) {
    for (std::size_t length = 0; length < kNvmePskClientReply.size(); ++length) {
        std::vector<std::uint8_t> cut(kNvmePskClientReply.begin(),
                                      kNvmePskClientReply.begin() + length);
        EXPECT_FALSE(parse_accept_reply(cut).ok()) << "length " << length;
    }
}

TEST(AcceptReply, NlmsgLenLongerThanTheBufferIsRejected) {
    auto bytes = kNvmePskClientReply;
    bytes[0] = 0xff;
    EXPECT_FALSE(parse_accept_reply(bytes).ok());
}

TEST(AcceptReply, WrongCommandIsRejected) {
    EXPECT_FALSE(parse_accept_reply(ReplyBuilder().u32(1, 3).u32(3, 1).u32(5, 1).build(1)).ok());
}

TEST(SplitMessages, ClassifiesReadyAcceptAckAndError) {
    std::vector<std::uint8_t> buffer = ReplyBuilder().u32(2, 1).build(1);  // READY
    auto reply = ReplyBuilder().u32(1, 3).u32(3, 1).u32(5, 1).build(2);
    buffer.insert(buffer.end(), reply.begin(), reply.end());
    // NLMSG_ERROR with error -EAGAIN (-11), then an ACK (error 0), each with the request header.
    for (int error : {-11, 0}) {
        std::vector<std::uint8_t> message(36, 0);
        message[0] = 36;
        message[4] = 2;  // NLMSG_ERROR
        message[8] = 9;  // seq
        for (int i = 0; i < 4; ++i) message[16 + i] = static_cast<std::uint8_t>(error >> (8 * i));
        buffer.insert(buffer.end(), message.begin(), message.end());
    }
    auto messages = split_messages(buffer, kFamily);
    ASSERT_EQ(messages.size(), 4u);
    EXPECT_EQ(messages[0].kind, IncomingMessage::Kind::kReady);
    EXPECT_EQ(messages[1].kind, IncomingMessage::Kind::kAcceptReply);
    EXPECT_EQ(messages[2].kind, IncomingMessage::Kind::kError);
    EXPECT_EQ(messages[2].error, 11);
    EXPECT_EQ(messages[2].sequence, 9u);
    EXPECT_EQ(messages[3].kind, IncomingMessage::Kind::kAck);
}

}  // namespace
}  // namespace handshaked::netlink
