/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One end of a connection as a test writes it (its tuple as that end's
 * socket holds it: local first), and the events of a socket at that end:
 * what the engine and ladder tests build their streams from.
 */
#ifndef TCPSTATE_TESTS_ENDS_H
#define TCPSTATE_TESTS_ENDS_H

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "sequence.h"
#include "tcpstate.h"

#define ENDS_NETNS	4026531840U

struct end {
	unsigned int family;
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
};

static inline struct end end_of(int family, const char *l,
				unsigned int lport, const char *r,
				unsigned int rport)
{
	struct end s;

	memset(&s, 0, sizeof(s));
	s.family = (unsigned int)family;
	inet_pton(family, l, s.laddr);
	inet_pton(family, r, s.raddr);
	s.lport = (__u16)lport;
	s.rport = (__u16)rport;
	return s;
}

static inline struct end v4(const char *l, unsigned int lport,
			    const char *r, unsigned int rport)
{
	return end_of(AF_INET, l, lport, r, rport);
}

static inline struct end v6(const char *l, unsigned int lport,
			    const char *r, unsigned int rport)
{
	return end_of(AF_INET6, l, lport, r, rport);
}

/* An event of @type for socket @id of @s at @ts; every other byte zero. */
static inline struct tcpstate_event end_event(const struct end *s,
					      unsigned int type, __u64 ts,
					      __u64 id)
{
	struct tcpstate_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = (__u16)type;
	ev.ts_ns = ts;
	ev.sock_id = id;
	ev.netns = ENDS_NETNS;
	ev.family = (__u16)s->family;
	memcpy(ev.saddr, s->laddr, 16);
	memcpy(ev.daddr, s->raddr, 16);
	ev.sport = s->lport;
	ev.dport = s->rport;
	return ev;
}

/*
 * Feed @e the RST_RECEIVED of socket @id of @s in state @old at @ts, as
 * the module sends it: no error (the -> CLOSE that follows carries the
 * one the RST set).
 */
static inline void end_rst_received(struct seq_engine *e, const struct end *s,
				    __u64 ts, __u64 id, unsigned int old)
{
	struct tcpstate_event ev = end_event(s, TCPSTATE_EV_RST_RECEIVED, ts, id);

	ev.oldstate = (__u8)old;
	seq_feed(e, &ev);
}

#endif /* TCPSTATE_TESTS_ENDS_H */
