// SPDX-License-Identifier: GPL-2.0-or-later
// In which order a worker serves its handshakes, and which ones it no longer starts.
//
// Serving every job in turn (the epoll loop's round robin) spreads the CPU over all of them
// alike: under overload all of them are late together, and the work done for the ones that then
// miss their deadline is lost (measured: RSA-2048 at 1,000 pairs lost a third of its requests
// and spent 14.5 ms of worker CPU per successful handshake instead of 9). So a worker runs, of
// the jobs that have something to do, the one whose deadline comes first (EDF). And before it
// starts a job it estimates when that job could be done: after the worker time the jobs already
// started still need (they have the earlier deadlines), plus one handshake's own. A job that
// could not finish before its deadline is answered ETIMEDOUT at once, before it costs anything;
// the consumer gets its answer early and retries, and the CPU goes to jobs that can still make it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <set>
#include <utility>

namespace handshaked::workers {

using ScheduleClock = std::chrono::steady_clock;

// Jobs (by fd) with something to do, earliest deadline first; ties go to the lower fd.
class RunQueue {
public:
    // A job already queued stays queued once.
    void push(ScheduleClock::time_point deadline, int fd) { entries_.emplace(deadline, fd); }
    void erase(ScheduleClock::time_point deadline, int fd) { entries_.erase({deadline, fd}); }
    std::optional<int> pop_earliest();
    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }

private:
    std::set<std::pair<ScheduleClock::time_point, int>> entries_;
};

// What one worker has learnt about the time a handshake takes it, and the start decision.
// Times are the worker's own: wall time inside the job's steps, so what the kernel's side of the
// upcall takes from the same CPU while a step runs is in it too.
class Admission {
public:
    using Duration = ScheduleClock::duration;

    // A job begins its first step.
    void started() { ++started_; }
    // One step of a started job took this long.
    void ran(Duration spent) { spent_by_started_ += spent; }
    // A started job ended, having taken `spent` in all. Only completed handshakes teach the
    // estimate: what a failure cost says nothing about what a handshake costs.
    void ended(Duration spent, bool completed);

    // One handshake's worker time as learnt: the median of the last kSamples completions, and
    // zero until kMinSamples have completed, so a fresh worker refuses nothing. A median, not
    // a mean: the first handshakes after start-up are cold (319 ms against ~30 in a -O0 build
    // under TCG), and a mean seeded with them refused 291 of 500 requests that could finish.
    Duration per_handshake() const { return per_handshake_; }
    static constexpr std::size_t kSamples = 16;
    static constexpr std::size_t kMinSamples = 8;
    unsigned started_jobs() const { return started_; }
    // What the started jobs still need, by the estimate.
    Duration backlog() const;
    // When a job started now would be done: after the backlog, plus a handshake of its own.
    ScheduleClock::time_point expected_finish(ScheduleClock::time_point now) const {
        return now + backlog() + per_handshake_;
    }
    bool can_finish(ScheduleClock::time_point now, ScheduleClock::time_point deadline) const {
        return expected_finish(now) <= deadline;
    }

private:
    unsigned started_ = 0;
    Duration spent_by_started_{};
    std::array<Duration, kSamples> samples_{};
    std::size_t sample_count_ = 0;  // completions seen (the ring holds the last kSamples)
    Duration per_handshake_{};      // the median, recomputed on each completion
};

}  // namespace handshaked::workers
