// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim that turns any opened file (the tests use /dev/null) into
 * a tcpstate device, so that watch_test can run the real tcpstate-watch on
 * a host that cannot load the module. It answers:
 *
 *   TCPSTATE_IOC_GET_INFO      a valid ring of DATA_PAGES pages (or
 *                              TCPSTATE_FAKE_DATA_PAGES); the fd
 *                              becomes "the device"
 *   TCPSTATE_IOC_GET_COUNTERS  on that fd: netns 4026531840 and
 *                              value[i] = (i + 1) * 1000 + calls * (i + 1),
 *                              calls counting earlier GET_COUNTERS; but
 *                              probes_missed_since_seed is
 *                              TCPSTATE_FAKE_MISSED when set, and 0
 *                              after a TCPSTATE_IOC_RESEED
 *   TCPSTATE_IOC_RESEED        on that fd: 0, or what TCPSTATE_FAKE_RESEED
 *                              says
 *   TCPSTATE_IOC_SET_FILTER    EPERM before the ring is mapped, EINVAL for
 *                              what the kernel refuses; else it filters
 *                              the events it replays as the header says
 *                              (exactly: a port 0 does not match; a
 *                              cgroup matches only itself, the fake
 *                              knows no hierarchy)
 *   mmap of that fd            the consumer page anonymous; the control
 *                              page and the data from a memfd, the data
 *                              mapped twice in a row like the module's
 *   poll of that fd            replays events into the ring if it has any
 *                              left (POLLIN), else sleeps out the timeout
 *                              and reports nothing; polled first with
 *                              other fds (--top's keyboard), it waits for
 *                              those instead of sleeping, so a key wakes
 *                              it as it would beside the module's fd
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
 *   TCPSTATE_FAKE_EVENTS=PATH      a file of struct tcpstate_event to
 *                                  replay, in order, as fast as the reader
 *                                  drains them. One with type 0 is no
 *                                  event: it books @count events as
 *                                  dropped (a full ring) and ends the
 *                                  batch. The stop timer above starts once
 *                                  all are delivered.
 *   TCPSTATE_FAKE_MISSED=N         probes_missed_since_seed is N until a
 *                                  RESEED (unset: as every counter;
 *                                  watch_test sets 0, as a module that
 *                                  missed nothing)
 *   TCPSTATE_FAKE_RESEED=enotty|eperm|ebusy  RESEED fails so, as from a
 *                                  module older than it, a caller without
 *                                  CAP_NET_ADMIN, a count already running
 *   TCPSTATE_FAKE_FILTER=enotty    SET_FILTER fails with ENOTTY, as from a
 *                                  module older than the filter
 *   TCPSTATE_FAKE_FILTER=einval    SET_FILTER fails with EINVAL
 *   TCPSTATE_FAKE_FILTER_LOG=PATH  each filter set is appended to PATH as
 *                                  "netns=N family=F lports=A,B rports=C
 *                                  cgroup=ID"
 *   TCPSTATE_FAKE_DATA_PAGES=N     a ring of N data pages (a power of two;
 *                                  default DATA_PAGES), for reader_cost.sh
 *                                  to drain batches as large as the
 *                                  module's default ring gives
 *   TCPSTATE_FAKE_ABI=N            GET_INFO reports ABI version N, as a
 *                                  module of another ABI would (the
 *                                  layout of struct tcpstate_info is the
 *                                  same in ABI 1 and 2)
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tcpstate.h"

/* Room for 170 records: small enough that a test wraps it. */
#define DATA_PAGES	4

static int fake_fd = -1;
static unsigned long long counter_calls;
static int reseeded;
static long long stop_at_ns = -1;	/* -1: not armed yet */

/* The ring, once mapped: our writable view of it and the reader's page. */
static struct tcpstate_ctrl *ring_ctrl;
static unsigned char *ring_data;
static struct tcpstate_consumer *ring_cons;

/* Events to replay, and the filter they pass through. */
static struct tcpstate_event *events;
static size_t nr_events, next_event;
static int events_loaded;
static struct tcpstate_filter filter;

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

static size_t data_pages(void)
{
	const char *pages = getenv("TCPSTATE_FAKE_DATA_PAGES");
	unsigned long n = pages && *pages ? strtoul(pages, NULL, 10) : 0;

	return n && !(n & (n - 1)) ? n : DATA_PAGES;
}

static __u32 abi_version(void)
{
	const char *abi = getenv("TCPSTATE_FAKE_ABI");

	return abi && *abi ? (__u32)strtoul(abi, NULL, 10) :
			     TCPSTATE_ABI_VERSION;
}

static void fill_info(struct tcpstate_info *info)
{
	memset(info, 0, sizeof(*info));
	info->magic = TCPSTATE_MAGIC;
	info->abi_version = abi_version();
	info->page_size = (__u32)page_size();
	info->record_size = sizeof(struct tcpstate_event);
	info->data_size = (__u64)page_size() * data_pages();
	info->consumer_off = 0;
	info->ctrl_off = (__u64)page_size();
}

static void load_events(void)
{
	const char *path = getenv("TCPSTATE_FAKE_EVENTS");
	FILE *f;
	long len;

	events_loaded = 1;
	if (!path || !*path)
		return;
	f = fopen(path, "rb");
	if (!f)
		return;
	if (!fseek(f, 0, SEEK_END) && (len = ftell(f)) > 0 &&
	    !fseek(f, 0, SEEK_SET)) {
		events = malloc((size_t)len);
		if (events)
			nr_events = fread(events, sizeof(*events),
					  (size_t)len / sizeof(*events), f);
	}
	fclose(f);
}

static int port_listed(const __u16 *ports, unsigned int n, unsigned int p)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ports[i] == p)
			return 1;
	return !n;
}

