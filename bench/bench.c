// SPDX-License-Identifier: GPL-2.0
/* What the benchmark tools share; see bench.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

atomic_int bench_stop;
static atomic_int go;

bool bench_option(struct bench_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 't':
		o->threads = atoi(arg);
		return true;
	case 'd':
		o->secs = atof(arg);
		return true;
	case 'n':
		o->count = strtoull(arg, NULL, 0);
		o->secs = 0;
		return true;
	case 'P':
		o->base_port = atoi(arg);
		return true;
	case 'p':
		o->pin = true;
		return true;
	}
	return false;
}

bool bench_opts_ok(const struct bench_opts *o)
{
	return o->threads >= 1 && o->threads <= MAX_THREADS &&
	       (o->secs > 0 || o->count);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_s(double secs)
{
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (time_t)secs) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void bench_pin(int idx)
{
	cpu_set_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(idx % (ncpu > 0 ? ncpu : 1), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

void bench_wait_release(void)
{
	while (!atomic_load(&go))
		sched_yield();
}

double bench_run(const char *prog, int n, void *(*fn)(void *), void *args,
		 size_t size, double secs)
{
	pthread_t tid[MAX_THREADS];
	double t0;
	int i;

	for (i = 0; i < n; i++) {
		if (pthread_create(&tid[i], NULL, fn, (char *)args + i * size)) {
			fprintf(stderr, "%s: ", prog);
			perror("pthread_create");
			return -1;
		}
	}
	t0 = now_s();
	atomic_store(&go, 1);
	if (secs > 0) {
		sleep_s(secs);
		atomic_store(&bench_stop, 1);
	}
	for (i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	return now_s() - t0;
}
