// SPDX-License-Identifier: GPL-2.0
/*
 * getppidloop: the time of one getppid() system call, for what a trap
 * into a kprobe or kretprobe costs (bench/hookcost_module hooks the
 * call's entry; the bench subtracts the time without it).
 *
 * Usage: getppidloop [-n CALLS]   (default 200000)
 * Prints one line: "getppidloop: calls N secs S ns_per_call X".
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	unsigned long long calls = 200000, i;
	double start, secs;
	char *end;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		switch (opt) {
		case 'n':
			calls = strtoull(optarg, &end, 10);
			if (*end || !calls) {
				fprintf(stderr, "getppidloop: -n wants a positive count\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: getppidloop [-n CALLS]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: getppidloop [-n CALLS]\n");
		return 2;
	}
	start = now_s();
	/* syscall(): a libc may answer getppid() without the kernel. */
	for (i = 0; i < calls; i++)
		syscall(SYS_getppid);
	secs = now_s() - start;
	printf("getppidloop: calls %llu secs %.6f ns_per_call %.1f\n",
	       calls, secs, secs * 1e9 / (double)calls);
	return 0;
}
