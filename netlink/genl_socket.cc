// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/genl_socket.h"

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "proto/family.h"

namespace handshaked::netlink {
namespace {

constexpr std::size_t kReceiveBufferSize = 64 * 1024;
// The READY socket's kernel buffer. Every listener gets every READY; when none has room, the
// kernel fails the consumer's submit with ESRCH. nl_socket_set_buffer_size() is capped by
// net.core.rmem_max (212992 by default, about 500 queued READYs), which a burst of 1,000 loopback
// pairs overran while both workers were busy with crypto (929 and 991 drops, 1,518 of 2,000
// submits ESRCH). SO_RCVBUFFORCE is not capped; it needs CAP_NET_ADMIN, which ACCEPT needs anyway.
// 4 MiB holds about 5,000 READYs; the memory is the kernel's, used only while READYs queue up. An
// overrun beyond it is survived by draining with ACCEPT.
constexpr int kReadyBufferBytes = 4 << 20;

Error netlink_error(const std::string& what, int libnl_error) {
    return make_error(ErrorCause::kNetlink, what + ": " + nl_geterror(libnl_error));
}

Error errno_error(const std::string& what, int error) {
    return make_error(ErrorCause::kNetlink, what + ": " + std::strerror(error));
}

// Start-up errors that waiting cannot mend: the process may not use netlink at all (seccomp,
// RestrictAddressFamilies=, a missing capability). Everything else (memory, a busy or
// interrupted controller, a lost answer) is worth another try.
bool permanent_libnl_error(int libnl_error) {
    switch (-libnl_error) {
        case NLE_PERM:
        case NLE_NOACCESS:
        case NLE_AF_NOSUPPORT:
        case NLE_PROTO_MISMATCH:
        case NLE_OPNOTSUPP: return true;
        default: return false;
    }
}

Error discovery_error(const std::string& what, int libnl_error) {
    return make_error(
        permanent_libnl_error(libnl_error) ? ErrorCause::kLocalFault : ErrorCause::kNetlink,
        what + ": " + nl_geterror(libnl_error));
}

Result<NlSockPtr> connect_generic_netlink() {
    NlSockPtr socket(nl_socket_alloc());
    if (!socket) return make_error(ErrorCause::kNetlink, "netlink: out of memory");
    if (int rc = genl_connect(socket.get()); rc < 0) return discovery_error("netlink: connect", rc);
    return socket;
}

std::span<const std::uint8_t> as_span(const std::array<std::uint8_t, kReceiveBufferSize>& buffer,
                                      ssize_t length) {
    return std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(length));
}

}  // namespace

void NlSockDeleter::operator()(nl_sock* socket) const { nl_socket_free(socket); }

std::string KernelFamily::describe() const {
    return "family handshake (id " + std::to_string(family_id) + "), group tlshd (" +
           std::to_string(tlshd_group) + "), DONE policy " +
           (policy_probed ? "probed" : "not dumped by this kernel, mainline assumed") +
           " (remote-auth " + (done.remote_auth ? "yes" : "no") + ", tag " +
           (done.tag ? "yes" : "no") + ")";
}

Result<KernelFamily> discover_kernel_family() {
    auto socket = connect_generic_netlink();
    if (!socket) return socket.error();
    nl_sock* sk = socket->get();

    KernelFamily family;
    int id = genl_ctrl_resolve(sk, proto::kFamilyName);
    if (id == -NLE_OBJ_NOTFOUND) {
        return make_error(ErrorCause::kUnsupportedKernel,
                          "the kernel has no 'handshake' netlink family (Linux >= 6.4 with "
                          "CONFIG_NET_HANDSHAKE is needed)");
    }
    if (id < 0) return discovery_error("netlink: resolving the 'handshake' family", id);
    family.family_id = static_cast<std::uint16_t>(id);
    int group = genl_ctrl_resolve_grp(sk, proto::kFamilyName, proto::kMulticastGroupTlshd);
    if (group == -NLE_OBJ_NOTFOUND) {
        return make_error(ErrorCause::kUnsupportedKernel,
                          "the kernel's 'handshake' family has no 'tlshd' group");
    }
    if (group < 0) return discovery_error("netlink: resolving the 'tlshd' group", group);
    family.tlshd_group = static_cast<std::uint32_t>(group);

    // Ask the controller which attributes DONE accepts. Never probe by sending a DONE: the
    // kernel rejects unknown attributes with EINVAL and logs a warning.
    const std::uint32_t sequence = 1;
    auto request = build_done_policy_request(GENL_ID_CTRL, sequence, nl_socket_get_local_port(sk),
                                             proto::kFamilyName);
    if (int rc = nl_sendto(sk, request.data(), request.size()); rc < 0)
        return discovery_error("netlink: DONE policy query", rc);
    timeval timeout{2, 0};
    setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    DonePolicyReader reader;
    alignas(nlmsghdr) std::array<std::uint8_t, kReceiveBufferSize> buffer;
    bool finished = false;
    while (!finished) {
        ssize_t length = recv(nl_socket_get_fd(sk), buffer.data(), buffer.size(), 0);
        if (length < 0) {
            if (errno == EINTR) continue;
            // The controller always answers, with the policy or with an error (a kernel without
            // per-op policy dumps): silence is a lost answer, and a guess could send DONE
            // attributes this kernel refuses. Ask again.
            return make_error(
                ErrorCause::kNetlink,
                errno == EAGAIN || errno == EWOULDBLOCK
                    ? std::string("netlink: no answer to the DONE policy query "
                                  "within 2 s")
                    : std::string("netlink: DONE policy query: ") + std::strerror(errno));
        }
        for (const auto& message : split_messages(as_span(buffer, length), GENL_ID_CTRL)) {
            const auto* header = reinterpret_cast<const nlmsghdr*>(message.bytes.data());
            if (header->nlmsg_type == NLMSG_DONE || message.kind == IncomingMessage::Kind::kError) {
                finished = true;
                break;
            }
            if (header->nlmsg_type == GENL_ID_CTRL && !reader.feed(message.bytes)) {
                return make_error(ErrorCause::kNetlink,
                                  "the kernel's policy dump for the handshake family is malformed");
            }
        }
    }
    family.policy_probed = reader.saw_policy();
    family.done = reader.done_support();
    return family;
}

