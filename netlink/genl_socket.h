// SPDX-License-Identifier: GPL-2.0-or-later
// The daemon's netlink sockets: discovering the family, listening for READY, ACCEPT and DONE.
// libnl-genl-3 resolves names and owns the sockets; wire.h owns the bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "base/result.h"
#include "netlink/wire.h"
#include "proto/handshake.h"

struct nl_sock;

namespace handshaked::netlink {

struct NlSockDeleter {
    void operator()(nl_sock* socket) const;
};
using NlSockPtr = std::unique_ptr<nl_sock, NlSockDeleter>;

// What the running kernel offers, found once at start-up.
struct KernelFamily {
    std::uint16_t family_id = 0;
    std::uint32_t tlshd_group = 0;
    DoneSupport done;
    bool policy_probed = false;  // false: the kernel had no per-op policy dump; defaults assumed
    std::string describe() const;
};

// Resolve family "handshake" and group "tlshd" by name and probe the DONE policy.
Result<KernelFamily> discover_kernel_family();

// A socket joined to the "tlshd" group: READY notifications only.
class ReadyListener {
public:
    static Result<ReadyListener> open(const KernelFamily& family);
    int fd() const;

    struct Wakeup {
        int ready = 0;         // READY notifications read
        bool overrun = false;  // the socket overflowed (ENOBUFS): notifications were lost
    };
    // Read everything queued without blocking.
    Result<Wakeup> read_notifications();
    // Empty, or why the socket got a smaller buffer than it asked for (for the log).
    const std::string& buffer_note() const { return buffer_note_; }

private:
    NlSockPtr socket_;
    std::uint16_t family_id_ = 0;
    std::string buffer_note_;
};

// An ACCEPT that the kernel answered but that could not be parsed: the fd is ours regardless.
struct RejectedAccept {
    int sockfd;
    Error error;
};

// An ACCEPT the kernel failed after taking the oldest request off its queue (fd table full, a
// consumer keyring it could not link, ...): it completed that request with EIO itself. Requests
// queued behind it still wait, so the caller goes on draining.
struct FailedAccept {
    Error error;
};

using AcceptOutcome = std::variant<std::monostate /* nothing pending */, HandshakeRequest,
                                   RejectedAccept, FailedAccept>;

// A unicast socket for ACCEPT and DONE; used by one thread at a time.
class RequestChannel {
public:
    static Result<RequestChannel> open(const KernelFamily& family);

    // Ask the kernel for the oldest pending request. The fd it carries is installed in this
    // process; the caller owns it.
    Result<AcceptOutcome> accept();
    // Report completion for the request on result.sockfd; waits for the kernel's ACK.
    Result<void> done(const HandshakeResult& result);

private:
    struct Answer {
        int kernel_errno = 0;             // from NLMSG_ERROR; 0 for an ACK or a reply
        std::vector<std::uint8_t> reply;  // the ACCEPT reply, when there is one
    };
    // Send one request and wait for the answer carrying its sequence number.
    Result<Answer> exchange(std::vector<std::uint8_t> request, std::uint32_t sequence);
    NlSockPtr socket_;
    KernelFamily family_;
    std::uint32_t next_sequence_ = 1;
};

}  // namespace handshaked::netlink
