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
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/tcp.h>

#include "internal.h"

struct tcpstate_net {
	atomic64_t counter[TCPSTATE_NR_COUNTERS];
	u32 seed_gen;
};

static const char *const tcpstate_counter_names[] = TCPSTATE_COUNTER_NAMES;
/* A counter appended to the enum without a name fails the build. */
static_assert(ARRAY_SIZE(tcpstate_counter_names) == TCPSTATE_NR_COUNTERS);

static unsigned int tcpstate_net_id __read_mostly;

static struct tcpstate_net *tcpstate_net(const struct net *net)
{
	return net_generic(net, tcpstate_net_id);
}

/* The gauges move through tcpstate_gauge_move() (seed.c) instead. */
void tcpstate_count(const struct net *net, enum tcpstate_counter c, int delta)
{
	atomic64_add(delta, &tcpstate_net(net)->counter[c]);
}

void tcpstate_counter_set(const struct net *net, enum tcpstate_counter c,
			  s64 value)
{
	atomic64_set(&tcpstate_net(net)->counter[c], value);
}

u32 tcpstate_net_seed_gen(const struct net *net)
{
	return READ_ONCE(tcpstate_net(net)->seed_gen);
}

void tcpstate_net_set_seed_gen(const struct net *net, u32 gen)
{
	WRITE_ONCE(tcpstate_net(net)->seed_gen, gen);
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
	/* Global figures, the same in every namespace. */
	out->value[TCPSTATE_C_PROBES_MISSED] = tcpstate_kprobes_missed();
	out->value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] =
		tcpstate_seed_misses(out->value[TCPSTATE_C_PROBES_MISSED]);
}

static int tcpstate_proc_show(struct seq_file *seq, void *v)
{
	struct tcpstate_counters c;
	unsigned int i;

	tcpstate_counters_get(seq_file_single_net(seq), &c);
	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		seq_printf(seq, "%s %lld\n", tcpstate_counter_names[i],
			   (long long)c.value[i]);
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

int tcpstate_counters_init(void)
{
	BUILD_BUG_ON(TCPSTATE_NR_COUNTERS > TCPSTATE_MAX_COUNTERS);
	return register_pernet_subsys(&tcpstate_net_ops);
}

void tcpstate_counters_exit(void)
{
	unregister_pernet_subsys(&tcpstate_net_ops);
}
