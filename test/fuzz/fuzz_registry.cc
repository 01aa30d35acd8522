// SPDX-License-Identifier: GPL-2.0-or-later
// The fuzz targets linked into corpus_replay_test, as they register themselves at start-up.
#include "test/fuzz/fuzz_support.h"

namespace handshaked::fuzz {
namespace {

// A function-local static: targets register from other translation units' initialisers.
std::vector<RegisteredTarget>& targets() {
    static std::vector<RegisteredTarget> all;
    return all;
}

}  // namespace

bool register_target(const char* name, FuzzEntry run) {
    targets().push_back(RegisteredTarget{name, run});
    return true;
}

const std::vector<RegisteredTarget>& registered_targets() { return targets(); }

}  // namespace handshaked::fuzz
