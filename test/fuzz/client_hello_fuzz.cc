// SPDX-License-Identifier: GPL-2.0-or-later
// The ClientHello reader (service/tls/client_hello.h) on arbitrary bytes, as a server receives
// them from the network before wolfSSL answers. Besides "no crash, no UB": a ClientHello seen
// whole is never changed by more bytes after it (the server reads it as its bytes arrive, so the
// answer must not depend on where a read() happened to end), and nothing past the cipher suites
// is reported before the message is complete.
#include <cstdint>
#include <optional>
#include <vector>

#include "service/tls/client_hello.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using handshaked::tls::client_hello_complete;
using handshaked::tls::ClientHelloOffer;
using handshaked::tls::read_client_hello;

bool same(const ClientHelloOffer& a, const ClientHelloOffer& b) {
    return a.complete == b.complete && a.cipher_suites == b.cipher_suites &&
           a.supported_groups == b.supported_groups && a.sends_key_share == b.sends_key_share &&
           a.offers_psk_ke == b.offers_psk_ke && a.offers_psk_dhe_ke == b.offers_psk_dhe_ke;
}

void check_shape(const std::optional<ClientHelloOffer>& offer, std::size_t size) {
    if (!offer) return;
    FUZZ_CHECK(!offer->cipher_suites.empty());
    FUZZ_CHECK(offer->cipher_suites.size() * 2 <= size);
    if (!offer->complete) {
        FUZZ_CHECK(!offer->supported_groups);
        FUZZ_CHECK(!offer->offers_psk_ke && !offer->offers_psk_dhe_ke && !offer->sends_key_share);
    }
    if (offer->supported_groups) {
        FUZZ_CHECK(!offer->supported_groups->empty());
        FUZZ_CHECK(offer->supported_groups->size() * 2 <= size);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto whole = read_client_hello(data, size);
    check_shape(whole, size);
    // The header walk that gates the parse agrees with the parse on completeness.
    const bool complete = client_hello_complete(data, size);
    if (whole) FUZZ_CHECK(whole->complete == complete);

    // A complete answer from a prefix is the answer for the whole input.
    for (const std::size_t cut : {size / 2, size > 0 ? size - 1 : 0}) {
        const auto part = read_client_hello(data, cut);
        check_shape(part, cut);
        if (part && part->complete) FUZZ_CHECK(whole && same(*part, *whole));
    }

    // And bytes after a complete ClientHello (another record, or garbage) change nothing.
    if (whole && whole->complete) {
        std::vector<std::uint8_t> longer(data, data + size);
        longer.insert(longer.end(), {0x16, 0x03, 0x03, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00});
        const auto extended = read_client_hello(longer.data(), longer.size());
        FUZZ_CHECK(extended && same(*extended, *whole));
    }
    return 0;
}
