// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/daemon.h"

#include "service/log/log.h"
#include "service/tls/wolfssl/wolfssl_engine.h"

namespace handshaked {

Result<std::shared_ptr<workers::ServiceSnapshot>> build_snapshot(const std::string& path) {
    auto snapshot = std::make_shared<workers::ServiceSnapshot>();
    if (path.empty()) {
        snapshot->config = config::Config{};
    } else {
        auto loaded = config::load_config(path);
        if (!loaded) return loaded.error();
        snapshot->config = std::move(loaded.value());
    }
    auto engine = tls::make_wolfssl_engine(snapshot->config.engine);
    if (!engine) return engine.error();
    snapshot->engine = std::move(engine.value());
    snapshot->keys = std::make_unique<keys::KeyutilsKeyStore>(snapshot->config.keyrings,
                                                              snapshot->config.peer_certificate_lifetime_s);
    return snapshot;
}

Daemon::Daemon(std::string config_path) : config_path_(std::move(config_path)) {}

Daemon::~Daemon() { stop(); }

Result<void> Daemon::start() {
    auto snapshot = build_snapshot(config_path_);
    if (!snapshot) return snapshot.error();
    log::set_loglevel(snapshot.value()->config.loglevel);
    if (auto linked = snapshot.value()->keys->link_consumer_keyrings(); !linked) return linked.error();
    context_.snapshot.set(snapshot.value());

    auto family = netlink::discover_kernel_family();
    if (!family) {
        kernel_unsupported_ = true;
        return family.error();
    }
    context_.family = family.value();
    log::info("kernel: " + context_.family.describe());

    unsigned count = snapshot.value()->config.workers;
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < count; ++i) {
        auto worker = std::make_unique<workers::Worker>(static_cast<int>(i), context_);
        if (auto opened = worker->open(); !opened) return opened.error();
        workers_.push_back(std::move(worker));
    }
    for (auto& worker : workers_) threads_.emplace_back([w = worker.get()] { w->run(); });
    log::info("serving the kernel's handshake requests with " + std::to_string(count) + " workers (" +
              std::string(snapshot.value()->engine->library_name()) + ", config " +
              (config_path_.empty() ? std::string("built-in defaults") : config_path_) + ")");
    return {};
}

Result<void> Daemon::reload() {
    auto snapshot = build_snapshot(config_path_);
    if (!snapshot) {
        log::error("reload refused, keeping the running configuration: " + snapshot.error().message);
        return snapshot.error();
    }
    snapshot.value()->keys->link_consumer_keyrings();
    log::set_loglevel(snapshot.value()->config.loglevel);
    context_.snapshot.set(snapshot.value());
    log::info("configuration reloaded from " + (config_path_.empty() ? std::string("built-in defaults") : config_path_));
    return {};
}

void Daemon::stop() {
    for (auto& worker : workers_) worker->request_stop();
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
    threads_.clear();
    workers_.clear();
}

std::string Daemon::status_line() const {
    auto counters = context_.registry.counters();
    return "in flight " + std::to_string(counters.in_flight) + ", succeeded " +
           std::to_string(counters.succeeded) + ", failed " + std::to_string(counters.failed);
}

}  // namespace handshaked
