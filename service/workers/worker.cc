// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/workers/worker.h"

#include <malloc.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <limits>
#include <thread>

#include "base/duration_text.h"
#include "service/log/log.h"

namespace handshaked::workers {
namespace {

constexpr int kMaxEvents = 128;
// Steps run between two looks at the events. One per look was strict EDF but cost an epoll_wait
// per step, and with one-shot events an epoll_ctl per step too: under TCG that was 0.25-0.4 ms
// more system CPU per handshake at concurrency 64 (full benchmark, 2026-12-07). A job ready
// with an earlier deadline waits at most this many steps.
constexpr int kStepsPerTurn = 8;
// A worker without jobs for this long (after start-up too) returns free heap and the unused part
// of its stack to the system: glibc keeps freed memory in its arenas, so idle RSS would stay at
// the last burst's peak, and after start-up would include what building the engine allocated and
// freed again. (wolfSSL's SP math keeps no per-thread tables, so nothing has to be rebuilt.)
constexpr int kIdleReleaseMs = 1000;

// A handshake touches a few hundred KiB of its worker's stack (wolfSSL keeps big-number
// temporaries there), and those pages stay resident for the thread's life: measured in the
// benchmark as most of the growth of idle RSS after a burst. Everything below this frame is dead
// while the worker is idle, so it goes back to the kernel (the next use gets zeroed pages).
[[gnu::noinline]] void release_unused_stack() {
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return;
    void* lowest = nullptr;
    std::size_t size = 0;
    const bool known = pthread_attr_getstack(&attributes, &lowest, &size) == 0;
    pthread_attr_destroy(&attributes);
    if (!known) return;
    volatile char marker = 0;
    const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    // Leave room for this function's callees (madvise and its wrapper) below the marker.
    const std::uintptr_t end =
        (reinterpret_cast<std::uintptr_t>(&marker) - (16 << 10)) & ~(page - 1);
    const auto start = reinterpret_cast<std::uintptr_t>(lowest);
    if (end > start) madvise(lowest, end - start, MADV_DONTNEED);
}

std::int64_t unix_ms_now() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

// Edge-triggered: a job whose socket became ready is reported once, not again on every look at
// the events while it waits its turn in the run queue (at 1,000 pairs hundreds wait, and each
// epoll_wait returned up to kMaxEvents of them again). Missing no edge rests on one rule: a job
// waits for a socket only after the socket said EAGAIN (the TLS engine's I/O callbacks).
std::uint32_t epoll_events_for(job::Wait wait) {
    return (wait == job::Wait::kWritable ? EPOLLOUT : EPOLLIN) | EPOLLET;
}

}  // namespace

Worker::Worker(int index, ServiceState& context) : index_(index), context_(context) {}

Worker::~Worker() = default;

Result<void> Worker::open() {
    auto channel = netlink::RequestChannel::open(context_.family);
    if (!channel) return channel.error();
    channel_ = std::make_unique<netlink::RequestChannel>(std::move(channel.value()));

    epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
    wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!epoll_.valid() || !wake_.valid())
        return make_error(ErrorCause::kLocalFault, std::string("worker: ") + std::strerror(errno));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wake_.get();
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &event);
    return {};
}

void Worker::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto written = write(wake_.get(), &one, sizeof one);
}

void Worker::request_stop() {
    stopping_ = true;
    wake();
}

void Worker::grant(int requests) {
    granted_.fetch_add(requests, std::memory_order_relaxed);
    wake();
}

void Worker::request_drain() {
    drain_requested_.store(true, std::memory_order_relaxed);
    wake();
}

unsigned Worker::load() const {
    if (loop_ended_.load(std::memory_order_relaxed)) return std::numeric_limits<unsigned>::max();
    const int granted = granted_.load(std::memory_order_relaxed);
    return published_jobs_.load(std::memory_order_relaxed) +
           static_cast<unsigned>(granted > 0 ? granted : 0);
}

unsigned Worker::capacity() const {
    auto generation = context_.generation.get();
    return generation ? generation->config.max_handshakes_per_worker : 1;
}

