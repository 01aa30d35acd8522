// SPDX-License-Identifier: GPL-2.0-or-later
// The TLS 1.3 suites the kernel's kTLS can take over, in preference order, as wolfSSL names them.
// Nothing else is ever offered or accepted. Internal to service/tls/wolfssl/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "service/tls/engine.h"
#include "service/tls/psk_identity.h"

namespace handshaked::tls::wolf {

struct Suite {
    const char* wolf_name;  // wolfSSL's name (its cipher-list syntax)
    Cipher cipher;
    PskHash hash;
    int bulk_cipher;  // wolfSSL_GetBulkCipher
    int key_size;
    std::uint16_t code;  // IANA cipher suite number
};

const Suite* find_suite(std::string_view wolf_name);
// wolfSSL's cipher-list syntax: "TLS13-AES128-GCM-SHA256:...".
std::string join_suites(const std::vector<const Suite*>& suites);
// The suites this wolfSSL build accepts (CCM is optional in wolfSSL builds), in our order.
std::vector<const Suite*> supported_suites();

}  // namespace handshaked::tls::wolf
