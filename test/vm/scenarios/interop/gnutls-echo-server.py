#!/usr/bin/env python3
"""A GnuTLS TLS server that echoes every byte back, for kernel-shim clients.

gnutls-serv --echo only answers complete lines, and kernel-shim's echo payload has no newline, so
this drives the guest's libgnutls (libgnutls.so.30, the library gnutls-serv uses) through ctypes.

  gnutls-echo-server.py --port P --priority STRING
        [--cert PEM --key PEM] [--ca PEM (require and verify a client certificate)]
        [--pskpasswd FILE (gnutls' "identity:hexkey" format)] [--count N] [--timeout S]

Serves N connections (default 1) one after the other and exits 0 if every one completed the
handshake and echoed at least one byte; prints the negotiated suite of each connection and, with
--pskpasswd, the PSK identity it chose."""
import argparse
import ctypes
import socket
import sys

GNUTLS_SERVER = 1
GNUTLS_X509_FMT_PEM = 1
GNUTLS_CRD_CERTIFICATE = 1
GNUTLS_CRD_PSK = 4
GNUTLS_CERT_REQUIRE = 2
GNUTLS_SHUT_RDWR = 0
GNUTLS_E_AGAIN = -28
GNUTLS_E_INTERRUPTED = -52

lib = ctypes.CDLL("libgnutls.so.30")
vp = ctypes.c_void_p
lib.gnutls_strerror.restype = ctypes.c_char_p
lib.gnutls_strerror.argtypes = [ctypes.c_int]
lib.gnutls_certificate_allocate_credentials.argtypes = [ctypes.POINTER(vp)]
lib.gnutls_certificate_set_x509_key_file.argtypes = [vp, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
lib.gnutls_certificate_set_x509_trust_file.argtypes = [vp, ctypes.c_char_p, ctypes.c_int]
lib.gnutls_psk_allocate_server_credentials.argtypes = [ctypes.POINTER(vp)]
lib.gnutls_psk_set_server_credentials_file.argtypes = [vp, ctypes.c_char_p]
lib.gnutls_init.argtypes = [ctypes.POINTER(vp), ctypes.c_uint]
lib.gnutls_priority_set_direct.argtypes = [vp, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
lib.gnutls_credentials_set.argtypes = [vp, ctypes.c_int, vp]
lib.gnutls_certificate_server_set_request.argtypes = [vp, ctypes.c_int]
lib.gnutls_session_set_verify_cert.argtypes = [vp, ctypes.c_char_p, ctypes.c_uint]
lib.gnutls_transport_set_int2.argtypes = [vp, ctypes.c_int, ctypes.c_int]
lib.gnutls_handshake_set_timeout.argtypes = [vp, ctypes.c_uint]
lib.gnutls_record_set_timeout.argtypes = [vp, ctypes.c_uint]
lib.gnutls_handshake.argtypes = [vp]
lib.gnutls_record_recv.argtypes = [vp, ctypes.c_void_p, ctypes.c_size_t]
lib.gnutls_record_recv.restype = ctypes.c_ssize_t
lib.gnutls_record_send.argtypes = [vp, ctypes.c_void_p, ctypes.c_size_t]
lib.gnutls_record_send.restype = ctypes.c_ssize_t
lib.gnutls_bye.argtypes = [vp, ctypes.c_int]
lib.gnutls_deinit.argtypes = [vp]
lib.gnutls_cipher_get.argtypes = [vp]
lib.gnutls_cipher_get_name.argtypes = [ctypes.c_int]
lib.gnutls_cipher_get_name.restype = ctypes.c_char_p
lib.gnutls_psk_server_get_username.argtypes = [vp]
lib.gnutls_psk_server_get_username.restype = ctypes.c_char_p


def check(ret, what):
    if ret < 0:
        sys.exit("gnutls-echo-server: %s: %s" % (what, lib.gnutls_strerror(ret).decode()))
    return ret


def serve_one(conn, args, cert_cred, psk_cred):
    session = vp()
    check(lib.gnutls_init(ctypes.byref(session), GNUTLS_SERVER), "gnutls_init")
    err = ctypes.c_char_p()
    check(lib.gnutls_priority_set_direct(session, args.priority.encode(), ctypes.byref(err)),
          "priority %r" % args.priority)
    if cert_cred:
        check(lib.gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, cert_cred), "certificate credentials")
        if args.ca:
            lib.gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE)
            lib.gnutls_session_set_verify_cert(session, None, 0)
    if psk_cred:
        check(lib.gnutls_credentials_set(session, GNUTLS_CRD_PSK, psk_cred), "psk credentials")
    lib.gnutls_transport_set_int2(session, conn.fileno(), conn.fileno())
    lib.gnutls_handshake_set_timeout(session, int(args.timeout * 1000))
    lib.gnutls_record_set_timeout(session, int(args.timeout * 1000))
    while True:
        ret = lib.gnutls_handshake(session)
        if ret not in (GNUTLS_E_AGAIN, GNUTLS_E_INTERRUPTED):
            break
    if ret < 0:
        print("handshake failed: %s" % lib.gnutls_strerror(ret).decode(), flush=True)
        lib.gnutls_deinit(session)
        return False
    suite = lib.gnutls_cipher_get_name(lib.gnutls_cipher_get(session)).decode()
    print("handshake ok: %s" % suite, flush=True)
    if psk_cred:
        username = lib.gnutls_psk_server_get_username(session)
        print("psk identity: %s" % (username.decode() if username else "(none)"), flush=True)
    echoed = 0
    buf = ctypes.create_string_buffer(16384)
    while True:
        n = lib.gnutls_record_recv(session, buf, len(buf))
        if n in (GNUTLS_E_AGAIN, GNUTLS_E_INTERRUPTED):
            continue
        if n <= 0:
            break  # 0: close_notify; < 0: the peer went away
        sent = 0
        while sent < n:
            m = lib.gnutls_record_send(session, ctypes.byref(buf, sent), n - sent)
            if m in (GNUTLS_E_AGAIN, GNUTLS_E_INTERRUPTED):
                continue
            if m < 0:
                break
            sent += m
        echoed += n
    print("echoed %d bytes" % echoed, flush=True)
    lib.gnutls_bye(session, GNUTLS_SHUT_RDWR)
    lib.gnutls_deinit(session)
    return echoed > 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--priority", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca")
    p.add_argument("--pskpasswd")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=20)
    args = p.parse_args()
    check(lib.gnutls_global_init(), "gnutls_global_init")
    cert_cred = psk_cred = None
    if args.cert:
        cert_cred = vp()
        check(lib.gnutls_certificate_allocate_credentials(ctypes.byref(cert_cred)), "certificate credentials")
        check(lib.gnutls_certificate_set_x509_key_file(cert_cred, args.cert.encode(), args.key.encode(),
                                                       GNUTLS_X509_FMT_PEM), "certificate/key files")
        if args.ca:
            check(lib.gnutls_certificate_set_x509_trust_file(cert_cred, args.ca.encode(), GNUTLS_X509_FMT_PEM),
                  "trust file")
    if args.pskpasswd:
        psk_cred = vp()
        check(lib.gnutls_psk_allocate_server_credentials(ctypes.byref(psk_cred)), "psk credentials")
        check(lib.gnutls_psk_set_server_credentials_file(psk_cred, args.pskpasswd.encode()), "psk file")
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(8)
    listener.settimeout(args.timeout)
    good = True
    for _ in range(args.count):
        conn, _ = listener.accept()
        conn.setblocking(True)  # GnuTLS does its own timeouts (handshake and record)
        good = serve_one(conn, args, cert_cred, psk_cred) and good
        conn.close()
    sys.exit(0 if good else 1)


main()
