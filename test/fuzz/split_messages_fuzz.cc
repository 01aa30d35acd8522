// SPDX-License-Identifier: GPL-2.0-or-later
// split_messages() on an arbitrary recv() buffer, for the handshake family's id (0x20, what the
// 6.12 guest assigns). Each message is checked against an independent reading of the nlmsghdr
// chain (NLMSG_OK/NLMSG_NEXT rules) and classified the way wire.h documents; accept replies are
// then handed to parse_accept_reply() as the daemon does.
#include <cstdint>
#include <span>

#include "netlink/wire.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using namespace handshaked;
using Kind = netlink::IncomingMessage::Kind;

constexpr std::uint16_t kFamily = 0x20;
constexpr std::uint16_t kNlmsgError = 2;
constexpr std::int64_t kEproto = 71;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> buffer(data, size);
    const auto messages = netlink::split_messages(buffer, kFamily);

    std::size_t at = 0;
    std::size_t index = 0;
    while (size - at >= fuzz::kNlmsgHeader) {
        const std::uint32_t len = fuzz::host32(data + at);
        if (len < fuzz::kNlmsgHeader || len > size - at) break;
        FUZZ_CHECK(index < messages.size());
        const auto& m = messages[index];
        FUZZ_CHECK(m.bytes.data() == data + at);
        FUZZ_CHECK(m.bytes.size() == len);
        FUZZ_CHECK(m.sequence == fuzz::host32(data + at + 8));
        const std::uint16_t type = fuzz::host16(data + at + 4);
        if (type == kNlmsgError) {
            std::int64_t error = -kEproto;
            if (len >= fuzz::kNlmsgHeader + 4)
                error = static_cast<std::int32_t>(fuzz::host32(data + at + 16));
            FUZZ_CHECK(m.kind == (error == 0 ? Kind::kAck : Kind::kError));
            // The kernel only sends 0 or -errno (-4095..-1): that errno, positive. Any other
            // value is nonsense, but must still give a non-zero error, positive if negated.
            if (error == 0) FUZZ_CHECK(m.error == 0);
            if (error >= -4095 && error < 0) FUZZ_CHECK(m.error == -error);
            if (error < 0) FUZZ_CHECK(m.error > 0);
            if (error > 0) FUZZ_CHECK(m.error != 0);
        } else if (type == kFamily && len >= fuzz::kNlmsgHeader + fuzz::kGenlHeader) {
            const std::uint8_t cmd = data[at + 16];
            FUZZ_CHECK(m.kind == (cmd == 1   ? Kind::kReady
                                  : cmd == 2 ? Kind::kAcceptReply
                                             : Kind::kOther));
        } else {
            FUZZ_CHECK(m.kind == Kind::kOther);
        }
        if (m.kind == Kind::kAcceptReply) {
            auto request = netlink::parse_accept_reply(m.bytes);
            if (request.ok()) FUZZ_CHECK(request->sockfd >= 0);
            if (auto fd = netlink::accept_reply_sockfd(m.bytes)) FUZZ_CHECK(*fd >= 0);
        }
        ++index;
        const std::size_t aligned = (static_cast<std::size_t>(len) + 3) / 4 * 4;
        at = aligned > size - at ? size : at + aligned;
    }
    FUZZ_CHECK(index == messages.size());
    return 0;
}
