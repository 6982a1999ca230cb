// SPDX-License-Identifier: GPL-2.0
/*
 * The SYN_RECV and TIME_WAIT gauges: every hook moves them through
 * tcpstate_gauge_move(), and this file counts the request and timewait
 * socks that already exist, at load and on TCPSTATE_IOC_RESEED, without
 * stopping the machine: each established-hash bucket is read under its
 * own lock, a chunk of buckets at a time, while the hooks keep running.
 *
 * Why the counts are exact. Every gauge move reports one request or
 * timewait sock entering (+1) or leaving (-1) the established hash, and
 * runs in the same BH-disabled section as that insert or unlink, which is
 * an RCU read-side critical section: synchronize_rcu() waits for every
 * section in flight. Each bucket of each hash is, for the hooks, in one
 * of three states, moving only forwards, one chunk at a time:
 *
 *   NOT_REACHED  a move is ignored;
 *   TRACKING     a move is only logged: which sock, which way;
 *   LIVE         a move changes the gauge.
 *
 * For a chunk: its buckets turn TRACKING, then a grace period (G1): every
 * section that ignored a move is over, so its sock's insert or unlink is
 * done and shows in the walk that follows. The walk reads each bucket
 * under its lock: the socks seen. A grace period (G2): every section in
 * flight during the walk is over, all of them logged. The buckets turn
 * LIVE, and a grace period (G3, the next chunk's G1): every section that
 * logged is over, the log is complete; a section that changes the gauge
 * started after G2 began, so after the walk: its sock's change is not in
 * what the walk saw. Then the chunk's count is settled from the log and
 * the walk, per sock address:
 *
 *   - no log entry: the walk saw it or not, +1 or 0;
 *   - log entries: the walk is not looked at. The entries of one address
 *     are the socks that held it, in order: each one's insert before its
 *     unlink, and a sock's unlink before the next sock's insert (a sock
 *     is freed after its unlink is reported; see below). The sum of the
 *     entries, plus 1 if the first is an unlink (the sock was there
 *     before the chunk turned TRACKING, and nothing counted it), is what
 *     the address holds at the end.
 *
 * The order within one sock: a timewait sock's insert is reported before
 * it is hashed (at inet_twsk_hashdance()'s entry, with BHs off and the
 * timer pinned to this CPU just armed, or by __inet_twsk_schedule()
 * inside inet_twsk_hashdance_schedule() under the bucket lock) and it can
 * only be killed once its timer is armed there; its unlink is reported
 * on entering inet_twsk_kill(). A request sock's insert is reported after
 * it is hashed, and another CPU may unlink it first (an RST, a migration
 * racing an ACK): the insert is logged as an insert only if the sock is
 * still hashed once its log slot is taken (slots are taken with a fully
 * ordered atomic: an unlink logged before that slot is seen unhashed),
 * else as nothing: the sock then shows as one unlink, there before,
 * gone: 0, right. Each report is made while its caller holds the sock,
 * so an address is reused only after its sock's reports.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/seqlock.h>
#include <linux/bottom_half.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <net/inet_hashtables.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

#include "internal.h"

/* One chunk's log, or its socks seen by the walk. */
struct tcpstate_seed_entry {
	const void *sk;
	struct net *net;	/* referenced; NULL: a namespace on its way out */
	u32 seq;		/* the order log entries were taken in */
	u8 gauge;		/* TCPSTATE_C_SYN_RECV or TCPSTATE_C_TIME_WAIT */
	s8 delta;		/* +1 insert or seen, -1 unlink, 0 nothing */
};

struct tcpstate_seed_log {
	atomic_t next;
	unsigned int cap;
	struct tcpstate_seed_entry *e;
};

/* Chunks per hash; the walk of each holds one bucket lock at a time. */
#define TCPSTATE_SEED_CHUNKS	16
#define TCPSTATE_SEED_MIN_CHUNK	1024
#define TCPSTATE_SEED_LOG_CAP	16384

