// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/config/config.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
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

// A key tlshd has and handshaked does not implement: accepted so the file loads, and said once.
Setter ignored_with_note(std::string reason) {
    return [reason](Config& config, const Location& at, std::string_view key,
                    std::string_view) -> Result<void> {
        config.warnings.push_back(at.where() + ": ignored: " + std::string(key) + " (" + reason +
                                  ")");
        return {};
    };
}

Setter bool_setter(std::function<void(Config&, bool)> store) {
    return [=](Config& config, const Location& at, std::string_view key,
               std::string_view value) -> Result<void> {
        for (std::string_view yes : {"1", "true", "yes", "on"}) {
            if (value == yes) {
                store(config, true);
                return {};
            }
        }
        for (std::string_view no : {"0", "false", "no", "off"}) {
            if (value == no) {
                store(config, false);
                return {};
            }
        }
        return config_error(at, std::string(key) + ": '" + std::string(value) +
                                    "' is not a boolean (true/false, yes/no, 1/0)");
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
    // tlshd also takes GnuTLS key URLs (pkcs11:, tpm2:); handshaked loads PEM files only. Said
    // here, where the line is known; parse_config drops the URL and its certificate at the end,
    // so the file still loads and this side has no configured certificate (requests that bring
    // their own from the keyring still work).
    keys[section + "/x509.private_key"] = [side, section](Config& c, const Location& at,
                                                          std::string_view key,
                                                          std::string_view value) -> Result<void> {
        if (is_key_url(value)) {
            c.warnings.push_back(at.where() + ": ignored: [" + section + "] " + std::string(key) +
                                 " '" + std::string(value) +
                                 "' (a key URL; handshaked loads PEM key files only), and with "
                                 "it this side's x509.certificate");
        }
        (c.engine.*side).private_key = path_value(value);
        return {};
    };
    // tlshd's post-quantum second certificate: this wolfSSL build has no ML-DSA.
    keys[section + "/x509.pq.certificate"] =
        ignored_with_note("no ML-DSA certificates in this build");
    keys[section + "/x509.pq.private_key"] =
        ignored_with_note("no ML-DSA certificates in this build");
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
        k["service/strict"] = bool_setter([](Config& c, bool v) { c.strict = v; });
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

Result<void> check_readable(const std::string& config_path, const std::string& key,
                            const std::string& file) {
    if (file.empty()) return {};
    if (access(file.c_str(), R_OK) != 0) {
        return make_error(ErrorCause::kConfig, config_path + ": " + key + ": cannot read '" + file +
                                                   "': " + std::strerror(errno));
    }
    return {};
}

// The mode of a private key file that other users can read or the group can write; "" when
// neither (0600, 0640, 0400, 0440: a key group-readable by its service group is common).
std::string loose_key_mode(const std::string& file) {
    struct stat info {};
    if (stat(file.c_str(), &info) != 0) return "";
    if ((info.st_mode & (S_IWGRP | S_IROTH | S_IWOTH)) == 0) return "";
    return octal(info.st_mode & 07777);
}

bool is_directory_with_entries(const std::string& path) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path.c_str()), &closedir);
    if (!dir) return false;
    while (const dirent* entry = readdir(dir.get())) {
        if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
            return true;
    }
    return false;
}

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// With [service] strict, the first warning is the error.
Result<void> refuse_warnings_if_strict(const Config& config) {
    if (!config.strict || config.warnings.empty()) return {};
    return make_error(ErrorCause::kConfig, config.warnings.front() + " ([service] strict)");
}

}  // namespace

bool is_key_url(std::string_view value) {
    const auto colon = value.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    if (!std::isalpha(static_cast<unsigned char>(value[0]))) return false;
    for (char c : value.substr(0, colon)) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
            return false;
    }
    return true;
}

Result<Config> parse_config(std::string_view text, const std::string& path) {
    Config config;
    config.path = path;
    std::string section;
    bool section_known = true;
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
            section_known = known_section(section);
            if (!section_known)
                config.warnings.push_back(at.where() + ": unknown section [" + section +
                                          "]: its keys are ignored");
            continue;
        }
        auto equals = line.find('=');
        if (equals == std::string_view::npos) return config_error(at, "expected 'key = value'");
        auto key = trim(line.substr(0, equals));
        auto value = trim(line.substr(equals + 1));
        if (key.empty()) return config_error(at, "empty key");
        if (section.empty())
            return config_error(at, std::string(key) + ": key outside any section");
        if (!section_known) continue;
        auto setter = known_keys().find(section + "/" + std::string(key));
        if (setter == known_keys().end()) {
            config.warnings.push_back(at.where() + ": unknown key '" + std::string(key) + "' in [" +
                                      section + "] ignored");
            continue;
        }
        if (auto stored = setter->second(config, at, key, value); !stored) return stored.error();
    }
    for (auto* side : {&config.engine.client, &config.engine.server}) {
        if (is_key_url(side->private_key)) {
            side->private_key.clear();
            side->certificate.clear();
        }
        if (side->certificate.empty() != side->private_key.empty()) {
            return make_error(ErrorCause::kConfig,
                              path + ": [" +
                                  (side == &config.engine.client ? "authenticate.client"
                                                                 : "authenticate.server") +
                                  "] x509.certificate and x509.private_key must be given together");
        }
    }
    if (auto refused = refuse_warnings_if_strict(config); !refused) return refused.error();
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
        const bool client = side == &config->engine.client;
        // A truststore or CRL that is not there yet fails only the handshakes that need it, at
        // that time (the engine keeps this side's certificate contexts unavailable until a
        // reload finds the file); one that exists but cannot be read is an error now.
        for (const auto& [key, file] :
             {std::pair{"x509.truststore", &side->truststore}, std::pair{"x509.crl", &side->crl}}) {
            if (file->empty()) continue;
            if (access(file->c_str(), F_OK) != 0 && errno == ENOENT) {
                config->warnings.push_back(
                    path + ": " + prefix + key + " '" + *file + "' does not exist: " +
                    (client ? "client x509 and unauthenticated" : "server x509") +
                    " handshakes fail until it does and the configuration is reloaded");
                side->missing_trust_reported = true;
                continue;
            }
            if (auto r = check_readable(path, prefix + key, *file); !r) return r.error();
        }
        if (auto r = check_readable(path, prefix + "x509.certificate", side->certificate); !r)
            return r.error();
        if (auto r = check_readable(path, prefix + "x509.private_key", side->private_key); !r)
            return r.error();
        if (const auto mode = loose_key_mode(side->private_key); !mode.empty()) {
            config->warnings.push_back(path + ": " + prefix + "x509.private_key: '" +
                                       side->private_key +
                                       "' is readable or writable by other users (mode " + mode +
                                       "); chmod 0600 or 0640 it");
        }
    }
    // tlshd's session tags (tls-session-tags(7)) live beside its config file.
    for (const std::string& tags :
         {directory_of(path) + "/tags.d", std::string("/etc/tlshd/tags.d")}) {
        if (is_directory_with_entries(tags)) {
            config->warnings.push_back(tags +
                                       ": ignored: session tags are not implemented; DONE "
                                       "carries no tags");
            break;
        }
    }
    if (auto refused = refuse_warnings_if_strict(*config); !refused) return refused.error();
    return config;
}

std::string default_config_path() {
    for (const char* path : {kDefaultPath, kTlshdPath, kTlshdLegacyPath}) {
        if (access(path, F_OK) == 0) return path;
    }
    return "";
}

}  // namespace handshaked::config
