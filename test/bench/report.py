#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Host half of test/bench/run: turns the guest's raw result (guest-raw.json) into results.json
# (the schema other tools read), results.md and latency.png, and prints the table.
#   report.py --guest guest-raw.json --host host.json --hostload hostload.json --console console.log
#             --wall SECONDS --out DIR
import argparse
import datetime
import json
import os
import re
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

MODES = ("ecdsa-p256", "rsa-2048", "psk")
CONCURRENCY = (1, 64, 1000)
IDLE_RSS_BAR_KIB = 8 * 1024
PER_INFLIGHT_BAR_KIB = 64
RATIO_BAR = 0.75
P99_BAR_MS = 10_000
UPCALL_BAR = 0.90     # the upcall at the library's speed: c64 and goodput at 1,000 pairs, every mode
TLSHD_C1_BAR = 0.5    # concurrency-1 p50 and p99 against tlshd's, in the same run

DEFINITIONS = {
    "concurrency": "N = one batch of N kernel-socket pairs on loopback (kernel-shim pairs mode) submitted at "
                   "once: N ClientHello + N ServerHello upcall requests (2N), every one served by handshaked. "
                   "Concurrency 1 is a series of one-pair batches.",
    "handshakes": "counted per side: a pair is two handshakes, in the upcall and the in-process runs alike",
    "goodput": "at concurrency 1,000 the upcall rate counts only handshakes that completed, kTLS echo included, "
               "before the consumer's deadline: handshakes completed within deadline per second",
    "upcall_hs_per_s": "successful handshakes (handshake status 0 and the kernel<->kernel echo over kTLS) / "
                       "the sum over batches of (first submit attempt -> last completion), kernel clock",
    "wall_hs_per_s": "the same over the shim run's whole elapsed time (connects and the echo included)",
    "latency": "p50/p90/p99/max of submit -> completion callback, measured in the kernel by kernel-shim "
               "(ktime), for every request that got a callback (failed ones included)",
    "latency_incl_queue": "first submit attempt -> completion: adds the time the shim spent retrying EAGAIN "
                          "because the kernel's pending queue was full (its cap is in the guest facts: pending_cap)",
    "inprocess_hs_per_s": "inprocess-bench (the same wolfSSL engine and credentials, client and server in one "
                          "thread over loopback TCP, no upcall, no kTLS) with as many threads as handshaked has "
                          "workers; the same figure for every concurrency of a mode",
    "memory": "handshaked's VmRSS from /proc: idle at start = 2 s after start-up, before any handshake; "
              "idle = 3 s after a 64-pair warm-up (the figure the target is judged on); peak = VmHWM over the "
              "1,000-pair batch (reset with clear_refs before it) or the sampler's maximum; per in-flight = "
              "(peak - idle) / max in flight, where in flight = handshaked's open fds minus its idle fd count "
              "(each accepted request holds exactly one fd, its socket), sampled every 50 ms. The top-level "
              "figures are the largest over the three modes.",
    "failures": "sessions not ending in phase ok, by hsshimctl result (an errno name, consumer-timeout, "
                "echo-failed)",
    "datapath": "dd bs=1M with O_DIRECT, page cache dropped before each transfer; NFSv4.2 on a tmpfs export, "
                "xprtsec=tls vs xprtsec=none; NVMe/TCP on a file on tmpfs, a TLS 1.3 (PSK) port vs a plain "
                "port of the same subsystem; median of the repetitions; ratio = TLS / plain",
}

CAVEATS = [
    "The guest runs under QEMU TCG (no KVM): every instruction is emulated, about 9-12x slower than the "
    "host for this code, so absolute figures are low and only ratios within the same run mean much.",
    "2 vCPUs for everything: handshaked's workers, the kernel (netlink, kTLS setup, the shim's workqueue, "
    "the echo) and the driver share them, while in-process runs have both vCPUs to themselves.",
    "The host is a shared 2-core machine; other sessions' builds run alongside (see host load averages).",
    "AES-GCM in the guest kernel runs on emulated AES-NI/PCLMUL instructions, which TCG executes far more "
    "slowly than real hardware relative to plain copies: the data-path TLS/plain ratios are pessimistic.",
    "handshaked logs every handshake to a file on tmpfs (no journald in the tiny guest).",
    "The in-flight count is sampled (50 ms) from the fd table; the sampler itself costs some guest CPU.",
]


