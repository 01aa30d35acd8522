// SPDX-License-Identifier: GPL-2.0-or-later
// handshakectl: look at and steer a running handshaked over D-Bus (org.handshaked.Agent1).
//   handshakectl [--json] status | list | history | stats | reload
//   handshakectl metrics [--format openmetrics|prometheus] [--output FILE]
//   handshakectl check-config [FILE]   (runs handshaked --check-config; needs no daemon)
// Exit codes: 0 ok, 1 the daemon refused or failed the request, 2 usage, 3 handshaked is not
// reachable on the system bus, 4 access denied.
#include <fcntl.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "service/bus/agent1_api.h"

namespace {

using handshaked::bus::kInterface;
constexpr const char* kService = handshaked::bus::kBusName;
constexpr const char* kPath = handshaked::bus::kObjectPath;

enum Exit { kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3, kDenied = 4 };

struct Bus {
    sd_bus* bus = nullptr;
    ~Bus() { sd_bus_flush_close_unref(bus); }
};

struct Message {
    sd_bus_message* m = nullptr;
    ~Message() { sd_bus_message_unref(m); }
};

struct BusError {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    ~BusError() { sd_bus_error_free(&e); }
};

int exit_for(const BusError& error, int r) {
    std::fprintf(stderr, "handshakectl: %s\n",
                 error.e.message ? error.e.message : std::strerror(-r));
    if (sd_bus_error_has_name(&error.e, SD_BUS_ERROR_ACCESS_DENIED) || r == -EACCES || r == -EPERM)
        return kDenied;
    if (sd_bus_error_has_name(&error.e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
        sd_bus_error_has_name(&error.e, SD_BUS_ERROR_NAME_HAS_NO_OWNER) ||
        sd_bus_error_has_name(&error.e, SD_BUS_ERROR_UNKNOWN_OBJECT) || r == -ENOENT ||
        r == -ECONNREFUSED)
        return kUnreachable;
    return kFailed;
}

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else
            out += static_cast<char>(c);
    }
    return out + "\"";
}

std::string serials_text(const std::vector<std::int32_t>& serials, bool json) {
    std::string out = json ? "[" : "";
    for (std::size_t i = 0; i < serials.size(); ++i) {
        if (i) out += ",";
        out += std::to_string(serials[i]);
    }
    if (json) return out + "]";
    return out.empty() ? "-" : out;
}

int read_int_array(sd_bus_message* m, std::vector<std::int32_t>& out) {
    const void* data = nullptr;
    size_t size = 0;
    int r = sd_bus_message_read_array(m, 'i', &data, &size);
    if (r < 0) return r;
    const auto* values = static_cast<const std::int32_t*>(data);
    out.assign(values, values + size / sizeof(std::int32_t));
    return r;
}

struct Properties {
    std::map<std::string, std::uint64_t> counters;
    std::map<std::string, std::string> strings;
    std::map<std::string, double> doubles;
    std::map<std::string, std::uint64_t> failed_by_status;
    std::uint32_t workers = 0;
};

int get_all(sd_bus* bus, Properties& props) {
    BusError error;
    Message reply;
    int r = sd_bus_call_method(bus, kService, kPath, "org.freedesktop.DBus.Properties", "GetAll",
                               &error.e, &reply.m, "s", kInterface);
    if (r < 0) return exit_for(error, r);
    sd_bus_message_enter_container(reply.m, 'a', "{sv}");
    while (sd_bus_message_enter_container(reply.m, 'e', "sv") > 0) {
        const char* name = nullptr;
        sd_bus_message_read(reply.m, "s", &name);
        const char* contents = nullptr;
        sd_bus_message_peek_type(reply.m, nullptr, &contents);
        std::string key = name;
        std::string type = contents ? contents : "";
        if (type == "t") {
            std::uint64_t v = 0;
            sd_bus_message_read(reply.m, "v", "t", &v);
            props.counters[key] = v;
        } else if (type == "s") {
            const char* v = "";
            sd_bus_message_read(reply.m, "v", "s", &v);
            props.strings[key] = v;
        } else if (type == "d") {
            double v = 0;
            sd_bus_message_read(reply.m, "v", "d", &v);
            props.doubles[key] = v;
        } else if (type == "u") {
            sd_bus_message_read(reply.m, "v", "u", &props.workers);
        } else if (type == "a{st}") {
            sd_bus_message_enter_container(reply.m, 'v', "a{st}");
            sd_bus_message_enter_container(reply.m, 'a', "{st}");
            const char* status = nullptr;
            std::uint64_t count = 0;
            while (sd_bus_message_read(reply.m, "{st}", &status, &count) > 0)
                props.failed_by_status[status] = count;
            sd_bus_message_exit_container(reply.m);
            sd_bus_message_exit_container(reply.m);
        } else {
            sd_bus_message_skip(reply.m, "v");
        }
        sd_bus_message_exit_container(reply.m);
    }
    return kOk;
}

