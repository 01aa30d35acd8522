// SPDX-License-Identifier: GPL-2.0-or-later
// Handshakes that must fail, and the Failure each side reports (it decides the DONE status the
// kernel consumer receives). Both sides are checked where both take part.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/tls/engine.h"
#include "service/tls/wolfssl/handles.h"
#include "test/engine/harness.h"

namespace handshaked::test {
namespace {

using handshaked::AuthMode;
using tls::Progress;
using tls::SessionParams;

const std::string kNvmeIdentity =
    "NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:host nqn.2014-08.org.nvmexpress:uuid:subsys";

#define EXPECT_FAILED_WITH(session, progress, expected)                              \
    do {                                                                             \
        EXPECT_EQ(progress, Progress::kFailed);                                      \
        if ((progress) == Progress::kFailed) {                                       \
            EXPECT_EQ(failure_name((session).error().cause), failure_name(expected)) \
                << (session).error().message;                                        \
        }                                                                            \
    } while (0)

// ---- PSK ---------------------------------------------------------------------------------

Handshake psk_handshake(TcpPair& pair, std::vector<tls::PskKey> offered,
                        std::vector<tls::PskKey> known) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(test_config());
    if (!client_engine || !server_engine) return {};
    auto client = client_params(AuthMode::kPsk, std::nullopt);
    client.client_psks = std::move(offered);
    auto server = server_params(AuthMode::kPsk);
    server.server_psk_lookup = [known](std::string_view id) -> std::optional<tls::PskKey> {
        for (const auto& psk : known) {
            if (psk.identity == id) return psk;
        }
        return std::nullopt;
    };
    return run_handshake(*client_engine, std::move(client), *server_engine, std::move(server),
                         pair);
}

TEST(Failure, WrongPskIsABinderMismatchOnBothSides) {
    TcpPair pair;
    auto hs = psk_handshake(pair, {make_psk(kNvmeIdentity, 32, 7, 0x01)},
                            {make_psk(kNvmeIdentity, 32, 7, 0x02)});
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_FAILED_WITH(*hs.server, hs.server_progress, ErrorCause::kAuthentication);
    // The server says decrypt_error (wolfSSL would say nothing): the client learns it at once.
    EXPECT_FAILED_WITH(*hs.client, hs.client_progress, ErrorCause::kAuthentication);
    EXPECT_NE(hs.client->error().message.find("decrypt_error"), std::string::npos)
        << hs.client->error().message;
}

TEST(Failure, UnknownPskIdentityIsReportedOnBothSides) {
    TcpPair pair;
    auto hs = psk_handshake(pair, {make_psk(kNvmeIdentity, 32, 7)},
                            {make_psk("some other identity", 32, 8)});
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_FAILED_WITH(*hs.server, hs.server_progress, ErrorCause::kUnknownPskIdentity);
    // ... because the server sent unknown_psk_identity, which the client turns into EKEYREJECTED.
    EXPECT_FAILED_WITH(*hs.client, hs.client_progress, ErrorCause::kUnknownPskIdentity);
    EXPECT_EQ(done_status(hs.client->error().cause), static_cast<std::uint32_t>(EKEYREJECTED));
}

TEST(Failure, UnknownPskIdentityWhenTheServerHasNoLookupResultForAny) {
    TcpPair pair;
    auto hs = psk_handshake(pair, {make_psk(kNvmeIdentity, 32, 7), make_psk("second", 48, 8)}, {});
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_FAILED_WITH(*hs.server, hs.server_progress, ErrorCause::kUnknownPskIdentity);
    EXPECT_FAILED_WITH(*hs.client, hs.client_progress, ErrorCause::kUnknownPskIdentity);
}

TEST(Failure, PskClientAgainstCertificateServerDoesNotFallBackToCertificates) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    auto client = client_params(AuthMode::kPsk, std::nullopt);
    client.client_psks = {make_psk(kNvmeIdentity, 32, 7)};
    TcpPair pair;
    auto hs = run_handshake(*client_engine, std::move(client), *server_engine,
                            server_params(AuthMode::kX509), pair);
    EXPECT_FAILED_WITH(*hs.client, hs.client_progress, ErrorCause::kAuthentication);
    EXPECT_FAILED_WITH(*hs.server, hs.server_progress, ErrorCause::kAuthentication);
}

