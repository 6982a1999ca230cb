// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_seqgen: the socket choreographies of sequences_test.sh that a
 * shell cannot make, each checked against the kernel's own figures (errno,
 * TCP_INFO, /proc/net/tcp{,6}, /proc/net/netstat) with bounded waits.
 * Runs in the caller's network namespace; every wait is bounded.
 *
 *   tcpstate_seqgen connect [-4|-6] -x refused|timeout ADDR PORT
 *       bind a port, connect to ADDR:PORT and expect ECONNREFUSED or
 *       ETIMEDOUT. Prints "CPORT MS" (the bound port, connect()'s time).
 *   tcpstate_seqgen listen [-4|-6] [-q BACKLOG] [-p PORT] ADDR
 *       listen on ADDR:PORT, print "PORT", never accept; wait to be
 *       killed (or 120 s).
 *   tcpstate_seqgen pair [-4|-6] [-n N] -c client|server
 *       N loopback connections, one after the other, each closed in order
 *       by the chosen side (SHUTDOWN_CLIENT or SHUTDOWN_SERVER of
 *       tcpstate_net.h: the closer is never orphaned before its
 *       TIME_WAIT). Prints "FAMILY LPORT CPORT CLOSER" per connection, as
 *       tcpstate_traffic does.
 *   tcpstate_seqgen orphan [-4|-6] [-n N] [-k]
 *       N loopback connections whose client closes first while the server
 *       keeps its socket open: the client's socket becomes an orphaned
 *       FIN_WAIT2 timewait sock. Waits until the kernel showed each (st 05
 *       rows) and until they are gone (net.ipv4.tcp_fin_timeout), then the
 *       server closes. With -k the server closes as soon as they show:
 *       its FIN turns each timewait sock to TIME_WAIT (st 06), which is
 *       waited for. Prints "LPORT CPORT" per connection.
 *   tcpstate_seqgen overflow [-4|-6]
 *       a loopback listener with backlog 1 that never accepts (run it with
 *       a netem delay on lo, tcp_syncookies=0, tcp_syn_retries=1 and
 *       tcp_synack_retries=1): Z connects and is queued; C1 and C2 send
 *       their SYNs together, C1's third ACK fills the accept queue and
 *       C2's is dropped (its request sock stays until it expires); C3's
 *       SYNs are dropped until its connect times out. Then the listener
 *       closes (its queued children are reset) and C2 aborts. Prints
 *       "LPORT Z C1 C2 C3 OVERFLOWS" (OVERFLOWS: TcpExt ListenOverflows
 *       moved by that much).
 *   tcpstate_seqgen simclose [-4|-6] -N NETNS_PATH ADDR PORT
 *       listen on ADDR:PORT in the netns NETNS_PATH, connect to it from
 *       the current netns, exchange a byte, then close both ends at once:
 *       with a delay on the path both FINs cross in flight (simultaneous
 *       close). Prints "CPORT PORT".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpstate_net.h"

#define PROG "tcpstate_seqgen"

static int family = AF_INET;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d: %s)\n", err, strerror(err));
	exit(1);
}

/* A tcpstate_net.h call's -errno as errno, for die(). */
static int check(int rc, const char *what)
{
	if (rc < 0) {
		errno = -rc;
		die("%s", what);
	}
	return rc;
}

/*
 * @text of the current family: an address, "any" (the wildcard) or NULL
 * (loopback).
 */
static struct ts_addr addr_of(const char *text)
{
	struct ts_addr a;

	if (!text) {
		ts_addr_loopback(family, &a);
		return a;
	}
	if (!strcmp(text, "any"))
		text = family == AF_INET ? "0.0.0.0" : "::";
	if (ts_addr_parse(family, text, &a))
		die("bad %s address %s", family == AF_INET ? "IPv4" : "IPv6",
		    text);
	return a;
}

static struct tcp_info tcp_info_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		die("TCP_INFO");
	return ti;
}

/* The kernel's TCP state of @fd (TCP_ESTABLISHED = 1, TCP_CLOSE = 7). */
static int tcp_state(int fd)
{
	return tcp_info_of(fd).tcpi_state;
}

