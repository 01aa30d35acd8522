// SPDX-License-Identifier: GPL-2.0-or-later
// Whether every worker's event loop is still turning. Each worker publishes, lock-free, when it
// last made progress and the earliest deadline it holds; the main thread judges the pulses before
// each watchdog ping (a wedged worker must stop the pings, so that systemd restarts the service),
// and the metrics show them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/job/handshake_job.h"

namespace handshaked::registry {

// One worker as an observer sees it.
struct WorkerPulse {
    int worker = 0;
    // Out of epoll_wait since its last progress (a turn began, an event or request was handled);
    // only for the metrics: waiting or busy, no progress for too long is a fault.
    bool busy = false;
    job::Clock::time_point last_progress{};
    // The earliest deadline among the worker's jobs when it last went to wait.
    std::optional<job::Clock::time_point> earliest_deadline;
    std::uint32_t jobs = 0;
    bool exited = false;  // the thread's loop returned
    bool ready_reader =
        false;  // the READY reader's slot, not a worker's (workers/ready_dispatcher)
};

struct LivenessLimits {
    // Longest a worker may go without an event-loop turn or other progress, waiting or not:
    // idle workers wake every heartbeat() to show they still turn.
    std::chrono::milliseconds stalled_turn{10'000};
    // How long past a job's deadline the worker may take to answer it.
    std::chrono::milliseconds deadline_grace{10'000};

    // How often an idle worker wakes: a third of the limit, so a late wake-up is no fault.
    std::chrono::milliseconds heartbeat() const { return stalled_turn / 3; }
};

struct LivenessVerdict {
    bool healthy = true;
    std::string reason;  // for the log and STATUS=, empty when healthy
};

// Pure, so every way a worker can wedge is a unit test. stopping: exits are expected.
LivenessVerdict judge_liveness(const std::vector<WorkerPulse>& pulses, job::Clock::time_point now,
                               const LivenessLimits& limits, bool stopping = false);

// Healthy for the metrics: the same judgement, one worker at a time.
bool worker_healthy(const WorkerPulse& pulse, job::Clock::time_point now,
                    const LivenessLimits& limits);

class LivenessBoard {
public:
    // Sized once, before the threads start; the slots never move. With ready_reader, one more
    // slot, the last, is the READY reader's.
    void reset(std::size_t workers, bool ready_reader = false);
    std::size_t size() const { return count_; }
    int ready_reader_slot() const { return static_cast<int>(count_) - 1; }

    // Worker side: relaxed atomic stores, nothing else (they are on every loop turn).
    void progress(int worker, job::Clock::time_point now);
    void waiting(int worker, std::uint32_t jobs,
                 std::optional<job::Clock::time_point> earliest_deadline);
    void exited(int worker);

    std::vector<WorkerPulse> pulses() const;

private:
    struct Slot {
        std::atomic<std::int64_t> last_progress_ns{0};
        std::atomic<std::int64_t> earliest_deadline_ns{0};  // 0: no job holds one
        std::atomic<std::uint32_t> jobs{0};
        std::atomic<bool> busy{false};
        std::atomic<bool> exited{false};
    };
    std::unique_ptr<Slot[]> slots_;
    std::size_t count_ = 0;
    bool has_ready_reader_ = false;
};

}  // namespace handshaked::registry