void Worker::run() {
    // "hsd-worker-N" in top -H, ps -L and /proc/PID/task/*/comm (15 characters at most).
    pthread_setname_np(pthread_self(), ("hsd-worker-" + std::to_string(index_)).c_str());
    context_.liveness.progress(index_, job::Clock::now());
    // Requests that queued while no agent was running (restart, crash) have had no READY for
    // us: take them now.
    if (drain_requests() > 0) {
        context_.registry.count_drain();
        log::info("worker " + std::to_string(index_) + ": drained requests queued before start-up");
    }
    epoll_event events[kMaxEvents];
    while (!stopping_) {
        // The watchdog judges from this whether the loop still turns (registry/liveness.h).
        context_.liveness.waiting(
            index_, static_cast<std::uint32_t>(jobs_.size()),
            deadlines_.empty() ? std::nullopt : std::optional(deadlines_.begin()->first));
        // With jobs ready to run, only look for more events: the earliest deadline runs next.
        const int timeout = runnable_.empty() ? epoll_timeout_ms() : 0;
        int count = epoll_wait(epoll_.get(), events, kMaxEvents, timeout);
        context_.liveness.progress(index_, job::Clock::now());
        if (count < 0 && errno != EINTR) {
            log::error(std::string("worker: epoll_wait: ") + std::strerror(errno));
            break;
        }
        if (count == 0 && jobs_.empty() && !idle_memory_released_) release_idle_memory();
        for (int i = 0; i < count; ++i) {
            const int fd = events[i].data.fd;
            if (fd == wake_.get()) {
                std::uint64_t value;
                [[maybe_unused]] auto r = read(wake_.get(), &value, sizeof value);
            } else {
                auto entry = jobs_.find(fd);
                if (entry == jobs_.end()) continue;
                runnable_.push(entry->second.job->deadline(), fd);
            }
        }
        // A few steps, then the events again: a job with an earlier deadline that became ready
        // meanwhile goes before the rest of the queue.
        for (int step = 0; step < kStepsPerTurn && !runnable_.empty(); ++step) run_earliest();
        expire_deadlines();
        release_delayed_done();
        if (drain_requested_.exchange(false, std::memory_order_relaxed))
            requests_may_be_pending_ = true;
        if (requests_may_be_pending_) drain_requests();
        accept_granted();
    }
    // Every job still running gets its DONE before the worker goes; held-back DONEs go now.
    delayed_done_.clear();
    while (!jobs_.empty()) {
        const int fd = jobs_.begin()->first;
        if (jobs_.begin()->second.done_delayed) {
            finish(fd);
        } else {
            apply(fd, jobs_.begin()->second.job->on_shutdown());
        }
    }
    // Credits this worker can no longer use go back to the pool for the others.
    loop_ended_.store(true, std::memory_order_relaxed);
    if (const int left = granted_.exchange(0); left > 0) context_.unassigned_requests += left;
    context_.liveness.exited(index_);
}

void Worker::release_idle_memory() {
    malloc_trim(0);
    release_unused_stack();
    idle_memory_released_ = true;
}

int Worker::drain_requests() {
    int accepted = 0;
    while (jobs_.size() < capacity() && !stopping_) {
        const Accept outcome = accept_one();
        // An empty queue ends the drain; a failed ACCEPT leaves it to the next turn.
        if (outcome != Accept::kTaken) {
            if (outcome == Accept::kEmpty) requests_may_be_pending_ = false;
            return accepted;
        }
        ++accepted;
        context_.liveness.progress(index_, job::Clock::now());
    }
    // At capacity: ACCEPT again when a job finishes.
    return accepted;
}

namespace {

// Takes one from counter if it is positive.
bool take_one(std::atomic<int>& counter) {
    int value = counter.load(std::memory_order_relaxed);
    while (value > 0) {
        if (counter.compare_exchange_weak(value, value - 1, std::memory_order_relaxed)) return true;
    }
    return false;
}

}  // namespace

void Worker::accept_granted() {
    while (jobs_.size() < capacity() && !stopping_) {
        std::atomic<int>* source = &granted_;
        if (!take_one(granted_)) {
            if (!take_one(context_.unassigned_requests)) return;
            source = &context_.unassigned_requests;
        }
        const Accept outcome = accept_one();
        if (outcome == Accept::kFailed) {
            // Whether a request was taken is unknown: keep the credit, and drain next turn.
            source->fetch_add(1, std::memory_order_relaxed);
            requests_may_be_pending_ = true;
            return;
        }
        // An empty answer means a drain (or another agent) took that READY's request already.
        if (outcome == Accept::kTaken) context_.liveness.progress(index_, job::Clock::now());
    }
    // At capacity: the rest stays granted (and counted in load()) until a job finishes.
}

