// SPDX-License-Identifier: GPL-2.0-or-later
// Certificate and key files and buffers, checked before wolfSSL ever uses them. Internal to
// service/tls/wolfssl/. Messages name files, never contents.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/secure_bytes.h"
#include "service/tls/peername.h"
#include "service/tls/wolfssl/handles.h"

namespace handshaked::tls::wolf {

// The whole file, or an Error "cannot read <what> <path>: <strerror>".
Result<std::vector<std::uint8_t>> read_file(const std::string& path, std::string_view what);
// The same for secrets: the bytes are wiped when the result goes away.
Result<SecureBytes> read_secret_file(const std::string& path, std::string_view what);

// The first certificate of a PEM file as DER (the leaf of a chain file), empty if there is none.
std::vector<std::uint8_t> first_pem_certificate_der(const std::vector<std::uint8_t>& pem);
// A PEM private key (PKCS#8, SEC1 or PKCS#1, unencrypted) as DER; empty if it is not one.
SecureBytes pem_private_key_der(const SecureBytes& pem);

enum class KeyMatch : std::uint8_t {
    kMatch,        // the key's public half is the certificate's public key
    kMismatch,     // it is not
    kUnreadable,   // the certificate or key could not be parsed
    kUnsupported,  // neither RSA nor ECDSA: the caller falls back to wolfSSL's own check
};
// Compares public keys itself rather than trusting the library's check_private_key, which in
// wolfSSL 5.5.4 accepted any EC key of the right curve (test/engine/engine_config_test.cc pins
// this).
KeyMatch key_matches_certificate(const std::uint8_t* cert_der, std::size_t cert_size,
                                 const std::uint8_t* key_der, std::size_t key_size);

// Does the certificate carry an iPAddress subjectAltName equal to address (byte for byte)?
bool certificate_has_ip_san(WOLFSSL_X509* certificate, const IpAddress& address);

// The certificate's DER encoding (a copy).
std::vector<std::uint8_t> certificate_der(WOLFSSL_X509* certificate);

}  // namespace handshaked::tls::wolf
