// SPDX-License-Identifier: GPL-2.0
/*
 * Reader side of the tcpstate ring. See module/uapi/tcpstate.h for the
 * protocol; the comments here explain only why the code does what it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "ring_reader.h"

/* The ABI's sizes, as the module asserts them too (module/main.c). */
_Static_assert(sizeof(struct tcpstate_info) == TCPSTATE_INFO_SIZE, "info");
_Static_assert(sizeof(struct tcpstate_ctrl) == TCPSTATE_CTRL_SIZE, "ctrl");
_Static_assert(sizeof(struct tcpstate_rec_hdr) == TCPSTATE_REC_HDR_SIZE,
	       "record header");
_Static_assert(sizeof(struct tcpstate_event) == TCPSTATE_EVENT_SIZE, "event");
_Static_assert(TCPSTATE_REC_SPAN(sizeof(struct tcpstate_event)) ==
	       TCPSTATE_RECORD_SPAN, "record span");
_Static_assert(sizeof(struct tcpstate_counters) == TCPSTATE_COUNTERS_SIZE,
	       "counters");
_Static_assert(sizeof(struct tcpstate_filter) == TCPSTATE_FILTER_SIZE,
	       "filter");
_Static_assert(TCPSTATE_NR_COUNTERS <= TCPSTATE_MAX_COUNTERS,
	       "counters outgrew struct tcpstate_counters");

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Explain a failed step of opening the ring. Privilege is checked when the
 * device is opened, the claim on the ring when the consumer page is
 * mapped; EBUSY gets its message at any step all the same.
 */
static int step_failed(const char *path, const char *step, int e,
		       char *err, size_t errlen)
{
	switch (e) {
	case EBUSY:
		set_err(err, errlen,
			"%s: another reader holds the ring (EBUSY)", path);
		break;
	default:
		set_err(err, errlen, "%s: %s: %s", path, step, strerror(e));
		break;
	}
	return -e;
}

static int is_pow2(__u64 x)
{
	return x && !(x & (x - 1));
}

/* mmap() takes an off_t, which may be narrower than the ABI's __u64. */
static int fits_off_t(__u64 off)
{
	return off <= (__u64)INT64_MAX && (__u64)(off_t)off == off;
}

/* Is this a tcpstate device speaking our ABI version at all? */
static int check_identity(const struct tcpstate_info *info, const char *path,
			  char *err, size_t errlen)
{
	if (info->magic != TCPSTATE_MAGIC) {
		set_err(err, errlen,
			"%s: bad magic 0x%08x (expected 0x%08x): not a tcpstate device",
			path, info->magic, TCPSTATE_MAGIC);
		return -ENODEV;
	}
	/*
	 * Say which side to replace: a reader and its module come from one
	 * source tree, and the ABI version is what tells them apart.
	 */
	if (info->abi_version != TCPSTATE_ABI_VERSION) {
		set_err(err, errlen,
			"%s: ABI mismatch: tcpstate.ko speaks ABI %u, this tcpstate-watch needs ABI %u: %s",
			path, info->abi_version, TCPSTATE_ABI_VERSION,
			info->abi_version < TCPSTATE_ABI_VERSION ?
			"load the tcpstate.ko that came with it" :
			"use the tcpstate-watch that came with that tcpstate.ko");
		return -EPROTO;
	}
	return 0;
}

/*
 * Reject an info block we cannot map safely, before trusting its sizes for
 * mmap lengths and for the drain loop's index arithmetic.
 */
static int check_layout(const struct tcpstate_info *info, const char *path,
			char *err, size_t errlen)
{
	if (info->record_size < sizeof(struct tcpstate_event)) {
		set_err(err, errlen,
			"%s: ABI mismatch: module records are %u bytes, this reader needs at least %zu: rebuild/reload",
			path, info->record_size, sizeof(struct tcpstate_event));
		return -EPROTO;
	}
	if (!is_pow2(info->page_size) ||
	    info->page_size < sizeof(struct tcpstate_ctrl) ||
	    !is_pow2(info->data_size) ||
	    info->data_size < TCPSTATE_REC_SPAN(info->record_size) ||
	    info->data_size > (SIZE_MAX - info->page_size) / 2 ||
	    info->consumer_off % info->page_size ||
	    info->ctrl_off % info->page_size ||
	    !fits_off_t(info->consumer_off) || !fits_off_t(info->ctrl_off)) {
		set_err(err, errlen,
			"%s: module reports an unusable ring (page_size %u, data_size %llu, offsets %llu/%llu)",
			path, info->page_size,
			(unsigned long long)info->data_size,
			(unsigned long long)info->consumer_off,
			(unsigned long long)info->ctrl_off);
		return -EPROTO;
	}
	return 0;
}

