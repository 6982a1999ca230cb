// SPDX-License-Identifier: GPL-2.0
/*
 * Sequence numbers (ABI 2) against tcpdump, run as root in the VM
 * (scripts/guest/check.sh), in a network namespace of its own.
 *
 * tcpdump -S (absolute numbers) captures one loopback connection that
 * opens, carries a byte each way and closes, the client first: by
 * shutdown(), or by close() with the server closing once the client is an
 * orphaned FIN_WAIT2 timewait sock.
 * From the capture: the client's ISN (its SYN's seq), the server's (its
 * SYN-ACK's seq) and each FIN's seq. The events must carry the same:
 * iss/irs on the server's request sock and on both sides' events out of
 * SYN_SENT / SYN_RECV, seq on entering FIN_WAIT1 and LAST_ACK (the FIN's),
 * ack on entering CLOSE_WAIT and TIME_WAIT (the peer's FIN + 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define MAX_LOG		4096
#define LISTEN_PORT	9000
#define MAX_PKTS	64

/* One captured segment: ports, flags as tcpdump prints them, numbers. */
struct pkt {
	unsigned short sport, dport;
	char flags[16];
	bool has_seq, has_ack;
	/* "seq A" or "seq A:B": B is A plus the payload length. */
	__u32 seq, seq_end, ack;
};

/*
 * One line of tcpdump -n -S text, e.g.
 * "12:00:00.000000 IP 127.0.0.1.40000 > 127.0.0.1.9000: Flags [S], seq 1, ..."
 * (IP6 and IPv6 addresses alike: the port follows the last '.').
 */
static bool parse_line(const char *line, struct pkt *p)
{
	char src[128], dst[128], flags[16];
	const char *s, *dot;
	unsigned long a, b;

	memset(p, 0, sizeof(*p));
	s = strstr(line, " IP ");
	if (!s)
		s = strstr(line, " IP6 ");
	/* dst ends with ':' (IPv6 addresses hold more of them). */
	if (!s || sscanf(strchr(s + 1, ' ') + 1, "%127s > %127s Flags [%15[^]]]",
			 src, dst, flags) != 3 || !strlen(dst) ||
	    dst[strlen(dst) - 1] != ':')
		return false;
	dst[strlen(dst) - 1] = '\0';
	dot = strrchr(src, '.');
	if (!dot)
		return false;
	p->sport = atoi(dot + 1);
	dot = strrchr(dst, '.');
	if (!dot)
		return false;
	p->dport = atoi(dot + 1);
	strcpy(p->flags, flags);
	s = strstr(line, ", seq ");
	if (s) {
		if (sscanf(s, ", seq %lu:%lu", &a, &b) == 2) {
			p->seq = a;
			p->seq_end = b;
		} else if (sscanf(s, ", seq %lu", &a) == 1) {
			p->seq = p->seq_end = a;
		} else {
			return false;
		}
		p->has_seq = true;
	}
	s = strstr(line, ", ack ");
	if (s && sscanf(s, ", ack %lu", &a) == 1) {
		p->ack = a;
		p->has_ack = true;
	}
	return true;
}

static bool has_flag(const struct pkt *p, char f)
{
	return strchr(p->flags, f) != NULL;
}

/* What the capture says about the connection client:@cport <-> @LISTEN_PORT. */
struct capture {
	__u32 client_isn, server_isn, client_fin, server_fin;
	bool client_syn, server_syn, client_fin_seen, server_fin_seen;
};

/* Read @path's lines into @c; the number of segments of the connection. */
static int capture_parse(const char *path, unsigned short cport,
			 struct capture *c)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	struct pkt p;
	bool from_client;
	int n = 0;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_line(line, &p))
			continue;
		if (p.sport == cport && p.dport == LISTEN_PORT)
			from_client = true;
		else if (p.sport == LISTEN_PORT && p.dport == cport)
			from_client = false;
		else
			continue;
		n++;
		/* A bare ACK has no seq in tcpdump's text. */
		if (!p.has_seq)
			continue;
		if (has_flag(&p, 'S')) {
			if (from_client && !c->client_syn) {
				c->client_isn = p.seq;
				c->client_syn = true;
			} else if (!from_client && !c->server_syn) {
				c->server_isn = p.seq;
				c->server_syn = true;
			}
		}
		/* A FIN's own number follows the data it carries. */
		if (has_flag(&p, 'F')) {
			if (from_client && !c->client_fin_seen) {
				c->client_fin = p.seq_end;
				c->client_fin_seen = true;
			} else if (!from_client && !c->server_fin_seen) {
				c->server_fin = p.seq_end;
				c->server_fin_seen = true;
			}
		}
	}
	fclose(f);
	return n;
}

