// SPDX-License-Identifier: GPL-2.0
/*
 * The ladder view fed synthetic ABI 2 event streams through the sequence
 * engine, in the order the module reports them: a loopback handshake and
 * active close (both columns observed), a refused connect, a reset by the
 * peer, a remote peer (its column inferred), a loopback abort (reset by
 * us, reset by peer). Every line is compared.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "ends.h"
#include "ladder.h"
#include "names.h"
#include "sequence.h"

#define US	1000ULL
#define MS	1000000ULL
#define SEC	1000000000ULL
#define T0	(1000 * SEC)
#define NETNS	ENDS_NETNS
#define LISTENER	0x1157e4e4ULL

/* Every sequence number the kernel gives, as a test sets them. */
#define V_ISNS	(TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS)

struct out {
	char text[16384];
	size_t len;
	unsigned int ladders;
};

static void collect(const char *text, void *arg)
{
	struct out *o = arg;
	size_t n = strlen(text);

	if (o->len + n < sizeof(o->text)) {
		memcpy(o->text + o->len, text, n + 1);
		o->len += n;
	}
	o->ladders++;
}

static void to_ladder(const struct seq_record *rec, void *arg)
{
	ladder_add(arg, rec);
}


/* A state change; seq/ack only where the test gives them (@valid). */
static void st(struct seq_engine *e, const struct end *s, __u64 ts, __u64 id,
	       unsigned int old, unsigned int new, unsigned int valid,
	       __u32 seq, __u32 ack, __u32 iss, __u32 irs)
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

/* -> CLOSE, with the socket's error as every one carries it. */
static void closed(struct seq_engine *e, const struct end *s, __u64 ts,
		   __u64 id, unsigned int old, unsigned int err)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_STATE, ts, id);

	ev.oldstate = (__u8)old;
	ev.newstate = TCPS_CLOSE;
	ev.valid = TCPSTATE_VALID_ERR;
	ev.err = (__u16)err;
	seq_feed(e, &ev);
}

/* connect(): CLOSE -> SYN_SENT, before the local port is picked. */
static void connect_(struct seq_engine *e, const struct end *s, __u64 ts,
		     __u64 id)
{
	struct end early = *s;

	early.lport = 0;
	st(e, &early, ts, id, TCPS_CLOSE, TCPS_SYN_SENT, 0, 0, 0, 0, 0);
}

/* The client's handshake: SYN at @t, SYN-ACK back at @t + @rtt. */
static void client_open(struct seq_engine *e, const struct end *c, __u64 t,
			__u64 rtt, __u64 id, __u32 x, __u32 y)
{
	connect_(e, c, t, id);
	st(e, c, t + rtt, id, TCPS_SYN_SENT, TCPS_ESTABLISHED,
	   V_ISNS | TCPSTATE_VALID_SEQ, x + 1, y + 1, x, y);
}

/* The server's SYN in: its request sock, SYN-ACK seq=@y ack=@x+1 out. */
static void syn_in(struct seq_engine *e, const struct end *s, __u64 t,
		   __u64 req, __u32 y, __u32 x)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_SYN_RECV, t, req);

	ev.peer_id = LISTENER;
	ev.qlen = 1;
	ev.qmax = 128;
	ev.valid = V_ISNS;
	ev.iss = y;
	ev.irs = x;
	seq_feed(e, &ev);
}

/* The third ACK in at @t: the child, in the module's order. */
static void child_done(struct seq_engine *e, const struct end *s, __u64 t,
		       __u64 req, __u64 sk, __u32 y, __u32 x)
{
	struct end listener = *s;
	struct tcpstate_event ev;

	memset(listener.raddr, 0, 16);
	listener.rport = 0;
	st(e, &listener, t, sk, TCPS_LISTEN, TCPS_SYN_RECV, V_ISNS, 0, 0, y,
	   x);
	ev = end_event(s, TCPSTATE_EV_SYN_RECV_END, t, req);
	ev.reason = TCPSTATE_SRE_COMPLETED;
	ev.peer_id = sk;
	seq_feed(e, &ev);
	ev = end_event(s, TCPSTATE_EV_ACCEPT_QUEUED, t, sk);
	ev.peer_id = LISTENER;
	ev.qlen = 1;
	ev.qmax = 128;
	seq_feed(e, &ev);
	st(e, s, t + 2 * US, sk, TCPS_SYN_RECV, TCPS_ESTABLISHED,
	   V_ISNS | TCPSTATE_VALID_SEQ, y + 1, x + 1, y, x);
}

