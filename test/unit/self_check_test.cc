// SPDX-License-Identifier: GPL-2.0-or-later
// The start-up check: one line naming every facility, which findings stop the start (and with
// which cause, since that decides exit 3, "do not restart"), and the back-off that waits out
// transient netlink errors without ever turning them into exit 3.
#include <gtest/gtest.h>

#include <vector>

#include "service/self_check.h"

namespace handshaked {
namespace {

using std::chrono::milliseconds;

KernelFacilities healthy_kernel() {
    KernelFacilities found;
    found.family.family_id = 36;
    found.family.tlshd_group = 9;
    found.family.policy_probed = true;
    found.family.done.remote_auth = true;
    found.ktls.state = ktls::UlpProbe::State::kLoaded;
    found.net_admin = true;
    found.keyrings = "ok";
    return found;
}

TEST(SelfCheck, OneLineNamesEveryFacility) {
    EXPECT_EQ(describe_facilities(healthy_kernel()),
              "family handshake (id 36), group tlshd (9), DONE policy probed (remote-auth yes, "
              "tag no), kTLS loaded, keyutils ok, CAP_NET_ADMIN yes");
    auto found = healthy_kernel();
    found.family.policy_probed = false;
    found.ktls.state = ktls::UlpProbe::State::kLoadedNow;
    const auto line = describe_facilities(found);
    EXPECT_NE(line.find("DONE policy not dumped by this kernel, mainline assumed"),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("kTLS loaded now"), std::string::npos) << line;
}

TEST(SelfCheck, HealthyKernelStarts) { EXPECT_TRUE(require_facilities(healthy_kernel())); }

TEST(SelfCheck, NoKtlsIsAnUnsupportedKernel) {
    auto found = healthy_kernel();
    found.ktls.state = ktls::UlpProbe::State::kMissing;
    auto usable = require_facilities(found);
    ASSERT_FALSE(usable);
    EXPECT_EQ(usable.error().cause, ErrorCause::kUnsupportedKernel);
    EXPECT_NE(usable.error().message.find("no kTLS"), std::string::npos);
}

TEST(SelfCheck, AnUnansweredKtlsProbeDoesNotStopTheStart) {
    auto found = healthy_kernel();
    found.ktls.state = ktls::UlpProbe::State::kUnknown;
    found.ktls.detail = "socket: Address family not supported by protocol";
    EXPECT_TRUE(require_facilities(found));
    EXPECT_NE(describe_facilities(found).find("kTLS unknown (socket: Address family"),
              std::string::npos);
}

TEST(SelfCheck, MissingNetAdminIsALocalFaultNotUnsupported) {
    auto found = healthy_kernel();
    found.net_admin = false;
    auto usable = require_facilities(found);
    ASSERT_FALSE(usable);
    EXPECT_EQ(usable.error().cause, ErrorCause::kLocalFault);
    EXPECT_NE(usable.error().message.find("CAP_NET_ADMIN"), std::string::npos);
}

TEST(SelfCheck, BackoffDoublesFrom100MsUpTo10s) {
    std::vector<long> delays;
    milliseconds delay{0};
    for (int i = 0; i < 10; ++i) delays.push_back((delay = next_backoff(delay)).count());
    EXPECT_EQ(delays,
              (std::vector<long>{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000}));
}

TEST(SelfCheck, TransientNetlinkErrorsAreRetriedUntilTheFamilyIsFound) {
    int attempts = 0;
    std::vector<long> waited;
    auto family = discover_with_backoff(
        [&]() -> Result<netlink::KernelFamily> {
            if (++attempts < 4) return make_error(ErrorCause::kNetlink, "netlink: busy");
            netlink::KernelFamily found;
            found.family_id = 36;
            return found;
        },
        [&](milliseconds delay, const Error& why) {
            EXPECT_EQ(why.message, "netlink: busy");
            waited.push_back(delay.count());
            return true;
        });
    ASSERT_TRUE(family);
    EXPECT_EQ(family->family_id, 36);
    EXPECT_EQ(attempts, 4);
    EXPECT_EQ(waited, (std::vector<long>{100, 200, 400}));
}

TEST(SelfCheck, NoFamilyIsNotRetried) {
    int attempts = 0;
    auto family = discover_with_backoff(
        [&]() -> Result<netlink::KernelFamily> {
            ++attempts;
            return make_error(ErrorCause::kUnsupportedKernel, "no 'handshake' family");
        },
        [](milliseconds, const Error&) {
            ADD_FAILURE() << "waited for an error that waiting cannot mend";
            return true;
        });
    ASSERT_FALSE(family);
    EXPECT_EQ(family.error().cause, ErrorCause::kUnsupportedKernel);
    EXPECT_EQ(attempts, 1);
}

TEST(SelfCheck, AStopDuringTheWaitEndsTheRetries) {
    int attempts = 0;
    auto family = discover_with_backoff(
        [&]() -> Result<netlink::KernelFamily> {
            ++attempts;
            return make_error(ErrorCause::kNetlink, "netlink: no answer");
        },
        [](milliseconds, const Error&) { return false; });
    ASSERT_FALSE(family);
    EXPECT_EQ(family.error().cause, ErrorCause::kShuttingDown);
    EXPECT_EQ(attempts, 1);
}

}  // namespace
}  // namespace handshaked
