// SPDX-License-Identifier: GPL-2.0
/*
 * Who owns a connection (ABI 2), run as root in the VM
 * (scripts/guest/check.sh), each test in a network namespace of its own.
 *
 * A server process and a client process, each with a name of its own
 * (prctl(PR_SET_NAME)) and in a cgroup v2 of its own, the client under
 * another uid (setuid), make one loopback connection; then `curl` does the
 * same against an HTTP server (one variant runs the server under uid 1000
 * too). Ground truth: the processes' own pids, the
 * cgroup directories' inode numbers (the kernel's cgroup ids) and uids.
 * Every event that says it ran in a task (TCPSTATE_VALID_TASK) names the
 * process that owns that socket, never the one a softirq interrupted; the
 * events that run in a system call (connect(), listen(), close()) must say
 * so; every event that carries an owner (TCPSTATE_VALID_OWNER) names the
 * socket's cgroup and uid, a request sock its listener's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define MAX_LOG		4096
#define NOBODY		65534
#define SERVER_COMM	"ts_server"
#define CLIENT_COMM	"ts_client"
#define CG_SERVER	"tcpstate_owner_server"
#define CG_CLIENT	"tcpstate_owner_client"
#define HTTP_REPLY	"HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

/* A process of the test and the pipe it reports on. */
struct proc {
	pid_t pid;
	int rd;
	char comm[TCPSTATE_COMM_LEN];
	__u64 cgroup_id;
	unsigned int uid;
};

/* Read one unsigned short from @fd within 10 s; 0 on failure. */
static unsigned short read_port(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned short port = 0;

	if (poll(&p, 1, 10000) != 1 ||
	    read(fd, &port, sizeof(port)) != sizeof(port))
		return 0;
	return port;
}

/* Enter the cgroup, take the name and uid: before any socket is made. */
static void become(const char *comm, const char *cg, unsigned int uid)
{
	if (comm && prctl(PR_SET_NAME, comm))
		_exit(10);
	if (cgroup_join(cg))
		_exit(11);
	if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
		_exit(12);
}

/* Read until EOF (0) or error (-1), within 10 s. */
static int read_to_eof(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[512];
	ssize_t n;

	for (;;) {
		if (poll(&p, 1, 10000) != 1)
			return -1;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return n;
	}
}

/*
 * The server process: listens on a free port (reported on @wr), accepts
 * one connection and serves it (one byte back, or an HTTP reply), then
 * closes once the client has.
 */
static void server_main(int family, const char *cg, unsigned int uid,
			bool http, int wr)
{
	struct pollfd p;
	unsigned short port;
	char buf[1024];
	size_t got = 0;
	ssize_t n;
	int lfd, afd;

	become(SERVER_COMM, cg, uid);
	lfd = tcp_listen(family, NULL, 0, 8);
	if (lfd < 0)
		_exit(20);
	port = sock_port(lfd);
	if (write(wr, &port, sizeof(port)) != sizeof(port))
		_exit(21);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, 10000) != 1)
		_exit(22);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		_exit(23);
	if (http) {
		/* The request ends with an empty line. */
		while (got < sizeof(buf) - 1) {
			n = read(afd, buf + got, sizeof(buf) - 1 - got);
			if (n <= 0)
				_exit(24);
			got += n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		if (write(afd, HTTP_REPLY, strlen(HTTP_REPLY)) !=
		    (ssize_t)strlen(HTTP_REPLY))
			_exit(25);
	} else if (read(afd, buf, 1) != 1 || write(afd, buf, 1) != 1) {
		_exit(26);
	}
	if (read_to_eof(afd))
		_exit(27);
	close(afd);
	close(lfd);
	_exit(0);
}

/*
 * The client process: connects to @port, reports its own port on @wr, one
 * byte each way, closes first.
 */
