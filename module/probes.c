// SPDX-License-Identifier: GPL-2.0
/*
 * Where events come from. Every hook is one row of tcpstate_tracepoints;
 * the tracepoints are not exported to modules, so they are found by name.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <trace/events/sock.h>

#include "internal.h"

/* Drawn at load: socket ids reveal nothing about kernel addresses. */
static siphash_key_t tcpstate_sock_id_key;

static u64 tcpstate_sock_id(const void *sk)
{
	return siphash_1u64((u64)(unsigned long)sk, &tcpstate_sock_id_key);
}

/* The same addresses the tracepoint reports, in the ABI's layout. */
static void tcpstate_fill_tuple(struct tcpstate_event *ev,
				const struct sock *sk)
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

static void tcpstate_probe_set_state(void *data, const struct sock *sk,
				     const int oldstate, const int newstate)
{
	struct tcpstate_event *ev;
	u64 ts_ns;

	/* The tracepoint also fires for SCTP, DCCP and MPTCP. */
	if (sk->sk_protocol != IPPROTO_TCP)
		return;

	ev = tcpstate_ring_reserve(&tcpstate_ring, &ts_ns);
	if (!ev)
		return;

	/* Every byte is a named field: this writes all of the record. */
	*ev = (struct tcpstate_event) {
		.ts_ns = ts_ns,
		.sock_id = tcpstate_sock_id(sk),
		.netns = sock_net(sk)->ns.inum,
		.type = TCPSTATE_EV_STATE,
		.oldstate = oldstate,
		.newstate = newstate,
	};
	tcpstate_fill_tuple(ev, sk);
	tcpstate_ring_commit(&tcpstate_ring, ev);
}

struct tcpstate_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
};

static struct tcpstate_tracepoint tcpstate_tracepoints[] = {
	{ .name = "inet_sock_set_state", .probe = tcpstate_probe_set_state },
};

static void tcpstate_find_tracepoint(struct tracepoint *tp, void *unused)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++)
		if (!strcmp(tp->name, tcpstate_tracepoints[i].name))
			tcpstate_tracepoints[i].tp = tp;
}

void tcpstate_probes_detach(void)
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

int tcpstate_probes_attach(void)
{
	unsigned int i;
	int err;

	/* A probe whose prototype drifts from the tracepoint's fails here. */
	check_trace_callback_type_inet_sock_set_state(tcpstate_probe_set_state);

	get_random_bytes(&tcpstate_sock_id_key, sizeof(tcpstate_sock_id_key));
	for_each_kernel_tracepoint(tcpstate_find_tracepoint, NULL);

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		struct tcpstate_tracepoint *t = &tcpstate_tracepoints[i];

		if (!t->tp) {
			pr_err("tracepoint %s not found in this kernel\n",
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
	tcpstate_probes_detach();
	return err;
}