static struct {
	/* Written by the count in @seq (BHs off); read by the hooks in @seq. */
	seqcount_t seq;
	bool active;			/* a count is running */
	u32 gen;			/* this count's number */
	bool global_done;		/* the global hash is all LIVE */
	struct inet_hashinfo *hashinfo;	/* the hash being walked */
	unsigned int live_below;	/* its buckets below: LIVE */
	unsigned int tracked_below;	/* then up to here: TRACKING */
	unsigned int chunk;		/* its buckets per chunk */

	/* The logs of even and odd chunks: one settles as the next fills. */
	struct tcpstate_seed_log log[2];
	struct tcpstate_seed_entry *seen;
	unsigned int nr_seen, seen_cap;
	/* Log entries lost for a full log: the gauges may be off by so many. */
	atomic_t lost;

	/* What the last count found and cost, for the kernel log and bench. */
	unsigned long socks, buckets, logged;
	u64 longest_hold_ns, total_ns;
} tcpstate_seed_state;

#define S tcpstate_seed_state

/* tcpstate_kprobes_missed() when the gauges were last counted. */
static unsigned long tcpstate_missed_base;
static unsigned long tcpstate_missed_lost;

/* One count at a time: load, and each TCPSTATE_IOC_RESEED. */
static DEFINE_MUTEX(tcpstate_seed_lock);

enum tcpstate_bucket_state {
	TCPSTATE_NOT_REACHED,
	TCPSTATE_TRACKING,
	TCPSTATE_LIVE,
};

static struct inet_hashinfo *tcpstate_global_hashinfo(void)
{
	/* tcp_hashinfo itself is not exported since 6.10. */
	return init_net.ipv4.tcp_death_row.hashinfo;
}

/* @sk's bucket's state; if TRACKING, @log: its chunk's log. */
static enum tcpstate_bucket_state
tcpstate_bucket_state(const struct net *net, const void *sk,
		      struct tcpstate_seed_log **log)
{
	struct inet_hashinfo *h = net->ipv4.tcp_death_row.hashinfo;
	enum tcpstate_bucket_state state;
	unsigned int start, b;

	b = ((const struct sock_common *)sk)->skc_hash & h->ehash_mask;
	do {
		start = read_seqcount_begin(&S.seq);
		*log = &S.log[(b / max(S.chunk, 1U)) & 1];
		if (!S.active)
			state = TCPSTATE_LIVE;
		else if (h == tcpstate_global_hashinfo() ? S.global_done :
			 tcpstate_net_seed_gen(net) == S.gen)
			state = TCPSTATE_LIVE;
		else if (h != S.hashinfo || b >= S.tracked_below)
			state = TCPSTATE_NOT_REACHED;
		else if (b >= S.live_below)
			state = TCPSTATE_TRACKING;
		else
			state = TCPSTATE_LIVE;
	} while (read_seqcount_retry(&S.seq, start));
	return state;
}

static void tcpstate_seed_log_move(struct tcpstate_seed_log *log,
				   const struct net *net,
				   enum tcpstate_counter gauge,
				   const void *sk, int delta)
{
	struct tcpstate_seed_entry *e;
	unsigned int i;

	/* Fully ordered: see "The order within one sock" above. */
	i = atomic_inc_return(&log->next) - 1;
	if (i >= log->cap) {
		atomic_inc(&S.lost);
		return;
	}
	e = &log->e[i];
	e->sk = sk;
	e->seq = i;
	e->gauge = gauge;
	e->delta = delta;
	if (delta > 0 && gauge == TCPSTATE_C_SYN_RECV &&
	    sk_unhashed((const struct sock *)sk))
		e->delta = 0;
	e->net = maybe_get_net((struct net *)net);
}

void tcpstate_gauge_move(const struct net *net, enum tcpstate_counter gauge,
			 const void *sk, int delta)
{
	struct tcpstate_seed_log *log;

	if (likely(!READ_ONCE(S.active))) {
		tcpstate_count(net, gauge, delta);
		return;
	}
	switch (tcpstate_bucket_state(net, sk, &log)) {
	case TCPSTATE_LIVE:
		tcpstate_count(net, gauge, delta);
		break;
	case TCPSTATE_TRACKING:
		tcpstate_seed_log_move(log, net, gauge, sk, delta);
		break;
	case TCPSTATE_NOT_REACHED:
		break;
	}
}

