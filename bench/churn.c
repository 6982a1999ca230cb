// SPDX-License-Identifier: GPL-2.0
/*
 * churn: TCP state changes as cheap as the kernel makes them, for timing a
 * tracer's cost per event. Each thread binds one socket to 127.0.0.1 and
 * loops
 *
 *   listen(fd)              CLOSE -> LISTEN
 *   shutdown(fd, SHUT_RD)   LISTEN -> CLOSE (tcp_disconnect(); the port
 *                           stays bound, so the socket can listen again)
 *
 * two sock:inet_sock_set_state events per iteration, on one socket, with
 * no packet, no softirq and none of tcpstate's kprobes on the path. The
 * time per iteration with a tracer minus the time without, halved, is the
 * tracer's cost per state change.
 *
 * -r paces the loop to a total event rate (for the ring-stall test).
 *
 * Prints one line: "churn: threads T iters N events E secs S
 * ns_per_iter X rate R" (R: events per second, all threads).
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

#define EVENTS_PER_ITER	2

struct worker {
	int idx;
	unsigned long long iters;
	double secs;
	int err;
	const char *what;
};

static double iter_rate;		/* per thread, 0: unpaced */
static struct bench_opts opts = { .threads = 1, .secs = 1 };

static void *run(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		.sin_port = htons(opts.base_port ? opts.base_port + w->idx : 0),
	};
	double t0, t;
	int fd;

	if (opts.pin)
		bench_pin(w->idx);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		w->err = errno;
		w->what = "socket/bind";
		return NULL;
	}
	bench_wait_release();
	t0 = now_s();
	while (!atomic_load_explicit(&bench_stop, memory_order_relaxed)) {
		if (listen(fd, 1)) {
			w->err = errno;
			w->what = "listen";
			break;
		}
		if (shutdown(fd, SHUT_RD)) {
			w->err = errno;
			w->what = "shutdown";
			break;
		}
		w->iters++;
		if (opts.count && w->iters >= opts.count)
			break;
		if (iter_rate > 0 && !(w->iters & 15)) {
			/* Ahead of schedule: sleep until the next batch is due. */
			t = now_s() - t0;
			if (w->iters / iter_rate > t)
				sleep_s(w->iters / iter_rate - t);
		}
	}
	w->secs = now_s() - t0;
	close(fd);
	return NULL;
}

/* -h: the usage on stdout, status 0; a bad option: on stderr, status 2. */
static int usage(int opt)
{
	fprintf(opt == 'h' ? stdout : stderr,
"usage: churn [-t THREADS] [-d SECONDS | -n ITERS] [-r EVENTS_PER_S] [-P PORT] [-p]\n"
"  -t N   threads (default 1), each with its own socket\n"
"  -d S   run for S seconds (default 1; decimals allowed)\n"
"  -n N   or: N iterations per thread (2 state changes each)\n"
"  -r R   pace to R events per second in all (default: as fast as it goes)\n"
"  -P P   thread i binds port P + i (default: any free port)\n"
"  -p     pin thread i to CPU i\n");
	return opt == 'h' ? 0 : 2;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS];
	unsigned long long iters = 0;
	double rate = 0, elapsed, busy = 0;
	int threads, opt, i, bad = 0;

	while ((opt = getopt(argc, argv, BENCH_OPTIONS "r:h")) != -1) {
		if (bench_option(&opts, opt, optarg))
			continue;
		if (opt != 'r')
			return usage(opt);
		rate = atof(optarg);
	}
	if (!bench_opts_ok(&opts))
		return usage('?');
	threads = opts.threads;
	iter_rate = rate / EVENTS_PER_ITER / threads;

	memset(w, 0, sizeof(w));
	for (i = 0; i < threads; i++)
		w[i].idx = i;
	elapsed = bench_run("churn", threads, run, w, sizeof(w[0]), opts.secs);
	if (elapsed < 0)
		return 1;
	for (i = 0; i < threads; i++) {
		iters += w[i].iters;
		busy += w[i].secs;
		if (w[i].err) {
			fprintf(stderr, "churn: thread %d: %s: %s\n", i,
				w[i].what, strerror(w[i].err));
			bad = 1;
		}
	}
	/* ns_per_iter: each thread's own time per iteration, averaged. */
	printf("churn: threads %d iters %llu events %llu secs %.6f ns_per_iter %.1f rate %.1f\n",
	       threads, iters, iters * EVENTS_PER_ITER, elapsed,
	       iters ? busy / iters * 1e9 : 0.0,
	       iters * EVENTS_PER_ITER / elapsed);
	return bad;
}
