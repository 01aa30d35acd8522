// SPDX-License-Identifier: GPL-2.0-or-later
// Everything a handshake needs from the kernel's keyrings, behind one interface so the job's
// outcomes are testable without a kernel. keyutils_key_store.cc is the real adapter.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "proto/handshake.h"
#include "service/tls/engine.h"

namespace handshaked::keys {

class KeyStore {
public:
    virtual ~KeyStore() = default;

    // A PSK by serial: identity = the key's description, key = its payload.
    virtual Result<tls::PskKey> read_psk(KeySerial serial) = 0;

    // The request's own x.509 credentials: a DER certificate and a DER private key.
    virtual Result<tls::DerCredentials> read_x509(KeySerial certificate, KeySerial private_key) = 0;

    // Server side: the psk key whose description equals identity, searched only in the given
    // keyrings (never in keyrings other requests caused to be linked into this process).
    virtual std::optional<tls::PskKey> find_psk(std::string_view identity,
                                                const std::vector<KeySerial>& keyrings) = 0;

    // Every psk key in a keyring (and the keyrings nested in it), read now: a request's own
    // keyring is only reachable while the kernel's link for that request exists.
    virtual std::vector<tls::PskKey> read_psks_in(KeySerial keyring) = 0;

    // Store a verified peer certificate as a key and return its serial for DONE's remote-auth.
    virtual Result<KeySerial> publish_peer_certificate(const std::vector<std::uint8_t>& der,
                                                       std::string_view description) = 0;

    // The keyrings a server-side PSK lookup searches besides the request's own (read up front
    // with read_psks_in): the consumers' well-known keyrings and the configured ones, which this
    // process keeps linked in its session keyring. The same for every request.
    virtual std::vector<KeySerial> shared_keyrings() = 0;
};

}  // namespace handshaked::keys
