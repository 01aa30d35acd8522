// SPDX-License-Identifier: GPL-2.0-or-later
// The scrape's shape in each format: what differs between OpenMetrics and the Prometheus text
// format, the histogram's cumulative buckets, label escaping. Parsing by real parsers is
// test/scripts/metrics-parse-test.
#include <gtest/gtest.h>

#include "service/registry/metrics.h"

namespace handshaked::registry {
namespace {

MetricsSnapshot sample() {
    Registry registry;
    for (double ms : {0.5, 3.0, 3.0, 20'000.0}) {
        CompletedHandshake completed;
        completed.duration_ms = ms;
        registry.job_finished(completed);
    }
    MetricsSnapshot snapshot;
    snapshot.counters = registry.counters();
    snapshot.version = "a\"b\\c\nd";
    return snapshot;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, FormatNames) {
    EXPECT_EQ(parse_metrics_format("openmetrics"), MetricsFormat::kOpenMetrics);
    EXPECT_EQ(parse_metrics_format("prometheus"), MetricsFormat::kPrometheusText);
    EXPECT_EQ(parse_metrics_format("json"), std::nullopt);
    EXPECT_EQ(parse_metrics_format(""), std::nullopt);
}

TEST(Metrics, OpenMetricsNamesCounterFamiliesWithoutTotalAndEndsWithEof) {
    const auto text = format_metrics(sample(), MetricsFormat::kOpenMetrics);
    EXPECT_TRUE(has_line(text, "# TYPE handshaked_accepted counter")) << text;
    EXPECT_TRUE(has_line(text, "handshaked_accepted_total 0"));
    EXPECT_TRUE(has_line(text, "# TYPE handshaked_build info"));
    EXPECT_TRUE(has_line(text, "# UNIT handshaked_handshake_duration_seconds seconds"));
    EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
}

TEST(Metrics, PrometheusTextNamesTheTotalSampleAndHasNoEof) {
    const auto text = format_metrics(sample(), MetricsFormat::kPrometheusText);
    EXPECT_TRUE(has_line(text, "# TYPE handshaked_accepted_total counter")) << text;
    EXPECT_TRUE(has_line(text, "# TYPE handshaked_build_info gauge"));
    EXPECT_EQ(text.find("# UNIT"), std::string::npos);
    EXPECT_EQ(text.find("# EOF"), std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithShortBounds) {
    const auto text = format_metrics(sample(), MetricsFormat::kOpenMetrics);
    const std::string name = "handshaked_handshake_duration_seconds";
    EXPECT_TRUE(has_line(text, name + "_bucket{result=\"succeeded\",le=\"0.001\"} 1")) << text;
    EXPECT_TRUE(has_line(text, name + "_bucket{result=\"succeeded\",le=\"0.0025\"} 1"));
    EXPECT_TRUE(has_line(text, name + "_bucket{result=\"succeeded\",le=\"0.005\"} 3"));
    EXPECT_TRUE(has_line(text, name + "_bucket{result=\"succeeded\",le=\"10.0\"} 3"));
    EXPECT_TRUE(has_line(text, name + "_bucket{result=\"succeeded\",le=\"+Inf\"} 4"));
    EXPECT_TRUE(has_line(text, name + "_count{result=\"succeeded\"} 4"));
    EXPECT_TRUE(has_line(text, name + "_sum{result=\"succeeded\"} 20.0065"));
    EXPECT_TRUE(has_line(text, name + "_bucket{result=\"failed\",le=\"+Inf\"} 0"));
}

TEST(Metrics, LabelValuesAreEscaped) {
    const auto text = format_metrics(sample(), MetricsFormat::kOpenMetrics);
    EXPECT_NE(text.find("version=\"a\\\"b\\\\c\\nd\""), std::string::npos) << text;
}

}  // namespace
}  // namespace handshaked::registry
