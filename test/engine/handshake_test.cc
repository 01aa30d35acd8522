// SPDX-License-Identifier: GPL-2.0-or-later
// Successful handshakes between two wolfSSL engines over loopback TCP, for every kind of
// request the kernel sends, followed by the check that stands in for kTLS: the exported key
// material of one end is the other end's mirror image, and records sealed by hand from it (as
// the kernel would seal them) are accepted by the peer, while a record with the wrong sequence
// number is not.
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/ssl.h>

#include <malloc.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// In the sanitizer runtimes; GCC 12 ships no header declaring it.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "service/tls/engine.h"
#include "test/engine/harness.h"

namespace handshaked::test {
namespace {

using handshaked::AuthMode;
using tls::Cipher;
using tls::Progress;
using tls::SessionParams;

constexpr char kHostNqn[] = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
constexpr char kSubNqn[] = "nqn.2014-08.org.nvmexpress:uuid:66666666-7777-8888-9999-000000000000";

std::string nvme_identity(const char* prefix) {
    return std::string(prefix) + " " + kHostNqn + " " + kSubNqn;
}

// A server lookup that knows exactly these keys.
std::function<std::optional<tls::PskKey>(std::string_view)> lookup_of(
    std::vector<tls::PskKey> known, std::vector<std::string>* asked = nullptr) {
    return
        [known = std::move(known), asked](std::string_view identity) -> std::optional<tls::PskKey> {
            if (asked) asked->emplace_back(identity);
            for (const auto& psk : known) {
                if (psk.identity == identity) return psk;
            }
            return std::nullopt;
        };
}

std::size_t key_size_of(Cipher cipher) {
    return cipher == Cipher::kAes128Gcm || cipher == Cipher::kAes128Ccm ? 16 : 32;
}

void expect_mirrored(const tls::TrafficKeys& a, const tls::TrafficKeys& b) {
    EXPECT_TRUE(a.key == b.key);
    EXPECT_TRUE(a.iv == b.iv);
    EXPECT_EQ(a.sequence, b.sequence);
}

// The key-material check that stands in for kTLS, in both directions.
void check_key_material(Handshake& hs, TcpPair& pair, Cipher expected) {
    ASSERT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    ASSERT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    auto client_keys = hs.client->export_keys();
    auto server_keys = hs.server->export_keys();
    ASSERT_TRUE(client_keys.ok()) << client_keys.error().message;
    ASSERT_TRUE(server_keys.ok()) << server_keys.error().message;
    const tls::SessionKeys& c = *client_keys;
    const tls::SessionKeys& s = *server_keys;

    EXPECT_EQ(c.cipher, expected);
    EXPECT_EQ(s.cipher, expected);
    EXPECT_EQ(hs.client->cipher_name(), tls::cipher_iana_name(expected));
    EXPECT_EQ(hs.server->cipher_name(), tls::cipher_iana_name(expected));
    for (const auto* keys : {&c.tx, &c.rx, &s.tx, &s.rx}) {
        EXPECT_EQ(keys->key.size(), key_size_of(expected));
        EXPECT_EQ(keys->iv.size(), 12u);
        EXPECT_EQ(keys->sequence, 0u);  // no tickets: nothing was sent after Finished
    }
    expect_mirrored(c.tx, s.rx);
    expect_mirrored(c.rx, s.tx);
    EXPECT_FALSE(c.tx.key == c.rx.key);
    EXPECT_FALSE(c.tx.iv == c.rx.iv);

    // kTLS TX simulation, client → server: two records in a row (the sequence advances).
    ASSERT_TRUE(send_all(pair.client(), seal_record(expected, c.tx, c.tx.sequence, "client-1")));
    ASSERT_TRUE(
        send_all(pair.client(), seal_record(expected, c.tx, c.tx.sequence + 1, "client-2")));
    auto read = wolfssl_read(*hs.server, pair.server());
    ASSERT_GT(read.bytes, 0) << "server rejected a record sealed with the client's tx keys: "
                             << read.error;
    EXPECT_EQ(read.data, "client-1");
    read = wolfssl_read(*hs.server, pair.server());
    ASSERT_GT(read.bytes, 0) << read.error;
    EXPECT_EQ(read.data, "client-2");

    // kTLS TX simulation, server → client.
    ASSERT_TRUE(send_all(pair.server(), seal_record(expected, s.tx, s.tx.sequence, "server-1")));
    ASSERT_TRUE(
        send_all(pair.server(), seal_record(expected, s.tx, s.tx.sequence + 1, "server-2")));
    read = wolfssl_read(*hs.client, pair.client());
    ASSERT_GT(read.bytes, 0) << "client rejected a record sealed with the server's tx keys: "
                             << read.error;
    EXPECT_EQ(read.data, "server-1");
    read = wolfssl_read(*hs.client, pair.client());
    ASSERT_GT(read.bytes, 0) << read.error;
    EXPECT_EQ(read.data, "server-2");

    // kTLS RX simulation: what wolfSSL seals opens with the peer's exported rx keys.
    ASSERT_TRUE(wolfssl_write(*hs.server, pair.server(), "sealed-by-server-wolfssl"));
    auto record = receive_record(pair.client());
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(open_record(expected, c.rx, c.rx.sequence, *record), "sealed-by-server-wolfssl");
    ASSERT_TRUE(wolfssl_write(*hs.client, pair.client(), "sealed-by-client-wolfssl"));
    record = receive_record(pair.server());
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(open_record(expected, s.rx, s.rx.sequence, *record), "sealed-by-client-wolfssl");
    EXPECT_FALSE(open_record(expected, s.rx, s.rx.sequence + 1, *record).has_value());

    // Negative control: the server now expects sequence 2; a record sealed for 3 is refused.
    ASSERT_TRUE(send_all(pair.client(), seal_record(expected, c.tx, c.tx.sequence + 3, "bad")));
    read = wolfssl_read(*hs.server, pair.server());
    EXPECT_LE(read.bytes, 0) << "a record with the wrong sequence number was accepted";
    EXPECT_NE(read.error, WOLFSSL_ERROR_WANT_READ);
    ASSERT_TRUE(send_all(pair.server(), seal_record(expected, s.tx, s.tx.sequence + 3, "bad")));
    read = wolfssl_read(*hs.client, pair.client());
    EXPECT_LE(read.bytes, 0) << "a record with the wrong sequence number was accepted";
    EXPECT_NE(read.error, WOLFSSL_ERROR_WANT_READ);
}

// ---- server certificate only (client "unauthenticated") ----------------------------------

// An anonymous client against the configured ECDSA server: the most common pair of requests.
Handshake anonymous_client_handshake(
    TcpPair& pair, std::optional<std::string> peername = "localhost",
    const std::function<void(tls::TlsSession&, tls::TlsSession&)>& before = {}) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    EXPECT_TRUE(client_engine && server_engine);
    if (!client_engine || !server_engine) return {};
    return run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated, peername),
                         *server_engine, server_params(AuthMode::kX509), pair, before);
}

