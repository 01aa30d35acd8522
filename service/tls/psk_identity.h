// SPDX-License-Identifier: GPL-2.0-or-later
// Which hash a TLS 1.3 external PSK is bound to. NVMe/TCP PSK identities carry it in their
// "hh" field (NVMe TCP transport spec, "PSK identity": "NVMe<v><R|G><hh> <hostnqn> <subnqn>[
// <digest>]", 01 = SHA-256, 02 = SHA-384); any other identity is judged by the key's length, as
// tlshd does. Pure functions over untrusted input (identities come from the peer on the server
// side).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace handshaked::tls {

enum class PskHash : std::uint8_t { kSha256, kSha384 };

struct NvmePskIdentity {
    unsigned version = 0;  // the <v> digit
    char type = 'R';       // 'R' retained, 'G' generated
    unsigned hash = 0;     // the two-digit <hh> field, as a number
};

// The NVMe fields if identity has the NVMe shape ("NVMe", a digit, R or G, two digits, then a
// space or the end); nullopt for any other identity.
std::optional<NvmePskIdentity> parse_nvme_psk_identity(std::string_view identity);

// The hash of an NVMe identity's hh field: 01 → SHA-256, 02 → SHA-384, anything else nullopt
// (the identity must be rejected). Also nullopt for an identity that is not NVMe-shaped.
std::optional<PskHash> nvme_psk_hash(std::string_view identity);

// The hash to use for a PSK: the NVMe hh field when the identity is NVMe-shaped (nullopt if that
// field names an unsupported hash), otherwise SHA-384 for a 48-byte key and SHA-256 for the rest.
std::optional<PskHash> psk_hash_for(std::string_view identity, std::size_t key_length);

std::string_view psk_hash_name(PskHash hash);  // "SHA-256" / "SHA-384"

}  // namespace handshaked::tls
