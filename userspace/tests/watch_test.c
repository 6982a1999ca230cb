// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch's command line: usage errors exit 2 with a message, a
 * missing device exits 1 saying how to load the module, --help and
 * --version exit 0. The binary is $TCPSTATE_WATCH, else ../tcpstate-watch
 * next to this test's directory.
 *
 * The "fake" tests run it with fake_tcpstate.so (next to this test)
 * preloaded, which makes /dev/null an idle tcpstate device with counters:
 * enough for --counters and -i end to end without the module. The
 * "replay" tests have the fake replay the synthetic stream of synth.h
 * through its ring: sequences, -e, JSON (parsed by python3 with
 * check_json.py), filters in the kernel and in userspace, -c, --duration,
 * --flush, --summary.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "names.h"
#include "event_output.h"
#include "owner.h"
#include "ring_reader.h"
#include "sequence.h"
#include "synth.h"
#include "helpers.h"

#define OUT_MAX 65536

struct run {
	int status;		/* exit status, or -1 if it did not exit */
	char out[OUT_MAX];	/* stdout */
	char err[OUT_MAX];	/* stderr */
};

static const char *fake_so_path(void)
{
	static char path[PATH_MAX];

	return beside_me("fake_tcpstate.so", path, sizeof(path));
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
	const char *argv[24] = { "tcpstate-watch" };
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
	slurp_fd(out, res->out, sizeof(res->out));
	slurp_fd(err, res->err, sizeof(res->err));
	return 0;
}

#define RUN(res, ...) do {						\
	const char *const _args[] = { __VA_ARGS__, NULL };		\
	ASSERT_EQ(0, run_watch(res, NULL, _args));			\
} while (0)

/*
 * The fake as a module that missed no probe (unset, its
 * probes_missed_since_seed grows like every counter): runs that do not
 * test the warning go without it.
 */
#define NOTHING_MISSED "TCPSTATE_FAKE_MISSED=0"

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
	const char *const env[] = { preload, stop, late, NOTHING_MISSED,
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

/* RUN_FAKE with one more NAME=VALUE, @extra, in the environment (after
 * NOTHING_MISSED: it may set TCPSTATE_FAKE_MISSED).
 */
static int run_fake_with(struct run *res, const char *extra, int stop_ms,
			 const char *const *args)
{
	char preload[PATH_MAX + 16], stop[64];
	const char *const env[] = { preload, stop, NOTHING_MISSED, extra,
				    NULL };

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", fake_so_path());
	snprintf(stop, sizeof(stop), "TCPSTATE_FAKE_STOP_MS=%d", stop_ms);
	return run_watch(res, env, args);
}

#define RUN_FAKE_WITH(res, extra, stop_ms, ...) do {			\
	const char *const _args[] = { "-d", "/dev/null", ##__VA_ARGS__,	\
				      NULL };				\
	ASSERT_EQ(0, run_fake_with(res, extra, stop_ms, _args));	\
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

TEST_F(cli, owner_filters_need_a_valid_argument)
{
	static const char *const bad[][3] = {
		{ "--pid", "0", "--pid: invalid process id '0'" },
		{ "--pid", "4194305", "--pid: invalid process id '4194305'" },
		{ "--pid", "-1", "--pid: invalid process id '-1'" },
		{ "--comm", "", "--comm: expected a task name" },
		{ "--cgroup", "/no/such/cgroup.tcpstate", "--cgroup: no " },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		RUN(&self->r, bad[i][0], bad[i][1]);
		ASSERT_EQ(2, self->r.status) TH_LOG("%s", bad[i][0]);
		ASSERT_NE(NULL, strstr(self->r.err, bad[i][2]))
			TH_LOG("'%s'", self->r.err);
	}
	RUN(&self->r, "--counters", "--who");
	ASSERT_EQ(2, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.err,
			       "--counters cannot be combined with --who"));
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

/*
 * The fake's first reading: value[i] = (i + 1) * 1000, but
 * probes_missed_since_seed 0.
 */
/*
 * A module of ABI 1 (the fake posing as one): the stream, --counters and
 * --reseed all stop before anything else, with status 1 and the message
 * that names both versions and what to do.
 */
TEST_F(fake, old_module_abi_is_named)
{
	static const char *const modes[][2] = {
		{ "-c", "1" }, { "--counters", NULL }, { "--reseed", NULL },
	};
	char want[160];
	unsigned int k;

	snprintf(want, sizeof(want),
		 "/dev/null: ABI mismatch: tcpstate.ko speaks ABI 1, this tcpstate-watch needs ABI %u: load the tcpstate.ko that came with it\n",
		 TCPSTATE_ABI_VERSION);
	for (k = 0; k < ARRAY_SIZE(modes); k++) {
		const char *const args[] = { "-d", "/dev/null", modes[k][0],
					     modes[k][1], NULL };

		ASSERT_EQ(0, run_fake_with(&self->r, "TCPSTATE_FAKE_ABI=1", 0,
					   args));
		ASSERT_EQ(1, self->r.status) TH_LOG("%s", modes[k][0]);
		ASSERT_STREQ("", self->r.out);
		ASSERT_EQ(0, strncmp(self->r.err, "tcpstate-watch: ", 16));
		ASSERT_STREQ(want, self->r.err + 16);
	}
}

/* A newer module: the other side is to be replaced. */
TEST_F(fake, newer_module_abi_is_named)
{
	const char *const args[] = { "-d", "/dev/null", "-e", NULL };
	char want[160], abi[32];

	snprintf(abi, sizeof(abi), "TCPSTATE_FAKE_ABI=%u",
		 TCPSTATE_ABI_VERSION + 1);
	snprintf(want, sizeof(want),
		 "ABI mismatch: tcpstate.ko speaks ABI %u, this tcpstate-watch needs ABI %u: use the tcpstate-watch that came with that tcpstate.ko",
		 TCPSTATE_ABI_VERSION + 1, TCPSTATE_ABI_VERSION);
	ASSERT_EQ(0, run_fake_with(&self->r, abi, 0, args));
	ASSERT_EQ(1, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.err, want)) TH_LOG("%s", self->r.err);
}

