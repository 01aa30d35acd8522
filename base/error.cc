// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/error.h"

namespace handshaked {

std::string_view cause_name(ErrorCause cause) {
    switch (cause) {
        case ErrorCause::kAuthentication: return "authentication";
        case ErrorCause::kProtocol: return "protocol";
        case ErrorCause::kPeerClosed: return "peer-closed";
        case ErrorCause::kTimeout: return "timeout";
        case ErrorCause::kUnknownPskIdentity: return "unknown-psk-identity";
        case ErrorCause::kMissingCredentials: return "missing-credentials";
        case ErrorCause::kLocalFault: return "local-fault";
        case ErrorCause::kNotTcp: return "not-tcp";
        case ErrorCause::kBadRequest: return "bad-request";
        case ErrorCause::kShuttingDown: return "shutting-down";
        case ErrorCause::kConfig: return "config";
        case ErrorCause::kBus: return "bus";
        case ErrorCause::kNetlink: return "netlink";
        case ErrorCause::kUnsupportedKernel: return "unsupported-kernel";
    }
    return "local-fault";
}

}  // namespace handshaked