def idle_rss_by_object_table(by_mode, rows=12):
    """Idle RSS per mapped object (smaps), the largest first: what the 8 MiB target is made of."""
    modes = [m for m, mem in by_mode.items() if mem.get("idle_rss_by_object")]
    if not modes:
        return []
    per_mode = {m: {o["name"]: o for o in by_mode[m]["idle_rss_by_object"]} for m in modes}
    start = {m: {o["name"]: o["rss_kib"] for o in by_mode[m].get("start_rss_by_object", [])} for m in modes}
    largest = {}
    for m in modes:
        for name, o in per_mode[m].items():
            largest[name] = max(largest.get(name, 0), o["rss_kib"])
    names = sorted(largest, key=lambda n: -largest[n])
    md = ["Idle RSS by mapped object (KiB, after the warm-up; in brackets: at start-up):", "",
          "| object | " + " | ".join(modes) + " |", "|---|" + "---|" * len(modes)]
    for name in names[:rows]:
        cells = [f"{fmt(per_mode[m].get(name, {}).get('rss_kib', 0))} ({fmt(start[m].get(name, 0))})" for m in modes]
        md.append(f"| {name} | " + " | ".join(cells) + " |")
    rest = names[rows:]
    if rest:
        cells = [fmt(sum(per_mode[m].get(n, {}).get("rss_kib", 0) for n in rest)) for m in modes]
        md.append(f"| {len(rest)} others | " + " | ".join(cells) + " |")
    return md + [""]


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def phases_with_host_load(console_path, hostload):
    """The guest's "bench: HH:MM:SS what" lines as phases, each with the mean CPU the host spent on
    other work meanwhile (hostload.py's samples; the guest's clock is the host's, in UTC)."""
    timeline = hostload.get("timeline") or []
    if not console_path or not os.path.exists(console_path) or not timeline:
        return []
    marks = []
    with open(console_path, errors="replace") as console:
        for line in console:
            match = re.match(r"^bench: (\d\d):(\d\d):(\d\d) (.*)$", line.rstrip())
            if match:
                marks.append(((int(match.group(1)), int(match.group(2)), int(match.group(3))), match.group(4)))
    day = datetime.datetime.fromtimestamp(timeline[0][0], datetime.timezone.utc).date()
    stamps, previous = [], None
    for (h, m, sec), what in marks:
        t = datetime.datetime(day.year, day.month, day.day, h, m, sec, tzinfo=datetime.timezone.utc).timestamp()
        while previous is not None and t < previous - 3600:
            t += 86400  # past midnight
        stamps.append((t, what))
        previous = t
    phases = []
    for (start, what), (end, _) in zip(stamps, stamps[1:]):
        others = [o for (t, _, o) in timeline if start < t <= end + 1]
        phases.append({"phase": what, "start_unix": start, "seconds": round(end - start),
                       "host_other_cpus": round(sum(others) / len(others), 2) if others else None})
    return phases


def weighted_other(phases):
    timed = [(p["seconds"], p["host_other_cpus"]) for p in phases if p["host_other_cpus"] is not None]
    total = sum(s for s, _ in timed)
    return round(sum(s * o for s, o in timed) / total, 2) if total else None


def side_by_side(runs, tlshd, cpu):
    """handshaked's rows next to tlshd's from the same guest run (guest/run --tlshd); {} if none."""
    if not tlshd.get("runs"):
        return {}
    ours = {(r["mode"], r["concurrency"]): r for r in runs}
    rows = []
    for t in tlshd["runs"]:
        h = ours.get((t["mode"], t["concurrency"]), {})
        rows.append({
            "mode": t["mode"], "concurrency": t["concurrency"], "requests": t["requests"],
            "handshaked_hs_per_s": h.get("upcall_hs_per_s"), "tlshd_hs_per_s": t["hs_per_s"],
            "speedup": round(h["upcall_hs_per_s"] / t["hs_per_s"], 2) if h.get("upcall_hs_per_s") and t["hs_per_s"] else None,
            "handshaked_p50_ms": h.get("p50_ms"), "tlshd_p50_ms": t["latency_ms"].get("p50"),
            "handshaked_p99_ms": h.get("p99_ms"), "tlshd_p99_ms": t["latency_ms"].get("p99"),
            "handshaked_failures": h.get("failures"), "handshaked_requests": h.get("requests"),
            "tlshd_failures": t["failures"],
            "tlshd_failures_by_status": t["failures_by_status"],
        })
    busy = {}
    for mode, split in tlshd.get("cpu", {}).items():
        ours_split = cpu.get(mode, {}).get("upcall_c64") or {}
        if split:
            busy[mode] = {"tlshd_busy_ms": split.get("busy_ms"), "handshaked_busy_ms": ours_split.get("busy_ms")}
    return {"version": tlshd.get("version"), "runs": rows, "cpu_c64_busy_ms_per_handshake": busy,
            "tlshd_idle_rss_kib": tlshd.get("idle_rss_kib", {})}


