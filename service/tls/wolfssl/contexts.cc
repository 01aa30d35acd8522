// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/wolfssl/contexts.h"

#include <unistd.h>

#include <cerrno>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include "service/tls/wolfssl/credentials.h"
#include "service/tls/wolfssl/session.h"

namespace handshaked::tls::wolf {
namespace {

Result<CtxPtr> new_context(bool server, const std::string& cipher_list,
                           const std::vector<KeyExchangeGroup>& key_exchange_groups) {
    CtxPtr ctx(wolfSSL_CTX_new(server ? wolfTLSv1_3_server_method() : wolfTLSv1_3_client_method()));
    if (!ctx) return make_error(ErrorCause::kLocalFault, "wolfSSL_CTX_new failed");
    if (wolfSSL_CTX_set_cipher_list(ctx.get(), cipher_list.c_str()) != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kLocalFault,
                          "wolfSSL rejects the cipher list " + cipher_list);
    }
    // wolfSSL's group numbers are the IANA code points KeyExchangeGroup holds.
    std::vector<int> groups;
    for (const auto group : key_exchange_groups) groups.push_back(static_cast<int>(group));
    if (groups.empty() ||
        wolfSSL_CTX_set_groups(ctx.get(), groups.data(), static_cast<int>(groups.size())) !=
            WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kLocalFault, "wolfSSL rejects the key exchange groups " +
                                                       group_list(key_exchange_groups));
    }
    wolfSSL_CTX_set_session_cache_mode(ctx.get(), WOLFSSL_SESS_CACHE_OFF);
    // Each flight in one write: otherwise a server sends ServerHello, EncryptedExtensions,
    // Certificate, CertificateVerify and Finished in five, each a syscall, a TCP segment and a
    // wake-up of the peer (the guest measured 6.5 sends per handshake).
    if (wolfSSL_CTX_set_group_messages(ctx.get()) != WOLFSSL_SUCCESS)
        return make_error(ErrorCause::kLocalFault, "wolfSSL cannot group handshake messages");
    // A NewSessionTicket after the handshake would reach the consumer through kTLS.
    if (server && wolfSSL_CTX_no_ticket_TLSv13(ctx.get()) != 0) {
        return make_error(ErrorCause::kLocalFault,
                          "wolfSSL cannot disable TLS 1.3 session tickets");
    }
    return ctx;
}

Result<void> load_trust(WOLFSSL_CTX* ctx, const EngineConfig::Side& side,
                        const std::string& system_truststore, const std::string& role) {
    const bool configured = !side.truststore.empty();
    const std::string& path = configured ? side.truststore : system_truststore;
    const std::string what = role + (configured ? " truststore" : " truststore (system default)");
    if (!configured && access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
        // No system trust store (a minimal root, an initramfs): PSK and server-side work still
        // need to start; every certificate this side must verify then fails to verify.
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_callback);
        return {};
    }
    auto pem = read_file(path, what);
    if (!pem) return pem.error();
    // The system bundle may hold a certificate wolfSSL cannot parse; skip those there, but not
    // in a file somebody configured on purpose.
    const word32 flags =
        configured ? WOLFSSL_LOAD_VERIFY_DEFAULT_FLAGS : WOLFSSL_LOAD_FLAG_IGNORE_ERR;
    const int ret = wolfSSL_CTX_load_verify_buffer_ex(
        ctx, pem->data(), static_cast<long>(pem->size()), WOLFSSL_FILETYPE_PEM, 0, flags);
    if (ret != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kConfig,
                          what + " " + path + ": not a usable PEM CA certificate file (wolfSSL " +
                              error_text(ret) + ")");
    }
    if (!side.crl.empty()) {
        auto crl = read_file(side.crl, role + " CRL");
        if (!crl) return crl.error();
        if (wolfSSL_CTX_EnableCRL(ctx, WOLFSSL_CRL_CHECKALL) != WOLFSSL_SUCCESS) {
            return make_error(ErrorCause::kLocalFault, "wolfSSL cannot enable CRL checking");
        }
        const int crl_ret = wolfSSL_CTX_LoadCRLBuffer(
            ctx, crl->data(), static_cast<long>(crl->size()), WOLFSSL_FILETYPE_PEM);
        if (crl_ret != WOLFSSL_SUCCESS) {
            return make_error(ErrorCause::kConfig, role + " CRL " + side.crl +
                                                       ": not a usable PEM CRL, or its issuer is " +
                                                       "not in the truststore (wolfSSL " +
                                                       error_text(crl_ret) + ")");
        }
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_callback);
    return {};
}

