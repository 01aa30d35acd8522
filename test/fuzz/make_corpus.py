#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the committed seed corpora in test/fuzz/corpus/. Run once after changing it:
#   python3 test/fuzz/make_corpus.py
# The netlink seeds are laid out here from the uapi structures (host = little-endian byte order,
# 4-byte aligned attributes), independently of netlink/wire.cc, in the order the kernel's
# net/handshake/tlshd.c emits them.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

FAMILY = 0x20          # the handshake family id of the 6.12 guest
GENL_ID_CTRL = 0x10
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLA_F_NESTED = 0x8000
NLA_F_NET_BYTEORDER = 0x4000
CMD_READY, CMD_ACCEPT, CMD_DONE = 1, 2, 3
CTRL_CMD_GETPOLICY = 14
A_SOCKFD, A_HANDLER_CLASS, A_MESSAGE_TYPE, A_TIMEOUT, A_AUTH_MODE = 1, 2, 3, 4, 5
A_PEER_IDENTITY, A_CERTIFICATE, A_PEERNAME, A_KEYRING = 6, 7, 8, 9
CLIENTHELLO, SERVERHELLO = 1, 2
UNAUTH, PSK, X509 = 1, 2, 3


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def attr(kind, payload):
    return pad4(struct.pack("<HH", 4 + len(payload), kind) + payload)


def u32(kind, value):
    return attr(kind, struct.pack("<I", value & 0xFFFFFFFF))


def string(kind, text):
    return attr(kind, text.encode() + b"\0")


def genl(body, cmd=CMD_ACCEPT, version=1, nl_type=FAMILY, flags=0, seq=5, pid=1234):
    return struct.pack("<IHHII", 16 + 4 + len(body), nl_type, flags, seq, pid) + bytes([cmd, version, 0, 0]) + body


def nlmsg_error(error, seq=9, with_request=True):
    body = struct.pack("<i", error)
    if with_request:
        body += struct.pack("<IHHII", 20, FAMILY, 5, seq, 0)
    return struct.pack("<IHHII", 16 + len(body), NLMSG_ERROR, 0, seq, 0) + body


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def accept_reply():
    t = "accept_reply"
    nvme = genl(u32(A_SOCKFD, 7) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_TIMEOUT, 10000)
                + u32(A_AUTH_MODE, PSK) + u32(A_PEER_IDENTITY, 0x2A5E7D1C) + u32(A_KEYRING, 0x1F000001)
                + attr(42, bytes.fromhex("deadbeef01020304")) + string(A_PEERNAME, "nvme"))
    write(t, "nvme-psk-client", nvme)
    write(t, "nfsd-x509-server-minimal", genl(u32(A_SOCKFD, 4) + u32(A_MESSAGE_TYPE, SERVERHELLO) + u32(A_AUTH_MODE, X509)))
    nest = u32(1, 111) + u32(2, 222)
    write(t, "nfs-x509-client-cert-nest",
          genl(u32(A_SOCKFD, 9) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_TIMEOUT, 20000) + u32(A_AUTH_MODE, X509)
               + attr(A_CERTIFICATE | NLA_F_NESTED, nest) + string(A_PEERNAME, "server.example")))
    six = b"".join(u32(A_PEER_IDENTITY, s) for s in (50, 40, 0, 30, 20, 10, 60))
    write(t, "psk-seven-identities-one-zero", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, PSK) + six))
    write(t, "unauth-client-keyring-zero-timeout",
          genl(u32(A_SOCKFD, 11) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_TIMEOUT, 0) + u32(A_AUTH_MODE, UNAUTH)
               + string(A_PEERNAME, "192.0.2.7") + u32(A_KEYRING, 0)))
    write(t, "empty-peername", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, UNAUTH) + string(A_PEERNAME, "")))
    write(t, "net-byteorder-flag", genl(u32(A_SOCKFD | NLA_F_NET_BYTEORDER, 3) + u32(A_MESSAGE_TYPE, SERVERHELLO) + u32(A_AUTH_MODE, PSK)))
    write(t, "no-auth-mode", genl(u32(A_SOCKFD, 12) + u32(A_MESSAGE_TYPE, CLIENTHELLO)))
    write(t, "no-sockfd", genl(u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, UNAUTH)))
    write(t, "negative-sockfd", genl(u32(A_SOCKFD, -1) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, UNAUTH)))
    write(t, "unknown-message-type", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, 7) + u32(A_AUTH_MODE, UNAUTH)))
    write(t, "unknown-auth-mode", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, 9)))
    write(t, "short-auth-mode", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + attr(A_AUTH_MODE, b"\1\0")))
    write(t, "unterminated-peername", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, UNAUTH) + attr(A_PEERNAME, b"abcd")))
    write(t, "truncated-cert-nest", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, SERVERHELLO) + u32(A_AUTH_MODE, X509)
                                         + attr(A_CERTIFICATE | NLA_F_NESTED, u32(1, 5)[:6])))
    write(t, "wrong-command", genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, UNAUTH), cmd=CMD_READY))
    write(t, "truncated-mid-attribute", nvme[:50])
    long_len = bytearray(nvme)
    long_len[0] = 0xFF
    write(t, "nlmsg-len-past-buffer", bytes(long_len))
    stray = genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, UNAUTH) + b"\1\2")
    write(t, "two-stray-bytes", stray)
    write(t, "headers-only", genl(b""))


