// SPDX-License-Identifier: GPL-2.0-or-later
// What a peer's ClientHello offers, read from the raw bytes a server received before answering.
// wolfSSL does not show its callbacks the client's lists: a TLS 1.3 PSK server callback names a
// suite without seeing which ones the client offered (a suite it did not offer fails the
// handshake), and with no group in common wolfSSL answers with a HelloRetryRequest for a group
// the client never listed instead of a handshake_failure alert.
// Pure; the input is untrusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace handshaked::tls {

struct ClientHelloOffer {
    bool complete = false;  // the whole ClientHello message is in the bytes
    std::vector<std::uint16_t> cipher_suites;
    // The supported_groups extension; nullopt when the ClientHello is not complete yet, has no
    // such extension or a malformed extension block.
    std::optional<std::vector<std::uint16_t>> supported_groups;
    // The client sent a key_share extension (wolfSSL's server takes psk_dhe_ke only then).
    bool sends_key_share = false;
    // psk_key_exchange_modes lists psk_ke: a PSK handshake without a key exchange is acceptable.
    bool offers_psk_ke = false;
    // ... and psk_dhe_ke: a PSK handshake with a key exchange, which wolfSSL's server prefers.
    bool offers_psk_dhe_ke = false;
};

// records: the bytes of the connection from its start (plaintext handshake records, possibly
// followed by anything else). The ClientHello may span several records. nullopt if the bytes do
// not start with a ClientHello whose cipher_suites field is complete and well-formed.
std::optional<ClientHelloOffer> read_client_hello(const std::uint8_t* records, std::size_t size);

// Whether the bytes hold a whole ClientHello message, by the record and message headers alone
// (no copy): a server reading the bytes as they arrive calls read_client_hello only then, so a
// peer sending tiny records cannot make it parse the growing prefix again and again.
bool client_hello_complete(const std::uint8_t* records, std::size_t size);

}  // namespace handshaked::tls
