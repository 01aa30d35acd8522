// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/psk_identity.h"

#include <gtest/gtest.h>

#include "service/tls/client_hello.h"
#include "service/tls/peername.h"

namespace handshaked::tls {
namespace {

TEST(PskIdentity, NvmeIdentitiesChooseTheHash) {
    EXPECT_EQ(nvme_psk_hash("NVMe0R01 nqn.host nqn.subsys"), PskHash::kSha256);
    EXPECT_EQ(nvme_psk_hash("NVMe0G02 nqn.host nqn.subsys"), PskHash::kSha384);
    EXPECT_EQ(nvme_psk_hash("NVMe1R01 nqn.host nqn.subsys digest=="), PskHash::kSha256);
    EXPECT_EQ(nvme_psk_hash("NVMe1G02 nqn.host nqn.subsys digest=="), PskHash::kSha384);
    EXPECT_EQ(nvme_psk_hash("NVMe0R01"), PskHash::kSha256);
}

TEST(PskIdentity, NvmeIdentitiesWithOtherHashesAreRejected) {
    for (const char* id : {"NVMe0R00 h s", "NVMe0R03 h s", "NVMe1G10 h s", "NVMe0R99 h s"}) {
        EXPECT_TRUE(parse_nvme_psk_identity(id).has_value()) << id;
        EXPECT_EQ(nvme_psk_hash(id), std::nullopt) << id;
        EXPECT_EQ(psk_hash_for(id, 32), std::nullopt) << id;
        EXPECT_EQ(psk_hash_for(id, 48), std::nullopt) << id;
    }
}

TEST(PskIdentity, ParsedFields) {
    const auto parsed = parse_nvme_psk_identity("NVMe1G02 host subsys digest");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->version, 1u);
    EXPECT_EQ(parsed->type, 'G');
    EXPECT_EQ(parsed->hash, 2u);
}

TEST(PskIdentity, NotNvmeShaped) {
    for (const char* id :
         {"", "NVMe", "NVMe0R0", "nvme0R01 h s", "NVMe0X01 h s", "NVMeAR01 h s", "NVMe0R1x h s",
          "NVMe0R012 h s", "NVMe0R01:h s", " NVMe0R01 h s", "plain"}) {
        EXPECT_FALSE(parse_nvme_psk_identity(id).has_value()) << '"' << id << '"';
        EXPECT_EQ(nvme_psk_hash(id), std::nullopt) << id;
    }
    // Embedded NUL: the first 8 characters are NVMe-shaped, the 9th is not a space.
    EXPECT_FALSE(parse_nvme_psk_identity(std::string_view("NVMe0R01\0x", 10)).has_value());
}

TEST(PskIdentity, OtherIdentitiesGoByKeyLength) {
    EXPECT_EQ(psk_hash_for("nfs", 48), PskHash::kSha384);
    EXPECT_EQ(psk_hash_for("nfs", 32), PskHash::kSha256);
    EXPECT_EQ(psk_hash_for("nfs", 16), PskHash::kSha256);
    EXPECT_EQ(psk_hash_for("nfs", 64), PskHash::kSha256);
    // The NVMe field wins over the length.
    EXPECT_EQ(psk_hash_for("NVMe0R01 h s", 48), PskHash::kSha256);
    EXPECT_EQ(psk_hash_for("NVMe0R02 h s", 32), PskHash::kSha384);
}

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

// A ClientHello record: header, handshake header, version, random, session id, suites, then
// compression methods and an empty extensions block.
std::vector<std::uint8_t> client_hello(const std::vector<std::uint16_t>& suites,
                                       std::size_t session_id = 32) {
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
    body.insert(body.end(), {0x01, 0x00, 0x00, 0x00});
    std::vector<std::uint8_t> handshake = {0x01, 0, static_cast<std::uint8_t>(body.size() >> 8),
                                           static_cast<std::uint8_t>(body.size())};
    handshake.insert(handshake.end(), body.begin(), body.end());
    std::vector<std::uint8_t> record = {0x16, 0x03, 0x01,
                                        static_cast<std::uint8_t>(handshake.size() >> 8),
                                        static_cast<std::uint8_t>(handshake.size())};
    record.insert(record.end(), handshake.begin(), handshake.end());
    return record;
}

TEST(ClientHello, CipherSuites) {
    const auto record = client_hello({0x1302, 0x1303, 0x1301});
    const auto suites = client_hello_cipher_suites(record.data(), record.size());
    ASSERT_TRUE(suites.has_value());
    EXPECT_EQ(*suites, (std::vector<std::uint16_t>{0x1302, 0x1303, 0x1301}));
    const auto no_session_id = client_hello({0x1304}, 0);
    EXPECT_EQ(client_hello_cipher_suites(no_session_id.data(), no_session_id.size()),
              (std::vector<std::uint16_t>{0x1304}));
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
    EXPECT_EQ(client_hello_cipher_suites(two.data(), two.size()),
              (std::vector<std::uint16_t>{0x1301, 0x1302}));
}

TEST(ClientHello, TruncatedOrMalformed) {
    const auto record = client_hello({0x1301, 0x1302});
    // Every prefix that cuts into the suites is refused; from the end of the suites on it parses.
    const std::size_t suites_end = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 4;
    for (std::size_t size = 0; size < record.size(); ++size) {
        const auto suites = client_hello_cipher_suites(record.data(), size);
        EXPECT_EQ(suites.has_value(), size >= suites_end) << size;
    }
    auto bad = record;
    bad[0] = 0x17;  // not a handshake record
    EXPECT_FALSE(client_hello_cipher_suites(bad.data(), bad.size()).has_value());
    bad = record;
    bad[5] = 0x02;  // ServerHello
    EXPECT_FALSE(client_hello_cipher_suites(bad.data(), bad.size()).has_value());
    bad = record;
    bad[5 + 4 + 2 + 32] = 33;  // session id too long
    EXPECT_FALSE(client_hello_cipher_suites(bad.data(), bad.size()).has_value());
    bad = record;
    bad[5 + 4 + 2 + 32 + 1 + 32 + 1] = 3;  // odd suites length
    EXPECT_FALSE(client_hello_cipher_suites(bad.data(), bad.size()).has_value());
    EXPECT_FALSE(client_hello_cipher_suites(nullptr, 10).has_value());
}

}  // namespace
}  // namespace handshaked::tls
