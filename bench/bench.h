/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark tools share (bench.c): the clock, sleeping, and the
 * run of T worker threads that start together, pinned if asked, and stop
 * after a duration or when they are done.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define MAX_THREADS	64

/* CLOCK_MONOTONIC, in seconds. */
double now_s(void);
/* Sleep @secs (fractions too), all of it even if a signal comes. */
void sleep_s(double secs);

/* The options connloop and churn share (BENCH_OPTIONS for getopt()). */
struct bench_opts {
	int threads;			/* -t N, 1 to MAX_THREADS */
	double secs;			/* -d S; 0 once -n is given */
	unsigned long long count;	/* -n N, per thread; 0: until stopped */
	int base_port;			/* -P P: thread i on port P + i; 0: any */
	bool pin;			/* -p: thread i on CPU i */
};
#define BENCH_OPTIONS "t:d:n:P:p"

/* Take getopt()'s @opt (argument @arg) if it is one of them; whether it was. */
bool bench_option(struct bench_opts *o, int opt, const char *arg);
/* Whether @o makes a run: threads in range, and a duration or a count. */
bool bench_opts_ok(const struct bench_opts *o);

/* Set by bench_run() once every worker may stop. */
extern atomic_int bench_stop;

/* In a worker: run on CPU @idx only (modulo the CPUs online). */
void bench_pin(int idx);
/* In a worker: wait until bench_run() releases all workers at once. */
void bench_wait_release(void);

/*
 * Run @fn in @n threads, thread i on &@args[i * @size], released together;
 * after @secs set bench_stop (@secs <= 0: the workers end by themselves),
 * then join them. The seconds from the release to the last join, or -1
 * if a thread could not be made (perror() said why, as @prog).
 */
double bench_run(const char *prog, int n, void *(*fn)(void *), void *args,
		 size_t size, double secs);

#endif /* BENCH_H */
