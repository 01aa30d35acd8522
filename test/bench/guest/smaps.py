#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where a process's resident memory is: /proc/PID/smaps summed per mapped object.

Usage: smaps.py PID > out.json
Prints {"objects": [{"name": ..., "rss_kib": N, "pss_kib": N, "anonymous_kib": N}, ...]} sorted by
RSS, largest first. Unnamed anonymous mappings are grouped as "[anon]"; a shared library's
text, data and relro mappings are one object.
"""
import json
import os
import sys


def objects(pid):
    totals = {}
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
                totals.setdefault(name, {"name": name, "rss_kib": 0, "pss_kib": 0, "anonymous_kib": 0})
            elif name and fields[0] in ("Rss:", "Pss:", "Anonymous:"):
                key = {"Rss:": "rss_kib", "Pss:": "pss_kib", "Anonymous:": "anonymous_kib"}[fields[0]]
                totals[name][key] += int(fields[1])
    return sorted((o for o in totals.values() if o["rss_kib"]), key=lambda o: -o["rss_kib"])


if __name__ == "__main__":
    json.dump({"objects": objects(int(sys.argv[1]))}, sys.stdout)
    sys.stdout.write("\n")
