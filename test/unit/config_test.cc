// SPDX-License-Identifier: GPL-2.0-or-later
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "service/config/config.h"

namespace handshaked::config {
namespace {

// The default /etc/tlshd/config of ktls-utils 1.4, with values filled in as a tlshd user would.
constexpr char kTlshdConfig[] = R"(# tlshd configuration
[debug]
loglevel=1
tls=0
nl=0

[authenticate]
keyrings= .nvme-extra ; site

[authenticate.client]
x509.truststore= /etc/pki/ca.pem
#x509.crl= <pathname>
x509.certificate= /etc/tlshd/client.pem
x509.private_key= /etc/tlshd/client.key

[authenticate.server]
x509.truststore= /etc/pki/clients-ca.pem
x509.crl= /etc/pki/clients.crl
x509.certificate= ./server.pem
x509.private_key= ./server.key
x509.pq.certificate= /etc/tlshd/mldsa.pem
x509.pq.private_key= /etc/tlshd/mldsa.key
)";

TEST(Config, AcceptsTlshdsFileUnchanged) {
    auto config = parse_config(kTlshdConfig, "/etc/tlshd/config");
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->loglevel, 1);
    EXPECT_EQ(config->keyrings, (std::vector<std::string>{".nvme-extra", "site"}));
    EXPECT_EQ(config->engine.client.truststore, "/etc/pki/ca.pem");
    EXPECT_EQ(config->engine.client.crl, "");
    EXPECT_EQ(config->engine.client.certificate, "/etc/tlshd/client.pem");
    EXPECT_EQ(config->engine.client.private_key, "/etc/tlshd/client.key");
    EXPECT_EQ(config->engine.server.crl, "/etc/pki/clients.crl");
    EXPECT_EQ(config->engine.server.certificate, "./server.pem");
}

// tlshd 1.4 accepts these; a tlshd user's file must load with a warning for each, naming the
// file and line, and nothing else must change.
TEST(Config, UnknownSectionsAndKeysAreWarningsWithFileAndLine) {
    auto config = parse_config(
        "[debug]\nloglevel = 2\nverbose = 1\n[future]\nanything = at all\n[service]\nworkers=2\n",
        "/etc/tlshd/config");
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->loglevel, 2);
    EXPECT_EQ(config->workers, 2u);
    ASSERT_EQ(config->warnings.size(), 2u);
    EXPECT_EQ(config->warnings[0], "/etc/tlshd/config:3: unknown key 'verbose' in [debug] ignored");
    EXPECT_EQ(config->warnings[1],
              "/etc/tlshd/config:4: unknown section [future]: its keys are ignored");
}

TEST(Config, StrictTurnsTheFirstWarningIntoAnError) {
    auto config = parse_config("[service]\nstrict = true\n[debug]\nverbose = 1\n", "s.conf");
    ASSERT_FALSE(config.ok());
    EXPECT_EQ(config.error().message,
              "s.conf:4: unknown key 'verbose' in [debug] ignored ([service] strict)");
    EXPECT_TRUE(parse_config("[service]\nstrict = true\n[debug]\nloglevel = 1\n", "s.conf").ok());
}

TEST(Config, KeyUrlIsIgnoredWithItsCertificate) {
    auto config = parse_config(
        "[authenticate.server]\nx509.certificate = /etc/tlshd/server.pem\n"
        "x509.private_key = pkcs11:token=nfs;object=server\n"
        "[authenticate.client]\nx509.certificate = ./c.pem\nx509.private_key = ./c.key\n",
        "/etc/tlshd/config");
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_TRUE(config->engine.server.certificate.empty());
    EXPECT_TRUE(config->engine.server.private_key.empty());
    EXPECT_EQ(config->engine.client.private_key, "./c.key");
    ASSERT_EQ(config->warnings.size(), 1u);
    EXPECT_EQ(config->warnings[0].rfind("/etc/tlshd/config:3: ignored: [authenticate.server] "
                                        "x509.private_key 'pkcs11:token=nfs;object=server'",
                                        0),
              0u)
        << config->warnings[0];
}

TEST(Config, KeyUrlsAreToldFromFileNames) {
    EXPECT_TRUE(is_key_url("pkcs11:token=a"));
    EXPECT_TRUE(is_key_url("tpm2:handle=0x81000001"));
    EXPECT_FALSE(is_key_url("/etc/tlshd/key.pem"));
    EXPECT_FALSE(is_key_url("./key:1.pem"));
    EXPECT_FALSE(is_key_url("key.pem"));
    EXPECT_FALSE(is_key_url(":x"));
}

