// SPDX-License-Identifier: GPL-2.0-or-later
#include "service/bus/agent_bus.h"

#include <grp.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "service/log/log.h"
#include "service/registry/metrics.h"

namespace handshaked::bus {
namespace {

// One PropertiesChanged per 250 ms tick at most, and at most 25 HandshakeCompleted signals per
// tick (100/s): a reconnect storm must not flood the bus. Dropped signals are counted.
constexpr std::uint64_t kPropertiesIntervalUs = 250'000;
constexpr std::size_t kMaxSignalsPerTick = 25;

std::uint64_t age_ms(job::Clock::time_point since) {
    auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(job::Clock::now() - since).count();
    return age < 0 ? 0 : static_cast<std::uint64_t>(age);
}

}  // namespace

struct AgentBus::Impl {
    registry::Registry& registry;
    BusInfo info;
    ReloadFunction reload;

    sd_bus* bus = nullptr;
    sd_event* event = nullptr;
    sd_bus_slot* slot = nullptr;
    int wake_fd = -1;
    std::thread thread;
    std::atomic<bool> stopping{false};

    std::mutex queue_mutex;
    std::deque<registry::CompletedHandshake> completed_queue;
    std::uint64_t dropped_signals = 0;
    std::uint64_t last_generation = 0;

    Impl(registry::Registry& r, BusInfo i, ReloadFunction f)
        : registry(r), info(std::move(i)), reload(std::move(f)) {}

    ~Impl() {
        if (slot) sd_bus_slot_unref(slot);
        if (bus) sd_bus_flush_close_unref(bus);
        if (event) sd_event_unref(event);
        if (wake_fd >= 0) close(wake_fd);
    }

    // The caller's effective uid, or nullopt (and an AccessDenied error) if the bus cannot say.
    static std::optional<uid_t> sender_uid(sd_bus_message* message, sd_bus_error* error) {
        uid_t uid = 0;
        sd_bus_creds* creds = nullptr;
        const bool known = sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID, &creds) >= 0 &&
                           sd_bus_creds_get_euid(creds, &uid) >= 0;
        sd_bus_creds_unref(creds);
        if (!known) {
            sd_bus_error_set_const(error, SD_BUS_ERROR_ACCESS_DENIED, "cannot identify the caller");
            return std::nullopt;
        }
        return uid;
    }

    static bool in_group(uid_t uid, const std::string& group_name) {
        const struct group* entry = getgrnam(group_name.c_str());
        const passwd* user = getpwuid(uid);
        if (!entry || !user) return false;
        int count = 64;
        std::vector<gid_t> groups(static_cast<std::size_t>(count));
        if (getgrouplist(user->pw_name, user->pw_gid, groups.data(), &count) < 0) {
            groups.resize(static_cast<std::size_t>(count));  // count now says how many
            if (getgrouplist(user->pw_name, user->pw_gid, groups.data(), &count) < 0) return false;
        }
        return std::find(groups.begin(), groups.begin() + count, entry->gr_gid) !=
               groups.begin() + count;
    }

    // Root may do everything; members of the configured group may read.
    bool may_read(sd_bus_message* message, sd_bus_error* error) {
        auto uid = sender_uid(message, error);
        if (!uid) return false;
        if (*uid == 0) return true;
        const std::string group_name = info.read_group ? info.read_group() : std::string();
        if (!group_name.empty() && in_group(*uid, group_name)) return true;
        sd_bus_error_set_const(
            error, SD_BUS_ERROR_ACCESS_DENIED,
            "reading handshaked's state needs root or the configured [dbus] read_group");
        return false;
    }

    bool may_write(sd_bus_message* message, sd_bus_error* error) {
        auto uid = sender_uid(message, error);
        if (!uid) return false;
        if (*uid != 0)
            sd_bus_error_set_const(error, SD_BUS_ERROR_ACCESS_DENIED, "only root may do this");
        return *uid == 0;
    }

