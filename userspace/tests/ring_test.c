// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_ring_drain() against a fake ring laid out like the kernel's:
 * the data pages of a memfd mapped twice back to back, a control block and
 * a consumer block, fed by a test producer that follows the module's
 * protocol (reserve with BUSY set, publish producer_pos, fill the payload,
 * commit by clearing BUSY with a release store).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ring_reader.h"

#define DATA_SIZE	4096ULL
#define EV_LEN		((__u32)sizeof(struct tcpstate_event))
#define EV_SPAN		TCPSTATE_REC_SPAN(EV_LEN)
#define MAX_SEEN	512

struct fake_ring {
	int memfd;
	unsigned char *data;		/* writable view, 2 * DATA_SIZE */
	struct tcpstate_ctrl ctrl;
	struct tcpstate_consumer cons;
	struct tcpstate_ring ring;
};

/* What the drain callback saw, checked after the drain returns. */
struct seen {
	struct tcpstate_event ev[MAX_SEEN];
	unsigned int n;
	unsigned int stop_after;	/* return 1 on this call (1-based) */
	int pos_moved_mid_batch;	/* consumer_pos changed during a batch */
	__u64 pos_at_start;
	const struct tcpstate_consumer *cons;
};

static int record_event(const struct tcpstate_event *ev, void *arg)
{
	struct seen *s = arg;

	if (__atomic_load_n(&s->cons->consumer_pos, __ATOMIC_RELAXED) !=
	    s->pos_at_start)
		s->pos_moved_mid_batch = 1;
	if (s->n < MAX_SEEN)
		s->ev[s->n] = *ev;
	s->n++;
	return s->stop_after && s->n == s->stop_after;
}

static long drain(struct fake_ring *f, struct seen *s)
{
	s->cons = &f->cons;
	s->pos_at_start = f->cons.consumer_pos;
	return tcpstate_ring_drain(&f->ring, record_event, s);
}

/* An event whose every field derives from @seq, so any mix-up shows. */
static void make_event(struct tcpstate_event *ev, __u64 seq)
{
	unsigned int i;

	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = 1000000000ULL + seq;
	ev->sock_id = 0x1000000000000000ULL | seq;
	ev->peer_id = ~seq;
	ev->netns = 4026531840U + (__u32)seq;
	ev->type = TCPSTATE_EV_STATE;
	ev->family = 10;
	for (i = 0; i < 16; i++) {
		ev->saddr[i] = (__u8)(seq + i);
		ev->daddr[i] = (__u8)(seq * 3 + i);
	}
	ev->sport = (__u16)(40000 + seq);
	ev->dport = 8080;
	ev->oldstate = (__u8)(seq % 12 + 1);
	ev->newstate = (__u8)((seq + 1) % 12 + 1);
	ev->qlen = (__u32)seq * 7;
	ev->count = (__u32)seq;
}

static int event_matches(const struct tcpstate_event *ev, __u64 seq)
{
	struct tcpstate_event want;

	make_event(&want, seq);
	return !memcmp(ev, &want, sizeof(want));
}

/*
 * Reserve a record of @len payload bytes the way the module does: header
 * with BUSY, producer_pos published, then the payload. Returns the header
 * offset in the data area, or -ENOSPC (counted as a drop) if it does not
 * fit. The record stays BUSY until commit_record().
 */
