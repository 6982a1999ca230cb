// SPDX-License-Identifier: GPL-2.0
/*
 * TIME_WAIT selftests, run as root in the VM (scripts/guest/check.sh),
 * each in a network namespace of its own.
 *
 * Ground truth: "tw" of /proc/net/sockstat (every timewait sock of the
 * netns, both families and both substates), the rows of /proc/net/tcp{,6}
 * (st 06 for TIME_WAIT, st 05 for an orphaned FIN_WAIT2 timewait sock),
 * TcpExt TW + TWKilled (bumped once per timewait sock when its timer is
 * first armed: TWKilled when that is 4 s or less) and TWRecycled (a
 * connect() took over a timewait sock's tuple).
 *
 * TCPSTATE_TRAFFIC_ONLY=1 checks the kernel's figures alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define MAX_LOG		16384
#define LISTEN_PORT	9000
#define CLIENT_PORT	42000

struct ctx {
	struct ts_watch w;
	struct ev_log log;
	int init_ns, lfd;
	int sfds[16];
	struct ts_snapshot before, after;
};

/*
 * Watch (the ring unless @no_reader, opened in the init netns), keep a
 * handle on the init netns, move to a new netns (with its own hash of
 * @ehash buckets if not 0) and listen there.
 */
static void ctx_setup(struct __test_metadata *_metadata, struct ctx *x,
		      int family, unsigned int ehash, bool no_reader)
{
	char err[256];
	int i;

	x->lfd = -1;
	for (i = 0; i < 16; i++)
		x->sfds[i] = -1;
	ASSERT_EQ(0, ts_watch_open(&x->w, no_reader, err, sizeof(err)))
		TH_LOG("%s", err);
	if (ts_watch_limits(&x->w))
		TH_LOG("%s", ts_watch_limits(&x->w));
	x->init_ns = netns_fd();
	ASSERT_LE(0, x->init_ns);
	/* The test body skips it (SKIP_WITHOUT_CHILD_EHASH). */
	if (ehash && !netns_child_ehash_supported())
		return;
	ASSERT_EQ(0, netns_new_ehash(ehash));
	/* Negative: the netns shares the init netns's hash. */
	if (ehash)
		ASSERT_EQ(ehash, sysctl_get("net.ipv4.tcp_ehash_entries"));
	ASSERT_EQ(0, ev_log_init(&x->log, MAX_LOG, netns_inode()));
	x->lfd = tcp_listen(family, NULL, LISTEN_PORT, 16);
	ASSERT_LE(0, x->lfd);
}

static void ctx_teardown(struct ctx *x)
{
	int i;

	for (i = 0; i < 16; i++)
		if (x->sfds[i] >= 0)
			close(x->sfds[i]);
	if (x->lfd >= 0)
		close(x->lfd);
	ts_watch_close(&x->w);
	if (x->init_ns >= 0)
		close(x->init_ns);
	ev_log_free(&x->log);
}

FIXTURE(timewait)
{
	struct ctx x;
};

FIXTURE_VARIANT(timewait)
{
	int family;
	/* The netns's own established hash (tcp_child_ehash_entries). */
	unsigned int ehash;
	bool no_reader;		/* counters only, nobody holds the ring */
};

