// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hsshimctl - drive handshake_shim.ko (generic netlink family "hsshim").
 *
 *   hsshimctl client --connect ADDR:PORT [options]
 *   hsshimctl server --listen ADDR:PORT [options]
 *   hsshimctl pairs  [--listen ADDR[:PORT]] --count N [options]
 *   hsshimctl probe
 *
 * Plain generic netlink over a raw socket; see kernel-shim/README.md.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hsshim.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const char *prog = "hsshimctl";

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ------------------------------------------------------------ netlink --- */

struct nl {
	int fd;
	uint32_t seq;
	uint16_t family;
	uint8_t *rbuf;
	size_t rbuf_len;
};

struct msg {
	uint8_t buf[8192];
	struct nlmsghdr *nlh;
};

#define NLA_DATA(a) ((void *)((uint8_t *)(a) + NLA_HDRLEN))
#define NLA_PAYLOAD_LEN(a) ((int)(a)->nla_len - NLA_HDRLEN)

static void msg_init(struct msg *m, uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, sizeof(m->buf));
	m->nlh = (struct nlmsghdr *)m->buf;
	m->nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nlh->nlmsg_type = type;
	m->nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = NLMSG_DATA(m->nlh);
	g->cmd = cmd;
	g->version = HSSHIM_FAMILY_VERSION;
}

static void msg_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->nlh->nlmsg_len);
	struct nlattr *a;

	if (off + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(m->buf))
		die("request too large");
	a = (struct nlattr *)(m->buf + off);
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(NLA_DATA(a), data, len);
	m->nlh->nlmsg_len = off + NLA_ALIGN(a->nla_len);
}

static void msg_put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_u16(struct msg *m, uint16_t type, uint16_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_u8(struct msg *m, uint16_t type, uint8_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_str(struct msg *m, uint16_t type, const char *s)
{
	msg_put(m, type, s, strlen(s) + 1);
}

/* Parse attributes of a stream into tb[0..max]. */
static void parse_attrs(struct nlattr **tb, int max, const void *data, int len)
{
	const struct nlattr *a = data;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		int type = a->nla_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = (struct nlattr *)a;
		len -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
	}
}

static uint32_t get_u32(struct nlattr *a)
{
	uint32_t v = 0;

	if (a && NLA_PAYLOAD_LEN(a) >= 4)
		memcpy(&v, NLA_DATA(a), 4);
	return v;
}

static int32_t get_s32(struct nlattr *a)
{
	return (int32_t)get_u32(a);
}

static uint16_t get_u16(struct nlattr *a)
{
	uint16_t v = 0;

	if (a && NLA_PAYLOAD_LEN(a) >= 2)
		memcpy(&v, NLA_DATA(a), 2);
	return v;
}

static uint8_t get_u8(struct nlattr *a)
{
	return a && NLA_PAYLOAD_LEN(a) >= 1 ? *(uint8_t *)NLA_DATA(a) : 0;
}

static uint64_t get_u64(struct nlattr *a)
{
	uint64_t v = 0;

	if (a && NLA_PAYLOAD_LEN(a) >= 8)
		memcpy(&v, NLA_DATA(a), 8);
	return v;
}

static void nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, rcv = 8 << 20;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		die("netlink socket: %s", strerror(errno));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("netlink bind: %s", strerror(errno));
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->seq = (uint32_t)time(NULL);
	nl->rbuf_len = 256 * 1024;
	nl->rbuf = malloc(nl->rbuf_len);
	if (!nl->rbuf)
		die("out of memory");
}

static void nl_send(struct nl *nl, struct msg *m)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	m->nlh->nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, m->buf, m->nlh->nlmsg_len, 0,
		   (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("netlink send: %s", strerror(errno));
}

/* Extended-ack message of an NLMSG_ERROR, if any. */
static const char *ext_ack_msg(struct nlmsghdr *h)
{
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	off = sizeof(*e);	/* NETLINK_CAP_ACK: the request is not echoed */
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (NLMSG_HDRLEN + off > h->nlmsg_len)
		return NULL;
	parse_attrs(tb, NLMSGERR_ATTR_MAX, (uint8_t *)e + off,
		    h->nlmsg_len - NLMSG_HDRLEN - off);
	return tb[NLMSGERR_ATTR_MSG] ? NLA_DATA(tb[NLMSGERR_ATTR_MSG]) : NULL;
}

typedef void (*msg_cb)(struct nlmsghdr *h, void *arg);

/* Called for unsolicited messages (seq 0): RUN_DONE notifications. */
static msg_cb notify_cb;
static void *notify_arg;

/*
 * Receive until the ACK (or error) for @seq; hand replies to @cb.
 * Returns 0 or a negative errno; *errmsg gets the extack text.
 */
static int nl_recv_until_ack(struct nl *nl, uint32_t seq, msg_cb cb, void *arg,
			     const char **errmsg, int timeout_ms)
{
	static char errbuf[256];

	*errmsg = NULL;
	for (;;) {
		struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };
		struct nlmsghdr *h;
		ssize_t n;
		int r;

		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(nl->fd, nl->rbuf, nl->rbuf_len, MSG_TRUNC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS)
				die("netlink receive overrun (ENOBUFS)");
			die("netlink recv: %s", strerror(errno));
		}
		if ((size_t)n > nl->rbuf_len)
			die("netlink message truncated (%zd bytes)", n);
		for (h = (struct nlmsghdr *)nl->rbuf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq == 0 && h->nlmsg_type == nl->family) {
				if (notify_cb)
					notify_cb(h, notify_arg);
				continue;
			}
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);
				const char *m = ext_ack_msg(h);

				if (m) {
					snprintf(errbuf, sizeof(errbuf), "%s", m);
					*errmsg = errbuf;
				}
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb)
				cb(h, arg);
		}
	}
}

