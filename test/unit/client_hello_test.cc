// SPDX-License-Identifier: GPL-2.0-or-later
// What a ClientHello offers, read from raw bytes (service/tls/client_hello.h).
#include "service/tls/client_hello.h"

#include <cstdint>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

namespace handshaked::tls {
namespace {

// A ClientHello record: header, handshake header, version, random, session id, suites, then
// compression methods and the extensions block (empty unless given).
std::vector<std::uint8_t> client_hello(const std::vector<std::uint16_t>& suites,
                                       std::size_t session_id = 32,
                                       const std::vector<std::uint8_t>& extensions = {}) {
    std::vector<std::uint8_t> body = {0x03, 0x03};
    body.resize(body.size() + 32, 0xab);
    body.push_back(static_cast<std::uint8_t>(session_id));
    body.resize(body.size() + session_id, 0xcd);
    body.push_back(static_cast<std::uint8_t>(suites.size() * 2 >> 8));
    body.push_back(static_cast<std::uint8_t>(suites.size() * 2));
    for (auto suite : suites) {
        body.push_back(static_cast<std::uint8_t>(suite >> 8));
        body.push_back(static_cast<std::uint8_t>(suite));
    }
    body.insert(body.end(), {0x01, 0x00, static_cast<std::uint8_t>(extensions.size() >> 8),
                             static_cast<std::uint8_t>(extensions.size())});
    body.insert(body.end(), extensions.begin(), extensions.end());
    std::vector<std::uint8_t> handshake = {0x01, 0, static_cast<std::uint8_t>(body.size() >> 8),
                                           static_cast<std::uint8_t>(body.size())};
    handshake.insert(handshake.end(), body.begin(), body.end());
    std::vector<std::uint8_t> record = {0x16, 0x03, 0x01,
                                        static_cast<std::uint8_t>(handshake.size() >> 8),
                                        static_cast<std::uint8_t>(handshake.size())};
    record.insert(record.end(), handshake.begin(), handshake.end());
    return record;
}

std::optional<std::vector<std::uint16_t>> suites_of(const std::vector<std::uint8_t>& bytes,
                                                    std::size_t size) {
    const auto offer = read_client_hello(bytes.data(), size);
    if (!offer) return std::nullopt;
    return offer->cipher_suites;
}
std::optional<std::vector<std::uint16_t>> suites_of(const std::vector<std::uint8_t>& bytes) {
    return suites_of(bytes, bytes.size());
}

// supported_groups (10) with the given code points, an unrelated extension (server_name, 0),
// then psk_key_exchange_modes (45) with the given modes, if any.
std::vector<std::uint8_t> extensions(const std::vector<std::uint16_t>& groups,
                                     const std::vector<std::uint8_t>& psk_modes) {
    const std::size_t list = groups.size() * 2;
    std::vector<std::uint8_t> out = {0x00,
                                     0x0a,
                                     static_cast<std::uint8_t>((list + 2) >> 8),
                                     static_cast<std::uint8_t>(list + 2),
                                     static_cast<std::uint8_t>(list >> 8),
                                     static_cast<std::uint8_t>(list)};
    for (auto group : groups) {
        out.push_back(static_cast<std::uint8_t>(group >> 8));
        out.push_back(static_cast<std::uint8_t>(group));
    }
    out.insert(out.end(), {0x00, 0x00, 0x00, 0x03, 0xaa, 0xbb, 0xcc});
    if (!psk_modes.empty()) {
        out.insert(out.end(), {0x00, 0x2d, 0x00, static_cast<std::uint8_t>(psk_modes.size() + 1),
                               static_cast<std::uint8_t>(psk_modes.size())});
        out.insert(out.end(), psk_modes.begin(), psk_modes.end());
    }
    return out;
}

TEST(ClientHello, CipherSuites) {
    const auto record = client_hello({0x1302, 0x1303, 0x1301});
    const auto suites = suites_of(record);
    ASSERT_TRUE(suites.has_value());
    EXPECT_EQ(*suites, (std::vector<std::uint16_t>{0x1302, 0x1303, 0x1301}));
    const auto no_session_id = client_hello({0x1304}, 0);
    EXPECT_EQ(suites_of(no_session_id), (std::vector<std::uint16_t>{0x1304}));
}

TEST(ClientHello, SplitAcrossRecords) {
    const auto whole = client_hello({0x1301, 0x1302});
    // Re-frame the handshake bytes as two records of 20 and the rest.
    const std::vector<std::uint8_t> handshake(whole.begin() + 5, whole.end());
    std::vector<std::uint8_t> two = {0x16, 0x03, 0x01, 0x00, 20};
    two.insert(two.end(), handshake.begin(), handshake.begin() + 20);
    const std::size_t rest = handshake.size() - 20;
    two.insert(two.end(), {0x16, 0x03, 0x01, static_cast<std::uint8_t>(rest >> 8),
                           static_cast<std::uint8_t>(rest)});
    two.insert(two.end(), handshake.begin() + 20, handshake.end());
    EXPECT_EQ(suites_of(two), (std::vector<std::uint16_t>{0x1301, 0x1302}));
}

TEST(ClientHello, TruncatedOrMalformed) {
    const auto record = client_hello({0x1301, 0x1302});
    // Every prefix that cuts into the suites is refused; from the end of the suites on it parses.
    const std::size_t suites_end = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 4;
    for (std::size_t size = 0; size < record.size(); ++size) {
        const auto suites = suites_of(record, size);
        EXPECT_EQ(suites.has_value(), size >= suites_end) << size;
    }
    auto bad = record;
    bad[0] = 0x17;  // not a handshake record
    EXPECT_FALSE(suites_of(bad).has_value());
    bad = record;
    bad[5] = 0x02;  // ServerHello
    EXPECT_FALSE(suites_of(bad).has_value());
    bad = record;
    bad[5 + 4 + 2 + 32] = 33;  // session id too long
    EXPECT_FALSE(suites_of(bad).has_value());
    bad = record;
    bad[5 + 4 + 2 + 32 + 1 + 32 + 1] = 3;  // odd suites length
    EXPECT_FALSE(suites_of(bad).has_value());
    EXPECT_FALSE(read_client_hello(nullptr, 10).has_value());
}

TEST(ClientHello, SupportedGroupsAndPskModes) {
    const auto record = client_hello({0x1301}, 32, extensions({0x11ec, 0x001d, 0x0017}, {0, 1}));
    const auto offer = read_client_hello(record.data(), record.size());
    ASSERT_TRUE(offer.has_value());
    EXPECT_TRUE(offer->complete);
    EXPECT_EQ(offer->cipher_suites, (std::vector<std::uint16_t>{0x1301}));
    EXPECT_EQ(offer->supported_groups, (std::vector<std::uint16_t>{0x11ec, 0x001d, 0x0017}));
    EXPECT_TRUE(offer->offers_psk_ke);
    EXPECT_TRUE(offer->offers_psk_dhe_ke);

    const auto dhe_only = client_hello({0x1301}, 32, extensions({0x0018}, {1}));
    EXPECT_FALSE(read_client_hello(dhe_only.data(), dhe_only.size())->offers_psk_ke);
    EXPECT_TRUE(read_client_hello(dhe_only.data(), dhe_only.size())->offers_psk_dhe_ke);
    const auto ke_only = client_hello({0x1301}, 32, extensions({0x0018}, {0}));
    EXPECT_TRUE(read_client_hello(ke_only.data(), ke_only.size())->offers_psk_ke);
    EXPECT_FALSE(read_client_hello(ke_only.data(), ke_only.size())->offers_psk_dhe_ke);
    // No extensions at all: complete, the suites, but no groups.
    const auto none = client_hello({0x1301});
    const auto bare = read_client_hello(none.data(), none.size());
    ASSERT_TRUE(bare.has_value());
    EXPECT_TRUE(bare->complete);
    EXPECT_FALSE(bare->supported_groups.has_value());
}

TEST(ClientHello, GroupsOnlyFromACompleteWellFormedExtensionBlock) {
    const auto record = client_hello({0x1301}, 32, extensions({0x001d}, {1}));
    // Cut anywhere before the end: the suites may parse, the groups never do.
    for (std::size_t size = 0; size < record.size(); ++size) {
        const auto offer = read_client_hello(record.data(), size);
        EXPECT_FALSE(offer && (offer->complete || offer->supported_groups)) << size;
    }
    // An odd group list, a list longer than its extension, and a repeated extension.
    auto odd = extensions({0x001d}, {});
    odd[5] = 3;
    auto long_list = extensions({0x001d}, {});
    long_list[5] = 4;
    auto twice = extensions({0x001d}, {});
    const auto again = extensions({0x0017}, {});
    twice.insert(twice.end(), again.begin(), again.end());
    for (const auto& bad : {odd, long_list, twice}) {
        const auto hello = client_hello({0x1301}, 32, bad);
        const auto offer = read_client_hello(hello.data(), hello.size());
        ASSERT_TRUE(offer.has_value());
        EXPECT_FALSE(offer->supported_groups.has_value());
    }
}

TEST(ClientHello, MalformedExtensionsLeaveTheDecisionToWolfSsl) {
    // An empty supported_groups list (RFC 8446 4.2.7 wants at least one group).
    const auto empty = client_hello({0x1301}, 32, extensions({}, {1}));
    const auto offer = read_client_hello(empty.data(), empty.size());
    ASSERT_TRUE(offer && offer->complete);
    EXPECT_FALSE(offer->supported_groups.has_value());
    // Bytes after the extensions block, inside the message: the block is 7 bytes shorter than
    // the message says (the trailing server_name extension becomes stray bytes).
    auto trailing = client_hello({0x1301}, 32, extensions({0x001d}, {}));
    constexpr std::size_t kExtensionsLength = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 2 + 2;
    trailing[kExtensionsLength + 1] =
        static_cast<std::uint8_t>(trailing[kExtensionsLength + 1] - 7);
    const auto stray = read_client_hello(trailing.data(), trailing.size());
    ASSERT_TRUE(stray && stray->complete);
    EXPECT_FALSE(stray->supported_groups.has_value());
}

TEST(ClientHello, KeyShareExtensionIsSeen) {
    auto with_share = extensions({0x001d}, {0, 1});
    with_share.insert(with_share.end(), {0x00, 0x33, 0x00, 0x02, 0x00, 0x00});  // key_share, empty
    const auto record = client_hello({0x1301}, 32, with_share);
    const auto offer = read_client_hello(record.data(), record.size());
    ASSERT_TRUE(offer && offer->supported_groups);
    EXPECT_TRUE(offer->sends_key_share);
    const auto without = client_hello({0x1301}, 32, extensions({0x001d}, {0, 1}));
    EXPECT_FALSE(read_client_hello(without.data(), without.size())->sends_key_share);
}

TEST(ClientHello, CompleteByTheHeadersAlone) {
    const auto record = client_hello({0x1301}, 32, extensions({0x001d}, {1}));
    for (std::size_t size = 0; size < record.size(); ++size) {
        EXPECT_FALSE(client_hello_complete(record.data(), size)) << size;
    }
    EXPECT_TRUE(client_hello_complete(record.data(), record.size()));
    EXPECT_FALSE(client_hello_complete(nullptr, 0));
    // The same message cut into two records is complete only with both.
    const std::size_t first = 40;
    std::vector<std::uint8_t> split = {0x16, 0x03, 0x01, 0x00, static_cast<std::uint8_t>(first)};
    split.insert(split.end(), record.begin() + 5, record.begin() + 5 + first);
    const std::size_t rest = record.size() - 5 - first;
    split.insert(split.end(), {0x16, 0x03, 0x01, static_cast<std::uint8_t>(rest >> 8),
                               static_cast<std::uint8_t>(rest)});
    split.insert(split.end(), record.begin() + 5 + first, record.end());
    EXPECT_FALSE(client_hello_complete(split.data(), split.size() - 1));
    EXPECT_TRUE(client_hello_complete(split.data(), split.size()));
    // A whole handshake message that is not a ClientHello.
    auto server_hello = record;
    server_hello[5] = 0x02;
    EXPECT_FALSE(client_hello_complete(server_hello.data(), server_hello.size()));
}

// Found by client_hello_fuzz: a record the reader could not take after a complete ClientHello
// made the whole read fail, so the answer depended on where the peer's bytes happened to end.
TEST(ClientHello, BytesAfterACompleteHelloChangeNothing) {
    const auto record = client_hello({0x1301}, 32, extensions({0x001d}, {1}));
    const auto alone = read_client_hello(record.data(), record.size());
    ASSERT_TRUE(alone && alone->complete);
    for (const std::vector<std::uint8_t>& tail : std::vector<std::vector<std::uint8_t>>{
             {0x16, 0x03, 0x01, 0x00, 0x00}, {0x16, 0x03, 0x01, 0xff, 0xff}, {0x14, 0x03}}) {
        auto longer = record;
        longer.insert(longer.end(), tail.begin(), tail.end());
        const auto offer = read_client_hello(longer.data(), longer.size());
        ASSERT_TRUE(offer.has_value());
        EXPECT_EQ(offer->cipher_suites, alone->cipher_suites);
        EXPECT_EQ(offer->supported_groups, alone->supported_groups);
        EXPECT_EQ(offer->offers_psk_dhe_ke, alone->offers_psk_dhe_ke);
    }
}

}  // namespace
}  // namespace handshaked::tls
