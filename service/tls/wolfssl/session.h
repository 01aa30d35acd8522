// SPDX-License-Identifier: GPL-2.0-or-later
// One handshake on one socket with wolfSSL: the TlsSession the engine hands out, with the
// wolfSSL callbacks it answers (socket I/O, certificate verification, PSK). Its member functions
// live in session.cc (set-up, I/O, the handshake, failure, key export), session_psk.cc and
// session_verify.cc. Internal to service/tls/wolfssl/.
#pragma once

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "service/tls/client_hello.h"
#include "service/tls/engine.h"
#include "service/tls/peername.h"
#include "service/tls/wolfssl/contexts.h"
#include "service/tls/wolfssl/handles.h"
#include "service/tls/wolfssl/suites.h"

namespace handshaked::tls::wolf {

class WolfSslSession final : public TlsSession {
public:
    WolfSslSession(std::shared_ptr<const EngineState> engine, int fd, SessionParams params)
        : engine_(std::move(engine)), fd_(fd), params_(std::move(params)) {}

    Result<void> init();

    Progress advance() override;
    const Error& error() const override { return error_; }
    Result<SessionKeys> export_keys() override;
    std::string cipher_name() const override {
        return suite_ ? std::string(cipher_iana_name(suite_->cipher)) : std::string();
    }
    std::optional<KeyExchangeGroup> key_exchange_group() const override { return group_; }
    std::optional<std::vector<std::uint8_t>> verified_peer_certificate() const override {
        return peer_certificate_;
    }
    std::optional<KeySerial> used_psk_serial() const override { return used_psk_serial_; }

    WOLFSSL* native() { return ssl_.get(); }

    // wolfSSL callbacks (through the free functions below).
    int io_recv(char* buffer, int size);
    int io_send(const char* buffer, int size);
    int on_verify(int preverify, WOLFSSL_X509_STORE_CTX* store);
    unsigned int on_client_psk(char* identity, unsigned int identity_max, unsigned char* key,
                               unsigned int key_max, const char* suite_name);
    unsigned int on_server_psk(const char* identity, unsigned char* key, unsigned int key_max,
                               const char** suite_name);

private:
    // The longest PSK identity wolfSSL takes (MAX_PSK_ID_LEN of this build, without tickets).
    static constexpr std::size_t kMaxPskIdentity = 1536;
    struct OfferedPsk {
        std::size_t index;   // into params_.client_psks
        const Suite* suite;  // the suite wolfSSL asks for it under
    };
    struct UsablePsk {
        std::size_t index;  // into params_.client_psks
        PskHash hash;
    };
    struct LookedUpPsk {
        std::string identity;
        std::optional<PskKey> key;
    };

    bool is_client() const { return params_.role == Role::kClient; }
    Result<void> prepare_client();
    Result<void> prepare_server();
    Result<void> prepare_client_psks();
    Result<void> use_own_credentials(const DerCredentials& credentials);
    Progress complete();
    Progress fail_from_library(int error);
    Progress fail(ErrorCause failure, std::string message);
    bool check_client_hello();
    void send_plaintext_alert(std::uint8_t description);
    const LookedUpPsk* lookup_server_psk(const std::string& identity);

    std::shared_ptr<const EngineState> engine_;
    int fd_;
    SessionParams params_;
    SslPtr ssl_;
    Progress state_ = Progress::kWantWrite;
    Error error_;  // set by fail(); the job reads it only after kFailed

    // What the socket did.
    bool peer_gone_ = false;
    int io_errno_ = 0;
    std::size_t bytes_sent_ = 0;
    std::optional<std::uint8_t> held_alert_;      // server: wolfSSL's alert before our first flight
    std::optional<std::string> no_common_group_;  // server: the groups the client offered

    // Certificate checks.
    std::optional<IpAddress> peer_ip_;
    bool ip_verified_ = false;
    bool ip_mismatch_ = false;
    bool leaf_verified_ = false;
    std::vector<std::uint8_t> verified_leaf_der_;  // the leaf on_verify accepted

    // PSK.
    std::vector<UsablePsk> usable_psks_;      // client: the request's PSKs wolfSSL can take
    std::vector<OfferedPsk> offered_psks_;    // client: which PSK went out under which suite
    std::vector<std::uint8_t> client_hello_;  // server: the bytes received, until it is whole
    bool capture_client_hello_ = false;
    std::optional<ClientHelloOffer> client_hello_offer_;  // server: what it offers, read once
    std::vector<LookedUpPsk> server_lookups_;
    bool psk_identity_seen_ = false;
    bool psk_found_ = false;

    // Results.
    const Suite* suite_ = nullptr;
    std::optional<KeyExchangeGroup> group_;  // after kDone; none for psk_ke
    std::optional<std::vector<std::uint8_t>> peer_certificate_;
    std::optional<KeySerial> used_psk_serial_;
};

// The callbacks the contexts install; each finds its session through the WOLFSSL object.
int verify_callback(int preverify, WOLFSSL_X509_STORE_CTX* store);
unsigned int client_psk_callback(WOLFSSL* ssl, const char* hint, char* identity,
                                 unsigned int identity_max, unsigned char* key,
                                 unsigned int key_max, const char* suite_name);
unsigned int server_psk_callback(WOLFSSL* ssl, const char* identity, unsigned char* key,
                                 unsigned int key_max, const char** suite_name);

}  // namespace handshaked::tls::wolf