/* A listener's accept queue length (tcp_get_info(): sk_ack_backlog). */
static int acceptq_len(int lfd)
{
	return tcp_info_of(lfd).tcpi_unacked;
}

/* A listener on @addr (NULL: loopback) and @port. */
static int do_listen(const char *addr, unsigned short port, int backlog)
{
	struct ts_addr a = addr_of(addr);

	return check(tcp_listen(family, &a, port, backlog), "listen");
}

/* A connection to @addr (NULL: loopback) and @port. */
static int connect_to(const char *addr, unsigned short port, bool nonblock)
{
	struct ts_addr a = addr_of(addr);

	return check(tcp_connect_to(&a, port, nonblock), "connect");
}

/* A field of /proc/net/netstat or snmp ("TcpExt", "ListenOverflows"). */
static long long mib(const char *section, const char *field)
{
	long long v = mib_get(section, field);

	if (v < 0)
		die("no %s %s", section, field);
	return v;
}

static int cmd_connect(int argc, char **argv)
{
	const char *expect = NULL;
	struct sockaddr_storage ss;
	struct ts_addr any, dst;
	long long t0, ms;
	int fd, rc, err, opt, one = 1;
	unsigned short cport;
	socklen_t len;

	while ((opt = getopt(argc, argv, "46x:")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'x':
			expect = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!expect || optind + 2 != argc ||
	    (strcmp(expect, "refused") && strcmp(expect, "timeout")))
		return 2;
	/* Bound first, so that the port is known even after a failure. */
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	any = addr_of("any");
	len = ts_sockaddr(&any, 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	cport = sock_port(fd);
	dst = addr_of(argv[optind]);
	len = ts_sockaddr(&dst, atoi(argv[optind + 1]), &ss);
	t0 = now_ms();
	rc = connect(fd, (struct sockaddr *)&ss, len);
	err = errno;
	ms = now_ms() - t0;
	printf("%u %lld\n", cport, ms);
	close(fd);
	if (!strcmp(expect, "refused") ? rc == 0 || err != ECONNREFUSED :
					 rc == 0 || err != ETIMEDOUT) {
		errno = rc ? err : 0;
		die("connect from port %u: expected %s, got %s after %lld ms",
		    cport, expect, rc ? "an error" : "success", ms);
	}
	return 0;
}

static int cmd_listen(int argc, char **argv)
{
	int opt, backlog = 16, port = 0, fd;

	while ((opt = getopt(argc, argv, "46q:p:")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'q':
			backlog = atoi(optarg);
			break;
		case 'p':
			port = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return 2;
	fd = do_listen(argv[optind], port, backlog);
	printf("%u\n", sock_port(fd));
	fflush(stdout);
	alarm(120);
	for (;;)
		pause();
}

#define MAX_CONNS 64

static int cmd_pair(int argc, char **argv)
{
	const char *closer = NULL;
	unsigned short lport, cport;
	int opt, n = 1, i, lfd;

	while ((opt = getopt(argc, argv, "46n:c:")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'c':
			closer = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc || n < 1 || !closer ||
	    (strcmp(closer, "client") && strcmp(closer, "server")))
		return 2;
	lfd = do_listen(NULL, 0, 64);
	lport = sock_port(lfd);
	for (i = 0; i < n; i++) {
		check(loopback_connection(lfd, family, 0,
					  strcmp(closer, "client") ?
					  SHUTDOWN_SERVER : SHUTDOWN_CLIENT,
					  &cport, NULL),
		      "connection, shutdown, then EOF");
		printf("%s %u %u %s\n", family == AF_INET ? "ipv4" : "ipv6",
		       lport, cport, closer);
	}
	close(lfd);
	return 0;
}

static int cmd_orphan(int argc, char **argv)
{
	unsigned short lport, cport[MAX_CONNS] = { 0 };
	int opt, n = 1, i, lfd, afd[MAX_CONNS];
	bool peer_fin = false;
	long long t0;

	while ((opt = getopt(argc, argv, "46n:k")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'k':
			peer_fin = true;
			break;
		case 'n':
			n = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind != argc || n < 1 || n > MAX_CONNS)
		return 2;
	lfd = do_listen(NULL, 0, 64);
	lport = sock_port(lfd);
	check(client_closed_connections(lfd, family, n, cport, afd),
	      "client-closed connections");
	for (i = 0; i < n; i++)
		printf("%u %u\n", lport, cport[i]);
	/*
	 * Each client socket is now a timewait sock in substate FIN_WAIT2
	 * (st 05 with its port): seen, then gone when tcp_fin_timeout ends.
	 */
	t0 = now_ms();
	for (i = 0; i < n; i++)
		if (!POLL_UNTIL(proc_tcp_rows_all(5, cport[i]) == 1, 3000))
			die("client port %u never showed as FIN_WAIT2", cport[i]);
	if (peer_fin) {
		/* The server's FIN: each timewait sock goes to TIME_WAIT. */
		for (i = 0; i < n; i++)
			close(afd[i]);
		for (i = 0; i < n; i++)
			if (!POLL_UNTIL(proc_tcp_rows_all(6, cport[i]) == 1 &&
				      proc_tcp_rows_all(5, cport[i]) == 0, 5000))
				die("client port %u: no TIME_WAIT after the server's FIN",
				    cport[i]);
		fprintf(stderr, "# %d orphaned FIN_WAIT2 timewait socks (st 05 rows) turned TIME_WAIT (st 06) on the server's FIN\n",
			n);
		close(lfd);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!POLL_UNTIL(proc_tcp_rows_all(5, cport[i]) == 0, 15000))
			die("client port %u still FIN_WAIT2 after 15 s", cport[i]);
	fprintf(stderr, "# %d orphaned FIN_WAIT2 timewait socks (st 05 rows) shown, gone %lld ms after the closes\n",
		n, now_ms() - t0);
	/* The server closes: its FIN meets no socket, an RST ends LAST_ACK. */
	for (i = 0; i < n; i++)
		close(afd[i]);
	if (!POLL_UNTIL(proc_tcp_rows_all(8, lport) + proc_tcp_rows_all(9, lport) == 0, 5000))
		die("server sockets still in CLOSE_WAIT or LAST_ACK");
	close(lfd);
	return 0;
}

static int cmd_overflow(int argc, char **argv)
{
	int opt, lfd, z, c1, c2, c3, zs_state, err = 0;
	unsigned short lport, pz, p1, p2, p3;
	long long over0, drops0, over, drops, t0;
	struct pollfd pfd;
	socklen_t len = sizeof(err);

	while ((opt = getopt(argc, argv, "46")) != -1) {
		if (!family_option(opt, &family))
			return 2;
	}
	if (optind != argc)
		return 2;
	over0 = mib("TcpExt", "ListenOverflows");
	drops0 = mib("TcpExt", "ListenDrops");
	lfd = do_listen(NULL, 0, 1);
	lport = sock_port(lfd);

	/* Z: queued alone first. */
	z = connect_to(NULL, lport, false);
	pz = sock_port(z);
	if (!POLL_UNTIL(acceptq_len(lfd) == 1, 5000))
		die("accept queue %d, expected 1", acceptq_len(lfd));

	/* C1, C2: both SYNs reach the listener before either third ACK. */
	c1 = connect_to(NULL, lport, true);
	c2 = connect_to(NULL, lport, true);
	p1 = sock_port(c1);
	p2 = sock_port(c2);
	if (!POLL_UNTIL(acceptq_len(lfd) == 2 && tcp_state(c1) == TCP_ESTABLISHED &&
		      tcp_state(c2) == TCP_ESTABLISHED &&
		      mib("TcpExt", "ListenOverflows") > over0, 5000))
		die("accept queue %d, C1 state %d, C2 state %d, ListenOverflows +%lld",
		    acceptq_len(lfd), tcp_state(c1), tcp_state(c2),
		    mib("TcpExt", "ListenOverflows") - over0);
	fprintf(stderr, "# accept queue 2 (backlog 1), C2 established, its third ACK dropped: ListenOverflows +%lld, request socks (st 03) %d\n",
		mib("TcpExt", "ListenOverflows") - over0, proc_tcp_rows_all(3, lport));

	/* C3: its SYNs meet the full accept queue until connect gives up. */
	t0 = now_ms();
	c3 = connect_to(NULL, lport, true);
	p3 = sock_port(c3);
	pfd = (struct pollfd){ .fd = c3, .events = POLLOUT };
	if (poll(&pfd, 1, 15000) != 1)
		die("C3's connect did not end in 15 s");
	if (getsockopt(c3, SOL_SOCKET, SO_ERROR, &err, &len) || err != ETIMEDOUT) {
		errno = err;
		die("C3's connect: expected ETIMEDOUT");
	}
	fprintf(stderr, "# C3 connect: ETIMEDOUT after %lld ms\n", now_ms() - t0);

	/* C2's request sock expires (SYN-ACK retries): no st 03 row left. */
	if (!POLL_UNTIL(proc_tcp_rows_all(3, lport) == 0, 15000))
		die("C2's request sock still there");
	over = mib("TcpExt", "ListenOverflows") - over0;
	drops = mib("TcpExt", "ListenDrops") - drops0;
	fprintf(stderr, "# C2's request sock expired; ListenOverflows +%lld ListenDrops +%lld, accept queue %d\n",
		over, drops, acceptq_len(lfd));
	if (drops != over)
		die("ListenDrops +%lld, ListenOverflows +%lld", drops, over);

	/*
	 * The listener closes: its two queued children are reset, and Z and
	 * C1 get the RSTs. C2 (established, its server never made a socket)
	 * aborts.
	 */
	close(lfd);
	if (!POLL_UNTIL(tcp_state(z) == TCP_CLOSE && tcp_state(c1) == TCP_CLOSE, 5000))
		die("Z or C1 not reset: states %d %d", tcp_state(z), tcp_state(c1));
	zs_state = tcp_state(c2);
	if (zs_state != TCP_ESTABLISHED)
		die("C2 state %d, expected ESTABLISHED", zs_state);
	tcp_abort(c2);
	close(z);
	close(c1);
	close(c3);
	printf("%u %u %u %u %u %lld\n", lport, pz, p1, p2, p3, over);
	return 0;
}

static int cmd_simclose(int argc, char **argv)
{
	const char *nspath = NULL;
	int opt, own, other, lfd, cfd, afd;
	unsigned short cport;

	while ((opt = getopt(argc, argv, "46N:")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'N':
			nspath = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!nspath || optind + 2 != argc)
		return 2;
	own = open("/proc/self/ns/net", O_RDONLY);
	other = open(nspath, O_RDONLY);
	if (own < 0 || other < 0)
		die("open %s", nspath);
	if (setns(other, CLONE_NEWNET))
		die("setns %s", nspath);
	lfd = do_listen(argv[optind], atoi(argv[optind + 1]), 4);
	if (setns(own, CLONE_NEWNET))
		die("setns back");
	cfd = connect_to(argv[optind], atoi(argv[optind + 1]), false);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	cport = sock_port(cfd);
	if (tcp_exchange(cfd, afd))
		die("exchange");
	/* Both FINs leave now, microseconds apart: they cross in flight. */
	close(cfd);
	close(afd);
	close(lfd);
	printf("%u %s\n", cport, argv[optind + 1]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "connect", cmd_connect }, { "listen", cmd_listen },
		{ "pair", cmd_pair }, { "orphan", cmd_orphan }, { "overflow", cmd_overflow },
		{ "simclose", cmd_simclose },
	};
	unsigned int i;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		rc = cmds[i].fn(argc - 1, argv + 1);
		if (rc == 2)
			fprintf(stderr, PROG ": bad arguments for %s; see the comment at the top of tcpstate_seqgen.c\n",
				argv[1]);
		return rc;
	}
	fprintf(stderr, "usage: " PROG " connect|listen|pair|orphan|overflow|simclose ...\n");
	return 2;
}
