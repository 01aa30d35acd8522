// SPDX-License-Identifier: GPL-2.0-or-later
// Successful handshakes between two wolfSSL engines over loopback TCP, for every kind of
// request the kernel sends, followed by the check that stands in for kTLS: the exported key
// material of one end is the other end's mirror image, and records sealed by hand from it (as
// the kernel would seal them) are accepted by the peer, while a record with the wrong sequence
// number is not.
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <malloc.h>

#include <cstddef>
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// In the sanitizer runtimes; GCC 12 ships no header declaring it.
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <algorithm>
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
    return [known = std::move(known), asked](std::string_view identity) -> std::optional<tls::PskKey> {
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
    ASSERT_TRUE(send_all(pair.client(), seal_record(expected, c.tx, c.tx.sequence + 1, "client-2")));
    auto read = wolfssl_read(*hs.server, pair.server());
    ASSERT_GT(read.bytes, 0) << "server rejected a record sealed with the client's tx keys: "
                             << read.error;
    EXPECT_EQ(read.data, "client-1");
    read = wolfssl_read(*hs.server, pair.server());
    ASSERT_GT(read.bytes, 0) << read.error;
    EXPECT_EQ(read.data, "client-2");

    // kTLS TX simulation, server → client.
    ASSERT_TRUE(send_all(pair.server(), seal_record(expected, s.tx, s.tx.sequence, "server-1")));
    ASSERT_TRUE(send_all(pair.server(), seal_record(expected, s.tx, s.tx.sequence + 1, "server-2")));
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

TEST(Handshake, ClientUnauthEcdsaServerAesGcm) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                            *server_engine, server_params(AuthMode::kX509), pair);
    check_key_material(hs, pair, Cipher::kAes128Gcm);
    // The client verified the server's leaf; the server got no client certificate.
    EXPECT_EQ(hs.client->verified_peer_certificate(), read_test_file("server-ec.der"));
    EXPECT_FALSE(hs.server->verified_peer_certificate().has_value());
    EXPECT_FALSE(hs.client->used_psk_serial().has_value());
    EXPECT_FALSE(hs.server->used_psk_serial().has_value());
}

// Bytes the program has allocated and not freed (the sanitizers' allocators keep no mallinfo).
std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return __sanitizer_get_current_allocated_bytes();
#else
    return mallinfo2().uordblks;
#endif
}

// A worker gives its thread's caches back after an idle second (service/workers/worker.cc); for
// wolfSSL those are the fixed-point EC tables that ECDSA and ECDHE build, the largest part of an
// idle worker's heap. Measured in a fresh thread, so only this test's handshakes count.
TEST(Handshake, ReleaseThreadCachesGivesBackTheEcTables) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    std::size_t cached = 0, after_release = 0, after_next_handshake = 0;
    int completed = 0;
    std::thread worker([&] {
        auto handshake = [&] {
            TcpPair pair;
            auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                                    *server_engine, server_params(AuthMode::kX509), pair);
            completed += hs.client_progress == Progress::kDone && hs.server_progress == Progress::kDone;
        };
        for (int i = 0; i < 3; ++i) handshake();
        cached = heap_in_use();
        server_engine->release_thread_caches();
        after_release = heap_in_use();
        for (int i = 0; i < 3; ++i) handshake();
        after_next_handshake = heap_in_use();
        server_engine->release_thread_caches();  // the thread's state must not outlive it
    });
    worker.join();
    EXPECT_EQ(completed, 6);
    EXPECT_GT(cached, after_release + 256 * 1024) << "the EC tables were not freed";
    // Handshakes after a release build the tables again: the release loses nothing but time.
    EXPECT_GT(after_next_handshake, after_release + 256 * 1024);
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
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                            *server_engine, server_params(AuthMode::kX509), pair,
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
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                            *server_engine, server_params(AuthMode::kX509), pair);
    ASSERT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    ASSERT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    EXPECT_EQ(server_sni(*hs.server), "localhost");
}

TEST(Handshake, IpLiteralPeernameMatchesIpSanWithoutSni) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine,
                            client_params(AuthMode::kUnauthenticated, "127.0.0.1"),
                            *server_engine, server_params(AuthMode::kX509), pair);
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
    auto hs = run_handshake(*client_engine, std::move(client), *server_engine, std::move(server),
                            pair);
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

TEST(Handshake, UnauthenticatedServerRequestIsServedLikeX509) {
    auto client_engine = make_engine(test_config());
    auto server_engine = make_engine(server_with("server-ec.pem", "server-ec.key"));
    ASSERT_TRUE(client_engine && server_engine);
    TcpPair pair;
    auto hs = run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated),
                            *server_engine, server_params(AuthMode::kUnauthenticated), pair);
    check_key_material(hs, pair, Cipher::kAes128Gcm);
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
    for (const auto& [size, cipher] : {std::pair{32u, Cipher::kAes128Gcm},
                                       std::pair{48u, Cipher::kAes256Gcm},
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
    // All three identities reached the server in the one ClientHello, in the kernel's order.
    ASSERT_GE(run.server_asked.size(), 3u) << ::testing::PrintToString(run.server_asked);
    EXPECT_EQ(run.server_asked[0], unknown.identity);
    EXPECT_EQ(run.server_asked[1], sha384.identity);
    EXPECT_EQ(run.server_asked[2], sha256.identity);
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

TEST(Handshake, PsksThatCannotBeOfferedAreLoggedAndSkipped) {
    // wolfSSL offers one PSK per suite: 3 SHA-256 suites here, so the 4th SHA-256 PSK is left
    // out (logged); an identity with an unsupported hash field is left out too.
    std::vector<tls::PskKey> offered = {
        make_psk(nvme_identity("NVMe0R03"), 32, 400),  // hh=03: no such hash
        make_psk("a", 32, 401, 1), make_psk("b", 32, 402, 2), make_psk("c", 32, 403, 3),
        make_psk("d", 32, 404, 4)};
    PskRun run;
    TcpPair pair;
    run_psk(run, pair, offered, {offered[3]});
    ASSERT_EQ(run.hs.client_progress, Progress::kDone) << run.hs.client->error().message;
    ASSERT_EQ(run.hs.server_progress, Progress::kDone) << run.hs.server->error().message;
    EXPECT_EQ(run.hs.client->used_psk_serial(), 403);
    EXPECT_EQ(run.hs.server->used_psk_serial(), 403);
    auto logged = [&](std::string_view needle) {
        return std::any_of(run.client_log.begin(), run.client_log.end(),
                           [&](const std::string& line) { return line.find(needle) != line.npos; });
    };
    EXPECT_TRUE(logged("PSK 400 not offered")) << ::testing::PrintToString(run.client_log);
    EXPECT_TRUE(logged("PSK 404 not offered")) << ::testing::PrintToString(run.client_log);
    EXPECT_EQ(std::count(run.server_asked.begin(), run.server_asked.end(), "d"), 0);
}

}  // namespace
}  // namespace handshaked::test
