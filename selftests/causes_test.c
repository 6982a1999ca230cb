// SPDX-License-Identifier: GPL-2.0
/*
 * Why a connection ended (ABI 2), run as root in the VM
 * (scripts/guest/check.sh), each test in a network namespace of its own so
 * that the kernel's counters move only with the test's traffic.
 *
 * Refused (a closed port), timed out (SYNs into a dummy device that drops
 * them) and reset three ways (SO_LINGER 0, close() with unread data, an
 * orphaned FIN_WAIT2 under TCP_LINGER2 -1). Ground truth: connect()'s and
 * SO_ERROR's errno, Tcp OutRsts and TcpExt TCPAbortOnData /
 * TCPAbortOnClose / TCPAbortOnLinger deltas, and the kernel's RST reasons
 * (enum sk_rst_reason) of the paths taken: tcp_disconnect() says
 * TCP_STATE, tcp_close() with unread data TCP_ABORT_ON_CLOSE, tcp_close()
 * of a FIN_WAIT2 socket with linger2 < 0 TCP_ABORT_ON_LINGER (6.11+;
 * 6.10 says NOT_SPECIFIED for all three, earlier kernels give no reason),
 * a segment for no socket NO_SOCKET (which the module also says before
 * 6.10).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define MAX_LOG		4096
#define LISTEN_PORT	9000
#define CLOSED_PORT	9009
#define SINK_PORT	80

/* The MIBs the tests read, one table: enum cause_mib indexes cause_mibs. */
enum cause_mib {
	M_OUT_RSTS, M_ABORT_ON_DATA, M_ABORT_ON_CLOSE, M_ABORT_ON_LINGER,
	NR_CAUSE_MIBS
};

static const struct ts_mib_field cause_mibs[NR_CAUSE_MIBS] = {
	[M_OUT_RSTS] = { "Tcp", "OutRsts" },
	[M_ABORT_ON_DATA] = { "TcpExt", "TCPAbortOnData" },
	[M_ABORT_ON_CLOSE] = { "TcpExt", "TCPAbortOnClose" },
	[M_ABORT_ON_LINGER] = { "TcpExt", "TCPAbortOnLinger" },
};

/* The kernel's figures and tcpstate's that the tests compare. */
struct figures {
	struct ts_counters c;
	long long mib[NR_CAUSE_MIBS];
};

static void figures_read(struct __test_metadata *_metadata,
			 struct figures *f)
{
	unsigned int i;

	ASSERT_EQ(0, counters_ioctl(&f->c, NULL));
	for (i = 0; i < NR_CAUSE_MIBS; i++) {
		f->mib[i] = mib_get(cause_mibs[i].section, cause_mibs[i].field);
		ASSERT_LE(0, f->mib[i]) TH_LOG("no %s %s", cause_mibs[i].section,
					       cause_mibs[i].field);
	}
}

#define FDELTA(x, m) ((x)->after.mib[m] - (x)->before.mib[m])
#define CNT(x, idx) ((long long)((x)->after.c.v[idx] - (x)->before.c.v[idx]))

/*
 * The reason a 6.11+ kernel gives an active reset (@since_6_11); 6.10
 * gives none of its own, earlier kernels none at all.
 */
static unsigned int active_rst_reason(unsigned int since_6_11)
{
	if (kernel_at_least(6, 11))
		return since_6_11;
	if (kernel_at_least(6, 10))
		return TCPSTATE_RST_NOT_SPECIFIED;
	return TCPSTATE_RST_UNKNOWN;
}

FIXTURE(causes)
{
	struct ts_watch w;
	struct ev_log log;
	int lfd, cfd, afd;
	unsigned short cport;
	__u64 client, child;
	struct figures before, after;
};

FIXTURE_VARIANT(causes)
{
	int family;
};

