// SPDX-License-Identifier: GPL-2.0
/*
 * SYN queue and accept queue selftests, run as root in the VM
 * (scripts/guest/check.sh), each in a network namespace of its own.
 *
 * Every expectation is the kernel's own figure for the same traffic: rows
 * of /proc/net/tcp{,6} (a request sock is "st 03"), the listener's accept
 * queue length (its rx_queue there), and the TcpExt MIBs of
 * /proc/net/netstat, read before and after. tcpstate's per-netns counters
 * (/proc/net/tcpstate) and its ring events must tell the same story.
 *
 * TCPSTATE_TRAFFIC_ONLY=1 checks the kernel's figures alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define LISTEN_PORT	8080
#define SPOOF_SPORT	40000
#define MAX_LOG		16384

/* What every test here holds; torn down by ctx_teardown(). */
struct ctx {
	struct ts_watch w;
	struct ev_log log;
	int lfd;
	struct ts_addr sink;
	struct ts_snapshot before, after;
};

/*
 * Watch (the ring unless @no_reader, opened in the init netns), then move
 * to a new netns with the sink device, where the test's traffic runs.
 */
static void ctx_setup(struct __test_metadata *_metadata, struct ctx *x,
		      int family, bool no_reader)
{
	char err[256];

	x->lfd = -1;
	ASSERT_EQ(0, ts_watch_open(&x->w, no_reader, err, sizeof(err)))
		TH_LOG("%s", err);
	if (ts_watch_limits(&x->w))
		TH_LOG("%s", ts_watch_limits(&x->w));
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, sink_setup());
	ASSERT_EQ(0, ev_log_init(&x->log, MAX_LOG, netns_inode()));
	ASSERT_EQ(0, ts_addr_parse(family, family == AF_INET ? SINK_ADDR4 :
								SINK_ADDR6,
				   &x->sink));
}

static void ctx_teardown(struct ctx *x)
{
	if (x->lfd >= 0)
		close(x->lfd);
	ts_watch_close(&x->w);
	ev_log_free(&x->log);
}

FIXTURE(half_open)
{
	struct ctx x;
};

FIXTURE_VARIANT(half_open)
{
	int family;
	/* IPv4 traffic to a dual-stack IPv6 listener. */
	bool mapped;
	int synack_retries;	/* net.ipv4.tcp_synack_retries */
};

/* Retransmits at 1 s and 3 s, expiry at 7 s (TCP_TIMEOUT_INIT << i). */
FIXTURE_VARIANT_ADD(half_open, ipv4) {
	.family = AF_INET, .synack_retries = 2,
};

FIXTURE_VARIANT_ADD(half_open, ipv6) {
	.family = AF_INET6, .synack_retries = 2,
};

/* A retransmit at 1 s, expiry at 3 s. */
FIXTURE_VARIANT_ADD(half_open, ipv4_to_dual_stack) {
	.family = AF_INET, .mapped = true, .synack_retries = 1,
};

FIXTURE_SETUP(half_open)
{
	ctx_setup(_metadata, &self->x, variant->family, false);
}

FIXTURE_TEARDOWN(half_open)
{
	ctx_teardown(&self->x);
}

FIXTURE(syn_queue_full)
{
	struct ctx x;
};

FIXTURE_VARIANT(syn_queue_full)
{
	int family;
	int syncookies;		/* net.ipv4.tcp_syncookies */
	bool no_reader;		/* counters only, nobody holds the ring */
};

FIXTURE_VARIANT_ADD(syn_queue_full, ipv4_cookies) {
	.family = AF_INET, .syncookies = 1,
};

FIXTURE_VARIANT_ADD(syn_queue_full, ipv6_cookies) {
	.family = AF_INET6, .syncookies = 1,
};

FIXTURE_VARIANT_ADD(syn_queue_full, ipv4_no_cookies) {
	.family = AF_INET, .syncookies = 0,
};

FIXTURE_VARIANT_ADD(syn_queue_full, ipv6_no_cookies) {
	.family = AF_INET6, .syncookies = 0,
};

FIXTURE_VARIANT_ADD(syn_queue_full, ipv4_cookies_no_reader) {
	.family = AF_INET, .syncookies = 1, .no_reader = true,
};

FIXTURE_VARIANT_ADD(syn_queue_full, ipv4_no_cookies_no_reader) {
	.family = AF_INET, .syncookies = 0, .no_reader = true,
};

FIXTURE_SETUP(syn_queue_full)
{
	ctx_setup(_metadata, &self->x, variant->family, variant->no_reader);
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_syncookies",
				variant->syncookies ? "1" : "0"));
}

FIXTURE_TEARDOWN(syn_queue_full)
{
	ctx_teardown(&self->x);
}

FIXTURE(accept_overflow)
{
	struct ctx x;
};

FIXTURE_VARIANT(accept_overflow)
{
	int family;
	int lo_delay_ms;	/* netem delay on lo, 0: none */
	bool mapped;		/* IPv4 to a dual-stack IPv6 listener */
	bool no_reader;		/* counters only, nobody holds the ring */
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv6) {
	.family = AF_INET6,
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv4_lo_delayed) {
	.family = AF_INET, .lo_delay_ms = 50,
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv6_lo_delayed) {
	.family = AF_INET6, .lo_delay_ms = 50,
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv4_to_dual_stack) {
	.family = AF_INET, .mapped = true,
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv4_to_dual_stack_lo_delayed) {
	.family = AF_INET, .lo_delay_ms = 50, .mapped = true,
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv4_no_reader) {
	.family = AF_INET, .no_reader = true,
};

