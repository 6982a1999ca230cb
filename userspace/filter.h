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
 *
 * --pid, --comm and --cgroup match the owner as the owner table
 * attributes it (owner.h: owner_of_event() for an event, the first known
 * of a record's full, request and timewait sock): an unknown owner does
 * not match. --cgroup also goes to the kernel, which keeps that cgroup
 * and its descendants; here a cgroup matches when its path is the
 * filter's or below it.
 */
#ifndef TCPSTATE_FILTER_H
#define TCPSTATE_FILTER_H

#include "owner.h"
#include "sequence.h"
#include "tcpstate.h"

/* Room for a --cgroup path relative to the cgroup v2 mount. */
#define FILTER_CGROUP_MAX	1024

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
	__u32 tgid;			/* --pid: a process, 0: any */
	char comm[TCPSTATE_COMM_LEN];	/* --comm, "": any */
	__u64 cgroup_id;		/* --cgroup, 0: any */
	char cgroup[FILTER_CGROUP_MAX];	/* ... its path under the mount */
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

/* A process id: decimal 1..4194304 (the kernel's PID_MAX_LIMIT). */
int filter_parse_pid(const char *s, __u32 *tgid);

/*
 * A task name: not empty; cut to the 15 characters the kernel keeps of
 * it (TCPSTATE_COMM_LEN - 1), as ps shows it.
 */
int filter_parse_comm(const char *s, char comm[TCPSTATE_COMM_LEN]);

/* Whether any part is set. */
int filter_active(const struct watch_filter *f);

/* Whether --pid, --comm or --cgroup is set: the owner table is needed. */
int filter_needs_owners(const struct watch_filter *f);

/*
 * The kernel's share (family, ports, netns, cgroup) in @k; returns
 * whether there is any, i.e. whether TCPSTATE_IOC_SET_FILTER is worth
 * calling.
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

/* The owner parts against @o (NULL: unknown, which matches none). */
int filter_owner(const struct watch_filter *f, const struct owner *o,
		 struct owner_table *t);

/* Every part against an event (-e); @t: the owners (after owner_feed()). */
int filter_event(const struct watch_filter *f,
		 const struct tcpstate_event *ev, struct owner_table *t);

/* Every part against a sequence record. */
int filter_record(const struct watch_filter *f, const struct seq_record *rec,
		  struct owner_table *t);

#endif /* TCPSTATE_FILTER_H */