FIXTURE_VARIANT_ADD(causes, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(causes, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(causes)
{
	char err[256];

	self->lfd = self->cfd = self->afd = -1;
	if (traffic_only())
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY: causes are tcpstate's figures");
	ASSERT_EQ(0, ts_watch_open(&self->w, false, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, ev_log_init(&self->log, MAX_LOG, netns_inode()));
}

FIXTURE_TEARDOWN(causes)
{
	if (self->cfd >= 0)
		close(self->cfd);
	if (self->afd >= 0)
		close(self->afd);
	if (self->lfd >= 0)
		close(self->lfd);
	ts_watch_close(&self->w);
	ev_log_free(&self->log);
}

/* @ev exists and says the socket's error was @err. */
static void expect_err(struct __test_metadata *_metadata,
		       const struct tcpstate_event *ev, int err)
{
	char buf[512];

	ASSERT_NE(NULL, ev);
	ev_str_full(ev, buf, sizeof(buf));
	EXPECT_TRUE(ev->valid & TCPSTATE_VALID_ERR) TH_LOG("%s", buf);
	EXPECT_EQ(err, ev->err) TH_LOG("%s expected, %s", strerror(err), buf);
}

/*
 * A connection on loopback, one byte each way; the ids of the client's
 * socket and the server's child; the figures before its end.
 */
static void connect_pair(struct __test_metadata *_metadata,
			 FIXTURE_DATA(causes) *self, int family)
{
	const struct tcpstate_event *ev;

	self->lfd = tcp_listen(family, NULL, LISTEN_PORT, 8);
	ASSERT_LE(0, self->lfd);
	self->cfd = tcp_connect(family, 0, LISTEN_PORT);
	ASSERT_LE(0, self->cfd);
	self->afd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->afd);
	ASSERT_EQ(0, tcp_exchange(self->cfd, self->afd));
	self->cport = sock_port(self->cfd);
	ev = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .newstate = TCP_SYN_SENT,
		.dport = LISTEN_PORT }, 5000);
	ASSERT_NE(NULL, ev);
	self->client = ev->sock_id;
	ev = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_ACCEPT_QUEUED, .sport = LISTEN_PORT,
		.dport = self->cport }, 5000);
	ASSERT_NE(NULL, ev);
	self->child = ev->sock_id;
	figures_read(_metadata, &self->before);
}

/*
 * After the server's socket reset the client's with the RST @reason (the
 * kernel's, see active_rst_reason()): the server's RST_SENT names its
 * socket and reason, the client's RST_RECEIVED its state
 * (@client_state), its -> CLOSE the error @err (as SO_ERROR says), and
 * the RST counters moved by one, as Tcp OutRsts and @abort_mib did.
 */
static void check_reset_by_server(struct __test_metadata *_metadata,
				  FIXTURE_DATA(causes) *self,
				  unsigned int reason, int err,
				  unsigned int client_state,
				  enum cause_mib abort_mib)
{
	const struct tcpstate_event *rs, *rr, *cl;
	socklen_t len = sizeof(int);
	int soerr = 0;
	char buf[512];

	/* The kernel's own word first: the client's error, one RST sent. */
	ASSERT_TRUE(POLL_UNTIL(!getsockopt(self->cfd, SOL_SOCKET, SO_ERROR,
					   &soerr, &len) && soerr, 5000));
	EXPECT_EQ(err, soerr) TH_LOG("%s expected, SO_ERROR %s",
				     strerror(err), strerror(soerr));
	rr = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_RST_RECEIVED, .sock_id = self->client },
		5000);
	cl = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = self->client,
		.newstate = TCP_CLOSE }, 5000);
	rs = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_RST_SENT, .sock_id = self->child }, 5000);
	figures_read(_metadata, &self->after);
	EXPECT_EQ(1, FDELTA(self, M_OUT_RSTS));
	EXPECT_EQ(1, FDELTA(self, abort_mib))
		TH_LOG("TcpExt %s", cause_mibs[abort_mib].field);
	EXPECT_EQ(FDELTA(self, M_OUT_RSTS), CNT(self, TCPSTATE_C_RSTS_SENT));
	EXPECT_EQ(1, CNT(self, TCPSTATE_C_RSTS_RECEIVED));
	EXPECT_EQ(0, CNT(self, TCPSTATE_C_RSTS_NO_SOCKET));
	EXPECT_EQ(1, ev_count(&self->log, TCPSTATE_EV_RST_SENT, -1));
	EXPECT_EQ(1, ev_count(&self->log, TCPSTATE_EV_RST_RECEIVED, -1));
	if (!rr || !cl || !rs)
		ev_log_dump(_metadata, &self->log);
	ASSERT_NE(NULL, rr) TH_LOG("no RST_RECEIVED for the client's socket");
	EXPECT_EQ(client_state, rr->oldstate);
	expect_err(_metadata, cl, err);
	EXPECT_EQ(client_state, cl->oldstate);
	ASSERT_NE(NULL, rs) TH_LOG("no RST_SENT for the server's socket");
	ev_str_full(rs, buf, sizeof(buf));
	TH_LOG("reason %s: %s", rst_reason_name(rs->reason), buf);
	EXPECT_EQ(reason, rs->reason) TH_LOG("%s expected: %s",
					     rst_reason_name(reason), buf);
	EXPECT_EQ(LISTEN_PORT, rs->sport) TH_LOG("%s", buf);
	EXPECT_EQ(self->cport, rs->dport) TH_LOG("%s", buf);
}

