// SPDX-License-Identifier: GPL-2.0-or-later
// Why a handshake did not succeed, and the one table that turns that into the DONE status the
// kernel consumer receives. Nothing else in the project chooses an errno for DONE.
#pragma once

#include <cstdint>
#include <string_view>

namespace handshaked {

enum class Failure : std::uint8_t {
    kNone = 0,            // success: handshake done and kTLS programmed both ways
    kAuthentication,      // peer rejected us, or we rejected the peer (cert, PSK binder, alert)
    kProtocol,            // malformed or unsupported TLS from the peer (wrong version, garbage)
    kPeerClosed,          // TCP EOF / reset during the handshake
    kTimeout,             // the request's deadline passed
    kUnknownPskIdentity,  // the peer told us our PSK identity is unknown
    kMissingCredentials,  // no certificate/key/PSK to use for this request (local config)
    kLocalFault,          // anything broken on our side: keyring read, kTLS, memory, netlink
    kNotTcp,              // the kernel handed us a socket that is not TCP
    kBadRequest,          // the ACCEPT reply asked for something we cannot do (unknown mode)
    kShuttingDown,        // the daemon is stopping; the consumer may retry with another agent
};

// The kernel's DONE status (positive errno) for a failure. The single place this mapping lives.
std::uint32_t done_status(Failure failure);

// A stable, lower-case name for logs, D-Bus and tests ("authentication", "timeout", ...).
std::string_view failure_name(Failure failure);

// The errno name ("EACCES") for a DONE status, for humans; "E?" followed by nothing for unknown.
std::string_view errno_name(std::uint32_t status);

}  // namespace handshaked
