// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch's command line: usage errors exit 2 with a message, a
 * missing device exits 1 saying how to load the module, --help and
 * --version exit 0. The binary is $TCPSTATE_WATCH, else ../tcpstate-watch
 * next to this test's directory.
 */
#define _GNU_SOURCE
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate.h"

#define OUT_MAX 8192

struct run {
	int status;		/* exit status, or -1 if it did not exit */
	char out[OUT_MAX];	/* stdout */
	char err[OUT_MAX];	/* stderr */
};

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
 * Run tcpstate-watch with @args (NULL-terminated) and collect its output.
 * Output goes to memfds rather than pipes so that a chatty child cannot
 * block on a full pipe while we wait for it. Returns 0 or -1.
 */
static int run_watch(struct run *res, const char *const *args)
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
	ASSERT_EQ(0, run_watch(res, _args));				\
} while (0)

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

TEST_HARNESS_MAIN
