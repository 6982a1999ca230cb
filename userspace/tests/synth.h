/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A synthetic event stream with one connection of every sequence kind, in
 * the order the module reports them, for the output and end-to-end tests.
 * Each connection has ports of its own, so filters can pick it out; the
 * table at synth_expect lists what each one must become.
 *
 * An event of type 0 is no event: fake_tcpstate.so books its @count as
 * ring drops; the engine ignores it.
 */
#ifndef TCPSTATE_TESTS_SYNTH_H
#define TCPSTATE_TESTS_SYNTH_H

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "names.h"
#include "tcpstate.h"

#define SYNTH_MAX	256
#define SYNTH_NETNS	4026531840U
#define SYNTH_NETNS2	4026532999U	/* the one connection elsewhere */
#define SYNTH_T0	(1000ULL * 1000000000ULL)
#define SYNTH_US	1000ULL
#define SYNTH_MS	1000000ULL
#define SYNTH_SEC	1000000000ULL
#define SYNTH_LISTENER	0x1157e4e4ULL

struct synth {
	struct tcpstate_event ev[SYNTH_MAX];
	unsigned int n;
	__u64 t;
	/* The tuple the next events carry. */
	unsigned int family;
	__u32 netns;
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
};

static inline void synth_tuple(struct synth *s, const char *l,
			       unsigned int lport, const char *r,
			       unsigned int rport)
{
	memset(s->laddr, 0, 16);
	memset(s->raddr, 0, 16);
	s->family = strchr(l, ':') ? AF_INET6 : AF_INET;
	inet_pton((int)s->family, l, s->laddr);
	inet_pton((int)s->family, r, s->raddr);
	s->lport = (__u16)lport;
	s->rport = (__u16)rport;
	s->netns = SYNTH_NETNS;
}

/* Append an event of @type at now + @dt; returns it for the details. */
static inline struct tcpstate_event *synth_ev(struct synth *s,
					      unsigned int type, __u64 dt,
					      __u64 id)
{
	struct tcpstate_event *ev = &s->ev[s->n++];

	s->t += dt;
	memset(ev, 0, sizeof(*ev));
	ev->type = (__u16)type;
	ev->ts_ns = s->t;
	ev->sock_id = id;
	ev->netns = s->netns;
	ev->family = (__u16)s->family;
	memcpy(ev->saddr, s->laddr, 16);
	memcpy(ev->daddr, s->raddr, 16);
	ev->sport = s->lport;
	ev->dport = s->rport;
	return ev;
}

static inline void synth_state(struct synth *s, __u64 dt, __u64 id,
			       unsigned int old, unsigned int new)
{
	struct tcpstate_event *ev = synth_ev(s, TCPSTATE_EV_STATE, dt, id);

	ev->oldstate = (__u8)old;
	ev->newstate = (__u8)new;
	/* connect(): the local port is picked after CLOSE -> SYN_SENT;
	 * clone: a child starts with the listener's tuple.
	 */
	if (old == TCPS_CLOSE && new == TCPS_SYN_SENT)
		ev->sport = 0;
	if (old == TCPS_LISTEN && new == TCPS_SYN_RECV) {
		memset(ev->daddr, 0, 16);
		ev->dport = 0;
	}
}

static inline void synth_q(struct synth *s, unsigned int type, __u64 dt,
			   __u64 id, __u64 peer, unsigned int reason,
			   unsigned int count, unsigned int qlen,
			   unsigned int qmax)
{
	struct tcpstate_event *ev = synth_ev(s, type, dt, id);

	ev->peer_id = peer;
	ev->reason = (__u8)reason;
	ev->count = count;
	ev->qlen = qlen;
	ev->qmax = qmax;
}

static inline void synth_tw(struct synth *s, __u64 dt, __u64 tw, __u64 sk,
			    unsigned int old, unsigned int sub)
{
	struct tcpstate_event *ev = synth_ev(s, TCPSTATE_EV_TIMEWAIT, dt, tw);

	ev->peer_id = sk;
	ev->oldstate = (__u8)old;
	ev->newstate = (__u8)sub;
}

static inline void synth_tw_end(struct synth *s, __u64 dt, __u64 tw,
				unsigned int reason, unsigned int sub)
{
	struct tcpstate_event *ev = synth_ev(s, TCPSTATE_EV_TIMEWAIT_END, dt,
					     tw);

	ev->reason = (__u8)reason;
	ev->newstate = (__u8)sub;
}

