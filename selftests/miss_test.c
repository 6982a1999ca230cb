// SPDX-License-Identifier: GPL-2.0
/*
 * Missed probes, forced, seen and recovered from, run as root in the VM
 * (scripts/guest/check.sh), each test in a network namespace of its own.
 *
 * The miss: the helper module tcpstate_nest.ko (selftests/nest_module)
 * puts an ftrace-based kprobe on getppid() whose handler busy-waits, with
 * interrupts on, for this process. The test pins itself to one CPU, sends
 * SYNs from there to a listener whose SYN-ACKs vanish into the sink
 * device (net.ipv4.tcp_synack_retries=1: each request sock expires 3 s
 * later, on its timer pinned to that CPU), then calls getppid() in a loop.
 * The expiry runs in a softirq nested in the helper's handler, where
 * tcpstate's __inet_csk_reqsk_queue_drop (or reqsk_queue_unlink) probe
 * sees kprobe_running() and is only counted in nmissed: the request sock
 * leaves the hash but not tcpstate's SYN_RECV gauge.
 *
 * What must hold, against the kernel's own figures: probes_missed rose
 * and equals the sum of the per-hook "missed=" counts of
 * /sys/class/misc/tcpstate/hooks; probes_missed_since_seed is not 0; the
 * SYN_RECV gauge differs from the st 03 rows of /proc/net/tcp{,6} (the
 * drift is real). Then TCPSTATE_IOC_RESEED (and tcpstate-watch --reseed):
 * SYN_RECV = st 03 rows, TIME_WAIT = st 06 rows = sockstat's tw, and
 * probes_missed_since_seed 0.
 *
 * SKIP, saying why, when the helper module is missing, cannot probe
 * getppid, runs its handler with interrupts off, or no round of expiries
 * landed inside it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define LISTEN_PORT	8080
#define SPOOF_SPORT	41000
/* Request socks per round, and rounds before giving up. */
#define SYNS_PER_ROUND	8
#define MAX_ROUNDS	3
/* The helper's wait per getppid(), and calls between two looks at /proc. */
#define NEST_DELAY_US	20000
#define CALLS_PER_LOOK	10
/* TIME_WAIT socks made before the reseed, so that its count is not 0. */
#define TIMEWAITS	4

#define NEST_KO_DEFAULT	"/tcpstate/module/tcpstate_nest.ko"
#define NEST_PARAMS	"/sys/module/tcpstate_nest/parameters/"
#define HOOKS_FILE	"/sys/class/misc/tcpstate/hooks"
#define WATCH_DEFAULT	"/usr/sbin/tcpstate-watch"

static const char *nest_ko(void)
{
	const char *p = getenv("TCPSTATE_NEST_KO");

	return p && *p ? p : NEST_KO_DEFAULT;
}

static long long nest_param(const char *name)
{
	char path[256], *text;
	long long v;

	snprintf(path, sizeof(path), NEST_PARAMS "%s", name);
	text = slurp(path);
	if (!text)
		return -1;
	/* bool parameters read Y or N. */
	v = text[0] == 'Y' ? 1 : text[0] == 'N' ? 0 : atoll(text);
	free(text);
	return v;
}

static void nest_unload(void)
{
	if (access("/sys/module/tcpstate_nest", F_OK) == 0)
		sh("rmmod tcpstate_nest");
}

/*
 * The sum of the "missed=N" columns of the hooks file (tracepoints have
 * none: they never miss); -1 if unreadable or another hook's line (kprobe,
 * kretprobe, ftrace) has none.
 */
static long long hooks_missed_sum(void)
{
	char *text = slurp(HOOKS_FILE), *line, *save, *m;
	long long sum = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "tracepoint ", 11))
			continue;
		m = strstr(line, " missed=");
		if (!m) {
			sum = -1;
			break;
		}
		sum += atoll(m + 8);
	}
	free(text);
	return sum;
}

static int reseed_ioctl(void)
{
	int fd = open(TCPSTATE_DEVICE, O_RDWR | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, TCPSTATE_IOC_RESEED))
		err = -errno;
	close(fd);
	return err;
}

static unsigned long long ioctl_counter(unsigned int idx)
{
	struct ts_counters c;

	return counters_ioctl(&c, NULL) ? -1ULL : c.v[idx];
}

FIXTURE(miss)
{
	int lfd, tw_lfd;
	struct ts_addr sink;
};

