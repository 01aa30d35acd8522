// SPDX-License-Identifier: GPL-2.0-or-later
// The service as a whole: configuration generations, the worker pool, reload and stop.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "service/self_check.h"
#include "service/workers/ready_dispatcher.h"
#include "service/workers/worker.h"

namespace handshaked {

// Load a configuration file (or built-in defaults when path is empty) and build everything a
// reload swaps in: the TLS engine with its parsed credentials and the key store. Touches neither
// the kernel's family nor any keyring. engine_log receives what the engine notes (at build and
// during sessions), the config's warnings stay in the generation's config.
Result<std::shared_ptr<ConfigGeneration>> build_generation(const std::string& path,
                                                           tls::EngineLog engine_log);

class Daemon {
public:
    explicit Daemon(std::string config_path);
    ~Daemon();

    // Load the configuration, check the kernel's facilities (waiting out transient netlink
    // errors with wait), open and start the workers. A kUnsupportedKernel error means this kernel
    // cannot serve (no family or no kTLS); kShuttingDown that wait gave up.
    Result<void> start(const BackoffWait& wait);
    // Re-read the configuration; on any error the running one stays and the error is returned.
    // SIGHUP (main thread) and D-Bus Reload() (the bus thread) may call it at once: one at a time.
    Result<void> reload();
    // Stop accepting, answer every job in flight, join the workers.
    void stop();

    ServiceState& context() { return context_; }
    const std::string& config_path() const { return config_path_; }
    std::size_t worker_count() const { return workers_.size(); }
    std::string status_line() const;
    // What start() found, one facility after the other (STATUS=, KernelSupport).
    std::string facilities() const { return describe_facilities(facilities_); }

private:
    std::string config_path_;
    ServiceState context_;
    std::vector<std::unique_ptr<workers::Worker>> workers_;
    std::unique_ptr<workers::ReadyDispatcher> dispatcher_;
    std::vector<std::thread> threads_;
    KernelFacilities facilities_;
    std::mutex reload_mutex_;  // serialises reload(): building, linking keyrings, the swap
};

}  // namespace handshaked