static void resolve_cb(struct nlmsghdr *h, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	parse_attrs(tb, CTRL_ATTR_MAX, (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN,
		    h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (tb[CTRL_ATTR_FAMILY_ID])
		*(uint16_t *)arg = get_u16(tb[CTRL_ATTR_FAMILY_ID]);
}

static int nl_resolve(struct nl *nl)
{
	struct msg m;
	const char *em;
	uint16_t id = 0;
	int ret;

	msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	((struct genlmsghdr *)NLMSG_DATA(m.nlh))->version = 1;
	msg_put_str(&m, CTRL_ATTR_FAMILY_NAME, HSSHIM_FAMILY_NAME);
	nl_send(nl, &m);
	ret = nl_recv_until_ack(nl, nl->seq, resolve_cb, &id, &em, 5000);
	if (ret < 0)
		return ret;
	if (!id)
		return -ENOENT;
	nl->family = id;
	return 0;
}

/* ------------------------------------------------------------- errnos --- */

static const char *errno_name(uint32_t e)
{
	static char buf[32];
	const char *n;

	if (e == 0)
		return "OK";
	n = e < 4096 ? strerrorname_np((int)e) : NULL;
	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%u", e);
	return buf;
}

static int errno_from_name(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;
	int e;

	v = strtoul(s, &end, 0);
	if (*s && !*end) {
		*out = (uint32_t)v;
		return 0;
	}
	for (e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcasecmp(n, s)) {
			*out = (uint32_t)e;
			return 0;
		}
	}
	return -1;
}

static const char *phase_name(uint32_t p)
{
	static const char *const names[] = {
		[HSSHIM_PHASE_OK] = "ok",
		[HSSHIM_PHASE_SETUP] = "setup",
		[HSSHIM_PHASE_ACCEPT] = "accept",
		[HSSHIM_PHASE_SUBMIT] = "submit",
		[HSSHIM_PHASE_HANDSHAKE] = "handshake",
		[HSSHIM_PHASE_TIMEOUT] = "consumer-timeout",
		[HSSHIM_PHASE_ECHO] = "echo",
		[HSSHIM_PHASE_ABORT] = "abort",
		[HSSHIM_PHASE_HOLD] = "hold",
	};

	return p < sizeof(names) / sizeof(names[0]) && names[p] ? names[p] : "?";
}

static const char *mode_name(uint32_t m)
{
	switch (m) {
	case HSSHIM_MODE_NONE: return "none";
	case HSSHIM_MODE_ANON: return "anon";
	case HSSHIM_MODE_X509: return "x509";
	case HSSHIM_MODE_PSK: return "psk";
	}
	return "?";
}

static int mode_from_name(const char *s)
{
	if (!strcmp(s, "none"))
		return HSSHIM_MODE_NONE;
	if (!strcmp(s, "anon"))
		return HSSHIM_MODE_ANON;
	if (!strcmp(s, "x509"))
		return HSSHIM_MODE_X509;
	if (!strcmp(s, "psk"))
		return HSSHIM_MODE_PSK;
	die("unknown mode '%s' (anon|x509|psk|none)", s);
	return -1;
}

static const char *conf_name(uint8_t c)
{
	switch (c) {
	case 0: return "none";
	case 1: return "sw";
	case 2: return "hw";
	case 3: return "hw-record";
	}
	return "?";
}

static const char *cancel_name(uint32_t c)
{
	switch (c) {
	case HSSHIM_CANCEL_NONE: return "none";
	case HSSHIM_CANCEL_WON: return "won";
	case HSSHIM_CANCEL_LOST: return "lost";
	}
	return "?";
}

static const char *echo_name(uint32_t e)
{
	switch (e) {
	case HSSHIM_ECHO_SKIPPED: return "skipped";
	case HSSHIM_ECHO_OK: return "ok";
	case HSSHIM_ECHO_FAILED: return "failed";
	}
	return "?";
}

/* ------------------------------------------------------------ options --- */

struct expect {
	bool set;
	char spec[256];		/* comma-separated */
};

struct opts {
	int role;
	int mode, server_mode;
	bool have_mode, have_server_mode;
	uint8_t addr[16];
	int addrlen;
	uint16_t port;
	bool have_addr;
	char addr_text[64];
	uint32_t count;
	const char *peername, *server_peername;
	int32_t keyring, server_keyring, cert, privkey, server_cert, server_privkey;
	bool have_keyring, have_server_keyring, have_cert, have_privkey,
	     have_server_cert, have_server_privkey, have_server_psk;
	int32_t psk[HSSHIM_MAX_PEERIDS];
	int npsk;
	bool psk_given;
	int32_t server_psk;
	uint32_t timeout_ms, wait_ms, deadline_ms, echo_len, echo_timeout_ms,
		 max_inflight, hold_ms;
	bool have_timeout, have_wait, have_deadline, have_echo_len,
	     have_echo_timeout, have_max_inflight, have_hold;
	bool no_echo, no_retry;
	struct expect expect_all, expect_client, expect_server;
	bool json, quiet;
	const char *port_file;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: hsshimctl client --connect ADDR:PORT [options]\n"
"       hsshimctl server --listen ADDR:PORT [options]\n"
"       hsshimctl pairs [--listen ADDR[:PORT]] [--count N] [options]\n"
"       hsshimctl probe\n"
"\n"
"handshake (the role's side; in pairs the client side):\n"
"  --mode anon|x509|psk|none   default: client anon, server x509\n"
"  --peername NAME             ta_peername\n"
"  --keyring SERIAL            ta_keyring\n"
"  --cert SERIAL --key SERIAL  ta_my_cert / ta_my_privkey (x509)\n"
"  --psk SERIAL                ta_my_peerids[] (repeat, 0..8; the API takes 1..5)\n"
"pairs, server side:\n"
"  --server-mode x509|psk|none (default psk if --mode psk, else x509)\n"
"  --server-peername NAME --server-keyring SERIAL (default --keyring)\n"
"  --server-cert SERIAL --server-key SERIAL --server-psk SERIAL\n"
"run:\n"
"  --count N                   sessions (pairs: N pairs), default 1\n"
"  --port P                    port (pairs: default 0 = ephemeral)\n"
"  --timeout MS                ta_timeout_ms, advisory for the agent (default 0 = not sent)\n"
"  --wait MS                   consumer deadline submit->callback, then\n"
"                              tls_handshake_cancel() (default 20000)\n"
"  --deadline MS               no connect/accept/submit retry after this (default 60000)\n"
"  --no-echo                   skip the in-kernel echo over kTLS\n"
"  --echo-len N --echo-timeout MS   (default 64 bytes, 5000 ms)\n"
"  --no-retry-eagain           report EAGAIN (pending queue full) instead of retrying\n"
"  --max-inflight N            at most N submitted-not-completed handshakes\n"
"  --hold MS                   mode none: how long to hold the connection\n"
"output / exit status:\n"
"  --expect-status S[,S...]    expected outcome of every session (default 0):\n"
"                              0|ok, an errno name or number (EACCES, 13),\n"
"                              consumer-timeout, echo-failed, held, any\n"
"  --expect-client-status S, --expect-server-status S   per side\n"
"  --json                      one JSON document on stdout\n"
"  --quiet                     summary only\n"
"  --port-file FILE            write the listening port to FILE once bound\n"
"exit status: 0 all sessions as expected, 1 otherwise, 2 usage/setup error\n");
}