TEST(Handshake, ClientUnauthEcdsaServerAesGcm) {
    TcpPair pair;
    auto hs = anonymous_client_handshake(pair);
    check_key_material(hs, pair, Cipher::kAes128Gcm);
    // The client verified the server's leaf; the server got no client certificate.
    EXPECT_EQ(hs.client->verified_peer_certificate(), read_test_file("server-ec.der"));
    EXPECT_FALSE(hs.server->verified_peer_certificate().has_value());
    EXPECT_FALSE(hs.client->used_psk_serial().has_value());
    EXPECT_FALSE(hs.server->used_psk_serial().has_value());
}

// Counts a session's writes to its socket: installed in place of the engine's send callback
// (which adds only the server's held-back alert, not needed on these paths).
struct CountingWriter {
    int fd = -1;
    int writes = 0;
};

int counting_send(WOLFSSL*, char* buffer, int size, void* context) {
    auto* writer = static_cast<CountingWriter*>(context);
    ++writer->writes;
    const ssize_t sent =
        ::send(writer->fd, buffer, static_cast<std::size_t>(size), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<int>(sent);
    return errno == EAGAIN ? WOLFSSL_CBIO_ERR_WANT_WRITE : WOLFSSL_CBIO_ERR_GENERAL;
}

void count_writes(tls::TlsSession& session, CountingWriter& writer) {
    WOLFSSL* ssl = tls::wolfssl_handle_for_testing(session);
    ASSERT_NE(ssl, nullptr);
    wolfSSL_SSLSetIOSend(ssl, counting_send);
    wolfSSL_SetIOWriteCtx(ssl, &writer);
}

// Runs an x509 handshake with both ends' writes counted: each flight must be one write
// (wolfSSL_CTX_set_group_messages), the server's ServerHello to Finished and the client's
// ClientHello and its last flight. Without grouping the server writes six times.
void expect_one_write_per_flight(const tls::EngineConfig& client_config, AuthMode client_auth) {
    auto client_engine = make_engine(client_config);
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    CountingWriter client{pair.client()}, server{pair.server()};
    auto hs = run_handshake(*client_engine, client_params(client_auth), *server_engine,
                            server_params(AuthMode::kX509), pair,
                            [&](tls::TlsSession& c, tls::TlsSession& s) {
                                count_writes(c, client);
                                count_writes(s, server);
                            });
    ASSERT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    ASSERT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    EXPECT_EQ(server.writes, 1);
    EXPECT_EQ(client.writes, 2);
}

TEST(Handshake, EachFlightIsOneWrite) {
    expect_one_write_per_flight(test_config(), AuthMode::kUnauthenticated);
}

// With a client certificate the client's last flight is Certificate, CertificateVerify and
// Finished: still one write.
TEST(Handshake, MutualX509ClientFlightIsOneWrite) {
    auto client_config = test_config();
    client_config.client.certificate = cert_path("client-ec.pem");
    client_config.client.private_key = cert_path("client-ec.key");
    expect_one_write_per_flight(client_config, AuthMode::kX509);
}

// The sequence numbers come from wolfSSL's record state, not from a constant: no flow of
// handshaked sends or reads a record between Finished and the hand-off (no tickets, nothing
// pending is allowed), so here both ends exchange application records through wolfSSL first,
// and the exported keys must continue where wolfSSL stopped (a hard-coded 0 fails on both).
TEST(Handshake, ExportedSequenceNumbersContinueWolfSslsRecordState) {
    TcpPair pair;
    auto hs = anonymous_client_handshake(pair);
    ASSERT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    ASSERT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    for (const char* text : {"one", "two", "three"}) {
        ASSERT_TRUE(wolfssl_write(*hs.client, pair.client(), text));
        auto read = wolfssl_read(*hs.server, pair.server());
        ASSERT_GT(read.bytes, 0) << read.error;
        EXPECT_EQ(read.data, text);
    }
    ASSERT_TRUE(wolfssl_write(*hs.server, pair.server(), "reply"));
    auto reply = wolfssl_read(*hs.client, pair.client());
    ASSERT_GT(reply.bytes, 0) << reply.error;

    auto client_keys = hs.client->export_keys();
    auto server_keys = hs.server->export_keys();
    ASSERT_TRUE(client_keys.ok()) << client_keys.error().message;
    ASSERT_TRUE(server_keys.ok()) << server_keys.error().message;
    EXPECT_EQ(client_keys->tx.sequence, 3u);
    EXPECT_EQ(server_keys->rx.sequence, 3u);
    EXPECT_EQ(server_keys->tx.sequence, 1u);
    EXPECT_EQ(client_keys->rx.sequence, 1u);

    // What kTLS would seal next is what wolfSSL expects next, in both directions.
    const Cipher cipher = client_keys->cipher;
    ASSERT_TRUE(send_all(pair.client(),
                         seal_record(cipher, client_keys->tx, client_keys->tx.sequence, "fourth")));
    auto read = wolfssl_read(*hs.server, pair.server());
    ASSERT_GT(read.bytes, 0) << read.error;
    EXPECT_EQ(read.data, "fourth");
    ASSERT_TRUE(wolfssl_write(*hs.server, pair.server(), "second reply"));
    auto record = receive_record(pair.client());
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(open_record(cipher, client_keys->rx, client_keys->rx.sequence, *record),
              "second reply");
    EXPECT_FALSE(open_record(cipher, client_keys->rx, 0, *record).has_value());
}

// Bytes the program has allocated and not freed (the sanitizers' allocators keep no mallinfo).
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

// wolfSSL's SP code keeps nothing per thread (the 5.5.4 build's FP_ECC kept ~0.8 MiB of
// fixed-point tables per EC point in every thread that ran ECDSA/ECDHE, which workers had to
// free when idle and rebuild afterwards). Measured in a fresh thread: more handshakes leave no
// more memory behind, and nothing outlives the thread.
TEST(Handshake, HandshakesLeaveNothingCachedPerThread) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    const std::size_t before_thread = heap_in_use();
    std::size_t after_first = 0, after_many = 0;
    int completed = 0;
    std::thread worker([&] {
        auto handshake = [&] {
            TcpPair pair;
            auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                                    *server_engine, server_params(AuthMode::kX509), pair);
            completed +=
                hs.client_progress == Progress::kDone && hs.server_progress == Progress::kDone;
        };
        handshake();
        after_first = heap_in_use();
        for (int i = 0; i < 5; ++i) handshake();
        after_many = heap_in_use();
    });
    worker.join();
    const std::size_t after_thread = heap_in_use();
    constexpr std::size_t kSlack = 64 * 1024;
    EXPECT_EQ(completed, 6);
    EXPECT_LT(after_many, after_first + kSlack) << "handshakes leave memory behind in the thread";
    EXPECT_LT(after_thread, before_thread + kSlack) << "the thread's TLS state outlived it";
}

