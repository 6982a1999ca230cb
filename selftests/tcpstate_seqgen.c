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
 *       by the chosen side: shutdown(SHUT_WR), wait for the peer's FIN
 *       (EOF), close(); the peer closes on EOF. The closer's socket is
 *       never orphaned before its TIME_WAIT, so its path is always
 *       FIN_WAIT1 -> FIN_WAIT2 -> TIME_WAIT (a close() first would race:
 *       an ACK arriving after it makes an orphaned FIN_WAIT2 timewait
 *       sock). Prints "FAMILY LPORT CPORT CLOSER" per connection, as
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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Evaluate @cond every 10 ms until it holds or @ms passed; its value. */
#define WAIT_FOR(cond, ms) ({						\
	long long __end = now_ms() + (ms);				\
	bool __ok;							\
	for (;;) {							\
		__ok = (cond);						\
		if (__ok || now_ms() > __end)				\
			break;						\
		usleep(10000);						\
	}								\
	__ok;								\
})

/* @text (NULL: loopback, "any": wildcard) and @port as a sockaddr. */
static socklen_t mkaddr(const char *text, unsigned short port,
			struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (!text)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (!strcmp(text, "any"))
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			die("bad IPv4 address %s", text);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (!text)
		sin6->sin6_addr = in6addr_loopback;
	else if (!strcmp(text, "any"))
		sin6->sin6_addr = in6addr_any;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
		die("bad IPv6 address %s", text);
	return sizeof(*sin6);
}

static unsigned short port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	return ntohs(ss.ss_family == AF_INET ?
		     ((struct sockaddr_in *)&ss)->sin_port :
		     ((struct sockaddr_in6 *)&ss)->sin6_port);
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

static int tcp_socket(int nonblock)
{
	int fd = socket(family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static int do_listen(const char *addr, unsigned short port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	int fd = tcp_socket(0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, backlog))
		die("listen on %s port %u", addr ? addr : "loopback", port);
	return fd;
}

static int connect_to(const char *addr, unsigned short port, int nonblock)
{
	struct sockaddr_storage ss;
	socklen_t len = mkaddr(addr, port, &ss);
	int fd = tcp_socket(nonblock);

	if (connect(fd, (struct sockaddr *)&ss, len) &&
	    !(nonblock && errno == EINPROGRESS))
		die("connect to port %u", port);
	return fd;
}

/* close() with SO_LINGER 0: an RST. */
static void abort_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void exchange(int cfd, int afd)
{
	char b = 'x';

	if (write(cfd, &b, 1) != 1 || read(afd, &b, 1) != 1 ||
	    write(afd, &b, 1) != 1 || read(cfd, &b, 1) != 1)
		die("exchange");
}

/*
 * Rows of /proc/net/tcp and tcp6 in state @st (hex "st" column) with
 * local port @lport (0: any).
 */
static int proc_rows(unsigned int st, unsigned short lport)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	unsigned int i, port, s;
	char line[512];
	int n = 0;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x",
				   &port, &s) == 2 &&
			    s == st && (!lport || port == lport))
				n++;
		fclose(f);
	}
	return n;
}

/* A field of /proc/net/netstat or snmp ("TcpExt", "ListenOverflows"). */
static long long mib(const char *section, const char *field)
{
	static const char *const files[] = { "/proc/net/netstat", "/proc/net/snmp" };
	char names[8192], values[8192], *np, *vp, *n, *v;
	size_t sl = strlen(section);
	unsigned int i;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		while (fgets(names, sizeof(names), f) &&
		       fgets(values, sizeof(values), f)) {
			if (strncmp(names, section, sl) || names[sl] != ':')
				continue;
			n = strtok_r(names + sl + 1, " \n", &np);
			v = strtok_r(values + sl + 1, " \n", &vp);
			while (n && v) {
				if (!strcmp(n, field)) {
					fclose(f);
					return atoll(v);
				}
				n = strtok_r(NULL, " \n", &np);
				v = strtok_r(NULL, " \n", &vp);
			}
		}
		fclose(f);
	}
	die("no %s %s", section, field);
}

