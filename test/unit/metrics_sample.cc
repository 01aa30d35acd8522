// SPDX-License-Identifier: GPL-2.0-or-later
// Prints the metrics of a registry with known contents, for test/scripts/metrics-parse-test,
// which reads them back with a real OpenMetrics / Prometheus parser: metrics_sample FORMAT.
// Contents: 3 successes (2, 40 and 700 ms), 2 EACCES (5 ms, 30 s), 1 ETIMEDOUT (10 s), one job
// in flight; worker 0 waits with that job, worker 1 has made no progress for 20 s.
#include <cstdio>

#include "service/registry/metrics.h"

using namespace handshaked;
using namespace handshaked::registry;

int main(int argc, char** argv) {
    auto format = argc == 2 ? parse_metrics_format(argv[1]) : std::nullopt;
    if (!format) {
        std::fprintf(stderr, "usage: metrics_sample openmetrics|prometheus\n");
        return 2;
    }
    Registry registry;
    std::uint64_t id = 0;
    auto finish = [&](double ms, std::uint32_t status, HandshakeFailure failure = std::nullopt) {
        CompletedHandshake completed;
        completed.id = ++id;
        completed.duration_ms = ms;
        completed.status = status;
        completed.failure = failure;
        registry.job_finished(completed);
    };
    finish(2, 0);
    finish(40, 0);
    finish(700, 0);
    finish(5, 13, ErrorCause::kAuthentication);
    finish(30'000, 13, ErrorCause::kAuthentication);
    finish(10'000, 110, ErrorCause::kTimeout);
    job::JobSnapshot pending;
    pending.id = ++id;
    registry.job_started(pending);

    const auto now = job::Clock::now();
    LivenessBoard board;
    board.reset(2);
    board.progress(0, now - std::chrono::milliseconds(300));
    board.waiting(0, 1, now + std::chrono::seconds(5));
    board.progress(1, now - std::chrono::seconds(20));

    MetricsSnapshot snapshot;
    snapshot.counters = registry.counters();
    snapshot.workers = board.pulses();
    snapshot.now = now;
    snapshot.version = "0.1.0 \"sample\" \\ build";
    snapshot.tls_library = "wolfSSL 5.9.2";
    snapshot.start_time_unix_s = 1'790'000'000.5;
    std::fputs(format_metrics(snapshot, *format).c_str(), stdout);
    return 0;
}
