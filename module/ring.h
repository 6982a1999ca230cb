/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TCPSTATE_RING_H
#define _TCPSTATE_RING_H

#include <linux/irq_work.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "uapi/tcpstate.h"

struct vm_area_struct;

/* mmap page offsets, given to readers in struct tcpstate_info. */
#define TCPSTATE_CONSUMER_PGOFF	0
#define TCPSTATE_CTRL_PGOFF	1

/*
 * A multi-producer, single-consumer ring of records, modelled on the BPF
 * ring buffer (kernel/bpf/ringbuf.c). One vmap()ed area holds, page by page:
 *
 *   | consumer | ctrl | data pages 0..n-1 | the same data pages 0..n-1 |
 *
 * The consumer page is the only part userspace may write. The data pages
 * are mapped twice in a row so that a record wrapping past the end of the
 * data reads as one contiguous block, in the kernel and in the reader.
 */
struct tcpstate_ring {
	struct tcpstate_consumer *cons;
	struct tcpstate_ctrl *ctrl;
	void *data;
	struct page **pages;
	unsigned int nr_pages;		/* distinct pages allocated */
	u64 mask;			/* data_size - 1 */
	/* Producers may only write while a reader holds the ring. */
	bool enabled;
	raw_spinlock_t lock ____cacheline_aligned_in_smp;
	/* Oldest record still BUSY; updated under @lock. */
	u64 pending_pos;
	/*
	 * Set by poll() when the reader is about to sleep; the first commit
	 * that finds enough waiting clears it and wakes the reader. Producers
	 * only read it until then, so it costs no cache line bouncing.
	 */
	bool wakeup_armed ____cacheline_aligned_in_smp;
	wait_queue_head_t waitq;
	struct irq_work wakeup;
};

int tcpstate_ring_alloc(struct tcpstate_ring *ring, size_t data_size);
void tcpstate_ring_free(struct tcpstate_ring *ring);
void tcpstate_ring_start(struct tcpstate_ring *ring);
void tcpstate_ring_stop(struct tcpstate_ring *ring);
struct tcpstate_event *tcpstate_ring_reserve(struct tcpstate_ring *ring,
					     u64 *ts_ns);
void tcpstate_ring_commit(struct tcpstate_ring *ring,
			  struct tcpstate_event *ev);
bool tcpstate_ring_poll_arm(struct tcpstate_ring *ring);

/* Whether a reader holds the ring: if not, events need not be built. */
static inline bool tcpstate_ring_running(const struct tcpstate_ring *ring)
{
	/*
	 * Pairs with smp_store_release() in tcpstate_ring_start(): what the
	 * reader's claim set up before (its netns, the reset ring) is seen.
	 */
	return smp_load_acquire(&ring->enabled);
}

int tcpstate_ring_mmap(struct tcpstate_ring *ring, struct vm_area_struct *vma);
size_t tcpstate_ring_data_size(const struct tcpstate_ring *ring);

#endif /* _TCPSTATE_RING_H */
