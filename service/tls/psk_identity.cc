// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/psk_identity.h"

namespace handshaked::tls {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<NvmePskIdentity> parse_nvme_psk_identity(std::string_view identity) {
    // "NVMe" v type h h, then ' ' or end: at least 8 characters.
    if (identity.size() < 8 || identity.substr(0, 4) != "NVMe") return std::nullopt;
    const char version = identity[4];
    const char type = identity[5];
    const char h1 = identity[6];
    const char h2 = identity[7];
    if (!is_digit(version) || (type != 'R' && type != 'G') || !is_digit(h1) || !is_digit(h2)) {
        return std::nullopt;
    }
    if (identity.size() > 8 && identity[8] != ' ') return std::nullopt;
    NvmePskIdentity parsed;
    parsed.version = static_cast<unsigned>(version - '0');
    parsed.type = type;
    parsed.hash = static_cast<unsigned>((h1 - '0') * 10 + (h2 - '0'));
    return parsed;
}

std::optional<PskHash> nvme_psk_hash(std::string_view identity) {
    const auto parsed = parse_nvme_psk_identity(identity);
    if (!parsed) return std::nullopt;
    switch (parsed->hash) {
        case 1: return PskHash::kSha256;
        case 2: return PskHash::kSha384;
        default: return std::nullopt;
    }
}

std::optional<PskHash> psk_hash_for(std::string_view identity, std::size_t key_length) {
    if (parse_nvme_psk_identity(identity)) return nvme_psk_hash(identity);
    return key_length == 48 ? PskHash::kSha384 : PskHash::kSha256;
}

std::string_view psk_hash_name(PskHash hash) {
    return hash == PskHash::kSha384 ? "SHA-384" : "SHA-256";
}

}  // namespace handshaked::tls
