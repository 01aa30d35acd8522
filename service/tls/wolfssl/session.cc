// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/wolfssl/session.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <wolfssl/error-ssl.h>

#include "service/tls/client_hello.h"
#include "service/tls/groups.h"
#include "service/tls/wolfssl/alerts.h"
#include "service/tls/wolfssl/credentials.h"

namespace handshaked::tls::wolf {
namespace {

constexpr std::size_t kMaxClientHelloCapture = 20000;  // a ClientHello is at most a few KiB

WolfSslSession* session_of(WOLFSSL* ssl) {
    return ssl ? static_cast<WolfSslSession*>(wolfSSL_GetIOReadCtx(ssl)) : nullptr;
}

int io_recv_callback(WOLFSSL*, char* buffer, int size, void* ctx) {
    return static_cast<WolfSslSession*>(ctx)->io_recv(buffer, size);
}

int io_send_callback(WOLFSSL*, char* buffer, int size, void* ctx) {
    return static_cast<WolfSslSession*>(ctx)->io_send(buffer, size);
}

}  // namespace

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
        if (!ctx)
            return make_error(ErrorCause::kMissingCredentials, engine.client_x509_unavailable);
        if (params_.auth != AuthMode::kPsk && (!params_.peername || params_.peername->empty())) {
            return make_error(ErrorCause::kBadRequest,
                              "client handshake without a peername to verify the server against");
        }
        if (params_.auth == AuthMode::kX509 && !params_.own_credentials &&
            !engine.client_has_certificate) {
            return make_error(ErrorCause::kMissingCredentials,
                              "x509 client handshake, but the request carries no certificate and "
                              "none is configured");
        }
        if (params_.auth == AuthMode::kPsk && params_.client_psks.empty()) {
            return make_error(ErrorCause::kMissingCredentials,
                              "PSK client handshake without a PSK");
        }
    } else {
        switch (params_.auth) {
            // An "unauthenticated" server still presents a certificate; the client's is optional.
            case AuthMode::kUnauthenticated:
            case AuthMode::kX509: ctx = engine.server_x509.get(); break;
            case AuthMode::kPsk: ctx = engine.server_psk.get(); break;
        }
        std::optional<Error> missing;
        if (!ctx) {
            missing = make_error(ErrorCause::kMissingCredentials, engine.server_x509_unavailable);
        } else if (params_.auth != AuthMode::kPsk && !params_.own_credentials &&
                   !engine.server_has_certificate) {
            missing =
                make_error(ErrorCause::kMissingCredentials,
                           "server handshake, but the request carries no certificate and none "
                           "is configured");
        }
        if (params_.auth == AuthMode::kPsk && !params_.server_psk_lookup) {
            missing = make_error(ErrorCause::kMissingCredentials,
                                 "PSK server handshake without a way to look PSKs up");
        }
        if (missing) {
            // Like tlshd: tell the client why before the socket is closed.
            send_plaintext_alert(kAlertAccessDenied);
            return *missing;
        }
    }

    ssl_.reset(wolfSSL_new(ctx));
    if (!ssl_) return make_error(ErrorCause::kLocalFault, "wolfSSL_new failed");
    if (wolfSSL_set_fd(ssl_.get(), fd_) != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kLocalFault, "wolfSSL_set_fd failed");
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
        return make_error(ErrorCause::kMissingCredentials,
                          "the request's certificate is not a usable DER certificate");
    }
    if (wolfSSL_use_PrivateKey_buffer(ssl_.get(), key.data(), static_cast<long>(key.size()),
                                      WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kMissingCredentials,
                          "the request's private key is not a usable DER private key");
    }
    const auto match = key_matches_certificate(cert.data(), cert.size(), key.data(), key.size());
    if (match == KeyMatch::kMismatch || match == KeyMatch::kUnreadable ||
        wolfSSL_check_private_key(ssl_.get()) != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kMissingCredentials,
                          "the request's private key does not belong to its certificate");
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
            return make_error(ErrorCause::kLocalFault,
                              "wolfSSL_UseKeyShare failed for " + std::string(group_name(group)));
        }
    }
    if (params_.auth == AuthMode::kPsk) return prepare_client_psks();

    const std::string& name = *params_.peername;
    peer_ip_ = parse_ip_literal(name);
    if (!peer_ip_) {
        // A DNS name: wolfSSL matches it against the certificate and sends it as SNI.
        if (wolfSSL_check_domain_name(ssl_.get(), name.c_str()) != WOLFSSL_SUCCESS) {
            return make_error(ErrorCause::kLocalFault, "wolfSSL_check_domain_name failed");
        }
        if (wolfSSL_UseSNI(ssl_.get(), WOLFSSL_SNI_HOST_NAME, name.data(),
                           static_cast<unsigned short>(name.size())) != WOLFSSL_SUCCESS) {
            return make_error(ErrorCause::kLocalFault, "wolfSSL_UseSNI failed");
        }
    }
    // An address literal: no SNI (RFC 6066 forbids it); on_verify matches the leaf's IP SANs.

    if (params_.auth == AuthMode::kX509 && params_.own_credentials) {
        return use_own_credentials(*params_.own_credentials);
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
            if (capture_client_hello_) {
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

bool WolfSslSession::check_client_hello() {
    // With no group in common wolfSSL would ask, in a HelloRetryRequest, for one of its own
    // groups that the client never listed, and the client can only abort with
    // illegal_parameter. RFC 8446 4.1.1 wants handshake_failure (GnuTLS and OpenSSL send it):
    // the ClientHello is checked here, before wolfSSL sees its last bytes.
    const bool complete = client_hello_complete(client_hello_.data(), client_hello_.size());
    if (!complete && client_hello_.size() < kMaxClientHelloCapture) return true;  // wait for more
    // Parsed once, here: the PSK callback reads the offer, and nothing needs the bytes again, so
    // what the client sends next (its certificate flight, say) is not copied.
    client_hello_offer_ = read_client_hello(client_hello_.data(), client_hello_.size());
    capture_client_hello_ = false;
    client_hello_ = {};
    const auto& offer = client_hello_offer_;
    if (!complete || !offer || !offer->complete) return true;  // wolfSSL's own alert answers it
    if (!offer->supported_groups) return true;  // wolfSSL decides without the extension
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
        client_hello_offer_.reset();
        return complete();
    }
    const int error = wolfSSL_get_error(ssl_.get(), ret);
    if (error == WOLFSSL_ERROR_WANT_READ) return state_ = Progress::kWantRead;
    if (error == WOLFSSL_ERROR_WANT_WRITE) return state_ = Progress::kWantWrite;
    return fail_from_library(error);
}

Progress WolfSslSession::complete() {
    if (wolfSSL_version(ssl_.get()) != TLS1_3_VERSION) {
        return fail(ErrorCause::kProtocol, "negotiated a protocol version other than TLS 1.3");
    }
    const char* name = wolfSSL_get_cipher_name(ssl_.get());
    suite_ = name ? find_suite(name) : nullptr;
    if (!suite_) {
        return fail(ErrorCause::kProtocol, std::string("negotiated suite ") + (name ? name : "?") +
                                               " is not one kTLS can take over");
    }
    // wolfSSL names the group it used (IANA spelling, case aside); none for psk_ke.
    if (const char* group = wolfSSL_get_curve_name(ssl_.get())) group_ = group_by_name(group);

    if (params_.auth == AuthMode::kPsk) {
        const char* identity = wolfSSL_get_psk_identity(ssl_.get());
        if (!identity) return fail(ErrorCause::kAuthentication, "the handshake used no PSK");
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
            return fail(ErrorCause::kAuthentication, "the handshake used no PSK of this request");
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
                return fail(ErrorCause::kAuthentication,
                            "the server's certificate was not verified");
            }
            if (peer_ip_ && !ip_verified_) {
                return fail(ErrorCause::kAuthentication,
                            "the server's certificate has no IP address SAN " + *params_.peername);
            }
        } else if (peer_leaf && !verified) {
            return fail(ErrorCause::kAuthentication, "the client's certificate was not verified");
        }
        if (peer_leaf) peer_certificate_ = std::move(peer_leaf);
    }
    return state_ = Progress::kDone;
}