static long reserve_record(struct fake_ring *f, __u32 len, __u64 seq)
{
	__u64 pos = f->ctrl.producer_pos;
	__u64 cons = __atomic_load_n(&f->cons.consumer_pos, __ATOMIC_ACQUIRE);
	__u64 span = TCPSTATE_REC_SPAN(len);
	struct tcpstate_rec_hdr *hdr;
	struct tcpstate_event ev;
	unsigned char *payload;
	size_t off = (size_t)(pos & (DATA_SIZE - 1));

	__atomic_store_n(&f->ctrl.produced, f->ctrl.produced + 1,
			 __ATOMIC_RELAXED);
	if (pos + span - cons > DATA_SIZE) {
		__atomic_store_n(&f->ctrl.dropped, f->ctrl.dropped + 1,
				 __ATOMIC_RELAXED);
		return -ENOSPC;
	}

	hdr = (struct tcpstate_rec_hdr *)(f->data + off);
	__atomic_store_n(&hdr->len, len | TCPSTATE_REC_BUSY, __ATOMIC_RELAXED);
	hdr->__pad = 0;
	__atomic_store_n(&f->ctrl.producer_pos, pos + span, __ATOMIC_RELEASE);

	/* Writes past DATA_SIZE land at the start through the second view. */
	payload = (unsigned char *)(hdr + 1);
	make_event(&ev, seq);
	memcpy(payload, &ev, len < sizeof(ev) ? len : sizeof(ev));
	if (len > sizeof(ev))
		memset(payload + sizeof(ev), 0xee, len - sizeof(ev));
	return (long)off;
}

static void commit_record(struct fake_ring *f, long off, __u32 len)
{
	struct tcpstate_rec_hdr *hdr = (struct tcpstate_rec_hdr *)(f->data + off);

	__atomic_store_n(&hdr->len, len, __ATOMIC_RELEASE);
}

static long produce(struct fake_ring *f, __u32 len, __u64 seq)
{
	long off = reserve_record(f, len, seq);

	if (off >= 0)
		commit_record(f, off, len);
	return off;
}

FIXTURE(ring) {
	struct fake_ring f;
	struct seen seen;
};

