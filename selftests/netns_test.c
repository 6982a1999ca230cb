// SPDX-License-Identifier: GPL-2.0
/*
 * Per-netns counter selftests, run as root in the VM
 * (scripts/guest/check.sh): a fresh netns starts at zero, sockets that
 * existed before insmod are counted, also while traffic moves them (at
 * insmod and TCPSTATE_IOC_RESEED), two netns each see their own, ring
 * drops are booked to the netns whose events were dropped.
 *
 * Ground truth: /proc/net/sockstat "tw", st 03 rows of /proc/net/tcp{,6},
 * and the TcpExt MIBs, which a new netns starts at zero too.
 *
 * TCPSTATE_TRAFFIC_ONLY=1 checks the kernel's figures alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define SYN_PORT	8080
#define LISTEN_PORT	9000
#define CLIENT_PORT	42000
#define SPOOF_SPORT	40000

static void send_syns(struct __test_metadata *_metadata, int family,
		      int first, int n)
{
	struct ts_addr sink, src;
	int i;

	ASSERT_EQ(0, ts_addr_parse(family, family == AF_INET ? SINK_ADDR4 :
								SINK_ADDR6,
				   &sink));
	for (i = first; i < first + n; i++) {
		spoof_addr(family, i, &src);
		ASSERT_EQ(0, raw_syn_send(&src, SPOOF_SPORT + i, &sink,
					  SYN_PORT, 0x01000000U * i));
	}
}

static int sink_listener(int family)
{
	struct ts_addr sink;

	if (ts_addr_parse(family, family == AF_INET ? SINK_ADDR4 : SINK_ADDR6,
			  &sink))
		return -EINVAL;
	return tcp_listen(family, &sink, SYN_PORT, 64);
}

/*
 * Read the counters of the current netns when they are quiet: the proc
 * file twice and the ioctl in between, all equal.
 */
static bool counters_quiet(struct ts_counters *c, unsigned int *netns)
{
	struct tcpstate_counters raw;
	struct ts_counters a, b;

	if (counters_proc(&a) || counters_ioctl(&b, &raw) ||
	    counters_proc(c))
		return false;
	*netns = raw.netns;
	return !memcmp(&a, &b, sizeof(a)) && !memcmp(&a, c, sizeof(a));
}

struct figures {
	struct ts_counters c;
	unsigned int netns;
	long long tw, rows03, armed, passive, synretrans;
};

/* The kernel's figures, read twice around quiet counters: all agree. */
static bool figures_quiet(struct figures *f)
{
	long long tw = sockstat_tw(), rows = proc_tcp_rows_all(3, 0);
	long long armed = mib_get("TcpExt", "TW") + mib_get("TcpExt", "TWKilled");
	long long passive = mib_get("Tcp", "PassiveOpens");
	long long retrans = mib_get("TcpExt", "TCPSynRetrans");

	if (!counters_quiet(&f->c, &f->netns))
		return false;
	f->tw = sockstat_tw();
	f->rows03 = proc_tcp_rows_all(3, 0);
	f->armed = mib_get("TcpExt", "TW") + mib_get("TcpExt", "TWKilled");
	f->passive = mib_get("Tcp", "PassiveOpens");
	f->synretrans = mib_get("TcpExt", "TCPSynRetrans");
	return tw == f->tw && rows == f->rows03 && armed == f->armed &&
	       passive == f->passive && retrans == f->synretrans;
}

/*
 * Timewait socks made in a fresh netns, none ended: TW + TWKilled where
 * the kernel counts them as their timers are armed; 5.10 counts them as
 * the timers fire, and there sockstat's tw is the figure.
 */
static long long created_figure(const struct figures *f)
{
	return f->armed || !f->tw ? f->armed : f->tw;
}

/* Quiet, and the counters equal the kernel's figures. */
static bool figures_agree(struct figures *f, bool fresh_netns)
{
	if (!figures_quiet(f))
		return false;
	if (f->c.v[TCPSTATE_C_TIME_WAIT] != (unsigned long long)f->tw ||
	    f->c.v[TCPSTATE_C_SYN_RECV] != (unsigned long long)f->rows03)
		return false;
	if (!fresh_netns)
		return true;
	return f->c.v[TCPSTATE_C_TIMEWAIT_CREATED] ==
		(unsigned long long)created_figure(f) &&
	       f->c.v[TCPSTATE_C_SYN_QUEUE_COMPLETED] ==
		(unsigned long long)f->passive &&
	       f->c.v[TCPSTATE_C_SYNACK_RETRANS] ==
		(unsigned long long)f->synretrans;
}

