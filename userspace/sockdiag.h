/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own list of this network namespace's TCP sockets, through
 * sock_diag (NETLINK_SOCK_DIAG, as ss reads it): what --top seeds its
 * gauges from and reads the accept queues from.
 */
#ifndef TCPSTATE_SOCKDIAG_H
#define TCPSTATE_SOCKDIAG_H

#include "tcpstate.h"

/* One socket as inet_diag reports it, in the form of the events. */
struct sockdiag_sock {
	unsigned int family;	/* AF_INET or AF_INET6 */
	unsigned int state;	/* TCP_LISTEN, TCP_SYN_RECV (a request
				 * sock), TCP_TIME_WAIT (a timewait sock's
				 * substate), ... */
	__u8 saddr[16];		/* local address, IPv4 in the first 4 */
	__u8 daddr[16];		/* remote address */
	unsigned int sport;	/* local port, host order */
	unsigned int dport;	/* remote port */
	/* A listener: its accept queue now and its limit
	 * (sk_ack_backlog, sk_max_ack_backlog); 0 for the others.
	 */
	unsigned int rqueue, wqueue;
	unsigned int expires_ms;	/* a timer's time left (timewait) */
	unsigned int uid;
	unsigned long inode;	/* 0 for request and timewait socks */
};

#define SOCKDIAG_STATE(s)	(1U << (s))

/*
 * Call @cb for every TCP socket of both families in one of the states of
 * @states (SOCKDIAG_STATE() bits) in the caller's network namespace;
 * @cb returning non-zero stops the walk. Returns 0, or -errno.
 */
int sockdiag_dump(unsigned int states,
		  int (*cb)(const struct sockdiag_sock *s, void *arg),
		  void *arg);

#endif /* TCPSTATE_SOCKDIAG_H */