TEST_F(fake, counters_prints_name_value_lines)
{
	char want[OUT_MAX], *p = want;
	unsigned int i;

	for (i = 0; i < TCPSTATE_NR_COUNTERS; i++)
		p += snprintf(p, sizeof(want) - (size_t)(p - want), "%s %u\n",
			      tcpstate_counter_name(i),
			      i == TCPSTATE_C_PROBES_MISSED_SINCE_SEED ? 0 :
			      (i + 1) * 1000);
	RUN_FAKE(&self->r, NULL, 0, "--counters");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ(want, self->r.out);
	ASSERT_STREQ("", self->r.err);
	ASSERT_EQ(0, strncmp(self->r.out, "syn_recv 1000\ntime_wait 2000\n"
			     "syn_queue_added 3000\n", 50));
	ASSERT_NE(NULL, strstr(self->r.out, "\nring_drops 17000\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "\nrsts_sent 20000\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "\nrsts_received 21000\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "\nrsts_no_socket 22000\n"));
}

/* --counters -j: one object, the counters in enum order. */
#define JSON_START "{\"netns\":4026531840,\"syn_recv\":1000," \
	"\"time_wait\":2000,\"syn_queue_added\":3000,"
TEST_F(fake, counters_json_is_one_object)
{
	RUN_FAKE(&self->r, NULL, 0, "--counters", "-j");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("", self->r.err);
	ASSERT_EQ(1, count_lines(self->r.out));
	ASSERT_EQ(0, strncmp(self->r.out, JSON_START, strlen(JSON_START)))
		TH_LOG("'%s'", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.out,
			       ",\"ring_drops\":17000,\"probes_missed\":18000,\"probes_missed_since_seed\":0,\"rsts_sent\":20000,\"rsts_received\":21000,\"rsts_no_socket\":22000,\"gauges_exact\":true}\n"))
		TH_LOG("'%s'", self->r.out);
}

#define MISSED_WARNING "tcpstate-watch: 7 probes missed since the gauges " \
	"were counted: SYN_RECV and TIME_WAIT may be inexact; " \
	"'tcpstate-watch --reseed' counts them again\n"
#define MISSED_JSON "{\"type\":\"warning\",\"warning\":\"gauges_inexact\"," \
	"\"probes_missed_since_seed\":7,\"remedy\":\"tcpstate-watch --reseed\"}\n"

static unsigned int occurrences(const char *s, const char *what)
{
	unsigned int n = 0;

	for (; (s = strstr(s, what)); s++)
		n++;
	return n;
}

/* Missed probes since the last count: --counters warns, -j says so. */
TEST_F(fake, counters_warn_of_missed_probes)
{
	RUN_FAKE_WITH(&self->r, "TCPSTATE_FAKE_MISSED=7", 0, "--counters");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_NE(NULL, strstr(self->r.out, "\nprobes_missed_since_seed 7\n"));
	ASSERT_STREQ(MISSED_WARNING, self->r.err);
	RUN_FAKE_WITH(&self->r, "TCPSTATE_FAKE_MISSED=7", 0, "--counters",
		      "-j");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_NE(NULL, strstr(self->r.out,
			       ",\"probes_missed_since_seed\":7,\"rsts_sent\":20000,\"rsts_received\":21000,\"rsts_no_socket\":22000,\"gauges_exact\":false}\n"));
	ASSERT_STREQ(MISSED_WARNING, self->r.err);
}

/*
 * The streams say it once, not once per reading; -j also as a warning
 * object after the start line; -i at the end of every status line.
 */
TEST_F(fake, streams_warn_of_missed_probes_once)
{
	char *nl;

	RUN_FAKE_WITH(&self->r, "TCPSTATE_FAKE_MISSED=7", 2300, "-e");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(1, occurrences(self->r.err, MISSED_WARNING))
		TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(0, occurrences(self->r.out, "probes missed"));

	RUN_FAKE_WITH(&self->r, "TCPSTATE_FAKE_MISSED=7", 1300, "-j");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(1, occurrences(self->r.err, MISSED_WARNING));
	ASSERT_EQ(0, strncmp(self->r.out, "{\"type\":\"start\",", 16));
	nl = strchr(self->r.out, '\n');
	ASSERT_NE(NULL, nl);
	ASSERT_STREQ(MISSED_JSON, nl + 1);

	RUN_FAKE_WITH(&self->r, "TCPSTATE_FAKE_MISSED=7", 700, "-i", "0.2");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(1, occurrences(self->r.err, MISSED_WARNING));
	ASSERT_LE(2, occurrences(self->r.err,
				 " ring drops | GAUGES INEXACT: 7 probes missed (--reseed)\n"))
		TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(0, occurrences(self->r.err, " ring drops\n"));
}

/* --reseed: the gauges after, and probes_missed_since_seed back to 0. */
TEST_F(fake, reseed_prints_the_gauges)
{
	RUN_FAKE_WITH(&self->r, "TCPSTATE_FAKE_MISSED=7", 0, "--reseed");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("syn_recv 1000\ntime_wait 2000\nprobes_missed_since_seed 0\n",
		     self->r.out);
	ASSERT_STREQ("", self->r.err);
	RUN_FAKE_WITH(&self->r, "TCPSTATE_FAKE_MISSED=7", 0, "--reseed", "-j");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("{\"netns\":4026531840,\"syn_recv\":1000,\"time_wait\":2000,\"gauges_exact\":true}\n",
		     self->r.out);
	/* A module from before the counter has no line for it. */
	RUN_FAKE(&self->r, "2", 0, "--reseed");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("syn_recv 1000\ntime_wait 2000\n", self->r.out);
}

TEST_F(fake, reseed_failures_say_why)
{
	static const struct {
		const char *env, *want;
	} cases[] = {
		{ "TCPSTATE_FAKE_RESEED=enotty",
		  "tcpstate-watch: /dev/null: this tcpstate.ko predates --reseed (no TCPSTATE_IOC_RESEED): load a newer module, or reload this one to count the gauges again\n" },
		{ "TCPSTATE_FAKE_RESEED=eperm",
		  "tcpstate-watch: /dev/null: --reseed needs CAP_NET_ADMIN: run it as root\n" },
		{ "TCPSTATE_FAKE_RESEED=ebusy",
		  "tcpstate-watch: /dev/null: another count of the gauges is running: try again\n" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		RUN_FAKE_WITH(&self->r, cases[i].env, 0, "--reseed");
		ASSERT_EQ(1, self->r.status);
		ASSERT_STREQ("", self->r.out);
		ASSERT_STREQ(cases[i].want, self->r.err);
	}
	/* Not the device at all: the open already says so. */
	RUN(&self->r, "--reseed", "-d", "/nonexistent");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
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

/* Without -i the counters are not needed (only the missed-probes
 * warning reads them, and goes without).
 */
TEST_F(fake, no_interval_needs_no_counters)
{
	RUN_FAKE(&self->r, "enotty", 300, "-e");
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(0, strncmp(self->r.out, "TIME ", 5));
	ASSERT_STREQ("tcpstate-watch: 0 events, 0 dropped\n", self->r.err);
	RUN_FAKE(&self->r, "enotty", 300);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(0, strncmp(self->r.out, "KIND ", 5));
	ASSERT_STREQ("tcpstate-watch: 0 events, 0 dropped, 0 sequences, 0 evicted\n",
		     self->r.err);
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
	ASSERT_EQ(0, strncmp(self->r.out, "KIND ", 5));
	ASSERT_EQ(1, count_lines(self->r.out));

	for (line = strtok_r(self->r.err, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "tcpstate-watch: 0 events, 0 dropped", 35))
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

/* ---- new options: usage ---- */

TEST_F(cli, filter_arguments_are_checked)
{
	static const struct {
		const char *opt, *arg, *want;
	} cases[] = {
		{ "-L", "0", "-L: invalid port list '0'" },
		{ "-L", "80,", "-L: invalid port list '80,'" },
		{ "--localport", "65536", "-L: invalid port list '65536'" },
		{ "-D", "http", "-D: invalid port list 'http'" },
		{ "--remoteport", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33",
		  "-D: more than 32 ports" },
		{ "--laddr", "10.1.2", "--laddr: invalid address '10.1.2'" },
		{ "--raddr", "example.com", "--raddr: invalid address 'example.com'" },
		{ "--netns", "0", "--netns: invalid inode '0'" },
		{ "--netns", "net:[4026531840]", "--netns: invalid inode" },
		{ "--state", "TIMEWAIT", "--state: unknown TCP state 'TIMEWAIT'" },
		{ "--duration", "0", "--duration: invalid duration '0'" },
		{ "--duration", "-1", "--duration: invalid duration '-1'" },
		{ "--duration", "1.0001", "at most 3 decimals" },
		{ "--max-conns", "0", "--max-conns: invalid count '0'" },
		{ "--max-conns", "1048577", "expected 1 to 1048576" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		RUN(&self->r, cases[i].opt, cases[i].arg, "-d", "/nonexistent");
		ASSERT_USAGE(&self->r, cases[i].want);
	}
}

TEST_F(cli, contradictions_are_refused)
{
	RUN(&self->r, "-4", "-6");
	ASSERT_USAGE(&self->r, "-4 and -6 exclude each other");
	RUN(&self->r, "-e", "--flush");
	ASSERT_USAGE(&self->r, "--flush shows connections in progress");
	RUN(&self->r, "--ladder", "-e");
	ASSERT_USAGE(&self->r, "--ladder draws connections");
	RUN(&self->r, "--ladder", "-j");
	ASSERT_USAGE(&self->r, "--ladder is a text view");
	RUN(&self->r, "-4", "--laddr", "::1");
	ASSERT_USAGE(&self->r, "-4 with an IPv6 address can match nothing");
	/* A v4-mapped address is an IPv4 one. */
	RUN(&self->r, "-4", "--raddr", "::ffff:10.0.0.1", "-d", "/nonexistent");
	ASSERT_EQ(1, self->r.status);
	RUN(&self->r, "--counters", "-e");
	ASSERT_USAGE(&self->r, "--counters cannot be combined with -e/--events");
	RUN(&self->r, "--reseed", "--counters");
	ASSERT_USAGE(&self->r, "--reseed cannot be combined with --counters");
	RUN(&self->r, "--reseed", "--prometheus", "/tmp/x.prom");
	ASSERT_USAGE(&self->r, "--reseed cannot be combined with --prometheus");
	RUN(&self->r, "--reseed", "-L", "80");
	ASSERT_USAGE(&self->r, "--reseed cannot be combined with -L/--localport");
	RUN(&self->r, "--reseed", "-i", "1");
	ASSERT_USAGE(&self->r, "--reseed cannot be combined with -i/--interval");
	RUN(&self->r, "--reseed", "-c", "1");
	ASSERT_USAGE(&self->r, "--reseed cannot be combined with -c/--count");
	RUN(&self->r, "-L", "80", "--counters");
	ASSERT_USAGE(&self->r,
		     "--counters cannot be combined with -L/--localport");
	RUN(&self->r, "--summary=yes");
	ASSERT_USAGE(&self->r, "option '--summary' takes no argument");
	RUN(&self->r, "--state");
	ASSERT_USAGE(&self->r, "option '--state' needs an argument");
}

TEST_F(cli, help_lists_the_new_options)
{
	static const char *const words[] = {
		"--events", "--json", "--timestamp", "--wide", "--ipv4",
		"--ipv6", "--localport", "--remoteport", "--laddr", "--raddr",
		"--netns", "--state", "--duration", "--summary", "--flush",
		"--max-conns", "active_open", "passive_open",
		"connect_refused", "connect_timeout", "half_open_expired",
		"ack_dropped", "syn_dropped", "orphan_close", "in_progress",
		"not measurable",
	};
	unsigned int i;

	RUN(&self->r, "--help");
	ASSERT_EQ(0, self->r.status);
	for (i = 0; i < ARRAY_SIZE(words); i++)
		ASSERT_NE(NULL, strstr(self->r.out, words[i]))
			TH_LOG("word %u", i);
}

/* ---- replaying synth.h through the fake ring ---- */

FIXTURE(replay) {
	struct run r, r2;
	char events[64], scratch[64], text[64], json[64];
	unsigned int nr_events;		/* real ones, drop markers not */
	unsigned int nr_state;		/* STATE events among them */
};

FIXTURE_SETUP(replay)
{
	static struct synth s;
	unsigned int i;
	int fd;

	memset(&self->r, 0, sizeof(self->r));
	ASSERT_EQ(0, access(watch_path(), X_OK));
	ASSERT_EQ(0, access(fake_so_path(), R_OK));
	synth_build(&s);
	self->nr_events = self->nr_state = 0;
	for (i = 0; i < s.n; i++) {
		self->nr_events += s.ev[i].type != 0;
		self->nr_state += s.ev[i].type == TCPSTATE_EV_STATE;
	}
	strcpy(self->events, "/tmp/tcpstate-events-XXXXXX");
	strcpy(self->scratch, "/tmp/tcpstate-scratch-XXXXXX");
	strcpy(self->text, "/tmp/tcpstate-text-XXXXXX");
	strcpy(self->json, "/tmp/tcpstate-json-XXXXXX");
	fd = mkstemp(self->events);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)(s.n * sizeof(s.ev[0])),
		  write(fd, s.ev, s.n * sizeof(s.ev[0])));
	close(fd);
	fd = mkstemp(self->scratch);
	ASSERT_LE(0, fd);
	close(fd);
	fd = mkstemp(self->text);
	ASSERT_LE(0, fd);
	close(fd);
	fd = mkstemp(self->json);
	ASSERT_LE(0, fd);
	close(fd);
}

FIXTURE_TEARDOWN(replay)
{
	unlink(self->events);
	unlink(self->scratch);
	unlink(self->text);
	unlink(self->json);
}

/*
 * Run on the fake device replaying the events; @filter is
 * TCPSTATE_FAKE_FILTER ("enotty", "einval" or NULL), @stop_ms when the
 * fake sends SIGINT once all is replayed (0: never).
 */
static int run_replay(struct run *res, const char *events, const char *filter,
		      const char *filter_log, int stop_ms,
		      const char *const *args)
{
	char preload[PATH_MAX + 16], ev[128], stop[64], fmode[64], flog[128];
	const char *env[8] = { preload, ev, stop, "TZ=UTC", NOTHING_MISSED };
	const char *argv[24] = { "-d", "/dev/null" };
	unsigned int n = 5, i;

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", fake_so_path());
	snprintf(ev, sizeof(ev), "TCPSTATE_FAKE_EVENTS=%s", events);
	snprintf(stop, sizeof(stop), "TCPSTATE_FAKE_STOP_MS=%d", stop_ms);
	if (filter) {
		snprintf(fmode, sizeof(fmode), "TCPSTATE_FAKE_FILTER=%s", filter);
		env[n++] = fmode;
	}
	if (filter_log) {
		snprintf(flog, sizeof(flog), "TCPSTATE_FAKE_FILTER_LOG=%s",
			 filter_log);
		env[n++] = flog;
	}
	for (i = 0; args[i] && i + 3 < ARRAY_SIZE(argv); i++)
		argv[i + 2] = args[i];
	return run_watch(res, env, argv);
}

#define REPLAY(res, filter, ...) do {					\
	const char *const _args[] = { __VA_ARGS__, NULL };		\
	ASSERT_EQ(0, run_replay(res, self->events, filter, NULL, 150,	\
				_args));				\
	ASSERT_EQ(0, (res)->status) TH_LOG("stderr '%s'", (res)->err);	\
} while (0)

/* Line @i (0-based) of @s, copied into @buf. */
static const char *line_at(const char *s, unsigned int i, char *buf,
			   size_t len)
{
	const char *end;
	size_t n;

	for (; i && s; i--) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s || !*s)
		return "";
	end = strchr(s, '\n');
	n = end ? (size_t)(end - s) : strlen(s);
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

/* The first word of each line after the header: the KIND column. */
static unsigned int kinds_of(const char *out, const char **kinds,
			     char (*store)[24], unsigned int max)
{
	char line[4096];
	unsigned int i, n = 0;

	for (i = 1; n < max && *line_at(out, i, line, sizeof(line)); i++) {
		if (sscanf(line, "%23s", store[n]) != 1)
			break;
		kinds[n] = store[n];
		n++;
	}
	return n;
}

TEST_F(replay, sequences_are_the_default)
{
	const char *kinds[64];
	char store[64][24], want[128];
	unsigned int n, i;

	REPLAY(&self->r, NULL, "--flush");
	ASSERT_EQ(0, strncmp(self->r.out, "KIND ", 5));
	n = kinds_of(self->r.out, kinds, store, 64);
	ASSERT_EQ(SYNTH_RECORDS + SYNTH_IN_PROGRESS, n) TH_LOG("%s",
							       self->r.out);
	for (i = 0; i < SYNTH_RECORDS; i++)
		ASSERT_STREQ(synth_expect[i].kind, kinds[i]) TH_LOG("%u", i);
	for (; i < n; i++)
		ASSERT_STREQ("in_progress", kinds[i]);
	/* The drop is reported, and marks what it may have cut into. */
	ASSERT_NE(NULL, strstr(self->r.err,
			       "tcpstate-watch: 5 events dropped (ring full)\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "reset              client 4026531840 10.0.0.1:40019        10.0.0.2:80           0ns       ESTABLISHED 2.00ms -> CLOSE missing=lost\n"));
	snprintf(want, sizeof(want),
		 "tcpstate-watch: %u events, 5 dropped, %zu sequences, 0 evicted\n",
		 self->nr_events, SYNTH_RECORDS);
	ASSERT_NE(NULL, strstr(self->r.err, want)) TH_LOG("%s", self->r.err);
}

/*
 * --ladder: one ladder per record (the corpus has no connection seen from
 * both ends), each line within 80 columns, the same final line.
 */
TEST_F(replay, ladder_draws_each_record)
{
	const char *p;
	unsigned int ladders = 0, width;
	char want[128];

	REPLAY(&self->r, NULL, "--ladder", "--flush");
	ASSERT_EQ(0, strncmp(self->r.out, "LADDER: ", 8)) TH_LOG("%s",
								  self->r.out);
	for (p = self->r.out; *p; p += width + 1) {
		width = (unsigned int)strcspn(p, "\n");
		ASSERT_GE(80U, width) TH_LOG("%.*s", (int)width, p);
		ladders += !strncmp(p, "-- ", 3);
		if (!p[width])
			break;
	}
	ASSERT_EQ(SYNTH_RECORDS + SYNTH_IN_PROGRESS, ladders);
	ASSERT_NE(NULL, strstr(self->r.out,
			       "-- connect_refused\n"
			       "client 10.0.0.1:40003"));
	snprintf(want, sizeof(want),
		 "tcpstate-watch: %u events, 5 dropped, %zu sequences, 0 evicted\n",
		 self->nr_events, SYNTH_RECORDS);
	ASSERT_NE(NULL, strstr(self->r.err, want)) TH_LOG("%s", self->r.err);
}

/* -e keeps the line format the VM test parses with awk. */
TEST_F(replay, events_view_keeps_its_format)
{
	static struct synth s;
	char line[4096], want[TCPSTATE_LINE_MAX], f[10][64];
	unsigned int i, k = 1, states = 0;

	synth_build(&s);
	REPLAY(&self->r, NULL, "-e");
	line_at(self->r.out, 0, line, sizeof(line));
	tcpstate_format_header(want, sizeof(want));
	ASSERT_STREQ(want, line);
	for (i = 0; i < s.n; i++) {
		if (!s.ev[i].type)
			continue;
		line_at(self->r.out, k++, line, sizeof(line));
		tcpstate_format_event(want, sizeof(want), &s.ev[i], 0);
		/* All but TIME, whose offset the run measured itself. */
		ASSERT_STREQ(want + 16, line + 16) TH_LOG("event %u", i);
		if (s.ev[i].type != TCPSTATE_EV_STATE)
			continue;
		ASSERT_EQ(9, sscanf(line, "%63s %63s %63s %63s %63s %63s %63s %63s %63s",
				    f[1], f[2], f[3], f[4], f[5], f[6], f[7],
				    f[8], f[9]));
		ASSERT_STREQ("->", f[5]);
		ASSERT_STREQ("->", f[8]);
		ASSERT_STREQ(tcpstate_state_name(s.ev[i].oldstate), f[7]);
		ASSERT_STREQ(tcpstate_state_name(s.ev[i].newstate), f[9]);
		states++;
	}
	ASSERT_EQ(self->nr_state, states);
	ASSERT_EQ(k, count_lines(self->r.out));
}

static void save(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

/* Every JSON line parses; the text, rebuilt from it, is what -j left. */
TEST_F(replay, json_lines_carry_the_text)
{
	char want[64];

	REPLAY(&self->r, NULL, "--flush");
	save(self->text, self->r.out);
	REPLAY(&self->r, NULL, "--flush", "-j");
	save(self->json, self->r.out);
	CHECK_JSON("seq-notime", self->text, self->json);
	CHECK_JSON("lines", self->json);
	ASSERT_EQ(0, strncmp(self->r.out,
			     "{\"type\":\"start\",\"view\":\"sequences\",\"kernel_filter\":null}\n",
			     56));
	ASSERT_EQ(1 + SYNTH_RECORDS + SYNTH_IN_PROGRESS,
		  count_lines(self->r.out));

	REPLAY(&self->r, NULL, "-e");
	save(self->text, self->r.out);
	REPLAY(&self->r, NULL, "-e", "--json");
	save(self->json, self->r.out);
	CHECK_JSON("event-notime", self->text, self->json);
	ASSERT_EQ(1 + self->nr_events, count_lines(self->r.out));

	REPLAY(&self->r, NULL, "-j", "--summary", "-L", "80");
	save(self->json, self->r.out);
	CHECK_JSON("lines", self->json);
	snprintf(want, sizeof(want), "{\"type\":\"summary\",\"records\":");
	ASSERT_NE(NULL, strstr(self->r.out, want));
	ASSERT_NE(NULL, strstr(self->r.out,
			       "{\"type\":\"start\",\"view\":\"sequences\",\"kernel_filter\":true}"));
}

/* What the records of synth_expect a port filter keeps, in order. */
static unsigned int expect_ports(const __u16 *l, unsigned int nl,
				 const __u16 *r, unsigned int nr,
				 const char **kinds)
{
	unsigned int i, j, n = 0;
	int ok;

	for (i = 0; i < SYNTH_RECORDS; i++) {
		for (j = 0, ok = !nl; j < nl; j++)
			ok |= synth_expect[i].lport == l[j];
		if (!ok)
			continue;
		for (j = 0, ok = !nr; j < nr; j++)
			ok |= synth_expect[i].rport == r[j];
		if (ok)
			kinds[n++] = synth_expect[i].kind;
	}
	return n;
}

/*
 * The same output whether the module filters too or not (ENOTTY), and
 * what -L/-D keep is what the table says.
 */
TEST_F(replay, filters_in_kernel_and_userspace_agree)
{
	static const char *const filters[][5] = {
		{ "-L", "80" },
		{ "-L", "8080,443" },
		{ "-D", "80,443" },
		{ "-D", "81,82" },
		{ "-4", "-D", "80,443" },
		{ "-6" },
		{ "--netns", "4026532999" },
		{ "--laddr", "10.0.0.2" },
		{ "--raddr", "10.0.0.9" },
		{ "--state", "TIME_WAIT" },
		{ "--state", "syn-recv" },
		{ "--state", "LISTEN" },
	};
	static const __u16 p80[] = { 80 }, p8080_443[] = { 8080, 443 },
		p80_443[] = { 80, 443 };
	const char *got[64], *want[64];
	char store[64][24];
	unsigned int i, j, n, nw;

	for (i = 0; i < ARRAY_SIZE(filters); i++) {
		const char *args[8] = { NULL };

		for (j = 0; j < 5 && filters[i][j]; j++)
			args[j] = filters[i][j];
		ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL,
					150, args));
		ASSERT_EQ(0, run_replay(&self->r2, self->events, "enotty",
					NULL, 150, args));
		ASSERT_EQ(0, self->r.status);
		ASSERT_EQ(0, self->r2.status);
		ASSERT_STREQ(self->r2.out, self->r.out) TH_LOG("filter %u", i);
		args[j] = "-e";
		ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL,
					150, args));
		ASSERT_EQ(0, run_replay(&self->r2, self->events, "enotty",
					NULL, 150, args));
		ASSERT_EQ(count_lines(self->r2.out), count_lines(self->r.out))
			TH_LOG("filter %u -e", i);
		ASSERT_NE(NULL, strstr(self->r.err, " shown, "));
	}

	/* The port filters against the table. */
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 150,
				(const char *const[]){ "-L", "80", NULL }));
	n = kinds_of(self->r.out, got, store, 64);
	nw = expect_ports(p80, 1, NULL, 0, want);
	ASSERT_EQ(nw, n);
	for (i = 0; i < n; i++)
		ASSERT_STREQ(want[i], got[i]);
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 150,
				(const char *const[]){ "-L", "8080,443", NULL }));
	n = kinds_of(self->r.out, got, store, 64);
	nw = expect_ports(p8080_443, 2, NULL, 0, want);
	ASSERT_EQ(nw, n);
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 150,
				(const char *const[]){ "-D", "80,443", NULL }));
	n = kinds_of(self->r.out, got, store, 64);
	nw = expect_ports(NULL, 0, p80_443, 2, want);
	ASSERT_EQ(nw, n);
	for (i = 0; i < n; i++)
		ASSERT_STREQ(want[i], got[i]);

	/* The states: TIME_WAIT is 3 active closes and the simultaneous
	 * one (the orphan stayed in FIN_WAIT2); the v4-mapped peer matches
	 * its IPv4 address.
	 */
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 150,
				(const char *const[]){ "--state", "TIME_WAIT",
						       NULL }));
	n = kinds_of(self->r.out, got, store, 64);
	ASSERT_EQ(4U, n);
	ASSERT_STREQ("simultaneous_close", got[1]);
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 150,
				(const char *const[]){ "--raddr", "10.0.0.9",
						       NULL }));
	n = kinds_of(self->r.out, got, store, 64);
	ASSERT_EQ(1U, n);
	ASSERT_NE(NULL, strstr(self->r.out, "[::ffff:10.0.0.9]:40014"));
}