/* In a new netns every counter is 0, in the file and through the ioctl. */
TEST(fresh_netns_counts_nothing)
{
	struct tcpstate_counters raw;
	struct ts_counters c;
	unsigned int i;

	if (traffic_only())
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY");
	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, counters_proc(&c))
		TH_LOG("/proc/net/tcpstate missing, or a counter name missing, repeated or unknown");
	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		EXPECT_EQ(0, c.v[i]) TH_LOG("%s", counter_name(i));
	memset(&raw, 0xa5, sizeof(raw));
	ASSERT_EQ(0, counters_ioctl(&c, &raw));
	EXPECT_EQ(netns_inode(), raw.netns);
	EXPECT_EQ(TCPSTATE_NR_COUNTERS, raw.nr);
	for (i = 0; i < TCPSTATE_MAX_COUNTERS; i++)
		EXPECT_EQ(0, raw.value[i]) TH_LOG("value[%u]", i);
	/* Bad pointers are errors. */
	i = open(TCPSTATE_DEVICE, O_RDWR);
	ASSERT_LE(0, (int)i);
	EXPECT_EQ(-1, ioctl(i, TCPSTATE_IOC_GET_COUNTERS, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(i);
}

/* Ring drops of the netns @my_ns and the init netns add up to the ring's. */
static bool drops_add_up(struct tcpstate_reader *r, int init_ns, int my_ns,
			 __u64 *produced, __u64 *dropped,
			 unsigned long long *mine, unsigned long long *init)
{
	tcpstate_ring_stats(&r->ring, produced, dropped);
	*mine = counter_get(TCPSTATE_C_RING_DROPS);
	if (netns_enter(init_ns))
		return false;
	*init = counter_get(TCPSTATE_C_RING_DROPS);
	if (netns_enter(my_ns))
		return false;
	return *dropped == *mine + *init;
}

/*
 * A 4 KiB ring nobody drains overflows; every dropped event of this
 * netns is booked to it, the rest to the init netns (the only other one
 * alive).
 */
TEST(ring_drops_booked_per_netns)
{
	struct tcpstate_reader reader;
	__u64 produced, dropped;
	unsigned long long mine, init;
	int lfd, init_ns, my_ns, m = 12;
	char err[256];

	if (traffic_only())
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY");
	ASSERT_EQ(0, module_reload("ring_size_kb=4"));
	ASSERT_EQ(0, tcpstate_reader_open(&reader, TCPSTATE_DEVICE, err,
					  sizeof(err)))
		TH_LOG("%s", err);
	init_ns = netns_fd();
	ASSERT_LE(0, init_ns);
	ASSERT_EQ(0, netns_new());
	lfd = tcp_listen(AF_INET, NULL, LISTEN_PORT, 16);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, client_closed_connections(lfd, AF_INET, m, NULL, NULL));
	close(lfd);
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == m, 5000));
	/* The ring holds 42 records; m connections make far more events. */
	my_ns = netns_fd();
	ASSERT_LE(0, my_ns);
	EXPECT_TRUE(POLL_UNTIL(drops_add_up(&reader, init_ns, my_ns, &produced,
					    &dropped, &mine, &init), 3000));
	TH_LOG("produced %llu dropped %llu: this netns %llu, init netns %llu",
	       (unsigned long long)produced, (unsigned long long)dropped,
	       mine, init);
	EXPECT_LT(0, dropped);
	EXPECT_LT(0, mine);
	EXPECT_EQ(dropped, mine + init);
	tcpstate_reader_close(&reader);
	ASSERT_EQ(0, netns_enter(init_ns));
	close(init_ns);
	close(my_ns);
	ASSERT_EQ(0, module_reload(""));
}

FIXTURE(netns)
{
	int init_ns, ns[2];
	int lfd[2], syn_lfd[2];
};

FIXTURE_VARIANT(netns)
{
	int family;
	/* Each netns's own established hash (tcp_child_ehash_entries). */
	unsigned int ehash;
};