TEST(Config, PostQuantumCertificateKeysAreReportedAsIgnored) {
    auto config = parse_config(kTlshdConfig, "/etc/tlshd/config");
    ASSERT_TRUE(config.ok()) << config.error().message;
    ASSERT_EQ(config->warnings.size(), 2u);
    EXPECT_NE(config->warnings[0].find(":21: ignored: x509.pq.certificate"), std::string::npos)
        << config->warnings[0];
    EXPECT_NE(config->warnings[1].find(":22: ignored: x509.pq.private_key"), std::string::npos)
        << config->warnings[1];
}

TEST(Config, OwnServiceSection) {
    auto config = parse_config(
        "[service]\nworkers = 3\nmax_handshakes_per_worker=100\n"
        "default_timeout_ms = 2500\n[dbus]\nread_group = adm\n",
        "x.conf");
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_EQ(config->workers, 3u);
    EXPECT_EQ(config->max_handshakes_per_worker, 100u);
    EXPECT_EQ(config->default_timeout_ms, 2500u);
    EXPECT_EQ(config->read_group, "adm");
}

TEST(Config, EmptyFileGivesDefaults) {
    auto config = parse_config("", "empty.conf");
    ASSERT_TRUE(config.ok());
    EXPECT_EQ(config->workers, 0u);
    EXPECT_EQ(config->default_timeout_ms, 10000u);
    EXPECT_TRUE(config->engine.client.truststore.empty());
}

struct BadCase {
    const char* text;
    const char* expected_in_message;
};

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, NamesFileLineAndKey) {
    auto config = parse_config(GetParam().text, "/etc/handshaked/handshaked.conf");
    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message.find(GetParam().expected_in_message), std::string::npos)
        << config.error().message;
    EXPECT_EQ(config.error().message.rfind("/etc/handshaked/handshaked.conf", 0), 0u)
        << config.error().message;
    // A bad file is a configuration error, never a handshake outcome.
    EXPECT_EQ(config.error().cause, ErrorCause::kConfig);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadConfig,
    ::testing::Values(
        BadCase{"[service]\nworkers = many\n", ":2: workers: 'many' is not an integer"},
        BadCase{"[service]\nworkers = 100000\n", ":2: workers: 100000 is outside"},
        BadCase{"[service]\nstrict = maybe\n", ":2: strict: 'maybe' is not a boolean"},
        BadCase{"[service]\nstrict = yes\n[nope]\n",
                ":3: unknown section [nope]: its keys are ignored ([service] strict)"},
        BadCase{"loglevel = 1\n", ":1: loglevel: key outside any section"},
        BadCase{"[debug\n", ":1: section header without ']'"},
        BadCase{"[debug]\njust words\n", ":2: expected 'key = value'"},
        BadCase{"[authenticate.server]\nx509.certificate = /a.pem\n",
                "x509.certificate and x509.private_key must be given together"},
        BadCase{"[authenticate]\nkey_exchange_groups = x25519; X448\n",
                ":2: key_exchange_groups: unknown group 'X448'"},
        BadCase{"[authenticate]\nkey_exchange_groups = x25519, X25519\n",
                ":2: key_exchange_groups: 'X25519' is named twice"},
        BadCase{"[authenticate]\nkey_exchange_groups = ; ,\n",
                ":2: key_exchange_groups: names no group"}));

TEST(Config, KeyExchangeGroupsDefaultToHybridsFirst) {
    auto config = parse_config("", "empty.conf");
    ASSERT_TRUE(config.ok());
    using tls::KeyExchangeGroup;
    const std::vector<KeyExchangeGroup> expected = {
        KeyExchangeGroup::kX25519MlKem768,     KeyExchangeGroup::kSecp256r1MlKem768,
        KeyExchangeGroup::kSecp384r1MlKem1024, KeyExchangeGroup::kX25519,
        KeyExchangeGroup::kSecp256r1,          KeyExchangeGroup::kSecp384r1,
        KeyExchangeGroup::kSecp521r1};
    EXPECT_EQ(config->engine.groups, expected);
}

TEST(Config, KeyExchangeGroupsInTheGivenOrderAnyCase) {
    auto config = parse_config(
        "[authenticate]\nkey_exchange_groups = secp384r1 ; secp384r1mlkem1024,X25519\n", "g.conf");
    ASSERT_TRUE(config.ok()) << config.error().message;
    using tls::KeyExchangeGroup;
    const std::vector<KeyExchangeGroup> expected = {KeyExchangeGroup::kSecp384r1,
                                                    KeyExchangeGroup::kSecp384r1MlKem1024,
                                                    KeyExchangeGroup::kX25519};
    EXPECT_EQ(config->engine.groups, expected);
}

