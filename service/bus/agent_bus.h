// SPDX-License-Identifier: GPL-2.0-or-later
// The D-Bus face of the service (org.handshaked.Agent1 on the system bus). A thin adapter: it
// reads the Registry and forwards Reload(); it never drives a handshake. The sd-bus types stay
// in agent_bus.cc so nothing else includes sd-bus headers.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "service/bus/agent1_api.h"
#include "service/registry/liveness.h"
#include "service/registry/registry.h"

namespace handshaked::bus {

struct BusInfo {
    std::string version;
    std::string kernel_support;  // the start-up check's facility line (self_check.h)
    std::string config_path;
    unsigned workers = 0;
    // Besides root, the group that may read properties and history. Asked on every access, so
    // a reload that changes it applies at once.
    std::function<std::string()> read_group;
    // For Metrics(): the workers' pulses as the watchdog judges them, and the build.
    const registry::LivenessBoard* liveness = nullptr;
    registry::LivenessLimits liveness_limits;
    std::string agent_version;  // "0.1.0"
    std::string tls_library;
    double start_time_unix_s = 0;
};

class AgentBus {
public:
    using ReloadFunction = std::function<Result<void>()>;

    // Connects to the system bus, exports the object, takes the name and runs its own thread.
    static Result<std::unique_ptr<AgentBus>> start(registry::Registry& registry, BusInfo info,
                                                   ReloadFunction reload);
    ~AgentBus();
    AgentBus(const AgentBus&) = delete;
    AgentBus& operator=(const AgentBus&) = delete;

    struct Impl;
    explicit AgentBus(std::unique_ptr<Impl> impl);  // use start()

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace handshaked::bus
