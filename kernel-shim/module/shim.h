/* SPDX-License-Identifier: GPL-2.0 */
/*
 * handshake_shim: internal declarations.
 */
#ifndef _HANDSHAKE_SHIM_H
#define _HANDSHAKE_SHIM_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/workqueue.h>
#include <linux/key.h>
#include <net/genetlink.h>

#include "hsshim.h"

#define SHIM_CLIENT 0
#define SHIM_SERVER 1

/* Handshake parameters of one side (client or server) of a run. */
struct shim_side {
	u32 mode;			/* enum hsshim_mode */
	key_serial_t keyring;
	key_serial_t cert;
	key_serial_t privkey;
	u32 num_peerids;		/* as requested: may be 0 or > 5 to provoke EINVAL */
	key_serial_t peerids[HSSHIM_MAX_PEERIDS];
	char *peername;			/* kmalloc'ed, NULL = none; must outlive the request */
};

struct shim_params {
	u32 role;			/* enum hsshim_role */
	u32 count;
	struct sockaddr_storage addr;	/* port included */
	int addrlen;
	struct shim_side side[2];	/* [SHIM_CLIENT], [SHIM_SERVER] */
	u32 timeout_ms;
	u32 wait_ms;
	u32 deadline_ms;
	u32 echo_timeout_ms;
	u32 echo_len;
	u32 max_inflight;
	u32 hold_ms;
	bool echo;
	bool retry_eagain;
};

enum shim_sess_state {
	SS_IDLE,	/* server slot not accepted yet: the accept work owns it */
	SS_CONNECT,
	SS_SUBMIT,
	SS_WAIT,
	SS_ECHO,
	SS_HOLD,
	SS_DONE,
};

struct shim_run;

struct shim_sess {
	struct shim_run *run;
	struct delayed_work dwork;	/* the session's state machine */
	u32 index;
	u8 side;			/* SHIM_CLIENT / SHIM_SERVER */
	int state;			/* enum shim_sess_state, READ_ONCE/WRITE_ONCE */

	struct socket *sock;
	struct file *file;
	bool submitted;
	bool has_slot;			/* holds one of run->max_inflight */

	u64 t_first_try;
	u64 t_submit;
	u64 t_done;
	u64 hs_deadline;
	u64 t_echo_start;
	u64 t_echo_end;
	u64 echo_deadline;
	u64 hold_deadline;

	/* written by the completion callback */
	int cb_fired;
	int cb_status;
	key_serial_t cb_peerid;

	/* results */
	u32 phase;
	u32 status;
	s32 status_raw;
	u32 peerid;
	u32 retries;
	u32 cancel;
	u32 echo;
	u32 echo_errno;
	u32 skipped;
	u32 alert;
	u16 lport, rport;
	u8 ulp_tls, tx_conf, rx_conf;
	u32 file_refs;
	u32 flags;			/* HSSHIM_SF_* */

	/* echo state */
	u8 *buf;			/* 2 * echo_len: [0,len) to send, [len,2len) received */
	u32 sent;
	u32 got;
};

struct shim_run {
	struct list_head node;		/* shim_runs, under shim_runs_lock */
	struct kref ref;
	bool listed;			/* under shim_runs_lock */
	bool finished;			/* under shim_runs_lock */
	bool orphan;			/* under shim_runs_lock: owner socket gone */
	u32 id;
	u32 owner_portid;

	struct shim_params p;
	u32 nsess;
	struct shim_sess *sess;		/* kvcalloc'ed, nsess entries */
	u32 first_server;		/* index of the first server session */
	u32 nserver;

	atomic_t parts_left;		/* sessions + accept work */
	atomic_t ndone;
	atomic_t inflight;
	atomic_t side_left[2];
	bool abort;			/* READ_ONCE/WRITE_ONCE */
	bool cancel_won;		/* a cancel returned true: delay the final free */

	struct socket *listener;
	u16 port;			/* bound listener port (host order) */
	struct work_struct accept_work;
	struct work_struct free_work;

	u64 t_start;
	u64 t_end;
	u64 deadline;			/* absolute ns */
};

/* shim_run.c */
extern struct workqueue_struct *shim_wq;
struct shim_run *shim_run_alloc(void);
int shim_run_prepare(struct shim_run *run, struct netlink_ext_ack *extack);
void shim_run_start(struct shim_run *run);
void shim_run_discard(struct shim_run *run);
void shim_run_abort(struct shim_run *run);
void shim_run_put(struct shim_run *run);
void shim_params_free(struct shim_params *p);
int shim_put_session(struct sk_buff *skb, struct shim_sess *s);

/* shim_genl.c */
void shim_run_finished(struct shim_run *run);

#endif /* _HANDSHAKE_SHIM_H */
