// SPDX-License-Identifier: GPL-2.0-or-later
// make_wolfssl_engine checks every configured file up front and names the one at fault.
#include <string>

#include <gtest/gtest.h>

#include "service/tls/wolfssl/wolfssl_engine.h"
#include "test/engine/harness.h"

namespace handshaked::test {
namespace {

// The engine refuses config, and the message names `file`.
void expect_refused(const tls::EngineConfig& config, const std::string& file) {
    auto engine = tls::make_wolfssl_engine(config);
    ASSERT_FALSE(engine.ok()) << "accepted a config that names " << file;
    EXPECT_EQ(engine.error().cause, ErrorCause::kConfig);
    EXPECT_NE(engine.error().message.find(file), std::string::npos) << engine.error().message;
}

TEST(EngineConfig, TestConfigLoads) {
    auto config = test_config();
    config.server.certificate = cert_path("server-ec-chain.pem");
    config.server.private_key = cert_path("server-ec.key");
    config.client.certificate = cert_path("client-rsa.pem");
    config.client.private_key = cert_path("client-rsa.key");
    config.server.crl = cert_path("ca-ec.crl");
    config.client.crl = cert_path("ca-ec.crl");
    auto engine = tls::make_wolfssl_engine(config);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    EXPECT_NE((*engine)->library_name().find("wolfSSL"), std::string_view::npos);
}

TEST(EngineConfig, SystemTruststoreIsTheDefault) {
    tls::EngineConfig config;  // no truststores configured
    config.system_truststore = cert_path("ca-ec.pem");
    EXPECT_TRUE(tls::make_wolfssl_engine(config).ok());
    // No system store at all (minimal root, initramfs): PSK and server work must still start;
    // certificate verification then fails per handshake.
    config.system_truststore = "/nonexistent/ca-certificates.crt";
    EXPECT_TRUE(tls::make_wolfssl_engine(config).ok());
    // A system store that exists but is garbage is still an error.
    config.system_truststore = cert_path("ca-ec.key");
    expect_refused(config, cert_path("ca-ec.key"));
}

// A truststore or CRL that does not exist yet (tlshd loads such a file): the engine starts, the
// handshakes that need that side's certificate contexts fail with the reason naming the file, and
// the rest work.
TEST(EngineConfig, MissingTruststoreFailsOnlyTheHandshakesThatNeedIt) {
    auto config = server_with("server-ec.pem", "server-ec.key");
    config.client.truststore = "/nonexistent/trust.pem";
    std::vector<std::string> log;
    auto engine = make_engine(config, &log);
    ASSERT_TRUE(engine);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_NE(log[0].find("/nonexistent/trust.pem does not exist"), std::string::npos) << log[0];
    for (auto auth : {AuthMode::kX509, AuthMode::kUnauthenticated}) {
        TcpPair pair;
        auto session = engine->start_session(pair.client(), client_params(auth));
        ASSERT_FALSE(session.ok());
        EXPECT_EQ(session.error().cause, ErrorCause::kMissingCredentials);
        EXPECT_NE(session.error().message.find("/nonexistent/trust.pem"), std::string::npos)
            << session.error().message;
    }
    // The server side is untouched: a well configured client completes a handshake with it.
    auto client_engine = make_engine(test_config());
    ASSERT_TRUE(client_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated), *engine,
                            server_params(AuthMode::kX509), pair);
    EXPECT_EQ(hs.client_progress, tls::Progress::kDone);
    EXPECT_EQ(hs.server_progress, tls::Progress::kDone);
}

// A missing file the configuration loader already warned about is not noted a second time;
// the handshakes that need it still fail naming it.
TEST(EngineConfig, MissingTruststoreReportedByTheLoaderIsNotNotedAgain) {
    auto config = server_with("server-ec.pem", "server-ec.key");
    config.client.truststore = "/nonexistent/trust.pem";
    config.client.missing_trust_reported = true;
    std::vector<std::string> log;
    auto engine = make_engine(config, &log);
    ASSERT_TRUE(engine);
    EXPECT_TRUE(log.empty()) << log.front();
    TcpPair pair;
    auto session = engine->start_session(pair.client(), client_params(AuthMode::kX509));
    ASSERT_FALSE(session.ok());
    EXPECT_NE(session.error().message.find("/nonexistent/trust.pem does not exist"),
              std::string::npos)
        << session.error().message;
}

TEST(EngineConfig, MissingServerCrlFailsServerCertificateHandshakesOnly) {
    auto config = test_config();
    config.server.crl = "/nonexistent/crl.pem";
    std::vector<std::string> log;
    auto engine = make_engine(config, &log);
    ASSERT_TRUE(engine);
    TcpPair pair;
    auto session = engine->start_session(pair.server(), server_params(AuthMode::kX509));
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.error().cause, ErrorCause::kMissingCredentials);
    EXPECT_NE(session.error().message.find("server CRL /nonexistent/crl.pem does not exist"),
              std::string::npos)
        << session.error().message;
    TcpPair other;
    EXPECT_TRUE(
        engine->start_session(other.client(), client_params(AuthMode::kUnauthenticated)).ok());
}

