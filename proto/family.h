// SPDX-License-Identifier: GPL-2.0-or-later
// The kernel's "handshake" generic-netlink family (Documentation/netlink/specs/handshake.yaml),
// names and numbers exactly as the kernel has them. Everything else takes its constants from here.
#pragma once

#include <cstdint>

namespace handshaked::proto {

inline constexpr char kFamilyName[] = "handshake";
inline constexpr std::uint8_t kFamilyVersion = 1;
inline constexpr char kMulticastGroupTlshd[] = "tlshd";

enum HandshakeCmd : std::uint8_t {
    HANDSHAKE_CMD_READY = 1,
    HANDSHAKE_CMD_ACCEPT = 2,
    HANDSHAKE_CMD_DONE = 3,
};

enum HandshakeHandlerClass : std::uint32_t {
    HANDSHAKE_HANDLER_CLASS_NONE = 0,
    HANDSHAKE_HANDLER_CLASS_TLSHD = 1,
    HANDSHAKE_HANDLER_CLASS_MAX = 2,
};

enum HandshakeMsgType : std::uint32_t {
    HANDSHAKE_MSG_TYPE_UNSPEC = 0,
    HANDSHAKE_MSG_TYPE_CLIENTHELLO = 1,
    HANDSHAKE_MSG_TYPE_SERVERHELLO = 2,
};

enum HandshakeAuth : std::uint32_t {
    HANDSHAKE_AUTH_UNSPEC = 0,
    HANDSHAKE_AUTH_UNAUTH = 1,
    HANDSHAKE_AUTH_PSK = 2,
    HANDSHAKE_AUTH_X509 = 3,
};

// Attribute set "x509" (nested inside ACCEPT's certificate attribute).
enum HandshakeAX509 : std::uint16_t {
    HANDSHAKE_A_X509_CERT = 1,     // s32 key serial
    HANDSHAKE_A_X509_PRIVKEY = 2,  // s32 key serial
    HANDSHAKE_A_X509_MAX = HANDSHAKE_A_X509_PRIVKEY,
};

// Attribute set "accept": READY, the ACCEPT request and the ACCEPT reply.
enum HandshakeAAccept : std::uint16_t {
    HANDSHAKE_A_ACCEPT_SOCKFD = 1,         // s32
    HANDSHAKE_A_ACCEPT_HANDLER_CLASS = 2,  // u32, the only attribute of the request and of READY
    HANDSHAKE_A_ACCEPT_MESSAGE_TYPE = 3,   // u32 HandshakeMsgType
    HANDSHAKE_A_ACCEPT_TIMEOUT = 4,        // u32 milliseconds, only when the consumer set one
    HANDSHAKE_A_ACCEPT_AUTH_MODE = 5,      // u32 HandshakeAuth
    HANDSHAKE_A_ACCEPT_PEER_IDENTITY = 6,  // u32 key serial, repeated (not nested), PSK only
    HANDSHAKE_A_ACCEPT_CERTIFICATE = 7,    // nest of HandshakeAX509
    HANDSHAKE_A_ACCEPT_PEERNAME = 8,       // NUL-terminated string (kernel >= 6.5)
    HANDSHAKE_A_ACCEPT_KEYRING = 9,        // u32 key serial (kernel >= 6.17)
    HANDSHAKE_A_ACCEPT_MAX = HANDSHAKE_A_ACCEPT_KEYRING,
};

// Attribute set "done": the DONE request.
enum HandshakeADone : std::uint16_t {
    HANDSHAKE_A_DONE_STATUS = 1,       // u32 positive errno, 0 = success; absent means EIO
    HANDSHAKE_A_DONE_SOCKFD = 2,       // s32, required
    HANDSHAKE_A_DONE_REMOTE_AUTH = 3,  // u32 key serial, repeated; the consumer sees the first
    HANDSHAKE_A_DONE_TAG = 4,          // string, repeated; not mainline, only if the policy has it
};

// The kernel keeps at most this many remote-auth serials and sends at most this many peer ids.
inline constexpr int kMaxPeerIdentities = 5;
// The largest DONE status a kernel takes (MAX_ERRNO); 0 is success.
inline constexpr std::uint32_t kMaxDoneStatus = 4095;

// The consumers' own limit when the kernel sends no timeout (NFS client, NVMe default).
inline constexpr std::uint32_t kDefaultTimeoutMs = 10'000;

}  // namespace handshaked::proto