TEST(Handshake, ClientUnauthRsaServerChaCha20) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-rsa.pem", "server-rsa.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                            *server_engine, server_params(AuthMode::kX509), pair,
                            [](tls::TlsSession&, tls::TlsSession& server) {
                                restrict_ciphers(server, "TLS13-CHACHA20-POLY1305-SHA256");
                            });
    check_key_material(hs, pair, Cipher::kChacha20Poly1305);
}

TEST(Handshake, ClientUnauthAes256GcmWithChainFile) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec-chain.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                            *server_engine, server_params(AuthMode::kX509), pair,
                            [](tls::TlsSession& client, tls::TlsSession&) {
                                restrict_ciphers(client, "TLS13-AES256-GCM-SHA384");
                            });
    check_key_material(hs, pair, Cipher::kAes256Gcm);
    EXPECT_EQ(hs.client->verified_peer_certificate(), read_test_file("server-ec.der"));
}

TEST(Handshake, ClientUnauthAes128Ccm) {
    TcpPair pair;
    auto hs = anonymous_client_handshake(pair, "localhost",
                                         [](tls::TlsSession& client, tls::TlsSession&) {
                                             restrict_ciphers(client, "TLS13-AES128-CCM-SHA256");
                                         });
    check_key_material(hs, pair, Cipher::kAes128Ccm);
}