/* An abort's RST, after its CLOSE: answering no segment, no numbers. */
static void abort_rst(struct seq_engine *e, const struct end *s, __u64 ts,
		      __u64 id, unsigned int reason)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_RST_SENT, ts, id);

	ev.oldstate = TCPS_CLOSE;
	ev.reason = (__u8)reason;
	seq_feed(e, &ev);
}

static void timewait(struct seq_engine *e, const struct end *s, __u64 ts,
		     __u64 tw, __u64 sk, __u32 seq, __u32 ack)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_TIMEWAIT, ts, tw);

	ev.peer_id = sk;
	ev.oldstate = TCPS_FIN_WAIT2;
	ev.newstate = TCPS_TIME_WAIT;
	ev.valid = TCPSTATE_VALID_SEQ;
	ev.seq = seq;
	ev.ack = ack;
	seq_feed(e, &ev);
}

static void timewait_end(struct seq_engine *e, const struct end *s,
			 __u64 ts, __u64 tw)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_TIMEWAIT_END, ts, tw);

	ev.reason = TCPSTATE_TWE_EXPIRED;
	ev.newstate = TCPS_TIME_WAIT;
	seq_feed(e, &ev);
}

/*
 * The client closes first, having sent 100 bytes and got 200: its FIN
 * at x+101, the server's at y+201.
 */
static void client_active_close(struct seq_engine *e, const struct end *c,
				__u64 t, __u64 sk, __u64 tw, __u32 x, __u32 y)
{
	st(e, c, t, sk, TCPS_ESTABLISHED, TCPS_FIN_WAIT1, TCPSTATE_VALID_SEQ,
	   x + 101, y + 201, 0, 0);
	st(e, c, t + 20 * US, sk, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2,
	   TCPSTATE_VALID_SEQ, x + 102, y + 201, 0, 0);
	timewait(e, c, t + 60 * US, tw, sk, x + 102, y + 202);
	closed(e, c, t + 60 * US, sk, TCPS_FIN_WAIT2, 0);
}

static void server_passive_close(struct seq_engine *e, const struct end *s,
				 __u64 t, __u64 sk, __u32 y, __u32 x)
{
	st(e, s, t, sk, TCPS_ESTABLISHED, TCPS_CLOSE_WAIT, TCPSTATE_VALID_SEQ,
	   y + 201, x + 102, 0, 0);
	st(e, s, t + 40 * US, sk, TCPS_CLOSE_WAIT, TCPS_LAST_ACK,
	   TCPSTATE_VALID_SEQ, y + 201, x + 102, 0, 0);
	closed(e, s, t + 70 * US, sk, TCPS_LAST_ACK, 0);
}

FIXTURE(ladder) {
	struct out_opts o;	/* the ladder reads it at each drawing */
	struct seq_engine *e;
	struct ladder *l;
	struct out out;
};

FIXTURE_SETUP(ladder)
{
	memset(&self->o, 0, sizeof(self->o));
	self->o.endpoint_width = TCPSTATE_COL_ENDPOINT;
	memset(&self->out, 0, sizeof(self->out));
	self->l = ladder_new(&self->o, collect, &self->out);
	ASSERT_NE(NULL, self->l);
	self->e = seq_new(SEQ_DEFAULT_MAX_CONNS, to_ladder, self->l);
	ASSERT_NE(NULL, self->e);
}

FIXTURE_TEARDOWN(ladder)
{
	seq_free(self->e);
	ladder_free(self->l);
}

/* Every line fits 80 columns and has no trailing blank. */
static int fits(const char *text)
{
	const char *p = text, *nl;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl || nl - p > 80 || (nl > p && nl[-1] == ' '))
			return 0;
	}
	return 1;
}

