// SPDX-License-Identifier: GPL-2.0
/*
 * --summary: nearest-rank percentiles on known data, the histogram's
 * precision bound at every scale, the counts per kind, the text and JSON
 * forms.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "summary.h"

static struct hist *hist_new(void)
{
	return calloc(1, sizeof(struct hist));
}

/* Below 256 every value is its own bucket: percentiles are exact. */
TEST(exact_percentiles_of_1_to_100)
{
	struct hist *h = hist_new();
	unsigned int v;

	ASSERT_NE(NULL, h);
	/* Added out of order: only the values count. */
	for (v = 100; v >= 1; v--)
		hist_add(h, v);
	ASSERT_EQ(100ULL, h->count);
	ASSERT_EQ(50ULL, hist_percentile(h, 50));
	ASSERT_EQ(90ULL, hist_percentile(h, 90));
	ASSERT_EQ(99ULL, hist_percentile(h, 99));
	ASSERT_EQ(100ULL, hist_percentile(h, 100));
	ASSERT_EQ(1ULL, hist_percentile(h, 1));
	ASSERT_EQ(100ULL, h->max);
	free(h);
}

/* Nearest rank is ceil(p / 100 * n): with 7 samples p50 is the 4th. */
TEST(nearest_rank_with_few_samples)
{
	static const unsigned long long samples[] = { 7, 1, 5, 3, 9, 11, 13 };
	struct hist *h = hist_new();
	unsigned int i;

	ASSERT_NE(NULL, h);
	for (i = 0; i < ARRAY_SIZE(samples); i++)
		hist_add(h, samples[i]);
	ASSERT_EQ(7ULL, hist_percentile(h, 50));	/* rank 4 of 1 3 5 7 */
	ASSERT_EQ(13ULL, hist_percentile(h, 90));	/* rank 7 (6.3) */
	ASSERT_EQ(13ULL, hist_percentile(h, 99));
	free(h);

	h = hist_new();
	hist_add(h, 42);
	ASSERT_EQ(42ULL, hist_percentile(h, 50));
	ASSERT_EQ(42ULL, hist_percentile(h, 99));
	free(h);
}

TEST(empty_has_no_percentiles)
{
	struct hist *h = hist_new();

	ASSERT_EQ(SEQ_NONE, hist_percentile(h, 50));
	ASSERT_EQ(SEQ_NONE, hist_percentile(h, 100));
	free(h);
}

/*
 * Realistic times, 1..10000 us: each percentile at or above the exact
 * one, by less than 1/128 of it, and never above the maximum.
 */
TEST(percentiles_within_one_128th)
{
	static const unsigned int pcts[] = { 50, 90, 99 };
	struct hist *h = hist_new();
	unsigned long long got, exact;
	unsigned int i;

	ASSERT_NE(NULL, h);
	for (i = 1; i <= 10000; i++)
		hist_add(h, i * 1000ULL);
	for (i = 0; i < ARRAY_SIZE(pcts); i++) {
		exact = pcts[i] * 100ULL * 1000ULL;	/* rank p * 100 */
		got = hist_percentile(h, pcts[i]);
		ASSERT_LE(exact, got) TH_LOG("p%u", pcts[i]);
		ASSERT_LT(got - exact, exact / 128) TH_LOG("p%u", pcts[i]);
	}
	ASSERT_EQ(10000000ULL, h->max);
	ASSERT_EQ(10000000ULL, hist_percentile(h, 100));
	free(h);
}

/* Every power of two and its neighbours, up to the top of 64 bits. */
TEST(bucket_edges_at_every_scale)
{
	struct hist *h;
	unsigned long long v, got;
	unsigned int b;
	int d;

	for (b = 8; b < 64; b++) {
		for (d = -1; d <= 1; d++) {
			v = (1ULL << b) + (unsigned long long)(long long)d;
			h = hist_new();
			ASSERT_NE(NULL, h);
			/* A larger sample, so the maximum does not clamp. */
			hist_add(h, v);
			hist_add(h, ~0ULL);
			got = hist_percentile(h, 50);
			ASSERT_LE(v, got) TH_LOG("2^%u%+d", b, d);
			ASSERT_LE(got - v, v / 128) TH_LOG("2^%u%+d", b, d);
			free(h);
		}
	}
	h = hist_new();
	hist_add(h, ~0ULL);
	ASSERT_EQ(~0ULL, hist_percentile(h, 50));
	ASSERT_EQ(~0ULL, h->max);
	free(h);
}

/* A count large enough that p * count would overflow 32 bits. */
TEST(large_counts)
{
	struct hist *h = hist_new();

	ASSERT_NE(NULL, h);
	h->bucket[10] = 3000000000ULL;
	h->bucket[20] = 1000000000ULL;
	h->count = 4000000000ULL;
	h->max = 20;
	ASSERT_EQ(10ULL, hist_percentile(h, 50));
	ASSERT_EQ(10ULL, hist_percentile(h, 75));
	ASSERT_EQ(20ULL, hist_percentile(h, 76));
	free(h);
}

static struct seq_record rec_of(enum seq_kind kind, __u64 handshake,
				__u64 synq, __u64 tw)
{
	struct seq_record r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.duration_ns = SEQ_NONE;
	r.handshake_ns = handshake;
	r.syn_queue_ns = synq;
	r.established_ns = SEQ_NONE;
	r.time_wait_ns = tw;
	return r;
}

FIXTURE(sum) {
	struct summary *s;
	char *buf;
	size_t len;
	FILE *out;
};