FIXTURE_SETUP(ring)
{
	struct fake_ring *f = &self->f;
	void *area, *lo, *hi;

	memset(self, 0, sizeof(*self));
	f->memfd = memfd_create("tcpstate-fake-ring", MFD_CLOEXEC);
	ASSERT_LE(0, f->memfd);
	ASSERT_EQ(0, ftruncate(f->memfd, DATA_SIZE));

	/* Reserve both halves first so nothing else can land in between. */
	area = mmap(NULL, 2 * DATA_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	lo = mmap(area, DATA_SIZE, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_FIXED, f->memfd, 0);
	ASSERT_EQ(area, lo);
	hi = mmap((unsigned char *)area + DATA_SIZE, DATA_SIZE,
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, f->memfd, 0);
	ASSERT_EQ((unsigned char *)area + DATA_SIZE, hi);
	f->data = area;

	f->ctrl.magic = TCPSTATE_MAGIC;
	f->ctrl.abi_version = TCPSTATE_ABI_VERSION;
	f->ctrl.record_size = EV_LEN;
	f->ctrl.data_size = DATA_SIZE;

	f->ring.ctrl = &f->ctrl;
	f->ring.cons = &f->cons;
	f->ring.data = f->data;
	f->ring.data_size = DATA_SIZE;
}

FIXTURE_TEARDOWN(ring)
{
	if (self->f.data)
		munmap(self->f.data, 2 * DATA_SIZE);
	if (self->f.memfd >= 0)
		close(self->f.memfd);
}

/* The fake is only a valid model if its two views share memory. */
TEST_F(ring, fake_data_is_double_mapped)
{
	self->f.data[10] = 0x5a;
	ASSERT_EQ(0x5a, self->f.data[DATA_SIZE + 10]);
	self->f.data[DATA_SIZE + 20] = 0xa5;
	ASSERT_EQ(0xa5, self->f.data[20]);
}

TEST_F(ring, empty_ring_consumes_nothing)
{
	ASSERT_EQ(0, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
	ASSERT_EQ(0ULL, self->f.cons.consumer_pos);
	ASSERT_EQ(0ULL, self->f.ring.consumed);
}

TEST_F(ring, records_arrive_in_order)
{
	unsigned int i;

	for (i = 0; i < 10; i++)
		ASSERT_LE(0, produce(&self->f, EV_LEN, i));

	ASSERT_EQ(10, drain(&self->f, &self->seen));
	ASSERT_EQ(10U, self->seen.n);
	for (i = 0; i < 10; i++)
		ASSERT_TRUE(event_matches(&self->seen.ev[i], i))
			TH_LOG("record %u differs", i);
	ASSERT_EQ(10 * EV_SPAN, self->f.cons.consumer_pos);
	ASSERT_EQ(10ULL, self->f.ring.consumed);

	/* Nothing is delivered twice. */
	self->seen.n = 0;
	ASSERT_EQ(0, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
}

TEST_F(ring, consumer_pos_published_once_per_batch)
{
	unsigned int i;

	for (i = 0; i < 5; i++)
		ASSERT_LE(0, produce(&self->f, EV_LEN, i));
	ASSERT_EQ(5, drain(&self->f, &self->seen));
	ASSERT_FALSE(self->seen.pos_moved_mid_batch);
	ASSERT_EQ(5 * EV_SPAN, self->f.cons.consumer_pos);
}

/*
 * 4096 / 152 is not whole: the 27th record starts at 3952 and ends past
 * the end of the data area. It must read as one contiguous, intact record.
 */
TEST_F(ring, record_wrapping_the_end_reads_contiguous)
{
	const unsigned int n = DATA_SIZE / EV_SPAN;
	unsigned int i;
	long off;

	ASSERT_NE(0ULL, DATA_SIZE % EV_SPAN);
	for (i = 0; i < n; i++)
		ASSERT_LE(0, produce(&self->f, EV_LEN, i));
	ASSERT_EQ(n, drain(&self->f, &self->seen));

	self->seen.n = 0;
	off = produce(&self->f, EV_LEN, n);
	ASSERT_EQ((long)(n * EV_SPAN), off);
	ASSERT_GT(off + (long)EV_SPAN, (long)DATA_SIZE);
	ASSERT_EQ((long)((n + 1) * EV_SPAN - DATA_SIZE),
		  produce(&self->f, EV_LEN, n + 1));
	ASSERT_EQ((long)((n + 2) * EV_SPAN - DATA_SIZE),
		  produce(&self->f, EV_LEN, n + 2));

	ASSERT_EQ(3, drain(&self->f, &self->seen));
	ASSERT_TRUE(event_matches(&self->seen.ev[0], n));
	ASSERT_TRUE(event_matches(&self->seen.ev[1], n + 1));
	ASSERT_TRUE(event_matches(&self->seen.ev[2], n + 2));
	ASSERT_EQ((n + 3) * EV_SPAN, self->f.cons.consumer_pos);
}

/* Many laps with uneven batches: every record once, in order, intact. */
TEST_F(ring, many_laps_stay_in_order)
{
	unsigned int seq = 0, next = 0, batch, i;
	long n;

	while (seq < 2000) {
		batch = seq % 17 + 1;
		for (i = 0; i < batch && seq < 2000; i++)
			ASSERT_LE(0, produce(&self->f, EV_LEN, seq++));
		self->seen.n = 0;
		n = drain(&self->f, &self->seen);
		ASSERT_EQ((long)self->seen.n, n);
		for (i = 0; i < self->seen.n; i++)
			ASSERT_TRUE(event_matches(&self->seen.ev[i], next++))
				TH_LOG("record %u differs", next - 1);
	}
	ASSERT_EQ(2000U, next);
	ASSERT_EQ(2000 * EV_SPAN, self->f.cons.consumer_pos);
	ASSERT_EQ(2000ULL, self->f.ring.consumed);
	ASSERT_EQ(0ULL, self->f.ctrl.dropped);
}

TEST_F(ring, busy_record_stops_the_drain_until_committed)
{
	long busy;

	ASSERT_LE(0, produce(&self->f, EV_LEN, 0));
	busy = reserve_record(&self->f, EV_LEN, 1);
	ASSERT_LE(0, busy);
	ASSERT_LE(0, produce(&self->f, EV_LEN, 2));

	ASSERT_EQ(1, drain(&self->f, &self->seen));
	ASSERT_TRUE(event_matches(&self->seen.ev[0], 0));
	ASSERT_EQ(EV_SPAN, self->f.cons.consumer_pos);

	/* Record 2 is complete but must wait behind the busy one. */
	self->seen.n = 0;
	ASSERT_EQ(0, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
	ASSERT_EQ(EV_SPAN, self->f.cons.consumer_pos);

	commit_record(&self->f, busy, EV_LEN);
	ASSERT_EQ(2, drain(&self->f, &self->seen));
	ASSERT_TRUE(event_matches(&self->seen.ev[0], 1));
	ASSERT_TRUE(event_matches(&self->seen.ev[1], 2));
	ASSERT_EQ(3 * EV_SPAN, self->f.cons.consumer_pos);
	ASSERT_EQ(3ULL, self->f.ring.consumed);
}

TEST_F(ring, consumer_pos_advances_by_spans)
{
	/* 144 -> 152, 145 -> 160, 156 -> 168, 144 -> 152 */
	ASSERT_LE(0, produce(&self->f, EV_LEN, 0));
	ASSERT_LE(0, produce(&self->f, EV_LEN + 1, 1));
	ASSERT_LE(0, produce(&self->f, EV_LEN + 12, 2));
	ASSERT_LE(0, produce(&self->f, EV_LEN, 3));

	ASSERT_EQ(4, drain(&self->f, &self->seen));
	ASSERT_EQ(152ULL + 160 + 168 + 152, self->f.cons.consumer_pos);
	ASSERT_EQ(self->f.ctrl.producer_pos, self->f.cons.consumer_pos);
}

TEST_F(ring, callback_stops_early)
{
	unsigned int i;

	for (i = 0; i < 5; i++)
		ASSERT_LE(0, produce(&self->f, EV_LEN, i));

	self->seen.stop_after = 2;
	ASSERT_EQ(2, drain(&self->f, &self->seen));
	ASSERT_EQ(2U, self->seen.n);
	/* The record that said stop counts as consumed. */
	ASSERT_EQ(2 * EV_SPAN, self->f.cons.consumer_pos);
	ASSERT_EQ(2ULL, self->f.ring.consumed);

	self->seen.n = 0;
	self->seen.stop_after = 0;
	ASSERT_EQ(3, drain(&self->f, &self->seen));
	ASSERT_TRUE(event_matches(&self->seen.ev[0], 2));
	ASSERT_TRUE(event_matches(&self->seen.ev[2], 4));
	ASSERT_EQ(5 * EV_SPAN, self->f.cons.consumer_pos);
}

TEST_F(ring, short_len_is_eproto)
{
	ASSERT_LE(0, produce(&self->f, EV_LEN, 0));
	ASSERT_LE(0, produce(&self->f, EV_LEN - 8, 1));
	ASSERT_LE(0, produce(&self->f, EV_LEN, 2));

	ASSERT_EQ(-EPROTO, drain(&self->f, &self->seen));
	/* What came before the corrupt record was consumed and published. */
	ASSERT_EQ(1U, self->seen.n);
	ASSERT_EQ(EV_SPAN, self->f.cons.consumer_pos);
	ASSERT_EQ(1ULL, self->f.ring.consumed);

	/* It stays corrupt: the reader does not skip past it. */
	self->seen.n = 0;
	ASSERT_EQ(-EPROTO, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
}

TEST_F(ring, zero_len_is_eproto)
{
	ASSERT_LE(0, produce(&self->f, 0, 0));
	ASSERT_EQ(-EPROTO, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
	ASSERT_EQ(0ULL, self->f.cons.consumer_pos);
}

/* A len reaching past what the producer reserved must not be read. */
TEST_F(ring, len_past_producer_pos_is_eproto)
{
	long off = produce(&self->f, EV_LEN, 0);
	struct tcpstate_rec_hdr *hdr;

	ASSERT_LE(0, off);
	hdr = (struct tcpstate_rec_hdr *)(self->f.data + off);
	__atomic_store_n(&hdr->len, EV_LEN + 8, __ATOMIC_RELEASE);
	ASSERT_EQ(-EPROTO, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);

	/* Larger than the whole ring, with the BUSY bit clear. */
	__atomic_store_n(&hdr->len, TCPSTATE_REC_LEN_MASK, __ATOMIC_RELEASE);
	ASSERT_EQ(-EPROTO, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
	ASSERT_EQ(0ULL, self->f.cons.consumer_pos);
}

/*
 * Positions more than a ring apart are corrupt even when the records in
 * between look fine: nothing may be delivered from them.
 */
TEST_F(ring, producer_more_than_a_ring_ahead_is_eproto)
{
	unsigned int i;

	for (i = 0; i < DATA_SIZE / EV_SPAN; i++)
		ASSERT_LE(0, produce(&self->f, EV_LEN, i));
	self->f.ctrl.producer_pos = DATA_SIZE + 2 * EV_SPAN;
	ASSERT_EQ(-EPROTO, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
	ASSERT_EQ(0ULL, self->f.cons.consumer_pos);
}

/* Every span is a multiple of 8, so a misaligned consumer_pos is corrupt. */
TEST_F(ring, misaligned_consumer_pos_is_eproto)
{
	struct tcpstate_rec_hdr *hdr;
	long off = produce(&self->f, EV_LEN, 0);

	ASSERT_LE(0, off);
	ASSERT_LE(0, produce(&self->f, EV_LEN, 1));
	/* Make the bytes at the bad position look like a valid header. */
	hdr = (struct tcpstate_rec_hdr *)(self->f.data + off);
	hdr->__pad = EV_LEN;
	self->f.cons.consumer_pos = 4;
	ASSERT_EQ(-EPROTO, drain(&self->f, &self->seen));
	ASSERT_EQ(0U, self->seen.n);
	ASSERT_EQ(4ULL, self->f.cons.consumer_pos);
}

/* A newer module may append fields: read the known prefix, skip by span. */
TEST_F(ring, longer_record_is_skipped_by_span)
{
	const __u32 newer_len = EV_LEN + 40;	/* span 192 */

	ASSERT_LE(0, produce(&self->f, newer_len, 0));
	ASSERT_LE(0, produce(&self->f, EV_LEN, 1));
	ASSERT_LE(0, produce(&self->f, newer_len, 2));

	ASSERT_EQ(3, drain(&self->f, &self->seen));
	ASSERT_TRUE(event_matches(&self->seen.ev[0], 0));
	ASSERT_TRUE(event_matches(&self->seen.ev[1], 1));
	ASSERT_TRUE(event_matches(&self->seen.ev[2], 2));
	ASSERT_EQ(192ULL + 152 + 192, self->f.cons.consumer_pos);
}

TEST_F(ring, full_ring_drops_and_stats_report_them)
{
	__u64 produced = 0, dropped = 0;
	unsigned int i, fits = (unsigned int)(DATA_SIZE / EV_SPAN);

	for (i = 0; i < fits; i++)
		ASSERT_LE(0, produce(&self->f, EV_LEN, i));
	ASSERT_EQ(-ENOSPC, produce(&self->f, EV_LEN, fits));
	ASSERT_EQ(-ENOSPC, produce(&self->f, EV_LEN, fits + 1));

	tcpstate_ring_stats(&self->f.ring, &produced, &dropped);
	ASSERT_EQ((__u64)fits + 2, produced);
	ASSERT_EQ(2ULL, dropped);

	ASSERT_EQ((long)fits, drain(&self->f, &self->seen));
	/* At rest, produced == consumed + dropped. */
	ASSERT_EQ(produced, self->f.ring.consumed + dropped);

	/* Space is free again once consumer_pos is published. */
	ASSERT_LE(0, produce(&self->f, EV_LEN, 1000));
	self->seen.n = 0;
	ASSERT_EQ(1, drain(&self->f, &self->seen));
	ASSERT_TRUE(event_matches(&self->seen.ev[0], 1000));

	/* Either output may be skipped. */
	tcpstate_ring_stats(&self->f.ring, NULL, &dropped);
	ASSERT_EQ(2ULL, dropped);
	tcpstate_ring_stats(&self->f.ring, &produced, NULL);
	ASSERT_EQ((__u64)fits + 3, produced);
}

TEST_HARNESS_MAIN