#define ASSERT_DRAWN(self, want) do {					\
	ASSERT_STREQ(want, (self)->out.text);				\
	ASSERT_TRUE(fits((self)->out.text));				\
} while (0)

/* Print what was drawn, for writing the expected text. */
static void dump(const struct out *o)
{
	if (getenv("LADDER_DUMP"))
		fprintf(stderr, "%s", o->text);
}

TEST_F(ladder, loopback_handshake_and_active_close_both_columns)
{
	struct end cli = v4("127.0.0.1", 40000, "127.0.0.1", 8080);
	struct end srv = v4("127.0.0.1", 8080, "127.0.0.1", 40000);
	const __u32 x = 4000000000U, y = 77;
	__u64 t = T0;

	/* SYN out at t, in 10 us later (SYN-ACK out), the client
	 * established at 20 us, the server's child at 30 us.
	 */
	connect_(self->e, &cli, t, 0xc1);
	syn_in(self->e, &srv, t + 10 * US, 0x50, y, x);
	st(self->e, &cli, t + 20 * US, 0xc1, TCPS_SYN_SENT, TCPS_ESTABLISHED,
	   V_ISNS | TCPSTATE_VALID_SEQ, x + 1, y + 1, x, y);
	ASSERT_EQ(0U, self->out.ladders);	/* waits for the server's */
	child_done(self->e, &srv, t + 30 * US, 0x50, 0x51, y, x);
	ASSERT_EQ(1U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- active_open + passive_open\n"
"client 127.0.0.1:40000                                   server 127.0.0.1:8080\n"
"SYN_SENT    -- SYN seq=4000000000 --------------------->\n"
"            <---------- SYN-ACK seq=77 ack=4000000001 -- SYN_RECV      +10.0us\n"
"ESTABLISHED -- ACK seq=4000000001 ack=78 -------------->               +10.0us\n"
"                                                         ESTABLISHED   +12.0us\n");

	/* The teardown: the server's passive_close waits for the client's
	 * active_close, which ends with its TIME_WAIT a minute later.
	 */
	memset(&self->out, 0, sizeof(self->out));
	client_active_close(self->e, &cli, t + SEC, 0xc1, 0xc2, x, y);
	server_passive_close(self->e, &srv, t + SEC + 10 * US, 0x51, y, x);
	ladder_tick(self->l, t + 30 * SEC);
	ASSERT_EQ(0U, self->out.ladders);
	timewait_end(self->e, &cli, t + 61 * SEC + 60 * US, 0xc2);
	ASSERT_EQ(1U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- active_close + passive_close\n"
"client 127.0.0.1:40000                                   server 127.0.0.1:8080\n"
"FIN_WAIT1   -- FIN seq=4000000101 ack=278 ------------->             +999.96ms\n"
"            <--------------------- ACK ack=4000000102 -- CLOSE_WAIT    +10.0us\n"
"FIN_WAIT2                                                              +10.0us\n"
"            <------------- FIN seq=278 ack=4000000102 -- LAST_ACK      +30.0us\n"
"TIME_WAIT   -- ACK ack=279 ---------------------------->               +10.0us\n"
"                                                         CLOSE         +20.0us\n"
"CLOSE                                                                 +59.999s\n");
}

/* No socket on the port: the peer's RST answers the SYN. */
TEST_F(ladder, refused_connect)
{
	struct end cli = v4("127.0.0.1", 40001, "127.0.0.1", 9);

	struct tcpstate_event ev;

	connect_(self->e, &cli, T0, 0xd1);
	end_rst_received(self->e, &cli, T0 + 45 * US, 0xd1, TCPS_SYN_SENT);
	/* Leaving SYN_SENT, it tells its ISN; the peer's it never got. */
	ev = end_event(&cli, TCPSTATE_EV_STATE, T0 + 45 * US, 0xd1);
	ev.oldstate = TCPS_SYN_SENT;
	ev.newstate = TCPS_CLOSE;
	ev.valid = TCPSTATE_VALID_ERR | TCPSTATE_VALID_ISS;
	ev.err = ECONNREFUSED;
	ev.iss = 123456;
	seq_feed(self->e, &ev);
	/* Alone once the pairing window is over. */
	ladder_tick(self->l, T0 + 45 * US + LADDER_PAIR_NS - 1);
	ASSERT_EQ(0U, self->out.ladders);
	ladder_tick(self->l, T0 + 45 * US + LADDER_PAIR_NS);
	ASSERT_EQ(1U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- connect_refused (refused, ECONNREFUSED)\n"
"client 127.0.0.1:40001                                   server 127.0.0.1:9\n"
"                                                         (inferred)\n"
"SYN_SENT    -- SYN seq=123456 ------------------------->\n"
"            <------------------------- RST ack=123457 --\n"
"CLOSE                                                                  +45.0us\n");
}

