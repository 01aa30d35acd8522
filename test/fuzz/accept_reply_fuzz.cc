// SPDX-License-Identifier: GPL-2.0-or-later
// parse_accept_reply() and accept_reply_sockfd() on arbitrary bytes (the whole netlink message,
// as the kernel would deliver it). Besides "no crash, no UB, no leak", the result is compared with
// a second, independent reading of the same bytes (fuzz_support.h's walker) that follows the
// contract in netlink/wire.h: tolerant of unknown attributes, strict about lengths, at most five
// non-zero peer identities in kernel order, sockfd/message-type/auth-mode mandatory.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netlink/wire.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using namespace handshaked;
using fuzz::Attr;

struct Expected {
    bool ok = false;
    int sockfd = -1;
    Role role = Role::kClient;
    AuthMode auth = AuthMode::kUnauthenticated;
    std::optional<std::uint32_t> timeout_ms;
    std::vector<KeySerial> peer_identities;
    KeySerial certificate = 0;
    KeySerial private_key = 0;
    std::optional<std::string> peername;
    std::optional<KeySerial> keyring;
};

Expected model(std::span<const std::uint8_t> bytes) {
    Expected e;
    auto message = fuzz::read_genl(bytes);
    if (!message || message->cmd != 2 /* HANDSHAKE_CMD_ACCEPT */) return e;
    auto walk = fuzz::walk_attributes(message->attributes);
    if (walk.malformed) return e;
    std::optional<std::uint32_t> sockfd, type, auth;
    for (const Attr& a : walk.attrs) {
        switch (a.type) {
            case 1:
                if (!(sockfd = a.u32())) return e;
                break;
            case 3:
                if (!(type = a.u32())) return e;
                break;
            case 5:
                if (!(auth = a.u32())) return e;
                break;
            case 4: {
                auto v = a.u32();
                if (!v) return e;
                if (*v) e.timeout_ms = *v;
                break;
            }
            case 6: {
                auto v = a.u32();
                if (!v) return e;
                if (*v && e.peer_identities.size() < 5)
                    e.peer_identities.push_back(static_cast<KeySerial>(*v));
                break;
            }
            case 7: {
                auto nest = fuzz::walk_attributes(a.payload);
                if (nest.malformed) return e;
                for (const Attr& n : nest.attrs) {
                    if (n.type == 1 || n.type == 2) {
                        auto v = n.u32();
                        if (!v) return e;
                        (n.type == 1 ? e.certificate : e.private_key) = static_cast<KeySerial>(*v);
                    }
                }
                break;
            }
            case 8: {
                std::string name;
                bool terminated = false;
                for (std::uint8_t c : a.payload) {
                    if (c == 0) {
                        terminated = true;
                        break;
                    }
                    name.push_back(static_cast<char>(c));
                }
                if (!terminated) return e;
                if (!name.empty()) e.peername = name;
                break;
            }
            case 9: {
                auto v = a.u32();
                if (!v) return e;
                if (*v) e.keyring = static_cast<KeySerial>(*v);
                break;
            }
            default: break;
        }
    }
    if (!sockfd || static_cast<int>(*sockfd) < 0 || !type || !auth) return e;
    if (*type != 1 && *type != 2) return e;
    if (*auth < 1 || *auth > 3) return e;
    e.sockfd = static_cast<int>(*sockfd);
    e.role = *type == 1 ? Role::kClient : Role::kServer;
    e.auth = *auth == 1   ? AuthMode::kUnauthenticated
             : *auth == 2 ? AuthMode::kPsk
                          : AuthMode::kX509;
    e.ok = true;
    return e;
}

// accept_reply_sockfd(): the last sockfd attribute of a message whose headers fit, if it is a
// well-formed non-negative s32; any command.
std::optional<int> model_sockfd(std::span<const std::uint8_t> bytes) {
    auto message = fuzz::read_genl(bytes);
    if (!message) return std::nullopt;
    // The last sockfd attribute counts, as in parse_accept_reply().
    std::optional<int> sockfd;
    for (const Attr& a : fuzz::walk_attributes(message->attributes).attrs) {
        if (a.type != 1) continue;
        auto v = a.u32();
        sockfd = v && static_cast<int>(*v) >= 0 ? std::optional<int>(static_cast<int>(*v))
                                                : std::nullopt;
    }
    return sockfd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    auto request = netlink::parse_accept_reply(bytes);
    const auto fd = netlink::accept_reply_sockfd(bytes);
    const Expected e = model(bytes);

    FUZZ_CHECK(fd == model_sockfd(bytes));
    if (fd) FUZZ_CHECK(*fd >= 0);
    FUZZ_CHECK(request.ok() == e.ok);
    if (!request.ok()) {
        FUZZ_CHECK(request.error().cause == ErrorCause::kBadRequest);
        FUZZ_CHECK(request.error().message.rfind("ACCEPT reply: ", 0) == 0);
        return 0;
    }
    const HandshakeRequest& r = *request;
    FUZZ_CHECK(r.sockfd >= 0 && r.sockfd == e.sockfd);
    FUZZ_CHECK(fd == r.sockfd);  // the fd a rejected reply would be answered on is the same one
    FUZZ_CHECK(r.role == e.role);
    FUZZ_CHECK(r.auth == e.auth);
    FUZZ_CHECK(r.timeout_ms == e.timeout_ms);
    FUZZ_CHECK(!r.timeout_ms || *r.timeout_ms != 0);
    FUZZ_CHECK(r.peer_identities.size() <= 5);
    for (KeySerial serial : r.peer_identities) FUZZ_CHECK(serial != 0);
    FUZZ_CHECK(r.peer_identities == e.peer_identities);
    FUZZ_CHECK(r.certificate == e.certificate);
    FUZZ_CHECK(r.private_key == e.private_key);
    FUZZ_CHECK(r.peername == e.peername);
    if (r.peername) FUZZ_CHECK(!r.peername->empty() && r.peername->find('\0') == std::string::npos);
    FUZZ_CHECK(r.keyring == e.keyring);
    if (r.keyring) FUZZ_CHECK(*r.keyring != 0);
    // A reply parse_accept_reply() accepts always has a sockfd accept_reply_sockfd() can find,
    // unless the kernel repeated the attribute (the two then disagree on which one counts).
    std::size_t sockfd_attributes = 0;
    for (const Attr& a : fuzz::walk_attributes(fuzz::read_genl(bytes)->attributes).attrs)
        sockfd_attributes += a.type == 1;
    if (sockfd_attributes == 1) FUZZ_CHECK(fd == r.sockfd);
    return 0;
}
