// SPDX-License-Identifier: GPL-2.0-or-later
// Certificate verification of a session: wolfSSL's chain checks plus what it leaves to us (CRLs
// used where present, IP address SANs for an address-literal peername).
#include <wolfssl/error-ssl.h>

#include "service/tls/wolfssl/credentials.h"
#include "service/tls/wolfssl/session.h"

namespace handshaked::tls::wolf {
namespace {

constexpr int kX509ErrIpAddressMismatch = 64;  // X509_V_ERR_IP_ADDRESS_MISMATCH

}  // namespace

int WolfSslSession::on_verify(int preverify, WOLFSSL_X509_STORE_CTX* store) {
    const int error = wolfSSL_X509_STORE_CTX_get_error(store);
    const int depth = wolfSSL_X509_STORE_CTX_get_error_depth(store);
    if (!preverify) {
        // As GnuTLS (tlshd) does, a CRL is used where there is one: a certificate whose issuer
        // has no CRL loaded is not rejected for that alone. Everything else stays fatal.
        if (error != CRL_MISSING) return 0;
    }
    if (depth != 0) return 1;
    WOLFSSL_X509* leaf = wolfSSL_X509_STORE_CTX_get_current_cert(store);
    // wolfSSL also calls this when the peer sent no certificate at all (a client need not),
    // with no certificate or an empty one: nothing is verified then, and complete() fails a
    // client that got no server certificate.
    auto leaf_der = certificate_der(leaf);
    if (leaf_der.empty()) return 1;
    if (peer_ip_) {
        if (!certificate_has_ip_san(leaf, *peer_ip_)) {
            ip_mismatch_ = true;
            wolfSSL_X509_STORE_CTX_set_error(store, kX509ErrIpAddressMismatch);
            return 0;
        }
        ip_verified_ = true;
    }
    // Kept for complete(), which checks it is the peer's leaf and reports it: decoding the
    // certificate again there (wolfSSL_get_peer_certificate) was 3 % of an ECDSA handshake.
    verified_leaf_der_ = std::move(leaf_der);
    leaf_verified_ = true;
    return 1;
}

}  // namespace handshaked::tls::wolf
