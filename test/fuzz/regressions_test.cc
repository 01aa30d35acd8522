// SPDX-License-Identifier: GPL-2.0-or-later
// Every crash the fuzz targets (test/fuzz/*_fuzz.cc) found, as a plain test, with the input
// byte for byte. See docs/fuzzing.md for how each was found and reproduced.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "netlink/wire.h"

namespace handshaked::netlink {
namespace {

// split_messages fuzz, crash-35c18380151ffebceca65d0d768d1b838f47023e (reduced): an NLMSG_ERROR
// whose error field is INT_MIN. split_messages() negated it to get the positive errno:
//   netlink/wire.cc:128:29: runtime error: negation of -2147483648 cannot be represented in
//   type 'int'
// (UB; without sanitizers the "positive errno" came out as INT_MIN). The kernel only sends 0 or
// -errno, but the splitter must not trust that: such a message is an error with a positive errno.
TEST(FuzzRegression, NlmsgErrorWithIntMinErrorIsAPositiveErrno) {
    const std::vector<std::uint8_t> buffer = {
        0x14, 0x00, 0x00, 0x00,  // nlmsg_len 20
        0x02, 0x00, 0x00, 0x00,  // NLMSG_ERROR, flags 0
        0x09, 0x00, 0x00, 0x00,  // seq 9
        0x00, 0x00, 0x00, 0x00,  // pid 0
        0x00, 0x00, 0x00, 0x80,  // nlmsgerr.error = INT_MIN (no echoed request)
    };
    const auto messages = split_messages(buffer, 0x20);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].kind, IncomingMessage::Kind::kError);
    EXPECT_EQ(messages[0].sequence, 9u);
    EXPECT_GT(messages[0].error, 0);
}

// The fuzzer's original input: the same header with 4 more bytes past nlmsg_len, and the
// DONE-policy reader's path (genl_socket.cc stops the dump at a kError message).
TEST(FuzzRegression, OriginalSplitMessagesCrashInput) {
    const std::vector<std::uint8_t> buffer = {
        0x14, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
        0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0xfe, 0xff, 0xff, 0xff,
    };
    const auto messages = split_messages(buffer, 0x10);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_EQ(messages[0].kind, IncomingMessage::Kind::kError);
    EXPECT_GT(messages[0].error, 0);
}

}  // namespace
}  // namespace handshaked::netlink