/*
 * The module filters exactly on the tuple an event carries, and a
 * client's CLOSE -> SYN_SENT has local port 0: -L on a client's port
 * loses that first step in the kernel, and the record says so, where
 * filtering in userspace alone sees it all.
 */
TEST_F(replay, kernel_port_filter_and_the_unpicked_port)
{
	REPLAY(&self->r, NULL, "-L", "40001");
	ASSERT_NE(NULL, strstr(self->r.out, "active_open        client 4026531840 10.0.0.1:40001        10.0.0.2:80           -         SYN_SENT ? -> ESTABLISHED missing=start\n"))
		TH_LOG("%s", self->r.out);
	REPLAY(&self->r, "enotty", "-L", "40001");
	ASSERT_NE(NULL, strstr(self->r.out, "active_open        client 4026531840 10.0.0.1:40001        10.0.0.2:80           1.20ms    SYN_SENT 1.20ms -> ESTABLISHED\n"))
		TH_LOG("%s", self->r.out);
}

TEST_F(replay, the_kernel_gets_family_ports_and_netns)
{
	char log[256];
	FILE *f;
	size_t n;

	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, self->scratch,
				150, (const char *const[]){
					"-4", "-L", "80,443", "-D", "53",
					"--netns", "7", "--laddr", "10.0.0.1",
					"--state", "ESTABLISHED", NULL }));
	ASSERT_EQ(0, self->r.status);
	/* Nothing to show: the events are all of another netns. */
	ASSERT_EQ(1, count_lines(self->r.out));
	f = fopen(self->scratch, "r");
	ASSERT_NE(NULL, f);
	n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = '\0';
	ASSERT_STREQ("netns=7 family=2 lports=80,443 rports=53 cgroup=0\n",
		     log);

	/* Nothing the kernel can filter on: no SET_FILTER at all. */
	truncate(self->scratch, 0);
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, self->scratch,
				150, (const char *const[]){
					"--raddr", "10.0.0.9", "--state",
					"SYN_RECV", NULL }));
	ASSERT_EQ(0, self->r.status);
	f = fopen(self->scratch, "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0U, fread(log, 1, sizeof(log), f));
	fclose(f);
}

