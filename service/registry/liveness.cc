// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/registry/liveness.h"

#include "base/duration_text.h"

namespace handshaked::registry {
namespace {

std::int64_t to_ns(job::Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

job::Clock::time_point from_ns(std::int64_t ns) {
    return job::Clock::time_point(
        std::chrono::duration_cast<job::Clock::duration>(std::chrono::nanoseconds(ns)));
}

// Empty when the worker is fine, else why not.
std::string worker_fault(const WorkerPulse& pulse, job::Clock::time_point now,
                         const LivenessLimits& limits, bool stopping) {
    const std::string who = pulse.ready_reader ? std::string("the READY reader")
                                               : "worker " + std::to_string(pulse.worker);
    if (pulse.exited) return stopping ? std::string() : who + " has stopped serving";
    if (now - pulse.last_progress > limits.stalled_turn)
        return who + " has not turned its event loop for " +
               duration_text(now - pulse.last_progress) + " (" +
               (pulse.busy ? "busy" : "in epoll_wait") + ", " + std::to_string(pulse.jobs) +
               " jobs)";
    if (pulse.earliest_deadline && now - *pulse.earliest_deadline > limits.deadline_grace)
        return who + " is " + duration_text(now - *pulse.earliest_deadline) +
               " past the deadline of a handshake it holds";
    return {};
}

}  // namespace

LivenessVerdict judge_liveness(const std::vector<WorkerPulse>& pulses, job::Clock::time_point now,
                               const LivenessLimits& limits, bool stopping) {
    LivenessVerdict verdict;
    for (const auto& pulse : pulses) {
        auto fault = worker_fault(pulse, now, limits, stopping);
        if (fault.empty()) continue;
        verdict.healthy = false;
        verdict.reason += (verdict.reason.empty() ? "" : "; ") + fault;
    }
    return verdict;
}

bool worker_healthy(const WorkerPulse& pulse, job::Clock::time_point now,
                    const LivenessLimits& limits) {
    return worker_fault(pulse, now, limits, false).empty();
}

void LivenessBoard::reset(std::size_t workers, bool ready_reader) {
    count_ = workers + (ready_reader ? 1 : 0);
    slots_ = std::make_unique<Slot[]>(count_);
    has_ready_reader_ = ready_reader;
    // A thread that has not run yet is not wedged: its time starts now.
    const auto now = to_ns(job::Clock::now());
    for (std::size_t i = 0; i < count_; ++i) slots_[i].last_progress_ns.store(now);
}

void LivenessBoard::progress(int worker, job::Clock::time_point now) {
    Slot& slot = slots_[static_cast<std::size_t>(worker)];
    slot.last_progress_ns.store(to_ns(now), std::memory_order_relaxed);
    slot.busy.store(true, std::memory_order_relaxed);
}

void LivenessBoard::waiting(int worker, std::uint32_t jobs,
                            std::optional<job::Clock::time_point> earliest_deadline) {
    Slot& slot = slots_[static_cast<std::size_t>(worker)];
    slot.jobs.store(jobs, std::memory_order_relaxed);
    slot.earliest_deadline_ns.store(earliest_deadline ? to_ns(*earliest_deadline) : 0,
                                    std::memory_order_relaxed);
    slot.busy.store(false, std::memory_order_relaxed);
}

void LivenessBoard::exited(int worker) {
    slots_[static_cast<std::size_t>(worker)].exited.store(true, std::memory_order_relaxed);
}

std::vector<WorkerPulse> LivenessBoard::pulses() const {
    std::vector<WorkerPulse> pulses(count_);
    for (std::size_t i = 0; i < count_; ++i) {
        const Slot& slot = slots_[i];
        WorkerPulse& pulse = pulses[i];
        pulse.worker = static_cast<int>(i);
        pulse.busy = slot.busy.load(std::memory_order_relaxed);
        pulse.last_progress = from_ns(slot.last_progress_ns.load(std::memory_order_relaxed));
        if (auto deadline = slot.earliest_deadline_ns.load(std::memory_order_relaxed))
            pulse.earliest_deadline = from_ns(deadline);
        pulse.jobs = slot.jobs.load(std::memory_order_relaxed);
        pulse.exited = slot.exited.load(std::memory_order_relaxed);
        pulse.ready_reader = has_ready_reader_ && i + 1 == count_;
    }
    return pulses;
}

}  // namespace handshaked::registry
