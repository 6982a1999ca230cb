// SPDX-License-Identifier: GPL-2.0
/*
 * connloop: the loopback connection loop of `make bench`. Each of T
 * threads owns a listener on 127.0.0.1 (or ::1) and runs, as fast as it
 * can, both ends of one connection after another:
 *
 *   connect -> accept -> client writes 1 byte -> server reads it, writes
 *   1 byte -> client reads it -> client closes -> server reads EOF and
 *   closes
 *
 * so every connection takes the same path through the TCP state machine,
 * on both ends: the client CLOSE -> SYN_SENT -> ESTABLISHED -> FIN_WAIT1
 * -> FIN_WAIT2 -> CLOSE (a timewait sock takes over), the server child
 * LISTEN -> SYN_RECV -> ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSE:
 * 10 state changes per connection, plus CLOSE -> LISTEN -> CLOSE once per
 * listener. One thread doing both ends keeps the loop free of wake-ups
 * between threads, so what it measures is the kernel's work per
 * connection, and a tracer's on top of it.
 *
 * Prints one line: "connloop: threads T conns N failed F secs S rate R".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

struct worker {
	int idx;
	int lfd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned long long conns;
	unsigned long long failed;
	int err;			/* errno of a fatal failure */
	const char *what;		/* the call that failed */
};

static int family = AF_INET;
static struct bench_opts opts = { .threads = 1, .secs = 2 };

static int make_listener(struct worker *w)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&w->addr;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&w->addr;

	memset(&w->addr, 0, sizeof(w->addr));
	if (family == AF_INET6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		w->addrlen = sizeof(*a6);
	} else {
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		w->addrlen = sizeof(*a4);
	}
	if (opts.base_port) {
		if (family == AF_INET6)
			a6->sin6_port = htons(opts.base_port + w->idx);
		else
			a4->sin_port = htons(opts.base_port + w->idx);
	}
	w->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (w->lfd < 0)
		return -1;
	if (setsockopt(w->lfd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)))
		return -1;
	if (bind(w->lfd, (struct sockaddr *)&w->addr, w->addrlen) ||
	    getsockname(w->lfd, (struct sockaddr *)&w->addr, &w->addrlen) ||
	    listen(w->lfd, 128))
		return -1;
	return 0;
}

/* One connection, both ends. 0: done; 1: connect failed (counted); -1: fatal. */
static int one_conn(struct worker *w)
{
	char buf[1];
	int c, s;

	c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0) {
		w->what = "socket";
		return -1;
	}
	if (connect(c, (struct sockaddr *)&w->addr, w->addrlen)) {
		/* EADDRNOTAVAIL: no local port free (timewait socks hold them). */
		close(c);
		return 1;
	}
	s = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0) {
		w->what = "accept";
		close(c);
		return -1;
	}
	if (write(c, "q", 1) != 1) {
		w->what = "client write";
		goto fail;
	}
	if (read(s, buf, 1) != 1) {
		w->what = "server read";
		goto fail;
	}
	if (write(s, "a", 1) != 1) {
		w->what = "server write";
		goto fail;
	}
	if (read(c, buf, 1) != 1) {
		w->what = "client read";
		goto fail;
	}
	close(c);
	/* EOF: the client's FIN is in, so the server closes second. */
	if (read(s, buf, 1) != 0) {
		w->what = "server read of EOF";
		close(s);
		return -1;
	}
	close(s);
	return 0;
fail:
	close(c);
	close(s);
	return -1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	int rc;

	if (opts.pin)
		bench_pin(w->idx);
	bench_wait_release();
	while (!atomic_load_explicit(&bench_stop, memory_order_relaxed)) {
		rc = one_conn(w);
		if (rc < 0) {
			w->err = errno;
			break;
		}
		if (rc > 0)
			w->failed++;
		else
			w->conns++;
		if (opts.count && w->conns >= opts.count)
			break;
	}
	return NULL;
}

/* -h: the usage on stdout, status 0; a bad option: on stderr, status 2. */
static int usage(int opt)
{
	fprintf(opt == 'h' ? stdout : stderr,
"usage: connloop [-t THREADS] [-d SECONDS | -n CONNS] [-P PORT] [-6] [-p]\n"
"  -t N   loop threads, each with its own listener (default 1)\n"
"  -d S   run for S seconds (default 2; decimals allowed)\n"
"  -n N   or: stop each thread after N connections\n"
"  -P P   thread i listens on port P + i (default: any free port)\n"
"  -6     IPv6 (::1) instead of IPv4 (127.0.0.1)\n"
"  -p     pin thread i to CPU i\n");
	return opt == 'h' ? 0 : 2;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS];
	unsigned long long conns = 0, failed = 0;
	int threads, opt, i, bad = 0;
	double elapsed;

	while ((opt = getopt(argc, argv, BENCH_OPTIONS "6h")) != -1) {
		if (bench_option(&opts, opt, optarg))
			continue;
		if (opt != '6')
			return usage(opt);
		family = AF_INET6;
	}
	if (!bench_opts_ok(&opts))
		return usage('?');
	threads = opts.threads;

	memset(w, 0, sizeof(w));
	for (i = 0; i < threads; i++) {
		w[i].idx = i;
		if (make_listener(&w[i])) {
			perror("connloop: listener");
			return 1;
		}
	}
	elapsed = bench_run("connloop", threads, run, w, sizeof(w[0]),
			    opts.secs);
	if (elapsed < 0)
		return 1;
	for (i = 0; i < threads; i++) {
		close(w[i].lfd);
		conns += w[i].conns;
		failed += w[i].failed;
		if (w[i].err) {
			fprintf(stderr, "connloop: thread %d: %s: %s\n", i,
				w[i].what ? w[i].what : "?", strerror(w[i].err));
			bad = 1;
		}
	}
	printf("connloop: threads %d conns %llu failed %llu secs %.6f rate %.1f\n",
	       threads, conns, failed, elapsed, conns / elapsed);
	return bad;
}
