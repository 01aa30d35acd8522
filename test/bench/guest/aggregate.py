#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Reduces the guest's raw files (test/bench/guest/run's work dir) to one JSON document on stdout:
# per mode and concurrency the kernel-measured latencies and the handshake rate, the in-process
# limit, handshaked's memory, the data-path throughput and the guest's facts.
# Definitions (also in test/bench/README.md):
#   latency            successful submit -> completion callback (hsshimctl's latency_ns), for every
#                      request that got a callback (ok or failed), as hsshimctl summarises it
#   latency_incl_queue first submit attempt -> callback: adds the time spent retrying EAGAIN
#                      (the kernel's pending queue was full) before the submit went through
#   window             per batch: first submit attempt -> last callback, kernel clock
#   hs_per_s           successful handshakes (sessions ending in phase ok, echo included) / sum of
#                      windows; wall_hs_per_s uses the run's whole elapsed time (connects, echo)
import collections
import glob
import json
import os
import re
import subprocess
import sys

W = sys.argv[1]
errors = []


def load(path, default=None):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        errors.append(f"{os.path.relpath(path, W)}: {error}")
        return default


def percentile(values, p):
    # hsshimctl's rule: sorted[round((n - 1) * p / 100)]
    if not values:
        return None
    return values[int((len(values) - 1) * p / 100.0 + 0.5)]


def stats_ms(values_ns):
    values = sorted(values_ns)
    if not values:
        return {"n": 0}
    ms = lambda ns: round(ns / 1e6, 3)
    return {"n": len(values), "min": ms(values[0]), "avg": ms(sum(values) / len(values)),
            "p50": ms(percentile(values, 50)), "p90": ms(percentile(values, 90)),
            "p99": ms(percentile(values, 99)), "max": ms(values[-1])}


CALLBACK_PHASES = ("ok", "handshake", "echo")


def reduce_runs(mode, concurrency, files):
    latency, latency_q, results = [], [], collections.Counter()
    windows_ns = elapsed_ns = ok = sessions = retries = early = batches = 0
    for path in files:
        run = load(path)
        if not run:
            continue
        batches += 1
        elapsed_ns += run.get("elapsed_ns", 0)
        first, last = None, None
        for s in run.get("sessions", []):
            sessions += 1
            results[s["result"]] += 1
            retries += s.get("eagain_retries", 0)
            early += 1 if s.get("early_completion") else 0
            if s["phase"] == "ok":
                ok += 1
            if s["submit_at_ns"]:
                attempt = s["submit_at_ns"] - s["queue_ns"]
                first = attempt if first is None else min(first, attempt)
            if s["latency_ns"] and s["cancel"] != "won" and s["phase"] in CALLBACK_PHASES:
                latency.append(s["latency_ns"])
                latency_q.append(s["latency_ns"] + s["queue_ns"])
                done = s["submit_at_ns"] + s["latency_ns"]
                last = done if last is None else max(last, done)
        if first is not None and last is not None:
            windows_ns += last - first
    failures = {name: count for name, count in sorted(results.items()) if name != "ok"}
    return {
        "mode": mode, "concurrency": concurrency, "batches": batches,
        "pairs_per_batch": concurrency, "requests": sessions, "ok": ok,
        "failures": sessions - ok, "failures_by_status": failures,
        "window_s": round(windows_ns / 1e9, 4), "elapsed_s": round(elapsed_ns / 1e9, 4),
        "hs_per_s": round(ok / (windows_ns / 1e9), 1) if windows_ns else 0.0,
        "wall_hs_per_s": round(ok / (elapsed_ns / 1e9), 1) if elapsed_ns else 0.0,
        "latency_ms": stats_ms(latency), "latency_incl_queue_ms": stats_ms(latency_q),
        "eagain_retries": retries, "early_completions": early,
    }


def agent_log_statuses(path):
    counts = collections.Counter()
    try:
        with open(path, errors="replace") as handle:
            for line in handle:
                match = re.search(r"^handshaked: handshake \d+ (\S+) (\S+) .*: (ok|failed) status (\S+)", line)
                if match:
                    counts[f"{match.group(1)} {match.group(2)} {match.group(4)}"] += 1
    except OSError:
        pass
    return dict(sorted(counts.items()))


def read_text(path, default=""):
    try:
        with open(path, errors="replace") as handle:
            return handle.read()
    except OSError:
        return default


