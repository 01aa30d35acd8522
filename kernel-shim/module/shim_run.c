// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_shim: runs and sessions.
 *
 * A run is a batch of sessions started by one HSSHIM_CMD_RUN. Every session
 * is a small state machine driven by its own delayed work item on shim_wq:
 *
 *   CONNECT (client) ---> SUBMIT ---> WAIT ---> ECHO ---> DONE
 *   accept work (server) -^   |         |          |
 *                             v         v          v
 *                            DONE      DONE       DONE
 *   mode none: CONNECT/accept ---> HOLD ---> DONE
 *
 * Nothing blocks in the state machine except connect(): the EAGAIN retry, the
 * handshake deadline and the echo are re-queued delayed works, and the
 * completion callback only records its arguments and kicks the work. So a run
 * of thousands of sessions needs no thread per session and cannot deadlock on
 * the workqueue's concurrency limit.
 *
 * Lifetimes: a run holds one reference for its registry entry and one for
 * its "machinery" (dropped when the last session and the accept work are
 * done). The final put frees it from shim_wq after cancelling every session
 * work synchronously.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/file.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ktime.h>
#include <linux/delay.h>
#include <linux/uio.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/random.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/tls.h>
#include <net/handshake.h>
#include <net/net_namespace.h>
#include <uapi/linux/tls.h>

#include "shim.h"

struct workqueue_struct *shim_wq;

static bool shim_submit_ref_guard = true;
module_param_named(submit_ref_guard, shim_submit_ref_guard, bool, 0644);
MODULE_PARM_DESC(submit_ref_guard,
		 "Hold an extra socket reference across tls_*_hello() (works around the "
		 "submit/complete sock_hold race; default: on)");

#define REC_ALERT	21
#define REC_HANDSHAKE	22
#define REC_DATA	23

#define ACCEPT_SLICE_MS		100	/* accept() blocks at most this long per try */
/*
 * Pending queue full (EAGAIN): retry the submit after a back-off that doubles
 * per retry from EAGAIN_RETRY_MS up to EAGAIN_RETRY_MAX_MS, half of it random.
 * Retrying every jiffy, as this shim first did, had 1,000 waiting sessions
 * make ~70,000 failed submits a second, a quarter of the guest's CPU; the real
 * consumers retry the whole connection seconds later (NVMe's reconnect_delay,
 * the RPC client's reconnect back-off). Without the random half, sessions
 * that started together retried together: the queue took 50 per wave and
 * stood empty between waves while the agent had room.
 */
#define EAGAIN_RETRY_MS		2
#define EAGAIN_RETRY_MAX_MS	256
#define HOLD_POLL_MS		20
#define ECHO_POLL_JIFFIES	1

enum step {
	STEP_AGAIN,	/* state changed: run the next step now */
	STEP_WAIT,	/* re-queued or waiting for the callback / finished */
};

static inline u64 now_ns(void)
{
	return ktime_get_ns();
}

static unsigned long ns_to_jiffies_ceil(u64 ns)
{
	return nsecs_to_jiffies(ns) + 1;
}

/* ---------------------------------------------------------------- runs --- */

static void shim_accept_work(struct work_struct *work);

static void shim_run_free_work(struct work_struct *work)
{
	struct shim_run *run = container_of(work, struct shim_run, free_work);
	u32 i;

	for (i = 0; i < run->nsess; i++)
		cancel_delayed_work_sync(&run->sess[i].dwork);
	cancel_work_sync(&run->accept_work);

	/*
	 * net/handshake keeps a pointer to our peername string (not a copy),
	 * and an ACCEPT that dequeued a request can still be building its
	 * reply when tls_handshake_cancel() wins against it. Give such a
	 * reply ample time to finish before the string goes away.
	 */
	if (READ_ONCE(run->cancel_won))
		msleep(200);

	for (i = 0; i < run->nsess; i++)
		kfree(run->sess[i].buf);
	kvfree(run->sess);
	shim_params_free(&run->p);
	kfree(run);
	module_put(THIS_MODULE);
}

static void shim_run_release(struct kref *ref)
{
	struct shim_run *run = container_of(ref, struct shim_run, ref);

	/* Callers may hold shim_runs_lock or run inside a netlink callback. */
	queue_work(shim_wq, &run->free_work);
}

void shim_run_put(struct shim_run *run)
{
	kref_put(&run->ref, shim_run_release);
}

struct shim_run *shim_run_alloc(void)
{
	struct shim_run *run;