FIXTURE_VARIANT_ADD(accept_overflow, ipv4_lo_delayed_no_reader) {
	.family = AF_INET, .lo_delay_ms = 50, .no_reader = true,
};

FIXTURE_SETUP(accept_overflow)
{
	ctx_setup(_metadata, &self->x, variant->family, variant->no_reader);
}

FIXTURE_TEARDOWN(accept_overflow)
{
	ctx_teardown(&self->x);
}

static bool mirrors_settled(struct __test_metadata *_metadata,
			    struct ts_snapshot *b, struct ts_snapshot *a)
{
	snapshot_take(_metadata, a, true);
	return MIRRORS_AGREE(b, a);
}

/*
 * The listener's accept queue and SYN queue (st 03 rows) read the same
 * twice around tcpstate's counters, which agree with them and with the
 * MIBs. Fills @x->after.
 */
static bool overflow_settled(struct __test_metadata *_metadata,
			     struct ctx *x, int lfam, unsigned short port,
			     int *acceptq, int *rows)
{
	*acceptq = proc_tcp_listen_rxq(lfam, port);
	*rows = proc_tcp_rows(lfam, 3, port);
	if (!mirrors_settled(_metadata, &x->before, &x->after))
		return false;
	return *acceptq == proc_tcp_listen_rxq(lfam, port) &&
	       *rows == proc_tcp_rows(lfam, 3, port) &&
	       CDELTA(x, TCPSTATE_C_ACCEPT_QUEUED) == *acceptq &&
	       x->after.c.v[TCPSTATE_C_SYN_RECV] == (unsigned long long)*rows;
}

/* The ids of the first @n listeners on @port, in the order they listened. */
static int listener_ids(const struct ev_log *log, unsigned short port,
			__u64 *ids, int n)
{
	int i, found = 0;

	for (i = 0; i < log->n && found < n; i++)
		if (log->ev[i].type == TCPSTATE_EV_STATE &&
		    log->ev[i].oldstate == TCP_CLOSE &&
		    log->ev[i].newstate == TCP_LISTEN &&
		    log->ev[i].sport == port)
			ids[found++] = log->ev[i].sock_id;
	return found;
}

/* The id of the listener on @port; 0 if it made no LISTEN event. */
static __u64 listener_id(const struct ev_log *log, unsigned short port)
{
	__u64 id = 0;

	listener_ids(log, port, &id, 1);
	return id;
}

/*
 * The ring's part of a test: drain until @n events of @type came (within
 * @timeout_ms), none dropped, and the listener on @port made its LISTEN
 * event. The listener's id.
 */
static __u64 ring_caught_up(struct __test_metadata *_metadata, struct ctx *x,
			    unsigned int type, int n, int timeout_ms,
			    unsigned short port)
{
	__u64 listener;

	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log, type, -1, n,
				    timeout_ms));
	EXPECT_EQ(0, x->log.dropped);
	listener = listener_id(&x->log, port);
	EXPECT_NE(0, listener);
	return listener;
}

/*
 * N half-open connections whose SYN-ACKs vanish into the sink device: each
 * request sock is retransmitted k times (net.ipv4.tcp_synack_retries) and
 * then expires. Ground truth: the st 03 rows of /proc/net/tcp{,6} and
 * TcpExt TCPSynRetrans (no client exists, so every SYN retransmit counted
 * in this netns is a SYN-ACK's).
 */
