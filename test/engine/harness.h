// SPDX-License-Identifier: GPL-2.0-or-later
// Test scaffolding for the TLS engine: the test PKI, loopback TCP pairs, a poll loop that drives
// two non-blocking handshakes to their end, and TLS 1.3 records sealed and opened by hand from
// exported key material (what kTLS would do with it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "service/tls/engine.h"
#include "service/tls/wolfssl/wolfssl_engine.h"

namespace handshaked::test {

// $TEST_SRCDIR/handshaked/test/certs/<name>
std::string cert_path(std::string_view name);
std::vector<std::uint8_t> read_test_file(std::string_view name);
tls::DerCredentials der_credentials(std::string_view cert_der_name, std::string_view key_der_name);

// Client and server ends of one loopback (127.0.0.1) TCP connection, both non-blocking.
// close_* emulate the job closing its fd (the other end sees EOF).
class TcpPair {
public:
    TcpPair();
    TcpPair(const TcpPair&) = delete;
    TcpPair& operator=(const TcpPair&) = delete;
    ~TcpPair();
    int client() const { return client_; }
    int server() const { return server_; }
    void shutdown_client();
    void shutdown_server();
    void reset_client();  // close with SO_LINGER 0: the server sees ECONNRESET

private:
    int client_ = -1;
    int server_ = -1;
};

// One side of a handshake as the poll loop sees it.
struct Party {
    std::function<tls::Progress()> advance;
    int fd = -1;
    bool shutdown_on_failure = true;  // as the job does: close (here: shut down) on failure
};

// Advances every party until all are kDone/kFailed or the deadline passes; returns the last
// Progress of each. A party that fails gets its socket shut down, so its peer sees EOF.
std::vector<tls::Progress> drive(std::vector<Party> parties, int timeout_ms = 20000);

Party party(tls::TlsSession& session, int fd);

struct Handshake {
    std::unique_ptr<tls::TlsSession> client;
    std::unique_ptr<tls::TlsSession> server;
    tls::Progress client_progress = tls::Progress::kFailed;
    tls::Progress server_progress = tls::Progress::kFailed;
};

// Session parameters as a job builds them for a client (verifying peername) or a server.
tls::SessionParams client_params(AuthMode auth, std::optional<std::string> peername = "localhost");
tls::SessionParams server_params(AuthMode auth);

// A PSK whose key bytes are fill, fill+1, ... (distinct fills give distinct keys).
tls::PskKey make_psk(std::string identity, std::size_t key_size, KeySerial serial,
                     std::uint8_t fill = 0x42);

// An engine config where both sides trust the EC and RSA test CAs and nothing else.
tls::EngineConfig test_config();
// test_config() with this server certificate and key (names in test/certs).
tls::EngineConfig server_with(std::string_view cert, std::string_view key);
std::unique_ptr<tls::TlsEngine> make_engine(const tls::EngineConfig& config,
                                            std::vector<std::string>* log = nullptr);

// Starts both sessions on pair and drives them; before the first advance, `before` may touch
// the sessions (e.g. restrict a cipher list).
Handshake run_handshake(
    tls::TlsEngine& client_engine, tls::SessionParams client_params, tls::TlsEngine& server_engine,
    tls::SessionParams server_params, TcpPair& pair,
    const std::function<void(tls::TlsSession& client, tls::TlsSession& server)>& before = {});

// Restrict the session's suites (wolfSSL cipher-list syntax) before its first advance().
void restrict_ciphers(tls::TlsSession& session, const char* wolfssl_list);
// Makes a client session offer only the psk_ke mode (no key exchange with the PSK).
void offer_only_psk_ke(tls::TlsSession& session);

// ---- records ------------------------------------------------------------------------------

// A complete TLS 1.3 application_data record: header 17 03 03 len, AEAD over data || 0x17 with
// nonce = iv XOR seq (big-endian, left-padded) and the header as additional data.
std::vector<std::uint8_t> seal_record(tls::Cipher cipher, const tls::TrafficKeys& keys,
                                      std::uint64_t sequence, std::string_view data);
// The inner plaintext (content type stripped) of one record, or nullopt if it does not open.
std::optional<std::string> open_record(tls::Cipher cipher, const tls::TrafficKeys& keys,
                                       std::uint64_t sequence,
                                       const std::vector<std::uint8_t>& record);

bool send_all(int fd, const std::vector<std::uint8_t>& bytes);
// One whole record from a non-blocking socket (waits up to timeout_ms).
std::optional<std::vector<std::uint8_t>> receive_record(int fd, int timeout_ms = 5000);

struct ReadResult {
    int bytes = 0;  // > 0: data read
    int error = 0;  // wolfSSL error code when bytes <= 0
    std::string data;
};
// wolfSSL_read through a finished session, waiting (poll) for data up to timeout_ms.
ReadResult wolfssl_read(tls::TlsSession& session, int fd, int timeout_ms = 5000);
// wolfSSL_write through a finished session.
bool wolfssl_write(tls::TlsSession& session, int fd, std::string_view data);

}  // namespace handshaked::test
