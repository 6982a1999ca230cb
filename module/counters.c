// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace counters: SYN_RECV and TIME_WAIT gauges and the
 * cumulative counts behind them, shown in /proc/net/tcpstate and returned
 * by TCPSTATE_IOC_GET_COUNTERS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/stop_machine.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/tcp.h>

#include "internal.h"

struct tcpstate_net {
	atomic64_t counter[TCPSTATE_NR_COUNTERS];
};

static const char *const tcpstate_counter_names[] = TCPSTATE_COUNTER_NAMES;
/* A counter appended to the enum without a name fails the build. */
static_assert(ARRAY_SIZE(tcpstate_counter_names) == TCPSTATE_NR_COUNTERS);

static unsigned int tcpstate_net_id __read_mostly;

/*
 * The gauges start counting once the seeding scan has counted what
 * existed: see tcpstate_counters_seed().
 */
static bool tcpstate_gauges_live __read_mostly;

static struct tcpstate_net *tcpstate_net(const struct net *net)
{
	return net_generic(net, tcpstate_net_id);
}

void tcpstate_count(const struct net *net, enum tcpstate_counter c, int delta)
{
	if ((c == TCPSTATE_C_SYN_RECV || c == TCPSTATE_C_TIME_WAIT) &&
	    !READ_ONCE(tcpstate_gauges_live))
		return;
	atomic64_add(delta, &tcpstate_net(net)->counter[c]);
}

void tcpstate_counters_get(const struct net *net,
			   struct tcpstate_counters *out)
{
	struct tcpstate_net *tn = tcpstate_net(net);
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->netns = net->ns.inum;
	out->nr = TCPSTATE_NR_COUNTERS;
	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		out->value[i] = atomic64_read(&tn->counter[i]);
}

static int tcpstate_proc_show(struct seq_file *seq, void *v)
{
	struct tcpstate_net *tn = tcpstate_net(seq_file_single_net(seq));
	unsigned int i;

	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		seq_printf(seq, "%s %lld\n", tcpstate_counter_names[i],
			   (long long)atomic64_read(&tn->counter[i]));
	return 0;
}

static int __net_init tcpstate_net_init(struct net *net)
{
	if (!proc_create_net_single("tcpstate", 0444, net->proc_net,
				    tcpstate_proc_show, NULL))
		return -ENOMEM;
	return 0;
}

static void __net_exit tcpstate_net_exit(struct net *net)
{
	remove_proc_entry("tcpstate", net->proc_net);
}

/*
 * The counters live in net_generic storage, which the kernel frees only
 * after every pernet exit method has run: TCP's own exit purges the
 * namespace's timewait socks after ours, and the hooks still count them.
 */
static struct pernet_operations tcpstate_net_ops = {
	.init = tcpstate_net_init,
	.exit = tcpstate_net_exit,
	.id = &tcpstate_net_id,
	.size = sizeof(struct tcpstate_net),
};

static void tcpstate_seed_hashinfo(struct inet_hashinfo *hashinfo)
{
	unsigned int i;

	for (i = 0; i <= hashinfo->ehash_mask; i++) {
		const struct hlist_nulls_node *node;
		struct sock *sk;

		sk_nulls_for_each(sk, node, &hashinfo->ehash[i].chain) {
			struct tcpstate_net *tn = tcpstate_net(sock_net(sk));

			if (sk->sk_state == TCP_TIME_WAIT)
				atomic64_inc(&tn->counter[TCPSTATE_C_TIME_WAIT]);
			else if (sk->sk_state == TCP_NEW_SYN_RECV)
				atomic64_inc(&tn->counter[TCPSTATE_C_SYN_RECV]);
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

	tcpstate_seed_hashinfo(global);
	rcu_read_lock();
	/* Namespaces with their own hash (net.ipv4.tcp_child_ehash_entries). */
	for_each_net_rcu(net)
		if (net->ipv4.tcp_death_row.hashinfo != global)
			tcpstate_seed_hashinfo(net->ipv4.tcp_death_row.hashinfo);
	rcu_read_unlock();
	WRITE_ONCE(tcpstate_gauges_live, true);
	return 0;
}

/* Count the request and timewait socks that exist; call once hooked. */
int tcpstate_counters_seed(void)
{
	return stop_machine(tcpstate_seed_stopped, NULL, NULL);
}

int tcpstate_counters_init(void)
{
	BUILD_BUG_ON(TCPSTATE_NR_COUNTERS > TCPSTATE_MAX_COUNTERS);
	return register_pernet_subsys(&tcpstate_net_ops);
}

void tcpstate_counters_exit(void)
{
	unregister_pernet_subsys(&tcpstate_net_ops);
	WRITE_ONCE(tcpstate_gauges_live, false);
}
