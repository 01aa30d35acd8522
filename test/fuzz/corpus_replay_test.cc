// SPDX-License-Identifier: GPL-2.0-or-later
// Runs every fuzz target (compiled by GCC here, with the entry point renamed per target in
// BUILD) over its committed seed corpus, so the seeds and the targets' invariants are part of
// the ordinary and the ASan test runs, not only of scripts/fuzz.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int accept_reply_fuzz_one(const std::uint8_t*, std::size_t);
extern "C" int split_messages_fuzz_one(const std::uint8_t*, std::size_t);
extern "C" int done_policy_fuzz_one(const std::uint8_t*, std::size_t);
extern "C" int done_roundtrip_fuzz_one(const std::uint8_t*, std::size_t);
extern "C" int config_fuzz_one(const std::uint8_t*, std::size_t);
extern "C" int psk_identity_fuzz_one(const std::uint8_t*, std::size_t);
extern "C" int client_hello_fuzz_one(const std::uint8_t*, std::size_t);

namespace {

using Target = int (*)(const std::uint8_t*, std::size_t);

std::filesystem::path corpus_directory(const std::string& target) {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    const char* workspace = std::getenv("TEST_WORKSPACE");
    std::filesystem::path root =
        srcdir ? std::filesystem::path(srcdir) / (workspace ? workspace : "handshaked")
               : std::filesystem::path(".");
    return root / "test/fuzz/corpus" / target;
}

void replay(const std::string& target, Target run) {
    const auto directory = corpus_directory(target);
    ASSERT_TRUE(std::filesystem::is_directory(directory)) << directory;
    int inputs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        std::ifstream file(entry.path(), std::ios::binary);
        std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                        std::istreambuf_iterator<char>());
        SCOPED_TRACE(entry.path().string());
        EXPECT_EQ(run(bytes.data(), bytes.size()), 0);
        ++inputs;
    }
    EXPECT_GT(inputs, 0) << "no seeds in " << directory;
}

TEST(CorpusReplay, AcceptReply) { replay("accept_reply", accept_reply_fuzz_one); }
TEST(CorpusReplay, SplitMessages) { replay("split_messages", split_messages_fuzz_one); }
TEST(CorpusReplay, DonePolicy) { replay("done_policy", done_policy_fuzz_one); }
TEST(CorpusReplay, DoneRoundtrip) { replay("done_roundtrip", done_roundtrip_fuzz_one); }
TEST(CorpusReplay, Config) { replay("config", config_fuzz_one); }
TEST(CorpusReplay, PskIdentity) { replay("psk_identity", psk_identity_fuzz_one); }
TEST(CorpusReplay, ClientHello) { replay("client_hello", client_hello_fuzz_one); }

}  // namespace
