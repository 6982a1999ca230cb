// SPDX-License-Identifier: GPL-2.0
/*
 * sockfill: fill the established hash for the insmod stall benchmark.
 * Opens N loopback connections (both ends stay open: 2N sockets in the
 * established hash) to a listener on 127.0.0.1 port P, each client bound
 * to a source address and port of its own (127.1.x.0, ports 1024 on: no
 * ephemeral port search, which grows with the ports in use), and every
 * 10th one is closed by the client at once, leaving a timewait sock
 * instead. Prints "sockfill: ready established E timewait W secs S"
 * and waits for SIGTERM/SIGINT; then every socket is reset (SO_LINGER 0),
 * so none lingers in TIME_WAIT for the next run.
 *
 *   sockfill -n N [-P PORT]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

/* Client ports per source address. */
#define PER_ADDR	60000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void reset_close(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int listener(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096))
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long n = 0, i, tw = 0;
	int opt, *fds, nr_fds = 0, lfd = -1;
	unsigned short port = 30000;
	struct rlimit rl;
	double t0;

	while ((opt = getopt(argc, argv, "n:P:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 0);
		else if (opt == 'P')
			port = (unsigned short)strtoul(optarg, NULL, 0);
		else
			n = 0;
	}
	if (!n || optind != argc) {
		fprintf(stderr, "usage: sockfill -n N [-P PORT]\n");
		return 2;
	}
	rl.rlim_cur = rl.rlim_max = 2 * n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("sockfill: setrlimit (raise fs.nr_open)");
		return 1;
	}
	fds = calloc(2 * n + 64, sizeof(*fds));
	if (!fds)
		return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t0 = now_s();
	lfd = listener(port);
	if (lfd < 0) {
		fprintf(stderr, "sockfill: listen on %u: %s\n", port,
			strerror(errno));
		return 1;
	}
	fds[nr_fds++] = lfd;
	for (i = 0; i < n && !stop; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct sockaddr_in src = {
			.sin_family = AF_INET,
			.sin_port = htons(1024 + i % PER_ADDR),
			.sin_addr.s_addr = htonl(0x7f010000U + ((i / PER_ADDR) << 8)),
		};
		int cfd, afd, one = 1;

		cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* Over the timewait socks of an earlier run's ports. */
		if (cfd < 0 ||
		    setsockopt(cfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(cfd, (struct sockaddr *)&src, sizeof(src)) ||
		    connect(cfd, (struct sockaddr *)&a, sizeof(a))) {
			fprintf(stderr, "sockfill: connect number %lu: %s\n", i,
				strerror(errno));
			return 1;
		}
		afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (afd < 0) {
			fprintf(stderr, "sockfill: accept: %s\n", strerror(errno));
			return 1;
		}
		if (i % 10 == 9) {
			/* Client first: its socket becomes a timewait sock. */
			close(cfd);
			close(afd);
			tw++;
			continue;
		}
		fds[nr_fds++] = cfd;
		fds[nr_fds++] = afd;
	}
	printf("sockfill: ready established %lu timewait %lu secs %.1f\n",
	       2 * (n - tw), tw, now_s() - t0);
	fflush(stdout);
	while (!stop)
		pause();
	while (nr_fds)
		reset_close(fds[--nr_fds]);
	return 0;
}
