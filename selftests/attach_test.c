// SPDX-License-Identifier: GPL-2.0
/*
 * attach= selftests, run as root in the VM (scripts/guest/check.sh): the
 * same fixed traffic, traced with attach=tracepoint and then with
 * attach=kprobe, gives the same events per socket; in both modes the
 * state changes equal the kernel's own sock:inet_sock_set_state tracefs
 * record; a bad attach= value fails insmod with a line in dmesg.
 *
 * The traffic runs in a fresh netns per mode, with fixed addresses and
 * ports: three loopback connections (client closes, server closes,
 * client resets) and one half-open connection with one SYN-ACK
 * retransmit (net.ipv4.tcp_synack_retries=1) that then expires.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define ATTACH_PARAM	"/sys/module/tcpstate/parameters/attach"
#define MAX_LOG		4096
#define SEG_LEN		2048
#define MAX_SEGS	256
#define LISTEN_PORT	9000
#define SYN_PORT	9001
#define CLIENT_PORT	41000
#define SPOOF_SPORT	40000

static const char *const modes[] = { "tracepoint", "kprobe" };

#define NR_MODES ARRAY_SIZE(modes)

/* ---- dmesg ---- */

static int dmesg_lines(void)
{
	return ts_cmd_int("dmesg | wc -l");
}

/* insmod with attach=bogus fails, and says so in dmesg. */
TEST(bad_attach_fails_insmod_clearly)
{
	static const char *const good[] = { "auto", "tracepoint", "kprobe" };
	char *text;
	unsigned int i;
	int lines;

	if (module_loaded())
		ASSERT_EQ(0, sh("rmmod tcpstate"));
	lines = dmesg_lines();
	ASSERT_LE(0, lines);
	EXPECT_NE(0, sh("insmod %s attach=bogus 2>/dev/null", module_path()));
	EXPECT_FALSE(module_loaded());
	/* Only the lines since: the log is not cleared, check.sh reads it. */
	EXPECT_EQ(0, sh("dmesg | tail -n +%d | grep -q 'tcpstate: .*attach.*bogus'",
			lines + 1))
		TH_LOG("no dmesg line names attach=bogus");
	sh("dmesg | tail -n +%d | sed 's/^/# dmesg: /'", lines + 1);

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		char params[64];

		snprintf(params, sizeof(params), "attach=%s", good[i]);
		EXPECT_EQ(0, module_reload(params)) TH_LOG("%s", params);
		text = slurp(ATTACH_PARAM);
		if (text)
			text[strcspn(text, "\n")] = '\0';
		TH_LOG("%s: %s reads %s", params, ATTACH_PARAM,
		       text ? text : "(unreadable)");
		/* An explicit choice reads back as itself. */
		if (text && strcmp(good[i], "auto"))
			EXPECT_EQ(0, strncmp(text, good[i], strlen(good[i])));
		free(text);
	}
	ASSERT_EQ(0, module_reload(""));
}

/* The STATE events equal tracefs's transitions (transitions_mismatch()). */
static void expect_same_as_tracefs(struct __test_metadata *_metadata,
				   const struct ev_log *log,
				   const struct transition *tr, int ntr,
				   const char *mode)
{
	struct transition *ev = calloc(MAX_LOG, sizeof(*ev));
	int i, n = 0, bad;

	ASSERT_NE(NULL, ev);
	for (i = 0; i < log->n && n < MAX_LOG; i++)
		if (log->ev[i].type == TCPSTATE_EV_STATE)
			ev[n++] = transition_of_event(&log->ev[i]);
	EXPECT_EQ(ntr, n) TH_LOG("%s: %d STATE events, tracefs %d", mode, n,
				 ntr);
	bad = transitions_mismatch(ev, n, tr, ntr);
	EXPECT_EQ(-1, bad);
	if (bad >= 0 && bad < n)
		TH_LOG("%s: %u:%u %s -> %s: not in tracefs's record", mode,
		       ev[bad].sport, ev[bad].dport,
		       tcpstate_state_name(ev[bad].oldstate),
		       tcpstate_state_name(ev[bad].newstate));
	free(ev);
}

/* ---- per-socket sequences ---- */

static bool terminal(const struct tcpstate_event *ev)
{
	return (ev->type == TCPSTATE_EV_STATE && ev->newstate == TCP_CLOSE) ||
	       ev->type == TCPSTATE_EV_SYN_RECV_END ||
	       ev->type == TCPSTATE_EV_TIMEWAIT_END;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * One string per socket life: its events' (type, oldstate, newstate,
 * reason, count, family), and their ports too when @ports. A life ends
 * at its last possible event, so an id reused by a later socket starts a
 * new one. Returned sorted; free with free_segs().
 */
