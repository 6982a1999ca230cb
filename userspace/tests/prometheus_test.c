// SPDX-License-Identifier: GPL-2.0
/*
 * prometheus.c: metric names and HELP texts against the counters, the
 * exposition text, the atomic file, and the export loop (with a fake
 * reading); then tcpstate-watch --prometheus itself, run with
 * fake_tcpstate.so preloaded (/dev/null as the device): its options, the
 * one-shot text against --counters, and the periodic file.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "names.h"
#include "prometheus.h"
#include "ring_reader.h"
#include "helpers.h"

#define NETNS_TEST	4026532001U
#define FAKE_NETNS	"4026531840"
#define OUT_MAX		65536

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fill(struct tcpstate_counters *c, unsigned int nr,
		 unsigned long long base)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->netns = NETNS_TEST;
	c->nr = nr;
	for (i = 0; i < nr && i < TCPSTATE_MAX_COUNTERS; i++)
		c->value[i] = base + i;
}

/* The whole of @path into @buf (NUL-terminated); its length or -1. */
static long slurp_path(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1 &&
	       (n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	buf[total] = '\0';
	close(fd);
	return total;
}

/* Entries of @dir other than . and .. */
static int count_entries(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return -1;
	while ((d = readdir(dp)))
		n += strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
	closedir(dp);
	return n;
}

static int valid_metric_name(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	      *s == '_' || *s == ':'))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == ':'))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

/* ---- names ---- */

TEST(every_counter_has_a_valid_distinct_metric)
{
	char a[64], b[64];
	const char *help;
	unsigned int i, j;

	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++) {
		ASSERT_LT(0, prom_metric_name(i, a, sizeof(a)));
		ASSERT_TRUE(valid_metric_name(a)) TH_LOG("'%s'", a);
		ASSERT_EQ(0, strncmp(a, "tcpstate_", 9));
		/* tcpstate_ + /proc/net/tcpstate's name [+ _total] */
		ASSERT_EQ(0, strncmp(a + 9, tcpstate_counter_name(i),
				     strlen(tcpstate_counter_name(i))));
		/* Gauges as they are, counters with _total. */
		ASSERT_EQ(!prom_is_gauge(i), ends_with(a, "_total"))
			TH_LOG("'%s'", a);
		help = prom_help(i);
		ASSERT_NE(NULL, help) TH_LOG("counter %u has no HELP", i);
		ASSERT_LT(10, strlen(help));
		/* HELP escapes \ and newline: have neither. */
		ASSERT_EQ(NULL, strpbrk(help, "\\\n"));
		for (j = i + 1; j < TCPSTATE_NR_COUNTERS; j++) {
			ASSERT_LT(0, prom_metric_name(j, b, sizeof(b)));
			ASSERT_STRNE(a, b);
		}
	}
}

TEST(names_in_node_exporter_style)
{
	char n[64];

	ASSERT_LT(0, prom_metric_name(TCPSTATE_C_SYN_RECV, n, sizeof(n)));
	ASSERT_STREQ("tcpstate_syn_recv", n);
	ASSERT_LT(0, prom_metric_name(TCPSTATE_C_TIME_WAIT, n, sizeof(n)));
	ASSERT_STREQ("tcpstate_time_wait", n);
	ASSERT_LT(0, prom_metric_name(TCPSTATE_C_SYN_QUEUE_ADDED, n,
				      sizeof(n)));
	ASSERT_STREQ("tcpstate_syn_queue_added_total", n);
	ASSERT_LT(0, prom_metric_name(TCPSTATE_C_ACCEPT_OVERFLOWS, n,
				      sizeof(n)));
	ASSERT_STREQ("tcpstate_accept_overflows_total", n);
	ASSERT_LT(0, prom_metric_name(TCPSTATE_C_RING_DROPS, n, sizeof(n)));
	ASSERT_STREQ("tcpstate_ring_drops_total", n);
	ASSERT_LT(0, prom_metric_name(TCPSTATE_C_PROBES_MISSED, n,
				      sizeof(n)));
	ASSERT_STREQ("tcpstate_probes_missed_total", n);
	ASSERT_LT(0, prom_metric_name(TCPSTATE_C_PROBES_MISSED_SINCE_SEED, n,
				      sizeof(n)));
	ASSERT_STREQ("tcpstate_probes_missed_since_seed_total", n);
	/* Only the two "now" counters are gauges: a reseed zeroing
	 * probes_missed_since_seed is a counter reset.
	 */
	ASSERT_TRUE(prom_is_gauge(TCPSTATE_C_SYN_RECV));
	ASSERT_TRUE(prom_is_gauge(TCPSTATE_C_TIME_WAIT));
	ASSERT_FALSE(prom_is_gauge(TCPSTATE_C_PROBES_MISSED_SINCE_SEED));
	ASSERT_FALSE(prom_is_gauge(TCPSTATE_C_PROBES_MISSED));
	ASSERT_FALSE(prom_is_gauge(TCPSTATE_C_SYN_QUEUE_ADDED));
	ASSERT_FALSE(prom_is_gauge(TCPSTATE_C_TIMEWAIT_CREATED));
}

