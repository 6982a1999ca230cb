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

/*
 * Each CPU adds to its own copy of the counters (this_cpu_add(): no atomic
 * operation, no cache line written by two CPUs on the hooks' path); a read
 * sums the copies. NULL once the namespace's exit has run (below).
 */
struct tcpstate_net_counts {
	s64 value[TCPSTATE_NR_COUNTERS];
};

struct tcpstate_net {
	struct tcpstate_net_counts __percpu *counts;
	/* Taken off @counts by the namespace's exit, to be freed. */
	struct tcpstate_net_counts __percpu *counts_dead;
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

/*
 * The hooks run with preemption off (an RCU read side): the counts they
 * add to stay until tcpstate_net_exit_batch()'s grace period. (READ_ONCE,
 * not rcu_dereference(): a per-CPU pointer is in another address space,
 * which the RCU accessors' casts reject on kernels that name it.)
 */
static struct tcpstate_net_counts __percpu *tcpstate_net_counts(const struct net *net)
{
	return READ_ONCE(tcpstate_net(net)->counts);
}

/* The gauges move through tcpstate_gauge_move() (seed.c) instead. */
void tcpstate_count(const struct net *net, enum tcpstate_counter c, int delta)
{
	struct tcpstate_net_counts __percpu *counts = tcpstate_net_counts(net);

	if (counts)
		this_cpu_add(counts->value[c], delta);
}

/* Called where no hook moves @c (seed.c). */
void tcpstate_counter_set(const struct net *net, enum tcpstate_counter c,
			  s64 value)
{
	struct tcpstate_net_counts __percpu *counts;
	int cpu;

	rcu_read_lock_sched();
	counts = tcpstate_net_counts(net);
	if (counts) {
		for_each_possible_cpu(cpu)
			per_cpu_ptr(counts, cpu)->value[c] = 0;
		this_cpu_ptr(counts)->value[c] = value;
	}
	rcu_read_unlock_sched();
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
	struct tcpstate_net_counts __percpu *counts;
	unsigned int i;
	int cpu;

	memset(out, 0, sizeof(*out));
	out->netns = net->ns.inum;
	out->nr = TCPSTATE_NR_COUNTERS;
	rcu_read_lock_sched();
	counts = tcpstate_net_counts(net);
	for_each_possible_cpu(cpu) {
		if (!counts)
			break;
		for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
			out->value[i] += READ_ONCE(per_cpu_ptr(counts, cpu)->value[i]);
	}
	rcu_read_unlock_sched();
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
	struct tcpstate_net *tn = tcpstate_net(net);

	tn->counts = alloc_percpu(struct tcpstate_net_counts);
	if (!tn->counts)
		return -ENOMEM;
	if (!proc_create_net_single("tcpstate", 0444, net->proc_net,
				    tcpstate_proc_show, NULL)) {
		free_percpu(tn->counts);
		tn->counts = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit tcpstate_net_exit(struct net *net)
{
	remove_proc_entry("tcpstate", net->proc_net);
}

/*
 * The namespace's counters go before TCP's own exit purges its timewait
 * socks (pernet exits run in reverse order of registration, and tcpstate
 * registers after TCP): the hooks see NULL and count nothing for a
 * namespace nobody can read any more. Freed after a grace period, when
 * no hook still adds to them.
 */
static void __net_exit tcpstate_net_exit_batch(struct list_head *net_exit_list)
{
	struct net *net;

	list_for_each_entry(net, net_exit_list, exit_list) {
		struct tcpstate_net *tn = tcpstate_net(net);

		tn->counts_dead = tn->counts;
		WRITE_ONCE(tn->counts, NULL);
	}
	synchronize_rcu();
	list_for_each_entry(net, net_exit_list, exit_list)
		free_percpu(tcpstate_net(net)->counts_dead);
}

/*
 * The struct tcpstate_net lives in net_generic storage, which the kernel
 * frees only after every pernet exit method has run.
 */
static struct pernet_operations tcpstate_net_ops = {
	.init = tcpstate_net_init,
	.exit = tcpstate_net_exit,
	.exit_batch = tcpstate_net_exit_batch,
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
