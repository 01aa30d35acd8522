// SPDX-License-Identifier: GPL-2.0-or-later
// The wolfSSL TlsEngine: one configuration generation's contexts (contexts.cc), sessions started
// from them (session.cc), and what the daemon reports about the library.
#include "service/tls/wolfssl/wolfssl_engine.h"

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/handshaked_wolfssl_source.h>
#include <wolfssl/ssl.h>
#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/cpuid.h>

#include <memory>
#include <string>
#include <utility>

#include "service/tls/wolfssl/contexts.h"
#include "service/tls/wolfssl/session.h"

namespace handshaked::tls {
namespace {

constexpr std::string_view kLibraryName =
    "wolfSSL " LIBWOLFSSL_VERSION_STRING " (Debian source " HANDSHAKED_WOLFSSL_DEBIAN_VERSION ")";

class WolfSslEngine final : public TlsEngine {
public:
    explicit WolfSslEngine(std::shared_ptr<const wolf::EngineState> state)
        : state_(std::move(state)) {}

    Result<std::unique_ptr<TlsSession>> start_session(int fd, SessionParams params) override {
        auto session = std::make_unique<wolf::WolfSslSession>(state_, fd, std::move(params));
        if (auto r = session->init(); !r) return r.error();
        return std::unique_ptr<TlsSession>(std::move(session));
    }

    std::string_view library_name() const override { return kLibraryName; }

private:
    std::shared_ptr<const wolf::EngineState> state_;
};

}  // namespace

Result<std::unique_ptr<TlsEngine>> make_wolfssl_engine(const EngineConfig& config, EngineLog log) {
    auto state = wolf::build_engine_state(config, std::move(log));
    if (!state) return state.error();
    return std::unique_ptr<TlsEngine>(std::make_unique<WolfSslEngine>(std::move(state).value()));
}

std::string wolfssl_version() { return std::string(kLibraryName); }

std::string wolfssl_cpu_paths() {
    const cpuid_flags_t flags = cpuid_get_flags();
    auto yes_no = [](bool b) { return b ? "yes" : "no"; };
    std::string text;
#if defined(WOLFSSL_SP_X86_64_ASM)
    text = "SP x86_64 asm";
#else
    text = "SP C";
#endif
    text += std::string(", AES-NI ") + yes_no(IS_INTEL_AESNI(flags));
    text += std::string(", AVX2 ") + yes_no(IS_INTEL_AVX2(flags));
    text += std::string(", BMI2+ADX ") + yes_no(IS_INTEL_BMI2(flags) && IS_INTEL_ADX(flags));
    return text;
}

WOLFSSL* wolfssl_handle_for_testing(TlsSession& session) {
    auto* wolf_session = dynamic_cast<wolf::WolfSslSession*>(&session);
    return wolf_session ? wolf_session->native() : nullptr;
}

}  // namespace handshaked::tls
