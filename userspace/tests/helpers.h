/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests that run programs share: paths beside the test binary
 * (the fake device, tcpstate-watch, check_json.py) and the JSON check by
 * a real parser. Include after kselftest_harness.h (CHECK_JSON uses its
 * SKIP and ASSERT_EQ).
 */
#ifndef TCPSTATE_TESTS_HELPERS_H
#define TCPSTATE_TESTS_HELPERS_H

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* @name in this test's own directory (@name itself if that fails). */
static inline const char *beside_me(const char *name, char *path,
				    size_t len)
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

/* $TCPSTATE_WATCH, else ../tcpstate-watch from this test's directory. */
static inline const char *watch_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("TCPSTATE_WATCH");

	if (env && *env)
		return env;
	return beside_me("../tcpstate-watch", path, sizeof(path));
}

/* Read @fd from its start into @buf, NUL-terminated, and close it. */
static inline void slurp_fd(int fd, char *buf, size_t len)
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
 * Run python3 check_json.py @args (NULL-terminated), its output in @out;
 * 0 ok, 1 failed, -1 no python3.
 */
static inline int check_json(const char *const *args, char *out,
			     size_t outlen)
{
	char script[PATH_MAX];
	const char *argv[8] = { "python3", script };
	int pipefd[2], status;
	ssize_t n, total = 0;
	unsigned int i;
	pid_t pid;

	beside_me("check_json.py", script, sizeof(script));
	for (i = 0; args[i] && i + 3 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[i + 2] = args[i];
	if (pipe(pipefd))
		return 1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((size_t)total < outlen - 1 &&
	       (n = read(pipefd[0], out + total, outlen - 1 - total)) > 0)
		total += n;
	out[total] = '\0';
	close(pipefd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	if (WEXITSTATUS(status) == 127)
		return -1;
	return WEXITSTATUS(status) ? 1 : 0;
}

/* check_json.py ARGS must pass; skips without python3. */
#define CHECK_JSON(...) do {						\
	const char *const _args[] = { __VA_ARGS__, NULL };		\
	char _out[4096];						\
	int _rc = check_json(_args, _out, sizeof(_out));		\
	if (_rc < 0)							\
		SKIP(return, "no python3 to parse JSON with");		\
	ASSERT_EQ(0, _rc) TH_LOG("check_json.py: %s", _out);		\
} while (0)

#endif /* TCPSTATE_TESTS_HELPERS_H */
