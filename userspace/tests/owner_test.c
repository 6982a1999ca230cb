// SPDX-License-Identifier: GPL-2.0
/*
 * The owner table (owner.c): owners carried along a connection's ids, a
 * task kept through softirq events, ids reused, the LRU bound; sockets
 * older than the reader found in /proc (real sockets of this test, looked
 * up by the kernel's /proc/net/tcp and /proc/PID/fd); cgroup ids as paths
 * (this host's cgroup v2 mount); the --who columns and the JSON keys.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "names.h"
#include "owner.h"

#define LISTENER	0x1111ULL
#define REQ		0x2222ULL
#define CHILD		0x3333ULL
#define TW		0x4444ULL

static struct tcpstate_event ev_of(unsigned int type, __u64 sock_id,
				   __u64 peer_id)
{
	struct tcpstate_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = (__u16)type;
	ev.sock_id = sock_id;
	ev.peer_id = peer_id;
	ev.family = AF_INET;
	ev.netns = 1;	/* not ours: no /proc look-ups unless asked */
	return ev;
}

static void with_owner(struct tcpstate_event *ev, __u64 cgroup, __u32 uid)
{
	ev->valid |= TCPSTATE_VALID_OWNER;
	ev->cgroup_id = cgroup;
	ev->uid = uid;
}

static void with_task(struct tcpstate_event *ev, __u32 tgid, __u32 pid,
		      const char *comm)
{
	ev->valid |= TCPSTATE_VALID_TASK;
	ev->tgid = tgid;
	ev->pid = pid;
	strncpy(ev->comm, comm, sizeof(ev->comm) - 1);
}

static struct tcpstate_event state_ev(__u64 id, unsigned int old,
				      unsigned int new)
{
	struct tcpstate_event ev = ev_of(TCPSTATE_EV_STATE, id, 0);

	ev.oldstate = (__u8)old;
	ev.newstate = (__u8)new;
	return ev;
}

/*
 * A server's life: the listener's listen() names its task; the request
 * sock, the child and the child's timewait sock take it, and a task seen
 * on the child itself later (an accept()ing worker's close()) wins; its
 * softirq events after do not take it away.
 */
TEST(owner_follows_a_connection_from_listener_to_timewait)
{
	struct owner_table *t = owner_new(64);
	struct tcpstate_event ev;
	const struct owner *o;

	ASSERT_NE(NULL, t);
	ev = state_ev(LISTENER, TCPS_CLOSE, TCPS_LISTEN);
	with_owner(&ev, 77, 1000);
	with_task(&ev, 500, 501, "nginx");
	owner_feed(t, &ev);

	ev = ev_of(TCPSTATE_EV_SYN_RECV, REQ, LISTENER);
	with_owner(&ev, 77, 1000);
	owner_feed(t, &ev);
	o = owner_get(t, REQ);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(TCPSTATE_VALID_OWNER | TCPSTATE_VALID_TASK, o->valid);
	ASSERT_EQ(500U, o->tgid);
	ASSERT_EQ(501U, o->pid);
	ASSERT_STREQ("nginx", o->comm);
	ASSERT_EQ(77ULL, o->cgroup_id);
	ASSERT_EQ(1000U, o->uid);

	/* The child: LISTEN -> SYN_RECV in softirq, then completed. */
	ev = state_ev(CHILD, TCPS_LISTEN, TCPS_SYN_RECV);
	with_owner(&ev, 77, 1000);
	owner_feed(t, &ev);
	ev = ev_of(TCPSTATE_EV_SYN_RECV_END, REQ, CHILD);
	ev.reason = TCPSTATE_SRE_COMPLETED;
	owner_feed(t, &ev);
	o = owner_get(t, CHILD);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(500U, o->tgid);
	ASSERT_STREQ("nginx", o->comm);

	/* A worker closes it: its own task from now on. */
	ev = state_ev(CHILD, TCPS_ESTABLISHED, TCPS_FIN_WAIT1);
	with_owner(&ev, 77, 1000);
	with_task(&ev, 600, 602, "worker");
	owner_feed(t, &ev);
	ev = state_ev(CHILD, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2);
	with_owner(&ev, 77, 1000);
	owner_feed(t, &ev);
	o = owner_get(t, CHILD);
	ASSERT_EQ(600U, o->tgid);
	ASSERT_EQ(602U, o->pid);
	ASSERT_STREQ("worker", o->comm);

	ev = ev_of(TCPSTATE_EV_TIMEWAIT, TW, CHILD);
	with_owner(&ev, 77, 1000);
	owner_feed(t, &ev);
	ev = state_ev(CHILD, TCPS_FIN_WAIT2, TCPS_CLOSE);
	owner_feed(t, &ev);
	/* Later timewait events carry no owner: the table does. */
	ev = ev_of(TCPSTATE_EV_TIMEWAIT_END, TW, 0);
	owner_feed(t, &ev);
	o = owner_get(t, TW);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(600U, o->tgid);
	ASSERT_STREQ("worker", o->comm);
	ASSERT_EQ(77ULL, o->cgroup_id);
	/* The closed child still answers, for records emitted after. */
	ASSERT_EQ(600U, owner_get(t, CHILD)->tgid);
	owner_free(t);
}

