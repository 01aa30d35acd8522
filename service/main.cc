// SPDX-License-Identifier: GPL-2.0-or-later
// handshaked: answers the Linux kernel's TLS handshake upcall. Command line and signals
// compatible with tlshd: handshaked [-c|--config FILE] [-s|--stderr] [-h|--help] [-v|--version];
// and handshaked --check-config [FILE] to vet a file before a start or reload uses it.
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "service/bus/agent_bus.h"
#include "service/check_config.h"
#include "service/daemon.h"
#include "service/log/log.h"
#include "service/registry/liveness.h"
#include "service/tls/wolfssl/wolfssl_engine.h"

#ifndef HANDSHAKED_VERSION
#define HANDSHAKED_VERSION "0.1.0"
#endif

namespace {

// Exit status when the running kernel has no 'handshake' family or no kTLS
// (RestartPreventExitStatus=).
constexpr int kExitNoKernelSupport = 3;

// The agent's version and the TLS library it was built with (statically linked, so the one
// that runs): "0.1.0, wolfSSL 5.9.2 (Debian source 5.9.2-1.2)".
std::string version_text() {
    return std::string(HANDSHAKED_VERSION) + ", " + handshaked::tls::wolfssl_version();
}

void usage(FILE* out) {
    std::fprintf(
        out,
        "usage: handshaked [-c|--config FILE] [-s|--stderr] [-h|--help] [-v|--version]\n"
        "       handshaked --check-config [FILE]\n"
        "  -c, --config FILE     configuration file (handshaked.conf(5) or tlshd's config);\n"
        "                        default /etc/handshaked/handshaked.conf, else /etc/tlshd/config\n"
        "  -s, --stderr          also log to standard error\n"
        "  -h, --help            this text\n"
        "  -v, --version         print the version\n"
        "      --check-config    load FILE (or the -c/default file) with every certificate, key,\n"
        "                        CRL and truststore it names, print what would be used and every\n"
        "                        warning; exit 0 if a start or reload would accept it, else 1\n");
}

}  // namespace

