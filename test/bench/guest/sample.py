#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Samples one process while a benchmark batch runs: its open fds (each in-flight handshake
# holds exactly one: the socket the kernel installed at ACCEPT) and its VmRSS.
#   sample.py PID INTERVAL_S OUT.json     runs until SIGTERM/SIGINT, then writes OUT.json:
#   {"samples": N, "max_fds": N, "max_rss_kib": N, "rss_at_max_fds_kib": N,
#    "timeline": [[t_s, fds, rss_kib], ...]}   (timeline thinned to at most 200 points)
import json
import os
import signal
import sys
import time

pid, interval, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
stop = False


def on_signal(_signo, _frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)


def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


start = time.monotonic()
timeline = []
while not stop:
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        rss = rss_kib()
    except OSError:
        break
    timeline.append((round(time.monotonic() - start, 3), fds, rss))
    time.sleep(interval)

result = {"samples": len(timeline), "max_fds": 0, "max_rss_kib": 0, "rss_at_max_fds_kib": 0,
          "timeline": []}
if timeline:
    peak = max(timeline, key=lambda sample: sample[1])
    result.update(max_fds=peak[1], rss_at_max_fds_kib=peak[2],
                  max_rss_kib=max(sample[2] for sample in timeline))
    step = max(1, len(timeline) // 200)
    result["timeline"] = timeline[::step]
with open(out, "w") as handle:
    json.dump(result, handle)
