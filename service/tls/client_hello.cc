// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/client_hello.h"

#include <cstdint>

namespace handshaked::tls {
namespace {

constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHello = 1;
constexpr std::size_t kMaxRecordBody = 16384 + 256;
constexpr std::size_t kSupportedGroups = 10;
constexpr std::size_t kPskKeyExchangeModes = 45;
constexpr std::size_t kKeyShare = 51;
constexpr std::size_t kPskKe = 0;
constexpr std::size_t kPskDheKe = 1;

// A bounded reader: every read checks the end first, and a failed read poisons the reader.
class Reader {
public:
    Reader(const std::vector<std::uint8_t>& bytes, std::size_t begin, std::size_t end)
        : bytes_(bytes), pos_(begin), end_(end) {}
    bool ok() const { return ok_; }
    std::size_t pos() const { return pos_; }
    std::size_t left() const { return ok_ ? end_ - pos_ : 0; }
    std::size_t u8() { return take(1) ? bytes_[pos_ - 1] : 0; }
    std::size_t u16() {
        return take(2) ? (std::size_t{bytes_[pos_ - 2]} << 8) | bytes_[pos_ - 1] : 0;
    }
    bool skip(std::size_t n) { return take(n); }

private:
    bool take(std::size_t n) {
        if (!ok_ || n > end_ - pos_) return ok_ = false;
        pos_ += n;
        return true;
    }
    const std::vector<std::uint8_t>& bytes_;
    std::size_t pos_;
    std::size_t end_;
    bool ok_ = true;
};

std::optional<std::vector<std::uint16_t>> read_u16_list(Reader& r, std::size_t length) {
    if (length % 2 != 0 || length > r.left()) return std::nullopt;
    std::vector<std::uint16_t> values;
    values.reserve(length / 2);
    for (std::size_t i = 0; i < length; i += 2)
        values.push_back(static_cast<std::uint16_t>(r.u16()));
    return values;
}

// Fills supported_groups, key_share and the PSK modes from the extensions block, which must end
// where the message ends; leaves them unset when anything is malformed (wolfSSL refuses such a
// ClientHello itself, and its own alert is the right answer then).
void read_extensions(Reader& r, ClientHelloOffer& offer) {
    const std::size_t length = r.u16();
    if (!r.ok() || length != r.left()) return;
    const std::size_t end = r.pos() + length;
    std::optional<std::vector<std::uint16_t>> groups;
    bool key_share = false;
    bool psk_ke = false;
    bool psk_dhe_ke = false;
    while (r.ok() && r.pos() < end) {
        const std::size_t type = r.u16();
        const std::size_t size = r.u16();
        if (!r.ok() || r.pos() > end || size > end - r.pos()) return;
        const std::size_t next = r.pos() + size;
        if (type == kSupportedGroups) {
            const std::size_t list = r.u16();
            // An empty list and a repeated extension are malformed too (RFC 8446 4.2.7, 4.2).
            if (groups || list == 0 || list + 2 != size) return;
            groups = read_u16_list(r, list);
            if (!groups) return;
        } else if (type == kPskKeyExchangeModes) {
            const std::size_t modes = r.u8();
            if (modes + 1 != size) return;
            for (std::size_t i = 0; i < modes; ++i) {
                const std::size_t mode = r.u8();
                psk_ke |= mode == kPskKe;
                psk_dhe_ke |= mode == kPskDheKe;
            }
        } else {
            key_share |= type == kKeyShare;
            r.skip(size);
        }
        if (!r.ok() || r.pos() != next) return;
    }
    if (!r.ok() || r.pos() != end) return;
    offer.supported_groups = std::move(groups);
    offer.sends_key_share = key_share;
    offer.offers_psk_ke = psk_ke;
    offer.offers_psk_dhe_ke = psk_dhe_ke;
}

// Where the first handshake message ends (type, 24-bit length, body); unknown before its header.
std::size_t message_end(const std::vector<std::uint8_t>& handshake) {
    if (handshake.size() < 4) return SIZE_MAX;
    return 4 +
           ((std::size_t{handshake[1]} << 16) | (std::size_t{handshake[2]} << 8) | handshake[3]);
}

// Hands take(bytes, size) the bodies of consecutive plaintext handshake records, from the
// start, until take says it has enough (false), the bytes end mid-record or a record of another
// type starts. Returns false on a record no TLS stack accepts (empty or over-long).
template <typename Take>
bool walk_handshake_records(const std::uint8_t* records, std::size_t size, Take take) {
    std::size_t pos = 0;
    while (pos + 5 <= size && records[pos] == kHandshakeRecord) {
        const std::size_t length = (std::size_t{records[pos + 3]} << 8) | records[pos + 4];
        if (length == 0 || length > kMaxRecordBody) return false;
        const std::size_t available = size - (pos + 5) < length ? size - (pos + 5) : length;
        if (!take(records + pos + 5, available) || available < length) return true;
        pos += 5 + length;
    }
    return true;
}

}  // namespace

bool client_hello_complete(const std::uint8_t* records, std::size_t size) {
    if (!records) return false;
    std::vector<std::uint8_t> header;  // the message's first 4 bytes, all that is copied
    std::size_t have = 0;              // handshake bytes in the records so far
    bool complete = false;
    walk_handshake_records(records, size, [&](const std::uint8_t* bytes, std::size_t n) {
        for (std::size_t i = 0; i < n && header.size() < 4; ++i) header.push_back(bytes[i]);
        have += n;
        if (have < message_end(header)) return true;
        complete = header[0] == kClientHello;
        return false;
    });
    return complete;
}

std::optional<ClientHelloOffer> read_client_hello(const std::uint8_t* records, std::size_t size) {
    if (!records) return std::nullopt;
    // Reassemble the first handshake message from consecutive plaintext handshake records.
    std::vector<std::uint8_t> handshake;
    const bool well_formed =
        walk_handshake_records(records, size, [&](const std::uint8_t* bytes, std::size_t n) {
            handshake.insert(handshake.end(), bytes, bytes + n);
            return handshake.size() < message_end(handshake);
        });
    if (!well_formed) return std::nullopt;
    // Handshake header: type, 24-bit length; then legacy_version(2), random(32),
    // legacy_session_id<0..32>, cipher_suites<2..2^16-2>, legacy_compression_methods<1..2^8-1>,
    // extensions<8..2^16-1>.
    if (handshake.size() < 4 || handshake[0] != kClientHello) return std::nullopt;
    const std::size_t body_end = message_end(handshake);
    const bool complete = body_end <= handshake.size();
    Reader r(handshake, 4, complete ? body_end : handshake.size());
    r.skip(2 + 32);
    const std::size_t session_id = r.u8();
    if (!r.ok() || session_id > 32 || !r.skip(session_id)) return std::nullopt;
    const std::size_t suites_length = r.u16();
    if (!r.ok() || suites_length == 0) return std::nullopt;
    auto suites = read_u16_list(r, suites_length);
    if (!suites) return std::nullopt;
    ClientHelloOffer offer;
    offer.complete = complete;
    offer.cipher_suites = std::move(*suites);
    if (complete) {
        const std::size_t compression = r.u8();
        if (r.skip(compression) && r.left() > 0) read_extensions(r, offer);
    }
    return offer;
}

}  // namespace handshaked::tls
