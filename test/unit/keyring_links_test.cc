// SPDX-License-Identifier: GPL-2.0-or-later
// Which keyring an ACCEPT linked: the isolation bookkeeping of a long-lived process
// (service/README.md). Linking and unlinking are keyctl calls exercised in the VM
// (keyring-isolation scenario).
#include <gtest/gtest.h>

#include "service/keys/keyutils_key_store.h"

namespace handshaked::keys {
namespace {

TEST(RequestKeyringLinks, TheLinkAnAcceptAddedIsTheRequestsKeyring) {
    EXPECT_EQ(RequestKeyringLinks::added_links({10, 20}, {10, 20, 30}), std::vector<KeySerial>{30});
}

TEST(RequestKeyringLinks, NothingAddedWhenNoKeyringWasPassed) {
    EXPECT_TRUE(RequestKeyringLinks::added_links({10}, {10}).empty());
    EXPECT_TRUE(RequestKeyringLinks::added_links({}, {}).empty());
}

TEST(RequestKeyringLinks, ALinkThatDisappearedIsNotAdded) {
    EXPECT_EQ(RequestKeyringLinks::added_links({10, 20}, {20, 25}), std::vector<KeySerial>{25});
}

}  // namespace
}  // namespace handshaked::keys