/*
 * An RST sent after the CLOSE of an aborted socket still finds its
 * owner; a new life of the same id (the module reuses a freed socket's
 * id) starts from nothing.
 */
TEST(ended_id_answers_until_reused)
{
	struct owner_table *t = owner_new(16);
	struct tcpstate_event ev;
	const struct owner *o;

	ev = state_ev(CHILD, TCPS_CLOSE, TCPS_SYN_SENT);
	with_owner(&ev, 9, 0);
	with_task(&ev, 42, 43, "curl");
	owner_feed(t, &ev);
	ev = state_ev(CHILD, TCPS_ESTABLISHED, TCPS_CLOSE);
	with_task(&ev, 42, 43, "curl");
	owner_feed(t, &ev);
	ev = ev_of(TCPSTATE_EV_RST_SENT, CHILD, 0);
	owner_feed(t, &ev);
	o = owner_get(t, CHILD);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(42U, o->tgid);

	/* Another socket, same id, first seen in softirq. */
	ev = state_ev(CHILD, TCPS_LISTEN, TCPS_SYN_RECV);
	owner_feed(t, &ev);
	ASSERT_EQ(NULL, owner_get(t, CHILD));
	owner_free(t);
}

/* No task of its own yet: a listener's task reaches its request socks. */
TEST(task_learnt_late_reaches_children)
{
	struct owner_table *t = owner_new(16);
	struct tcpstate_event ev;

	ev = ev_of(TCPSTATE_EV_SYN_RECV, REQ, LISTENER);
	owner_feed(t, &ev);
	ASSERT_EQ(NULL, owner_get(t, REQ));
	/* The listener shows its task (shutdown() of it, say). */
	ev = state_ev(LISTENER, TCPS_LISTEN, TCPS_CLOSE);
	with_task(&ev, 7, 7, "srv");
	owner_feed(t, &ev);
	ASSERT_NE(NULL, owner_get(t, REQ));
	ASSERT_EQ(7U, owner_get(t, REQ)->tgid);
	owner_free(t);
}

/* Fixed memory: the least recently used id is the one forgotten. */
TEST(least_recently_used_is_forgotten)
{
	struct owner_table *t = owner_new(16);
	struct tcpstate_event ev;
	unsigned int i;

	for (i = 1; i <= 16; i++) {
		ev = state_ev(i, TCPS_CLOSE, TCPS_SYN_SENT);
		with_task(&ev, i, i, "c");
		owner_feed(t, &ev);
	}
	/* 1 is used again: 2 is now the oldest. */
	ASSERT_NE(NULL, owner_get(t, 1));
	ev = state_ev(1, TCPS_SYN_SENT, TCPS_ESTABLISHED);
	owner_feed(t, &ev);
	ev = state_ev(17, TCPS_CLOSE, TCPS_SYN_SENT);
	with_task(&ev, 17, 17, "c");
	owner_feed(t, &ev);
	ASSERT_EQ(NULL, owner_get(t, 2));
	for (i = 3; i <= 17; i++)
		ASSERT_EQ(i, owner_get(t, i)->tgid);
	ASSERT_EQ(1U, owner_get(t, 1)->tgid);
	owner_free(t);
}

/* An event without a socket shows its listener, else itself. */
TEST(event_without_socket_shows_its_listener)
{
	struct owner_table *t = owner_new(16);
	struct tcpstate_event ev;
	struct owner scratch;
	const struct owner *o;

	ev = state_ev(LISTENER, TCPS_CLOSE, TCPS_LISTEN);
	with_task(&ev, 5, 5, "srv");
	owner_feed(t, &ev);
	ev = ev_of(TCPSTATE_EV_SYN_DROP, 0, LISTENER);
	owner_feed(t, &ev);
	o = owner_of_event(t, &ev, &scratch);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(5U, o->tgid);

	/* An RST for no socket: nothing known, not even from the table. */
	ev = ev_of(TCPSTATE_EV_RST_SENT, 0, 0);
	owner_feed(t, &ev);
	ASSERT_EQ(NULL, owner_of_event(t, &ev, &scratch));
	/* No table: what the event says. */
	ev = state_ev(CHILD, TCPS_CLOSE, TCPS_SYN_SENT);
	with_task(&ev, 8, 9, "x");
	o = owner_of_event(NULL, &ev, &scratch);
	ASSERT_EQ(&scratch, o);
	ASSERT_EQ(8U, o->tgid);
	owner_free(t);
}