static void client_main(int family, unsigned short port, const char *cg,
			unsigned int uid, int wr)
{
	unsigned short cport;
	char byte = 'c';
	int fd;

	become(CLIENT_COMM, cg, uid);
	fd = tcp_connect(family, 0, port);
	if (fd < 0)
		_exit(30);
	cport = sock_port(fd);
	if (write(wr, &cport, sizeof(cport)) != sizeof(cport))
		_exit(31);
	if (write(fd, &byte, 1) != 1 || read(fd, &byte, 1) != 1)
		_exit(32);
	close(fd);
	_exit(0);
}

/* curl, in the client's cgroup and uid, against the server on @port. */
static void curl_main(int family, unsigned short port, const char *cg,
		      unsigned int uid)
{
	char url[64];

	become(NULL, cg, uid);
	snprintf(url, sizeof(url), family == AF_INET6 ?
		 "http://[::1]:%u/" : "http://127.0.0.1:%u/", port);
	execlp("curl", "curl", "-sS", "-o", "/dev/null", "--max-time", "10",
	       url, (char *)NULL);
	_exit(127);
}

/* fork(): the child runs @fn-like code itself; the pipe's read end kept. */
static pid_t spawn(struct proc *p, int *wr)
{
	int fds[2];

	if (pipe(fds))
		return -1;
	p->pid = fork();
	if (p->pid == 0) {
		close(fds[0]);
		*wr = fds[1];
		return 0;
	}
	close(fds[1]);
	p->rd = fds[0];
	return p->pid;
}

