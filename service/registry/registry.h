// SPDX-License-Identifier: GPL-2.0-or-later
// What the service is doing, for observers (logs, D-Bus, handshakectl): the jobs in flight,
// recent completions, counters and a latency window. Workers write; observers read copies.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "service/job/handshake_job.h"

namespace handshaked::registry {

struct CompletedHandshake {
    std::uint64_t id = 0;
    Role role = Role::kClient;
    AuthMode auth = AuthMode::kUnauthenticated;
    std::string peer_address;
    std::string peername;
    std::string cipher;
    std::string key_exchange_group;  // IANA name; "" for none (failed early, psk_ke)
    std::uint32_t status = 0;
    HandshakeFailure failure;
    std::string detail;  // why it failed; never key material
    std::vector<KeySerial> remote_auth;
    std::vector<KeySerial> requested_serials;
    double duration_ms = 0;
    std::int64_t finished_unix_ms = 0;
    int worker = 0;
};

// Handshake durations in fixed buckets, so a scraper can aggregate a fleet (percentiles of
// percentiles cannot be). The bounds span loopback on real hardware (~1 ms) to the consumers'
// default deadline (10 s); counts are per bucket here and cumulative only in the output.
struct LatencyHistogram {
    static constexpr std::array<double, 13> kUpperBoundsSeconds = {
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    // One count per bound, and the last one for everything above the largest bound.
    std::array<std::uint64_t, kUpperBoundsSeconds.size() + 1> counts{};
    double sum_seconds = 0;

    void add(double seconds);
    std::uint64_t total() const;
};

struct Counters {
    std::uint64_t accepted = 0;
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
    std::uint64_t timed_out = 0;
    std::uint64_t in_flight = 0;
    std::uint64_t queue_drains = 0;  // ACCEPT drains after start-up or a READY overrun
    std::uint64_t multicast_overruns = 0;
    std::uint64_t empty_accepts = 0;  // ACCEPTs the kernel answered "nothing pending" (EAGAIN)
    // Requests answered ETIMEDOUT without being started: they could not have finished before
    // their deadline (workers/schedule.h). Also counted in failed and timed_out.
    std::uint64_t shed = 0;
    std::uint64_t done_errors = 0;                            // DONE the kernel refused
    std::map<std::uint32_t, std::uint64_t> failed_by_status;  // errno -> count
    double latency_p50_ms = 0;
    double latency_p99_ms = 0;
    std::uint64_t latency_window = 0;    // how many completions p50/p99 cover
    LatencyHistogram succeeded_latency;  // since start, unlike the window above
    LatencyHistogram failed_latency;
};

class Registry {
public:
    using CompletionListener = std::function<void(const CompletedHandshake&)>;

    Registry();

    void job_started(const job::JobSnapshot& snapshot);
    void job_updated(const job::JobSnapshot& snapshot);
    void job_finished(const CompletedHandshake& completed);
    void count_drain();
    void count_overrun();
    void count_done_error();
    void count_empty_accept();
    void count_shed();

    std::vector<job::JobSnapshot> pending() const;
    std::vector<CompletedHandshake> history() const;
    Counters counters() const;
    // Bumped on every change; observers use it to rate-limit PropertiesChanged.
    std::uint64_t generation() const { return generation_.load(std::memory_order_relaxed); }

    // Called on the worker thread that finished the job; must be quick and thread-safe.
    void set_completion_listener(CompletionListener listener);

    static constexpr std::size_t kHistorySize = 256;
    static constexpr std::size_t kLatencyWindow = 1024;

private:
    mutable std::mutex mutex_;
    std::map<std::uint64_t, job::JobSnapshot> pending_;
    // Rings allocated once, by the constructor. Entries written by the workers were small
    // long-lived objects scattered over the workers' malloc arenas, each pinning a page that
    // malloc_trim cannot give back (measured: ~250 KiB per worker after 128 handshakes). Slots
    // are overwritten by assignment, which reuses their strings' and vectors' capacity.
    std::vector<CompletedHandshake> history_;
    std::size_t history_next_ = 0;  // slot the next completion goes to
    std::size_t history_count_ = 0;
    std::vector<double> latencies_;
    std::size_t latencies_next_ = 0;
    std::size_t latencies_count_ = 0;
    Counters counters_;
    CompletionListener listener_;
    std::atomic<std::uint64_t> generation_{0};
};

}  // namespace handshaked::registry