/* The control page must describe the same ring GET_INFO did. */
static int check_ctrl(const struct tcpstate_ctrl *ctrl,
		      const struct tcpstate_info *info, const char *path,
		      char *err, size_t errlen)
{
	if (ctrl->magic != TCPSTATE_MAGIC ||
	    ctrl->abi_version != info->abi_version ||
	    ctrl->record_size != info->record_size ||
	    ctrl->data_size != info->data_size) {
		set_err(err, errlen,
			"%s: control page disagrees with GET_INFO (magic 0x%08x, ABI v%u, record_size %u, data_size %llu)",
			path, ctrl->magic, ctrl->abi_version,
			ctrl->record_size,
			(unsigned long long)ctrl->data_size);
		return -EPROTO;
	}
	return 0;
}

int tcpstate_device_open(const char *path, struct tcpstate_info *info,
			 char *err, size_t errlen)
{
	int fd, ret;

	memset(info, 0, sizeof(*info));
	set_err(err, errlen, "%s", "");

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENXIO || ret == -ENODEV) {
			set_err(err, errlen,
				"%s: no such device: is tcpstate.ko loaded? (insmod tcpstate.ko)",
				path);
			return ret;
		}
		/* EACCES: the node's mode (0600); EPERM: the module's check. */
		if (ret == -EACCES || ret == -EPERM) {
			set_err(err, errlen,
				"%s: permission denied: needs root (CAP_NET_ADMIN)",
				path);
			return ret;
		}
		return step_failed(path, "open", -ret, err, errlen);
	}

	if (ioctl(fd, TCPSTATE_IOC_GET_INFO, info) < 0) {
		ret = -errno;
		/*
		 * The ioctl number encodes sizeof(struct tcpstate_info), so a
		 * module with another layout does not recognise ours at all.
		 */
		if (ret == -ENOTTY)
			set_err(err, errlen,
				"%s: ABI mismatch: module does not know this reader's GET_INFO (ABI v%u), or not a tcpstate device: rebuild/reload",
				path, TCPSTATE_ABI_VERSION);
		else
			step_failed(path, "TCPSTATE_IOC_GET_INFO", -ret,
				    err, errlen);
		close(fd);
		return ret;
	}
	ret = check_identity(info, path, err, errlen);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int tcpstate_reader_open(struct tcpstate_reader *r, const char *path,
			 char *err, size_t errlen)
{
	void *map;
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = tcpstate_device_open(path, &r->info, err, errlen);
	if (r->fd < 0) {
		ret = r->fd;
		r->fd = -1;
		return ret;
	}
	ret = check_layout(&r->info, path, err, errlen);
	if (ret)
		goto fail;

	/* Mapping the consumer page is what claims the ring. */
	r->cons_len = r->info.page_size;
	map = mmap(NULL, r->cons_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		   r->fd, (off_t)r->info.consumer_off);
	if (map == MAP_FAILED) {
		ret = step_failed(path, "mmap consumer page", errno,
				  err, errlen);
		goto fail;
	}
	r->cons_map = map;

	r->ctrl_len = r->info.page_size + 2 * (size_t)r->info.data_size;
	map = mmap(NULL, r->ctrl_len, PROT_READ, MAP_SHARED, r->fd,
		   (off_t)r->info.ctrl_off);
	if (map == MAP_FAILED) {
		ret = step_failed(path, "mmap control and data pages", errno,
				  err, errlen);
		goto fail;
	}
	r->ctrl_map = map;

	ret = check_ctrl(r->ctrl_map, &r->info, path, err, errlen);
	if (ret)
		goto fail;

	r->ring.ctrl = r->ctrl_map;
	r->ring.cons = r->cons_map;
	r->ring.data = (const unsigned char *)r->ctrl_map + r->info.page_size;
	r->ring.data_size = r->info.data_size;
	r->ring.consumed = 0;
	return 0;

fail:
	tcpstate_reader_close(r);
	return ret;
}

int tcpstate_reader_set_filter(struct tcpstate_reader *r,
			       const struct tcpstate_filter *f)
{
	/* The ioctl takes the struct as is: padding must be zero. */
	struct tcpstate_filter k = *f;

	memset(k.__pad, 0, sizeof(k.__pad));
	if (ioctl(r->fd, TCPSTATE_IOC_SET_FILTER, &k) < 0)
		return -errno;
	return 0;
}