TEST(no_name_beyond_the_counters_and_short_buffers)
{
	char n[64];

	ASSERT_EQ(-ENOENT, prom_metric_name(TCPSTATE_NR_COUNTERS, n,
					    sizeof(n)));
	ASSERT_EQ(-ENOENT, prom_metric_name(UINT_MAX, n, sizeof(n)));
	ASSERT_EQ(NULL, prom_help(TCPSTATE_NR_COUNTERS));
	/* "tcpstate_syn_recv" is 17 characters: 18 bytes fit, 17 not. */
	ASSERT_EQ(17, prom_metric_name(TCPSTATE_C_SYN_RECV, n, 18));
	ASSERT_EQ(-ENOSPC, prom_metric_name(TCPSTATE_C_SYN_RECV, n, 17));
}

/* ---- the text ---- */

/* tcp_max_tw_buckets as prom_write_file() reads it: the host's. */
static long long host_max_tw(void)
{
	return prom_read_max_tw_buckets(PROM_MAX_TW_BUCKETS_PATH);
}

/*
 * Check @text line by line: for each of the first @n counters, HELP, TYPE
 * and one sample with netns @netns and value base + i, in counter order;
 * then, if @max_tw >= 0, tcpstate_tcp_max_tw_buckets with that value; and
 * nothing else.
 */
static int text_is(struct __test_metadata *_metadata, const char *text,
		   unsigned int n, const char *netns, unsigned long long base,
		   long long max_tw)
{
	char want[1024], name[64];
	const char *p = text;
	unsigned int i;
	size_t len;

	for (i = 0; i < n; i++) {
		if (prom_metric_name(i, name, sizeof(name)) < 0)
			return 0;
		snprintf(want, sizeof(want),
			 "# HELP %s %s\n# TYPE %s %s\n%s{netns=\"%s\"} %llu\n",
			 name, prom_help(i), name,
			 prom_is_gauge(i) ? "gauge" : "counter", name, netns,
			 base + i);
		len = strlen(want);
		if (strncmp(p, want, len)) {
			TH_LOG("counter %u: expected\n%s got\n%.*s", i, want,
			       (int)len, p);
			return 0;
		}
		p += len;
	}
	if (max_tw >= 0) {
		snprintf(want, sizeof(want),
			 "# HELP tcpstate_tcp_max_tw_buckets The most timewait socks this network namespace keeps (net.ipv4.tcp_max_tw_buckets); beyond it, connections close without TIME_WAIT.\n"
			 "# TYPE tcpstate_tcp_max_tw_buckets gauge\n"
			 "tcpstate_tcp_max_tw_buckets{netns=\"%s\"} %lld\n",
			 netns, max_tw);
		if (strcmp(p, want)) {
			TH_LOG("expected\n%s got\n%s", want, p);
			return 0;
		}
		return 1;
	}
	if (*p)
		TH_LOG("trailing text '%s'", p);
	return !*p;
}

TEST(format_every_counter)
{
	struct tcpstate_counters c;
	char buf[PROM_TEXT_MAX];
	long n;

	fill(&c, TCPSTATE_NR_COUNTERS, 1000);
	n = prom_format(buf, sizeof(buf), &c, -1);
	ASSERT_LT(0, n);
	ASSERT_EQ((size_t)n, strlen(buf));
	ASSERT_TRUE(text_is(_metadata, buf, TCPSTATE_NR_COUNTERS,
			    "4026532001", 1000, -1));
	ASSERT_EQ(0, strncmp(buf,
			     "# HELP tcpstate_syn_recv Request socks in SYN queues now",
			     56));
	ASSERT_NE(NULL, strstr(buf,
			       "\n# TYPE tcpstate_syn_queue_added_total counter\n"
			       "tcpstate_syn_queue_added_total{netns=\"4026532001\"} 1002\n"));
}

/* What both know: an older module fills fewer, a newer one more. */
TEST(format_what_both_sides_know)
{
	struct tcpstate_counters c;
	char buf[PROM_TEXT_MAX];

	fill(&c, 2, 7);
	ASSERT_LT(0, prom_format(buf, sizeof(buf), &c, -1));
	ASSERT_TRUE(text_is(_metadata, buf, 2, "4026532001", 7, -1));
	fill(&c, TCPSTATE_MAX_COUNTERS, 7);
	ASSERT_LT(0, prom_format(buf, sizeof(buf), &c, -1));
	ASSERT_TRUE(text_is(_metadata, buf, TCPSTATE_NR_COUNTERS,
			    "4026532001", 7, -1));
	fill(&c, 0, 7);
	ASSERT_EQ(0, prom_format(buf, sizeof(buf), &c, -1));
	ASSERT_STREQ("", buf);
}

