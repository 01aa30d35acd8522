// SPDX-License-Identifier: GPL-2.0-or-later
// TLS 1.3 key exchange groups handshaked offers and accepts, by IANA name and code point.
// Library-neutral: the config parser names them, the engine maps them to its library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace handshaked::tls {

enum class KeyExchangeGroup : std::uint16_t {
    // Hybrids of ML-KEM (FIPS 203) with a classical group: secure if either part is.
    kX25519MlKem768 = 4588,
    kSecp256r1MlKem768 = 4587,
    kSecp384r1MlKem1024 = 4589,
    // Classical elliptic-curve groups.
    kX25519 = 29,
    kSecp256r1 = 23,
    kSecp384r1 = 24,
    kSecp521r1 = 25,
};

// The IANA name: "X25519MLKEM768", "SecP256r1MLKEM768", "x25519", "secp256r1", ...
std::string_view group_name(KeyExchangeGroup group);
// For messages about what a peer offered: the IANA name of any registered group, ours or not
// ("ffdhe2048", "x448", "MLKEM768", ...), or the code point in hex ("0x1a2b").
std::string offered_group_name(std::uint16_t code);
// By IANA name, case-insensitively; nullopt for a group handshaked does not implement.
std::optional<KeyExchangeGroup> group_by_name(std::string_view name);
bool is_hybrid(KeyExchangeGroup group);
// Every group, in the default order: the hybrids first (X25519MLKEM768 as OpenSSL 3.5 and
// tlshd with GnuTLS 3.8.9+ do), then the classical groups.
const std::vector<KeyExchangeGroup>& default_key_exchange_groups();
// "X25519MLKEM768, SecP256r1MLKEM768, ..." for messages and the man page.
std::string group_list(const std::vector<KeyExchangeGroup>& groups);

}  // namespace handshaked::tls