/*
 * The synthetic stream with owners: the client 40001 (0xa1, and its
 * timewait sock 0xa2) made by "curl" (pid 100, uid 1000, cgroup 7) in
 * its connect(); the listener's request socks (80) charged to uid 33,
 * cgroup 8, with no task seen. Written over the fixture's events file.
 */
#define CURL_PID	100
static void write_owned_events(struct __test_metadata *_metadata,
			       const char *path)
{
	static struct synth s;
	unsigned int i;
	FILE *f;

	synth_build(&s);
	for (i = 0; i < s.n; i++) {
		struct tcpstate_event *ev = &s.ev[i];

		if (ev->sock_id == 0xa1 && ev->type == TCPSTATE_EV_STATE &&
		    ev->newstate == TCPS_SYN_SENT) {
			ev->valid |= TCPSTATE_VALID_TASK;
			ev->tgid = CURL_PID;
			ev->pid = CURL_PID + 1;
			memcpy(ev->comm, "curl", 5);
		}
		if (ev->sock_id == 0xa1 || (ev->type == TCPSTATE_EV_TIMEWAIT &&
					    ev->sock_id == 0xa2)) {
			ev->valid |= TCPSTATE_VALID_OWNER;
			ev->cgroup_id = 7;
			ev->uid = 1000;
		}
		if (ev->peer_id == SYNTH_LISTENER && ev->type != 0) {
			ev->valid |= TCPSTATE_VALID_OWNER;
			ev->cgroup_id = 8;
			ev->uid = 33;
		}
	}
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(s.n, fwrite(s.ev, sizeof(s.ev[0]), s.n, f));
	fclose(f);
}

