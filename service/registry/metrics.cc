// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/registry/metrics.h"

#include <charconv>

#include "proto/failure.h"

namespace handshaked::registry {
namespace {

// A label value as both formats quote it.
std::string quoted(std::string_view value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// The shortest text that reads back as the same double ("0.0025", not "0.0025000000000000001").
std::string number(double value) {
    char text[32];
    auto written = std::to_chars(text, text + sizeof text, value);
    return std::string(text, written.ptr);
}

class Writer {
public:
    explicit Writer(MetricsFormat format) : open_metrics_(format == MetricsFormat::kOpenMetrics) {}

    // The two formats differ in a counter's family name (OpenMetrics: without _total), in
    // UNIT lines and info families (OpenMetrics only) and in the closing # EOF.
    void family(const std::string& name, std::string_view type, std::string_view help,
                std::string_view unit = {}) {
        std::string family_name = name;
        std::string_view written_type = type;
        if (type == "counter" && !open_metrics_) family_name += "_total";
        if (type == "info" && !open_metrics_) {
            family_name += "_info";
            written_type = "gauge";
        }
        text_ += "# TYPE " + family_name + " " + std::string(written_type) + "\n";
        if (!unit.empty() && open_metrics_)
            text_ += "# UNIT " + family_name + " " + std::string(unit) + "\n";
        text_ += "# HELP " + family_name + " " + std::string(help) + "\n";
    }

    void sample(const std::string& name, const std::string& labels, const std::string& value) {
        text_ += name;
        if (!labels.empty()) text_ += "{" + labels + "}";
        text_ += " " + value + "\n";
    }
    void sample(const std::string& name, const std::string& labels, std::uint64_t value) {
        sample(name, labels, std::to_string(value));
    }

    std::string finish() {
        if (open_metrics_) text_ += "# EOF\n";
        return std::move(text_);
    }

private:
    bool open_metrics_;
    std::string text_;
};

// A bucket bound as OpenMetrics' canonical numbers have it: integers with ".0" ("1.0", not
// "1"), so that every scraper sees the same series whichever text it parsed.
std::string bucket_bound(double bound) {
    std::string text = number(bound);
    if (text.find_first_of(".e") == std::string::npos) text += ".0";
    return text;
}

void histogram_samples(Writer& out, const std::string& name, const std::string& labels,
                       const LatencyHistogram& histogram) {
    const std::string prefix = labels.empty() ? "" : labels + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < histogram.counts.size(); ++i) {
        cumulative += histogram.counts[i];
        const std::string bound = i < LatencyHistogram::kUpperBoundsSeconds.size()
                                      ? bucket_bound(LatencyHistogram::kUpperBoundsSeconds[i])
                                      : std::string("+Inf");
        out.sample(name + "_bucket", prefix + "le=" + quoted(bound), cumulative);
    }
    out.sample(name + "_count", labels, cumulative);
    out.sample(name + "_sum", labels, number(histogram.sum_seconds));
}

}  // namespace

std::optional<MetricsFormat> parse_metrics_format(std::string_view name) {
    if (name == "openmetrics") return MetricsFormat::kOpenMetrics;
    if (name == "prometheus") return MetricsFormat::kPrometheusText;
    return std::nullopt;
}

std::string format_metrics(const MetricsSnapshot& snapshot, MetricsFormat format) {
    const Counters& c = snapshot.counters;
    Writer out(format);

    out.family("handshaked_build", "info", "The agent's version and its TLS library.");
    out.sample(
        "handshaked_build_info",
        "version=" + quoted(snapshot.version) + ",tls_library=" + quoted(snapshot.tls_library),
        std::uint64_t{1});
    out.family("handshaked_start_time_seconds", "gauge", "When this process started (Unix time).",
               "seconds");
    out.sample("handshaked_start_time_seconds", "", number(snapshot.start_time_unix_s));

    out.family("handshaked_accepted", "counter", "Requests taken from the kernel with ACCEPT.");
    out.sample("handshaked_accepted_total", "", c.accepted);
    out.family("handshaked_handshakes", "counter", "Handshakes answered with DONE, by result.");
    out.sample("handshaked_handshakes_total", "result=\"succeeded\"", c.succeeded);
    out.sample("handshaked_handshakes_total", "result=\"failed\"", c.failed);
    out.family("handshaked_handshake_failures", "counter",
               "Failed handshakes by the status DONE carried.");
    for (const auto& [status, count] : c.failed_by_status)
        out.sample(
            "handshaked_handshake_failures_total",
            "status=" + quoted(errno_name(status)) + ",errno=" + quoted(std::to_string(status)),
            count);
    out.family("handshaked_timeouts", "counter", "Handshakes that ran out of their deadline.");
    out.sample("handshaked_timeouts_total", "", c.timed_out);
    out.family("handshaked_queue_drains", "counter",
               "ACCEPT drains after start-up or a READY overrun.");
    out.sample("handshaked_queue_drains_total", "", c.queue_drains);
    out.family("handshaked_multicast_overruns", "counter",
               "Times READY notifications were lost to a full socket.");
    out.sample("handshaked_multicast_overruns_total", "", c.multicast_overruns);
    out.family("handshaked_empty_accepts", "counter",
               "ACCEPTs the kernel answered with nothing pending (EAGAIN).");
    out.sample("handshaked_empty_accepts_total", "", c.empty_accepts);
    out.family("handshaked_shed", "counter",
               "Requests answered ETIMEDOUT without starting: they could not finish in time.");
    out.sample("handshaked_shed_total", "", c.shed);
    out.family("handshaked_done_errors", "counter", "DONE messages the kernel refused.");
    out.sample("handshaked_done_errors_total", "", c.done_errors);

    out.family("handshaked_in_flight", "gauge", "Handshakes accepted and not yet answered.");
    out.sample("handshaked_in_flight", "", c.in_flight);
    out.family("handshaked_handshake_duration_seconds", "histogram",
               "From ACCEPT to DONE, by result.", "seconds");
    histogram_samples(out, "handshaked_handshake_duration_seconds", "result=\"succeeded\"",
                      c.succeeded_latency);
    histogram_samples(out, "handshaked_handshake_duration_seconds", "result=\"failed\"",
                      c.failed_latency);

    std::vector<WorkerPulse> workers;
    const WorkerPulse* ready_reader = nullptr;
    for (const auto& pulse : snapshot.workers) {
        if (pulse.ready_reader)
            ready_reader = &pulse;
        else
            workers.push_back(pulse);
    }
    out.family("handshaked_workers", "gauge", "Worker threads.");
    out.sample("handshaked_workers", "", static_cast<std::uint64_t>(workers.size()));
    out.family("handshaked_worker_jobs", "gauge", "Handshakes a worker holds.");
    for (const auto& pulse : workers)
        out.sample("handshaked_worker_jobs", "worker=" + quoted(std::to_string(pulse.worker)),
                   std::uint64_t{pulse.jobs});
    out.family("handshaked_worker_busy_seconds", "gauge",
               "How long a worker has run since its last progress (0 while it waits).", "seconds");
    for (const auto& pulse : workers) {
        const double busy =
            pulse.busy ? std::chrono::duration<double>(snapshot.now - pulse.last_progress).count()
                       : 0.0;
        out.sample("handshaked_worker_busy_seconds",
                   "worker=" + quoted(std::to_string(pulse.worker)), number(busy < 0 ? 0 : busy));
    }
    out.family("handshaked_worker_healthy", "gauge",
               "1 while a worker's loop turns and answers its deadlines, as the watchdog judges.");
    for (const auto& pulse : workers)
        out.sample("handshaked_worker_healthy", "worker=" + quoted(std::to_string(pulse.worker)),
                   std::uint64_t{worker_healthy(pulse, snapshot.now, snapshot.limits)});
    if (ready_reader) {
        out.family("handshaked_ready_reader_healthy", "gauge",
                   "1 while the thread that reads READY and hands requests to workers turns.");
        out.sample("handshaked_ready_reader_healthy", "",
                   std::uint64_t{worker_healthy(*ready_reader, snapshot.now, snapshot.limits)});
    }
    return out.finish();
}

}  // namespace handshaked::registry