// The configured PEM chain and key of one side; false if none is configured.
Result<bool> load_configured_identity(WOLFSSL_CTX* ctx, const EngineConfig::Side& side,
                                      const std::string& role) {
    if (side.certificate.empty() && side.private_key.empty()) return false;
    if (side.certificate.empty()) {
        return make_error(ErrorCause::kConfig, role + " private key " + side.private_key +
                                                   " is configured without a certificate");
    }
    if (side.private_key.empty()) {
        return make_error(ErrorCause::kConfig, role + " certificate " + side.certificate +
                                                   " is configured without a private key");
    }
    auto chain = read_file(side.certificate, role + " certificate");
    if (!chain) return chain.error();
    auto key = read_secret_file(side.private_key, role + " private key");
    if (!key) return key.error();

    int ret = wolfSSL_CTX_use_certificate_chain_buffer(ctx, chain->data(),
                                                       static_cast<long>(chain->size()));
    if (ret != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kConfig,
                          role + " certificate " + side.certificate +
                              ": not a usable PEM certificate chain (wolfSSL " + error_text(ret) +
                              ")");
    }
    ret = wolfSSL_CTX_use_PrivateKey_buffer(ctx, key->data(), static_cast<long>(key->size()),
                                            WOLFSSL_FILETYPE_PEM);
    if (ret != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kConfig,
                          role + " private key " + side.private_key +
                              ": not a usable unencrypted PEM private key (wolfSSL " +
                              error_text(ret) + ")");
    }
    const auto leaf = first_pem_certificate_der(*chain);
    const auto key_der = pem_private_key_der(*key);
    const auto match =
        key_matches_certificate(leaf.data(), leaf.size(), key_der.data(), key_der.size());
    if (match == KeyMatch::kMismatch || match == KeyMatch::kUnreadable ||
        wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kConfig, role + " private key " + side.private_key +
                                                   " does not belong to the certificate " +
                                                   side.certificate);
    }
    return true;
}

// The reason a side's certificate contexts cannot be built yet, or "" when they can.
std::string missing_trust_file(const EngineConfig::Side& side, const std::string& role) {
    for (const auto& [what, path] :
         {std::pair{" truststore ", &side.truststore}, std::pair{" CRL ", &side.crl}}) {
        if (!path->empty() && access(path->c_str(), F_OK) != 0 && errno == ENOENT)
            return role + what + *path + " does not exist (reload once it does)";
    }
    return "";
}

}  // namespace

Result<std::shared_ptr<EngineState>> build_engine_state(const EngineConfig& config, EngineLog log) {
    init_library();
    auto state = std::make_shared<EngineState>();
    state->log = std::move(log);
    state->groups = config.groups;
    state->suites = supported_suites();
    if (state->suites.empty()) {
        return make_error(ErrorCause::kLocalFault,
                          "this wolfSSL build has no TLS 1.3 suite kTLS supports");
    }
    const std::string list = join_suites(state->suites);

    auto make = [&](bool server) { return new_context(server, list, config.groups); };

    CtxPtr client_unauth_ctx;
    CtxPtr client_x509_ctx;
    bool client_identity = false;
    state->client_x509_unavailable = missing_trust_file(config.client, "client");
    if (state->client_x509_unavailable.empty()) {
        auto client_unauth = make(false);
        if (!client_unauth) return client_unauth.error();
        if (auto r =
                load_trust(client_unauth->get(), config.client, config.system_truststore, "client");
            !r) {
            return r.error();
        }
        auto client_x509 = make(false);
        if (!client_x509) return client_x509.error();
        if (auto r =
                load_trust(client_x509->get(), config.client, config.system_truststore, "client");
            !r) {
            return r.error();
        }
        auto identity = load_configured_identity(client_x509->get(), config.client, "client");
        if (!identity) return identity.error();
        client_unauth_ctx = std::move(client_unauth).value();
        client_x509_ctx = std::move(client_x509).value();
        client_identity = *identity;
    } else if (!config.client.missing_trust_reported) {
        state->note(state->client_x509_unavailable +
                    ": client x509 and unauthenticated handshakes will fail");
    }

    auto client_psk = make(false);
    if (!client_psk) return client_psk.error();
    // No trust anchors: a server that answers a PSK ClientHello with a certificate fails.
    wolfSSL_CTX_set_verify(client_psk->get(), WOLFSSL_VERIFY_PEER, nullptr);
    wolfSSL_CTX_set_psk_client_cs_callback(client_psk->get(), client_psk_callback);

    CtxPtr server_x509_ctx;
    bool server_identity = false;
    state->server_x509_unavailable = missing_trust_file(config.server, "server");
    if (state->server_x509_unavailable.empty()) {
        auto server_x509 = make(true);
        if (!server_x509) return server_x509.error();
        auto identity = load_configured_identity(server_x509->get(), config.server, "server");
        if (!identity) return identity.error();
        if (!*identity) {
            // With no configured certificate each request brings its own, loaded into the
            // session after wolfSSL_new (use_own_credentials); a certificate set-up callback
            // tells wolfSSL_new not to insist on one in the context. init() refuses requests
            // with none.
            wolfSSL_CTX_set_cert_cb(
                server_x509->get(), [](WOLFSSL*, void*) { return 1; }, nullptr);
        }
        // Request a client certificate but do not require one; verify it when sent.
        if (auto r =
                load_trust(server_x509->get(), config.server, config.system_truststore, "server");
            !r) {
            return r.error();
        }
        server_x509_ctx = std::move(server_x509).value();
        server_identity = *identity;
    } else if (!config.server.missing_trust_reported) {
        state->note(state->server_x509_unavailable + ": server x509 handshakes will fail");
    }

    auto server_psk = make(true);
    if (!server_psk) return server_psk.error();
    wolfSSL_CTX_set_psk_server_tls13_callback(server_psk->get(), server_psk_callback);

    state->client_unauth = std::move(client_unauth_ctx);
    state->client_x509 = std::move(client_x509_ctx);
    state->client_psk = std::move(client_psk).value();
    state->server_x509 = std::move(server_x509_ctx);
    state->server_psk = std::move(server_psk).value();
    state->client_has_certificate = client_identity;
    state->server_has_certificate = server_identity;
    return state;
}

}  // namespace handshaked::tls::wolf
