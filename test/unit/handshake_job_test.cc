// SPDX-License-Identifier: GPL-2.0-or-later
// Every kernel-visible outcome of a handshake job (DONE status, remote-auth, socket flags put
// back, fd closed) checked with fake adapters: no kernel, no TLS library.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <map>

#include "service/job/handshake_job.h"

namespace handshaked::job {
namespace {

using namespace std::chrono_literals;

class FakeKeys : public keys::KeyStore {
public:
    Result<tls::PskKey> read_psk(KeySerial serial) override {
        auto psk = psks.find(serial);
        if (psk == psks.end()) return make_error(ErrorCause::kLocalFault, "no such key");
        return psk->second;
    }
    Result<tls::DerCredentials> read_x509(KeySerial certificate, KeySerial key) override {
        x509_reads.emplace_back(certificate, key);
        if (certificate == 0 || key == 0)
            return make_error(ErrorCause::kMissingCredentials, "need both");
        tls::DerCredentials credentials;
        credentials.certificate = {0x30, 0x01};
        return credentials;
    }
    std::optional<tls::PskKey> find_psk(std::string_view identity,
                                        const std::vector<KeySerial>& keyrings) override {
        searched_keyrings = keyrings;
        for (auto& [serial, psk] : psks) {
            if (psk.identity == identity) return psk;
        }
        return std::nullopt;
    }
    std::vector<tls::PskKey> read_psks_in(KeySerial keyring) override {
        prefetched_keyrings.push_back(keyring);
        return keyring_contents[keyring];
    }
    Result<KeySerial> publish_peer_certificate(const std::vector<std::uint8_t>&,
                                               std::string_view label) override {
        published_labels.emplace_back(label);
        if (!publish_works) return make_error(ErrorCause::kLocalFault, "keyring full");
        return KeySerial{777};
    }
    std::vector<KeySerial> shared_keyrings() override { return {1000}; }

    std::map<KeySerial, tls::PskKey> psks;
    std::vector<std::pair<KeySerial, KeySerial>> x509_reads;
    std::vector<KeySerial> searched_keyrings;
    std::vector<std::string> published_labels;
    std::map<KeySerial, std::vector<tls::PskKey>> keyring_contents;
    std::vector<KeySerial> prefetched_keyrings;
    bool publish_works = true;
};

// A scripted TLS session: returns the queued progress values one per advance().
class ScriptedSession : public tls::TlsSession {
public:
    std::deque<tls::Progress> script;
    Error failure;
    std::optional<std::vector<std::uint8_t>> peer_certificate;
    std::optional<KeySerial> psk_serial;
    bool export_fails = false;
    tls::SessionParams* params_out = nullptr;

    tls::Progress advance() override {
        auto next = script.front();
        if (script.size() > 1) script.pop_front();
        return next;
    }
    const Error& error() const override { return failure; }
    Result<tls::SessionKeys> export_keys() override {
        if (export_fails) return make_error(ErrorCause::kLocalFault, "buffered bytes");
        return tls::SessionKeys{};
    }
    std::string cipher_name() const override { return "TLS_AES_128_GCM_SHA256"; }
    std::optional<tls::KeyExchangeGroup> key_exchange_group() const override {
        return tls::KeyExchangeGroup::kX25519MlKem768;
    }
    std::optional<std::vector<std::uint8_t>> verified_peer_certificate() const override {
        return peer_certificate;
    }
    std::optional<KeySerial> used_psk_serial() const override { return psk_serial; }
};

class FakeEngine : public tls::TlsEngine {
public:
    std::unique_ptr<ScriptedSession> next;
    tls::SessionParams last_params;
    bool start_fails = false;
    int starts = 0;

