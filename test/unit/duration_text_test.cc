// SPDX-License-Identifier: GPL-2.0-or-later
// Durations in the log lines of the watchdog and of requests refused under overload.
#include <gtest/gtest.h>

#include "base/duration_text.h"

namespace handshaked {
namespace {

using namespace std::chrono_literals;

TEST(DurationText, MillisecondsBelowASecondAndSecondsFromOne) {
    EXPECT_EQ(duration_text(319ms), "319 ms");
    EXPECT_EQ(duration_text(999ms), "999 ms");
    EXPECT_EQ(duration_text(1s), "1.0 s");
    EXPECT_EQ(duration_text(3140ms), "3.1 s");
}

TEST(DurationText, ATimeAlreadyPastIsZero) { EXPECT_EQ(duration_text(-5ms), "0 ms"); }

}  // namespace
}  // namespace handshaked
