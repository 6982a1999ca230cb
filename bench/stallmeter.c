// SPDX-License-Identifier: GPL-2.0
/*
 * stallmeter: how late one CPU ran a real-time task, as cyclictest
 * measures it. Pinned to CPU C at SCHED_FIFO priority 50, it sleeps until
 * an absolute time every 200 us (CLOCK_MONOTONIC) and keeps the longest
 * lateness of its wake-ups, until SIGTERM or SIGINT; then prints
 * "stallmeter: cpu C secs S longest_gap_us G". Only what outranks it
 * delays it: interrupts, softirqs and BH- or preemption-disabled
 * sections, stop_machine()'s stopper, priority 51-99 tasks. Sleeping
 * between wake-ups leaves the CPU to everything else, RCU's kthreads too.
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

#define INTERVAL_NS	200000LL

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

int main(int argc, char **argv)
{
	struct sched_param sp = { .sched_priority = 50 };
	long long t0, next, late = 0;
	struct timespec ts;
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
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = next = ns_of(&ts);
	while (!stop) {
		next += INTERVAL_NS;
		ts.tv_sec = next / 1000000000LL;
		ts.tv_nsec = next % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ns_of(&ts) - next > late)
			late = ns_of(&ts) - next;
		/* Behind by more than a period: start again from now. */
		if (ns_of(&ts) - next > INTERVAL_NS)
			next = ns_of(&ts);
	}
	printf("stallmeter: cpu %d secs %.1f longest_gap_us %lld\n", cpu,
	       (next - t0) / 1e9, late / 1000);
	return 0;
}
