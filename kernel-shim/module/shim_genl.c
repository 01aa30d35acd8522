// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_shim: a test consumer of the kernel's TLS handshake upcall.
 *
 * The "hsshim" generic-netlink family starts runs of kernel sockets that
 * request TLS handshakes through tls_client_hello_* / tls_server_hello_*,
 * and reports what the completion callbacks said. See kernel-shim/README.md.
 *
 * This file: module init/exit, the netlink family, the run registry.
 */

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "shim.h"

static LIST_HEAD(shim_runs);
static DEFINE_MUTEX(shim_runs_lock);
static u32 shim_next_id;

static struct genl_family shim_family;

#define DEFAULT_WAIT_MS		20000
#define DEFAULT_DEADLINE_MS	60000
#define DEFAULT_ECHO_LEN	64
#define DEFAULT_ECHO_TIMEOUT_MS	5000
#define MAX_MS			(24U * 3600 * 1000)

/* -------------------------------------------------------------- registry --- */

static struct shim_run *shim_run_lookup(u32 id)
{
	struct shim_run *run;

	mutex_lock(&shim_runs_lock);
	list_for_each_entry(run, &shim_runs, node) {
		if (run->id == id) {
			kref_get(&run->ref);
			mutex_unlock(&shim_runs_lock);
			return run;
		}
	}
	mutex_unlock(&shim_runs_lock);
	return NULL;
}

/* Remove from the registry; true if the caller must drop the registry ref. */
static bool shim_run_unlist_locked(struct shim_run *run)
{
	if (!run->listed)
		return false;
	list_del_init(&run->node);
	run->listed = false;
	return true;
}

static int shim_notify_done(struct shim_run *run)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &shim_family, 0, HSSHIM_CMD_RUN_DONE);
	if (!hdr)
		goto fail;
	if (nla_put_u32(skb, HSSHIM_A_RUN_ID, run->id) ||
	    nla_put_u32(skb, HSSHIM_A_NSESS, run->nsess) ||
	    nla_put_u64_64bit(skb, HSSHIM_A_ELAPSED_NS,
			      run->t_end - run->t_start, HSSHIM_A_PAD))
		goto fail;
	genlmsg_end(skb, hdr);
	return genlmsg_unicast(&init_net, skb, run->owner_portid);
fail:
	nlmsg_free(skb);
	return -EMSGSIZE;
}

/* The last session of @run is done (called from shim_run.c). */
void shim_run_finished(struct shim_run *run)
{
	bool notify, drop = false;
	int ret;

	mutex_lock(&shim_runs_lock);
	run->finished = true;
	notify = !run->orphan;
	if (run->orphan)
		drop = shim_run_unlist_locked(run);
	mutex_unlock(&shim_runs_lock);

	if (notify) {
		ret = shim_notify_done(run);
		if (ret == -ECONNREFUSED) {	/* the owner is gone */
			mutex_lock(&shim_runs_lock);
			drop = shim_run_unlist_locked(run);
			mutex_unlock(&shim_runs_lock);
		}
	}
	if (drop)
		shim_run_put(run);
}

/*
 * A netlink socket was closed: abort its runs; forget the finished ones (a
 * running one is forgotten when it finishes).
 */
static int shim_netlink_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;
	struct shim_run *run, *tmp;
	LIST_HEAD(dead);

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;

	mutex_lock(&shim_runs_lock);
	list_for_each_entry_safe(run, tmp, &shim_runs, node) {
		if (run->owner_portid != n->portid)
			continue;
		if (run->finished) {
			list_move(&run->node, &dead);
			run->listed = false;
		} else {
			run->orphan = true;
			shim_run_abort(run);
		}
	}
	mutex_unlock(&shim_runs_lock);

	list_for_each_entry_safe(run, tmp, &dead, node) {
		list_del_init(&run->node);
		shim_run_put(run);
	}
	return NOTIFY_DONE;
}

static struct notifier_block shim_netlink_notifier = {
	.notifier_call = shim_netlink_event,
};

/* ---------------------------------------------------------------- parsing --- */

