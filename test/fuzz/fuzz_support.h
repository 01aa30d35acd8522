// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers shared by the fuzz targets: an invariant check that aborts (so libFuzzer records the
// input) and a netlink walker written from the uapi rules, independent of netlink/wire.cc, so a
// target can compare the code under test against a second reading of the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace handshaked::fuzz {

inline constexpr std::size_t kNlmsgHeader = 16;        // struct nlmsghdr
inline constexpr std::size_t kGenlHeader = 4;          // struct genlmsghdr
inline constexpr std::size_t kNlaHeader = 4;           // struct nlattr
inline constexpr std::uint16_t kNlaTypeMask = 0x3fff;  // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)

inline std::uint16_t host16(const std::uint8_t* p) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline std::uint32_t host32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

struct Attr {
    std::size_t offset = 0;  // of the nlattr header, within the walked range
    std::uint16_t nla_len = 0;
    std::uint16_t type = 0;  // masked
    std::span<const std::uint8_t> payload;

    std::optional<std::uint32_t> u32() const {
        if (payload.size() != 4) return std::nullopt;
        return host32(payload.data());
    }
};

struct Walk {
    std::vector<Attr> attrs;
    bool malformed = false;  // a bad nla_len or 1..3 stray bytes at the end
};

// nla_ok()/nla_next() as the kernel defines them: a header needs 4 bytes, nla_len covers the
// header and must fit, the next attribute starts at NLA_ALIGN(nla_len) (or at the end).
inline Walk walk_attributes(std::span<const std::uint8_t> range) {
    Walk walk;
    std::size_t at = 0;
    while (at < range.size()) {
        if (range.size() - at < kNlaHeader) {
            walk.malformed = true;
            break;
        }
        const std::uint16_t len = host16(range.data() + at);
        const std::uint16_t type = host16(range.data() + at + 2);
        if (len < kNlaHeader || len > range.size() - at) {
            walk.malformed = true;
            break;
        }
        Attr attr;
        attr.offset = at;
        attr.nla_len = len;
        attr.type = static_cast<std::uint16_t>(type & kNlaTypeMask);
        attr.payload = range.subspan(at + kNlaHeader, len - kNlaHeader);
        walk.attrs.push_back(attr);
        const std::size_t aligned = (static_cast<std::size_t>(len) + 3) / 4 * 4;
        at = aligned > range.size() - at ? range.size() : at + aligned;
    }
    return walk;
}

struct GenlMessage {
    std::uint32_t nlmsg_len = 0;
    std::uint16_t nlmsg_type = 0;
    std::uint16_t nlmsg_flags = 0;
    std::uint32_t nlmsg_seq = 0;
    std::uint32_t nlmsg_pid = 0;
    std::uint8_t cmd = 0;
    std::uint8_t version = 0;
    std::span<const std::uint8_t> attributes;
};

// The first generic netlink message of a buffer, or nullopt if its headers do not fit.
inline std::optional<GenlMessage> read_genl(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kNlmsgHeader + kGenlHeader) return std::nullopt;
    GenlMessage m;
    m.nlmsg_len = host32(bytes.data());
    m.nlmsg_type = host16(bytes.data() + 4);
    m.nlmsg_flags = host16(bytes.data() + 6);
    m.nlmsg_seq = host32(bytes.data() + 8);
    m.nlmsg_pid = host32(bytes.data() + 12);
    if (m.nlmsg_len < kNlmsgHeader + kGenlHeader || m.nlmsg_len > bytes.size()) return std::nullopt;
    m.cmd = bytes[16];
    m.version = bytes[17];
    m.attributes =
        bytes.subspan(kNlmsgHeader + kGenlHeader, m.nlmsg_len - kNlmsgHeader - kGenlHeader);
    return m;
}

}  // namespace handshaked::fuzz

// Built for corpus_replay_test (test/fuzz/BUILD names each target with -DHANDSHAKED_FUZZ_TARGET
// and renames its entry point): the target registers itself, so the replay needs no list.
namespace handshaked::fuzz {
using FuzzEntry = int (*)(const std::uint8_t*, std::size_t);
struct RegisteredTarget {
    const char* name;
    FuzzEntry run;
};
bool register_target(const char* name, FuzzEntry run);
const std::vector<RegisteredTarget>& registered_targets();
}  // namespace handshaked::fuzz

#ifdef HANDSHAKED_FUZZ_TARGET
#define HANDSHAKED_FUZZ_STRING2(x) #x
#define HANDSHAKED_FUZZ_STRING(x) HANDSHAKED_FUZZ_STRING2(x)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
namespace {
[[maybe_unused]] const bool fuzz_target_registered = handshaked::fuzz::register_target(
    HANDSHAKED_FUZZ_STRING(HANDSHAKED_FUZZ_TARGET), &LLVMFuzzerTestOneInput);
}  // namespace
#endif