Result<ReadyListener> ReadyListener::open(const KernelFamily& family) {
    auto socket = connect_generic_netlink();
    if (!socket) return socket.error();
    nl_sock* sk = socket->get();
    if (int rc = nl_socket_add_membership(sk, static_cast<int>(family.tlshd_group)); rc < 0)
        return netlink_error("netlink: join group tlshd", rc);
    if (int rc = nl_socket_set_nonblocking(sk); rc < 0)
        return netlink_error("netlink: non-blocking", rc);
    ReadyListener listener;
    const int size = kReadyBufferBytes;
    if (setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
        listener.buffer_note_ =
            std::string("READY buffer capped by net.core.rmem_max (") + std::strerror(errno) + ")";
        nl_socket_set_buffer_size(sk, kReadyBufferBytes, 0);
    }
    listener.socket_ = std::move(socket.value());
    listener.family_id_ = family.family_id;
    return listener;
}

int ReadyListener::fd() const { return nl_socket_get_fd(socket_.get()); }

Result<ReadyListener::Wakeup> ReadyListener::read_notifications() {
    Wakeup wakeup;
    alignas(nlmsghdr) std::array<std::uint8_t, kReceiveBufferSize> buffer;
    for (;;) {
        ssize_t length = recv(fd(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (length < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return wakeup;
            if (errno == ENOBUFS) {
                wakeup.overrun = true;  // lost READYs: the caller drains with ACCEPT
                continue;
            }
            return errno_error("netlink: read READY", errno);
        }
        for (const auto& message : split_messages(as_span(buffer, length), family_id_)) {
            if (message.kind == IncomingMessage::Kind::kReady) ++wakeup.ready;
        }
    }
}

Result<RequestChannel> RequestChannel::open(const KernelFamily& family) {
    auto socket = connect_generic_netlink();
    if (!socket) return socket.error();
    // A kernel that never answers must not hang a worker forever.
    timeval timeout{5, 0};
    setsockopt(nl_socket_get_fd(socket->get()), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    RequestChannel channel;
    channel.socket_ = std::move(socket.value());
    channel.family_ = family;
    return channel;
}

Result<RequestChannel::Answer> RequestChannel::exchange(std::vector<std::uint8_t> request,
                                                        std::uint32_t sequence) {
    nl_sock* sk = socket_.get();
    if (int rc = nl_sendto(sk, request.data(), request.size()); rc < 0)
        return netlink_error("netlink: send", rc);
    alignas(nlmsghdr) std::array<std::uint8_t, kReceiveBufferSize> buffer;
    for (;;) {
        ssize_t length = recv(nl_socket_get_fd(sk), buffer.data(), buffer.size(), 0);
        if (length < 0) {
            if (errno == EINTR) continue;
            return errno_error("netlink: receive", errno);
        }
        for (const auto& message : split_messages(as_span(buffer, length), family_.family_id)) {
            if (message.sequence != sequence) continue;  // a stale answer to an earlier request
            switch (message.kind) {
                case IncomingMessage::Kind::kError: return Answer{message.error, {}};
                case IncomingMessage::Kind::kAck: return Answer{0, {}};
                case IncomingMessage::Kind::kAcceptReply:
                    return Answer{
                        0, std::vector<std::uint8_t>(message.bytes.begin(), message.bytes.end())};
                default: break;
            }
        }
    }
}

Result<AcceptOutcome> RequestChannel::accept() {
    const std::uint32_t sequence = next_sequence_++;
    auto answer = exchange(
        build_accept_request(family_.family_id, sequence, nl_socket_get_local_port(socket_.get())),
        sequence);
    if (!answer) return answer.error();
    if (answer->kernel_errno == EAGAIN) return AcceptOutcome{};  // nothing pending
    // Only these come before the kernel dequeues a request (permission, a malformed ACCEPT, no
    // handshake state in this netns); every other error is about the request it dequeued.
    const int refused = answer->kernel_errno;
    if (refused == EPERM || refused == EINVAL || refused == EOPNOTSUPP || refused == ENOENT)
        return errno_error("ACCEPT refused by the kernel", refused);
    if (refused != 0) {
        return AcceptOutcome{FailedAccept{errno_error(
            "ACCEPT refused by the kernel (it answered that request with EIO itself)", refused)}};
    }
    if (answer->reply.empty())
        return make_error(ErrorCause::kNetlink, "ACCEPT: acknowledged without a reply");
    auto request = parse_accept_reply(answer->reply);
    if (request) return AcceptOutcome{std::move(request.value())};
    if (auto fd = accept_reply_sockfd(answer->reply))
        return AcceptOutcome{RejectedAccept{*fd, request.error()}};
    return request.error();
}

Result<void> RequestChannel::done(const HandshakeResult& result) {
    const std::uint32_t sequence = next_sequence_++;
    auto answer =
        exchange(build_done_request(family_.family_id, sequence,
                                    nl_socket_get_local_port(socket_.get()), result, family_.done),
                 sequence);
    if (!answer) return answer.error();
    if (answer->kernel_errno != 0)
        return errno_error("DONE refused by the kernel", answer->kernel_errno);
    return {};
}

}  // namespace handshaked::netlink