static int shim_parse_addr(struct shim_params *p, struct genl_info *info)
{
	struct nlattr *a = info->attrs[HSSHIM_A_ADDR];
	u16 port = info->attrs[HSSHIM_A_PORT] ?
		   nla_get_u16(info->attrs[HSSHIM_A_PORT]) : 0;

	memset(&p->addr, 0, sizeof(p->addr));
	if (!a) {
		if (p->role != HSSHIM_ROLE_PAIRS) {
			GENL_SET_ERR_MSG(info, "hsshim: an address is required");
			return -EINVAL;
		}
		/* pairs default to 127.0.0.1 */
		((struct sockaddr_in *)&p->addr)->sin_family = AF_INET;
		((struct sockaddr_in *)&p->addr)->sin_addr.s_addr =
			htonl(INADDR_LOOPBACK);
		((struct sockaddr_in *)&p->addr)->sin_port = htons(port);
		p->addrlen = sizeof(struct sockaddr_in);
	} else if (nla_len(a) == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, nla_data(a), 4);
		sin->sin_port = htons(port);
		p->addrlen = sizeof(*sin);
	} else if (nla_len(a) == 16) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->addr;

		if (!IS_ENABLED(CONFIG_IPV6))
			return -EAFNOSUPPORT;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, nla_data(a), 16);
		sin6->sin6_port = htons(port);
		p->addrlen = sizeof(*sin6);
	} else {
		GENL_SET_ERR_MSG(info, "hsshim: address must be 4 or 16 bytes");
		return -EINVAL;
	}
	if (p->role == HSSHIM_ROLE_CLIENT && !port) {
		GENL_SET_ERR_MSG(info, "hsshim: client needs a port");
		return -EINVAL;
	}
	return 0;
}

static u32 get_u32(struct genl_info *info, int type, u32 dflt)
{
	return info->attrs[type] ? nla_get_u32(info->attrs[type]) : dflt;
}

static int dup_name(struct genl_info *info, int type, char **out)
{
	if (!info->attrs[type])
		return 0;
	*out = nla_strdup(info->attrs[type], GFP_KERNEL);
	return *out ? 0 : -ENOMEM;
}

static int shim_parse(struct shim_run *run, struct genl_info *info)
{
	struct shim_params *p = &run->p;
	struct shim_side *mine, *srv = &p->side[SHIM_SERVER];
	struct nlattr *a;
	int ret;

	if (!info->attrs[HSSHIM_A_ROLE]) {
		GENL_SET_ERR_MSG(info, "hsshim: role is required");
		return -EINVAL;
	}
	p->role = nla_get_u32(info->attrs[HSSHIM_A_ROLE]);
	p->count = get_u32(info, HSSHIM_A_COUNT, 1);
	ret = shim_parse_addr(p, info);
	if (ret)
		return ret;

	/* MODE, PEERNAME, KEYRING, CERT, PRIVKEY, PEERIDS: the role's side */
	mine = p->role == HSSHIM_ROLE_SERVER ? srv : &p->side[SHIM_CLIENT];
	mine->mode = get_u32(info, HSSHIM_A_MODE, p->role == HSSHIM_ROLE_SERVER ?
			     HSSHIM_MODE_X509 : HSSHIM_MODE_ANON);
	mine->keyring = get_u32(info, HSSHIM_A_KEYRING, 0);
	mine->cert = get_u32(info, HSSHIM_A_CERT, 0);
	mine->privkey = get_u32(info, HSSHIM_A_PRIVKEY, 0);
	ret = dup_name(info, HSSHIM_A_PEERNAME, &mine->peername);
	if (ret)
		return ret;
	a = info->attrs[HSSHIM_A_PEERIDS];
	if (a) {
		if (nla_len(a) % sizeof(u32)) {
			GENL_SET_ERR_MSG(info, "hsshim: PEERIDS is an array of u32");
			return -EINVAL;
		}
		mine->num_peerids = nla_len(a) / sizeof(u32);
		memcpy(mine->peerids, nla_data(a), nla_len(a));
	}

	if (p->role == HSSHIM_ROLE_PAIRS) {
		u32 cmode = mine->mode;

		srv->mode = get_u32(info, HSSHIM_A_SERVER_MODE,
				    cmode == HSSHIM_MODE_PSK ? HSSHIM_MODE_PSK :
				    cmode == HSSHIM_MODE_NONE ? HSSHIM_MODE_X509 :
				    HSSHIM_MODE_X509);
		srv->keyring = get_u32(info, HSSHIM_A_SERVER_KEYRING, mine->keyring);
		srv->cert = get_u32(info, HSSHIM_A_SERVER_CERT, 0);
		srv->privkey = get_u32(info, HSSHIM_A_SERVER_PRIVKEY, 0);
		ret = dup_name(info, HSSHIM_A_SERVER_PEERNAME, &srv->peername);
		if (ret)
			return ret;
		srv->num_peerids = 1;
		srv->peerids[0] = get_u32(info, HSSHIM_A_SERVER_PEERID, 0);
	}

	if (p->role != HSSHIM_ROLE_CLIENT && srv->mode == HSSHIM_MODE_ANON) {
		GENL_SET_ERR_MSG(info, "hsshim: the server side has no anon mode (use x509)");
		return -EINVAL;
	}

	p->timeout_ms = get_u32(info, HSSHIM_A_TIMEOUT_MS, 0);
	p->wait_ms = clamp_t(u32, get_u32(info, HSSHIM_A_WAIT_MS, DEFAULT_WAIT_MS),
			     1, MAX_MS);
	p->deadline_ms = clamp_t(u32, get_u32(info, HSSHIM_A_DEADLINE_MS,
					      DEFAULT_DEADLINE_MS), 1, MAX_MS);
	p->echo = info->attrs[HSSHIM_A_ECHO] ?
		  !!nla_get_u8(info->attrs[HSSHIM_A_ECHO]) : true;
	p->echo_len = get_u32(info, HSSHIM_A_ECHO_LEN, DEFAULT_ECHO_LEN);
	p->echo_timeout_ms = clamp_t(u32, get_u32(info, HSSHIM_A_ECHO_TIMEOUT_MS,
						  DEFAULT_ECHO_TIMEOUT_MS), 1, MAX_MS);
	p->retry_eagain = info->attrs[HSSHIM_A_RETRY_EAGAIN] ?
			  !!nla_get_u8(info->attrs[HSSHIM_A_RETRY_EAGAIN]) : true;
	p->max_inflight = get_u32(info, HSSHIM_A_MAX_INFLIGHT, 0);
	p->hold_ms = min_t(u32, get_u32(info, HSSHIM_A_HOLD_MS, 0), MAX_MS);
	return 0;
}

