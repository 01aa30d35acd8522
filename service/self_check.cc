// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/self_check.h"

#include <algorithm>

namespace handshaked {

std::string describe_facilities(const KernelFacilities& found) {
    return found.family.describe() + ", kTLS " + found.ktls.describe() + ", keyutils " +
           found.keyrings + ", CAP_NET_ADMIN " + (found.net_admin ? "yes" : "no");
}

Result<void> require_facilities(const KernelFacilities& found) {
    if (!found.net_admin) {
        return make_error(ErrorCause::kLocalFault,
                          "the process lacks CAP_NET_ADMIN, which the kernel requires for ACCEPT "
                          "(run as root, or AmbientCapabilities=CAP_NET_ADMIN in the unit)");
    }
    if (!found.ktls.usable()) {
        return make_error(ErrorCause::kUnsupportedKernel,
                          "the kernel has no kTLS: the 'tls' TCP ULP is neither loaded nor "
                          "loadable (CONFIG_TLS; modprobe tls)");
    }
    return {};
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous) {
    constexpr std::chrono::milliseconds kFirst{100};
    constexpr std::chrono::milliseconds kLongest{10'000};
    if (previous < kFirst) return kFirst;
    return std::min(previous * 2, kLongest);
}

Result<netlink::KernelFamily> discover_with_backoff(
    const std::function<Result<netlink::KernelFamily>()>& attempt, const BackoffWait& wait) {
    std::chrono::milliseconds delay{0};
    for (;;) {
        auto family = attempt();
        if (family || family.error().cause != ErrorCause::kNetlink) return family;
        delay = next_backoff(delay);
        if (!wait(delay, family.error())) {
            return make_error(ErrorCause::kShuttingDown,
                              "stopped while retrying: " + family.error().message);
        }
    }
}

}  // namespace handshaked
