// SPDX-License-Identifier: GPL-2.0-or-later
// The wolfSSL contexts of one configuration generation, built and checked once and shared by
// every session started from it (sessions keep them alive across a reload). Internal to
// service/tls/wolfssl/.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "service/tls/engine.h"
#include "service/tls/groups.h"
#include "service/tls/wolfssl/handles.h"
#include "service/tls/wolfssl/suites.h"
#include "service/tls/wolfssl/wolfssl_engine.h"

namespace handshaked::tls::wolf {

struct EngineState {
    CtxPtr client_unauth;  // trust (client side), no certificate of our own
    CtxPtr client_x509;    // trust (client side) + the configured client certificate, if any
    CtxPtr client_psk;     // PSK only; verifies certificates against nothing
    CtxPtr server_x509;    // configured server certificate, if any + trust (server side)
    CtxPtr server_psk;     // PSK only, no certificate
    bool client_has_certificate = false;
    bool server_has_certificate = false;
    // Why client_unauth/client_x509 or server_x509 are missing: a configured truststore or CRL
    // that does not exist. Only the handshakes needing that context fail (with this reason).
    std::string client_x509_unavailable;
    std::string server_x509_unavailable;
    std::vector<const Suite*> suites;      // what every context offers, in preference order
    std::vector<KeyExchangeGroup> groups;  // likewise
    EngineLog log;

    void note(const std::string& message) const {
        if (log) log(message);
    }
};

// Loads every configured file into the five contexts; an Error names the file at fault. A
// configured truststore or CRL that does not exist leaves its side's certificate contexts empty
// with the reason (noted through log) instead of failing the whole generation.
Result<std::shared_ptr<EngineState>> build_engine_state(const EngineConfig& config, EngineLog log);

}  // namespace handshaked::tls::wolf
