// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/wolfssl/suites.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "service/tls/wolfssl/handles.h"

namespace handshaked::tls::wolf {
namespace {

constexpr Suite kSuites[] = {
    {"TLS13-AES128-GCM-SHA256", Cipher::kAes128Gcm, PskHash::kSha256, wolfssl_aes_gcm, 16, 0x1301},
    {"TLS13-AES256-GCM-SHA384", Cipher::kAes256Gcm, PskHash::kSha384, wolfssl_aes_gcm, 32, 0x1302},
    {"TLS13-CHACHA20-POLY1305-SHA256", Cipher::kChacha20Poly1305, PskHash::kSha256, wolfssl_chacha,
     32, 0x1303},
    {"TLS13-AES128-CCM-SHA256", Cipher::kAes128Ccm, PskHash::kSha256, wolfssl_aes_ccm, 16, 0x1304},
};

}  // namespace

const Suite* find_suite(std::string_view wolf_name) {
    for (const auto& suite : kSuites) {
        if (wolf_name == suite.wolf_name) return &suite;
    }
    return nullptr;
}

std::string join_suites(const std::vector<const Suite*>& suites) {
    std::string list;
    for (const Suite* suite : suites) {
        if (!list.empty()) list += ':';
        list += suite->wolf_name;
    }
    return list;
}
std::vector<const Suite*> supported_suites() {
    std::vector<const Suite*> suites;
    CtxPtr probe(wolfSSL_CTX_new(wolfTLSv1_3_client_method()));
    for (const auto& suite : kSuites) {
        if (probe && wolfSSL_CTX_set_cipher_list(probe.get(), suite.wolf_name) == WOLFSSL_SUCCESS) {
            suites.push_back(&suite);
        }
    }
    return suites;
}

}  // namespace handshaked::tls::wolf