TEST(format_full_range_values)
{
	struct tcpstate_counters c;
	char buf[PROM_TEXT_MAX];

	fill(&c, TCPSTATE_NR_COUNTERS, 0);
	c.netns = UINT32_MAX;
	c.value[TCPSTATE_C_RING_DROPS] = UINT64_MAX;
	ASSERT_LT(0, prom_format(buf, sizeof(buf), &c, -1));
	ASSERT_NE(NULL, strstr(buf,
			       "\ntcpstate_ring_drops_total{netns=\"4294967295\"} 18446744073709551615\n"));
	ASSERT_NE(NULL, strstr(buf, "\ntcpstate_syn_recv{netns=\"4294967295\"} 0\n"));
}

TEST(format_too_small_leaves_nothing)
{
	struct tcpstate_counters c;
	char buf[PROM_TEXT_MAX];
	long n;

	fill(&c, TCPSTATE_NR_COUNTERS, 0);
	n = prom_format(buf, sizeof(buf), &c, -1);
	ASSERT_LT(0, n);
	ASSERT_EQ(-ENOSPC, prom_format(buf, (size_t)n, &c, -1));
	ASSERT_STREQ("", buf);
	ASSERT_EQ(-ENOSPC, prom_format(buf, 100, &c, -1));
	ASSERT_STREQ("", buf);
	ASSERT_EQ(-ENOSPC, prom_format(buf, 0, &c, -1));
	ASSERT_EQ(n, prom_format(buf, (size_t)n + 1, &c, -1));
}

/* The limit's gauge: after the counters, with the counters' netns. */
TEST(format_max_tw_buckets_after_the_counters)
{
	struct tcpstate_counters c;
	char buf[PROM_TEXT_MAX];
	long n, with;

	fill(&c, TCPSTATE_NR_COUNTERS, 1000);
	n = prom_format(buf, sizeof(buf), &c, -1);
	ASSERT_LT(0, n);
	with = prom_format(buf, sizeof(buf), &c, 262144);
	ASSERT_LT(n, with);
	ASSERT_TRUE(text_is(_metadata, buf, TCPSTATE_NR_COUNTERS,
			    "4026532001", 1000, 262144));
	ASSERT_NE(NULL, strstr(buf,
			       "\n# TYPE tcpstate_tcp_max_tw_buckets gauge\n"
			       "tcpstate_tcp_max_tw_buckets{netns=\"4026532001\"} 262144\n"));
	/* 0 is a limit (no timewait socks at all), not "unknown". */
	ASSERT_LT(0, prom_format(buf, sizeof(buf), &c, 0));
	ASSERT_NE(NULL, strstr(buf, "tcpstate_tcp_max_tw_buckets{netns=\"4026532001\"} 0\n"));
	/* Room for the counters but not the gauge: nothing, not half. */
	ASSERT_EQ(-ENOSPC, prom_format(buf, (size_t)with, &c, 262144));
	ASSERT_STREQ("", buf);
	ASSERT_EQ(-ENOSPC, prom_format(buf, (size_t)n + 1, &c, 262144));
	ASSERT_STREQ("", buf);
	/* A module without counters: the gauge alone. */
	fill(&c, 0, 0);
	ASSERT_LT(0, prom_format(buf, sizeof(buf), &c, 7));
	ASSERT_TRUE(text_is(_metadata, buf, 0, "4026532001", 0, 7));
}

FIXTURE(sysctl) {
	char dir[64];
	char path[128];
};

FIXTURE_SETUP(sysctl)
{
	strcpy(self->dir, "/tmp/tcpstate-sysctl-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/tcp_max_tw_buckets",
		 self->dir);
}

FIXTURE_TEARDOWN(sysctl)
{
	unlink(self->path);
	rmdir(self->dir);
}

static long long read_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return -9999;
	}
	close(fd);
	return prom_read_max_tw_buckets(path);
}

TEST_F(sysctl, max_tw_buckets_parsed_strictly)
{
	ASSERT_EQ(262144, read_text(self->path, "262144\n"));
	ASSERT_EQ(131072, read_text(self->path, "131072"));
	ASSERT_EQ(0, read_text(self->path, "0\n"));
	ASSERT_EQ(2147483647, read_text(self->path, "2147483647\n"));
	ASSERT_EQ(-EINVAL, read_text(self->path, "2147483648\n"));
	ASSERT_EQ(-EINVAL, read_text(self->path, ""));
	ASSERT_EQ(-EINVAL, read_text(self->path, "-1\n"));
	ASSERT_EQ(-EINVAL, read_text(self->path, " 5\n"));
	ASSERT_EQ(-EINVAL, read_text(self->path, "5 6\n"));
	ASSERT_EQ(-EINVAL, read_text(self->path, "abc\n"));
	ASSERT_EQ(-EINVAL, read_text(self->path, "99999999999999999999999\n"));
	ASSERT_EQ(0, unlink(self->path));
	ASSERT_EQ(-ENOENT, prom_read_max_tw_buckets(self->path));
	ASSERT_EQ(-EISDIR, prom_read_max_tw_buckets(self->dir));
}

