// SPDX-License-Identifier: GPL-2.0-or-later
// The wolfSSL implementation of TlsEngine: TLS 1.3 only, kTLS-capable suites only, no
// session tickets, contexts built once per configuration.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "base/result.h"
#include "service/tls/engine.h"

struct WOLFSSL;  // wolfssl/ssl.h: typedef struct WOLFSSL WOLFSSL

namespace handshaked::tls {

// Loads and checks every configured file (truststores, CRLs, certificate chains and keys, and
// that each key belongs to its certificate); an Error names the file at fault. The engine may
// start sessions from several threads; each session is driven by one thread at a time and keeps
// what it needs of the engine alive, so the engine may be replaced (reload) under running ones.
Result<std::unique_ptr<TlsEngine>> make_wolfssl_engine(const EngineConfig& config,
                                                       EngineLog log = {});

// The TLS library this build links, e.g. "wolfSSL 5.9.2 (Debian source 5.9.2-1.2)".
std::string wolfssl_version();
// Which of wolfSSL's assembly paths this CPU takes (wolfSSL chooses by CPUID at run time), e.g.
// "SP x86_64 asm, AES-NI yes, AVX2 yes, BMI2+ADX yes".
std::string wolfssl_cpu_paths();

// Tests only: the wolfSSL object behind a session started by a wolfSSL engine (nullptr for any
// other session). Lets a test restrict a session's cipher list before its first advance(), and
// read or write application data through wolfSSL after kDone.
WOLFSSL* wolfssl_handle_for_testing(TlsSession& session);

}  // namespace handshaked::tls