// The server sees SNI for a DNS peername and none for an address literal, and an address
// literal is verified against the certificate's IP SAN.
std::optional<std::string> server_sni(tls::TlsSession& server) {
    void* data = nullptr;
    const unsigned short size = wolfSSL_SNI_GetRequest(tls::wolfssl_handle_for_testing(server),
                                                       WOLFSSL_SNI_HOST_NAME, &data);
    if (size == 0 || !data) return std::nullopt;
    return std::string(static_cast<const char*>(data), size);
}

TEST(Handshake, SniForDnsNames) {
    TcpPair pair;
    auto hs = anonymous_client_handshake(pair);
    ASSERT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    ASSERT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    EXPECT_EQ(server_sni(*hs.server), "localhost");
}

TEST(Handshake, IpLiteralPeernameMatchesIpSanWithoutSni) {
    TcpPair pair;
    auto hs = anonymous_client_handshake(pair, "127.0.0.1");
    check_key_material(hs, pair, Cipher::kAes128Gcm);
    EXPECT_EQ(server_sni(*hs.server), std::nullopt);
}

// ---- mutual x.509 ------------------------------------------------------------------------

TEST(Handshake, MutualX509ConfiguredPemFiles) {
    auto client_config = test_config();
    client_config.client.certificate = cert_path("client-ec.pem");
    client_config.client.private_key = cert_path("client-ec.key");
    auto client_engine = make_engine(client_config);
    auto server_engine = make_engine(server_with("server-rsa.pem", "server-rsa.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kX509), *server_engine,
                            server_params(AuthMode::kX509), pair);
    check_key_material(hs, pair, Cipher::kAes128Gcm);
    EXPECT_EQ(hs.server->verified_peer_certificate(), read_test_file("client-ec.der"));
    EXPECT_TRUE(hs.client->verified_peer_certificate().has_value());
}

TEST(Handshake, MutualX509RsaClientChaCha20) {
    auto client_config = test_config();
    client_config.client.certificate = cert_path("client-rsa.pem");
    client_config.client.private_key = cert_path("client-rsa.key");
    auto client_engine = make_engine(client_config);
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kX509), *server_engine,
                            server_params(AuthMode::kX509), pair,
                            [](tls::TlsSession& client, tls::TlsSession&) {
                                restrict_ciphers(client, "TLS13-CHACHA20-POLY1305-SHA256");
                            });
    check_key_material(hs, pair, Cipher::kChacha20Poly1305);
    EXPECT_TRUE(hs.server->verified_peer_certificate().has_value());
}