FIXTURE(isn)
{
	struct ts_watch w;
	struct ev_log log;
	int lfd;
	pid_t tcpdump;
	char out[64];
};

FIXTURE_VARIANT(isn)
{
	int family;
	/*
	 * SHUTDOWN_CLIENT: the client is never orphaned, it enters TIME_WAIT
	 * from FIN_WAIT2 as the server's FIN comes. CLOSE_CLIENT_KEEP_SERVER:
	 * the server closes only once the client is an orphaned FIN_WAIT2
	 * timewait sock, which the server's FIN turns TIME_WAIT.
	 */
	enum ts_close how;
};

FIXTURE_VARIANT_ADD(isn, ipv4) {
	.family = AF_INET, .how = SHUTDOWN_CLIENT,
};

FIXTURE_VARIANT_ADD(isn, ipv6) {
	.family = AF_INET6, .how = SHUTDOWN_CLIENT,
};

FIXTURE_VARIANT_ADD(isn, ipv4_orphan) {
	.family = AF_INET, .how = CLOSE_CLIENT_KEEP_SERVER,
};

FIXTURE_VARIANT_ADD(isn, ipv6_orphan) {
	.family = AF_INET6, .how = CLOSE_CLIENT_KEEP_SERVER,
};

FIXTURE_SETUP(isn)
{
	char err[256];

	self->lfd = -1;
	self->tcpdump = 0;
	self->out[0] = '\0';
	if (traffic_only())
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY: sequence numbers are tcpstate's figures");
	if (sh("command -v tcpdump > /dev/null"))
		SKIP(return, "no tcpdump in this image");
	ASSERT_EQ(0, ts_watch_open(&self->w, false, err, sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, ev_log_init(&self->log, MAX_LOG, netns_inode()));
	self->lfd = tcp_listen(variant->family, NULL, LISTEN_PORT, 8);
	ASSERT_LE(0, self->lfd);
}

FIXTURE_TEARDOWN(isn)
{
	if (self->tcpdump > 0) {
		kill(self->tcpdump, SIGKILL);
		waitpid(self->tcpdump, NULL, 0);
	}
	if (self->out[0])
		unlink(self->out);
	if (self->lfd >= 0)
		close(self->lfd);
	ts_watch_close(&self->w);
	ev_log_free(&self->log);
}

/* Whether @path holds @text. */
static bool file_has(const char *path, const char *text)
{
	char *s = slurp(path);
	bool has = s && strstr(s, text);

	free(s);
	return has;
}

/*
 * tcpdump on lo of this netns, text with absolute numbers, every packet
 * written as it comes (--immediate-mode, -l), stdout and stderr into
 * @out; returns once it says it is listening.
 */
static pid_t tcpdump_start(struct __test_metadata *_metadata, const char *out)
{
	char filter[32];
	pid_t pid;
	int fd;

	snprintf(filter, sizeof(filter), "tcp port %u", LISTEN_PORT);
	pid = fork();
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		/* -Z root: the image has no tcpdump user to drop to. */
		execlp("tcpdump", "tcpdump", "-n", "-S", "-l",
		       "--immediate-mode", "-Z", "root", "-i", "lo", filter,
		       (char *)NULL);
		_exit(127);
	}
	ASSERT_LT(0, pid);
	if (!POLL_UNTIL(file_has(out, "listening on") ||
			waitpid(pid, NULL, WNOHANG) == pid, 20000) ||
	    !file_has(out, "listening on")) {
		char *log = slurp(out);

		TH_LOG("tcpdump did not start: %s", log ? log : "");
		free(log);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ASSERT_TRUE(false);
	}
	return pid;
}

