// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/keys/keyutils_key_store.h"

#include <keyutils.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace handshaked::keys {
namespace {

// How long a lookup of the shared keyrings by name stays good.
constexpr std::chrono::seconds kSharedKeyringRefresh{10};

struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
};

struct KeyDescription {
    std::string type;
    std::string description;
};

Error key_error(const std::string& what, KeySerial serial, int error) {
    return make_error(ErrorCause::kLocalFault,
                      what + " key " + std::to_string(serial) + ": " + std::strerror(error));
}

// keyctl_describe: "type;uid;gid;perm;description" (the description may itself hold ';').
Result<KeyDescription> describe(KeySerial serial) {
    char* raw = nullptr;
    if (keyctl_describe_alloc(serial, &raw) < 0) return key_error("describe", serial, errno);
    std::unique_ptr<char, FreeDeleter> owned(raw);
    std::string text(raw);
    KeyDescription result;
    std::size_t position = 0;
    for (int field = 0; field < 4; ++field) {
        auto next = text.find(';', position);
        if (next == std::string::npos)
            return make_error(ErrorCause::kLocalFault, "describe key: malformed");
        if (field == 0) result.type = text.substr(0, next);
        position = next + 1;
    }
    result.description = text.substr(position);
    return result;
}

// The serials linked in a keyring (empty if it cannot be read).
std::vector<KeySerial> keyring_contents(KeySerial keyring) {
    void* raw = nullptr;
    long length = keyctl_read_alloc(keyring, &raw);
    std::unique_ptr<void, FreeDeleter> owned(raw);  // allocated even for an empty keyring
    if (length <= 0) return {};
    const auto* serials = static_cast<const key_serial_t*>(raw);
    return {serials, serials + length / static_cast<long>(sizeof(key_serial_t))};
}

Result<SecureBytes> read_payload(KeySerial serial) {
    void* raw = nullptr;
    long length = keyctl_read_alloc(serial, &raw);
    if (length < 0) return key_error("read", serial, errno);
    SecureBytes payload(raw, static_cast<std::size_t>(length));
    secure_wipe(raw, static_cast<std::size_t>(length));
    std::free(raw);
    return payload;
}

}  // namespace

KeyutilsKeyStore::KeyutilsKeyStore(std::vector<std::string> configured_keyrings,
                                   unsigned peer_certificate_lifetime_s)
    : configured_keyrings_(std::move(configured_keyrings)),
      peer_certificate_lifetime_s_(peer_certificate_lifetime_s) {}

void KeyutilsKeyStore::refresh_shared_keyrings() {
    std::vector<KeySerial> serials;
    auto add = [&](const std::string& name) {
        // Searches what this process can see and, failing that, /proc/keys-visible keyrings.
        key_serial_t serial = find_key_by_type_and_desc("keyring", name.c_str(), 0);
        if (serial > 0 && std::find(serials.begin(), serials.end(), serial) == serials.end())
            serials.push_back(serial);
    };
    for (const char* name : kConsumerKeyrings) add(name);
    for (const auto& name : configured_keyrings_) add(name);
    // Linked, their keys are "possessed" and readable. Best effort: an absent module is fine,
    // and a keyring that appears later (its module loads) is picked up by a later refresh.
    for (KeySerial keyring : serials) keyctl_link(keyring, KEY_SPEC_SESSION_KEYRING);
    shared_ = std::move(serials);
    shared_resolved_at_ = std::chrono::steady_clock::now();
}

std::vector<KeySerial> KeyutilsKeyStore::shared_keyrings() {
    std::lock_guard lock(shared_mutex_);
    if (!shared_resolved_at_ ||
        std::chrono::steady_clock::now() - *shared_resolved_at_ > kSharedKeyringRefresh)
        refresh_shared_keyrings();
    return shared_;
}

Result<void> KeyutilsKeyStore::link_consumer_keyrings() {
    if (keyctl_join_session_keyring(nullptr) < 0 && errno != EPERM) {
        return make_error(
            ErrorCause::kLocalFault,
            std::string("keyring: cannot join a session keyring: ") + std::strerror(errno));
    }
    {
        std::lock_guard lock(shared_mutex_);
        refresh_shared_keyrings();
    }
    // The process keyring hangs off each thread's credentials. Created here, before the workers
    // start, it is one keyring shared by every thread; created lazily by the kernel during a
    // worker's ACCEPT, each worker would get its own and the link bookkeeping (which is per
    // process) would unlink from the wrong one.
    if (keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING, 1) < 0) {
        return make_error(
            ErrorCause::kLocalFault,
            std::string("keyring: cannot create the process keyring: ") + std::strerror(errno));
    }
    return {};
}

Result<tls::PskKey> KeyutilsKeyStore::read_psk(KeySerial serial) {
    auto description = describe(serial);
    if (!description) return description.error();
    if (description->type != "psk" && description->type != "user") {
        return make_error(
            ErrorCause::kMissingCredentials,
            "key " + std::to_string(serial) + " is of type '" + description->type + "', not psk");
    }
    auto payload = read_payload(serial);
    if (!payload) return payload.error();
    if (payload->empty())
        return make_error(ErrorCause::kMissingCredentials,
                          "PSK key " + std::to_string(serial) + " is empty");
    tls::PskKey key;
    key.identity = description->description;
    key.key = std::move(payload.value());
    key.serial = serial;
    return key;
}

