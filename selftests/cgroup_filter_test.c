// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's cgroup filter (struct tcpstate_filter @cgroup_id), run as
 * root in the VM (scripts/guest/check.sh), in a network namespace of its
 * own.
 *
 * Ground truth: the inode number of each cgroup v2 directory (what the
 * kernel's cgroup_id() is), and the cgroup each process was moved into
 * by writing its pid to cgroup.procs before it made its sockets.
 *
 * Loopback connections are made, one after the other, by processes in
 * cgroups A, A/child and B. With the filter on A: every event that carries
 * an owner is A's or A/child's (descendants pass), both of those appear,
 * B's never; events without an owner (timewait ends) still pass. With the
 * filter on a cgroup id that names no cgroup: no event with an owner.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define MAX_LOG		8192
#define CG_A		"tcpstate_filter_a"
#define CG_A_CHILD	CG_A "/child"
#define CG_B		"tcpstate_filter_b"

/*
 * In a child moved into cgroup @path: listen, make @n loopback
 * connections closed by the client, exit 0 on success.
 */
static int connections_in(const char *path, int family, int n)
{
	pid_t child;
	int status;

	child = fork();
	if (child < 0)
		return -errno;
	if (!child) {
		int lfd;

		if (cgroup_join(path))
			_exit(2);
		lfd = tcp_listen(family, NULL, 0, 16);
		if (lfd < 0)
			_exit(3);
		_exit(client_closed_connections(lfd, family, n, NULL, NULL) ? 4 : 0);
	}
	if (waitpid(child, &status, 0) != child)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The listener of cgroup *@arg closed: that process's last event. */
static bool listener_closed_in(const struct ev_log *log, void *arg)
{
	__u64 id = *(__u64 *)arg;
	int i;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].type == TCPSTATE_EV_STATE &&
		    log->ev[i].oldstate == TCP_LISTEN &&
		    log->ev[i].newstate == TCP_CLOSE &&
		    log->ev[i].cgroup_id == id)
			return true;
	return false;
}

static int set_cgroup_filter(struct tcpstate_reader *r, __u64 id)
{
	struct tcpstate_filter f = { .cgroup_id = id };

	return tcpstate_reader_set_filter(r, &f);
}

/* Events with an owner: how many of cgroup @id (0: of any cgroup). */
static int owned_by(const struct ev_log *log, __u64 id)
{
	int i, n = 0;

	for (i = 0; i < log->n; i++)
		if ((log->ev[i].valid & TCPSTATE_VALID_OWNER) &&
		    (!id || log->ev[i].cgroup_id == id))
			n++;
	return n;
}

FIXTURE(cgroup_filter) {
	struct ts_watch w;
	struct ev_log log;
	int init_ns;
	__u64 a, a_child, b;
	char a_path[256], a_child_path[256], b_path[256];
};

FIXTURE_SETUP(cgroup_filter)
{
	char err[256];

	self->init_ns = -1;
	memset(&self->log, 0, sizeof(self->log));
	if (cgroup2_ensure())
		SKIP(return, "no cgroup v2 hierarchy at %s", CGROUP2_ROOT);
	ASSERT_EQ(0, cgroup_make(CG_A, self->a_path, sizeof(self->a_path),
				 &self->a));
	ASSERT_EQ(0, cgroup_make(CG_A_CHILD, self->a_child_path,
				 sizeof(self->a_child_path), &self->a_child));
	ASSERT_EQ(0, cgroup_make(CG_B, self->b_path, sizeof(self->b_path),
				 &self->b));
	ASSERT_EQ(0, ts_watch_open(&self->w, false, err, sizeof(err)))
		TH_LOG("%s", err);
	self->init_ns = netns_fd();
	ASSERT_LE(0, self->init_ns);
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, ev_log_init(&self->log, MAX_LOG, netns_inode()));
}

FIXTURE_TEARDOWN(cgroup_filter)
{
	ts_watch_close(&self->w);
	if (self->init_ns >= 0)
		close(self->init_ns);
	ev_log_free(&self->log);
	/* Empty by now: their processes exited. */
	rmdir(self->a_child_path);
	rmdir(self->a_path);
	rmdir(self->b_path);
}

/*
 * B's connections come first and A's last, one process after the other:
 * once A's last client CLOSE is in the ring, B's events are too, had the
 * filter let them through.
 */
TEST_F(cgroup_filter, takes_the_cgroup_and_its_descendants)
{
	char buf[256];
	int i;

	SKIP_IF_TRAFFIC_ONLY();
	ASSERT_EQ(0, set_cgroup_filter(&self->w.reader, self->a));
	ASSERT_EQ(0, connections_in(self->b_path, AF_INET, 3));
	ASSERT_EQ(0, connections_in(self->a_child_path, AF_INET6, 2));
	ASSERT_EQ(0, connections_in(self->a_path, AF_INET, 2));
	ASSERT_TRUE(ev_log_wait(&self->w.reader, &self->log,
				listener_closed_in, &self->a, 10000));
	EXPECT_EQ(0, self->log.dropped);
	EXPECT_LT(0, owned_by(&self->log, self->a));
	EXPECT_LT(0, owned_by(&self->log, self->a_child));
	EXPECT_EQ(0, owned_by(&self->log, self->b));
	EXPECT_EQ(owned_by(&self->log, 0),
		  owned_by(&self->log, self->a) +
		  owned_by(&self->log, self->a_child));
	/* Timewait socks' later events carry no owner: they pass. */
	EXPECT_LT(0, ev_count(&self->log, TCPSTATE_EV_TIMEWAIT, -1));
	if (_metadata->passed)
		return;
	for (i = 0; i < self->log.n && i < 200; i++)
		TH_LOG("ev %d: cg %llu %s", i,
		       (unsigned long long)self->log.ev[i].cgroup_id,
		       ev_str(&self->log.ev[i], buf, sizeof(buf)));
}

/* A cgroup id that names no cgroup: nothing with an owner passes. */
TEST_F(cgroup_filter, unknown_cgroup_takes_no_socket)
{
	SKIP_IF_TRAFFIC_ONLY();
	ASSERT_EQ(0, set_cgroup_filter(&self->w.reader, 1ULL << 62));
	ASSERT_EQ(0, connections_in(self->a_path, AF_INET, 2));
	/* A's own events, had they passed, are in the ring before this. */
	ASSERT_EQ(0, set_cgroup_filter(&self->w.reader, self->b));
	ASSERT_EQ(0, connections_in(self->b_path, AF_INET, 1));
	ASSERT_TRUE(ev_log_wait(&self->w.reader, &self->log,
				listener_closed_in, &self->b, 10000));
	EXPECT_EQ(0, owned_by(&self->log, self->a));
	EXPECT_LT(0, owned_by(&self->log, self->b));
}

TEST_HARNESS_MAIN
