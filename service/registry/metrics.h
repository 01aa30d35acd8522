// SPDX-License-Identifier: GPL-2.0-or-later
// The registry's counters, latency histograms and worker pulses as a scrape: OpenMetrics text
// (handshakectl metrics) or the Prometheus text format 0.0.4 that node_exporter's textfile
// collector reads. Pure: the D-Bus adapter takes the snapshot, this only writes text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/registry/liveness.h"
#include "service/registry/registry.h"

namespace handshaked::registry {

enum class MetricsFormat { kOpenMetrics, kPrometheusText };

// "openmetrics" or "prometheus"; nullopt for anything else.
std::optional<MetricsFormat> parse_metrics_format(std::string_view name);

struct MetricsSnapshot {
    Counters counters;
    std::vector<WorkerPulse> workers;
    LivenessLimits limits;
    job::Clock::time_point now{};
    std::string version;      // the agent's own, "0.1.0"
    std::string tls_library;  // "wolfSSL 5.9.2 (Debian source 5.9.2-1.2)"
    double start_time_unix_s = 0;
};

std::string format_metrics(const MetricsSnapshot& snapshot, MetricsFormat format);

}  // namespace handshaked::registry