FIXTURE_VARIANT(miss)
{
	int family;
};

FIXTURE_VARIANT_ADD(miss, ipv4) {
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(miss, ipv6) {
	.family = AF_INET6,
};

FIXTURE_SETUP(miss)
{
	self->lfd = -1;
	self->tw_lfd = -1;
	if (traffic_only())
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY: no module to miss probes of");
	if (access(nest_ko(), R_OK))
		SKIP(return, "no %s (scripts/kernels.sh build makes it)",
		     nest_ko());
	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, sink_setup());
	ASSERT_EQ(0, ts_addr_parse(variant->family,
				   variant->family == AF_INET ? SINK_ADDR4 :
								SINK_ADDR6,
				   &self->sink));
	ASSERT_EQ(0, sysctl_set("net.ipv4.tcp_synack_retries", "1"));
}

FIXTURE_TEARDOWN(miss)
{
	nest_unload();
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->tw_lfd >= 0)
		close(self->tw_lfd);
	/* Whatever failed, leave exact gauges to the tests after this one. */
	if (module_loaded())
		reseed_ioctl();
}

/*
 * One round: SYNS_PER_ROUND SYNs from this CPU, then getppid() in a loop
 * until the kernel has expired every request sock. Returns the st 03 rows
 * left (0), or -1 if they never all arrived or never all expired.
 */
static int expire_round(struct __test_metadata *_metadata,
			FIXTURE_DATA(miss) *self, int family, int round)
{
	long long deadline;
	int i, j;

	for (i = 0; i < SYNS_PER_ROUND; i++) {
		unsigned int n = (unsigned int)(round * SYNS_PER_ROUND + i + 1);
		struct ts_addr src;

		spoof_addr(family, n, &src);
		if (raw_syn_send(&src, (unsigned short)(SPOOF_SPORT + n),
				 &self->sink, LISTEN_PORT, 0x01000000U * n))
			return -1;
	}
	if (!POLL_UNTIL(proc_tcp_rows(family, 3, LISTEN_PORT) ==
			SYNS_PER_ROUND, 2000)) {
		TH_LOG("round %d: %d st 03 rows, not %d", round,
		       proc_tcp_rows(family, 3, LISTEN_PORT), SYNS_PER_ROUND);
		return -1;
	}
	/* Expiry 3 s after the SYN (one retransmit at 1 s). */
	deadline = now_ms() + 10000;
	while (now_ms() < deadline) {
		for (j = 0; j < CALLS_PER_LOOK; j++)
			getppid();
		if (proc_tcp_rows(family, 3, LISTEN_PORT) == 0)
			return 0;
	}
	return -1;
}

