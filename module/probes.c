// SPDX-License-Identifier: GPL-2.0
/*
 * Building events, and the two tracepoints they come from when the kernel
 * has them: sock:inet_sock_set_state and tcp:tcp_retransmit_synack. They
 * are not exported to modules, so they are found by name.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/in.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/siphash.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <trace/events/sock.h>
#include <trace/events/tcp.h>

#include "internal.h"

/* Drawn at load: socket ids reveal nothing about kernel addresses. */
static siphash_key_t tcpstate_sock_id_key;

u64 tcpstate_sock_id(const void *sk)
{
	return sk ? siphash_1u64((u64)(unsigned long)sk, &tcpstate_sock_id_key) : 0;
}

/* The reader's filter; NULL: every event. Read in probe context. */
static struct tcpstate_filter __rcu *tcpstate_filter;

/*
 * A reader outside the initial network namespace sees only its own: the
 * inode of that namespace, 0 for a reader that sees all. Set while no
 * producer runs (the ring is stopped), before the ring starts.
 */
static u32 tcpstate_reader_netns;

void tcpstate_set_reader_netns(u32 inum)
{
	WRITE_ONCE(tcpstate_reader_netns, inum);
}

/*
 * Start an event of @type for a socket of @net in @buf: netns and type
 * filled, every other byte zero. NULL when no reader holds the ring, so
 * that nothing more is built.
 */
struct tcpstate_event *tcpstate_event_begin(struct tcpstate_event *buf,
					    const struct net *net, u16 type)
{
	if (!tcpstate_ring_running(&tcpstate_ring))
		return NULL;
	*buf = (struct tcpstate_event) {
		.netns = net->ns.inum,
		.type = type,
	};
	return buf;
}

static bool tcpstate_port_in(u16 port, const u16 *ports, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static bool tcpstate_filter_takes(const struct tcpstate_filter *f,
				  const struct tcpstate_event *ev)
{
	return (!f->netns || f->netns == ev->netns) &&
	       (!f->family || f->family == ev->family) &&
	       (!f->nr_lports || tcpstate_port_in(ev->sport, f->lports, f->nr_lports)) &&
	       (!f->nr_rports || tcpstate_port_in(ev->dport, f->rports, f->nr_rports));
}

/*
 * Put @ev into the ring if the reader's filter takes it: the filter
 * decides before anything is reserved. A full ring is counted against
 * @net.
 */
void tcpstate_event_send(const struct net *net, struct tcpstate_event *ev)
{
	const struct tcpstate_filter *f;
	struct tcpstate_event *rec;
	u32 only;

	only = READ_ONCE(tcpstate_reader_netns);
	if (only && only != ev->netns)
		return;
	/* Probes run with preemption disabled: an RCU-sched read side. */
	f = rcu_dereference_sched(tcpstate_filter);
	if (f && !tcpstate_filter_takes(f, ev))
		return;
	rec = tcpstate_ring_reserve(&tcpstate_ring, &ev->ts_ns);
	if (IS_ERR(rec)) {
		tcpstate_count(net, TCPSTATE_C_RING_DROPS, 1);
		return;
	}
	if (!rec)
		return;
	*rec = *ev;
	tcpstate_ring_commit(&tcpstate_ring, rec);
}

/*
 * Install @f (NULL: none) as the reader's filter; returns the one it
 * replaces, to be freed after a grace period. Callers serialize.
 */
struct tcpstate_filter *tcpstate_filter_swap(struct tcpstate_filter *f)
{
	return rcu_replace_pointer(tcpstate_filter, f, true);
}

/* A full socket's tuple, as the inet_sock_set_state tracepoint reports it. */
void tcpstate_event_tuple_sk(struct tcpstate_event *ev, const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	ev->family = sk->sk_family;
	ev->sport = ntohs(inet->inet_sport);
	ev->dport = ntohs(inet->inet_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		memcpy(ev->saddr, &sk->sk_v6_rcv_saddr, sizeof(ev->saddr));
		memcpy(ev->daddr, &sk->sk_v6_daddr, sizeof(ev->daddr));
		return;
	}
#endif
	memcpy(ev->saddr, &inet->inet_saddr, sizeof(inet->inet_saddr));
	memcpy(ev->daddr, &inet->inet_daddr, sizeof(inet->inet_daddr));
}

/* The tuple of a request or timewait sock: only sock_common is theirs. */
void tcpstate_event_tuple_common(struct tcpstate_event *ev,
				 const struct sock_common *skc)
{
	ev->family = skc->skc_family;
	ev->sport = skc->skc_num;
	ev->dport = ntohs(skc->skc_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (skc->skc_family == AF_INET6) {
		memcpy(ev->saddr, &skc->skc_v6_rcv_saddr, sizeof(ev->saddr));
		memcpy(ev->daddr, &skc->skc_v6_daddr, sizeof(ev->daddr));
		return;
	}
#endif
	memcpy(ev->saddr, &skc->skc_rcv_saddr, sizeof(skc->skc_rcv_saddr));
	memcpy(ev->daddr, &skc->skc_daddr, sizeof(skc->skc_daddr));
}

void tcpstate_report_state(const struct sock *sk, int oldstate, int newstate)
{
	struct tcpstate_event buf, *ev;

	/* The tracepoint also fires for SCTP, DCCP and MPTCP. */
	if (sk->sk_protocol != IPPROTO_TCP)
		return;

	ev = tcpstate_event_begin(&buf, sock_net(sk), TCPSTATE_EV_STATE);
	if (!ev)
		return;
	ev->sock_id = tcpstate_sock_id(sk);
	ev->oldstate = oldstate;
	ev->newstate = newstate;
	tcpstate_event_tuple_sk(ev, sk);
	tcpstate_event_send(sock_net(sk), ev);
}

/* Called before req->num_retrans counts this retransmit. */
void tcpstate_report_synack_retrans(const struct sock *listener,
				    const struct request_sock *req)
{
	const struct net *net = sock_net(listener);
	struct tcpstate_event buf, *ev;

	tcpstate_count(net, TCPSTATE_C_SYNACK_RETRANS, 1);
	ev = tcpstate_event_begin(&buf, net, TCPSTATE_EV_SYNACK_RETRANS);
	if (!ev)
		return;
	ev->sock_id = tcpstate_sock_id(req);
	ev->peer_id = tcpstate_sock_id(listener);
	ev->count = req->num_retrans + 1;
	tcpstate_event_tuple_common(ev, &req->__req_common);
	tcpstate_event_send(net, ev);
}

static void tcpstate_tp_set_state(void *data, const struct sock *sk,
				  const int oldstate, const int newstate)
{
	tcpstate_report_state(sk, oldstate, newstate);
}

static void tcpstate_tp_retransmit_synack(void *data, const struct sock *sk,
					  const struct request_sock *req)
{
	tcpstate_report_synack_retrans(sk, req);
}

struct tcpstate_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
};

static struct tcpstate_tracepoint tcpstate_tracepoints[] = {
	{ .name = "inet_sock_set_state", .probe = tcpstate_tp_set_state },
	{ .name = "tcp_retransmit_synack",
	  .probe = tcpstate_tp_retransmit_synack },
};

static void tcpstate_find_tracepoint(struct tracepoint *tp, void *unused)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++)
		if (!strcmp(tp->name, tcpstate_tracepoints[i].name))
			tcpstate_tracepoints[i].tp = tp;
}