TEST_F_TIMEOUT(half_open, expire, 60)
{
	struct ctx *x = &self->x;
	const int n = 16, k = variant->synack_retries;
	/* The listener's family: request socks show in its /proc file. */
	const int lfam = variant->mapped ? AF_INET6 : variant->family;
	struct ts_addr esink;
	__u64 listener;
	char text[16];
	int i, rows;

	snprintf(text, sizeof(text), "%d", k);
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_synack_retries", text));
	if (variant->mapped) {
		x->lfd = tcp_listen_dual(LISTEN_PORT, 64);
		ts_addr_v4mapped(&x->sink, &esink);
	} else {
		x->lfd = tcp_listen(variant->family, &x->sink, LISTEN_PORT, 64);
		esink = x->sink;
	}
	ASSERT_LE(0, x->lfd);
	snapshot_take(_metadata, &x->before, x->w.module);

	for (i = 1; i <= n; i++) {
		struct ts_addr src;

		spoof_addr(variant->family, i, &src);
		ASSERT_EQ(0, raw_syn_send(&src, SPOOF_SPORT + i, &x->sink,
					  LISTEN_PORT, 0x01000000U * i));
	}
	/* The first retransmit is 1 s away: all N are in the queue now. */
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(lfam, 3,
					     LISTEN_PORT) == n, 5000));
	rows = proc_tcp_rows(lfam, 3, LISTEN_PORT);
	TH_LOG("st 03 rows: %d", rows);
	ASSERT_EQ(n, rows);
	if (x->w.module) {
		snapshot_take(_metadata, &x->after, true);
		EXPECT_EQ(rows, x->after.c.v[TCPSTATE_C_SYN_RECV]);
		EXPECT_EQ(rows, CDELTA(x, TCPSTATE_C_SYN_QUEUE_ADDED));
	}

	/* Expiry after 2^(k+1) - 1 s. */
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(lfam, 3,
					     LISTEN_PORT) == 0, 20000))
		TH_LOG("%d st 03 rows left", proc_tcp_rows(lfam,
							   3, LISTEN_PORT));
	snapshot_take(_metadata, &x->after, false);
	TH_LOG("TCPSynRetrans +%lld",
	       MDELTA(x, M_SYNRETRANS));
	/* The scenario: every request sock had its k retransmits. */
	ASSERT_EQ(n * k, MDELTA(x, M_SYNRETRANS));
	SKIP_IF_TRAFFIC_ONLY();

	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_SYN_RECV) == 0, 2000))
		TH_LOG("syn_recv gauge %llu after every request expired",
		       counter_get(TCPSTATE_C_SYN_RECV));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, x->after.c.v[TCPSTATE_C_SYN_RECV]);
	EXPECT_EQ(n, CDELTA(x, TCPSTATE_C_SYN_QUEUE_EXPIRED));
	EXPECT_EQ(MDELTA(x, M_SYNRETRANS),
		  CDELTA(x, TCPSTATE_C_SYNACK_RETRANS));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_SYN_QUEUE_COMPLETED));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_SYN_QUEUE_DROPPED));
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);

	/* The ring: per request sock, SYN_RECV, k retransmits, the end. */
	if (!x->w.ring)
		return;
	listener = ring_caught_up(_metadata, x, TCPSTATE_EV_SYN_RECV_END, n,
				  5000, LISTEN_PORT);
	EXPECT_EQ(n, ev_count(&x->log, TCPSTATE_EV_SYN_RECV, -1));
	EXPECT_EQ(n * k, ev_count(&x->log, TCPSTATE_EV_SYNACK_RETRANS, -1));
	EXPECT_EQ(n, ev_count(&x->log, TCPSTATE_EV_SYN_RECV_END,
			      TCPSTATE_SRE_EXPIRED));
	EXPECT_EQ(n, ev_count(&x->log, TCPSTATE_EV_SYN_RECV_END, -1));

	bool seen[64] = { false };
	unsigned int maxq = 0;

	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *ev = &x->log.ev[i];
		unsigned int src = ev->dport - SPOOF_SPORT;
		struct ts_addr spoof;
		int j, retrans = 0;
		char buf[256];
		bool ended = false;

		if (ev->type != TCPSTATE_EV_SYN_RECV)
			continue;
		EXPECT_TRUE(src >= 1 && src <= (unsigned int)n)
			TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
		if (src < 1 || src > (unsigned int)n)
			continue;
		EXPECT_FALSE(seen[src]);
		seen[src] = true;
		spoof_addr(variant->family, src, &spoof);
		if (variant->mapped) {
			struct ts_addr v4 = spoof;

			ts_addr_v4mapped(&v4, &spoof);
		}
		EXPECT_EQ(lfam, ev->family);
		EXPECT_TRUE(ts_addr_eq_raw(&esink, ev->saddr))
			TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
		EXPECT_TRUE(ts_addr_eq_raw(&spoof, ev->daddr))
			TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
		EXPECT_EQ(LISTEN_PORT, ev->sport);
		EXPECT_NE(0, ev->sock_id);
		EXPECT_EQ(listener, ev->peer_id);
		EXPECT_EQ(64, ev->qmax);
		EXPECT_LE(1, ev->qlen);
		EXPECT_GE(n, ev->qlen);
		if (ev->qlen > maxq)
			maxq = ev->qlen;

		for (j = i + 1; j < x->log.n; j++) {
			const struct tcpstate_event *e = &x->log.ev[j];

			if (e->sock_id != ev->sock_id)
				continue;
			EXPECT_FALSE(ended)
				TH_LOG("after its end: %s",
				       ev_str(e, buf, sizeof(buf)));
			if (e->type == TCPSTATE_EV_SYNACK_RETRANS) {
				EXPECT_EQ(++retrans, (int)e->count);
				EXPECT_EQ(listener, e->peer_id);
				EXPECT_EQ(LISTEN_PORT, e->sport);
				EXPECT_EQ(ev->dport, e->dport);
			} else if (e->type == TCPSTATE_EV_SYN_RECV_END) {
				EXPECT_EQ(TCPSTATE_SRE_EXPIRED, e->reason);
				EXPECT_EQ(k, (int)e->count);
				EXPECT_EQ(listener, e->peer_id);
				EXPECT_GT(n, (int)e->qlen);
				ended = true;
			} else {
				EXPECT_TRUE(false)
					TH_LOG("unexpected %s",
					       ev_str(e, buf, sizeof(buf)));
			}
		}
		EXPECT_EQ(k, retrans) TH_LOG("source %u", src);
		EXPECT_TRUE(ended) TH_LOG("source %u never ended", src);
	}
	EXPECT_EQ((unsigned int)n, maxq);

	/*
	 * Each SYN_RECV_END's qlen is the queue once its request sock left:
	 * the last of the N to go leaves it empty (one read before the
	 * removal would say 1).
	 */
	unsigned int min_end_q = n;

	for (i = 0; i < x->log.n; i++)
		if (x->log.ev[i].type == TCPSTATE_EV_SYN_RECV_END &&
		    x->log.ev[i].qlen < min_end_q)
			min_end_q = x->log.ev[i].qlen;
	EXPECT_EQ(0, min_end_q);
	if (_metadata->passed == 0)
		ev_log_dump(_metadata, &x->log);
}

/*
 * A listener of an SO_REUSEPORT group on @port, for @family's traffic to
 * @addr (dual-stack when @mapped): fd or -errno.
 */
