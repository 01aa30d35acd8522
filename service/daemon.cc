// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/daemon.h"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "service/log/log.h"
#include "service/tls/wolfssl/wolfssl_engine.h"

namespace handshaked {
namespace {

// Every job in flight holds its socket's fd (the kernel installs it at ACCEPT); wolfSSL's random
// numbers come from getrandom(2) (third_party/wolfssl/kernel_random.cc) and hold none. The
// usual soft limit of 1024 (systemd's default, hard limit
// 524288) is less than the 2 x 1,024 jobs two workers hold at their default capacity: at 1,000
// concurrent loopback pairs, ACCEPTs failed (the kernel answers EIO to the consumer) and so did
// wolfSSL_new. Raise the soft limit, within the hard one, to what the workers can hold.
void raise_open_file_limit(unsigned workers, const config::Config& config) {
    const rlim_t wanted = static_cast<rlim_t>(workers) * config.max_handshakes_per_worker + 64;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted)
        log::warning("the open-file limit is below the " + std::to_string(wanted) +
                     " fds the workers can hold at max_handshakes_per_worker; raise LimitNOFILE");
}

// CAP_NET_ADMIN in the effective set, asked of the kernel (no libcap for one bit).
bool has_net_admin() {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (syscall(SYS_capget, &header, data) != 0) return false;
    return (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

}  // namespace

Result<std::shared_ptr<ConfigGeneration>> build_generation(const std::string& path,
                                                           tls::EngineLog engine_log) {
    auto generation = std::make_shared<ConfigGeneration>();
    if (path.empty()) {
        generation->config = config::Config{};
    } else {
        auto loaded = config::load_config(path);
        if (!loaded) return loaded.error();
        generation->config = std::move(loaded.value());
    }
    auto engine = tls::make_wolfssl_engine(generation->config.engine, std::move(engine_log));
    if (!engine) return engine.error();
    generation->engine = std::move(engine.value());
    generation->keys = std::make_unique<keys::KeyutilsKeyStore>(
        generation->config.keyrings, generation->config.peer_certificate_lifetime_s);
    return generation;
}

namespace {

void log_engine_note(std::string_view message) { log::warning(message); }

// Said at every load, so an operator sees what the file asks for that is not used as written.
void log_config_warnings(const config::Config& config) {
    for (const auto& warning : config.warnings) log::warning("config: " + warning);
}

}  // namespace

Daemon::Daemon(std::string config_path) : config_path_(std::move(config_path)) {}

Daemon::~Daemon() { stop(); }

Result<void> Daemon::start(const BackoffWait& wait) {
    auto generation = build_generation(config_path_, log_engine_note);
    if (!generation) return generation.error();
    log_config_warnings(generation.value()->config);
    log::set_loglevel(generation.value()->config.loglevel);
    if (auto linked = generation.value()->keys->link_consumer_keyrings(); !linked)
        return linked.error();
    facilities_.keyrings = "ok";
    context_.generation.set(generation.value());

    auto family = discover_with_backoff(netlink::discover_kernel_family, wait);
    if (!family) return family.error();
    facilities_.family = family.value();
    facilities_.ktls = ktls::probe_tls_ulp();
    facilities_.net_admin = has_net_admin();
    log::info("kernel: " + describe_facilities(facilities_));
    if (auto usable = require_facilities(facilities_); !usable) return usable.error();
    context_.family = family.value();

    unsigned count = generation.value()->config.workers;
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    raise_open_file_limit(count, generation.value()->config);
    context_.liveness.reset(count, /*ready_reader=*/true);
    std::vector<workers::Worker*> pool;
    for (unsigned i = 0; i < count; ++i) {
        auto worker = std::make_unique<workers::Worker>(static_cast<int>(i), context_);
        if (auto opened = worker->open(); !opened) return opened.error();
        pool.push_back(worker.get());
        workers_.push_back(std::move(worker));
    }
    dispatcher_ = std::make_unique<workers::ReadyDispatcher>(context_, std::move(pool),
                                                             context_.liveness.ready_reader_slot());
    // Joined before the workers drain: a request queued after a worker's drain found the queue
    // empty has its READY read here.
    if (auto opened = dispatcher_->open(); !opened) return opened.error();
    for (auto& worker : workers_) threads_.emplace_back([w = worker.get()] { w->run(); });
    threads_.emplace_back([d = dispatcher_.get()] { d->run(); });
    log::info("serving the kernel's handshake requests with " + std::to_string(count) +
              " workers (" + std::string(generation.value()->engine->library_name()) + ", config " +
              (config_path_.empty() ? std::string("built-in defaults") : config_path_) + ")");
    return {};
}

Result<void> Daemon::reload() {
    const std::lock_guard lock(reload_mutex_);
    auto generation = build_generation(config_path_, log_engine_note);
    if (!generation) {
        log::error("reload refused, keeping the running configuration: " +
                   generation.error().message);
        return generation.error();
    }
    log_config_warnings(generation.value()->config);
    // The running keyrings stay usable if this fails; say so rather than drop it.
    if (auto linked = generation.value()->keys->link_consumer_keyrings(); !linked)
        log::warning("reload: " + linked.error().message);
    log::set_loglevel(generation.value()->config.loglevel);
    raise_open_file_limit(static_cast<unsigned>(workers_.size()), generation.value()->config);
    context_.generation.set(generation.value());
    log::info("configuration reloaded from " +
              (config_path_.empty() ? std::string("built-in defaults") : config_path_));
    return {};
}

void Daemon::stop() {
    if (dispatcher_) dispatcher_->request_stop();
    for (auto& worker : workers_) worker->request_stop();
    for (auto& thread : threads_) {
        if (thread.joinable()) thread.join();
    }
    threads_.clear();
    dispatcher_.reset();
    workers_.clear();
}

std::string Daemon::status_line() const {
    auto counters = context_.registry.counters();
    return "in flight " + std::to_string(counters.in_flight) + ", succeeded " +
           std::to_string(counters.succeeded) + ", failed " + std::to_string(counters.failed) +
           "; " + describe_facilities(facilities_);
}

}  // namespace handshaked
