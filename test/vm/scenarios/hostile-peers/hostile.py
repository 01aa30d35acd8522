#!/usr/bin/env python3
"""Scripted misbehaving TLS peers for kernel-shim sessions served by handshaked.

As a client of a shim server (handshaked does the ServerHello side):
  hostile.py client PORT garbage            non-TLS bytes instead of a ClientHello
  hostile.py client PORT truncated          half a ClientHello, then close
  hostile.py client PORT truncated-hold S   half a ClientHello, then silence for S seconds
  hostile.py client PORT slowloris          a real ClientHello, one byte per second
  hostile.py client PORT close-mid          a ClientHello, read the server's first bytes, close
  hostile.py client PORT alert-flood N      N warning alerts (user_canceled) instead of a ClientHello
  hostile.py client PORT huge-hello MIB     a ClientHello header claiming 16 MiB, then MIB MiB of it
As a server for a shim client (handshaked does the ClientHello side), on 127.0.0.1:PORT:
  hostile.py server PORT garbage            read the ClientHello, answer non-TLS bytes
  hostile.py server PORT truncated CERT KEY half of a real ServerHello flight, then close
  hostile.py server PORT close-mid          read the ClientHello, close
  hostile.py server PORT alert-flood N      read the ClientHello, answer N warning alerts
Every mode then waits (bounded) for the peer to close, and prints one line saying what it saw.
The exit status is 0 unless the script itself failed; the verdict is the shim's."""
import os
import socket
import ssl
import sys
import time

WAIT_FOR_CLOSE = 20.0


def client_hello():
    """A real TLS 1.3 ClientHello (record layer included), made by Python's ssl module."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def server_flight(hello, cert, key):
    """A real TLS 1.3 server's answer (ServerHello ... Finished) to the given ClientHello."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(cert, key)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(hello)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def read_record(sock, timeout=10.0):
    """One whole TLS record (header + body) from sock."""
    sock.settimeout(timeout)
    data = b""
    while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def wait_closed(sock, seconds=WAIT_FOR_CLOSE):
    """Read (and drop) until the peer closes; returns (bytes seen, seconds it took, how)."""
    start = time.monotonic()
    seen = 0
    sock.settimeout(0.5)
    while time.monotonic() - start < seconds:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError as error:
            return seen, time.monotonic() - start, "reset (%s)" % error.strerror
        if not chunk:
            return seen, time.monotonic() - start, "closed"
        seen += len(chunk)
    return seen, time.monotonic() - start, "still open"


def send_quietly(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


GARBAGE = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + bytes(range(256)) * 2
WARNING_ALERT = bytes([21, 3, 3, 0, 2, 1, 90])  # alert, TLS 1.2 record, warning user_canceled


def run_client(port, mode, args):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    hello = client_hello()
    note = ""
    if mode == "garbage":
        send_quietly(sock, GARBAGE)
    elif mode in ("truncated", "truncated-hold"):
        send_quietly(sock, hello[: len(hello) // 2])
        if mode == "truncated":
            sock.close()
            print("client: sent %d of %d ClientHello bytes, closed" % (len(hello) // 2, len(hello)))
            return
        seen, took, how = wait_closed(sock, float(args[0]))
        print("client truncated-hold: sent %d of %d ClientHello bytes, silent; the server sent %d bytes"
              " and %s after %.1f s" % (len(hello) // 2, len(hello), seen, how, took))
        return
    elif mode == "slowloris":
        sent = 0
        for byte in hello:
            if not send_quietly(sock, bytes([byte])):
                break
            sent += 1
            time.sleep(1.0)
            sock.settimeout(0)
            try:
                if sock.recv(65536) == b"":
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
        note = " after %d ClientHello bytes at 1 byte/s" % sent
    elif mode == "close-mid":
        send_quietly(sock, hello)
        first = read_record(sock)
        sock.close()
        print("client: sent a ClientHello, got %d bytes back, closed mid-handshake" % len(first))
        return
    elif mode == "alert-flood":
        count = int(args[0])
        ok = send_quietly(sock, WARNING_ALERT * count)
        note = " (%d alerts, send %s)" % (count, "complete" if ok else "cut off")
    elif mode == "huge-hello":
        mib = int(args[0])
        body = bytes([1]) + (0xFFFFFF).to_bytes(3, "big") + bytes(mib * 1024 * 1024)
        sent = 0
        for off in range(0, len(body), 16384):
            piece = body[off:off + 16384]
            if not send_quietly(sock, bytes([22, 3, 1]) + len(piece).to_bytes(2, "big") + piece):
                break
            sent += len(piece)
        note = " (%d bytes of a 16 MiB ClientHello sent)" % sent
    else:
        sys.exit("hostile.py: unknown client mode " + mode)
    seen, took, how = wait_closed(sock)
    print("client %s%s: the server sent %d bytes and %s after %.1f s" % (mode, note, seen, how, took))


def run_server(port, mode, args):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    listener.settimeout(30)
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    hello = read_record(conn)
    note = " (ClientHello %d bytes)" % len(hello)
    if mode == "garbage":
        send_quietly(conn, GARBAGE)
    elif mode == "truncated":
        flight = server_flight(hello, args[0], args[1])
        send_quietly(conn, flight[: len(flight) // 2])
        conn.close()
        print("server: sent %d of %d bytes of the server flight, closed" % (len(flight) // 2, len(flight)))
        return
    elif mode == "close-mid":
        conn.close()
        print("server: read the ClientHello, closed")
        return
    elif mode == "alert-flood":
        send_quietly(conn, WARNING_ALERT * int(args[0]))
    else:
        sys.exit("hostile.py: unknown server mode " + mode)
    seen, took, how = wait_closed(conn)
    print("server %s%s: the client sent %d more bytes and %s after %.1f s" % (mode, note, seen, how, took))


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    role, port, mode, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    if role == "client":
        run_client(port, mode, args)
    elif role == "server":
        run_server(port, mode, args)
    else:
        sys.exit(__doc__)


main()
