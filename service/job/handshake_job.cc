// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/job/handshake_job.h"

#include <arpa/inet.h>

namespace handshaked::job {
namespace {

// An identity comes from the network: keep log lines printable and bounded.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 256)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (text.size() > 256) out += "...";
    return out;
}

}  // namespace

std::string_view job_state_name(JobState state) {
    switch (state) {
        case JobState::kAccepted: return "accepted";
        case JobState::kHandshaking: return "handshaking";
        case JobState::kInstallingKtls: return "installing-ktls";
        case JobState::kDone: return "done";
    }
    return "?";
}

HandshakeJob::HandshakeJob(std::uint64_t id, int worker, HandshakeRequest request,
                           JobEffects effects, Clock::time_point now,
                           std::chrono::milliseconds default_timeout)
    : request_(std::move(request)), effects_(effects), fd_(request_.sockfd) {
    snapshot_.id = id;
    snapshot_.worker = worker;
    snapshot_.role = request_.role;
    snapshot_.auth = request_.auth;
    snapshot_.peername = request_.peername.value_or("");
    snapshot_.requested_serials = request_.peer_identities;
    if (request_.certificate) snapshot_.requested_serials.push_back(request_.certificate);
    if (request_.private_key) snapshot_.requested_serials.push_back(request_.private_key);
    snapshot_.keyring = request_.keyring.value_or(0);
    snapshot_.accepted_at = now;
    auto timeout =
        request_.timeout_ms ? std::chrono::milliseconds(*request_.timeout_ms) : default_timeout;
    snapshot_.deadline = now + timeout;
    result_.sockfd = fd_.get();
}

Result<tls::SessionParams> HandshakeJob::session_params() {
    tls::SessionParams params;
    params.role = request_.role;
    params.auth = request_.auth;
    params.peername = request_.peername;

    if (request_.auth == AuthMode::kX509 && (request_.certificate || request_.private_key)) {
        auto credentials = effects_.keys.read_x509(request_.certificate, request_.private_key);
        if (!credentials) return credentials.error();
        params.own_credentials = std::move(credentials.value());
    }
    if (request_.auth == AuthMode::kPsk && request_.role == Role::kClient) {
        if (request_.peer_identities.empty())
            return make_error(ErrorCause::kMissingCredentials,
                              "PSK ClientHello without a peer identity");
        for (KeySerial serial : request_.peer_identities) {
            auto psk = effects_.keys.read_psk(serial);
            if (!psk) return psk.error();
            params.client_psks.push_back(std::move(psk.value()));
        }
    }
    if (request_.auth == AuthMode::kPsk && request_.role == Role::kServer) {
        // Only this request's keyrings are searched, fixed before the handshake: its own (read now,
        // while the kernel's link for it exists) and the consumers' well-known ones.
        std::vector<tls::PskKey> own;
        if (request_.keyring) own = effects_.keys.read_psks_in(*request_.keyring);
        auto scope = effects_.keys.shared_keyrings();
        keys::KeyStore* store = &effects_.keys;
        std::string* note = &psk_lookup_note_;
        const KeySerial own_keyring = request_.keyring.value_or(0);
        params.server_psk_lookup = [store, scope, note, own = std::move(own), own_keyring](
                                       std::string_view identity) -> std::optional<tls::PskKey> {
            for (const auto& key : own) {
                if (key.identity == identity) return key;
            }
            auto found = store->find_psk(identity, scope);
            if (!found) {
                // The operator's first question: which identity, searched where.
                std::string keyrings = own_keyring ? std::to_string(own_keyring) : "";
                for (KeySerial keyring : scope)
                    keyrings += (keyrings.empty() ? "" : ",") + std::to_string(keyring);
                *note = "no psk key '" + printable(identity) + "' in keyrings " +
                        (keyrings.empty() ? std::string("(none)") : keyrings);
            }
            return found;
        };
    }
    if (request_.role == Role::kServer && request_.auth == AuthMode::kUnauthenticated)
        return make_error(ErrorCause::kBadRequest, "a ServerHello request without authentication");
    return params;
}

void HandshakeJob::load_credentials() {
    if (!params_) params_.emplace(session_params());
}