def guest_facts():
    meminfo = dict(line.split(":", 1) for line in read_text("/proc/meminfo").splitlines() if ":" in line)
    mem_total_kib = int(meminfo.get("MemTotal", "0 kB").split()[0])
    cpuinfo = read_text("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
    flags = re.search(r"^flags\s*:\s*(.*)$", cpuinfo, re.M)
    flags = set(flags.group(1).split()) if flags else set()
    # The kernel's AEAD for kTLS AES-GCM: the highest-priority gcm(aes) instance.
    best = None
    for block in read_text("/proc/crypto").split("\n\n"):
        fields = dict(re.findall(r"^(\w+)\s*:\s*(.*)$", block, re.M))
        if fields.get("name") == "gcm(aes)":
            priority = int(fields.get("priority", "0"))
            if best is None or priority > best[0]:
                best = (priority, fields.get("driver", "?"))
    # net/handshake: hn_pending_max = clamp(totalram_pages / (25 * PAGE_SIZE), 3, 50)
    pages = mem_total_kib // 4
    version = subprocess.run(["/usr/sbin/handshaked", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "kernel": os.uname().release, "vcpus": os.cpu_count(), "mem_total_kib": mem_total_kib,
        "cpu_model": model.group(1) if model else "?",
        "cpu_flags": sorted(flags & {"aes", "pclmulqdq", "avx", "avx2", "sse4_2", "vaes", "vpclmulqdq"}),
        "gcm_aes_driver": best[1] if best else None,
        "pending_cap": max(3, min(50, pages // (25 * 4096))),
        "handshaked": version,
    }


def datapath():
    rows = collections.defaultdict(list)
    for line in read_text(os.path.join(W, "datapath.tsv")).splitlines():
        proto, sec, op, rep, size, ns, rc = line.split("\t")
        if rc == "0" and int(ns) > 0:
            rows[(proto, sec, op)].append(int(size) / 1048576 / (int(ns) / 1e9))
    out = {}
    for proto in ("nfs", "nvme"):
        entry = {}
        for sec in ("tls", "none"):
            for op in ("write", "read"):
                values = sorted(rows.get((proto, sec, op), []))
                entry[f"{sec}_{op}_mib_s"] = round(values[len(values) // 2], 2) if values else None
                entry[f"{sec}_{op}_runs"] = [round(v, 2) for v in values]
        for op in ("write", "read"):
            tls, plain = entry[f"tls_{op}_mib_s"], entry[f"none_{op}_mib_s"]
            entry[f"{op}_ratio"] = round(tls / plain, 3) if tls and plain else None
        out[proto] = entry
    out["ktls_tx_sockets"] = read_text(os.path.join(W, "datapath-ktls-tx.txt")).strip()
    out["nvme_controllers"] = read_text(os.path.join(W, "nvme-controllers.txt")).strip().splitlines()
    out["agent_log"] = agent_log_statuses(os.path.join(W, "handshaked-datapath.log"))
    return out


def cpu_split(paths, handshakes):
    """CPU per successful handshake, in ms, from pairs of snapshots (before, after) of /proc/stat's
    cpu line (user nice system idle iowait irq softirq), optionally followed by one process's utime
    and stime; ticks are USER_HZ = 100. Sums over every file of paths."""
    total = None
    for path in paths:
        rows = [list(map(int, line.split())) for line in read_text(path).splitlines() if line.strip()]
        if len(rows) != 2:
            continue
        d = [b - a for a, b in zip(rows[0], rows[1])]
        total = d if total is None else [x + y for x, y in zip(total, d)]
    if total is None or not handshakes:
        return None
    d = total
    per = lambda ticks: round(ticks * 10.0 / handshakes, 3)
    out = {"handshakes": handshakes, "wall_cpu_ms": per(sum(d[:7])), "idle_ms": per(d[3] + d[4]),
           "user_ms": per(d[0] + d[1]), "system_ms": per(d[2] + d[5] + d[6]),
           "busy_ms": per(sum(d[:7]) - d[3] - d[4])}
    if len(d) >= 9:
        out.update(handshaked_user_ms=per(d[7]), handshaked_system_ms=per(d[8]),
                   other_busy_ms=per(sum(d[:7]) - d[3] - d[4] - d[7] - d[8]))
    return out


def failure_details(path):
    """handshaked's failure lines, numbers blanked, counted: what the failures were."""
    counts = collections.Counter()
    for line in read_text(path).splitlines():
        match = re.search(r"^handshaked: handshake \d+ (\S+) (\S+) .*: failed status (\S+) .*?(\(.*\))?$", line)
        if match:
            detail = re.sub(r"\d{3,}", "N", match.group(4) or "")
            counts[f"{match.group(1)} {match.group(2)} {match.group(3)} {detail}".strip()] += 1
    return dict(counts.most_common(12))


params = load(os.path.join(W, "params.json"), {})
modes = params.get("modes", "ecdsa-p256 rsa-2048 psk").split()
workers = params.get("handshaked_workers", os.cpu_count())
upcall, memory, inprocess, agent_logs, cpu, rounds = [], {}, [], {}, {}, {}
for mode in modes:
    runs = os.path.join(W, "runs", mode)
    for concurrency in (1, 64, 1000):
        files = sorted(glob.glob(os.path.join(runs, f"c{concurrency}", "*.json")))
        upcall.append(reduce_runs(mode, concurrency, files))
    by_c = {row["concurrency"]: row for row in upcall if row["mode"] == mode}
    cpu[mode] = {"upcall_c64": cpu_split(sorted(glob.glob(os.path.join(runs, "c64", "*.cpu"))), by_c[64]["ok"]),
                 "upcall_c1000": cpu_split(sorted(glob.glob(os.path.join(runs, "c1000", "*.cpu"))), by_c[1000]["ok"])}
    for threads in sorted({1, workers}):
        results = []
        for path in sorted(glob.glob(os.path.join(W, "inproc", mode, f"t{threads}-*.json"))):
            result = load(path)
            if result:
                result["round"] = int(re.search(r"-(\d+)\.json$", path).group(1))
                results.append(result)
        if not results:
            continue
        handshakes = sum(r["handshakes"] for r in results)
        seconds = sum(r["seconds"] for r in results)
        inprocess.append({"mode": mode, "threads": threads, "runs": len(results), "handshakes": handshakes,
                          "seconds": round(seconds, 3), "hs_per_s": round(handshakes / seconds, 1) if seconds else 0,
                          "failures": sum(r["failures"] for r in results),
                          "library": results[0].get("library"), "cpu_paths": results[0].get("cpu_paths"),
                          "per_run_hs_per_s": [r["hs_per_s"] for r in results]})
        cpu[mode][f"inprocess_t{threads}"] = cpu_split(
            sorted(glob.glob(os.path.join(W, "inproc", mode, f"t{threads}-*.cpu"))), handshakes)
        if threads == workers:
            paired = []
            for result in results:
                batch = sorted(glob.glob(os.path.join(runs, "c64", f"{result['round']}-*.json")))
                row = reduce_runs(mode, 64, batch)
                paired.append({"round": result["round"], "upcall_c64_hs_per_s": row["hs_per_s"],
                               "inprocess_hs_per_s": result["hs_per_s"],
                               "ratio": round(row["hs_per_s"] / result["hs_per_s"], 3) if result["hs_per_s"] else None})
            rounds[mode] = paired
    mem = load(os.path.join(W, f"mem-{mode}.json"), {})
    sample = load(os.path.join(W, f"sample-{mode}.json"), {})
    if mem:
        max_inflight = max(0, sample.get("max_fds", 0) - mem.get("idle_fds", 0))
        peak = max(mem.get("peak_rss_kib", 0), sample.get("max_rss_kib", 0))
        mem.update(max_inflight=max_inflight, sampler_max_rss_kib=sample.get("max_rss_kib", 0),
                   sampler_samples=sample.get("samples", 0), timeline=sample.get("timeline", []),
                   per_inflight_kib=round((peak - mem["idle_rss_kib"]) / max_inflight, 2) if max_inflight else None)
        mem["peak_rss_kib"] = peak
        for phase in ("start", "idle"):
            smaps = load(os.path.join(W, f"smaps-{phase}-{mode}.json"), {})
            mem[f"{phase}_rss_by_object"] = smaps.get("objects", [])
            mem[f"{phase}_anonymous_mappings"] = smaps.get("anonymous_mappings", [])
        memory[mode] = mem
    log = os.path.join(W, f"handshaked-{mode}.log")
    agent_logs[mode] = {"statuses": agent_log_statuses(log), "failures": failure_details(log)}

# tlshd through the same batches (guest/run --tlshd), when it ran.
tlshd = {}
if os.path.isdir(os.path.join(W, "tlshd")):
    tlshd = {"version": read_text(os.path.join(W, "tlshd", "version.txt")).strip(), "runs": [], "cpu": {},
             "idle_rss_kib": {}}
    for mode in modes:
        base = os.path.join(W, "tlshd", mode)
        if not os.path.isdir(base):
            continue
        rows = {}
        for concurrency in (1, 64, 1000):
            files = sorted(glob.glob(os.path.join(base, f"c{concurrency}", "*.json")))
            if files:
                rows[concurrency] = reduce_runs(mode, concurrency, files)
                tlshd["runs"].append(rows[concurrency])
        if 64 in rows:
            tlshd["cpu"][mode] = cpu_split(sorted(glob.glob(os.path.join(base, "c64", "*.cpu"))), rows[64]["ok"])
        rss = read_text(os.path.join(base, "idle-rss-kib.txt")).strip()
        if rss.isdigit():
            tlshd["idle_rss_kib"][mode] = int(rss)

dmesg = read_text(os.path.join(W, "dmesg.txt"))
warnings = [line for line in dmesg.splitlines() if re.search(r"WARNING:|BUG:|Attempt to release TCP|refcount_t", line)]
errors += [line for line in read_text(os.path.join(W, "errors.txt")).splitlines() if line]
json.dump({
    "schema": "handshaked-bench-guest/1", "params": params, "guest": guest_facts(),
    "upcall": upcall, "inprocess": inprocess, "rounds": rounds, "memory": memory, "agent_log": agent_logs,
    "cpu": cpu, "tlshd": tlshd,
    "datapath": datapath(), "kernel_warnings": warnings[:20], "errors": errors,
}, sys.stdout, indent=1)
sys.stdout.write("\n")
