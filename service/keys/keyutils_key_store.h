// SPDX-License-Identifier: GPL-2.0-or-later
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "service/keys/key_store.h"

namespace handshaked::keys {

// The keyrings the kernel's consumers keep their keys in (NVMe, NFS client, NFS server).
inline constexpr const char* kConsumerKeyrings[] = {".nvme", ".nfs", ".nfsd"};

class KeyutilsKeyStore final : public KeyStore {
public:
    // configured_keyrings: names from [authenticate] keyrings.
    KeyutilsKeyStore(std::vector<std::string> configured_keyrings, unsigned peer_certificate_lifetime_s);

    // Give this process a session keyring of its own and link the consumer keyrings into it,
    // so their keys are "possessed" and readable. Safe to call again (keyrings appear when
    // their module loads, which may be after start-up).
    Result<void> link_consumer_keyrings();

    Result<tls::PskKey> read_psk(KeySerial serial) override;
    Result<tls::DerCredentials> read_x509(KeySerial certificate, KeySerial private_key) override;
    std::optional<tls::PskKey> find_psk(std::string_view identity,
                                        const std::vector<KeySerial>& keyrings) override;
    Result<KeySerial> publish_peer_certificate(const std::vector<std::uint8_t>& der,
                                               std::string_view description) override;
    std::vector<KeySerial> search_scope(const HandshakeRequest& request) override;

private:
    std::vector<KeySerial> named_keyrings();
    std::vector<std::string> configured_keyrings_;
    unsigned peer_certificate_lifetime_s_;
};

// The kernel links a request's keyring into the process keyring of whoever sent ACCEPT. In a
// long-lived process those links would accumulate and every later request would possess every
// consumer's keyring. RequestKeyringLinks counts the requests in flight per linked keyring and
// removes the link when the last one finishes.
class RequestKeyringLinks {
public:
    // Call with the process keyring contents before and after one ACCEPT (serialised by the
    // caller); returns the keyrings the ACCEPT linked, which are then held for this request.
    static std::vector<KeySerial> process_keyring_contents();

    // The keyrings to hold for a request: those the ACCEPT newly linked, plus those already held
    // by requests in flight (the kernel does not link a keyring twice, so a second request of
    // the same consumer shows no new link; holding it longer is harmless, dropping it early is
    // not).
    std::vector<KeySerial> hold_linked(const std::vector<KeySerial>& before,
                                       const std::vector<KeySerial>& after);
    void release(const std::vector<KeySerial>& keyrings);
    std::mutex& accept_mutex() { return accept_mutex_; }

private:
    std::mutex mutex_;
    std::mutex accept_mutex_;
    std::map<KeySerial, int> holders_;
};

}  // namespace handshaked::keys
