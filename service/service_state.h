// SPDX-License-Identifier: GPL-2.0-or-later
// The service's state: the configuration generation in force, and what lives as long as the
// process (the kernel family, the registry, the keyring link routine, job ids). The daemon builds
// it; workers and the D-Bus adapter read it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "netlink/genl_socket.h"
#include "service/config/config.h"
#include "service/keys/keyutils_key_store.h"
#include "service/registry/liveness.h"
#include "service/registry/registry.h"
#include "service/tls/engine.h"

namespace handshaked {

// Everything that a configuration (re)load replaces at once. Jobs keep the generation they
// started with, so a reload never changes a handshake in flight.
struct ConfigGeneration {
    config::Config config;
    std::unique_ptr<tls::TlsEngine> engine;
    std::unique_ptr<keys::KeyutilsKeyStore> keys;
};

// The generation new jobs start with; swapped whole by a reload.
class CurrentGeneration {
public:
    std::shared_ptr<ConfigGeneration> get() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void set(std::shared_ptr<ConfigGeneration> generation) {
        std::lock_guard lock(mutex_);
        current_ = std::move(generation);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<ConfigGeneration> current_;
};

struct ServiceState {
    netlink::KernelFamily family;
    CurrentGeneration generation;
    registry::Registry registry;
    registry::LivenessBoard liveness;  // sized by the daemon before the workers start
    // READYs that no worker had room for when they came: the first worker with room takes them
    // (workers/ready_dispatcher.h), so none waits on a full worker while another could serve it.
    std::atomic<int> unassigned_requests{0};
    registry::LivenessLimits liveness_limits;  // the watchdog's; set before the workers start
    keys::RequestKeyringLinks keyring_links;
    std::atomic<std::uint64_t> next_job_id{1};
};

}  // namespace handshaked
