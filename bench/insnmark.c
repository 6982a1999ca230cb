// SPDX-License-Identifier: GPL-2.0
/*
 * insnmark: mark a point in the guest for the insncount QEMU plugin
 * (bench/insn_plugin): executes cpuid with EAX = INSN_MARK_MAGIC and
 * EBX = N; the plugin then writes every vCPU's instruction totals with
 * mark N. Without the plugin (or on hardware) it does nothing visible.
 *
 * usage: insnmark N
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

int main(int argc, char **argv)
{
	unsigned long n;
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: insnmark N\n");
		return 2;
	}
	errno = 0;
	n = strtoul(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || n > UINT32_MAX) {
		fprintf(stderr, "insnmark: N must be a number below 2^32, not '%s'\n",
			argv[1]);
		return 2;
	}
	mark((uint32_t)n);
	return 0;
}
