// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/groups.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

namespace handshaked::tls {
namespace {

struct GroupName {
    KeyExchangeGroup group;
    std::string_view name;
};

constexpr std::array<GroupName, 7> kGroups = {{
    {KeyExchangeGroup::kX25519MlKem768, "X25519MLKEM768"},
    {KeyExchangeGroup::kSecp256r1MlKem768, "SecP256r1MLKEM768"},
    {KeyExchangeGroup::kSecp384r1MlKem1024, "SecP384r1MLKEM1024"},
    {KeyExchangeGroup::kX25519, "x25519"},
    {KeyExchangeGroup::kSecp256r1, "secp256r1"},
    {KeyExchangeGroup::kSecp384r1, "secp384r1"},
    {KeyExchangeGroup::kSecp521r1, "secp521r1"},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string_view group_name(KeyExchangeGroup group) {
    for (const auto& entry : kGroups) {
        if (entry.group == group) return entry.name;
    }
    return "?";
}

std::string offered_group_name(std::uint16_t code) {
    const auto ours = group_name(static_cast<KeyExchangeGroup>(code));
    if (ours != "?") return std::string(ours);
    // TLS 1.3 groups of the IANA registry that handshaked does not implement.
    static constexpr std::pair<std::uint16_t, std::string_view> kOthers[] = {
        {30, "x448"},
        {31, "brainpoolP256r1tls13"},
        {32, "brainpoolP384r1tls13"},
        {33, "brainpoolP512r1tls13"},
        {256, "ffdhe2048"},
        {257, "ffdhe3072"},
        {258, "ffdhe4096"},
        {259, "ffdhe6144"},
        {260, "ffdhe8192"},
        {512, "MLKEM512"},
        {513, "MLKEM768"},
        {514, "MLKEM1024"},
    };
    for (const auto& [number, name] : kOthers) {
        if (number == code) return std::string(name);
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%04x", code);
    return hex;
}

std::optional<KeyExchangeGroup> group_by_name(std::string_view name) {
    for (const auto& entry : kGroups) {
        if (equal_ignoring_case(entry.name, name)) return entry.group;
    }
    return std::nullopt;
}

bool is_hybrid(KeyExchangeGroup group) {
    return group == KeyExchangeGroup::kX25519MlKem768 ||
           group == KeyExchangeGroup::kSecp256r1MlKem768 ||
           group == KeyExchangeGroup::kSecp384r1MlKem1024;
}

const std::vector<KeyExchangeGroup>& default_key_exchange_groups() {
    static const std::vector<KeyExchangeGroup> groups = [] {
        std::vector<KeyExchangeGroup> all;
        for (const auto& entry : kGroups) all.push_back(entry.group);
        return all;
    }();
    return groups;
}

std::string group_list(const std::vector<KeyExchangeGroup>& groups) {
    std::string list;
    for (const auto group : groups) {
        if (!list.empty()) list += ", ";
        list += group_name(group);
    }
    return list;
}

}  // namespace handshaked::tls
