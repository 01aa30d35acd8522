// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/log/log.h"

#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "service/registry/registry.h"

namespace handshaked::log {
namespace {

std::atomic<bool> g_stderr{true};
std::atomic<bool> g_journal{false};
std::atomic<int> g_loglevel{0};
std::mutex g_stderr_mutex;

int priority(Level level) {
    switch (level) {
        case Level::kError: return LOG_ERR;
        case Level::kWarning: return LOG_WARNING;
        case Level::kInfo: return LOG_INFO;
        case Level::kDebug: return LOG_DEBUG;
    }
    return LOG_INFO;
}

void to_stderr(std::string_view message) {
    std::lock_guard lock(g_stderr_mutex);
    std::fprintf(stderr, "handshaked: %.*s\n", static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
}

std::string serial_list(const std::vector<KeySerial>& serials) {
    std::string text;
    for (KeySerial serial : serials) {
        if (!text.empty()) text += ",";
        text += std::to_string(serial);
    }
    return text.empty() ? "-" : text;
}

}  // namespace

void configure(bool mirror_to_stderr, int loglevel) {
    // The journal's socket exists when journald runs (under systemd, or booted with it).
    const bool journal = access("/run/systemd/journal/socket", W_OK) == 0;
    g_journal = journal;
    g_stderr = mirror_to_stderr || !journal;
    g_loglevel = loglevel;
}

void set_loglevel(int loglevel) { g_loglevel = loglevel; }

bool to_stderr_enabled() { return g_stderr.load(); }

void line(Level level, std::string_view message) {
    if (level == Level::kDebug && g_loglevel.load() <= 0) return;
    if (g_journal) {
        sd_journal_send("MESSAGE=%.*s", static_cast<int>(message.size()), message.data(),
                        "PRIORITY=%d", priority(level), "SYSLOG_IDENTIFIER=handshaked",
                        "SYSLOG_FACILITY=%d", LOG_AUTH >> 3, nullptr);
    }
    if (g_stderr) to_stderr(message);
}

void handshake(const registry::CompletedHandshake& c) {
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.1f", c.duration_ms);
    const std::string peer =
        c.peername.empty() ? c.peer_address : c.peername + " (" + c.peer_address + ")";
    std::string message =
        "handshake " + std::to_string(c.id) + " " + std::string(role_name(c.role)) + " " +
        std::string(auth_mode_name(c.auth)) + " peer " + peer + ": " +
        (c.status == 0 ? "ok" : "failed") + " status " + std::string(errno_name(c.status)) +
        " cipher " + (c.cipher.empty() ? "-" : c.cipher) + " group " +
        (c.key_exchange_group.empty() ? "-" : c.key_exchange_group) + " " + duration +
        " ms remote-auth " + serial_list(c.remote_auth);
    if (!c.detail.empty()) message += " (" + c.detail + ")";
    if (g_journal) {
        sd_journal_send(
            "MESSAGE=%s", message.c_str(), "PRIORITY=%d", c.status == 0 ? LOG_INFO : LOG_WARNING,
            "SYSLOG_IDENTIFIER=handshaked", "SYSLOG_FACILITY=%d", LOG_AUTH >> 3,
            "HANDSHAKE_ID=%llu", static_cast<unsigned long long>(c.id), "HANDSHAKE_ROLE=%s",
            std::string(role_name(c.role)).c_str(), "HANDSHAKE_AUTH=%s",
            std::string(auth_mode_name(c.auth)).c_str(), "HANDSHAKE_PEER_ADDRESS=%s",
            c.peer_address.c_str(), "HANDSHAKE_PEERNAME=%s", c.peername.c_str(),
            "HANDSHAKE_CIPHER=%s", c.cipher.c_str(), "HANDSHAKE_KEY_EXCHANGE_GROUP=%s",
            c.key_exchange_group.c_str(), "HANDSHAKE_STATUS=%u", c.status,
            "HANDSHAKE_STATUS_NAME=%s", std::string(errno_name(c.status)).c_str(),
            "HANDSHAKE_DURATION_MS=%s", duration, "HANDSHAKE_REQUESTED_SERIALS=%s",
            serial_list(c.requested_serials).c_str(), "HANDSHAKE_REMOTE_AUTH=%s",
            serial_list(c.remote_auth).c_str(), "HANDSHAKE_WORKER=%d", c.worker, nullptr);
    }
    if (g_stderr) to_stderr(message);
}

}  // namespace handshaked::log