// ---- server certificate ------------------------------------------------------------------

struct CertCase {
    const char* server_cert;
    const char* server_key;
    const char* peername;
};

Handshake cert_handshake(TcpPair& pair, const CertCase& c) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with(c.server_cert, c.server_key));
    if (!client_engine || !server_engine) return {};
    return run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated, c.peername),
                         *server_engine, server_params(AuthMode::kX509), pair);
}

void expect_rejected_by_client(const CertCase& c, std::string_view alert) {
    TcpPair pair;
    auto hs = cert_handshake(pair, c);
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_FAILED_WITH(*hs.client, hs.client_progress, ErrorCause::kAuthentication);
    // The client's alert reaches the server before the connection goes away.
    EXPECT_FAILED_WITH(*hs.server, hs.server_progress, ErrorCause::kAuthentication);
    EXPECT_NE(hs.server->error().message.find(alert), std::string::npos)
        << hs.server->error().message;
    EXPECT_FALSE(hs.client->verified_peer_certificate().has_value());
}

TEST(Failure, UntrustedServerCertificate) {
    expect_rejected_by_client({"server-untrusted.pem", "server-untrusted.key", "localhost"},
                              "unknown_ca");
}

TEST(Failure, ExpiredServerCertificate) {
    expect_rejected_by_client({"server-expired.pem", "server-expired.key", "localhost"},
                              "certificate_expired");
}

TEST(Failure, WrongHostname) {
    expect_rejected_by_client({"server-ec.pem", "server-ec.key", "wrong.example"},
                              "bad_certificate");
}

TEST(Failure, HostnameThatOnlyMatchesTheCommonNamePrefix) {
    expect_rejected_by_client({"server-ec.pem", "server-ec.key", "localhost.example"},
                              "bad_certificate");
}

TEST(Failure, IpLiteralNotInTheIpSans) {
    expect_rejected_by_client({"server-ec.pem", "server-ec.key", "127.0.0.2"}, "bad_certificate");
}

TEST(Failure, Ipv6LiteralNotInTheIpSans) {
    expect_rejected_by_client({"server-ec.pem", "server-ec.key", "::1"}, "bad_certificate");
}

TEST(Failure, IpLiteralIsNotMatchedAgainstDnsSans) {
    // server-dns-only has "127.0.0.1" as a DNS SAN and as its CN, but no IP SAN: an address
    // peername is matched against IP SANs only, so this must fail ...
    expect_rejected_by_client({"server-dns-only.pem", "server-dns-only.key", "127.0.0.1"},
                              "bad_certificate");
    // ... while the same address in an IP SAN passes, and the certificate is otherwise good.
    TcpPair pair;
    auto hs = cert_handshake(pair, {"server-ec.pem", "server-ec.key", "127.0.0.1"});
    ASSERT_TRUE(hs.client);
    EXPECT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    TcpPair by_name;
    auto named =
        cert_handshake(by_name, {"server-dns-only.pem", "server-dns-only.key", "localhost"});
    ASSERT_TRUE(named.client);
    EXPECT_EQ(named.client_progress, Progress::kDone) << named.client->error().message;
}

// ---- client certificate ------------------------------------------------------------------

// In TLS 1.3 the client's handshake is over once it has sent its Finished; the server's verdict
// on the client certificate arrives afterwards, as an alert.
void expect_client_certificate_rejected(std::string_view cert_der, std::string_view key_der,
                                        const char* server_crl = nullptr) {
    auto client_engine = make_engine(test_config());
    auto server_config = server_with("server-ec.pem", "server-ec.key");
    if (server_crl) server_config.server.crl = cert_path(server_crl);
    auto server_engine = make_engine(server_config);
    ASSERT_TRUE(client_engine && server_engine);
    auto client = client_params(AuthMode::kX509);
    client.own_credentials = der_credentials(cert_der, key_der);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, std::move(client), *server_engine,
                            server_params(AuthMode::kX509), pair);
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_FAILED_WITH(*hs.server, hs.server_progress, ErrorCause::kAuthentication);
    EXPECT_FALSE(hs.server->verified_peer_certificate().has_value());
    if (hs.client_progress == Progress::kDone) {
        const auto read = wolfssl_read(*hs.client, pair.client());
        EXPECT_LE(read.bytes, 0);
        EXPECT_NE(read.error, WOLFSSL_ERROR_WANT_READ);
    } else {
        EXPECT_FAILED_WITH(*hs.client, hs.client_progress, ErrorCause::kAuthentication);
    }
}

