#!/usr/bin/env python3
"""Runs a TLS command-line tool (openssl s_server/s_client, gnutls-cli) as a data peer of a
kernel-shim session, whose echo needs the peer to echo (shim client) or to send and check the
echo (shim server). The tools relay stdin to the TLS connection and the connection to stdout.

  pump.py echo [--log FILE] -- CMD...
      copy everything CMD prints back into its stdin: a byte-exact echo peer. Exits with CMD's
      status when CMD exits (e.g. openssl s_server -naccept 1 after its one connection).
  pump.py send PAYLOAD SECONDS -- CMD...
      write PAYLOAD to CMD's stdin and exit 0 as soon as CMD's stdout shows it back; 1 (with what
      was seen on stderr) if that does not happen within SECONDS. CMD is killed either way."""
import os
import select
import signal
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    mode = args.pop(0)
    log = None
    if mode == "echo" and args and args[0] == "--log":
        log = open(args[1], "ab")
        args = args[2:]
    if mode == "send":
        payload = args.pop(0).encode()
        seconds = float(args.pop(0))
    if not args or args.pop(0) != "--" or mode not in ("echo", "send"):
        sys.exit(__doc__)
    child = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

    def stop(*_):
        child.terminate()  # SIGTERM: timeout(1) passes it on to the tool
        try:
            child.wait(2)
        except subprocess.TimeoutExpired:
            child.kill()
        sys.exit(143)

    signal.signal(signal.SIGTERM, stop)
    out = child.stdout.fileno()
    if mode == "echo":
        while True:
            data = os.read(out, 65536)
            if not data:
                break
            if log:
                log.write(data)
                log.flush()
            try:
                child.stdin.write(data)
            except BrokenPipeError:
                break
        sys.exit(child.wait())

    child.stdin.write(payload)
    seen = b""
    deadline = time.monotonic() + seconds
    while payload not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([out], [], [], left)[0]:
            break
        data = os.read(out, 65536)
        if not data:
            break
        seen += data
    ok = payload in seen
    child.terminate()
    try:
        child.wait(2)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    if not ok:
        sys.stderr.write("pump: the payload did not come back; the tool printed %r\n" % seen[-400:])
    sys.exit(0 if ok else 1)


main()
