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
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpstate_net.h"

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
		"USAGE: tcpstate_traffic [-4|-6] [-n COUNT] [-c client|server|reset] [-p PORT]\n"
		"       tcpstate_traffic [-4|-6] -l -p PORT\n");
	return opt == 'h' ? 0 : 2;
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
	int family = AF_INET, opt, lfd, err;
	long count = 1, port = 0, i;
	unsigned int closer = 0, k;
	bool listen_only = false;
	unsigned short cport;
	struct ts_addr any;

	while ((opt = getopt(argc, argv, "46n:c:p:lh")) != -1) {
		if (family_option(opt, &family))
			continue;
		switch (opt) {
		case 'n':
			count = parse_num(optarg, 1000000, "count");
			break;
		case 'p':
			port = parse_num(optarg, 65535, "port");
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
		lfd = family == AF_INET ? tcp_listen(AF_INET, &any, port, 1024) :
					  tcp_listen_dual(port, 1024);
		if (lfd < 0)
			die("listen", -lfd);
		printf("listening\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	lfd = tcp_listen(family, NULL, port, 64);
	if (lfd < 0)
		die("listen", -lfd);
	for (i = 0; i < count; i++) {
		err = loopback_connection(lfd, family, 0, closers[closer].how,
					  &cport, NULL);
		if (err)
			die("connection", -err);
		printf("%s %u %u %s\n", family == AF_INET ? "ipv4" : "ipv6",
		       sock_port(lfd), cport, closers[closer].name);
	}
	close(lfd);
	return 0;
}
