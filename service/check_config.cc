// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/check_config.h"

#include <string_view>
#include <vector>

#include "service/daemon.h"
#include "service/keys/keyutils_key_store.h"
#include "service/tls/groups.h"

namespace handshaked {
namespace {

std::string or_none(const std::string& value) { return value.empty() ? "none" : value; }

void print_side(std::FILE* out, const char* name, const tls::EngineConfig::Side& side,
                const std::string& system_truststore) {
    std::fprintf(out, "[%s]\n", name);
    std::fprintf(out, "  truststore:  %s\n",
                 side.truststore.empty() ? (system_truststore + " (system default)").c_str()
                                         : side.truststore.c_str());
    std::fprintf(out, "  CRL:         %s\n", or_none(side.crl).c_str());
    std::fprintf(out, "  certificate: %s\n",
                 side.certificate.empty() ? "none (requests must bring one from the keyring)"
                                          : side.certificate.c_str());
    std::fprintf(out, "  private key: %s\n", or_none(side.private_key).c_str());
}

}  // namespace

int check_config(const std::string& path, std::FILE* out, std::FILE* err) {
    std::vector<std::string> engine_notes;
    auto generation = build_generation(
        path, [&engine_notes](std::string_view note) { engine_notes.emplace_back(note); });
    if (!generation) {
        std::fprintf(err, "handshaked: %s\n", generation.error().message.c_str());
        return 1;
    }
    const config::Config& config = generation.value()->config;
    std::fprintf(out, "configuration: %s\n",
                 path.empty() ? "built-in defaults (no configuration file found)" : path.c_str());
    print_side(out, "authenticate.client", config.engine.client, config.engine.system_truststore);
    print_side(out, "authenticate.server", config.engine.server, config.engine.system_truststore);
    std::string keyrings;
    for (const char* name : keys::kConsumerKeyrings)
        keyrings += (keyrings.empty() ? "" : ", ") + std::string(name);
    for (const auto& name : config.keyrings) keyrings += ", " + name;
    std::fprintf(out, "[authenticate]\n  keyrings:    %s\n", keyrings.c_str());
    std::fprintf(out, "  key exchange groups: %s\n", tls::group_list(config.engine.groups).c_str());
    std::fprintf(out, "[service]\n  workers: %s, up to %u handshakes each, default timeout %u ms\n",
                 config.workers == 0 ? "one per CPU" : std::to_string(config.workers).c_str(),
                 config.max_handshakes_per_worker, config.default_timeout_ms);
    std::fprintf(out, "  strict: %s\n", config.strict ? "yes" : "no");
    std::fprintf(out, "  TLS library: %s\n",
                 std::string(generation.value()->engine->library_name()).c_str());
    const std::size_t count = config.warnings.size() + engine_notes.size();
    if (count == 0) {
        std::fprintf(out, "no warnings\n");
    } else {
        std::fprintf(out, "%zu warning%s:\n", count, count == 1 ? "" : "s");
        for (const auto& warning : config.warnings) std::fprintf(out, "  %s\n", warning.c_str());
        for (const auto& note : engine_notes) std::fprintf(out, "  %s\n", note.c_str());
    }
    std::fprintf(out, "configuration OK\n");
    return 0;
}

}  // namespace handshaked
