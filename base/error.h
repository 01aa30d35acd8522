// SPDX-License-Identifier: GPL-2.0-or-later
// The one error type of the service: what went wrong, as a plain category, and a message for the
// log (never key material). Whether and how an error reaches the kernel is not decided here:
// only a handshake's outcome becomes a DONE status, in proto/failure.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace handshaked {

enum class ErrorCause : std::uint8_t {
    // Causes a handshake can end with (the job reports them in DONE).
    kAuthentication = 1,  // peer rejected us, or we rejected the peer (cert, PSK binder, alert)
    kProtocol,            // malformed or unsupported TLS from the peer (wrong version, garbage)
    kPeerClosed,          // TCP EOF / reset during the handshake
    kTimeout,             // the request's deadline passed
    kUnknownPskIdentity,  // the peer told us our PSK identity is unknown
    kMissingCredentials,  // no certificate/key/PSK to use for this request (local config)
    kLocalFault,          // something broke on our side: keyring read, kTLS, memory, a syscall
    kNotTcp,              // the kernel handed us a socket that is not TCP
    kBadRequest,          // the kernel's request is malformed or asks for what we cannot do
    kShuttingDown,        // the daemon is stopping; the consumer may retry with another agent
    // Causes outside any handshake: they stop a start, a reload or a call, never a DONE.
    kConfig,   // a configuration file, or a file it names, is unusable
    kBus,      // D-Bus set-up or a D-Bus call
    kNetlink,  // the handshake family: resolving, joining, ACCEPT/DONE transport; transient
    kUnsupportedKernel,  // the running kernel lacks the upcall or kTLS: waiting will not help
};
inline constexpr ErrorCause kLastErrorCause = ErrorCause::kUnsupportedKernel;

struct Error {
    ErrorCause cause = ErrorCause::kLocalFault;
    std::string message;
};

// The one spelling for making an error.
inline Error make_error(ErrorCause cause, std::string message) {
    return Error{cause, std::move(message)};
}

// A stable, lower-case name for logs, D-Bus and tests ("authentication", "config", ...).
std::string_view cause_name(ErrorCause cause);

}  // namespace handshaked