	/* Pinned until the free work ran; rmmod waits for that. */
	if (!try_module_get(THIS_MODULE))
		return NULL;
	run = kzalloc(sizeof(*run), GFP_KERNEL);
	if (!run) {
		module_put(THIS_MODULE);
		return NULL;
	}
	INIT_LIST_HEAD(&run->node);
	kref_init(&run->ref);
	INIT_WORK(&run->free_work, shim_run_free_work);
	INIT_WORK(&run->accept_work, shim_accept_work);
	return run;
}

void shim_params_free(struct shim_params *p)
{
	kfree(p->side[SHIM_CLIENT].peername);
	kfree(p->side[SHIM_SERVER].peername);
	p->side[SHIM_CLIENT].peername = NULL;
	p->side[SHIM_SERVER].peername = NULL;
}

static void run_part_done(struct shim_run *run)
{
	if (atomic_dec_and_test(&run->parts_left)) {
		run->t_end = now_ns();
		shim_run_finished(run);
		shim_run_put(run);	/* the machinery reference */
	}
}

static void sess_kick(struct shim_sess *s)
{
	mod_delayed_work(shim_wq, &s->dwork, 0);
}

void shim_run_abort(struct shim_run *run)
{
	u32 i;

	if (READ_ONCE(run->abort))
		return;
	WRITE_ONCE(run->abort, true);
	if (!run->sess)
		return;
	for (i = 0; i < run->nsess; i++)
		sess_kick(&run->sess[i]);
}

/* ------------------------------------------------------------- sockets --- */