Worker::Accept Worker::accept_one() {
    // The kernel links the request's keyring into this process's keyring during ACCEPT; the
    // scope serialises ACCEPTs so that link is known to be this request's, and removes it once
    // the job has read its key material (keys/keyutils_key_store.h).
    ActiveJob active;
    {
        keys::AcceptKeyringScope keyrings(context_.keyring_links);
        auto accepted = channel_->accept();
        if (!accepted) {
            log::error(accepted.error().message);
            return Accept::kFailed;
        }
        if (std::holds_alternative<std::monostate>(accepted.value())) {
            context_.registry.count_empty_accept();
            return Accept::kEmpty;
        }
        const auto added = keyrings.links_added();
        // The other workers' ACCEPTs need not wait for this one's DONE or key reads.
        keyrings.release_if_nothing_linked();
        if (auto* rejected = std::get_if<netlink::RejectedAccept>(&accepted.value())) {
            keyrings.unlink();
            answer_rejected(*rejected);
            return Accept::kTaken;
        }
        if (auto* failed = std::get_if<netlink::FailedAccept>(&accepted.value())) {
            keyrings.unlink();
            log::error(failed->error.message);
            return Accept::kTaken;  // that request is gone; the ones behind it still wait
        }
        auto& request = std::get<HandshakeRequest>(accepted.value());
        // Kernels before 6.17 do not name the request's keyring: the link is it.
        if (!request.keyring && added.size() == 1) request.keyring = added.front();
        active = make_job(std::move(request));
        active.job->load_credentials();
        for (KeySerial keyring : keyrings.unlink())
            log::debug("keyring " + std::to_string(keyring) + " read for handshake " +
                       std::to_string(active.job->snapshot().id) + " and unlinked again");
    }
    idle_memory_released_ = false;
    queue_job(std::move(active));
    return Accept::kTaken;
}

void Worker::answer_rejected(const netlink::RejectedAccept& rejected) {
    UniqueFd fd(rejected.sockfd);
    log::error("unusable ACCEPT reply, answering EIO: " + rejected.error.message);
    HandshakeResult result;
    result.sockfd = fd.get();
    result.failure = rejected.error.cause;
    if (auto done = channel_->done(result); !done) {
        context_.registry.count_done_error();
        log::error(done.error().message);
    }
}

Worker::ActiveJob Worker::make_job(HandshakeRequest request) {
    // The job's effects point into this generation; the ActiveJob keeps it alive across reloads.
    auto generation = context_.generation.get();
    job::JobEffects effects{*generation->keys, *generation->engine, socket_ops_, ktls_};
    auto job = std::make_unique<job::HandshakeJob>(
        context_.next_job_id.fetch_add(1), index_, std::move(request), effects, job::Clock::now(),
        std::chrono::milliseconds(generation->config.default_timeout_ms));
    return ActiveJob{std::move(job), std::move(generation)};
}

void Worker::queue_job(ActiveJob active) {
    const int fd = active.job->fd();
    context_.registry.job_started(active.job->snapshot());
    auto [entry, inserted] = jobs_.emplace(fd, std::move(active));
    if (!inserted) {
        // The kernel reused an fd number we still track: impossible unless a job leaked its fd.
        log::error("internal: fd " + std::to_string(fd) + " accepted twice");
        return;
    }
    deadlines_.emplace(entry->second.job->deadline(), fd);
    runnable_.push(entry->second.job->deadline(), fd);
    published_jobs_.store(static_cast<unsigned>(jobs_.size()), std::memory_order_relaxed);
}

void Worker::run_earliest() {
    const auto next = runnable_.pop_earliest();
    if (!next) return;
    const int fd = *next;
    auto entry = jobs_.find(fd);
    if (entry == jobs_.end()) return;
    ActiveJob& active = entry->second;
    const auto began = job::Clock::now();
    job::Wait wait;
    if (active.started) {
        wait = active.job->on_io_ready();
    } else if (const auto deadline = active.job->deadline();
               !admission_.can_finish(began, deadline)) {
        context_.registry.count_shed();
        apply(fd,
              active.job->on_cannot_finish(
                  "not started: it could not finish before its deadline (the " +
                  std::to_string(admission_.started_jobs()) + " handshakes ahead on worker " +
                  std::to_string(index_) + " need about " + duration_text(admission_.backlog()) +
                  ", one takes " + duration_text(admission_.per_handshake()) + ", " +
                  duration_text(deadline - began) + " were left)"));
        return;
    } else {
        active.started = true;
        admission_.started();
        wait = active.job->start();
    }
    const auto ended = job::Clock::now();
    active.spent += ended - began;
    admission_.ran(ended - began);
    context_.liveness.progress(index_, ended);
    apply(fd, wait);
}