static int reuseport_listen(int family, bool mapped, const struct ts_addr *addr,
			    unsigned short port)
{
	struct sockaddr_in6 any = {
		.sin6_family = AF_INET6, .sin6_port = htons(port),
		.sin6_addr = IN6ADDR_ANY_INIT,
	};
	int fd, one = 1, v6only = !mapped;
	struct sockaddr_storage ss;
	socklen_t len;

	fd = socket(mapped ? AF_INET6 : family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (mapped) {
		memcpy(&ss, &any, sizeof(any));
		len = sizeof(any);
	} else {
		len = ts_sockaddr(addr, port, &ss);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    ((mapped || family == AF_INET6) &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
			sizeof(v6only))) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 64)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * N half-open connections to two listeners of an SO_REUSEPORT group, then
 * the first closes: with net.ipv4.tcp_migrate_req, each of its request
 * socks is moved by its next SYN-ACK timer to the second listener, a copy
 * taking its place in the established hash, and expires there. Ground
 * truth: TcpExt TCPMigrateReqSuccess and TCPMigrateReqFailure, the st 03
 * rows, TCPSynRetrans.
 */
TEST_F_TIMEOUT(half_open, migrate, 60)
{
	struct ctx *x = &self->x;
	const int n = 24, k = variant->synack_retries;
	const int lfam = variant->mapped ? AF_INET6 : variant->family;
	long long ok0, failed0, moved, failed;
	__u64 listener[2];
	int i, lfd0, rows;
	char text[16];

	/* Debian's 5.10 has the sysctl (a partial backport), not the move. */
	if (mib_get("TcpExt", "TCPMigrateReqSuccess") < 0)
		SKIP(return, "no TcpExt TCPMigrateReqSuccess: this kernel does not migrate request socks");
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_migrate_req", "1"));
	snprintf(text, sizeof(text), "%d", k);
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_synack_retries", text));
	lfd0 = reuseport_listen(variant->family, variant->mapped, &x->sink,
				LISTEN_PORT);
	ASSERT_LE(0, lfd0);
	x->lfd = reuseport_listen(variant->family, variant->mapped, &x->sink,
				  LISTEN_PORT);
	ASSERT_LE(0, x->lfd);
	snapshot_take(_metadata, &x->before, x->w.module);
	ok0 = mib_get("TcpExt", "TCPMigrateReqSuccess");
	failed0 = mib_get("TcpExt", "TCPMigrateReqFailure");
	ASSERT_LE(0, ok0);
	ASSERT_LE(0, failed0);

	for (i = 1; i <= n; i++) {
		struct ts_addr src;

		spoof_addr(variant->family, i, &src);
		ASSERT_EQ(0, raw_syn_send(&src, SPOOF_SPORT + i, &x->sink,
					  LISTEN_PORT, 0x01000000U * i));
	}
	/* The first retransmit is 1 s away: none has moved yet. */
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(lfam, 3,
					     LISTEN_PORT) == n, 5000));
	ASSERT_EQ(n, proc_tcp_rows(lfam, 3, LISTEN_PORT));
	ASSERT_EQ(ok0, mib_get("TcpExt", "TCPMigrateReqSuccess"));
	close(lfd0);

	/* Every request sock expires, moved or not, after 2^(k+1) - 1 s. */
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(lfam, 3,
					     LISTEN_PORT) == 0, 20000));
	rows = proc_tcp_rows(lfam, 3, LISTEN_PORT);
	ASSERT_EQ(0, rows);
	snapshot_take(_metadata, &x->after, false);
	moved = mib_get("TcpExt", "TCPMigrateReqSuccess") - ok0;
	failed = mib_get("TcpExt", "TCPMigrateReqFailure") - failed0;
	TH_LOG("TCPMigrateReqSuccess +%lld, TCPMigrateReqFailure +%lld, TCPSynRetrans +%lld",
	       moved, failed, MDELTA(x, M_SYNRETRANS));
	/*
	 * The scenario: the reuseport hash gave the first listener some of
	 * the N (none: 2^-24), each moved at its first retransmit.
	 */
	ASSERT_LT(0, moved);
	ASSERT_GT(n, moved);
	ASSERT_EQ(0, failed);
	ASSERT_EQ(n * k, MDELTA(x, M_SYNRETRANS));
	SKIP_IF_TRAFFIC_ONLY();

	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_SYN_RECV) == 0, 2000))
		TH_LOG("syn_recv gauge %llu after every request expired",
		       counter_get(TCPSTATE_C_SYN_RECV));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, x->after.c.v[TCPSTATE_C_SYN_RECV]);
	EXPECT_EQ(moved, CDELTA(x, TCPSTATE_C_SYN_QUEUE_MIGRATED));
	EXPECT_EQ(n + moved, CDELTA(x, TCPSTATE_C_SYN_QUEUE_ADDED));
	EXPECT_EQ(n, CDELTA(x, TCPSTATE_C_SYN_QUEUE_EXPIRED));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_SYN_QUEUE_DROPPED));
	EXPECT_EQ(MDELTA(x, M_SYNRETRANS),
		  CDELTA(x, TCPSTATE_C_SYNACK_RETRANS));
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);

	/*
	 * The ring: each move is the old request sock's end, naming its
	 * copy, and the copy's SYN_RECV on the second listener, with the
	 * same tuple; the copy expires there.
	 */
	if (!x->w.ring)
		return;
	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log,
				    TCPSTATE_EV_SYN_RECV_END, -1, n + moved,
				    5000));
	EXPECT_EQ(0, x->log.dropped);
	ASSERT_EQ(2, listener_ids(&x->log, LISTEN_PORT, listener, 2));
	EXPECT_EQ(n + moved, ev_count(&x->log, TCPSTATE_EV_SYN_RECV, -1));
	EXPECT_EQ(moved, ev_count(&x->log, TCPSTATE_EV_SYN_RECV_END,
				  TCPSTATE_SRE_MIGRATED));
	EXPECT_EQ(n, ev_count(&x->log, TCPSTATE_EV_SYN_RECV_END,
			      TCPSTATE_SRE_EXPIRED));
	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *end = &x->log.ev[i], *orig = NULL;
		bool started = false, expired = false;
		char buf[256];
		int j;

		if (end->type != TCPSTATE_EV_SYN_RECV_END ||
		    end->reason != TCPSTATE_SRE_MIGRATED)
			continue;
		for (j = 0; j < i; j++)
			if (x->log.ev[j].type == TCPSTATE_EV_SYN_RECV &&
			    x->log.ev[j].sock_id == end->sock_id)
				orig = &x->log.ev[j];
		EXPECT_TRUE(orig && orig->peer_id == listener[0])
			TH_LOG("%s: not queued on the first listener",
			       ev_str(end, buf, sizeof(buf)));
		if (!orig)
			continue;
		for (j = i + 1; j < x->log.n; j++) {
			const struct tcpstate_event *e = &x->log.ev[j];

			if (e->sock_id != end->peer_id)
				continue;
			if (e->type == TCPSTATE_EV_SYN_RECV) {
				started = true;
				EXPECT_EQ(listener[1], e->peer_id);
				EXPECT_EQ(end->dport, e->dport);
				EXPECT_EQ(0, memcmp(end->daddr, e->daddr,
						    sizeof(e->daddr)));
				EXPECT_EQ(orig->iss, e->iss);
				EXPECT_EQ(orig->irs, e->irs);
			} else if (e->type == TCPSTATE_EV_SYN_RECV_END) {
				EXPECT_TRUE(started);
				EXPECT_EQ(TCPSTATE_SRE_EXPIRED, e->reason);
				EXPECT_EQ(listener[1], e->peer_id);
				expired = true;
			}
		}
		EXPECT_TRUE(started && expired)
			TH_LOG("%s: copy started %d, expired %d",
			       ev_str(end, buf, sizeof(buf)), started, expired);
	}
	if (_metadata->passed == 0)
		ev_log_dump(_metadata, &x->log);
}