unsigned long tcpstate_seed_misses(unsigned long missed_now)
{
	return missed_now - READ_ONCE(tcpstate_missed_base) +
	       READ_ONCE(tcpstate_missed_lost);
}

/*
 * A change of the hooks' view of the buckets, between these two. BHs off:
 * a hook interrupting the write on this CPU would spin on it for good.
 */
static void tcpstate_seed_write_begin(void)
{
	local_bh_disable();
	preempt_disable();
	write_seqcount_begin(&S.seq);
}

static void tcpstate_seed_write_end(void)
{
	write_seqcount_end(&S.seq);
	preempt_enable();
	local_bh_enable();
}

/* Buckets of the hash being walked below @live: LIVE; then to @tracked. */
static void tcpstate_seed_publish(unsigned int live, unsigned int tracked)
{
	tcpstate_seed_write_begin();
	S.live_below = live;
	S.tracked_below = tracked;
	tcpstate_seed_write_end();
}

static int tcpstate_seen_grow(void)
{
	unsigned int cap = S.seen_cap ? 2 * S.seen_cap : 4096;
	struct tcpstate_seed_entry *e;

	e = kvmalloc_array(cap, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	if (S.seen)
		memcpy(e, S.seen, S.nr_seen * sizeof(*e));
	kvfree(S.seen);
	S.seen = e;
	S.seen_cap = cap;
	return 0;
}

static void tcpstate_put_entries(struct tcpstate_seed_entry *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].net)
			put_net(e[i].net);
}

/* Read buckets [lo, hi) of @h, each under its lock: the socks there. */
static int tcpstate_seed_walk(struct inet_hashinfo *h, unsigned int lo,
			      unsigned int hi)
{
	unsigned int b;

	for (b = lo; b < hi; b++) {
		spinlock_t *lock = inet_ehash_lockp(h, b);
		unsigned int first = S.nr_seen;
		const struct hlist_nulls_node *node;
		bool full = false;
		struct sock *sk;
		u64 t0, held;

		cond_resched();
		if (hlist_nulls_empty(&h->ehash[b].chain))
			continue;
		t0 = ktime_get_ns();
		spin_lock_bh(lock);
		sk_nulls_for_each(sk, node, &h->ehash[b].chain) {
			struct tcpstate_seed_entry *e;

			if (sk->sk_state != TCP_TIME_WAIT &&
			    sk->sk_state != TCP_NEW_SYN_RECV)
				continue;
			if (S.nr_seen == S.seen_cap) {
				full = true;
				break;
			}
			e = &S.seen[S.nr_seen++];
			e->sk = sk;
			e->gauge = sk->sk_state == TCP_TIME_WAIT ?
				   TCPSTATE_C_TIME_WAIT : TCPSTATE_C_SYN_RECV;
			e->delta = 1;
			e->net = maybe_get_net(sock_net(sk));
		}
		spin_unlock_bh(lock);
		held = ktime_get_ns() - t0;
		if (held > S.longest_hold_ns)
			S.longest_hold_ns = held;
		if (full) {
			int err;

			/* Again, with room for the whole bucket. */
			tcpstate_put_entries(S.seen + first, S.nr_seen - first);
			S.nr_seen = first;
			err = tcpstate_seen_grow();
			if (err)
				return err;
			b--;
		}
	}
	return 0;
}

