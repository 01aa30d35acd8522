// SPDX-License-Identifier: GPL-2.0-or-later
// The handshake family's messages, byte for byte. This file and wire.cc are the only code that
// knows the nlattr layout; they are pure (no sockets) so fixtures and fuzzers can drive them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "proto/handshake.h"

namespace handshaked::netlink {

// What the running kernel's DONE policy accepts beyond status and sockfd (CTRL_CMD_GETPOLICY).
// Which optional DONE attributes the running kernel takes. Each is sent only when the probed
// policy lists it with the type we would send: attribute 4 is the nfsd tree's string "tag" but
// the unmerged KeyUpdate series' u32 "session id", and a kernel rejects a DONE whose attribute
// does not match its policy.
struct DoneSupport {
    bool remote_auth = true;  // attr 3 (u32, multi), mainline since 6.4
    bool tag = false;         // attr 4 as a string, not mainline
};

// One netlink message as it arrived, classified.
struct IncomingMessage {
    enum class Kind { kReady, kAcceptReply, kAck, kError, kOther };
    Kind kind = Kind::kOther;
    std::uint32_t sequence = 0;
    int error = 0;                        // kError: positive errno from NLMSG_ERROR
    std::span<const std::uint8_t> bytes;  // the whole message, header included
};

// Split a buffer returned by recv() into messages; stops at the first malformed header.
std::vector<IncomingMessage> split_messages(std::span<const std::uint8_t> buffer,
                                            std::uint16_t family_id);

// ACCEPT request: handler-class tlshd and nothing else (the kernel's policy allows only that).
std::vector<std::uint8_t> build_accept_request(std::uint16_t family_id, std::uint32_t sequence,
                                               std::uint32_t port_id);

// Parse an ACCEPT reply (the whole netlink message). Tolerant: optional attributes may be
// missing, unknown attributes are ignored, peer-identity repeats are kept in order (at most 5).
// Missing sockfd, message type or auth mode, or a truncated message, is an error.
Result<HandshakeRequest> parse_accept_reply(std::span<const std::uint8_t> message);

// The sockfd of an ACCEPT reply that parse_accept_reply() rejected: the kernel installed that fd
// all the same, so it must still get a DONE (EIO) and be closed.
std::optional<int> accept_reply_sockfd(std::span<const std::uint8_t> message);

// DONE request with NLM_F_ACK: status, sockfd, and remote-auth serials only on success and only
// if the kernel's policy has the attribute.
std::vector<std::uint8_t> build_done_request(std::uint16_t family_id, std::uint32_t sequence,
                                             std::uint32_t port_id, const HandshakeResult& result,
                                             const DoneSupport& support);

// CTRL_CMD_GETPOLICY dump request for the family's DONE operation.
std::vector<std::uint8_t> build_done_policy_request(std::uint16_t ctrl_family_id,
                                                    std::uint32_t sequence, std::uint32_t port_id,
                                                    std::string_view family_name);

// Feed every message of the policy dump; call done_support() after NLMSG_DONE.
class DonePolicyReader {
public:
    // Returns false on a malformed message (the caller then keeps the defaults).
    bool feed(std::span<const std::uint8_t> message);
    DoneSupport done_support() const;
    bool saw_policy() const { return done_policy_index_.has_value(); }

private:
    std::optional<std::uint32_t> done_policy_index_;
    struct PolicyEntry {
        std::uint32_t policy;     // policy index
        std::uint16_t attribute;  // attribute id
        std::uint32_t type;       // NL_ATTR_TYPE_*
    };
    std::vector<PolicyEntry> attributes_;
};

}  // namespace handshaked::netlink