int command_status(sd_bus* bus, bool json, bool stats_only) {
    Properties p;
    if (int rc = get_all(bus, p); rc != kOk) return rc;
    const char* counter_names[] = {"InFlight", "Accepted",    "Succeeded",         "Failed",
                                   "TimedOut", "QueueDrains", "MulticastOverruns", "DoneErrors"};
    if (json) {
        std::printf("{");
        if (!stats_only) {
            std::printf("\"version\":%s,\"kernel\":%s,\"config\":%s,\"workers\":%u,",
                        json_string(p.strings["Version"]).c_str(),
                        json_string(p.strings["KernelSupport"]).c_str(),
                        json_string(p.strings["ConfigPath"]).c_str(), p.workers);
        }
        for (const char* name : counter_names)
            std::printf("\"%s\":%llu,", name, static_cast<unsigned long long>(p.counters[name]));
        std::printf("\"LatencyP50Ms\":%.3f,\"LatencyP99Ms\":%.3f,\"FailedByStatus\":{",
                    p.doubles["LatencyP50Ms"], p.doubles["LatencyP99Ms"]);
        bool first = true;
        for (const auto& [status, count] : p.failed_by_status) {
            std::printf("%s%s:%llu", first ? "" : ",", json_string(status).c_str(),
                        static_cast<unsigned long long>(count));
            first = false;
        }
        std::printf("}}\n");
        return kOk;
    }
    if (!stats_only) {
        std::printf("handshaked %s, %u workers\n", p.strings["Version"].c_str(), p.workers);
        std::printf("kernel:  %s\n", p.strings["KernelSupport"].c_str());
        std::printf("config:  %s\n", p.strings["ConfigPath"].empty()
                                         ? "(built-in defaults)"
                                         : p.strings["ConfigPath"].c_str());
    }
    std::printf("in flight %llu, accepted %llu, succeeded %llu, failed %llu (timed out %llu)\n",
                static_cast<unsigned long long>(p.counters["InFlight"]),
                static_cast<unsigned long long>(p.counters["Accepted"]),
                static_cast<unsigned long long>(p.counters["Succeeded"]),
                static_cast<unsigned long long>(p.counters["Failed"]),
                static_cast<unsigned long long>(p.counters["TimedOut"]));
    std::printf("latency p50 %.1f ms, p99 %.1f ms\n", p.doubles["LatencyP50Ms"],
                p.doubles["LatencyP99Ms"]);
    std::printf("queue drains %llu, multicast overruns %llu, DONE errors %llu\n",
                static_cast<unsigned long long>(p.counters["QueueDrains"]),
                static_cast<unsigned long long>(p.counters["MulticastOverruns"]),
                static_cast<unsigned long long>(p.counters["DoneErrors"]));
    if (!p.failed_by_status.empty()) {
        std::printf("failed by status:");
        for (const auto& [status, count] : p.failed_by_status)
            std::printf(" %s=%llu", status.c_str(), static_cast<unsigned long long>(count));
        std::printf("\n");
    }
    return kOk;
}

