// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/workers/schedule.h"

#include <algorithm>

namespace handshaked::workers {

std::optional<int> RunQueue::pop_earliest() {
    if (entries_.empty()) return std::nullopt;
    const int fd = entries_.begin()->second;
    entries_.erase(entries_.begin());
    return fd;
}

void Admission::ended(Duration spent, bool completed) {
    if (started_ > 0) --started_;
    spent_by_started_ -= spent;
    if (started_ == 0 || spent_by_started_ < Duration::zero()) spent_by_started_ = Duration::zero();
    if (!completed) return;
    samples_[sample_count_ % kSamples] = spent;
    ++sample_count_;
    if (sample_count_ < kMinSamples) return;
    // Follows a change of mode (PSK to RSA) within half the window.
    const std::size_t held = std::min(sample_count_, kSamples);
    std::array<Duration, kSamples> sorted = samples_;
    std::nth_element(sorted.begin(), sorted.begin() + held / 2, sorted.begin() + held);
    per_handshake_ = sorted[held / 2];
}

Admission::Duration Admission::backlog() const {
    const Duration owed = per_handshake_ * started_ - spent_by_started_;
    return owed > Duration::zero() ? owed : Duration::zero();
}

}  // namespace handshaked::workers