FIXTURE_SETUP(sum)
{
	struct seq_record r;
	unsigned int i;

	self->s = summary_new();
	ASSERT_NE(NULL, self->s);
	self->buf = NULL;
	self->out = open_memstream(&self->buf, &self->len);
	ASSERT_NE(NULL, self->out);
	/* 10 active opens of 1..10 ms, 2 passive opens (handshake 2, 4 us;
	 * SYN queue 1, 3 us), a half-open expiry (SYN queue 63 s), 3 active
	 * closes (TIME_WAIT 60 s) and one reset.
	 */
	for (i = 1; i <= 10; i++) {
		r = rec_of(SEQ_ACTIVE_OPEN, i * 1000000ULL, SEQ_NONE,
			   SEQ_NONE);
		summary_add(self->s, &r);
	}
	r = rec_of(SEQ_PASSIVE_OPEN, 2000, 1000, SEQ_NONE);
	summary_add(self->s, &r);
	r = rec_of(SEQ_PASSIVE_OPEN, 4000, 3000, SEQ_NONE);
	summary_add(self->s, &r);
	r = rec_of(SEQ_HALF_OPEN_EXPIRED, SEQ_NONE, 63000000000ULL, SEQ_NONE);
	summary_add(self->s, &r);
	for (i = 0; i < 3; i++) {
		r = rec_of(SEQ_ACTIVE_CLOSE, SEQ_NONE, SEQ_NONE,
			   60000000000ULL);
		summary_add(self->s, &r);
	}
	/* A reset's times are nobody's: a handshake_ns there is ignored. */
	r = rec_of(SEQ_RESET, 5, SEQ_NONE, SEQ_NONE);
	summary_add(self->s, &r);
}

FIXTURE_TEARDOWN(sum)
{
	if (self->out)
		fclose(self->out);
	free(self->buf);
	summary_free(self->s);
}

TEST_F(sum, counts_and_metrics)
{
	const struct hist *hs = &self->s->metric[SUM_HANDSHAKE];

	ASSERT_EQ(17ULL, self->s->records);
	ASSERT_EQ(10ULL, self->s->count[SEQ_ACTIVE_OPEN]);
	ASSERT_EQ(2ULL, self->s->count[SEQ_PASSIVE_OPEN]);
	ASSERT_EQ(1ULL, self->s->count[SEQ_RESET]);
	ASSERT_EQ(12ULL, hs->count);
	ASSERT_EQ(3ULL, self->s->metric[SUM_SYN_QUEUE].count);
	ASSERT_EQ(3ULL, self->s->metric[SUM_TIME_WAIT].count);
	/* Handshakes 2us 4us 1ms .. 10ms: p50 = rank 6 = 4 ms. */
	ASSERT_LE(4000000ULL, hist_percentile(hs, 50));
	ASSERT_LT(hist_percentile(hs, 50), 4000000ULL + 4000000ULL / 128);
	ASSERT_EQ(10000000ULL, hist_percentile(hs, 99));
	ASSERT_EQ(10000000ULL, hs->max);
}

TEST_F(sum, text)
{
	struct summary_run run = { .events = 123, .dropped = 4, .evicted = 5 };
	unsigned int k;
	char want[128];

	ASSERT_EQ(0, summary_print_text(self->out, self->s, &run));
	fflush(self->out);
	/* Every kind has its line, zero or not. */
	for (k = 1; k < SEQ_NR_KINDS; k++) {
		snprintf(want, sizeof(want), "\n%-18s ", seq_kind_name(k));
		ASSERT_NE(NULL, strstr(self->buf, want)) TH_LOG("%s", want);
	}
	ASSERT_EQ(0, strncmp(self->buf, "KIND ", 5));
	ASSERT_NE(NULL, strstr(self->buf, "\nactive_open                  10\n"));
	ASSERT_NE(NULL, strstr(self->buf, "\ntotal                        17\n"));
	ASSERT_NE(NULL, strstr(self->buf,
			       "\nMETRIC                    COUNT        P50        P90        P99        MAX\n"));
	ASSERT_NE(NULL, strstr(self->buf,
			       "\ntime_wait                     3    60.000s    60.000s    60.000s    60.000s\n"))
		TH_LOG("%s", self->buf);
	ASSERT_NE(NULL, strstr(self->buf,
			       "\nsyn_queue                     3      3.0us    63.000s    63.000s    63.000s\n"))
		TH_LOG("%s", self->buf);
	ASSERT_NE(NULL, strstr(self->buf,
			       "123 events, 4 dropped by the ring, 5 connections evicted\n"));
}

TEST_F(sum, json_and_empty_metrics)
{
	struct summary_run run = { .events = 1, .dropped = 0, .evicted = 0 };
	struct summary *empty = summary_new();

	ASSERT_EQ(0, summary_print_json(self->out, self->s, &run));
	fflush(self->out);
	ASSERT_EQ(self->buf, strstr(self->buf,
			     "{\"type\":\"summary\",\"records\":17,\"counts\":{\"active_open\":10,\"passive_open\":2,"))
		TH_LOG("%s", self->buf);
	ASSERT_NE(NULL, strstr(self->buf,
			       "\"time_wait_ns\":{\"count\":3,\"p50\":60000000000,\"p90\":60000000000,\"p99\":60000000000,\"max\":60000000000}"));
	ASSERT_NE(NULL, strstr(self->buf,
			       ",\"events\":1,\"dropped\":0,\"evicted\":0}\n"));
	fclose(self->out);
	free(self->buf);
	self->buf = NULL;
	self->out = open_memstream(&self->buf, &self->len);
	ASSERT_EQ(0, summary_print_json(self->out, empty, &run));
	fflush(self->out);
	ASSERT_NE(NULL, strstr(self->buf,
			       "\"handshake_ns\":{\"count\":0,\"p50\":null,\"p90\":null,\"p99\":null,\"max\":null}"));
	summary_free(empty);
}

TEST_HARNESS_MAIN
