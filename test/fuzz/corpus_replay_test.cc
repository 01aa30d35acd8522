// SPDX-License-Identifier: GPL-2.0-or-later
// Runs every fuzz target (compiled by GCC here, with the entry point renamed per target in
// BUILD, where each registers itself) over its committed seed corpus, so the seeds and the targets'
// invariants are part of the ordinary and the ASan test runs, not only of scripts/fuzz.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "test/fuzz/fuzz_support.h"

namespace {

using Target = int (*)(const std::uint8_t*, std::size_t);

std::filesystem::path corpus_root() {
    const char* srcdir = std::getenv("TEST_SRCDIR");
    const char* workspace = std::getenv("TEST_WORKSPACE");
    std::filesystem::path root =
        srcdir ? std::filesystem::path(srcdir) / (workspace ? workspace : "handshaked")
               : std::filesystem::path(".");
    return root / "test/fuzz/corpus";
}

std::filesystem::path corpus_directory(const std::string& target) { return corpus_root() / target; }

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

// Every target that registered (test/fuzz/BUILD links them all in), and every seed directory
// has its target: a target without seeds or seeds without a target is a failure.
TEST(CorpusReplay, EveryTargetOverItsSeeds) {
    const auto& targets = handshaked::fuzz::registered_targets();
    ASSERT_FALSE(targets.empty());
    std::set<std::string> names;
    for (const auto& target : targets) {
        SCOPED_TRACE(target.name);
        names.insert(target.name);
        replay(target.name, target.run);
    }
    EXPECT_EQ(names.size(), targets.size()) << "a target registered twice";
    for (const auto& entry : std::filesystem::directory_iterator(corpus_root())) {
        if (entry.is_directory()) {
            EXPECT_TRUE(names.count(entry.path().filename().string()))
                << "seeds without a fuzz target: " << entry.path();
        }
    }
}

}  // namespace
