// SPDX-License-Identifier: GPL-2.0-or-later
// Key exchange groups between two wolfSSL engines: each ML-KEM hybrid pinned on either side,
// the default (hybrid first) against a classical-only peer, and peers with no group in common.
#include <cerrno>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "proto/failure.h"
#include "service/tls/engine.h"
#include "service/tls/groups.h"
#include "test/engine/harness.h"

namespace handshaked::test {
namespace {

using handshaked::AuthMode;
using tls::KeyExchangeGroup;
using tls::Progress;

tls::EngineConfig with_groups(tls::EngineConfig config, std::vector<KeyExchangeGroup> groups) {
    config.groups = std::move(groups);
    return config;
}

tls::EngineConfig ec_server() { return server_with("server-ec.pem", "server-ec.key"); }

// Runs an x509 handshake and returns it; both ends must agree on the group.
Handshake handshake(const tls::EngineConfig& client_config, const tls::EngineConfig& server_config,
                    TcpPair& pair) {
    auto client_engine = make_engine(client_config);
    auto server_engine = make_engine(server_config);
    EXPECT_TRUE(client_engine && server_engine);
    if (!client_engine || !server_engine) return {};
    return run_handshake(*client_engine, client_params(AuthMode::kUnauthenticated), *server_engine,
                         server_params(AuthMode::kX509), pair);
}

// Runs a PSK handshake with one PSK both ends know (serial 77), each end with its own groups.
Handshake psk_handshake(
    const tls::EngineConfig& client_config, const tls::EngineConfig& server_config, TcpPair& pair,
    const std::function<void(tls::TlsSession&, tls::TlsSession&)>& before = {}) {
    auto client_engine = make_engine(client_config);
    auto server_engine = make_engine(server_config);
    EXPECT_TRUE(client_engine && server_engine);
    if (!client_engine || !server_engine) return {};
    const auto psk = make_psk("group-test", 32, 77);
    auto client = client_params(AuthMode::kPsk, std::nullopt);
    client.client_psks = {psk};
    auto server = server_params(AuthMode::kPsk);
    server.server_psk_lookup = [psk](std::string_view id) -> std::optional<tls::PskKey> {
        if (id == psk.identity) return psk;
        return std::nullopt;
    };
    return run_handshake(*client_engine, std::move(client), *server_engine, std::move(server), pair,
                         before);
}

void expect_group(const Handshake& hs, KeyExchangeGroup group) {
    ASSERT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    ASSERT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    EXPECT_EQ(hs.client->key_exchange_group(), group);
    EXPECT_EQ(hs.server->key_exchange_group(), group);
    EXPECT_TRUE(hs.client->export_keys().ok());
    EXPECT_TRUE(hs.server->export_keys().ok());
}

class EachHybrid : public ::testing::TestWithParam<KeyExchangeGroup> {};

TEST_P(EachHybrid, ClientPinnedAgainstDefaultServer) {
    TcpPair pair;
    auto hs = handshake(with_groups(test_config(), {GetParam()}), ec_server(), pair);
    expect_group(hs, GetParam());
}

// The client's default key shares (X25519MLKEM768, x25519) do not fit a server pinned to
// another group: one HelloRetryRequest, then that group.
TEST_P(EachHybrid, ServerPinnedAgainstDefaultClient) {
    TcpPair pair;
    auto hs = handshake(test_config(), with_groups(ec_server(), {GetParam()}), pair);
    expect_group(hs, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Groups, EachHybrid,
                         ::testing::Values(KeyExchangeGroup::kX25519MlKem768,
                                           KeyExchangeGroup::kSecp256r1MlKem768,
                                           KeyExchangeGroup::kSecp384r1MlKem1024),
                         [](const auto& info) { return std::string(tls::group_name(info.param)); });

TEST(KeyExchange, DefaultsAgreeOnX25519MlKem768) {
    TcpPair pair;
    auto hs = handshake(test_config(), ec_server(), pair);
    expect_group(hs, KeyExchangeGroup::kX25519MlKem768);
}

// A peer without ML-KEM (as bookworm's GnuTLS): the client's second key share fits at once.
TEST(KeyExchange, ClassicalOnlyServerGetsX25519) {
    TcpPair pair;
    auto hs = handshake(
        test_config(),
        with_groups(ec_server(), {KeyExchangeGroup::kX25519, KeyExchangeGroup::kSecp256r1}), pair);
    expect_group(hs, KeyExchangeGroup::kX25519);
}

TEST(KeyExchange, ClassicalOnlyClientGetsX25519FromADefaultServer) {
    TcpPair pair;
    auto hs = handshake(
        with_groups(test_config(), {KeyExchangeGroup::kX25519, KeyExchangeGroup::kSecp384r1}),
        ec_server(), pair);
    expect_group(hs, KeyExchangeGroup::kX25519);
}

// No key share fits and the only common group is further down: one HelloRetryRequest.
TEST(KeyExchange, HelloRetryRequestForAGroupWithoutKeyShare) {
    TcpPair pair;
    auto hs =
        handshake(test_config(), with_groups(ec_server(), {KeyExchangeGroup::kSecp521r1}), pair);
    expect_group(hs, KeyExchangeGroup::kSecp521r1);
}

TEST(KeyExchange, PskHandshakesUseTheGroupsToo) {
    const auto config = with_groups(test_config(), {KeyExchangeGroup::kSecp256r1MlKem768});
    TcpPair pair;
    auto hs = psk_handshake(config, config, pair);
    expect_group(hs, KeyExchangeGroup::kSecp256r1MlKem768);
    EXPECT_EQ(hs.client->used_psk_serial(), 77);
}

// Nothing in common: a clean failure on both sides (EACCES to the kernel), not a hang or a
// HelloRetryRequest loop (drive() would time out).
TEST(KeyExchange, NoCommonGroupFailsOnBothSides) {
    TcpPair pair;
    auto hs = handshake(with_groups(test_config(), {KeyExchangeGroup::kX25519MlKem768}),
                        with_groups(ec_server(), {KeyExchangeGroup::kSecp384r1}), pair);
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_EQ(hs.client_progress, Progress::kFailed);
    EXPECT_EQ(hs.server_progress, Progress::kFailed);
    EXPECT_EQ(done_status(hs.client->error().cause), static_cast<std::uint32_t>(EACCES))
        << hs.client->error().message;
    EXPECT_EQ(done_status(hs.server->error().cause), static_cast<std::uint32_t>(EACCES))
        << hs.server->error().message;
    // The server answers the ClientHello with handshake_failure (RFC 8446 4.1.1), not with a
    // HelloRetryRequest for a group the client never listed, and names both lists.
    EXPECT_NE(hs.client->error().message.find("handshake_failure"), std::string::npos)
        << hs.client->error().message;
    EXPECT_NE(hs.server->error().message.find("no key exchange group in common (it offers "
                                              "X25519MLKEM768; accepted: secp384r1)"),
              std::string::npos)
        << hs.server->error().message;
}

// The same through a PSK server: the check does not depend on the authentication.
TEST(KeyExchange, NoCommonGroupFailsOnAPskServerToo) {
    TcpPair pair;
    auto hs =
        psk_handshake(with_groups(test_config(), {KeyExchangeGroup::kX25519}),
                      with_groups(test_config(), {KeyExchangeGroup::kSecp256r1MlKem768}), pair);
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_EQ(hs.client_progress, Progress::kFailed);
    EXPECT_EQ(hs.server_progress, Progress::kFailed);
    EXPECT_NE(hs.client->error().message.find("handshake_failure"), std::string::npos)
        << hs.client->error().message;
    EXPECT_EQ(done_status(hs.server->error().cause), static_cast<std::uint32_t>(EACCES))
        << hs.server->error().message;
    EXPECT_NE(hs.server->error().message.find("no key exchange group in common"), std::string::npos)
        << hs.server->error().message;
}

// psk_ke needs no group: a PSK client that offers only that mode is served whatever the groups.
TEST(KeyExchange, PskKeOnlyClientNeedsNoGroupInCommon) {
    TcpPair pair;
    auto hs =
        psk_handshake(with_groups(test_config(), {KeyExchangeGroup::kX25519}),
                      with_groups(test_config(), {KeyExchangeGroup::kSecp256r1MlKem768}), pair,
                      [](tls::TlsSession& c, tls::TlsSession&) { offer_only_psk_ke(c); });
    ASSERT_TRUE(hs.client && hs.server);
    EXPECT_EQ(hs.client_progress, Progress::kDone) << hs.client->error().message;
    EXPECT_EQ(hs.server_progress, Progress::kDone) << hs.server->error().message;
    EXPECT_FALSE(hs.server->key_exchange_group().has_value());
    EXPECT_FALSE(hs.client->key_exchange_group().has_value());
}

}  // namespace
}  // namespace handshaked::test
