// SPDX-License-Identifier: GPL-2.0-or-later
// The narrow interface between a handshake job and a TLS library. wolfSSL is the one
// implementation today (service/tls/wolfssl/); a second library would implement these two classes.
// A session never blocks: advance() does what the socket allows and says what it waits for.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/secure_bytes.h"
#include "proto/handshake.h"
#include "service/tls/groups.h"

namespace handshaked::tls {

// Ciphers the kernel's kTLS accepts for TLS 1.3; nothing else is ever offered.
enum class Cipher : std::uint8_t { kAes128Gcm, kAes256Gcm, kChacha20Poly1305, kAes128Ccm };
std::string_view cipher_iana_name(Cipher cipher);  // "TLS_AES_128_GCM_SHA256", ...

// One direction's record state at hand-off.
struct TrafficKeys {
    SecureBytes key;             // 16 or 32 bytes
    SecureBytes iv;              // 12 bytes (the full TLS 1.3 static IV)
    std::uint64_t sequence = 0;  // next record's sequence number in this direction
};

struct SessionKeys {
    Cipher cipher = Cipher::kAes128Gcm;
    TrafficKeys tx;  // what this end sends with
    TrafficKeys rx;  // what this end receives with
};

struct PskKey {
    std::string identity;  // the key's description, sent on the wire as the PSK identity
    SecureBytes key;       // the key's payload
    KeySerial serial = 0;  // returned to the kernel as remote-auth when this PSK was used
};

// DER credentials read from the kernel keyring for one request.
struct DerCredentials {
    std::vector<std::uint8_t> certificate;  // one DER certificate (the kernel stores one per key)
    SecureBytes private_key;                // DER private key
};

struct SessionParams {
    Role role = Role::kClient;
    AuthMode auth = AuthMode::kUnauthenticated;
    // Client: the name or address the server's certificate must match; SNI only for DNS names.
    std::optional<std::string> peername;
    // x509: the request's own certificate and key from the keyring; absent = configured files.
    std::optional<DerCredentials> own_credentials;
    // Client PSK: the identities to offer, in the kernel's order.
    std::vector<PskKey> client_psks;
    // Server PSK: look an identity the client sent up in the request's keyrings.
    std::function<std::optional<PskKey>(std::string_view identity)> server_psk_lookup;
};

enum class Progress : std::uint8_t { kWantRead, kWantWrite, kDone, kFailed };

class TlsSession {
public:
    virtual ~TlsSession() = default;

    // Drive the handshake as far as the non-blocking socket allows.
    virtual Progress advance() = 0;
    // Why advance() returned kFailed (its cause decides the kernel's status).
    virtual const Error& error() const = 0;

    // After kDone: the record state for kTLS. Fails if the library still holds received bytes
    // that kTLS would never see.
    virtual Result<SessionKeys> export_keys() = 0;

    virtual std::string cipher_name() const = 0;  // IANA name of the negotiated suite
    // After kDone: the key exchange group used; nullopt for a PSK-only (psk_ke) handshake.
    virtual std::optional<KeyExchangeGroup> key_exchange_group() const = 0;
    // After kDone: the peer's leaf certificate if it sent one and it verified.
    virtual std::optional<std::vector<std::uint8_t>> verified_peer_certificate() const = 0;
    // After kDone with PSK: the serial of the PSK that was used.
    virtual std::optional<KeySerial> used_psk_serial() const = 0;
};

// Credentials and trust parsed once per configuration (re)load; shared by every session.
struct EngineConfig {
    struct Side {
        std::string truststore;   // PEM file; empty = the system trust store
        std::string crl;          // PEM CRL file; empty = none
        std::string certificate;  // PEM chain; empty = none configured
        std::string private_key;  // PEM key; empty = none configured
        // The configuration loader has already told the operator that the truststore or CRL
        // does not exist yet: the engine does not say it again when it starts.
        bool missing_trust_reported = false;
    };
    Side client;
    Side server;
    // Offered (client) and accepted (server) in this order of preference; never empty.
    std::vector<KeyExchangeGroup> groups = default_key_exchange_groups();
    std::string system_truststore = "/etc/ssl/certs/ca-certificates.crt";
};

// Where the engine reports what an operator should see but that does not fail a handshake
// (a PSK that could not be offered, ...). Never called with key material. May be empty. Called
// from inside start_session/advance, so from whichever threads run sessions.
using EngineLog = std::function<void(std::string_view message)>;

class TlsEngine {
public:
    virtual ~TlsEngine() = default;
    // Start a session on a connected, non-blocking TCP socket. The session does not own fd.
    virtual Result<std::unique_ptr<TlsSession>> start_session(int fd, SessionParams params) = 0;
    virtual std::string_view library_name() const = 0;
};

}  // namespace handshaked::tls
