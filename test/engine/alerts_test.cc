// SPDX-License-Identifier: GPL-2.0-or-later
// The engine's alert and failure mapping (service/tls/wolfssl/alerts.h), table by table: what a
// received alert, a wolfSSL error and a socket errno become, and which alert a server sends.
// The same outcomes through real handshakes are in failure_test.cc.
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <cerrno>
#include <initializer_list>

#include <gtest/gtest.h>

#include "proto/failure.h"
#include "service/tls/wolfssl/alerts.h"

namespace handshaked::tls::wolf {
namespace {

TEST(Alerts, NamesFollowRfc8446) {
    EXPECT_EQ(alert_name(0), "close_notify");
    EXPECT_EQ(alert_name(40), "handshake_failure");
    EXPECT_EQ(alert_name(47), "illegal_parameter");
    EXPECT_EQ(alert_name(115), "unknown_psk_identity");
    EXPECT_EQ(alert_name(116), "certificate_required");
    EXPECT_EQ(alert_name(255), "alert");
    EXPECT_EQ(alert_name(-1), "alert");
}

TEST(Alerts, ReceivedAlerts) {
    // Only a server can tell a client its PSK identity is unknown.
    EXPECT_EQ(failure_for_received_alert(115, Role::kClient), ErrorCause::kUnknownPskIdentity);
    EXPECT_EQ(failure_for_received_alert(115, Role::kServer), ErrorCause::kAuthentication);
    for (int code : {10, 22, 47, 50, 70, 109, 110}) {
        EXPECT_EQ(failure_for_received_alert(code, Role::kClient), ErrorCause::kProtocol) << code;
        EXPECT_EQ(failure_for_received_alert(code, Role::kServer), ErrorCause::kProtocol) << code;
    }
    for (int code : {40, 42, 44, 45, 46, 48, 49, 51, 80, 116}) {
        EXPECT_EQ(failure_for_received_alert(code, Role::kClient), ErrorCause::kAuthentication)
            << code;
    }
}

TEST(Alerts, LibraryErrors) {
    for (int error : std::initializer_list<int>{MEMORY_E, BAD_FUNC_ARG, RNG_FAILURE_E,
                                                NO_PRIVATE_KEY, BAD_STATE_E}) {
        EXPECT_EQ(failure_for_error(error), ErrorCause::kLocalFault) << error;
    }
    for (int error :
         std::initializer_list<int>{SOCKET_PEER_CLOSED_E, SOCKET_ERROR_E, ZERO_RETURN}) {
        EXPECT_EQ(failure_for_error(error), ErrorCause::kPeerClosed) << error;
    }
    for (int error : std::initializer_list<int>{DOMAIN_NAME_MISMATCH, VERIFY_CERT_ERROR, BAD_BINDER,
                                                CRL_CERT_REVOKED, ASN_NO_SIGNER_E, AES_GCM_AUTH_E,
                                                ASN_AFTER_DATE_E, ASN_PARSE_E}) {
        EXPECT_EQ(failure_for_error(error), ErrorCause::kAuthentication) << error;
    }
    // Anything else the peer could have caused is a protocol failure, not ours.
    for (int error : std::initializer_list<int>{BUFFER_ERROR, VERSION_ERROR, PARSE_ERROR, -1}) {
        EXPECT_EQ(failure_for_error(error), ErrorCause::kProtocol) << error;
    }
}

TEST(Alerts, WhatAServerSendsBeforeItsFirstFlight) {
    EXPECT_EQ(alert_for_failure(ErrorCause::kUnknownPskIdentity, 0, std::nullopt),
              kAlertUnknownPskIdentity);
    EXPECT_EQ(alert_for_failure(ErrorCause::kMissingCredentials, 0, 47), kAlertAccessDenied);
    EXPECT_EQ(alert_for_failure(ErrorCause::kLocalFault, MEMORY_E, std::nullopt),
              kAlertInternalError);
    EXPECT_EQ(alert_for_failure(ErrorCause::kAuthentication, BAD_BINDER, 47), kAlertDecryptError);
    EXPECT_EQ(alert_for_failure(ErrorCause::kProtocol, VERSION_ERROR, std::nullopt),
              kAlertProtocolVersion);
    EXPECT_EQ(alert_for_failure(ErrorCause::kProtocol, BUFFER_ERROR, std::nullopt),
              kAlertDecodeError);
    // No better name: wolfSSL's own alert, else handshake_failure.
    EXPECT_EQ(alert_for_failure(ErrorCause::kProtocol, -1, 110), 110);
    EXPECT_EQ(alert_for_failure(ErrorCause::kProtocol, -1, std::nullopt), kAlertHandshakeFailure);
}

TEST(Alerts, SocketErrorsThatMeanThePeerIsGone) {
    for (int err : {ECONNRESET, EPIPE, ECONNABORTED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ENETDOWN,
                    EHOSTDOWN, ENOTCONN, ECONNREFUSED}) {
        EXPECT_TRUE(is_peer_gone_errno(err)) << err;
    }
    for (int err : {EBADF, ENOMEM, EINVAL, EACCES, 0}) EXPECT_FALSE(is_peer_gone_errno(err)) << err;
}

}  // namespace
}  // namespace handshaked::tls::wolf
