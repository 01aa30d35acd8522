#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A scriptable stand-in for a handshake agent, for testing handshake_shim.ko.

It joins the "tlshd" multicast group of the kernel's "handshake" generic-netlink family,
ACCEPTs requests and answers them with DONE as told -- no TLS at all. With --ktls it
programs kTLS on the socket with a fixed dummy key (the same for every socket and both
directions), so two kernel sockets of a pair can exchange data through kTLS.

  fake-agent.py [--status ERRNO] [--no-status] [--peerid N] [--ktls] [--no-done]
                [--ignore] [--max N] [--duration S] [--log FILE] [--ready FILE]

  --status ERRNO  DONE status (positive errno or a name like EACCES; default 0)
  --no-status     send DONE without the status attribute (the kernel assumes EIO)
  --peerid N      remote-auth to send (default: the first peer-identity of a PSK
                  request, none otherwise); 0 = send none
  --ktls          program TCP_ULP "tls" + TLS_TX/TLS_RX (TLS 1.3, AES-GCM-128) before DONE
  --no-done       ACCEPT and keep the fd, never send DONE (consumer timeout)
  --ignore        join the group but never ACCEPT (requests stay pending)
  --no-read-ready never read the multicast socket (poll ACCEPT every 10 ms instead): once
                  its receive queue is full the kernel's READY multicast fails, and
                  submits fail with ESRCH as if there were no agent
  --rcvbuf BYTES  multicast socket receive buffer (SO_RCVBUFFORCE; default 8 MiB)
  --max N         exit after N requests
  --duration S    exit after S seconds (default 600)
  --log FILE      one JSON line per ACCEPTed request (the parameters the kernel sent)
  --ready FILE    created once subscribed
"""
import argparse
import errno
import json
import os
import select
import socket
import struct
import sys
import time

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2

CMD_READY, CMD_ACCEPT, CMD_DONE = 1, 2, 3
A_SOCKFD, A_HANDLER_CLASS, A_MESSAGE_TYPE, A_TIMEOUT, A_AUTH_MODE = 1, 2, 3, 4, 5
A_PEER_IDENTITY, A_CERTIFICATE, A_PEERNAME, A_KEYRING = 6, 7, 8, 9
X509_CERT, X509_PRIVKEY = 1, 2
D_STATUS, D_SOCKFD, D_REMOTE_AUTH = 1, 2, 3
CLASS_TLSHD = 1
MSG_TYPES = {1: "clienthello", 2: "serverhello"}
AUTH_MODES = {1: "unauth", 2: "psk", 3: "x509"}

SOL_TLS, TLS_TX, TLS_RX, TCP_ULP = 282, 1, 2, 31
SO_RCVBUFFORCE = 33
KTLS_INFO = struct.pack("<HH8s16s4s8s", 0x0304, 51, b"\x11" * 8, b"\x22" * 16, b"\x33" * 4,
                        b"\0" * 8)


def nla(atype, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, atype) + payload + b"\0" * ((4 - length % 4) % 4)


def attrs(buf):
    out = []
    off = 0
    while off + 4 <= len(buf):
        length, atype = struct.unpack_from("=HH", buf, off)
        if length < 4 or off + length > len(buf):
            break
        out.append((atype & 0x3FFF, buf[off + 4:off + length]))
        off += (length + 3) & ~3
    return out


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.seq = int(time.time()) & 0xFFFF

    def request(self, family, cmd, payload):
        """Send a request with ACK; return (error, [reply payloads])."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        hdr = struct.pack("=IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK,
                          self.seq, 0)
        self.sock.send(hdr + body)
        replies = []
        while True:
            data = self.sock.recv(65536)
            off = 0
            while off + 16 <= len(data):
                length, mtype, _flags, seq, _pid = struct.unpack_from("=IHHII", data, off)
                if length < 16:
                    break
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if mtype == NLMSG_ERROR:
                    return -struct.unpack_from("=i", msg, 0)[0], replies
                replies.append(msg[4:])


def resolve(genl):
    err, replies = genl.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                nla(CTRL_ATTR_FAMILY_NAME, b"handshake\0"))
    if err or not replies:
        sys.exit("fake-agent: no 'handshake' family (%s)" % os.strerror(err or errno.ENOENT))
    fam, group = None, None
    for atype, val in attrs(replies[0]):
        if atype == CTRL_ATTR_FAMILY_ID:
            fam = struct.unpack("=H", val[:2])[0]
        elif atype == CTRL_ATTR_MCAST_GROUPS:
            for _i, grp in attrs(val):
                g = dict(attrs(grp))
                if g.get(CTRL_ATTR_MCAST_GRP_NAME, b"").rstrip(b"\0") == b"tlshd":
                    group = struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID][:4])[0]
    if fam is None or group is None:
        sys.exit("fake-agent: cannot resolve family/group")
    return fam, group


def socket_fds():
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name).startswith("socket:"):
                fds.append(int(name))
        except OSError:
            pass
    return fds


def parse_errno(text):
    if text.isdigit():
        return int(text)
    val = getattr(errno, text.upper(), None)
    if val is None:
        raise argparse.ArgumentTypeError("unknown errno %s" % text)
    return val