TEST(Handshake, MutualX509OwnDerCredentialsBothSides) {
    // Neither engine has a certificate configured: both come from the request (the keyring).
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(test_config());
    ASSERT_TRUE(client_engine && server_engine);
    auto client = client_params(AuthMode::kX509);
    client.own_credentials = der_credentials("client-ec.der", "client-ec.key.der");
    auto server = server_params(AuthMode::kX509);
    server.own_credentials = der_credentials("server-ec.der", "server-ec.key.der");
    TcpPair pair;
    auto hs =
        run_handshake(*client_engine, std::move(client), *server_engine, std::move(server), pair);
    check_key_material(hs, pair, Cipher::kAes128Gcm);
    EXPECT_EQ(hs.server->verified_peer_certificate(), read_test_file("client-ec.der"));
    EXPECT_EQ(hs.client->verified_peer_certificate(), read_test_file("server-ec.der"));
}

TEST(Handshake, OwnCredentialsOverrideConfiguredOnes) {
    auto client_config = test_config();
    client_config.client.certificate = cert_path("client-rsa.pem");
    client_config.client.private_key = cert_path("client-rsa.key");
    auto client_engine = make_engine(client_config);
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    auto client = client_params(AuthMode::kX509);
    client.own_credentials = der_credentials("client-ec.der", "client-ec.key.der");
    TcpPair pair;
    auto hs = run_handshake(*client_engine, std::move(client), *server_engine,
                            server_params(AuthMode::kX509), pair);
    ASSERT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    EXPECT_EQ(hs.server->verified_peer_certificate(), read_test_file("client-ec.der"));
}

// ---- PSK ---------------------------------------------------------------------------------

struct PskRun {
    Handshake hs;
    std::vector<std::string> client_log;
    std::vector<std::string> server_asked;
};

void run_psk(PskRun& run, TcpPair& pair, std::vector<tls::PskKey> offered,
             std::vector<tls::PskKey> known,
             const std::function<void(tls::TlsSession&, tls::TlsSession&)>& before = {}) {
    auto client_engine = make_engine(test_config(), &run.client_log);
    auto server_engine = make_engine(test_config());
    ASSERT_TRUE(client_engine && server_engine);
    auto client = client_params(AuthMode::kPsk, std::nullopt);  // PSK needs no peername
    client.client_psks = std::move(offered);
    auto server = server_params(AuthMode::kPsk);
    server.server_psk_lookup = lookup_of(std::move(known), &run.server_asked);
    run.hs = run_handshake(*client_engine, std::move(client), *server_engine, std::move(server),
                           pair, before);
}

