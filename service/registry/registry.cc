// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/registry/registry.h"

#include <algorithm>
#include <cerrno>

namespace handshaked::registry {

void LatencyHistogram::add(double seconds) {
    const auto bound = std::lower_bound(kUpperBoundsSeconds.begin(), kUpperBoundsSeconds.end(),
                                        seconds);  // the first bound >= seconds: "le" holds
    ++counts[static_cast<std::size_t>(bound - kUpperBoundsSeconds.begin())];
    sum_seconds += seconds;
}

std::uint64_t LatencyHistogram::total() const {
    std::uint64_t all = 0;
    for (auto count : counts) all += count;
    return all;
}

Registry::Registry() : history_(kHistorySize), latencies_(kLatencyWindow) {
    // Typical sizes, so that a slot's first use by a worker does not allocate.
    for (auto& slot : history_) {
        slot.peer_address.reserve(48);  // "[IPv6]:port"
        slot.peername.reserve(64);
        slot.cipher.reserve(32);  // IANA suite names
        slot.key_exchange_group.reserve(24);
        slot.detail.reserve(96);
        slot.remote_auth.reserve(2);
        slot.requested_serials.reserve(4);
    }
}

void Registry::job_started(const job::JobSnapshot& snapshot) {
    std::lock_guard lock(mutex_);
    pending_[snapshot.id] = snapshot;
    ++counters_.accepted;
    counters_.in_flight = pending_.size();
    generation_.fetch_add(1, std::memory_order_relaxed);
}

void Registry::job_updated(const job::JobSnapshot& snapshot) {
    std::lock_guard lock(mutex_);
    auto entry = pending_.find(snapshot.id);
    if (entry == pending_.end() || entry->second.state == snapshot.state) return;
    entry->second = snapshot;
    generation_.fetch_add(1, std::memory_order_relaxed);
}

void Registry::job_finished(const CompletedHandshake& completed) {
    CompletionListener listener;
    {
        std::lock_guard lock(mutex_);
        pending_.erase(completed.id);
        counters_.in_flight = pending_.size();
        const double seconds = completed.duration_ms / 1000.0;
        if (completed.status == 0) {
            ++counters_.succeeded;
            counters_.succeeded_latency.add(seconds);
        } else {
            counters_.failed_latency.add(seconds);
            ++counters_.failed;
            ++counters_.failed_by_status[completed.status];
            if (completed.failure == ErrorCause::kTimeout) ++counters_.timed_out;
        }
        history_[history_next_] = completed;
        history_next_ = (history_next_ + 1) % kHistorySize;
        history_count_ = std::min(history_count_ + 1, kHistorySize);
        latencies_[latencies_next_] = completed.duration_ms;
        latencies_next_ = (latencies_next_ + 1) % kLatencyWindow;
        latencies_count_ = std::min(latencies_count_ + 1, kLatencyWindow);
        generation_.fetch_add(1, std::memory_order_relaxed);
        listener = listener_;
    }
    if (listener) listener(completed);
}

void Registry::count_drain() {
    std::lock_guard lock(mutex_);
    ++counters_.queue_drains;
    generation_.fetch_add(1, std::memory_order_relaxed);
}

void Registry::count_overrun() {
    std::lock_guard lock(mutex_);
    ++counters_.multicast_overruns;
    generation_.fetch_add(1, std::memory_order_relaxed);
}

void Registry::count_empty_accept() {
    std::lock_guard lock(mutex_);
    ++counters_.empty_accepts;
}

void Registry::count_shed() {
    std::lock_guard lock(mutex_);
    ++counters_.shed;
    generation_.fetch_add(1, std::memory_order_relaxed);
}

void Registry::count_done_error() {
    std::lock_guard lock(mutex_);
    ++counters_.done_errors;
    generation_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<job::JobSnapshot> Registry::pending() const {
    std::lock_guard lock(mutex_);
    std::vector<job::JobSnapshot> jobs;
    jobs.reserve(pending_.size());
    for (const auto& [id, snapshot] : pending_) jobs.push_back(snapshot);
    return jobs;
}

std::vector<CompletedHandshake> Registry::history() const {
    std::lock_guard lock(mutex_);
    std::vector<CompletedHandshake> oldest_first;
    oldest_first.reserve(history_count_);
    const std::size_t oldest = (history_next_ + kHistorySize - history_count_) % kHistorySize;
    for (std::size_t i = 0; i < history_count_; ++i)
        oldest_first.push_back(history_[(oldest + i) % kHistorySize]);
    return oldest_first;
}

Counters Registry::counters() const {
    std::vector<double> window;
    Counters counters;
    {
        std::lock_guard lock(mutex_);
        counters = counters_;
        window.assign(latencies_.begin(), latencies_.begin() + static_cast<long>(latencies_count_));
    }
    counters.latency_window = window.size();
    if (!window.empty()) {
        auto percentile = [&](double p) {
            std::size_t rank =
                static_cast<std::size_t>(p * static_cast<double>(window.size() - 1) + 0.5);
            std::nth_element(window.begin(), window.begin() + static_cast<long>(rank),
                             window.end());
            return window[rank];
        };
        counters.latency_p50_ms = percentile(0.50);
        counters.latency_p99_ms = percentile(0.99);
    }
    return counters;
}

void Registry::set_completion_listener(CompletionListener listener) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
}

}  // namespace handshaked::registry