FIXTURE_VARIANT_ADD(netns, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(netns, ipv6) {
	.family = AF_INET6,
};

FIXTURE_VARIANT_ADD(netns, ipv4_own_ehash) {
	.family = AF_INET, .ehash = 256,
};

FIXTURE_VARIANT_ADD(netns, ipv6_own_ehash) {
	.family = AF_INET6, .ehash = 256,
};

FIXTURE_SETUP(netns)
{
	int i;

	for (i = 0; i < 2; i++)
		self->ns[i] = self->lfd[i] = self->syn_lfd[i] = -1;
	self->init_ns = netns_fd();
	ASSERT_LE(0, self->init_ns);
}

FIXTURE_TEARDOWN(netns)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (self->lfd[i] >= 0)
			close(self->lfd[i]);
		if (self->syn_lfd[i] >= 0)
			close(self->syn_lfd[i]);
		if (self->ns[i] >= 0)
			close(self->ns[i]);
	}
	close(self->init_ns);
	if (!module_loaded())
		module_reload("");
}

/*
 * In a new netns (owning a hash of @ehash buckets if not 0): @tw TIME_WAIT
 * socks (client ports CLIENT_PORT + i) and
 * @half half-open connections (net.ipv4.tcp_synack_retries stays 5: they
 * last a minute). Returns when the kernel shows them all.
 */
static void populate(struct __test_metadata *_metadata, int family,
		     unsigned int ehash, int tw, int half, int *lfd,
		     int *syn_lfd)
{
	unsigned short cports[16];
	int i;

	ASSERT_GE(16, tw);
	for (i = 0; i < tw; i++)
		cports[i] = CLIENT_PORT + i;
	ASSERT_EQ(0, netns_new_ehash(ehash));
	if (ehash)
		ASSERT_EQ(ehash, sysctl_get("net.ipv4.tcp_ehash_entries"));
	ASSERT_EQ(0, sink_setup());
	*lfd = tcp_listen(family, NULL, LISTEN_PORT, 16);
	ASSERT_LE(0, *lfd);
	*syn_lfd = sink_listener(family);
	ASSERT_LE(0, *syn_lfd);
	ASSERT_EQ(0, client_closed_connections(*lfd, family, tw, cports,
					       NULL));
	send_syns(_metadata, family, 1, half);
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == tw &&
			       proc_tcp_rows(family, 3, SYN_PORT) == half,
			       5000));
	ASSERT_EQ(tw, sockstat_tw());
	ASSERT_EQ(half, proc_tcp_rows(family, 3, SYN_PORT));
	ASSERT_EQ(tw, proc_tcp_rows(family, 6, 0));
}

/*
 * TIME_WAIT and half-open sockets made while the module was out: after
 * insmod the gauges equal the kernel's figures, and when those sockets
 * end the gauges come back to exactly 0.
 */
TEST_F_TIMEOUT(netns, seeded_at_load, 60)
{
	const int tw = 4, half = 5;
	long long recycled, passive, armed;
	int i, rows;

	SKIP_WITHOUT_CHILD_EHASH(variant->ehash);
	ASSERT_EQ(0, module_loaded() ? sh("rmmod tcpstate") : 0);
	ASSERT_FALSE(module_loaded());
	populate(_metadata, variant->family, variant->ehash, tw, half,
		 &self->lfd[0], &self->syn_lfd[0]);
	ASSERT_EQ(0, module_reload(""));
	passive = mib_get("Tcp", "PassiveOpens");
	armed = mib_get("TcpExt", "TW") + mib_get("TcpExt", "TWKilled");

	rows = proc_tcp_rows(variant->family, 3, SYN_PORT);
	TH_LOG("after insmod: sockstat tw %lld, st 06 rows %d, st 03 rows %d",
	       sockstat_tw(), proc_tcp_rows(variant->family, 6, 0), rows);
	if (!traffic_only()) {
		struct figures f;

		EXPECT_TRUE(POLL_UNTIL(figures_agree(&f, false), 3000));
		TH_LOG("time_wait %llu syn_recv %llu",
		       f.c.v[TCPSTATE_C_TIME_WAIT], f.c.v[TCPSTATE_C_SYN_RECV]);
		EXPECT_EQ(tw, f.tw);
		EXPECT_EQ(f.tw, f.c.v[TCPSTATE_C_TIME_WAIT]);
		EXPECT_EQ(f.rows03, f.c.v[TCPSTATE_C_SYN_RECV]);
	}

	/* The request socks end with their listener, at their next timer. */
	close(self->syn_lfd[0]);
	self->syn_lfd[0] = -1;
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(variant->family, 3, SYN_PORT) == 0,
			       10000));
	/* The timewait socks end taken over by connect()s from their ports. */
	recycled = mib_get("TcpExt", "TWRecycled");
	for (i = 0; i < tw; i++) {
		int cfd = tcp_connect(variant->family, CLIENT_PORT + i,
				      LISTEN_PORT);
		int afd;

		ASSERT_LE(0, cfd);
		afd = accept4(self->lfd[0], NULL, NULL, SOCK_CLOEXEC);
		ASSERT_LE(0, afd);
		tcp_abort(cfd);
		tcp_abort(afd);
	}
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == 0, 5000));
	recycled = mib_get("TcpExt", "TWRecycled") - recycled;
	EXPECT_EQ(tw, recycled);
	SKIP_IF_TRAFFIC_ONLY();
	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_SYN_RECV) == 0 &&
			       counter_get(TCPSTATE_C_TIME_WAIT) == 0, 2000));
	EXPECT_EQ(0, counter_get(TCPSTATE_C_SYN_RECV));
	EXPECT_EQ(0, counter_get(TCPSTATE_C_TIME_WAIT));
	/*
	 * Ended since load: all of them. Made since load: the connections
	 * that took over the timewait socks (the kernel's count).
	 */
	EXPECT_EQ(rows, counter_get(TCPSTATE_C_SYN_QUEUE_DROPPED));
	EXPECT_EQ(recycled, counter_get(TCPSTATE_C_TIMEWAIT_ENDED_EARLY));
	EXPECT_EQ(mib_get("Tcp", "PassiveOpens") - passive,
		  counter_get(TCPSTATE_C_SYN_QUEUE_ADDED));
	EXPECT_EQ(mib_get("Tcp", "PassiveOpens") - passive,
		  counter_get(TCPSTATE_C_SYN_QUEUE_COMPLETED));
	EXPECT_EQ(mib_get("TcpExt", "TW") + mib_get("TcpExt", "TWKilled") -
		  armed, counter_get(TCPSTATE_C_TIMEWAIT_CREATED));
	EXPECT_EQ(0, counter_get(TCPSTATE_C_TIMEWAIT_EXPIRED));
}

