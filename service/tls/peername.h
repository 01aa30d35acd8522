// SPDX-License-Identifier: GPL-2.0-or-later
// Is the kernel's peername an IP address literal (verify against the certificate's IP SANs, no
// SNI) or a DNS name (verify the DNS name, send SNI)? Pure; the peername comes from the consumer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace handshaked::tls {

struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};  // network order; only the first size bytes are used
    std::size_t size = 0;                  // 4 (IPv4) or 16 (IPv6)

    bool operator==(const IpAddress& other) const {
        return size == other.size && bytes == other.bytes;
    }
};

// The address if peername is an IPv4 dotted quad or an IPv6 literal (optionally in brackets,
// optionally with a %zone suffix, which is dropped); nullopt for anything else.
std::optional<IpAddress> parse_ip_literal(std::string_view peername);

}  // namespace handshaked::tls