/* The server side of a handshake through the SYN queue. */
static inline void synth_passive_open(struct synth *s, __u64 req,
				      __u64 child)
{
	synth_q(s, TCPSTATE_EV_SYN_RECV, SYNTH_MS, req, SYNTH_LISTENER, 0, 0,
		1, 128);
	synth_state(s, 120 * SYNTH_US, child, TCPS_LISTEN, TCPS_SYN_RECV);
	synth_q(s, TCPSTATE_EV_SYN_RECV_END, 0, req, child,
		TCPSTATE_SRE_COMPLETED, 0, 0, 0);
	synth_q(s, TCPSTATE_EV_ACCEPT_QUEUED, 0, child, SYNTH_LISTENER, 0, 0,
		1, 128);
	synth_state(s, 5 * SYNTH_US, child, TCPS_SYN_RECV, TCPS_ESTABLISHED);
}

/* A client's connect() that completes. */
static inline void synth_active_open(struct synth *s, __u64 sk)
{
	synth_state(s, SYNTH_MS, sk, TCPS_CLOSE, TCPS_SYN_SENT);
	synth_state(s, 1200 * SYNTH_US, sk, TCPS_SYN_SENT, TCPS_ESTABLISHED);
}

/* One kind per line: what synth_build()'s connections become. */
struct synth_expect {
	const char *kind;
	unsigned int lport, rport;
};

static const struct synth_expect synth_expect[] = {
	{ "active_open", 40001, 80 },
	{ "passive_open", 80, 40002 },
	{ "passive_close", 80, 40002 },
	{ "active_close", 40001, 80 },
	{ "connect_refused", 40003, 81 },
	{ "connect_timeout", 40004, 82 },
	{ "half_open_expired", 80, 40005 },
	{ "half_open_dropped", 80, 40006 },
	{ "ack_dropped", 80, 40007 },
	{ "syn_dropped", 80, 40008 },
	{ "syn_dropped", 8080, 40009 },
	{ "syn_cookie", 80, 40010 },
	{ "active_open", 40011, 443 },		/* IPv6 */
	{ "simultaneous_close", 40011, 443 },
	{ "active_open", 40012, 80 },
	{ "orphan_close", 40012, 80 },
	{ "passive_open", 80, 40013 },
	{ "reset", 80, 40013 },
	{ "passive_open", 443, 40014 },		/* v4-mapped IPv6 */
	{ "active_open", 40015, 80 },		/* another netns */
	{ "active_open", 40016, 80 },
	{ "unfinished", 40016, 80 },
	{ "active_open", 40016, 80 },		/* the id again */
	{ "active_close", 40017, 80 },		/* begun before us */
	{ "active_close", 40018, 80 },		/* a gap; reason unknown */
	{ "active_open", 40019, 80 },		/* after the drop: lost */
	{ "reset", 40019, 80 },
};

#define SYNTH_RECORDS	(sizeof(synth_expect) / sizeof(synth_expect[0]))
/* Still open at the end, for --flush: 40014, 40015, 40016 (its second
 * life) and 40020.
 */
#define SYNTH_IN_PROGRESS	4