/* -------------------------------------------------------------- commands --- */

static int shim_cmd_run(struct sk_buff *skb, struct genl_info *info)
{
	struct shim_run *run;
	struct sk_buff *reply;
	void *hdr;
	int ret;

	run = shim_run_alloc();
	if (!run)
		return -ENOMEM;
	ret = shim_parse(run, info);
	if (ret)
		goto out_put;
	ret = shim_run_prepare(run, info->extack);
	if (ret)
		goto out_discard;

	ret = -ENOMEM;
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		goto out_discard;
	hdr = genlmsg_put_reply(reply, info, &shim_family, 0, HSSHIM_CMD_RUN);
	if (!hdr) {
		nlmsg_free(reply);
		goto out_discard;
	}

	run->owner_portid = info->snd_portid;
	mutex_lock(&shim_runs_lock);
	if (++shim_next_id == 0)
		++shim_next_id;
	run->id = shim_next_id;
	list_add_tail(&run->node, &shim_runs);
	run->listed = true;
	kref_get(&run->ref);		/* the machinery reference */
	mutex_unlock(&shim_runs_lock);

	if (nla_put_u32(reply, HSSHIM_A_RUN_ID, run->id) ||
	    nla_put_u32(reply, HSSHIM_A_NSESS, run->nsess) ||
	    nla_put_u16(reply, HSSHIM_A_PORT, run->port)) {
		nlmsg_free(reply);
		ret = -EMSGSIZE;
		goto out_orphan;
	}
	genlmsg_end(reply, hdr);
	/* The reply is queued before any RUN_DONE can be. */
	ret = genlmsg_reply(reply, info);
	if (ret)
		goto out_orphan;
	shim_run_start(run);
	return 0;

out_orphan:
	/* Listed and referenced: let it finish as an aborted orphan. */
	mutex_lock(&shim_runs_lock);
	run->orphan = true;
	mutex_unlock(&shim_runs_lock);
	shim_run_abort(run);
	shim_run_start(run);
	return ret;
out_discard:
	shim_run_discard(run);
	return ret;
out_put:
	shim_run_put(run);
	return ret;
}

static struct shim_run *shim_run_from_info(struct genl_info *info)
{
	if (!info->attrs[HSSHIM_A_RUN_ID]) {
		GENL_SET_ERR_MSG(info, "hsshim: RUN_ID is required");
		return ERR_PTR(-EINVAL);
	}
	return shim_run_lookup(nla_get_u32(info->attrs[HSSHIM_A_RUN_ID])) ?:
	       ERR_PTR(-ENOENT);
}

