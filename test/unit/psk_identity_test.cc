// SPDX-License-Identifier: GPL-2.0-or-later
// NVMe PSK identities and the hash each PSK is used with (service/tls/psk_identity.h).
#include "service/tls/psk_identity.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace handshaked::tls