int command_list(sd_bus* bus, bool json) {
    BusError error;
    Message reply;
    int r = sd_bus_get_property(bus, kService, kPath, kInterface, "PendingHandshakes", &error.e,
                                &reply.m, "a(tssssaiistti)");
    if (r < 0) return exit_for(error, r);
    sd_bus_message_enter_container(reply.m, 'a', "(tssssaiistti)");
    if (json)
        std::printf("[");
    else
        std::printf("%-6s %-6s %-6s %-22s %-20s %-16s %-15s %8s %8s %s\n", "ID", "ROLE", "AUTH",
                    "PEER", "PEERNAME", "SERIALS", "STATE", "AGE_MS", "LEFT_MS", "WORKER");
    bool first = true;
    while (sd_bus_message_enter_container(reply.m, 'r', "tssssaiistti") > 0) {
        std::uint64_t id = 0, age = 0, left = 0;
        const char *role, *auth, *peer, *peername, *state;
        std::int32_t keyring = 0, worker = 0;
        std::vector<std::int32_t> serials;
        sd_bus_message_read(reply.m, "tssss", &id, &role, &auth, &peer, &peername);
        read_int_array(reply.m, serials);
        sd_bus_message_read(reply.m, "istti", &keyring, &state, &age, &left, &worker);
        sd_bus_message_exit_container(reply.m);
        if (json) {
            std::printf(
                "%s{\"id\":%llu,\"role\":%s,\"auth\":%s,\"peer\":%s,\"peername\":%s,\"serials\":%s,"
                "\"keyring\":%d,\"state\":%s,\"age_ms\":%llu,\"remaining_ms\":%llu,\"worker\":%d}",
                first ? "" : ",", static_cast<unsigned long long>(id), json_string(role).c_str(),
                json_string(auth).c_str(), json_string(peer).c_str(), json_string(peername).c_str(),
                serials_text(serials, true).c_str(), keyring, json_string(state).c_str(),
                static_cast<unsigned long long>(age), static_cast<unsigned long long>(left),
                worker);
        } else {
            std::printf("%-6llu %-6s %-6s %-22s %-20s %-16s %-15s %8llu %8llu %d\n",
                        static_cast<unsigned long long>(id), role, auth, peer,
                        *peername ? peername : "-", serials_text(serials, false).c_str(), state,
                        static_cast<unsigned long long>(age), static_cast<unsigned long long>(left),
                        worker);
        }
        first = false;
    }
    if (json) std::printf("]\n");
    return kOk;
}

int command_history(sd_bus* bus, bool json) {
    BusError error;
    Message reply;
    int r = sd_bus_call_method(bus, kService, kPath, kInterface, "ListHandshakes", &error.e,
                               &reply.m, "");
    if (r < 0) return exit_for(error, r);
    sd_bus_message_enter_container(reply.m, 'a', handshaked::bus::kHistoryEntryInArray);
    if (json)
        std::printf("[");
    else
        std::printf("%-6s %-6s %-6s %-22s %-24s %-18s %-12s %9s %-12s %s\n", "ID", "ROLE", "AUTH",
                    "PEER", "CIPHER", "GROUP", "STATUS", "MS", "PEER_IDS", "DETAIL");
    bool first = true;
    while (sd_bus_message_enter_container(reply.m, 'r', handshaked::bus::kHistoryEntry) > 0) {
        std::uint64_t id = 0;
        const char *role, *auth, *peer, *peername, *cipher, *status_name, *detail, *group;
        std::uint32_t status = 0;
        double ms = 0;
        std::int64_t finished = 0;
        std::vector<std::int32_t> remote;
        sd_bus_message_read(reply.m, "tsssssusd", &id, &role, &auth, &peer, &peername, &cipher,
                            &status, &status_name, &ms);
        read_int_array(reply.m, remote);
        sd_bus_message_read(reply.m, "xss", &finished, &detail, &group);
        sd_bus_message_exit_container(reply.m);
        if (json) {
            std::printf(
                "%s{\"id\":%llu,\"role\":%s,\"auth\":%s,\"peer\":%s,\"peername\":%s,\"cipher\":%s,"
                "\"status\":%u,"
                "\"status_name\":%s,\"duration_ms\":%.3f,\"remote_auth\":%s,\"finished_unix_ms\":%"
                "lld,\"detail\":%s,\"key_exchange_group\":%s}",
                first ? "" : ",", static_cast<unsigned long long>(id), json_string(role).c_str(),
                json_string(auth).c_str(), json_string(peer).c_str(), json_string(peername).c_str(),
                json_string(cipher).c_str(), status, json_string(status_name).c_str(), ms,
                serials_text(remote, true).c_str(), static_cast<long long>(finished),
                json_string(detail).c_str(), json_string(group).c_str());
        } else {
            std::printf("%-6llu %-6s %-6s %-22s %-24s %-18s %-12s %9.1f %-12s %s\n",
                        static_cast<unsigned long long>(id), role, auth, peer,
                        *cipher ? cipher : "-", *group ? group : "-", status_name, ms,
                        serials_text(remote, false).c_str(), detail);
        }
        first = false;
    }
    if (json) std::printf("]\n");
    return kOk;
}

int command_reload(sd_bus* bus) {
    BusError error;
    Message reply;
    int r = sd_bus_call_method(bus, kService, kPath, kInterface, "Reload", &error.e, &reply.m, "");
    if (r < 0) return exit_for(error, r);
    std::printf("reloaded\n");
    return kOk;
}

