// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/wolfssl/wolfssl_engine.h"

#include <unistd.h>

#include <cerrno>

#include <sys/socket.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/handshaked_wolfssl_source.h>
#include <wolfssl/ssl.h>
#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/cpuid.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "service/tls/client_hello.h"
#include "service/tls/peername.h"
#include "service/tls/psk_identity.h"
#include "service/tls/wolfssl/credentials.h"
#include "service/tls/wolfssl/handles.h"

namespace handshaked::tls {
namespace {

using wolf::CtxPtr;
using wolf::SslPtr;
using wolf::X509Ptr;

// The TLS 1.3 suites the kernel's kTLS can take over, in preference order. Nothing else is
// ever offered or accepted.
struct Suite {
    const char* wolf_name;  // wolfSSL's name (its cipher-list syntax)
    Cipher cipher;
    PskHash hash;
    int bulk_cipher;  // wolfSSL_GetBulkCipher
    int key_size;
    std::uint16_t code;  // IANA cipher suite number
};
constexpr Suite kSuites[] = {
    {"TLS13-AES128-GCM-SHA256", Cipher::kAes128Gcm, PskHash::kSha256, wolfssl_aes_gcm, 16, 0x1301},
    {"TLS13-AES256-GCM-SHA384", Cipher::kAes256Gcm, PskHash::kSha384, wolfssl_aes_gcm, 32, 0x1302},
    {"TLS13-CHACHA20-POLY1305-SHA256", Cipher::kChacha20Poly1305, PskHash::kSha256, wolfssl_chacha,
     32, 0x1303},
    {"TLS13-AES128-CCM-SHA256", Cipher::kAes128Ccm, PskHash::kSha256, wolfssl_aes_ccm, 16, 0x1304},
};

const Suite* find_suite(std::string_view wolf_name) {
    for (const auto& suite : kSuites) {
        if (wolf_name == suite.wolf_name) return &suite;
    }
    return nullptr;
}

std::string join_suites(const std::vector<const Suite*>& suites) {
    std::string list;
    for (const Suite* suite : suites) {
        if (!list.empty()) list += ':';
        list += suite->wolf_name;
    }
    return list;
}

constexpr std::size_t kMaxServerPskLookups = 16;       // distinct identities per ClientHello
constexpr std::size_t kMaxClientHelloCapture = 20000;  // a ClientHello is at most a few KiB
constexpr std::uint8_t kAlertHandshakeFailure = 40;
constexpr std::uint8_t kAlertAccessDenied = 49;
constexpr std::uint8_t kAlertDecodeError = 50;
constexpr std::string_view kLibraryName =
    "wolfSSL " LIBWOLFSSL_VERSION_STRING " (Debian source " HANDSHAKED_WOLFSSL_DEBIAN_VERSION ")";
constexpr std::uint8_t kAlertDecryptError = 51;
constexpr std::uint8_t kAlertProtocolVersion = 70;
constexpr std::uint8_t kAlertInternalError = 80;
constexpr std::uint8_t kAlertUnknownPskIdentity = 115;
constexpr int kX509ErrIpAddressMismatch = 64;  // X509_V_ERR_IP_ADDRESS_MISMATCH

std::string_view alert_name(int code) {
    switch (code) {
        case 0: return "close_notify";
        case 10: return "unexpected_message";
        case 20: return "bad_record_mac";
        case 22: return "record_overflow";
        case 40: return "handshake_failure";
        case 42: return "bad_certificate";
        case 43: return "unsupported_certificate";
        case 44: return "certificate_revoked";
        case 45: return "certificate_expired";
        case 46: return "certificate_unknown";
        case 47: return "illegal_parameter";
        case 48: return "unknown_ca";
        case 49: return "access_denied";
        case 50: return "decode_error";
        case 51: return "decrypt_error";
        case 70: return "protocol_version";
        case 71: return "insufficient_security";
        case 80: return "internal_error";
        case 90: return "user_canceled";
        case 109: return "missing_extension";
        case 110: return "unsupported_extension";
        case 112: return "unrecognized_name";
        case 115: return "unknown_psk_identity";
        case 116: return "certificate_required";
        case 120: return "no_application_protocol";
        default: return "alert";
    }
}

// A fatal alert the peer sent us.
Failure failure_for_received_alert(int code, Role role) {
    switch (code) {
        case 115:
            // Only a server can tell a client its identity is unknown.
            return role == Role::kClient ? Failure::kUnknownPskIdentity : Failure::kAuthentication;
        case 10:
        case 22:
        case 47:
        case 50:
        case 70:
        case 109:
        case 110: return Failure::kProtocol;
        default: return Failure::kAuthentication;
    }
}

// A wolfSSL/wolfCrypt error code that was not a received alert or a socket problem.
Failure failure_for_error(int error) {
    switch (error) {
        case MEMORY_ERROR:
        case MEMORY_E:
        case BAD_FUNC_ARG:
        case BUILD_MSG_ERROR:
        case ENCRYPT_ERROR:
        case NO_PRIVATE_KEY:
        case RSA_PRIVATE_ERROR:
        case RNG_FAILURE_E:
        case NO_CERT_ERROR:
        case SIDE_ERROR:
        case BAD_STATE_E: return Failure::kLocalFault;
        case SOCKET_PEER_CLOSED_E:
        case SOCKET_ERROR_E:
        case ZERO_RETURN: return Failure::kPeerClosed;
        case DOMAIN_NAME_MISMATCH:
        case IPADDR_MISMATCH:
        case VERIFY_CERT_ERROR:
        case VERIFY_SIGN_ERROR:
        case VERIFY_FINISHED_ERROR:
        case VERIFY_MAC_ERROR:
        case DECRYPT_ERROR:
        case BAD_BINDER:
        case PSK_KEY_ERROR:
        case NO_PEER_CERT:
        case NO_PEER_VERIFY:
        case CRL_CERT_REVOKED:
        case CRL_MISSING:
        case OCSP_CERT_REVOKED:
        case MAX_CHAIN_ERROR:
        case SIG_VERIFY_E:
        case ASN_NO_SIGNER_E:
        case ASN_SELF_SIGNED_E:
        case ASN_PATHLEN_SIZE_E:
        case ASN_PATHLEN_INV_E:
        case AES_GCM_AUTH_E:
        case AES_CCM_AUTH_E:
        case CRL_CERT_DATE_ERR:
        case ASN_CRL_CONFIRM_E:
        case ASN_CRL_NO_SIGNER_E: return Failure::kAuthentication;
        default:
            // wolfCrypt's ASN/certificate range (parse, dates, signatures, ...).
            if (error <= ASN_PARSE_E && error >= ASN_ALT_NAME_E) return Failure::kAuthentication;
            return Failure::kProtocol;
    }
}

// Which plaintext alert a server sends when wolfSSL failed before its first flight (wolfSSL's
// own, held back by io_send, is the fallback).
std::uint8_t alert_for_failure(Failure failure, int error,
                               std::optional<std::uint8_t> wolfssl_alert) {
    switch (failure) {
        case Failure::kUnknownPskIdentity: return kAlertUnknownPskIdentity;
        case Failure::kMissingCredentials: return kAlertAccessDenied;
        case Failure::kLocalFault: return kAlertInternalError;
        default: break;
    }
    switch (error) {
        case BAD_BINDER: return kAlertDecryptError;
        case VERSION_ERROR:
        case UNSUPPORTED_PROTO_VERSION: return kAlertProtocolVersion;
        case BUFFER_ERROR:
        case PARSE_ERROR:
        case BAD_HELLO:
        case INCOMPLETE_DATA: return kAlertDecodeError;
        default: return wolfssl_alert.value_or(kAlertHandshakeFailure);
    }
}

// Socket errors that mean "the peer or the path to it went away" rather than a local fault.
bool is_peer_gone_errno(int err) {
    switch (err) {
        case ECONNRESET:
        case EPIPE:
        case ECONNABORTED:
        case ETIMEDOUT:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
        case ENOTCONN:
        case ECONNREFUSED: return true;
        default: return false;
    }
}

// ---------------------------------------------------------------------------------------------
// Engine state shared by every session (and kept alive by them).

struct EngineState {
    CtxPtr client_unauth;  // trust (client side), no certificate of our own
    CtxPtr client_x509;    // trust (client side) + the configured client certificate, if any
    CtxPtr client_psk;     // PSK only; verifies certificates against nothing
    CtxPtr server_x509;    // configured server certificate, if any + trust (server side)
    CtxPtr server_psk;     // PSK only, no certificate
    bool client_has_certificate = false;
    bool server_has_certificate = false;
    std::vector<const Suite*> suites;      // what every context offers, in preference order
    std::vector<KeyExchangeGroup> groups;  // likewise
    EngineLog log;

