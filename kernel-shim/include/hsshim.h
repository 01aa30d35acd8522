/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hsshim: generic-netlink control interface of handshake_shim.ko, a test
 * consumer of the kernel's TLS handshake upcall (include/net/handshake.h).
 *
 * Shared by the module (kernel-shim/module) and hsshimctl (kernel-shim/cli).
 * All integers are host order. See kernel-shim/README.md for the semantics.
 */
#ifndef _HSSHIM_H
#define _HSSHIM_H

#define HSSHIM_FAMILY_NAME	"hsshim"
#define HSSHIM_FAMILY_VERSION	1

/* Limits */
#define HSSHIM_MAX_COUNT	10000	/* sessions per side and run */
#define HSSHIM_MAX_PEERIDS	8	/* accepted in PEERIDS; the API takes 1..5 */
#define HSSHIM_MAX_ECHO_LEN	16384
#define HSSHIM_MAX_NAME		255

enum hsshim_cmd {
	HSSHIM_CMD_UNSPEC,
	HSSHIM_CMD_RUN,		/* start a run; reply: RUN_ID, NSESS, PORT */
	HSSHIM_CMD_STATUS,	/* RUN_ID; reply: STATE, NSESS, NDONE, PORT, ELAPSED_NS */
	HSSHIM_CMD_RESULTS,	/* RUN_ID, FIRST; reply: sessions FIRST..NEXT-1 as SESSION nests */
	HSSHIM_CMD_FREE,	/* RUN_ID; aborts if still running, then forgets the run */
	HSSHIM_CMD_RUN_DONE,	/* kernel -> owner (unicast): RUN_ID, NSESS, ELAPSED_NS */
	__HSSHIM_CMD_MAX,
};
#define HSSHIM_CMD_MAX (__HSSHIM_CMD_MAX - 1)

enum hsshim_role {
	HSSHIM_ROLE_NONE,
	HSSHIM_ROLE_CLIENT,	/* connect COUNT sockets to ADDR:PORT, client handshakes */
	HSSHIM_ROLE_SERVER,	/* listen on ADDR:PORT, accept COUNT, server handshakes */
	HSSHIM_ROLE_PAIRS,	/* listen + connect COUNT pairs on ADDR, both ends handshake */
};

enum hsshim_mode {
	HSSHIM_MODE_NONE,	/* no handshake: connect/accept and hold the socket */
	HSSHIM_MODE_ANON,	/* tls_client_hello_anon (client only) */
	HSSHIM_MODE_X509,	/* tls_client_hello_x509 / tls_server_hello_x509 */
	HSSHIM_MODE_PSK,	/* tls_client_hello_psk / tls_server_hello_psk */
	__HSSHIM_MODE_MAX,
};

enum hsshim_run_state {
	HSSHIM_STATE_RUNNING,
	HSSHIM_STATE_FINISHED,
};

/* Where a session ended (HSSHIM_S_PHASE) */
enum hsshim_phase {
	HSSHIM_PHASE_OK,	/* handshake status 0 and echo ok (or echo off) */
	HSSHIM_PHASE_SETUP,	/* socket/connect/sock_alloc_file failed: STATUS = errno */
	HSSHIM_PHASE_ACCEPT,	/* no connection accepted in time (ETIMEDOUT) or accept error */
	HSSHIM_PHASE_SUBMIT,	/* tls_*_hello() returned -STATUS; no callback */
	HSSHIM_PHASE_HANDSHAKE,	/* completion callback reported STATUS != 0 */
	HSSHIM_PHASE_TIMEOUT,	/* consumer deadline: tls_handshake_cancel() won; STATUS = ETIMEDOUT */
	HSSHIM_PHASE_ECHO,	/* handshake ok, in-kernel echo over kTLS failed: STATUS = 0, ECHO_ERRNO */
	HSSHIM_PHASE_ABORT,	/* run aborted (FREE, owner socket closed, rmmod): ECANCELED */
	HSSHIM_PHASE_HOLD,	/* mode none: socket held, then closed; STATUS = 0 */
};

enum hsshim_cancel {
	HSSHIM_CANCEL_NONE,	/* tls_handshake_cancel() not called */
	HSSHIM_CANCEL_WON,	/* returned true: request removed, no callback */
	HSSHIM_CANCEL_LOST,	/* returned false: the callback came anyway */
};

enum hsshim_echo {
	HSSHIM_ECHO_SKIPPED,
	HSSHIM_ECHO_OK,
	HSSHIM_ECHO_FAILED,
};

/* HSSHIM_S_FLAGS: work-arounds applied to this session (see README, "kernel facts") */
#define HSSHIM_SF_DESTRUCT_RESTORED	0x1	/* failed submit left sk_destruct hooked: restored */
#define HSSHIM_SF_EARLY_COMPLETION	0x4	/* the callback ran before tls_*_hello() returned */

