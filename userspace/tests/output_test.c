// SPDX-License-Identifier: GPL-2.0
/*
 * The outputs of sequence_output.c and event_output.c. Sequence lines:
 * exact lines for known records, columns under their header words,
 * durations, times; and, with a real JSON parser
 * (python3, check_json.py beside this test), every JSON line of every
 * record and event kind parses, has all its keys, and carries all the
 * text shows: the text line is rebuilt from the JSON alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "event_output.h"
#include "sequence.h"
#include "sequence_output.h"
#include "synth.h"
#include "textbuf.h"
#include "helpers.h"

/* 2024-01-02 12:01:02 UTC, as a realtime - monotonic offset from ts 0. */
#define WALL_BASE_NS	(1704196862LL * 1000000000LL)

static void use_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static struct out_opts opts(int timestamps, int wide)
{
	struct out_opts o = {
		.endpoint_width = wide ? TCPSTATE_COL_ENDPOINT_WIDE :
					 TCPSTATE_COL_ENDPOINT,
		.timestamps = timestamps,
		.mono_to_real_ns = WALL_BASE_NS,
	};

	return o;
}

/* Records the engine made of the synthetic stream, flushed ones last. */
struct recs {
	struct seq_record rec[SYNTH_RECORDS + SYNTH_IN_PROGRESS + 8];
	unsigned int n;
};

static void keep(const struct seq_record *rec, void *arg)
{
	struct recs *r = arg;

	if (r->n < sizeof(r->rec) / sizeof(r->rec[0]))
		r->rec[r->n] = *rec;
	r->n++;
}

static void synth_records(struct recs *r)
{
	static struct synth s;
	struct seq_engine *e = seq_new(SEQ_DEFAULT_MAX_CONNS, keep, r);
	unsigned int i;

	memset(r, 0, sizeof(*r));
	synth_build(&s);
	for (i = 0; i < s.n; i++)
		seq_feed(e, &s.ev[i]);
	seq_flush(e);
	seq_free(e);
}

TEST(durations)
{
	static const struct {
		__u64 ns;
		const char *want;
	} cases[] = {
		{ 0, "0ns" }, { 999, "999ns" }, { 1000, "1.0us" },
		{ 40150, "40.1us" }, { 999999, "999.9us" },
		{ 1000000, "1.00ms" }, { 1204999, "1.20ms" },
		{ 999999999, "999.99ms" }, { 1000000000, "1.000s" },
		{ 60000000000ULL, "60.000s" }, { 123456789012ULL, "123.456s" },
	};
	char buf[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ((int)strlen(cases[i].want),
			  out_duration(buf, sizeof(buf), cases[i].ns, "-"));
		ASSERT_STREQ(cases[i].want, buf);
	}
	out_duration(buf, sizeof(buf), SEQ_NONE, "?");
	ASSERT_STREQ("?", buf);
	/* The longest, 2^64 - 2 ns, still fits the DURATION buffers. */
	ASSERT_LT(0, out_duration(buf, sizeof(buf), SEQ_NONE - 1, "-"));
	ASSERT_EQ(-ENOSPC, out_duration(buf, 4, 60000000000ULL, "-"));
}

TEST(iso_time_is_utc_with_microseconds)
{
	char buf[48];

	ASSERT_EQ(27, out_time_iso(buf, sizeof(buf), 123456789ULL,
				   WALL_BASE_NS));
	ASSERT_STREQ("2024-01-02T12:01:02.123456Z", buf);
	out_time_iso(buf, sizeof(buf), ~0ULL, 0);
	ASSERT_STREQ("1970-01-01T00:00:00.000000Z", buf);
}

TEST(header_and_lines_line_up)
{
	struct out_opts o = opts(1, 0);
	char header[OUT_LINE_MAX], line[OUT_LINE_MAX];
	static const char *const words[] = {
		"KIND", "SIDE", "NETNS", "LOCAL", "REMOTE", "DURATION", "PATH",
	};
	const char *col[ARRAY_SIZE(words)];
	static struct recs r;
	unsigned int i, w;

	use_utc();
	synth_records(&r);
	ASSERT_LT(0, out_seq_header(header, sizeof(header), &o));
	ASSERT_EQ(0, strncmp(header, "TIME ", 5));
	for (i = 0; i < r.n; i++) {
		const struct seq_record *rec = &r.rec[i];

		/* IPv6 endpoints overflow their column without -w. */
		if (rec->family == AF_INET6)
			continue;
		ASSERT_LT(0, out_seq_text(line, sizeof(line), rec, &o));
		/* Each column starts where its header word does. */
		col[0] = line + 16;
		for (w = 1; w < ARRAY_SIZE(words); w++) {
			const char *p = col[w - 1];

			while (*p && *p != ' ')
				p++;
			while (*p == ' ')
				p++;
			col[w] = p;
		}
		for (w = 0; w < ARRAY_SIZE(words); w++)
			ASSERT_EQ(strstr(header, words[w]) - header,
				  col[w] - line)
				TH_LOG("%s in '%s'", words[w], line);
	}
}