    void note(const std::string& message) const {
        if (log) log(message);
    }
};

class WolfSslSession;
WolfSslSession* session_of(WOLFSSL* ssl);

int verify_callback(int preverify, WOLFSSL_X509_STORE_CTX* store);
unsigned int client_psk_callback(WOLFSSL* ssl, const char* hint, char* identity,
                                 unsigned int identity_max, unsigned char* key,
                                 unsigned int key_max, const char* suite_name);
unsigned int server_psk_callback(WOLFSSL* ssl, const char* identity, unsigned char* key,
                                 unsigned int key_max, const char** suite_name);

Result<CtxPtr> new_context(bool server, const std::string& cipher_list,
                           const std::vector<KeyExchangeGroup>& key_exchange_groups) {
    CtxPtr ctx(wolfSSL_CTX_new(server ? wolfTLSv1_3_server_method() : wolfTLSv1_3_client_method()));
    if (!ctx) return Error{Failure::kLocalFault, "wolfSSL_CTX_new failed"};
    if (wolfSSL_CTX_set_cipher_list(ctx.get(), cipher_list.c_str()) != WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault, "wolfSSL rejects the cipher list " + cipher_list};
    }
    // wolfSSL's group numbers are the IANA code points KeyExchangeGroup holds.
    std::vector<int> groups;
    for (const auto group : key_exchange_groups) groups.push_back(static_cast<int>(group));
    if (groups.empty() ||
        wolfSSL_CTX_set_groups(ctx.get(), groups.data(), static_cast<int>(groups.size())) !=
            WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault,
                     "wolfSSL rejects the key exchange groups " + group_list(key_exchange_groups)};
    }
    wolfSSL_CTX_set_session_cache_mode(ctx.get(), WOLFSSL_SESS_CACHE_OFF);
    // A NewSessionTicket after the handshake would reach the consumer through kTLS.
    if (server && wolfSSL_CTX_no_ticket_TLSv13(ctx.get()) != 0) {
        return Error{Failure::kLocalFault, "wolfSSL cannot disable TLS 1.3 session tickets"};
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
    auto pem = wolf::read_file(path, what);
    if (!pem) return pem.error();
    // The system bundle may hold a certificate wolfSSL cannot parse; skip those there, but not
    // in a file somebody configured on purpose.
    const word32 flags =
        configured ? WOLFSSL_LOAD_VERIFY_DEFAULT_FLAGS : WOLFSSL_LOAD_FLAG_IGNORE_ERR;
    const int ret = wolfSSL_CTX_load_verify_buffer_ex(
        ctx, pem->data(), static_cast<long>(pem->size()), WOLFSSL_FILETYPE_PEM, 0, flags);
    if (ret != WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault, what + " " + path +
                                               ": not a usable PEM CA certificate file (wolfSSL " +
                                               wolf::error_text(ret) + ")"};
    }
    if (!side.crl.empty()) {
        auto crl = wolf::read_file(side.crl, role + " CRL");
        if (!crl) return crl.error();
        if (wolfSSL_CTX_EnableCRL(ctx, WOLFSSL_CRL_CHECKALL) != WOLFSSL_SUCCESS) {
            return Error{Failure::kLocalFault, "wolfSSL cannot enable CRL checking"};
        }
        const int crl_ret = wolfSSL_CTX_LoadCRLBuffer(
            ctx, crl->data(), static_cast<long>(crl->size()), WOLFSSL_FILETYPE_PEM);
        if (crl_ret != WOLFSSL_SUCCESS) {
            return Error{Failure::kLocalFault,
                         role + " CRL " + side.crl + ": not a usable PEM CRL, or its issuer is " +
                             "not in the truststore (wolfSSL " + wolf::error_text(crl_ret) + ")"};
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
        return Error{Failure::kLocalFault, role + " private key " + side.private_key +
                                               " is configured without a certificate"};
    }
    if (side.private_key.empty()) {
        return Error{Failure::kLocalFault, role + " certificate " + side.certificate +
                                               " is configured without a private key"};
    }
    auto chain = wolf::read_file(side.certificate, role + " certificate");
    if (!chain) return chain.error();
    auto key = wolf::read_secret_file(side.private_key, role + " private key");
    if (!key) return key.error();

    int ret = wolfSSL_CTX_use_certificate_chain_buffer(ctx, chain->data(),
                                                       static_cast<long>(chain->size()));
    if (ret != WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault, role + " certificate " + side.certificate +
                                               ": not a usable PEM certificate chain (wolfSSL " +
                                               wolf::error_text(ret) + ")"};
    }
    ret = wolfSSL_CTX_use_PrivateKey_buffer(ctx, key->data(), static_cast<long>(key->size()),
                                            WOLFSSL_FILETYPE_PEM);
    if (ret != WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault,
                     role + " private key " + side.private_key +
                         ": not a usable unencrypted PEM private key (wolfSSL " +
                         wolf::error_text(ret) + ")"};
    }
    const auto leaf = wolf::first_pem_certificate_der(*chain);
    const auto key_der = wolf::pem_private_key_der(*key);
    const auto match =
        wolf::key_matches_certificate(leaf.data(), leaf.size(), key_der.data(), key_der.size());
    if (match == wolf::KeyMatch::kMismatch || match == wolf::KeyMatch::kUnreadable ||
        wolfSSL_CTX_check_private_key(ctx) != WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault, role + " private key " + side.private_key +
                                               " does not belong to the certificate " +
                                               side.certificate};
    }
    return true;
}