    Result<std::unique_ptr<tls::TlsSession>> start_session(int,
                                                           tls::SessionParams params) override {
        ++starts;
        last_params = std::move(params);
        if (start_fails)
            return make_error(ErrorCause::kMissingCredentials, "no server certificate configured");
        return std::unique_ptr<tls::TlsSession>(std::move(next));
    }
    std::string_view library_name() const override { return "fake"; }
};

class FakeSockets : public SocketOps {
public:
    Result<SocketState> prepare(int fd) override {
        prepared_fd = fd;
        if (not_tcp) return make_error(ErrorCause::kNotTcp, "udp");
        ++outstanding;
        return SocketState{0, 0, "127.0.0.1:2049"};
    }
    Result<void> restore(int, const SocketState&) override {
        --outstanding;
        ++restores;
        return {};
    }
    int prepared_fd = -1;
    int outstanding = 0;
    int restores = 0;
    bool not_tcp = false;
};

class FakeKtls : public KtlsInstaller {
public:
    Result<void> install(int, const tls::SessionKeys&) override {
        ++installs;
        if (fails) return make_error(ErrorCause::kLocalFault, "TLS_TX: ENOPROTOOPT");
        return {};
    }
    int installs = 0;
    bool fails = false;
};

class JobTest : public ::testing::Test {
protected:
    void SetUp() override {
        int pair[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
        fd_ = pair[0];
        peer_ = pair[1];
        auto session = std::make_unique<ScriptedSession>();
        session_ = session.get();
        engine_.next = std::move(session);
    }
    void TearDown() override { close(peer_); }

    std::unique_ptr<HandshakeJob> make_job(HandshakeRequest request) {
        request.sockfd = fd_;
        return std::make_unique<HandshakeJob>(1, 0, std::move(request),
                                              JobEffects{keys_, engine_, sockets_, ktls_},
                                              Clock::now(), 10s);
    }
    bool fd_is_open() const { return fcntl(fd_, F_GETFD) != -1; }

    int fd_ = -1;
    int peer_ = -1;
    FakeKeys keys_;
    FakeEngine engine_;
    ScriptedSession* session_ = nullptr;
    FakeSockets sockets_;
    FakeKtls ktls_;
};

HandshakeRequest request(Role role, AuthMode auth) {
    HandshakeRequest r;
    r.role = role;
    r.auth = auth;
    r.peername = "server.example";
    return r;
}

TEST_F(JobTest, ClientPskSuccessReturnsTheSerialUsed) {
    keys_.psks[41] = tls::PskKey{"NVMe0R01 host sub", SecureBytes(32), 41};
    keys_.psks[42] = tls::PskKey{"NVMe0R02 host sub", SecureBytes(48), 42};
    session_->script = {tls::Progress::kWantWrite, tls::Progress::kWantRead, tls::Progress::kDone};
    session_->psk_serial = 42;
    auto r = request(Role::kClient, AuthMode::kPsk);
    r.peer_identities = {41, 42};
    auto job = make_job(r);

    EXPECT_EQ(job->start(), Wait::kWritable);
    EXPECT_EQ(job->snapshot().state, JobState::kHandshaking);
    ASSERT_EQ(engine_.last_params.client_psks.size(), 2u);
    EXPECT_EQ(engine_.last_params.client_psks[0].serial, 41);
    EXPECT_EQ(job->on_io_ready(), Wait::kReadable);
    EXPECT_EQ(job->on_io_ready(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), 0u);
    EXPECT_EQ(job->result().remote_auth, std::vector<KeySerial>{42});
    EXPECT_EQ(ktls_.installs, 1);
    EXPECT_EQ(sockets_.outstanding, 0) << "socket flags must be restored before DONE";
    EXPECT_EQ(job->cipher(), "TLS_AES_128_GCM_SHA256");
}

TEST_F(JobTest, ClientPskWithoutIdentitiesIsEio) {
    auto job = make_job(request(Role::kClient, AuthMode::kPsk));
    EXPECT_EQ(job->start(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(ktls_.installs, 0);
}

TEST_F(JobTest, ServerPskLooksOnlyInTheRequestsKeyrings) {
    // The request's own keyring (900) is read when credentials are loaded; the well-known
    // keyrings (1000) are searched during the handshake; nothing else.
    keys_.keyring_contents[900] = {tls::PskKey{"NVMe0R01 own", SecureBytes(32), 50}};
    keys_.psks[51] = tls::PskKey{"NVMe0R01 well-known", SecureBytes(32), 51};
    session_->script = {tls::Progress::kDone};
    session_->psk_serial = 50;
    auto r = request(Role::kServer, AuthMode::kPsk);
    r.keyring = 900;
    auto job = make_job(r);
    job->load_credentials();
    EXPECT_EQ(keys_.prefetched_keyrings, std::vector<KeySerial>{900});
    EXPECT_EQ(job->start(), Wait::kNothing);
    ASSERT_TRUE(engine_.last_params.server_psk_lookup);
    auto own = engine_.last_params.server_psk_lookup("NVMe0R01 own");
    ASSERT_TRUE(own.has_value());
    EXPECT_EQ(own->serial, 50);
    EXPECT_TRUE(keys_.searched_keyrings.empty()) << "found in its own keyring first";
    auto well_known = engine_.last_params.server_psk_lookup("NVMe0R01 well-known");
    ASSERT_TRUE(well_known.has_value());
    EXPECT_EQ(keys_.searched_keyrings, std::vector<KeySerial>{1000});
    EXPECT_FALSE(engine_.last_params.server_psk_lookup("someone else").has_value());
    EXPECT_EQ(job->result().remote_auth, std::vector<KeySerial>{50});
}

TEST_F(JobTest, CredentialsAreReadOnceWhetherLoadedEarlyOrByStart) {
    keys_.psks[3] = tls::PskKey{"id", SecureBytes(32), 3};
    session_->script = {tls::Progress::kWantRead};
    auto r = request(Role::kClient, AuthMode::kPsk);
    r.peer_identities = {3};
    auto job = make_job(r);
    job->load_credentials();
    keys_.psks.clear();  // the keyring link is gone by the time the job starts
    EXPECT_EQ(job->start(), Wait::kReadable);
    ASSERT_EQ(engine_.last_params.client_psks.size(), 1u);
    EXPECT_EQ(engine_.last_params.client_psks[0].serial, 3);
}

TEST_F(JobTest, ServerX509WithVerifiedClientCertReturnsARealSerial) {
    session_->script = {tls::Progress::kDone};
    session_->peer_certificate = std::vector<std::uint8_t>{0x30, 0x82};
    auto job = make_job(request(Role::kServer, AuthMode::kX509));
    EXPECT_EQ(job->start(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), 0u);
    EXPECT_EQ(job->result().remote_auth, std::vector<KeySerial>{777});
}

TEST_F(JobTest, ServerX509WithoutClientCertHasNoPeerId) {
    session_->script = {tls::Progress::kDone};
    auto job = make_job(request(Role::kServer, AuthMode::kX509));
    EXPECT_EQ(job->start(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), 0u);
    EXPECT_TRUE(job->result().remote_auth.empty()) << "NFSD would treat the peer as authenticated";
}

TEST_F(JobTest, AnonymousClientReturnsNoPeerIdLikeTlshd) {
    session_->script = {tls::Progress::kDone};
    session_->peer_certificate = std::vector<std::uint8_t>{0x30, 0x82};
    auto job = make_job(request(Role::kClient, AuthMode::kUnauthenticated));
    EXPECT_EQ(job->start(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), 0u);
    EXPECT_TRUE(job->result().remote_auth.empty());
    EXPECT_TRUE(keys_.published_labels.empty()) << "no keyring entry per anonymous mount";
}

TEST_F(JobTest, PeerCertificateThatCannotBeStoredFailsTheHandshake) {
    keys_.publish_works = false;
    session_->script = {tls::Progress::kDone};
    session_->peer_certificate = std::vector<std::uint8_t>{0x30};
    auto job = make_job(request(Role::kServer, AuthMode::kX509));
    job->start();
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(EIO));
    EXPECT_TRUE(job->result().remote_auth.empty());
    EXPECT_EQ(ktls_.installs, 0);
}

TEST_F(JobTest, X509SerialsFromTheKernelAreRead) {
    session_->script = {tls::Progress::kDone};
    auto r = request(Role::kClient, AuthMode::kX509);
    r.certificate = 11;
    r.private_key = 12;
    auto job = make_job(r);
    job->start();
    ASSERT_EQ(keys_.x509_reads.size(), 1u);
    EXPECT_EQ(keys_.x509_reads[0], (std::pair<KeySerial, KeySerial>{11, 12}));
    EXPECT_TRUE(engine_.last_params.own_credentials.has_value());
}

TEST_F(JobTest, ConfiguredX509WhenTheKernelSendsNoSerials) {
    session_->script = {tls::Progress::kDone};
    auto job = make_job(request(Role::kClient, AuthMode::kX509));
    job->start();
    EXPECT_TRUE(keys_.x509_reads.empty());
    EXPECT_FALSE(engine_.last_params.own_credentials.has_value());
}

struct FailureCase {
    ErrorCause failure;
    int expected_errno;
};

class JobFailure : public JobTest, public ::testing::WithParamInterface<FailureCase> {};

TEST_P(JobFailure, TlsFailureMapsToTheStatusAndRestoresTheSocket) {
    session_->script = {tls::Progress::kWantRead, tls::Progress::kFailed};
    session_->failure = make_error(GetParam().failure, "peer said no");
    session_->psk_serial = 5;
    auto job = make_job(request(Role::kClient, AuthMode::kUnauthenticated));
    EXPECT_EQ(job->start(), Wait::kReadable);
    EXPECT_EQ(job->on_io_ready(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(GetParam().expected_errno));
    EXPECT_TRUE(job->result().remote_auth.empty());
    EXPECT_EQ(sockets_.outstanding, 0);
    EXPECT_EQ(ktls_.installs, 0);
    EXPECT_EQ(job->failure_detail(), "peer said no");
}

INSTANTIATE_TEST_SUITE_P(Statuses, JobFailure,
                         ::testing::Values(FailureCase{ErrorCause::kAuthentication, EACCES},
                                           FailureCase{ErrorCause::kProtocol, EACCES},
                                           FailureCase{ErrorCause::kPeerClosed, ETIMEDOUT},
                                           FailureCase{ErrorCause::kUnknownPskIdentity,
                                                       EKEYREJECTED},
                                           FailureCase{ErrorCause::kLocalFault, EIO}));

TEST_F(JobTest, DeadlineGivesEtimedout) {
    session_->script = {tls::Progress::kWantRead};
    auto r = request(Role::kClient, AuthMode::kUnauthenticated);
    r.timeout_ms = 250;
    auto job = make_job(r);
    EXPECT_LE(job->deadline() - job->snapshot().accepted_at, 250ms);
    EXPECT_EQ(job->start(), Wait::kReadable);
    EXPECT_EQ(job->on_deadline(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(ETIMEDOUT));
    EXPECT_EQ(sockets_.outstanding, 0);
}

TEST_F(JobTest, ARequestThatCannotFinishIsEtimedoutWithoutTouchingTheSocket) {
    auto job = make_job(request(Role::kClient, AuthMode::kUnauthenticated));
    EXPECT_EQ(job->on_cannot_finish("300 handshakes ahead"), Wait::kNothing);
    EXPECT_TRUE(job->finished());
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(ETIMEDOUT));
    EXPECT_EQ(job->failure_detail(), "300 handshakes ahead");
    EXPECT_EQ(sockets_.prepared_fd, -1);
    EXPECT_EQ(engine_.starts, 0);
    EXPECT_TRUE(job->result().remote_auth.empty());
}

TEST_F(JobTest, DefaultTimeoutWhenTheKernelSendsNone) {
    auto job = make_job(request(Role::kClient, AuthMode::kUnauthenticated));
    EXPECT_EQ(job->deadline() - job->snapshot().accepted_at, std::chrono::milliseconds(10s));
}

TEST_F(JobTest, ShutdownAnswersTheJob) {
    session_->script = {tls::Progress::kWantRead};
    auto job = make_job(request(Role::kClient, AuthMode::kUnauthenticated));
    job->start();
    EXPECT_EQ(job->on_shutdown(), Wait::kNothing);
    EXPECT_NE(job->result().status(), 0u);
}

TEST_F(JobTest, NonTcpSocketIsEopnotsupp) {
    sockets_.not_tcp = true;
    auto job = make_job(request(Role::kClient, AuthMode::kUnauthenticated));
    EXPECT_EQ(job->start(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(EOPNOTSUPP));
}

TEST_F(JobTest, KtlsFailureIsEioAndNeverSuccess) {
    ktls_.fails = true;
    session_->script = {tls::Progress::kDone};
    session_->psk_serial = 3;
    keys_.psks[3] = tls::PskKey{"id", SecureBytes(32), 3};
    auto r = request(Role::kClient, AuthMode::kPsk);
    r.peer_identities = {3};
    auto job = make_job(r);
    job->start();
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(EIO));
    EXPECT_TRUE(job->result().remote_auth.empty());
}

TEST_F(JobTest, BufferedBytesRefuseTheHandOff) {
    session_->script = {tls::Progress::kDone};
    session_->export_fails = true;
    auto job = make_job(request(Role::kServer, AuthMode::kX509));
    job->start();
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(ktls_.installs, 0);
}

TEST_F(JobTest, MissingServerCredentialsAreEio) {
    engine_.start_fails = true;
    auto job = make_job(request(Role::kServer, AuthMode::kX509));
    EXPECT_EQ(job->start(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(sockets_.outstanding, 0);
}

// No kernel consumer sends it (a TLS server always presents a certificate or uses a PSK): the job
// answers EIO without starting a TLS session.
TEST_F(JobTest, ServerRequestWithoutAuthenticationIsRefused) {
    auto job = make_job(request(Role::kServer, AuthMode::kUnauthenticated));
    EXPECT_EQ(job->start(), Wait::kNothing);
    EXPECT_EQ(job->result().status(), static_cast<std::uint32_t>(EIO));
    EXPECT_EQ(engine_.starts, 0);
    EXPECT_EQ(sockets_.outstanding, 0);
}

TEST_F(JobTest, TheJobClosesTheKernelsFdWhenDestroyed) {
    auto job = make_job(request(Role::kClient, AuthMode::kUnauthenticated));
    EXPECT_EQ(job->result().sockfd, fd_);
    EXPECT_TRUE(fd_is_open());
    job.reset();
    EXPECT_FALSE(fd_is_open());
}

}  // namespace
}  // namespace handshaked::job
