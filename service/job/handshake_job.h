// SPDX-License-Identifier: GPL-2.0-or-later
// One kernel handshake request from ACCEPT to DONE, as a state machine:
//
//   accepted --start--> handshaking --(io ready)*--> installing kTLS --> done
//   and from any state before done: failure, deadline or shutdown --> done
//
// The job decides; the worker waits for what it asks (readable, writable) and sends the
// HandshakeResult as DONE. Effects go through JobEffects.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.h"
#include "proto/handshake.h"
#include "service/job/effects.h"

namespace handshaked::job {

using Clock = std::chrono::steady_clock;

enum class JobState : std::uint8_t { kAccepted, kHandshaking, kInstallingKtls, kDone };
std::string_view job_state_name(JobState state);

enum class Wait : std::uint8_t { kReadable, kWritable, kNothing /* finished */ };

// What observers (logs, D-Bus) may see of a job. No key material.
struct JobSnapshot {
    std::uint64_t id = 0;
    Role role = Role::kClient;
    AuthMode auth = AuthMode::kUnauthenticated;
    JobState state = JobState::kAccepted;
    std::string peer_address;
    std::string peername;
    std::vector<KeySerial> requested_serials;  // peer identities, certificate, private key
    KeySerial keyring = 0;
    Clock::time_point accepted_at;
    Clock::time_point deadline;
    int worker = 0;
};

class HandshakeJob {
public:
    // Takes ownership of request.sockfd; the fd is closed when the job is destroyed, which the
    // worker does only after DONE.
    HandshakeJob(std::uint64_t id, int worker, HandshakeRequest request, JobEffects effects,
                 Clock::time_point now, std::chrono::milliseconds default_timeout);

    HandshakeJob(const HandshakeJob&) = delete;
    HandshakeJob& operator=(const HandshakeJob&) = delete;

    // Read the key material this request names (PSKs, certificate and key by serial; for a
    // server PSK request, the psk keys of its own keyring). The worker calls this while the
    // kernel's link to the request's keyring still exists; start() calls it if nobody did.
    void load_credentials();
    Wait start();
    Wait on_io_ready();
    Wait on_deadline();
    Wait on_shutdown();
    // The worker judged that this request cannot finish before its deadline (workers/schedule.h).
    // Called instead of start(): ETIMEDOUT without touching the socket or the TLS library.
    Wait on_cannot_finish(std::string why);

    bool finished() const { return state_ == JobState::kDone; }
    int fd() const { return fd_.get(); }
    Clock::time_point deadline() const { return snapshot_.deadline; }
    const HandshakeResult& result() const { return result_; }
    const std::string& failure_detail() const { return failure_detail_; }
    const std::string& cipher() const { return cipher_; }
    // The key exchange group's IANA name; "" before the handshake finished and for psk_ke.
    const std::string& key_exchange_group() const { return group_; }
    const JobSnapshot& snapshot() const { return snapshot_; }

private:
    Wait drive();
    Wait finish_success();
    Wait fail(const Error& error);
    Result<tls::SessionParams> session_params();
    std::optional<Result<tls::SessionParams>> params_;
    void restore_socket();

    HandshakeRequest request_;
    JobEffects effects_;
    UniqueFd fd_;
    JobSnapshot snapshot_;
    JobState& state_ = snapshot_.state;
    SocketState socket_state_;
    bool socket_prepared_ = false;
    std::unique_ptr<tls::TlsSession> session_;
    HandshakeResult result_;
    std::string failure_detail_;
    std::string psk_lookup_note_;
    std::string cipher_;
    std::string group_;
};

}  // namespace handshaked::job
