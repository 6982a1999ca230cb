// SPDX-License-Identifier: GPL-2.0
/*
 * The SYN_RECV and TIME_WAIT gauges: every hook moves them through
 * tcpstate_gauge_move(), and this file counts the request and timewait
 * socks that already exist, at load and on TCPSTATE_IOC_RESEED.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/stop_machine.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "internal.h"

/* The gauges move once the seeding scan has counted what existed. */
static bool tcpstate_gauges_live __read_mostly;

/* tcpstate_kprobes_missed() when the gauges were last counted. */
static unsigned long tcpstate_missed_base;

/* One count at a time: load, and each TCPSTATE_IOC_RESEED. */
static DEFINE_MUTEX(tcpstate_seed_lock);

void tcpstate_gauge_move(const struct net *net, enum tcpstate_counter gauge,
			 const void *sk, int delta)
{
	if (READ_ONCE(tcpstate_gauges_live))
		tcpstate_count(net, gauge, delta);
}

unsigned long tcpstate_seed_missed_base(void)
{
	return READ_ONCE(tcpstate_missed_base);
}

static void tcpstate_seed_hashinfo(struct inet_hashinfo *hashinfo)
{
	unsigned int i;

	for (i = 0; i <= hashinfo->ehash_mask; i++) {
		const struct hlist_nulls_node *node;
		struct sock *sk;

		sk_nulls_for_each(sk, node, &hashinfo->ehash[i].chain) {
			if (sk->sk_state == TCP_TIME_WAIT)
				tcpstate_count(sock_net(sk), TCPSTATE_C_TIME_WAIT, 1);
			else if (sk->sk_state == TCP_NEW_SYN_RECV)
				tcpstate_count(sock_net(sk), TCPSTATE_C_SYN_RECV, 1);
		}
	}
}

/*
 * Runs with every CPU stopped, so outside every BH-disabled section: each
 * hook that moves a gauge runs in one such section together with the
 * change it reports (the insert or unlink in the established hash). A
 * section that ran before counted nothing and its socket is seen here; a
 * section that runs after sees the gauges live. The counts are exact.
 */
static int tcpstate_seed_stopped(void *unused)
{
	/* The global hash; tcp_hashinfo itself is not exported since 6.10. */
	struct inet_hashinfo *global = init_net.ipv4.tcp_death_row.hashinfo;
	struct net *net;

	WRITE_ONCE(tcpstate_missed_base, tcpstate_kprobes_missed());
	rcu_read_lock();
	for_each_net_rcu(net) {
		tcpstate_counter_set(net, TCPSTATE_C_SYN_RECV, 0);
		tcpstate_counter_set(net, TCPSTATE_C_TIME_WAIT, 0);
	}
	tcpstate_seed_hashinfo(global);
	/* Namespaces with their own hash (net.ipv4.tcp_child_ehash_entries). */
	for_each_net_rcu(net)
		if (net->ipv4.tcp_death_row.hashinfo != global)
			tcpstate_seed_hashinfo(net->ipv4.tcp_death_row.hashinfo);
	rcu_read_unlock();
	WRITE_ONCE(tcpstate_gauges_live, true);
	return 0;
}

/* Count the request and timewait socks that exist; call once hooked. */
int tcpstate_seed(void)
{
	int err;

	mutex_lock(&tcpstate_seed_lock);
	err = stop_machine(tcpstate_seed_stopped, NULL, NULL);
	mutex_unlock(&tcpstate_seed_lock);
	return err;
}

/* TCPSTATE_IOC_RESEED. */
int tcpstate_reseed(void)
{
	int err;

	if (!mutex_trylock(&tcpstate_seed_lock))
		return -EBUSY;
	err = stop_machine(tcpstate_seed_stopped, NULL, NULL);
	mutex_unlock(&tcpstate_seed_lock);
	return err;
}

void tcpstate_seed_exit(void)
{
	WRITE_ONCE(tcpstate_gauges_live, false);
}