TEST(Failure, ClientCertificateFromAnUntrustedCa) {
    expect_client_certificate_rejected("client-untrusted.der", "client-untrusted.key.der");
}

TEST(Failure, RevokedClientCertificate) {
    // client-revoked is in ca-ec.crl.
    auto server_config = server_with("server-ec.pem", "server-ec.key");
    server_config.server.crl = cert_path("ca-ec.crl");
    auto server_engine = make_engine(server_config);
    ASSERT_TRUE(server_engine);

    auto client_config = test_config();
    client_config.client.certificate = cert_path("client-revoked.pem");
    client_config.client.private_key = cert_path("client-revoked.key");
    auto revoked_client_engine = make_engine(client_config);
    ASSERT_TRUE(revoked_client_engine);
    TcpPair pair;
    auto hs = run_handshake(*revoked_client_engine, client_params(AuthMode::kX509), *server_engine,
                            server_params(AuthMode::kX509), pair);
    ASSERT_TRUE(hs.server);
    EXPECT_FAILED_WITH(*hs.server, hs.server_progress, ErrorCause::kAuthentication);

    // The CRL only covers its own CA: an RSA-CA client (no CRL loaded for it) still passes,
    // and so does a non-revoked client of the EC CA.
    for (const char* name : {"client-rsa", "client-ec"}) {
        SCOPED_TRACE(name);
        auto good_config = test_config();
        good_config.client.certificate = cert_path(std::string(name) + ".pem");
        good_config.client.private_key = cert_path(std::string(name) + ".key");
        auto good_engine = make_engine(good_config);
        ASSERT_TRUE(good_engine);
        TcpPair good_pair;
        auto good = run_handshake(*good_engine, client_params(AuthMode::kX509), *server_engine,
                                  server_params(AuthMode::kX509), good_pair);
        EXPECT_EQ(good.server_progress, Progress::kDone) << good.server->error().message;
        EXPECT_TRUE(good.server->verified_peer_certificate().has_value());
    }
}

// ---- TLS 1.2 peers -----------------------------------------------------------------------
// The library is built without TLS 1.2, so the TLS 1.2 peer is a scripted one: the hello it
// sends (or answers with) is written out byte by byte, as a TLS 1.2-only stack would send it.

