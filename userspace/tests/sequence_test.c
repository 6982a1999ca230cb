// SPDX-License-Identifier: GPL-2.0
/*
 * The sequence engine fed synthetic event streams, in the order the module
 * reports them (see the top of sequence.c): every kind of record, ids
 * reused, tuples reused, tied timestamps, missing events, a stream that
 * starts mid-connection, ring losses, eviction at the cap, --flush.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "ends.h"
#include "names.h"
#include "sequence.h"
#include "sequence_output.h"

/* Short names for the TCP states of names.h, for the step tables. */
enum {
	EST = TCPS_ESTABLISHED, SYN_SENT = TCPS_SYN_SENT,
	SYN_RECV = TCPS_SYN_RECV, FIN_WAIT1 = TCPS_FIN_WAIT1,
	FIN_WAIT2 = TCPS_FIN_WAIT2, TIME_WAIT = TCPS_TIME_WAIT,
	CLOSE = TCPS_CLOSE, CLOSE_WAIT = TCPS_CLOSE_WAIT,
	LAST_ACK = TCPS_LAST_ACK, LISTEN = TCPS_LISTEN, CLOSING = TCPS_CLOSING,
};

#define US	1000ULL
#define MS	1000000ULL
#define SEC	1000000000ULL
#define T0	(1000 * SEC)	/* a monotonic time well past boot */
#define NETNS	ENDS_NETNS
#define LISTENER	0x1157e4e4ULL
#define MAX_GOT	256

struct got {
	struct seq_record rec[MAX_GOT];
	unsigned int n;
};

static void collect(const struct seq_record *rec, void *arg)
{
	struct got *g = arg;

	if (g->n < MAX_GOT)
		g->rec[g->n] = *rec;
	g->n++;
}

/* One side's view of a connection: the tuple its events carry. */

FIXTURE(seq) {
	struct seq_engine *e;
	struct got got;
	struct end cli;	/* 10.0.0.1:40000 -> 10.0.0.2:80 */
	struct end srv;	/* 10.0.0.2:80 -> 10.0.0.1:40000 */
};

FIXTURE_SETUP(seq)
{
	memset(&self->got, 0, sizeof(self->got));
	self->e = seq_new(SEQ_DEFAULT_MAX_CONNS, collect, &self->got);
	ASSERT_NE(NULL, self->e);
	self->cli = v4("10.0.0.1", 40000, "10.0.0.2", 80);
	self->srv = v4("10.0.0.2", 80, "10.0.0.1", 40000);
}

FIXTURE_TEARDOWN(seq)
{
	seq_free(self->e);
}

/* Feeders, one per event type; @s gives the tuple. */
static void state(struct seq_engine *e, const struct end *s, __u64 ts,
		  __u64 id, unsigned int old, unsigned int new)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_STATE, ts, id);

	ev.oldstate = (__u8)old;
	ev.newstate = (__u8)new;
	seq_feed(e, &ev);
}

/* A client's CLOSE -> SYN_SENT: the local port is not picked yet. */
static void connect_(struct seq_engine *e, const struct end *s, __u64 ts,
		     __u64 id)
{
	struct end early = *s;

	early.lport = 0;
	state(e, &early, ts, id, CLOSE, SYN_SENT);
}

/* A server child's LISTEN -> SYN_RECV: still the listener's tuple. */
static void child(struct seq_engine *e, const struct end *s, __u64 ts,
		  __u64 id)
{
	struct end early = *s;

	memset(early.raddr, 0, 16);
	early.rport = 0;
	state(e, &early, ts, id, LISTEN, SYN_RECV);
}

static void syn_recv(struct seq_engine *e, const struct end *s, __u64 ts,
		     __u64 req, unsigned int qlen, unsigned int qmax)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_SYN_RECV, ts, req);

	ev.peer_id = LISTENER;
	ev.qlen = qlen;
	ev.qmax = qmax;
	seq_feed(e, &ev);
}

static void syn_recv_end(struct seq_engine *e, const struct end *s,
			 __u64 ts, __u64 req, unsigned int reason,
			 unsigned int retrans, __u64 peer)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_SYN_RECV_END, ts, req);

	ev.reason = (__u8)reason;
	ev.count = retrans;
	ev.peer_id = peer;
	seq_feed(e, &ev);
}

static void synack(struct seq_engine *e, const struct end *s, __u64 ts,
		   __u64 req, unsigned int n)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_SYNACK_RETRANS, ts,
					req);

	ev.count = n;
	ev.peer_id = LISTENER;
	seq_feed(e, &ev);
}

static void queued(struct seq_engine *e, const struct end *s, __u64 ts,
		   __u64 id, unsigned int qlen, unsigned int qmax)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_ACCEPT_QUEUED, ts, id);

	ev.peer_id = LISTENER;
	ev.qlen = qlen;
	ev.qmax = qmax;
	seq_feed(e, &ev);
}

static void drop(struct seq_engine *e, const struct end *s,
		 unsigned int type, __u64 ts, __u64 id, unsigned int reason,
		 unsigned int qlen, unsigned int qmax)
{
	struct tcpstate_event ev = end_event(s, type, ts, id);

	ev.peer_id = LISTENER;
	ev.reason = (__u8)reason;
	ev.qlen = qlen;
	ev.qmax = qmax;
	seq_feed(e, &ev);
}

static void timewait(struct seq_engine *e, const struct end *s, __u64 ts,
		     __u64 tw, __u64 sk, unsigned int old, unsigned int sub)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_TIMEWAIT, ts, tw);

	ev.peer_id = sk;
	ev.oldstate = (__u8)old;
	ev.newstate = (__u8)sub;
	seq_feed(e, &ev);
}

static void timewait_end(struct seq_engine *e, const struct end *s,
			 __u64 ts, __u64 tw, unsigned int reason,
			 unsigned int sub)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_TIMEWAIT_END, ts, tw);

	ev.reason = (__u8)reason;
	ev.newstate = (__u8)sub;
	seq_feed(e, &ev);
}

/* The full client lifecycle of socket @sk (timewait sock @tw) from @t. */
static __u64 client_active_close(struct seq_engine *e, const struct end *s,
				 __u64 t, __u64 sk, __u64 tw)
{
	connect_(e, s, t, sk);
	state(e, s, t + 1200 * US, sk, SYN_SENT, EST);
	state(e, s, t + 2 * SEC, sk, EST, FIN_WAIT1);
	state(e, s, t + 2 * SEC + 40 * US, sk, FIN_WAIT1, FIN_WAIT2);
	timewait(e, s, t + 2 * SEC + 50 * US, tw, sk, FIN_WAIT2, TIME_WAIT);
	state(e, s, t + 2 * SEC + 50 * US, sk, FIN_WAIT2, CLOSE);
	timewait_end(e, s, t + 62 * SEC + 50 * US, tw, TCPSTATE_TWE_EXPIRED,
		     TIME_WAIT);
	return t + 62 * SEC + 50 * US;
}

static unsigned long tracked(const struct seq_engine *e)
{
	struct seq_stats st;

	seq_get_stats(e, &st);
	return st.tracked;
}

static int tuple_is(const struct seq_record *r, const struct end *s)
{
	return r->family == s->family && r->sport == s->lport &&
	       r->dport == s->rport && !memcmp(r->saddr, s->laddr, 16) &&
	       !memcmp(r->daddr, s->raddr, 16);
}

#define STEP(r, i, st, dur) do {					\
	ASSERT_LT((unsigned int)(i), (r)->nsteps);			\
	ASSERT_EQ((unsigned int)(st), (r)->steps[i].state)		\
		TH_LOG("step %d is %s", (int)(i),			\
		       seq_step_name((r)->steps[i].state));		\
	ASSERT_EQ((__u64)(dur), (r)->steps[i].ns) TH_LOG("step %d", (int)(i)); \
} while (0)

TEST_F(seq, active_open_then_active_close)
{
	const struct seq_record *r;
	__u64 end;

	end = client_active_close(self->e, &self->cli, T0, 0xa1, 0xa2);
	ASSERT_EQ(2U, self->got.n);

	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_ACTIVE_OPEN, r->kind);
	ASSERT_EQ(SEQ_SIDE_CLIENT, r->side);
	ASSERT_TRUE(tuple_is(r, &self->cli));	/* the port, once picked */
	ASSERT_EQ(NETNS, r->netns);
	ASSERT_EQ(0xa1ULL, r->sock_id);
	ASSERT_EQ(T0, r->start_ns);
	ASSERT_EQ(T0 + 1200 * US, r->end_ns);
	ASSERT_EQ(1200 * US, r->handshake_ns);
	ASSERT_EQ(1200 * US, r->duration_ns);
	ASSERT_EQ(SEQ_NONE, r->syn_queue_ns);
	ASSERT_EQ(0ULL, r->req_id);
	ASSERT_EQ(0U, r->missing);
	ASSERT_EQ(2U, r->nsteps);
	STEP(r, 0, SYN_SENT, 1200 * US);
	STEP(r, 1, EST, SEQ_NONE);

	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(SEQ_SIDE_CLIENT, r->side);
	ASSERT_TRUE(tuple_is(r, &self->cli));
	ASSERT_EQ(0xa1ULL, r->sock_id);
	ASSERT_EQ(0xa2ULL, r->tw_id);
	ASSERT_EQ(T0 + 1200 * US, r->start_ns);
	ASSERT_EQ(end, r->end_ns);
	ASSERT_EQ(2 * SEC - 1200 * US, r->established_ns);
	ASSERT_EQ(60 * SEC, r->time_wait_ns);
	ASSERT_EQ(60 * SEC + 50 * US, r->duration_ns);
	ASSERT_EQ(SEQ_REASON_TIMEWAIT_END, r->reason_type);
	ASSERT_EQ((unsigned int)TCPSTATE_TWE_EXPIRED, r->reason);
	ASSERT_STREQ("expired", seq_reason_name(r));
	ASSERT_EQ(TIME_WAIT, r->tw_substate);
	ASSERT_EQ(0U, r->missing);
	ASSERT_EQ(5U, r->nsteps);
	STEP(r, 0, EST, 2 * SEC - 1200 * US);
	STEP(r, 1, FIN_WAIT1, 40 * US);
	STEP(r, 2, FIN_WAIT2, 10 * US);
	STEP(r, 3, TIME_WAIT, 60 * SEC);
	STEP(r, 4, CLOSE, SEQ_NONE);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* The module's order: child, SYN_RECV_END, ACCEPT_QUEUED, ESTABLISHED. */
