// SPDX-License-Identifier: GPL-2.0-or-later
// Which keyrings a request holds after its ACCEPT: the isolation bookkeeping of a long-lived
// process (service/README.md). The unlink itself is a keyctl call exercised in the VM.
#include <gtest/gtest.h>

#include "service/keys/keyutils_key_store.h"

namespace handshaked::keys {
namespace {

TEST(RequestKeyringLinks, HoldsWhatTheAcceptLinked) {
    RequestKeyringLinks links;
    auto held = links.hold_linked({10, 20}, {10, 20, 30});
    EXPECT_EQ(held, std::vector<KeySerial>{30});
}

TEST(RequestKeyringLinks, NothingNewNothingHeld) {
    RequestKeyringLinks links;
    EXPECT_TRUE(links.hold_linked({10}, {10}).empty());
}

TEST(RequestKeyringLinks, ASecondRequestOfTheSameConsumerAlsoHoldsTheLink) {
    // The kernel does not link a keyring twice: the second ACCEPT shows no new link, but the
    // second request still needs the keyring after the first one finishes.
    RequestKeyringLinks links;
    auto first = links.hold_linked({}, {30});
    auto second = links.hold_linked({30}, {30});
    EXPECT_EQ(first, std::vector<KeySerial>{30});
    EXPECT_EQ(second, std::vector<KeySerial>{30});
    links.release(first);
    // Still held by the second request: a third request that sees it already linked holds it too.
    EXPECT_EQ(links.hold_linked({30}, {30}), std::vector<KeySerial>{30});
}

TEST(RequestKeyringLinks, UnrelatedExistingLinksAreNotHeld) {
    RequestKeyringLinks links;
    links.hold_linked({}, {30});
    // 40 was linked before and nobody holds it: not this request's.
    EXPECT_EQ(links.hold_linked({30, 40}, {30, 40, 50}), (std::vector<KeySerial>{30, 50}));
}

}  // namespace
}  // namespace handshaked::keys