static __u32 own_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

static void own_comm(char comm[TCPSTATE_COMM_LEN])
{
	int fd = open("/proc/self/comm", O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, comm, TCPSTATE_COMM_LEN - 1);

	if (fd >= 0)
		close(fd);
	comm[n > 0 ? n : 0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

static void tuple_of(struct tcpstate_event *ev, int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	getsockname(fd, (struct sockaddr *)&a, &len);
	memcpy(ev->saddr, &a.sin_addr, 4);
	ev->sport = ntohs(a.sin_port);
	len = sizeof(a);
	if (!getpeername(fd, (struct sockaddr *)&a, &len)) {
		memcpy(ev->daddr, &a.sin_addr, 4);
		ev->dport = ntohs(a.sin_port);
	}
}

/*
 * Sockets older than the reader: a listener and a connected client of
 * this very process, found by tuple in /proc/net/tcp, by inode in
 * /proc/self/fd: this process, marked as found in /proc, pid (the
 * thread) unknown. The same tuple in another netns stays unknown.
 */
TEST(sockets_older_than_the_reader_are_found_in_proc)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	struct owner_table *t = owner_new(64);
	char comm[TCPSTATE_COMM_LEN];
	int lfd, cfd, afd;
	struct tcpstate_event ev;
	socklen_t len = sizeof(addr);
	const struct owner *o;

	if (!own_netns() || access("/proc/net/tcp", R_OK))
		SKIP(return, "no /proc/self/ns/net or /proc/net/tcp");
	own_comm(comm);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&addr, sizeof(addr)));
	ASSERT_EQ(0, listen(lfd, 4));
	ASSERT_EQ(0, getsockname(lfd, (struct sockaddr *)&addr, &len));
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(cfd, (struct sockaddr *)&addr, sizeof(addr)));
	afd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, afd);

	/* The client, seen mid-life in softirq. */
	ev = state_ev(CHILD, TCPS_ESTABLISHED, TCPS_CLOSE_WAIT);
	ev.netns = own_netns();
	tuple_of(&ev, cfd);
	owner_feed(t, &ev);
	/* A SYN for the listener: its request sock names it. */
	ev = ev_of(TCPSTATE_EV_SYN_RECV, REQ, LISTENER);
	ev.netns = own_netns();
	tuple_of(&ev, afd);
	owner_feed(t, &ev);
	/* The same client tuple in another netns. */
	ev = state_ev(TW, TCPS_ESTABLISHED, TCPS_CLOSE_WAIT);
	tuple_of(&ev, cfd);
	owner_feed(t, &ev);

	o = owner_get(t, CHILD);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(TCPSTATE_VALID_TASK | OWNER_FROM_PROC, o->valid);
	ASSERT_EQ((__u32)getpid(), o->tgid);
	ASSERT_EQ(0U, o->pid);
	ASSERT_STREQ(comm, o->comm);
	o = owner_get(t, REQ);
	ASSERT_NE(NULL, o);
	ASSERT_EQ((__u32)getpid(), o->tgid);
	ASSERT_TRUE(o->valid & OWNER_FROM_PROC);
	ASSERT_EQ(NULL, owner_get(t, TW));
	close(afd);
	close(cfd);
	close(lfd);
	owner_free(t);
}

/* This process's cgroup v2, as the kernel names it, resolved both ways. */
TEST(cgroup_ids_are_paths_under_the_mount)
{
	char line[PATH_MAX], mount[PATH_MAX] = "", full[2 * PATH_MAX];
	char rel[PATH_MAX], *path = NULL;
	struct owner_table *t = owner_new(16);
	struct stat st;
	__u64 id;
	FILE *f;

	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - cgroup2 ");

		if (sep && sscanf(line, "%*s %*s %*s %*s %s", mount) == 1)
			break;
		mount[0] = '\0';
	}
	if (f)
		fclose(f);
	if (!mount[0]) {
		ASSERT_EQ(-ENODEV, owner_cgroup_lookup("/", &id, rel,
						       sizeof(rel)));
		SKIP(return, "no cgroup v2 mounted here");
	}
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			path = line + 3;
			break;
		}
	if (f)
		fclose(f);
	if (!path)
		SKIP(return, "this process has no cgroup v2 path");
	snprintf(full, sizeof(full), "%s%s", mount, path);
	ASSERT_EQ(0, stat(full, &st)) TH_LOG("%s", full);

	ASSERT_STREQ(path, owner_cgroup_path(t, st.st_ino));
	/* (The root is id 1 on kernfs.) */
	ASSERT_EQ(NULL, owner_cgroup_path(t, ~0ULL - 1));
	/* --cgroup: the full path, or relative to the mount. */
	ASSERT_EQ(0, owner_cgroup_lookup(full, &id, rel, sizeof(rel)));
	ASSERT_EQ((__u64)st.st_ino, id);
	ASSERT_STREQ(path, rel);
	ASSERT_EQ(0, owner_cgroup_lookup(path, &id, rel, sizeof(rel)));
	ASSERT_EQ((__u64)st.st_ino, id);
	ASSERT_EQ(-ENOENT, owner_cgroup_lookup("/no/such/cgroup.tcpstate",
					       &id, rel, sizeof(rel)));
	ASSERT_EQ(-ENOTDIR, owner_cgroup_lookup("cgroup.procs", &id, rel,
						sizeof(rel)));
	owner_free(t);
}

