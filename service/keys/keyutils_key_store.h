// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "service/keys/key_store.h"

namespace handshaked::keys {

// The keyrings the kernel's consumers keep their keys in (NVMe, NFS client, NFS server).
inline constexpr const char* kConsumerKeyrings[] = {".nvme", ".nfs", ".nfsd"};

class KeyutilsKeyStore final : public KeyStore {
public:
    // configured_keyrings: names from [authenticate] keyrings.
    KeyutilsKeyStore(std::vector<std::string> configured_keyrings,
                     unsigned peer_certificate_lifetime_s);

    // Give this process a session keyring of its own and link the consumer keyrings into it,
    // so their keys are "possessed" and readable. Safe to call again (keyrings appear when
    // their module loads, which may be after start-up).
    Result<void> link_consumer_keyrings();

    Result<tls::PskKey> read_psk(KeySerial serial) override;
    Result<tls::DerCredentials> read_x509(KeySerial certificate, KeySerial private_key) override;
    std::optional<tls::PskKey> find_psk(std::string_view identity,
                                        const std::vector<KeySerial>& keyrings) override;
    std::vector<tls::PskKey> read_psks_in(KeySerial keyring) override;
    Result<KeySerial> publish_peer_certificate(const std::vector<std::uint8_t>& der,
                                               std::string_view description) override;
    std::vector<KeySerial> shared_keyrings() override;

private:
    // Find the keyrings by name and link them into the session keyring. Called at most every
    // kSharedKeyringRefresh: names are looked up with request_key and, for a keyring that does
    // not exist (.nfs on an NVMe-only host), a scan of /proc/keys.
    void refresh_shared_keyrings();

    std::vector<std::string> configured_keyrings_;
    unsigned peer_certificate_lifetime_s_;
    std::mutex shared_mutex_;
    std::vector<KeySerial> shared_;
    std::optional<std::chrono::steady_clock::time_point> shared_resolved_at_;
};

// The kernel links a request's keyring into the process keyring of whoever sent ACCEPT. In a
// long-lived process those links would accumulate and every later request would possess every
// consumer's keyring. So ACCEPTs are serialised; the link an ACCEPT added is the request's own
// keyring (kernels before 6.17 do not name it); the job reads the key material it needs while
// the link is there, and the link is removed before the next ACCEPT.
class RequestKeyringLinks {
public:
    // Sorted serials of the keys linked in this process's process keyring.
    static std::vector<KeySerial> process_keyring_contents();
    // What is in after but not in before (both sorted).
    static std::vector<KeySerial> added_links(const std::vector<KeySerial>& before,
                                              const std::vector<KeySerial>& after);
    // Remove these links from the process keyring; returns the ones that were removed.
    static std::vector<KeySerial> unlink(const std::vector<KeySerial>& keyrings);

    std::mutex& accept_mutex() { return accept_mutex_; }

private:
    std::mutex accept_mutex_;
};

// The routine above as one scope, held around one ACCEPT and the reading of its request's keys:
// it takes the ACCEPT mutex and notes the process keyring's links; links_added() says which
// links the ACCEPT added; they are removed by unlink() or, on any other way out, when the scope
// ends, and only then may the next ACCEPT run (or at once, when it added none).
class AcceptKeyringScope {
public:
    explicit AcceptKeyringScope(RequestKeyringLinks& links);
    ~AcceptKeyringScope();
    AcceptKeyringScope(const AcceptKeyringScope&) = delete;
    AcceptKeyringScope& operator=(const AcceptKeyringScope&) = delete;

    // The links added since the scope began (looked up once, after the ACCEPT).
    const std::vector<KeySerial>& links_added();
    // Removes them now; returns the ones removed.
    std::vector<KeySerial> unlink();
    // When the ACCEPT added no link, the next ACCEPT may run now: this request's keys are read
    // by serial through the consumer keyrings the process always possesses, and no other
    // request's keyring is linked meanwhile. Returns whether the mutex was released.
    bool release_if_nothing_linked();

private:
    std::unique_lock<std::mutex> lock_;
    std::vector<KeySerial> before_;
    std::optional<std::vector<KeySerial>> added_;
    bool unlinked_ = false;
};

}  // namespace handshaked::keys