/* No answer: no segment ends it, the error says why. */
TEST_F(ladder, connect_timeout)
{
	struct end cli = v4("10.0.0.1", 40006, "192.0.2.8", 22);
	struct tcpstate_event ev;

	connect_(self->e, &cli, T0, 0xd2);
	ev = end_event(&cli, TCPSTATE_EV_STATE, T0 + 127 * SEC, 0xd2);
	ev.oldstate = TCPS_SYN_SENT;
	ev.newstate = TCPS_CLOSE;
	ev.valid = TCPSTATE_VALID_ERR | TCPSTATE_VALID_ISS;
	ev.err = ETIMEDOUT;
	ev.iss = 42;
	seq_feed(self->e, &ev);
	ladder_flush(self->l);
	ASSERT_EQ(1U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- connect_timeout (timed_out, ETIMEDOUT)\n"
"client 10.0.0.1:40006                                    server 192.0.2.8:22\n"
"                                                         (inferred)\n"
"SYN_SENT    -- SYN seq=42 ----------------------------->\n"
"CLOSE          x ETIMEDOUT                                           +127.000s\n");
}

/* A remote server resets an established connection. */
TEST_F(ladder, reset_by_peer)
{
	struct end cli = v4("10.0.0.1", 40002, "192.0.2.7", 443);

	client_open(self->e, &cli, T0, 800 * US, 0xe1, 1000, 9000);
	end_rst_received(self->e, &cli, T0 + 3 * SEC, 0xe1, TCPS_ESTABLISHED);
	closed(self->e, &cli, T0 + 3 * SEC, 0xe1, TCPS_ESTABLISHED,
	       ECONNRESET);
	ladder_flush(self->l);
	ASSERT_EQ(2U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- active_open\n"
"client 10.0.0.1:40002                                    server 192.0.2.7:443\n"
"                                                         (inferred)\n"
"SYN_SENT    -- SYN seq=1000 --------------------------->\n"
"            <-------------- SYN-ACK seq=9000 ack=1001 -- SYN_RECV\n"
"ESTABLISHED -- ACK seq=1001 ack=9001 ------------------>              +800.0us\n"
"-- reset_by_peer (ECONNRESET)\n"
"client 10.0.0.1:40002                                    server 192.0.2.7:443\n"
"                                                         (inferred)\n"
"            <------------------------------------ RST -- CLOSE\n"
"CLOSE                                                                  +2.999s\n");
}