static int sock_ports(struct socket *sock, u16 *lport, u16 *rport)
{
	struct sockaddr_storage ss;
	int ret;

	ret = kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (ret < 0)
		return ret;
	if (ss.ss_family == AF_INET6)
		*lport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*lport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (!rport)
		return 0;
	ret = kernel_getpeername(sock, (struct sockaddr *)&ss);
	if (ret < 0)
		return ret;
	if (ss.ss_family == AF_INET6)
		*rport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*rport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

/*
 * Give a connected socket a struct file (net/handshake installs that file
 * as an fd in the agent) and restore blocking defaults: the agent does
 * blocking I/O on the same struct sock, so our timeouts must not leak to it.
 * On failure the socket has been released.
 */
static int sess_attach_sock(struct shim_sess *s, struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct file *file;

	WRITE_ONCE(sk->sk_rcvtimeo, MAX_SCHEDULE_TIMEOUT);
	WRITE_ONCE(sk->sk_sndtimeo, MAX_SCHEDULE_TIMEOUT);
	tcp_sock_set_nodelay(sk);
	sock_ports(sock, &s->lport, &s->rport);

	file = sock_alloc_file(sock, 0, NULL);	/* releases sock on error */
	if (IS_ERR(file))
		return PTR_ERR(file);
	s->sock = sock;
	s->file = file;
	return 0;
}

static void sess_close(struct shim_sess *s)
{
	if (s->file) {
		/* close_notify through kTLS if a session was established */
		if (s->submitted)
			tls_handshake_close(s->sock);
		fput(s->file);
	} else if (s->sock) {
		sock_release(s->sock);
	}
	s->file = NULL;
	s->sock = NULL;
}

/* ------------------------------------------------------------ sessions --- */

static void sess_release_slot(struct shim_sess *s)
{
	if (s->has_slot) {
		atomic_dec(&s->run->inflight);
		s->has_slot = false;
	}
}

static enum step sess_finish(struct shim_sess *s, u32 phase, u32 status)
{
	struct shim_run *run = s->run;

	s->phase = phase;
	s->status = status;
	sess_release_slot(s);
	sess_close(s);
	kfree(s->buf);
	s->buf = NULL;
	WRITE_ONCE(s->state, SS_DONE);
	atomic_inc(&run->ndone);
	atomic_dec(&run->side_left[s->side]);
	run_part_done(run);
	return STEP_WAIT;
}

static void sess_after_connect(struct shim_sess *s)
{
	const struct shim_side *side = &s->run->p.side[s->side];

	if (side->mode == HSSHIM_MODE_NONE) {
		u32 hold = s->run->p.hold_ms ? s->run->p.hold_ms : s->run->p.wait_ms;

		s->hold_deadline = now_ns() + (u64)hold * NSEC_PER_MSEC;
		WRITE_ONCE(s->state, SS_HOLD);
	} else {
		WRITE_ONCE(s->state, SS_SUBMIT);
	}
}

static enum step sess_connect(struct shim_sess *s)
{
	struct shim_run *run = s->run;
	struct socket *sock;
	u64 now = now_ns();
	long timeo;
	int ret;

	if (READ_ONCE(run->abort))
		return sess_finish(s, HSSHIM_PHASE_ABORT, ECANCELED);
	if (now >= run->deadline)
		return sess_finish(s, HSSHIM_PHASE_SETUP, ETIMEDOUT);

	ret = sock_create_kern(&init_net, run->p.addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret < 0)
		return sess_finish(s, HSSHIM_PHASE_SETUP, -ret);

	timeo = (long)ns_to_jiffies_ceil(run->deadline - now);
	WRITE_ONCE(sock->sk->sk_sndtimeo, timeo);
	ret = kernel_connect(sock, (struct sockaddr *)&run->p.addr,
			     run->p.addrlen, 0);
	if (ret < 0) {
		sock_release(sock);
		if (ret == -EINPROGRESS || ret == -EALREADY || ret == -EAGAIN)
			ret = -ETIMEDOUT;
		return sess_finish(s, HSSHIM_PHASE_SETUP, -ret);
	}
	ret = sess_attach_sock(s, sock);
	if (ret < 0)
		return sess_finish(s, HSSHIM_PHASE_SETUP, -ret);

	sess_after_connect(s);
	return STEP_AGAIN;
}

/* Completion callback: record, then let the state machine continue. */
static void shim_hs_done(void *data, int status, key_serial_t peerid)
{
	struct shim_sess *s = data;

	s->t_done = now_ns();
	s->cb_status = status;
	s->cb_peerid = peerid;
	s->file_refs = (u32)file_count(s->file);
	smp_store_release(&s->cb_fired, 1);
	mod_delayed_work(shim_wq, &s->dwork, 0);
}

static int sess_call_api(struct shim_sess *s)
{
	const struct shim_side *side = &s->run->p.side[s->side];
	struct tls_handshake_args args = { };
	u32 i;

	args.ta_sock = s->sock;
	args.ta_done = shim_hs_done;
	args.ta_data = s;
	args.ta_peername = side->peername;
	args.ta_timeout_ms = s->run->p.timeout_ms;
	args.ta_keyring = side->keyring;
	args.ta_my_cert = side->cert;
	args.ta_my_privkey = side->privkey;
	args.ta_num_peerids = side->num_peerids;
	for (i = 0; i < side->num_peerids && i < ARRAY_SIZE(args.ta_my_peerids); i++)
		args.ta_my_peerids[i] = side->peerids[i];

	if (s->side == SHIM_CLIENT) {
		switch (side->mode) {
		case HSSHIM_MODE_ANON:
			return tls_client_hello_anon(&args, GFP_KERNEL);
		case HSSHIM_MODE_X509:
			return tls_client_hello_x509(&args, GFP_KERNEL);
		case HSSHIM_MODE_PSK:
			return tls_client_hello_psk(&args, GFP_KERNEL);
		}
	} else {
		switch (side->mode) {
		case HSSHIM_MODE_X509:
			return tls_server_hello_x509(&args, GFP_KERNEL);
		case HSSHIM_MODE_PSK:
			return tls_server_hello_psk(&args, GFP_KERNEL);
		}
	}
	return -EINVAL;
}

/*
 * Two guards around the API call:
 *
 * - handshake_req_submit() takes its socket reference (sock_hold) only after
 *   it has multicast READY. A quick agent can ACCEPT and DONE before that,
 *   and handshake_complete()'s sock_put() then drops a reference the request
 *   does not hold yet: on a socket with a single reference the sock is freed
 *   while ESTABLISHED ("Attempt to release TCP socket in state 1") and later
 *   use is a use-after-free. Holding our own reference across the call keeps
 *   the count above zero whatever the order.
 *
 * - Some net/handshake versions install their sk->sk_destruct hook before
 *   the checks that can fail (EAGAIN, ESRCH) and do not put the old one
 *   back; a second submit would then chain the hook to itself and
 *   inet_sock_destruct() never run. After a failure no request exists for
 *   the socket, so restoring is always right (6.12.95 needs no help here:
 *   HSSHIM_SF_DESTRUCT_RESTORED stays clear).
 */
static int sess_submit_once(struct shim_sess *s)
{
	struct sock *sk = s->sock->sk;
	void (*saved)(struct sock *sk) = READ_ONCE(sk->sk_destruct);
	bool guard = READ_ONCE(shim_submit_ref_guard);
	int ret;

	if (guard)
		sock_hold(sk);
	ret = sess_call_api(s);
	if (ret && ret != -EBUSY && READ_ONCE(sk->sk_destruct) != saved) {
		WRITE_ONCE(sk->sk_destruct, saved);
		s->flags |= HSSHIM_SF_DESTRUCT_RESTORED;
	}
	if (!ret && smp_load_acquire(&s->cb_fired))
		s->flags |= HSSHIM_SF_EARLY_COMPLETION;
	if (guard)
		sock_put(sk);
	return ret;
}

static enum step sess_submit(struct shim_sess *s)
{
	struct shim_run *run = s->run;
	u64 now = now_ns();
	int ret;

	if (READ_ONCE(run->abort))
		return sess_finish(s, HSSHIM_PHASE_ABORT, ECANCELED);
	if (!s->t_first_try)
		s->t_first_try = now;

	if (run->p.max_inflight && !s->has_slot) {
		if (atomic_inc_return(&run->inflight) > run->p.max_inflight) {
			atomic_dec(&run->inflight);
			if (now >= run->deadline)
				return sess_finish(s, HSSHIM_PHASE_SUBMIT, ETIMEDOUT);
			queue_delayed_work(shim_wq, &s->dwork,
					   msecs_to_jiffies(EAGAIN_RETRY_MS));
			return STEP_WAIT;
		}
		s->has_slot = true;
	}

	/*
	 * The callback can run before the API call returns (a fast agent),
	 * so everything it relies on is set up front.
	 */
	WRITE_ONCE(s->state, SS_WAIT);
	s->t_submit = now_ns();
	s->hs_deadline = s->t_submit + (u64)run->p.wait_ms * NSEC_PER_MSEC;
	ret = sess_submit_once(s);
	if (ret == 0) {
		s->submitted = true;
		/* no-op if the callback already kicked us */
		queue_delayed_work(shim_wq, &s->dwork,
				   msecs_to_jiffies(run->p.wait_ms) + 1);
		return STEP_WAIT;
	}

	/* No callback will come. */
	WRITE_ONCE(s->state, SS_SUBMIT);
	s->t_submit = 0;
	s->hs_deadline = 0;
	if (ret == -EAGAIN && run->p.retry_eagain && now_ns() < run->deadline) {
		u32 backoff = min(EAGAIN_RETRY_MS <<
				  min_t(u32, s->retries,
					ilog2(EAGAIN_RETRY_MAX_MS / EAGAIN_RETRY_MS)),
				  EAGAIN_RETRY_MAX_MS);

		s->retries++;
		sess_release_slot(s);
		queue_delayed_work(shim_wq, &s->dwork,
				   msecs_to_jiffies(backoff / 2 +
						    get_random_u32_below(backoff / 2 + 1)));
		return STEP_WAIT;
	}
	s->status_raw = ret;
	return sess_finish(s, HSSHIM_PHASE_SUBMIT, -ret);
}

static void sess_probe_ktls(struct shim_sess *s)
{
	struct sock *sk = s->sock->sk;
	const struct tcp_ulp_ops *ulp;

	lock_sock(sk);
	ulp = inet_csk(sk)->icsk_ulp_ops;
	if (ulp && !strcmp(ulp->name, "tls")) {
		struct tls_context *ctx = tls_get_ctx(sk);

		s->ulp_tls = 1;
		if (ctx) {
			s->tx_conf = ctx->tx_conf;
			s->rx_conf = ctx->rx_conf;
		}
	}
	release_sock(sk);
}

static enum step sess_echo_begin(struct shim_sess *s)
{
	struct shim_run *run = s->run;
	u32 len = run->p.echo_len;
	u32 i;

	s->buf = kmalloc(2 * len, GFP_KERNEL);
	if (!s->buf) {
		s->echo = HSSHIM_ECHO_FAILED;
		s->echo_errno = ENOMEM;
		return sess_finish(s, HSSHIM_PHASE_ECHO, 0);
	}
	if (s->side == SHIM_CLIENT) {
		int n = scnprintf(s->buf, len, "hsshim run %u session %u ",
				  run->id, s->index);

		for (i = n; i < len; i++)
			s->buf[i] = 'a' + (i + s->index) % 26;
	}
	s->sent = 0;
	s->got = 0;
	s->t_echo_start = now_ns();
	s->echo_deadline = s->t_echo_start +
			   (u64)run->p.echo_timeout_ms * NSEC_PER_MSEC;
	WRITE_ONCE(s->state, SS_ECHO);
	return STEP_AGAIN;
}

static enum step sess_wait(struct shim_sess *s)
{
	struct shim_run *run = s->run;
	u64 now;
	int raw;

	if (smp_load_acquire(&s->cb_fired)) {
		sess_release_slot(s);
		raw = s->cb_status;
		s->status_raw = raw;
		s->peerid = (u32)s->cb_peerid;
		/*
		 * DONE's status arrives negated (-EACCES); failures raised by
		 * net/handshake itself arrive positive (+EIO when ACCEPT fails,
		 * +ETIMEDOUT on netns exit). Report the magnitude.
		 */
		if (raw)
			return sess_finish(s, HSSHIM_PHASE_HANDSHAKE,
					   raw < 0 ? (u32)-(s64)raw : (u32)raw);
		sess_probe_ktls(s);
		if (run->p.echo && !READ_ONCE(run->abort))
			return sess_echo_begin(s);
		return sess_finish(s, HSSHIM_PHASE_OK, 0);
	}

	if (s->cancel == HSSHIM_CANCEL_LOST)
		return STEP_WAIT;	/* the callback is running; it kicks us */

	now = now_ns();
	if (!READ_ONCE(run->abort) && now < s->hs_deadline) {
		queue_delayed_work(shim_wq, &s->dwork,
				   ns_to_jiffies_ceil(s->hs_deadline - now));
		return STEP_WAIT;
	}

	if (tls_handshake_cancel(s->sock->sk)) {
		s->cancel = HSSHIM_CANCEL_WON;
		WRITE_ONCE(run->cancel_won, true);
		s->t_done = now;
		sess_release_slot(s);
		if (READ_ONCE(run->abort))
			return sess_finish(s, HSSHIM_PHASE_ABORT, ECANCELED);
		return sess_finish(s, HSSHIM_PHASE_TIMEOUT, ETIMEDOUT);
	}
	s->cancel = HSSHIM_CANCEL_LOST;
	/* The callback fired meanwhile, or is about to: check again. */
	if (smp_load_acquire(&s->cb_fired))
		return STEP_AGAIN;
	return STEP_WAIT;
}

static enum step echo_fail(struct shim_sess *s, u32 err)
{
	s->echo = HSSHIM_ECHO_FAILED;
	s->echo_errno = err;
	s->t_echo_end = now_ns();
	return sess_finish(s, HSSHIM_PHASE_ECHO, 0);
}

/* Returns bytes received, 0 on EOF, -EAGAIN, -EPROTO (alert) or -errno. */
static int echo_recv(struct shim_sess *s, u8 *dst, u32 want)
{
	union {
		struct cmsghdr hdr;
		u8 space[CMSG_SPACE(sizeof(u8)) + 16];
	} cbuf;
	struct msghdr msg = { };
	struct kvec kv;
	int ret;

	for (;;) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = &cbuf;
		msg.msg_controllen = sizeof(cbuf);
		msg.msg_control_is_user = false;
		msg.msg_flags = 0;
		kv.iov_base = dst;
		kv.iov_len = want;
		ret = kernel_recvmsg(s->sock, &msg, &kv, 1, want, MSG_DONTWAIT);
		if (ret <= 0)
			return ret;
		if (cbuf.hdr.cmsg_len && cbuf.hdr.cmsg_level == SOL_TLS &&
		    cbuf.hdr.cmsg_type == TLS_GET_RECORD_TYPE) {
			u8 type = *(u8 *)CMSG_DATA(&cbuf.hdr);

			if (type == REC_DATA)
				return ret;
			if (type == REC_ALERT) {
				s->alert = ret >= 2 ? (dst[0] << 8) | dst[1] : 0;
				return -EPROTO;
			}
			/* e.g. a post-handshake message: skip it */
			s->skipped++;
			continue;
		}
		return ret;	/* plain TCP (no kTLS RX) */
	}
}