/* This host's own sysctl: a number, as sysctl(8) reads it. */
TEST(max_tw_buckets_of_this_namespace)
{
	char buf[64];
	long n;

	n = slurp_path(PROM_MAX_TW_BUCKETS_PATH, buf, sizeof(buf));
	if (n <= 0)
		SKIP(return, "no readable %s", PROM_MAX_TW_BUCKETS_PATH);
	ASSERT_EQ(strtoll(buf, NULL, 10), host_max_tw());
	ASSERT_LE(0, host_max_tw());
}

/* ---- the file ---- */

FIXTURE(dir) {
	char dir[64];
	char path[128];
	char buf[PROM_TEXT_MAX];
	char want[PROM_TEXT_MAX];
};

FIXTURE_SETUP(dir)
{
	strcpy(self->dir, "/tmp/tcpstate-prom-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/tcpstate.prom",
		 self->dir);
}

FIXTURE_TEARDOWN(dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

TEST_F(dir, write_is_the_text_mode_0644_and_leaves_no_temporary)
{
	struct tcpstate_counters c;
	struct stat st;
	mode_t old;

	fill(&c, TCPSTATE_NR_COUNTERS, 5);
	ASSERT_LT(0, prom_format(self->want, sizeof(self->want), &c,
				 host_max_tw()));
	/* A strict umask must not hide it from node_exporter's user. */
	old = umask(077);
	ASSERT_EQ(0, prom_write_file(self->path, &c));
	umask(old);
	ASSERT_LT(0, slurp_path(self->path, self->buf, sizeof(self->buf)));
	ASSERT_STREQ(self->want, self->buf);
	ASSERT_EQ(0, stat(self->path, &st));
	ASSERT_EQ(0644, st.st_mode & 07777);
	ASSERT_EQ(1, count_entries(self->dir));
}

/*
 * The new text replaces the old by rename: a reader that opened the old
 * file keeps reading it whole, never a file truncated or half-written.
 */
TEST_F(dir, rewrite_replaces_atomically)
{
	struct tcpstate_counters c;
	char old_text[PROM_TEXT_MAX];
	struct stat a, b;
	int fd;

	fill(&c, TCPSTATE_NR_COUNTERS, 100);
	ASSERT_EQ(0, prom_write_file(self->path, &c));
	ASSERT_LT(0, slurp_path(self->path, old_text, sizeof(old_text)));
	fd = open(self->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &a));

	fill(&c, TCPSTATE_NR_COUNTERS, 200);
	ASSERT_EQ(0, prom_write_file(self->path, &c));
	ASSERT_EQ(0, stat(self->path, &b));
	ASSERT_NE(a.st_ino, b.st_ino);
	ASSERT_EQ((ssize_t)strlen(old_text),
		  read(fd, self->buf, sizeof(self->buf) - 1));
	self->buf[strlen(old_text)] = '\0';
	ASSERT_STREQ(old_text, self->buf);
	close(fd);
	ASSERT_LT(0, slurp_path(self->path, self->buf, sizeof(self->buf)));
	ASSERT_TRUE(text_is(_metadata, self->buf, TCPSTATE_NR_COUNTERS,
			    "4026532001", 200, host_max_tw()));
	ASSERT_EQ(1, count_entries(self->dir));
}

TEST_F(dir, failures_leave_no_temporary_and_the_old_file)
{
	struct tcpstate_counters c;
	char path[256], tmp[256];

	fill(&c, TCPSTATE_NR_COUNTERS, 1);
	/* No such directory. */
	snprintf(path, sizeof(path), "%s/missing/tcpstate.prom", self->dir);
	ASSERT_EQ(-ENOENT, prom_write_file(path, &c));
	/* The rename fails (a directory is in the way): the temporary
	 * goes, the directory stays.
	 */
	snprintf(path, sizeof(path), "%s/busy.prom", self->dir);
	ASSERT_EQ(0, mkdir(path, 0755));
	ASSERT_GT(0, prom_write_file(path, &c));
	ASSERT_EQ(1, count_entries(self->dir));
	ASSERT_EQ(0, rmdir(path));
	/* A symlink planted at the temporary's name is not followed, and
	 * the file written before stays as it was.
	 */
	ASSERT_EQ(0, prom_write_file(self->path, &c));
	ASSERT_LT(0, slurp_path(self->path, self->want, sizeof(self->want)));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", self->path, (long)getpid());
	snprintf(path, sizeof(path), "%s/victim", self->dir);
	ASSERT_EQ(0, symlink(path, tmp));
	fill(&c, TCPSTATE_NR_COUNTERS, 2);
	ASSERT_EQ(-ELOOP, prom_write_file(self->path, &c));
	ASSERT_NE(0, access(path, F_OK));
	ASSERT_LT(0, slurp_path(self->path, self->buf, sizeof(self->buf)));
	ASSERT_STREQ(self->want, self->buf);
	ASSERT_EQ(0, unlink(tmp));
}

