// SPDX-License-Identifier: GPL-2.0-or-later
// What the start-up check found, facility by facility, and how it waits out transient errors.
// The daemon runs the probes; this turns their answers into the one line that STATUS=, the log
// and the D-Bus KernelSupport property show, and decides what is fatal.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "netlink/genl_socket.h"
#include "service/ktls/probe.h"

namespace handshaked {

struct KernelFacilities {
    netlink::KernelFamily family;
    ktls::UlpProbe ktls;
    bool net_admin = false;  // CAP_NET_ADMIN in the effective set: ACCEPT needs it
    std::string keyrings;    // "ok" once the session and process keyrings are set up
};

// "family handshake (id 36), group tlshd (9), DONE policy probed (remote-auth yes, tag no),
// kTLS loaded, keyutils ok, CAP_NET_ADMIN yes"
std::string describe_facilities(const KernelFacilities& found);

// The first facility that makes serving impossible, or nothing. A kernel without kTLS is
// kUnsupportedKernel (like one without the family: restarting will not help).
Result<void> require_facilities(const KernelFacilities& found);

// Between attempts at a transient start-up error: 100 ms, doubling, at most 10 s.
std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous);

// Waits before the next attempt; returns false to give up (the service is being stopped).
using BackoffWait = std::function<bool(std::chrono::milliseconds delay, const Error& why)>;

// Runs attempt until it succeeds or fails with anything but a transient netlink error
// (ErrorCause::kNetlink); between transient failures it calls wait. Gives up with
// kShuttingDown when wait says so.
Result<netlink::KernelFamily> discover_with_backoff(
    const std::function<Result<netlink::KernelFamily>()>& attempt, const BackoffWait& wait);

}  // namespace handshaked
