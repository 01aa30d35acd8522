// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink/wire.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstring>

namespace handshaked::netlink {
namespace {

using Bytes = std::span<const std::uint8_t>;

constexpr std::size_t align4(std::size_t n) { return (n + 3u) & ~std::size_t{3}; }

// Iterates the attributes of a byte range; stops (and reports truncation) on a bad header.
class AttributeCursor {
public:
    explicit AttributeCursor(Bytes range) : rest_(range) {}

    struct Attribute {
        std::uint16_t type;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
        Bytes payload;
    };

    std::optional<Attribute> next() {
        if (rest_.size() < sizeof(nlattr)) {
            if (!rest_.empty()) truncated_ = true;
            return std::nullopt;
        }
        nlattr header;
        std::memcpy(&header, rest_.data(), sizeof header);
        if (header.nla_len < sizeof(nlattr) || header.nla_len > rest_.size()) {
            truncated_ = true;
            return std::nullopt;
        }
        Attribute attribute{static_cast<std::uint16_t>(header.nla_type & NLA_TYPE_MASK),
                            rest_.subspan(sizeof(nlattr), header.nla_len - sizeof(nlattr))};
        rest_ = rest_.subspan(std::min(rest_.size(), align4(header.nla_len)));
        return attribute;
    }
    bool truncated() const { return truncated_; }

private:
    Bytes rest_;
    bool truncated_ = false;
};

std::optional<std::uint32_t> read_u32(Bytes payload) {
    if (payload.size() != sizeof(std::uint32_t)) return std::nullopt;
    std::uint32_t value;
    std::memcpy(&value, payload.data(), sizeof value);
    return value;
}

// Appends netlink structures to a message buffer and fixes up nlmsg_len at the end.
class MessageWriter {
public:
    MessageWriter(std::uint16_t type, std::uint16_t flags, std::uint32_t sequence,
                  std::uint32_t port_id, std::uint8_t cmd, std::uint8_t version) {
        nlmsghdr header{};
        header.nlmsg_type = type;
        header.nlmsg_flags = flags;
        header.nlmsg_seq = sequence;
        header.nlmsg_pid = port_id;
        append(&header, sizeof header);
        genlmsghdr genl{};
        genl.cmd = cmd;
        genl.version = version;
        append(&genl, sizeof genl);
    }
    void put_u32(std::uint16_t type, std::uint32_t value) { put(type, &value, sizeof value); }
    void put_string(std::uint16_t type, std::string_view value) {
        std::string with_nul(value);
        put(type, with_nul.c_str(), with_nul.size() + 1);
    }
    std::vector<std::uint8_t> finish() && {
        const auto length = static_cast<std::uint32_t>(bytes_.size());
        std::memcpy(bytes_.data() + offsetof(nlmsghdr, nlmsg_len), &length, sizeof length);
        return std::move(bytes_);
    }

private:
    void put(std::uint16_t type, const void* data, std::size_t size) {
        nlattr header{};
        header.nla_len = static_cast<std::uint16_t>(sizeof(nlattr) + size);
        header.nla_type = type;
        append(&header, sizeof header);
        append(data, size);
        bytes_.resize(align4(bytes_.size()), 0);
    }
    void append(const void* data, std::size_t size) {
        const auto* p = static_cast<const std::uint8_t*>(data);
        bytes_.insert(bytes_.end(), p, p + size);
    }
    std::vector<std::uint8_t> bytes_;
};

// The attribute area of a generic netlink message, or nullopt if the headers do not fit.
std::optional<Bytes> genl_attributes(Bytes message, std::uint8_t* cmd = nullptr) {
    if (message.size() < NLMSG_HDRLEN + GENL_HDRLEN) return std::nullopt;
    nlmsghdr header;
    std::memcpy(&header, message.data(), sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN || header.nlmsg_len > message.size())
        return std::nullopt;
    if (cmd) *cmd = message[NLMSG_HDRLEN + offsetof(genlmsghdr, cmd)];
    return message.subspan(NLMSG_HDRLEN + GENL_HDRLEN,
                           header.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
}

}  // namespace

std::vector<IncomingMessage> split_messages(Bytes buffer, std::uint16_t family_id) {
    std::vector<IncomingMessage> messages;
    while (buffer.size() >= sizeof(nlmsghdr)) {
        nlmsghdr header;
        std::memcpy(&header, buffer.data(), sizeof header);
        if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > buffer.size()) break;
        IncomingMessage message;
        message.sequence = header.nlmsg_seq;
        message.bytes = buffer.subspan(0, header.nlmsg_len);
        if (header.nlmsg_type == NLMSG_ERROR) {
            int error = -EPROTO;
            if (header.nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
                std::memcpy(&error, buffer.data() + NLMSG_HDRLEN, sizeof error);
            }
            // The kernel sends a negative errno; anything else (or INT_MIN, whose negation
            // overflows) is not an errno at all.
            message.error = error == 0 ? 0 : (error < 0 && error >= -4095) ? -error : EPROTO;
            message.kind = error == 0 ? IncomingMessage::Kind::kAck : IncomingMessage::Kind::kError;
        } else if (header.nlmsg_type == family_id &&
                   header.nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
            const std::uint8_t cmd = buffer[NLMSG_HDRLEN + offsetof(genlmsghdr, cmd)];
            if (cmd == proto::HANDSHAKE_CMD_READY) message.kind = IncomingMessage::Kind::kReady;
            if (cmd == proto::HANDSHAKE_CMD_ACCEPT)
                message.kind = IncomingMessage::Kind::kAcceptReply;
        }
        messages.push_back(message);
        buffer = buffer.subspan(std::min(buffer.size(), align4(header.nlmsg_len)));
    }
    return messages;
}

std::vector<std::uint8_t> build_accept_request(std::uint16_t family_id, std::uint32_t sequence,
                                               std::uint32_t port_id) {
    MessageWriter writer(family_id, NLM_F_REQUEST, sequence, port_id, proto::HANDSHAKE_CMD_ACCEPT,
                         0);
    writer.put_u32(proto::HANDSHAKE_A_ACCEPT_HANDLER_CLASS, proto::HANDSHAKE_HANDLER_CLASS_TLSHD);
    return std::move(writer).finish();
}

std::optional<int> accept_reply_sockfd(Bytes message) {
    auto attributes = genl_attributes(message);
    if (!attributes) return std::nullopt;
    // The same attribute parse_accept_reply() uses: the last sockfd if repeated.
    std::optional<int> sockfd;
    AttributeCursor cursor(*attributes);
    while (auto attribute = cursor.next()) {
        if (attribute->type != proto::HANDSHAKE_A_ACCEPT_SOCKFD) continue;
        auto fd = read_u32(attribute->payload);
        sockfd = fd && static_cast<int>(*fd) >= 0 ? std::optional<int>(static_cast<int>(*fd))
                                                  : std::nullopt;
    }
    return sockfd;
}

Result<HandshakeRequest> parse_accept_reply(Bytes message) {
    std::uint8_t cmd = 0;
    auto attributes = genl_attributes(message, &cmd);
    if (!attributes) return make_error(ErrorCause::kBadRequest, "ACCEPT reply: truncated header");
    if (cmd != proto::HANDSHAKE_CMD_ACCEPT)
        return make_error(ErrorCause::kBadRequest,
                          "ACCEPT reply: unexpected command " + std::to_string(cmd));

    HandshakeRequest request;
    std::optional<std::uint32_t> sockfd, message_type, auth_mode;
    AttributeCursor cursor(*attributes);
    auto bad_length = [](const char* name) {
        return make_error(ErrorCause::kBadRequest,
                          std::string("ACCEPT reply: bad length for ") + name);
    };
    while (auto attribute = cursor.next()) {
        switch (attribute->type) {
            case proto::HANDSHAKE_A_ACCEPT_SOCKFD:
                if (!(sockfd = read_u32(attribute->payload))) return bad_length("sockfd");
                break;
            case proto::HANDSHAKE_A_ACCEPT_MESSAGE_TYPE:
                if (!(message_type = read_u32(attribute->payload)))
                    return bad_length("message-type");
                break;
            case proto::HANDSHAKE_A_ACCEPT_AUTH_MODE:
                if (!(auth_mode = read_u32(attribute->payload))) return bad_length("auth-mode");
                break;
            case proto::HANDSHAKE_A_ACCEPT_TIMEOUT: {
                auto timeout = read_u32(attribute->payload);
                if (!timeout) return bad_length("timeout");
                if (*timeout != 0) request.timeout_ms = *timeout;
                break;
            }
            case proto::HANDSHAKE_A_ACCEPT_PEER_IDENTITY: {
                auto serial = read_u32(attribute->payload);
                if (!serial) return bad_length("peer-identity");
                // The kernel sends at most five; a sixth would be a kernel we do not know.
                if (request.peer_identities.size() < proto::kMaxPeerIdentities && *serial != 0)
                    request.peer_identities.push_back(static_cast<KeySerial>(*serial));
                break;
            }
            case proto::HANDSHAKE_A_ACCEPT_CERTIFICATE: {
                AttributeCursor nested(attribute->payload);
                while (auto x509 = nested.next()) {
                    auto serial = read_u32(x509->payload);
                    if (x509->type == proto::HANDSHAKE_A_X509_CERT) {
                        if (!serial) return bad_length("x509 cert");
                        request.certificate = static_cast<KeySerial>(*serial);
                    } else if (x509->type == proto::HANDSHAKE_A_X509_PRIVKEY) {
                        if (!serial) return bad_length("x509 privkey");
                        request.private_key = static_cast<KeySerial>(*serial);
                    }
                }
                if (nested.truncated())
                    return make_error(ErrorCause::kBadRequest,
                                      "ACCEPT reply: truncated certificate nest");
                break;
            }
            case proto::HANDSHAKE_A_ACCEPT_PEERNAME: {
                const auto& payload = attribute->payload;
                const void* nul = std::memchr(payload.data(), 0, payload.size());
                if (!nul)
                    return make_error(ErrorCause::kBadRequest,
                                      "ACCEPT reply: peername not terminated");
                std::string name(reinterpret_cast<const char*>(payload.data()),
                                 static_cast<const std::uint8_t*>(nul) - payload.data());
                if (!name.empty()) request.peername = std::move(name);
                break;
            }
            case proto::HANDSHAKE_A_ACCEPT_KEYRING: {
                auto serial = read_u32(attribute->payload);
                if (!serial) return bad_length("keyring");
                if (*serial != 0) request.keyring = static_cast<KeySerial>(*serial);
                break;
            }
            default: break;  // a newer kernel's attribute: not ours to interpret
        }
    }
    if (cursor.truncated())
        return make_error(ErrorCause::kBadRequest, "ACCEPT reply: truncated attribute");
    if (!sockfd) return make_error(ErrorCause::kBadRequest, "ACCEPT reply: no sockfd");
    request.sockfd = static_cast<int>(*sockfd);
    if (request.sockfd < 0)
        return make_error(ErrorCause::kBadRequest, "ACCEPT reply: negative sockfd");
    if (!message_type) return make_error(ErrorCause::kBadRequest, "ACCEPT reply: no message type");
    if (!auth_mode) return make_error(ErrorCause::kBadRequest, "ACCEPT reply: no auth mode");

    switch (*message_type) {
        case proto::HANDSHAKE_MSG_TYPE_CLIENTHELLO: request.role = Role::kClient; break;
        case proto::HANDSHAKE_MSG_TYPE_SERVERHELLO: request.role = Role::kServer; break;
        default:
            return make_error(ErrorCause::kBadRequest, "ACCEPT reply: unknown message type " +
                                                           std::to_string(*message_type));
    }
    switch (*auth_mode) {
        case proto::HANDSHAKE_AUTH_UNAUTH: request.auth = AuthMode::kUnauthenticated; break;
        case proto::HANDSHAKE_AUTH_PSK: request.auth = AuthMode::kPsk; break;
        case proto::HANDSHAKE_AUTH_X509: request.auth = AuthMode::kX509; break;
        default:
            return make_error(ErrorCause::kBadRequest,
                              "ACCEPT reply: unknown auth mode " + std::to_string(*auth_mode));
    }
    return request;
}

std::vector<std::uint8_t> build_done_request(std::uint16_t family_id, std::uint32_t sequence,
                                             std::uint32_t port_id, const HandshakeResult& result,
                                             const DoneSupport& support) {
    MessageWriter writer(family_id, NLM_F_REQUEST | NLM_F_ACK, sequence, port_id,
                         proto::HANDSHAKE_CMD_DONE, 0);
    // The kernel takes a status as a negative errno (6.18 stable rejects one above MAX_ERRNO);
    // done_status() only returns such values, and nothing else may reach the wire.
    std::uint32_t status = result.status();
    if (status > proto::kMaxDoneStatus || (result.failure && status == 0)) status = EIO;
    writer.put_u32(proto::HANDSHAKE_A_DONE_STATUS, status);
    writer.put_u32(proto::HANDSHAKE_A_DONE_SOCKFD, static_cast<std::uint32_t>(result.sockfd));
    if (!result.failure && support.remote_auth) {
        int sent = 0;
        for (KeySerial serial : result.remote_auth) {
            if (serial == 0 || sent == proto::kMaxPeerIdentities) continue;
            writer.put_u32(proto::HANDSHAKE_A_DONE_REMOTE_AUTH, static_cast<std::uint32_t>(serial));
            ++sent;
        }
    }
    return std::move(writer).finish();
}

std::vector<std::uint8_t> build_done_policy_request(std::uint16_t ctrl_family_id,
                                                    std::uint32_t sequence, std::uint32_t port_id,
                                                    std::string_view family_name) {
    MessageWriter writer(ctrl_family_id, NLM_F_REQUEST | NLM_F_DUMP, sequence, port_id,
                         CTRL_CMD_GETPOLICY, 1);
    writer.put_string(CTRL_ATTR_FAMILY_NAME, family_name);
    writer.put_u32(CTRL_ATTR_OP, proto::HANDSHAKE_CMD_DONE);
    return std::move(writer).finish();
}

bool DonePolicyReader::feed(Bytes message) {
    auto attributes = genl_attributes(message);
    if (!attributes) return false;
    AttributeCursor cursor(*attributes);
    while (auto attribute = cursor.next()) {
        if (attribute->type == CTRL_ATTR_OP_POLICY) {
            // { [op] = { CTRL_ATTR_POLICY_DO = index, ... } }
            AttributeCursor ops(attribute->payload);
            while (auto op = ops.next()) {
                if (op->type != proto::HANDSHAKE_CMD_DONE) continue;
                AttributeCursor kinds(op->payload);
                while (auto kind = kinds.next()) {
                    if (kind->type == CTRL_ATTR_POLICY_DO) {
                        if (auto index = read_u32(kind->payload)) done_policy_index_ = *index;
                    }
                }
            }
        } else if (attribute->type == CTRL_ATTR_POLICY) {
            // { [policy index] = { [attribute id] = { NL_POLICY_TYPE_ATTR_* ... } } }
            AttributeCursor policies(attribute->payload);
            while (auto policy = policies.next()) {
                AttributeCursor entries(policy->payload);
                while (auto entry = entries.next()) {
                    AttributeCursor properties(entry->payload);
                    std::optional<std::uint32_t> type;
                    while (auto property = properties.next()) {
                        if (property->type == NL_POLICY_TYPE_ATTR_TYPE)
                            type = read_u32(property->payload);
                    }
                    if (type && *type != NL_ATTR_TYPE_INVALID)
                        attributes_.push_back({policy->type, entry->type, *type});
                }
            }
        }
    }
    return !cursor.truncated();
}

DoneSupport DonePolicyReader::done_support() const {
    DoneSupport support;
    if (!done_policy_index_) return support;  // no policy information: mainline defaults
    auto has = [&](std::uint16_t id, std::initializer_list<std::uint32_t> types) {
        for (const auto& entry : attributes_) {
            if (entry.policy != *done_policy_index_ || entry.attribute != id) continue;
            for (std::uint32_t type : types) {
                if (entry.type == type) return true;
            }
        }
        return false;
    };
    support.remote_auth = has(proto::HANDSHAKE_A_DONE_REMOTE_AUTH, {NL_ATTR_TYPE_U32});
    support.tag = has(proto::HANDSHAKE_A_DONE_TAG, {NL_ATTR_TYPE_NUL_STRING, NL_ATTR_TYPE_STRING});
    return support;
}

}  // namespace handshaked::netlink
