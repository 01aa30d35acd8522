// SPDX-License-Identifier: GPL-2.0-or-later
// TLS alerts and how wolfSSL's errors and the peer's alerts map to the ErrorCause a job reports:
// the engine's one place for this. Internal to service/tls/wolfssl/.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/failure.h"
#include "proto/handshake.h"

namespace handshaked::tls::wolf {

inline constexpr std::uint8_t kAlertHandshakeFailure = 40;
inline constexpr std::uint8_t kAlertAccessDenied = 49;
inline constexpr std::uint8_t kAlertDecodeError = 50;
inline constexpr std::uint8_t kAlertDecryptError = 51;
inline constexpr std::uint8_t kAlertProtocolVersion = 70;
inline constexpr std::uint8_t kAlertInternalError = 80;
inline constexpr std::uint8_t kAlertUnknownPskIdentity = 115;

// RFC 8446's name of an alert description ("alert" for one it does not define).
std::string_view alert_name(int code);
// A fatal alert the peer sent us.
ErrorCause failure_for_received_alert(int code, Role role);
// A wolfSSL/wolfCrypt error code that was not a received alert or a socket problem.
ErrorCause failure_for_error(int error);
// Which plaintext alert a server sends when wolfSSL failed before its first flight (wolfSSL's
// own, held back by the session's send callback, is the fallback).
std::uint8_t alert_for_failure(ErrorCause failure, int error,
                               std::optional<std::uint8_t> wolfssl_alert);
// Socket errors that mean "the peer or the path to it went away" rather than a local fault.
bool is_peer_gone_errno(int err);

}  // namespace handshaked::tls::wolf