// ---------------------------------------------------------------------------------------------

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

    // wolfSSL callbacks (through the free functions above).
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
    Progress fail(Failure failure, std::string message);
    bool check_client_hello();
    void send_plaintext_alert(std::uint8_t description);
    const LookedUpPsk* lookup_server_psk(const std::string& identity);

    std::shared_ptr<const EngineState> engine_;
    int fd_;
    SessionParams params_;
    SslPtr ssl_;
    Progress state_ = Progress::kWantWrite;
    Error error_{Failure::kNone, ""};

    // What the socket did.
    bool peer_gone_ = false;
    int io_errno_ = 0;
    std::size_t bytes_sent_ = 0;
    std::optional<std::uint8_t> held_alert_;      // server: wolfSSL's alert before our first flight
    bool client_hello_checked_ = false;           // server: check_client_hello() has run
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
    std::vector<std::uint8_t> client_hello_;  // server: the bytes received before answering
    bool capture_client_hello_ = false;
    std::vector<LookedUpPsk> server_lookups_;
    bool psk_identity_seen_ = false;
    bool psk_found_ = false;

    // Results.
    const Suite* suite_ = nullptr;
    std::optional<KeyExchangeGroup> group_;  // after kDone; none for psk_ke
    std::optional<std::vector<std::uint8_t>> peer_certificate_;
    std::optional<KeySerial> used_psk_serial_;
};

WolfSslSession* session_of(WOLFSSL* ssl) {
    return ssl ? static_cast<WolfSslSession*>(wolfSSL_GetIOReadCtx(ssl)) : nullptr;
}

int io_recv_callback(WOLFSSL*, char* buffer, int size, void* ctx) {
    return static_cast<WolfSslSession*>(ctx)->io_recv(buffer, size);
}

int io_send_callback(WOLFSSL*, char* buffer, int size, void* ctx) {
    return static_cast<WolfSslSession*>(ctx)->io_send(buffer, size);
}

int verify_callback(int preverify, WOLFSSL_X509_STORE_CTX* store) {
    auto* ssl = static_cast<WOLFSSL*>(
        wolfSSL_X509_STORE_CTX_get_ex_data(store, wolfSSL_get_ex_data_X509_STORE_CTX_idx()));
    WolfSslSession* session = session_of(ssl);
    if (!session) return 0;  // every context with this callback belongs to a session of ours
    return session->on_verify(preverify, store);
}

unsigned int client_psk_callback(WOLFSSL* ssl, const char*, char* identity,
                                 unsigned int identity_max, unsigned char* key,
                                 unsigned int key_max, const char* suite_name) {
    auto* session = static_cast<WolfSslSession*>(wolfSSL_get_psk_callback_ctx(ssl));
    if (!session) return 0;
    return session->on_client_psk(identity, identity_max, key, key_max, suite_name);
}

unsigned int server_psk_callback(WOLFSSL* ssl, const char* identity, unsigned char* key,
                                 unsigned int key_max, const char** suite_name) {
    auto* session = static_cast<WolfSslSession*>(wolfSSL_get_psk_callback_ctx(ssl));
    if (!session) return 0;
    return session->on_server_psk(identity, key, key_max, suite_name);
}

// ---------------------------------------------------------------------------------------------
// Session set-up

