// SPDX-License-Identifier: GPL-2.0-or-later
// build_done_request() round trip: the input describes a HandshakeResult and DoneSupport, the
// target builds the DONE request and reads it back with fuzz_support.h's own walker.
//
// Input layout (little-endian, missing bytes read as zero):
//   [0..2)  family id        [2..6)  sequence     [6..10) port id
//   [10]    ErrorCause, 0 for success (raw byte, so values past the enum's last name are exercised
//   too) [11..15) sockfd (s32)    [15]    bit 0: support.remote_auth, bit 1: support.tag [16..)
//   remote-auth serials, s32 each (at most 64 are read)
//
// Invariants: nlmsg_len == size, size and every attribute 4-byte aligned, header fields as
// asked, exactly one status equal to done_status(failure) and to the kernel contract's errno,
// exactly one sockfd, remote-auth only on success and only if support.remote_auth, at most five,
// non-zero, the first five non-zero serials in order, nothing else.
#include <cerrno>
#include <cstdint>
#include <span>
#include <vector>

#include "netlink/wire.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using namespace handshaked;

class Reader {
public:
    Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    std::uint64_t take(std::size_t bytes) {
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < bytes; ++i, ++at_) {
            if (at_ < size_) value |= static_cast<std::uint64_t>(data_[at_]) << (8 * i);
        }
        return value;
    }
    std::size_t remaining() const { return at_ < size_ ? size_ - at_ : 0; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

// The status table as the kernel consumers expect it (proto/failure.h, tlshd's contract),
// written out again so a change to one side shows up here.
std::uint32_t expected_status(int failure) {
    switch (failure) {
        case 0: return 0;             // success (no cause)
        case 1: return EACCES;        // authentication
        case 2: return EACCES;        // protocol
        case 3: return ETIMEDOUT;     // peer closed
        case 4: return ETIMEDOUT;     // timeout
        case 5: return EKEYREJECTED;  // unknown PSK identity
        case 6: return EIO;           // missing credentials
        case 7: return EIO;           // local fault
        case 8: return EOPNOTSUPP;    // not TCP
        case 9: return EIO;           // bad request
        case 10: return ETIMEDOUT;    // shutting down
        default: return EIO;          // config/bus/netlink, or past the enum: a local fault
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Reader in(data, size);
    const auto family = static_cast<std::uint16_t>(in.take(2));
    const auto sequence = static_cast<std::uint32_t>(in.take(4));
    const auto port = static_cast<std::uint32_t>(in.take(4));
    HandshakeResult result;
    const auto raw_failure = static_cast<int>(in.take(1));
    if (raw_failure != 0)
        result.failure = static_cast<ErrorCause>(raw_failure);
    else
        result.failure = std::nullopt;
    result.sockfd = static_cast<int>(static_cast<std::uint32_t>(in.take(4)));
    const auto flags = in.take(1);
    netlink::DoneSupport support;
    support.remote_auth = flags & 1;
    support.tag = flags & 2;
    while (in.remaining() >= 4 && result.remote_auth.size() < 64)
        result.remote_auth.push_back(
            static_cast<KeySerial>(static_cast<std::uint32_t>(in.take(4))));

    const auto bytes = netlink::build_done_request(family, sequence, port, result, support);
    const std::span<const std::uint8_t> message(bytes);

    const auto header = fuzz::read_genl(message);
    FUZZ_CHECK(header.has_value());
    FUZZ_CHECK(header->nlmsg_len == bytes.size());
    FUZZ_CHECK(bytes.size() % 4 == 0);
    FUZZ_CHECK(header->nlmsg_type == family);
    FUZZ_CHECK(header->nlmsg_flags == (0x1 /* NLM_F_REQUEST */ | 0x4 /* NLM_F_ACK */));
    FUZZ_CHECK(header->nlmsg_seq == sequence);
    FUZZ_CHECK(header->nlmsg_pid == port);
    FUZZ_CHECK(header->cmd == 3 /* HANDSHAKE_CMD_DONE */);

    const auto walk = fuzz::walk_attributes(header->attributes);
    FUZZ_CHECK(!walk.malformed);
    int statuses = 0, sockfds = 0;
    std::vector<KeySerial> remote_auth;
    for (const auto& a : walk.attrs) {
        FUZZ_CHECK(a.offset % 4 == 0);
        FUZZ_CHECK(a.nla_len == 8);
        const std::uint32_t value = *a.u32();
        switch (a.type) {
            case 1:  // HANDSHAKE_A_DONE_STATUS
                ++statuses;
                FUZZ_CHECK(value == done_status(result.failure));
                FUZZ_CHECK(value == result.status());
                FUZZ_CHECK(value == expected_status(raw_failure));
                break;
            case 2:  // HANDSHAKE_A_DONE_SOCKFD
                ++sockfds;
                FUZZ_CHECK(value == static_cast<std::uint32_t>(result.sockfd));
                break;
            case 3:  // HANDSHAKE_A_DONE_REMOTE_AUTH
                remote_auth.push_back(static_cast<KeySerial>(value));
                break;
            default: FUZZ_CHECK(!"unexpected attribute in DONE");
        }
    }
    FUZZ_CHECK(statuses == 1);
    FUZZ_CHECK(sockfds == 1);

    std::vector<KeySerial> expected;
    if (!result.failure && support.remote_auth) {
        for (KeySerial serial : result.remote_auth) {
            if (serial != 0 && expected.size() < 5) expected.push_back(serial);
        }
    }
    FUZZ_CHECK(remote_auth.size() <= 5);
    for (KeySerial serial : remote_auth) FUZZ_CHECK(serial != 0);
    FUZZ_CHECK(remote_auth == expected);

    // The request is one well-formed message to the splitter too.
    const auto split = netlink::split_messages(message, family);
    FUZZ_CHECK(split.size() == 1);
    FUZZ_CHECK(split[0].bytes.size() == bytes.size());
    return 0;
}