Progress WolfSslSession::fail_from_library(int error) {
    WOLFSSL_ALERT_HISTORY history{};
    history.last_rx.code = history.last_tx.code = -1;
    wolfSSL_get_alert_history(ssl_.get(), &history);

    ErrorCause failure;
    std::string message;
    if (error == FATAL_ERROR && history.last_rx.code >= 0) {
        failure = failure_for_received_alert(history.last_rx.code, params_.role);
        message = "peer sent fatal alert " + std::string(alert_name(history.last_rx.code)) + " (" +
                  std::to_string(history.last_rx.code) + ")";
    } else if (no_common_group_) {
        failure = ErrorCause::kProtocol;
        message = "the client offers no key exchange group in common (it offers " +
                  *no_common_group_ + "; accepted: " + group_list(engine_->groups) + ")";
    } else if (peer_gone_ || error == ZERO_RETURN || error == SOCKET_PEER_CLOSED_E) {
        failure = ErrorCause::kPeerClosed;
        message = "peer closed the connection during the handshake";
        if (io_errno_ != 0) message += std::string(" (") + std::strerror(io_errno_) + ")";
    } else if (io_errno_ != 0) {
        failure = ErrorCause::kLocalFault;
        message = std::string("socket error: ") + std::strerror(io_errno_);
    } else if (!is_client() && params_.auth == AuthMode::kPsk && psk_identity_seen_ &&
               !psk_found_) {
        failure = ErrorCause::kUnknownPskIdentity;
        message = "no PSK for any identity the client offered";
    } else if (ip_mismatch_) {
        failure = ErrorCause::kAuthentication;
        message = "the server's certificate has no IP address SAN " + *params_.peername;
    } else {
        failure = failure_for_error(error);
        message = "handshake failed: wolfSSL " + error_text(error);
    }
    // Before our first flight records are still plaintext: the alert goes out now, named
    // after the error (see io_send), or wolfSSL's own when the error has no better one.
    if (!is_client() && bytes_sent_ == 0 && error != FATAL_ERROR &&
        failure != ErrorCause::kPeerClosed && io_errno_ == 0) {
        // Our own ClientHello check failed the read callback: wolfSSL's error for that (and the
        // alert it would pick, bad_record_mac) says nothing of why, so the cause decides.
        send_plaintext_alert(no_common_group_ ? kAlertHandshakeFailure
                                              : alert_for_failure(failure, error, held_alert_));
    }
    return fail(failure, std::move(message));
}