static inline void synth_build(struct synth *s)
{
	memset(s, 0, sizeof(*s));
	s->t = SYNTH_T0;

	/* 40001 -> 80: active open, and active close through TIME_WAIT */
	synth_tuple(s, "10.0.0.1", 40001, "10.0.0.2", 80);
	synth_active_open(s, 0xa1);
	/* 80 <- 40002: passive open (one SYN-ACK retransmit), passive close */
	synth_tuple(s, "10.0.0.2", 80, "10.0.0.1", 40002);
	synth_q(s, TCPSTATE_EV_SYN_RECV, SYNTH_MS, 0xb0, SYNTH_LISTENER, 0, 0,
		1, 128);
	synth_q(s, TCPSTATE_EV_SYNACK_RETRANS, SYNTH_SEC, 0xb0,
		SYNTH_LISTENER, 0, 1, 0, 0);
	synth_state(s, 300 * SYNTH_US, 0xb1, TCPS_LISTEN, TCPS_SYN_RECV);
	synth_q(s, TCPSTATE_EV_SYN_RECV_END, 0, 0xb0, 0xb1,
		TCPSTATE_SRE_COMPLETED, 1, 0, 0);
	synth_q(s, TCPSTATE_EV_ACCEPT_QUEUED, 0, 0xb1, SYNTH_LISTENER, 0, 0,
		2, 128);
	synth_state(s, 7 * SYNTH_US, 0xb1, TCPS_SYN_RECV, TCPS_ESTABLISHED);
	synth_state(s, 2 * SYNTH_SEC, 0xb1, TCPS_ESTABLISHED, TCPS_CLOSE_WAIT);
	synth_state(s, 90 * SYNTH_US, 0xb1, TCPS_CLOSE_WAIT, TCPS_LAST_ACK);
	synth_state(s, 60 * SYNTH_US, 0xb1, TCPS_LAST_ACK, TCPS_CLOSE);
	synth_tuple(s, "10.0.0.1", 40001, "10.0.0.2", 80);
	synth_state(s, SYNTH_MS, 0xa1, TCPS_ESTABLISHED, TCPS_FIN_WAIT1);
	synth_state(s, 40 * SYNTH_US, 0xa1, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2);
	synth_tw(s, 10 * SYNTH_US, 0xa2, 0xa1, TCPS_FIN_WAIT2, TCPS_TIME_WAIT);
	synth_state(s, 0, 0xa1, TCPS_FIN_WAIT2, TCPS_CLOSE);
	synth_tw_end(s, 60 * SYNTH_SEC, 0xa2, TCPSTATE_TWE_EXPIRED,
		     TCPS_TIME_WAIT);

	/* 40003 -> 81 refused, 40004 -> 82 timed out */
	synth_tuple(s, "10.0.0.1", 40003, "10.0.0.2", 81);
	synth_state(s, SYNTH_MS, 0xc1, TCPS_CLOSE, TCPS_SYN_SENT);
	synth_state(s, 45 * SYNTH_US, 0xc1, TCPS_SYN_SENT, TCPS_CLOSE);
	synth_tuple(s, "10.0.0.1", 40004, "10.0.0.2", 82);
	synth_state(s, SYNTH_MS, 0xc2, TCPS_CLOSE, TCPS_SYN_SENT);
	synth_state(s, 3 * SYNTH_SEC, 0xc2, TCPS_SYN_SENT, TCPS_CLOSE);

	/* Half-open: 40005 expired after 5 retransmits, 40006 its listener
	 * closed, 40007 its third ACK dropped on a full accept queue.
	 */
	synth_tuple(s, "10.0.0.2", 80, "10.0.0.1", 40005);
	synth_q(s, TCPSTATE_EV_SYN_RECV, SYNTH_MS, 0xd0, SYNTH_LISTENER, 0, 0,
		3, 128);
	synth_q(s, TCPSTATE_EV_SYN_RECV_END, 63 * SYNTH_SEC, 0xd0,
		SYNTH_LISTENER, TCPSTATE_SRE_EXPIRED, 5, 2, 0);
	synth_tuple(s, "10.0.0.2", 80, "10.0.0.1", 40006);
	synth_q(s, TCPSTATE_EV_SYN_RECV, SYNTH_MS, 0xd1, SYNTH_LISTENER, 0, 0,
		1, 128);
	synth_q(s, TCPSTATE_EV_SYN_RECV_END, 2 * SYNTH_MS, 0xd1,
		SYNTH_LISTENER, TCPSTATE_SRE_LISTENER_CLOSED, 0, 0, 0);
	synth_tuple(s, "10.0.0.2", 80, "10.0.0.1", 40007);
	synth_q(s, TCPSTATE_EV_SYN_RECV, SYNTH_MS, 0xd2, SYNTH_LISTENER, 0, 0,
		1, 4);
	synth_q(s, TCPSTATE_EV_ACK_DROP, 300 * SYNTH_US, 0xd2, SYNTH_LISTENER,
		TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 0, 4, 4);
	synth_q(s, TCPSTATE_EV_SYN_RECV_END, 63 * SYNTH_SEC, 0xd2,
		SYNTH_LISTENER, TCPSTATE_SRE_EXPIRED, 5, 0, 0);

	/* SYNs dropped (SYN queue full on 80, accept queue full on 8080),
	 * a SYN cookie on 80.
	 */
	synth_tuple(s, "10.0.0.2", 80, "10.0.0.1", 40008);
	synth_q(s, TCPSTATE_EV_SYN_DROP, SYNTH_MS, 0, SYNTH_LISTENER,
		TCPSTATE_DROP_SYN_QUEUE_FULL, 0, 128, 128);
	synth_tuple(s, "10.0.0.2", 8080, "10.0.0.1", 40009);
	synth_q(s, TCPSTATE_EV_SYN_DROP, SYNTH_MS, 0, SYNTH_LISTENER,
		TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 0, 4, 4);
	synth_tuple(s, "10.0.0.2", 80, "10.0.0.1", 40010);
	synth_q(s, TCPSTATE_EV_SYNCOOKIE_SENT, SYNTH_MS, 0, SYNTH_LISTENER, 0,
		0, 0, 0);

	/* IPv6 40011 -> 443: simultaneous close through CLOSING */
	synth_tuple(s, "2001:db8::1", 40011, "2001:db8:ffff::abcd", 443);
	synth_active_open(s, 0xe1);
	synth_state(s, SYNTH_SEC, 0xe1, TCPS_ESTABLISHED, TCPS_FIN_WAIT1);
	synth_state(s, 5 * SYNTH_US, 0xe1, TCPS_FIN_WAIT1, TCPS_CLOSING);
	synth_tw(s, 80 * SYNTH_US, 0xe2, 0xe1, TCPS_CLOSING, TCPS_TIME_WAIT);
	synth_state(s, 0, 0xe1, TCPS_CLOSING, TCPS_CLOSE);
	synth_tw_end(s, 60 * SYNTH_SEC, 0xe2, TCPSTATE_TWE_EXPIRED,
		     TCPS_TIME_WAIT);

	/* 40012 -> 80: orphaned FIN_WAIT2, a timewait sock in FIN_WAIT2 */
	synth_tuple(s, "10.0.0.1", 40012, "10.0.0.2", 80);
	synth_active_open(s, 0xf1);
	synth_state(s, SYNTH_MS, 0xf1, TCPS_ESTABLISHED, TCPS_FIN_WAIT1);
	synth_state(s, 30 * SYNTH_US, 0xf1, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2);
	synth_tw(s, 0, 0xf2, 0xf1, TCPS_FIN_WAIT2, TCPS_FIN_WAIT2);
	synth_state(s, 0, 0xf1, TCPS_FIN_WAIT2, TCPS_CLOSE);
	synth_tw_end(s, 60 * SYNTH_SEC, 0xf2, TCPSTATE_TWE_EXPIRED,
		     TCPS_FIN_WAIT2);

	/* 80 <- 40013: a passive open reset from ESTABLISHED */
	synth_tuple(s, "10.0.0.2", 80, "10.0.0.1", 40013);
	synth_passive_open(s, 0x110, 0x111);
	synth_state(s, 4 * SYNTH_SEC, 0x111, TCPS_ESTABLISHED, TCPS_CLOSE);

	/* [::ffff:10.0.0.2]:443 <- 10.0.0.9:40014, a dual-stack listener */
	synth_tuple(s, "::ffff:10.0.0.2", 443, "::ffff:10.0.0.9", 40014);
	synth_passive_open(s, 0x120, 0x121);

	/* 40015 -> 80 in another netns, left open */
	synth_tuple(s, "10.0.0.1", 40015, "10.0.0.2", 80);
	s->netns = SYNTH_NETNS2;
	synth_active_open(s, 0x131);

	/* 40016 -> 80: its CLOSE never seen, the id reused, left open */
	synth_tuple(s, "10.0.0.1", 40016, "10.0.0.2", 80);
	synth_active_open(s, 0x141);
	synth_state(s, SYNTH_MS, 0x141, TCPS_ESTABLISHED, TCPS_CLOSE_WAIT);
	synth_active_open(s, 0x141);

	/* 40017 -> 80: begun before the reader, first seen in FIN_WAIT1 */
	synth_tuple(s, "10.0.0.1", 40017, "10.0.0.2", 80);
	synth_state(s, SYNTH_MS, 0x151, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2);
	synth_tw(s, 10 * SYNTH_US, 0x152, 0x151, TCPS_FIN_WAIT2,
		 TCPS_TIME_WAIT);
	synth_state(s, 0, 0x151, TCPS_FIN_WAIT2, TCPS_CLOSE);
	synth_tw_end(s, 60 * SYNTH_SEC, 0x152, TCPSTATE_TWE_REUSED,
		     TCPS_TIME_WAIT);

	/* 40018 -> 80: begun before the reader too, and FIN_WAIT1 ->
	 * FIN_WAIT2 not seen; a reason this version does not know ends its
	 * timewait sock.
	 */
	synth_tuple(s, "10.0.0.1", 40018, "10.0.0.2", 80);
	synth_state(s, SYNTH_MS, 0x161, TCPS_ESTABLISHED, TCPS_FIN_WAIT1);
	synth_tw(s, 50 * SYNTH_US, 0x162, 0x161, TCPS_FIN_WAIT2,
		 TCPS_TIME_WAIT);
	synth_state(s, 0, 0x161, TCPS_FIN_WAIT2, TCPS_CLOSE);
	synth_tw_end(s, 60 * SYNTH_SEC, 0x162, 9, TCPS_TIME_WAIT);

	/* 40019 -> 80 opens, the ring drops 5 events, it resets */
	synth_tuple(s, "10.0.0.1", 40019, "10.0.0.2", 80);
	synth_active_open(s, 0x171);
	synth_ev(s, 0, SYNTH_MS, 0)->count = 5;
	synth_state(s, SYNTH_MS, 0x171, TCPS_ESTABLISHED, TCPS_CLOSE);

	/* 40020 -> 80: still connecting at the end */
	synth_tuple(s, "10.0.0.1", 40020, "10.0.0.2", 80);
	synth_state(s, SYNTH_MS, 0x181, TCPS_CLOSE, TCPS_SYN_SENT);
}

#endif /* TCPSTATE_TESTS_SYNTH_H */
