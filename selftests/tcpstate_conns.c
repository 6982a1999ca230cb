// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_conns: the connections top_test.sh compares --top with, where
 * tcpstate_traffic's loopback ones do not fit:
 *
 *   tcpstate_conns [-4|-6] -d ADDR -p PORT [-n COUNT] [-s SPORT]
 *   tcpstate_conns [-4|-6] -b BACKLOG -p PORT -n COUNT
 *
 * -d: COUNT connections to a listener this makes on ADDR:PORT (any local
 * address, 127.0.0.2 or ::1), each carrying a byte each way and closed by
 * the client first, the server closing once it read EOF: each leaves the
 * client's socket in TIME_WAIT, toward ADDR:PORT. With -s, connection k
 * comes from loopback port SPORT + k (SO_REUSEADDR: another destination
 * may hold the same local port); without, from an ephemeral port.
 *
 * -b: a listener on loopback PORT with BACKLOG that never accepts, and
 * COUNT connects to it, one after the other. Its accept queue holds
 * BACKLOG + 1; the kernel drops each later SYN (ListenOverflows and
 * ListenDrops). Each connect waits until the kernel decided, from its own
 * figures: the listener's accept queue grew, or ListenOverflows did. The
 * dropped ones are closed at once (SYN_SENT: no packet), before their SYN
 * is retransmitted, so the MIBs stand still afterwards. Prints "held H
 * dropped D" and keeps the rest open until killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpstate_net.h"

#define PROG "tcpstate_conns"

/* How long the kernel may take to answer one connect (TCG is slow). */
#define DECIDE_TIMEOUT_MS	5000

static void die(const char *what, int err)
{
	fprintf(stderr, "tcpstate_conns: %s: %s\n", what, strerror(err));
	exit(1);
}

/* -h: the usage on stdout, status 0; a bad option: on stderr, status 2. */
static int usage(int opt)
{
	fprintf(opt == 'h' ? stdout : stderr,
		"USAGE: tcpstate_conns [-4|-6] -d ADDR -p PORT [-n COUNT] [-s SPORT]\n"
		"       tcpstate_conns [-4|-6] -b BACKLOG -p PORT -n COUNT\n");
	return opt == 'h' ? 0 : 2;
}

/* One client-closed connection to listener @lfd at @dst:@port. */
static int client_closed(int lfd, const struct ts_addr *dst,
			 unsigned short port, unsigned short cport)
{
	int cfd, afd, err = 0;
	char byte;

	cfd = tcp_connect_from(dst, cport, port);
	if (cfd < 0)
		return cfd;
	afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0) {
		err = -errno;
		close(cfd);
		return err;
	}
	if (tcp_exchange(cfd, afd))
		err = -EIO;
	close(cfd);
	if (!err && read(afd, &byte, 1) != 0)
		err = -EIO;
	close(afd);
	return err;
}

/* The listener's accept queue now (TCP_INFO: tcpi_unacked of a listener). */
static int accept_queue(int lfd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	return ti.tcpi_unacked;
}

static long long listen_overflows(void)
{
	return mib_get("TcpExt", "ListenOverflows");
}

/*
 * -b: fill listener @lfd's accept queue with @count connects; the
 * dropped ones closed, the held ones kept. Never returns.
 */
static void overflow(int lfd, int family, unsigned short port, long count)
{
	long held = 0, dropped = 0, i;
	long long overflows;
	bool decided;
	int fd;

	for (i = 0; i < count; i++) {
		overflows = listen_overflows();
		if (overflows < 0)
			die("/proc/net/netstat", ENOENT);
		fd = tcp_connect_nb(family, port);
		if (fd < 0)
			die("connect", -fd);
		decided = POLL_UNTIL(accept_queue(lfd) == held + 1 ||
				     listen_overflows() > overflows,
				     DECIDE_TIMEOUT_MS);
		if (!decided)
			die("the kernel neither queued nor dropped a connect",
			    ETIMEDOUT);
		if (accept_queue(lfd) == held + 1) {
			held++;
		} else {
			close(fd);
			dropped++;
		}
	}
	printf("held %ld dropped %ld\n", held, dropped);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	long count = 1, port = 0, sport = 0, backlog = -1, i;
	int family = AF_INET, opt, lfd, err;
	const char *dst_text = NULL;
	struct ts_addr dst;

	while ((opt = getopt(argc, argv, "46d:p:n:s:b:h")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'd':
			dst_text = optarg;
			break;
		case 'p':
			port = ts_parse_num(PROG, optarg, 65535, "port");
			break;
		case 'n':
			count = ts_parse_num(PROG, optarg, 100000, "count");
			break;
		case 's':
			sport = ts_parse_num(PROG, optarg, 65535, "source port");
			break;
		case 'b':
			backlog = ts_parse_num(PROG, optarg, 65535, "backlog");
			break;
		default:
			return usage(opt);
		}
	}
	if (optind != argc || !port || (dst_text != NULL) == (backlog >= 0) ||
	    (sport && sport + count > 65536))
		return usage('?');

	if (backlog >= 0) {
		lfd = tcp_listen(family, NULL, port, backlog);
		if (lfd < 0)
			die("listen", -lfd);
		overflow(lfd, family, port, count);
	}
	if (ts_addr_parse(family, dst_text, &dst)) {
		fprintf(stderr, "tcpstate_conns: bad address %s\n", dst_text);
		return 2;
	}
	lfd = tcp_listen(family, &dst, port, 64);
	if (lfd < 0)
		die("listen", -lfd);
	for (i = 0; i < count; i++) {
		err = client_closed(lfd, &dst, port, sport ? sport + i : 0);
		if (err)
			die("connection", -err);
	}
	close(lfd);
	return 0;
}