static int echo_send(struct shim_sess *s, const u8 *src, u32 len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec kv = { .iov_base = (void *)src, .iov_len = len };

	return kernel_sendmsg(s->sock, &msg, &kv, 1, len);
}

static enum step sess_echo(struct shim_sess *s)
{
	struct shim_run *run = s->run;
	u32 len = run->p.echo_len;
	u8 *out = s->buf, *in = s->buf + len;
	int ret;

	if (READ_ONCE(run->abort))
		return echo_fail(s, ECANCELED);

	if (s->side == SHIM_CLIENT) {
		/* send the message, then read the echo */
		while (s->sent < len) {
			ret = echo_send(s, out + s->sent, len - s->sent);
			if (ret == -EAGAIN)
				goto poll;
			if (ret < 0)
				return echo_fail(s, -ret);
			s->sent += ret;
		}
		while (s->got < len) {
			ret = echo_recv(s, in + s->got, len - s->got);
			if (ret == -EAGAIN)
				goto poll;
			if (ret == 0)
				return echo_fail(s, ECONNRESET);
			if (ret < 0)
				return echo_fail(s, -ret);
			s->got += ret;
		}
		if (memcmp(out, in, len))
			return echo_fail(s, EBADMSG);
	} else {
		/* read the message, then send it back */
		while (s->got < len) {
			ret = echo_recv(s, in + s->got, len - s->got);
			if (ret == -EAGAIN)
				goto poll;
			if (ret == 0)
				return echo_fail(s, ECONNRESET);
			if (ret < 0)
				return echo_fail(s, -ret);
			s->got += ret;
		}
		while (s->sent < len) {
			ret = echo_send(s, in + s->sent, len - s->sent);
			if (ret == -EAGAIN)
				goto poll;
			if (ret < 0)
				return echo_fail(s, -ret);
			s->sent += ret;
		}
	}
	s->echo = HSSHIM_ECHO_OK;
	s->t_echo_end = now_ns();
	return sess_finish(s, HSSHIM_PHASE_OK, 0);

poll:
	if (now_ns() >= s->echo_deadline)
		return echo_fail(s, ETIMEDOUT);
	queue_delayed_work(shim_wq, &s->dwork, ECHO_POLL_JIFFIES);
	return STEP_WAIT;
}

