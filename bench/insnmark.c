// SPDX-License-Identifier: GPL-2.0
/*
 * insnmark: mark a point in the guest for the insncount QEMU plugin
 * (bench/insn_plugin): executes cpuid with EAX = INSN_MARK_MAGIC and
 * EBX = N; the plugin then writes every vCPU's instruction totals with
 * mark N. Without the plugin (or on hardware) it does nothing visible.
 *
 * usage: insnmark N
 *        insnmark N loop LOOPS
 *        insnmark N sleep USECS
 *
 * The two-mark forms mark N, do one thing and mark N + 1, all in this
 * process, so that no process of the marks' own falls in the window.
 * loop: a check of the count: LOOPS turns of a two-instruction loop (dec,
 * jnz), 2 * LOOPS user instructions plus the few around it. sleep: the
 * background, what the guest runs while this process sleeps USECS.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "insn_plugin/insnmark.h"

static void mark(uint32_t n)
{
	uint32_t eax = INSN_MARK_MAGIC, ebx = n, ecx = 0, edx = 0;

	__asm__ __volatile__("cpuid"
			     : "+a"(eax), "+b"(ebx), "+c"(ecx), "+d"(edx)
			     :
			     : "memory");
}

/* LOOPS turns of exactly two instructions. */
static void spin(uint64_t loops)
{
	if (!loops)
		return;
	__asm__ __volatile__("1:\n\tdec %0\n\tjnz 1b"
			     : "+r"(loops)
			     :
			     : "cc");
}

static int parse(const char *s, unsigned long long max, unsigned long long *val)
{
	char *end;

	errno = 0;
	*val = strtoull(s, &end, 10);
	if (errno || end == s || *end || *val > max) {
		fprintf(stderr, "insnmark: want a number up to %llu, not '%s'\n",
			max, s);
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: insnmark N [loop LOOPS | sleep USECS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long long n, arg = 0;
	struct timespec ts;

	if (argc != 2 && argc != 4)
		usage();
	if (parse(argv[1], UINT32_MAX - 1, &n) ||
	    (argc == 4 && parse(argv[3], UINT64_MAX / 1000, &arg)))
		return 2;
	if (argc == 2) {
		mark((uint32_t)n);
		return 0;
	}
	if (!strcmp(argv[2], "loop")) {
		mark((uint32_t)n);
		spin(arg);
	} else if (!strcmp(argv[2], "sleep")) {
		ts.tv_sec = arg / 1000000;
		ts.tv_nsec = (long)(arg % 1000000) * 1000;
		mark((uint32_t)n);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	} else {
		usage();
	}
	mark((uint32_t)n + 1);
	return 0;
}