namespace {

// A TLS 1.2 ClientHello: legacy_version 1.2, ECDHE-ECDSA/RSA-AES128-GCM-SHA256, P-256, no
// supported_versions extension (which is what makes it TLS 1.2 only).
const std::vector<std::uint8_t> kTls12ClientHello = [] {
    std::vector<std::uint8_t> body = {0x03, 0x03};
    body.insert(body.end(), 32, 0x5a);  // random
    body.push_back(0);                  // no session id
    body.insert(body.end(), {0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x2f});
    body.insert(body.end(), {0x01, 0x00});  // null compression only
    const std::vector<std::uint8_t> extensions = {
        0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17,  // supported_groups: secp256r1
        0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,              // ec_point_formats: uncompressed
        0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x08, 0x04,  // signature_algorithms
    };
    body.push_back(0);
    body.push_back(static_cast<std::uint8_t>(extensions.size()));
    body.insert(body.end(), extensions.begin(), extensions.end());
    const auto message_size = static_cast<std::uint8_t>(body.size());
    const auto record_size = static_cast<std::uint8_t>(body.size() + 4);
    // The record header (handshake, legacy version, length), then the message header.
    std::vector<std::uint8_t> record = {0x16, 0x03, 0x01, 0x00, record_size};
    record.insert(record.end(), {0x01, 0x00, 0x00, message_size});
    record.insert(record.end(), body.begin(), body.end());
    return record;
}();

// A TLS 1.2 ServerHello answering `client_hello` (echoing its session id), with no
// supported_versions extension: the server chose TLS 1.2.
std::vector<std::uint8_t> tls12_server_hello(const std::vector<std::uint8_t>& client_hello) {
    constexpr std::size_t kSessionIdOffset = 5 + 4 + 2 + 32;
    std::vector<std::uint8_t> session_id;
    if (client_hello.size() > kSessionIdOffset) {
        const std::size_t length = client_hello[kSessionIdOffset];
        if (client_hello.size() > kSessionIdOffset + length)
            session_id.assign(client_hello.begin() + kSessionIdOffset + 1,
                              client_hello.begin() + kSessionIdOffset + 1 + length);
    }
    std::vector<std::uint8_t> body = {0x03, 0x03};
    body.insert(body.end(), 32, 0x3c);  // random without the TLS 1.3 downgrade sentinel
    body.push_back(static_cast<std::uint8_t>(session_id.size()));
    body.insert(body.end(), session_id.begin(), session_id.end());
    body.insert(body.end(), {0xc0, 0x2b, 0x00});  // ECDHE-ECDSA-AES128-GCM-SHA256, null
    const auto message_size = static_cast<std::uint8_t>(body.size());
    const auto record_size = static_cast<std::uint8_t>(body.size() + 4);
    // The record header (handshake, legacy version, length), then the message header.
    std::vector<std::uint8_t> record = {0x16, 0x03, 0x03, 0x00, record_size};
    record.insert(record.end(), {0x02, 0x00, 0x00, message_size});
    record.insert(record.end(), body.begin(), body.end());
    return record;
}

// A scripted peer: writes `first` (if any) at once; after reading the peer's first flight,
// writes what `answer` makes of it; then reads until the peer gives up (alert or EOF).
Party scripted_peer(
    int fd, std::vector<std::uint8_t> first,
    std::function<std::vector<std::uint8_t>(const std::vector<std::uint8_t>&)> answer,
    std::vector<std::uint8_t>& received) {
    auto sent_first = std::make_shared<bool>(false);
    auto answered = std::make_shared<bool>(false);
    return Party{
        [fd, first, answer, sent_first, answered, &received] {
            if (!*sent_first) {
                *sent_first = true;
                if (!first.empty() &&
                    ::write(fd, first.data(), first.size()) != static_cast<ssize_t>(first.size()))
                    return Progress::kFailed;
            }
            std::uint8_t buffer[4096];
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Progress::kWantRead;
            if (n <= 0) return Progress::kFailed;  // the peer closed: done with it
            received.insert(received.end(), buffer, buffer + n);
            if (answer && !*answered) {
                *answered = true;
                const auto reply = answer(received);
                if (::write(fd, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size()))
                    return Progress::kFailed;
            }
            return Progress::kWantRead;
        },
        fd, false};
}

// True when `bytes` hold a fatal alert record with the given description.
bool has_fatal_alert(const std::vector<std::uint8_t>& bytes, std::uint8_t description) {
    for (std::size_t i = 0; i + 7 <= bytes.size(); ++i)
        if (bytes[i] == 0x15 && bytes[i + 1] == 0x03 && bytes[i + 3] == 0x00 &&
            bytes[i + 4] == 0x02 && bytes[i + 5] == 0x02 && bytes[i + 6] == description)
            return true;
    return false;
}

constexpr std::uint8_t kAlertProtocolVersion = 70;

}  // namespace

TEST(Failure, Tls12OnlyClientIsRefused) {
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(server_engine);
    TcpPair pair;
    auto server = server_engine->start_session(pair.server(), server_params(AuthMode::kX509));
    ASSERT_TRUE(server.ok());
    std::vector<std::uint8_t> received;
    const auto progress = drive({scripted_peer(pair.client(), kTls12ClientHello, nullptr, received),
                                 party(**server, pair.server())});
    EXPECT_FAILED_WITH(**server, progress[1], ErrorCause::kProtocol);
    EXPECT_EQ(done_status((*server)->error().cause), static_cast<std::uint32_t>(EACCES));
    EXPECT_TRUE(has_fatal_alert(received, kAlertProtocolVersion));
}

