// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/workers/ready_dispatcher.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "service/log/log.h"

namespace handshaked::workers {

ReadyDispatcher::ReadyDispatcher(ServiceState& context, std::vector<Worker*> workers,
                                 int liveness_slot)
    : context_(context), workers_(std::move(workers)), liveness_slot_(liveness_slot) {}

Result<void> ReadyDispatcher::open() {
    auto listener = netlink::ReadyListener::open(context_.family);
    if (!listener) return listener.error();
    listener_ = std::make_unique<netlink::ReadyListener>(std::move(listener.value()));
    if (!listener_->buffer_note().empty())
        log::warning("READY reader: " + listener_->buffer_note());
    wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_.valid())
        return make_error(ErrorCause::kLocalFault,
                          std::string("READY reader: eventfd: ") + std::strerror(errno));
    return {};
}

void ReadyDispatcher::request_stop() {
    stopping_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(wake_.get(), &one, sizeof one);
}

std::size_t ReadyDispatcher::choose(const std::vector<unsigned>& loads, unsigned capacity) {
    std::size_t best = 0;
    bool best_has_room = false;
    for (std::size_t i = 0; i < loads.size(); ++i) {
        const bool has_room = loads[i] < capacity;
        if ((has_room && !best_has_room) || (has_room == best_has_room && loads[i] < loads[best])) {
            best = i;
            best_has_room = has_room;
        }
    }
    return best;
}

void ReadyDispatcher::hand_out(int ready) {
    const auto generation = context_.generation.get();
    const unsigned capacity = generation ? generation->config.max_handshakes_per_worker : 1;
    std::vector<unsigned> loads;
    loads.reserve(workers_.size());
    for (const Worker* worker : workers_) loads.push_back(worker->load());
    std::vector<int> credits(workers_.size(), 0);
    int unassigned = 0;
    for (int i = 0; i < ready; ++i) {
        const std::size_t chosen = choose(loads, capacity);
        if (loads[chosen] >= capacity) {
            ++unassigned;  // every worker is full: the first one with room takes it
            continue;
        }
        ++loads[chosen];
        ++credits[chosen];
    }
    if (unassigned > 0) context_.unassigned_requests += unassigned;
    for (std::size_t i = 0; i < workers_.size(); ++i) {
        if (credits[i] > 0) workers_[i]->grant(credits[i]);
    }
}

void ReadyDispatcher::run() {
    pthread_setname_np(pthread_self(), "hsd-ready");
    const auto heartbeat = static_cast<int>(context_.liveness_limits.heartbeat().count());
    pollfd fds[2] = {{listener_->fd(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    context_.liveness.progress(liveness_slot_, job::Clock::now());
    while (!stopping_) {
        context_.liveness.waiting(liveness_slot_, 0, std::nullopt);
        const int ready = poll(fds, 2, heartbeat);
        context_.liveness.progress(liveness_slot_, job::Clock::now());
        if (ready < 0 && errno != EINTR) {
            log::error(std::string("READY reader: poll: ") + std::strerror(errno));
            break;
        }
        if (ready <= 0 || !(fds[0].revents & POLLIN)) continue;
        auto wakeup = listener_->read_notifications();
        if (!wakeup) {
            // READYs may be lost with the error: never exit on it, drain instead.
            log::error(wakeup.error().message);
            for (Worker* worker : workers_) worker->request_drain();
            continue;
        }
        if (wakeup->overrun) {
            context_.registry.count_overrun();
            context_.registry.count_drain();
            log::warning("READY notifications were lost (multicast overrun); draining with ACCEPT");
            for (Worker* worker : workers_) worker->request_drain();
        } else if (wakeup->ready > 0) {
            hand_out(wakeup->ready);
        }
    }
    context_.liveness.exited(liveness_slot_);
}

}  // namespace handshaked::workers