/* waitpid() within 15 s (then SIGKILL); the exit status, or -1. */
static int reap(pid_t pid)
{
	long long deadline = now_ms() + 15000;
	int status;
	pid_t r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(20000);
	}
	if (r != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(owner)
{
	struct ts_watch w;
	struct ev_log log;
	struct proc server, client;
	char cg_server[256], cg_client[256];
};

FIXTURE_VARIANT(owner)
{
	int family;
	unsigned int client_uid, server_uid;
};

FIXTURE_VARIANT_ADD(owner, ipv4) {
	.family = AF_INET, .client_uid = NOBODY,
};

FIXTURE_VARIANT_ADD(owner, ipv6) {
	.family = AF_INET6, .client_uid = NOBODY,
};

FIXTURE_VARIANT_ADD(owner, ipv4_root_client) {
	.family = AF_INET, .client_uid = 0,
};

/* Neither is root: the server's uid is not what a default would give. */
FIXTURE_VARIANT_ADD(owner, ipv6_unprivileged_server) {
	.family = AF_INET6, .client_uid = NOBODY, .server_uid = 1000,
};

FIXTURE_SETUP(owner)
{
	char err[256];
	int rc;

	memset(&self->server, 0, sizeof(self->server));
	memset(&self->client, 0, sizeof(self->client));
	self->server.rd = self->client.rd = -1;
	self->cg_server[0] = self->cg_client[0] = '\0';
	if (traffic_only())
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY: the owner is tcpstate's figure alone");
	rc = cgroup2_ensure();
	if (rc)
		SKIP(return, "no cgroup v2 at " CGROUP2_ROOT ": %s", strerror(-rc));
	ASSERT_EQ(0, ts_watch_open(&self->w, false, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, ev_log_init(&self->log, MAX_LOG, netns_inode()));
	ASSERT_EQ(0, cgroup_make(CG_SERVER, self->cg_server,
				 sizeof(self->cg_server),
				 &self->server.cgroup_id));
	ASSERT_EQ(0, cgroup_make(CG_CLIENT, self->cg_client,
				 sizeof(self->cg_client),
				 &self->client.cgroup_id));
	ASSERT_NE(self->server.cgroup_id, self->client.cgroup_id);
	self->server.uid = variant->server_uid;
	self->client.uid = variant->client_uid;
	strcpy(self->server.comm, SERVER_COMM);
}

FIXTURE_TEARDOWN(owner)
{
	if (self->server.rd >= 0)
		close(self->server.rd);
	if (self->client.rd >= 0)
		close(self->client.rd);
	ts_watch_close(&self->w);
	ev_log_free(&self->log);
	/* Empty once their processes were reaped. */
	if (self->cg_server[0])
		rmdir(self->cg_server);
	if (self->cg_client[0])
		rmdir(self->cg_client);
}

/* The sockets of the connection, by the events that name them. */
struct conn_ids {
	__u64 listener, client, request, child, client_tw;
};

/* Which of the two processes owns socket @id: NULL if neither. */
static const struct proc *owner_of(const struct conn_ids *ids, __u64 id,
				   const struct proc *server,
				   const struct proc *client)
{
	if (!id)
		return NULL;
	if (id == ids->client || id == ids->client_tw)
		return client;
	if (id == ids->listener || id == ids->request || id == ids->child)
		return server;
	return NULL;
}

/*
 * Every event of the netns: a task named is the owner of the socket (or
 * for a socket the test does not know, one of its two processes), with its
 * name; an owner named is the socket's cgroup and uid.
 */
static void check_every_event(struct __test_metadata *_metadata,
			      const struct ev_log *log,
			      const struct conn_ids *ids,
			      const struct proc *server,
			      const struct proc *client)
{
	const struct proc *want;
	char buf[512];
	int i;

	for (i = 0; i < log->n; i++) {
		const struct tcpstate_event *ev = &log->ev[i];

		want = owner_of(ids, ev->sock_id, server, client);
		ev_str_full(ev, buf, sizeof(buf));
		if (ev->valid & TCPSTATE_VALID_TASK) {
			if (want) {
				EXPECT_EQ(want->pid, (pid_t)ev->tgid)
					TH_LOG("another task named: %s", buf);
			} else {
				EXPECT_TRUE((pid_t)ev->tgid == server->pid ||
					    (pid_t)ev->tgid == client->pid)
					TH_LOG("a bystander task named: %s", buf);
				want = (pid_t)ev->tgid == server->pid ?
					server : client;
			}
			/* Single-threaded processes: the thread is the process. */
			EXPECT_EQ(ev->tgid, ev->pid) TH_LOG("%s", buf);
			if ((pid_t)ev->tgid == want->pid)
				EXPECT_EQ(0, strncmp(want->comm, ev->comm,
						     TCPSTATE_COMM_LEN))
					TH_LOG("comm '%s' expected: %s",
					       want->comm, buf);
		}
		if ((ev->valid & TCPSTATE_VALID_OWNER) && want) {
			EXPECT_EQ(want->cgroup_id, ev->cgroup_id)
				TH_LOG("cgroup of %s expected: %s", want->comm,
				       buf);
			EXPECT_EQ(want->uid, ev->uid)
				TH_LOG("uid of %s expected: %s", want->comm,
				       buf);
		}
	}
}

/*
 * @ev exists and carries @owner's cgroup and uid, and (when @task is not
 * NULL: it ran in @task's system call) @task's pid.
 */
static void expect_names(struct __test_metadata *_metadata,
			 const struct tcpstate_event *ev,
			 const struct proc *task, const struct proc *owner)
{
	char buf[512];

	ASSERT_NE(NULL, ev);
	ev_str_full(ev, buf, sizeof(buf));
	if (task) {
		EXPECT_TRUE(ev->valid & TCPSTATE_VALID_TASK)
			TH_LOG("no task on a system call's event: %s", buf);
		EXPECT_EQ(task->pid, (pid_t)ev->tgid) TH_LOG("%s", buf);
	}
	EXPECT_TRUE(ev->valid & TCPSTATE_VALID_OWNER)
		TH_LOG("no owner: %s", buf);
	EXPECT_EQ(owner->cgroup_id, ev->cgroup_id) TH_LOG("%s", buf);
	EXPECT_EQ(owner->uid, ev->uid) TH_LOG("%s", buf);
}

/*
 * The ids of the connection between the server on @port and the client on
 * @cport, once both ends are closed (the client's socket and the server's
 * child reached CLOSE). Fails the test if an event is missing.
 */
static void collect_ids(struct __test_metadata *_metadata,
			struct tcpstate_reader *r, struct ev_log *log,
			unsigned short port, unsigned short cport,
			struct conn_ids *ids)
{
	const struct tcpstate_event *ev;

	memset(ids, 0, sizeof(*ids));
	ev = ev_log_wait_match(r, log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .oldstate = TCP_CLOSE,
		.newstate = TCP_SYN_SENT, .dport = port }, 5000);
	ASSERT_NE(NULL, ev) TH_LOG("no CLOSE -> SYN_SENT to port %u", port);
	ids->client = ev->sock_id;
	ev = ev_find(log, &(struct ev_match){ .type = TCPSTATE_EV_STATE,
		.oldstate = TCP_CLOSE, .newstate = TCP_LISTEN, .sport = port });
	ASSERT_NE(NULL, ev) TH_LOG("no listener on port %u", port);
	ids->listener = ev->sock_id;
	ev = ev_log_wait_match(r, log, &(struct ev_match){
		.type = TCPSTATE_EV_ACCEPT_QUEUED, .sport = port,
		.dport = cport }, 5000);
	ASSERT_NE(NULL, ev) TH_LOG("no ACCEPT_QUEUED for port %u", cport);
	ids->child = ev->sock_id;
	ev = ev_find(log, &(struct ev_match){ .type = TCPSTATE_EV_SYN_RECV,
		.sport = port, .dport = cport });
	ASSERT_NE(NULL, ev) TH_LOG("no SYN_RECV for port %u", cport);
	ids->request = ev->sock_id;
	ASSERT_NE(NULL, ev_log_wait_match(r, log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = ids->client,
		.newstate = TCP_CLOSE }, 10000));
	ASSERT_NE(NULL, ev_log_wait_match(r, log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = ids->child,
		.newstate = TCP_CLOSE }, 10000));
	ev = ev_find(log, &(struct ev_match){ .type = TCPSTATE_EV_TIMEWAIT,
		.peer_id = ids->client });
	if (ev)
		ids->client_tw = ev->sock_id;
}

