// SPDX-License-Identifier: GPL-2.0-or-later
// The cipher suites a peer's ClientHello offers, read from the raw bytes received before the
// server answered. wolfSSL 5.5.4 lets a TLS 1.3 PSK server callback name the suite but does not
// show it the client's list, and a suite the client did not offer fails the handshake.
// Pure; the input is untrusted (fuzz target).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace handshaked::tls {

// records: the bytes of the connection from its start (plaintext handshake records, possibly
// followed by anything else). The ClientHello may span several records. nullopt if the bytes do
// not start with a ClientHello whose cipher_suites field is complete and well-formed.
std::optional<std::vector<std::uint16_t>> client_hello_cipher_suites(const std::uint8_t* records,
                                                                     std::size_t size);

}  // namespace handshaked::tls