Progress WolfSslSession::fail(ErrorCause failure, std::string message) {
    error_ = make_error(failure, std::move(message));
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
        return make_error(ErrorCause::kLocalFault, "export_keys before the handshake completed");
    }
    WOLFSSL* ssl = ssl_.get();
    if (wolfSSL_has_pending(ssl) || wolfSSL_pending(ssl) > 0) {
        return make_error(ErrorCause::kLocalFault,
                          "wolfSSL already holds received records that kTLS would never see");
    }
    const int bulk = wolfSSL_GetBulkCipher(ssl);
    const int key_size = wolfSSL_GetKeySize(ssl);
    const int iv_size = wolfSSL_GetIVSize(ssl);
    if (bulk != suite_->bulk_cipher || key_size != suite_->key_size || iv_size != 12) {
        return make_error(
            ErrorCause::kLocalFault,
            "wolfSSL's record state does not match the suite " + std::string(suite_->wolf_name));
    }
    const unsigned char* client_key = wolfSSL_GetClientWriteKey(ssl);
    const unsigned char* client_iv = wolfSSL_GetClientWriteIV(ssl);
    const unsigned char* server_key = wolfSSL_GetServerWriteKey(ssl);
    const unsigned char* server_iv = wolfSSL_GetServerWriteIV(ssl);
    if (!client_key || !client_iv || !server_key || !server_iv) {
        return make_error(ErrorCause::kLocalFault, "wolfSSL has no traffic keys");
    }
    // Both return !seq rather than a status; only a negative value is an error.
    word64 tx_seq = 0, rx_seq = 0;
    if (wolfSSL_GetSequenceNumber(ssl, &tx_seq) < 0 ||
        wolfSSL_GetPeerSequenceNumber(ssl, &rx_seq) < 0) {
        return make_error(ErrorCause::kLocalFault, "wolfSSL has no record sequence numbers");
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

}  // namespace handshaked::tls::wolf