TEST(exact_lines)
{
	struct out_opts o = opts(1, 0);
	char line[OUT_LINE_MAX];
	static struct recs r;

	use_utc();
	synth_records(&r);
	ASSERT_EQ(SYNTH_RECORDS + SYNTH_IN_PROGRESS, r.n);
	out_seq_text(line, sizeof(line), &r.rec[0], &o);
	ASSERT_STREQ("12:17:42.002200 active_open        client 4026531840 "
		     "10.0.0.1:40001        10.0.0.2:80           1.20ms    "
		     "SYN_SENT 1.20ms -> ESTABLISHED", line);
	out_seq_text(line, sizeof(line), &r.rec[1], &o);
	ASSERT_STREQ("12:17:43.003507 passive_open       server 4026531840 "
		     "10.0.0.2:80           10.0.0.1:40002        1.000s    "
		     "SYN_RECV 1.000s -> ESTABLISHED retrans=1 acceptq=2/128",
		     line);
	out_seq_text(line, sizeof(line), &r.rec[2], &o);
	ASSERT_STREQ("12:17:45.003657 passive_close      server 4026531840 "
		     "10.0.0.2:80           10.0.0.1:40002        150.0us   "
		     "ESTABLISHED 2.000s -> CLOSE_WAIT 90.0us -> LAST_ACK "
		     "60.0us -> CLOSE", line);
	out_seq_text(line, sizeof(line), &r.rec[3], &o);
	ASSERT_STREQ("12:18:45.004707 active_close       client 4026531840 "
		     "10.0.0.1:40001        10.0.0.2:80           60.000s   "
		     "ESTABLISHED 3.002s -> FIN_WAIT1 40.0us -> FIN_WAIT2 "
		     "10.0us -> TIME_WAIT 60.000s -> CLOSE reason=expired "
		     "substate=TIME_WAIT", line);

	/* Without -T, with -w. */
	o = opts(0, 1);
	out_seq_text(line, sizeof(line), &r.rec[9], &o);
	ASSERT_STREQ("syn_dropped        server 4026531840 "
		     "10.0.0.2:80                                     "
		     "10.0.0.1:40008                                  "
		     "-         - synq=128/128 reason=syn_queue_full", line);
	out_seq_text(line, sizeof(line), &r.rec[24], &o);
	ASSERT_NE(NULL, strstr(line, "ESTABLISHED ? -> FIN_WAIT1 ? -> ... -> "
			       "FIN_WAIT2 ? -> TIME_WAIT 60.000s -> CLOSE "
			       "reason=unknown(9) substate=TIME_WAIT "
			       "missing=start,gap")) TH_LOG("%s", line);
	out_seq_text(line, sizeof(line), &r.rec[8], &o);
	ASSERT_NE(NULL, strstr(line, "SYN_RECV 63.000s -> CLOSE retrans=5 "
			       "ack_drops=1 acceptq=4/4 "
			       "reason=accept_queue_full")) TH_LOG("%s", line);
}

/* The -w columns fit the longest IPv6 endpoint there is. */
TEST(wide_fits_any_ipv6_endpoint)
{
	char ep[64];
	__u8 addr[16];

	memset(addr, 0xff, sizeof(addr));
	tcpstate_format_endpoint(ep, sizeof(ep), AF_INET6, addr, 65535);
	ASSERT_EQ(TCPSTATE_COL_ENDPOINT_WIDE, (int)strlen(ep));
}

TEST(longest_record_fits)
{
	struct out_opts o = opts(1, 1);
	char line[OUT_LINE_MAX];
	struct seq_record rec;
	unsigned int i;

	memset(&rec, 0, sizeof(rec));
	rec.kind = SEQ_SIMULTANEOUS_CLOSE;
	rec.family = AF_INET6;
	memset(rec.saddr, 0xff, 16);
	memset(rec.daddr, 0xff, 16);
	rec.sport = rec.dport = 65535;
	rec.netns = ~0U;
	rec.sock_id = rec.req_id = rec.tw_id = ~0ULL;
	rec.start_ns = rec.end_ns = rec.duration_ns = SEQ_NONE - 1;
	rec.handshake_ns = rec.syn_queue_ns = SEQ_NONE - 1;
	rec.established_ns = rec.time_wait_ns = SEQ_NONE - 1;
	rec.synack_retrans = rec.ack_drops = ~0U;
	rec.has_queue = 1;
	rec.qlen = rec.qmax = ~0U;
	rec.reason_type = SEQ_REASON_TIMEWAIT_END;
	rec.reason = 255;
	rec.tw_substate = 255;
	rec.missing = ~0U;
	rec.gap_from = rec.gap_to = SEQ_ST_TW_FIN_WAIT2;
	rec.nsteps = SEQ_MAX_STEPS;
	for (i = 0; i < SEQ_MAX_STEPS; i++) {
		rec.steps[i].state = SEQ_ST_TW_FIN_WAIT2;
		rec.steps[i].ns = SEQ_NONE - 1;
	}
	ASSERT_LT(0, out_seq_text(line, sizeof(line), &rec, &o));
	ASSERT_LT(0, out_seq_json(line, sizeof(line), &rec, &o));
	ASSERT_EQ(-ENOSPC, out_seq_json(line, 100, &rec, &o));
	ASSERT_EQ('\0', line[99]);
}