def build(guest, host, hostload, wall, phases):
    params = guest.get("params", {})
    workers = params.get("handshaked_workers", guest["guest"].get("vcpus", 2))
    inproc = {(r["mode"], r["threads"]): r for r in guest.get("inprocess", [])}
    runs = []
    for row in guest.get("upcall", []):
        limit = inproc.get((row["mode"], workers), {}).get("hs_per_s")
        single = inproc.get((row["mode"], 1), {}).get("hs_per_s")
        lat, latq = row["latency_ms"], row["latency_incl_queue_ms"]
        runs.append({
            "mode": row["mode"], "concurrency": row["concurrency"], "pairs": row["pairs_per_batch"],
            "requests": row["requests"], "batches": row["batches"],
            "upcall_hs_per_s": row["hs_per_s"], "wall_hs_per_s": row["wall_hs_per_s"],
            "inprocess_hs_per_s": limit, "inprocess_threads": workers, "inprocess_1thread_hs_per_s": single,
            "upcall_vs_inprocess": round(row["hs_per_s"] / limit, 3) if limit else None,
            "p50_ms": lat.get("p50"), "p90_ms": lat.get("p90"), "p99_ms": lat.get("p99"), "max_ms": lat.get("max"),
            "p99_incl_queue_ms": latq.get("p99"), "max_incl_queue_ms": latq.get("max"),
            "failures": row["failures"], "failures_by_status": row["failures_by_status"],
            "ok": row["ok"], "eagain_retries": row["eagain_retries"],
        })
    by_mode = guest.get("memory", {})
    memory = {"idle_rss_kib": None, "peak_rss_kib": None, "per_inflight_kib": None, "by_mode": {}}
    for mode, mem in by_mode.items():
        memory["by_mode"][mode] = {k: v for k, v in mem.items() if k != "timeline"}
    if by_mode:
        memory["idle_rss_kib"] = max(m["idle_rss_kib"] for m in by_mode.values())
        memory["peak_rss_kib"] = max(m["peak_rss_kib"] for m in by_mode.values())
        per = [m["per_inflight_kib"] for m in by_mode.values() if m.get("per_inflight_kib") is not None]
        memory["per_inflight_kib"] = max(per) if per else None
        memory["max_inflight"] = max(m.get("max_inflight", 0) for m in by_mode.values())
        memory["start_rss_kib"] = max(m["start_rss_kib"] for m in by_mode.values())

    targets = []
    ecdsa64 = next((r for r in runs if r["mode"] == "ecdsa-p256" and r["concurrency"] == 64), None)
    paired = [p["ratio"] for p in guest.get("rounds", {}).get("ecdsa-p256", []) if p.get("ratio") is not None]
    if ecdsa64:
        ratio = statistics.median(paired) if paired else ecdsa64["upcall_vs_inprocess"]
        value = (f"{fmt(ecdsa64['upcall_hs_per_s'])} / {fmt(ecdsa64['inprocess_hs_per_s'])} hs/s over all rounds "
                 f"= {ecdsa64['upcall_vs_inprocess'] * 100:.0f} %" if ecdsa64["upcall_vs_inprocess"] is not None
                 else "no in-process figure")
        if paired:
            value += (f"; median of the {len(paired)} paired rounds {ratio * 100:.0f} % "
                      f"({', '.join(f'{p * 100:.0f} %' for p in paired)})")
        targets.append({"target": f"ECDSA P-256, concurrency 64: upcall >= 75 % of in-process ({workers} threads)",
                        "value": value, "ratio": ratio, "holds": ratio is not None and ratio >= RATIO_BAR})
    for r in runs:
        if r["concurrency"] != 1000:
            continue
        holds = r["failures"] == 0 and r["p99_ms"] is not None and r["p99_ms"] < P99_BAR_MS
        value = (f"{r['failures']} failures, p99 {fmt(r['p99_ms'])} ms "
                 f"(incl. EAGAIN queueing {fmt(r['p99_incl_queue_ms'])} ms)")
        if r["inprocess_hs_per_s"]:
            # One batch is 2,000 handshakes; even at the in-process rate they need this long.
            value += (f"; one batch's 2,000 handshakes take {2000 / r['inprocess_hs_per_s']:.1f} s even at the "
                      "in-process limit")
        targets.append({"target": f"{r['mode']}, concurrency 1,000: zero failures, p99 < 10 s",
                        "value": value, "holds": holds,
                        "holds_incl_queue": r["failures"] == 0 and r["p99_incl_queue_ms"] is not None
                        and r["p99_incl_queue_ms"] < P99_BAR_MS})
    if memory["idle_rss_kib"] is not None:
        targets.append({"target": "idle RSS of the whole service <= 8 MiB",
                        "value": f"{memory['idle_rss_kib']:,} KiB 3 s after a warm-up (largest of the modes); "
                                 f"{memory['start_rss_kib']:,} KiB idle after start-up, before any handshake",
                        "holds": memory["idle_rss_kib"] <= IDLE_RSS_BAR_KIB})
        per = memory["per_inflight_kib"]
        targets.append({"target": "<= 64 KiB more per in-flight handshake",
                        "value": f"{fmt(per)} KiB (peak {memory['peak_rss_kib']:,} KiB, "
                                 f"max in flight {memory.get('max_inflight')})",
                        "holds": per is not None and per <= PER_INFLIGHT_BAR_KIB})
    for r in runs:
        if r["concurrency"] not in (64, 1000) or not r["upcall_vs_inprocess"]:
            continue
        what = "upcall" if r["concurrency"] == 64 else "goodput (completed within the deadline)"
        targets.append({"target": f"{r['mode']}, concurrency {fmt(r['concurrency'])}: {what} >= 90 % of in-process",
                        "value": f"{fmt(r['upcall_hs_per_s'])} / {fmt(r['inprocess_hs_per_s'])} hs/s = "
                                 f"{r['upcall_vs_inprocess'] * 100:.0f} %",
                        "holds": r["upcall_vs_inprocess"] >= UPCALL_BAR})
    tlshd_rows = {(t["mode"], t["concurrency"]): t for t in (guest.get("tlshd") or {}).get("runs", [])}
    for r in runs:
        t = tlshd_rows.get((r["mode"], 1)) if r["concurrency"] == 1 else None
        if not t or not t["latency_ms"].get("p50") or not t["latency_ms"].get("p99") or r["p50_ms"] is None:
            continue
        p50 = r["p50_ms"] / t["latency_ms"]["p50"]
        p99 = r["p99_ms"] / t["latency_ms"]["p99"]
        targets.append({"target": f"{r['mode']}, concurrency 1: p50 and p99 <= 0.5 x tlshd's",
                        "value": f"p50 {fmt(r['p50_ms'])} vs {fmt(t['latency_ms']['p50'])} ms = {p50:.2f} x, "
                                 f"p99 {fmt(r['p99_ms'])} vs {fmt(t['latency_ms']['p99'])} ms = {p99:.2f} x",
                        "holds": p50 <= TLSHD_C1_BAR and p99 <= TLSHD_C1_BAR})
    counted = [m for m in by_mode.values() if m.get("accepted") is not None and m.get("empty_accepts") is not None]
    if counted:
        accepted = sum(m["accepted"] for m in counted)
        empty = sum(m["empty_accepts"] for m in counted)
        share = empty / (accepted + empty) if accepted + empty else 0.0
        targets.append({"target": "empty ACCEPTs (EAGAIN) <= 1 % of ACCEPTs",
                        "value": f"{empty:,} of {accepted + empty:,} = {share * 100:.2f} % over every mode",
                        "holds": share <= 0.01})

    return {
        "runs": runs, "memory": memory, "inprocess": guest.get("inprocess", []),
        "datapath": guest.get("datapath", {}), "targets": targets,
        "guest": guest.get("guest", {}), "host": host, "params": params,
        "agent_log": guest.get("agent_log", {}), "cpu": guest.get("cpu", {}), "rounds": guest.get("rounds", {}),
        "tlshd": side_by_side(runs, guest.get("tlshd") or {}, guest.get("cpu", {})),
        "hostload": dict({k: v for k, v in hostload.items() if k != "timeline"},
                         other_cpus_mean_during_measurements=weighted_other(phases)), "phases": phases,
        "kernel_warnings": guest.get("kernel_warnings", []),
        "errors": guest.get("errors", []), "wall_time_s": wall, "quick": params.get("quick", False),
        "definitions": DEFINITIONS, "caveats": CAVEATS,
    }