/*
 * Two named processes in two cgroups, the client under another uid: each
 * socket's events name its own process and owner.
 */
TEST_F(owner, client_and_server_processes)
{
	const struct tcpstate_event *ev;
	struct conn_ids ids;
	unsigned short port, cport;
	int wr;

	if (spawn(&self->server, &wr) == 0)
		server_main(variant->family, self->cg_server,
			    variant->server_uid, false, wr);
	ASSERT_LT(0, self->server.pid);
	port = read_port(self->server.rd);
	ASSERT_NE(0, port) TH_LOG("the server did not start: status %d",
				  reap(self->server.pid));
	strcpy(self->client.comm, CLIENT_COMM);
	if (spawn(&self->client, &wr) == 0)
		client_main(variant->family, port, self->cg_client,
			    variant->client_uid, wr);
	ASSERT_LT(0, self->client.pid);
	cport = read_port(self->client.rd);
	EXPECT_EQ(0, reap(self->client.pid));
	EXPECT_EQ(0, reap(self->server.pid));
	ASSERT_NE(0, cport);
	TH_LOG("server pid %d cgroup %llu, client pid %d cgroup %llu uid %u, ports %u <- %u",
	       self->server.pid, (unsigned long long)self->server.cgroup_id,
	       self->client.pid, (unsigned long long)self->client.cgroup_id,
	       self->client.uid, port, cport);

	collect_ids(_metadata, &self->w.reader, &self->log, port, cport, &ids);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &self->log);
	ASSERT_TRUE(_metadata->passed);

	/* In the owner's system calls: listen(), connect(), close(). */
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.listener,
		.oldstate = TCP_CLOSE, .newstate = TCP_LISTEN });
	expect_names(_metadata, ev, &self->server, &self->server);
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.client,
		.oldstate = TCP_CLOSE, .newstate = TCP_SYN_SENT });
	expect_names(_metadata, ev, &self->client, &self->client);
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.client,
		.oldstate = TCP_ESTABLISHED, .newstate = TCP_FIN_WAIT1 });
	expect_names(_metadata, ev, &self->client, &self->client);
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.child,
		.oldstate = TCP_CLOSE_WAIT, .newstate = TCP_LAST_ACK });
	expect_names(_metadata, ev, &self->server, &self->server);
	/* In softirq: the owner only, the listener's for the request sock. */
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.request,
		.type = TCPSTATE_EV_SYN_RECV });
	expect_names(_metadata, ev, NULL, &self->server);
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.child,
		.oldstate = TCP_SYN_RECV, .newstate = TCP_ESTABLISHED });
	expect_names(_metadata, ev, NULL, &self->server);
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.client,
		.oldstate = TCP_SYN_SENT, .newstate = TCP_ESTABLISHED });
	expect_names(_metadata, ev, NULL, &self->client);
	/* A timewait sock takes its full socket's owner. */
	ev = ev_find(&self->log, &(struct ev_match){
		.type = TCPSTATE_EV_TIMEWAIT, .peer_id = ids.client });
	expect_names(_metadata, ev, NULL, &self->client);

	check_every_event(_metadata, &self->log, &ids, &self->server,
			  &self->client);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &self->log);
}