FIXTURE_VARIANT_ADD(timewait, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(timewait, ipv6) {
	.family = AF_INET6,
};

FIXTURE_VARIANT_ADD(timewait, ipv4_own_ehash) {
	.family = AF_INET, .ehash = 256,
};

FIXTURE_VARIANT_ADD(timewait, ipv6_own_ehash) {
	.family = AF_INET6, .ehash = 256,
};

FIXTURE_VARIANT_ADD(timewait, ipv4_no_reader) {
	.family = AF_INET, .no_reader = true,
};

FIXTURE_SETUP(timewait)
{
	ctx_setup(_metadata, &self->x, variant->family, variant->ehash,
		  variant->no_reader);
}

FIXTURE_TEARDOWN(timewait)
{
	ctx_teardown(&self->x);
}

/* One real 60 s TIME_WAIT, IPv4: TCPSTATE_SLOW=1 only (make check-slow). */
FIXTURE(timewait_slow)
{
	struct ctx x;
};

FIXTURE_SETUP(timewait_slow)
{
	ctx_setup(_metadata, &self->x, AF_INET, 0, false);
}

FIXTURE_TEARDOWN(timewait_slow)
{
	ctx_teardown(&self->x);
}

/* Timewait socks whose timer was armed: one per timewait sock made. */
#define ARMED(x) (MDELTA(x, M_TW) + MDELTA(x, M_TWKILLED))
/*
 * @made timewait socks, none ended: TW + TWKilled moved by as many, on
 * kernels that count a timewait sock when its timer is first armed. 5.10
 * counts it when the timer fires (tw_timer_handler()), and not at all when
 * it is killed early: there TW + TWKilled stands still until expiry, and
 * sockstat is the only figure for creations.
 */
#define EXPECT_ARMED_AT_CREATION(s, made) do {				\
	if (ARMED(s) || !(made)) {					\
		EXPECT_EQ(made, ARMED(s));				\
	} else {							\
		TH_LOG("TcpExt TW/TWKilled count expiries in this kernel, not creations"); \
	}								\
} while (0)

/*
 * @m client-closed connections (client_closed_connections(): the server
 * sockets kept in @sfds, or closed when NULL), from @x->before on, until
 * sockstat shows their timewait socks. Then the kernel's figures: @m of
 * them, each a row in state @st, armed as they were made; and tcpstate's:
 * its gauge and timewait_created say as many. Fills @x->after; returns
 * sockstat's tw.
 */
static long long timewait_socks_made(struct __test_metadata *_metadata,
				     struct ctx *x, int family, int m,
				     unsigned short *cports, int *sfds,
				     unsigned int st)
{
	long long tw, rows;

	ASSERT_EQ(0, client_closed_connections(x->lfd, family, m, cports,
					       sfds));
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() - x->before.sockstat_tw == m,
			       5000));
	snapshot_take(_metadata, &x->after, x->w.module);
	tw = x->after.sockstat_tw;
	rows = proc_tcp_rows(family, st, 0);
	TH_LOG("sockstat tw %lld, st %02u rows %lld, TW+TWKilled +%lld", tw,
	       st, rows, ARMED(x));
	ASSERT_EQ(m, tw);
	EXPECT_EQ(tw, rows);
	EXPECT_ARMED_AT_CREATION(x, tw);
	if (x->w.module) {
		EXPECT_EQ(tw, x->after.c.v[TCPSTATE_C_TIME_WAIT]);
		EXPECT_EQ(tw, CDELTA(x, TCPSTATE_C_TIMEWAIT_CREATED));
	}
	return tw;
}

static const struct tcpstate_event *find_sock(const struct ev_log *log,
					      __u64 id, unsigned int type,
					      int oldstate, int newstate)
{
	int i;

	for (i = 0; i < log->n; i++) {
		const struct tcpstate_event *ev = &log->ev[i];

		if (ev->sock_id == id && ev->type == type &&
		    (oldstate < 0 || ev->oldstate == oldstate) &&
		    (newstate < 0 || ev->newstate == newstate))
			return ev;
	}
	return NULL;
}

