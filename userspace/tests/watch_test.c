// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch's command line: usage errors exit 2 with a message, a
 * missing device exits 1 saying how to load the module, --help and
 * --version exit 0. The binary is $TCPSTATE_WATCH, else ../tcpstate-watch
 * next to this test's directory.
 *
 * The "fake" tests run it with fake_tcpstate.so (next to this test)
 * preloaded, which makes /dev/null an idle tcpstate device with counters:
 * enough for --counters and -i end to end without the module.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "format.h"
#include "ring_reader.h"

#define OUT_MAX 8192

struct run {
	int status;		/* exit status, or -1 if it did not exit */
	char out[OUT_MAX];	/* stdout */
	char err[OUT_MAX];	/* stderr */
};

/* @name in this test's own directory. */
static const char *beside_me(const char *name, char *path, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return name;
	exe[n] = '\0';
	snprintf(path, len, "%s/%s", dirname(exe), name);
	return path;
}

static const char *fake_so_path(void)
{
	static char path[PATH_MAX];

	return beside_me("fake_tcpstate.so", path, sizeof(path));
}

static const char *watch_path(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	const char *env = getenv("TCPSTATE_WATCH");
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return "./tcpstate-watch";
	exe[n] = '\0';
	/* exe is .../userspace/tests/watch_test */
	snprintf(path, sizeof(path), "%s/../tcpstate-watch", dirname(exe));
	return path;
}

static void slurp(int fd, char *buf, size_t len)
{
	ssize_t n, total = 0;

	lseek(fd, 0, SEEK_SET);
	while ((size_t)total < len - 1 &&
	       (n = read(fd, buf + total, len - 1 - total)) > 0)
		total += n;
	buf[total] = '\0';
	close(fd);
}

/*
 * Run tcpstate-watch with @args (NULL-terminated) and collect its output;
 * @env (NAME=VALUE strings, NULL-terminated, or NULL) is added to its
 * environment. Output goes to memfds rather than pipes so that a chatty
 * child cannot block on a full pipe while we wait for it. Returns 0 or -1.
 */
static int run_watch(struct run *res, const char *const *env,
		     const char *const *args)
{
	const char *argv[16] = { "tcpstate-watch" };
	int out = memfd_create("watch-stdout", MFD_CLOEXEC);
	int err = memfd_create("watch-stderr", MFD_CLOEXEC);
	unsigned int i;
	int wstatus;
	pid_t pid;

	if (out < 0 || err < 0)
		return -1;
	for (i = 0; args[i] && i + 2 < ARRAY_SIZE(argv); i++)
		argv[i + 1] = args[i];

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
			_exit(127);
		for (i = 0; env && env[i]; i++)
			if (putenv((char *)env[i]))
				_exit(127);
		execv(watch_path(), (char *const *)argv);
		dprintf(STDERR_FILENO, "exec %s failed\n", watch_path());
		_exit(127);
	}
	if (waitpid(pid, &wstatus, 0) != pid)
		return -1;
	res->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
	slurp(out, res->out, sizeof(res->out));
	slurp(err, res->err, sizeof(res->err));
	return 0;
}

#define RUN(res, ...) do {						\
	const char *const _args[] = { __VA_ARGS__, NULL };		\
	ASSERT_EQ(0, run_watch(res, NULL, _args));			\
} while (0)

/*
 * Run with the fake device on /dev/null (-d /dev/null comes first in
 * argv). @mode: TCPSTATE_FAKE_COUNTERS ("enotty", a counter count, or
 * NULL for the default); @stop_ms: TCPSTATE_FAKE_STOP_MS, when the fake
 * sends SIGINT (0: never); @late_ms: TCPSTATE_FAKE_POLL_LATE_MS.
 */
static int run_fake(struct run *res, const char *mode, int stop_ms,
		    int late_ms, const char *const *args)
{
	char preload[PATH_MAX + 16], stop[64], late[64], counters[64];
	const char *const env[] = { preload, stop, late,
				    mode ? counters : NULL, NULL };

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", fake_so_path());
	snprintf(stop, sizeof(stop), "TCPSTATE_FAKE_STOP_MS=%d", stop_ms);
	snprintf(late, sizeof(late), "TCPSTATE_FAKE_POLL_LATE_MS=%d", late_ms);
	snprintf(counters, sizeof(counters), "TCPSTATE_FAKE_COUNTERS=%s",
		 mode ? mode : "");
	return run_watch(res, env, args);
}

