// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim that turns any opened file (the tests use /dev/null) into
 * an idle tcpstate device, so that watch_test can run the real
 * tcpstate-watch through --counters and -i on a host that cannot load the
 * module. It answers:
 *
 *   TCPSTATE_IOC_GET_INFO      a valid one-page ring; the fd becomes "the
 *                              device"
 *   TCPSTATE_IOC_GET_COUNTERS  on that fd: netns 4026531840 and
 *                              value[i] = (i + 1) * 1000 + calls * (i + 1),
 *                              calls counting earlier GET_COUNTERS
 *   mmap of that fd            anonymous memory, the control page filled in
 *                              (the ring stays empty, so one mapping of the
 *                              data is enough)
 *   poll of that fd            sleeps out the timeout, reports nothing
 *
 * Environment:
 *   TCPSTATE_FAKE_COUNTERS=enotty  GET_COUNTERS fails with ENOTTY, as from
 *                                  a module older than the reader
 *   TCPSTATE_FAKE_COUNTERS=N       report nr = N (default
 *                                  TCPSTATE_NR_COUNTERS)
 *   TCPSTATE_FAKE_STOP_MS=MS       MS after the first poll, poll raises
 *                                  SIGINT and fails with EINTR, as a
 *                                  Ctrl-C would (0 or unset: never)
 *   TCPSTATE_FAKE_POLL_LATE_MS=MS  poll sleeps MS longer than asked, like
 *                                  a loaded machine waking late
 *
 * Everything else goes to libc. Assumes a 64-bit glibc (mmap and ioctl
 * are not redirected to *64/time64 variants).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tcpstate.h"

static int fake_fd = -1;
static unsigned long long counter_calls;
static long long stop_at_ns = -1;	/* -1: not armed yet */

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void fill_info(struct tcpstate_info *info)
{
	memset(info, 0, sizeof(*info));
	info->magic = TCPSTATE_MAGIC;
	info->abi_version = TCPSTATE_ABI_VERSION;
	info->page_size = (__u32)page_size();
	info->record_size = sizeof(struct tcpstate_event);
	info->data_size = (__u64)page_size();
	info->consumer_off = 0;
	info->ctrl_off = (__u64)page_size();
}

static int fake_counters(struct tcpstate_counters *c)
{
	const char *mode = getenv("TCPSTATE_FAKE_COUNTERS");
	unsigned int i;

	if (mode && !strcmp(mode, "enotty")) {
		errno = ENOTTY;
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->netns = 4026531840U;
	c->nr = mode ? (__u32)strtoul(mode, NULL, 10) : TCPSTATE_NR_COUNTERS;
	for (i = 0; i < TCPSTATE_MAX_COUNTERS && i < c->nr; i++)
		c->value[i] = (i + 1) * 1000ULL + counter_calls * (i + 1);
	counter_calls++;
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real_ioctl)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (req == TCPSTATE_IOC_GET_INFO) {
		fill_info(arg);
		fake_fd = fd;
		return 0;
	}
	if (req == TCPSTATE_IOC_GET_COUNTERS && fd == fake_fd)
		return fake_counters(arg);

	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))
			dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
	struct tcpstate_ctrl *ctrl;
	void *map;

	if (fd < 0 || fd != fake_fd) {
		if (!real_mmap)
			real_mmap = (void *(*)(void *, size_t, int, int, int,
					       off_t))dlsym(RTLD_NEXT, "mmap");
		return real_mmap(addr, len, prot, flags, fd, off);
	}

	/* fd -1 takes the libc path above. */
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return map;
	if (off == page_size()) {
		ctrl = map;
		ctrl->magic = TCPSTATE_MAGIC;
		ctrl->abi_version = TCPSTATE_ABI_VERSION;
		ctrl->record_size = sizeof(struct tcpstate_event);
		ctrl->data_size = (__u64)page_size();
	}
	/* The reader maps the control page read-only: keep it honest. */
	if (mprotect(map, len, prot)) {
		munmap(map, len);
		return MAP_FAILED;
	}
	return map;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	static int (*real_poll)(struct pollfd *, nfds_t, int);
	const char *stop = getenv("TCPSTATE_FAKE_STOP_MS");
	const char *late = getenv("TCPSTATE_FAKE_POLL_LATE_MS");
	long long now, sleep_ns;
	struct timespec ts;

	if (nfds != 1 || fds[0].fd != fake_fd) {
		if (!real_poll)
			real_poll = (int (*)(struct pollfd *, nfds_t, int))
				dlsym(RTLD_NEXT, "poll");
		return real_poll(fds, nfds, timeout);
	}

	now = now_ns();
	if (stop && atoll(stop) > 0 && stop_at_ns < 0)
		stop_at_ns = now + atoll(stop) * 1000000LL;
	sleep_ns = timeout < 0 ? 1000000000LL : timeout * 1000000LL;
	if (late)
		sleep_ns += atoll(late) * 1000000LL;
	if (stop_at_ns >= 0 && now + sleep_ns >= stop_at_ns)
		sleep_ns = stop_at_ns > now ? stop_at_ns - now : 0;
	ts.tv_sec = sleep_ns / 1000000000LL;
	ts.tv_nsec = sleep_ns % 1000000000LL;
	nanosleep(&ts, NULL);

	fds[0].revents = 0;
	if (stop_at_ns >= 0 && now_ns() >= stop_at_ns) {
		raise(SIGINT);
		errno = EINTR;
		return -1;
	}
	return 0;
}