static int cmd_connect(int argc, char **argv)
{
	const char *expect = NULL;
	struct sockaddr_storage ss;
	long long t0, ms;
	int fd, rc, err, opt, one = 1;
	unsigned short cport;
	socklen_t len;

	while ((opt = getopt(argc, argv, "46x:")) != -1) {
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
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
	fd = tcp_socket(0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	len = mkaddr("any", 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	cport = port_of(fd);
	len = mkaddr(argv[optind], atoi(argv[optind + 1]), &ss);
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
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
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
	printf("%u\n", port_of(fd));
	fflush(stdout);
	alarm(120);
	for (;;)
		pause();
}

#define MAX_CONNS 64

static int cmd_pair(int argc, char **argv)
{
	const char *closer = NULL;
	int opt, n = 1, i, lfd, cfd, afd, first, second;
	unsigned short lport, cport;
	char b;

	while ((opt = getopt(argc, argv, "46n:c:")) != -1) {
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
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
	lport = port_of(lfd);
	for (i = 0; i < n; i++) {
		cfd = connect_to(NULL, lport, 0);
		afd = accept(lfd, NULL, NULL);
		if (afd < 0)
			die("accept");
		cport = port_of(cfd);
		exchange(cfd, afd);
		first = strcmp(closer, "client") ? afd : cfd;
		second = first == cfd ? afd : cfd;
		if (shutdown(first, SHUT_WR) || read(second, &b, 1) != 0)
			die("shutdown, then EOF");
		close(second);
		if (read(first, &b, 1) != 0)
			die("the closer's EOF");
		close(first);
		printf("%s %u %u %s\n", family == AF_INET ? "ipv4" : "ipv6",
		       lport, cport, closer);
	}
	close(lfd);
	return 0;
}

static int cmd_orphan(int argc, char **argv)
{
	int opt, n = 1, i, lfd, afd[MAX_CONNS];
	unsigned short lport, cport[MAX_CONNS];
	bool peer_fin = false;
	long long t0;

	while ((opt = getopt(argc, argv, "46n:k")) != -1) {
		switch (opt) {
		case 'k':
			peer_fin = true;
			break;
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
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
	lport = port_of(lfd);
	for (i = 0; i < n; i++) {
		int cfd = connect_to(NULL, lport, 0);

		afd[i] = accept(lfd, NULL, NULL);
		if (afd[i] < 0)
			die("accept");
		cport[i] = port_of(cfd);
		exchange(cfd, afd[i]);
		close(cfd);
	}
	for (i = 0; i < n; i++)
		printf("%u %u\n", lport, cport[i]);
	/*
	 * Each client socket is now a timewait sock in substate FIN_WAIT2
	 * (st 05 with its port): seen, then gone when tcp_fin_timeout ends.
	 */
	t0 = now_ms();
	for (i = 0; i < n; i++)
		if (!WAIT_FOR(proc_rows(5, cport[i]) == 1, 3000))
			die("client port %u never showed as FIN_WAIT2", cport[i]);
	if (peer_fin) {
		/* The server's FIN: each timewait sock goes to TIME_WAIT. */
		for (i = 0; i < n; i++)
			close(afd[i]);
		for (i = 0; i < n; i++)
			if (!WAIT_FOR(proc_rows(6, cport[i]) == 1 &&
				      proc_rows(5, cport[i]) == 0, 5000))
				die("client port %u: no TIME_WAIT after the server's FIN",
				    cport[i]);
		fprintf(stderr, "# %d orphaned FIN_WAIT2 timewait socks (st 05 rows) turned TIME_WAIT (st 06) on the server's FIN\n",
			n);
		close(lfd);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (!WAIT_FOR(proc_rows(5, cport[i]) == 0, 15000))
			die("client port %u still FIN_WAIT2 after 15 s", cport[i]);
	fprintf(stderr, "# %d orphaned FIN_WAIT2 timewait socks (st 05 rows) shown, gone %lld ms after the closes\n",
		n, now_ms() - t0);
	/* The server closes: its FIN meets no socket, an RST ends LAST_ACK. */
	for (i = 0; i < n; i++)
		close(afd[i]);
	if (!WAIT_FOR(proc_rows(8, lport) + proc_rows(9, lport) == 0, 5000))
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
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc)
		return 2;
	over0 = mib("TcpExt", "ListenOverflows");
	drops0 = mib("TcpExt", "ListenDrops");
	lfd = do_listen(NULL, 0, 1);
	lport = port_of(lfd);

	/* Z: queued alone first. */
	z = connect_to(NULL, lport, 0);
	pz = port_of(z);
	if (!WAIT_FOR(acceptq_len(lfd) == 1, 5000))
		die("accept queue %d, expected 1", acceptq_len(lfd));

	/* C1, C2: both SYNs reach the listener before either third ACK. */
	c1 = connect_to(NULL, lport, 1);
	c2 = connect_to(NULL, lport, 1);
	p1 = port_of(c1);
	p2 = port_of(c2);
	if (!WAIT_FOR(acceptq_len(lfd) == 2 && tcp_state(c1) == TCP_ESTABLISHED &&
		      tcp_state(c2) == TCP_ESTABLISHED &&
		      mib("TcpExt", "ListenOverflows") > over0, 5000))
		die("accept queue %d, C1 state %d, C2 state %d, ListenOverflows +%lld",
		    acceptq_len(lfd), tcp_state(c1), tcp_state(c2),
		    mib("TcpExt", "ListenOverflows") - over0);
	fprintf(stderr, "# accept queue 2 (backlog 1), C2 established, its third ACK dropped: ListenOverflows +%lld, request socks (st 03) %d\n",
		mib("TcpExt", "ListenOverflows") - over0, proc_rows(3, lport));

	/* C3: its SYNs meet the full accept queue until connect gives up. */
	t0 = now_ms();
	c3 = connect_to(NULL, lport, 1);
	p3 = port_of(c3);
	pfd = (struct pollfd){ .fd = c3, .events = POLLOUT };
	if (poll(&pfd, 1, 15000) != 1)
		die("C3's connect did not end in 15 s");
	if (getsockopt(c3, SOL_SOCKET, SO_ERROR, &err, &len) || err != ETIMEDOUT) {
		errno = err;
		die("C3's connect: expected ETIMEDOUT");
	}
	fprintf(stderr, "# C3 connect: ETIMEDOUT after %lld ms\n", now_ms() - t0);

	/* C2's request sock expires (SYN-ACK retries): no st 03 row left. */
	if (!WAIT_FOR(proc_rows(3, lport) == 0, 15000))
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
	if (!WAIT_FOR(tcp_state(z) == TCP_CLOSE && tcp_state(c1) == TCP_CLOSE, 5000))
		die("Z or C1 not reset: states %d %d", tcp_state(z), tcp_state(c1));
	zs_state = tcp_state(c2);
	if (zs_state != TCP_ESTABLISHED)
		die("C2 state %d, expected ESTABLISHED", zs_state);
	abort_close(c2);
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
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
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
	cfd = connect_to(argv[optind], atoi(argv[optind + 1]), 0);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	cport = port_of(cfd);
	exchange(cfd, afd);
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
