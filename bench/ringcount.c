// SPDX-License-Identifier: GPL-2.0
/*
 * ringcount: the cheapest possible reader of the tcpstate ring, for
 * `make bench`. It maps the ring with userspace/ring_reader.c and only
 * counts records: the binary pass-through baseline that tcpstate-watch's
 * text and JSON output are compared with.
 *
 * Prints "ready" on stdout once the ring is mapped (and the filter set),
 * then, when it stops (after -c N records, or on SIGINT/SIGTERM, after a
 * last drain), one line on stdout:
 *
 *   ringcount: events N produced P dropped D secs S rate R
 *
 * -s USEC sleeps USEC between drains instead of poll()ing: the module
 * wakes only a reader that poll() armed (wakeup_armed, in
 * tcpstate_ring_poll_arm()), so this one is never woken and no irq_work
 * is queued, which times the wake-ups apart. Without -s, ringcount leaves
 * tcpstate_consumer.wakeup_bytes at 0: each sleep in poll() ends at the
 * first record committed after it, or at its 100 ms timeout.
 *
 * -R installs a kernel filter that no event passes (netns inode 1): the
 * probes then build every event and drop it before the ring, which times
 * event building apart from the ring itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "ring_reader.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct counter {
	unsigned long long n;
	unsigned long long limit;
	unsigned long long bytes;	/* touch the record, as a reader would */
};

static int count_one(const struct tcpstate_event *ev, void *arg)
{
	struct counter *c = arg;

	c->bytes += ev->type + ev->sport;
	c->n++;
	return c->limit && c->n >= c->limit;
}

/* -h: the usage on stdout, status 0; a bad option: on stderr, status 2. */
static int usage(int opt)
{
	fprintf(opt == 'h' ? stdout : stderr,
"usage: ringcount [-d DEVICE] [-c N] [-s USEC] [-R]\n"
"  -d PATH  ring device (default " TCPSTATE_DEVICE ")\n"
"  -c N     exit after N records\n"
"  -s USEC  sleep USEC between drains instead of poll()\n"
"  -R       kernel filter that rejects every event (netns 1)\n");
	return opt == 'h' ? 0 : 2;
}

int main(int argc, char **argv)
{
	const char *path = TCPSTATE_DEVICE;
	struct tcpstate_reader r;
	struct counter c = { 0 };
	struct sigaction sa;
	__u64 produced, dropped;
	double t0 = 0, t1;
	int reject = 0, opt, rc;
	long sleep_us = 0;
	char err[256];
	long n;

	while ((opt = getopt(argc, argv, "d:c:s:Rh")) != -1) {
		switch (opt) {
		case 'd':
			path = optarg;
			break;
		case 'c':
			c.limit = strtoull(optarg, NULL, 0);
			break;
		case 's':
			sleep_us = atol(optarg);
			break;
		case 'R':
			reject = 1;
			break;
		default:
			return usage(opt);
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	rc = tcpstate_reader_open(&r, path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "ringcount: %s\n", err);
		return 1;
	}
	if (reject) {
		struct tcpstate_filter f;

		memset(&f, 0, sizeof(f));
		f.netns = 1;
		rc = tcpstate_reader_set_filter(&r, &f);
		if (rc) {
			fprintf(stderr, "ringcount: set filter: %s\n", strerror(-rc));
			tcpstate_reader_close(&r);
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);

	for (;;) {
		n = tcpstate_ring_drain(&r.ring, count_one, &c);
		if (n < 0) {
			fprintf(stderr, "ringcount: corrupt ring\n");
			tcpstate_reader_close(&r);
			return 1;
		}
		/* The clock starts at the first record: -c N times draining. */
		if (n > 0 && !t0)
			t0 = now_s();
		if (c.limit && c.n >= c.limit)
			break;
		if (stop_requested)
			break;
		if (sleep_us > 0) {
			struct timespec ts = {
				.tv_sec = sleep_us / 1000000,
				.tv_nsec = sleep_us % 1000000 * 1000,
			};

			nanosleep(&ts, NULL);
			continue;
		}
		rc = tcpstate_reader_wait(&r, 100);
		if (rc < 0) {
			fprintf(stderr, "ringcount: poll: %s\n", strerror(-rc));
			break;
		}
	}
	t1 = now_s();
	tcpstate_ring_stats(&r.ring, &produced, &dropped);
	printf("ringcount: events %llu produced %llu dropped %llu secs %.6f rate %.1f\n",
	       c.n, (unsigned long long)produced, (unsigned long long)dropped,
	       t0 ? t1 - t0 : 0.0, t0 && t1 > t0 ? c.n / (t1 - t0) : 0.0);
	tcpstate_reader_close(&r);
	return c.bytes == (unsigned long long)-1;	/* keep the sum live */
}
