// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/tls/wolfssl/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/openssl/x509v3.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/cpuid.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha3.h>
#include <wolfssl/wolfcrypt/sha512.h>
#include <wolfssl/wolfcrypt/wc_mlkem.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/unique_fd.h"

namespace handshaked::tls::wolf {
namespace {

constexpr std::size_t kMaxFileSize = 16 * 1024 * 1024;  // the system bundle is ~200 KiB

// Reads path into out (resized once to the file's size, so SecureBytes never reallocates).
template <typename Buffer>
Result<void> read_into(const std::string& path, std::string_view what, Buffer& out) {
    auto failed = [&](int err) {
        return make_error(ErrorCause::kConfig, "cannot read " + std::string(what) + " " + path +
                                                   ": " + std::strerror(err));
    };
    if (path.empty()) return make_error(ErrorCause::kConfig, std::string(what) + ": no file name");
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (fd.get() < 0) return failed(errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return failed(errno);
    if (!S_ISREG(st.st_mode)) return failed(S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    if (st.st_size <= 0) {
        return make_error(ErrorCause::kConfig, std::string(what) + " " + path + " is empty");
    }
    if (static_cast<std::size_t>(st.st_size) > kMaxFileSize) return failed(EFBIG);
    out.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return failed(errno);
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    if (done != out.size()) {
        return make_error(ErrorCause::kConfig,
                          std::string(what) + " " + path + " changed while it was read");
    }
    return {};
}

struct EccKey {
    ecc_key key{};
    bool ready = false;
    EccKey() { ready = wc_ecc_init(&key) == 0; }
    EccKey(const EccKey&) = delete;
    EccKey& operator=(const EccKey&) = delete;
    ~EccKey() {
        if (ready) wc_ecc_free(&key);
    }
};

struct RsaKeyHolder {
    RsaKey key{};
    bool ready = false;
    RsaKeyHolder() { ready = wc_InitRsaKey(&key, nullptr) == 0; }
    RsaKeyHolder(const RsaKeyHolder&) = delete;
    RsaKeyHolder& operator=(const RsaKeyHolder&) = delete;
    ~RsaKeyHolder() {
        if (ready) wc_FreeRsaKey(&key);
    }
};

// Uncompressed public point and curve of an ECC key; empty on failure.
std::vector<std::uint8_t> ecc_point(ecc_key& key) {
    std::array<std::uint8_t, 1 + 2 * 66> point{};  // P-521 at most
    word32 size = point.size();
    if (wc_ecc_export_x963(&key, point.data(), &size) != 0) return {};
    return {point.begin(), point.begin() + size};
}

// n || e of an RSA key; empty on failure.
std::vector<std::uint8_t> rsa_public(RsaKey& key) {
    std::vector<std::uint8_t> n(1024), e(16);  // up to 8192-bit moduli
    word32 n_size = n.size(), e_size = e.size();
    if (wc_RsaFlattenPublicKey(&key, e.data(), &e_size, n.data(), &n_size) != 0) return {};
    n.resize(n_size);
    n.insert(n.end(), e.begin(), e.begin() + e_size);
    return n;
}

// wolfCrypt chooses its assembly paths (AES-NI, AVX2, SHA and ML-KEM kernels) lazily, on each
// algorithm's first use, in plain globals. Using each once here, before any worker thread
// exists, makes that choice a write that happens before every handshake (TSan saw the workers
// race to make it). Results are not used: a failure here would show in the first handshake.
void choose_cpu_paths_once() {
    (void)cpuid_get_flags();
    std::array<byte, 64> data{};
    std::array<byte, 64> out{};
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0) return;
    (void)wc_RNG_GenerateBlock(&rng, data.data(), data.size());
    wc_Sha256 sha256;
    if (wc_InitSha256(&sha256) == 0) {
        (void)wc_Sha256Update(&sha256, data.data(), data.size());
        (void)wc_Sha256Final(&sha256, out.data());
        wc_Sha256Free(&sha256);
    }
    wc_Sha384 sha384;
    if (wc_InitSha384(&sha384) == 0) {
        (void)wc_Sha384Update(&sha384, data.data(), data.size());
        (void)wc_Sha384Final(&sha384, out.data());
        wc_Sha384Free(&sha384);
    }
    wc_Sha512 sha512;
    if (wc_InitSha512(&sha512) == 0) {
        (void)wc_Sha512Update(&sha512, data.data(), data.size());
        (void)wc_Sha512Final(&sha512, out.data());
        wc_Sha512Free(&sha512);
    }
    wc_Sha3 sha3;
    if (wc_InitSha3_256(&sha3, nullptr, INVALID_DEVID) == 0) {
        (void)wc_Sha3_256_Update(&sha3, data.data(), data.size());
        (void)wc_Sha3_256_Final(&sha3, out.data());
        wc_Sha3_256_Free(&sha3);
    }
    Aes aes;
    if (wc_AesInit(&aes, nullptr, INVALID_DEVID) == 0) {
        std::array<byte, 16> tag{};
        if (wc_AesGcmSetKey(&aes, data.data(), 16) == 0)
            (void)wc_AesGcmEncrypt(&aes, out.data(), data.data(), 16, data.data(), 12, tag.data(),
                                   tag.size(), nullptr, 0);
        if (wc_AesCcmSetKey(&aes, data.data(), 16) == 0)
            (void)wc_AesCcmEncrypt(&aes, out.data(), data.data(), 16, data.data(), 12, tag.data(),
                                   tag.size(), nullptr, 0);
        wc_AesFree(&aes);
    }
    std::array<byte, CHACHA20_POLY1305_AEAD_AUTHTAG_SIZE> tag{};
    (void)wc_ChaCha20Poly1305_Encrypt(data.data(), data.data(), nullptr, 0, data.data(), 16,
                                      out.data(), tag.data());
    curve25519_key x25519;
    if (wc_curve25519_init(&x25519) == 0) {
        (void)wc_curve25519_make_key(&rng, CURVE25519_KEYSIZE, &x25519);
        wc_curve25519_free(&x25519);
    }
    ecc_key ecc;
    if (wc_ecc_init(&ecc) == 0) {
        (void)wc_ecc_make_key_ex(&rng, 32, &ecc, ECC_SECP256R1);
        wc_ecc_free(&ecc);
    }
    MlKemKey mlkem;
    if (wc_MlKemKey_Init(&mlkem, WC_ML_KEM_768, nullptr, INVALID_DEVID) == 0) {
        (void)wc_MlKemKey_MakeKey(&mlkem, &rng);
        wc_MlKemKey_Free(&mlkem);
    }
    wc_FreeRng(&rng);
}

}  // namespace

void init_library() {
    static std::once_flag once;
    std::call_once(once, [] {
        wolfSSL_Init();
        choose_cpu_paths_once();
    });
}

std::string error_text(int error) {
    std::array<char, WOLFSSL_MAX_ERROR_SZ> text{};
    wolfSSL_ERR_error_string_n(static_cast<unsigned long>(error), text.data(), text.size());
    return std::to_string(error) + " (" + text.data() + ")";
}

Result<std::vector<std::uint8_t>> read_file(const std::string& path, std::string_view what) {
    std::vector<std::uint8_t> bytes;
    if (auto r = read_into(path, what, bytes); !r) return r.error();
    return bytes;
}

Result<SecureBytes> read_secret_file(const std::string& path, std::string_view what) {
    SecureBytes bytes;
    if (auto r = read_into(path, what, bytes); !r) return r.error();
    return bytes;
}

std::vector<std::uint8_t> first_pem_certificate_der(const std::vector<std::uint8_t>& pem) {
    std::vector<std::uint8_t> der(pem.size());
    const int size = wc_CertPemToDer(pem.data(), static_cast<int>(pem.size()), der.data(),
                                     static_cast<int>(der.size()), CERT_TYPE);
    if (size <= 0) return {};
    der.resize(static_cast<std::size_t>(size));
    return der;
}

SecureBytes pem_private_key_der(const SecureBytes& pem) {
    SecureBytes der(pem.size());
    const int size = wc_KeyPemToDer(pem.data(), static_cast<int>(pem.size()), der.data(),
                                    static_cast<int>(der.size()), nullptr);
    if (size <= 0) return {};
    return SecureBytes(der.data(), static_cast<std::size_t>(size));
}

KeyMatch key_matches_certificate(const std::uint8_t* cert_der, std::size_t cert_size,
                                 const std::uint8_t* key_der, std::size_t key_size) {
    X509Ptr cert(wolfSSL_X509_d2i(nullptr, cert_der, static_cast<int>(cert_size)));
    if (!cert || key_size == 0) return KeyMatch::kUnreadable;
    std::vector<std::uint8_t> spki(4096);
    int spki_size = static_cast<int>(spki.size());
    if (wolfSSL_X509_get_pubkey_buffer(cert.get(), spki.data(), &spki_size) != WOLFSSL_SUCCESS ||
        spki_size <= 0) {
        return KeyMatch::kUnreadable;
    }

    {  // ECDSA: recompute the public point from the private scalar and compare.
        EccKey cert_key;
        word32 index = 0;
        if (cert_key.ready && wc_EccPublicKeyDecode(spki.data(), &index, &cert_key.key,
                                                    static_cast<word32>(spki_size)) == 0) {
            EccKey private_key;
            index = 0;
            if (!private_key.ready || wc_EccPrivateKeyDecode(key_der, &index, &private_key.key,
                                                             static_cast<word32>(key_size)) != 0) {
                return KeyMatch::kMismatch;  // not an EC key at all
            }
            if (wc_ecc_make_pub(&private_key.key, nullptr) != 0) return KeyMatch::kUnreadable;
            if (!cert_key.key.dp || !private_key.key.dp ||
                cert_key.key.dp->id != private_key.key.dp->id) {
                return KeyMatch::kMismatch;
            }
            const auto a = ecc_point(cert_key.key);
            const auto b = ecc_point(private_key.key);
            if (a.empty() || b.empty()) return KeyMatch::kUnreadable;
            return a == b ? KeyMatch::kMatch : KeyMatch::kMismatch;
        }
    }
    {  // RSA: compare modulus and exponent.
        RsaKeyHolder cert_key;
        word32 index = 0;
        if (cert_key.ready && wc_RsaPublicKeyDecode(spki.data(), &index, &cert_key.key,
                                                    static_cast<word32>(spki_size)) == 0) {
            RsaKeyHolder private_key;
            index = 0;
            if (!private_key.ready || wc_RsaPrivateKeyDecode(key_der, &index, &private_key.key,
                                                             static_cast<word32>(key_size)) != 0) {
                return KeyMatch::kMismatch;
            }
            const auto a = rsa_public(cert_key.key);
            const auto b = rsa_public(private_key.key);
            if (a.empty() || b.empty()) return KeyMatch::kUnreadable;
            return a == b ? KeyMatch::kMatch : KeyMatch::kMismatch;
        }
    }
    return KeyMatch::kUnsupported;
}

bool certificate_has_ip_san(WOLFSSL_X509* certificate, const IpAddress& address) {
    if (!certificate || address.size == 0) return false;
    auto* names = static_cast<WOLFSSL_GENERAL_NAMES*>(
        wolfSSL_X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    if (!names) return false;
    bool found = false;
    const int count = wolfSSL_sk_GENERAL_NAME_num(names);
    for (int i = 0; i < count && !found; ++i) {
        WOLFSSL_GENERAL_NAME* name = wolfSSL_sk_GENERAL_NAME_value(names, i);
        if (!name || name->type != GEN_IPADD || !name->d.iPAddress) continue;
        const unsigned char* data = wolfSSL_ASN1_STRING_data(name->d.iPAddress);
        const int size = wolfSSL_ASN1_STRING_length(name->d.iPAddress);
        found = data && size == static_cast<int>(address.size) &&
                std::memcmp(data, address.bytes.data(), address.size) == 0;
    }
    wolfSSL_GENERAL_NAMES_free(names);
    return found;
}

std::vector<std::uint8_t> certificate_der(WOLFSSL_X509* certificate) {
    int size = 0;
    const unsigned char* der = certificate ? wolfSSL_X509_get_der(certificate, &size) : nullptr;
    if (!der || size <= 0) return {};
    return {der, der + size};
}

}  // namespace handshaked::tls::wolf
