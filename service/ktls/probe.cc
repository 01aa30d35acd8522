// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/ktls/probe.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/unique_fd.h"

namespace handshaked::ktls {
namespace {

bool tls_ulp_listed() {
    std::ifstream list("/proc/sys/net/ipv4/tcp_available_ulp");
    std::string name;
    while (list >> name) {
        if (name == "tls") return true;
    }
    return false;
}

}  // namespace

std::string UlpProbe::describe() const {
    switch (state) {
        case State::kLoaded: return "loaded";
        case State::kLoadedNow: return "loaded now";
        case State::kMissing: return "missing";
        case State::kUnknown: break;
    }
    return "unknown (" + detail + ")";
}

UlpProbe probe_tls_ulp() {
    UlpProbe probe;
    const bool listed_before = tls_ulp_listed();
    UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket_fd.valid()) {
        probe.detail = std::string("socket: ") + std::strerror(errno);
        return probe;
    }
    static constexpr char kUlp[] = "tls";
    const int rc = ::setsockopt(socket_fd.get(), SOL_TCP, TCP_ULP, kUlp, sizeof kUlp);
    const int error = rc == 0 ? 0 : errno;
    if (error == ENOTCONN || error == 0) {
        probe.state = listed_before ? UlpProbe::State::kLoaded : UlpProbe::State::kLoadedNow;
    } else if (error == ENOENT) {
        probe.state = UlpProbe::State::kMissing;
    } else {
        probe.detail = std::string("setsockopt(TCP_ULP): ") + std::strerror(error);
    }
    return probe;
}

}  // namespace handshaked::ktls