static int tcpstate_entry_cmp(const void *a, const void *b)
{
	const struct tcpstate_seed_entry *x = a, *y = b;

	if (x->sk != y->sk)
		return x->sk < y->sk ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Apply one chunk's count: its log and its walk, as the top comment says. */
static void tcpstate_seed_settle(struct tcpstate_seed_log *log)
{
	unsigned int nr_log = min_t(unsigned int, atomic_read(&log->next), log->cap);
	struct tcpstate_seed_entry *l = log->e, *w = S.seen;
	unsigned int i = 0, j = 0;

	sort(l, nr_log, sizeof(*l), tcpstate_entry_cmp, NULL);
	sort(w, S.nr_seen, sizeof(*w), tcpstate_entry_cmp, NULL);
	while (i < nr_log) {
		unsigned int first = i;

		while (j < S.nr_seen && w[j].sk < l[i].sk) {
			if (w[j].net)
				tcpstate_count(w[j].net, w[j].gauge, 1);
			j++;
		}
		while (j < S.nr_seen && w[j].sk == l[i].sk)
			j++;
		if (l[first].delta < 0 && l[first].net)
			tcpstate_count(l[first].net, l[first].gauge, 1);
		for (; i < nr_log && l[i].sk == l[first].sk; i++)
			if (l[i].net && l[i].delta)
				tcpstate_count(l[i].net, l[i].gauge, l[i].delta);
	}
	for (; j < S.nr_seen; j++)
		if (w[j].net)
			tcpstate_count(w[j].net, w[j].gauge, 1);
	S.socks += S.nr_seen;
	S.logged += nr_log;
	tcpstate_put_entries(l, nr_log);
	tcpstate_put_entries(w, S.nr_seen);
	S.nr_seen = 0;
	atomic_set(&log->next, 0);
}

/* Count every bucket of @h in chunks; @net: its namespace, if its own. */
static int tcpstate_seed_hashinfo(struct inet_hashinfo *h, struct net *net)
{
	unsigned int nr = h->ehash_mask + 1, lo, hi, k;
	struct tcpstate_seed_log *settling = NULL;
	int err = 0;

	tcpstate_seed_write_begin();
	S.hashinfo = h;
	S.live_below = 0;
	S.tracked_below = 0;
	S.chunk = max_t(unsigned int, TCPSTATE_SEED_MIN_CHUNK,
			nr / TCPSTATE_SEED_CHUNKS);
	tcpstate_seed_write_end();
	for (lo = 0, k = 0; lo < nr; lo = hi, k++) {
		hi = min(nr, lo + S.chunk);
		/* Chunk k TRACKING, chunk k-1 LIVE; G3 of k-1, G1 of k. */
		tcpstate_seed_publish(lo, hi);
		synchronize_rcu();
		if (settling)
			tcpstate_seed_settle(settling);
		err = tcpstate_seed_walk(h, lo, hi);
		S.buckets += hi - lo;
		synchronize_rcu();	/* G2 */
		settling = &S.log[k & 1];
		/* Failed: what was logged and seen is settled all the same. */
		if (err)
			break;
	}
	tcpstate_seed_publish(hi, hi);
	synchronize_rcu();
	if (settling)
		tcpstate_seed_settle(settling);
	tcpstate_seed_write_begin();
	if (net)
		tcpstate_net_set_seed_gen(net, S.gen);
	else
		S.global_done = true;
	S.hashinfo = NULL;
	tcpstate_seed_write_end();
	return err;
}

/* A namespace with a hash of its own (net.ipv4.tcp_child_ehash_entries). */
static bool tcpstate_own_hash_uncounted(const struct net *net)
{
	return net->ipv4.tcp_death_row.hashinfo != tcpstate_global_hashinfo() &&
	       tcpstate_net_seed_gen(net) != S.gen;
}

/* Such namespaces not counted yet, referenced, at most @max; how many. */
static unsigned int tcpstate_own_hash_nets(struct net **nets, unsigned int max)
{
	unsigned int n = 0;
	struct net *net;

	down_read(&net_rwsem);
	for_each_net(net) {
		if (n == max)
			break;
		if (tcpstate_own_hash_uncounted(net)) {
			nets[n] = maybe_get_net(net);
			if (nets[n])
				n++;
		}
	}
	up_read(&net_rwsem);
	return n;
}

static int tcpstate_seed_all(void)
{
	struct net *nets[16], *net;
	unsigned int i, n;
	int err;

	err = tcpstate_seed_hashinfo(tcpstate_global_hashinfo(), NULL);
	while (!err && (n = tcpstate_own_hash_nets(nets, ARRAY_SIZE(nets)))) {
		for (i = 0; i < n; i++) {
			if (!err)
				err = tcpstate_seed_hashinfo(nets[i]->ipv4.tcp_death_row.hashinfo,
							     nets[i]);
			put_net(nets[i]);
		}
	}
	if (err)
		return err;
	/*
	 * Done once every listed namespace is: one that is not listed yet
	 * has no socket yet (copy_net_ns() lists it before it returns), and
	 * counts from its first with the count over.
	 */
	down_read(&net_rwsem);
	n = 0;
	for_each_net(net)
		if (tcpstate_own_hash_uncounted(net))
			n++;
	if (!n) {
		tcpstate_seed_write_begin();
		S.active = false;
		tcpstate_seed_write_end();
	}
	up_read(&net_rwsem);
	return n ? -EAGAIN : 0;
}

static int tcpstate_seed_run(bool again)
{
	u64 t0 = ktime_get_ns();
	struct net *net;
	int err, i;

	for (i = 0; i < 2; i++) {
		S.log[i].cap = TCPSTATE_SEED_LOG_CAP;
		S.log[i].e = kvmalloc_array(S.log[i].cap, sizeof(*S.log[i].e),
					    GFP_KERNEL);
		atomic_set(&S.log[i].next, 0);
		if (!S.log[i].e) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = tcpstate_seen_grow();
	if (err)
		goto out;
	S.socks = 0;
	S.buckets = 0;
	S.logged = 0;
	S.longest_hold_ns = 0;
	atomic_set(&S.lost, 0);
	WRITE_ONCE(tcpstate_missed_base, tcpstate_kprobes_missed());
	WRITE_ONCE(tcpstate_missed_lost, 0);

	/* Every bucket NOT_REACHED; then no hook moves a gauge. */
	tcpstate_seed_write_begin();
	S.active = true;
	S.gen++;
	S.global_done = false;
	S.hashinfo = NULL;
	tcpstate_seed_write_end();
	synchronize_rcu();
	if (again) {
		down_read(&net_rwsem);
		for_each_net(net) {
			tcpstate_counter_set(net, TCPSTATE_C_SYN_RECV, 0);
			tcpstate_counter_set(net, TCPSTATE_C_TIME_WAIT, 0);
		}
		up_read(&net_rwsem);
	}
	do
		err = tcpstate_seed_all();
	while (err == -EAGAIN);
	WRITE_ONCE(tcpstate_missed_lost, atomic_read(&S.lost));
	S.total_ns = ktime_get_ns() - t0;
	pr_info("counted %lu request and timewait socks in %lu buckets, %lu moves during the count, in %llu ms, longest bucket lock %llu us%s\n",
		S.socks, S.buckets, S.logged, S.total_ns / NSEC_PER_MSEC,
		S.longest_hold_ns / NSEC_PER_USEC,
		atomic_read(&S.lost) ? " (log full: gauges may be off)" : "");
out:
	if (err) {
		/* Left as they are, and said to be off. */
		WRITE_ONCE(tcpstate_missed_lost, 1);
		tcpstate_seed_write_begin();
		S.active = false;
		tcpstate_seed_write_end();
	}
	/* No hook still logging into what is freed next. */
	synchronize_rcu();
	for (i = 0; i < 2; i++) {
		kvfree(S.log[i].e);
		S.log[i].e = NULL;
		S.log[i].cap = 0;
	}
	kvfree(S.seen);
	S.seen = NULL;
	S.seen_cap = 0;
	S.nr_seen = 0;
	return err;
}

/* Count the request and timewait socks that exist; call once hooked. */
int tcpstate_seed(void)
{
	int err;

	mutex_lock(&tcpstate_seed_lock);
	err = tcpstate_seed_run(false);
	mutex_unlock(&tcpstate_seed_lock);
	return err;
}

/* TCPSTATE_IOC_RESEED. */
int tcpstate_reseed(void)
{
	int err;

	if (!mutex_trylock(&tcpstate_seed_lock))
		return -EBUSY;
	err = tcpstate_seed_run(true);
	mutex_unlock(&tcpstate_seed_lock);
	return err;
}

/* Before the hooks: every move ignored until the first count. */
void tcpstate_seed_init(void)
{
	seqcount_init(&S.seq);
	S.active = true;
}