TEST_F(seq, passive_open_then_passive_close)
{
	const struct seq_record *r;
	__u64 t1 = T0 + 1 * SEC + 300 * US;

	syn_recv(self->e, &self->srv, T0, 0x51, 1, 128);
	synack(self->e, &self->srv, T0 + 1 * SEC, 0x51, 1);
	child(self->e, &self->srv, t1, 0xc1);
	syn_recv_end(self->e, &self->srv, t1, 0x51, TCPSTATE_SRE_COMPLETED, 1,
		     0xc1);
	queued(self->e, &self->srv, t1, 0xc1, 3, 128);
	ASSERT_EQ(0U, self->got.n);
	state(self->e, &self->srv, t1 + 10 * US, 0xc1, SYN_RECV, EST);
	ASSERT_EQ(1U, self->got.n);

	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_PASSIVE_OPEN, r->kind);
	ASSERT_EQ(SEQ_SIDE_SERVER, r->side);
	/* The request sock's tuple, not the child's early one. */
	ASSERT_TRUE(tuple_is(r, &self->srv));
	ASSERT_EQ(0xc1ULL, r->sock_id);
	ASSERT_EQ(0x51ULL, r->req_id);
	ASSERT_EQ(T0, r->start_ns);
	ASSERT_EQ(t1 - T0, r->syn_queue_ns);
	ASSERT_EQ(t1 + 10 * US - T0, r->handshake_ns);
	ASSERT_EQ(r->handshake_ns, r->duration_ns);
	ASSERT_EQ(1U, r->synack_retrans);
	ASSERT_EQ(0U, r->ack_drops);
	ASSERT_TRUE(r->has_queue);
	ASSERT_EQ(3U, r->qlen);
	ASSERT_EQ(128U, r->qmax);
	ASSERT_EQ(0U, r->missing);
	ASSERT_EQ(2U, r->nsteps);
	STEP(r, 0, SYN_RECV, t1 + 10 * US - T0);
	STEP(r, 1, EST, SEQ_NONE);

	state(self->e, &self->srv, t1 + 5 * SEC, 0xc1, EST, CLOSE_WAIT);
	state(self->e, &self->srv, t1 + 5 * SEC + 100 * US, 0xc1, CLOSE_WAIT,
	      LAST_ACK);
	state(self->e, &self->srv, t1 + 5 * SEC + 180 * US, 0xc1, LAST_ACK,
	      CLOSE);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_PASSIVE_CLOSE, r->kind);
	ASSERT_EQ(SEQ_SIDE_SERVER, r->side);
	ASSERT_EQ(0xc1ULL, r->sock_id);
	/* The opening's request sock data is not repeated. */
	ASSERT_EQ(0ULL, r->req_id);
	ASSERT_EQ(5 * SEC - 10 * US, r->established_ns);
	ASSERT_EQ(180 * US, r->duration_ns);
	ASSERT_EQ(SEQ_NONE, r->time_wait_ns);
	ASSERT_EQ(SEQ_REASON_NONE, r->reason_type);
	ASSERT_EQ(4U, r->nsteps);
	STEP(r, 0, EST, 5 * SEC - 10 * US);
	STEP(r, 1, CLOSE_WAIT, 100 * US);
	STEP(r, 2, LAST_ACK, 80 * US);
	STEP(r, 3, CLOSE, SEQ_NONE);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* Should SYN_RECV_END ever come before the child's first event. */
TEST_F(seq, passive_open_child_announced_first)
{
	const struct seq_record *r;

	syn_recv(self->e, &self->srv, T0, 0x51, 1, 128);
	syn_recv_end(self->e, &self->srv, T0 + 300 * US, 0x51,
		     TCPSTATE_SRE_COMPLETED, 0, 0xc1);
	child(self->e, &self->srv, T0 + 300 * US, 0xc1);
	queued(self->e, &self->srv, T0 + 300 * US, 0xc1, 1, 128);
	state(self->e, &self->srv, T0 + 310 * US, 0xc1, SYN_RECV, EST);
	ASSERT_EQ(1U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_PASSIVE_OPEN, r->kind);
	ASSERT_EQ(0U, r->missing);
	ASSERT_EQ(300 * US, r->syn_queue_ns);
	ASSERT_EQ(310 * US, r->handshake_ns);
	ASSERT_EQ(0x51ULL, r->req_id);
	ASSERT_EQ(0xc1ULL, r->sock_id);
	ASSERT_TRUE(tuple_is(r, &self->srv));
}

/* SYN cookie or TCP Fast Open: a child with no request sock. */
TEST_F(seq, passive_open_without_request_sock)
{
	const struct seq_record *r;

	child(self->e, &self->srv, T0, 0xc1);
	queued(self->e, &self->srv, T0, 0xc1, 1, 128);
	state(self->e, &self->srv, T0 + 20 * US, 0xc1, SYN_RECV, EST);
	ASSERT_EQ(1U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_PASSIVE_OPEN, r->kind);
	ASSERT_EQ(0ULL, r->req_id);
	/* Its creation is no start of the handshake: not measured. */
	ASSERT_EQ(SEQ_NONE, r->handshake_ns);
	ASSERT_EQ(SEQ_NONE, r->syn_queue_ns);
	ASSERT_EQ(0U, r->missing);
	ASSERT_TRUE(tuple_is(r, &self->srv));	/* from ACCEPT_QUEUED */
	STEP(r, 0, SYN_RECV, 20 * US);
}

/* ---- ABI 2: the kernel's word on errors, RSTs, sequence numbers ---- */

/* A state change with the socket's error, as every -> CLOSE has it. */
static void state_err(struct seq_engine *e, const struct end *s, __u64 ts,
		      __u64 id, unsigned int old, unsigned int new,
		      unsigned int err)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_STATE, ts, id);

	ev.oldstate = (__u8)old;
	ev.newstate = (__u8)new;
	ev.valid = TCPSTATE_VALID_ERR;
	ev.err = (__u16)err;
	seq_feed(e, &ev);
}

/* A state change with sequence numbers: @valid of TCPSTATE_VALID_*. */
static void state_seq(struct seq_engine *e, const struct end *s, __u64 ts,
		      __u64 id, unsigned int old, unsigned int new,
		      unsigned int valid, __u32 seq, __u32 ack, __u32 iss,
		      __u32 irs)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_STATE, ts, id);

	ev.oldstate = (__u8)old;
	ev.newstate = (__u8)new;
	ev.valid = (__u16)valid;
	ev.seq = seq;
	ev.ack = ack;
	ev.iss = iss;
	ev.irs = irs;
	seq_feed(e, &ev);
}

static void rst_sent(struct seq_engine *e, const struct end *s, __u64 ts,
		     __u64 id, unsigned int old, unsigned int reason,
		     __u32 seq, __u32 ack)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_RST_SENT, ts, id);

	ev.oldstate = (__u8)old;
	ev.reason = (__u8)reason;
	ev.valid = TCPSTATE_VALID_SEQ;
	ev.seq = seq;
	ev.ack = ack;
	seq_feed(e, &ev);
}

/* A client's connection, established at @t + 1 ms. */
static void established(struct seq_engine *e, const struct end *s, __u64 t,
			__u64 id)
{
	connect_(e, s, t, id);
	state(e, s, t + MS, id, SYN_SENT, EST);
}

/*
 * SYN_SENT -> CLOSE says what the kernel said, however long it took: the
 * error, and whether an RST came; the timing rule is gone.
 */
TEST_F(seq, failed_connects_say_the_kernels_cause)
{
	static const struct {
		__u64 after;
		int rst;		/* an RST_RECEIVED first */
		unsigned int err;
		enum seq_kind kind;
		enum seq_cause cause;
		enum seq_rst_by by;
	} cases[] = {
		{ 45 * US, 1, ECONNREFUSED, SEQ_CONNECT_REFUSED,
		  SEQ_CAUSE_REFUSED, SEQ_RST_PEER },
		/* an answer to a retransmitted SYN: refused all the same */
		{ 3 * SEC, 1, ECONNREFUSED, SEQ_CONNECT_REFUSED,
		  SEQ_CAUSE_REFUSED, SEQ_RST_PEER },
		/* ICMP port unreachable: refused, by no RST */
		{ 40 * US, 0, ECONNREFUSED, SEQ_CONNECT_REFUSED,
		  SEQ_CAUSE_REFUSED, SEQ_RST_NONE },
		{ 127 * SEC, 0, ETIMEDOUT, SEQ_CONNECT_TIMEOUT,
		  SEQ_CAUSE_TIMED_OUT, SEQ_RST_NONE },
		{ 20 * US, 0, EHOSTUNREACH, SEQ_CONNECT_FAILED,
		  SEQ_CAUSE_UNREACHABLE, SEQ_RST_NONE },
		{ 20 * US, 0, ENETUNREACH, SEQ_CONNECT_FAILED,
		  SEQ_CAUSE_UNREACHABLE, SEQ_RST_NONE },
		/* the application gave up: no error, no cause */
		{ 2 * SEC, 0, 0, SEQ_CONNECT_FAILED, SEQ_CAUSE_NONE,
		  SEQ_RST_NONE },
		{ 2 * SEC, 0, EPROTO, SEQ_CONNECT_FAILED, SEQ_CAUSE_ABORTED,
		  SEQ_RST_NONE },
	};
	const struct seq_record *r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 t = T0 + i * 1000 * SEC, id = 0xb0 + i;

		connect_(self->e, &self->cli, t, id);
		if (cases[i].rst)
			end_rst_received(self->e, &self->cli,
					 t + cases[i].after, id, SYN_SENT);
		state_err(self->e, &self->cli, t + cases[i].after, id,
			  SYN_SENT, CLOSE, cases[i].err);
		ASSERT_EQ(i + 1, self->got.n) TH_LOG("case %u", i);
		r = &self->got.rec[i];
		ASSERT_EQ(cases[i].kind, r->kind) TH_LOG("case %u", i);
		ASSERT_EQ(cases[i].cause, r->cause) TH_LOG("case %u", i);
		ASSERT_EQ(cases[i].by, r->rst_by) TH_LOG("case %u", i);
		ASSERT_EQ(1, r->has_err);
		ASSERT_EQ(cases[i].err, r->err);
		ASSERT_EQ(cases[i].after, r->duration_ns);
		STEP(r, 0, SYN_SENT, cases[i].after);
		STEP(r, 1, CLOSE, SEQ_NONE);
	}
	ASSERT_EQ(0UL, tracked(self->e));
	ASSERT_STREQ("refused", seq_cause_name(SEQ_CAUSE_REFUSED));
	ASSERT_STREQ("reset_by_us", seq_cause_name(SEQ_CAUSE_RESET_BY_US));
	ASSERT_EQ(NULL, seq_cause_name(SEQ_CAUSE_NONE));
	ASSERT_EQ(NULL, seq_cause_name(SEQ_NR_CAUSES));
	ASSERT_STREQ("peer", seq_rst_by_name(SEQ_RST_PEER));
	ASSERT_STREQ("local", seq_rst_by_name(SEQ_RST_LOCAL));
	ASSERT_EQ(NULL, seq_rst_by_name(SEQ_RST_NONE));
}