Result<tls::DerCredentials> KeyutilsKeyStore::read_x509(KeySerial certificate,
                                                        KeySerial private_key) {
    if (certificate == 0 || private_key == 0) {
        return make_error(ErrorCause::kMissingCredentials,
                          "x509 credentials need both a certificate and a private key serial");
    }
    auto cert = read_payload(certificate);
    if (!cert) return make_error(ErrorCause::kMissingCredentials, cert.error().message);
    auto key = read_payload(private_key);
    if (!key) return make_error(ErrorCause::kMissingCredentials, key.error().message);
    tls::DerCredentials credentials;
    credentials.certificate.assign(cert->data(), cert->data() + cert->size());
    credentials.private_key = std::move(key.value());
    return credentials;
}

std::optional<tls::PskKey> KeyutilsKeyStore::find_psk(std::string_view identity,
                                                      const std::vector<KeySerial>& keyrings) {
    const std::string wanted(identity);
    for (KeySerial keyring : keyrings) {
        key_serial_t found = keyctl_search(keyring, "psk", wanted.c_str(), 0);
        if (found <= 0) continue;
        // The psk type matches by prefix; the identity must be the whole description.
        auto key = read_psk(found);
        if (key && key->identity == wanted) return std::move(key.value());
    }
    return std::nullopt;
}

std::vector<tls::PskKey> KeyutilsKeyStore::read_psks_in(KeySerial keyring) {
    std::vector<tls::PskKey> keys;
    std::vector<KeySerial> pending{keyring};
    // A consumer keyring may hold keyrings of its own; two levels is what nested setups use.
    for (int depth = 0; depth < 3 && !pending.empty(); ++depth) {
        std::vector<KeySerial> nested;
        for (KeySerial ring : pending) {
            for (KeySerial serial : keyring_contents(ring)) {
                auto description = describe(serial);
                if (!description) continue;
                if (description->type == "keyring") {
                    nested.push_back(serial);
                } else if (description->type == "psk") {
                    if (auto key = read_psk(serial)) keys.push_back(std::move(key.value()));
                }
            }
        }
        pending = std::move(nested);
    }
    return keys;
}

Result<KeySerial> KeyutilsKeyStore::publish_peer_certificate(const std::vector<std::uint8_t>& der,
                                                             std::string_view description) {
    // add_key() replaces a key of the same type and description in the keyring, and the replaced
    // key dies with the serial an earlier consumer got as its peer identity. Handshakes with the
    // same peer name are common (reconnects, several mounts of one server), so every key gets a
    // description of its own: this process's id and a sequence number.
    static std::atomic<std::uint64_t> published{0};
    const std::string name = "TLS x509 " + std::string(description) + " #" +
                             std::to_string(getpid()) + "." + std::to_string(++published);
    // An asymmetric key makes the certificate inspectable by the kernel; if this kernel cannot
    // parse it, a user key still gives the consumer a real serial holding the certificate.
    key_serial_t serial =
        add_key("asymmetric", name.c_str(), der.data(), der.size(), KEY_SPEC_USER_KEYRING);
    if (serial < 0)
        serial = add_key("user", name.c_str(), der.data(), der.size(), KEY_SPEC_USER_KEYRING);
    if (serial < 0) {
        return make_error(
            ErrorCause::kLocalFault,
            std::string("cannot store the peer certificate as a key: ") + std::strerror(errno));
    }
    // tlshd never removes these and the user keyring fills up; ours expire.
    keyctl_set_timeout(serial, peer_certificate_lifetime_s_);
    return serial;
}

std::vector<KeySerial> RequestKeyringLinks::process_keyring_contents() {
    if (keyctl_get_keyring_ID(KEY_SPEC_PROCESS_KEYRING, 0) < 0) return {};
    auto contents = keyring_contents(KEY_SPEC_PROCESS_KEYRING);
    std::sort(contents.begin(), contents.end());
    return contents;
}

std::vector<KeySerial> RequestKeyringLinks::added_links(const std::vector<KeySerial>& before,
                                                        const std::vector<KeySerial>& after) {
    std::vector<KeySerial> added;
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                        std::back_inserter(added));
    return added;
}

std::vector<KeySerial> RequestKeyringLinks::unlink(const std::vector<KeySerial>& keyrings) {
    std::vector<KeySerial> unlinked;
    for (KeySerial keyring : keyrings) {
        if (keyctl_unlink(keyring, KEY_SPEC_PROCESS_KEYRING) == 0) unlinked.push_back(keyring);
    }
    return unlinked;
}

AcceptKeyringScope::AcceptKeyringScope(RequestKeyringLinks& links)
    : lock_(links.accept_mutex()), before_(RequestKeyringLinks::process_keyring_contents()) {}

AcceptKeyringScope::~AcceptKeyringScope() {
    if (added_ && !unlinked_) RequestKeyringLinks::unlink(*added_);
}

const std::vector<KeySerial>& AcceptKeyringScope::links_added() {
    if (!added_) {
        added_ = RequestKeyringLinks::added_links(before_,
                                                  RequestKeyringLinks::process_keyring_contents());
    }
    return *added_;
}

bool AcceptKeyringScope::release_if_nothing_linked() {
    if (!lock_.owns_lock() || !links_added().empty()) return false;
    lock_.unlock();
    return true;
}

std::vector<KeySerial> AcceptKeyringScope::unlink() {
    const auto& added = links_added();
    unlinked_ = true;
    return RequestKeyringLinks::unlink(added);
}

}  // namespace handshaked::keys