def table(result):
    workers = result["params"].get("handshaked_workers", 2)
    head = ["mode", "conc.", "req.", "upcall hs/s", f"in-proc hs/s ({workers} thr)", "ratio",
            "p50 ms", "p90 ms", "p99 ms", "max ms", "p99 incl. queue ms", "failures"]
    rows = []
    for r in result["runs"]:
        fails = str(r["failures"])
        if r["failures_by_status"]:
            fails += " (" + ", ".join(f"{k} {v}" for k, v in r["failures_by_status"].items()) + ")"
        rows.append([r["mode"], fmt(r["concurrency"]), fmt(r["requests"]), fmt(r["upcall_hs_per_s"]),
                     fmt(r["inprocess_hs_per_s"]),
                     f"{r['upcall_vs_inprocess'] * 100:.0f} %" if r["upcall_vs_inprocess"] is not None else "-",
                     fmt(r["p50_ms"]), fmt(r["p90_ms"]), fmt(r["p99_ms"]), fmt(r["max_ms"]),
                     fmt(r["p99_incl_queue_ms"]), fails])
    return head, rows


def markdown_table(head, rows):
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(head, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in
                                   enumerate(zip(cells, widths)))
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(row) for row in rows])


def write_markdown(result, path):
    head, rows = table(result)
    g, h, mem, dp = result["guest"], result["host"], result["memory"], result["datapath"]
    md = [f"# handshaked benchmark{' (--quick)' if result['quick'] else ''}", "",
          f"{h.get('date', '')}, `{h.get('git', '')}`, daemon and inprocess-bench built {h.get('build', '?')}; "
          f"one guest run, {result['wall_time_s']} s wall in all (staging and builds included).", "",
          "## Handshakes through the upcall (kernel-shim pairs) vs the in-process limit", "",
          markdown_table(head, rows), "",
          "Concurrency N = one batch of N socket pairs submitted at once = 2N upcall requests (N client, "
          "N server), all served by handshaked; concurrency 1 = one pair at a time. Handshakes are counted per "
          "side. Latency = submit -> completion measured in the kernel; \"incl. queue\" adds the EAGAIN retries "
          "before the kernel took the request (pending cap "
          f"{g.get('pending_cap')}). In-process = inprocess-bench with {result['params'].get('handshaked_workers')} "
          "threads (= handshaked's workers); the ratio column is upcall / in-process.", ""]
    single = {r["mode"]: r.get("hs_per_s") for r in result["inprocess"] if r.get("threads") == 1}
    if single:
        md += ["In-process with 1 thread: " + ", ".join(f"{m} {fmt(v)} hs/s" for m, v in single.items()) + ".", ""]
    side = result.get("tlshd") or {}
    if side.get("runs"):
        md += [f"## Side by side: tlshd {side.get('version') or '?'} (Debian trixie) through the same batches", "",
               "| mode | conc. | handshaked hs/s | tlshd hs/s | speed-up | handshaked p50 / p99 ms | "
               "tlshd p50 / p99 ms | handshaked failures / requests | tlshd failures / requests |",
               "|---|---|---|---|---|---|---|---|---|"]
        for r in side["runs"]:
            failures = f"{fmt(r['tlshd_failures'])} / {fmt(r['requests'])}"
            if r["tlshd_failures_by_status"]:
                failures += " (" + ", ".join(f"{k} {v}" for k, v in r["tlshd_failures_by_status"].items()) + ")"
            md.append(f"| {r['mode']} | {fmt(r['concurrency'])} | {fmt(r['handshaked_hs_per_s'])} | "
                      f"{fmt(r['tlshd_hs_per_s'])} | {fmt(r['speedup'], 2)}x | {fmt(r['handshaked_p50_ms'])} / "
                      f"{fmt(r['handshaked_p99_ms'])} | {fmt(r['tlshd_p50_ms'])} / {fmt(r['tlshd_p99_ms'])} | "
                      f"{fmt(r['handshaked_failures'])} / {fmt(r.get('handshaked_requests'))} | {failures} |")
        busy = side.get("cpu_c64_busy_ms_per_handshake", {})
        if busy:
            md += ["", "Guest CPU per successful handshake at concurrency 64 (busy ms, both vCPUs, the kernel's "
                   "side included): " + ", ".join(f"{m} handshaked {fmt(b['handshaked_busy_ms'], 2)} vs tlshd "
                                                  f"{fmt(b['tlshd_busy_ms'], 2)}" for m, b in busy.items()) + "."]
        rss = side.get("tlshd_idle_rss_kib", {})
        if rss:
            md += ["", "tlshd's parent process idle (after 8 pairs): " +
                   ", ".join(f"{m} {fmt(v)} KiB" for m, v in rss.items()) +
                   " VmRSS; each handshake runs in a forked child of its own."]
        md += ["", "tlshd runs with trixie's libraries (GnuTLS) from `test/bench/tlshd-bundle`, in the same guest, "
               "after handshaked's measurements, with the same consumer, credentials and batches (fewer of them). "
               "handshaked's columns are from its own rows above.", ""]
    md += ["## Targets", "", "| target | measured | holds |", "|---|---|---|"]
    for t in result["targets"]:
        md.append(f"| {t['target']} | {t['value']} | {'yes' if t['holds'] else '**no**'} |")
    md += ["", "## handshaked's memory (VmRSS)", "",
           "| mode | idle at start KiB | idle KiB (after warm-up) | idle PSS KiB | idle anonymous KiB | "
           "peak KiB (1,000 pairs) | max in flight | per in-flight KiB | after the batch KiB | "
           "READY drops (1,000 pairs) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for mode, m in mem.get("by_mode", {}).items():
        md.append(f"| {mode} | {fmt(m.get('start_rss_kib'))} | {fmt(m.get('idle_rss_kib'))} | "
                  f"{fmt(m.get('idle_pss_kib'))} | {fmt(m.get('idle_anon_kib'))} | {fmt(m.get('peak_rss_kib'))} | "
                  f"{fmt(m.get('max_inflight'))} | {fmt(m.get('per_inflight_kib'))} | {fmt(m.get('post_rss_kib'))} | "
                  f"{fmt(m.get('ready_drops_c1000'))} |")
    md += ["", "In flight = handshaked's open fds minus its idle count (each accepted request holds one fd, "
           "its socket), sampled every 50 ms; peak = VmHWM over the 1,000-pair batch (reset with "
           "`clear_refs` before it). RSS counts the shared libraries' resident pages (libc, "
           "libsystemd, libnl; wolfSSL and libstdc++ are linked into handshaked); PSS splits them with other processes.", ""]
    md += ["## ACCEPTs", "", "| mode | ACCEPTs that took a request | empty ACCEPTs (EAGAIN) | empty share | "
           "answered ETIMEDOUT unstarted |", "|---|---|---|---|---|"]
    for mode, m in mem.get("by_mode", {}).items():
        accepted, empty = m.get("accepted"), m.get("empty_accepts")
        share = f"{100.0 * empty / (accepted + empty):.2f} %" if accepted is not None and empty is not None \
            and accepted + empty else "-"
        md.append(f"| {mode} | {fmt(accepted)} | {fmt(empty)} | {share} | {fmt(m.get('shed'))} |")
    md += ["", "From handshaked's own counters (its last log line). One thread reads READY and gives each "
           "to one worker (service/README.md); an empty ACCEPT is one whose request was already taken, "
           "and each start-up drain ends with one. Target: at most 1 % of ACCEPTs. \"Answered ETIMEDOUT "
           "unstarted\": requests a worker did not start because, behind the handshakes it had already "
           "started, they could not have finished before their deadline (service/workers/schedule.h); "
           "they are among the failures above.", ""]
    md += idle_rss_by_object_table(mem.get("by_mode", {}))
    workers = result["params"].get("handshaked_workers", 2)
    md += ["## Where the CPU goes (guest CPU ms per successful handshake)", "",
           f"| mode | run | busy | user | system+irq | handshaked user | handshaked system | rest (kernel, shim, "
           f"driver) | idle |", "|---|---|---|---|---|---|---|---|---|"]
    for mode, runs in result.get("cpu", {}).items():
        for name, label in (("upcall_c64", "upcall, concurrency 64"), ("upcall_c1000", "upcall, concurrency 1,000"),
                            (f"inprocess_t{workers}",
                            f"in-process, {workers} threads"), ("inprocess_t1", "in-process, 1 thread")):
            c = runs.get(name)
            if c:
                md.append(f"| {mode} | {label} | {fmt(c['busy_ms'], 2)} | {fmt(c['user_ms'], 2)} | "
                          f"{fmt(c['system_ms'], 2)} | {fmt(c.get('handshaked_user_ms'), 2)} | "
                          f"{fmt(c.get('handshaked_system_ms'), 2)} | {fmt(c.get('other_busy_ms'), 2)} | "
                          f"{fmt(c['idle_ms'], 2)} |")
    md += ["", "From /proc/stat and /proc/PID/stat (10 ms ticks) around the batches and each in-process run "
           "(whose figure includes its 0.3 s warm-up), per successful handshake; the guest has "
           f"{g.get('vcpus')} vCPUs, so busy + idle = {g.get('vcpus')} x wall time per handshake.", ""]
    if result.get("rounds"):
        md += ["Paired rounds (concurrency 64 through the upcall, then in-process right after it):", "",
               "| mode | round | upcall hs/s | in-process hs/s | ratio |", "|---|---|---|---|---|"]
        for mode, rounds in result["rounds"].items():
            for p in rounds:
                md.append(f"| {mode} | {p['round']} | {fmt(p['upcall_c64_hs_per_s'])} | {fmt(p['inprocess_hs_per_s'])} | "
                          f"{p['ratio'] * 100:.0f} % |" if p.get("ratio") is not None else f"| {mode} | {p['round']} | - | - | - |")
        md.append("")
    details = {m: a.get("failures") for m, a in result.get("agent_log", {}).items() if a.get("failures")}
    if details:
        md += ["## Failed handshakes as handshaked logged them (numbers blanked)", "",
               "| mode | role, auth, status, detail | count |", "|---|---|---|"]
        for mode, failures in details.items():
            for what, count in failures.items():
                md.append(f"| {mode} | {what.replace('|', '/')} | {count} |")
        md.append("")
    md += ["## Data path: TLS vs plain (MiB/s, median)", "",
           "| | TLS write | plain write | write ratio | TLS read | plain read | read ratio |",
           "|---|---|---|---|---|---|---|"]
    for proto, name in (("nfs", "NFSv4.2 (xprtsec=tls vs none)"), ("nvme", "NVMe/TCP (TLS 1.3 PSK vs plain)")):
        d = dp.get(proto, {})
        md.append(f"| {name} | {fmt(d.get('tls_write_mib_s'))} | {fmt(d.get('none_write_mib_s'))} | "
                  f"{fmt(d.get('write_ratio'), 2)} | {fmt(d.get('tls_read_mib_s'))} | "
                  f"{fmt(d.get('none_read_mib_s'))} | {fmt(d.get('read_ratio'), 2)} |")
    md += ["", f"dd bs=1M, O_DIRECT, {result['params'].get('datapath_mib')} MiB x "
           f"{result['params'].get('datapath_reps')}, page cache dropped before each; tmpfs behind the NFS "
           "export and the NVMe namespace. The guest kernel's AES-GCM driver is "
           f"`{g.get('gcm_aes_driver')}` on *emulated* AES-NI/PCLMULQDQ, so the TLS/plain ratio is pessimistic: "
           "on real hardware AES-GCM costs far less relative to the copies both paths make.", "",
           "## Machine", "",
           f"- guest: Linux {g.get('kernel')}, {g.get('vcpus')} vCPUs, {fmt(g.get('mem_total_kib'))} KiB, "
           f"CPU \"{g.get('cpu_model')}\" (flags {', '.join(g.get('cpu_flags', []))}), "
           f"handshaked {g.get('handshaked')}, wolfSSL paths: "
           f"{next((r.get('cpu_paths') for r in result.get('inprocess', []) if r.get('cpu_paths')), '?')}, "
           "kernel pending-request cap "
           f"{g.get('pending_cap')}",
           f"- host: {h.get('cpu_model')}, {h.get('cpus')} CPUs, {fmt(h.get('mem_total_kib'))} KiB, "
           f"{h.get('qemu')} (TCG), load average {h.get('loadavg_before')} before, {h.get('loadavg_after')} "
           "after; CPU the host spent on other work while the guest measured: mean "
           f"{fmt(result['hostload'].get('other_cpus_mean_during_measurements'), 2)} of {h.get('cpus')} CPUs "
           f"(max of a 2 s sample over the whole run, lock wait included: {fmt(result['hostload'].get('other_cpus_max'), 2)})",
           ""]
    if result.get("phases"):
        md += ["Other work on the host per phase of the guest run (mean CPUs of the host's 2, from 2 s samples; "
               "anything above ~0.2 slows the guest's 2 vCPUs and makes that phase's figures low):", "",
               "| phase | s | host CPUs on other work |", "|---|---|---|"]
        md += [f"| {p['phase']} | {p['seconds']} | {fmt(p['host_other_cpus'], 2)} |" for p in result["phases"]]
        md.append("")
    md += ["## Caveats", ""]
    md += [f"- {c}" for c in result["caveats"]]
    md += ["", "## Definitions", ""]
    md += [f"- **{k}**: {v}" for k, v in result["definitions"].items()]
    if result["errors"] or result["kernel_warnings"]:
        md += ["", "## Errors and kernel warnings during the run", ""]
        md += [f"- {e}" for e in result["errors"] + result["kernel_warnings"]]
    md += ["", "![latency against concurrency](latency.png)", ""]
    with open(path, "w") as handle:
        handle.write("\n".join(md))


def plot(result, path):
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    colors = {"ecdsa-p256": "tab:blue", "rsa-2048": "tab:red", "psk": "tab:green"}
    for mode in MODES:
        rows = sorted((r for r in result["runs"] if r["mode"] == mode and r["p50_ms"] is not None),
                      key=lambda r: r["concurrency"])
        if not rows:
            continue
        x = [r["concurrency"] for r in rows]
        for key, style, label in (("p50_ms", "-o", "p50"), ("p99_ms", "--s", "p99"), ("max_ms", ":^", "max")):
            left.plot(x, [r[key] for r in rows], style, color=colors[mode], label=f"{mode} {label}")
        right.plot(x, [r["upcall_hs_per_s"] for r in rows], "-o", color=colors[mode], label=f"{mode} upcall")
        if rows[0]["inprocess_hs_per_s"]:
            right.axhline(rows[0]["inprocess_hs_per_s"], color=colors[mode], linestyle="--", linewidth=1,
                          label=f"{mode} in-process")
    left.axhline(P99_BAR_MS, color="gray", linestyle="-.", linewidth=1, label="10 s")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xticks(list(CONCURRENCY))
        axis.set_xticklabels([str(c) for c in CONCURRENCY])
        axis.set_xlabel("concurrency (pairs submitted at once; 2 requests each)")
        axis.grid(True, which="both", alpha=0.3)
    left.set_yscale("log")
    left.set_ylabel("latency, submit -> completion (ms, kernel clock)")
    left.set_title("Latency through the upcall")
    left.legend(fontsize=7, ncol=2)
    right.set_yscale("log")
    right.set_ylabel("handshakes/s (each side counted)")
    right.set_title("Throughput: upcall vs in-process limit")
    right.legend(fontsize=7)
    g = result["guest"]
    fig.suptitle(f"handshaked, {g.get('kernel')}, {g.get('vcpus')} vCPUs under QEMU TCG"
                 f"{' (--quick)' if result['quick'] else ''}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--guest", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--hostload")
    parser.add_argument("--console")
    parser.add_argument("--wall", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--host-limit", help="host-limit's Markdown table, appended to results.md")
    args = parser.parse_args()
    with open(args.guest) as handle:
        guest = json.load(handle)
    with open(args.host) as handle:
        host = json.load(handle)
    hostload = {}
    if args.hostload and os.path.exists(args.hostload):
        with open(args.hostload) as handle:
            hostload = json.load(handle)
    result = build(guest, host, hostload, args.wall, phases_with_host_load(args.console, hostload))
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(result, handle, indent=1)
        handle.write("\n")
    write_markdown(result, os.path.join(args.out, "results.md"))
    with open(os.path.join(args.out, "results.md"), "a") as handle:
        handle.write("\n\n## In-process limit on the host (native)\n\n")
        if args.host_limit and os.path.exists(args.host_limit) and os.path.getsize(args.host_limit):
            with open(args.host_limit) as limit:
                handle.write(limit.read())
        else:
            handle.write("Not measured (test/bench/host-limit failed or had no binary; see the run's output).\n")
    plot(result, os.path.join(args.out, "latency.png"))
    head, rows = table(result)
    print(text_table(head, rows))
    print()
    for t in result["targets"]:
        print(f"{'HOLDS' if t['holds'] else 'FAILS'}  {t['target']}: {t['value']}")
    dp = result["datapath"]
    for proto in ("nfs", "nvme"):
        d = dp.get(proto, {})
        print(f"data path {proto}: TLS/plain write {fmt(d.get('write_ratio'), 2)}, read {fmt(d.get('read_ratio'), 2)}"
              f" (TLS {fmt(d.get('tls_write_mib_s'))}/{fmt(d.get('tls_read_mib_s'))} MiB/s, plain "
              f"{fmt(d.get('none_write_mib_s'))}/{fmt(d.get('none_read_mib_s'))} MiB/s)")
    mem = result["memory"]
    print(f"memory: idle {fmt(mem.get('idle_rss_kib'))} KiB, peak {fmt(mem.get('peak_rss_kib'))} KiB, "
          f"per in-flight {fmt(mem.get('per_inflight_kib'))} KiB (max in flight {mem.get('max_inflight')})")
    if result["errors"]:
        print(f"{len(result['errors'])} error(s) during the run: see results.md")
    print(f"written: {args.out}/results.md, results.json, latency.png (wall time {args.wall} s)")


if __name__ == "__main__":
    main()