/* A remote peer: its column is what our segments imply. */
TEST_F(ladder, remote_peer_inferred)
{
	struct end cli = v4("10.0.0.1", 40003, "192.0.2.7", 80);
	struct end srv = v4("10.0.0.1", 80, "198.51.100.9", 51000);
	const __u32 x = 1000, y = 2000000000U;

	client_open(self->e, &cli, T0, 1200 * US, 0xf1, x, y);
	client_active_close(self->e, &cli, T0 + SEC, 0xf1, 0xf2, x, y);
	timewait_end(self->e, &cli, T0 + 61 * SEC, 0xf2);
	/* and one whose client is remote */
	syn_in(self->e, &srv, T0 + 70 * SEC, 0x60, y, x);
	child_done(self->e, &srv, T0 + 70 * SEC + 900 * US, 0x60, 0x61, y, x);
	server_passive_close(self->e, &srv, T0 + 71 * SEC, 0x61, y, x);
	ladder_flush(self->l);
	ASSERT_EQ(4U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- active_open\n"
"client 10.0.0.1:40003                                    server 192.0.2.7:80\n"
"                                                         (inferred)\n"
"SYN_SENT    -- SYN seq=1000 --------------------------->\n"
"            <-------- SYN-ACK seq=2000000000 ack=1001 -- SYN_RECV\n"
"ESTABLISHED -- ACK seq=1001 ack=2000000001 ------------>               +1.20ms\n"
"-- active_close\n"
"client 10.0.0.1:40003                                    server 192.0.2.7:80\n"
"                                                         (inferred)\n"
"FIN_WAIT1   -- FIN seq=1101 ack=2000000201 ------------>             +998.80ms\n"
"            <--------------------------- ACK ack=1102 -- CLOSE_WAIT\n"
"FIN_WAIT2                                                              +20.0us\n"
"            <------------ FIN seq=2000000201 ack=1102 -- LAST_ACK\n"
"TIME_WAIT   -- ACK ack=2000000202 --------------------->               +40.0us\n"
"CLOSE                                                                 +59.999s\n"
"-- passive_open\n"
"client 198.51.100.9:51000                                server 10.0.0.1:80\n"
"(inferred)\n"
"SYN_SENT    -- SYN seq=1000 --------------------------->\n"
"            <-------- SYN-ACK seq=2000000000 ack=1001 -- SYN_RECV\n"
"ESTABLISHED -- ACK seq=1001 ack=2000000001 ------------>\n"
"                                                         ESTABLISHED  +902.0us\n"
"-- passive_close\n"
"client 198.51.100.9:51000                                server 10.0.0.1:80\n"
"(inferred)\n"
"FIN_WAIT1   -- FIN seq=1101 --------------------------->\n"
"            <--------------------------- ACK ack=1102 -- CLOSE_WAIT  +999.09ms\n"
"            <------------ FIN seq=2000000201 ack=1102 -- LAST_ACK      +40.0us\n"
"TIME_WAIT   -- ACK ack=2000000202 --------------------->\n"
"                                                         CLOSE         +30.0us\n");
}

/* Mirrored records further apart than LADDER_PAIR_NS are not paired. */
TEST_F(ladder, pairing_window)
{
	struct end cli = v4("127.0.0.1", 40009, "127.0.0.1", 8080);
	struct end srv = v4("127.0.0.1", 8080, "127.0.0.1", 40009);
	const char *p;
	unsigned int inferred = 0;

	client_open(self->e, &cli, T0, 20 * US, 0x91, 1, 2);
	syn_in(self->e, &srv, T0 + 10 * US, 0x92, 2, 1);
	child_done(self->e, &srv, T0 + 20 * US + LADDER_PAIR_NS + 1, 0x92,
		   0x93, 2, 1);
	/* the client's was drawn alone as the server's came in too late */
	ASSERT_EQ(1U, self->out.ladders);
	ladder_tick(self->l, T0 + 30 * US + 2 * LADDER_PAIR_NS);
	ASSERT_EQ(2U, self->out.ladders);
	for (p = self->out.text; (p = strstr(p, "(inferred)")); p++)
		inferred++;
	ASSERT_EQ(2U, inferred);
	ASSERT_TRUE(fits(self->out.text));
}

/*
 * A dual-stack server ([::]:8080) sees an IPv4 client as ::ffff:a.b.c.d:
 * the two ends still pair, both columns observed (a real run's case).
 */
TEST_F(ladder, dual_stack_server_pairs_with_ipv4_client)
{
	struct end cli = v4("127.0.0.1", 40010, "127.0.0.1", 8080);
	struct end srv = v6("::ffff:127.0.0.1", 8080, "::ffff:127.0.0.1", 40010);

	client_open(self->e, &cli, T0, 20 * US, 0xa1, 1, 2);
	syn_in(self->e, &srv, T0 + 10 * US, 0xa2, 2, 1);
	child_done(self->e, &srv, T0 + 30 * US, 0xa2, 0xa3, 2, 1);
	ASSERT_EQ(1U, self->out.ladders);
	dump(&self->out);
	ASSERT_NE(NULL, strstr(self->out.text, "-- active_open + passive_open\n"));
	ASSERT_EQ(NULL, strstr(self->out.text, "(inferred)"));
}

