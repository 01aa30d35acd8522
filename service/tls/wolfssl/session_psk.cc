// SPDX-License-Identifier: GPL-2.0-or-later
// The PSK side of a session: which of the request's PSKs a client can offer and under which
// suite, and a server's lookups of the identities a client offers.
#include <algorithm>
#include <cstring>
#include <string>

#include "service/tls/psk_identity.h"
#include "service/tls/wolfssl/session.h"

namespace handshaked::tls::wolf {
namespace {

constexpr std::size_t kMaxServerPskLookups = 16;  // distinct identities per ClientHello

}  // namespace

Result<void> WolfSslSession::prepare_client_psks() {
    // wolfSSL (WOLFSSL_PSK_MULTI_ID_PER_CS) builds the pre_shared_key extension by walking the
    // cipher list and asking the per-suite callback for identity 0, 1, ... of each suite until
    // it says "no more"; on_client_psk gives every PSK of a hash, in the kernel's order, to the
    // first suite of that hash wolfSSL asks about. So the identities go out grouped by hash, the
    // hash of the kernel's first PSK first (its suite leads the cipher list), each group in the
    // kernel's order. Here: which PSKs can go out at all.
    std::vector<const Suite*> order;
    for (std::size_t i = 0; i < params_.client_psks.size(); ++i) {
        const PskKey& psk = params_.client_psks[i];
        const std::string label = "PSK " + std::to_string(psk.serial);
        if (psk.identity.empty() || psk.identity.find('\0') != std::string::npos) {
            engine_->note(label + " not offered: its identity is empty or contains NUL");
            continue;
        }
        if (psk.identity.size() >= kMaxPskIdentity) {
            engine_->note(label + " not offered: its identity is longer than " +
                          std::to_string(kMaxPskIdentity - 1) + " bytes");
            continue;
        }
        if (psk.key.empty() || psk.key.size() > 64) {
            engine_->note(label + " not offered: key length " + std::to_string(psk.key.size()) +
                          " (1 to 64 bytes)");
            continue;
        }
        const auto hash = psk_hash_for(psk.identity, psk.key.size());
        if (!hash) {
            engine_->note(label + " not offered: its NVMe identity names an unsupported hash");
            continue;
        }
        // After ServerHello wolfSSL asks for the chosen identity's key with the identity's
        // first byte overwritten: identities of one hash must differ after their first byte.
        bool ambiguous = false;
        for (const auto& usable : usable_psks_) {
            const std::string& other = params_.client_psks[usable.index].identity;
            ambiguous = ambiguous || (usable.hash == *hash && other.size() == psk.identity.size() &&
                                      other.compare(1, std::string::npos, psk.identity, 1) == 0);
        }
        if (ambiguous) {
            engine_->note(label +
                          " not offered: its identity equals an earlier one's but for the " +
                          "first byte, which wolfSSL cannot tell apart");
            continue;
        }
        const auto home = std::find_if(engine_->suites.begin(), engine_->suites.end(),
                                       [&](const Suite* suite) { return suite->hash == *hash; });
        if (home == engine_->suites.end()) {
            engine_->note(label + " not offered: no " + std::string(psk_hash_name(*hash)) +
                          " cipher suite is enabled");
            continue;
        }
        usable_psks_.push_back(UsablePsk{i, *hash});
        if (std::find(order.begin(), order.end(), *home) == order.end()) order.push_back(*home);
    }
    if (usable_psks_.empty()) {
        return make_error(ErrorCause::kMissingCredentials,
                          "none of the request's PSKs can be offered");
    }
    for (const Suite* suite : engine_->suites) {
        if (std::find(order.begin(), order.end(), suite) == order.end()) order.push_back(suite);
    }
    const std::string list = join_suites(order);
    if (wolfSSL_set_cipher_list(ssl_.get(), list.c_str()) != WOLFSSL_SUCCESS) {
        return make_error(ErrorCause::kLocalFault, "wolfSSL rejects the cipher list " + list);
    }
    return {};
}

unsigned int WolfSslSession::on_client_psk(char* identity, unsigned int identity_max,
                                           unsigned char* key, unsigned int key_max,
                                           const char* suite_name) {
    if (!suite_name || !identity || !key || identity_max == 0) return 0;
    const Suite* suite = find_suite(suite_name);
    if (!suite) return 0;
    std::vector<const OfferedPsk*> under_suite;
    for (const auto& o : offered_psks_) {
        if (o.suite == suite) under_suite.push_back(&o);
    }
    const auto ordinal = static_cast<unsigned char>(identity[0]);
    const OfferedPsk* offer = nullptr;
    if (ordinal == 0 && !under_suite.empty()) {
        // Binders and after ServerHello: wolfSSL passes the identity it sent, but for its
        // first byte (set to 0), and wants that identity's key.
        const std::size_t length = strnlen(identity + 1, identity_max - 1) + 1;
        for (const OfferedPsk* o : under_suite) {
            const std::string& id = params_.client_psks[o->index].identity;
            if (id.size() == length &&
                id.compare(1, std::string::npos, identity + 1, length - 1) == 0)
                offer = o;
        }
    }
    if (!offer && ordinal < under_suite.size()) {
        // Building the ClientHello (wolfSSL passes the ordinal in the identity's first byte)
        // and asking again: the answer must not change.
        offer = under_suite[ordinal];
    } else if (!offer && ordinal == under_suite.size()) {
        // The next PSK of this suite's hash not yet offered under any suite, if any.
        for (const auto& usable : usable_psks_) {
            if (usable.hash != suite->hash) continue;
            bool taken = false;
            for (const auto& o : offered_psks_) taken = taken || o.index == usable.index;
            if (taken) continue;
            offered_psks_.push_back(OfferedPsk{usable.index, suite});
            offer = &offered_psks_.back();
            break;
        }
    }
    if (!offer) return 0;
    const PskKey& psk = params_.client_psks[offer->index];
    if (psk.identity.size() >= identity_max || psk.key.size() > key_max) return 0;
    std::memcpy(identity, psk.identity.data(), psk.identity.size());
    identity[psk.identity.size()] = '\0';
    std::memcpy(key, psk.key.data(), psk.key.size());
    return static_cast<unsigned int>(psk.key.size());
}

const WolfSslSession::LookedUpPsk* WolfSslSession::lookup_server_psk(const std::string& identity) {
    // wolfSSL asks about each identity several times per ClientHello; the keyring once.
    for (const auto& entry : server_lookups_) {
        if (entry.identity == identity) return &entry;
    }
    if (server_lookups_.size() >= kMaxServerPskLookups) return nullptr;
    server_lookups_.push_back(LookedUpPsk{identity, params_.server_psk_lookup(identity)});
    return &server_lookups_.back();
}

unsigned int WolfSslSession::on_server_psk(const char* identity, unsigned char* key,
                                           unsigned int key_max, const char** suite_name) {
    if (!identity || !key || !suite_name) return 0;
    psk_identity_seen_ = true;
    const LookedUpPsk* entry = lookup_server_psk(identity);
    if (!entry || !entry->key) return 0;
    const PskKey& psk = *entry->key;
    const auto hash = psk_hash_for(entry->identity, psk.key.size());
    if (!hash || psk.key.empty() || psk.key.size() > key_max) return 0;
    // The suite's hash must be the PSK's hash, and the client must have offered the suite
    // (wolfSSL fails the handshake otherwise): the first of ours, in our order, that it offered.
    const auto& offer = client_hello_offer_;  // read once, by check_client_hello()
    const Suite* suite = nullptr;
    for (const Suite* candidate : engine_->suites) {
        if (suite || candidate->hash != *hash) continue;
        if (!offer || std::find(offer->cipher_suites.begin(), offer->cipher_suites.end(),
                                candidate->code) != offer->cipher_suites.end()) {
            suite = candidate;
        }
    }
    if (!suite) return 0;
    std::memcpy(key, psk.key.data(), psk.key.size());
    *suite_name = suite->wolf_name;
    psk_found_ = true;
    return static_cast<unsigned int>(psk.key.size());
}

}  // namespace handshaked::tls::wolf
