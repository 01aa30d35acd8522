// SPDX-License-Identifier: GPL-2.0-or-later
// A handshake's outcome and the one table that turns it into the DONE status the kernel consumer
// receives. Nothing else in the project chooses an errno for DONE.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/error.h"

namespace handshaked {

// Empty when the handshake succeeded (kTLS programmed both ways), else why it did not.
using HandshakeFailure = std::optional<ErrorCause>;

// The kernel's DONE status (positive errno, 0 on success) for a handshake's outcome.
std::uint32_t done_status(HandshakeFailure failure);

// "ok" on success, else the cause's name: what logs, D-Bus and the history show.
std::string_view failure_name(HandshakeFailure failure);

// The errno name ("EACCES") for a DONE status, for humans; "E?" for one outside the table.
std::string_view errno_name(std::uint32_t status);

}  // namespace handshaked
