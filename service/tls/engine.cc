// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/engine.h"

namespace handshaked::tls {

std::string_view cipher_iana_name(Cipher cipher) {
    switch (cipher) {
        case Cipher::kAes128Gcm: return "TLS_AES_128_GCM_SHA256";
        case Cipher::kAes256Gcm: return "TLS_AES_256_GCM_SHA384";
        case Cipher::kChacha20Poly1305: return "TLS_CHACHA20_POLY1305_SHA256";
        case Cipher::kAes128Ccm: return "TLS_AES_128_CCM_SHA256";
    }
    return "TLS_UNKNOWN";
}

}  // namespace handshaked::tls
