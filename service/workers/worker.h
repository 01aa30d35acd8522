// SPDX-License-Identifier: GPL-2.0-or-later
// A long-lived worker thread: its own netlink sockets, its own ACCEPTs (the kernel installs the
// fd in the process that asks), and many handshakes at once on one epoll loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

#include "base/unique_fd.h"
#include "netlink/genl_socket.h"
#include "service/config/config.h"
#include "service/job/handshake_job.h"
#include "service/job/linux_effects.h"
#include "service/keys/keyutils_key_store.h"
#include "service/registry/registry.h"
#include "service/service_state.h"
#include "service/workers/schedule.h"

namespace handshaked::workers {

class Worker {
public:
    Worker(int index, ServiceState& context);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Open the worker's netlink sockets and event loop. Fails if the kernel family is unusable.
    Result<void> open();
    // The thread body: returns after request_stop(), with every job answered.
    void run();
    // Thread-safe.
    void request_stop();
    // From the READY reader (thread-safe): requests > 0 READYs are this worker's to ACCEPT.
    void grant(int requests);
    // From the READY reader after lost READYs (thread-safe): ACCEPT until the queue is empty.
    void request_drain();
    // Jobs held plus ACCEPTs granted and not yet made, as last published; the largest value
    // once the worker's loop has ended, so it is never chosen again (thread-safe).
    unsigned load() const;

private:
    struct ActiveJob {
        std::unique_ptr<job::HandshakeJob> job;
        std::shared_ptr<ConfigGeneration> generation;  // the configuration it started with
        job::Wait armed_for = job::Wait::kNothing;     // what epoll watches; kNothing: not added
        bool started = false;                          // start() ran (a refused job never starts)
        job::Clock::duration spent{};                  // worker time in its steps
        job::JobState reported_state = job::JobState::kAccepted;  // what the registry last saw
        bool done_delayed = false;  // finished, its DONE held back by [debug] delay_done
    };

    // ACCEPT until the kernel has nothing pending or this worker is full; returns how many.
    int drain_requests();
    // One ACCEPT per granted READY (this worker's, then the pool's), while there is room.
    void accept_granted();
    enum class Accept {
        kTaken,   // a request was taken (and started, or answered)
        kEmpty,   // nothing was pending (counted: a round trip for nothing)
        kFailed,  // the ACCEPT itself failed (transport): whether one was pending is unknown
    };
    Accept accept_one();
    void wake();
    ActiveJob make_job(HandshakeRequest request);
    // Queues a new job: it starts when it is the earliest deadline with something to do.
    void queue_job(ActiveJob active);
    // One step of the earliest-deadline job in the run queue: its start (or its refusal, when it
    // could no longer finish in time) or its I/O.
    void run_earliest();
    void apply(int fd, job::Wait wait);
    void finish(int fd);
    void answer_rejected(const netlink::RejectedAccept& rejected);
    void expire_deadlines();
    // Sends the DONEs that [debug] delay_done held back and whose time has come.
    void release_delayed_done();
    // Give free heap and unused stack back to the system (after kIdleReleaseMs idle).
    void release_idle_memory();
    int epoll_timeout_ms() const;
    unsigned capacity() const;

    int index_;
    ServiceState& context_;
    std::unique_ptr<netlink::RequestChannel> channel_;
    UniqueFd epoll_;
    UniqueFd wake_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> granted_{0};  // READYs handed to this worker, not yet ACCEPTed
    std::atomic<bool> drain_requested_{false};
    std::atomic<unsigned> published_jobs_{0};  // jobs_.size(), for load()
    std::atomic<bool> loop_ended_{false};
    bool requests_may_be_pending_ = true;  // drain at start-up
    bool idle_memory_released_ = false;    // release_idle_memory() ran since the last job started
    std::map<int, ActiveJob> jobs_;
    // The jobs' deadlines in order: the loop reads the earliest after every wake-up, and a scan
    // of jobs_ there cost O(jobs) per event (up to 1,024 per worker).
    std::set<std::pair<job::Clock::time_point, int>> deadlines_;
    // Jobs to start and jobs whose socket is ready, earliest deadline first (schedule.h).
    RunQueue runnable_;
    Admission admission_;
    // Finished jobs whose DONE waits for [debug] delay_done, by when it is due: the loop goes on
    // serving the worker's other jobs meanwhile (tlshd sleeps in a process of its own).
    std::set<std::pair<job::Clock::time_point, int>> delayed_done_;
    job::LinuxSocketOps socket_ops_;
    job::LinuxKtlsInstaller ktls_;
};

}  // namespace handshaked::workers
