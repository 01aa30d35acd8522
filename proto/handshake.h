// SPDX-License-Identifier: GPL-2.0-or-later
// The plain data the rest of the daemon works with. netlink/ turns the kernel's ACCEPT reply
// into a HandshakeRequest and a HandshakeResult into DONE; nothing outside netlink/ sees nlattr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/failure.h"
#include "proto/family.h"

namespace handshaked {

using KeySerial = std::int32_t;  // key_serial_t; 0 means "none" (TLS_NO_PEERID, TLS_NO_CERT, ...)

enum class Role : std::uint8_t { kClient, kServer };
enum class AuthMode : std::uint8_t { kUnauthenticated, kPsk, kX509 };

struct HandshakeRequest {
    int sockfd = -1;  // installed in this process by the kernel; owned by whoever holds the job
    Role role = Role::kClient;
    AuthMode auth = AuthMode::kUnauthenticated;
    std::optional<std::uint32_t> timeout_ms;  // absent: the consumer set none
    std::vector<KeySerial> peer_identities;   // PSK serials, in the kernel's order
    KeySerial certificate = 0;                // x509: key serial of a DER certificate, 0 = config
    KeySerial private_key = 0;                // x509: key serial of a DER private key, 0 = config
    std::optional<std::string> peername;      // host name or address literal for SNI/verification
    std::optional<KeySerial> keyring;         // consumer keyring (kernel >= 6.17)
};

struct HandshakeResult {
    int sockfd = -1;
    HandshakeFailure failure = ErrorCause::kLocalFault;
    std::vector<KeySerial> remote_auth;  // sent only when failure == kNone

    std::uint32_t status() const { return done_status(failure); }
};

std::string_view role_name(Role role);
std::string_view auth_mode_name(AuthMode mode);

}  // namespace handshaked