#define RUN_FAKE(res, mode, stop_ms, ...) do {				\
	const char *const _args[] = { "-d", "/dev/null", ##__VA_ARGS__,	\
				      NULL };				\
	ASSERT_EQ(0, run_fake(res, mode, stop_ms, 0, _args));		\
} while (0)

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

FIXTURE(cli) {
	struct run r;
};

FIXTURE_SETUP(cli)
{
	memset(&self->r, 0, sizeof(self->r));
	ASSERT_EQ(0, access(watch_path(), X_OK))
		TH_LOG("no executable %s: build it or set TCPSTATE_WATCH",
		       watch_path());
}

FIXTURE_TEARDOWN(cli)
{
}

static int usage_failed(const struct run *r, const char *needle)
{
	return r->status == 2 && r->out[0] == '\0' &&
	       strstr(r->err, "tcpstate-watch: ") == r->err &&
	       strstr(r->err, needle) && strstr(r->err, "--help");
}

TEST_F(cli, count_not_a_number)
{
	RUN(&self->r, "-c", "abc");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count 'abc'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, count_negative)
{
	RUN(&self->r, "-c", "-1");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count '-1'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, count_zero_plus_and_trailing_junk)
{
	RUN(&self->r, "--count", "0");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count '0'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
	RUN(&self->r, "-c", "+5");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count '+5'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
	RUN(&self->r, "-c", "10x");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count '10x'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
	RUN(&self->r, "-c", "");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count ''"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, count_out_of_range)
{
	RUN(&self->r, "-c", "99999999999999999999999");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, count_missing_argument)
{
	RUN(&self->r, "-c");
	ASSERT_TRUE(usage_failed(&self->r, "option '-c' needs an argument"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
	RUN(&self->r, "--device");
	ASSERT_TRUE(usage_failed(&self->r,
				 "option '--device' needs an argument"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, unknown_short_option)
{
	RUN(&self->r, "-x");
	ASSERT_TRUE(usage_failed(&self->r, "unknown option '-x'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, unknown_long_option)
{
	RUN(&self->r, "--bogus");
	ASSERT_TRUE(usage_failed(&self->r, "unknown option '--bogus'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, unexpected_argument)
{
	RUN(&self->r, "extra");
	ASSERT_TRUE(usage_failed(&self->r, "unexpected argument 'extra'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

/* Usage errors win over the device: nothing is opened. */
TEST_F(cli, bad_option_checked_before_device)
{
	RUN(&self->r, "-d", "/nonexistent", "-c", "abc");
	ASSERT_TRUE(usage_failed(&self->r, "invalid count 'abc'"))
		TH_LOG("status %d, stdout '%s', stderr '%s'", self->r.status,
		       self->r.out, self->r.err);
}

TEST_F(cli, missing_device_says_load_the_module)
{
	RUN(&self->r, "-d", "/nonexistent");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.err, "/nonexistent"));
	ASSERT_NE(NULL, strstr(self->r.err, "is tcpstate.ko loaded?"));
}

/* /dev/null does not know our ioctl: the ABI check must catch it. */
TEST_F(cli, wrong_device_is_refused)
{
	RUN(&self->r, "--device", "/dev/null", "-c", "1");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.err, "/dev/null"));
	ASSERT_NE(NULL, strstr(self->r.err, "ABI mismatch"));
}

TEST_F(cli, help)
{
	RUN(&self->r, "--help");
	ASSERT_EQ(0, self->r.status);
	ASSERT_EQ(0, strncmp(self->r.out, "USAGE: tcpstate-watch", 21));
	ASSERT_NE(NULL, strstr(self->r.out, "EXAMPLES:"));
	ASSERT_NE(NULL, strstr(self->r.out, "--device"));
	ASSERT_NE(NULL, strstr(self->r.out, "--count"));
	ASSERT_NE(NULL, strstr(self->r.out, "--interval"));
	ASSERT_NE(NULL, strstr(self->r.out, "--counters"));
	ASSERT_STREQ("", self->r.err);

	RUN(&self->r, "-h");
	ASSERT_EQ(0, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.out, "USAGE:"));
}

TEST_F(cli, version_shows_abi)
{
	char abi[32];

	snprintf(abi, sizeof(abi), "ABI v%u)\n", TCPSTATE_ABI_VERSION);
	RUN(&self->r, "-V");
	ASSERT_EQ(0, self->r.status);
	ASSERT_EQ(0, strncmp(self->r.out, "tcpstate-watch ", 15));
	ASSERT_NE(NULL, strstr(self->r.out, abi));
	RUN(&self->r, "--version");
	ASSERT_EQ(0, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.out, abi));
}

#define ASSERT_USAGE(r, needle)						\
	ASSERT_TRUE(usage_failed(r, needle))				\
		TH_LOG("status %d, stdout '%s', stderr '%s'", (r)->status, \
		       (r)->out, (r)->err)

TEST_F(cli, interval_rejects_non_numbers)
{
	static const char *const bad[] = {
		"abc", "", "-1", "+1", " 1", "1s", "1,5", "0x10", "1e3",
		"inf", "nan", "1.", ".5", "1..5", "1.5.", "--1",
	};
	char want[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		RUN(&self->r, "-i", bad[i]);
		snprintf(want, sizeof(want), "invalid interval '%s'", bad[i]);
		ASSERT_USAGE(&self->r, want);
	}
}

/* poll() counts milliseconds: finer intervals are refused, not rounded. */
TEST_F(cli, interval_rejects_sub_millisecond)
{
	RUN(&self->r, "--interval", "0.0005");
	ASSERT_USAGE(&self->r, "invalid interval '0.0005'");
	RUN(&self->r, "-i", "1.2345");
	ASSERT_USAGE(&self->r, "at most 3 decimals");
}

TEST_F(cli, interval_out_of_range)
{
	RUN(&self->r, "-i", "86400.001");
	ASSERT_USAGE(&self->r, "from 0 to 86400");
	RUN(&self->r, "-i", "86401");
	ASSERT_USAGE(&self->r, "invalid interval '86401'");
	RUN(&self->r, "-i", "99999999999999999999999");
	ASSERT_USAGE(&self->r, "invalid interval");
}

TEST_F(cli, interval_missing_argument)
{
	RUN(&self->r, "-i");
	ASSERT_USAGE(&self->r, "option '-i' needs an argument");
	RUN(&self->r, "--interval");
	ASSERT_USAGE(&self->r, "option '--interval' needs an argument");
}

/* Valid intervals get past parsing to the device (0 is "off"). */
TEST_F(cli, interval_valid_values_reach_the_device)
{
	static const char *const good[] = {
		"0", "0.0", "1", "0.5", "0.001", "2.25", "007", "86400",
		"86400.000",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		RUN(&self->r, "-i", good[i], "-d", "/nonexistent");
		ASSERT_EQ(1, self->r.status) TH_LOG("-i %s", good[i]);
		ASSERT_NE(NULL, strstr(self->r.err, "is tcpstate.ko loaded?"));
	}
}

TEST_F(cli, counters_with_count_or_interval)
{
	RUN(&self->r, "--counters", "-c", "5");
	ASSERT_USAGE(&self->r, "--counters cannot be combined with -c/--count");
	RUN(&self->r, "-i", "1", "--counters");
	ASSERT_USAGE(&self->r,
		     "--counters cannot be combined with -i/--interval");
	/* Checked before the device is opened. */
	RUN(&self->r, "--counters", "-i", "2", "-d", "/nonexistent");
	ASSERT_USAGE(&self->r, "cannot be combined");
	/* -i 0 is the default, so it combines. */
	RUN(&self->r, "--counters", "-i", "0", "-d", "/nonexistent");
	ASSERT_EQ(1, self->r.status);
}

TEST_F(cli, counters_takes_no_argument)
{
	RUN(&self->r, "--counters=1");
	ASSERT_USAGE(&self->r, "option '--counters' takes no argument");
	RUN(&self->r, "--help=x");
	ASSERT_USAGE(&self->r, "option '--help' takes no argument");
}

TEST_F(cli, counters_missing_device_says_load_the_module)
{
	RUN(&self->r, "--counters", "-d", "/nonexistent");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_EQ(0, strncmp(self->r.err, "tcpstate-watch: /nonexistent: ", 30))
		TH_LOG("stderr '%s'", self->r.err);
	ASSERT_NE(NULL, strstr(self->r.err, "is tcpstate.ko loaded?"));
}

/* GET_INFO identifies the device first, so a wrong one is not taken for
 * an old module.
 */
TEST_F(cli, counters_wrong_device_is_refused)
{
	RUN(&self->r, "--counters", "-d", "/dev/null");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.err, "ABI mismatch"));
	ASSERT_EQ(NULL, strstr(self->r.err, "older"));
}

TEST_F(cli, help_lists_every_event_type)
{
	unsigned int type;

	RUN(&self->r, "--help");
	ASSERT_EQ(0, self->r.status);
	for (type = TCPSTATE_EV_SYN_RECV; type <= TCPSTATE_EV_TIMEWAIT_END;
	     type++)
		ASSERT_NE(NULL, strstr(self->r.out,
				       tcpstate_event_type_name(type)))
			TH_LOG("type %u", type);
	ASSERT_NE(NULL, strstr(self->r.out, "child="));
	ASSERT_NE(NULL, strstr(self->r.out, "from="));
	ASSERT_NE(NULL, strstr(self->r.out, "unknown(N)"));
}

FIXTURE(fake) {
	struct run r;
};

FIXTURE_SETUP(fake)
{
	memset(&self->r, 0, sizeof(self->r));
	ASSERT_EQ(0, access(watch_path(), X_OK))
		TH_LOG("no executable %s: build it or set TCPSTATE_WATCH",
		       watch_path());
	ASSERT_EQ(0, access(fake_so_path(), R_OK))
		TH_LOG("no %s: make tests builds it", fake_so_path());
}

FIXTURE_TEARDOWN(fake)
{
}

/* The fake's first reading: value[i] = (i + 1) * 1000. */
TEST_F(fake, counters_prints_name_value_lines)
{
	char want[OUT_MAX], *p = want;
	unsigned int i;

	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		p += snprintf(p, sizeof(want) - (size_t)(p - want), "%s %u\n",
			      tcpstate_counter_name(i), (i + 1) * 1000);
	RUN_FAKE(&self->r, NULL, 0, "--counters");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ(want, self->r.out);
	ASSERT_STREQ("", self->r.err);
	ASSERT_EQ(0, strncmp(self->r.out, "syn_recv 1000\ntime_wait 2000\n"
			     "syn_queue_added 3000\n", 50));
	ASSERT_NE(NULL, strstr(self->r.out, "\nring_drops 17000\n"));
}

/* An older module fills fewer counters: print those, not zeros. */
TEST_F(fake, counters_from_a_module_with_fewer)
{
	RUN_FAKE(&self->r, "2", 0, "--counters");
	ASSERT_EQ(0, self->r.status);
	ASSERT_STREQ("syn_recv 1000\ntime_wait 2000\n", self->r.out);
}

/* A newer one fills more: the ones without a name here are left out. */
TEST_F(fake, counters_from_a_module_with_more)
{
	char nr[16];

	snprintf(nr, sizeof(nr), "%u", TCPSTATE_MAX_COUNTERS);
	RUN_FAKE(&self->r, nr, 0, "--counters");
	ASSERT_EQ(0, self->r.status);
	ASSERT_EQ(TCPSTATE_NR_COUNTERS, count_lines(self->r.out));
	ASSERT_NE(NULL, strstr(self->r.out, "\nring_drops 17000\n"));
	ASSERT_EQ(NULL, strstr(self->r.out, "(null)"));
}

TEST_F(fake, counters_nr_past_the_struct_is_refused)
{
	char nr[16];

	snprintf(nr, sizeof(nr), "%u", TCPSTATE_MAX_COUNTERS + 1);
	RUN_FAKE(&self->r, nr, 0, "--counters");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.err, "more than 32 counters"));
}

TEST_F(fake, counters_enotty_says_module_is_older)
{
	RUN_FAKE(&self->r, "enotty", 0, "--counters");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_STREQ("tcpstate-watch: /dev/null: tcpstate.ko is older than "
		     "this reader: it has no counters "
		     "(TCPSTATE_IOC_GET_COUNTERS): load a newer module\n",
		     self->r.err);
}

/* -i needs the counters: an old module fails before the header, which
 * scripts take as "ready".
 */
TEST_F(fake, interval_enotty_fails_before_the_header)
{
	RUN_FAKE(&self->r, "enotty", 0, "-i", "1");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.err, "older than this reader"));
	ASSERT_NE(NULL, strstr(self->r.err, "or run without -i"));
}

/* Without -i the counters are never asked for. */
TEST_F(fake, no_interval_needs_no_counters)
{
	RUN_FAKE(&self->r, "enotty", 300);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(0, strncmp(self->r.out, "TIME ", 5));
	ASSERT_STREQ("tcpstate-watch: 0 events, 0 dropped\n", self->r.err);
}

/*
 * -i 0.2 for 1.1 s of an idle ring: status lines on stderr at 0.2, 0.4,
 * ... 1.0 s, stdout only the header. Each fake reading adds i + 1 to
 * counter i: 3 syn_queue_added, 14 timewait_created, 10 accept_overflows
 * and 17 ring_drops per line, the gauges one more each time.
 */
TEST_F(fake, interval_prints_status_lines)
{
	double syn, tw, prev_syn_recv = 1000;
	unsigned long long syn_recv, time_wait, overflows, drops;
	unsigned int netns, lines = 0;
	char *line, *save;
	int n;

	RUN_FAKE(&self->r, NULL, 1100, "-i", "0.2");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(0, strncmp(self->r.out, "TIME ", 5));
	ASSERT_EQ(1, count_lines(self->r.out));

	for (line = strtok_r(self->r.err, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "tcpstate-watch: 0 events, 0 dropped"))
			continue;
		n = -1;
		sscanf(line, "tcpstate-watch: netns %u SYN_RECV %llu "
		       "TIME_WAIT %llu | +%lf syn/s +%lf tw/s, %llu "
		       "overflows, %llu ring drops%n", &netns, &syn_recv,
		       &time_wait, &syn, &tw, &overflows, &drops, &n);
		ASSERT_EQ((int)strlen(line), n) TH_LOG("line '%s'", line);
		lines++;
		ASSERT_EQ(4026531840U, netns);
		/* Gauges are the values now: a fresh reading every line. */
		ASSERT_EQ(prev_syn_recv + 1, (double)syn_recv);
		ASSERT_EQ(2000 + (syn_recv - 1000) * 2, time_wait);
		prev_syn_recv = (double)syn_recv;
		ASSERT_EQ(10, overflows);
		ASSERT_EQ(17, drops);
		/*
		 * 3 and 14 per reading, both over the same elapsed time, so
		 * tw = syn * 14 / 3 up to the rounding of each to 0.1 (0.05 *
		 * 14 / 3 + 0.05 < 0.3). The time itself is not checked: a
		 * late line followed by one on time covers less than the
		 * interval, and a loaded machine may stretch it.
		 */
		ASSERT_LT(0.0, syn) TH_LOG("line '%s'", line);
		ASSERT_TRUE(tw > syn * 14 / 3 - 0.3 && tw < syn * 14 / 3 + 0.3)
			TH_LOG("line '%s'", line);
	}
	/* 5 on time; a slow machine may skip one, never add one. */
	ASSERT_TRUE(lines >= 4 && lines <= 5) TH_LOG("%u status lines", lines);
}

/* Status lines on stderr, the "N events" summary left out. */
static unsigned int status_lines(const char *err)
{
	unsigned int n = 0;

	for (; (err = strstr(err, "tcpstate-watch: netns ")); err++)
		n++;
	return n;
}

/*
 * Deadlines stay on the start + k * interval grid when every wakeup is
 * late. With polls 50 ms late, -i 0.2 for 1.15 s prints at 0.25, 0.45,
 * 0.65, 0.85 and 1.05 s; a loop that counted each interval from its late
 * wakeup would print at 0.25, 0.5, 0.75 and 1.0 s only.
 */
TEST_F(fake, interval_does_not_drift)
{
	const char *const args[] = { "-d", "/dev/null", "-i", "0.2", NULL };

	ASSERT_EQ(0, run_fake(&self->r, NULL, 1150, 50, args));
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(5, status_lines(self->r.err))
		TH_LOG("stderr '%s'", self->r.err);
}

TEST_HARNESS_MAIN