TEST(EngineConfig, TruststoreThatIsNotPem) {
    auto config = test_config();
    config.client.truststore = cert_path("ca-ec.key");
    expect_refused(config, cert_path("ca-ec.key"));
    config = test_config();
    config.server.truststore = cert_path("client-ec.der");
    expect_refused(config, cert_path("client-ec.der"));
}

TEST(EngineConfig, TruststoreThatIsADirectory) {
    auto config = test_config();
    config.client.truststore = "/";
    expect_refused(config, "/");
}

TEST(EngineConfig, BadCrl) {
    auto config = test_config();
    config.client.crl = cert_path("ca-ec.pem");  // a certificate, not a CRL
    expect_refused(config, cert_path("ca-ec.pem"));
}

TEST(EngineConfig, CertificateWithoutKeyAndKeyWithoutCertificate) {
    auto config = test_config();
    config.server.certificate = cert_path("server-ec.pem");
    expect_refused(config, cert_path("server-ec.pem"));
    config = test_config();
    config.client.private_key = cert_path("client-ec.key");
    expect_refused(config, cert_path("client-ec.key"));
}

TEST(EngineConfig, MissingCertificateOrKeyFile) {
    auto config = test_config();
    config.server.certificate = "/nonexistent/cert.pem";
    config.server.private_key = cert_path("server-ec.key");
    expect_refused(config, "/nonexistent/cert.pem");
    config = test_config();
    config.client.certificate = cert_path("client-ec.pem");
    config.client.private_key = "/nonexistent/key.pem";
    expect_refused(config, "/nonexistent/key.pem");
}

TEST(EngineConfig, CertificateAndKeyFilesSwapped) {
    auto config = test_config();
    config.server.certificate = cert_path("server-ec.key");
    config.server.private_key = cert_path("server-ec.pem");
    expect_refused(config, cert_path("server-ec.key"));
}

TEST(EngineConfig, KeyOfAnotherEcCertificate) {
    // wolfSSL 5.5.4's own check accepted any P-256 key here; the engine must refuse it whatever
    // the library's check does.
    auto config = test_config();
    config.server.certificate = cert_path("server-ec.pem");
    config.server.private_key = cert_path("mismatched.key");
    expect_refused(config, cert_path("mismatched.key"));
    config = test_config();
    config.client.certificate = cert_path("client-ec.pem");
    config.client.private_key = cert_path("server-ec.key");
    expect_refused(config, cert_path("server-ec.key"));
}

TEST(EngineConfig, KeyOfAnotherRsaCertificateOrType) {
    auto config = test_config();
    config.server.certificate = cert_path("server-rsa.pem");
    config.server.private_key = cert_path("client-rsa.key");
    expect_refused(config, cert_path("client-rsa.key"));
    config = test_config();
    config.server.certificate = cert_path("server-rsa.pem");
    config.server.private_key = cert_path("server-ec.key");
    expect_refused(config, cert_path("server-ec.key"));
}

TEST(EngineConfig, CipherNames) {
    EXPECT_EQ(tls::cipher_iana_name(tls::Cipher::kAes128Gcm), "TLS_AES_128_GCM_SHA256");
    EXPECT_EQ(tls::cipher_iana_name(tls::Cipher::kAes256Gcm), "TLS_AES_256_GCM_SHA384");
    EXPECT_EQ(tls::cipher_iana_name(tls::Cipher::kChacha20Poly1305),
              "TLS_CHACHA20_POLY1305_SHA256");
    EXPECT_EQ(tls::cipher_iana_name(tls::Cipher::kAes128Ccm), "TLS_AES_128_CCM_SHA256");
}

}  // namespace
}  // namespace handshaked::test