/* Mode none: keep the connection open without a handshake. */
static enum step sess_hold(struct shim_sess *s)
{
	struct shim_run *run = s->run;
	int other = s->side == SHIM_CLIENT ? SHIM_SERVER : SHIM_CLIENT;
	struct msghdr msg = { };
	struct kvec kv;
	u8 byte;
	int ret;

	if (READ_ONCE(run->abort))
		return sess_finish(s, HSSHIM_PHASE_ABORT, ECANCELED);
	if (now_ns() >= s->hold_deadline)
		return sess_finish(s, HSSHIM_PHASE_HOLD, 0);
	/* pairs without an explicit hold time: until the other side is done */
	if (run->p.role == HSSHIM_ROLE_PAIRS && !run->p.hold_ms &&
	    atomic_read(&run->side_left[other]) == 0)
		return sess_finish(s, HSSHIM_PHASE_HOLD, 0);

	kv.iov_base = &byte;
	kv.iov_len = 1;
	ret = kernel_recvmsg(s->sock, &msg, &kv, 1, 1, MSG_DONTWAIT | MSG_PEEK);
	if (ret == 0)	/* the peer closed */
		return sess_finish(s, HSSHIM_PHASE_HOLD, 0);

	queue_delayed_work(shim_wq, &s->dwork, msecs_to_jiffies(HOLD_POLL_MS));
	return STEP_WAIT;
}