static int build_segs(const struct ev_log *log, bool ports, char **segs,
		      int max)
{
	__u64 open_id[MAX_SEGS];
	bool open[MAX_SEGS] = { false };
	int i, j, n = 0;

	for (i = 0; i < log->n; i++) {
		const struct tcpstate_event *ev = &log->ev[i];
		char item[128];

		for (j = 0; j < n; j++)
			if (open[j] && ev->sock_id && open_id[j] == ev->sock_id)
				break;
		if (j == n) {
			if (n == max)
				return -1;
			segs[n] = calloc(1, SEG_LEN);
			if (!segs[n])
				return -1;
			open_id[n] = ev->sock_id;
			open[n] = ev->sock_id != 0;
			n++;
		}
		snprintf(item, sizeof(item), "%s:%s>%s:r%u:c%u:f%u",
			 ev_type_name(ev->type),
			 tcpstate_state_name(ev->oldstate),
			 tcpstate_state_name(ev->newstate), ev->reason,
			 ev->count, ev->family);
		if (ports)
			snprintf(item + strlen(item), sizeof(item) - strlen(item),
				 ":%u-%u", ev->sport, ev->dport);
		if (strlen(segs[j]) + strlen(item) + 2 < SEG_LEN) {
			strcat(segs[j], item);
			strcat(segs[j], " ");
		}
		if (terminal(ev))
			open[j] = false;
	}
	qsort(segs, n, sizeof(*segs), strp_cmp);
	return n;
}

static void free_segs(char **segs, int n)
{
	while (n > 0)
		free(segs[--n]);
}

static void expect_same_segs(struct __test_metadata *_metadata,
			     const struct ev_log *a, const struct ev_log *b,
			     bool ports)
{
	char *sa[MAX_SEGS], *sb[MAX_SEGS];
	int na, nb, i;

	na = build_segs(a, ports, sa, MAX_SEGS);
	nb = build_segs(b, ports, sb, MAX_SEGS);
	ASSERT_LE(0, na);
	ASSERT_LE(0, nb);
	TH_LOG("%d socket lives with %s, %d with %s%s", na, modes[0], nb,
	       modes[1], ports ? " (ports included)" : "");
	EXPECT_EQ(na, nb);
	for (i = 0; i < na || i < nb; i++) {
		const char *x = i < na ? sa[i] : "-", *y = i < nb ? sb[i] : "-";

		if (strcmp(x, y)) {
			EXPECT_TRUE(false)
				TH_LOG("socket %d differs%s:\n#   %s: %s\n#   %s: %s",
				       i, ports ? " (ports included)" : "",
				       modes[0], x, modes[1], y);
		}
	}
	free_segs(sa, na);
	free_segs(sb, nb);
}

/* ---- the traffic ---- */

FIXTURE(attach)
{
	int init_ns;
	int ns[NR_MODES];
	struct ev_log log[NR_MODES];
	struct transition *trace;
};

FIXTURE_VARIANT(attach)
{
	int family;
};

FIXTURE_VARIANT_ADD(attach, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(attach, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(attach)
{
	unsigned int i;

	for (i = 0; i < NR_MODES; i++)
		self->ns[i] = -1;
	self->init_ns = netns_fd();
	ASSERT_LE(0, self->init_ns);
	self->trace = calloc(MAX_LOG, sizeof(*self->trace));
	ASSERT_NE(NULL, self->trace);
}

FIXTURE_TEARDOWN(attach)
{
	unsigned int i;

	netns_enter(self->init_ns);
	close(self->init_ns);
	/* The netns (and their TIME_WAIT) go when the test ends. */
	for (i = 0; i < NR_MODES; i++) {
		if (self->ns[i] >= 0)
			close(self->ns[i]);
		ev_log_free(&self->log[i]);
	}
	free(self->trace);
	module_reload("");
}

static bool run_done(const struct ev_log *log, void *arg)
{
	int i, listen_closes = 0;

	(void)arg;
	for (i = 0; i < log->n; i++)
		if (log->ev[i].type == TCPSTATE_EV_STATE &&
		    log->ev[i].oldstate == TCP_LISTEN &&
		    log->ev[i].newstate == TCP_CLOSE)
			listen_closes++;
	return listen_closes == 2 &&
	       ev_count(log, TCPSTATE_EV_SYN_RECV_END, -1) >= 1;
}

/* Every row of /proc/net/tcp{,6} is a TIME_WAIT: nothing else to come. */
static bool only_time_wait(int family)
{
	int all = 0, st;

	for (st = 1; st <= 12; st++)
		all += proc_tcp_rows(family, st, 0);
	return all == proc_tcp_rows(family, 6, 0);
}

static void traffic(struct __test_metadata *_metadata, int family)
{
	unsigned short port = CLIENT_PORT;
	struct ts_addr sink, src;
	int l1, l2, c, a;
	long long retrans;
	char byte = 'x';

	ASSERT_EQ(0, sink_setup());
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_synack_retries", "1"));
	ASSERT_EQ(0, ts_addr_parse(family, family == AF_INET ? SINK_ADDR4 :
								SINK_ADDR6,
				   &sink));
	retrans = mib_get("TcpExt", "TCPSynRetrans");
	l1 = tcp_listen(family, NULL, LISTEN_PORT, 8);
	ASSERT_LE(0, l1);
	l2 = tcp_listen(family, &sink, SYN_PORT, 8);
	ASSERT_LE(0, l2);

	/*
	 * Client closes first: its side ends in TIME_WAIT. The passive side
	 * enters delayed-ACK (pingpong) mode on the FIN, so whether its ACK
	 * leaves alone or rides on its own FIN is a race with close(): the
	 * closer then either parks in a FIN_WAIT2 timewait sock or goes
	 * straight to TIME_WAIT. Waiting for FIN_WAIT2 before the passive
	 * side closes makes every run take the first path.
	 */
	ASSERT_EQ(0, client_closed_connections(l1, family, 1, &port, &a));
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(family, TCP_FIN_WAIT2,
					     CLIENT_PORT) == 1, 5000));
	ASSERT_EQ(0, read(a, &byte, 1));
	close(a);

	/* Server closes first: its side ends in TIME_WAIT, by the same path. */
	c = tcp_connect(family, CLIENT_PORT + 1, LISTEN_PORT);
	ASSERT_LE(0, c);
	a = accept4(l1, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, a);
	ASSERT_EQ(1, write(c, &byte, 1));
	ASSERT_EQ(1, read(a, &byte, 1));
	close(a);
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(family, TCP_FIN_WAIT2,
					     LISTEN_PORT) == 1, 5000));
	ASSERT_EQ(0, read(c, &byte, 1));
	close(c);

	/* Client resets. */
	c = tcp_connect(family, CLIENT_PORT + 2, LISTEN_PORT);
	ASSERT_LE(0, c);
	a = accept4(l1, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, a);
	tcp_abort(c);
	EXPECT_EQ(-1, read(a, &byte, 1));
	EXPECT_EQ(ECONNRESET, errno);
	close(a);

	/* Half-open: one SYN-ACK retransmit at 1 s, expiry at 3 s. */
	spoof_addr(family, 1, &src);
	ASSERT_EQ(0, raw_syn_send(&src, SPOOF_SPORT + 1, &sink, SYN_PORT,
				  0x12345678));
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(family, 3, SYN_PORT) == 1, 3000));
	EXPECT_TRUE(POLL_UNTIL(proc_tcp_rows(family, 3, SYN_PORT) == 0,
			       15000));
	EXPECT_EQ(1, mib_get("TcpExt", "TCPSynRetrans") - retrans);
	close(l1);
	close(l2);
	EXPECT_TRUE(POLL_UNTIL(only_time_wait(family), 5000));
	EXPECT_EQ(2, proc_tcp_rows(family, 6, 0));
}