TEST(Failure, Tls12OnlyServerIsRefused) {
    auto client_engine = make_engine(test_config());
    ASSERT_TRUE(client_engine);
    TcpPair pair;
    auto client =
        client_engine->start_session(pair.client(), client_params(AuthMode::kUnauthenticated));
    ASSERT_TRUE(client.ok());
    std::vector<std::uint8_t> received;
    const auto progress = drive({party(**client, pair.client()),
                                 scripted_peer(pair.server(), {}, tls12_server_hello, received)});
    ASSERT_EQ(progress[0], Progress::kFailed);
    const ErrorCause failure = (*client)->error().cause;
    EXPECT_EQ(failure, ErrorCause::kProtocol)
        << failure_name(failure) << ": " << (*client)->error().message;
    EXPECT_EQ(done_status(failure), static_cast<std::uint32_t>(EACCES));
    // wolfSSL's client closes without an alert here; what matters is that it went no further.
}

TEST(Failure, GarbageFromTheServerIsAProtocolError) {
    auto client_engine = make_engine(test_config());
    ASSERT_TRUE(client_engine);
    TcpPair pair;
    auto client =
        client_engine->start_session(pair.client(), client_params(AuthMode::kUnauthenticated));
    ASSERT_TRUE(client.ok());
    const std::string garbage = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    ASSERT_TRUE(send_all(pair.server(), {garbage.begin(), garbage.end()}));
    const auto progress = drive({party(**client, pair.client())});
    EXPECT_FAILED_WITH(**client, progress[0], ErrorCause::kProtocol);
}

// ---- the peer goes away ------------------------------------------------------------------

TEST(Failure, ClientClosesBeforeClientHello) {
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(server_engine);
    TcpPair pair;
    auto server = server_engine->start_session(pair.server(), server_params(AuthMode::kX509));
    ASSERT_TRUE(server.ok());
    EXPECT_EQ((*server)->advance(), Progress::kWantRead);
    pair.shutdown_client();
    const auto progress = drive({party(**server, pair.server())});
    EXPECT_FAILED_WITH(**server, progress[0], ErrorCause::kPeerClosed);
    EXPECT_EQ(done_status((*server)->error().cause), static_cast<std::uint32_t>(ETIMEDOUT));
}

TEST(Failure, ClientResetsMidHandshake) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto client =
        client_engine->start_session(pair.client(), client_params(AuthMode::kUnauthenticated));
    auto server = server_engine->start_session(pair.server(), server_params(AuthMode::kX509));
    ASSERT_TRUE(client.ok() && server.ok());
    EXPECT_EQ((*client)->advance(), Progress::kWantRead);  // ClientHello is out
    // Half a handshake on the server: it reads the ClientHello and answers.
    for (int i = 0; i < 50 && (*server)->advance() == Progress::kWantRead; ++i) usleep(2000);
    pair.reset_client();
    const auto progress = drive({party(**server, pair.server())});
    EXPECT_FAILED_WITH(**server, progress[0], ErrorCause::kPeerClosed);
}

TEST(Failure, ServerClosesAfterClientHello) {
    auto client_engine = make_engine(test_config());
    ASSERT_TRUE(client_engine);
    TcpPair pair;
    auto client =
        client_engine->start_session(pair.client(), client_params(AuthMode::kUnauthenticated));
    ASSERT_TRUE(client.ok());
    EXPECT_EQ((*client)->advance(), Progress::kWantRead);
    const auto hello = receive_record(pair.server());
    ASSERT_TRUE(hello.has_value());
    EXPECT_EQ((*hello)[0], 0x16);  // a handshake record: the ClientHello
    pair.shutdown_server();
    const auto progress = drive({party(**client, pair.client())});
    EXPECT_FAILED_WITH(**client, progress[0], ErrorCause::kPeerClosed);
}

// ---- requests the engine cannot serve ----------------------------------------------------

TEST(Failure, ClientWithoutPeername) {
    auto engine = make_engine(test_config());
    ASSERT_TRUE(engine);
    TcpPair pair;
    for (auto auth : {AuthMode::kUnauthenticated, AuthMode::kX509}) {
        for (std::optional<std::string> name :
             {std::optional<std::string>{}, std::optional<std::string>{""}}) {
            auto session = engine->start_session(pair.client(), client_params(auth, name));
            ASSERT_FALSE(session.ok());
            EXPECT_EQ(session.error().cause, ErrorCause::kBadRequest) << session.error().message;
        }
    }
}