/* Top-level attributes */
enum hsshim_attr {
	HSSHIM_A_UNSPEC,
	HSSHIM_A_RUN_ID,		/* u32 */
	HSSHIM_A_ROLE,			/* u32 enum hsshim_role */
	HSSHIM_A_MODE,			/* u32 enum hsshim_mode: the client side (pairs) or the role's side */
	HSSHIM_A_SERVER_MODE,		/* u32: server side in pairs (default: psk if MODE psk, else x509) */
	HSSHIM_A_ADDR,			/* binary, 4 (IPv4) or 16 (IPv6) bytes, network order */
	HSSHIM_A_PORT,			/* u16 */
	HSSHIM_A_COUNT,			/* u32, default 1 */
	HSSHIM_A_PEERNAME,		/* string: ta_peername of the role's side / client side */
	HSSHIM_A_SERVER_PEERNAME,	/* string: ta_peername of the server side in pairs */
	HSSHIM_A_TIMEOUT_MS,		/* u32: ta_timeout_ms (advisory, sent to the agent), default 0 */
	HSSHIM_A_WAIT_MS,		/* u32: consumer deadline submit->callback, default 20000 */
	HSSHIM_A_DEADLINE_MS,		/* u32: no connect/accept/submit retry starts after this, default 60000 */
	HSSHIM_A_KEYRING,		/* u32: ta_keyring (role's side / client side) */
	HSSHIM_A_SERVER_KEYRING,	/* u32: ta_keyring of the server side in pairs (default KEYRING) */
	HSSHIM_A_CERT,			/* u32: ta_my_cert */
	HSSHIM_A_PRIVKEY,		/* u32: ta_my_privkey */
	HSSHIM_A_SERVER_CERT,		/* u32 (pairs, server side) */
	HSSHIM_A_SERVER_PRIVKEY,	/* u32 (pairs, server side) */
	HSSHIM_A_PEERIDS,		/* binary: 0..8 u32 key serials -> ta_my_peerids / ta_num_peerids */
	HSSHIM_A_SERVER_PEERID,		/* u32: ta_my_peerids[0] of tls_server_hello_psk in pairs */
	HSSHIM_A_ECHO,			/* u8: 1 = prove kTLS with an echo after success (default 1) */
	HSSHIM_A_ECHO_LEN,		/* u32: echo message length, default 64 */
	HSSHIM_A_ECHO_TIMEOUT_MS,	/* u32, default 5000 */
	HSSHIM_A_RETRY_EAGAIN,		/* u8: retry a submit that returned EAGAIN (pending cap), default 1 */
	HSSHIM_A_MAX_INFLIGHT,		/* u32: max submitted-not-completed per run, 0 = unlimited */
	HSSHIM_A_HOLD_MS,		/* u32: mode none: hold time (default: until the other side is done / WAIT_MS) */
	/* replies */
	HSSHIM_A_NSESS,			/* u32 */
	HSSHIM_A_NDONE,			/* u32 */
	HSSHIM_A_STATE,			/* u32 enum hsshim_run_state */
	HSSHIM_A_FIRST,			/* u32 */
	HSSHIM_A_NEXT,			/* u32 */
	HSSHIM_A_ELAPSED_NS,		/* u64: run start -> last session finished (or now) */
	HSSHIM_A_SESSION,		/* nest of HSSHIM_S_*, repeated */
	HSSHIM_A_PAD,
	__HSSHIM_A_MAX,
};
#define HSSHIM_A_MAX (__HSSHIM_A_MAX - 1)

/* Per-session result attributes (inside HSSHIM_A_SESSION) */
enum hsshim_sattr {
	HSSHIM_S_UNSPEC,
	HSSHIM_S_INDEX,		/* u32 */
	HSSHIM_S_ROLE,		/* u32: HSSHIM_ROLE_CLIENT or HSSHIM_ROLE_SERVER */
	HSSHIM_S_MODE,		/* u32 enum hsshim_mode */
	HSSHIM_S_PHASE,		/* u32 enum hsshim_phase */
	HSSHIM_S_STATUS,	/* u32: positive errno, 0 = success */
	HSSHIM_S_STATUS_RAW,	/* s32: status exactly as the callback got it (or -errno of submit) */
	HSSHIM_S_PEERID,	/* u32: peerid from the callback (TLS_NO_PEERID = 0) */
	HSSHIM_S_LATENCY_NS,	/* u64: successful submit -> callback (or -> cancel) */
	HSSHIM_S_QUEUE_NS,	/* u64: first submit attempt -> successful submit (EAGAIN/inflight wait) */
	HSSHIM_S_SUBMIT_AT_NS,	/* u64: run start -> successful submit */
	HSSHIM_S_RETRIES,	/* u32: submits that returned EAGAIN */
	HSSHIM_S_CANCEL,	/* u32 enum hsshim_cancel */
	HSSHIM_S_ECHO,		/* u32 enum hsshim_echo */
	HSSHIM_S_ECHO_ERRNO,	/* u32 */
	HSSHIM_S_ECHO_NS,	/* u64: echo start -> echo verified */
	HSSHIM_S_LPORT,		/* u16 */
	HSSHIM_S_RPORT,		/* u16 */
	HSSHIM_S_ULP_TLS,	/* u8: the socket has the "tls" ULP after the handshake */
	HSSHIM_S_TX_CONF,	/* u8: kTLS TX config: 0 none, 1 sw, 2 hw, 3 hw-record */
	HSSHIM_S_RX_CONF,	/* u8: kTLS RX config */
	HSSHIM_S_SKIPPED,	/* u32: non-data TLS records (e.g. handshake) skipped by the echo */
	HSSHIM_S_ALERT,		/* u32: (level << 8) | description of an alert seen by the echo */
	HSSHIM_S_PAD,
	HSSHIM_S_FILE_REFS,	/* u32: f_count of the socket's file when the callback ran */
	HSSHIM_S_FLAGS,		/* u32: HSSHIM_SF_* */
	__HSSHIM_S_MAX,
};
#define HSSHIM_S_MAX (__HSSHIM_S_MAX - 1)

#endif /* _HSSHIM_H */