/* Before ABI 2 (no TCPSTATE_VALID_ERR) the time is all there is. */
TEST_F(seq, connect_refused_timeout_and_the_rule_boundary)
{
	static const struct {
		__u64 after;
		enum seq_kind kind;
	} cases[] = {
		{ 45 * US, SEQ_CONNECT_REFUSED },
		{ SEQ_REFUSED_MAX_NS - 1, SEQ_CONNECT_REFUSED },
		{ SEQ_REFUSED_MAX_NS, SEQ_CONNECT_TIMEOUT },
		{ 127 * SEC, SEQ_CONNECT_TIMEOUT },
	};
	const struct seq_record *r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 t = T0 + i * 1000 * SEC;

		connect_(self->e, &self->cli, t, 0xb0 + i);
		state(self->e, &self->cli, t + cases[i].after, 0xb0 + i,
		      SYN_SENT, CLOSE);
		ASSERT_EQ(i + 1, self->got.n);
		r = &self->got.rec[i];
		ASSERT_EQ(cases[i].kind, r->kind) TH_LOG("case %u", i);
		ASSERT_EQ(SEQ_SIDE_CLIENT, r->side);
		ASSERT_EQ(cases[i].after, r->duration_ns);
		ASSERT_EQ(SEQ_NONE, r->handshake_ns);
		ASSERT_TRUE(tuple_is(r, &self->cli));
		ASSERT_EQ(2U, r->nsteps);
		STEP(r, 0, SYN_SENT, cases[i].after);
		STEP(r, 1, CLOSE, SEQ_NONE);
	}
	ASSERT_EQ(0UL, tracked(self->e));
}

/* An RST received ends a connection as reset_by_peer, with its error. */
TEST_F(seq, reset_by_peer_from_the_rst_received)
{
	const struct seq_record *r;

	established(self->e, &self->cli, T0, 0xe1);
	end_rst_received(self->e, &self->cli, T0 + SEC, 0xe1, EST);
	state_err(self->e, &self->cli, T0 + SEC, 0xe1, EST, CLOSE, ECONNRESET);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_RESET_BY_PEER, r->kind);
	ASSERT_STREQ("reset_by_peer", seq_kind_name(r->kind));
	ASSERT_EQ(SEQ_CAUSE_RESET_BY_PEER, r->cause);
	ASSERT_EQ(SEQ_RST_PEER, r->rst_by);
	ASSERT_EQ((unsigned int)ECONNRESET, r->err);
	ASSERT_EQ(SEC - MS, r->established_ns);

	/* In CLOSE_WAIT the RST's error is EPIPE, which the CLOSE carries. */
	established(self->e, &self->cli, T0 + 10 * SEC, 0xe2);
	state(self->e, &self->cli, T0 + 11 * SEC, 0xe2, EST, CLOSE_WAIT);
	end_rst_received(self->e, &self->cli, T0 + 12 * SEC, 0xe2, CLOSE_WAIT);
	state_err(self->e, &self->cli, T0 + 12 * SEC, 0xe2, CLOSE_WAIT, CLOSE,
		  EPIPE);
	ASSERT_EQ(4U, self->got.n);
	r = &self->got.rec[3];
	ASSERT_EQ(SEQ_RESET_BY_PEER, r->kind);
	ASSERT_EQ(1, r->has_err);
	ASSERT_EQ((unsigned int)EPIPE, r->err);
	ASSERT_EQ(0UL, tracked(self->e));
}

/*
 * An active reset: the kernel closes first, then sends the RST, in the
 * same call; events of other sockets may come between. The CLOSE waits
 * for its RST_SENT.
 */
TEST_F(seq, reset_by_us_waits_for_the_rst_after_the_close)
{
	struct end other = v4("10.0.0.1", 40100, "10.0.0.2", 80);
	const struct seq_record *r;

	established(self->e, &self->cli, T0, 0xf1);
	ASSERT_EQ(1U, self->got.n);
	state_err(self->e, &self->cli, T0 + SEC, 0xf1, EST, CLOSE, 0);
	ASSERT_EQ(1U, self->got.n);		/* held */
	connect_(self->e, &other, T0 + SEC + 3 * US, 0xf9);
	ASSERT_EQ(1U, self->got.n);		/* still held */
	rst_sent(self->e, &self->cli, T0 + SEC + 5 * US, 0xf1, CLOSE,
		 TCPSTATE_RST_ABORT_ON_CLOSE, 123456789, 987654321);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_RESET_BY_US, r->kind);
	ASSERT_STREQ("reset_by_us", seq_kind_name(r->kind));
	ASSERT_EQ(SEQ_CAUSE_RESET_BY_US, r->cause);
	ASSERT_EQ(SEQ_RST_LOCAL, r->rst_by);
	ASSERT_EQ((unsigned int)TCPSTATE_RST_ABORT_ON_CLOSE, r->rst_reason);
	ASSERT_EQ(1, r->has_err);
	ASSERT_EQ(0U, r->err);
	ASSERT_TRUE(r->seqs & SEQ_HAS_RST);
	ASSERT_EQ(123456789U, r->rst_seq);
	ASSERT_EQ(987654321U, r->rst_ack);
	/* The record ends at the CLOSE, not at the RST. */
	ASSERT_EQ(T0 + SEC, r->end_ns);
	STEP(r, 0, EST, SEC - MS);
	STEP(r, 1, CLOSE, SEQ_NONE);
	ASSERT_EQ(1UL, tracked(self->e));	/* the other one */

	/*
	 * The module's abort RST answers no segment: no numbers of its
	 * own. It acks what the CLOSE had received.
	 */
	established(self->e, &self->cli, T0 + 5 * SEC, 0xf3);
	state_seq(self->e, &self->cli, T0 + 6 * SEC, 0xf3, EST, CLOSE,
		  TCPSTATE_VALID_ERR | TCPSTATE_VALID_SEQ, 500, 900, 0, 0);
	{
		struct tcpstate_event ev = end_event(&self->cli,
						TCPSTATE_EV_RST_SENT,
						T0 + 6 * SEC + US, 0xf3);

		ev.oldstate = CLOSE;
		ev.reason = TCPSTATE_RST_ABORT_ON_DATA;
		seq_feed(self->e, &ev);
	}
	ASSERT_EQ(4U, self->got.n);
	r = &self->got.rec[3];
	ASSERT_EQ(SEQ_RESET_BY_US, r->kind);
	ASSERT_EQ((unsigned int)TCPSTATE_RST_ABORT_ON_DATA, r->rst_reason);
	ASSERT_EQ(SEQ_HAS_RST_ACK, r->seqs & (SEQ_HAS_RST | SEQ_HAS_RST_ACK));
	ASSERT_EQ(900U, r->rst_ack);

	/* An RST sent before the close (a keepalive timeout) counts too. */
	established(self->e, &self->cli, T0 + 10 * SEC, 0xf2);
	rst_sent(self->e, &self->cli, T0 + 20 * SEC, 0xf2, EST,
		 TCPSTATE_RST_KEEPALIVE_TIMEOUT, 1, 2);
	state_err(self->e, &self->cli, T0 + 20 * SEC, 0xf2, EST, CLOSE,
		  ETIMEDOUT);
	ASSERT_EQ(6U, self->got.n);
	r = &self->got.rec[5];
	ASSERT_EQ(SEQ_RESET_BY_US, r->kind);
	ASSERT_EQ((unsigned int)TCPSTATE_RST_KEEPALIVE_TIMEOUT, r->rst_reason);
	ASSERT_EQ((unsigned int)ETIMEDOUT, r->err);
}