int main(int argc, char** argv) {
    static const option kOptions[] = {
        {"config", required_argument, nullptr, 'c'}, {"stderr", no_argument, nullptr, 's'},
        {"help", no_argument, nullptr, 'h'},         {"version", no_argument, nullptr, 'v'},
        {"check-config", no_argument, nullptr, 'C'}, {nullptr, 0, nullptr, 0},
    };
    std::string config_path;
    bool config_given = false;
    bool mirror_stderr = false;
    bool check_only = false;
    int option;
    while ((option = getopt_long(argc, argv, "c:shv", kOptions, nullptr)) != -1) {
        switch (option) {
            case 'c':
                config_path = optarg;
                config_given = true;
                break;
            case 's': mirror_stderr = true; break;
            case 'h': usage(stdout); return 0;
            case 'v': std::printf("handshaked %s\n", version_text().c_str()); return 0;
            case 'C': check_only = true; break;
            default: usage(stderr); return 2;
        }
    }
    if (check_only && optind + 1 == argc && !config_given) {
        config_path = argv[optind++];
        config_given = true;
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (!config_given) config_path = handshaked::config::default_config_path();
    if (check_only) return handshaked::check_config(config_path, stdout, stderr);
    handshaked::log::configure(mirror_stderr, 0);
    // No transparent huge pages: glibc gives each worker thread a heap in a 64 MiB mapping, and
    // with THP "always" (Debian's default) touching it faults in 2 MiB at a time. Measured in
    // the test guest: 4 MiB of AnonHugePages when idle, 14 MiB after 1,000 concurrent pairs.
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);

    // Signals are read synchronously from a signalfd in this thread; workers never see them.
    sigset_t signals;
    sigemptyset(&signals);
    for (int s : {SIGHUP, SIGUSR1, SIGINT, SIGTERM}) sigaddset(&signals, s);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);

    const double start_time_unix_s =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    // The watchdog's limits: a worker that makes no progress, or leaves a deadline unanswered,
    // for half the interval (at least 6 s) stops the pings, and systemd restarts the service.
    std::uint64_t watchdog_usec = 0;
    const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    handshaked::registry::LivenessLimits liveness_limits;
    if (watchdog) {
        // Never below 6 s: one ACCEPT or DONE may wait up to 5 s for the kernel's answer
        // (RequestChannel's receive timeout) without the worker being wedged.
        const auto half = std::max<std::chrono::milliseconds>(
            std::chrono::milliseconds(watchdog_usec / 2000), std::chrono::seconds(6));
        liveness_limits.stalled_turn = half;
        liveness_limits.deadline_grace = half;
    }
    const int tick_ms =
        watchdog ? static_cast<int>(std::max<std::uint64_t>(watchdog_usec / 4000, 100)) : 1000;

    handshaked::Daemon daemon(config_path);
    // A transient netlink error at start-up is waited out, visibly; SIGTERM ends the wait.
    auto wait_before_retry = [signal_fd](std::chrono::milliseconds delay,
                                         const handshaked::Error& why) {
        handshaked::log::warning(why.message + "; trying again in " +
                                 std::to_string(delay.count()) + " ms");
        sd_notifyf(0, "STATUS=waiting for the kernel: %s", why.message.c_str());
        pollfd fds{signal_fd, POLLIN, 0};
        if (poll(&fds, 1, static_cast<int>(delay.count())) <= 0) return true;
        signalfd_siginfo info{};
        if (read(signal_fd, &info, sizeof info) != sizeof info) return true;
        return info.ssi_signo == SIGHUP || info.ssi_signo == SIGUSR1;  // nothing to reload yet
    };
    daemon.context().liveness_limits = liveness_limits;  // the workers' heartbeat
    if (auto started = daemon.start(wait_before_retry); !started) {
        const auto& error = started.error();
        if (error.cause == handshaked::ErrorCause::kShuttingDown) {
            handshaked::log::info(error.message);
            return 0;
        }
        handshaked::log::error(error.message);
        if (!handshaked::log::to_stderr_enabled())
            std::fprintf(stderr, "handshaked: %s\n", error.message.c_str());
        sd_notifyf(0, "STATUS=failed: %s", error.message.c_str());
        // A kernel without the upcall or kTLS will not grow one: the unit does not restart on
        // this code.
        return error.cause == handshaked::ErrorCause::kUnsupportedKernel ? kExitNoKernelSupport : 1;
    }

    // SIGHUP and D-Bus Reload() do the same: tell systemd, swap the configuration generation (or
    // keep the old one and say why).
    auto reload_service = [&daemon]() -> handshaked::Result<void> {
        sd_notify(0, "RELOADING=1");
        auto reloaded = daemon.reload();
        sd_notify(0, "READY=1");
        return reloaded;
    };
    // D-Bus is for observing; the service works without a system bus (early boot, initramfs).
    handshaked::bus::BusInfo bus_info;
    bus_info.version = version_text();
    bus_info.kernel_support = daemon.facilities();
    bus_info.config_path = daemon.config_path();
    bus_info.workers = static_cast<unsigned>(daemon.worker_count());
    bus_info.read_group = [&daemon] {
        return daemon.context().generation.get()->config.read_group;
    };
    bus_info.liveness = &daemon.context().liveness;
    bus_info.liveness_limits = liveness_limits;
    bus_info.agent_version = HANDSHAKED_VERSION;
    bus_info.tls_library = handshaked::tls::wolfssl_version();
    bus_info.start_time_unix_s = start_time_unix_s;
    auto bus =
        handshaked::bus::AgentBus::start(daemon.context().registry, bus_info, reload_service);
    if (!bus) handshaked::log::warning(bus.error().message + " (continuing without D-Bus)");
    sd_notifyf(0, "READY=1\nSTATUS=%s", daemon.status_line().c_str());

    std::string last_status;
    std::string last_fault;
    for (;;) {
        pollfd fds{signal_fd, POLLIN, 0};
        int ready = poll(&fds, 1, tick_ms);
        const auto verdict = handshaked::registry::judge_liveness(
            daemon.context().liveness.pulses(), handshaked::job::Clock::now(), liveness_limits);
        if (verdict.healthy && watchdog) sd_notify(0, "WATCHDOG=1");
        if (verdict.reason != last_fault) {
            if (!verdict.healthy)
                handshaked::log::error(
                    "watchdog: " + verdict.reason +
                    (watchdog ? "; no longer telling systemd we are alive" : std::string()));
            else
                handshaked::log::info("watchdog: every worker is turning again");
            last_fault = verdict.reason;
        }
        auto status = daemon.status_line();
        if (!verdict.healthy) status = "wedged: " + verdict.reason;
        if (status != last_status) {
            sd_notifyf(0, "STATUS=%s", status.c_str());
            last_status = status;
        }
        if (ready <= 0) continue;
        signalfd_siginfo info{};
        if (read(signal_fd, &info, sizeof info) != sizeof info) continue;
        if (info.ssi_signo == SIGHUP || info.ssi_signo == SIGUSR1) {
            (void)reload_service();  // a refused file is logged; the running generation stays
            continue;
        }
        handshaked::log::info("stopping: answering the handshakes in flight");
        sd_notify(0, "STOPPING=1");
        daemon.stop();
        if (bus) bus->reset();
        const auto counters = daemon.context().registry.counters();
        handshaked::log::info("stopped after " + std::to_string(counters.accepted) +
                              " accepted requests: succeeded " +
                              std::to_string(counters.succeeded) + ", failed " +
                              std::to_string(counters.failed) +
                              " (not started, too late: " + std::to_string(counters.shed) +
                              "), empty ACCEPTs " + std::to_string(counters.empty_accepts));
        return 0;
    }
}