Wait HandshakeJob::start() {
    auto prepared = effects_.sockets.prepare(fd_.get());
    if (!prepared) return fail(prepared.error());
    socket_state_ = std::move(prepared.value());
    socket_prepared_ = true;
    snapshot_.peer_address = socket_state_.peer_address;

    if (!params_) load_credentials();
    if (!*params_) return fail(params_->error());
    auto session = effects_.engine.start_session(fd_.get(), std::move(params_->value()));
    params_.reset();  // key material now lives in the session only
    if (!session) return fail(session.error());
    session_ = std::move(session.value());
    state_ = JobState::kHandshaking;
    return drive();
}

Wait HandshakeJob::on_io_ready() {
    if (state_ != JobState::kHandshaking)
        return state_ == JobState::kDone ? Wait::kNothing : Wait::kReadable;
    return drive();
}

Wait HandshakeJob::on_deadline() {
    if (state_ == JobState::kDone) return Wait::kNothing;
    return fail(
        make_error(ErrorCause::kTimeout, "the handshake did not finish before its deadline"));
}

Wait HandshakeJob::on_cannot_finish(std::string why) {
    if (state_ == JobState::kDone) return Wait::kNothing;
    return fail(make_error(ErrorCause::kTimeout, std::move(why)));
}

Wait HandshakeJob::on_shutdown() {
    if (state_ == JobState::kDone) return Wait::kNothing;
    return fail(make_error(ErrorCause::kShuttingDown, "handshaked is stopping"));
}

Wait HandshakeJob::drive() {
    switch (session_->advance()) {
        case tls::Progress::kWantRead: return Wait::kReadable;
        case tls::Progress::kWantWrite: return Wait::kWritable;
        case tls::Progress::kFailed: return fail(session_->error());
        case tls::Progress::kDone: return finish_success();
    }
    return fail(make_error(ErrorCause::kLocalFault, "TLS engine returned an unknown state"));
}

Wait HandshakeJob::finish_success() {
    state_ = JobState::kInstallingKtls;
    cipher_ = session_->cipher_name();
    if (const auto group = session_->key_exchange_group()) group_ = tls::group_name(*group);

    std::vector<KeySerial> remote_auth;
    if (request_.auth == AuthMode::kPsk) {
        auto serial = session_->used_psk_serial();
        if (!serial || *serial == 0)
            return fail(
                make_error(ErrorCause::kLocalFault, "PSK handshake finished without a PSK serial"));
        remote_auth.push_back(*serial);
    } else if (auto certificate = request_.auth == AuthMode::kX509
                                      ? session_->verified_peer_certificate()
                                      : std::nullopt) {
        // Server: the client authenticated (NFSD requires a non-zero peer id for xprtsec=mtls).
        // Client x509: the server's identity, as tlshd returns it. An anonymous client returns
        // none, like tlshd.
        const std::string label =
            snapshot_.peername.empty() ? snapshot_.peer_address : snapshot_.peername;
        auto serial = effects_.keys.publish_peer_certificate(*certificate, label);
        if (!serial) return fail(serial.error());
        remote_auth.push_back(*serial);
    }

    auto keys = session_->export_keys();
    if (!keys) return fail(keys.error());
    session_.reset();  // the TLS library must not touch the socket once kTLS owns it
    restore_socket();
    if (auto installed = effects_.ktls.install(fd_.get(), *keys); !installed)
        return fail(installed.error());

    result_.failure = std::nullopt;
    result_.remote_auth = std::move(remote_auth);
    state_ = JobState::kDone;
    return Wait::kNothing;
}

void HandshakeJob::restore_socket() {
    if (!socket_prepared_) return;
    socket_prepared_ = false;
    if (auto restored = effects_.sockets.restore(fd_.get(), socket_state_);
        !restored && failure_detail_.empty())
        failure_detail_ = restored.error().message;
}

Wait HandshakeJob::fail(const Error& error_from_anywhere) {
    // The error may live inside the session being torn down: copy it first.
    const Error error = error_from_anywhere;
    session_.reset();
    restore_socket();
    result_.failure = error.cause;
    result_.remote_auth.clear();
    failure_detail_ = error.message;
    if (!psk_lookup_note_.empty()) failure_detail_ += "; " + psk_lookup_note_;
    state_ = JobState::kDone;
    return Wait::kNothing;
}

}  // namespace handshaked::job