void tcpstate_tracepoints_detach(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		struct tcpstate_tracepoint *t = &tcpstate_tracepoints[i];

		if (t->registered)
			tracepoint_probe_unregister(t->tp, t->probe, NULL);
		t->registered = false;
	}
	/* No probe may still run once this returns: the module can go. */
	tracepoint_synchronize_unregister();
}

/* One line per attached tracepoint, "tracepoint NAME", from @at in @buf. */
ssize_t tcpstate_tracepoints_show(char *buf, ssize_t at)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++)
		if (tcpstate_tracepoints[i].registered)
			at += sysfs_emit_at(buf, at, "tracepoint %s\n",
					    tcpstate_tracepoints[i].name);
	return at;
}

/* Whether this kernel has every tracepoint tcpstate can use. */
bool tcpstate_tracepoints_present(void)
{
	unsigned int i;

	for_each_kernel_tracepoint(tcpstate_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++)
		if (!tcpstate_tracepoints[i].tp)
			return false;
	return true;
}

int tcpstate_tracepoints_attach(void)
{
	unsigned int i;
	int err;

	/* A probe whose prototype drifts from the tracepoint's fails here. */
	check_trace_callback_type_inet_sock_set_state(tcpstate_tp_set_state);
	check_trace_callback_type_tcp_retransmit_synack(tcpstate_tp_retransmit_synack);

	for_each_kernel_tracepoint(tcpstate_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		struct tcpstate_tracepoint *t = &tcpstate_tracepoints[i];

		if (!t->tp) {
			pr_err("tracepoint %s not found in this kernel (try attach=kprobe)\n",
			       t->name);
			err = -ENOENT;
			goto out_detach;
		}
		err = tracepoint_probe_register(t->tp, t->probe, NULL);
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n",
			       t->name, err);
			goto out_detach;
		}
		t->registered = true;
	}
	return 0;

out_detach:
	tcpstate_tracepoints_detach();
	return err;
}

void tcpstate_probes_init(void)
{
	get_random_bytes(&tcpstate_sock_id_key, sizeof(tcpstate_sock_id_key));
}
