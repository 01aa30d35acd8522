// SPDX-License-Identifier: GPL-2.0-or-later
// Which keyring an ACCEPT linked: the isolation bookkeeping of a long-lived process
// (service/README.md). Linking and unlinking are keyctl calls exercised in the VM
// (keyring-isolation scenario).
#include <gtest/gtest.h>
#include <keyutils.h>

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

TEST(AcceptKeyringScope, AnAcceptThatLinkedNothingLetsTheNextOneRunAtOnce) {
    RequestKeyringLinks links;
    AcceptKeyringScope scope(links);
    EXPECT_FALSE(links.accept_mutex().try_lock());
    EXPECT_TRUE(scope.release_if_nothing_linked());
    ASSERT_TRUE(links.accept_mutex().try_lock());
    links.accept_mutex().unlock();
    EXPECT_FALSE(scope.release_if_nothing_linked());  // once
}

TEST(AcceptKeyringScope, AnAcceptThatLinkedAKeyringHoldsTheMutexUntilItIsUnlinked) {
    // What the kernel does during ACCEPT, done by hand: a keyring linked into the process keyring.
    if (keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING, 1) < 0)
        GTEST_SKIP() << "no process keyring here";
    RequestKeyringLinks links;
    std::optional<AcceptKeyringScope> scope(links);
    const key_serial_t request_keyring =
        add_key("keyring", "handshaked-test-request", nullptr, 0, KEY_SPEC_PROCESS_KEYRING);
    ASSERT_GT(request_keyring, 0);
    EXPECT_EQ(scope->links_added(), std::vector<KeySerial>{request_keyring});
    EXPECT_FALSE(scope->release_if_nothing_linked());
    EXPECT_FALSE(links.accept_mutex().try_lock());
    scope.reset();  // unlinks, then lets the next ACCEPT run
    EXPECT_TRUE(RequestKeyringLinks::process_keyring_contents().empty());
    ASSERT_TRUE(links.accept_mutex().try_lock());
    links.accept_mutex().unlock();
}

}  // namespace
}  // namespace handshaked::keys
