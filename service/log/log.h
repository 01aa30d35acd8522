// SPDX-License-Identifier: GPL-2.0-or-later
// Logging: the journal (with structured fields) when it is there, stderr otherwise or in
// addition with -s. Never pass key material to these functions.
#pragma once

#include <string_view>

namespace handshaked::registry {
struct CompletedHandshake;
}

namespace handshaked::log {

enum class Level { kError, kWarning, kInfo, kDebug };

void configure(bool mirror_to_stderr, int loglevel);
void set_loglevel(int loglevel);
// Whether log lines already reach standard error.
bool to_stderr_enabled();
void line(Level level, std::string_view message);
inline void error(std::string_view message) { line(Level::kError, message); }
inline void warning(std::string_view message) { line(Level::kWarning, message); }
inline void info(std::string_view message) { line(Level::kInfo, message); }
inline void debug(std::string_view message) { line(Level::kDebug, message); }

// One line per handshake: peer, role, auth mode, cipher, status, milliseconds, key serials.
void handshake(const registry::CompletedHandshake& completed);

}  // namespace handshaked::log