static void sess_work(struct work_struct *work)
{
	struct shim_sess *s = container_of(to_delayed_work(work),
					   struct shim_sess, dwork);
	enum step st = STEP_AGAIN;

	while (st == STEP_AGAIN) {
		switch (READ_ONCE(s->state)) {
		case SS_CONNECT:
			st = sess_connect(s);
			break;
		case SS_SUBMIT:
			st = sess_submit(s);
			break;
		case SS_WAIT:
			st = sess_wait(s);
			break;
		case SS_ECHO:
			st = sess_echo(s);
			break;
		case SS_HOLD:
			st = sess_hold(s);
			break;
		default:	/* SS_IDLE: the accept work owns it; SS_DONE */
			st = STEP_WAIT;
			break;
		}
	}
}

/* -------------------------------------------------------------- accept --- */

static void shim_accept_work(struct work_struct *work)
{
	struct shim_run *run = container_of(work, struct shim_run, accept_work);
	struct socket *listener = run->listener;
	u32 k = 0, err = ETIMEDOUT, i;
	int ret;

	WRITE_ONCE(listener->sk->sk_rcvtimeo, msecs_to_jiffies(ACCEPT_SLICE_MS));
	while (k < run->nserver) {
		struct shim_sess *s = &run->sess[run->first_server + k];
		struct socket *newsock;

		if (READ_ONCE(run->abort)) {
			err = ECANCELED;
			break;
		}
		if (now_ns() >= run->deadline) {
			err = ETIMEDOUT;
			break;
		}
		ret = kernel_accept(listener, &newsock, 0);
		if (ret == -EAGAIN || ret == -EINTR || ret == -ERESTARTSYS)
			continue;
		if (ret < 0) {
			err = -ret;
			break;
		}
		k++;
		ret = sess_attach_sock(s, newsock);
		if (ret < 0) {
			sess_finish(s, HSSHIM_PHASE_SETUP, -ret);
			continue;
		}
		sess_after_connect(s);
		queue_delayed_work(shim_wq, &s->dwork, 0);
	}
	for (i = k; i < run->nserver; i++) {
		struct shim_sess *s = &run->sess[run->first_server + i];

		sess_finish(s, err == ECANCELED ? HSSHIM_PHASE_ABORT :
			    HSSHIM_PHASE_ACCEPT, err);
	}

	run->listener = NULL;
	sock_release(listener);
	run_part_done(run);
}