static bool port_in(unsigned short port, const unsigned short *ports, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

/*
 * Each TIMEWAIT event: the client's tuple, @peer_id the client socket
 * whose FIN_WAIT2 -> CLOSE it replaces, @newstate the substate; and each
 * ends at most once, after it began.
 */
static void check_timewait_events(struct __test_metadata *_metadata,
				  const struct ev_log *log, int family,
				  const unsigned short *cports, int m,
				  int substate)
{
	struct ts_addr lo;
	char buf[256];
	int i, j;

	ts_addr_loopback(family, &lo);
	for (i = 0; i < log->n; i++) {
		const struct tcpstate_event *ev = &log->ev[i];
		int ends = 0;

		if (ev->type != TCPSTATE_EV_TIMEWAIT)
			continue;
		EXPECT_EQ(family, ev->family);
		/*
		 * A closed (orphaned) socket whose FIN is ACKed before the
		 * peer's FIN arrives becomes a FIN_WAIT2 timewait sock, moved
		 * to TIME_WAIT inside it by that FIN: both are right at birth.
		 */
		EXPECT_TRUE(ev->newstate == substate ||
			    (substate == TCP_TIME_WAIT &&
			     ev->newstate == TCP_FIN_WAIT2))
			TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
		EXPECT_EQ(TCP_FIN_WAIT2, ev->oldstate);
		EXPECT_TRUE(port_in(ev->sport, cports, m))
			TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
		EXPECT_EQ(LISTEN_PORT, ev->dport);
		EXPECT_TRUE(ts_addr_eq_raw(&lo, ev->saddr));
		EXPECT_TRUE(ts_addr_eq_raw(&lo, ev->daddr));
		EXPECT_NE(0, ev->sock_id);
		EXPECT_NE(ev->sock_id, ev->peer_id);
		/* The full socket it replaces left through FIN_WAIT2. */
		EXPECT_NE(NULL, find_sock(log, ev->peer_id, TCPSTATE_EV_STATE,
					  TCP_FIN_WAIT2, TCP_CLOSE))
			TH_LOG("no FIN_WAIT2 -> CLOSE of the peer of %s",
			       ev_str(ev, buf, sizeof(buf)));
		for (j = 0; j < log->n; j++) {
			const struct tcpstate_event *e = &log->ev[j];

			if (e->type != TCPSTATE_EV_TIMEWAIT_END ||
			    e->sock_id != ev->sock_id)
				continue;
			ends++;
			EXPECT_LT(i, j);
			EXPECT_EQ(substate, e->newstate);
			EXPECT_EQ(ev->sport, e->sport);
			EXPECT_EQ(ev->dport, e->dport);
		}
		EXPECT_GE(1, ends);
	}
}

/*
 * Orphaned FIN_WAIT2 timewait socks: the client closes, the server keeps
 * its socket open. They last net.ipv4.tcp_fin_timeout (1 s here) and then
 * expire.
 */
TEST_F_TIMEOUT(timewait, fin_wait2_expiry, 40)
{
	struct ctx *x = &self->x;
	const int m = 8;
	unsigned short cports[8] = { 0 };
	long long tw, start;

	SKIP_WITHOUT_CHILD_EHASH(variant->ehash);
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_fin_timeout", "1"));
	snapshot_take(_metadata, &x->before, x->w.module);
	start = now_ms();
	/*
	 * The scenario: each client socket became a FIN_WAIT2 timewait sock
	 * (the servers' sockets are in CLOSE_WAIT).
	 */
	tw = timewait_socks_made(_metadata, x, variant->family, m, cports,
				 x->sfds, 5);
	/* All within the 1 s the first one lives, or the counts mislead. */
	TH_LOG("%d timewait socks made in %lld ms", m, now_ms() - start);

	/* Expiry: max(tcp_fin_timeout, 3.5 RTO) = 1 s. */
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == 0, 10000))
		TH_LOG("sockstat tw %lld", sockstat_tw());
	EXPECT_EQ(0, proc_tcp_rows(variant->family, 5, 0));
	SKIP_IF_TRAFFIC_ONLY();
	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_TIME_WAIT) == 0, 2000))
		TH_LOG("time_wait gauge %llu, sockstat tw 0",
		       counter_get(TCPSTATE_C_TIME_WAIT));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, x->after.c.v[TCPSTATE_C_TIME_WAIT]);
	EXPECT_EQ(tw, CDELTA(x, TCPSTATE_C_TIMEWAIT_EXPIRED));
	EXPECT_EQ(MDELTA(x, M_RECYCLED),
		  CDELTA(x, TCPSTATE_C_TIMEWAIT_ENDED_EARLY));
	EXPECT_EQ(ARMED(x), CDELTA(x, TCPSTATE_C_TIMEWAIT_CREATED));

	if (!x->w.ring)
		return;
	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log,
				    TCPSTATE_EV_TIMEWAIT_END, -1, m, 5000));
	EXPECT_EQ(0, x->log.dropped);
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT, -1));
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END,
			      TCPSTATE_TWE_EXPIRED));
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END, -1));
	check_timewait_events(_metadata, &x->log, variant->family, cports,
			      m, TCP_FIN_WAIT2);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &x->log);
}

