// SPDX-License-Identifier: GPL-2.0-or-later
// Whether the kernel can do kTLS at all, asked once at start-up: a kernel without it must be a
// clear error then, not a failed handshake (EIO after the whole TLS exchange) later.
#pragma once

#include <string>

namespace handshaked::ktls {

struct UlpProbe {
    enum class State {
        kLoaded,     // "tls" was in tcp_available_ulp already
        kLoadedNow,  // the kernel loaded the tls module on our request
        kMissing,    // no "tls" ULP, and none could be loaded
        kUnknown,    // the probe itself failed; handshakes will tell
    };
    State state = State::kUnknown;
    std::string detail;  // for kUnknown: the errno text

    bool usable() const { return state != State::kMissing; }
    // "loaded", "loaded now", "missing", "unknown (...)"
    std::string describe() const;
};

// Asks for the "tls" TCP ULP on a fresh, unconnected socket. The kernel loads the module on this
// request (it asks modprobe for "tcp-ulp-tls", with CAP_NET_ADMIN) and then refuses the
// unconnected socket with ENOTCONN: that answer means kTLS is there; ENOENT means it is not.
UlpProbe probe_tls_ulp();

}  // namespace handshaked::ktls