TEST(Failure, X509ClientWithoutCredentials) {
    auto engine = make_engine(test_config());
    ASSERT_TRUE(engine);
    TcpPair pair;
    auto session = engine->start_session(pair.client(), client_params(AuthMode::kX509));
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.error().cause, ErrorCause::kMissingCredentials);
}

TEST(Failure, ServerWithoutCredentialsTellsTheClient) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(test_config());
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto client =
        client_engine->start_session(pair.client(), client_params(AuthMode::kUnauthenticated));
    ASSERT_TRUE(client.ok());
    auto server = server_engine->start_session(pair.server(), server_params(AuthMode::kX509));
    ASSERT_FALSE(server.ok());
    EXPECT_EQ(server.error().cause, ErrorCause::kMissingCredentials);
    pair.shutdown_server();  // what the job does with the fd
    const auto progress = drive({party(**client, pair.client())});
    EXPECT_FAILED_WITH(**client, progress[0], ErrorCause::kAuthentication);
    EXPECT_NE((*client)->error().message.find("access_denied"), std::string::npos)
        << (*client)->error().message;
}

TEST(Failure, OwnCredentialsWithAKeyOfAnotherCertificate) {
    auto engine = make_engine(test_config());
    ASSERT_TRUE(engine);
    TcpPair pair;
    auto params = client_params(AuthMode::kX509);
    params.own_credentials = der_credentials("client-ec.der", "server-ec.key.der");
    auto session = engine->start_session(pair.client(), std::move(params));
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.error().cause, ErrorCause::kMissingCredentials) << session.error().message;

    params = client_params(AuthMode::kX509);
    params.own_credentials = der_credentials("client-ec.der", "client-ec.der");  // not a key
    session = engine->start_session(pair.client(), std::move(params));
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.error().cause, ErrorCause::kMissingCredentials);
}

TEST(Failure, PskClientWithNoUsablePsk) {
    auto engine = make_engine(test_config());
    ASSERT_TRUE(engine);
    TcpPair pair;
    auto params = client_params(AuthMode::kPsk, std::nullopt);
    EXPECT_EQ(engine->start_session(pair.client(), params).error().cause,
              ErrorCause::kMissingCredentials);
    params.client_psks = {make_psk("NVMe0R07 host subsys", 32, 1),  // hash 07 does not exist
                          make_psk("empty-key", 0, 2), make_psk("", 32, 3),
                          make_psk("too-long-key", 65, 4)};
    auto session = engine->start_session(pair.client(), params);
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.error().cause, ErrorCause::kMissingCredentials);
}

TEST(Failure, ExportRefusedWhileWolfSslHoldsReceivedData) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                            *server_engine, server_params(AuthMode::kX509), pair);
    ASSERT_EQ(hs.client_progress, Progress::kDone);
    ASSERT_EQ(hs.server_progress, Progress::kDone);
    EXPECT_TRUE(hs.server->export_keys().ok());
    ASSERT_TRUE(wolfssl_write(*hs.client, pair.client(), "early application data"));
    // Let wolfSSL pull the record in without consuming it all.
    WOLFSSL* server = tls::wolfssl_handle_for_testing(*hs.server);
    char byte;
    int peeked = 0;
    for (int i = 0; i < 100 && peeked <= 0; ++i) {
        peeked = wolfSSL_peek(server, &byte, 1);
        if (peeked <= 0) usleep(10000);
    }
    ASSERT_EQ(peeked, 1);
    auto keys = hs.server->export_keys();
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.error().cause, ErrorCause::kLocalFault);
}

TEST(Failure, ExportBeforeTheHandshakeEnds) {
    auto engine = make_engine(test_config());
    ASSERT_TRUE(engine);
    TcpPair pair;
    auto session = engine->start_session(pair.client(), client_params(AuthMode::kUnauthenticated));
    ASSERT_TRUE(session.ok());
    EXPECT_FALSE((*session)->export_keys().ok());
    EXPECT_EQ((*session)->advance(), Progress::kWantRead);
    EXPECT_FALSE((*session)->export_keys().ok());
    EXPECT_EQ((*session)->cipher_name(), "");
}

}  // namespace
}  // namespace handshaked::test
