// SPDX-License-Identifier: GPL-2.0-or-later
// DonePolicyReader::feed() on an arbitrary CTRL_CMD_GETPOLICY dump. The buffer is split and fed
// exactly as netlink/genl_socket.cc does (every message of type GENL_ID_CTRL), then fed once
// more whole to a second reader, so feed() also sees bytes split_messages() would drop. Both
// readers are compared with an independent model of the dump (uapi/linux/genetlink.h layout):
//   CTRL_ATTR_OP_POLICY { [op] { CTRL_ATTR_POLICY_DO = index } }
//   CTRL_ATTR_POLICY { [index] { [attribute id] { NL_POLICY_TYPE_ATTR_TYPE = type, ... } } }
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <tuple>
#include <utility>

#include "netlink/wire.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using namespace handshaked;
using fuzz::Attr;

constexpr std::uint16_t kGenlIdCtrl = 0x10;
constexpr std::uint16_t kCtrlAttrPolicy = 8;
constexpr std::uint16_t kCtrlAttrOpPolicy = 9;
constexpr std::uint16_t kCtrlAttrPolicyDo = 1;
constexpr std::uint16_t kNlPolicyTypeAttrType = 1;
constexpr std::uint16_t kCmdDone = 3;

struct Model {
    std::optional<std::uint32_t> done_index;
    // (policy index, attribute id, NL_ATTR_TYPE_*) of every entry with a valid type.
    std::set<std::tuple<std::uint32_t, std::uint16_t, std::uint32_t>> typed;

    // Returns what feed() should: false when the headers do not fit or the top level is cut.
    bool feed(std::span<const std::uint8_t> bytes) {
        auto message = fuzz::read_genl(bytes);
        if (!message) return false;
        auto top = fuzz::walk_attributes(message->attributes);
        for (const Attr& a : top.attrs) {
            if (a.type == kCtrlAttrOpPolicy) {
                for (const Attr& op : fuzz::walk_attributes(a.payload).attrs) {
                    if (op.type != kCmdDone) continue;
                    for (const Attr& kind : fuzz::walk_attributes(op.payload).attrs) {
                        if (kind.type == kCtrlAttrPolicyDo && kind.u32()) done_index = *kind.u32();
                    }
                }
            } else if (a.type == kCtrlAttrPolicy) {
                for (const Attr& policy : fuzz::walk_attributes(a.payload).attrs) {
                    for (const Attr& entry : fuzz::walk_attributes(policy.payload).attrs) {
                        std::optional<std::uint32_t> type;
                        for (const Attr& p : fuzz::walk_attributes(entry.payload).attrs) {
                            if (p.type == kNlPolicyTypeAttrType) type = p.u32();
                        }
                        if (type && *type != 0) typed.emplace(policy.type, entry.type, *type);
                    }
                }
            }
        }
        return !top.malformed;
    }

    netlink::DoneSupport support() const {
        netlink::DoneSupport s;  // mainline defaults when no DONE op policy was seen
        if (!done_index) return s;
        // Only with the type DONE would carry: remote-auth u32 (4); the tag STRING (11) or
        // NUL_STRING (12), never attribute 4 of another type.
        s.remote_auth = typed.count({*done_index, 3, 4}) != 0;
        s.tag = typed.count({*done_index, 4, 11}) != 0 || typed.count({*done_index, 4, 12}) != 0;
        return s;
    }
};

void compare(const netlink::DonePolicyReader& reader, const Model& model) {
    FUZZ_CHECK(reader.saw_policy() == model.done_index.has_value());
    const auto got = reader.done_support();
    const auto want = model.support();
    FUZZ_CHECK(got.remote_auth == want.remote_auth);
    FUZZ_CHECK(got.tag == want.tag);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> buffer(data, size);

    netlink::DonePolicyReader reader;
    Model model;
    for (const auto& message : netlink::split_messages(buffer, kGenlIdCtrl)) {
        if (fuzz::host16(message.bytes.data() + 4) != kGenlIdCtrl) continue;
        const bool fed = reader.feed(message.bytes);
        FUZZ_CHECK(fed == model.feed(message.bytes));
    }
    compare(reader, model);

    netlink::DonePolicyReader whole;
    Model whole_model;
    FUZZ_CHECK(whole.feed(buffer) == whole_model.feed(buffer));
    compare(whole, whole_model);
    return 0;
}