    void emit_queued() {
        std::deque<registry::CompletedHandshake> batch;
        std::uint64_t dropped = 0;
        {
            std::lock_guard lock(queue_mutex);
            batch.swap(completed_queue);
            dropped = dropped_signals;
            dropped_signals = 0;
        }
        for (const auto& c : batch) {
            sd_bus_emit_signal(bus, kObjectPath, kInterface, "HandshakeCompleted", "tud", c.id,
                               c.status, c.duration_ms);
        }
        if (dropped)
            log::debug("D-Bus: " + std::to_string(dropped) +
                       " HandshakeCompleted signals dropped (rate limit)");
        const auto generation = registry.generation();
        if (generation != last_generation) {
            last_generation = generation;
            sd_bus_emit_properties_changed(
                bus, kObjectPath, kInterface, "PendingHandshakes", "InFlight", "Accepted",
                "Succeeded", "Failed", "TimedOut", "QueueDrains", "MulticastOverruns", "DoneErrors",
                "FailedByStatus", "LatencyP50Ms", "LatencyP99Ms", nullptr);
        }
    }

    void queue_completion(const registry::CompletedHandshake& completed) {
        std::lock_guard lock(queue_mutex);
        if (completed_queue.size() >= kMaxSignalsPerTick) {
            ++dropped_signals;
            return;
        }
        completed_queue.push_back(completed);
    }
};