/*
 * Until killed, in the current netns: connections from @cports' ports,
 * each taking over the timewait sock its port left last time (one ends,
 * one is made), and SYNs from new spoofed sources to the sink listener,
 * whose request socks expire (tcp_synack_retries 1): request and timewait
 * socks come and go all the time.
 */
static void churn(int family, int lfd, unsigned short *cports, int n)
{
	struct ts_addr sink, src;
	unsigned int i;

	if (ts_addr_parse(family, family == AF_INET ? SINK_ADDR4 : SINK_ADDR6,
			  &sink))
		_exit(1);
	for (i = 1000; ; i += 4) {
		unsigned int j;

		if (client_closed_connections(lfd, family, n, cports, NULL))
			_exit(2);
		for (j = i; j < i + 4; j++) {
			spoof_addr(family, 1000 + j % 20000, &src);
			if (raw_syn_send(&src, SPOOF_SPORT + j % 20000, &sink,
					 SYN_PORT, 0x01000000U * j))
				_exit(3);
		}
	}
}

/*
 * The gauges counted while request and timewait socks come and go: at
 * insmod and at each TCPSTATE_IOC_RESEED, every bucket is read under its
 * own lock with the hooks running (seed.c). Once the traffic stops, the
 * gauges equal the kernel's figures, exactly.
 */
TEST_F_TIMEOUT(netns, counted_while_churning, 120)
{
	const int tw = 8, half = 8, reseeds = 6;
	unsigned short cports[8];
	struct figures f;
	int i, fd, st;
	pid_t child;

	SKIP_WITHOUT_CHILD_EHASH(variant->ehash);
	SKIP_IF_TRAFFIC_ONLY();
	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	populate(_metadata, variant->family, variant->ehash, tw, half,
		 &self->lfd[0], &self->syn_lfd[0]);
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_synack_retries", "1"));
	for (i = 0; i < tw; i++)
		cports[i] = CLIENT_PORT + i;
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		churn(variant->family, self->lfd[0], cports, tw);

	/* A load, then counts again, each while the traffic runs. */
	EXPECT_EQ(0, module_reload(""));
	for (i = 0; i < reseeds; i++) {
		fd = open("/dev/tcpstate", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, ioctl(fd, TCPSTATE_IOC_RESEED)) {
			TH_LOG("TCPSTATE_IOC_RESEED: %s", strerror(errno));
		}
		close(fd);
	}
	ASSERT_EQ(0, waitpid(child, &st, WNOHANG)) {
		TH_LOG("the traffic stopped early: status %#x", st);
	}
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, &st, 0));
	sh("dmesg | grep 'tcpstate: counted' | tail -n %d | sed 's/^/# /'",
	   reseeds + 1);

	/* The request socks expire within seconds, the timewait socks stay. */
	EXPECT_TRUE(POLL_UNTIL(figures_agree(&f, false) &&
			       f.c.v[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] == 0,
			       15000));
	TH_LOG("at rest: time_wait %llu (sockstat tw %lld), syn_recv %llu (st 03 rows %lld), probes missed since the count %llu",
	       f.c.v[TCPSTATE_C_TIME_WAIT], f.tw, f.c.v[TCPSTATE_C_SYN_RECV],
	       f.rows03, f.c.v[TCPSTATE_C_PROBES_MISSED_SINCE_SEED]);
	EXPECT_EQ(f.tw, f.c.v[TCPSTATE_C_TIME_WAIT]);
	EXPECT_EQ(f.rows03, f.c.v[TCPSTATE_C_SYN_RECV]);
	EXPECT_LT(0, f.tw);
}