/*
 * N half-open connections whose retransmitted SYN-ACKs cannot be sent:
 * once queued, the route to their sources becomes a blackhole, so each
 * retransmit's route lookup fails in tcp_v{4,6}_send_synack().
 * tcp:tcp_retransmit_synack and TcpExt TCPSynRetrans count only SYN-ACKs
 * sent: tcpstate too, in both attach modes. The request socks still
 * expire after their retries.
 */
TEST_F_TIMEOUT(half_open, unsent_retransmits, 60)
{
	struct ctx *x = &self->x;
	const int n = 8;
	const int lfam = variant->mapped ? AF_INET6 : variant->family;
	char text[16];
	int i;

	snprintf(text, sizeof(text), "%d", variant->synack_retries);
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_synack_retries", text));
	x->lfd = variant->mapped ? tcp_listen_dual(LISTEN_PORT, 64) :
		 tcp_listen(variant->family, &x->sink, LISTEN_PORT, 64);
	ASSERT_LE(0, x->lfd);
	snapshot_take(_metadata, &x->before, x->w.module);
	for (i = 1; i <= n; i++) {
		struct ts_addr src;

		spoof_addr(variant->family, i, &src);
		ASSERT_EQ(0, raw_syn_send(&src, SPOOF_SPORT + i, &x->sink,
					  LISTEN_PORT, 0x01000000U * i));
	}
	ASSERT_TRUE(POLL_UNTIL(proc_tcp_rows(lfam, 3, LISTEN_PORT) == n, 5000));
	/* Before the first retransmit, 1 s after each SYN. */
	ASSERT_EQ(0, variant->family == AF_INET ?
		     sh("ip route replace blackhole " SPOOF_PREFIX4) :
		     sh("ip -6 route replace blackhole " SPOOF_PREFIX6));
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(lfam, 3, LISTEN_PORT) == 0, 20000));
	snapshot_take(_metadata, &x->after, false);
	/* The scenario: not one SYN-ACK retransmit went out. */
	ASSERT_EQ(0, MDELTA(x, M_SYNRETRANS));
	SKIP_IF_TRAFFIC_ONLY();

	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_SYN_RECV) == 0, 2000));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(MDELTA(x, M_SYNRETRANS), CDELTA(x, TCPSTATE_C_SYNACK_RETRANS));
	EXPECT_EQ(n, CDELTA(x, TCPSTATE_C_SYN_QUEUE_EXPIRED));
	if (!x->w.ring)
		return;
	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log,
				    TCPSTATE_EV_SYN_RECV_END, -1, n, 5000));
	EXPECT_EQ(0, ev_count(&x->log, TCPSTATE_EV_SYNACK_RETRANS, -1));
}

/* One's complement sum of @len bytes at @p, added to @sum. */
static uint32_t tfo_csum_add(uint32_t sum, const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/*
 * A SYN carrying one byte of data from @src:@sport to @dst:@dport, through
 * a raw socket: with net.ipv4.tcp_fastopen 0x202 (server, no cookie
 * needed) the listener makes a Fast Open child at once. 0 or -errno.
 */
static int tfo_syn_send(const struct ts_addr *src, unsigned short sport,
			const struct ts_addr *dst, unsigned short dport)
{
	unsigned char pkt[sizeof(struct iphdr) + sizeof(struct tcphdr) + 1];
	const size_t tcplen = sizeof(struct tcphdr) + 1;
	struct iphdr *ip = (struct iphdr *)pkt;
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint32_t sum = 0;
	int fd, err = 0;

	memset(pkt, 0, sizeof(pkt));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->tot_len = htons(sizeof(pkt));
	ip->saddr = src->v4.s_addr;
	ip->daddr = dst->v4.s_addr;
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(0x0a000000U);
	th->doff = sizeof(*th) / 4;
	th->syn = 1;
	th->window = htons(64240);
	pkt[sizeof(pkt) - 1] = 'x';
	sum = tfo_csum_add(sum, &ip->saddr, 8);
	sum += IPPROTO_TCP + tcplen;
	sum = tfo_csum_add(sum, th, tcplen);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	th->check = htons((uint16_t)~sum);

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	sin.sin_addr = dst->v4;
	if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sin,
		   sizeof(sin)) != (ssize_t)sizeof(pkt))
		err = -errno;
	close(fd);
	return err;
}