static int shim_cmd_status(struct sk_buff *skb, struct genl_info *info)
{
	struct shim_run *run;
	struct sk_buff *reply;
	bool finished;
	u64 elapsed;
	void *hdr;
	int ret = -ENOMEM;

	run = shim_run_from_info(info);
	if (IS_ERR(run))
		return PTR_ERR(run);

	mutex_lock(&shim_runs_lock);
	finished = run->finished;
	mutex_unlock(&shim_runs_lock);
	elapsed = (finished ? run->t_end : ktime_get_ns()) - run->t_start;

	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!reply)
		goto out;
	hdr = genlmsg_put_reply(reply, info, &shim_family, 0, HSSHIM_CMD_STATUS);
	if (!hdr ||
	    nla_put_u32(reply, HSSHIM_A_RUN_ID, run->id) ||
	    nla_put_u32(reply, HSSHIM_A_STATE, finished ? HSSHIM_STATE_FINISHED :
			HSSHIM_STATE_RUNNING) ||
	    nla_put_u32(reply, HSSHIM_A_NSESS, run->nsess) ||
	    nla_put_u32(reply, HSSHIM_A_NDONE, atomic_read(&run->ndone)) ||
	    nla_put_u16(reply, HSSHIM_A_PORT, run->port) ||
	    nla_put_u64_64bit(reply, HSSHIM_A_ELAPSED_NS, elapsed, HSSHIM_A_PAD)) {
		nlmsg_free(reply);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(reply, hdr);
	ret = genlmsg_reply(reply, info);
out:
	shim_run_put(run);
	return ret;
}

#define RESULTS_MSG_SIZE	32768

