// SPDX-License-Identifier: GPL-2.0-or-later
// The exact bytes setsockopt(SOL_TLS, TLS_TX / TLS_RX) takes for a TLS 1.3 direction:
// struct tls12_crypto_info_aes_gcm_128 / _aes_gcm_256 / _chacha20_poly1305 / _aes_ccm_128 from
// <linux/tls.h>. Pure (no syscalls); the bytes are key material and are wiped with their buffer.
#pragma once

#include "base/result.h"
#include "base/secure_bytes.h"
#include "service/tls/engine.h"

namespace handshaked::ktls {

// One direction: version TLS_1_3_VERSION, the cipher's id, the key, rec_seq = sequence as 8
// big-endian bytes; for AES-GCM/CCM salt = iv[0..4) and iv = iv[4..12); for ChaCha20-Poly1305
// iv = all 12 bytes and no salt. Fails (kLocalFault) if the key or IV has the wrong length.
Result<SecureBytes> crypto_info(tls::Cipher cipher, const tls::TrafficKeys& keys);

struct CryptoInfoPair {
    SecureBytes tx;  // for TLS_TX
    SecureBytes rx;  // for TLS_RX
};
Result<CryptoInfoPair> crypto_info(const tls::SessionKeys& keys);

}  // namespace handshaked::ktls