// FILE is replaced whole or not at all: a scraper (node_exporter's textfile collector) never
// reads half a file. The temporary file is in FILE's directory, so the rename is atomic.
int write_atomically(const std::string& path, const std::string& text) {
    std::string temporary = path + ".XXXXXX";
    int fd = mkstemp(temporary.data());
    if (fd < 0) {
        std::fprintf(stderr, "handshakectl: cannot create %s: %s\n", temporary.c_str(),
                     std::strerror(errno));
        return kFailed;
    }
    bool written = fchmod(fd, 0644) == 0;
    for (std::size_t done = 0; written && done < text.size();) {
        ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        written = n > 0;
        if (written) done += static_cast<std::size_t>(n);
    }
    written = written && fsync(fd) == 0;
    written = close(fd) == 0 && written;
    if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
        std::fprintf(stderr, "handshakectl: cannot write %s: %s\n", path.c_str(),
                     std::strerror(errno));
        unlink(temporary.c_str());
        return kFailed;
    }
    return kOk;
}

int command_metrics(sd_bus* bus, const std::string& format, const std::string& output) {
    BusError error;
    Message reply;
    int r = sd_bus_call_method(bus, kService, kPath, kInterface, "Metrics", &error.e, &reply.m, "s",
                               format.c_str());
    if (r < 0) return exit_for(error, r);
    const char* text = nullptr;
    r = sd_bus_message_read(reply.m, "s", &text);
    if (r < 0) return exit_for(error, r);
    if (!output.empty()) return write_atomically(output, text);
    std::fputs(text, stdout);
    return std::fflush(stdout) == 0 ? kOk : kFailed;
}

void usage(FILE* out) {
    std::fprintf(
        out,
        "usage: handshakectl [--json] COMMAND\n"
        "  status   version, kernel support, counters, latency\n"
        "  list     handshakes in flight, with their age\n"
        "  history  recently completed handshakes\n"
        "  stats    counters only\n"
        "  reload   re-read the configuration (as SIGHUP)\n"
        "  metrics [--format openmetrics|prometheus] [--output FILE]\n"
        "           counters, failures by status, latency histograms and worker state for a\n"
        "           scraper (default OpenMetrics); --output replaces FILE atomically\n"
        "  check-config [FILE]  vet FILE (default: the file handshaked would read) with\n"
        "           handshaked --check-config; exit 0 if a start or reload would accept it\n"
        "exit: 0 ok, 1 refused/failed, 2 usage, 3 handshaked not reachable, 4 access denied\n");
}

}  // namespace

int main(int argc, char** argv) {
    // check-config is the daemon's own loader, run as a program: no bus, no running daemon.
    if (argc >= 2 && std::strcmp(argv[1], "check-config") == 0 && argc <= 3) {
        static char daemon_path[] = "/usr/sbin/handshaked";
        static char option[] = "--check-config";
        char* daemon_argv[] = {daemon_path, option, argc == 3 ? argv[2] : nullptr, nullptr};
        execv(daemon_path, daemon_argv);
        std::fprintf(stderr, "handshakectl: cannot run %s: %s\n", daemon_path,
                     std::strerror(errno));
        return kUnreachable;
    }
    bool json = false;
    std::string command;
    std::string metrics_format = "openmetrics";
    std::string metrics_output;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--json")
            json = true;
        else if (command == "metrics" && (arg == "--format" || arg == "--output") && i + 1 < argc)
            (arg == "--format" ? metrics_format : metrics_output) = argv[++i];
        else if (arg == "-h" || arg == "--help") {
            usage(stdout);
            return kOk;
        } else if (command.empty() && arg[0] != '-')
            command = arg;
        else {
            usage(stderr);
            return kUsage;
        }
    }
    if (command.empty()) command = "status";
    if ((command != "status" && command != "list" && command != "history" && command != "stats" &&
         command != "reload" && command != "metrics") ||
        (command == "metrics" && json)) {
        usage(stderr);
        return kUsage;
    }
    Bus bus;
    if (int r = sd_bus_open_system(&bus.bus); r < 0) {
        std::fprintf(stderr, "handshakectl: cannot connect to the system bus: %s\n",
                     std::strerror(-r));
        return kUnreachable;
    }
    if (command == "status") return command_status(bus.bus, json, false);
    if (command == "stats") return command_status(bus.bus, json, true);
    if (command == "list") return command_list(bus.bus, json);
    if (command == "history") return command_history(bus.bus, json);
    if (command == "metrics") return command_metrics(bus.bus, metrics_format, metrics_output);
    return command_reload(bus.bus);
}