TEST(Handshake, PskNvmeSha256Identity) {
    const auto psk = make_psk(nvme_identity("NVMe0R01"), 32, 101);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {psk}, {psk});
    check_key_material(run.hs, pair, Cipher::kAes128Gcm);
    EXPECT_EQ(run.hs.client->used_psk_serial(), 101);
    EXPECT_EQ(run.hs.server->used_psk_serial(), 101);
    EXPECT_FALSE(run.hs.client->verified_peer_certificate().has_value());
    EXPECT_FALSE(run.hs.server->verified_peer_certificate().has_value());
}

TEST(Handshake, PskNvmeSha384Identity) {
    const auto psk = make_psk(nvme_identity("NVMe1R02") + " dGhpcyBpcyBhIGRpZ2VzdA==", 48, 102);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {psk}, {psk});
    check_key_material(run.hs, pair, Cipher::kAes256Gcm);
    EXPECT_EQ(run.hs.client->used_psk_serial(), 102);
    EXPECT_EQ(run.hs.server->used_psk_serial(), 102);
}

TEST(Handshake, PskNvmeHashFieldWinsOverKeyLength) {
    // hh=01 with a 48-byte key: still SHA-256 (the identity decides, as in tlshd).
    const auto psk = make_psk(nvme_identity("NVMe0G01"), 48, 103);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {psk}, {psk});
    check_key_material(run.hs, pair, Cipher::kAes128Gcm);
}

TEST(Handshake, PskPlainIdentityHashFollowsKeyLength) {
    for (const auto& [size, cipher] :
         {std::pair{32u, Cipher::kAes128Gcm}, std::pair{48u, Cipher::kAes256Gcm},
          std::pair{16u, Cipher::kAes128Gcm}}) {
        SCOPED_TRACE(size);
        const auto psk = make_psk("nfs-psk-" + std::to_string(size), size, 104);
        PskRun run;
        TcpPair pair;
        run_psk(run, pair, {psk}, {psk});
        check_key_material(run.hs, pair, cipher);
        EXPECT_EQ(run.hs.server->used_psk_serial(), 104);
    }
}

TEST(Handshake, PskChaCha20WhenTheClientOffersOnlyThat) {
    // The server names a suite of the PSK's hash that the client offered.
    const auto psk = make_psk(nvme_identity("NVMe0R01"), 32, 105);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {psk}, {psk}, [](tls::TlsSession& client, tls::TlsSession&) {
        restrict_ciphers(client, "TLS13-CHACHA20-POLY1305-SHA256");
    });
    check_key_material(run.hs, pair, Cipher::kChacha20Poly1305);
    EXPECT_EQ(run.hs.client->used_psk_serial(), 105);
}

TEST(Handshake, PskAes128CcmWhenTheClientOffersOnlyThat) {
    const auto psk = make_psk("ccm-identity", 32, 106);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {psk}, {psk}, [](tls::TlsSession& client, tls::TlsSession&) {
        restrict_ciphers(client, "TLS13-AES128-CCM-SHA256");
    });
    check_key_material(run.hs, pair, Cipher::kAes128Ccm);
    EXPECT_EQ(run.hs.server->used_psk_serial(), 106);
}

TEST(Handshake, SeveralPsksInOneClientHello) {
    const auto unknown = make_psk(nvme_identity("NVMe0R01"), 32, 201, 0x10);
    const auto sha384 = make_psk(nvme_identity("NVMe0R02"), 48, 202, 0x20);
    const auto sha256 = make_psk("plain-identity", 32, 203, 0x30);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {unknown, sha384, sha256}, {sha384, sha256});
    ASSERT_EQ(run.hs.client_progress, Progress::kDone) << run.hs.client->error().message;
    ASSERT_EQ(run.hs.server_progress, Progress::kDone) << run.hs.server->error().message;
    // The identities go out grouped by hash (the first PSK's first), each group in the
    // kernel's order; the server asks about them in that order until it knows one.
    ASSERT_GE(run.server_asked.size(), 2u) << ::testing::PrintToString(run.server_asked);
    EXPECT_EQ(run.server_asked[0], unknown.identity);
    EXPECT_EQ(run.server_asked[1], sha256.identity);
    EXPECT_TRUE(run.client_log.empty()) << ::testing::PrintToString(run.client_log);
    // The server chose one it knows (wolfSSL: the first that fits its most preferred suite,
    // here the SHA-256 one for TLS_AES_128_GCM_SHA256); both ends agree on which.
    const auto used = run.hs.server->used_psk_serial();
    EXPECT_EQ(run.hs.client->used_psk_serial(), used);
    ASSERT_TRUE(used == 202 || used == 203) << (used ? *used : 0);
    check_key_material(run.hs, pair, used == 202 ? Cipher::kAes256Gcm : Cipher::kAes128Gcm);
}