/* A temporary file, removed by the fixture. */
FIXTURE(json) {
	char text[64], json[64];
	FILE *t, *j;
};

FIXTURE_SETUP(json)
{
	int fd;

	use_utc();
	strcpy(self->text, "/tmp/tcpstate-out-XXXXXX");
	strcpy(self->json, "/tmp/tcpstate-json-XXXXXX");
	fd = mkstemp(self->text);
	ASSERT_LE(0, fd);
	self->t = fdopen(fd, "w");
	fd = mkstemp(self->json);
	ASSERT_LE(0, fd);
	self->j = fdopen(fd, "w");
	ASSERT_NE(NULL, self->t);
	ASSERT_NE(NULL, self->j);
}

FIXTURE_TEARDOWN(json)
{
	if (self->t)
		fclose(self->t);
	if (self->j)
		fclose(self->j);
	unlink(self->text);
	unlink(self->json);
}

/* Every record kind of the synthetic stream, text and JSON, agree. */
TEST_F(json, every_record_parses_and_carries_the_text)
{
	char line[OUT_LINE_MAX];
	struct out_opts o = opts(1, 0);
	static struct recs r;
	unsigned int i, kinds = 0;

	synth_records(&r);
	for (i = 0; i < r.n; i++) {
		ASSERT_LT(0, out_seq_text(line, sizeof(line), &r.rec[i], &o));
		fprintf(self->t, "%s\n", line);
		ASSERT_LT(0, out_seq_json(line, sizeof(line), &r.rec[i], &o));
		fprintf(self->j, "%s\n", line);
		kinds |= 1U << r.rec[i].kind;
	}
	fflush(self->t);
	fflush(self->j);
	/* All kinds but connect_failed, half-open migrations and the
	 * resets by side (ABI 2's RST events) are in the corpus; those are
	 * the engine tests' business.
	 */
	for (i = 1; i < SEQ_NR_KINDS; i++)
		if (i != SEQ_CONNECT_FAILED && i != SEQ_RESET_BY_PEER &&
		    i != SEQ_RESET_BY_US)
			ASSERT_TRUE(kinds & (1U << i))
				TH_LOG("no %s record", seq_kind_name(i));
	CHECK_JSON("seq", self->text, self->json);
}

/* Every event type, known or not, with odd reasons and states. */
TEST_F(json, every_event_parses_and_carries_the_text)
{
	char line[OUT_LINE_MAX];
	struct out_opts o = opts(1, 0);
	static struct synth s;
	struct tcpstate_event ev;
	unsigned int i;

	synth_build(&s);
	for (i = 0; i < s.n + 3; i++) {
		if (i < s.n) {
			ev = s.ev[i];
			if (!ev.type)
				continue;
		} else {
			/* A type and reasons this version does not know. */
			ev = s.ev[0];
			ev.type = i == s.n ? 77 : TCPSTATE_EV_SYN_DROP;
			ev.reason = 200;
			ev.oldstate = 99;
		}
		tcpstate_format_event(line, sizeof(line), &ev, WALL_BASE_NS);
		fprintf(self->t, "%s\n", line);
		ASSERT_LT(0, out_event_json(line, sizeof(line), &ev, &o));
		fprintf(self->j, "%s\n", line);
	}
	fflush(self->t);
	fflush(self->j);
	CHECK_JSON("event", self->text, self->json);
}

/* Quotes, backslashes, control characters and UTF-8. */
TEST_F(json, strings_are_escaped)
{
	static const char *const cases[] = {
		"", "plain", "say \"hi\"", "back\\slash", "tab\there",
		"nl\ncr\r", "\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x86\x92",
		"</script>",
	};
	char line[256];
	unsigned int i;
	const char *p;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_LT(0, out_json_string(line, sizeof(line), cases[i]));
		fprintf(self->j, "%s\n", line);
		for (p = cases[i]; *p; p++)
			fprintf(self->t, "%02x", (unsigned char)*p);
		fprintf(self->t, "\n");
	}
	ASSERT_LT(0, out_json_string(line, sizeof(line), NULL));
	ASSERT_STREQ("null", line);
	ASSERT_EQ(-ENOSPC, out_json_string(line, 4, "abcdef"));
	fflush(self->t);
	fflush(self->j);
	CHECK_JSON("strings", self->json, self->text);
}

TEST(missing_names)
{
	ASSERT_STREQ("start", out_missing_name(SEQ_MISS_START));
	ASSERT_STREQ("gap", out_missing_name(SEQ_MISS_GAP));
	ASSERT_STREQ("lost", out_missing_name(SEQ_MISS_LOST));
	ASSERT_STREQ("end", out_missing_name(SEQ_MISS_END));
	ASSERT_STREQ("steps", out_missing_name(SEQ_MISS_STEPS));
	ASSERT_EQ(NULL, out_missing_name(0));
	ASSERT_EQ(NULL, out_missing_name(0x20));
	ASSERT_EQ(NULL, out_missing_name(3));
}

TEST_HARNESS_MAIN
