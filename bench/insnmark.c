// SPDX-License-Identifier: GPL-2.0
/*
 * insnmark: mark a point in the guest for the insncount QEMU plugin
 * (bench/insn_plugin): executes cpuid with EAX = INSN_MARK_MAGIC and
 * EBX = N; the plugin then writes every vCPU's instruction totals with
 * mark N. Without the plugin (or on hardware) it does nothing visible.
 *
 * usage: insnmark N [LOOPS]
 *
 * With LOOPS, a check of the count: marks N, runs LOOPS turns of a
 * two-instruction loop (dec, jnz) and marks N + 1, all in this process:
 * the user instructions between the two marks are 2 * LOOPS plus the
 * few around the loop.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

int main(int argc, char **argv)
{
	unsigned long long n, loops = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: insnmark N [LOOPS]\n");
		return 2;
	}
	if (parse(argv[1], UINT32_MAX - 1, &n) ||
	    (argc == 3 && parse(argv[2], UINT64_MAX, &loops)))
		return 2;
	mark((uint32_t)n);
	if (argc == 3) {
		spin(loops);
		mark((uint32_t)n + 1);
	}
	return 0;
}
