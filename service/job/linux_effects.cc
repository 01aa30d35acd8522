// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/job/linux_effects.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "service/ktls/install.h"

namespace handshaked::job {
namespace {

Error socket_error(const char* what) {
    return make_error(ErrorCause::kLocalFault, std::string(what) + ": " + std::strerror(errno));
}

std::string peer_address(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (address.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
        port = ntohs(v4->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    if (address.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
        port = ntohs(v6->sin6_port);
        return "[" + std::string(host) + "]:" + std::to_string(port);
    }
    return "?";
}

}  // namespace

Result<SocketState> LinuxSocketOps::prepare(int fd) {
    int protocol = 0;
    socklen_t length = sizeof protocol;
    if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &length) != 0) {
        if (errno == ENOTSOCK)
            return make_error(ErrorCause::kNotTcp, "the kernel handed over a non-socket fd");
        return socket_error("SO_PROTOCOL");
    }
    if (protocol != IPPROTO_TCP) {
        return make_error(ErrorCause::kNotTcp, "socket protocol " + std::to_string(protocol) +
                                                   " is not TCP (QUIC is not supported)");
    }
    SocketState state;
    state.peer_address = peer_address(fd);
    state.file_flags = fcntl(fd, F_GETFL);
    if (state.file_flags < 0) return socket_error("F_GETFL");
    length = sizeof state.tcp_nodelay;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &state.tcp_nodelay, &length) != 0)
        return socket_error("TCP_NODELAY");
    // The handshake is a ping-pong of small flights: Nagle would add delayed-ACK waits.
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        return socket_error("set TCP_NODELAY");
    if (fcntl(fd, F_SETFL, state.file_flags | O_NONBLOCK) != 0)
        return socket_error("set O_NONBLOCK");
    return state;
}

Result<void> LinuxSocketOps::restore(int fd, const SocketState& state) {
    bool ok = fcntl(fd, F_SETFL, state.file_flags) == 0;
    ok = setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &state.tcp_nodelay, sizeof state.tcp_nodelay) ==
             0 &&
         ok;
    if (!ok) return socket_error("restore socket flags");
    return {};
}

Result<void> LinuxKtlsInstaller::install(int fd, const tls::SessionKeys& keys) {
    return ktls::install_ktls(fd, keys);
}

}  // namespace handshaked::job