/*
 * A Fast Open child whose SYN-ACK vanishes into the sink: its timer
 * (tcp_fastopen_synack_timer()) retransmits it through tcp_rtx_synack()
 * with the child as the socket. The SYNACK_RETRANS event's peer_id is
 * still the listener, as for any request sock.
 */
TEST_F_TIMEOUT(half_open, fastopen_retransmit, 30)
{
	struct ctx *x = &self->x;
	struct ts_addr src;
	__u64 listener;
	int qlen = 16, i, seen = 0;
	char buf[256];

	if (variant->family != AF_INET || variant->mapped)
		SKIP(return, "IPv4 only: the data-carrying SYN is built here for IPv4");
	if (!x->w.ring)
		SKIP(return, "no ring: the event's ids are what is checked");
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_fastopen", "514"));
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_synack_retries", "1"));
	x->lfd = tcp_listen(AF_INET, &x->sink, LISTEN_PORT, 64);
	ASSERT_LE(0, x->lfd);
	ASSERT_EQ(0, setsockopt(x->lfd, IPPROTO_TCP, TCP_FASTOPEN, &qlen,
				sizeof(qlen)));
	snapshot_take(_metadata, &x->before, x->w.module);
	spoof_addr(AF_INET, 1, &src);
	ASSERT_EQ(0, tfo_syn_send(&src, SPOOF_SPORT + 1, &x->sink, LISTEN_PORT));
	/* Fast Open: a child at once, no request sock in the SYN queue. */
	EXPECT_TRUE(POLL_UNTIL(mib_get("TcpExt", "TCPFastOpenPassive") -
			       mib_get("TcpExt", "TCPFastOpenPassiveFail") >= 1, 3000));
	EXPECT_TRUE(POLL_UNTIL(mib_get("TcpExt", "TCPSynRetrans") -
			       x->before.mib[M_SYNRETRANS] >= 1, 5000));
	listener = ring_caught_up(_metadata, x, TCPSTATE_EV_SYNACK_RETRANS, 1,
				  5000, LISTEN_PORT);
	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *ev = &x->log.ev[i];

		if (ev->type != TCPSTATE_EV_SYNACK_RETRANS)
			continue;
		seen++;
		EXPECT_EQ(listener, ev->peer_id)
			TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
		EXPECT_EQ(LISTEN_PORT, ev->sport);
		EXPECT_EQ(SPOOF_SPORT + 1, ev->dport);
	}
	EXPECT_LE(1, seen);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &x->log);
}

/*
 * A listener with backlog 1 holds two request socks (the SYN queue is full
 * when its length exceeds the backlog). More SYNs get SYN cookies
 * (tcp_syncookies=1) or are dropped (0). Closing the listener ends the
 * queued request socks. Ground truth: st 03 rows, TcpExt SyncookiesSent,
 * TCPReqQFullDrop, ListenDrops.
 */