TEST(Handshake, SeveralPsksOnlyTheSha384OneKnown) {
    const auto unknown = make_psk(nvme_identity("NVMe0R01"), 32, 211, 0x10);
    const auto sha384 = make_psk(nvme_identity("NVMe0G02"), 48, 212, 0x20);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {unknown, sha384}, {sha384});
    check_key_material(run.hs, pair, Cipher::kAes256Gcm);
    EXPECT_EQ(run.hs.client->used_psk_serial(), 212);
    EXPECT_EQ(run.hs.server->used_psk_serial(), 212);
}

TEST(Handshake, SeveralPsksSecondSha256OneUsed) {
    const auto unknown = make_psk(nvme_identity("NVMe0R01"), 32, 301, 0x10);
    const auto known = make_psk(nvme_identity("NVMe0G01"), 32, 302, 0x50);
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, {unknown, known}, {known});
    check_key_material(run.hs, pair, Cipher::kAes128Gcm);
    EXPECT_EQ(run.hs.client->used_psk_serial(), 302);
    EXPECT_EQ(run.hs.server->used_psk_serial(), 302);
}

TEST(Handshake, EveryPskGoesOutInOneClientHelloInTheKernelsOrder) {
    // More PSKs of one hash than there are suites of it (wolfSSL 5.5.4 stopped at one per
    // suite); one with an unsupported hash field and one wolfSSL cannot tell from an earlier one
    // (same length, same bytes but the first) are left out and logged. The identities go out
    // grouped by hash, the first PSK's hash first, each group in the kernel's order.
    std::vector<tls::PskKey> offered = {
        make_psk(nvme_identity("NVMe0R03"), 32, 400),  // hh=03: no such hash
        make_psk("psk-1", 32, 401, 1),
        make_psk("psk-2", 32, 402, 2),
        make_psk("qsk-1", 32, 403, 3),  // equals psk-1 but for the first byte
        make_psk(nvme_identity("NVMe0R02"), 48, 404, 4),
        make_psk("psk-3", 32, 405, 5),
        make_psk("psk-4", 32, 406, 6),
        make_psk("psk-5", 32, 407, 7)};
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, offered, {offered[7]});  // the server stops asking at the one it knows
    ASSERT_EQ(run.hs.client_progress, Progress::kDone) << run.hs.client->error().message;
    ASSERT_EQ(run.hs.server_progress, Progress::kDone) << run.hs.server->error().message;
    EXPECT_EQ(run.hs.client->used_psk_serial(), 407);
    EXPECT_EQ(run.hs.server->used_psk_serial(), 407);
    const std::vector<std::string> expected = {"psk-1", "psk-2", "psk-3", "psk-4", "psk-5"};
    EXPECT_EQ(run.server_asked, expected) << ::testing::PrintToString(run.server_asked);
    auto logged = [&](std::string_view needle) {
        return std::any_of(run.client_log.begin(), run.client_log.end(),
                           [&](const std::string& line) { return line.find(needle) != line.npos; });
    };
    EXPECT_TRUE(logged("PSK 400 not offered")) << ::testing::PrintToString(run.client_log);
    EXPECT_TRUE(logged("PSK 403 not offered")) << ::testing::PrintToString(run.client_log);
    EXPECT_EQ(run.client_log.size(), 2u) << ::testing::PrintToString(run.client_log);
}

}  // namespace
}  // namespace handshaked::test