/* The kernel's decision, as struct tcpstate_filter documents it. */
static int filter_passes(const struct tcpstate_event *ev)
{
	if (filter.netns && ev->netns != filter.netns)
		return 0;
	if (filter.family && ev->family != filter.family)
		return 0;
	/* Events without an owner pass, but an RST for no socket. */
	if (filter.cgroup_id &&
	    ((ev->valid & TCPSTATE_VALID_OWNER) ?
	     ev->cgroup_id != filter.cgroup_id :
	     ev->type == TCPSTATE_EV_RST_SENT && !ev->sock_id))
		return 0;
	return port_listed(filter.lports, filter.nr_lports, ev->sport) &&
	       port_listed(filter.rports, filter.nr_rports, ev->dport);
}

/* Write @len bytes at ring position @pos, wrapping like the module. */
static void ring_write(__u64 pos, const void *src, size_t len)
{
	const unsigned char *p = src;
	__u64 size = ring_ctrl->data_size;
	size_t i;

	for (i = 0; i < len; i++)
		ring_data[(pos + i) & (size - 1)] = p[i];
}

/*
 * Commit as many pending events as fit. Returns whether the reader has
 * anything to do: records, a drop to notice, or events still to come.
 */
static int replay(void)
{
	const __u64 span = TCPSTATE_REC_SPAN(sizeof(struct tcpstate_event));
	__u64 pos, cons;
	int any = 0;

	if (!events_loaded)
		load_events();
	if (!ring_ctrl || !ring_cons || next_event >= nr_events)
		return 0;
	pos = ring_ctrl->producer_pos;
	cons = __atomic_load_n(&ring_cons->consumer_pos, __ATOMIC_ACQUIRE);
	while (next_event < nr_events) {
		const struct tcpstate_event *ev = &events[next_event];
		struct tcpstate_rec_hdr hdr = {
			.len = sizeof(struct tcpstate_event),
		};

		if (!ev->type) {
			/* Let the reader drain and notice before more. */
			ring_ctrl->produced += ev->count;
			ring_ctrl->dropped += ev->count;
			next_event++;
			any = 1;
			break;
		}
		if (!filter_passes(ev)) {
			next_event++;
			continue;
		}
		if (pos + span - cons > ring_ctrl->data_size)
			break;
		ring_write(pos + sizeof(hdr), ev, sizeof(*ev));
		ring_write(pos, &hdr, sizeof(hdr));
		pos += span;
		ring_ctrl->produced++;
		next_event++;
		any = 1;
	}
	__atomic_store_n(&ring_ctrl->producer_pos, pos, __ATOMIC_RELEASE);
	return any || next_event < nr_events;
}

static void log_filter(const struct tcpstate_filter *f)
{
	const char *path = getenv("TCPSTATE_FAKE_FILTER_LOG");
	unsigned int i;
	FILE *out;

	if (!path || !*path)
		return;
	out = fopen(path, "a");
	if (!out)
		return;
	fprintf(out, "netns=%u family=%u lports=", f->netns, f->family);
	for (i = 0; i < f->nr_lports; i++)
		fprintf(out, "%s%u", i ? "," : "", f->lports[i]);
	fprintf(out, " rports=");
	for (i = 0; i < f->nr_rports; i++)
		fprintf(out, "%s%u", i ? "," : "", f->rports[i]);
	fprintf(out, " cgroup=%llu\n", (unsigned long long)f->cgroup_id);
	fclose(out);
}

static int fake_set_filter(const struct tcpstate_filter *f)
{
	const char *mode = getenv("TCPSTATE_FAKE_FILTER");

	if (mode && !strcmp(mode, "enotty")) {
		errno = ENOTTY;
		return -1;
	}
	if (!ring_ctrl) {
		errno = EPERM;
		return -1;
	}
	if ((mode && !strcmp(mode, "einval")) ||
	    (f->family && f->family != 2 && f->family != 10) ||
	    f->nr_lports > TCPSTATE_FILTER_PORTS ||
	    f->nr_rports > TCPSTATE_FILTER_PORTS ||
	    f->__pad[0] || f->__pad[1] || f->__pad[2]) {
		errno = EINVAL;
		return -1;
	}
	filter = *f;
	log_filter(f);
	return 0;
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
	if (c->nr > TCPSTATE_C_PROBES_MISSED_SINCE_SEED) {
		const char *missed = getenv("TCPSTATE_FAKE_MISSED");

		if (reseeded)
			c->value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] = 0;
		else if (missed)
			c->value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] =
				strtoull(missed, NULL, 10);
	}
	counter_calls++;
	return 0;
}

