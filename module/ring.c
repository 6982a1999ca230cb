// SPDX-License-Identifier: GPL-2.0
/*
 * The event ring: reserve under a raw spinlock, write, commit by clearing
 * the record's BUSY bit, wake the reader through irq_work. Modelled on
 * kernel/bpf/ringbuf.c, including its pending_pos fix for records that
 * commit out of order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>

#include "ring.h"

#define TCPSTATE_META_PAGES	2	/* consumer page, ctrl page */

/* Kbuild defines this where mm.h has it (6.3 and later). */
#ifndef TCPSTATE_HAVE_VM_FLAGS_CLEAR
static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

static void tcpstate_ring_wake_reader(struct irq_work *work)
{
	struct tcpstate_ring *ring = container_of(work, struct tcpstate_ring,
						  wakeup);

	wake_up_all(&ring->waitq);
}

int tcpstate_ring_alloc(struct tcpstate_ring *ring, size_t data_size)
{
	unsigned int nr_data = data_size >> PAGE_SHIFT;
	unsigned int nr_pages = TCPSTATE_META_PAGES + nr_data;
	struct page **pages;
	unsigned int i;
	void *area;

	pages = kvcalloc(nr_pages + nr_data, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	for (i = 0; i < nr_pages; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
		if (!pages[i])
			goto out_free_pages;
		/* The second mapping of the data follows the first. */
		if (i >= TCPSTATE_META_PAGES)
			pages[nr_data + i] = pages[i];
	}

	area = vmap(pages, nr_pages + nr_data, VM_MAP | VM_USERMAP, PAGE_KERNEL);
	if (!area)
		goto out_free_pages;

	ring->pages = pages;
	ring->nr_pages = nr_pages;
	ring->cons = area;
	ring->ctrl = area + PAGE_SIZE;
	ring->data = area + TCPSTATE_META_PAGES * PAGE_SIZE;
	ring->mask = data_size - 1;
	ring->enabled = false;
	raw_spin_lock_init(&ring->lock);
	init_waitqueue_head(&ring->waitq);
	init_irq_work(&ring->wakeup, tcpstate_ring_wake_reader);

	ring->ctrl->magic = TCPSTATE_MAGIC;
	ring->ctrl->abi_version = TCPSTATE_ABI_VERSION;
	ring->ctrl->record_size = sizeof(struct tcpstate_event);
	ring->ctrl->features = TCPSTATE_FEAT_WAKEUP_BYTES;
	ring->ctrl->data_size = data_size;
	return 0;

out_free_pages:
	while (i--)
		__free_page(pages[i]);
	kvfree(pages);
	return -ENOMEM;
}

void tcpstate_ring_free(struct tcpstate_ring *ring)
{
	struct page **pages = ring->pages;
	unsigned int i;

	irq_work_sync(&ring->wakeup);
	vunmap(ring->cons);
	for (i = 0; i < ring->nr_pages; i++)
		__free_page(pages[i]);
	kvfree(pages);
}

size_t tcpstate_ring_data_size(const struct tcpstate_ring *ring)
{
	return ring->mask + 1;
}

/*
 * Called when a reader claims the ring. No producer is running: the ring
 * was stopped (or never started), so each reader starts with an empty ring
 * and fresh books.
 */
void tcpstate_ring_start(struct tcpstate_ring *ring)
{
	ring->cons->consumer_pos = 0;
	ring->cons->wakeup_bytes = 0;
	ring->ctrl->producer_pos = 0;
	ring->ctrl->produced = 0;
	ring->ctrl->dropped = 0;
	ring->pending_pos = 0;
	ring->wakeup_armed = false;
	/* Pairs with smp_load_acquire() in tcpstate_ring_reserve(). */
	smp_store_release(&ring->enabled, true);
}

/* Called when the reader lets go of the ring; may sleep. */
void tcpstate_ring_stop(struct tcpstate_ring *ring)
{
	WRITE_ONCE(ring->enabled, false);
	/*
	 * Producers run in tracepoint and kprobe handlers, with preemption
	 * disabled: once a grace period has passed none is still writing.
	 */
	synchronize_rcu();
	irq_work_sync(&ring->wakeup);
}

/*
 * Reserve room for one event. Returns NULL when no reader holds the ring,
 * ERR_PTR(-ENOSPC) when the ring is full, which is counted in
 * ctrl->dropped. *ts_ns gets
 * the event's time, taken under the lock so that the ring's order is the
 * order of the timestamps.
 */
struct tcpstate_event *tcpstate_ring_reserve(struct tcpstate_ring *ring,
					     u64 *ts_ns)
{
	struct tcpstate_ctrl *ctrl = ring->ctrl;
	u64 cons_pos, prod_pos, pend_pos;
	struct tcpstate_rec_hdr *hdr;
	unsigned long flags;
	u32 len;

	/* Pairs with smp_store_release() in tcpstate_ring_start(). */
	if (!smp_load_acquire(&ring->enabled))
		return NULL;

	raw_spin_lock_irqsave(&ring->lock, flags);
	WRITE_ONCE(ctrl->produced, ctrl->produced + 1);

	/*
	 * Pairs with the reader's release store: the records before
	 * consumer_pos are no longer read. The reader owns this value; a
	 * bogus one can only make the ring look full or overwrite records
	 * that reader has not read yet.
	 */
	cons_pos = smp_load_acquire(&ring->cons->consumer_pos);
	prod_pos = ctrl->producer_pos;

	/* Skip past records committed since; stop at the oldest BUSY one. */
	pend_pos = ring->pending_pos;
	while (pend_pos != prod_pos) {
		hdr = ring->data + (pend_pos & ring->mask);
		len = READ_ONCE(hdr->len);
		if (len & TCPSTATE_REC_BUSY)
			break;
		pend_pos += TCPSTATE_REC_SPAN(len);
	}
	ring->pending_pos = pend_pos;

	/*
	 * Full when the new record would end more than data_size - 1 bytes
	 * past the reader, or past the oldest record still being written
	 * (which the reader has not reached, so must not be overwritten).
	 */
	if (prod_pos + TCPSTATE_RECORD_SPAN - cons_pos > ring->mask ||
	    prod_pos + TCPSTATE_RECORD_SPAN - pend_pos > ring->mask) {
		WRITE_ONCE(ctrl->dropped, ctrl->dropped + 1);
		raw_spin_unlock_irqrestore(&ring->lock, flags);
		return ERR_PTR(-ENOSPC);
	}

	hdr = ring->data + (prod_pos & ring->mask);
	hdr->len = sizeof(struct tcpstate_event) | TCPSTATE_REC_BUSY;
	hdr->__pad = 0;
	*ts_ns = ktime_get_ns();

	/* Pairs with the reader's smp_load_acquire() of producer_pos. */
	smp_store_release(&ctrl->producer_pos, prod_pos + TCPSTATE_RECORD_SPAN);
	raw_spin_unlock_irqrestore(&ring->lock, flags);

	return (struct tcpstate_event *)(hdr + 1);
}

/*
 * Whether enough records wait for the reader: at least one, or the
 * reader's wakeup_bytes, capped at half the ring so that a reader is woken
 * long before the ring fills whatever it wrote there. Counts from
 * producer_pos, which covers records still BUSY: a reader woken for one of
 * those finds it committed soon, and never sleeps while it is written.
 */
static bool tcpstate_ring_enough_waiting(struct tcpstate_ring *ring)
{
	u64 prod_pos, cons_pos, want;

	/* Pairs with smp_store_release() in tcpstate_ring_reserve(). */
	prod_pos = smp_load_acquire(&ring->ctrl->producer_pos);
	/* Pairs with the reader's release store of consumer_pos. */
	cons_pos = smp_load_acquire(&ring->cons->consumer_pos);
	/* The reader's to set: any value only changes when it is woken. */
	want = clamp_t(u64, READ_ONCE(ring->cons->wakeup_bytes), 1,
		       (ring->mask + 1) / 2);
	return prod_pos - cons_pos >= want;
}

void tcpstate_ring_commit(struct tcpstate_ring *ring, struct tcpstate_event *ev)
{
	struct tcpstate_rec_hdr *hdr = (struct tcpstate_rec_hdr *)ev - 1;

	/*
	 * Full barrier: the event is written before BUSY clears. Pairs with
	 * the reader's smp_load_acquire() of hdr->len, and with the
	 * READ_ONCE() in a later producer's pending_pos walk. It also orders
	 * our producer_pos store before the load of wakeup_armed below,
	 * against the reverse order in tcpstate_ring_poll_arm().
	 */
	xchg(&hdr->len, hdr->len & ~TCPSTATE_REC_BUSY);

	/*
	 * One wake-up per sleep of the reader, and only once what it asked
	 * for waits: a reader that keeps up is not woken for every record.
	 * The xchg() lets exactly one of racing producers queue it.
	 */
	if (READ_ONCE(ring->wakeup_armed) &&
	    tcpstate_ring_enough_waiting(ring) &&
	    xchg(&ring->wakeup_armed, false))
		irq_work_queue(&ring->wakeup);
}

/*
 * For poll(): whether enough records wait. If not, the next commit that
 * makes them enough wakes the reader, who is on the wait queue already.
 */
bool tcpstate_ring_poll_arm(struct tcpstate_ring *ring)
{
	WRITE_ONCE(ring->wakeup_armed, true);
	/*
	 * Pairs with the xchg() in tcpstate_ring_commit(): either that
	 * producer sees the flag, or we see its producer_pos.
	 */
	smp_mb();
	if (!tcpstate_ring_enough_waiting(ring))
		return false;
	/* Not sleeping after all: spare the producers a wake-up. */
	WRITE_ONCE(ring->wakeup_armed, false);
	return true;
}

/*
 * Two mappings exist: the consumer page alone, read-write, and the ctrl
 * page with the doubled data behind it, read-only for good (VM_MAYWRITE is
 * cleared so mprotect() cannot add write access later). Nothing else.
 */
int tcpstate_ring_mmap(struct tcpstate_ring *ring, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long pgoff = vma->vm_pgoff;

	/* VM_MAYSHARE: MAP_SHARED, even where do_mmap() drops VM_SHARED. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	if (pgoff == TCPSTATE_CONSUMER_PGOFF && len == PAGE_SIZE) {
		vm_flags_clear(vma, VM_MAYEXEC);
	} else if (pgoff == TCPSTATE_CTRL_PGOFF &&
		   len == PAGE_SIZE + 2 * tcpstate_ring_data_size(ring)) {
		if (vma->vm_flags & VM_WRITE)
			return -EPERM;
		vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC);
	} else {
		return -EINVAL;
	}

	return remap_vmalloc_range(vma, ring->cons, pgoff);
}