void Worker::apply(int fd, job::Wait wait) {
    auto entry = jobs_.find(fd);
    if (entry == jobs_.end()) return;
    ActiveJob& active = entry->second;
    // Observers care about state changes, not every I/O event: the registry's lock is shared
    // by all workers.
    const auto& snapshot = active.job->snapshot();
    if (snapshot.state != active.reported_state && snapshot.state != job::JobState::kDone) {
        context_.registry.job_updated(snapshot);
        active.reported_state = snapshot.state;
    }
    if (wait == job::Wait::kNothing) {
        if (active.armed_for != job::Wait::kNothing)
            epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        active.armed_for = job::Wait::kNothing;
        runnable_.erase(active.job->deadline(), fd);
        if (active.started) {
            admission_.ended(active.spent, !active.job->result().failure.has_value());
            active.started = false;
        }
        finish(fd);
        return;
    }
    // Changed only when the job wants something else: the edge for the data it waits for is
    // still to come, since its last step read or wrote until EAGAIN.
    if (wait == active.armed_for) return;
    epoll_event event{};
    event.events = epoll_events_for(wait);
    event.data.fd = fd;
    const int op = active.armed_for == job::Wait::kNothing ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (epoll_ctl(epoll_.get(), op, fd, &event) != 0) {
        log::error(std::string("worker: epoll_ctl: ") + std::strerror(errno));
        apply(fd, active.job->on_shutdown());
        return;
    }
    active.armed_for = wait;
}

void Worker::finish(int fd) {
    auto entry = jobs_.find(fd);
    if (entry == jobs_.end()) return;
    if (const int delay = entry->second.generation->config.delay_done_s;
        delay > 0 && !entry->second.done_delayed && !stopping_) {
        // tlshd's [debug] delay_done test hook: the DONE goes out later, from the loop.
        entry->second.done_delayed = true;
        deadlines_.erase({entry->second.job->deadline(), fd});
        delayed_done_.emplace(job::Clock::now() + std::chrono::seconds(delay), fd);
        return;
    }
    auto node = jobs_.extract(entry);
    published_jobs_.store(static_cast<unsigned>(jobs_.size()), std::memory_order_relaxed);
    ActiveJob& active = node.mapped();
    const auto& job = *active.job;
    const auto& snapshot = job.snapshot();
    deadlines_.erase({job.deadline(), fd});

    // DONE before close: the kernel finds the request through this fd.
    if (auto done = channel_->done(job.result()); !done) {
        context_.registry.count_done_error();
        log::error("handshake " + std::to_string(snapshot.id) + ": " + done.error().message);
    }
    registry::CompletedHandshake completed;
    completed.id = snapshot.id;
    completed.role = snapshot.role;
    completed.auth = snapshot.auth;
    completed.peer_address = snapshot.peer_address;
    completed.peername = snapshot.peername;
    completed.cipher = job.cipher();
    completed.key_exchange_group = job.key_exchange_group();
    completed.status = job.result().status();
    completed.failure = job.result().failure;
    completed.detail = job.failure_detail();
    completed.remote_auth = job.result().remote_auth;
    completed.requested_serials = snapshot.requested_serials;
    completed.duration_ms =
        std::chrono::duration<double, std::milli>(job::Clock::now() - snapshot.accepted_at).count();
    completed.finished_unix_ms = unix_ms_now();
    completed.worker = index_;

    active.job.reset();  // closes the fd
    log::handshake(completed);
    context_.registry.job_finished(completed);
    // No ACCEPT here: requests_may_be_pending_ is cleared only by an empty queue, so a worker
    // that stopped draining at capacity drains again on its next loop.
}

void Worker::release_delayed_done() {
    const auto now = job::Clock::now();
    while (!delayed_done_.empty() && delayed_done_.begin()->first <= now) {
        const int fd = delayed_done_.begin()->second;
        delayed_done_.erase(delayed_done_.begin());
        finish(fd);
    }
}

void Worker::expire_deadlines() {
    const auto now = job::Clock::now();
    if (deadlines_.empty() || deadlines_.begin()->first > now) return;  // every turn: no allocation
    std::vector<int> expired;
    for (auto next = deadlines_.begin(); next != deadlines_.end() && next->first <= now; ++next)
        expired.push_back(next->second);
    for (int fd : expired) {
        auto entry = jobs_.find(fd);
        if (entry != jobs_.end()) apply(fd, entry->second.job->on_deadline());
    }
}

int Worker::epoll_timeout_ms() const {
    // Never longer than the heartbeat: a worker that stops turning, idle or not, must be seen
    // (registry/liveness.h), and one blocked for good would look the same as an idle one.
    const long long heartbeat = context_.liveness_limits.heartbeat().count();
    if (jobs_.empty()) {
        return static_cast<int>(
            idle_memory_released_ ? heartbeat : std::min<long long>(kIdleReleaseMs, heartbeat));
    }
    auto earliest = job::Clock::time_point::max();
    if (!deadlines_.empty()) earliest = deadlines_.begin()->first;
    if (!delayed_done_.empty()) earliest = std::min(earliest, delayed_done_.begin()->first);
    if (earliest == job::Clock::time_point::max()) return static_cast<int>(heartbeat);
    auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(earliest - job::Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(wait + 1, 0, heartbeat));
}

}  // namespace handshaked::workers