/* ---- the loop, with a scripted reading ---- */

struct script {
	unsigned int calls;
	unsigned int stop_after;	/* set *stop on this call */
	unsigned int fail_from, fail_to; /* these calls fail (1-based) */
	const char *path;		/* the file, to look at during calls */
	int file_seen[16];		/* whether it existed at call i */
	volatile sig_atomic_t *stop;
};

static int scripted_read(struct tcpstate_counters *c, char *err,
			 size_t errlen, void *arg)
{
	struct script *s = arg;
	unsigned int n = ++s->calls;

	if (n < 16)
		s->file_seen[n] = access(s->path, F_OK) == 0;
	if (n == s->stop_after)
		*s->stop = 1;
	if (n >= s->fail_from && n <= s->fail_to) {
		snprintf(err, errlen, "scripted failure %u", n);
		return -EIO;
	}
	fill(c, TCPSTATE_NR_COUNTERS, n * 1000ULL);
	return 0;
}

static volatile sig_atomic_t loop_stop;

/* Stderr into a memfd until stderr_end(), which puts it into @buf. */
static int stderr_begin(void)
{
	int saved = dup(STDERR_FILENO);
	int fd = memfd_create("stderr", MFD_CLOEXEC);

	fflush(stderr);
	if (saved < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	return saved;
}

static void stderr_end(int saved, char *buf, size_t len)
{
	int fd = dup(STDERR_FILENO);
	ssize_t n = -1;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (fd >= 0) {
		lseek(fd, 0, SEEK_SET);
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

TEST_F(dir, once_reads_and_writes_once)
{
	struct script s = { .path = self->path, .stop = &loop_stop };
	struct prom_export e = {
		.path = self->path, .interval_ms = 0,
		.read = scripted_read, .read_arg = &s, .stop = &loop_stop,
	};

	loop_stop = 0;
	ASSERT_EQ(0, prom_export_run(&e));
	ASSERT_EQ(1, s.calls);
	ASSERT_LT(0, slurp_path(self->path, self->buf, sizeof(self->buf)));
	ASSERT_TRUE(text_is(_metadata, self->buf, TCPSTATE_NR_COUNTERS,
			    "4026532001", 1000, host_max_tw()));
}

TEST_F(dir, periodic_writes_on_the_interval_until_stopped)
{
	struct script s = { .path = self->path, .stop = &loop_stop,
			    .stop_after = 5 };
	struct prom_export e = {
		.path = self->path, .interval_ms = 40,
		.read = scripted_read, .read_arg = &s, .stop = &loop_stop,
	};
	long long t0, dt;

	loop_stop = 0;
	t0 = now_ms();
	ASSERT_EQ(0, prom_export_run(&e));
	dt = now_ms() - t0;
	/* Five readings: at 0 and four intervals later; the fifth (which
	 * asked to stop) is still written, and the file stays.
	 */
	ASSERT_EQ(5, s.calls);
	ASSERT_LE(160, dt);
	ASSERT_GT(3000, dt);
	ASSERT_LT(0, slurp_path(self->path, self->buf, sizeof(self->buf)));
	ASSERT_TRUE(text_is(_metadata, self->buf, TCPSTATE_NR_COUNTERS,
			    "4026532001", 5000, host_max_tw()));
	ASSERT_EQ(1, count_entries(self->dir));
}

TEST_F(dir, first_reading_or_write_failing_is_an_error)
{
	struct script s = { .path = self->path, .stop = &loop_stop,
			    .fail_from = 1, .fail_to = 1 };
	struct prom_export e = {
		.path = self->path, .interval_ms = 40,
		.read = scripted_read, .read_arg = &s, .stop = &loop_stop,
	};
	char path[256];
	int saved;

	loop_stop = 0;
	saved = stderr_begin();
	ASSERT_LE(0, saved);
	ASSERT_EQ(1, prom_export_run(&e));
	stderr_end(saved, self->buf, sizeof(self->buf));
	ASSERT_STREQ("tcpstate-watch: scripted failure 1\n", self->buf);
	ASSERT_EQ(1, s.calls);
	ASSERT_EQ(0, count_entries(self->dir));

	memset(&s, 0, sizeof(s));
	s.path = self->path;
	s.stop = &loop_stop;
	snprintf(path, sizeof(path), "%s/missing/tcpstate.prom", self->dir);
	e.path = path;
	saved = stderr_begin();
	ASSERT_LE(0, saved);
	ASSERT_EQ(1, prom_export_run(&e));
	stderr_end(saved, self->buf, sizeof(self->buf));
	snprintf(self->want, sizeof(self->want),
		 "tcpstate-watch: --prometheus %s: No such file or directory\n",
		 path);
	ASSERT_STREQ(self->want, self->buf);
	ASSERT_EQ(1, s.calls);
}

/* The module went away: no stale file; back: the file is back. */
TEST_F(dir, a_failed_reading_removes_the_file_until_it_recovers)
{
	struct script s = { .path = self->path, .stop = &loop_stop,
			    .fail_from = 2, .fail_to = 3, .stop_after = 5 };
	struct prom_export e = {
		.path = self->path, .interval_ms = 20,
		.read = scripted_read, .read_arg = &s, .stop = &loop_stop,
	};
	int saved;

	loop_stop = 0;
	saved = stderr_begin();
	ASSERT_LE(0, saved);
	ASSERT_EQ(0, prom_export_run(&e));
	stderr_end(saved, self->buf, sizeof(self->buf));
	/* Said once when it starts, once when it ends. */
	snprintf(self->want, sizeof(self->want),
		 "tcpstate-watch: scripted failure 2: removed %s until the counters can be read again\n"
		 "tcpstate-watch: counters readable again\n", self->path);
	ASSERT_STREQ(self->want, self->buf);
	ASSERT_EQ(5, s.calls);
	ASSERT_EQ(0, s.file_seen[1]);	/* not yet written */
	ASSERT_EQ(1, s.file_seen[2]);	/* the first reading's */
	ASSERT_EQ(0, s.file_seen[3]);	/* removed after call 2 failed */
	ASSERT_EQ(0, s.file_seen[4]);	/* call 3 failed too */
	ASSERT_EQ(1, s.file_seen[5]);	/* call 4 wrote it again */
	ASSERT_LT(0, slurp_path(self->path, self->buf, sizeof(self->buf)));
	ASSERT_TRUE(text_is(_metadata, self->buf, TCPSTATE_NR_COUNTERS,
			    "4026532001", 5000, host_max_tw()));
}

static void on_alarm(int sig)
{
	(void)sig;
	loop_stop = 1;
}

/* A signal stops a long interval's wait at once. */
TEST_F(dir, a_signal_stops_a_long_wait)
{
	struct script s = { .path = self->path, .stop = &loop_stop };
	struct prom_export e = {
		.path = self->path, .interval_ms = 600000,
		.read = scripted_read, .read_arg = &s, .stop = &loop_stop,
	};
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct sigaction sa;
	long long t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	loop_stop = 0;
	t0 = now_ms();
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ASSERT_EQ(0, prom_export_run(&e));
	ASSERT_GT(2000, now_ms() - t0);
	ASSERT_EQ(1, s.calls);
}

/* ---- tcpstate-watch --prometheus, with the fake device ---- */

struct run {
	int status;		/* exit status, -1 if none (killed) */
	char out[OUT_MAX];
	char err[OUT_MAX];
};

/*
 * Start tcpstate-watch -d /dev/null ARGS with the fake preloaded
 * (TCPSTATE_FAKE_COUNTERS=@mode unless NULL); stdout and stderr go to
 * memfds. Returns the pid, or -1.
 */
static pid_t start_watch(const char *mode, const char *const *args,
			 int *out, int *err)
{
	const char *argv[24] = { "tcpstate-watch", "-d", "/dev/null" };
	char preload[PATH_MAX + 16], so[PATH_MAX], counters[64];
	unsigned int i;
	pid_t pid;

	*out = memfd_create("watch-stdout", MFD_CLOEXEC);
	*err = memfd_create("watch-stderr", MFD_CLOEXEC);
	if (*out < 0 || *err < 0)
		return -1;
	for (i = 0; args[i] && i + 4 < ARRAY_SIZE(argv); i++)
		argv[i + 3] = args[i];
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 beside_me("fake_tcpstate.so", so, sizeof(so)));
	snprintf(counters, sizeof(counters), "TCPSTATE_FAKE_COUNTERS=%s",
		 mode ? mode : "");
	pid = fork();
	if (pid == 0) {
		if (dup2(*out, STDOUT_FILENO) < 0 ||
		    dup2(*err, STDERR_FILENO) < 0 || putenv(preload) ||
		    (mode && putenv(counters)))
			_exit(127);
		execv(watch_path(), (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Wait up to @ms for @pid; on time-out kill it. Its status, or -1. */
static int reap(pid_t pid, int ms)
{
	long long end = now_ms() + ms;
	int wstatus;

	while (waitpid(pid, &wstatus, WNOHANG) != pid) {
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &wstatus, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

static int run_watch(struct run *r, const char *mode,
		     const char *const *args)
{
	int out, err;
	pid_t pid = start_watch(mode, args, &out, &err);

	if (pid < 0)
		return -1;
	r->status = reap(pid, 10000);
	slurp_fd(out, r->out, sizeof(r->out));
	slurp_fd(err, r->err, sizeof(r->err));
	return 0;
}

#define RUN(r, mode, ...) do {						\
	const char *const _args[] = { __VA_ARGS__, NULL };		\
	ASSERT_EQ(0, run_watch(r, mode, _args));			\
} while (0)

#define ASSERT_USAGE(r, needle) do {					\
	ASSERT_EQ(2, (r)->status) TH_LOG("stderr '%s'", (r)->err);	\
	ASSERT_NE(NULL, strstr((r)->err, needle))			\
		TH_LOG("stderr '%s'", (r)->err);			\
} while (0)

FIXTURE(watch) {
	struct run r;
	char dir[64];
	char path[128];
	char buf[PROM_TEXT_MAX];
};

FIXTURE_SETUP(watch)
{
	memset(&self->r, 0, sizeof(self->r));
	ASSERT_EQ(0, access(watch_path(), X_OK))
		TH_LOG("no executable %s: build it or set TCPSTATE_WATCH",
		       watch_path());
	strcpy(self->dir, "/tmp/tcpstate-promw-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/tcpstate.prom",
		 self->dir);
}

FIXTURE_TEARDOWN(watch)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

TEST_F(watch, options)
{
	RUN(&self->r, NULL, "--prometheus");
	ASSERT_USAGE(&self->r, "option '--prometheus' needs an argument");
	RUN(&self->r, NULL, "--prometheus", "");
	ASSERT_USAGE(&self->r, "--prometheus: expected a file name");
	RUN(&self->r, NULL, "--prometheus", self->path, "-e");
	ASSERT_USAGE(&self->r, "--prometheus cannot be combined with -e/--events");
	/* -i is the period, not a stream option that hides the next. */
	RUN(&self->r, NULL, "-i", "1", "--prometheus", self->path, "-j");
	ASSERT_USAGE(&self->r, "--prometheus cannot be combined with -j/--json");
	RUN(&self->r, NULL, "--prometheus", self->path, "-L", "80");
	ASSERT_USAGE(&self->r, "--prometheus cannot be combined with -L/--localport");
	RUN(&self->r, NULL, "--prometheus", self->path, "-i", "0");
	ASSERT_USAGE(&self->r, "-i must be more than 0");
	RUN(&self->r, NULL, "--prometheus", "-");
	ASSERT_USAGE(&self->r, "stdout only with --counters");
	RUN(&self->r, NULL, "--counters", "--prometheus", self->path, "-i", "2");
	ASSERT_USAGE(&self->r, "--counters cannot be combined with -i/--interval");
	ASSERT_EQ(0, count_entries(self->dir));
}

TEST_F(watch, help_and_man_page_name_it)
{
	char man[PATH_MAX], name[64], line[128];
	unsigned int i;

	RUN(&self->r, NULL, "--help");
	ASSERT_EQ(0, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.out, "--prometheus FILE"));
	ASSERT_NE(NULL, strstr(self->r.out, "tcpstate_<counter>_total"));
	ASSERT_LT(0, slurp_path(beside_me("../tcpstate-watch.8", man,
					  sizeof(man)),
				self->r.out, sizeof(self->r.out)));
	ASSERT_NE(NULL, strstr(self->r.out, "\\-\\-prometheus"));
	/* Its table lists every metric, each with its type. */
	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++) {
		ASSERT_LT(0, prom_metric_name(i, name, sizeof(name)));
		snprintf(line, sizeof(line), "\n%-38s %s\n", name,
			 prom_is_gauge(i) ? "gauge" : "counter");
		ASSERT_NE(NULL, strstr(self->r.out, line))
			TH_LOG("the man page does not list '%s'", name);
	}
	snprintf(line, sizeof(line), "\n%-38s gauge\n",
		 PROM_MAX_TW_BUCKETS_METRIC);
	ASSERT_NE(NULL, strstr(self->r.out, line))
		TH_LOG("the man page does not list " PROM_MAX_TW_BUCKETS_METRIC);
}

/*
 * --counters --prometheus -: the same reading as --counters, each
 * "name value" line as its metric with the fake's netns.
 */
TEST_F(watch, once_to_stdout_is_what_counters_prints)
{
	char lines[OUT_MAX], want[256], metric[64], *line, *save, *sp;
	unsigned int i, n = 0;

	RUN(&self->r, NULL, "--counters");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	strcpy(lines, self->r.out);
	RUN(&self->r, NULL, "--counters", "--prometheus", "-");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("", self->r.err);
	for (line = strtok_r(lines, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		sp = strchr(line, ' ');
		ASSERT_NE(NULL, sp);
		*sp = '\0';
		for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
			if (!strcmp(line, tcpstate_counter_name(i)))
				break;
		ASSERT_GT(TCPSTATE_NR_COUNTERS, i) TH_LOG("'%s'", line);
		ASSERT_LT(0, prom_metric_name(i, metric, sizeof(metric)));
		snprintf(want, sizeof(want), "\n%s{netns=\"" FAKE_NETNS "\"} %s\n",
			 metric, sp + 1);
		ASSERT_NE(NULL, strstr(self->r.out, want)) TH_LOG("%s", want);
		n++;
	}
	ASSERT_EQ(TCPSTATE_NR_COUNTERS, n);
	/* And the namespace's tcp_max_tw_buckets, as the sysctl says. */
	ASSERT_LE(0, host_max_tw());
	snprintf(want, sizeof(want),
		 "\n# TYPE tcpstate_tcp_max_tw_buckets gauge\n"
		 "tcpstate_tcp_max_tw_buckets{netns=\"" FAKE_NETNS "\"} %lld\n",
		 host_max_tw());
	ASSERT_NE(NULL, strstr(self->r.out, want)) TH_LOG("%s", want);
	/* HELP, TYPE and the sample for each, nothing else. */
	for (n = 0, sp = self->r.out; *sp; sp++)
		n += *sp == '\n';
	ASSERT_EQ(3 * (TCPSTATE_NR_COUNTERS + 1), n);
}

TEST_F(watch, once_to_a_file)
{
	RUN(&self->r, NULL, "--counters", "--prometheus", self->path);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("", self->r.out);
	ASSERT_STREQ("", self->r.err);
	ASSERT_LT(0, slurp_path(self->path, self->buf, sizeof(self->buf)));
	ASSERT_NE(NULL, strstr(self->buf,
			       "\ntcpstate_ring_drops_total{netns=\"" FAKE_NETNS "\"} 17000\n"));
	ASSERT_EQ(1, count_entries(self->dir));
}

TEST_F(watch, a_module_without_counters_fails_at_once)
{
	RUN(&self->r, "enotty", "--prometheus", self->path, "-i", "0.1");
	ASSERT_EQ(1, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.err, "it has no counters"))
		TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(0, count_entries(self->dir));
	RUN(&self->r, NULL, "--prometheus", "/nonexistent-dir/x.prom");
	ASSERT_EQ(1, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.err,
			       "--prometheus /nonexistent-dir/x.prom: No such file or directory"))
		TH_LOG("stderr '%s'", self->r.err);
}

/*
 * The fake's counters grow by (i + 1) at each reading: each file seen is
 * one whole reading (every metric, one k: value = (i + 1) * (1000 + k)),
 * and k grows between files. SIGTERM stops it with status 0, leaving the
 * last file and no temporary.
 */
static int file_reading(const char *text)
{
	char name[64], needle[96];
	unsigned long long v;
	const char *p;
	unsigned int i;
	int k = -1;

	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++) {
		if (prom_metric_name(i, name, sizeof(name)) < 0)
			return -1;
		snprintf(needle, sizeof(needle), "\n%s{netns=\"" FAKE_NETNS "\"} ",
			 name);
		p = strstr(text, needle);
		if (!p)
			return -1;
		v = strtoull(p + strlen(needle), NULL, 10);
		if (v % (i + 1) || v / (i + 1) < 1000)
			return -1;
		if (k < 0)
			k = (int)(v / (i + 1) - 1000);
		else if (v / (i + 1) - 1000 != (unsigned long long)k)
			return -1;
	}
	return k;
}

TEST_F(watch, periodic_file_until_sigterm)
{
	const char *const args[] = { "--prometheus", self->path, "-i", "0.1",
				     NULL };
	int out, err, k, first = -1, last = -1, status;
	long long end;
	pid_t pid;

	pid = start_watch(NULL, args, &out, &err);
	ASSERT_LT(0, pid);
	end = now_ms() + 5000;
	while (now_ms() < end && (last < 0 || last <= first + 2)) {
		if (slurp_path(self->path, self->buf, sizeof(self->buf)) > 0) {
			k = file_reading(self->buf);
			if (k < 0) {
				kill(pid, SIGKILL);
				reap(pid, 1000);
			}
			ASSERT_LE(0, k) TH_LOG("a torn or wrong file:\n%s",
					       self->buf);
			ASSERT_LE(last, k);
			if (first < 0)
				first = k;
			last = k;
		}
		usleep(20000);
	}
	ASSERT_EQ(0, kill(pid, SIGTERM));
	status = reap(pid, 3000);
	slurp_fd(out, self->r.out, sizeof(self->r.out));
	slurp_fd(err, self->r.err, sizeof(self->r.err));
	ASSERT_EQ(0, status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("", self->r.err);
	ASSERT_STREQ("", self->r.out);
	ASSERT_EQ(0, first) TH_LOG("the first file is the first reading");
	ASSERT_LT(first + 2, last) TH_LOG("the file was not rewritten");
	ASSERT_EQ(1, count_entries(self->dir));
}

TEST_HARNESS_MAIN