namespace {

using Impl = AgentBus::Impl;

Impl* impl_of(void* userdata) { return static_cast<Impl*>(userdata); }

int get_pending(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error* error) {
    Impl* impl = impl_of(userdata);
    if (!impl->may_read(sd_bus_get_current_message(sd_bus_message_get_bus(reply)), error))
        return -EACCES;
    int r = sd_bus_message_open_container(reply, 'a', "(tssssaiistti)");
    if (r < 0) return r;
    for (const auto& job : impl->registry.pending()) {
        r = sd_bus_message_open_container(reply, 'r', "tssssaiistti");
        if (r < 0) return r;
        sd_bus_message_append(reply, "tssss", job.id, std::string(role_name(job.role)).c_str(),
                              std::string(auth_mode_name(job.auth)).c_str(),
                              job.peer_address.c_str(), job.peername.c_str());
        sd_bus_message_append_array(reply, 'i', job.requested_serials.data(),
                                    job.requested_serials.size() * sizeof(KeySerial));
        const auto deadline_in =
            std::chrono::duration_cast<std::chrono::milliseconds>(job.deadline - job::Clock::now())
                .count();
        sd_bus_message_append(
            reply, "istti", job.keyring, std::string(job::job_state_name(job.state)).c_str(),
            age_ms(job.accepted_at), static_cast<std::uint64_t>(deadline_in > 0 ? deadline_in : 0),
            job.worker);
        r = sd_bus_message_close_container(reply);
        if (r < 0) return r;
    }
    return sd_bus_message_close_container(reply);
}

template <std::uint64_t registry::Counters::*field>
int get_counter(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error* error) {
    Impl* impl = impl_of(userdata);
    if (!impl->may_read(sd_bus_get_current_message(sd_bus_message_get_bus(reply)), error))
        return -EACCES;
    return sd_bus_message_append(reply, "t", impl->registry.counters().*field);
}

template <double registry::Counters::*field>
int get_latency(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error* error) {
    Impl* impl = impl_of(userdata);
    if (!impl->may_read(sd_bus_get_current_message(sd_bus_message_get_bus(reply)), error))
        return -EACCES;
    return sd_bus_message_append(reply, "d", impl->registry.counters().*field);
}

int get_failed_by_status(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                         void* userdata, sd_bus_error* error) {
    Impl* impl = impl_of(userdata);
    if (!impl->may_read(sd_bus_get_current_message(sd_bus_message_get_bus(reply)), error))
        return -EACCES;
    int r = sd_bus_message_open_container(reply, 'a', "{st}");
    if (r < 0) return r;
    for (const auto& [status, count] : impl->registry.counters().failed_by_status) {
        sd_bus_message_append(reply, "{st}", std::string(errno_name(status)).c_str(), count);
    }
    return sd_bus_message_close_container(reply);
}

int get_info_string(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
                    void* userdata, sd_bus_error*) {
    Impl* impl = impl_of(userdata);
    std::string value;
    if (std::strcmp(property, "Version") == 0) value = impl->info.version;
    if (std::strcmp(property, "KernelSupport") == 0) value = impl->info.kernel_support;
    if (std::strcmp(property, "ConfigPath") == 0) value = impl->info.config_path;
    return sd_bus_message_append(reply, "s", value.c_str());
}

int get_workers(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                void* userdata, sd_bus_error*) {
    return sd_bus_message_append(reply, "u", impl_of(userdata)->info.workers);
}

int method_reload(sd_bus_message* message, void* userdata, sd_bus_error* error) {
    Impl* impl = impl_of(userdata);
    if (!impl->may_write(message, error)) return -EACCES;
    auto reloaded = impl->reload();
    if (!reloaded) {
        return sd_bus_error_set(error, "org.handshaked.Agent1.Error.ConfigRejected",
                                reloaded.error().message.c_str());
    }
    return sd_bus_reply_method_return(message, nullptr);
}

int method_list(sd_bus_message* message, void* userdata, sd_bus_error* error) {
    Impl* impl = impl_of(userdata);
    if (!impl->may_read(message, error)) return -EACCES;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_message_new_method_return(message, &reply);
    if (r < 0) return r;
    sd_bus_message_open_container(reply, 'a', kHistoryEntryInArray);
    for (const auto& c : impl->registry.history()) {
        sd_bus_message_open_container(reply, 'r', kHistoryEntry);
        sd_bus_message_append(reply, "tsssssusd", c.id, std::string(role_name(c.role)).c_str(),
                              std::string(auth_mode_name(c.auth)).c_str(), c.peer_address.c_str(),
                              c.peername.c_str(), c.cipher.c_str(), c.status,
                              std::string(errno_name(c.status)).c_str(), c.duration_ms);
        sd_bus_message_append_array(reply, 'i', c.remote_auth.data(),
                                    c.remote_auth.size() * sizeof(KeySerial));
        sd_bus_message_append(reply, "xss", static_cast<std::int64_t>(c.finished_unix_ms),
                              c.detail.c_str(), c.key_exchange_group.c_str());
        sd_bus_message_close_container(reply);
    }
    sd_bus_message_close_container(reply);
    r = sd_bus_send(nullptr, reply, nullptr);
    sd_bus_message_unref(reply);
    return r;
}

int method_metrics(sd_bus_message* message, void* userdata, sd_bus_error* error) {
    Impl* impl = impl_of(userdata);
    if (!impl->may_read(message, error)) return -EACCES;
    const char* format_name = nullptr;
    int r = sd_bus_message_read(message, "s", &format_name);
    if (r < 0) return r;
    auto format = registry::parse_metrics_format(format_name);
    if (!format) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                 "unknown metrics format '%s' (openmetrics or prometheus)",
                                 format_name);
    }
    registry::MetricsSnapshot snapshot;
    snapshot.counters = impl->registry.counters();
    if (impl->info.liveness) snapshot.workers = impl->info.liveness->pulses();
    snapshot.limits = impl->info.liveness_limits;
    snapshot.now = job::Clock::now();
    snapshot.version = impl->info.agent_version;
    snapshot.tls_library = impl->info.tls_library;
    snapshot.start_time_unix_s = impl->info.start_time_unix_s;
    const std::string text = registry::format_metrics(snapshot, *format);
    return sd_bus_reply_method_return(message, "s", text.c_str());
}