/*
 * TIME_WAIT proper (60 s): counted; then a connect() from the same port
 * takes over some (TcpExt TWRecycled), and deleting the netns purges the
 * rest. The dead netns's counters cannot be read: its events can.
 */
TEST_F_TIMEOUT(timewait, reuse_and_netns_exit, 60)
{
	struct ctx *x = &self->x;
	const int m = 6, r = 2;
	unsigned short cports[6];
	unsigned int ns;
	int i;

	SKIP_WITHOUT_CHILD_EHASH(variant->ehash);
	for (i = 0; i < m; i++)
		cports[i] = CLIENT_PORT + i;
	snapshot_take(_metadata, &x->before, x->w.module);
	timewait_socks_made(_metadata, x, variant->family, m, cports, NULL, 6);

	/* Take over the first r tuples: bind the same port, connect. */
	for (i = 0; i < r; i++) {
		int cfd = tcp_connect(variant->family, cports[i], LISTEN_PORT);
		int afd;

		ASSERT_LE(0, cfd) TH_LOG("reusing port %u: %s", cports[i],
					 strerror(-cfd));
		afd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
		ASSERT_LE(0, afd);
		tcp_abort(cfd);
		tcp_abort(afd);
	}
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == m - r, 5000));
	snapshot_take(_metadata, &x->after, x->w.module);
	TH_LOG("sockstat tw %lld, TWRecycled +%lld", x->after.sockstat_tw,
	       MDELTA(x, M_RECYCLED));
	ASSERT_EQ(r, MDELTA(x, M_RECYCLED));
	EXPECT_EQ(m - r, proc_tcp_rows(variant->family, 6, 0));
	if (x->w.module) {
		EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_TIME_WAIT) ==
				       (unsigned long long)(m - r), 2000));
		snapshot_take(_metadata, &x->after, true);
		EXPECT_EQ(x->after.sockstat_tw,
			  x->after.c.v[TCPSTATE_C_TIME_WAIT]);
		EXPECT_EQ(MDELTA(x, M_RECYCLED),
			  CDELTA(x, TCPSTATE_C_TIMEWAIT_ENDED_EARLY));
		EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_TIMEWAIT_EXPIRED));
	}

	/* Leave the netns with nothing holding it: it is deleted. */
	ns = netns_inode();
	close(x->lfd);
	x->lfd = -1;
	ASSERT_EQ(0, netns_enter(x->init_ns));
	ASSERT_NE(ns, netns_inode());
	SKIP_IF_TRAFFIC_ONLY();

	if (!x->w.ring)
		return;
	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log,
				    TCPSTATE_EV_TIMEWAIT_END,
				    TCPSTATE_TWE_NETNS_EXIT, m - r, 30000))
		TH_LOG("%d TIMEWAIT_END netns_exit events of netns %u",
		       ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END,
				TCPSTATE_TWE_NETNS_EXIT), ns);
	/* Whatever else the purge reports shows up by now too. */
	tcpstate_reader_wait(&x->w.reader, 200);
	ev_log_drain(&x->w.reader, &x->log);
	EXPECT_EQ(0, x->log.dropped);
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT, -1));
	EXPECT_EQ(r, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END,
			      TCPSTATE_TWE_REUSED));
	EXPECT_EQ(m - r, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END,
				  TCPSTATE_TWE_NETNS_EXIT));
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END, -1));
	check_timewait_events(_metadata, &x->log, variant->family, cports,
			      m, TCP_TIME_WAIT);
	/* The reused ones are the first r ports, the purged ones the rest. */
	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *ev = &x->log.ev[i];

		if (ev->type != TCPSTATE_EV_TIMEWAIT_END)
			continue;
		EXPECT_EQ(ns, ev->netns);
		EXPECT_TRUE(ev->reason == TCPSTATE_TWE_REUSED ?
			    port_in(ev->sport, cports, r) :
			    port_in(ev->sport, cports + r, m - r));
	}
	if (!_metadata->passed)
		ev_log_dump(_metadata, &x->log);
}