def split_messages():
    t = "split_messages"
    ready = genl(u32(A_HANDLER_CLASS, 1), cmd=CMD_READY, seq=0, pid=0)
    reply = genl(u32(A_SOCKFD, 3) + u32(A_MESSAGE_TYPE, CLIENTHELLO) + u32(A_AUTH_MODE, UNAUTH), flags=0)
    write(t, "ready-accept-eagain-ack", ready + reply + nlmsg_error(-11) + nlmsg_error(0))
    write(t, "ack", nlmsg_error(0))
    write(t, "error-enoent-no-request", nlmsg_error(-2, with_request=False))
    write(t, "error-header-only", struct.pack("<IHHII", 16, NLMSG_ERROR, 0, 1, 0))
    write(t, "done", struct.pack("<IHHII", 20, NLMSG_DONE, 2, 1, 0) + b"\0\0\0\0")
    odd = genl(string(A_PEERNAME, "ab"))[:-1]  # nlmsg_len not a multiple of 4
    odd = struct.pack("<I", len(odd)) + odd[4:]
    write(t, "unaligned-length-then-ready", pad4(odd) + ready)
    write(t, "other-family", genl(u32(1, 1), nl_type=0x21))
    write(t, "zero-length-header", struct.pack("<IHHII", 0, FAMILY, 0, 0, 0) + ready)


def policy_dump(with_tag=False, done_index=0, seq=1):
    def entry(attr_id, nl_type):
        return attr(attr_id | NLA_F_NESTED, u32(1, nl_type))  # NL_POLICY_TYPE_ATTR_TYPE
    entries = entry(1, 4) + entry(2, 8) + entry(3, 4)  # U32, S32, U32
    if with_tag:
        entries += entry(4, 12)  # NUL_STRING
    body = (string(2, "handshake")  # CTRL_ATTR_FAMILY_NAME
            + attr(9 | NLA_F_NESTED, attr(CMD_DONE | NLA_F_NESTED, u32(1, done_index)))  # OP_POLICY { DONE { DO } }
            + attr(8 | NLA_F_NESTED, attr(done_index | NLA_F_NESTED, entries)))  # POLICY { [i] {...} }
    return genl(body, cmd=CTRL_CMD_GETPOLICY, version=2, nl_type=GENL_ID_CTRL, flags=2, seq=seq, pid=0)