// PropertiesChanged names what changed without the values: signals reach every listener on the
// bus, and the values are for root and the read group only (they fetch them with Get).
constexpr auto kEmits = SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION;
constexpr auto kConst = SD_BUS_VTABLE_PROPERTY_CONST;

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", get_info_string, 0, kConst),
    SD_BUS_PROPERTY("KernelSupport", "s", get_info_string, 0, kConst),
    SD_BUS_PROPERTY("ConfigPath", "s", get_info_string, 0, kConst),
    SD_BUS_PROPERTY("Workers", "u", get_workers, 0, kConst),
    SD_BUS_PROPERTY("PendingHandshakes", "a(tssssaiistti)", get_pending, 0, kEmits),
    SD_BUS_PROPERTY("InFlight", "t", get_counter<&registry::Counters::in_flight>, 0, kEmits),
    SD_BUS_PROPERTY("Accepted", "t", get_counter<&registry::Counters::accepted>, 0, kEmits),
    SD_BUS_PROPERTY("Succeeded", "t", get_counter<&registry::Counters::succeeded>, 0, kEmits),
    SD_BUS_PROPERTY("Failed", "t", get_counter<&registry::Counters::failed>, 0, kEmits),
    SD_BUS_PROPERTY("TimedOut", "t", get_counter<&registry::Counters::timed_out>, 0, kEmits),
    SD_BUS_PROPERTY("QueueDrains", "t", get_counter<&registry::Counters::queue_drains>, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
    SD_BUS_PROPERTY("MulticastOverruns", "t", get_counter<&registry::Counters::multicast_overruns>,
                    0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
    SD_BUS_PROPERTY("DoneErrors", "t", get_counter<&registry::Counters::done_errors>, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
    SD_BUS_PROPERTY("FailedByStatus", "a{st}", get_failed_by_status, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
    SD_BUS_PROPERTY("LatencyP50Ms", "d", get_latency<&registry::Counters::latency_p50_ms>, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
    SD_BUS_PROPERTY("LatencyP99Ms", "d", get_latency<&registry::Counters::latency_p99_ms>, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
    SD_BUS_METHOD("Reload", "", "", method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("ListHandshakes", "", kHistory, method_list, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Metrics", "s", "s", method_metrics, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL("HandshakeCompleted", "tud", 0),
    SD_BUS_VTABLE_END,
};

int on_wake(sd_event_source*, int fd, std::uint32_t, void* userdata) {
    std::uint64_t value;
    [[maybe_unused]] auto r = read(fd, &value, sizeof value);
    Impl* impl = impl_of(userdata);
    if (impl->stopping) return sd_event_exit(impl->event, 0);
    return 0;
}

int on_tick(sd_event_source* source, std::uint64_t usec, void* userdata) {
    impl_of(userdata)->emit_queued();
    // Timer sources are one-shot: re-arm and re-enable for the next tick.
    int r = sd_event_source_set_time(source, usec + kPropertiesIntervalUs);
    if (r < 0) return r;
    return sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
}

}  // namespace

AgentBus::AgentBus(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<AgentBus>> AgentBus::start(registry::Registry& registry, BusInfo info,
                                                  ReloadFunction reload) {
    auto impl = std::make_unique<Impl>(registry, std::move(info), std::move(reload));
    auto fail = [](const char* what, int r) {
        return make_error(ErrorCause::kBus,
                          std::string("D-Bus: ") + what + ": " + std::strerror(-r));
    };
    int r = sd_bus_open_system(&impl->bus);
    if (r < 0) return fail("cannot connect to the system bus", r);
    r = sd_bus_add_object_vtable(impl->bus, &impl->slot, kObjectPath, kInterface, kVtable,
                                 impl.get());
    if (r < 0) return fail("cannot export the object", r);
    r = sd_bus_request_name(impl->bus, kBusName, 0);
    if (r < 0) return fail("cannot own org.handshaked.Agent1", r);
    r = sd_event_new(&impl->event);
    if (r < 0) return fail("event loop", r);
    r = sd_bus_attach_event(impl->bus, impl->event, SD_EVENT_PRIORITY_NORMAL);
    if (r < 0) return fail("event loop", r);
    impl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    sd_event_add_io(impl->event, nullptr, impl->wake_fd, EPOLLIN, on_wake, impl.get());
    std::uint64_t now = 0;
    sd_event_now(impl->event, CLOCK_MONOTONIC, &now);
    sd_event_add_time(impl->event, nullptr, CLOCK_MONOTONIC, now + kPropertiesIntervalUs, 0,
                      on_tick, impl.get());
    Impl* raw = impl.get();
    registry.set_completion_listener(
        [raw](const registry::CompletedHandshake& c) { raw->queue_completion(c); });
    impl->thread = std::thread([raw] { sd_event_loop(raw->event); });
    return std::make_unique<AgentBus>(std::move(impl));
}

AgentBus::~AgentBus() {
    impl_->registry.set_completion_listener(nullptr);
    impl_->stopping = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto w = write(impl_->wake_fd, &one, sizeof one);
    if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace handshaked::bus
