// SPDX-License-Identifier: GPL-2.0-or-later
// parse_config() on arbitrary text: both handshaked's own sections ([service], [dbus]) and
// tlshd's ([debug], [authenticate], [authenticate.client|server]). Checks the documented ranges,
// the error format (file name first), and a round trip: a parsed Config written back out as INI
// text must parse to the same Config.
#include <cstdint>
#include <string>
#include <string_view>

#include "service/config/config.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using namespace handshaked;
using config::Config;

const std::string kPath = "/etc/handshaked/fuzz.conf";

bool trimmed(const std::string& s) {
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    return s.empty() || (!blank(s.front()) && !blank(s.back()));
}

bool clean_value(const std::string& s) { return trimmed(s) && s.find('\n') == std::string::npos; }

void check_side(const tls::EngineConfig::Side& side) {
    FUZZ_CHECK(side.certificate.empty() == side.private_key.empty());
    for (const auto* value : {&side.truststore, &side.crl, &side.certificate, &side.private_key})
        FUZZ_CHECK(clean_value(*value));
}

std::string write_side(const char* section, const tls::EngineConfig::Side& side) {
    return std::string("[") + section + "]\n" + "x509.truststore = " + side.truststore + "\n" +
           "x509.crl = " + side.crl + "\n" + "x509.certificate = " + side.certificate + "\n" +
           "x509.private_key = " + side.private_key + "\n";
}

std::string write(const Config& c) {
    std::string keyrings;
    for (const auto& name : c.keyrings) keyrings += (keyrings.empty() ? "" : ";") + name;
    return "[debug]\nloglevel = " + std::to_string(c.loglevel) +
           "\ntls = " + std::to_string(c.tls_debug) + "\nnl = " + std::to_string(c.nl_debug) +
           "\ndelay_done = " + std::to_string(c.delay_done_s) +
           "\n[authenticate]\nkeyrings = " + keyrings + "\n" +
           write_side("authenticate.client", c.engine.client) +
           write_side("authenticate.server", c.engine.server) +
           "[service]\nworkers = " + std::to_string(c.workers) +
           "\nmax_handshakes_per_worker = " + std::to_string(c.max_handshakes_per_worker) +
           "\ndefault_timeout_ms = " + std::to_string(c.default_timeout_ms) +
           "\npeer_certificate_lifetime_s = " + std::to_string(c.peer_certificate_lifetime_s) +
           "\nsystem_truststore = " + c.engine.system_truststore +
           "\nstrict = " + (c.strict ? "yes" : "no") + "\n[dbus]\nread_group = " + c.read_group +
           "\n";
}

bool same_side(const tls::EngineConfig::Side& a, const tls::EngineConfig::Side& b) {
    return a.truststore == b.truststore && a.crl == b.crl && a.certificate == b.certificate &&
           a.private_key == b.private_key;
}

bool same(const Config& a, const Config& b) {
    return a.loglevel == b.loglevel && a.tls_debug == b.tls_debug && a.nl_debug == b.nl_debug &&
           a.delay_done_s == b.delay_done_s && a.keyrings == b.keyrings &&
           same_side(a.engine.client, b.engine.client) &&
           same_side(a.engine.server, b.engine.server) &&
           a.engine.system_truststore == b.engine.system_truststore && a.workers == b.workers &&
           a.max_handshakes_per_worker == b.max_handshakes_per_worker &&
           a.default_timeout_ms == b.default_timeout_ms &&
           a.peer_certificate_lifetime_s == b.peer_certificate_lifetime_s &&
           a.read_group == b.read_group && a.strict == b.strict;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = config::parse_config(text, kPath);
    if (!parsed.ok()) {
        FUZZ_CHECK(parsed.error().cause == ErrorCause::kConfig);
        FUZZ_CHECK(parsed.error().message.rfind(kPath + ":", 0) == 0);
        return 0;
    }
    const Config& c = *parsed;
    FUZZ_CHECK(c.path == kPath);
    FUZZ_CHECK(c.loglevel >= 0 && c.loglevel <= 10);
    FUZZ_CHECK(c.tls_debug >= 0 && c.tls_debug <= 10);
    FUZZ_CHECK(c.nl_debug >= 0 && c.nl_debug <= 10);
    FUZZ_CHECK(c.delay_done_s >= 0 && c.delay_done_s <= 60);
    FUZZ_CHECK(c.workers <= 256);
    FUZZ_CHECK(c.max_handshakes_per_worker >= 1 && c.max_handshakes_per_worker <= 65536);
    FUZZ_CHECK(c.default_timeout_ms >= 100 && c.default_timeout_ms <= 600'000);
    FUZZ_CHECK(c.peer_certificate_lifetime_s >= 10 && c.peer_certificate_lifetime_s <= 86'400);
    for (const auto& name : c.keyrings) {
        FUZZ_CHECK(!name.empty() && clean_value(name));
        FUZZ_CHECK(name.find(';') == std::string::npos);
    }
    check_side(c.engine.client);
    check_side(c.engine.server);
    FUZZ_CHECK(clean_value(c.engine.system_truststore));
    FUZZ_CHECK(clean_value(c.read_group));
    // Every warning names the file first; a strict file that loaded has none.
    for (const auto& warning : c.warnings) FUZZ_CHECK(warning.rfind(kPath + ":", 0) == 0);
    FUZZ_CHECK(!c.strict || c.warnings.empty());

    const std::string again = write(c);
    auto reparsed = config::parse_config(again, kPath);
    if (!reparsed.ok()) std::fprintf(stderr, "%s\n", reparsed.error().message.c_str());
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(same(c, *reparsed));
    FUZZ_CHECK(reparsed->warnings.empty());  // only keys it knows were written
    return 0;
}