/* No RST comes: the wait ends, by every way it can, as a plain reset. */
TEST_F(seq, held_close_without_rst_is_released)
{
	struct end other = v4("10.0.0.1", 40100, "10.0.0.2", 80);
	const struct seq_record *r;
	__u64 t;

	/* an event of another socket SEQ_RST_WAIT_NS later */
	established(self->e, &self->cli, T0, 0x101);
	state_err(self->e, &self->cli, T0 + SEC, 0x101, EST, CLOSE, 0);
	connect_(self->e, &other, T0 + SEC + SEQ_RST_WAIT_NS - 1, 0x109);
	ASSERT_EQ(1U, self->got.n);
	state(self->e, &other, T0 + SEC + SEQ_RST_WAIT_NS, 0x109, SYN_SENT,
	      EST);
	ASSERT_EQ(3U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_RESET, r->kind);
	ASSERT_EQ(SEQ_CAUSE_NONE, r->cause);
	ASSERT_EQ(SEQ_RST_NONE, r->rst_by);
	ASSERT_EQ(T0 + SEC, r->end_ns);
	ASSERT_EQ(SEQ_ACTIVE_OPEN, self->got.rec[2].kind);

	/* seq_tick(): not before the wait is over */
	t = T0 + 100 * SEC;
	established(self->e, &self->cli, t, 0x102);
	state_err(self->e, &self->cli, t + SEC, 0x102, EST, CLOSE, 0);
	ASSERT_EQ(4U, self->got.n);
	seq_tick(self->e, t + SEC + SEQ_RST_WAIT_NS - 1);
	ASSERT_EQ(4U, self->got.n);
	seq_tick(self->e, t + SEC + SEQ_RST_WAIT_NS);
	ASSERT_EQ(5U, self->got.n);
	ASSERT_EQ(SEQ_RESET, self->got.rec[4].kind);
	/* a time before it (another CPU's clock read) releases nothing */
	established(self->e, &self->cli, t + 2 * SEC, 0x103);
	state_err(self->e, &self->cli, t + 3 * SEC, 0x103, EST, CLOSE, 0);
	seq_tick(self->e, t);
	ASSERT_EQ(6U, self->got.n);

	/* the id's next event, when it is no RST: the id is reused */
	connect_(self->e, &self->cli, t + 3 * SEC + US, 0x103);
	ASSERT_EQ(7U, self->got.n);
	ASSERT_EQ(SEQ_RESET, self->got.rec[6].kind);
	ASSERT_EQ(t + 3 * SEC, self->got.rec[6].end_ns);

	/* seq_flush(): a held close is complete, no in_progress */
	state(self->e, &self->cli, t + 4 * SEC, 0x103, SYN_SENT, EST);
	state_err(self->e, &self->cli, t + 5 * SEC, 0x103, EST, CLOSE, 0);
	ASSERT_EQ(8U, self->got.n);
	seq_flush(self->e);
	ASSERT_EQ(10U, self->got.n);	/* the held one, the other conn */
	ASSERT_EQ(SEQ_RESET, self->got.rec[8].kind);
	ASSERT_EQ(0U, self->got.rec[8].missing);
	ASSERT_EQ(SEQ_IN_PROGRESS, self->got.rec[9].kind);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* Only a close an active reset can follow waits; an error never does. */
TEST_F(seq, closes_that_need_no_wait)
{
	established(self->e, &self->cli, T0, 0x111);
	state_err(self->e, &self->cli, T0 + SEC, 0x111, EST, CLOSE, ETIMEDOUT);
	ASSERT_EQ(2U, self->got.n);
	ASSERT_EQ(SEQ_RESET, self->got.rec[1].kind);
	ASSERT_EQ(SEQ_CAUSE_TIMED_OUT, self->got.rec[1].cause);

	established(self->e, &self->cli, T0 + 10 * SEC, 0x112);
	state(self->e, &self->cli, T0 + 11 * SEC, 0x112, EST, CLOSE_WAIT);
	state(self->e, &self->cli, T0 + 12 * SEC, 0x112, CLOSE_WAIT, LAST_ACK);
	state_err(self->e, &self->cli, T0 + 13 * SEC, 0x112, LAST_ACK, CLOSE, 0);
	ASSERT_EQ(4U, self->got.n);
	ASSERT_EQ(SEQ_PASSIVE_CLOSE, self->got.rec[3].kind);
	ASSERT_EQ(SEQ_CAUSE_NONE, self->got.rec[3].cause);

	/* an ECONNRESET whose RST event was not seen: still the peer's */
	established(self->e, &self->cli, T0 + 20 * SEC, 0x113);
	state_err(self->e, &self->cli, T0 + 21 * SEC, 0x113, EST, CLOSE,
		  ECONNRESET);
	ASSERT_EQ(6U, self->got.n);
	ASSERT_EQ(SEQ_RESET_BY_PEER, self->got.rec[5].kind);
	ASSERT_EQ(SEQ_RST_NONE, self->got.rec[5].rst_by);

	/* an RST for no socket is no connection's */
	rst_sent(self->e, &self->cli, T0 + 30 * SEC, 0, 0,
		 TCPSTATE_RST_NO_SOCKET, 0, 1001);
	ASSERT_EQ(6U, self->got.n);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* ISNs and FINs, from where tcpstate.h says each event carries them. */
/* What the kernel said of the end, in the text and JSON lines. */
TEST_F(seq, causes_in_the_text_and_json_lines)
{
	struct out_opts o;
	char line[OUT_LINE_MAX];

	memset(&o, 0, sizeof(o));
	o.endpoint_width = TCPSTATE_COL_ENDPOINT;
	connect_(self->e, &self->cli, T0, 0x141);
	end_rst_received(self->e, &self->cli, T0 + 45 * US, 0x141, SYN_SENT);
	state_seq(self->e, &self->cli, T0 + 45 * US, 0x141, SYN_SENT, CLOSE,
		  TCPSTATE_VALID_ERR | TCPSTATE_VALID_ISS, 0, 0, 1234, 0);
	established(self->e, &self->cli, T0 + SEC, 0x142);
	state_seq(self->e, &self->cli, T0 + 2 * SEC, 0x142, EST, CLOSE,
		  TCPSTATE_VALID_ERR | TCPSTATE_VALID_SEQ, 10, 20, 0, 0);
	rst_sent(self->e, &self->cli, T0 + 2 * SEC, 0x142, CLOSE, 77, 0, 0);
	ASSERT_EQ(3U, self->got.n);

	/* The CLOSE's err was lost: the RST's (none here) stands. */
	self->got.rec[0].has_err = 1;
	self->got.rec[0].err = ECONNREFUSED;
	ASSERT_LT(0, out_seq_text(line, sizeof(line), &self->got.rec[0], &o));
	ASSERT_STREQ("connect_refused    client 4026531840 10.0.0.1:40000        10.0.0.2:80           45.0us    SYN_SENT 45.0us -> CLOSE cause=refused err=ECONNREFUSED",
		     line);
	ASSERT_LT(0, out_seq_json(line, sizeof(line), &self->got.rec[0], &o));
	ASSERT_NE(NULL, strstr(line, ",\"cause\":\"refused\",\"err\":\"ECONNREFUSED\",\"rst_reason\":null,\"rst_by\":\"peer\",\"iss\":1234,\"irs\":null,\"fin_seq\":null,\"peer_fin_seq\":null,"))
		TH_LOG("%s", line);
	/* No owner table: every owner key null. */
	ASSERT_NE(NULL, strstr(line, ",\"cgroup_id\":null,\"cgroup\":null,\"uid\":null,\"pid\":null,\"tgid\":null,\"comm\":null,\"owner_from\":null}"))
		TH_LOG("%s", line);

	ASSERT_LT(0, out_seq_text(line, sizeof(line), &self->got.rec[2], &o));
	ASSERT_STREQ("reset_by_us        client 4026531840 10.0.0.1:40000        10.0.0.2:80           0ns       ESTABLISHED 999.00ms -> CLOSE cause=reset_by_us rst_reason=unknown(77)",
		     line);
	ASSERT_LT(0, out_seq_json(line, sizeof(line), &self->got.rec[2], &o));
	ASSERT_NE(NULL, strstr(line, ",\"cause\":\"reset_by_us\",\"err\":null,\"rst_reason\":\"unknown(77)\",\"rst_by\":\"local\","))
		TH_LOG("%s", line);
}

TEST_F(seq, isns_and_fins_of_both_sides)
{
	const unsigned int ISS = TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS |
				 TCPSTATE_VALID_SEQ;
	const __u32 x = 4000000000U, y = 77;	/* client's, server's ISN */
	const struct seq_record *r;
	struct tcpstate_event ev;

	/* client: SYN seq=x; SYN-ACK seq=y ack=x+1; FIN at x+1+100 */
	connect_(self->e, &self->cli, T0, 0x121);
	state_seq(self->e, &self->cli, T0 + MS, 0x121, SYN_SENT, EST, ISS,
		  x + 1, y + 1, x, y);
	state_seq(self->e, &self->cli, T0 + SEC, 0x121, EST, FIN_WAIT1,
		  TCPSTATE_VALID_SEQ, x + 101, y + 1 + 50, 0, 0);
	state_seq(self->e, &self->cli, T0 + SEC + 40 * US, 0x121, FIN_WAIT1,
		  FIN_WAIT2, TCPSTATE_VALID_SEQ, x + 102, y + 51, 0, 0);
	ev = end_event(&self->cli, TCPSTATE_EV_TIMEWAIT, T0 + SEC + 50 * US, 0x122);
	ev.peer_id = 0x121;
	ev.oldstate = FIN_WAIT2;
	ev.newstate = TIME_WAIT;
	ev.valid = TCPSTATE_VALID_SEQ;
	ev.seq = x + 102;
	ev.ack = y + 52;	/* the server's FIN at y+51, + 1 */
	seq_feed(self->e, &ev);
	state_err(self->e, &self->cli, T0 + SEC + 50 * US, 0x121, FIN_WAIT2,
		  CLOSE, 0);
	timewait_end(self->e, &self->cli, T0 + 61 * SEC, 0x122,
		     TCPSTATE_TWE_EXPIRED, TIME_WAIT);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_ACTIVE_OPEN, r->kind);
	ASSERT_EQ(SEQ_HAS_ISS | SEQ_HAS_IRS, r->seqs);
	ASSERT_EQ(x, r->iss);
	ASSERT_EQ(y, r->irs);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(SEQ_CAUSE_NONE, r->cause);
	ASSERT_EQ(SEQ_HAS_ISS | SEQ_HAS_IRS | SEQ_HAS_FIN | SEQ_HAS_PEER_FIN,
		  r->seqs);
	ASSERT_EQ(x, r->iss);
	ASSERT_EQ(x + 101, r->fin_seq);
	ASSERT_EQ(y + 51, r->peer_fin_seq);

	/* server: the request sock's SYN_RECV has both ISNs */
	ev = end_event(&self->srv, TCPSTATE_EV_SYN_RECV, T0, 0x130);
	ev.peer_id = LISTENER;
	ev.valid = TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS;
	ev.iss = y;
	ev.irs = x;
	seq_feed(self->e, &ev);
	child(self->e, &self->srv, T0 + 2 * MS, 0x131);
	syn_recv_end(self->e, &self->srv, T0 + 2 * MS, 0x130,
		     TCPSTATE_SRE_COMPLETED, 0, 0x131);
	state(self->e, &self->srv, T0 + 2 * MS, 0x131, SYN_RECV, EST);
	state_seq(self->e, &self->srv, T0 + SEC + 20 * US, 0x131, EST,
		  CLOSE_WAIT, TCPSTATE_VALID_SEQ, y + 51, x + 102, 0, 0);
	state_seq(self->e, &self->srv, T0 + SEC + 30 * US, 0x131, CLOSE_WAIT,
		  LAST_ACK, TCPSTATE_VALID_SEQ, y + 51, x + 102, 0, 0);
	state_err(self->e, &self->srv, T0 + SEC + 60 * US, 0x131, LAST_ACK,
		  CLOSE, 0);
	ASSERT_EQ(4U, self->got.n);
	r = &self->got.rec[2];
	ASSERT_EQ(SEQ_PASSIVE_OPEN, r->kind);
	ASSERT_EQ(y, r->iss);
	ASSERT_EQ(x, r->irs);
	r = &self->got.rec[3];
	ASSERT_EQ(SEQ_PASSIVE_CLOSE, r->kind);
	ASSERT_EQ(SEQ_HAS_ISS | SEQ_HAS_IRS | SEQ_HAS_FIN | SEQ_HAS_PEER_FIN,
		  r->seqs);
	ASSERT_EQ(y + 51, r->fin_seq);
	ASSERT_EQ(x + 101, r->peer_fin_seq);
}

TEST_F(seq, half_open_expired_and_dropped)
{
	static const struct {
		unsigned int reason;
		enum seq_kind kind;
		const char *name;
	} cases[] = {
		{ TCPSTATE_SRE_EXPIRED, SEQ_HALF_OPEN_EXPIRED, "expired" },
		{ TCPSTATE_SRE_DROPPED, SEQ_HALF_OPEN_DROPPED, "dropped" },
		{ TCPSTATE_SRE_LISTENER_CLOSED, SEQ_HALF_OPEN_DROPPED,
		  "listener_closed" },
		{ 77, SEQ_HALF_OPEN_DROPPED, NULL },
	};
	const struct seq_record *r;
	unsigned int i, k;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 t = T0 + i * 100 * SEC, req = 0x70 + i;

		syn_recv(self->e, &self->srv, t, req, 5, 64);
		for (k = 1; k <= 5; k++)
			synack(self->e, &self->srv, t + (1ULL << k) * SEC, req,
			       k);
		syn_recv_end(self->e, &self->srv, t + 63 * SEC, req,
			     cases[i].reason, 5, LISTENER);
		ASSERT_EQ(i + 1, self->got.n);
		r = &self->got.rec[i];
		ASSERT_EQ(cases[i].kind, r->kind);
		ASSERT_EQ(SEQ_SIDE_SERVER, r->side);
		ASSERT_EQ(req, r->sock_id);
		ASSERT_EQ(req, r->req_id);
		ASSERT_EQ(63 * SEC, r->syn_queue_ns);
		ASSERT_EQ(63 * SEC, r->duration_ns);
		ASSERT_EQ(5U, r->synack_retrans);
		ASSERT_EQ(SEQ_REASON_SYN_RECV_END, r->reason_type);
		ASSERT_EQ(cases[i].reason, r->reason);
		if (cases[i].name) {
			ASSERT_STREQ(cases[i].name, seq_reason_name(r));
		} else {
			ASSERT_EQ(NULL, seq_reason_name(r));
		}
		/* The SYN queue when it joined. */
		ASSERT_TRUE(r->has_queue);
		ASSERT_EQ(5U, r->qlen);
		ASSERT_EQ(64U, r->qmax);
		ASSERT_EQ(0U, r->missing);
		STEP(r, 0, SYN_RECV, 63 * SEC);
		STEP(r, 1, CLOSE, SEQ_NONE);
	}
	ASSERT_EQ(0UL, tracked(self->e));
}

