// SPDX-License-Identifier: GPL-2.0-or-later
// The bytes given to setsockopt(SOL_TLS, TLS_TX/TLS_RX), checked field by field against the
// kernel's uapi layout (offsets written out here, not taken from <linux/tls.h>).
#include "service/ktls/crypto_info.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "service/ktls/install.h"

namespace handshaked::ktls {
namespace {

tls::TrafficKeys keys(std::size_t key_size, std::uint64_t sequence) {
    tls::TrafficKeys k;
    k.key = SecureBytes(key_size);
    for (std::size_t i = 0; i < key_size; ++i) k.key[i] = static_cast<std::uint8_t>(0xa0 + i);
    k.iv = SecureBytes(12);
    for (std::size_t i = 0; i < 12; ++i) k.iv[i] = static_cast<std::uint8_t>(0x10 + i);
    k.sequence = sequence;
    return k;
}

std::vector<std::uint8_t> bytes_of(const SecureBytes& b) { return {b.data(), b.data() + b.size()}; }
std::vector<std::uint8_t> range(const SecureBytes& b, std::size_t offset, std::size_t size) {
    return {b.data() + offset, b.data() + offset + size};
}
std::vector<std::uint8_t> ramp(std::uint8_t first, std::size_t size) {
    std::vector<std::uint8_t> v(size);
    for (std::size_t i = 0; i < size; ++i) v[i] = static_cast<std::uint8_t>(first + i);
    return v;
}

// struct tls_crypto_info: u16 version (0x0304, host order), u16 cipher_type.
void expect_header(const SecureBytes& info, std::uint16_t cipher_type) {
    std::uint16_t version = 0, type = 0;
    std::memcpy(&version, info.data(), 2);
    std::memcpy(&type, info.data() + 2, 2);
    EXPECT_EQ(version, 0x0304);
    EXPECT_EQ(type, cipher_type);
}

const std::vector<std::uint8_t> kSeq = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
constexpr std::uint64_t kSeqValue = 0x0102030405060708ull;

TEST(CryptoInfo, Aes128Gcm) {
    auto info = crypto_info(tls::Cipher::kAes128Gcm, keys(16, kSeqValue));
    ASSERT_TRUE(info.ok()) << info.error().message;
    ASSERT_EQ(info->size(), 40u);  // 4 + iv 8 + key 16 + salt 4 + rec_seq 8
    expect_header(*info, 51);
    EXPECT_EQ(range(*info, 4, 8), ramp(0x14, 8));     // iv = IV[4..12)
    EXPECT_EQ(range(*info, 12, 16), ramp(0xa0, 16));  // key
    EXPECT_EQ(range(*info, 28, 4), ramp(0x10, 4));    // salt = IV[0..4)
    EXPECT_EQ(range(*info, 32, 8), kSeq);             // rec_seq, big-endian
}

TEST(CryptoInfo, Aes256Gcm) {
    auto info = crypto_info(tls::Cipher::kAes256Gcm, keys(32, kSeqValue));
    ASSERT_TRUE(info.ok()) << info.error().message;
    ASSERT_EQ(info->size(), 56u);
    expect_header(*info, 52);
    EXPECT_EQ(range(*info, 4, 8), ramp(0x14, 8));
    EXPECT_EQ(range(*info, 12, 32), ramp(0xa0, 32));
    EXPECT_EQ(range(*info, 44, 4), ramp(0x10, 4));
    EXPECT_EQ(range(*info, 48, 8), kSeq);
}

TEST(CryptoInfo, Aes128Ccm) {
    auto info = crypto_info(tls::Cipher::kAes128Ccm, keys(16, kSeqValue));
    ASSERT_TRUE(info.ok()) << info.error().message;
    ASSERT_EQ(info->size(), 40u);
    expect_header(*info, 53);
    EXPECT_EQ(range(*info, 4, 8), ramp(0x14, 8));
    EXPECT_EQ(range(*info, 12, 16), ramp(0xa0, 16));
    EXPECT_EQ(range(*info, 28, 4), ramp(0x10, 4));
    EXPECT_EQ(range(*info, 32, 8), kSeq);
}

TEST(CryptoInfo, ChaCha20Poly1305IvIsNotSplit) {
    auto info = crypto_info(tls::Cipher::kChacha20Poly1305, keys(32, kSeqValue));
    ASSERT_TRUE(info.ok()) << info.error().message;
    ASSERT_EQ(info->size(), 56u);  // 4 + iv 12 + key 32 + salt 0 + rec_seq 8
    expect_header(*info, 54);
    EXPECT_EQ(range(*info, 4, 12), ramp(0x10, 12));  // the whole IV
    EXPECT_EQ(range(*info, 16, 32), ramp(0xa0, 32));
    EXPECT_EQ(range(*info, 48, 8), kSeq);
}

TEST(CryptoInfo, SequenceIsBigEndian) {
    auto zero = crypto_info(tls::Cipher::kAes128Gcm, keys(16, 0));
    ASSERT_TRUE(zero.ok());
    EXPECT_EQ(range(*zero, 32, 8), std::vector<std::uint8_t>(8, 0));
    auto one = crypto_info(tls::Cipher::kAes128Gcm, keys(16, 1));
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(range(*one, 32, 8), (std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0, 0, 1}));
    auto big = crypto_info(tls::Cipher::kChacha20Poly1305, keys(32, 0xff00000000000100ull));
    ASSERT_TRUE(big.ok());
    EXPECT_EQ(range(*big, 48, 8), (std::vector<std::uint8_t>{0xff, 0, 0, 0, 0, 0, 1, 0}));
}

TEST(CryptoInfo, WrongSizesAreRefused) {
    EXPECT_FALSE(crypto_info(tls::Cipher::kAes128Gcm, keys(32, 0)).ok());
    EXPECT_FALSE(crypto_info(tls::Cipher::kAes256Gcm, keys(16, 0)).ok());
    EXPECT_FALSE(crypto_info(tls::Cipher::kChacha20Poly1305, keys(16, 0)).ok());
    auto short_iv = keys(16, 0);
    short_iv.iv = SecureBytes(4);
    auto r = crypto_info(tls::Cipher::kAes128Gcm, short_iv);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().cause, ErrorCause::kLocalFault);
}

