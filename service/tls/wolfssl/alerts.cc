// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/wolfssl/alerts.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include <cerrno>

namespace handshaked::tls::wolf {

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

ErrorCause failure_for_received_alert(int code, Role role) {
    switch (code) {
        case 115:
            // Only a server can tell a client its identity is unknown.
            return role == Role::kClient ? ErrorCause::kUnknownPskIdentity
                                         : ErrorCause::kAuthentication;
        case 10:
        case 22:
        case 47:
        case 50:
        case 70:
        case 109:
        case 110: return ErrorCause::kProtocol;
        default: return ErrorCause::kAuthentication;
    }
}

ErrorCause failure_for_error(int error) {
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
        case BAD_STATE_E: return ErrorCause::kLocalFault;
        case SOCKET_PEER_CLOSED_E:
        case SOCKET_ERROR_E:
        case ZERO_RETURN: return ErrorCause::kPeerClosed;
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
        case ASN_CRL_NO_SIGNER_E: return ErrorCause::kAuthentication;
        default:
            // wolfCrypt's ASN/certificate range (parse, dates, signatures, ...).
            if (error <= ASN_PARSE_E && error >= ASN_ALT_NAME_E) return ErrorCause::kAuthentication;
            return ErrorCause::kProtocol;
    }
}

std::uint8_t alert_for_failure(ErrorCause failure, int error,
                               std::optional<std::uint8_t> wolfssl_alert) {
    switch (failure) {
        case ErrorCause::kUnknownPskIdentity: return kAlertUnknownPskIdentity;
        case ErrorCause::kMissingCredentials: return kAlertAccessDenied;
        case ErrorCause::kLocalFault: return kAlertInternalError;
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

}  // namespace handshaked::tls::wolf