/*
 * Two netns under different load, and the init netns: each one's
 * counters are its own. The MIBs of a new netns start at 0, like its
 * counters, so absolute values compare. No reader holds the ring: the
 * counters count regardless.
 */
TEST_F_TIMEOUT(netns, each_its_own, 60)
{
	static const int tw[2] = { 3, 5 }, half[2] = { 2, 4 };
	unsigned int inode;
	int i;

	SKIP_WITHOUT_CHILD_EHASH(variant->ehash);
	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, netns_enter(self->init_ns));
		populate(_metadata, variant->family, variant->ehash, tw[i],
			 half[i], &self->lfd[i], &self->syn_lfd[i]);
		self->ns[i] = netns_fd();
		ASSERT_LE(0, self->ns[i]);
	}
	SKIP_IF_TRAFFIC_ONLY();
	for (i = 0; i < 2; i++) {
		struct figures f;

		ASSERT_EQ(0, netns_enter(self->ns[i]));
		inode = netns_inode();
		/* Each request sock's first SYN-ACK retransmit, at 1 s. */
		EXPECT_TRUE(POLL_UNTIL(mib_get("TcpExt", "TCPSynRetrans") >=
				       half[i], 5000));
		EXPECT_TRUE(POLL_UNTIL(figures_agree(&f, true), 3000));
		TH_LOG("netns %c: time_wait %llu syn_recv %llu timewait_created %llu syn_queue_completed %llu synack_retrans %llu; sockstat tw %lld, st 03 rows %lld, TW+TWKilled %lld, PassiveOpens %lld, TCPSynRetrans %lld",
		       'A' + i, f.c.v[TCPSTATE_C_TIME_WAIT],
		       f.c.v[TCPSTATE_C_SYN_RECV],
		       f.c.v[TCPSTATE_C_TIMEWAIT_CREATED],
		       f.c.v[TCPSTATE_C_SYN_QUEUE_COMPLETED],
		       f.c.v[TCPSTATE_C_SYNACK_RETRANS], f.tw, f.rows03,
		       f.armed, f.passive, f.synretrans);
		EXPECT_EQ(inode, f.netns);
		/* The scenario, as the kernel counts it. */
		EXPECT_EQ(tw[i], f.tw);
		EXPECT_EQ(half[i], f.rows03);
		/* tcpstate's view of it. */
		EXPECT_EQ(f.tw, f.c.v[TCPSTATE_C_TIME_WAIT]);
		EXPECT_EQ(f.rows03, f.c.v[TCPSTATE_C_SYN_RECV]);
		EXPECT_EQ(created_figure(&f), f.c.v[TCPSTATE_C_TIMEWAIT_CREATED]);
		EXPECT_EQ(f.passive, f.c.v[TCPSTATE_C_SYN_QUEUE_COMPLETED]);
		EXPECT_EQ(f.synretrans, f.c.v[TCPSTATE_C_SYNACK_RETRANS]);
		EXPECT_EQ(f.rows03 + f.passive,
			  f.c.v[TCPSTATE_C_SYN_QUEUE_ADDED]);
	}
	/* The init netns: only its own (other tests' leftover TIME_WAIT). */
	ASSERT_EQ(0, netns_enter(self->init_ns));
	struct figures f;

	EXPECT_TRUE(POLL_UNTIL(figures_agree(&f, false), 3000));
	EXPECT_EQ(netns_inode(), f.netns);
	EXPECT_EQ(f.tw, f.c.v[TCPSTATE_C_TIME_WAIT]);
	EXPECT_EQ(f.rows03, f.c.v[TCPSTATE_C_SYN_RECV]);
}

TEST_HARNESS_MAIN