def done_policy():
    t = "done_policy"
    done = struct.pack("<IHHII", 20, NLMSG_DONE, 2, 1, 0) + b"\0\0\0\0"
    write(t, "mainline-6.12", policy_dump() + done)
    write(t, "nfsd-tree-with-tag", policy_dump(with_tag=True) + done)
    # The kernel splits the dump: op policy in one message, each policy in the next.
    op = genl(string(2, "handshake") + attr(9 | NLA_F_NESTED, attr(CMD_DONE | NLA_F_NESTED, u32(1, 1))),
              cmd=CTRL_CMD_GETPOLICY, nl_type=GENL_ID_CTRL, flags=2)
    pol = genl(string(2, "handshake") + attr(8 | NLA_F_NESTED, attr(1 | NLA_F_NESTED,
               attr(1 | NLA_F_NESTED, u32(1, 4)) + attr(3 | NLA_F_NESTED, u32(1, 0)))),
               cmd=CTRL_CMD_GETPOLICY, nl_type=GENL_ID_CTRL, flags=2)
    write(t, "split-dump-remote-auth-invalid", op + pol + done)
    write(t, "error-reply", nlmsg_error(-95))
    write(t, "no-op-policy", genl(string(2, "handshake"), cmd=CTRL_CMD_GETPOLICY, nl_type=GENL_ID_CTRL) + done)


def done_roundtrip():
    t = "done_roundtrip"
    def result(failure, sockfd, flags, serials, family=FAMILY, seq=3, port=1234):
        return (struct.pack("<HIIBiB", family, seq, port, failure, sockfd, flags)
                + b"".join(struct.pack("<i", s) for s in serials))
    write(t, "success-one-serial", result(0, 5, 1, [0x11223344]))
    write(t, "success-seven-serials-with-zero", result(0, 5, 1, [1, 0, 2, 3, 4, 5, 6]))
    write(t, "success-policy-without-remote-auth", result(0, 5, 2, [1, 2]))
    write(t, "unknown-psk-identity-with-serial", result(5, 5, 1, [99]))
    write(t, "timeout-negative-sockfd", result(4, -1, 3, []))
    write(t, "failure-past-enum", result(200, 8, 1, [7]))
    write(t, "empty", b"")


TLSHD_CONFIG = """# tlshd configuration
[debug]
loglevel=1
tls=0
nl=0

[authenticate]
keyrings= .nvme-extra ; site

[authenticate.client]
x509.truststore= /etc/pki/ca.pem
#x509.crl= <pathname>
x509.certificate= /etc/tlshd/client.pem
x509.private_key= /etc/tlshd/client.key

[authenticate.server]
x509.truststore= /etc/pki/clients-ca.pem
x509.crl= /etc/pki/clients.crl
x509.certificate= ./server.pem
x509.private_key= ./server.key
x509.pq.certificate= /etc/tlshd/mldsa.pem
x509.pq.private_key= /etc/tlshd/mldsa.key
"""

OWN_CONFIG = """# handshaked.conf
[service]
workers = 3
max_handshakes_per_worker=100
default_timeout_ms = 2500
peer_certificate_lifetime_s = 600
system_truststore = /etc/ssl/certs/ca-certificates.crt

[dbus]
read_group = adm

[debug]
delay_done = 0
"""


def config():
    t = "config"
    write(t, "tlshd-default", TLSHD_CONFIG.encode())
    write(t, "handshaked-service-dbus", OWN_CONFIG.encode())
    write(t, "crlf-and-comments", b"; comment\r\n[service]\r\n\tworkers\t=\t0\r\n# done\r\n")
    write(t, "empty", b"")
    write(t, "keyrings-empty-elements", b"[authenticate]\nkeyrings = ;; a ;b;\n")
    write(t, "bad-integer", b"[service]\nworkers = many\n")
    write(t, "out-of-range", b"[service]\nworkers = 100000\n")
    write(t, "unknown-section", b"\n\n[nope]\n")
    write(t, "unknown-key", b"[debug]\nloglvl = 1\n")
    write(t, "key-outside-section", b"loglevel = 1\n")
    write(t, "unterminated-section", b"[debug\n")
    write(t, "no-equals", b"[debug]\njust words\n")
    write(t, "cert-without-key", b"[authenticate.server]\nx509.certificate = /a.pem\n")
    write(t, "no-final-newline", b"[dbus]\nread_group=wheel")