/* Every line of @out after the header contains @what; returns how many. */
static unsigned int all_lines_have(const char *out, const char *what)
{
	char line[4096];
	unsigned int i, n = 0;

	for (i = 1; *line_at(out, i, line, sizeof(line)); i++) {
		if (!strstr(line, what))
			return 0;
		n++;
	}
	return n;
}

/*
 * --pid and --comm keep the process's events, its timewait sock's
 * included (they carry no task: the table does); --who shows it.
 */
TEST_F(replay, pid_and_comm_keep_the_process_connections)
{
	char header[TCPSTATE_LINE_MAX], line[4096];
	const struct out_opts o = {
		.endpoint_width = TCPSTATE_COL_ENDPOINT, .who = 1,
	};

	write_owned_events(_metadata, self->events);
	REPLAY(&self->r, NULL, "-e", "--who", "--pid", "100");
	out_event_header(header, sizeof(header), &o);
	ASSERT_STREQ(header, line_at(self->r.out, 0, line, sizeof(line)));
	/* 0xa1's five events and its timewait sock's two */
	ASSERT_EQ(7U, all_lines_have(self->r.out,
				     " 100     curl            1000  7 "))
		TH_LOG("%s", self->r.out);
	REPLAY(&self->r2, NULL, "-e", "--who", "--comm", "curl");
	ASSERT_STREQ(self->r.out, self->r2.out);
	REPLAY(&self->r2, NULL, "-e", "--pid", "101");
	ASSERT_EQ(1, count_lines(self->r2.out));

	/* Sequences: the open and the close of 40001. */
	REPLAY(&self->r, NULL, "--pid", "100");
	ASSERT_EQ(3, count_lines(self->r.out)) TH_LOG("%s", self->r.out);
	ASSERT_EQ(2U, all_lines_have(self->r.out, " 10.0.0.1:40001 "));
}

