// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_traffic: drive complete loopback TCP connections, one after the
 * other, so that the demo and the tests have known traffic to trace.
 *
 *   tcpstate_traffic [-4|-6] [-n COUNT] [-c client|server|reset] [-p PORT]
 *   tcpstate_traffic [-4|-6] -l -p PORT
 *
 * Each connection: connect, accept, one byte each way, then the chosen
 * side closes first and the other closes once it has read EOF ("reset":
 * the client aborts with an RST, SO_LINGER 0). Prints one line per
 * connection: "<family> <listen port> <client port> <close>".
 *
 * -l only listens, on every address, with a backlog of 1024 (room for
 * half-open connections), printing "listening" when ready and never
 * accepting, until it is killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum closer { CLIENT_CLOSES, SERVER_CLOSES, CLIENT_RESETS };

static const char *const closer_names[] = {
	[CLIENT_CLOSES] = "client", [SERVER_CLOSES] = "server",
	[CLIENT_RESETS] = "reset",
};

static socklen_t loopback(int family, unsigned short port,
			  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = in6addr_loopback;
	return sizeof(*sin6);
}

static unsigned short local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET ?
		     ((struct sockaddr_in *)&ss)->sin_port :
		     ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void die(const char *what)
{
	fprintf(stderr, "tcpstate_traffic: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void one_connection(int lfd, int family, enum closer closer)
{
	struct linger abort_now = { .l_onoff = 1, .l_linger = 0 };
	unsigned short lport = local_port(lfd), cport;
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, lport, &ss);
	int cfd, afd;
	char byte = 'x';

	cfd = socket(family, SOCK_STREAM, 0);
	if (cfd < 0)
		die("socket");
	if (connect(cfd, (struct sockaddr *)&ss, len))
		die("connect");
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	cport = local_port(cfd);
	if (write(cfd, &byte, 1) != 1 || read(afd, &byte, 1) != 1 ||
	    write(afd, &byte, 1) != 1 || read(cfd, &byte, 1) != 1)
		die("exchange");

	switch (closer) {
	case CLIENT_CLOSES:
		close(cfd);
		if (read(afd, &byte, 1) != 0)
			die("read EOF");
		close(afd);
		break;
	case SERVER_CLOSES:
		close(afd);
		if (read(cfd, &byte, 1) != 0)
			die("read EOF");
		close(cfd);
		break;
	case CLIENT_RESETS:
		if (setsockopt(cfd, SOL_SOCKET, SO_LINGER, &abort_now,
			       sizeof(abort_now)))
			die("SO_LINGER");
		close(cfd);
		/* The RST makes the server's read fail: ECONNRESET. */
		if (read(afd, &byte, 1) >= 0 || errno != ECONNRESET)
			die("read after RST");
		close(afd);
		break;
	}
	printf("%s %u %u %s\n", family == AF_INET ? "ipv4" : "ipv6", lport,
	       cport, closer_names[closer]);
}

static void usage(FILE *out)
{
	fprintf(out,
		"USAGE: tcpstate_traffic [-4|-6] [-n COUNT] [-c client|server|reset] [-p PORT]\n"
		"       tcpstate_traffic [-4|-6] -l -p PORT\n");
}

static long parse_num(const char *arg, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 0 || v > max) {
		fprintf(stderr, "tcpstate_traffic: bad %s: %s\n", what, arg);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	enum closer closer = CLIENT_CLOSES;
	struct sockaddr_storage ss;
	int family = AF_INET, opt, lfd;
	socklen_t len;
	long count = 1, port = 0, i;
	bool listen_only = false;

	while ((opt = getopt(argc, argv, "46n:c:p:lh")) != -1) {
		switch (opt) {
		case '4':
			family = AF_INET;
			break;
		case '6':
			family = AF_INET6;
			break;
		case 'n':
			count = parse_num(optarg, 1000000, "count");
			break;
		case 'p':
			port = parse_num(optarg, 65535, "port");
			break;
		case 'c':
			for (i = 0; i < 3; i++)
				if (!strcmp(optarg, closer_names[i]))
					break;
			if (i == 3) {
				fprintf(stderr, "tcpstate_traffic: bad closer: %s\n", optarg);
				return 2;
			}
			closer = i;
			break;
		case 'l':
			listen_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	opt = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &opt, sizeof(opt));
	len = loopback(family, port, &ss);
	if (listen_only) {
		/* Every address: spoofed SYNs come to a non-loopback one. */
		if (family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
		else
			((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_any;
	}
	if (bind(lfd, (struct sockaddr *)&ss, len) ||
	    listen(lfd, listen_only ? 1024 : 64))
		die("listen");
	if (listen_only) {
		printf("listening\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	for (i = 0; i < count; i++)
		one_connection(lfd, family, closer);
	close(lfd);
	return 0;
}
