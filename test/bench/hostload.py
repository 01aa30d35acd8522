#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# How busy the host was with other work while the benchmark's guest ran: every INTERVAL seconds,
# the host's busy CPU time (/proc/stat) minus the CPU time of ROOT_PID's process tree (the VM
# runner and QEMU). Runs until SIGTERM or until ROOT_PID exits, then writes OUT.json:
#   {"interval_s": s, "cpus": n, "samples": n, "other_cpus_mean": x, "other_cpus_max": x,
#    "ours_cpus_mean": x, "timeline": [[unix_time, ours_cpus, other_cpus], ...]}
#   hostload.py ROOT_PID INTERVAL OUT.json
import json
import os
import signal
import sys
import time

root, interval, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
HZ = os.sysconf("SC_CLK_TCK")
stop = False


def on_signal(_signo, _frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)


def host_busy():
    with open("/proc/stat") as stat:
        fields = list(map(int, stat.readline().split()[1:]))
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def tree_ticks():
    parents, ticks = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        rest = text[text.rfind(")") + 2:].split()
        pid = int(entry)
        parents[pid] = int(rest[1])
        ticks[pid] = int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])  # incl. waited children
    total = 0
    for pid, value in ticks.items():
        p, hops = pid, 0
        while p > 1 and hops < 64:
            if p == root:
                total += value
                break
            p, hops = parents.get(p, 0), hops + 1
    return total


timeline = []
busy0, ours0, t0 = host_busy(), tree_ticks(), time.time()
while not stop and os.path.exists(f"/proc/{root}"):
    time.sleep(interval)
    if stop:
        break
    busy1, ours1, t1 = host_busy(), tree_ticks(), time.time()
    span = (t1 - t0) * HZ
    if span > 0:
        ours = max(0.0, (ours1 - ours0) / span)
        other = max(0.0, (busy1 - busy0) / span - ours)
        timeline.append((round(t1), round(ours, 2), round(other, 2)))
    busy0, ours0, t0 = busy1, ours1, t1
others = [sample[2] for sample in timeline]
ours = [sample[1] for sample in timeline]
with open(out, "w") as handle:
    json.dump({"interval_s": interval, "cpus": os.cpu_count(), "samples": len(timeline),
               "other_cpus_mean": round(sum(others) / len(others), 2) if others else None,
               "other_cpus_max": max(others) if others else None,
               "ours_cpus_mean": round(sum(ours) / len(ours), 2) if ours else None,
               "timeline": timeline}, handle)