TEST_F(seq, syn_dropped_and_syn_cookie_come_at_once)
{
	const struct seq_record *r;

	drop(self->e, &self->srv, TCPSTATE_EV_SYN_DROP, T0, 0,
	     TCPSTATE_DROP_SYN_QUEUE_FULL, 128, 128);
	drop(self->e, &self->srv, TCPSTATE_EV_SYN_DROP, T0 + 1, 0,
	     TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 4, 4);
	drop(self->e, &self->srv, TCPSTATE_EV_SYNCOOKIE_SENT, T0 + 2, 0, 0, 0,
	     0);
	ASSERT_EQ(3U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_SYN_DROPPED, r->kind);
	ASSERT_EQ(SEQ_SIDE_SERVER, r->side);
	ASSERT_EQ(0ULL, r->sock_id);
	ASSERT_STREQ("syn_queue_full", seq_reason_name(r));
	ASSERT_TRUE(r->has_queue);
	ASSERT_EQ(128U, r->qlen);
	ASSERT_EQ(SEQ_NONE, r->duration_ns);
	ASSERT_EQ(0U, r->nsteps);
	ASSERT_EQ(0U, r->missing);
	ASSERT_TRUE(tuple_is(r, &self->srv));
	ASSERT_TRUE(seq_record_touches(r, LISTEN));
	ASSERT_FALSE(seq_record_touches(r, SYN_RECV));
	ASSERT_STREQ("accept_queue_full", seq_reason_name(&self->got.rec[1]));
	r = &self->got.rec[2];
	ASSERT_EQ(SEQ_SYN_COOKIE, r->kind);
	ASSERT_EQ(SEQ_REASON_NONE, r->reason_type);
	ASSERT_FALSE(r->has_queue);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* Third ACKs dropped: the request sock lives on, to expire or complete. */
TEST_F(seq, ack_dropped_then_expired)
{
	const struct seq_record *r;

	syn_recv(self->e, &self->srv, T0, 0x51, 1, 4);
	drop(self->e, &self->srv, TCPSTATE_EV_ACK_DROP, T0 + 300 * US, 0x51,
	     TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 4, 4);
	synack(self->e, &self->srv, T0 + 1 * SEC, 0x51, 1);
	drop(self->e, &self->srv, TCPSTATE_EV_ACK_DROP, T0 + 1 * SEC, 0x51,
	     TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 4, 4);
	ASSERT_EQ(0U, self->got.n);
	syn_recv_end(self->e, &self->srv, T0 + 63 * SEC, 0x51,
		     TCPSTATE_SRE_EXPIRED, 5, LISTENER);
	ASSERT_EQ(1U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_ACK_DROPPED, r->kind);
	ASSERT_EQ(2U, r->ack_drops);
	ASSERT_EQ(5U, r->synack_retrans);
	ASSERT_STREQ("accept_queue_full", seq_reason_name(r));
	ASSERT_TRUE(r->has_queue);
	ASSERT_EQ(4U, r->qlen);
	ASSERT_EQ(4U, r->qmax);
	ASSERT_EQ(63 * SEC, r->syn_queue_ns);
}

TEST_F(seq, ack_dropped_then_completed_is_an_open)
{
	const struct seq_record *r;

	syn_recv(self->e, &self->srv, T0, 0x51, 1, 4);
	drop(self->e, &self->srv, TCPSTATE_EV_ACK_DROP, T0 + 300 * US, 0x51,
	     TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 4, 4);
	child(self->e, &self->srv, T0 + 2 * SEC, 0xc1);
	syn_recv_end(self->e, &self->srv, T0 + 2 * SEC, 0x51,
		     TCPSTATE_SRE_COMPLETED, 1, 0xc1);
	queued(self->e, &self->srv, T0 + 2 * SEC, 0xc1, 4, 4);
	state(self->e, &self->srv, T0 + 2 * SEC, 0xc1, SYN_RECV, EST);
	ASSERT_EQ(1U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_PASSIVE_OPEN, r->kind);
	ASSERT_EQ(1U, r->ack_drops);
	ASSERT_STREQ("accept_queue_full", seq_reason_name(r));
	ASSERT_EQ(2 * SEC, r->handshake_ns);
}

TEST_F(seq, simultaneous_close_through_closing)
{
	const struct seq_record *r;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 3 * SEC, 0xa1, EST, FIN_WAIT1);
	state(self->e, &self->cli, T0 + 3 * SEC + 5 * US, 0xa1, FIN_WAIT1,
	      CLOSING);
	timewait(self->e, &self->cli, T0 + 3 * SEC + 90 * US, 0xa2, 0xa1,
		 CLOSING, TIME_WAIT);
	state(self->e, &self->cli, T0 + 3 * SEC + 90 * US, 0xa1, CLOSING,
	      CLOSE);
	timewait_end(self->e, &self->cli, T0 + 63 * SEC + 90 * US, 0xa2,
		     TCPSTATE_TWE_EXPIRED, TIME_WAIT);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_SIMULTANEOUS_CLOSE, r->kind);
	ASSERT_EQ(5U, r->nsteps);
	STEP(r, 1, FIN_WAIT1, 5 * US);
	STEP(r, 2, CLOSING, 85 * US);
	STEP(r, 3, TIME_WAIT, 60 * SEC);
	ASSERT_EQ(60 * SEC, r->time_wait_ns);
	ASSERT_TRUE(seq_record_touches(r, CLOSING));
	ASSERT_TRUE(seq_record_touches(r, TIME_WAIT));
	ASSERT_FALSE(seq_record_touches(r, FIN_WAIT2));
}

/* Off the orderly path: from ESTABLISHED, CLOSE_WAIT, FIN_WAIT2. */
TEST_F(seq, resets)
{
	const struct seq_record *r;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 9 * SEC, 0xa1, EST, CLOSE);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_RESET, r->kind);
	ASSERT_EQ(SEQ_SIDE_CLIENT, r->side);
	ASSERT_EQ(9 * SEC - 1 * MS, r->established_ns);
	/* Nothing between leaving ESTABLISHED and CLOSE. */
	ASSERT_EQ(0ULL, r->duration_ns);
	STEP(r, 0, EST, 9 * SEC - 1 * MS);
	STEP(r, 1, CLOSE, SEQ_NONE);

	child(self->e, &self->srv, T0, 0xc1);
	state(self->e, &self->srv, T0 + 1 * MS, 0xc1, SYN_RECV, EST);
	state(self->e, &self->srv, T0 + 2 * SEC, 0xc1, EST, CLOSE_WAIT);
	state(self->e, &self->srv, T0 + 4 * SEC, 0xc1, CLOSE_WAIT, CLOSE);
	ASSERT_EQ(4U, self->got.n);
	r = &self->got.rec[3];
	ASSERT_EQ(SEQ_RESET, r->kind);
	ASSERT_EQ(SEQ_SIDE_SERVER, r->side);
	ASSERT_EQ(2 * SEC, r->duration_ns);
	STEP(r, 1, CLOSE_WAIT, 2 * SEC);

	/* FIN_WAIT2 -> CLOSE with no timewait sock (none could be made). */
	connect_(self->e, &self->cli, T0, 0xd1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xd1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 2 * MS, 0xd1, EST, FIN_WAIT1);
	state(self->e, &self->cli, T0 + 3 * MS, 0xd1, FIN_WAIT1, FIN_WAIT2);
	state(self->e, &self->cli, T0 + 4 * MS, 0xd1, FIN_WAIT2, CLOSE);
	ASSERT_EQ(6U, self->got.n);
	ASSERT_EQ(SEQ_RESET, self->got.rec[5].kind);
	ASSERT_EQ(2 * MS, self->got.rec[5].duration_ns);

	/* A child that never reached ESTABLISHED. */
	child(self->e, &self->srv, T0, 0xe1);
	state(self->e, &self->srv, T0 + 7 * MS, 0xe1, SYN_RECV, CLOSE);
	ASSERT_EQ(7U, self->got.n);
	r = &self->got.rec[6];
	ASSERT_EQ(SEQ_RESET, r->kind);
	STEP(r, 0, SYN_RECV, 7 * MS);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* The application closed before FIN_WAIT2 ended: tcp_fin_timeout. */
TEST_F(seq, orphaned_fin_wait2)
{
	const struct seq_record *r;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 2 * MS, 0xa1, EST, FIN_WAIT1);
	state(self->e, &self->cli, T0 + 3 * MS, 0xa1, FIN_WAIT1, FIN_WAIT2);
	timewait(self->e, &self->cli, T0 + 3 * MS, 0xa2, 0xa1, FIN_WAIT2,
		 FIN_WAIT2);
	state(self->e, &self->cli, T0 + 3 * MS, 0xa1, FIN_WAIT2, CLOSE);
	timewait_end(self->e, &self->cli, T0 + 3 * MS + 60 * SEC, 0xa2,
		     TCPSTATE_TWE_EXPIRED, FIN_WAIT2);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ORPHAN_CLOSE, r->kind);
	ASSERT_EQ(FIN_WAIT2, r->tw_substate);
	ASSERT_EQ(60 * SEC, r->time_wait_ns);
	ASSERT_EQ(5U, r->nsteps);
	STEP(r, 2, FIN_WAIT2, 0);
	STEP(r, 3, SEQ_ST_TW_FIN_WAIT2, 60 * SEC);
	STEP(r, 4, CLOSE, SEQ_NONE);
	ASSERT_STREQ("FIN_WAIT2(tw)", seq_step_name(SEQ_ST_TW_FIN_WAIT2));
	ASSERT_TRUE(seq_record_touches(r, FIN_WAIT2));
	ASSERT_FALSE(seq_record_touches(r, TIME_WAIT));
	ASSERT_EQ(0UL, tracked(self->e));
}