/*
 * An RST kills a FIN_WAIT2 timewait sock: the server, still in CLOSE_WAIT,
 * aborts (SO_LINGER 0). With tcp_fin_timeout at its default 60 s, the
 * timewait socks can only be gone within seconds if ended early.
 */
TEST_F_TIMEOUT(timewait, rst_kills_fin_wait2, 30)
{
	struct ctx *x = &self->x;
	const int m = 4;
	unsigned short cports[4] = { 0 };
	long long tw, start;
	int i;

	SKIP_WITHOUT_CHILD_EHASH(variant->ehash);
	ASSERT_EQ(60, sysctl_get("net.ipv4.tcp_fin_timeout"));
	snapshot_take(_metadata, &x->before, x->w.module);
	ASSERT_EQ(0, client_closed_connections(x->lfd, variant->family, m,
					       cports, x->sfds));
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == m, 5000));
	tw = sockstat_tw();
	ASSERT_EQ(m, tw);
	EXPECT_EQ(tw, proc_tcp_rows(variant->family, 5, 0));
	start = now_ms();
	for (i = 0; i < m; i++) {
		tcp_abort(x->sfds[i]);
		x->sfds[i] = -1;
	}
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == 0, 5000));
	TH_LOG("%lld FIN_WAIT2 timewait socks gone %lld ms after the RSTs",
	       tw, now_ms() - start);
	snapshot_take(_metadata, &x->after, x->w.module);
	ASSERT_EQ(0, x->after.sockstat_tw);
	EXPECT_ARMED_AT_CREATION(x, tw);
	EXPECT_EQ(0, MDELTA(x, M_RECYCLED));
	SKIP_IF_TRAFFIC_ONLY();
	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_TIME_WAIT) == 0, 2000));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, x->after.c.v[TCPSTATE_C_TIME_WAIT]);
	EXPECT_EQ(tw, CDELTA(x, TCPSTATE_C_TIMEWAIT_ENDED_EARLY));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_TIMEWAIT_EXPIRED));
	EXPECT_EQ(tw, CDELTA(x, TCPSTATE_C_TIMEWAIT_CREATED));

	if (!x->w.ring)
		return;
	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log,
				    TCPSTATE_EV_TIMEWAIT_END, -1, m, 5000));
	EXPECT_EQ(0, x->log.dropped);
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT, -1));
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END,
			      TCPSTATE_TWE_RST));
	check_timewait_events(_metadata, &x->log, variant->family, cports, m,
			      TCP_FIN_WAIT2);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &x->log);
}

/*
 * A SYN for the tuple of a TIME_WAIT sock takes it over: the server closes
 * first (its side goes to TIME_WAIT), then the client connects again from
 * the same port. Ground truth: the server-side st 06 rows vanish and each
 * SYN became a connection (Tcp PassiveOpens).
 */