/* Long IPv6 endpoints: the server's header moves, down a line if need be. */
TEST_F(ladder, ipv6_headers_fit)
{
	struct end near = v6("2001:db8::1", 40007, "2001:db8::2", 443);
	struct end far = v6("2001:db8:1:2:3:4:5:6", 40008,
			    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 443);

	client_open(self->e, &near, T0, 300 * US, 0xb1, 1, 2);
	client_open(self->e, &far, T0 + SEC, 300 * US, 0xb2, 3, 4);
	ladder_flush(self->l);
	ASSERT_EQ(2U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- active_open\n"
"client [2001:db8::1]:40007                              server [2001:db8::2]:443\n"
"                                                         (inferred)\n"
"SYN_SENT    -- SYN seq=1 ------------------------------>\n"
"            <-------------------- SYN-ACK seq=2 ack=2 -- SYN_RECV\n"
"ESTABLISHED -- ACK seq=2 ack=3 ------------------------>              +300.0us\n"
"-- active_open\n"
"client [2001:db8:1:2:3:4:5:6]:40008\n"
"                             server [2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:443\n"
"                                                         (inferred)\n"
"SYN_SENT    -- SYN seq=3 ------------------------------>\n"
"            <-------------------- SYN-ACK seq=4 ack=4 -- SYN_RECV\n"
"ESTABLISHED -- ACK seq=4 ack=5 ------------------------>              +300.0us\n");
}

/* SO_LINGER 0 on a loopback server: CLOSE, then its RST; both columns. */
TEST_F(ladder, loopback_abort_reset_by_us_and_by_peer)
{
	struct end cli = v4("127.0.0.1", 40004, "127.0.0.1", 8080);
	struct end srv = v4("127.0.0.1", 8080, "127.0.0.1", 40004);
	struct end other = v4("127.0.0.1", 40005, "127.0.0.1", 8081);
	const __u32 x = 5, y = 3000000000U;

	connect_(self->e, &cli, T0, 0xa1);
	syn_in(self->e, &srv, T0 + 10 * US, 0x70, y, x);
	st(self->e, &cli, T0 + 20 * US, 0xa1, TCPS_SYN_SENT, TCPS_ESTABLISHED,
	   V_ISNS | TCPSTATE_VALID_SEQ, x + 1, y + 1, x, y);
	child_done(self->e, &srv, T0 + 30 * US, 0x70, 0x71, y, x);
	ASSERT_EQ(1U, self->out.ladders);
	memset(&self->out, 0, sizeof(self->out));

	/* The CLOSE says what it had sent and received. */
	st(self->e, &srv, T0 + SEC, 0x71, TCPS_ESTABLISHED, TCPS_CLOSE,
	   TCPSTATE_VALID_ERR | TCPSTATE_VALID_SEQ, y + 1, x + 1, 0, 0);
	connect_(self->e, &other, T0 + SEC + 2 * US, 0xa9);	/* another CPU */
	abort_rst(self->e, &srv, T0 + SEC + 3 * US, 0x71,
		  TCPSTATE_RST_ABORT_ON_LINGER);
	end_rst_received(self->e, &cli, T0 + SEC + 8 * US, 0xa1, TCPS_ESTABLISHED);
	closed(self->e, &cli, T0 + SEC + 8 * US, 0xa1, TCPS_ESTABLISHED,
	       ECONNRESET);
	ASSERT_EQ(1U, self->out.ladders);
	dump(&self->out);
	ASSERT_DRAWN(self,
"-- reset_by_peer (ECONNRESET) + reset_by_us (abort_on_linger)\n"
"client 127.0.0.1:40004                                   server 127.0.0.1:8080\n"
"            <------------------------------ RST ack=6 -- CLOSE       +999.96ms\n"
"CLOSE                                                                   +8.0us\n");
}

TEST_HARNESS_MAIN