/*
 * Orphaned before the ACK of its FIN, then the peer's FIN arrives: the
 * FIN_WAIT2 timewait sock moves to TIME_WAIT (TIMEWAIT_SUBSTATE), and the
 * close is an ordinary active close with both steps timed.
 */
TEST_F(seq, orphaned_fin_wait2_then_the_peers_fin)
{
	struct tcpstate_event sub = end_event(&self->cli, TCPSTATE_EV_TIMEWAIT_SUBSTATE,
					 T0 + 5 * MS, 0xa2);
	const struct seq_record *r;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 2 * MS, 0xa1, EST, FIN_WAIT1);
	state(self->e, &self->cli, T0 + 3 * MS, 0xa1, FIN_WAIT1, FIN_WAIT2);
	timewait(self->e, &self->cli, T0 + 3 * MS, 0xa2, 0xa1, FIN_WAIT2,
		 FIN_WAIT2);
	state(self->e, &self->cli, T0 + 3 * MS, 0xa1, FIN_WAIT2, CLOSE);
	sub.oldstate = FIN_WAIT2;
	sub.newstate = TIME_WAIT;
	seq_feed(self->e, &sub);
	timewait_end(self->e, &self->cli, T0 + 5 * MS + 60 * SEC, 0xa2,
		     TCPSTATE_TWE_EXPIRED, TIME_WAIT);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(TIME_WAIT, r->tw_substate);
	ASSERT_EQ(2 * MS + 60 * SEC, r->time_wait_ns);
	ASSERT_EQ(6U, r->nsteps);
	STEP(r, 3, SEQ_ST_TW_FIN_WAIT2, 2 * MS);
	STEP(r, 4, TIME_WAIT, 60 * SEC);
	STEP(r, 5, CLOSE, SEQ_NONE);
	ASSERT_EQ(0UL, tracked(self->e));
}

/*
 * Two connections on one 4-tuple, interleaved: the old one in TIME_WAIT
 * taken over ("reused") while the new one opens. Ids, not tuples, keep
 * them apart.
 */
TEST_F(seq, interleaved_connections_on_one_tuple)
{
	const struct seq_record *r;
	unsigned int i;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 2 * MS, 0xa1, EST, FIN_WAIT1);
	connect_(self->e, &self->cli, T0 + 2 * MS + 1, 0xb1);
	state(self->e, &self->cli, T0 + 3 * MS, 0xa1, FIN_WAIT1, FIN_WAIT2);
	timewait(self->e, &self->cli, T0 + 4 * MS, 0xa2, 0xa1, FIN_WAIT2,
		 TIME_WAIT);
	state(self->e, &self->cli, T0 + 4 * MS, 0xa1, FIN_WAIT2, CLOSE);
	timewait_end(self->e, &self->cli, T0 + 5 * MS, 0xa2,
		     TCPSTATE_TWE_REUSED, TIME_WAIT);
	state(self->e, &self->cli, T0 + 6 * MS, 0xb1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 7 * MS, 0xb1, EST, CLOSE);

	ASSERT_EQ(4U, self->got.n);
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(tuple_is(&self->got.rec[i], &self->cli));
	ASSERT_EQ(SEQ_ACTIVE_OPEN, self->got.rec[0].kind);
	ASSERT_EQ(0xa1ULL, self->got.rec[0].sock_id);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(0xa1ULL, r->sock_id);
	ASSERT_STREQ("reused", seq_reason_name(r));
	ASSERT_EQ(1 * MS, r->time_wait_ns);
	r = &self->got.rec[2];
	ASSERT_EQ(SEQ_ACTIVE_OPEN, r->kind);
	ASSERT_EQ(0xb1ULL, r->sock_id);
	ASSERT_EQ(6 * MS - 2 * MS - 1, r->handshake_ns);
	ASSERT_EQ(0U, r->missing);
	ASSERT_EQ(SEQ_RESET, self->got.rec[3].kind);
	ASSERT_EQ(0xb1ULL, self->got.rec[3].sock_id);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* After CLOSE, SYN_RECV_END and TIMEWAIT_END an id starts afresh. */
TEST_F(seq, ids_reused_after_their_end)
{
	const struct seq_record *r;

	/* A refused connect, then connect() again on the same socket. */
	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 30 * US, 0xa1, SYN_SENT, CLOSE);
	connect_(self->e, &self->cli, T0 + 1 * SEC, 0xa1);
	state(self->e, &self->cli, T0 + 1 * SEC + 900 * US, 0xa1, SYN_SENT,
	      EST);
	ASSERT_EQ(2U, self->got.n);
	ASSERT_EQ(SEQ_CONNECT_REFUSED, self->got.rec[0].kind);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_OPEN, r->kind);
	ASSERT_EQ(900 * US, r->handshake_ns);
	ASSERT_EQ(0U, r->missing);

	/* A request sock's address reused by the next SYN. */
	syn_recv(self->e, &self->srv, T0, 0x51, 1, 64);
	syn_recv_end(self->e, &self->srv, T0 + 1 * MS, 0x51,
		     TCPSTATE_SRE_DROPPED, 0, LISTENER);
	syn_recv(self->e, &self->srv, T0 + 2 * MS, 0x51, 1, 64);
	syn_recv_end(self->e, &self->srv, T0 + 5 * MS, 0x51,
		     TCPSTATE_SRE_EXPIRED, 0, LISTENER);
	ASSERT_EQ(4U, self->got.n);
	ASSERT_EQ(SEQ_HALF_OPEN_DROPPED, self->got.rec[2].kind);
	ASSERT_EQ(1 * MS, self->got.rec[2].syn_queue_ns);
	ASSERT_EQ(SEQ_HALF_OPEN_EXPIRED, self->got.rec[3].kind);
	ASSERT_EQ(3 * MS, self->got.rec[3].syn_queue_ns);

	/* A timewait sock's address becoming a full socket's. */
	client_active_close(self->e, &self->cli, T0, 0xb1, 0xb2);
	connect_(self->e, &self->cli, T0 + 100 * SEC, 0xb2);
	state(self->e, &self->cli, T0 + 100 * SEC + 1 * MS, 0xb2, SYN_SENT,
	      EST);
	ASSERT_EQ(7U, self->got.n);
	r = &self->got.rec[6];
	ASSERT_EQ(SEQ_ACTIVE_OPEN, r->kind);
	ASSERT_EQ(0xb2ULL, r->sock_id);
	ASSERT_EQ(0U, r->missing);
	/* 0xa1 and 0xb2, both established now. */
	ASSERT_EQ(2UL, tracked(self->e));
}

/* Equal timestamps are durations of 0, not unknown ones. */
TEST_F(seq, timestamps_that_tie)
{
	const struct seq_record *r;
	unsigned int i;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0, 0xa1, EST, FIN_WAIT1);
	state(self->e, &self->cli, T0, 0xa1, FIN_WAIT1, FIN_WAIT2);
	timewait(self->e, &self->cli, T0, 0xa2, 0xa1, FIN_WAIT2, TIME_WAIT);
	state(self->e, &self->cli, T0, 0xa1, FIN_WAIT2, CLOSE);
	timewait_end(self->e, &self->cli, T0, 0xa2, TCPSTATE_TWE_RST,
		     TIME_WAIT);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(0ULL, r->handshake_ns);
	STEP(r, 0, SYN_SENT, 0);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(0ULL, r->duration_ns);
	ASSERT_EQ(0ULL, r->established_ns);
	ASSERT_EQ(0ULL, r->time_wait_ns);
	ASSERT_EQ(0U, r->missing);
	for (i = 0; i + 1 < r->nsteps; i++)
		ASSERT_EQ(0ULL, r->steps[i].ns);
}

/* FIN_WAIT1 -> FIN_WAIT2 lost: a gap, never an invented step. */
TEST_F(seq, missing_event_is_a_gap)
{
	const struct seq_record *r;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 2 * MS, 0xa1, EST, FIN_WAIT1);
	timewait(self->e, &self->cli, T0 + 5 * MS, 0xa2, 0xa1, FIN_WAIT2,
		 TIME_WAIT);
	state(self->e, &self->cli, T0 + 5 * MS, 0xa1, FIN_WAIT2, CLOSE);
	timewait_end(self->e, &self->cli, T0 + 65 * MS, 0xa2,
		     TCPSTATE_TWE_EXPIRED, TIME_WAIT);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(SEQ_MISS_GAP, r->missing);
	ASSERT_EQ(FIN_WAIT1, r->gap_from);
	ASSERT_EQ(FIN_WAIT2, r->gap_to);
	ASSERT_EQ(6U, r->nsteps);
	STEP(r, 0, EST, 1 * MS);
	STEP(r, 1, FIN_WAIT1, SEQ_NONE);	/* when it left: not seen */
	STEP(r, 2, SEQ_ST_GAP, SEQ_NONE);
	STEP(r, 3, FIN_WAIT2, SEQ_NONE);	/* when it came: not seen */
	STEP(r, 4, TIME_WAIT, 60 * MS);
	STEP(r, 5, CLOSE, SEQ_NONE);
	/* The teardown's start was seen, so its length is known. */
	ASSERT_EQ(63 * MS, r->duration_ns);
	ASSERT_EQ(60 * MS, r->time_wait_ns);
}

/* A CLOSE lost, the id reused: the old connection is unfinished. */
TEST_F(seq, missing_end_then_id_reused)
{
	const struct seq_record *r;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 2 * MS, 0xa1, EST, CLOSE_WAIT);
	/* CLOSE_WAIT -> ... -> CLOSE never seen. */
	connect_(self->e, &self->cli, T0 + 9 * MS, 0xa1);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_UNFINISHED, r->kind);
	ASSERT_EQ(SEQ_MISS_END, r->missing);
	ASSERT_EQ(T0 + 2 * MS, r->end_ns);
	ASSERT_EQ(SEQ_NONE, r->duration_ns);
	ASSERT_EQ(2U, r->nsteps);
	STEP(r, 0, EST, 1 * MS);
	STEP(r, 1, CLOSE_WAIT, SEQ_NONE);
	state(self->e, &self->cli, T0 + 10 * MS, 0xa1, SYN_SENT, EST);
	ASSERT_EQ(3U, self->got.n);
	ASSERT_EQ(SEQ_ACTIVE_OPEN, self->got.rec[2].kind);
	ASSERT_EQ(0U, self->got.rec[2].missing);
}

