// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/ktls/crypto_info.h"

#include <linux/tls.h>

#include <cstring>
#include <string>

namespace handshaked::ktls {
namespace {

void put_sequence(unsigned char (&rec_seq)[8], std::uint64_t sequence) {
    for (int i = 7; i >= 0; --i) {
        rec_seq[i] = static_cast<unsigned char>(sequence & 0xff);
        sequence >>= 8;
    }
}

Error bad_size(std::string_view what, std::size_t got, std::size_t want) {
    return make_error(ErrorCause::kLocalFault, "kTLS " + std::string(what) + " is " +
                                                   std::to_string(got) + " bytes, expected " +
                                                   std::to_string(want));
}

// Fills a GCM/CCM-shaped struct (salt + explicit iv), copies it out and wipes it.
template <typename Info, std::size_t KeySize>
Result<SecureBytes> salted(unsigned short cipher_type, const tls::TrafficKeys& keys) {
    static_assert(sizeof(Info{}.salt) == 4 && sizeof(Info{}.iv) == 8 &&
                  sizeof(Info{}.key) == KeySize && sizeof(Info{}.rec_seq) == 8);
    if (keys.key.size() != KeySize) return bad_size("key", keys.key.size(), KeySize);
    if (keys.iv.size() != 12) return bad_size("IV", keys.iv.size(), 12);
    Info info{};
    info.info.version = TLS_1_3_VERSION;
    info.info.cipher_type = cipher_type;
    std::memcpy(info.salt, keys.iv.data(), 4);
    std::memcpy(info.iv, keys.iv.data() + 4, 8);
    std::memcpy(info.key, keys.key.data(), KeySize);
    put_sequence(info.rec_seq, keys.sequence);
    SecureBytes bytes(&info, sizeof info);
    secure_wipe(&info, sizeof info);
    return bytes;
}

Result<SecureBytes> chacha(const tls::TrafficKeys& keys) {
    using Info = tls12_crypto_info_chacha20_poly1305;
    static_assert(sizeof(Info{}.iv) == 12 && sizeof(Info{}.key) == 32);
    if (keys.key.size() != 32) return bad_size("key", keys.key.size(), 32);
    if (keys.iv.size() != 12) return bad_size("IV", keys.iv.size(), 12);
    Info info{};
    info.info.version = TLS_1_3_VERSION;
    info.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
    std::memcpy(info.iv, keys.iv.data(), 12);  // the whole IV: ChaCha has no salt in kTLS
    std::memcpy(info.key, keys.key.data(), 32);
    put_sequence(info.rec_seq, keys.sequence);
    SecureBytes bytes(&info, sizeof info);
    secure_wipe(&info, sizeof info);
    return bytes;
}

}  // namespace

Result<SecureBytes> crypto_info(tls::Cipher cipher, const tls::TrafficKeys& keys) {
    switch (cipher) {
        case tls::Cipher::kAes128Gcm:
            return salted<tls12_crypto_info_aes_gcm_128, 16>(TLS_CIPHER_AES_GCM_128, keys);
        case tls::Cipher::kAes256Gcm:
            return salted<tls12_crypto_info_aes_gcm_256, 32>(TLS_CIPHER_AES_GCM_256, keys);
        case tls::Cipher::kAes128Ccm:
            return salted<tls12_crypto_info_aes_ccm_128, 16>(TLS_CIPHER_AES_CCM_128, keys);
        case tls::Cipher::kChacha20Poly1305: return chacha(keys);
    }
    return make_error(ErrorCause::kLocalFault, "kTLS: unknown cipher");
}

Result<CryptoInfoPair> crypto_info(const tls::SessionKeys& keys) {
    auto tx = crypto_info(keys.cipher, keys.tx);
    if (!tx) return tx.error();
    auto rx = crypto_info(keys.cipher, keys.rx);
    if (!rx) return rx.error();
    return CryptoInfoPair{std::move(tx).value(), std::move(rx).value()};
}

}  // namespace handshaked::ktls