/* -------------------------------------------------------------- set-up --- */

static int shim_listen(struct shim_run *run, struct netlink_ext_ack *extack)
{
	struct sockaddr_storage ss;
	struct socket *sock;
	int backlog, ret;

	ret = sock_create_kern(&init_net, run->p.addr.ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (ret < 0)
		return ret;
	sock_set_reuseaddr(sock->sk);
	ret = kernel_bind(sock, (struct sockaddr *)&run->p.addr, run->p.addrlen);
	if (ret < 0) {
		NL_SET_ERR_MSG(extack, "hsshim: bind() failed");
		goto out;
	}
	backlog = clamp_t(int, run->nserver, 16, 65535);
	ret = kernel_listen(sock, backlog);
	if (ret < 0) {
		NL_SET_ERR_MSG(extack, "hsshim: listen() failed");
		goto out;
	}
	ret = kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (ret < 0)
		goto out;
	if (ss.ss_family == AF_INET6)
		run->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		run->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	run->listener = sock;
	return 0;
out:
	sock_release(sock);
	return ret;
}

static void set_port(struct sockaddr_storage *ss, u16 port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/*
 * Allocate the sessions and, for server/pairs, bind and listen now so that
 * bind errors reach the caller and the port is known before the reply.
 */
int shim_run_prepare(struct shim_run *run, struct netlink_ext_ack *extack)
{
	struct shim_params *p = &run->p;
	u32 nclient = 0, nserver = 0, nsess, i;
	struct shim_sess *sess;
	int ret;

	switch (p->role) {
	case HSSHIM_ROLE_CLIENT:
		nclient = p->count;
		break;
	case HSSHIM_ROLE_SERVER:
		nserver = p->count;
		break;
	case HSSHIM_ROLE_PAIRS:
		nclient = p->count;
		nserver = p->count;
		break;
	}
	nsess = nclient + nserver;
	sess = kvcalloc(nsess, sizeof(*sess), GFP_KERNEL);
	if (!sess)
		return -ENOMEM;
	for (i = 0; i < nsess; i++) {
		struct shim_sess *s = &sess[i];

		s->run = run;
		s->index = i;
		s->side = i < nclient ? SHIM_CLIENT : SHIM_SERVER;
		s->state = SS_IDLE;
		INIT_DELAYED_WORK(&s->dwork, sess_work);
	}
	run->sess = sess;
	run->nsess = nsess;
	run->first_server = nclient;
	run->nserver = nserver;
	atomic_set(&run->side_left[SHIM_CLIENT], nclient);
	atomic_set(&run->side_left[SHIM_SERVER], nserver);

	if (nserver) {
		ret = shim_listen(run, extack);
		if (ret < 0)
			return ret;
		/* pairs: the clients connect to the port we got */
		set_port(&p->addr, run->port);
	} else {
		run->port = ntohs(p->addr.ss_family == AF_INET6 ?
				  ((struct sockaddr_in6 *)&p->addr)->sin6_port :
				  ((struct sockaddr_in *)&p->addr)->sin_port);
	}
	return 0;
}

/* Undo shim_run_prepare() for a run that never started. */
static void shim_run_unprepare(struct shim_run *run)
{
	if (run->listener) {
		sock_release(run->listener);
		run->listener = NULL;
	}
}

/*
 * Start a prepared run. Takes over the caller's extra reference as the
 * machinery reference.
 */
void shim_run_start(struct shim_run *run)
{
	bool has_listener = run->listener != NULL;
	u32 i;

	run->t_start = now_ns();
	run->deadline = run->t_start + (u64)run->p.deadline_ms * NSEC_PER_MSEC;
	atomic_set(&run->parts_left, run->nsess + (has_listener ? 1 : 0));

	if (READ_ONCE(run->abort)) {
		/* aborted before it started (owner vanished, reply failed) */
		shim_run_unprepare(run);
		for (i = 0; i < run->nsess; i++)
			sess_finish(&run->sess[i], HSSHIM_PHASE_ABORT, ECANCELED);
		if (has_listener)
			run_part_done(run);
		return;
	}
	if (has_listener)
		queue_work(shim_wq, &run->accept_work);
	for (i = 0; i < run->first_server; i++) {
		struct shim_sess *s = &run->sess[i];

		WRITE_ONCE(s->state, SS_CONNECT);
		queue_delayed_work(shim_wq, &s->dwork, 0);
	}
	pr_debug("hsshim: run %u started: %u client, %u server sessions\n",
		 run->id, run->first_server, run->nserver);
}

/* Forget a prepared run that was never started. */
void shim_run_discard(struct shim_run *run)
{
	shim_run_unprepare(run);
	shim_run_put(run);
}

/* ------------------------------------------------------------- results --- */

int shim_put_session(struct sk_buff *skb, struct shim_sess *s)
{
	struct shim_run *run = s->run;
	u64 lat = 0, queue = 0, at = 0, echo = 0;
	struct nlattr *nest;

	if (s->t_submit && s->t_done > s->t_submit)
		lat = s->t_done - s->t_submit;
	if (s->t_submit && s->t_first_try)
		queue = s->t_submit - s->t_first_try;
	if (s->t_submit)
		at = s->t_submit - run->t_start;
	if (s->t_echo_end > s->t_echo_start)
		echo = s->t_echo_end - s->t_echo_start;

	nest = nla_nest_start(skb, HSSHIM_A_SESSION);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, HSSHIM_S_INDEX, s->index) ||
	    nla_put_u32(skb, HSSHIM_S_ROLE, s->side == SHIM_CLIENT ?
			HSSHIM_ROLE_CLIENT : HSSHIM_ROLE_SERVER) ||
	    nla_put_u32(skb, HSSHIM_S_MODE, run->p.side[s->side].mode) ||
	    nla_put_u32(skb, HSSHIM_S_PHASE, s->phase) ||
	    nla_put_u32(skb, HSSHIM_S_STATUS, s->status) ||
	    nla_put_s32(skb, HSSHIM_S_STATUS_RAW, s->status_raw) ||
	    nla_put_u32(skb, HSSHIM_S_PEERID, s->peerid) ||
	    nla_put_u64_64bit(skb, HSSHIM_S_LATENCY_NS, lat, HSSHIM_S_PAD) ||
	    nla_put_u64_64bit(skb, HSSHIM_S_QUEUE_NS, queue, HSSHIM_S_PAD) ||
	    nla_put_u64_64bit(skb, HSSHIM_S_SUBMIT_AT_NS, at, HSSHIM_S_PAD) ||
	    nla_put_u32(skb, HSSHIM_S_RETRIES, s->retries) ||
	    nla_put_u32(skb, HSSHIM_S_CANCEL, s->cancel) ||
	    nla_put_u32(skb, HSSHIM_S_ECHO, s->echo) ||
	    nla_put_u32(skb, HSSHIM_S_ECHO_ERRNO, s->echo_errno) ||
	    nla_put_u64_64bit(skb, HSSHIM_S_ECHO_NS, echo, HSSHIM_S_PAD) ||
	    nla_put_u16(skb, HSSHIM_S_LPORT, s->lport) ||
	    nla_put_u16(skb, HSSHIM_S_RPORT, s->rport) ||
	    nla_put_u8(skb, HSSHIM_S_ULP_TLS, s->ulp_tls) ||
	    nla_put_u8(skb, HSSHIM_S_TX_CONF, s->tx_conf) ||
	    nla_put_u8(skb, HSSHIM_S_RX_CONF, s->rx_conf) ||
	    nla_put_u32(skb, HSSHIM_S_SKIPPED, s->skipped) ||
	    nla_put_u32(skb, HSSHIM_S_ALERT, s->alert) ||
	    nla_put_u32(skb, HSSHIM_S_FILE_REFS, s->file_refs) ||
	    nla_put_u32(skb, HSSHIM_S_FLAGS, s->flags)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}
