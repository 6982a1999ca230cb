/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reader side of the tcpstate ring: open and map /dev/tcpstate, drain
 * committed records, wait for more. The protocol is the one described in
 * module/uapi/tcpstate.h; tcpstate-watch and the kselftests share this code
 * so that there is one implementation of it to get right.
 */
#ifndef TCPSTATE_RING_READER_H
#define TCPSTATE_RING_READER_H

#include <stddef.h>

#include "tcpstate.h"

/*
 * A mapped ring, device or fake. Only the pointers and data_size describe
 * the ring; the read position lives in cons->consumer_pos, which only this
 * reader writes.
 */
struct tcpstate_ring {
	const struct tcpstate_ctrl *ctrl;
	struct tcpstate_consumer *cons;
	const unsigned char *data;	/* 2 * data_size bytes, double-mapped */
	__u64 data_size;		/* a power of two */
	__u64 consumed;			/* records consumed by this reader */
};

struct tcpstate_reader {
	int fd;				/* -1 when closed */
	struct tcpstate_info info;
	struct tcpstate_ring ring;
	void *cons_map;
	size_t cons_len;
	void *ctrl_map;
	size_t ctrl_len;
};

/*
 * Open @path (normally TCPSTATE_DEVICE) and check with TCPSTATE_IOC_GET_INFO
 * that it is a tcpstate device of our ABI version, without mapping
 * anything: the ring stays free for another reader. Fills @info. Returns
 * the fd, or -errno with a user-facing explanation in @err (@errlen bytes,
 * always NUL-terminated when @errlen > 0).
 */
int tcpstate_device_open(const char *path, struct tcpstate_info *info,
			 char *err, size_t errlen);

/*
 * Open @path (normally TCPSTATE_DEVICE), check its ABI and map the ring.
 * Returns 0, or -errno with a user-facing explanation in @err (@errlen
 * bytes, always NUL-terminated when @errlen > 0). On failure @r is left
 * closed; tcpstate_reader_close() on it is harmless.
 */
int tcpstate_reader_open(struct tcpstate_reader *r, const char *path,
			 char *err, size_t errlen);

/*
 * TCPSTATE_IOC_SET_FILTER: which events the ring takes from now on, decided
 * in the kernel. Call it after tcpstate_reader_open() (the module wants the
 * ring mapped first). Returns 0, or -errno: -ENOTTY from a module older
 * than the filter (filter in userspace instead), -EINVAL for a filter it
 * refuses.
 */
int tcpstate_reader_set_filter(struct tcpstate_reader *r,
			       const struct tcpstate_filter *f);

/*
 * Ask to be woken (and poll() to report POLLIN) only once @bytes of records
 * wait, 0 for every record: see tcpstate_consumer.wakeup_bytes. Bound the
 * latency this adds with the timeout of tcpstate_reader_wait(). Returns 0,
 * or -EOPNOTSUPP from a module that does not batch wake-ups (it keeps
 * waking for every record; nothing is lost either way).
 */
int tcpstate_ring_set_wakeup(struct tcpstate_ring *ring, __u64 bytes);

/* Unmap and close. Safe on a reader that failed to open or is closed. */
void tcpstate_reader_close(struct tcpstate_reader *r);

/*
 * Called once per record; @ev points into the ring and is valid only during
 * the call. Only the first sizeof(struct tcpstate_event) bytes are
 * guaranteed: a newer module may append fields, which are not shown.
 * Return non-zero to stop draining after this record.
 */
typedef int (*tcpstate_event_fn)(const struct tcpstate_event *ev, void *arg);

/*
 * Consume every record committed when the call starts, in order, stopping
 * at the first one still being written (TCPSTATE_REC_BUSY) or after @fn
 * returns non-zero (that record counts as consumed). consumer_pos is
 * published with release order once, after the batch, not per record.
 * Returns the number of records consumed, or -EPROTO if a record header is
 * corrupt; the records before the corrupt one are consumed and published.
 */
long tcpstate_ring_drain(struct tcpstate_ring *ring, tcpstate_event_fn fn,
			 void *arg);

/*
 * poll() the device for POLLIN for up to @timeout_ms (-1: forever).
 * Returns > 0 when records may be ready, 0 on timeout or when a signal
 * interrupted the wait (so callers can check their stop flag), -errno on
 * error (-EIO if poll reports POLLERR, POLLHUP or POLLNVAL).
 */
int tcpstate_reader_wait(struct tcpstate_reader *r, int timeout_ms);

/* Snapshot of ctrl->produced and ctrl->dropped; either pointer may be NULL. */
void tcpstate_ring_stats(const struct tcpstate_ring *ring, __u64 *produced,
			 __u64 *dropped);

/*
 * TCPSTATE_IOC_GET_COUNTERS on @fd, any open file of the device (no ring
 * needed): the counters of the caller's network namespace. Entries from
 * c->nr on are zero. Returns 0, or -errno: -ENOTTY from a module older
 * than this reader, -EPROTO if it claims more than TCPSTATE_MAX_COUNTERS.
 */
int tcpstate_counters_read(int fd, struct tcpstate_counters *c);

/*
 * TCPSTATE_IOC_RESEED on @fd, any open file of the device: the module
 * counts the SYN_RECV and TIME_WAIT gauges again from the kernel's hash
 * tables and sets probes_missed_since_seed back to 0. Returns 0, or
 * -errno: -ENOTTY from a module older than the ioctl, -EPERM without
 * CAP_NET_ADMIN, -EBUSY while another count runs.
 */
int tcpstate_reseed(int fd);

#endif /* TCPSTATE_RING_READER_H */