/*
 * A closed port: connect() fails with ECONNREFUSED; the client's socket
 * received an RST and closed with that error; the RST was sent for no
 * socket, and counted as such, as Tcp OutRsts counted it.
 */
TEST_F(causes, refused)
{
	const struct tcpstate_event *syn, *rr, *cl, *rs;
	char buf[512];
	int fd;

	figures_read(_metadata, &self->before);
	fd = tcp_connect(variant->family, 0, CLOSED_PORT);
	ASSERT_EQ(-ECONNREFUSED, fd);
	syn = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .newstate = TCP_SYN_SENT,
		.dport = CLOSED_PORT }, 5000);
	ASSERT_NE(NULL, syn);
	cl = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = syn->sock_id,
		.oldstate = TCP_SYN_SENT, .newstate = TCP_CLOSE }, 5000);
	rr = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_RST_RECEIVED, .sock_id = syn->sock_id },
		5000);
	rs = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_RST_SENT, .sport = CLOSED_PORT }, 5000);
	figures_read(_metadata, &self->after);
	EXPECT_EQ(1, FDELTA(self, M_OUT_RSTS));
	EXPECT_EQ(FDELTA(self, M_OUT_RSTS), CNT(self, TCPSTATE_C_RSTS_SENT));
	EXPECT_EQ(1, CNT(self, TCPSTATE_C_RSTS_NO_SOCKET));
	EXPECT_EQ(1, CNT(self, TCPSTATE_C_RSTS_RECEIVED));
	if (!cl || !rr || !rs)
		ev_log_dump(_metadata, &self->log);
	expect_err(_metadata, cl, ECONNREFUSED);
	ASSERT_NE(NULL, rr) TH_LOG("no RST_RECEIVED for the client's socket");
	EXPECT_EQ(TCP_SYN_SENT, rr->oldstate);
	ASSERT_NE(NULL, rs);
	ev_str_full(rs, buf, sizeof(buf));
	TH_LOG("reason %s: %s", rst_reason_name(rs->reason), buf);
	EXPECT_EQ(0, rs->sock_id) TH_LOG("%s", buf);
	EXPECT_EQ(TCPSTATE_RST_NO_SOCKET, rs->reason) TH_LOG("%s", buf);
	/* The tuple of the SYN, reversed: the closed port is the local end. */
	EXPECT_EQ(cl->sport, rs->dport) TH_LOG("%s", buf);
}

/*
 * SYNs routed into a dummy device that drops them, tcp_syn_retries 1: the
 * socket closes with ETIMEDOUT (SO_ERROR says so too), and no RST moved.
 */
