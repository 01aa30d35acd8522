// SPDX-License-Identifier: GPL-2.0-or-later
// org.handshaked.Agent1 as both ends of the bus see it: the daemon's adapter (agent_bus.cc) and
// handshakectl. docs/dbus-api.md describes every field; a change here is a change of the API.
#pragma once

namespace handshaked::bus {

inline constexpr char kBusName[] = "org.handshaked.Agent1";
inline constexpr char kObjectPath[] = "/org/handshaked/Agent1";
inline constexpr char kInterface[] = "org.handshaked.Agent1";

// One ListHandshakes() entry: id, role, auth, peer_address, peername, cipher, status,
// status_name, duration_ms, remote_auth, finished_unix_ms, detail, key_exchange_group.
inline constexpr char kHistoryEntry[] = "tsssssusdaixss";
inline constexpr char kHistoryEntryInArray[] = "(tsssssusdaixss)";
inline constexpr char kHistory[] = "a(tsssssusdaixss)";

}  // namespace handshaked::bus
