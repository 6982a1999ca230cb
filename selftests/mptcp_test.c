// SPDX-License-Identifier: GPL-2.0
/*
 * MPTCP selftests, run as root in the VM (scripts/guest/check.sh).
 *
 * An MPTCP server and client in two network namespaces joined by a veth
 * pair; the client has a second address, a "subflow" endpoint of its path
 * manager, so each connection gets an MP_JOIN subflow. A joining subflow's
 * request sock leaves the SYN queue by tcp_check_req()'s rsk_drop_req()
 * branch, not inet_csk_complete_hashdance(); an MPTCP listener's SYNs
 * reach tcp_conn_request() from subflow_v{4,6}_conn_request(), not
 * tcp_v{4,6}_conn_request(). Each test checks tcpstate against the
 * kernel's own figures in the server's namespace: the st 03 rows of
 * /proc/net/tcp{,6}, Tcp PassiveOpens, TcpExt, and MPTcpExt's join MIBs.
 *
 * Needs an MPTCP kernel (CONFIG_MPTCP) and iproute2's `ip mptcp`: SKIP
 * with the reason otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP	262
#endif

#define MPTCP_PORT	8090
#define MAX_LOG		16384
#define SERVER_DEV	"tsmps"
#define CLIENT_DEV	"tsmpc"

struct mp_addrs {
	const char *server, *client, *client_join, *prefix_len, *nodad;
};

static const struct mp_addrs mp_addrs4 = {
	"10.88.0.1", "10.88.0.2", "10.88.0.3", "24", "",
};

static const struct mp_addrs mp_addrs6 = {
	"fd88::1", "fd88::2", "fd88::3", "64", " nodad",
};

/* What every test here holds; torn down by mp_teardown(). */
struct mp_ctx {
	struct ts_watch w;
	struct ev_log log;
	const struct mp_addrs *addrs;
	int family;
	int server_ns, client_ns;
	int lfd;
	int cfd[16], afd[16];
	int ncfd, nafd;
	struct ts_snapshot before, after;
	long long join_ack_before;
	/* Why MPTCP cannot run here (NULL: it can): the tests SKIP. */
	const char *missing;
};

/* In a test body: SKIP (a SKIP in FIXTURE_SETUP still runs the body). */
#define SKIP_WITHOUT_MPTCP(x) do {					\
	if ((x)->missing)						\
		SKIP(return, "%s", (x)->missing);			\
} while (0)

/* Why this kernel or guest cannot run MPTCP here; NULL when it can. */
static const char *mptcp_missing(int family)
{
	int fd = socket(family, SOCK_STREAM, IPPROTO_MPTCP);

	if (fd < 0)
		return "no IPPROTO_MPTCP sockets: kernel without MPTCP (CONFIG_MPTCP), or net.mptcp.enabled=0";
	close(fd);
	if (sh("ip mptcp limits show >/dev/null 2>&1"))
		return "iproute2 without `ip mptcp`";
	return NULL;
}