/* The reader starts while connections are under way. */
TEST_F(seq, stream_starting_mid_connection)
{
	const struct seq_record *r;

	/* A teardown whose ESTABLISHED was never seen. */
	state(self->e, &self->cli, T0, 0xa1, FIN_WAIT1, FIN_WAIT2);
	timewait(self->e, &self->cli, T0 + 1 * MS, 0xa2, 0xa1, FIN_WAIT2,
		 TIME_WAIT);
	state(self->e, &self->cli, T0 + 1 * MS, 0xa1, FIN_WAIT2, CLOSE);
	timewait_end(self->e, &self->cli, T0 + 61 * MS, 0xa2,
		     TCPSTATE_TWE_EXPIRED, TIME_WAIT);
	ASSERT_EQ(1U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(SEQ_SIDE_UNKNOWN, r->side);
	ASSERT_EQ(SEQ_MISS_START, r->missing);
	ASSERT_EQ(SEQ_NONE, r->duration_ns);
	ASSERT_EQ(SEQ_NONE, r->established_ns);
	ASSERT_EQ(60 * MS, r->time_wait_ns);
	STEP(r, 0, FIN_WAIT1, SEQ_NONE);
	STEP(r, 1, FIN_WAIT2, 1 * MS);

	/* A timewait sock older than the reader. */
	timewait_end(self->e, &self->cli, T0 + 2 * SEC, 0xf2,
		     TCPSTATE_TWE_EXPIRED, TIME_WAIT);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_ACTIVE_CLOSE, r->kind);
	ASSERT_EQ(SEQ_MISS_START, r->missing);
	ASSERT_EQ(SEQ_NONE, r->time_wait_ns);
	ASSERT_EQ(0xf2ULL, r->tw_id);
	ASSERT_EQ(0xf2ULL, r->sock_id);
	STEP(r, 0, TIME_WAIT, SEQ_NONE);
	STEP(r, 1, CLOSE, SEQ_NONE);

	/* Handshakes whose first step came before the reader. */
	state(self->e, &self->cli, T0 + 3 * SEC, 0xb1, SYN_SENT, EST);
	ASSERT_EQ(3U, self->got.n);
	r = &self->got.rec[2];
	ASSERT_EQ(SEQ_ACTIVE_OPEN, r->kind);
	ASSERT_EQ(SEQ_SIDE_CLIENT, r->side);
	ASSERT_EQ(SEQ_MISS_START, r->missing);
	ASSERT_EQ(SEQ_NONE, r->handshake_ns);

	synack(self->e, &self->srv, T0 + 4 * SEC, 0x61, 2);
	child(self->e, &self->srv, T0 + 5 * SEC, 0xc1);
	syn_recv_end(self->e, &self->srv, T0 + 5 * SEC, 0x61,
		     TCPSTATE_SRE_COMPLETED, 2, 0xc1);
	state(self->e, &self->srv, T0 + 5 * SEC, 0xc1, SYN_RECV, EST);
	ASSERT_EQ(4U, self->got.n);
	r = &self->got.rec[3];
	ASSERT_EQ(SEQ_PASSIVE_OPEN, r->kind);
	ASSERT_EQ(SEQ_MISS_START, r->missing);
	ASSERT_EQ(2U, r->synack_retrans);
	ASSERT_EQ(0x61ULL, r->req_id);
	ASSERT_EQ(SEQ_NONE, r->syn_queue_ns);
	ASSERT_EQ(SEQ_NONE, r->handshake_ns);

	/* A connect whose SYN_SENT was not seen: no elapsed time. */
	state(self->e, &self->cli, T0 + 6 * SEC, 0xd1, SYN_SENT, CLOSE);
	ASSERT_EQ(5U, self->got.n);
	ASSERT_EQ(SEQ_CONNECT_FAILED, self->got.rec[4].kind);
	ASSERT_EQ(SEQ_NONE, self->got.rec[4].duration_ns);
	/* 0xb1 and 0xc1, both established now. */
	ASSERT_EQ(2UL, tracked(self->e));
}

/*
 * More steps than a record holds (only a stream gone badly wrong makes
 * them): the first and the latest stay, "..." stands for the rest.
 */
TEST_F(seq, too_many_steps_keep_first_and_latest)
{
	static const unsigned int odd[][2] = {
		{ FIN_WAIT1, FIN_WAIT2 }, { CLOSE_WAIT, LAST_ACK },
		{ CLOSING, FIN_WAIT2 }, { FIN_WAIT1, CLOSING },
		{ CLOSE_WAIT, LAST_ACK }, { FIN_WAIT1, FIN_WAIT2 },
	};
	const struct seq_record *r;
	unsigned int i;

	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1, 0xa1, SYN_SENT, EST);
	for (i = 0; i < ARRAY_SIZE(odd); i++)
		state(self->e, &self->cli, T0 + 10 + i, 0xa1, odd[i][0],
		      odd[i][1]);
	state(self->e, &self->cli, T0 + 100, 0xa1, FIN_WAIT2, CLOSE);
	ASSERT_EQ(2U, self->got.n);
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_RESET, r->kind);
	ASSERT_EQ(SEQ_MISS_GAP | SEQ_MISS_STEPS, r->missing);
	ASSERT_EQ((unsigned int)SEQ_MAX_STEPS, r->nsteps);
	STEP(r, 0, EST, SEQ_NONE);
	STEP(r, 1, SEQ_ST_GAP, SEQ_NONE);
	STEP(r, SEQ_MAX_STEPS - 2, FIN_WAIT2, 85);
	STEP(r, SEQ_MAX_STEPS - 1, CLOSE, SEQ_NONE);
	ASSERT_EQ(EST, r->gap_from);
	ASSERT_EQ(FIN_WAIT1, r->gap_to);
}

/* The ring dropped events: what was tracked then says so, later ones not. */
TEST_F(seq, ring_loss_marks_what_was_tracked)
{
	connect_(self->e, &self->cli, T0, 0xa1);
	seq_note_loss(self->e);
	connect_(self->e, &self->cli, T0 + 1 * MS, 0xb1);
	state(self->e, &self->cli, T0 + 2 * MS, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 3 * MS, 0xb1, SYN_SENT, EST);
	ASSERT_EQ(2U, self->got.n);
	ASSERT_EQ(SEQ_MISS_LOST, self->got.rec[0].missing);
	ASSERT_EQ(0U, self->got.rec[1].missing);
	/* The closing began after the loss: nothing of it was lost. */
	state(self->e, &self->cli, T0 + 4 * MS, 0xa1, EST, CLOSE);
	ASSERT_EQ(3U, self->got.n);
	ASSERT_EQ(0U, self->got.rec[2].missing);
}

/* The least recently active connection goes first. */
TEST(eviction_at_the_cap)
{
	struct end cli = v4("10.0.0.1", 40000, "10.0.0.2", 80);
	static struct got got;
	struct seq_engine *e = seq_new(3, collect, &got);
	struct seq_stats st;
	unsigned int i;

	ASSERT_NE(NULL, e);
	for (i = 1; i <= 3; i++)
		connect_(e, &cli, T0 + i, i);
	/* Activity on 1 makes 2 the oldest. */
	state(e, &cli, T0 + 10, 1, SYN_SENT, SYN_RECV);
	connect_(e, &cli, T0 + 11, 4);
	connect_(e, &cli, T0 + 12, 5);
	seq_get_stats(e, &st);
	ASSERT_EQ(2ULL, st.evicted);
	ASSERT_EQ(3UL, st.tracked);
	ASSERT_EQ(3UL, st.max_tracked);
	ASSERT_EQ(0U, got.n);

	/* 1 was kept: its handshake is whole. */
	state(e, &cli, T0 + 21, 1, SYN_RECV, EST);
	ASSERT_EQ(1U, got.n);
	ASSERT_EQ(0U, got.rec[0].missing);
	ASSERT_EQ(21ULL - 1, got.rec[0].handshake_ns);
	/* 2 was forgotten: its end comes without a start, and following
	 * it again pushes out the least recent now, 4.
	 */
	state(e, &cli, T0 + 22, 2, SYN_SENT, EST);
	ASSERT_EQ(2U, got.n);
	ASSERT_EQ(SEQ_MISS_START, got.rec[1].missing);
	ASSERT_EQ(SEQ_NONE, got.rec[1].handshake_ns);
	seq_get_stats(e, &st);
	ASSERT_EQ(3ULL, st.evicted);
	ASSERT_EQ(3UL, st.tracked);
	state(e, &cli, T0 + 23, 4, SYN_SENT, EST);
	ASSERT_EQ(SEQ_MISS_START, got.rec[2].missing);
	state(e, &cli, T0 + 24, 5, SYN_SENT, EST);
	ASSERT_EQ(SEQ_MISS_START, got.rec[3].missing);	/* gone for 4 */
	seq_free(e);
}

TEST(cap_limits)
{
	static struct got got;

	ASSERT_EQ(NULL, seq_new(0, collect, &got));
	ASSERT_EQ(NULL, seq_new(SEQ_MAX_MAX_CONNS + 1, collect, &got));
	ASSERT_EQ(NULL, seq_new(10, NULL, &got));
}

TEST_F(seq, flush_reports_what_is_in_progress)
{
	const struct seq_record *r;

	connect_(self->e, &self->cli, T0, 0xa1);
	syn_recv(self->e, &self->srv, T0 + 1, 0x51, 1, 64);
	connect_(self->e, &self->cli, T0 + 2, 0xb1);
	state(self->e, &self->cli, T0 + 3, 0xb1, SYN_SENT, EST);
	ASSERT_EQ(1U, self->got.n);
	seq_flush(self->e);
	ASSERT_EQ(4U, self->got.n);
	ASSERT_EQ(0UL, tracked(self->e));
	/* Oldest activity first. */
	r = &self->got.rec[1];
	ASSERT_EQ(SEQ_IN_PROGRESS, r->kind);
	ASSERT_EQ(0xa1ULL, r->sock_id);
	ASSERT_EQ(SEQ_MISS_END, r->missing);
	STEP(r, 0, SYN_SENT, SEQ_NONE);
	r = &self->got.rec[2];
	ASSERT_EQ(SEQ_IN_PROGRESS, r->kind);
	ASSERT_EQ(0x51ULL, r->req_id);
	ASSERT_EQ(SEQ_SIDE_SERVER, r->side);
	r = &self->got.rec[3];
	ASSERT_EQ(SEQ_IN_PROGRESS, r->kind);
	ASSERT_EQ(0xb1ULL, r->sock_id);
	STEP(r, 0, EST, SEQ_NONE);
	seq_flush(self->e);
	ASSERT_EQ(4U, self->got.n);
}

