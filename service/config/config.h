// SPDX-License-Identifier: GPL-2.0-or-later
// handshaked's configuration: an INI file whose sections and keys are a superset of tlshd's
// /etc/tlshd/config, so a tlshd user's file works unchanged. See handshaked.conf(5).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "service/tls/engine.h"

namespace handshaked::config {

inline constexpr char kDefaultPath[] = "/etc/handshaked/handshaked.conf";
inline constexpr char kTlshdPath[] = "/etc/tlshd/config";
inline constexpr char kTlshdLegacyPath[] = "/etc/tlshd.conf";  // tlshd before 1.3

struct Config {
    std::string path;  // where it was read from ("" for built-in defaults)

    // [debug] (tlshd's keys)
    int loglevel = 0;      // > 0: debug lines
    int tls_debug = 0;     // accepted for compatibility; wolfSSL debug output is compiled out
    int nl_debug = 0;      // accepted for compatibility
    int delay_done_s = 0;  // test hook: wait this long before each DONE

    // [authenticate]
    std::vector<std::string> keyrings;  // extra keyrings (names) searched for server PSKs

    // [authenticate.client] / [authenticate.server]
    tls::EngineConfig engine;

    // [service] (handshaked only)
    unsigned workers = 0;  // 0 = one per CPU
    // Requests one worker holds. Not the bound that protects the machine under overload: the
    // worker answers at once what it could not finish in time (workers/schedule.h). At 512, half
    // of a pair whose two ends this agent serves (loopback NFS; the benchmark) could be held
    // while its other half waited in the kernel's queue for room, until the first half's
    // deadline: RSA-2048 at 1,000 pairs lost 260-274 of 2,000 sessions per batch; at 1,024, 0-2.
    unsigned max_handshakes_per_worker = 1024;
    std::uint32_t default_timeout_ms = 10'000;   // when the kernel sends none
    unsigned peer_certificate_lifetime_s = 600;  // keyring lifetime of verified client certs

    // Refuse what is otherwise only a warning: unknown sections and keys, private keys that other
    // users can read, referenced files that do not exist, keys this daemon ignores.
    bool strict = false;

    // [dbus] (handshaked only)
    std::string read_group;  // group allowed to read the D-Bus properties; "" = root only

    // What the file asks for that will not be used as written, each "FILE[:LINE]: ...", in file
    // order. The daemon logs them at start and reload; --check-config prints them.
    std::vector<std::string> warnings;
};

// Parse text; errors name the file, line and key. Unknown sections and keys, and keys tlshd has
// but handshaked does not implement, are warnings (errors with [service] strict). Does not touch
// the file system.
Result<Config> parse_config(std::string_view text, const std::string& path);

// Read and parse a file, then check what it refers to: certificate and key files readable;
// private keys that other users can read or write, truststores and CRLs that do not exist, and a
// tlshd tags.d directory are warnings (errors with strict).
Result<Config> load_config(const std::string& path);

// The file to read when -c is not given: ours if present, else tlshd's (/etc/tlshd/config, then
// the legacy /etc/tlshd.conf), else "" for built-in defaults.
std::string default_config_path();

// A private key given as a URL (pkcs11:, tpm2:, ... as GnuTLS takes them), not a file name.
bool is_key_url(std::string_view value);

}  // namespace handshaked::config
