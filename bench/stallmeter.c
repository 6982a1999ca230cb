// SPDX-License-Identifier: GPL-2.0
/*
 * stallmeter: how long one CPU was kept from running a real-time task.
 * Pinned to CPU C at SCHED_FIFO priority 50, it reads CLOCK_MONOTONIC in
 * a loop and keeps the longest gap between two reads, until SIGTERM or
 * SIGINT; then prints "stallmeter: cpu C secs S longest_gap_us G".
 * Only what outranks it stops it: interrupts, softirqs and BH-disabled
 * sections, stop_machine()'s stopper, and priority 51-99 tasks. Run with
 * kernel.sched_rt_runtime_us=-1, or RT throttling shows as a gap.
 *
 *   stallmeter -c CPU
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sched_param sp = { .sched_priority = 50 };
	long long t0, last, gap = 0;
	int cpu = -1, opt;
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "c:")) != -1)
		cpu = opt == 'c' ? atoi(optarg) : -1;
	if (cpu < 0 || optind != argc) {
		fprintf(stderr, "usage: stallmeter -c CPU\n");
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) ||
	    sched_setscheduler(0, SCHED_FIFO, &sp)) {
		perror("stallmeter: pin and SCHED_FIFO");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t0 = last = now_ns();
	while (!stop) {
		long long t = now_ns();

		if (t - last > gap)
			gap = t - last;
		last = t;
	}
	printf("stallmeter: cpu %d secs %.1f longest_gap_us %lld\n", cpu,
	       (last - t0) / 1e9, gap / 1000);
	return 0;
}
