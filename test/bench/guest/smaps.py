#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where a process's resident memory is: /proc/PID/smaps summed per mapped object.

Usage: smaps.py PID > out.json
Prints {"objects": [{"name": ..., "rss_kib": N, "pss_kib": N, "anonymous_kib": N}, ...],
"anonymous_mappings": [{"size_kib": N, "perms": "rw-p", "rss_kib": N}, ...]}, both sorted by RSS,
largest first. Unnamed anonymous mappings are grouped as "[anon]" in objects and listed one by one
in anonymous_mappings (a thread's stack is an 8 MiB one, a malloc arena a part of a 64 MiB one);
a shared library's text, data and relro mappings are one object.
"""
import json
import os
import sys


def parse(pid):
    totals = {}
    anonymous = []
    name = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if not fields:
                continue
            if "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header line
                name = os.path.basename(fields[5]) if len(fields) > 5 else "[anon]"
                if len(fields) > 5 and fields[5].startswith("["):
                    name = fields[5]
                mapping = None
                if name == "[anon]":
                    low, high = (int(x, 16) for x in fields[0].split("-"))
                    mapping = {"size_kib": (high - low) // 1024, "perms": fields[1], "rss_kib": 0}
                    anonymous.append(mapping)
                totals.setdefault(name, {"name": name, "rss_kib": 0, "pss_kib": 0, "anonymous_kib": 0})
            elif name and fields[0] in ("Rss:", "Pss:", "Anonymous:"):
                key = {"Rss:": "rss_kib", "Pss:": "pss_kib", "Anonymous:": "anonymous_kib"}[fields[0]]
                totals[name][key] += int(fields[1])
                if mapping is not None and key == "rss_kib":
                    mapping["rss_kib"] += int(fields[1])
    by_rss = lambda o: -o["rss_kib"]
    return (sorted((o for o in totals.values() if o["rss_kib"]), key=by_rss),
            sorted((m for m in anonymous if m["rss_kib"]), key=by_rss))


if __name__ == "__main__":
    objects, anonymous_mappings = parse(int(sys.argv[1]))
    json.dump({"objects": objects, "anonymous_mappings": anonymous_mappings}, sys.stdout)
    sys.stdout.write("\n")