static int shim_cmd_results(struct sk_buff *skb, struct genl_info *info)
{
	struct shim_run *run;
	struct sk_buff *reply;
	u32 first, i;
	void *hdr;
	int ret;

	run = shim_run_from_info(info);
	if (IS_ERR(run))
		return PTR_ERR(run);

	mutex_lock(&shim_runs_lock);
	ret = run->finished ? 0 : -EBUSY;
	mutex_unlock(&shim_runs_lock);
	if (ret) {
		GENL_SET_ERR_MSG(info, "hsshim: the run is still running");
		goto out;
	}
	first = get_u32(info, HSSHIM_A_FIRST, 0);
	if (first > run->nsess) {
		ret = -ERANGE;
		goto out;
	}

	ret = -ENOMEM;
	reply = genlmsg_new(RESULTS_MSG_SIZE, GFP_KERNEL);
	if (!reply)
		goto out;
	hdr = genlmsg_put_reply(reply, info, &shim_family, 0, HSSHIM_CMD_RESULTS);
	if (!hdr ||
	    nla_put_u32(reply, HSSHIM_A_RUN_ID, run->id) ||
	    nla_put_u32(reply, HSSHIM_A_NSESS, run->nsess) ||
	    nla_put_u32(reply, HSSHIM_A_FIRST, first) ||
	    nla_put_u16(reply, HSSHIM_A_PORT, run->port) ||
	    nla_put_u64_64bit(reply, HSSHIM_A_ELAPSED_NS,
			      run->t_end - run->t_start, HSSHIM_A_PAD)) {
		nlmsg_free(reply);
		ret = -EMSGSIZE;
		goto out;
	}
	/* keep room for NEXT */
	for (i = first; i < run->nsess; i++) {
		if (skb_tailroom(reply) < 512)
			break;
		if (shim_put_session(reply, &run->sess[i]))
			break;
	}
	if (nla_put_u32(reply, HSSHIM_A_NEXT, i)) {
		nlmsg_free(reply);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(reply, hdr);
	ret = genlmsg_reply(reply, info);
out:
	shim_run_put(run);
	return ret;
}

static int shim_cmd_free(struct sk_buff *skb, struct genl_info *info)
{
	struct shim_run *run;
	bool drop;

	run = shim_run_from_info(info);
	if (IS_ERR(run))
		return PTR_ERR(run);
	mutex_lock(&shim_runs_lock);
	drop = shim_run_unlist_locked(run);
	run->orphan = true;	/* if still running: no RUN_DONE */
	mutex_unlock(&shim_runs_lock);
	shim_run_abort(run);
	if (drop)
		shim_run_put(run);
	shim_run_put(run);
	return 0;
}

static const struct nla_policy shim_policy[HSSHIM_A_MAX + 1] = {
	[HSSHIM_A_RUN_ID]		= { .type = NLA_U32 },
	[HSSHIM_A_ROLE]			= NLA_POLICY_RANGE(NLA_U32, HSSHIM_ROLE_CLIENT,
							   HSSHIM_ROLE_PAIRS),
	[HSSHIM_A_MODE]			= NLA_POLICY_MAX(NLA_U32, __HSSHIM_MODE_MAX - 1),
	[HSSHIM_A_SERVER_MODE]		= NLA_POLICY_MAX(NLA_U32, __HSSHIM_MODE_MAX - 1),
	[HSSHIM_A_ADDR]			= { .type = NLA_BINARY, .len = 16 },
	[HSSHIM_A_PORT]			= { .type = NLA_U16 },
	[HSSHIM_A_COUNT]		= NLA_POLICY_RANGE(NLA_U32, 1, HSSHIM_MAX_COUNT),
	[HSSHIM_A_PEERNAME]		= { .type = NLA_NUL_STRING, .len = HSSHIM_MAX_NAME },
	[HSSHIM_A_SERVER_PEERNAME]	= { .type = NLA_NUL_STRING, .len = HSSHIM_MAX_NAME },
	[HSSHIM_A_TIMEOUT_MS]		= { .type = NLA_U32 },
	[HSSHIM_A_WAIT_MS]		= { .type = NLA_U32 },
	[HSSHIM_A_DEADLINE_MS]		= { .type = NLA_U32 },
	[HSSHIM_A_KEYRING]		= { .type = NLA_U32 },
	[HSSHIM_A_SERVER_KEYRING]	= { .type = NLA_U32 },
	[HSSHIM_A_CERT]			= { .type = NLA_U32 },
	[HSSHIM_A_PRIVKEY]		= { .type = NLA_U32 },
	[HSSHIM_A_SERVER_CERT]		= { .type = NLA_U32 },
	[HSSHIM_A_SERVER_PRIVKEY]	= { .type = NLA_U32 },
	[HSSHIM_A_PEERIDS]		= { .type = NLA_BINARY,
					    .len = HSSHIM_MAX_PEERIDS * sizeof(u32) },
	[HSSHIM_A_SERVER_PEERID]	= { .type = NLA_U32 },
	[HSSHIM_A_ECHO]			= { .type = NLA_U8 },
	[HSSHIM_A_ECHO_LEN]		= NLA_POLICY_RANGE(NLA_U32, 1, HSSHIM_MAX_ECHO_LEN),
	[HSSHIM_A_ECHO_TIMEOUT_MS]	= { .type = NLA_U32 },
	[HSSHIM_A_RETRY_EAGAIN]		= { .type = NLA_U8 },
	[HSSHIM_A_MAX_INFLIGHT]		= { .type = NLA_U32 },
	[HSSHIM_A_HOLD_MS]		= { .type = NLA_U32 },
	[HSSHIM_A_FIRST]		= { .type = NLA_U32 },
};

static const struct genl_ops shim_ops[] = {
	{
		.cmd	= HSSHIM_CMD_RUN,
		.doit	= shim_cmd_run,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= HSSHIM_CMD_STATUS,
		.doit	= shim_cmd_status,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= HSSHIM_CMD_RESULTS,
		.doit	= shim_cmd_results,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= HSSHIM_CMD_FREE,
		.doit	= shim_cmd_free,
		.flags	= GENL_ADMIN_PERM,
	},
};

static struct genl_family shim_family __ro_after_init = {
	.name		= HSSHIM_FAMILY_NAME,
	.version	= HSSHIM_FAMILY_VERSION,
	.maxattr	= HSSHIM_A_MAX,
	.policy		= shim_policy,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= shim_ops,
	.n_ops		= ARRAY_SIZE(shim_ops),
	.resv_start_op	= HSSHIM_CMD_RUN_DONE + 1,
};

/* ------------------------------------------------------------ init/exit --- */

static int __init shim_init(void)
{
	int ret;

	shim_wq = alloc_workqueue("hsshim", WQ_UNBOUND, WQ_UNBOUND_MAX_ACTIVE);
	if (!shim_wq)
		return -ENOMEM;
	ret = netlink_register_notifier(&shim_netlink_notifier);
	if (ret)
		goto out_wq;
	ret = genl_register_family(&shim_family);
	if (ret)
		goto out_notifier;
	pr_info("hsshim: handshake_shim loaded (generic netlink family \"%s\")\n",
		HSSHIM_FAMILY_NAME);
	return 0;

out_notifier:
	netlink_unregister_notifier(&shim_netlink_notifier);
out_wq:
	destroy_workqueue(shim_wq);
	return ret;
}

static void __exit shim_exit(void)
{
	/*
	 * Every run pins the module until its free work ran, so nothing of
	 * ours is in flight here except, possibly, the tail of that work:
	 * destroy_workqueue() drains it.
	 */
	genl_unregister_family(&shim_family);
	netlink_unregister_notifier(&shim_netlink_notifier);
	destroy_workqueue(shim_wq);
	WARN_ON(!list_empty(&shim_runs));
}

module_init(shim_init);
module_exit(shim_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test consumer of the TLS handshake upcall (net/handshake)");
MODULE_AUTHOR("handshaked project");
MODULE_VERSION("1");