/* The listener's children: its owner, and no task where none was seen. */
TEST_F(replay, request_socks_show_the_listener_owner)
{
	write_owned_events(_metadata, self->events);
	REPLAY(&self->r, NULL, "-e", "--who", "-L", "80", "-D", "40005");
	ASSERT_EQ(2U, all_lines_have(self->r.out,
				     " -       -               33    8 "))
		TH_LOG("%s", self->r.out);
	REPLAY(&self->r, NULL, "-e", "-j", "--pid", "100");
	ASSERT_NE(NULL, strstr(self->r.out, ",\"cgroup_id\":7,\"cgroup\":null,\"uid\":1000,\"pid\":101,\"tgid\":100,\"comm\":\"curl\",\"owner_from\":\"event\"}\n"))
		TH_LOG("%s", self->r.out);
}

/* The --who columns say what the JSON keys say, line by line. */
TEST_F(replay, who_columns_match_the_json)
{
	write_owned_events(_metadata, self->events);
	REPLAY(&self->r, NULL, "-e", "--who");
	save(self->text, self->r.out);
	REPLAY(&self->r, NULL, "-e", "-j");
	save(self->json, self->r.out);
	CHECK_JSON("event-who", self->text, self->json);
	CHECK_JSON("lines", self->json);
}

/* --cgroup goes to the kernel as the directory's inode number. */
TEST_F(replay, cgroup_goes_to_the_kernel)
{
	char root[PATH_MAX], log[256], want[128];
	__u64 id;
	FILE *f;
	size_t n;

	if (owner_cgroup_lookup("/", &id, root, sizeof(root)))
		SKIP(return, "no cgroup v2 mounted here");
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, self->scratch,
				150, (const char *const[]){
					"-e", "--cgroup", "/", NULL }));
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	f = fopen(self->scratch, "r");
	ASSERT_NE(NULL, f);
	n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = '\0';
	snprintf(want, sizeof(want),
		 "netns=0 family=0 lports= rports= cgroup=%llu\n",
		 (unsigned long long)id);
	ASSERT_STREQ(want, log);
}

/* Refused by the module: a warning, and userspace filters alone. */
TEST_F(replay, filter_refused_by_the_module)
{
	REPLAY(&self->r2, "enotty", "-L", "80");
	ASSERT_EQ(NULL, strstr(self->r2.err, "SET_FILTER"));
	REPLAY(&self->r, "einval", "-L", "80");
	ASSERT_NE(NULL, strstr(self->r.err,
			       "tcpstate-watch: /dev/null: TCPSTATE_IOC_SET_FILTER: Invalid argument: filtering in userspace only\n"));
	ASSERT_STREQ(self->r2.out, self->r.out);
	REPLAY(&self->r, "einval", "-j", "-L", "80");
	ASSERT_NE(NULL, strstr(self->r.out, "\"kernel_filter\":false"));
}

TEST_F(replay, count_stops_after_n)
{
	/* No stop timer: -c alone must end the run. */
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 0,
				(const char *const[]){ "-c", "3", NULL }));
	ASSERT_EQ(0, self->r.status);
	ASSERT_EQ(4, count_lines(self->r.out));
	ASSERT_NE(NULL, strstr(self->r.err, ", 3 sequences, "));
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 0,
				(const char *const[]){ "-e", "-c", "5", NULL }));
	ASSERT_EQ(0, self->r.status);
	ASSERT_EQ(6, count_lines(self->r.out));
	/* The fake booked its drop with the first batch already. */
	ASSERT_NE(NULL, strstr(self->r.err,
			       "\ntcpstate-watch: 5 events, 5 dropped\n"));
	/* --flush still shows what is open, past the count. */
	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 0,
				(const char *const[]){ "-c", "2", "--flush",
						       NULL }));
	ASSERT_EQ(0, self->r.status);
	ASSERT_NE(NULL, strstr(self->r.out, "\nin_progress "));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST_F(replay, duration_stops_the_run)
{
	long long t0 = now_ms(), took;

	ASSERT_EQ(0, run_replay(&self->r, self->events, NULL, NULL, 0,
				(const char *const[]){ "--duration", "0.4",
						       NULL }));
	took = now_ms() - t0;
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	ASSERT_LE(350, took);
	ASSERT_GT(3000, took);
	ASSERT_EQ(1 + SYNTH_RECORDS, count_lines(self->r.out));
}