TEST(CryptoInfo, PairUsesEachDirectionsOwnKeys) {
    tls::SessionKeys session;
    session.cipher = tls::Cipher::kAes256Gcm;
    session.tx = keys(32, 5);
    session.rx = keys(32, 9);
    session.rx.key[0] = 0x55;
    auto pair = crypto_info(session);
    ASSERT_TRUE(pair.ok());
    EXPECT_EQ(pair->tx.size(), 56u);
    EXPECT_EQ(pair->rx.size(), 56u);
    EXPECT_EQ(pair->tx[12], 0xa0);
    EXPECT_EQ(pair->rx[12], 0x55);
    EXPECT_EQ(pair->tx[55], 5);
    EXPECT_EQ(pair->rx[55], 9);
    EXPECT_FALSE(bytes_of(pair->tx) == bytes_of(pair->rx));
}

TEST(InstallKtls, FailureIsALocalFaultNamingTheStep) {
    tls::SessionKeys session;
    session.cipher = tls::Cipher::kAes128Gcm;
    session.tx = keys(16, 0);
    session.rx = keys(16, 0);
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    auto r = install_ktls(pipe_fds[0], session);  // not a TCP socket
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().cause, ErrorCause::kLocalFault);
    EXPECT_NE(r.error().message.find("TCP_ULP"), std::string::npos) << r.error().message;

    session.tx.key = SecureBytes(3);  // caught before any syscall
    r = install_ktls(-1, session);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message.find("setsockopt"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace handshaked::ktls
