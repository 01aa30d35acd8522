// SPDX-License-Identifier: GPL-2.0-or-later
#include "proto/failure.h"

#include <cerrno>

namespace handshaked {
namespace {

struct StatusRow {
    ErrorCause cause;
    std::uint32_t status;
};

// tlshd's contract (ktls-utils handshake.c), made explicit: authentication and TLS protocol
// failures are EACCES; a peer that went away or a deadline that passed is ETIMEDOUT ("the
// consumer may retry"); unknown_psk_identity is EKEYREJECTED so NVMe can drop a stale PSK;
// local problems are EIO; a non-TCP socket is EOPNOTSUPP. Missing credentials are a local
// configuration fault, reported as EIO like tlshd; ENOKEY would be remapped to EACCES by the NFS
// client anyway and has no consumer that acts on it. Config, bus, netlink and kernel-support causes
// end no handshake and have no row: should one reach a job, it is a local fault (EIO).
constexpr StatusRow kStatusTable[] = {
    {ErrorCause::kAuthentication, EACCES},
    {ErrorCause::kProtocol, EACCES},
    {ErrorCause::kPeerClosed, ETIMEDOUT},
    {ErrorCause::kTimeout, ETIMEDOUT},
    {ErrorCause::kUnknownPskIdentity, EKEYREJECTED},
    {ErrorCause::kMissingCredentials, EIO},
    {ErrorCause::kLocalFault, EIO},
    {ErrorCause::kNotTcp, EOPNOTSUPP},
    {ErrorCause::kBadRequest, EIO},
    {ErrorCause::kShuttingDown, ETIMEDOUT},
};

}  // namespace

std::uint32_t done_status(HandshakeFailure failure) {
    if (!failure) return 0;
    for (const auto& row : kStatusTable) {
        if (row.cause == *failure) return row.status;
    }
    return EIO;
}

std::string_view failure_name(HandshakeFailure failure) {
    return failure ? cause_name(*failure) : "ok";
}

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