TEST_F_TIMEOUT(attach, same_events_both_modes, 90)
{
	struct tcpstate_reader reader;
	char err[256], params[64];
	unsigned int m;
	int ntr;

	if (traffic_only())
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY");
	for (m = 0; m < NR_MODES; m++) {
		char *text;

		ASSERT_EQ(0, netns_enter(self->init_ns));
		snprintf(params, sizeof(params), "attach=%s", modes[m]);
		ASSERT_EQ(0, module_reload(params)) TH_LOG("%s", params);
		text = slurp(ATTACH_PARAM);
		if (text)
			EXPECT_EQ(0, strncmp(text, modes[m], strlen(modes[m])))
				TH_LOG("%s reads %s", ATTACH_PARAM, text);
		free(text);
		ASSERT_EQ(0, tcpstate_reader_open(&reader, TCPSTATE_DEVICE, err,
						  sizeof(err)))
			TH_LOG("%s", err);
		if (!tracefs_start())
			SKIP(return, "tracefs event sock/inet_sock_set_state unavailable");

		ASSERT_EQ(0, netns_new());
		self->ns[m] = netns_fd();
		ASSERT_LE(0, self->ns[m]);
		ASSERT_EQ(0, ev_log_init(&self->log[m], MAX_LOG,
					 netns_inode()));
		traffic(_metadata, variant->family);

		EXPECT_TRUE(ev_log_wait(&reader, &self->log[m], run_done, NULL,
					5000));
		ev_log_drain(&reader, &self->log[m]);
		ntr = tracefs_collect(self->trace, MAX_LOG);
		TH_LOG("%s: %d events, tracefs %d transitions", modes[m],
		       self->log[m].n, ntr);
		EXPECT_EQ(0, self->log[m].dropped);
		EXPECT_EQ(1, ev_count(&self->log[m], TCPSTATE_EV_SYNACK_RETRANS,
				      -1));
		EXPECT_EQ(1, ev_count(&self->log[m], TCPSTATE_EV_SYN_RECV_END,
				      TCPSTATE_SRE_EXPIRED));
		expect_same_as_tracefs(_metadata, &self->log[m], self->trace,
				       ntr, modes[m]);
		tcpstate_reader_close(&reader);
	}
	expect_same_segs(_metadata, &self->log[0], &self->log[1], false);
	expect_same_segs(_metadata, &self->log[0], &self->log[1], true);
	if (!_metadata->passed) {
		char buf[256];
		int i;

		for (m = 0; m < NR_MODES; m++)
			for (i = 0; i < self->log[m].n; i++)
				TH_LOG("%s ev %d: %s", modes[m], i,
				       ev_str(&self->log[m].ev[i], buf,
					      sizeof(buf)));
	}
}

TEST_HARNESS_MAIN
