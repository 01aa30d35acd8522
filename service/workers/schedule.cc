// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/workers/schedule.h"

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
    // A moving average over about the last eight handshakes: it follows a change of mode (PSK
    // to RSA) within a few completions, and one slow handshake moves it by an eighth.
    per_handshake_ =
        per_handshake_ == Duration::zero() ? spent : per_handshake_ + (spent - per_handshake_) / 8;
}

Admission::Duration Admission::backlog() const {
    const Duration owed = per_handshake_ * started_ - spent_by_started_;
    return owed > Duration::zero() ? owed : Duration::zero();
}

}  // namespace handshaked::workers