static int32_t parse_serial(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || *end || v < INT32_MIN || v > UINT32_MAX)
		die("bad key serial '%s'", s);
	return (int32_t)v;
}

static uint32_t parse_u32(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || !*s || v > UINT32_MAX)
		die("bad %s '%s'", what, s);
	return (uint32_t)v;
}

/* ADDR:PORT, [V6]:PORT, ADDR (port_optional) */
static void parse_hostport(struct opts *o, const char *s, bool port_optional)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	size_t hl;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb)
			die("bad address '%s'", s);
		hl = rb - s - 1;
		if (hl >= sizeof(host))
			die("bad address '%s'", s);
		memcpy(host, s + 1, hl);
		host[hl] = 0;
		if (rb[1] == ':')
			port = rb + 2;
		else if (rb[1])
			die("bad address '%s'", s);
	} else {
		const char *c = strrchr(s, ':');

		if (c && strchr(s, ':') == c) {
			hl = c - s;
			port = c + 1;
		} else {
			hl = strlen(s);	/* no port, or a bare IPv6 address */
		}
		if (hl >= sizeof(host))
			die("bad address '%s'", s);
		memcpy(host, s, hl);
		host[hl] = 0;
	}
	if (inet_pton(AF_INET, host, o->addr) == 1)
		o->addrlen = 4;
	else if (inet_pton(AF_INET6, host, o->addr) == 1)
		o->addrlen = 16;
	else
		die("bad address '%s' (numeric IPv4 or IPv6 expected)", host);
	snprintf(o->addr_text, sizeof(o->addr_text), "%s", host);
	o->have_addr = true;
	if (port)
		o->port = (uint16_t)parse_u32(port, "port");
	else if (!port_optional)
		die("address '%s' needs a port", s);
}