/* SO_REUSEPORT migration: the new request sock carries the SYN's time. */
TEST_F(seq, migrated_request_sock)
{
	const struct seq_record *r;

	syn_recv(self->e, &self->srv, T0, 0x51, 1, 64);
	syn_recv_end(self->e, &self->srv, T0 + 1 * SEC, 0x51,
		     TCPSTATE_SRE_MIGRATED, 1, 0x52);
	syn_recv(self->e, &self->srv, T0 + 1 * SEC, 0x52, 1, 64);
	child(self->e, &self->srv, T0 + 2 * SEC, 0xc1);
	syn_recv_end(self->e, &self->srv, T0 + 2 * SEC, 0x52,
		     TCPSTATE_SRE_COMPLETED, 1, 0xc1);
	state(self->e, &self->srv, T0 + 2 * SEC, 0xc1, SYN_RECV, EST);
	ASSERT_EQ(1U, self->got.n);
	r = &self->got.rec[0];
	ASSERT_EQ(SEQ_PASSIVE_OPEN, r->kind);
	ASSERT_EQ(2 * SEC, r->syn_queue_ns);
	ASSERT_EQ(2 * SEC, r->handshake_ns);
	ASSERT_EQ(0x52ULL, r->req_id);
	ASSERT_EQ(0U, r->missing);

	/* Matched by tuple when peer_id is the listener (the header's
	 * wording) rather than the new request sock.
	 */
	syn_recv(self->e, &self->srv, T0, 0x61, 1, 64);
	syn_recv_end(self->e, &self->srv, T0 + 1 * SEC, 0x61,
		     TCPSTATE_SRE_MIGRATED, 1, LISTENER);
	syn_recv(self->e, &self->srv, T0 + 1 * SEC, 0x62, 1, 64);
	syn_recv_end(self->e, &self->srv, T0 + 3 * SEC, 0x62,
		     TCPSTATE_SRE_EXPIRED, 5, LISTENER);
	ASSERT_EQ(2U, self->got.n);
	ASSERT_EQ(SEQ_HALF_OPEN_EXPIRED, self->got.rec[1].kind);
	ASSERT_EQ(3 * SEC, self->got.rec[1].syn_queue_ns);
	ASSERT_EQ(1UL, tracked(self->e));	/* 0xc1, established */
}

/* Should TIMEWAIT_END beat the full socket's CLOSE, the CLOSE is quiet. */
TEST_F(seq, timewait_ends_before_its_socket_closes)
{
	connect_(self->e, &self->cli, T0, 0xa1);
	state(self->e, &self->cli, T0 + 1, 0xa1, SYN_SENT, EST);
	state(self->e, &self->cli, T0 + 2, 0xa1, EST, FIN_WAIT1);
	state(self->e, &self->cli, T0 + 3, 0xa1, FIN_WAIT1, FIN_WAIT2);
	timewait(self->e, &self->cli, T0 + 4, 0xa2, 0xa1, FIN_WAIT2,
		 TIME_WAIT);
	timewait_end(self->e, &self->cli, T0 + 5, 0xa2, TCPSTATE_TWE_RST,
		     TIME_WAIT);
	ASSERT_EQ(2U, self->got.n);
	ASSERT_EQ(1UL, tracked(self->e));
	state(self->e, &self->cli, T0 + 6, 0xa1, FIN_WAIT2, CLOSE);
	ASSERT_EQ(2U, self->got.n);
	ASSERT_EQ(0UL, tracked(self->e));
}

/* Listeners, X -> X and unknown event types are no connections. */
TEST_F(seq, what_is_not_a_connection)
{
	struct tcpstate_event ev = end_event(&self->srv, 99, T0, 0x99);

	state(self->e, &self->srv, T0, LISTENER, CLOSE, LISTEN);
	state(self->e, &self->srv, T0 + 1, 0xa1, CLOSE, CLOSE);
	seq_feed(self->e, &ev);
	state(self->e, &self->srv, T0 + 2, LISTENER, LISTEN, CLOSE);
	ASSERT_EQ(0U, self->got.n);
	ASSERT_EQ(0UL, tracked(self->e));
}

TEST(every_kind_has_a_distinct_name)
{
	unsigned int a, b;

	ASSERT_EQ(NULL, seq_kind_name(0));
	ASSERT_EQ(NULL, seq_kind_name(SEQ_NR_KINDS));
	for (a = 1; a < SEQ_NR_KINDS; a++) {
		ASSERT_NE(NULL, seq_kind_name(a));
		for (b = a + 1; b < SEQ_NR_KINDS; b++)
			ASSERT_STRNE(seq_kind_name(a), seq_kind_name(b));
	}
	ASSERT_STREQ("client", seq_side_name(SEQ_SIDE_CLIENT));
	ASSERT_STREQ("server", seq_side_name(SEQ_SIDE_SERVER));
	ASSERT_EQ(NULL, seq_side_name(SEQ_SIDE_UNKNOWN));
	ASSERT_STREQ("...", seq_step_name(SEQ_ST_GAP));
}

/* A small deterministic generator (xorshift), so failures reproduce. */
static __u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Thousands of connections of every kind, interleaved, through a cap of
 * 50, with events randomly dropped: the engine must stay within the cap,
 * report only well-formed records and forget nothing it should not.
 * (Built with -fsanitize=address, this is also a use-after-free hunt.)
 */
TEST(random_interleavings_stay_consistent)
{
	enum { SLOTS = 64, ROUNDS = 200000 };
	static struct got got;
	struct end cli = v4("10.0.0.1", 40000, "10.0.0.2", 80);
	struct end srv = v4("10.0.0.2", 80, "10.0.0.1", 40000);
	struct {
		int script, step;
		__u64 sk, req, tw;
	} slot[SLOTS];
	struct seq_engine *e = seq_new(50, collect, &got);
	__u64 seed = 0x9e3779b97f4a7c15ULL, t = T0, next_id = 1;
	unsigned long long records = 0;
	struct seq_stats st;
	unsigned int i, k;

	ASSERT_NE(NULL, e);
	memset(slot, 0, sizeof(slot));
	for (i = 0; i < ROUNDS; i++) {
		unsigned int s = (unsigned int)(rnd(&seed) % SLOTS);
		int lose = rnd(&seed) % 50 == 0;

		t += rnd(&seed) % (10 * US);
		if (!slot[s].script) {
			slot[s].script = (int)(rnd(&seed) % 4) + 1;
			slot[s].step = 0;
			/* Small ids, so that they get reused too. */
			slot[s].sk = next_id++ % 97 + 1;
			slot[s].req = next_id++ % 97 + 1000;
			slot[s].tw = next_id++ % 97 + 2000;
		}
		if (lose) {
			slot[s].step++;
			if (rnd(&seed) % 2)
				seq_note_loss(e);
			continue;
		}
		switch (slot[s].script * 10 + slot[s].step) {
		/* 1: client, active close */
		case 10: connect_(e, &cli, t, slot[s].sk); break;
		case 11: state(e, &cli, t, slot[s].sk, SYN_SENT, EST); break;
		case 12: state(e, &cli, t, slot[s].sk, EST, FIN_WAIT1); break;
		case 13: state(e, &cli, t, slot[s].sk, FIN_WAIT1, FIN_WAIT2);
			break;
		case 14: timewait(e, &cli, t, slot[s].tw, slot[s].sk,
				  FIN_WAIT2, TIME_WAIT);
			break;
		case 15: state(e, &cli, t, slot[s].sk, FIN_WAIT2, CLOSE); break;
		case 16: timewait_end(e, &cli, t, slot[s].tw,
				      TCPSTATE_TWE_EXPIRED, TIME_WAIT);
			slot[s].script = 0;
			break;
		/* 2: server, passive close */
		case 20: syn_recv(e, &srv, t, slot[s].req, 1, 64); break;
		case 21: child(e, &srv, t, slot[s].sk); break;
		case 22: syn_recv_end(e, &srv, t, slot[s].req,
				      TCPSTATE_SRE_COMPLETED, 0, slot[s].sk);
			break;
		case 23: queued(e, &srv, t, slot[s].sk, 1, 64); break;
		case 24: state(e, &srv, t, slot[s].sk, SYN_RECV, EST); break;
		case 25: state(e, &srv, t, slot[s].sk, EST, CLOSE_WAIT); break;
		case 26: state(e, &srv, t, slot[s].sk, CLOSE_WAIT, LAST_ACK);
			break;
		case 27: state(e, &srv, t, slot[s].sk, LAST_ACK, CLOSE);
			slot[s].script = 0;
			break;
		/* 3: half-open, with ACK drops */
		case 30: syn_recv(e, &srv, t, slot[s].req, 1, 64); break;
		case 31: synack(e, &srv, t, slot[s].req, 1); break;
		case 32: drop(e, &srv, TCPSTATE_EV_ACK_DROP, t, slot[s].req,
			      TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 4, 4);
			break;
		case 33: syn_recv_end(e, &srv, t, slot[s].req,
				      TCPSTATE_SRE_EXPIRED, 1, LISTENER);
			slot[s].script = 0;
			break;
		/* 4: refused, and a SYN drop */
		case 40: connect_(e, &cli, t, slot[s].sk); break;
		case 41: drop(e, &srv, TCPSTATE_EV_SYN_DROP, t, 0,
			      TCPSTATE_DROP_SYN_QUEUE_FULL, 64, 64);
			break;
		case 42: state(e, &cli, t, slot[s].sk, SYN_SENT, CLOSE);
			slot[s].script = 0;
			break;
		default:
			slot[s].script = 0;
			break;
		}
		slot[s].step++;

		seq_get_stats(e, &st);
		ASSERT_LE(st.tracked, 50UL);
		for (k = 0; k < got.n && k < MAX_GOT; k++) {
			const struct seq_record *r = &got.rec[k];

			ASSERT_NE(NULL, seq_kind_name(r->kind));
			ASSERT_LE(r->nsteps, (unsigned int)SEQ_MAX_STEPS);
			ASSERT_LE(r->start_ns, r->end_ns)
				TH_LOG("%s missing %x steps %u first %s",
				       seq_kind_name(r->kind), r->missing,
				       r->nsteps,
				       seq_step_name(r->steps[0].state));
			if (r->duration_ns != SEQ_NONE) {
				ASSERT_LE(r->duration_ns,
					  r->end_ns - r->start_ns + 60 * SEC);
			}
			if (!r->missing && r->kind == SEQ_ACTIVE_OPEN) {
				ASSERT_NE(SEQ_NONE, r->handshake_ns);
			}
		}
		records += got.n;
		got.n = 0;
	}
	seq_flush(e);
	records += got.n;
	seq_get_stats(e, &st);
	ASSERT_EQ(0UL, st.tracked);
	ASSERT_EQ(records, st.records);
	ASSERT_LT(1000ULL, records);
	seq_free(e);
}

TEST_HARNESS_MAIN
