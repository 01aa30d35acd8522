// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/duration_text.h"

#include <algorithm>
#include <cstdio>

namespace handshaked {

std::string duration_text(std::chrono::nanoseconds duration) {
    const double seconds = std::max(0.0, std::chrono::duration<double>(duration).count());
    char text[32];
    if (seconds < 1) {
        std::snprintf(text, sizeof text, "%.0f ms", seconds * 1000);
    } else {
        std::snprintf(text, sizeof text, "%.1f s", seconds);
    }
    return text;
}

}  // namespace handshaked
