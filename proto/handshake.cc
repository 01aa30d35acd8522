// SPDX-License-Identifier: GPL-2.0-or-later
#include "proto/handshake.h"

namespace handshaked {

std::string_view role_name(Role role) { return role == Role::kClient ? "client" : "server"; }

std::string_view auth_mode_name(AuthMode mode) {
    switch (mode) {
        case AuthMode::kUnauthenticated: return "unauth";
        case AuthMode::kPsk: return "psk";
        case AuthMode::kX509: return "x509";
    }
    return "?";
}

}  // namespace handshaked