Result<void> WolfSslSession::init() {
    WOLFSSL_CTX* ctx = nullptr;
    const EngineState& engine = *engine_;
    if (is_client()) {
        switch (params_.auth) {
            case AuthMode::kUnauthenticated: ctx = engine.client_unauth.get(); break;
            case AuthMode::kX509: ctx = engine.client_x509.get(); break;
            case AuthMode::kPsk: ctx = engine.client_psk.get(); break;
        }
        if (params_.auth != AuthMode::kPsk && (!params_.peername || params_.peername->empty())) {
            return Error{Failure::kBadRequest,
                         "client handshake without a peername to verify the server against"};
        }
        if (params_.auth == AuthMode::kX509 && !params_.own_credentials &&
            !engine.client_has_certificate) {
            return Error{Failure::kMissingCredentials,
                         "x509 client handshake, but the request carries no certificate and "
                         "none is configured"};
        }
        if (params_.auth == AuthMode::kPsk && params_.client_psks.empty()) {
            return Error{Failure::kMissingCredentials, "PSK client handshake without a PSK"};
        }
    } else {
        switch (params_.auth) {
            // An "unauthenticated" server still presents a certificate; the client's is optional.
            case AuthMode::kUnauthenticated:
            case AuthMode::kX509: ctx = engine.server_x509.get(); break;
            case AuthMode::kPsk: ctx = engine.server_psk.get(); break;
        }
        Error missing{Failure::kNone, ""};
        if (params_.auth != AuthMode::kPsk && !params_.own_credentials &&
            !engine.server_has_certificate) {
            missing = Error{Failure::kMissingCredentials,
                            "server handshake, but the request carries no certificate and none "
                            "is configured"};
        }
        if (params_.auth == AuthMode::kPsk && !params_.server_psk_lookup) {
            missing = Error{Failure::kMissingCredentials,
                            "PSK server handshake without a way to look PSKs up"};
        }
        if (missing.failure != Failure::kNone) {
            // Like tlshd: tell the client why before the socket is closed.
            send_plaintext_alert(kAlertAccessDenied);
            return missing;
        }
    }

    ssl_.reset(wolfSSL_new(ctx));
    if (!ssl_) return Error{Failure::kLocalFault, "wolfSSL_new failed"};
    if (wolfSSL_set_fd(ssl_.get(), fd_) != WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault, "wolfSSL_set_fd failed"};
    }
    // Our own socket I/O: never blocks whatever the file's flags, no SIGPIPE, and it records
    // why the socket failed (peer gone or local error).
    wolfSSL_SSLSetIORecv(ssl_.get(), io_recv_callback);
    wolfSSL_SSLSetIOSend(ssl_.get(), io_send_callback);
    wolfSSL_SetIOReadCtx(ssl_.get(), this);
    wolfSSL_SetIOWriteCtx(ssl_.get(), this);
    wolfSSL_set_psk_callback_ctx(ssl_.get(), this);
    // complete() reads the PSK identity the handshake used from wolfSSL's handshake arrays,
    // which wolfSSL frees when the handshake ends unless told to keep them.
    if (params_.auth == AuthMode::kPsk) wolfSSL_KeepArrays(ssl_.get());

    return is_client() ? prepare_client() : prepare_server();
}