/* A netns in a child that waits on @hold until the parent is done with it. */
static pid_t netns_holder(int *hold)
{
	int ready[2], wait_fds[2];
	pid_t pid;
	char c;

	if (pipe(ready) || pipe(wait_fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		close(ready[0]);
		close(wait_fds[1]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		c = 'r';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		/* EOF: the parent has entered the netns or given up. */
		while (read(wait_fds[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(wait_fds[0]);
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		close(wait_fds[1]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(ready[0]);
	*hold = wait_fds[1];
	return pid;
}

/*
 * The server's netns (current on return) and the client's, a veth pair
 * between them, the client's second address as a subflow endpoint, and
 * the path manager's limits on both sides. 0, or the failing step.
 */
static const char *mp_topology(struct mp_ctx *x)
{
	const struct mp_addrs *a = x->addrs;
	char path[64];
	int hold, fd;
	pid_t pid;

	if (netns_new())
		return "netns_new (server)";
	x->server_ns = netns_fd();
	pid = netns_holder(&hold);
	if (pid < 0)
		return "netns_holder (client)";
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	close(hold);
	waitpid(pid, NULL, 0);
	if (fd < 0)
		return "open the client's netns";
	x->client_ns = fd;
	/* The peer goes into the client's netns by its fd. */
	if (sh("ip link add " SERVER_DEV " type veth peer name " CLIENT_DEV
	       " netns /proc/%d/fd/%d", getpid(), x->client_ns) &&
	    sh("modprobe veth 2>/dev/null; ip link add " SERVER_DEV
	       " type veth peer name " CLIENT_DEV " netns /proc/%d/fd/%d", getpid(),
	       x->client_ns))
		return "ip link add veth";
	if (sh("ip addr add %s/%s dev " SERVER_DEV "%s && ip link set " SERVER_DEV " up",
	       a->server, a->prefix_len, a->nodad) ||
	    sh("ip mptcp limits set subflow 4 add_addr_accepted 4"))
		return "server: address, limits";
	if (netns_enter(x->client_ns))
		return "setns (client)";
	if (sh("ip link set lo up && ip addr add %s/%s dev " CLIENT_DEV "%s && "
	       "ip addr add %s/%s dev " CLIENT_DEV "%s && ip link set " CLIENT_DEV " up",
	       a->client, a->prefix_len, a->nodad,
	       a->client_join, a->prefix_len, a->nodad) ||
	    sh("ip mptcp limits set subflow 4 add_addr_accepted 4") ||
	    sh("ip mptcp endpoint add %s dev " CLIENT_DEV " subflow", a->client_join))
		return "client: addresses, limits, subflow endpoint";
	if (netns_enter(x->server_ns))
		return "setns (server)";
	return NULL;
}

static void mp_setup(struct __test_metadata *_metadata, struct mp_ctx *x,
		     int family)
{
	const char *missing;
	char err[256];

	x->lfd = -1;
	x->server_ns = x->client_ns = -1;
	x->family = family;
	x->addrs = family == AF_INET ? &mp_addrs4 : &mp_addrs6;
	ASSERT_EQ(0, ts_watch_open(&x->w, false, err, sizeof(err)))
		TH_LOG("%s", err);
	x->missing = mptcp_missing(family);
	if (x->missing)
		return;
	missing = mp_topology(x);
	ASSERT_EQ(NULL, missing) TH_LOG("setup failed at: %s", missing);
	ASSERT_EQ(0, ev_log_init(&x->log, MAX_LOG, netns_inode()));
}

static void mp_teardown(struct mp_ctx *x)
{
	int i;

	for (i = 0; i < x->ncfd; i++)
		tcp_abort(x->cfd[i]);
	for (i = 0; i < x->nafd; i++)
		close(x->afd[i]);
	if (x->lfd >= 0)
		close(x->lfd);
	if (x->server_ns >= 0)
		close(x->server_ns);
	if (x->client_ns >= 0)
		close(x->client_ns);
	ts_watch_close(&x->w);
	ev_log_free(&x->log);
}

/* An MPTCP socket of @x's family bound to @addr:@port (0: any). fd or -errno. */
static int mp_socket(const struct mp_ctx *x, const char *addr,
		     unsigned short port)
{
	struct sockaddr_storage ss;
	struct ts_addr a;
	int fd, one = 1;
	socklen_t len;

	if (ts_addr_parse(x->family, addr, &a))
		return -EINVAL;
	fd = socket(x->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	len = ts_sockaddr(&a, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int mp_listen(struct mp_ctx *x, int backlog)
{
	int fd = mp_socket(x, x->addrs->server, MPTCP_PORT);

	if (fd >= 0 && listen(fd, backlog)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A client socket connecting from the client's netns; fd or -errno. */
static int mp_connect(struct mp_ctx *x, bool nonblock)
{
	struct sockaddr_storage ss;
	struct ts_addr dst;
	socklen_t len;
	int fd;

	if (netns_enter(x->client_ns))
		return -errno;
	fd = mp_socket(x, x->addrs->client, 0);
	netns_enter(x->server_ns);
	if (fd < 0)
		return fd;
	if (nonblock)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	ts_addr_parse(x->family, x->addrs->server, &dst);
	len = ts_sockaddr(&dst, MPTCP_PORT, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) &&
	    !(nonblock && errno == EINPROGRESS)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static long long mptcp_mib(const char *field)
{
	return mib_get("MPTcpExt", field);
}

/* syn_queue_added = completed + expired + dropped + migrated + the gauge. */
static long long books_skew(const struct ts_snapshot *b,
			    const struct ts_snapshot *a)
{
	return COUNTER_DELTA(b, a, TCPSTATE_C_SYN_QUEUE_ADDED) -
	       COUNTER_DELTA(b, a, TCPSTATE_C_SYN_QUEUE_COMPLETED) -
	       COUNTER_DELTA(b, a, TCPSTATE_C_SYN_QUEUE_EXPIRED) -
	       COUNTER_DELTA(b, a, TCPSTATE_C_SYN_QUEUE_DROPPED) -
	       COUNTER_DELTA(b, a, TCPSTATE_C_SYN_QUEUE_MIGRATED) -
	       COUNTER_DELTA(b, a, TCPSTATE_C_SYN_RECV);
}

/* At rest: no st 03 row, and the SYN_RECV gauge says the same. */
static bool synq_at_rest(struct mp_ctx *x)
{
	return proc_tcp_rows(x->family, 3, 0) == 0 &&
	       counter_get(TCPSTATE_C_SYN_RECV) == 0;
}

static __u64 listener_id(const struct ev_log *log)
{
	int i;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].type == TCPSTATE_EV_STATE &&
		    log->ev[i].oldstate == TCP_CLOSE &&
		    log->ev[i].newstate == TCP_LISTEN &&
		    log->ev[i].sport == MPTCP_PORT)
			return log->ev[i].sock_id;
	return 0;
}

FIXTURE(mptcp)
{
	struct mp_ctx x;
};

FIXTURE_VARIANT(mptcp)
{
	int family;
};

FIXTURE_VARIANT_ADD(mptcp, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(mptcp, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(mptcp)
{
	memset(&self->x, 0, sizeof(self->x));
	mp_setup(_metadata, &self->x, variant->family);
}

FIXTURE_TEARDOWN(mptcp)
{
	mp_teardown(&self->x);
}

/*
 * N MPTCP connections, one at a time, each with one MP_JOIN subflow:
 * 2N request socks, each completed (the MP_CAPABLE one into the accept
 * queue, the joining one into its MPTCP connection). With the join leak,
 * the gauge stays at N while /proc/net/tcp has no st 03 row.
 */
TEST_F_TIMEOUT(mptcp, joins, 60)
{
	struct mp_ctx *x = &self->x;
	const int n = 8;
	long long joins_syn, joins_ack;
	__u64 listener;
	int i, ends = 0;
	char buf[256];

	SKIP_WITHOUT_MPTCP(x);
	x->lfd = mp_listen(x, 16);
	ASSERT_LE(0, x->lfd) TH_LOG("MPTCP listen: %s", strerror(-x->lfd));
	snapshot_take(_metadata, &x->before, true);
	joins_syn = mptcp_mib("MPJoinSynRx");
	x->join_ack_before = mptcp_mib("MPJoinAckRx");
	ASSERT_LE(0, x->join_ack_before) TH_LOG("no MPTcpExt MPJoinAckRx");

	for (i = 0; i < n; i++) {
		x->cfd[i] = mp_connect(x, false);
		ASSERT_LE(0, x->cfd[i]) TH_LOG("connect %d: %s", i,
					       strerror(-x->cfd[i]));
		x->ncfd++;
		x->afd[i] = accept(x->lfd, NULL, NULL);
		ASSERT_LE(0, x->afd[i]);
		x->nafd++;
		ASSERT_EQ(0, tcp_exchange(x->cfd[i], x->afd[i]));
		/* The path manager adds the subflow once established. */
		EXPECT_TRUE(POLL_UNTIL(mptcp_mib("MPJoinAckRx") -
				       x->join_ack_before == i + 1, 5000))
			TH_LOG("connection %d: MPJoinAckRx moved by %lld", i,
			       mptcp_mib("MPJoinAckRx") - x->join_ack_before);
	}
	joins_ack = mptcp_mib("MPJoinAckRx") - x->join_ack_before;
	joins_syn = mptcp_mib("MPJoinSynRx") - joins_syn;
	EXPECT_EQ(n, joins_ack);
	EXPECT_EQ(n, joins_syn);

	/* Every handshake done: no request sock, and the gauge says 0. */
	EXPECT_TRUE(POLL_UNTIL(synq_at_rest(x), 3000))
		TH_LOG("st 03 rows %d, syn_recv %llu", proc_tcp_rows(x->family, 3, 0),
		       counter_get(TCPSTATE_C_SYN_RECV));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, x->after.c.v[TCPSTATE_C_SYN_RECV]);
	EXPECT_EQ(0, books_skew(&x->before, &x->after));
	/* One child per request sock, each kept: Tcp PassiveOpens. */
	EXPECT_EQ(2 * n, MDELTA(x, M_PASSIVE));
	EXPECT_EQ(2 * n, CDELTA(x, TCPSTATE_C_SYN_QUEUE_ADDED));
	EXPECT_EQ(MDELTA(x, M_PASSIVE), CDELTA(x, TCPSTATE_C_SYN_QUEUE_COMPLETED));
	EXPECT_EQ(0, CDELTA(x, TCPSTATE_C_SYN_QUEUE_DROPPED));
	/* Only the MP_CAPABLE subflows joined the accept queue. */
	EXPECT_EQ(n, CDELTA(x, TCPSTATE_C_ACCEPT_QUEUED));
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);

	/*
	 * The ring: one request sock at a time, so each SYN_RECV finds the
	 * SYN queue at 1 and each SYN_RECV_END leaves it at 0.
	 */
	EXPECT_TRUE(ev_log_wait_for(&x->w.reader, &x->log,
				    TCPSTATE_EV_SYN_RECV_END, -1, 2 * n, 5000));
	EXPECT_EQ(0, x->log.dropped);
	listener = listener_id(&x->log);
	EXPECT_NE(0, listener);
	EXPECT_EQ(2 * n, ev_count(&x->log, TCPSTATE_EV_SYN_RECV, -1));
	EXPECT_EQ(2 * n, ev_count(&x->log, TCPSTATE_EV_SYN_RECV_END,
				  TCPSTATE_SRE_COMPLETED));
	EXPECT_EQ(2 * n, ev_count(&x->log, TCPSTATE_EV_SYN_RECV_END, -1));
	for (i = 0; i < x->log.n; i++) {
		const struct tcpstate_event *ev = &x->log.ev[i];

		if (ev->type == TCPSTATE_EV_SYN_RECV) {
			EXPECT_EQ(1, ev->qlen) TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
			EXPECT_EQ(listener, ev->peer_id);
		} else if (ev->type == TCPSTATE_EV_SYN_RECV_END) {
			EXPECT_EQ(0, ev->qlen) TH_LOG("%s", ev_str(ev, buf, sizeof(buf)));
			/* Completed: the child, never the listener. */
			EXPECT_NE(listener, ev->peer_id);
			EXPECT_NE(0, ev->peer_id);
			ends++;
		}
	}
	EXPECT_EQ(2 * n, ends);
	if (!_metadata->passed)
		ev_log_dump(_metadata, &x->log);
}

static bool mirrors_settled(struct __test_metadata *_metadata,
			    struct mp_ctx *x)
{
	snapshot_take(_metadata, &x->after, true);
	return MIRRORS_AGREE(&x->before, &x->after);
}

/*
 * An MPTCP listener with a backlog of 1 that never accepts: its accept
 * queue fills, later SYNs are dropped in tcp_conn_request() (reached from
 * subflow_v{4,6}_conn_request()) and third ACKs in tcp_v{4,6}_syn_recv_sock().
 * tcpstate's listen counters must move as TcpExt's do; once the clients
 * give up, no request sock is left and the books balance.
 */
TEST_F_TIMEOUT(mptcp, listen_overflow, 60)
{
	struct mp_ctx *x = &self->x;
	const int n = 6;
	int i;

	SKIP_WITHOUT_MPTCP(x);
	x->lfd = mp_listen(x, 1);
	ASSERT_LE(0, x->lfd) TH_LOG("MPTCP listen: %s", strerror(-x->lfd));
	snapshot_take(_metadata, &x->before, true);
	for (i = 0; i < n; i++) {
		x->cfd[i] = mp_connect(x, true);
		ASSERT_LE(0, x->cfd[i]) TH_LOG("connect %d: %s", i,
					       strerror(-x->cfd[i]));
		x->ncfd++;
	}
	/* SYNs dropped for a full accept queue, as the kernel counts them. */
	EXPECT_TRUE(POLL_UNTIL(mib_get("TcpExt", "ListenOverflows") -
			       x->before.mib[M_OVERFLOWS] >= 2, 10000));
	EXPECT_TRUE(POLL_UNTIL(mirrors_settled(_metadata, x), 3000));
	EXPECT_LT(0, MDELTA(x, M_OVERFLOWS));
	EXPECT_LT(0, MDELTA(x, M_DROPS));
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);

	/* The clients give up: every request sock goes, the gauge with them. */
	for (i = 0; i < x->ncfd; i++)
		tcp_abort(x->cfd[i]);
	x->ncfd = 0;
	close(x->lfd);
	x->lfd = -1;
	EXPECT_TRUE(POLL_UNTIL(synq_at_rest(x), 5000))
		TH_LOG("st 03 rows %d, syn_recv %llu", proc_tcp_rows(x->family, 3, 0),
		       counter_get(TCPSTATE_C_SYN_RECV));
	snapshot_take(_metadata, &x->after, true);
	EXPECT_EQ(0, books_skew(&x->before, &x->after));
	EXPECT_MIRRORS_AGREE(&x->before, &x->after);
}

TEST_HARNESS_MAIN