class ConfigFiles : public ::testing::Test {
protected:
    void SetUp() override {
        const char* tmp = std::getenv("TEST_TMPDIR");
        directory_ = tmp ? tmp : "/tmp";
    }
    std::string write(const std::string& name, const std::string& text, mode_t mode) {
        std::string path = directory_ + "/" + name;
        std::ofstream(path) << text;
        chmod(path.c_str(), mode);
        return path;
    }
    std::string directory_;
};

TEST_F(ConfigFiles, PrivateKeyOthersCanReadIsAWarningAndRefusedWhenStrict) {
    auto cert = write("c.pem", "cert", 0644);
    auto key = write("k.pem", "key", 0644);
    const std::string sides =
        "[authenticate.server]\nx509.certificate=" + cert + "\nx509.private_key=" + key + "\n";
    auto conf = write("h.conf", sides, 0644);
    auto config = load_config(conf);
    ASSERT_TRUE(config.ok()) << config.error().message;
    ASSERT_EQ(config->warnings.size(), 1u);
    EXPECT_NE(config->warnings[0].find("readable or writable by other users (mode 644)"),
              std::string::npos)
        << config->warnings[0];
    auto strict = write("strict.conf", "[service]\nstrict=yes\n" + sides, 0644);
    auto refused = load_config(strict);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("readable or writable by other users"),
              std::string::npos);
    chmod(key.c_str(), 0600);
    config = load_config(conf);
    ASSERT_TRUE(config.ok());
    EXPECT_TRUE(config->warnings.empty());
    EXPECT_TRUE(load_config(strict).ok());
}

TEST_F(ConfigFiles, TruststoreOrCrlThatDoesNotExistYetIsAWarningNamingTheSide) {
    auto conf = write("m.conf",
                      "[authenticate.client]\nx509.truststore=/nonexistent/ca.pem\n"
                      "[authenticate.server]\nx509.crl=/nonexistent/clients.crl\n",
                      0644);
    auto config = load_config(conf);
    ASSERT_TRUE(config.ok()) << config.error().message;
    ASSERT_EQ(config->warnings.size(), 2u);
    EXPECT_NE(
        config->warnings[0].find("[authenticate.client] x509.truststore '/nonexistent/ca.pem' "
                                 "does not exist: client x509 and unauthenticated handshakes"),
        std::string::npos)
        << config->warnings[0];
    EXPECT_NE(config->warnings[1].find("[authenticate.server] x509.crl '/nonexistent/clients.crl' "
                                       "does not exist: server x509 handshakes"),
              std::string::npos)
        << config->warnings[1];
    // Said here, so the engine does not say it again at start.
    EXPECT_TRUE(config->engine.client.missing_trust_reported);
    EXPECT_TRUE(config->engine.server.missing_trust_reported);
}

TEST_F(ConfigFiles, MissingCertificateIsAnErrorNamingTheFile) {
    auto key = write("k2.pem", "key", 0600);
    auto conf = write("n.conf",
                      "[authenticate.client]\nx509.certificate=/nonexistent/c.pem\n"
                      "x509.private_key=" +
                          key + "\n",
                      0644);
    auto config = load_config(conf);
    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message.find("x509.certificate: cannot read '/nonexistent/c.pem'"),
              std::string::npos)
        << config.error().message;
}

TEST_F(ConfigFiles, TlshdTagsDirectoryIsReportedAsIgnored) {
    const std::string dir = directory_ + "/tagged";
    mkdir(dir.c_str(), 0755);
    mkdir((dir + "/tags.d").c_str(), 0755);
    auto conf = write("tagged/config", "[debug]\nloglevel=0\n", 0644);
    auto config = load_config(conf);
    ASSERT_TRUE(config.ok()) << config.error().message;
    EXPECT_TRUE(config->warnings.empty()) << "an empty tags.d holds no tags";
    write("tagged/tags.d/nfs.yml", "tags: {}\n", 0644);
    config = load_config(conf);
    ASSERT_TRUE(config.ok());
    ASSERT_EQ(config->warnings.size(), 1u);
    EXPECT_EQ(config->warnings[0], dir +
                                       "/tags.d: ignored: session tags are not implemented; DONE "
                                       "carries no tags");
}

TEST_F(ConfigFiles, MissingConfigFileIsAnError) {
    auto config = load_config(directory_ + "/does-not-exist.conf");
    ASSERT_FALSE(config.ok());
    EXPECT_NE(config.error().message.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace handshaked::config
