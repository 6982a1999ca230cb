// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_traffic: drive complete loopback TCP connections, one after the
 * other, so that the demo and the tests have known traffic to trace.
 *
 *   tcpstate_traffic [-4|-6] [-n COUNT] [-c client|server|reset] [-p PORT] [-s]
 *   tcpstate_traffic [-4|-6] -l -p PORT [-q BACKLOG] [-f FILL]
 *
 * Each connection: connect, accept, one byte each way, then the chosen
 * side closes first and the other closes once it has read EOF ("reset":
 * the client aborts with an RST, SO_LINGER 0). Prints one line per
 * connection: "<family> <listen port> <client port> <close>".
 *
 * -s makes every connection after the first from the first one's client
 * port, once the old client socket is gone. With -c server the server
 * holds the old tuple's timewait sock, so the new SYN meets it and the
 * kernel reuses it (TIMEWAIT_END reused, TcpExt TWRecycled is not moved:
 * that is connect()'s reuse of a client-side timewait sock).
 *
 * -l only listens, on every address, with a backlog of 1024 (room for
 * half-open connections; -q sets another), printing "listening" when ready
 * and never accepting, until it is killed. -f first starts FILL
 * connections to it from loopback (non-blocking) and keeps them open:
 * more than the backlog + 1 overflow its accept queue, and those clients'
 * SYNs are dropped until their connect() gives up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpstate_net.h"

#define PROG "tcpstate_traffic"

/* -c's names for loopback_connection()'s endings. */
static const struct {
	const char *name;
	enum ts_close how;
} closers[] = {
	{ "client", CLOSE_CLIENT },
	{ "server", CLOSE_SERVER },
	{ "reset", RESET_CLIENT },
};

static void die(const char *what, int err)
{
	fprintf(stderr, "tcpstate_traffic: %s: %s\n", what, strerror(err));
	exit(1);
}

/* -h: the usage on stdout, status 0; a bad option: on stderr, status 2. */
static int usage(int opt)
{
	fprintf(opt == 'h' ? stdout : stderr,
		"USAGE: tcpstate_traffic [-4|-6] [-n COUNT] [-c client|server|reset] [-p PORT] [-s]\n"
		"       tcpstate_traffic [-4|-6] -l -p PORT [-q BACKLOG] [-f FILL]\n");
	return opt == 'h' ? 0 : 2;
}

/*
 * Rows of /proc/net/tcp (or tcp6) on local port @cport in the states that
 * keep a client's port from a new bind() and connect() to the same peer:
 * the old client socket still closing (LAST_ACK when the server closed
 * first), or a timewait sock in substate FIN_WAIT2 (st 05, as a full
 * FIN_WAIT2 socket). A TIME_WAIT one (st 06) does not: connect() reuses it.
 */
static int rows_holding_port(int family, unsigned short cport)
{
	static const unsigned int holding[] = {
		TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2,
		TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CLOSING,
	};
	unsigned int k;
	int rows = 0;

	for (k = 0; k < ARRAY_SIZE(holding); k++)
		rows += proc_tcp_rows(family, holding[k], cport);
	return rows;
}

int main(int argc, char **argv)
{
	int family = AF_INET, opt, lfd, err;
	long count = 1, port = 0, backlog = 1024, fill = 0, i;
	unsigned int closer = 0, k;
	bool listen_only = false, same_port = false;
	unsigned short cport, first_cport = 0;
	struct ts_addr any;

	while ((opt = getopt(argc, argv, "46n:c:p:lq:f:sh")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'n':
			count = ts_parse_num(PROG, optarg, 1000000, "count");
			break;
		case 'p':
			port = ts_parse_num(PROG, optarg, 65535, "port");
			break;
		case 'c':
			for (k = 0; k < ARRAY_SIZE(closers); k++)
				if (!strcmp(optarg, closers[k].name))
					break;
			if (k == ARRAY_SIZE(closers)) {
				fprintf(stderr, "tcpstate_traffic: bad closer: %s\n", optarg);
				return 2;
			}
			closer = k;
			break;
		case 'l':
			listen_only = true;
			break;
		case 'q':
			backlog = ts_parse_num(PROG, optarg, 65535, "backlog");
			break;
		case 'f':
			fill = ts_parse_num(PROG, optarg, 1000, "fill");
			break;
		case 's':
			same_port = true;
			break;
		default:
			return usage(opt);
		}
	}
	if (optind != argc)
		return usage('?');

	if (listen_only) {
		/*
		 * Every address: spoofed SYNs come to a non-loopback one (IPv6:
		 * IPv4 too, as a plain [::] socket takes it).
		 */
		ts_addr_parse(AF_INET, "0.0.0.0", &any);
		lfd = family == AF_INET ?
		      tcp_listen(AF_INET, &any, port, backlog) :
		      tcp_listen_dual(port, backlog);
		if (lfd < 0)
			die("listen", -lfd);
		/* The clients' fds stay open (never closed) until exit. */
		for (i = 0; i < fill; i++) {
			err = tcp_connect_nb(family, sock_port(lfd));
			if (err < 0)
				die("connect", -err);
		}
		printf("listening\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	lfd = tcp_listen(family, NULL, port, 64);
	if (lfd < 0)
		die("listen", -lfd);
	for (i = 0; i < count; i++) {
		if (first_cport &&
		    !POLL_UNTIL(rows_holding_port(family, first_cport) == 0, 5000))
			die("the last client socket still holds its port", EBUSY);
		err = loopback_connection(lfd, family, first_cport,
					  closers[closer].how, &cport, NULL);
		if (err)
			die("connection", -err);
		if (same_port)
			first_cport = cport;
		printf("%s %u %u %s\n", family == AF_INET ? "ipv4" : "ipv6",
		       sock_port(lfd), cport, closers[closer].name);
	}
	close(lfd);
	return 0;
}