void tcpstate_reader_close(struct tcpstate_reader *r)
{
	if (r->ctrl_map)
		munmap(r->ctrl_map, r->ctrl_len);
	if (r->cons_map)
		munmap(r->cons_map, r->cons_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

long tcpstate_ring_drain(struct tcpstate_ring *ring, tcpstate_event_fn fn,
			 void *arg)
{
	const __u64 mask = ring->data_size - 1;
	/* Only this reader writes consumer_pos, so a plain load is enough. */
	const __u64 start = __atomic_load_n(&ring->cons->consumer_pos,
					    __ATOMIC_RELAXED);
	/* Pairs with the producer's release of producer_pos: the headers of
	 * the records it reserved are visible from here on.
	 */
	const __u64 prod = __atomic_load_n(&ring->ctrl->producer_pos,
					   __ATOMIC_ACQUIRE);
	__u64 pos = start;
	long consumed = 0;
	long ret = 0;

	/*
	 * The producer never runs more than one ring ahead of us, and every
	 * span is a multiple of 8; anything else means the positions are
	 * corrupt and indexing with them would read garbage.
	 */
	if (prod - start > ring->data_size || (start & 7))
		return -EPROTO;

	while (pos != prod) {
		const struct tcpstate_rec_hdr *hdr = (const void *)
			(ring->data + (pos & mask));
		/* Pairs with the producer's release clearing BUSY: the
		 * payload is complete once we see the bit clear.
		 */
		const __u32 len = __atomic_load_n(&hdr->len, __ATOMIC_ACQUIRE);
		const __u64 span = TCPSTATE_REC_SPAN(len);

		/* Later records may be complete, but consuming past this one
		 * would free its space to the producer while it writes.
		 */
		if (len & TCPSTATE_REC_BUSY)
			break;
		/* A record must hold a whole event and lie within what the
		 * producer reserved, hence within one ring's length: the
		 * double mapping then makes it readable in one piece.
		 */
		if (len < sizeof(struct tcpstate_event) || span > prod - pos) {
			ret = -EPROTO;
			break;
		}

		pos += span;
		consumed++;
		/* pos is a multiple of 8, so the payload is 8-aligned. */
		if (fn((const void *)(hdr + 1), arg))
			break;
	}

	/* Once per batch: each store may wake or unblock the producer. */
	if (pos != start)
		__atomic_store_n(&ring->cons->consumer_pos, pos,
				 __ATOMIC_RELEASE);
	ring->consumed += (__u64)consumed;
	return ret ? ret : consumed;
}

int tcpstate_ring_set_wakeup(struct tcpstate_ring *ring, __u64 bytes)
{
	if (!(ring->ctrl->features & TCPSTATE_FEAT_WAKEUP_BYTES))
		return -EOPNOTSUPP;
	/* The module reads it when deciding to wake us: no order needed. */
	__atomic_store_n(&ring->cons->wakeup_bytes, bytes, __ATOMIC_RELAXED);
	return 0;
}

int tcpstate_reader_wait(struct tcpstate_reader *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	int rc = poll(&pfd, 1, timeout_ms);

	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return 0;
	if (pfd.revents & POLLIN)
		return rc;
	return -EIO;
}

void tcpstate_ring_stats(const struct tcpstate_ring *ring, __u64 *produced,
			 __u64 *dropped)
{
	if (produced)
		*produced = __atomic_load_n(&ring->ctrl->produced,
					    __ATOMIC_RELAXED);
	if (dropped)
		*dropped = __atomic_load_n(&ring->ctrl->dropped,
					   __ATOMIC_RELAXED);
}

int tcpstate_counters_read(int fd, struct tcpstate_counters *c)
{
	/* A module that fills fewer entries must not leave our stack
	 * garbage in the rest.
	 */
	memset(c, 0, sizeof(*c));
	if (ioctl(fd, TCPSTATE_IOC_GET_COUNTERS, c) < 0)
		return -errno;
	/* Callers index value[] below nr: never past the array. */
	if (c->nr > TCPSTATE_MAX_COUNTERS)
		return -EPROTO;
	return 0;
}

int tcpstate_reseed(int fd)
{
	return ioctl(fd, TCPSTATE_IOC_RESEED) < 0 ? -errno : 0;
}