enum {
	O_MODE = 256, O_SERVER_MODE, O_CONNECT, O_LISTEN, O_PORT, O_COUNT,
	O_PEERNAME, O_SERVER_PEERNAME, O_KEYRING, O_SERVER_KEYRING, O_CERT,
	O_KEY, O_SERVER_CERT, O_SERVER_KEY, O_PSK, O_SERVER_PSK, O_TIMEOUT,
	O_WAIT, O_DEADLINE, O_NO_ECHO, O_ECHO_LEN, O_ECHO_TIMEOUT, O_NO_RETRY,
	O_MAX_INFLIGHT, O_HOLD, O_EXPECT, O_EXPECT_CLIENT, O_EXPECT_SERVER,
	O_JSON, O_QUIET, O_PORT_FILE, O_HELP,
};

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, O_MODE },
	{ "server-mode", required_argument, NULL, O_SERVER_MODE },
	{ "connect", required_argument, NULL, O_CONNECT },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "port", required_argument, NULL, O_PORT },
	{ "count", required_argument, NULL, O_COUNT },
	{ "peername", required_argument, NULL, O_PEERNAME },
	{ "server-peername", required_argument, NULL, O_SERVER_PEERNAME },
	{ "keyring", required_argument, NULL, O_KEYRING },
	{ "server-keyring", required_argument, NULL, O_SERVER_KEYRING },
	{ "cert", required_argument, NULL, O_CERT },
	{ "key", required_argument, NULL, O_KEY },
	{ "privkey", required_argument, NULL, O_KEY },
	{ "server-cert", required_argument, NULL, O_SERVER_CERT },
	{ "server-key", required_argument, NULL, O_SERVER_KEY },
	{ "server-privkey", required_argument, NULL, O_SERVER_KEY },
	{ "psk", required_argument, NULL, O_PSK },
	{ "server-psk", required_argument, NULL, O_SERVER_PSK },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "wait", required_argument, NULL, O_WAIT },
	{ "deadline", required_argument, NULL, O_DEADLINE },
	{ "no-echo", no_argument, NULL, O_NO_ECHO },
	{ "echo-len", required_argument, NULL, O_ECHO_LEN },
	{ "echo-timeout", required_argument, NULL, O_ECHO_TIMEOUT },
	{ "no-retry-eagain", no_argument, NULL, O_NO_RETRY },
	{ "max-inflight", required_argument, NULL, O_MAX_INFLIGHT },
	{ "hold", required_argument, NULL, O_HOLD },
	{ "expect-status", required_argument, NULL, O_EXPECT },
	{ "expect-client-status", required_argument, NULL, O_EXPECT_CLIENT },
	{ "expect-server-status", required_argument, NULL, O_EXPECT_SERVER },
	{ "json", no_argument, NULL, O_JSON },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "port-file", required_argument, NULL, O_PORT_FILE },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static void set_expect(struct expect *e, const char *s)
{
	if (strlen(s) >= sizeof(e->spec))
		die("--expect-status value too long");
	strcpy(e->spec, s);
	e->set = true;
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	bool have_port = false;
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case O_MODE:
			o->mode = mode_from_name(optarg);
			o->have_mode = true;
			break;
		case O_SERVER_MODE:
			o->server_mode = mode_from_name(optarg);
			o->have_server_mode = true;
			break;
		case O_CONNECT:
			if (o->role != HSSHIM_ROLE_CLIENT)
				die("--connect is for the client role");
			parse_hostport(o, optarg, false);
			break;
		case O_LISTEN:
			if (o->role == HSSHIM_ROLE_CLIENT)
				die("--listen is for the server and pairs roles");
			parse_hostport(o, optarg, o->role == HSSHIM_ROLE_PAIRS);
			break;
		case O_PORT:
			o->port = (uint16_t)parse_u32(optarg, "port");
			have_port = true;
			break;
		case O_COUNT:
			o->count = parse_u32(optarg, "count");
			if (!o->count || o->count > HSSHIM_MAX_COUNT)
				die("--count must be 1..%d", HSSHIM_MAX_COUNT);
			break;
		case O_PEERNAME:
			o->peername = optarg;
			break;
		case O_SERVER_PEERNAME:
			o->server_peername = optarg;
			break;
		case O_KEYRING:
			o->keyring = parse_serial(optarg);
			o->have_keyring = true;
			break;
		case O_SERVER_KEYRING:
			o->server_keyring = parse_serial(optarg);
			o->have_server_keyring = true;
			break;
		case O_CERT:
			o->cert = parse_serial(optarg);
			o->have_cert = true;
			break;
		case O_KEY:
			o->privkey = parse_serial(optarg);
			o->have_privkey = true;
			break;
		case O_SERVER_CERT:
			o->server_cert = parse_serial(optarg);
			o->have_server_cert = true;
			break;
		case O_SERVER_KEY:
			o->server_privkey = parse_serial(optarg);
			o->have_server_privkey = true;
			break;
		case O_PSK:
			if (o->npsk >= HSSHIM_MAX_PEERIDS)
				die("at most %d --psk", HSSHIM_MAX_PEERIDS);
			o->psk[o->npsk++] = parse_serial(optarg);
			o->psk_given = true;
			break;
		case O_SERVER_PSK:
			o->server_psk = parse_serial(optarg);
			o->have_server_psk = true;
			break;
		case O_TIMEOUT:
			o->timeout_ms = parse_u32(optarg, "timeout");
			o->have_timeout = true;
			break;
		case O_WAIT:
			o->wait_ms = parse_u32(optarg, "wait");
			o->have_wait = true;
			break;
		case O_DEADLINE:
			o->deadline_ms = parse_u32(optarg, "deadline");
			o->have_deadline = true;
			break;
		case O_NO_ECHO:
			o->no_echo = true;
			break;
		case O_ECHO_LEN:
			o->echo_len = parse_u32(optarg, "echo length");
			if (!o->echo_len || o->echo_len > HSSHIM_MAX_ECHO_LEN)
				die("--echo-len must be 1..%d", HSSHIM_MAX_ECHO_LEN);
			o->have_echo_len = true;
			break;
		case O_ECHO_TIMEOUT:
			o->echo_timeout_ms = parse_u32(optarg, "echo timeout");
			o->have_echo_timeout = true;
			break;
		case O_NO_RETRY:
			o->no_retry = true;
			break;
		case O_MAX_INFLIGHT:
			o->max_inflight = parse_u32(optarg, "max-inflight");
			o->have_max_inflight = true;
			break;
		case O_HOLD:
			o->hold_ms = parse_u32(optarg, "hold");
			o->have_hold = true;
			break;
		case O_EXPECT:
			set_expect(&o->expect_all, optarg);
			break;
		case O_EXPECT_CLIENT:
			set_expect(&o->expect_client, optarg);
			break;
		case O_EXPECT_SERVER:
			set_expect(&o->expect_server, optarg);
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_QUIET:
			o->quiet = true;
			break;
		case O_PORT_FILE:
			o->port_file = optarg;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (have_port && o->role == HSSHIM_ROLE_CLIENT && !o->have_addr)
		die("the client needs --connect ADDR:PORT");
	if (o->role == HSSHIM_ROLE_CLIENT && !o->have_addr)
		die("the client needs --connect ADDR:PORT");
	if (o->role == HSSHIM_ROLE_SERVER && !o->have_addr)
		die("the server needs --listen ADDR:PORT");
	if (o->role == HSSHIM_ROLE_CLIENT && !o->port)
		die("the client needs a port");
	if (o->role == HSSHIM_ROLE_PAIRS && !o->have_addr) {
		o->addrlen = 4;
		inet_pton(AF_INET, "127.0.0.1", o->addr);
		strcpy(o->addr_text, "127.0.0.1");
		o->have_addr = true;
	}
	if (o->role != HSSHIM_ROLE_PAIRS &&
	    (o->have_server_mode || o->server_peername || o->have_server_keyring ||
	     o->have_server_cert || o->have_server_privkey || o->have_server_psk))
		die("--server-* options are for the pairs role (use the plain ones)");
	if (o->role == HSSHIM_ROLE_SERVER && o->have_mode && o->mode == HSSHIM_MODE_ANON)
		die("the server side has no anon mode (x509 serves anon clients)");
	if (o->role == HSSHIM_ROLE_PAIRS && o->have_server_mode &&
	    o->server_mode == HSSHIM_MODE_ANON)
		die("the server side has no anon mode (x509 serves anon clients)");
}

