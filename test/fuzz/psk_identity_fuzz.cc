// SPDX-License-Identifier: GPL-2.0-or-later
// The NVMe PSK identity parser (service/tls/psk_identity.h) on arbitrary identities, as a TLS
// server receives them from the peer. Compared with a second reading of the documented shape
// "NVMe<digit><R|G><digit><digit>" followed by a space or the end, and of the hash rules.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "service/tls/psk_identity.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using namespace handshaked::tls;

bool digit(char c) { return c >= '0' && c <= '9'; }

std::optional<NvmePskIdentity> model(std::string_view id) {
    if (id.size() < 8 || id.compare(0, 4, "NVMe") != 0) return std::nullopt;
    if (!digit(id[4]) || (id[5] != 'R' && id[5] != 'G') || !digit(id[6]) || !digit(id[7]))
        return std::nullopt;
    if (id.size() > 8 && id[8] != ' ') return std::nullopt;
    NvmePskIdentity p;
    p.version = static_cast<unsigned>(id[4] - '0');
    p.type = id[5];
    p.hash = static_cast<unsigned>(std::stoi(std::string(id.substr(6, 2))));
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view identity(reinterpret_cast<const char*>(data), size);
    const auto parsed = parse_nvme_psk_identity(identity);
    const auto expected = model(identity);
    FUZZ_CHECK(parsed.has_value() == expected.has_value());
    if (parsed) {
        FUZZ_CHECK(parsed->version == expected->version && parsed->version <= 9);
        FUZZ_CHECK(parsed->type == expected->type);
        FUZZ_CHECK(parsed->hash == expected->hash && parsed->hash <= 99);
    }

    const auto hash = nvme_psk_hash(identity);
    if (!parsed || (parsed->hash != 1 && parsed->hash != 2)) {
        FUZZ_CHECK(!hash);
    } else {
        FUZZ_CHECK(hash == (parsed->hash == 1 ? PskHash::kSha256 : PskHash::kSha384));
    }

    for (std::size_t key_length : {std::size_t{0}, std::size_t{32}, std::size_t{48}, size}) {
        const auto chosen = psk_hash_for(identity, key_length);
        if (parsed) {
            FUZZ_CHECK(chosen == hash);  // the hh field decides; unsupported hh rejects
        } else {
            FUZZ_CHECK(chosen == (key_length == 48 ? PskHash::kSha384 : PskHash::kSha256));
        }
        if (chosen) {
            const auto name = psk_hash_name(*chosen);
            FUZZ_CHECK(name == (*chosen == PskHash::kSha384 ? "SHA-384" : "SHA-256"));
        }
    }
    return 0;
}
