// SPDX-License-Identifier: GPL-2.0-or-later
// Owning handles for wolfSSL objects, the one-time library initialisation, and error texts.
// Internal to service/tls/wolfssl/.
#pragma once

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include <memory>
#include <string>

namespace handshaked::tls::wolf {

struct CtxDeleter {
    void operator()(WOLFSSL_CTX* ctx) const noexcept { wolfSSL_CTX_free(ctx); }
};
struct SslDeleter {
    void operator()(WOLFSSL* ssl) const noexcept { wolfSSL_free(ssl); }
};
struct X509Deleter {
    void operator()(WOLFSSL_X509* x509) const noexcept { wolfSSL_X509_free(x509); }
};

using CtxPtr = std::unique_ptr<WOLFSSL_CTX, CtxDeleter>;
using SslPtr = std::unique_ptr<WOLFSSL, SslDeleter>;
using X509Ptr = std::unique_ptr<WOLFSSL_X509, X509Deleter>;

// wolfSSL_Init, exactly once per process, from any thread. Never undone (wolfSSL_Cleanup would
// pull the library from under sessions of other engines).
void init_library();

// "-322 (peer subject name mismatch)": a wolfSSL/wolfCrypt error code for logs.
std::string error_text(int error);

}  // namespace handshaked::tls::wolf