TEST_F_TIMEOUT(miss, forced_then_reseeded, 90)
{
	unsigned long long missed_before, missed, since, gauge, tw;
	long long sum, hits, irqs_on;
	int round, rows, tw_rows;
	char out[4096], want[64];
	struct ts_counters pc;
	cpu_set_t cpus;
	FILE *p;

	self->lfd = tcp_listen(variant->family, &self->sink, LISTEN_PORT, 64);
	ASSERT_LE(0, self->lfd);

	/* One CPU for the SYNs, their timers and the slow getppid(). */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));

	nest_unload();
	if (sh("insmod %s tgid=%d delay_us=%d", nest_ko(), getpid(),
	       NEST_DELAY_US))
		SKIP(return, "insmod %s failed: no kprobe on getppid here",
		     nest_ko());
	getppid();
	hits = nest_param("hits");
	irqs_on = nest_param("irqs_on_hits");
	TH_LOG("helper: ftrace-based %lld, hits %lld, with interrupts on %lld",
	       nest_param("ftrace"), hits, irqs_on);
	ASSERT_EQ(1, hits);
	if (irqs_on != 1)
		SKIP(return, "the helper's kprobe runs with interrupts off: no softirq can nest in it");

	missed_before = ioctl_counter(TCPSTATE_C_PROBES_MISSED);
	ASSERT_NE(-1ULL, missed_before);
	for (round = 0; round < MAX_ROUNDS; round++) {
		ASSERT_EQ(0, expire_round(_metadata, self, variant->family,
					  round));
		gauge = ioctl_counter(TCPSTATE_C_SYN_RECV);
		TH_LOG("round %d: every request sock expired; SYN_RECV gauge %llu, probes_missed +%llu",
		       round, gauge,
		       ioctl_counter(TCPSTATE_C_PROBES_MISSED) - missed_before);
		if (gauge)
			break;
	}
	nest_unload();
	if (round == MAX_ROUNDS)
		SKIP(return, "no expiry of %d rounds ran inside the helper's handler: nothing missed",
		     MAX_ROUNDS);

	/* The miss, as the module reports it. */
	missed = ioctl_counter(TCPSTATE_C_PROBES_MISSED);
	since = ioctl_counter(TCPSTATE_C_PROBES_MISSED_SINCE_SEED);
	EXPECT_LT(missed_before, missed);
	EXPECT_LT(0, since);
	EXPECT_GE(missed, since);
	/* Nothing misses now: the hooks file adds up to the counter. */
	EXPECT_TRUE(POLL_UNTIL((sum = hooks_missed_sum()) ==
			       (long long)ioctl_counter(TCPSTATE_C_PROBES_MISSED),
			       2000))
		TH_LOG("hooks file missed= sum %lld, probes_missed %llu", sum,
		       ioctl_counter(TCPSTATE_C_PROBES_MISSED));
	/* /proc/net/tcpstate says the same. */
	ASSERT_EQ(0, counters_proc(&pc));
	EXPECT_EQ(ioctl_counter(TCPSTATE_C_PROBES_MISSED),
		  pc.v[TCPSTATE_C_PROBES_MISSED]);
	EXPECT_EQ(since, pc.v[TCPSTATE_C_PROBES_MISSED_SINCE_SEED]);
	/* The drift is real: the kernel holds no request sock. */
	rows = proc_tcp_rows_all(3, 0);
	gauge = ioctl_counter(TCPSTATE_C_SYN_RECV);
	TH_LOG("before the reseed: SYN_RECV gauge %llu, st 03 rows %d",
	       gauge, rows);
	EXPECT_EQ(0, rows);
	EXPECT_NE((unsigned long long)rows, gauge);

	/* Timewait socks, so that the recount of TIME_WAIT is not 0. */
	self->tw_lfd = tcp_listen(variant->family, NULL, 0, 64);
	ASSERT_LE(0, self->tw_lfd);
	ASSERT_EQ(0, client_closed_connections(self->tw_lfd, variant->family,
					       TIMEWAITS, NULL, NULL));
	ASSERT_TRUE(POLL_UNTIL(proc_tcp_rows_all(6, 0) == TIMEWAITS, 2000));

	/* The recovery, by the ioctl. */
	ASSERT_EQ(0, reseed_ioctl());
	rows = proc_tcp_rows_all(3, 0);
	tw_rows = proc_tcp_rows_all(6, 0);
	gauge = ioctl_counter(TCPSTATE_C_SYN_RECV);
	tw = ioctl_counter(TCPSTATE_C_TIME_WAIT);
	TH_LOG("after the reseed: SYN_RECV %llu (st 03 rows %d), TIME_WAIT %llu (st 06 rows %d, sockstat tw %lld)",
	       gauge, rows, tw, tw_rows, sockstat_tw());
	EXPECT_EQ((unsigned long long)rows, gauge);
	EXPECT_EQ(TIMEWAITS, tw_rows);
	EXPECT_EQ((unsigned long long)tw_rows, tw);
	EXPECT_EQ(sockstat_tw(), (long long)tw);
	EXPECT_EQ(0, ioctl_counter(TCPSTATE_C_PROBES_MISSED_SINCE_SEED));
	/* Missed probes stay counted since the load. */
	EXPECT_EQ(missed, ioctl_counter(TCPSTATE_C_PROBES_MISSED));

	/* The same by tcpstate-watch --reseed: the gauges it prints. */
	p = popen(WATCH_DEFAULT " --reseed 2>&1", "r");
	ASSERT_NE(NULL, p);
	/* A newline first: each printed line is then "\nname value\n". */
	out[0] = '\n';
	out[1 + fread(out + 1, 1, sizeof(out) - 2, p)] = '\0';
	EXPECT_EQ(0, pclose(p)) TH_LOG("%s", out);
	TH_LOG("tcpstate-watch --reseed:%s", out);
	EXPECT_NE(NULL, strstr(out, "\nsyn_recv 0\n"));
	snprintf(want, sizeof(want), "\ntime_wait %d\n", TIMEWAITS);
	EXPECT_NE(NULL, strstr(out, want));
}

TEST_HARNESS_MAIN