static int fake_reseed(void)
{
	static const struct {
		const char *mode;
		int err;
	} fails[] = {
		{ "enotty", ENOTTY }, { "eperm", EPERM }, { "ebusy", EBUSY },
	};
	const char *mode = getenv("TCPSTATE_FAKE_RESEED");
	unsigned int i;

	for (i = 0; mode && i < sizeof(fails) / sizeof(fails[0]); i++)
		if (!strcmp(mode, fails[i].mode)) {
			errno = fails[i].err;
			return -1;
		}
	reseeded = 1;
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
	if (req == TCPSTATE_IOC_SET_FILTER && fd == fake_fd)
		return fake_set_filter(arg);
	if (req == TCPSTATE_IOC_RESEED && fd == fake_fd)
		return fake_reseed();

	if (!real_ioctl)
		real_ioctl = (int (*)(int, unsigned long, ...))
			dlsym(RTLD_NEXT, "ioctl");
	return real_ioctl(fd, req, arg);
}

/*
 * The control page and the data twice in a row, from one memfd, as the
 * reader asked (read-only); our own writable view of the same memfd
 * feeds it.
 */
static void *map_ring(size_t len, int prot)
{
	const size_t page = (size_t)page_size();
	const size_t data = page * data_pages();
	unsigned char *area, *rw;
	int mfd;

	if (len != page + 2 * data)
		return MAP_FAILED;
	mfd = memfd_create("fake-tcpstate", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, (off_t)(page + data)))
		return MAP_FAILED;
	/* fd -1 takes the libc path in mmap() below. */
	area = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rw = mmap(NULL, page + data, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		  0);
	if (area == MAP_FAILED || rw == MAP_FAILED ||
	    mmap(area, page + data, prot, MAP_SHARED | MAP_FIXED, mfd, 0) ==
	    MAP_FAILED ||
	    mmap(area + page + data, data, prot, MAP_SHARED | MAP_FIXED, mfd,
		 (off_t)page) == MAP_FAILED) {
		close(mfd);
		return MAP_FAILED;
	}
	close(mfd);
	ring_ctrl = (struct tcpstate_ctrl *)rw;
	ring_ctrl->magic = TCPSTATE_MAGIC;
	ring_ctrl->abi_version = abi_version();
	ring_ctrl->record_size = sizeof(struct tcpstate_event);
	ring_ctrl->data_size = data;
	ring_data = rw + page;
	return area;
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
	void *map;

	if (fd < 0 || fd != fake_fd) {
		if (!real_mmap)
			real_mmap = (void *(*)(void *, size_t, int, int, int,
					       off_t))dlsym(RTLD_NEXT, "mmap");
		return real_mmap(addr, len, prot, flags, fd, off);
	}
	if (off == page_size())
		return map_ring(len, prot);

	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map != MAP_FAILED && off == 0)
		ring_cons = map;
	return map;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	static int (*real_poll)(struct pollfd *, nfds_t, int);
	const char *stop = getenv("TCPSTATE_FAKE_STOP_MS");
	const char *late = getenv("TCPSTATE_FAKE_POLL_LATE_MS");
	long long now, sleep_ns;
	struct timespec ts;
	nfds_t i;
	int rc;

	if (!real_poll)
		real_poll = (int (*)(struct pollfd *, nfds_t, int))
			dlsym(RTLD_NEXT, "poll");
	if (!nfds || fds[0].fd != fake_fd)
		return real_poll(fds, nfds, timeout);

	if (replay()) {
		for (i = 1; i < nfds; i++)
			fds[i].revents = 0;
		fds[0].revents = POLLIN;
		return 1;
	}
	now = now_ns();
	if (stop && atoll(stop) > 0 && stop_at_ns < 0)
		stop_at_ns = now + atoll(stop) * 1000000LL;
	sleep_ns = timeout < 0 ? 1000000000LL : timeout * 1000000LL;
	if (late)
		sleep_ns += atoll(late) * 1000000LL;
	if (stop_at_ns >= 0 && now + sleep_ns >= stop_at_ns)
		sleep_ns = stop_at_ns > now ? stop_at_ns - now : 0;
	fds[0].revents = 0;
	if (nfds > 1) {
		/* The others (rounded up to a ms, as poll() would). */
		rc = real_poll(fds + 1, nfds - 1,
			       (int)((sleep_ns + 999999LL) / 1000000LL));
		if (rc)
			return rc;
	} else {
		ts.tv_sec = sleep_ns / 1000000000LL;
		ts.tv_nsec = sleep_ns % 1000000000LL;
		nanosleep(&ts, NULL);
	}

	if (stop_at_ns >= 0 && now_ns() >= stop_at_ns) {
		raise(SIGINT);
		errno = EINTR;
		return -1;
	}
	return 0;
}
