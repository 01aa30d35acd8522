// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/ktls/install.h"

#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "service/ktls/crypto_info.h"

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

namespace handshaked::ktls {
namespace {

Error failed(std::string_view step, int err) {
    return make_error(ErrorCause::kLocalFault,
                      "kTLS: setsockopt(" + std::string(step) + "): " + std::strerror(err));
}

}  // namespace

Result<void> install_ktls(int fd, const tls::SessionKeys& keys) {
    // Build (and check) both directions before touching the socket.
    auto info = crypto_info(keys);
    if (!info) return info.error();
    static constexpr char kUlp[] = "tls";
    if (::setsockopt(fd, SOL_TCP, TCP_ULP, kUlp, sizeof kUlp) != 0) {
        return failed("SOL_TCP, TCP_ULP, \"tls\"", errno);
    }
    if (::setsockopt(fd, SOL_TLS, TLS_TX, info->tx.data(),
                     static_cast<socklen_t>(info->tx.size())) != 0) {
        return failed("SOL_TLS, TLS_TX", errno);
    }
    if (::setsockopt(fd, SOL_TLS, TLS_RX, info->rx.data(),
                     static_cast<socklen_t>(info->rx.size())) != 0) {
        return failed("SOL_TLS, TLS_RX", errno);
    }
    return {};
}

}  // namespace handshaked::ktls
