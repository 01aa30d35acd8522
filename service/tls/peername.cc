// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/peername.h"

#include <arpa/inet.h>

#include <string>

namespace handshaked::tls {

std::optional<IpAddress> parse_ip_literal(std::string_view peername) {
    if (peername.empty() || peername.size() > 64) return std::nullopt;
    IpAddress address;
    const std::string v4(peername);
    if (inet_pton(AF_INET, v4.c_str(), address.bytes.data()) == 1) {
        address.size = 4;
        return address;
    }
    std::string_view v6 = peername;
    if (v6.size() >= 2 && v6.front() == '[' && v6.back() == ']') v6 = v6.substr(1, v6.size() - 2);
    if (const auto zone = v6.find('%'); zone != std::string_view::npos) v6 = v6.substr(0, zone);
    const std::string text(v6);
    if (inet_pton(AF_INET6, text.c_str(), address.bytes.data()) == 1) {
        address.size = 16;
        return address;
    }
    return std::nullopt;
}

}  // namespace handshaked::tls