TEST_F(replay, summary_after_the_records)
{
	REPLAY(&self->r, NULL, "--summary", "--flush");
	ASSERT_NE(NULL, strstr(self->r.out, "\n\nKIND                      COUNT\nactive_open                   7\npassive_open                  3\n"))
		TH_LOG("%s", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.out, "\nin_progress                   4\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "\ntotal                        31\n"));
	/* Handshakes: 125us twice, 1.2ms seven times, 1.000307s: p50 and
	 * p90 are 1.2 ms (ranks 5 and 9), p99 and max the second.
	 */
	ASSERT_NE(NULL, strstr(self->r.out, "\nhandshake                    10     1.20ms     1.20ms     1.000s     1.000s\n"))
		TH_LOG("%s", self->r.out);
	ASSERT_NE(NULL, strstr(self->r.out, "\ntime_wait                     5    60.000s    60.000s    60.000s    60.000s\n"));
	ASSERT_NE(NULL, strstr(self->r.out, " 5 dropped by the ring, 0 connections evicted\n"));
	/* -e --summary: the events, and the sequences' summary. */
	REPLAY(&self->r, NULL, "-e", "--summary");
	ASSERT_NE(NULL, strstr(self->r.out, "\nactive_open                   7\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "SYN_RECV_END completed"));
}

TEST_F(replay, evictions_are_reported)
{
	REPLAY(&self->r, NULL, "--max-conns", "1");
	ASSERT_NE(NULL, strstr(self->r.err, " connections evicted (more than 1 followed at once; see --max-conns)\n"))
		TH_LOG("%s", self->r.err);
	ASSERT_EQ(NULL, strstr(self->r.err, ", 0 evicted\n"));
	ASSERT_NE(NULL, strstr(self->r.out, "missing=start"));
}

TEST_F(replay, wide_and_timestamps)
{
	char line[4096];

	REPLAY(&self->r, NULL, "-w", "-T", "-c", "1");
	line_at(self->r.out, 0, line, sizeof(line));
	ASSERT_EQ(0, strncmp(line, "TIME            KIND ", 21));
	ASSERT_EQ(strstr(line, "REMOTE") - strstr(line, "LOCAL"),
		  TCPSTATE_COL_ENDPOINT_WIDE + 1);
	line_at(self->r.out, 1, line, sizeof(line));
	ASSERT_EQ(':', line[2]);
	ASSERT_EQ('.', line[8]);
	ASSERT_NE(NULL, strstr(line, " active_open "));
	REPLAY(&self->r, NULL, "-e", "-w", "-c", "1");
	line_at(self->r.out, 0, line, sizeof(line));
	ASSERT_EQ(strstr(line, "REMOTE") - strstr(line, "LOCAL"),
		  TCPSTATE_COL_ENDPOINT_WIDE + 4);
}

/* ---- --top ---- */

/* The table headers of top.h's frame. */
static const char *const top_headers[] = {
	"LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOKIES  HS_P50  HS_P99",
	"LISTENER               ACCQ/MAX OVERFLOWS   DROPS OWNER",
	"TIME_WAIT REMOTE         COUNT  OLDEST  NEWEST  USE%",
	"TIME_WAIT LOCAL PORT     COUNT  OLDEST  NEWEST",
};

/* How many times @line is a whole line of @text. */
static unsigned int whole_lines(const char *text, const char *line)
{
	size_t len = strlen(line);
	unsigned int n = 0;
	const char *p;

	for (p = text; (p = strstr(p, line)); p += len)
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			n++;
	return n;
}

/*
 * --top -b -c 2: two frames as text on stdout, one empty line between
 * them, each with the headers of top.h and the fake's counters read
 * anew (gauges: value[i] = (i + 1) * 1000 + calls * (i + 1), one
 * reading at the start and one per frame); exit 0. The listeners and
 * TIME_WAIT are this host's own (sock_diag is not faked).
 */
TEST_F(fake, top_batch_prints_frames)
{
	unsigned int hh, mm, ss, netns, own_netns = 0, frame, i;
	char nslink[64] = "";
	double interval;
	char *second;
	int n;

	RUN_FAKE(&self->r, NULL, 0, "--top", "-b", "-c", "2", "-i", "0.2");
	if (self->r.status == 1 && strstr(self->r.err, "sock_diag"))
		SKIP(return, "no sock_diag here: %.200s", self->r.err);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);
	ASSERT_STREQ("", self->r.err);
	/* "net:[INODE]" */
	ASSERT_LT(0, readlink("/proc/self/ns/net", nslink,
			      sizeof(nslink) - 1));
	ASSERT_EQ(1, sscanf(nslink, "net:[%u]", &own_netns));

	ASSERT_EQ(0, strncmp(self->r.out, "tcpstate top ", 13))
		TH_LOG("stdout '%s'", self->r.out);
	second = strstr(self->r.out, "\n\ntcpstate top ");
	ASSERT_NE(NULL, second) TH_LOG("stdout '%s'", self->r.out);
	/* Exactly one empty line between the frames, none after. */
	ASSERT_NE('\n', second[-1]);
	ASSERT_EQ(NULL, strstr(second + 2, "\n\ntcpstate top "));
	ASSERT_EQ('\n', self->r.out[strlen(self->r.out) - 1]);
	ASSERT_NE('\n', self->r.out[strlen(self->r.out) - 2])
		TH_LOG("stdout '%s'", self->r.out);
	for (i = 0; i < ARRAY_SIZE(top_headers); i++)
		ASSERT_EQ(2, whole_lines(self->r.out, top_headers[i]))
			TH_LOG("header %u in '%s'", i, self->r.out);

	for (i = 0; i < 2; i++) {
		const char *f = i ? second + 2 : self->r.out;
		char want[128];

		n = -1;
		sscanf(f, "tcpstate top %2u:%2u:%2u netns %u interval %lfs frame %u\n%n",
		       &hh, &mm, &ss, &netns, &interval, &frame, &n);
		ASSERT_LT(0, n) TH_LOG("frame '%s'", f);
		ASSERT_TRUE(hh < 24 && mm < 60 && ss < 61);
		ASSERT_EQ(own_netns, netns);
		ASSERT_EQ(i + 1, frame);
		/* About -i; a loaded machine may stretch it. */
		ASSERT_TRUE(interval >= 0.1 && interval < 1.0)
			TH_LOG("interval %f", interval);
		snprintf(want, sizeof(want),
			 "SYN_RECV %u TIME_WAIT %u | ", 1001 + i, 2002 + 2 * i);
		ASSERT_EQ(0, strncmp(f + n, want, strlen(want)))
			TH_LOG("frame %u: '%s'", i + 1, f + n);
		snprintf(want, sizeof(want), " | ring drops %u\nper second: ",
			 17017 + 17 * i);
		ASSERT_NE(NULL, strstr(f + n, want))
			TH_LOG("frame %u: '%s'", i + 1, f + n);
	}
}

/* --top draws on a terminal: without one, it says to add -b. */
TEST_F(fake, top_needs_a_terminal_or_batch)
{
	RUN_FAKE(&self->r, NULL, 0, "--top", "-c", "1");
	ASSERT_EQ(2, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_STREQ("tcpstate-watch: --top draws on a terminal and stdout is none: add -b (--batch) for frames as text\n",
		     self->r.err);
}

/* -b needs --top; --top takes none of the stream's views or filters,
 * and a refresh interval above 0.
 */
TEST_F(cli, top_options_are_checked)
{
	static const struct {
		const char *args[4];
		const char *want;
	} cases[] = {
		{ { "-b" }, "-b/--batch prints --top's frames as text: it needs --top" },
		{ { "--batch", "-e" }, "-b/--batch prints --top's frames as text: it needs --top" },
		{ { "--top", "-e" }, "--top cannot be combined with -e/--events" },
		{ { "--top", "-b", "-j" }, "--top cannot be combined with -j/--json (use -b for text frames)" },
		{ { "--top", "--ladder" }, "--top cannot be combined with --ladder" },
		{ { "--top", "-L", "80" }, "--top cannot be combined with a filter (the view is the whole namespace)" },
		{ { "--top", "-4" }, "--top cannot be combined with a filter (the view is the whole namespace)" },
		{ { "--top", "--raddr", "10.0.0.1" }, "--top cannot be combined with a filter (the view is the whole namespace)" },
		{ { "--top", "-b", "-i", "0" }, "--top: -i must be more than 0 (the refresh interval)" },
		{ { "--top", "--counters" }, "--top cannot be combined with --counters" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const *a = cases[i].args;
		const char *const args[] = { a[0], a[1], a[2], a[3], "-d",
					     "/nonexistent", NULL };
		const char *argv[8];
		unsigned int j, k = 0;

		for (j = 0; j < ARRAY_SIZE(args); j++)
			if (args[j])
				argv[k++] = args[j];
		argv[k] = NULL;
		ASSERT_EQ(0, run_watch(&self->r, NULL, argv));
		ASSERT_USAGE(&self->r, cases[i].want);
	}
}

/* A module without the counters: --top cannot seed, and says so. */
TEST_F(fake, top_without_counters_says_why)
{
	RUN_FAKE(&self->r, "enotty", 0, "--top", "-b", "-c", "1");
	ASSERT_EQ(1, self->r.status);
	ASSERT_STREQ("", self->r.out);
	ASSERT_EQ(0, strncmp(self->r.err, "tcpstate-watch: /dev/null: ", 27))
		TH_LOG("stderr '%s'", self->r.err);
	ASSERT_NE(NULL, strstr(self->r.err, "TCPSTATE_IOC_GET_COUNTERS"))
		TH_LOG("stderr '%s'", self->r.err);
	ASSERT_NE(NULL, strstr(self->r.err, "load the module"))
		TH_LOG("stderr '%s'", self->r.err);
	ASSERT_EQ(1, count_lines(self->r.err)) TH_LOG("stderr '%s'", self->r.err);
}

/*
 * Line @n (0-based) of @out starting with "@key ", its fields separated
 * by one blank each, into @buf ("" when there is none).
 */
static const char *line_of_key(const char *out, const char *key,
			       unsigned int n, char *buf, size_t len)
{
	size_t kl = strlen(key), o = 0;
	const char *p;

	buf[0] = '\0';
	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || p[kl] != ' ' || n--)
			continue;
		for (; *p && *p != '\n' && o + 1 < len; p++)
			if (*p != ' ' || (o && buf[o - 1] != ' '))
				buf[o++] = *p;
		buf[o] = '\0';
		break;
	}
	return buf;
}

/*
 * --top -b on the fake's ring: the events reach the frame. A listener
 * sock_diag does not know (192.0.2.200:4444, not on this host) named by
 * its CLOSE -> LISTEN, 3 SYNs queued (qlen 1, 2, 3), one expired (qlen
 * 2), a cookie, an ACK dropped on a full accept queue; a TIME_WAIT of
 * a client of its (198.51.100.77:6000); and another namespace's SYN,
 * which the filter the view sets keeps out.
 */
TEST_F(fake, top_batch_shows_the_ring_events)
{
	static const struct {
		unsigned int type, reason, qlen;
		__u64 sock_id;
	} evs[] = {
		{ TCPSTATE_EV_STATE, 0, 0, 0x1 },
		{ TCPSTATE_EV_SYN_RECV, 0, 1, 0x10 },
		{ TCPSTATE_EV_SYN_RECV, 0, 2, 0x11 },
		{ TCPSTATE_EV_SYN_RECV, 0, 3, 0x12 },
		{ TCPSTATE_EV_SYN_RECV_END, TCPSTATE_SRE_EXPIRED, 2, 0x10 },
		{ TCPSTATE_EV_SYNCOOKIE_SENT, 0, 0, 0 },
		{ TCPSTATE_EV_ACK_DROP, TCPSTATE_DROP_ACCEPT_QUEUE_FULL, 128,
		  0x13 },
		{ TCPSTATE_EV_TIMEWAIT, 0, 0, 0x20 },
		{ TCPSTATE_EV_SYN_RECV, 0, 50, 0x14 },	/* elsewhere */
	};
	struct tcpstate_event ev[ARRAY_SIZE(evs)];
	char path[] = "/tmp/tcpstate-top-events-XXXXXX";
	const char *const args[] = { "--top", "-b", "-c", "1", "-i", "0.3",
				     NULL };
	char nslink[64] = "", buf[256];
	unsigned int netns = 0, i;
	struct timespec now;
	int fd;

	ASSERT_LT(0, readlink("/proc/self/ns/net", nslink,
			      sizeof(nslink) - 1));
	ASSERT_EQ(1, sscanf(nslink, "net:[%u]", &netns));
	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(ev, 0, sizeof(ev));
	for (i = 0; i < ARRAY_SIZE(evs); i++) {
		ev[i].type = (__u16)evs[i].type;
		ev[i].ts_ns = (__u64)now.tv_sec * 1000000000ULL +
			      (__u64)now.tv_nsec;
		ev[i].sock_id = evs[i].sock_id;
		ev[i].peer_id = evs[i].type == TCPSTATE_EV_STATE ? 0 : 0x1;
		ev[i].netns = netns;
		ev[i].family = AF_INET;
		inet_pton(AF_INET, "192.0.2.200", ev[i].saddr);
		ev[i].sport = 4444;
		inet_pton(AF_INET, "198.51.100.77", ev[i].daddr);
		ev[i].dport = 6000;
		ev[i].reason = (__u8)evs[i].reason;
		ev[i].qlen = evs[i].qlen;
	}
	ev[0].oldstate = TCPS_CLOSE;
	ev[0].newstate = TCPS_LISTEN;
	memset(ev[0].daddr, 0, sizeof(ev[0].daddr));
	ev[0].dport = 0;
	ev[7].peer_id = 0;
	ev[7].oldstate = TCPS_FIN_WAIT2;
	ev[7].newstate = TCPS_TIME_WAIT;
	ev[8].netns = netns + 1;
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(ev), write(fd, ev, sizeof(ev)));
	close(fd);
	ASSERT_EQ(0, run_replay(&self->r, path, NULL, NULL, 0, args));
	unlink(path);
	if (self->r.status == 1 && strstr(self->r.err, "sock_diag"))
		SKIP(return, "no sock_diag here: %.200s", self->r.err);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr '%s'", self->r.err);

	/* SYNQ/MAX EXPIRED COOKIES HS_P50 HS_P99, SYN/s aside (timing). */
	line_of_key(self->r.out, "192.0.2.200:4444", 0, buf, sizeof(buf));
	ASSERT_EQ(0, strncmp(buf, "192.0.2.200:4444 2/- ", 21))
		TH_LOG("'%s' in '%s'", buf, self->r.out);
	ASSERT_NE(NULL, strstr(buf, " 0.0 1 1 - -"))
		TH_LOG("'%s' in '%s'", buf, self->r.out);
	ASSERT_STREQ("192.0.2.200:4444 - 1 1 - (closed)",
		     line_of_key(self->r.out, "192.0.2.200:4444", 1, buf,
				 sizeof(buf)))
		TH_LOG("'%s'", self->r.out);
	/* A connection to our port 4444 (below any sane
	 * ip_local_port_range): under TIME_WAIT LOCAL PORT.
	 */
	line_of_key(self->r.out, "4444", 0, buf, sizeof(buf));
	ASSERT_EQ(0, strncmp(buf, "4444 1 ", 7))
		TH_LOG("'%s' in '%s'", buf, self->r.out);
}

TEST_HARNESS_MAIN