TEST_F(causes, timed_out)
{
	const struct tcpstate_event *syn, *cl;
	struct ts_addr dst;
	socklen_t len = sizeof(int);
	int fd, soerr = 0;

	ASSERT_EQ(0, sink_setup());
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_syn_retries", "1"));
	spoof_addr(variant->family, 5, &dst);
	figures_read(_metadata, &self->before);
	fd = tcp_connect_to(&dst, SINK_PORT, true);
	ASSERT_LE(0, fd);
	self->cfd = fd;
	syn = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .newstate = TCP_SYN_SENT,
		.dport = SINK_PORT }, 5000);
	ASSERT_NE(NULL, syn);
	/* 1 s, then 2 s after the retransmit: 3 s, more under emulation. */
	cl = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = syn->sock_id,
		.newstate = TCP_CLOSE }, 30000);
	figures_read(_metadata, &self->after);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len));
	EXPECT_EQ(ETIMEDOUT, soerr);
	EXPECT_EQ(0, FDELTA(self, M_OUT_RSTS));
	EXPECT_EQ(0, CNT(self, TCPSTATE_C_RSTS_SENT));
	EXPECT_EQ(0, CNT(self, TCPSTATE_C_RSTS_RECEIVED));
	EXPECT_EQ(0, ev_count(&self->log, TCPSTATE_EV_RST_SENT, -1));
	EXPECT_EQ(0, ev_count(&self->log, TCPSTATE_EV_RST_RECEIVED, -1));
	if (!cl)
		ev_log_dump(_metadata, &self->log);
	expect_err(_metadata, cl, ETIMEDOUT);
	EXPECT_EQ(TCP_SYN_SENT, cl->oldstate);
}

/*
 * The server closes with SO_LINGER 0 (tcp_disconnect(): TCPAbortOnData):
 * its socket sends the RST, the client's closes with ECONNRESET.
 */
TEST_F(causes, reset_by_linger0)
{
	connect_pair(_metadata, self, variant->family);
	tcp_abort(self->afd);
	self->afd = -1;
	check_reset_by_server(_metadata, self,
			      active_rst_reason(TCPSTATE_RST_STATE),
			      ECONNRESET, TCP_ESTABLISHED, M_ABORT_ON_DATA);
}

/*
 * The server closes with a byte it never read (TCPAbortOnClose): its
 * socket sends the RST, the client's closes with ECONNRESET.
 */
TEST_F(causes, reset_by_close_with_unread_data)
{
	int unread = 0;

	connect_pair(_metadata, self, variant->family);
	ASSERT_EQ(1, write(self->cfd, "u", 1));
	ASSERT_TRUE(POLL_UNTIL(!ioctl(self->afd, FIONREAD, &unread) &&
			       unread == 1, 5000));
	close(self->afd);
	self->afd = -1;
	check_reset_by_server(_metadata, self,
			      active_rst_reason(TCPSTATE_RST_ABORT_ON_CLOSE),
			      ECONNRESET, TCP_ESTABLISHED, M_ABORT_ON_CLOSE);
}

/*
 * The server shuts down its side, its FIN is acknowledged (FIN_WAIT2), and
 * it closes under TCP_LINGER2 -1 (TCPAbortOnLinger): its socket sends the
 * RST; the client, in CLOSE_WAIT, closes with EPIPE.
 */
TEST_F(causes, reset_by_linger2_in_fin_wait2)
{
	struct tcp_info ti;
	socklen_t len;
	int linger2 = -1;
	char byte;

	connect_pair(_metadata, self, variant->family);
	ASSERT_EQ(0, setsockopt(self->afd, IPPROTO_TCP, TCP_LINGER2, &linger2,
				sizeof(linger2)));
	ASSERT_EQ(0, shutdown(self->afd, SHUT_WR));
	ASSERT_EQ(0, read(self->cfd, &byte, 1));
	/* The client acknowledges the FIN, delayed (pingpong mode). */
	ASSERT_TRUE(POLL_UNTIL((len = sizeof(ti),
				!getsockopt(self->afd, IPPROTO_TCP, TCP_INFO,
					    &ti, &len) &&
				ti.tcpi_state == TCP_FIN_WAIT2), 5000));
	figures_read(_metadata, &self->before);
	close(self->afd);
	self->afd = -1;
	check_reset_by_server(_metadata, self,
			      active_rst_reason(TCPSTATE_RST_ABORT_ON_LINGER),
			      EPIPE, TCP_CLOSE_WAIT, M_ABORT_ON_LINGER);
}

TEST_HARNESS_MAIN
