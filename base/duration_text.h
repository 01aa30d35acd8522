// SPDX-License-Identifier: GPL-2.0-or-later
// A duration as people read it in a log line: "319 ms" below a second, "3.1 s" from one on.
#pragma once

#include <chrono>
#include <string>

namespace handshaked {

std::string duration_text(std::chrono::nanoseconds duration);

}  // namespace handshaked
