// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>

namespace handshaked::config {
namespace {

// The daemon uses no iostreams: their first use sets up std::locale, which alone made ~0.4 MiB
// of libstdc++ resident for the daemon's whole life (test/bench measures idle RSS).
std::string octal(unsigned value) {
    char digits[12];
    auto end = std::to_chars(digits, digits + sizeof digits, value, 8).ptr;
    return std::string(digits, end);
}

std::string_view trim(std::string_view text) {
    const char* space = " \t\r";
    auto first = text.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(space);
    return text.substr(first, last - first + 1);
}

struct Location {
    const std::string& path;
    int line;
    std::string where() const { return path + ":" + std::to_string(line); }
};

Error config_error(const Location& at, const std::string& message) {
    return make_error(ErrorCause::kConfig, at.where() + ": " + message);
}

Result<long> parse_integer(const Location& at, std::string_view key, std::string_view value,
                           long minimum, long maximum) {
    long number = 0;
    auto [end, rc] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (rc != std::errc() || end != value.data() + value.size())
        return config_error(at,
                            std::string(key) + ": '" + std::string(value) + "' is not an integer");
    if (number < minimum || number > maximum)
        return config_error(at, std::string(key) + ": " + std::to_string(number) + " is outside " +
                                    std::to_string(minimum) + ".." + std::to_string(maximum));
    return number;
}

// tlshd (GLib key files) lets a path start with "./" to mean "relative"; GLib also strips
// nothing else. Absolute paths are used as they are.
std::string path_value(std::string_view value) { return std::string(value); }

using Setter = std::function<Result<void>(Config&, const Location&, std::string_view key,
                                          std::string_view value)>;

Setter integer_setter(long minimum, long maximum, std::function<void(Config&, long)> store) {
    return [=](Config& config, const Location& at, std::string_view key,
               std::string_view value) -> Result<void> {
        auto number = parse_integer(at, key, value, minimum, maximum);
        if (!number) return number.error();
        store(config, *number);
        return {};
    };
}

Setter string_setter(std::function<void(Config&, std::string)> store) {
    return [=](Config& config, const Location&, std::string_view,
               std::string_view value) -> Result<void> {
        store(config, path_value(value));
        return {};
    };
}

Setter ignored_with_note() {
    return [](Config&, const Location&, std::string_view, std::string_view) -> Result<void> {
        return {};
    };
}

void add_side(std::map<std::string, Setter, std::less<>>& keys, const std::string& section,
              tls::EngineConfig::Side tls::EngineConfig::*side) {
    keys[section + "/x509.truststore"] = string_setter(
        [side](Config& c, std::string v) { (c.engine.*side).truststore = std::move(v); });
    keys[section + "/x509.crl"] =
        string_setter([side](Config& c, std::string v) { (c.engine.*side).crl = std::move(v); });
    keys[section + "/x509.certificate"] = string_setter(
        [side](Config& c, std::string v) { (c.engine.*side).certificate = std::move(v); });
    keys[section + "/x509.private_key"] = string_setter(
        [side](Config& c, std::string v) { (c.engine.*side).private_key = std::move(v); });
    // tlshd's post-quantum second certificate: our wolfSSL build has no ML-DSA; accepted and unused
    // so that a tlshd file still loads.
    keys[section + "/x509.pq.certificate"] = ignored_with_note();
    keys[section + "/x509.pq.private_key"] = ignored_with_note();
}

const std::map<std::string, Setter, std::less<>>& known_keys() {
    static const auto keys = [] {
        std::map<std::string, Setter, std::less<>> k;
        k["debug/loglevel"] =
            integer_setter(0, 10, [](Config& c, long v) { c.loglevel = static_cast<int>(v); });
        k["debug/tls"] =
            integer_setter(0, 10, [](Config& c, long v) { c.tls_debug = static_cast<int>(v); });
        k["debug/nl"] =
            integer_setter(0, 10, [](Config& c, long v) { c.nl_debug = static_cast<int>(v); });
        k["debug/delay_done"] =
            integer_setter(0, 60, [](Config& c, long v) { c.delay_done_s = static_cast<int>(v); });
        k["authenticate/keyrings"] = [](Config& c, const Location&, std::string_view,
                                        std::string_view value) -> Result<void> {
            c.keyrings.clear();
            while (!value.empty()) {
                auto end = value.find(';');
                auto name = trim(value.substr(0, end));
                if (!name.empty()) c.keyrings.emplace_back(name);
                if (end == std::string_view::npos) break;
                value.remove_prefix(end + 1);
            }
            return {};
        };
        // handshaked's own key: the key exchange groups, most preferred first, ';' or ','
        // between names. Both sides use the list; an unknown name is an error (a typo must not
        // silently fall back to other groups).
        k["authenticate/key_exchange_groups"] = [](Config& c, const Location& at,
                                                   std::string_view key,
                                                   std::string_view value) -> Result<void> {
            std::vector<tls::KeyExchangeGroup> groups;
            while (!value.empty()) {
                const auto end = value.find_first_of(";,");
                const auto name = trim(value.substr(0, end));
                if (!name.empty()) {
                    const auto group = tls::group_by_name(name);
                    if (!group) {
                        return config_error(
                            at, std::string(key) + ": unknown group '" + std::string(name) +
                                    "' (known: " +
                                    tls::group_list(tls::default_key_exchange_groups()) + ")");
                    }
                    if (std::find(groups.begin(), groups.end(), *group) != groups.end()) {
                        return config_error(
                            at, std::string(key) + ": '" + std::string(name) + "' is named twice");
                    }
                    groups.push_back(*group);
                }
                if (end == std::string_view::npos) break;
                value.remove_prefix(end + 1);
            }
            if (groups.empty()) return config_error(at, std::string(key) + ": names no group");
            c.engine.groups = std::move(groups);
            return {};
        };
        add_side(k, "authenticate.client", &tls::EngineConfig::client);
        add_side(k, "authenticate.server", &tls::EngineConfig::server);
        k["service/workers"] =
            integer_setter(0, 256, [](Config& c, long v) { c.workers = static_cast<unsigned>(v); });
        k["service/max_handshakes_per_worker"] = integer_setter(1, 65536, [](Config& c, long v) {
            c.max_handshakes_per_worker = static_cast<unsigned>(v);
        });
        k["service/default_timeout_ms"] = integer_setter(100, 600'000, [](Config& c, long v) {
            c.default_timeout_ms = static_cast<std::uint32_t>(v);
        });
        k["service/peer_certificate_lifetime_s"] = integer_setter(
            10, 86'400,
            [](Config& c, long v) { c.peer_certificate_lifetime_s = static_cast<unsigned>(v); });
        k["service/system_truststore"] = string_setter(
            [](Config& c, std::string v) { c.engine.system_truststore = std::move(v); });
        k["dbus/read_group"] =
            string_setter([](Config& c, std::string v) { c.read_group = std::move(v); });
        return k;
    }();
    return keys;
}

bool known_section(std::string_view section) {
    for (std::string_view known : {"debug", "authenticate", "authenticate.client",
                                   "authenticate.server", "service", "dbus"}) {
        if (section == known) return true;
    }
    return false;
}

Result<void> check_readable(const std::string& config_path, const char* key,
                            const std::string& file) {
    if (file.empty()) return {};
    if (access(file.c_str(), R_OK) != 0) {
        return make_error(ErrorCause::kConfig, config_path + ": " + key + ": cannot read '" + file +
                                                   "': " + std::strerror(errno));
    }
    return {};
}

Result<void> check_private_key(const std::string& config_path, const char* key,
                               const std::string& file) {
    if (auto readable = check_readable(config_path, key, file); !readable) return readable;
    if (file.empty()) return {};
    struct stat info {};
    if (stat(file.c_str(), &info) != 0) {
        return make_error(ErrorCause::kConfig,
                          config_path + ": " + key + ": '" + file + "': " + std::strerror(errno));
    }
    if (info.st_mode & (S_IROTH | S_IWOTH | S_IWGRP)) {
        return make_error(ErrorCause::kConfig,
                          config_path + ": " + key + ": private key '" + file +
                              "' is readable or writable by other users (mode " +
                              octal(info.st_mode & 07777) + "); chmod 0600 or 0640 it");
    }
    return {};
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& path) {
    Config config;
    config.path = path;
    std::string section;
    int line_number = 0;
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++line_number;
        Location at{path, line_number};
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']') return config_error(at, "section header without ']'");
            section = std::string(trim(line.substr(1, line.size() - 2)));
            if (!known_section(section))
                return config_error(at, "unknown section [" + section + "]");
            continue;
        }
        auto equals = line.find('=');
        if (equals == std::string_view::npos) return config_error(at, "expected 'key = value'");
        auto key = trim(line.substr(0, equals));
        auto value = trim(line.substr(equals + 1));
        if (key.empty()) return config_error(at, "empty key");
        if (section.empty())
            return config_error(at, std::string(key) + ": key outside any section");
        auto setter = known_keys().find(section + "/" + std::string(key));
        if (setter == known_keys().end())
            return config_error(at, "unknown key '" + std::string(key) + "' in [" + section + "]");
        if (auto stored = setter->second(config, at, key, value); !stored) return stored.error();
    }
    const auto& client = config.engine.client;
    const auto& server = config.engine.server;
    for (const auto* side : {&client, &server}) {
        if (side->certificate.empty() != side->private_key.empty()) {
            return make_error(
                ErrorCause::kConfig,
                path + ": [" + (side == &client ? "authenticate.client" : "authenticate.server") +
                    "] x509.certificate and x509.private_key must be given together");
        }
    }
    return config;
}