static void build_run(struct msg *m, const struct opts *o, uint16_t family)
{
	msg_init(m, family, HSSHIM_CMD_RUN, NLM_F_ACK);
	msg_put_u32(m, HSSHIM_A_ROLE, o->role);
	if (o->have_mode)
		msg_put_u32(m, HSSHIM_A_MODE, o->mode);
	if (o->have_server_mode)
		msg_put_u32(m, HSSHIM_A_SERVER_MODE, o->server_mode);
	msg_put(m, HSSHIM_A_ADDR, o->addr, o->addrlen);
	msg_put_u16(m, HSSHIM_A_PORT, o->port);
	msg_put_u32(m, HSSHIM_A_COUNT, o->count ? o->count : 1);
	if (o->peername)
		msg_put_str(m, HSSHIM_A_PEERNAME, o->peername);
	if (o->server_peername)
		msg_put_str(m, HSSHIM_A_SERVER_PEERNAME, o->server_peername);
	if (o->have_keyring)
		msg_put_u32(m, HSSHIM_A_KEYRING, (uint32_t)o->keyring);
	if (o->have_server_keyring)
		msg_put_u32(m, HSSHIM_A_SERVER_KEYRING, (uint32_t)o->server_keyring);
	if (o->have_cert)
		msg_put_u32(m, HSSHIM_A_CERT, (uint32_t)o->cert);
	if (o->have_privkey)
		msg_put_u32(m, HSSHIM_A_PRIVKEY, (uint32_t)o->privkey);
	if (o->have_server_cert)
		msg_put_u32(m, HSSHIM_A_SERVER_CERT, (uint32_t)o->server_cert);
	if (o->have_server_privkey)
		msg_put_u32(m, HSSHIM_A_SERVER_PRIVKEY, (uint32_t)o->server_privkey);
	if (o->psk_given)
		msg_put(m, HSSHIM_A_PEERIDS, o->psk, o->npsk * sizeof(int32_t));
	if (o->have_server_psk)
		msg_put_u32(m, HSSHIM_A_SERVER_PEERID, (uint32_t)o->server_psk);
	if (o->have_timeout)
		msg_put_u32(m, HSSHIM_A_TIMEOUT_MS, o->timeout_ms);
	if (o->have_wait)
		msg_put_u32(m, HSSHIM_A_WAIT_MS, o->wait_ms);
	if (o->have_deadline)
		msg_put_u32(m, HSSHIM_A_DEADLINE_MS, o->deadline_ms);
	msg_put_u8(m, HSSHIM_A_ECHO, o->no_echo ? 0 : 1);
	if (o->have_echo_len)
		msg_put_u32(m, HSSHIM_A_ECHO_LEN, o->echo_len);
	if (o->have_echo_timeout)
		msg_put_u32(m, HSSHIM_A_ECHO_TIMEOUT_MS, o->echo_timeout_ms);
	msg_put_u8(m, HSSHIM_A_RETRY_EAGAIN, o->no_retry ? 0 : 1);
	if (o->have_max_inflight)
		msg_put_u32(m, HSSHIM_A_MAX_INFLIGHT, o->max_inflight);
	if (o->have_hold)
		msg_put_u32(m, HSSHIM_A_HOLD_MS, o->hold_ms);
}

/* ------------------------------------------------------------ results --- */

struct sess {
	uint32_t index, role, mode, phase, status, peerid, retries, cancel,
		 echo, echo_errno, skipped, alert, file_refs, flags;
	int32_t raw;
	uint64_t latency_ns, queue_ns, submit_at_ns, echo_ns;
	uint16_t lport, rport;
	uint8_t ulp, tx, rx;
	bool expected;
};

struct run {
	uint32_t id, nsess, next;
	uint16_t port;
	uint64_t elapsed_ns;
	bool done;
	struct sess *s;
};

