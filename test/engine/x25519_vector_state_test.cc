// SPDX-License-Identifier: GPL-2.0-or-later
// X25519 must not depend on what earlier vector code left in the registers: a worker runs
// AES-GCM, SHA-3 and ML-KEM kernels between handshakes, and any of them may leave the upper
// halves of the ymm registers set. wolfSSL's AVX2 table lookup once read them
// (third_party/wolfssl/wolfssl.BUILD, fe_x25519_asm_vex); these tests dirty every ymm register
// before each operation and check the result against a clean computation and RFC 7748.
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/random.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

namespace {

using Bytes32 = std::array<byte, CURVE25519_KEYSIZE>;

// Fills all sixteen ymm registers, upper halves included, with a pattern from 'seed'.
__attribute__((noinline, target("avx"))) void dirty_vector_registers(std::uint32_t seed) {
    alignas(32) std::array<std::uint32_t, 8> pattern{};
    for (auto& word : pattern) word = seed = seed * 1664525u + 1013904223u;
    asm volatile(
        "vmovdqa (%0), %%ymm0\n\tvmovdqa (%0), %%ymm1\n\tvmovdqa (%0), %%ymm2\n\t"
        "vmovdqa (%0), %%ymm3\n\tvmovdqa (%0), %%ymm4\n\tvmovdqa (%0), %%ymm5\n\t"
        "vmovdqa (%0), %%ymm6\n\tvmovdqa (%0), %%ymm7\n\tvmovdqa (%0), %%ymm8\n\t"
        "vmovdqa (%0), %%ymm9\n\tvmovdqa (%0), %%ymm10\n\tvmovdqa (%0), %%ymm11\n\t"
        "vmovdqa (%0), %%ymm12\n\tvmovdqa (%0), %%ymm13\n\tvmovdqa (%0), %%ymm14\n\t"
        "vmovdqa (%0), %%ymm15\n\t"
        :
        : "r"(pattern.data())
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
          "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory");
}

__attribute__((noinline, target("avx"))) void clean_vector_registers() {
    asm volatile("vzeroall" ::
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

Bytes32 from_hex(const char* hex) {
    Bytes32 out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        unsigned value = 0;
        std::sscanf(hex + 2 * i, "%2x", &value);
        out[i] = static_cast<byte>(value);
    }
    return out;
}

void clamp(Bytes32& key) {
    key[0] &= 248;
    key[31] &= 127;
    key[31] |= 64;
}

Bytes32 public_key(const Bytes32& priv) {
    Bytes32 pub{};
    EXPECT_EQ(wc_curve25519_make_pub(pub.size(), pub.data(), priv.size(), priv.data()), 0);
    return pub;
}

class X25519VectorState : public ::testing::Test {
protected:
    void SetUp() override {
        if (!__builtin_cpu_supports("avx")) GTEST_SKIP() << "no AVX: nothing can be left in ymm";
        ASSERT_EQ(wc_InitRng(&rng_), 0);
    }
    void TearDown() override { wc_FreeRng(&rng_); }
    WC_RNG rng_{};
};

// RFC 7748 section 6.1, Alice: the scalar is clamped here because wolfSSL insists on it; X25519
// clamps anyway, so the public key is the RFC's.
TEST_F(X25519VectorState, BasePointMultiplicationMatchesRfc7748WhateverTheRegistersHold) {
    auto alice = from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    clamp(alice);
    const auto expected =
        from_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    for (std::uint32_t seed = 1; seed <= 64; ++seed) {
        dirty_vector_registers(seed);
        ASSERT_EQ(public_key(alice), expected) << "pattern " << seed;
    }
}

TEST_F(X25519VectorState, RandomKeysGetTheSamePublicKeyWithDirtyRegisters) {
    for (std::uint32_t i = 0; i < 200; ++i) {
        Bytes32 priv{};
        ASSERT_EQ(wc_curve25519_make_priv(&rng_, priv.size(), priv.data()), 0);
        clean_vector_registers();
        const auto clean = public_key(priv);
        dirty_vector_registers(i);
        ASSERT_EQ(public_key(priv), clean) << "key " << i;
    }
}

// The private key comes from the RNG first: drawing it runs memcpy, and glibc's vector memcpy
// may clear the upper halves, so dirtying before wc_curve25519_make_key tests nothing. Both
// keys are in the byte order make_pub writes and shared_secret_ex is asked for.
void make_key_with_dirty_registers(WC_RNG& rng, std::uint32_t seed, curve25519_key& key) {
    Bytes32 priv{};
    ASSERT_EQ(wc_curve25519_make_priv(&rng, priv.size(), priv.data()), 0);
    dirty_vector_registers(seed);
    const auto pub = public_key(priv);
    ASSERT_EQ(wc_curve25519_import_private_raw_ex(priv.data(), priv.size(), pub.data(), pub.size(),
                                                  &key, EC25519_LITTLE_ENDIAN),
              0);
}

TEST_F(X25519VectorState, BothEndsAgreeWithDirtyRegisters) {
    for (std::uint32_t i = 0; i < 100; ++i) {
        curve25519_key a, b;
        ASSERT_EQ(wc_curve25519_init(&a), 0);
        ASSERT_EQ(wc_curve25519_init(&b), 0);
        ASSERT_NO_FATAL_FAILURE(make_key_with_dirty_registers(rng_, 2 * i, a));
        ASSERT_NO_FATAL_FAILURE(make_key_with_dirty_registers(rng_, 2 * i + 1, b));
        Bytes32 ab{}, ba{};
        word32 ab_size = ab.size(), ba_size = ba.size();
        dirty_vector_registers(3 * i);
        ASSERT_EQ(
            wc_curve25519_shared_secret_ex(&a, &b, ab.data(), &ab_size, EC25519_LITTLE_ENDIAN), 0);
        dirty_vector_registers(3 * i + 1);
        ASSERT_EQ(
            wc_curve25519_shared_secret_ex(&b, &a, ba.data(), &ba_size, EC25519_LITTLE_ENDIAN), 0);
        EXPECT_EQ(ab, ba) << "pair " << i;
        wc_curve25519_free(&a);
        wc_curve25519_free(&b);
    }
}

}  // namespace