Result<void> WolfSslSession::use_own_credentials(const DerCredentials& credentials) {
    const auto& cert = credentials.certificate;
    const auto& key = credentials.private_key;
    if (wolfSSL_use_certificate_buffer(ssl_.get(), cert.data(), static_cast<long>(cert.size()),
                                       WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS) {
        return Error{Failure::kMissingCredentials,
                     "the request's certificate is not a usable DER certificate"};
    }
    if (wolfSSL_use_PrivateKey_buffer(ssl_.get(), key.data(), static_cast<long>(key.size()),
                                      WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS) {
        return Error{Failure::kMissingCredentials,
                     "the request's private key is not a usable DER private key"};
    }
    const auto match =
        wolf::key_matches_certificate(cert.data(), cert.size(), key.data(), key.size());
    if (match == wolf::KeyMatch::kMismatch || match == wolf::KeyMatch::kUnreadable ||
        wolfSSL_check_private_key(ssl_.get()) != WOLFSSL_SUCCESS) {
        return Error{Failure::kMissingCredentials,
                     "the request's private key does not belong to its certificate"};
    }
    return {};
}

Result<void> WolfSslSession::prepare_client() {
    // A key share for the most preferred group and, when that is a hybrid, for the first
    // classical group too (as OpenSSL 3.5 does): a server without ML-KEM then answers at once
    // instead of with a HelloRetryRequest.
    const auto& groups = engine_->groups;
    std::vector<KeyExchangeGroup> shares = {groups.front()};
    if (is_hybrid(groups.front())) {
        const auto classical = std::find_if(groups.begin(), groups.end(),
                                            [](KeyExchangeGroup g) { return !is_hybrid(g); });
        if (classical != groups.end()) shares.push_back(*classical);
    }
    for (const auto group : shares) {
        if (wolfSSL_UseKeyShare(ssl_.get(), static_cast<word16>(group)) != WOLFSSL_SUCCESS) {
            return Error{Failure::kLocalFault,
                         "wolfSSL_UseKeyShare failed for " + std::string(group_name(group))};
        }
    }
    if (params_.auth == AuthMode::kPsk) return prepare_client_psks();

    const std::string& name = *params_.peername;
    peer_ip_ = parse_ip_literal(name);
    if (!peer_ip_) {
        // A DNS name: wolfSSL matches it against the certificate and sends it as SNI.
        if (wolfSSL_check_domain_name(ssl_.get(), name.c_str()) != WOLFSSL_SUCCESS) {
            return Error{Failure::kLocalFault, "wolfSSL_check_domain_name failed"};
        }
        if (wolfSSL_UseSNI(ssl_.get(), WOLFSSL_SNI_HOST_NAME, name.data(),
                           static_cast<unsigned short>(name.size())) != WOLFSSL_SUCCESS) {
            return Error{Failure::kLocalFault, "wolfSSL_UseSNI failed"};
        }
    }
    // An address literal: no SNI (RFC 6066 forbids it); on_verify matches the leaf's IP SANs.

    if (params_.auth == AuthMode::kX509 && params_.own_credentials) {
        return use_own_credentials(*params_.own_credentials);
    }
    return {};
}

Result<void> WolfSslSession::prepare_client_psks() {
    // wolfSSL (WOLFSSL_PSK_MULTI_ID_PER_CS) builds the pre_shared_key extension by walking the
    // cipher list and asking the per-suite callback for identity 0, 1, ... of each suite until
    // it says "no more"; on_client_psk gives every PSK of a hash, in the kernel's order, to the
    // first suite of that hash wolfSSL asks about. So the identities go out grouped by hash, the
    // hash of the kernel's first PSK first (its suite leads the cipher list), each group in the
    // kernel's order. Here: which PSKs can go out at all.
    std::vector<const Suite*> order;
    for (std::size_t i = 0; i < params_.client_psks.size(); ++i) {
        const PskKey& psk = params_.client_psks[i];
        const std::string label = "PSK " + std::to_string(psk.serial);
        if (psk.identity.empty() || psk.identity.find('\0') != std::string::npos) {
            engine_->note(label + " not offered: its identity is empty or contains NUL");
            continue;
        }
        if (psk.identity.size() >= kMaxPskIdentity) {
            engine_->note(label + " not offered: its identity is longer than " +
                          std::to_string(kMaxPskIdentity - 1) + " bytes");
            continue;
        }
        if (psk.key.empty() || psk.key.size() > 64) {
            engine_->note(label + " not offered: key length " + std::to_string(psk.key.size()) +
                          " (1 to 64 bytes)");
            continue;
        }
        const auto hash = psk_hash_for(psk.identity, psk.key.size());
        if (!hash) {
            engine_->note(label + " not offered: its NVMe identity names an unsupported hash");
            continue;
        }
        // After ServerHello wolfSSL asks for the chosen identity's key with the identity's
        // first byte overwritten: identities of one hash must differ after their first byte.
        bool ambiguous = false;
        for (const auto& usable : usable_psks_) {
            const std::string& other = params_.client_psks[usable.index].identity;
            ambiguous = ambiguous || (usable.hash == *hash && other.size() == psk.identity.size() &&
                                      other.compare(1, std::string::npos, psk.identity, 1) == 0);
        }
        if (ambiguous) {
            engine_->note(label +
                          " not offered: its identity equals an earlier one's but for the " +
                          "first byte, which wolfSSL cannot tell apart");
            continue;
        }
        const auto home = std::find_if(engine_->suites.begin(), engine_->suites.end(),
                                       [&](const Suite* suite) { return suite->hash == *hash; });
        if (home == engine_->suites.end()) {
            engine_->note(label + " not offered: no " + std::string(psk_hash_name(*hash)) +
                          " cipher suite is enabled");
            continue;
        }
        usable_psks_.push_back(UsablePsk{i, *hash});
        if (std::find(order.begin(), order.end(), *home) == order.end()) order.push_back(*home);
    }
    if (usable_psks_.empty()) {
        return Error{Failure::kMissingCredentials, "none of the request's PSKs can be offered"};
    }
    for (const Suite* suite : engine_->suites) {
        if (std::find(order.begin(), order.end(), suite) == order.end()) order.push_back(suite);
    }
    const std::string list = join_suites(order);
    if (wolfSSL_set_cipher_list(ssl_.get(), list.c_str()) != WOLFSSL_SUCCESS) {
        return Error{Failure::kLocalFault, "wolfSSL rejects the cipher list " + list};
    }
    return {};
}

Result<void> WolfSslSession::prepare_server() {
    capture_client_hello_ = true;
    if (params_.auth != AuthMode::kPsk && params_.own_credentials) {
        if (auto r = use_own_credentials(*params_.own_credentials); !r) {
            send_plaintext_alert(kAlertAccessDenied);
            return r;
        }
    }
    return {};
}

// ---------------------------------------------------------------------------------------------
// Callbacks

int WolfSslSession::io_recv(char* buffer, int size) {
    for (;;) {
        const ssize_t n = ::recv(fd_, buffer, static_cast<std::size_t>(size), MSG_DONTWAIT);
        if (n > 0) {
            if (capture_client_hello_ && client_hello_.size() < kMaxClientHelloCapture) {
                client_hello_.insert(client_hello_.end(), buffer, buffer + n);
                if (!check_client_hello()) return WOLFSSL_CBIO_ERR_GENERAL;
            }
            return static_cast<int>(n);
        }
        if (n == 0) {
            peer_gone_ = true;
            return WOLFSSL_CBIO_ERR_CONN_CLOSE;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return WOLFSSL_CBIO_ERR_WANT_READ;
        io_errno_ = errno;
        if (is_peer_gone_errno(errno)) {
            peer_gone_ = true;
            return WOLFSSL_CBIO_ERR_CONN_RST;
        }
        return WOLFSSL_CBIO_ERR_GENERAL;
    }
}

int WolfSslSession::io_send(const char* buffer, int size) {
    // A server's fatal alert before its first flight is held back until fail_from_library()
    // knows the error, so the client is told what tlshd (GnuTLS) would tell it: wolfSSL says
    // illegal_parameter for a bad binder and for unknown PSK identities alike.
    if (!is_client() && bytes_sent_ == 0 && size == 7 && buffer[0] == 0x15 && buffer[5] == 0x02) {
        held_alert_ = static_cast<std::uint8_t>(buffer[6]);
        return size;
    }
    for (;;) {
        const ssize_t n =
            ::send(fd_, buffer, static_cast<std::size_t>(size), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            bytes_sent_ += static_cast<std::size_t>(n);
            return static_cast<int>(n);
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return WOLFSSL_CBIO_ERR_WANT_WRITE;
        io_errno_ = errno;
        if (is_peer_gone_errno(errno)) {
            peer_gone_ = true;
            return WOLFSSL_CBIO_ERR_CONN_CLOSE;
        }
        return WOLFSSL_CBIO_ERR_GENERAL;
    }
}

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
    auto leaf_der = wolf::certificate_der(leaf);
    if (leaf_der.empty()) return 1;
    if (peer_ip_) {
        if (!wolf::certificate_has_ip_san(leaf, *peer_ip_)) {
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

unsigned int WolfSslSession::on_client_psk(char* identity, unsigned int identity_max,
                                           unsigned char* key, unsigned int key_max,
                                           const char* suite_name) {
    if (!suite_name || !identity || !key || identity_max == 0) return 0;
    const Suite* suite = find_suite(suite_name);
    if (!suite) return 0;
    std::vector<const OfferedPsk*> under_suite;
    for (const auto& o : offered_psks_) {
        if (o.suite == suite) under_suite.push_back(&o);
    }
    const auto ordinal = static_cast<unsigned char>(identity[0]);
    const OfferedPsk* offer = nullptr;
    if (ordinal == 0 && !under_suite.empty()) {
        // Binders and after ServerHello: wolfSSL passes the identity it sent, but for its
        // first byte (set to 0), and wants that identity's key.
        const std::size_t length = strnlen(identity + 1, identity_max - 1) + 1;
        for (const OfferedPsk* o : under_suite) {
            const std::string& id = params_.client_psks[o->index].identity;
            if (id.size() == length &&
                id.compare(1, std::string::npos, identity + 1, length - 1) == 0)
                offer = o;
        }
    }
    if (!offer && ordinal < under_suite.size()) {
        // Building the ClientHello (wolfSSL passes the ordinal in the identity's first byte)
        // and asking again: the answer must not change.
        offer = under_suite[ordinal];
    } else if (!offer && ordinal == under_suite.size()) {
        // The next PSK of this suite's hash not yet offered under any suite, if any.
        for (const auto& usable : usable_psks_) {
            if (usable.hash != suite->hash) continue;
            bool taken = false;
            for (const auto& o : offered_psks_) taken = taken || o.index == usable.index;
            if (taken) continue;
            offered_psks_.push_back(OfferedPsk{usable.index, suite});
            offer = &offered_psks_.back();
            break;
        }
    }
    if (!offer) return 0;
    const PskKey& psk = params_.client_psks[offer->index];
    if (psk.identity.size() >= identity_max || psk.key.size() > key_max) return 0;
    std::memcpy(identity, psk.identity.data(), psk.identity.size());
    identity[psk.identity.size()] = '\0';
    std::memcpy(key, psk.key.data(), psk.key.size());
    return static_cast<unsigned int>(psk.key.size());
}

const WolfSslSession::LookedUpPsk* WolfSslSession::lookup_server_psk(const std::string& identity) {
    // wolfSSL asks about each identity several times per ClientHello; the keyring once.
    for (const auto& entry : server_lookups_) {
        if (entry.identity == identity) return &entry;
    }
    if (server_lookups_.size() >= kMaxServerPskLookups) return nullptr;
    server_lookups_.push_back(LookedUpPsk{identity, params_.server_psk_lookup(identity)});
    return &server_lookups_.back();
}

unsigned int WolfSslSession::on_server_psk(const char* identity, unsigned char* key,
                                           unsigned int key_max, const char** suite_name) {
    if (!identity || !key || !suite_name) return 0;
    psk_identity_seen_ = true;
    const LookedUpPsk* entry = lookup_server_psk(identity);
    if (!entry || !entry->key) return 0;
    const PskKey& psk = *entry->key;
    const auto hash = psk_hash_for(entry->identity, psk.key.size());
    if (!hash || psk.key.empty() || psk.key.size() > key_max) return 0;
    // The suite's hash must be the PSK's hash, and the client must have offered the suite
    // (wolfSSL fails the handshake otherwise): the first of ours, in our order, that it offered.
    const auto offer = read_client_hello(client_hello_.data(), client_hello_.size());
    const Suite* suite = nullptr;
    for (const Suite* candidate : engine_->suites) {
        if (suite || candidate->hash != *hash) continue;
        if (!offer || std::find(offer->cipher_suites.begin(), offer->cipher_suites.end(),
                                candidate->code) != offer->cipher_suites.end()) {
            suite = candidate;
        }
    }
    if (!suite) return 0;
    std::memcpy(key, psk.key.data(), psk.key.size());
    *suite_name = suite->wolf_name;
    psk_found_ = true;
    return static_cast<unsigned int>(psk.key.size());
}

bool WolfSslSession::check_client_hello() {
    // With no group in common wolfSSL would ask, in a HelloRetryRequest, for one of its own
    // groups that the client never listed, and the client can only abort with
    // illegal_parameter. RFC 8446 4.1.1 wants handshake_failure (GnuTLS and OpenSSL send it):
    // the ClientHello is checked here, before wolfSSL sees its last bytes.
    if (client_hello_checked_) return true;
    if (!client_hello_complete(client_hello_.data(), client_hello_.size())) {
        client_hello_checked_ = client_hello_.size() >= kMaxClientHelloCapture;
        return true;  // not complete yet, or never will be within what we capture
    }
    client_hello_checked_ = true;
    const auto offer = read_client_hello(client_hello_.data(), client_hello_.size());
    if (!offer || !offer->complete) return true;  // malformed: wolfSSL's own alert answers it
    if (!offer->supported_groups) return true;    // wolfSSL decides without the extension
    // A PSK client that offers psk_ke needs no group unless wolfSSL takes psk_dhe_ke, which it
    // does whenever the client offers that mode and sends a key_share.
    if (params_.auth == AuthMode::kPsk && offer->offers_psk_ke &&
        !(offer->offers_psk_dhe_ke && offer->sends_key_share)) {
        return true;
    }
    for (const auto group : engine_->groups) {
        if (std::find(offer->supported_groups->begin(), offer->supported_groups->end(),
                      static_cast<std::uint16_t>(group)) != offer->supported_groups->end()) {
            return true;
        }
    }
    // A list can hold thousands of entries; the log names the first few.
    constexpr std::size_t kNamed = 16;
    const auto& groups = *offer->supported_groups;
    std::string offered;
    for (std::size_t i = 0; i < groups.size() && i < kNamed; ++i) {
        if (!offered.empty()) offered += ", ";
        offered += offered_group_name(groups[i]);
    }
    if (groups.size() > kNamed)
        offered += " and " + std::to_string(groups.size() - kNamed) + " more";
    no_common_group_ = offered;
    return false;
}

// ---------------------------------------------------------------------------------------------
// Handshake

Progress WolfSslSession::advance() {
    if (state_ == Progress::kDone || state_ == Progress::kFailed) return state_;
    const int ret = is_client() ? wolfSSL_connect(ssl_.get()) : wolfSSL_accept(ssl_.get());
    if (ret == WOLFSSL_SUCCESS) {
        capture_client_hello_ = false;
        client_hello_ = {};
        return complete();
    }
    const int error = wolfSSL_get_error(ssl_.get(), ret);
    if (error == WOLFSSL_ERROR_WANT_READ) return state_ = Progress::kWantRead;
    if (error == WOLFSSL_ERROR_WANT_WRITE) return state_ = Progress::kWantWrite;
    return fail_from_library(error);
}

Progress WolfSslSession::complete() {
    if (wolfSSL_version(ssl_.get()) != TLS1_3_VERSION) {
        return fail(Failure::kProtocol, "negotiated a protocol version other than TLS 1.3");
    }
    const char* name = wolfSSL_get_cipher_name(ssl_.get());
    suite_ = name ? find_suite(name) : nullptr;
    if (!suite_) {
        return fail(Failure::kProtocol, std::string("negotiated suite ") + (name ? name : "?") +
                                            " is not one kTLS can take over");
    }
    // wolfSSL names the group it used (IANA spelling, case aside); none for psk_ke.
    if (const char* group = wolfSSL_get_curve_name(ssl_.get())) group_ = group_by_name(group);

    if (params_.auth == AuthMode::kPsk) {
        const char* identity = wolfSSL_get_psk_identity(ssl_.get());
        if (!identity) return fail(Failure::kAuthentication, "the handshake used no PSK");
        if (is_client()) {
            for (const auto& offer : offered_psks_) {
                const PskKey& psk = params_.client_psks[offer.index];
                if (psk.identity == identity) used_psk_serial_ = psk.serial;
            }
        } else {
            for (const auto& entry : server_lookups_) {
                if (entry.key && entry.identity == identity) used_psk_serial_ = entry.key->serial;
            }
        }
        wolfSSL_FreeArrays(ssl_.get());  // the identity was all complete() needed of them
        if (!used_psk_serial_) {
            return fail(Failure::kAuthentication, "the handshake used no PSK of this request");
        }
    } else {
        // The leaf the peer sent, as wolfSSL keeps it (DER, not decoded again).
        std::optional<std::vector<std::uint8_t>> peer_leaf;
        if (WOLFSSL_X509_CHAIN* chain = wolfSSL_get_peer_chain(ssl_.get());
            chain && wolfSSL_get_chain_count(chain) > 0) {
            const unsigned char* der = wolfSSL_get_chain_cert(chain, 0);
            const int size = wolfSSL_get_chain_length(chain, 0);
            peer_leaf.emplace(der && size > 0 ? std::vector<std::uint8_t>(der, der + size)
                                              : std::vector<std::uint8_t>{});
        }
        // Belt and braces: the handshake cannot get here without verification, but a client
        // that accepted an unverified server would be the worst possible bug. The certificate
        // reported must be the one on_verify accepted (and matched against an IP peername).
        const bool verified = peer_leaf && leaf_verified_ && *peer_leaf == verified_leaf_der_;
        if (is_client()) {
            if (!verified) {
                return fail(Failure::kAuthentication, "the server's certificate was not verified");
            }
            if (peer_ip_ && !ip_verified_) {
                return fail(Failure::kAuthentication,
                            "the server's certificate has no IP address SAN " + *params_.peername);
            }
        } else if (peer_leaf && !verified) {
            return fail(Failure::kAuthentication, "the client's certificate was not verified");
        }
        if (peer_leaf) peer_certificate_ = std::move(peer_leaf);
    }
    return state_ = Progress::kDone;
}

Progress WolfSslSession::fail_from_library(int error) {
    WOLFSSL_ALERT_HISTORY history{};
    history.last_rx.code = history.last_tx.code = -1;
    wolfSSL_get_alert_history(ssl_.get(), &history);

    Failure failure;
    std::string message;
    if (error == FATAL_ERROR && history.last_rx.code >= 0) {
        failure = failure_for_received_alert(history.last_rx.code, params_.role);
        message = "peer sent fatal alert " + std::string(alert_name(history.last_rx.code)) + " (" +
                  std::to_string(history.last_rx.code) + ")";
    } else if (no_common_group_) {
        failure = Failure::kProtocol;
        message = "the client offers no key exchange group in common (it offers " +
                  *no_common_group_ + "; accepted: " + group_list(engine_->groups) + ")";
    } else if (peer_gone_ || error == ZERO_RETURN || error == SOCKET_PEER_CLOSED_E) {
        failure = Failure::kPeerClosed;
        message = "peer closed the connection during the handshake";
        if (io_errno_ != 0) message += std::string(" (") + std::strerror(io_errno_) + ")";
    } else if (io_errno_ != 0) {
        failure = Failure::kLocalFault;
        message = std::string("socket error: ") + std::strerror(io_errno_);
    } else if (!is_client() && params_.auth == AuthMode::kPsk && psk_identity_seen_ &&
               !psk_found_) {
        failure = Failure::kUnknownPskIdentity;
        message = "no PSK for any identity the client offered";
    } else if (ip_mismatch_) {
        failure = Failure::kAuthentication;
        message = "the server's certificate has no IP address SAN " + *params_.peername;
    } else {
        failure = failure_for_error(error);
        message = "handshake failed: wolfSSL " + wolf::error_text(error);
    }
    // Before our first flight records are still plaintext: the alert goes out now, named
    // after the error (see io_send), or wolfSSL's own when the error has no better one.
    if (!is_client() && bytes_sent_ == 0 && error != FATAL_ERROR &&
        failure != Failure::kPeerClosed && io_errno_ == 0) {
        send_plaintext_alert(no_common_group_ ? kAlertHandshakeFailure
                                              : alert_for_failure(failure, error, held_alert_));
    }
    return fail(failure, std::move(message));
}

Progress WolfSslSession::fail(Failure failure, std::string message) {
    error_ = Error{failure, std::move(message)};
    return state_ = Progress::kFailed;
}

void WolfSslSession::send_plaintext_alert(std::uint8_t description) {
    // content type alert (21), legacy version 3.3, length 2, level fatal (2), description.
    const std::array<std::uint8_t, 7> record = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description};
    // Best effort: the socket is about to be closed whatever happens.
    (void)::send(fd_, record.data(), record.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

Result<SessionKeys> WolfSslSession::export_keys() {
    if (state_ != Progress::kDone || !suite_) {
        return Error{Failure::kLocalFault, "export_keys before the handshake completed"};
    }
    WOLFSSL* ssl = ssl_.get();
    if (wolfSSL_has_pending(ssl) || wolfSSL_pending(ssl) > 0) {
        return Error{Failure::kLocalFault,
                     "wolfSSL already holds received records that kTLS would never see"};
    }
    const int bulk = wolfSSL_GetBulkCipher(ssl);
    const int key_size = wolfSSL_GetKeySize(ssl);
    const int iv_size = wolfSSL_GetIVSize(ssl);
    if (bulk != suite_->bulk_cipher || key_size != suite_->key_size || iv_size != 12) {
        return Error{Failure::kLocalFault, "wolfSSL's record state does not match the suite " +
                                               std::string(suite_->wolf_name)};
    }
    const unsigned char* client_key = wolfSSL_GetClientWriteKey(ssl);
    const unsigned char* client_iv = wolfSSL_GetClientWriteIV(ssl);
    const unsigned char* server_key = wolfSSL_GetServerWriteKey(ssl);
    const unsigned char* server_iv = wolfSSL_GetServerWriteIV(ssl);
    if (!client_key || !client_iv || !server_key || !server_iv) {
        return Error{Failure::kLocalFault, "wolfSSL has no traffic keys"};
    }
    // Both return !seq rather than a status; only a negative value is an error.
    word64 tx_seq = 0, rx_seq = 0;
    if (wolfSSL_GetSequenceNumber(ssl, &tx_seq) < 0 ||
        wolfSSL_GetPeerSequenceNumber(ssl, &rx_seq) < 0) {
        return Error{Failure::kLocalFault, "wolfSSL has no record sequence numbers"};
    }
    const bool client = wolfSSL_GetSide(ssl) == WOLFSSL_CLIENT_END;
    SessionKeys keys;
    keys.cipher = suite_->cipher;
    const auto size = static_cast<std::size_t>(key_size);
    keys.tx.key = SecureBytes(client ? client_key : server_key, size);
    keys.tx.iv = SecureBytes(client ? client_iv : server_iv, 12);
    keys.tx.sequence = tx_seq;
    keys.rx.key = SecureBytes(client ? server_key : client_key, size);
    keys.rx.iv = SecureBytes(client ? server_iv : client_iv, 12);
    keys.rx.sequence = rx_seq;
    return keys;
}

// ---------------------------------------------------------------------------------------------

class WolfSslEngine final : public TlsEngine {
public:
    explicit WolfSslEngine(std::shared_ptr<const EngineState> state) : state_(std::move(state)) {}

    Result<std::unique_ptr<TlsSession>> start_session(int fd, SessionParams params) override {
        auto session = std::make_unique<WolfSslSession>(state_, fd, std::move(params));
        if (auto r = session->init(); !r) return r.error();
        return std::unique_ptr<TlsSession>(std::move(session));
    }

    std::string_view library_name() const override { return kLibraryName; }

private:
    std::shared_ptr<const EngineState> state_;
};

// The suites this wolfSSL build accepts (CCM is optional in wolfSSL builds).
std::vector<const Suite*> supported_suites() {
    std::vector<const Suite*> suites;
    CtxPtr probe(wolfSSL_CTX_new(wolfTLSv1_3_client_method()));
    for (const auto& suite : kSuites) {
        if (probe && wolfSSL_CTX_set_cipher_list(probe.get(), suite.wolf_name) == WOLFSSL_SUCCESS) {
            suites.push_back(&suite);
        }
    }
    return suites;
}

}  // namespace

Result<std::unique_ptr<TlsEngine>> make_wolfssl_engine(const EngineConfig& config, EngineLog log) {
    wolf::init_library();
    auto state = std::make_shared<EngineState>();
    state->log = std::move(log);
    state->groups = config.groups;
    state->suites = supported_suites();
    if (state->suites.empty()) {
        return Error{Failure::kLocalFault, "this wolfSSL build has no TLS 1.3 suite kTLS supports"};
    }
    const std::string list = join_suites(state->suites);

    auto make = [&](bool server) { return new_context(server, list, config.groups); };

    auto client_unauth = make(false);
    if (!client_unauth) return client_unauth.error();
    if (auto r =
            load_trust(client_unauth->get(), config.client, config.system_truststore, "client");
        !r) {
        return r.error();
    }

    auto client_x509 = make(false);
    if (!client_x509) return client_x509.error();
    if (auto r = load_trust(client_x509->get(), config.client, config.system_truststore, "client");
        !r) {
        return r.error();
    }
    auto client_identity = load_configured_identity(client_x509->get(), config.client, "client");
    if (!client_identity) return client_identity.error();

    auto client_psk = make(false);
    if (!client_psk) return client_psk.error();
    // No trust anchors: a server that answers a PSK ClientHello with a certificate fails.
    wolfSSL_CTX_set_verify(client_psk->get(), WOLFSSL_VERIFY_PEER, nullptr);
    wolfSSL_CTX_set_psk_client_cs_callback(client_psk->get(), client_psk_callback);

    auto server_x509 = make(true);
    if (!server_x509) return server_x509.error();
    auto server_identity = load_configured_identity(server_x509->get(), config.server, "server");
    if (!server_identity) return server_identity.error();
    if (!*server_identity) {
        // With no configured certificate each request brings its own, loaded into the session
        // after wolfSSL_new (use_own_credentials); a certificate set-up callback tells
        // wolfSSL_new not to insist on one in the context. init() refuses requests with none.
        wolfSSL_CTX_set_cert_cb(
            server_x509->get(), [](WOLFSSL*, void*) { return 1; }, nullptr);
    }
    // Request a client certificate but do not require one; verify it when sent.
    if (auto r = load_trust(server_x509->get(), config.server, config.system_truststore, "server");
        !r) {
        return r.error();
    }

    auto server_psk = make(true);
    if (!server_psk) return server_psk.error();
    wolfSSL_CTX_set_psk_server_tls13_callback(server_psk->get(), server_psk_callback);

    state->client_unauth = std::move(client_unauth).value();
    state->client_x509 = std::move(client_x509).value();
    state->client_psk = std::move(client_psk).value();
    state->server_x509 = std::move(server_x509).value();
    state->server_psk = std::move(server_psk).value();
    state->client_has_certificate = *client_identity;
    state->server_has_certificate = *server_identity;
    return std::unique_ptr<TlsEngine>(std::make_unique<WolfSslEngine>(std::move(state)));
}

std::string wolfssl_version() { return std::string(kLibraryName); }

std::string wolfssl_cpu_paths() {
    const cpuid_flags_t flags = cpuid_get_flags();
    auto yes_no = [](bool b) { return b ? "yes" : "no"; };
    std::string text;
#if defined(WOLFSSL_SP_X86_64_ASM)
    text = "SP x86_64 asm";
#else
    text = "SP C";
#endif
    text += std::string(", AES-NI ") + yes_no(IS_INTEL_AESNI(flags));
    text += std::string(", AVX2 ") + yes_no(IS_INTEL_AVX2(flags));
    text += std::string(", BMI2+ADX ") + yes_no(IS_INTEL_BMI2(flags) && IS_INTEL_ADX(flags));
    return text;
}

WOLFSSL* wolfssl_handle_for_testing(TlsSession& session) {
    auto* wolf_session = dynamic_cast<WolfSslSession*>(&session);
    return wolf_session ? wolf_session->native() : nullptr;
}

}  // namespace handshaked::tls