def psk_identity():
    t = "psk_identity"
    write(t, "nvme-retained-sha256", b"NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6 nqn.2014-08.org.nvmexpress.discovery")
    write(t, "nvme-generated-sha384-digest", b"NVMe1G02 nqn.host nqn.subsys 7lUZWvU+8bQCdbPFsLRMsxqmSpzgsEG7n1Jaw3ZoAUH5E5lqDtGmDgwFnRNvcX7r")
    write(t, "nvme-unsupported-hash", b"NVMe1R03 h s")
    write(t, "nvme-bare", b"NVMe1R01")
    write(t, "nvme-bad-type", b"NVMe1X01 h s")
    write(t, "nvme-short", b"NVMe1R0")
    write(t, "nvme-no-space", b"NVMe1R01x")
    write(t, "lower-case", b"nvme1R01 h s")
    write(t, "plain-identity", b"tls-psk-identity.example")
    write(t, "empty", b"")


# A ClientHello record by record: suites, then the extensions (type, body) in order.
def client_hello(suites, extensions, session_id=b"", record_size=None):
    exts = b"".join(struct.pack(">HH", t, len(b)) + b for t, b in extensions)
    body = b"\x03\x03" + bytes(range(32)) + bytes([len(session_id)]) + session_id
    body += struct.pack(">H", 2 * len(suites)) + b"".join(struct.pack(">H", s) for s in suites)
    body += b"\x01\x00" + struct.pack(">H", len(exts)) + exts
    message = b"\x01" + struct.pack(">I", len(body))[1:] + body
    size = record_size or len(message)
    return b"".join(b"\x16\x03\x01" + struct.pack(">H", len(message[i:i + size])) + message[i:i + size]
                    for i in range(0, len(message), size))


def groups(*codes):
    return (10, struct.pack(">H", 2 * len(codes)) + b"".join(struct.pack(">H", c) for c in codes))


def psk_modes(*modes):
    return (45, bytes([len(modes)]) + bytes(modes))


def client_hello_seeds():
    t = "client_hello"
    # OpenSSL 3.0 (bookworm) s_client -tls1_3 -psk ... -psk_identity nfs-client, as received.
    write(t, "openssl-psk", bytes.fromhex(
        "1603010115010001110303f4b9dcffe3e546c637dd0a3f09212d458906209e5bccff376769f45d549a2c2620"
        "c32243fbb452d0a5c138d6ecb429b78b115318ca3a1e739d611c008be7760f9f000813021303130100ff0100"
        "00c0000b000403000102000a00160014001d0017001e00190018010001010102010301040023000000160000"
        "00170000000d001e001c040305030603080708080809080a080b080408050806040105010601002b00030203"
        "04002d00020101003300260024001d0020f2ee4a1f80d43cd1d9407e51aa62fce39a0f6394542c0ff53aeee5"
        "617eeb7335002900350010000a6e66732d636c69656e74000000000021200a4d64a6fb63f32ac9d94468bd13"
        "0cdb21e7167927e41fa9df27230ef707387d"))
    hybrid = client_hello([0x1301, 0x1302], [groups(0x11EC, 0x001D, 0x0017), psk_modes(1)])
    write(t, "hybrid-first", hybrid)
    write(t, "split-records", client_hello([0x1301], [groups(0x001D), psk_modes(0, 1)], record_size=40))
    write(t, "psk-ke-only", client_hello([0x1301], [groups(0x0018), psk_modes(0)]))
    write(t, "no-extensions", client_hello([0x1303], []))
    write(t, "repeated-groups", client_hello([0x1301], [groups(0x001D), groups(0x0017)]))
    write(t, "odd-group-list", client_hello([0x1301], [(10, b"\x00\x03\x00\x1d\x00")]))
    write(t, "session-id-33", client_hello([0x1301], [], session_id=bytes(33)))
    write(t, "truncated", hybrid[:60])
    write(t, "followed-by-ccs", hybrid + b"\x14\x03\x03\x00\x01\x01")
    # Found by the fuzzer: a bad record after a complete ClientHello made the whole read fail.
    write(t, "followed-by-empty-record", hybrid + b"\x16\x03\x01\x00\x00")
    write(t, "empty", b"")


if __name__ == "__main__":
    accept_reply()
    split_messages()
    done_policy()
    done_roundtrip()
    config()
    psk_identity()
    client_hello_seeds()