TEST_F_TIMEOUT(syn_queue_full, cookies_or_drops, 30)
{
	struct ctx *x = &self->x;
	const int n = 6;
	int i, rows, accounted;
	__u64 listener;

	x->lfd = tcp_listen(variant->family, &x->sink, LISTEN_PORT, 1);
	ASSERT_LE(0, x->lfd);
	snapshot_take(_metadata, &x->before, x->w.module);

	for (i = 1; i <= n; i++) {
		struct ts_addr src;

		spoof_addr(variant->family, i, &src);
		ASSERT_EQ(0, raw_syn_send(&src, SPOOF_SPORT + i, &x->sink,
					  LISTEN_PORT, 0x01000000U * i));
	}
	/* Every SYN is accounted for: queued, cookied or dropped. */
	accounted = POLL_UNTIL(
		(snapshot_take(_metadata, &x->after, false),
		 proc_tcp_rows(variant->family, 3, LISTEN_PORT) +
		 MDELTA(x, M_COOKIES) +
		 MDELTA(x, M_QFULL) == n), 5000);
	rows = proc_tcp_rows(variant->family, 3, LISTEN_PORT);
	TH_LOG("st 03 rows %d, SyncookiesSent +%lld, TCPReqQFullDrop +%lld, ListenDrops +%lld",
	       rows, MDELTA(x, M_COOKIES),
	       MDELTA(x, M_QFULL),
	       MDELTA(x, M_DROPS));
	EXPECT_TRUE(accounted);
	/* The scenario: the queue filled, and the rest took the path chosen. */
	EXPECT_LT(0, rows);
	EXPECT_GT(n, rows);
	EXPECT_EQ(n - rows, MDELTA(x, variant->syncookies ? M_COOKIES :
							    M_QFULL));

	if (x->w.module) {
		snapshot_take(_metadata, &x->after, true);
		EXPECT_EQ(rows, x->after.c.v[TCPSTATE_C_SYN_RECV]);
		EXPECT_EQ(rows, CDELTA(x, TCPSTATE_C_SYN_QUEUE_ADDED));
		EXPECT_MIRRORS_AGREE(&x->before, &x->after);
	}

	/* The listener goes: its request socks go with it. */
	close(x->lfd);
	x->lfd = -1;
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(variant->family, 3,
					     LISTEN_PORT) == 0, 5000));
	SKIP_IF_TRAFFIC_ONLY();
	EXPECT_TRUE(POLL_UNTIL(counter_get(TCPSTATE_C_SYN_RECV) == 0, 2000));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, x->after.c.v[TCPSTATE_C_SYN_RECV]);
	EXPECT_EQ(rows, CDELTA(x, TCPSTATE_C_SYN_QUEUE_DROPPED));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_SYN_QUEUE_EXPIRED));
	/* None if the listener closed within 1 s, but TCG is slow. */
	EXPECT_EQ(MDELTA(x, M_SYNRETRANS),
		  CDELTA(x, TCPSTATE_C_SYNACK_RETRANS));
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);

	if (!x->w.ring)
		return;
	listener = ring_caught_up(_metadata, x, TCPSTATE_EV_SYN_RECV_END, rows,
				  5000, LISTEN_PORT);
	EXPECT_EQ(rows, ev_count(&x->log, TCPSTATE_EV_SYN_RECV, -1));
	EXPECT_EQ(rows, ev_count(&x->log, TCPSTATE_EV_SYN_RECV_END,
				 TCPSTATE_SRE_LISTENER_CLOSED));
	EXPECT_EQ(CDELTA(x, TCPSTATE_C_SYNCOOKIES_SENT),
		  ev_count(&x->log, TCPSTATE_EV_SYNCOOKIE_SENT, -1));
	EXPECT_EQ(CDELTA(x, TCPSTATE_C_SYN_QUEUE_FULL_DROPS),
		  ev_count(&x->log, TCPSTATE_EV_SYN_DROP,
			   TCPSTATE_DROP_SYN_QUEUE_FULL));
	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *ev = &x->log.ev[i];

		if (ev->type == TCPSTATE_EV_SYN_RECV) {
			EXPECT_EQ(1, ev->qmax);
			EXPECT_EQ(listener, ev->peer_id);
		}
		if (ev->type == TCPSTATE_EV_SYNCOOKIE_SENT ||
		    ev->type == TCPSTATE_EV_SYN_DROP) {
			EXPECT_EQ(0, ev->sock_id);
			EXPECT_EQ(listener, ev->peer_id);
			EXPECT_EQ(LISTEN_PORT, ev->sport);
			EXPECT_TRUE(ev->dport > SPOOF_SPORT &&
				    ev->dport <= SPOOF_SPORT + n);
		}
		if (ev->type == TCPSTATE_EV_SYN_DROP) {
			/* The SYN queue's limit, and a length past it. */
			EXPECT_EQ(1, ev->qmax);
			EXPECT_LT(ev->qmax, ev->qlen);
			EXPECT_GE(rows, (int)ev->qlen);
		}
	}
	if (_metadata->passed == 0)
		ev_log_dump(_metadata, &x->log);
}

/*
 * A listener with backlog 1 that never accepts, and K clients: the accept
 * queue takes two (it is full when its length exceeds the backlog), the
 * rest overflow. With lo undelayed the first two handshakes complete
 * before the other clients connect, whose SYNs are dropped; with lo
 * delayed, all SYNs arrive first and the third ACKs overflow. Ground
 * truth: TcpExt ListenOverflows and ListenDrops, and the listener's accept
 * queue length.
 */
