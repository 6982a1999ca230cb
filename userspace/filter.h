/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpstate-watch's filters: -4/-6, -L/-D ports, --laddr/--raddr,
 * --netns, --state. They apply in userspace always; the family, ports
 * and netns are also pushed to the kernel (TCPSTATE_IOC_SET_FILTER) so
 * that the ring carries less, but the result never depends on whether
 * the module took them.
 *
 * Events are matched on their own tuple, as the -e lines show it.
 * Sequences are matched on the record's tuple (the connection's, once
 * known: a client's local port is 0 in its CLOSE -> SYN_SENT) and on the
 * states its steps went through.
 */
#ifndef TCPSTATE_FILTER_H
#define TCPSTATE_FILTER_H

#include "sequence.h"
#include "tcpstate.h"

struct watch_filter {
	unsigned int family;		/* 0: any, AF_INET, AF_INET6 */
	unsigned int nr_lports, nr_rports;
	__u16 lports[TCPSTATE_FILTER_PORTS];
	__u16 rports[TCPSTATE_FILTER_PORTS];
	int has_laddr, has_raddr;
	unsigned int laddr_family, raddr_family;
	__u8 laddr[16], raddr[16];
	__u32 netns;			/* 0: any */
	unsigned int state;		/* TCP state, 0: any */
};

/*
 * PORT[,PORT...]: decimal 1..65535, at most TCPSTATE_FILTER_PORTS
 * (repeats count once). Returns 0, -EINVAL for a malformed list or port,
 * -E2BIG for too many.
 */
int filter_parse_ports(const char *s, __u16 *ports, unsigned int *nr);

/* An IPv4 or IPv6 address, the latter optionally in [brackets]. */
int filter_parse_addr(const char *s, __u8 addr[16], unsigned int *family);

/* A network namespace inode: decimal 1..4294967295. */
int filter_parse_netns(const char *s, __u32 *netns);

/*
 * A TCP state by name, as the events print it (ESTABLISHED, SYN_SENT,
 * ..., NEW_SYN_RECV), in any case, with or without "TCP_"; CLOSED is
 * taken for CLOSE. Returns the state number or -EINVAL.
 */
int filter_parse_state(const char *s);

/* Whether any part is set. */
int filter_active(const struct watch_filter *f);

/*
 * The kernel's share (family, ports, netns) in @k; returns whether there
 * is any, i.e. whether TCPSTATE_IOC_SET_FILTER is worth calling.
 */
int filter_to_kernel(const struct watch_filter *f, struct tcpstate_filter *k);

/*
 * Family and netns only: what never changes during a connection, so
 * events may be dropped on it before the sequence engine sees them.
 */
int filter_event_fixed(const struct watch_filter *f,
		       const struct tcpstate_event *ev);

/*
 * Whether an event touches @state: a STATE or TIMEWAIT event's old or new
 * state, the request sock's SYN_RECV for SYN_RECV, SYN_RECV_END,
 * SYNACK_RETRANS and ACK_DROP, LISTEN for SYN_DROP and SYNCOOKIE_SENT,
 * SYN_RECV and ESTABLISHED for ACCEPT_QUEUED (the child joins it on its
 * way between the two), the substate and CLOSE for TIMEWAIT_END.
 */
int filter_event_touches(const struct tcpstate_event *ev, unsigned int state);

/* Every part against an event (-e). */
int filter_event(const struct watch_filter *f,
		 const struct tcpstate_event *ev);

/* Every part against a sequence record. */
int filter_record(const struct watch_filter *f, const struct seq_record *rec);

#endif /* TCPSTATE_FILTER_H */