Result<Config> load_config(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "re"),
                                                         &std::fclose);
    if (!file)
        return make_error(ErrorCause::kConfig, path + ": cannot open: " + std::strerror(errno));
    std::string text;
    char chunk[4096];
    std::size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) text.append(chunk, got);
    if (std::ferror(file.get()))
        return make_error(ErrorCause::kConfig, path + ": cannot read: " + std::strerror(errno));
    auto config = parse_config(text, path);
    if (!config) return config;
    for (const auto& [name, side] : {std::pair{"[authenticate.client]", &config->engine.client},
                                     std::pair{"[authenticate.server]", &config->engine.server}}) {
        const std::string prefix = std::string(name) + " ";
        if (auto r = check_readable(path, (prefix + "x509.truststore").c_str(), side->truststore);
            !r)
            return r.error();
        if (auto r = check_readable(path, (prefix + "x509.crl").c_str(), side->crl); !r)
            return r.error();
        if (auto r = check_readable(path, (prefix + "x509.certificate").c_str(), side->certificate);
            !r)
            return r.error();
        if (auto r =
                check_private_key(path, (prefix + "x509.private_key").c_str(), side->private_key);
            !r)
            return r.error();
    }
    return config;
}

std::string default_config_path() {
    if (access(kDefaultPath, F_OK) == 0) return kDefaultPath;
    if (access(kTlshdPath, F_OK) == 0) return kTlshdPath;
    return "";
}

}  // namespace handshaked::config