def main():
    ap = argparse.ArgumentParser(description="fake handshake agent")
    ap.add_argument("--status", type=parse_errno, default=0)
    ap.add_argument("--no-status", action="store_true")
    ap.add_argument("--peerid", type=lambda s: int(s, 0), default=None)
    ap.add_argument("--ktls", action="store_true")
    ap.add_argument("--no-done", action="store_true")
    ap.add_argument("--ignore", action="store_true")
    ap.add_argument("--no-read-ready", action="store_true")
    ap.add_argument("--rcvbuf", type=int, default=8 << 20)
    ap.add_argument("--max", type=int, default=0)
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--log")
    ap.add_argument("--ready")
    args = ap.parse_args()

    ctl = Genl()
    fam, group = resolve(ctl)
    mc = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    mc.bind((0, 0))
    mc.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group)
    try:
        mc.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, args.rcvbuf)
    except OSError:
        mc.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    log = open(args.log, "a", buffering=1) if args.log else None
    if args.ready:
        open(args.ready, "w").close()

    held = []
    handled = 0
    known_fds = set(socket_fds())
    end = time.monotonic() + args.duration
    while time.monotonic() < end and not (args.max and handled >= args.max):
        if args.no_read_ready:
            time.sleep(0.01)
        else:
            ready, _, _ = select.select([mc], [], [], 0.2)
            while ready:  # drain every queued READY: a full queue makes submits fail
                try:
                    mc.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                except OSError:
                    pass  # ENOBUFS: READYs were lost; ACCEPT drains below anyway
        if args.ignore:
            continue
        # Drain: ACCEPT until EAGAIN (a READY is only a hint).
        while not (args.max and handled >= args.max):
            err, replies = ctl.request(fam, CMD_ACCEPT, nla(A_HANDLER_CLASS,
                                                             struct.pack("=I", CLASS_TLSHD)))
            if err == errno.EAGAIN:
                break
            if err or not replies:
                handled += 1
                # Kernels that install the fd before building the ACCEPT reply leave it
                # behind on failure, without a file reference of its own.
                stray = [fd for fd in socket_fds() if fd not in known_fds]
                known_fds.update(stray)
                if log:
                    log.write(json.dumps({"accept_error": errno.errorcode.get(err, err),
                                          "stray_fds": stray}) + "\n")
                continue
            handled += 1
            req = {"peerids": []}
            for atype, val in attrs(replies[0]):
                if atype == A_SOCKFD:
                    req["fd"] = struct.unpack("=i", val[:4])[0]
                elif atype == A_MESSAGE_TYPE:
                    req["type"] = MSG_TYPES.get(struct.unpack("=I", val[:4])[0], "?")
                elif atype == A_TIMEOUT:
                    req["timeout"] = struct.unpack("=I", val[:4])[0]
                elif atype == A_AUTH_MODE:
                    req["auth"] = AUTH_MODES.get(struct.unpack("=I", val[:4])[0], "?")
                elif atype == A_PEER_IDENTITY:
                    req["peerids"].append(struct.unpack("=I", val[:4])[0])
                elif atype == A_CERTIFICATE:
                    x = dict(attrs(val))
                    req["cert"] = struct.unpack("=i", x.get(X509_CERT, b"\0\0\0\0")[:4])[0]
                    req["privkey"] = struct.unpack("=i",
                                                   x.get(X509_PRIVKEY, b"\0\0\0\0")[:4])[0]
                elif atype == A_PEERNAME:
                    req["peername"] = val.rstrip(b"\0").decode(errors="replace")
                elif atype == A_KEYRING:
                    req["keyring"] = struct.unpack("=I", val[:4])[0]
            fd = req["fd"]
            known_fds.add(fd)
            sock = socket.socket(fileno=fd)
            req["local_port"] = sock.getsockname()[1]
            req["peer_port"] = sock.getpeername()[1]
            if args.no_done:
                held.append(sock)
                if log:
                    log.write(json.dumps(req) + "\n")
                continue
            if args.ktls:
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"tls")
                    sock.setsockopt(SOL_TLS, TLS_TX, KTLS_INFO)
                    sock.setsockopt(SOL_TLS, TLS_RX, KTLS_INFO)
                    req["ktls"] = True
                except OSError as e:
                    req["ktls_error"] = e.strerror
            peerid = args.peerid
            if peerid is None:
                peerid = req["peerids"][0] if req.get("auth") == "psk" and req["peerids"] else 0
            payload = b""
            if not args.no_status:
                payload += nla(D_STATUS, struct.pack("=I", args.status))
            payload += nla(D_SOCKFD, struct.pack("=i", fd))
            if peerid:
                payload += nla(D_REMOTE_AUTH, struct.pack("=I", peerid & 0xFFFFFFFF))
            err, _ = ctl.request(fam, CMD_DONE, payload)
            req["done_error"] = errno.errorcode.get(err, err) if err else None
            sock.close()
            known_fds.discard(fd)
            if log:
                log.write(json.dumps(req) + "\n")
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
