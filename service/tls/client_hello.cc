// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/client_hello.h"

namespace handshaked::tls {
namespace {

constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHello = 1;
constexpr std::size_t kMaxRecordBody = 16384 + 256;

}  // namespace

std::optional<std::vector<std::uint16_t>> client_hello_cipher_suites(const std::uint8_t* records,
                                                                     std::size_t size) {
    if (!records) return std::nullopt;
    // Reassemble the handshake stream from consecutive plaintext handshake records.
    std::vector<std::uint8_t> handshake;
    std::size_t pos = 0;
    while (pos + 5 <= size && records[pos] == kHandshakeRecord) {
        const std::size_t length = (std::size_t{records[pos + 3]} << 8) | records[pos + 4];
        if (length == 0 || length > kMaxRecordBody) return std::nullopt;
        const std::size_t available = size - (pos + 5) < length ? size - (pos + 5) : length;
        handshake.insert(handshake.end(), records + pos + 5, records + pos + 5 + available);
        if (available < length) break;
        pos += 5 + length;
    }
    // Handshake header: type, 24-bit length; then legacy_version(2), random(32),
    // legacy_session_id<0..32>, cipher_suites<2..2^16-2>.
    if (handshake.size() < 4 || handshake[0] != kClientHello) return std::nullopt;
    const std::size_t body_end =
        4 + ((std::size_t{handshake[1]} << 16) | (std::size_t{handshake[2]} << 8) | handshake[3]);
    const std::size_t end = body_end < handshake.size() ? body_end : handshake.size();
    std::size_t p = 4 + 2 + 32;
    if (p + 1 > end) return std::nullopt;
    const std::size_t session_id = handshake[p];
    if (session_id > 32) return std::nullopt;
    p += 1 + session_id;
    if (p + 2 > end) return std::nullopt;
    const std::size_t suites_length = (std::size_t{handshake[p]} << 8) | handshake[p + 1];
    p += 2;
    if (suites_length == 0 || suites_length % 2 != 0 || p + suites_length > end) {
        return std::nullopt;
    }
    std::vector<std::uint16_t> suites;
    suites.reserve(suites_length / 2);
    for (std::size_t i = 0; i < suites_length; i += 2) {
        suites.push_back(
            static_cast<std::uint16_t>((handshake[p + i] << 8) | handshake[p + i + 1]));
    }
    return suites;
}

}  // namespace handshaked::tls