/* The event matching @m, which must exist, with @bits valid. */
static const struct tcpstate_event *
need(struct __test_metadata *_metadata, const struct ev_log *log,
     const struct ev_match *m, unsigned int bits, const char *what)
{
	const struct tcpstate_event *ev = ev_find(log, m);
	char buf[512];

	EXPECT_NE(NULL, ev) TH_LOG("no event: %s", what);
	if (!ev)
		return NULL;
	ev_str_full(ev, buf, sizeof(buf));
	EXPECT_EQ(bits, ev->valid & bits)
		TH_LOG("%s: valid bits %#x missing: %s", what, bits, buf);
	if ((ev->valid & bits) != bits)
		return NULL;
	TH_LOG("%s: %s", what, buf);
	return ev;
}

TEST_F(isn, equal_to_tcpdump)
{
	const struct tcpstate_event *ev, *tw;
	struct capture c;
	unsigned short cport = 0;
	int sfd = -1;
	char byte;
	__u64 client, child;
	int n, i, status;

	strcpy(self->out, "/tmp/isn_test.XXXXXX");
	n = mkstemp(self->out);
	ASSERT_LE(0, n);
	close(n);
	self->tcpdump = tcpdump_start(_metadata, self->out);

	ASSERT_EQ(0, loopback_connection(self->lfd, variant->family, 0,
					 variant->how, &cport, &sfd));
	if (variant->how == CLOSE_CLIENT_KEEP_SERVER) {
		/* The client's FIN acknowledged: a FIN_WAIT2 timewait sock. */
		EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(variant->family,
						     TCP_FIN_WAIT2, cport) == 1,
				       5000));
		EXPECT_EQ(0, read(sfd, &byte, 1));
		close(sfd);
	}
	/* Both FINs captured. */
	POLL_UNTIL(capture_parse(self->out, cport, &c) > 0 &&
		   c.client_fin_seen && c.server_fin_seen, 10000);
	kill(self->tcpdump, SIGINT);
	waitpid(self->tcpdump, &status, 0);
	self->tcpdump = 0;
	n = capture_parse(self->out, cport, &c);
	TH_LOG("capture: %d segments; client ISN %u FIN %u, server ISN %u FIN %u",
	       n, c.client_isn, c.client_fin, c.server_isn, c.server_fin);
	if (!(c.client_syn && c.server_syn && c.client_fin_seen &&
	      c.server_fin_seen)) {
		char *text = slurp(self->out);

		TH_LOG("tcpdump's output:\n%s", text ? text : "");
		free(text);
	}
	ASSERT_TRUE(c.client_syn && c.server_syn);
	ASSERT_TRUE(c.client_fin_seen && c.server_fin_seen);

	ev = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_TIMEWAIT, .dport = LISTEN_PORT,
		.sport = cport }, 5000);
	ASSERT_NE(NULL, ev);
	client = ev->peer_id;
	ev = ev_log_wait_match(&self->w.reader, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .oldstate = TCP_LAST_ACK,
		.newstate = TCP_CLOSE, .sport = LISTEN_PORT, .dport = cport },
		5000);
	ASSERT_NE(NULL, ev);
	child = ev->sock_id;
	/* The client's timewait sock ends its full socket: FIN_WAIT2 -> CLOSE. */
	ASSERT_NE(NULL, ev_log_wait_match(&self->w.reader, &self->log,
		&(struct ev_match){ .type = TCPSTATE_EV_STATE,
			.sock_id = client, .newstate = TCP_CLOSE }, 5000));

	/* The handshake: each side's ISN and the peer's. */
	ev = need(_metadata, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = client,
		.oldstate = TCP_SYN_SENT, .newstate = TCP_ESTABLISHED },
		TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS,
		"client SYN_SENT -> ESTABLISHED");
	if (ev) {
		EXPECT_EQ(c.client_isn, ev->iss);
		EXPECT_EQ(c.server_isn, ev->irs);
	}
	ev = need(_metadata, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_SYN_RECV, .sport = LISTEN_PORT,
		.dport = cport }, TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS,
		"server SYN_RECV (request sock)");
	if (ev) {
		EXPECT_EQ(c.server_isn, ev->iss);
		EXPECT_EQ(c.client_isn, ev->irs);
	}
	ev = need(_metadata, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = child,
		.oldstate = TCP_SYN_RECV, .newstate = TCP_ESTABLISHED },
		TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS,
		"server SYN_RECV -> ESTABLISHED");
	if (ev) {
		EXPECT_EQ(c.server_isn, ev->iss);
		EXPECT_EQ(c.client_isn, ev->irs);
	}

	/* The teardown: each FIN's seq, and its receiver's ack of it. */
	ev = need(_metadata, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = client,
		.newstate = TCP_FIN_WAIT1 }, TCPSTATE_VALID_SEQ,
		"client -> FIN_WAIT1");
	if (ev)
		EXPECT_EQ(c.client_fin, ev->seq);
	ev = need(_metadata, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = child,
		.newstate = TCP_CLOSE_WAIT }, TCPSTATE_VALID_SEQ,
		"server -> CLOSE_WAIT");
	if (ev)
		EXPECT_EQ(c.client_fin + 1, ev->ack);
	ev = need(_metadata, &self->log, &(struct ev_match){
		.type = TCPSTATE_EV_STATE, .sock_id = child,
		.newstate = TCP_LAST_ACK }, TCPSTATE_VALID_SEQ,
		"server -> LAST_ACK");
	if (ev)
		EXPECT_EQ(c.server_fin, ev->seq);
	/*
	 * The client enters TIME_WAIT as the server's FIN comes: as its full
	 * socket becomes a TIME_WAIT timewait sock (TIMEWAIT event, then the
	 * full socket's FIN_WAIT2 -> CLOSE), or, orphaned, as its FIN_WAIT2
	 * timewait sock turns TIME_WAIT (TIMEWAIT_SUBSTATE). Whichever
	 * carries numbers has acknowledged the server's FIN, and one must.
	 */
	tw = ev_find(&self->log, &(struct ev_match){
		.type = TCPSTATE_EV_TIMEWAIT, .peer_id = client });
	ASSERT_NE(NULL, tw);
	TH_LOG("the client's timewait sock was made in %s",
	       tw->newstate == TCP_TIME_WAIT ? "TIME_WAIT" : "FIN_WAIT2");
	if (variant->how == CLOSE_CLIENT_KEEP_SERVER)
		EXPECT_EQ(TCP_FIN_WAIT2, tw->newstate);
	if (tw->newstate != TCP_TIME_WAIT)
		ASSERT_NE(NULL, ev_find(&self->log, &(struct ev_match){
			.type = TCPSTATE_EV_TIMEWAIT_SUBSTATE,
			.sock_id = tw->sock_id, .newstate = TCP_TIME_WAIT }));
	n = 0;
	for (i = 0; i < self->log.n; i++) {
		const struct tcpstate_event *e = &self->log.ev[i];
		bool entry;
		char buf[512];

		if (tw->newstate == TCP_TIME_WAIT)
			entry = e == tw ||
				(e->type == TCPSTATE_EV_STATE &&
				 e->sock_id == client &&
				 e->oldstate == TCP_FIN_WAIT2 &&
				 e->newstate == TCP_CLOSE);
		else
			entry = e->type == TCPSTATE_EV_TIMEWAIT_SUBSTATE &&
				e->sock_id == tw->sock_id &&
				e->newstate == TCP_TIME_WAIT;
		if (!entry || !(e->valid & TCPSTATE_VALID_SEQ))
			continue;
		n++;
		EXPECT_EQ(c.server_fin + 1, e->ack)
			TH_LOG("client entering TIME_WAIT: %s",
			       ev_str_full(e, buf, sizeof(buf)));
	}
	EXPECT_LT(0, n) TH_LOG("no sequence numbers as the client entered TIME_WAIT");
	if (!_metadata->passed)
		ev_log_dump(_metadata, &self->log);
}

TEST_HARNESS_MAIN