TEST_F_TIMEOUT(accept_overflow, listen_drops, 30)
{
	struct ctx *x = &self->x;
	const int lfam = variant->mapped ? AF_INET6 : variant->family;
	const int k = 8;
	int fds[8], i, acceptq = -1, rows = -1, drops;
	__u64 listener;
	unsigned short port;

	for (i = 0; i < k; i++)
		fds[i] = -1;
	if (variant->lo_delay_ms)
		ASSERT_EQ(0, sh("tc qdisc add dev lo root netem delay %dms",
				variant->lo_delay_ms));
	x->lfd = variant->mapped ? tcp_listen_dual(0, 1) :
				   tcp_listen(variant->family, NULL, 0, 1);
	ASSERT_LE(0, x->lfd);
	port = sock_port(x->lfd);
	snapshot_take(_metadata, &x->before, x->w.module);

	for (i = 0; i < k; i++) {
		/*
		 * Undelayed, the later SYNs must find the accept queue full:
		 * under an emulator all eight SYNs can otherwise reach the
		 * listener before the first handshake completes (then they
		 * get cookies and the third ACKs overflow, as when delayed).
		 */
		if (i == 2 && !variant->lo_delay_ms)
			ASSERT_TRUE(POLL_UNTIL(proc_tcp_listen_rxq(lfam, port) >= 2,
					       10000));
		fds[i] = tcp_connect_nb(variant->family, port);
		ASSERT_LE(0, fds[i]);
	}
	/*
	 * The accept queue fills past the backlog (to backlog + 1, or more
	 * when handshakes complete at once: the check is not atomic with
	 * the add) and every other client overflows at least once.
	 */
	EXPECT_TRUE(POLL_UNTIL((acceptq = proc_tcp_listen_rxq(lfam, port),
				acceptq >= 2 &&
				mib_get("TcpExt", "ListenOverflows") -
				x->before.mib[M_OVERFLOWS] >= k - acceptq),
			       10000));
	TH_LOG("accept queue %d, ListenOverflows +%lld", acceptq,
	       mib_get("TcpExt", "ListenOverflows") - x->before.mib[M_OVERFLOWS]);
	ASSERT_LE(2, acceptq);

	/*
	 * Quiescence: the clients go (an RST or nothing at all), so nothing
	 * more reaches the listener; it stays, for its queues to be read.
	 */
	for (i = 0; i < k; i++)
		tcp_abort(fds[i]);
	if (variant->lo_delay_ms)
		sh("tc qdisc del dev lo root");
	snapshot_take(_metadata, &x->after, false);
	TH_LOG("TcpExt ListenOverflows +%lld ListenDrops +%lld TCPReqQFullDrop +%lld SyncookiesSent +%lld",
	       MDELTA(x, M_OVERFLOWS),
	       MDELTA(x, M_DROPS),
	       MDELTA(x, M_QFULL),
	       MDELTA(x, M_COOKIES));
	EXPECT_LT(0, MDELTA(x, M_OVERFLOWS));
	/* (Under TRAFFIC_ONLY the teardown closes the listener.) */
	SKIP_IF_TRAFFIC_ONLY();

	/* Every MIB mirrored, every queued connection counted. */
	EXPECT_TRUE(POLL_UNTIL(overflow_settled(_metadata, x, lfam, port,
						&acceptq, &rows), 3000));
	TH_LOG("accept queue %d, st 03 rows %d; accept_queued +%lld, syn_recv %llu",
	       acceptq, rows, CDELTA(x, TCPSTATE_C_ACCEPT_QUEUED),
	       x->after.c.v[TCPSTATE_C_SYN_RECV]);
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);
	EXPECT_EQ(acceptq, CDELTA(x, TCPSTATE_C_ACCEPT_QUEUED));
	EXPECT_EQ(rows, x->after.c.v[TCPSTATE_C_SYN_RECV]);

	/* Closing the listener drops nothing more. */
	close(x->lfd);
	x->lfd = -1;
	EXPECT_TRUE(POLL_UNTIL(mirrors_settled(_metadata, &x->before,
					       &x->after), 3000));
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);
	drops = CDELTA(x, TCPSTATE_C_LISTEN_DROPS);
	if (!x->w.ring)
		return;
	listener = ring_caught_up(_metadata, x, TCPSTATE_EV_ACCEPT_QUEUED,
				  acceptq, 3000, port);
	TH_LOG("events: SYN_DROP %d ACK_DROP %d (accept queue full: %d + %d), ACCEPT_QUEUED %d, SYNCOOKIE_SENT %d",
	       ev_count(&x->log, TCPSTATE_EV_SYN_DROP, -1),
	       ev_count(&x->log, TCPSTATE_EV_ACK_DROP, -1),
	       ev_count(&x->log, TCPSTATE_EV_SYN_DROP,
			TCPSTATE_DROP_ACCEPT_QUEUE_FULL),
	       ev_count(&x->log, TCPSTATE_EV_ACK_DROP,
			TCPSTATE_DROP_ACCEPT_QUEUE_FULL),
	       ev_count(&x->log, TCPSTATE_EV_ACCEPT_QUEUED, -1),
	       ev_count(&x->log, TCPSTATE_EV_SYNCOOKIE_SENT, -1));
	/* One event per overflow, per drop. */
	EXPECT_EQ(CDELTA(x, TCPSTATE_C_ACCEPT_OVERFLOWS),
		  ev_count(&x->log, TCPSTATE_EV_SYN_DROP,
			   TCPSTATE_DROP_ACCEPT_QUEUE_FULL) +
		  ev_count(&x->log, TCPSTATE_EV_ACK_DROP,
			   TCPSTATE_DROP_ACCEPT_QUEUE_FULL));
	EXPECT_EQ(drops, ev_count(&x->log, TCPSTATE_EV_SYN_DROP, -1) +
			 ev_count(&x->log, TCPSTATE_EV_ACK_DROP, -1));
	/* Delayed: the third ACKs overflow; else the later SYNs do. */
	EXPECT_LT(0, ev_count(&x->log, variant->lo_delay_ms ?
				       TCPSTATE_EV_ACK_DROP :
				       TCPSTATE_EV_SYN_DROP,
			      TCPSTATE_DROP_ACCEPT_QUEUE_FULL));
	EXPECT_EQ(acceptq, ev_count(&x->log, TCPSTATE_EV_ACCEPT_QUEUED, -1));

	unsigned int maxq = 0;

	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *ev = &x->log.ev[i];

		if (ev->type == TCPSTATE_EV_ACCEPT_QUEUED) {
			EXPECT_EQ(listener, ev->peer_id);
			EXPECT_EQ(1, ev->qmax);
			EXPECT_TRUE(ev->qlen >= 1 && ev->qlen <= (unsigned int)acceptq);
			if (ev->qlen > maxq)
				maxq = ev->qlen;
		}
		if ((ev->type == TCPSTATE_EV_SYN_DROP ||
		     ev->type == TCPSTATE_EV_ACK_DROP) &&
		    ev->reason == TCPSTATE_DROP_ACCEPT_QUEUE_FULL) {
			EXPECT_EQ(listener, ev->peer_id);
			EXPECT_EQ(port, ev->sport);
			EXPECT_EQ(1, ev->qmax);
			/* Full: longer than the backlog. */
			EXPECT_LT(ev->qmax, ev->qlen);
		}
	}
	/* The last one in saw the queue as long as the kernel shows it. */
	EXPECT_EQ((unsigned int)acceptq, maxq);
	if (_metadata->passed == 0)
		ev_log_dump(_metadata, &x->log);
}

TEST_HARNESS_MAIN