TEST(cgroup_is_under)
{
	ASSERT_TRUE(owner_cgroup_is_under("/a/b", "/a"));
	ASSERT_TRUE(owner_cgroup_is_under("/a", "/a"));
	ASSERT_TRUE(owner_cgroup_is_under("/a/b", "/"));
	ASSERT_FALSE(owner_cgroup_is_under("/ab", "/a"));
	ASSERT_FALSE(owner_cgroup_is_under("/", "/a"));
}

/* The --who columns: fixed widths, "-" for unknown, one word each. */
TEST(who_columns)
{
	struct owner o = {
		.valid = TCPSTATE_VALID_OWNER | TCPSTATE_VALID_TASK,
		.cgroup_id = 1,	/* no such cgroup: its id */
		.uid = 1000, .tgid = 4242, .pid = 4243, .comm = "my prog",
	};
	char line[256], header[256];
	struct textbuf tb;

	ASSERT_LT(0, owner_format_text(line, sizeof(line), &o, NULL));
	ASSERT_STREQ("4242    my?prog         1000  1                        ",
		     line);
	ASSERT_EQ(OWNER_COLS_WIDTH, (int)strlen(line));
	tb_init(&tb, header, sizeof(header));
	tb_owner_header(&tb);
	ASSERT_LT(0, tb_end(&tb));
	ASSERT_STREQ("PID     COMM            UID   CGROUP                   ",
		     header);
	ASSERT_LT(0, owner_format_text(line, sizeof(line), NULL, NULL));
	ASSERT_STREQ("-       -               -     -                        ",
		     line);
}

/* A cgroup path too long for its column keeps its last components. */
TEST(cgroup_column_keeps_the_last_components)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{ "/", "/" },
		{ "/system.slice/nginx.service", ".../nginx.service" },
		{ "/a/b/c/d/e/f/g/h/i/j/k/l/m", ".../d/e/f/g/h/i/j/k/l/m" },
		{ "/exactly-twenty-four-chr", "/exactly-twenty-four-chr" },
		{ "/system.slice/docker-0123456789abcdef0123456789abcdef.scope",
		  "...123456789abcdef.scope" },
	};
	char buf[64];
	struct textbuf tb;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		tb_init(&tb, buf, sizeof(buf));
		tb_cgroup_short(&tb, cases[i].path, OWNER_COL_CGROUP);
		ASSERT_LT(0, tb_end(&tb));
		ASSERT_STREQ(cases[i].want, buf);
		ASSERT_GE(OWNER_COL_CGROUP, (int)strlen(buf));
	}
}

/* Every key always present; null for what is not known. */
TEST(json_keys)
{
	struct owner o = {
		.valid = TCPSTATE_VALID_TASK | OWNER_FROM_PROC,
		.tgid = 12, .comm = "a\"b",
	};
	char buf[512];
	struct textbuf tb;

	tb_init(&tb, buf, sizeof(buf));
	owner_json(&tb, NULL, NULL);
	ASSERT_LT(0, tb_end(&tb));
	ASSERT_STREQ(",\"cgroup_id\":null,\"cgroup\":null,\"uid\":null,\"pid\":null,\"tgid\":null,\"comm\":null,\"owner_from\":null",
		     buf);
	tb_init(&tb, buf, sizeof(buf));
	owner_json(&tb, &o, NULL);
	ASSERT_LT(0, tb_end(&tb));
	ASSERT_STREQ(",\"cgroup_id\":null,\"cgroup\":null,\"uid\":null,\"pid\":null,\"tgid\":12,\"comm\":\"a\\\"b\",\"owner_from\":\"proc\"",
		     buf);
}

TEST_HARNESS_MAIN
