// SPDX-License-Identifier: GPL-2.0-or-later
#include "proto/failure.h"

#include <cerrno>

namespace handshaked {
namespace {

struct FailureRow {
    Failure failure;
    std::uint32_t status;
    std::string_view name;
};

// tlshd's contract (ktls-utils handshake.c), made explicit: authentication and TLS protocol
// failures are EACCES; a peer that went away or a deadline that passed is ETIMEDOUT ("the
// consumer may retry"); unknown_psk_identity is EKEYREJECTED so NVMe can drop a stale PSK;
// local problems are EIO; a non-TCP socket is EOPNOTSUPP. Missing credentials are a local
// configuration fault, reported as EIO like tlshd; ENOKEY would be remapped to EACCES by the NFS
// client anyway and has no consumer that acts on it.
constexpr FailureRow kStatusTable[] = {
    {Failure::kNone, 0, "ok"},
    {Failure::kAuthentication, EACCES, "authentication"},
    {Failure::kProtocol, EACCES, "protocol"},
    {Failure::kPeerClosed, ETIMEDOUT, "peer-closed"},
    {Failure::kTimeout, ETIMEDOUT, "timeout"},
    {Failure::kUnknownPskIdentity, EKEYREJECTED, "unknown-psk-identity"},
    {Failure::kMissingCredentials, EIO, "missing-credentials"},
    {Failure::kLocalFault, EIO, "local-fault"},
    {Failure::kNotTcp, EOPNOTSUPP, "not-tcp"},
    {Failure::kBadRequest, EIO, "bad-request"},
    {Failure::kShuttingDown, ETIMEDOUT, "shutting-down"},
};

const FailureRow& row_for(Failure failure) {
    for (const auto& row : kStatusTable) {
        if (row.failure == failure) return row;
    }
    return kStatusTable[static_cast<int>(Failure::kLocalFault)];
}

}  // namespace

std::uint32_t done_status(Failure failure) { return row_for(failure).status; }

std::string_view failure_name(Failure failure) { return row_for(failure).name; }

std::string_view errno_name(std::uint32_t status) {
    switch (status) {
        case 0: return "OK";
        case EACCES: return "EACCES";
        case ETIMEDOUT: return "ETIMEDOUT";
        case EKEYREJECTED: return "EKEYREJECTED";
        case EIO: return "EIO";
        case EOPNOTSUPP: return "EOPNOTSUPP";
        case ENOKEY: return "ENOKEY";
        case EINVAL: return "EINVAL";
        case ENOMEM: return "ENOMEM";
        default: return "E?";
    }
}

}  // namespace handshaked