/*
 * A real client, curl, against the local server: its connect() names it
 * ("curl", its pid) and its cgroup and uid; the server's sockets name the
 * server.
 */
TEST_F(owner, curl_client)
{
	const struct tcpstate_event *ev;
	struct conn_ids ids;
	unsigned short port, cport;
	int wr;

	if (sh("command -v curl > /dev/null"))
		SKIP(return, "no curl in this image");
	if (spawn(&self->server, &wr) == 0)
		server_main(variant->family, self->cg_server,
			    variant->server_uid, true, wr);
	ASSERT_LT(0, self->server.pid);
	port = read_port(self->server.rd);
	ASSERT_NE(0, port) TH_LOG("the server did not start: status %d",
				  reap(self->server.pid));
	strcpy(self->client.comm, "curl");
	if (spawn(&self->client, &wr) == 0)
		curl_main(variant->family, port, self->cg_client,
			  variant->client_uid);
	ASSERT_LT(0, self->client.pid);
	EXPECT_EQ(0, reap(self->client.pid)) TH_LOG("curl failed");
	EXPECT_EQ(0, reap(self->server.pid));
	/* curl's port: from the server's side of the handshake. */
	ev = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_SYN_RECV, .sport = port }, 5000);
	ASSERT_NE(NULL, ev) TH_LOG("no SYN_RECV on port %u", port);
	cport = ev->dport;
	TH_LOG("server pid %d, curl pid %d uid %u cgroup %llu, ports %u <- %u",
	       self->server.pid, self->client.pid, self->client.uid,
	       (unsigned long long)self->client.cgroup_id, port, cport);

	collect_ids(_metadata, &self->w.reader, &self->log, port, cport, &ids);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &self->log);
	ASSERT_TRUE(_metadata->passed);
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.client,
		.oldstate = TCP_CLOSE, .newstate = TCP_SYN_SENT });
	expect_names(_metadata, ev, &self->client, &self->client);
	EXPECT_EQ(0, strncmp("curl", ev->comm, TCPSTATE_COMM_LEN));
	ev = ev_find(&self->log, &(struct ev_match){ .sock_id = ids.request,
		.type = TCPSTATE_EV_SYN_RECV });
	expect_names(_metadata, ev, NULL, &self->server);
	check_every_event(_metadata, &self->log, &ids, &self->server,
			  &self->client);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &self->log);
}

TEST_HARNESS_MAIN