TEST_F_TIMEOUT(timewait, syn_takes_over_time_wait, 30)
{
	struct ctx *x = &self->x;
	const int m = 3;
	unsigned short cports[3];
	long long tw, passive;
	char byte = 'x';
	int i, c, a;

	SKIP_WITHOUT_CHILD_EHASH(variant->ehash);
	snapshot_take(_metadata, &x->before, x->w.module);
	for (i = 0; i < m; i++) {
		cports[i] = CLIENT_PORT + 100 + i;
		c = tcp_connect(variant->family, cports[i], LISTEN_PORT);
		ASSERT_LE(0, c);
		a = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
		ASSERT_LE(0, a);
		ASSERT_EQ(1, write(c, &byte, 1));
		ASSERT_EQ(1, read(a, &byte, 1));
		close(a);
		ASSERT_EQ(0, read(c, &byte, 1));
		close(c);
	}
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == m &&
			       proc_tcp_rows(variant->family, 6, LISTEN_PORT) ==
			       m, 5000));
	tw = proc_tcp_rows(variant->family, 6, LISTEN_PORT);
	TH_LOG("server-side st 06 rows %lld, sockstat tw %lld", tw,
	       sockstat_tw());
	ASSERT_EQ(m, tw);
	ASSERT_EQ(m, sockstat_tw());
	if (x->w.module)
		EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_TIME_WAIT) ==
				       (unsigned long long)m, 2000));

	passive = mib_get("Tcp", "PassiveOpens");
	for (i = 0; i < m; i++) {
		c = tcp_connect(variant->family, cports[i], LISTEN_PORT);
		ASSERT_LE(0, c) TH_LOG("port %u: %s", cports[i], strerror(-c));
		a = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
		ASSERT_LE(0, a);
		tcp_abort(c);
		tcp_abort(a);
	}
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == 0, 5000));
	snapshot_take(_metadata, &x->after, x->w.module);
	EXPECT_EQ(0, proc_tcp_rows(variant->family, 6, 0));
	EXPECT_EQ(m, mib_get("Tcp", "PassiveOpens") - passive);
	EXPECT_EQ(0, MDELTA(x, M_RECYCLED));
	SKIP_IF_TRAFFIC_ONLY();
	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_TIME_WAIT) == 0, 2000));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, x->after.c.v[TCPSTATE_C_TIME_WAIT]);
	EXPECT_EQ(tw, CDELTA(x, TCPSTATE_C_TIMEWAIT_ENDED_EARLY));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_TIMEWAIT_EXPIRED));

	if (!x->w.ring)
		return;
	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log,
				    TCPSTATE_EV_TIMEWAIT_END, -1, m, 5000));
	EXPECT_EQ(0, x->log.dropped);
	EXPECT_EQ(m, ev_count(&x->log, TCPSTATE_EV_TIMEWAIT_END,
			      TCPSTATE_TWE_REUSED));
	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *ev = &x->log.ev[i];

		if (ev->type != TCPSTATE_EV_TIMEWAIT &&
		    ev->type != TCPSTATE_EV_TIMEWAIT_END)
			continue;
		/*
		 * The server's socket was closed first, so orphaned: if the
		 * ACK of its FIN comes before the client's FIN, it becomes a
		 * timewait sock in substate FIN_WAIT2 (tcp_rcv_state_process),
		 * which the client's FIN then moves to TIME_WAIT inside the
		 * timewait sock. Either way it ends in TIME_WAIT.
		 */
		if (ev->type == TCPSTATE_EV_TIMEWAIT) {
			EXPECT_TRUE(ev->newstate == TCP_TIME_WAIT ||
				    ev->newstate == TCP_FIN_WAIT2);
		} else {
			EXPECT_EQ(TCP_TIME_WAIT, ev->newstate);
		}
		EXPECT_EQ(LISTEN_PORT, ev->sport);
		EXPECT_TRUE(port_in(ev->dport, cports, m));
	}
	if (!_metadata->passed)
		ev_log_dump(_metadata, &x->log);
}

/* One real TIME_WAIT expiry, 60 s: TCPSTATE_SLOW=1 only (make check-slow). */
TEST_F_TIMEOUT(timewait_slow, real_time_wait_expiry, 120)
{
	struct ctx *x = &self->x;
	const int m = 2;
	long long tw;

	if (!getenv("TCPSTATE_SLOW"))
		SKIP(return, "takes 60 s: set TCPSTATE_SLOW=1 to run it");
	snapshot_take(_metadata, &x->before, x->w.module);
	ASSERT_EQ(0, client_closed_connections(x->lfd, AF_INET, m, NULL,
					       NULL));
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == m, 5000));
	tw = sockstat_tw();
	ASSERT_EQ(m, tw);
	EXPECT_TRUE(POLL_UNTIL(sockstat_tw() == 0, 75000));
	SKIP_IF_TRAFFIC_ONLY();
	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_TIME_WAIT) == 0, 2000));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(tw, CDELTA(x, TCPSTATE_C_TIMEWAIT_EXPIRED));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_TIMEWAIT_ENDED_EARLY));
}

TEST_HARNESS_MAIN