static void run_reply_cb(struct nlmsghdr *h, void *arg)
{
	struct run *r = arg;
	struct nlattr *tb[HSSHIM_A_MAX + 1];

	parse_attrs(tb, HSSHIM_A_MAX, (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN,
		    h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	r->id = get_u32(tb[HSSHIM_A_RUN_ID]);
	r->nsess = get_u32(tb[HSSHIM_A_NSESS]);
	r->port = get_u16(tb[HSSHIM_A_PORT]);
}

static void notify_run_done(struct nlmsghdr *h, void *arg)
{
	struct run *r = arg;
	struct genlmsghdr *g = NLMSG_DATA(h);
	struct nlattr *tb[HSSHIM_A_MAX + 1];

	if (g->cmd != HSSHIM_CMD_RUN_DONE)
		return;
	parse_attrs(tb, HSSHIM_A_MAX, (uint8_t *)g + GENL_HDRLEN,
		    h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (get_u32(tb[HSSHIM_A_RUN_ID]) == r->id) {
		r->done = true;
		r->elapsed_ns = get_u64(tb[HSSHIM_A_ELAPSED_NS]);
	}
}

static void status_cb(struct nlmsghdr *h, void *arg)
{
	struct run *r = arg;
	struct nlattr *tb[HSSHIM_A_MAX + 1];

	parse_attrs(tb, HSSHIM_A_MAX, (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN,
		    h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
	if (get_u32(tb[HSSHIM_A_STATE]) == HSSHIM_STATE_FINISHED) {
		r->done = true;
		r->elapsed_ns = get_u64(tb[HSSHIM_A_ELAPSED_NS]);
	}
}

static void results_cb(struct nlmsghdr *h, void *arg)
{
	struct run *r = arg;
	struct nlattr *tb[HSSHIM_A_MAX + 1];
	uint8_t *p = (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;
	int len = h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	const struct nlattr *a;

	parse_attrs(tb, HSSHIM_A_MAX, p, len);
	r->next = get_u32(tb[HSSHIM_A_NEXT]);
	if (tb[HSSHIM_A_ELAPSED_NS])
		r->elapsed_ns = get_u64(tb[HSSHIM_A_ELAPSED_NS]);

	for (a = (const struct nlattr *)p; len >= NLA_HDRLEN &&
	     a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len),
	     a = (const struct nlattr *)((const uint8_t *)a + NLA_ALIGN(a->nla_len))) {
		struct nlattr *sb[HSSHIM_S_MAX + 1];
		struct sess *s;
		uint32_t idx;

		if ((a->nla_type & NLA_TYPE_MASK) != HSSHIM_A_SESSION)
			continue;
		parse_attrs(sb, HSSHIM_S_MAX, NLA_DATA(a), NLA_PAYLOAD_LEN(a));
		idx = get_u32(sb[HSSHIM_S_INDEX]);
		if (idx >= r->nsess)
			continue;
		s = &r->s[idx];
		s->index = idx;
		s->role = get_u32(sb[HSSHIM_S_ROLE]);
		s->mode = get_u32(sb[HSSHIM_S_MODE]);
		s->phase = get_u32(sb[HSSHIM_S_PHASE]);
		s->status = get_u32(sb[HSSHIM_S_STATUS]);
		s->raw = get_s32(sb[HSSHIM_S_STATUS_RAW]);
		s->peerid = get_u32(sb[HSSHIM_S_PEERID]);
		s->latency_ns = get_u64(sb[HSSHIM_S_LATENCY_NS]);
		s->queue_ns = get_u64(sb[HSSHIM_S_QUEUE_NS]);
		s->submit_at_ns = get_u64(sb[HSSHIM_S_SUBMIT_AT_NS]);
		s->retries = get_u32(sb[HSSHIM_S_RETRIES]);
		s->cancel = get_u32(sb[HSSHIM_S_CANCEL]);
		s->echo = get_u32(sb[HSSHIM_S_ECHO]);
		s->echo_errno = get_u32(sb[HSSHIM_S_ECHO_ERRNO]);
		s->echo_ns = get_u64(sb[HSSHIM_S_ECHO_NS]);
		s->lport = get_u16(sb[HSSHIM_S_LPORT]);
		s->rport = get_u16(sb[HSSHIM_S_RPORT]);
		s->ulp = get_u8(sb[HSSHIM_S_ULP_TLS]);
		s->tx = get_u8(sb[HSSHIM_S_TX_CONF]);
		s->rx = get_u8(sb[HSSHIM_S_RX_CONF]);
		s->skipped = get_u32(sb[HSSHIM_S_SKIPPED]);
		s->alert = get_u32(sb[HSSHIM_S_ALERT]);
		s->file_refs = get_u32(sb[HSSHIM_S_FILE_REFS]);
		s->flags = get_u32(sb[HSSHIM_S_FLAGS]);
	}
}

/* The outcome token of a session: ok, held, consumer-timeout, echo-failed or an errno name. */
static const char *outcome(const struct sess *s)
{
	switch (s->phase) {
	case HSSHIM_PHASE_OK: return "ok";
	case HSSHIM_PHASE_HOLD: return "held";
	case HSSHIM_PHASE_TIMEOUT: return "consumer-timeout";
	case HSSHIM_PHASE_ECHO: return "echo-failed";
	}
	return errno_name(s->status);
}

static bool match_one(const struct sess *s, const char *tok)
{
	uint32_t e;

	if (!strcasecmp(tok, "any"))
		return true;
	if (!strcmp(tok, "0") || !strcasecmp(tok, "ok"))
		return s->phase == HSSHIM_PHASE_OK ||
		       (s->phase == HSSHIM_PHASE_HOLD && s->mode == HSSHIM_MODE_NONE);
	if (!strcasecmp(tok, "consumer-timeout") || !strcasecmp(tok, "timeout"))
		return s->phase == HSSHIM_PHASE_TIMEOUT;
	if (!strcasecmp(tok, "echo-failed"))
		return s->phase == HSSHIM_PHASE_ECHO;
	if (!strcasecmp(tok, "held"))
		return s->phase == HSSHIM_PHASE_HOLD;
	if (errno_from_name(tok, &e) < 0)
		die("unknown status '%s' in --expect-*", tok);
	if (s->phase == HSSHIM_PHASE_OK || s->phase == HSSHIM_PHASE_HOLD ||
	    s->phase == HSSHIM_PHASE_TIMEOUT || s->phase == HSSHIM_PHASE_ECHO)
		return false;
	return s->status == e;
}

static bool matches(const struct sess *s, const struct expect *e)
{
	char buf[sizeof(e->spec)], *save = NULL, *tok;

	strcpy(buf, e->set ? e->spec : "0");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (match_one(s, tok))
			return true;
	return false;
}

static const struct expect *expect_for(const struct opts *o, const struct sess *s)
{
	if (s->role == HSSHIM_ROLE_CLIENT && o->expect_client.set)
		return &o->expect_client;
	if (s->role == HSSHIM_ROLE_SERVER && o->expect_server.set)
		return &o->expect_server;
	return &o->expect_all;
}

/* ---------------------------------------------------------- tls_stat --- */

#define MAX_STATS 32
struct tls_stat {
	int n;
	char name[MAX_STATS][64];
	long long val[MAX_STATS];
	bool ok;
};

static void read_tls_stat(struct tls_stat *t)
{
	FILE *f = fopen("/proc/net/tls_stat", "re");
	char name[64];
	long long v;

	t->n = 0;
	t->ok = false;
	if (!f)
		return;
	while (t->n < MAX_STATS && fscanf(f, "%63s %lld", name, &v) == 2) {
		snprintf(t->name[t->n], sizeof(t->name[0]), "%s", name);
		t->val[t->n++] = v;
	}
	fclose(f);
	t->ok = true;
}

static long long stat_before(const struct tls_stat *b, const char *name)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (!strcmp(b->name[i], name))
			return b->val[i];
	return 0;
}

/* ------------------------------------------------------------ output --- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double us(uint64_t ns)
{
	return ns / 1000.0;
}

static const char *role_name(uint32_t r)
{
	switch (r) {
	case HSSHIM_ROLE_CLIENT: return "client";
	case HSSHIM_ROLE_SERVER: return "server";
	case HSSHIM_ROLE_PAIRS: return "pairs";
	}
	return "?";
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int report(const struct opts *o, struct run *r, const struct tls_stat *before,
		  const struct tls_stat *after)
{
	uint64_t *lat = calloc(r->nsess ? r->nsess : 1, sizeof(*lat));
	uint32_t i, nlat = 0, nok = 0, nbad = 0, nunexp = 0, ncomplete = 0;
	double sum = 0;
	char ktls[32];
	int k;

	if (!lat)
		die("out of memory");
	for (i = 0; i < r->nsess; i++) {
		struct sess *s = &r->s[i];

		s->expected = matches(s, expect_for(o, s));
		if (!s->expected)
			nunexp++;
		if (s->phase == HSSHIM_PHASE_OK)
			nok++;
		else if (s->phase != HSSHIM_PHASE_HOLD)
			nbad++;
		/* latency of every request that got a callback */
		if (s->latency_ns && s->cancel != HSSHIM_CANCEL_WON &&
		    (s->phase == HSSHIM_PHASE_OK || s->phase == HSSHIM_PHASE_HANDSHAKE ||
		     s->phase == HSSHIM_PHASE_ECHO)) {
			lat[nlat++] = s->latency_ns;
			sum += s->latency_ns;
		}
		if (s->phase == HSSHIM_PHASE_OK || s->phase == HSSHIM_PHASE_ECHO)
			ncomplete++;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
#define PCT(p) (nlat ? lat[(size_t)((nlat - 1) * (p) / 100.0 + 0.5)] : 0)

	if (o->json) {
		printf("{\"run_id\":%u,\"role\":\"%s\",\"address\":", r->id,
		       role_name(o->role));
		json_str(o->addr_text);
		printf(",\"port\":%u,\"nsess\":%u,\"elapsed_ns\":%llu,\"sessions\":[",
		       r->port, r->nsess, (unsigned long long)r->elapsed_ns);
		for (i = 0; i < r->nsess; i++) {
			const struct sess *s = &r->s[i];

			printf("%s{\"index\":%u,\"role\":\"%s\",\"mode\":\"%s\",\"result\":\"%s\","
			       "\"phase\":\"%s\",\"status\":%u,\"errno\":\"%s\",\"status_raw\":%d,"
			       "\"peerid\":%u,\"latency_ns\":%llu,\"queue_ns\":%llu,"
			       "\"submit_at_ns\":%llu,\"eagain_retries\":%u,\"cancel\":\"%s\","
			       "\"echo\":\"%s\",\"echo_errno\":\"%s\",\"echo_ns\":%llu,"
			       "\"ulp_tls\":%s,\"ktls_tx\":\"%s\",\"ktls_rx\":\"%s\","
			       "\"skipped_records\":%u,\"alert\":%u,\"lport\":%u,\"rport\":%u,"
			       "\"file_refs\":%u,\"destruct_restored\":%s,"
			       "\"early_completion\":%s,"
			       "\"expected\":%s}",
			       i ? "," : "", s->index, role_name(s->role), mode_name(s->mode),
			       outcome(s), phase_name(s->phase), s->status,
			       errno_name(s->status), s->raw, s->peerid,
			       (unsigned long long)s->latency_ns,
			       (unsigned long long)s->queue_ns,
			       (unsigned long long)s->submit_at_ns, s->retries,
			       cancel_name(s->cancel), echo_name(s->echo),
			       errno_name(s->echo_errno), (unsigned long long)s->echo_ns,
			       s->ulp ? "true" : "false", conf_name(s->tx), conf_name(s->rx),
			       s->skipped, s->alert, s->lport, s->rport, s->file_refs,
			       s->flags & HSSHIM_SF_DESTRUCT_RESTORED ? "true" : "false",
			       s->flags & HSSHIM_SF_EARLY_COMPLETION ? "true" : "false",
			       s->expected ? "true" : "false");
		}
		printf("],\"summary\":{\"ok\":%u,\"failed\":%u,\"unexpected\":%u,"
		       "\"completed\":%u,\"rate_per_s\":%.2f,\"latency_ns\":{\"count\":%u,"
		       "\"min\":%llu,\"avg\":%.0f,\"p50\":%llu,\"p90\":%llu,\"p99\":%llu,"
		       "\"max\":%llu}},\"tls_stat_delta\":",
		       nok, nbad, nunexp, ncomplete,
		       r->elapsed_ns ? ncomplete / (r->elapsed_ns / 1e9) : 0.0, nlat,
		       (unsigned long long)(nlat ? lat[0] : 0), nlat ? sum / nlat : 0.0,
		       (unsigned long long)PCT(50), (unsigned long long)PCT(90),
		       (unsigned long long)PCT(99),
		       (unsigned long long)(nlat ? lat[nlat - 1] : 0));
		if (!after->ok) {
			printf("null");
		} else {
			printf("{");
			for (k = 0; k < after->n; k++)
				printf("%s\"%s\":%lld", k ? "," : "", after->name[k],
				       after->val[k] - stat_before(before, after->name[k]));
			printf("}");
		}
		printf(",\"pass\":%s}\n", nunexp ? "false" : "true");
		free(lat);
		return nunexp ? 1 : 0;
	}

	for (i = 0; i < r->nsess && !o->quiet; i++) {
		const struct sess *s = &r->s[i];

		if (s->ulp)
			snprintf(ktls, sizeof(ktls), "tx:%s,rx:%s", conf_name(s->tx),
				 conf_name(s->rx));
		else
			snprintf(ktls, sizeof(ktls), "none");
		printf("session=%u role=%s mode=%s result=%s phase=%s status=%u errno=%s "
		       "raw=%d peerid=%u latency_us=%.1f queue_us=%.1f retries=%u cancel=%s "
		       "echo=%s",
		       s->index, role_name(s->role), mode_name(s->mode), outcome(s),
		       phase_name(s->phase), s->status, errno_name(s->status), s->raw,
		       s->peerid, us(s->latency_ns), us(s->queue_ns), s->retries,
		       cancel_name(s->cancel), echo_name(s->echo));
		if (s->echo == HSSHIM_ECHO_FAILED)
			printf(" echo_errno=%s", errno_name(s->echo_errno));
		if (s->echo == HSSHIM_ECHO_OK)
			printf(" echo_us=%.1f", us(s->echo_ns));
		if (s->alert)
			printf(" alert=%u/%u", s->alert >> 8, s->alert & 0xff);
		if (s->skipped)
			printf(" skipped_records=%u", s->skipped);
		if (s->flags & HSSHIM_SF_DESTRUCT_RESTORED)
			printf(" destruct_restored=1");
		printf(" ktls=%s lport=%u rport=%u%s\n", ktls, s->lport, s->rport,
		       s->expected ? "" : " UNEXPECTED");
	}
	printf("summary: run=%u role=%s sessions=%u ok=%u failed=%u unexpected=%u "
	       "elapsed_ms=%.1f rate=%.2f/s\n",
	       r->id, role_name(o->role), r->nsess, nok, nbad, nunexp,
	       r->elapsed_ns / 1e6,
	       r->elapsed_ns ? ncomplete / (r->elapsed_ns / 1e9) : 0.0);
	if (nlat)
		printf("latency_us: n=%u min=%.1f avg=%.1f p50=%.1f p90=%.1f p99=%.1f max=%.1f\n",
		       nlat, us(lat[0]), sum / nlat / 1000.0, us(PCT(50)), us(PCT(90)),
		       us(PCT(99)), us(lat[nlat - 1]));
	if (after->ok) {
		printf("tls_stat:");
		for (k = 0; k < after->n; k++) {
			long long d = after->val[k] - stat_before(before, after->name[k]);

			if (d)
				printf(" %s%+lld", after->name[k], d);
		}
		printf("\n");
	} else {
		printf("tls_stat: unavailable (tls module not loaded)\n");
	}
	free(lat);
	return nunexp ? 1 : 0;
#undef PCT
}

/* --------------------------------------------------------------- main --- */

static int cmd_probe(struct nl *nl)
{
	int ret = nl_resolve(nl);

	if (ret < 0) {
		fprintf(stderr, "%s: generic netlink family \"%s\" not found (%s): "
			"is handshake_shim.ko loaded?\n", prog, HSSHIM_FAMILY_NAME,
			strerror(-ret));
		return 1;
	}
	printf("family %s id %u\n", HSSHIM_FAMILY_NAME, nl->family);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct nl nl = { 0 };
	struct run r = { 0 };
	struct tls_stat before, after;
	const char *em;
	struct msg *m;
	int ret;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	nl_open(&nl);
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(&nl);
	if (!strcmp(argv[1], "client"))
		o.role = HSSHIM_ROLE_CLIENT;
	else if (!strcmp(argv[1], "server"))
		o.role = HSSHIM_ROLE_SERVER;
	else if (!strcmp(argv[1], "pairs"))
		o.role = HSSHIM_ROLE_PAIRS;
	else
		die("unknown command '%s' (client|server|pairs|probe)", argv[1]);
	parse_opts(&o, argc, argv);

	ret = nl_resolve(&nl);
	if (ret < 0)
		die("generic netlink family \"%s\" not found (%s): is handshake_shim.ko loaded?",
		    HSSHIM_FAMILY_NAME, strerror(-ret));

	m = malloc(sizeof(*m));
	if (!m)
		die("out of memory");
	read_tls_stat(&before);
	build_run(m, &o, nl.family);
	notify_cb = notify_run_done;
	notify_arg = &r;
	nl_send(&nl, m);
	ret = nl_recv_until_ack(&nl, nl.seq, run_reply_cb, &r, &em, 30000);
	if (ret < 0)
		die("run failed: %s%s%s", strerror(-ret), em ? ": " : "", em ? em : "");
	if (!r.id || !r.nsess)
		die("run failed: empty reply");
	if (o.role != HSSHIM_ROLE_CLIENT) {
		fprintf(stderr, "%s: run %u listening on %s%s%s:%u\n", prog, r.id,
			o.addrlen == 16 ? "[" : "", o.addr_text, o.addrlen == 16 ? "]" : "",
			r.port);
		fflush(stderr);
		if (o.port_file) {
			FILE *f = fopen(o.port_file, "we");

			if (!f)
				die("%s: %s", o.port_file, strerror(errno));
			fprintf(f, "%u\n", r.port);
			fclose(f);
		}
	}
	r.s = calloc(r.nsess, sizeof(*r.s));
	if (!r.s)
		die("out of memory");

	/* Wait for RUN_DONE; poll STATUS every second in case it got lost. */
	while (!r.done) {
		msg_init(m, nl.family, HSSHIM_CMD_STATUS, NLM_F_ACK);
		msg_put_u32(m, HSSHIM_A_RUN_ID, r.id);
		nl_send(&nl, m);
		ret = nl_recv_until_ack(&nl, nl.seq, status_cb, &r, &em, 10000);
		if (ret < 0)
			die("status failed: %s%s%s", strerror(-ret), em ? ": " : "", em ? em : "");
		if (r.done)
			break;
		for (;;) {
			struct pollfd pfd = { .fd = nl.fd, .events = POLLIN };
			ssize_t n;
			struct nlmsghdr *h;

			if (poll(&pfd, 1, 1000) <= 0)
				break;
			n = recv(nl.fd, nl.rbuf, nl.rbuf_len, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("netlink recv: %s", strerror(errno));
			}
			for (h = (struct nlmsghdr *)nl.rbuf; NLMSG_OK(h, (size_t)n);
			     h = NLMSG_NEXT(h, n))
				if (h->nlmsg_seq == 0 && h->nlmsg_type == nl.family)
					notify_run_done(h, &r);
			if (r.done)
				break;
		}
	}

	r.next = 0;
	while (r.next < r.nsess) {
		uint32_t first = r.next;

		msg_init(m, nl.family, HSSHIM_CMD_RESULTS, NLM_F_ACK);
		msg_put_u32(m, HSSHIM_A_RUN_ID, r.id);
		msg_put_u32(m, HSSHIM_A_FIRST, first);
		nl_send(&nl, m);
		ret = nl_recv_until_ack(&nl, nl.seq, results_cb, &r, &em, 10000);
		if (ret < 0)
			die("results failed: %s%s%s", strerror(-ret), em ? ": " : "", em ? em : "");
		if (r.next <= first)
			die("results: no progress at session %u", first);
	}

	msg_init(m, nl.family, HSSHIM_CMD_FREE, NLM_F_ACK);
	msg_put_u32(m, HSSHIM_A_RUN_ID, r.id);
	nl_send(&nl, m);
	nl_recv_until_ack(&nl, nl.seq, NULL, NULL, &em, 10000);

	read_tls_stat(&after);
	ret = report(&o, &r, &before, &after);
	free(r.s);
	free(m);
	close(nl.fd);
	return ret;
}
