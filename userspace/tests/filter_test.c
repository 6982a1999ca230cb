// SPDX-License-Identifier: GPL-2.0
/*
 * The filters' userspace side: parsing each option's argument, what is
 * pushed to the kernel, and matching events and sequence records.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "filter.h"
#include "owner.h"
#include "sequence.h"

TEST(ports)
{
	__u16 p[TCPSTATE_FILTER_PORTS];
	unsigned int n;
	char many[256], *q = many;
	int i;

	ASSERT_EQ(0, filter_parse_ports("80", p, &n));
	ASSERT_EQ(1U, n);
	ASSERT_EQ(80, p[0]);
	ASSERT_EQ(0, filter_parse_ports("443,80,65535,1", p, &n));
	ASSERT_EQ(4U, n);
	ASSERT_EQ(443, p[0]);
	ASSERT_EQ(1, p[3]);
	/* A repeat counts once. */
	ASSERT_EQ(0, filter_parse_ports("80,80,80", p, &n));
	ASSERT_EQ(1U, n);

	static const char *const bad[] = {
		"", "0", "65536", "-1", "+80", " 80", "80 ", "80,", ",80",
		"80,,443", "80;443", "0x50", "http", "99999999999999999999",
	};
	for (i = 0; i < (int)ARRAY_SIZE(bad); i++)
		ASSERT_EQ(-EINVAL, filter_parse_ports(bad[i], p, &n))
			TH_LOG("'%s'", bad[i]);

	/* 32 ports fit, 33 do not. */
	for (i = 1; i <= 32; i++)
		q += sprintf(q, "%s%d", i > 1 ? "," : "", i);
	ASSERT_EQ(0, filter_parse_ports(many, p, &n));
	ASSERT_EQ(32U, n);
	sprintf(q, ",33");
	ASSERT_EQ(-E2BIG, filter_parse_ports(many, p, &n));
}

TEST(addresses)
{
	__u8 a[16], want[16];
	unsigned int fam;

	ASSERT_EQ(0, filter_parse_addr("10.1.2.3", a, &fam));
	ASSERT_EQ((unsigned int)AF_INET, fam);
	ASSERT_EQ(10, a[0]);
	ASSERT_EQ(3, a[3]);
	ASSERT_EQ(0, a[4]);
	ASSERT_EQ(0, filter_parse_addr("2001:db8::1", a, &fam));
	ASSERT_EQ((unsigned int)AF_INET6, fam);
	inet_pton(AF_INET6, "2001:db8::1", want);
	ASSERT_EQ(0, memcmp(a, want, 16));
	ASSERT_EQ(0, filter_parse_addr("[::1]", a, &fam));
	ASSERT_EQ((unsigned int)AF_INET6, fam);
	ASSERT_EQ(-EINVAL, filter_parse_addr("", a, &fam));
	ASSERT_EQ(-EINVAL, filter_parse_addr("10.1.2", a, &fam));
	ASSERT_EQ(-EINVAL, filter_parse_addr("10.1.2.3:80", a, &fam));
	ASSERT_EQ(-EINVAL, filter_parse_addr("[10.1.2.3]", a, &fam));
	ASSERT_EQ(-EINVAL, filter_parse_addr("[::1", a, &fam));
	ASSERT_EQ(-EINVAL, filter_parse_addr("localhost", a, &fam));
}

TEST(netns)
{
	__u32 ns;

	ASSERT_EQ(0, filter_parse_netns("4026531840", &ns));
	ASSERT_EQ(4026531840U, ns);
	ASSERT_EQ(0, filter_parse_netns("4294967295", &ns));
	ASSERT_EQ(-EINVAL, filter_parse_netns("4294967296", &ns));
	ASSERT_EQ(-EINVAL, filter_parse_netns("0", &ns));
	ASSERT_EQ(-EINVAL, filter_parse_netns("", &ns));
	ASSERT_EQ(-EINVAL, filter_parse_netns("net:[4026531840]", &ns));
	ASSERT_EQ(-EINVAL, filter_parse_netns("-1", &ns));
}

TEST(states)
{
	static const struct {
		const char *name;
		int state;
	} cases[] = {
		{ "ESTABLISHED", 1 }, { "established", 1 },
		{ "TCP_ESTABLISHED", 1 }, { "SYN_SENT", 2 }, { "syn-sent", 2 },
		{ "SYN_RECV", 3 }, { "syn-recv", 3 }, { "NEW_SYN_RECV", 3 },
		{ "FIN_WAIT1", 4 }, { "fin-wait-1", 4 }, { "FIN_WAIT_1", 4 },
		{ "FIN_WAIT2", 5 }, { "fin-wait-2", 5 }, { "TIME_WAIT", 6 },
		{ "time-wait", 6 }, { "CLOSE", 7 }, { "closed", 7 },
		{ "CLOSE_WAIT", 8 }, { "close-wait", 8 }, { "LAST_ACK", 9 },
		{ "last-ack", 9 }, { "LISTEN", 10 }, { "CLOSING", 11 },
		{ "", -EINVAL }, { "UNKNOWN", -EINVAL }, { "FIN_WAIT", -EINVAL },
		{ "FIN_WAIT3", -EINVAL }, { "ESTABLISHEDX", -EINVAL },
		{ "TCP_", -EINVAL }, { "SYN_RECV_LONG_LONG_NAME_X", -EINVAL },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		ASSERT_EQ(cases[i].state, filter_parse_state(cases[i].name))
			TH_LOG("case %u", i);
}

TEST(kernel_share)
{
	struct watch_filter f;
	struct tcpstate_filter k;

	memset(&f, 0, sizeof(f));
	ASSERT_FALSE(filter_to_kernel(&f, &k));
	ASSERT_FALSE(filter_active(&f));
	/* Addresses and states are userspace's alone. */
	f.state = 6;
	f.has_laddr = 1;
	ASSERT_TRUE(filter_active(&f));
	ASSERT_FALSE(filter_to_kernel(&f, &k));

	f.family = AF_INET6;
	f.netns = 4026531840U;
	filter_parse_ports("80,443", f.lports, &f.nr_lports);
	filter_parse_ports("53", f.rports, &f.nr_rports);
	memset(&k, 0xee, sizeof(k));
	ASSERT_TRUE(filter_to_kernel(&f, &k));
	ASSERT_EQ(4026531840U, k.netns);
	ASSERT_EQ(AF_INET6, k.family);
	ASSERT_EQ(2, k.nr_lports);
	ASSERT_EQ(80, k.lports[0]);
	ASSERT_EQ(443, k.lports[1]);
	ASSERT_EQ(0, k.lports[2]);
	ASSERT_EQ(1, k.nr_rports);
	ASSERT_EQ(53, k.rports[0]);
	ASSERT_EQ(0, k.__pad[0] | k.__pad[1] | k.__pad[2]);
}

static struct tcpstate_event event(unsigned int family, const char *l,
				   unsigned int lport, const char *r,
				   unsigned int rport)
{
	struct tcpstate_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = TCPSTATE_EV_STATE;
	ev.netns = 4026531840U;
	ev.family = (__u16)family;
	inet_pton((int)family, l, ev.saddr);
	inet_pton((int)family, r, ev.daddr);
	ev.sport = (__u16)lport;
	ev.dport = (__u16)rport;
	ev.oldstate = 1;
	ev.newstate = 4;
	return ev;
}

TEST(events_by_tuple)
{
	struct tcpstate_event v4 = event(AF_INET, "10.0.0.1", 40000,
					 "10.0.0.2", 80);
	struct tcpstate_event v6 = event(AF_INET6, "2001:db8::1", 40000,
					 "2001:db8::2", 443);
	struct tcpstate_event mapped = event(AF_INET6, "::ffff:10.0.0.1",
					     40000, "::ffff:10.0.0.2", 80);
	struct watch_filter f;

	memset(&f, 0, sizeof(f));
	ASSERT_TRUE(filter_event(&f, &v4, NULL));

	f.family = AF_INET;
	ASSERT_TRUE(filter_event(&f, &v4, NULL));
	ASSERT_FALSE(filter_event(&f, &v6, NULL));
	/* -4 is AF_INET: a v4-mapped IPv6 socket is not one. */
	ASSERT_FALSE(filter_event(&f, &mapped, NULL));
	f.family = 0;

	filter_parse_ports("80,8080", f.rports, &f.nr_rports);
	ASSERT_TRUE(filter_event(&f, &v4, NULL));
	ASSERT_FALSE(filter_event(&f, &v6, NULL));
	f.nr_rports = 0;
	filter_parse_ports("40000", f.lports, &f.nr_lports);
	ASSERT_TRUE(filter_event(&f, &v4, NULL));
	ASSERT_TRUE(filter_event(&f, &v6, NULL));
	v4.sport = 0;	/* a client's CLOSE -> SYN_SENT */
	ASSERT_FALSE(filter_event(&f, &v4, NULL));
	v4.sport = 40000;
	f.nr_lports = 0;

	/* An IPv4 address matches its v4-mapped form, and back. */
	filter_parse_addr("10.0.0.2", f.raddr, &f.raddr_family);
	f.has_raddr = 1;
	ASSERT_TRUE(filter_event(&f, &v4, NULL));
	ASSERT_TRUE(filter_event(&f, &mapped, NULL));
	ASSERT_FALSE(filter_event(&f, &v6, NULL));
	filter_parse_addr("::ffff:10.0.0.2", f.raddr, &f.raddr_family);
	ASSERT_TRUE(filter_event(&f, &v4, NULL));
	ASSERT_TRUE(filter_event(&f, &mapped, NULL));
	filter_parse_addr("2001:db8::2", f.raddr, &f.raddr_family);
	ASSERT_FALSE(filter_event(&f, &v4, NULL));
	ASSERT_TRUE(filter_event(&f, &v6, NULL));
	f.has_raddr = 0;
	filter_parse_addr("10.0.0.1", f.laddr, &f.laddr_family);
	f.has_laddr = 1;
	ASSERT_TRUE(filter_event(&f, &v4, NULL));
	ASSERT_FALSE(filter_event(&f, &v6, NULL));
	f.has_laddr = 0;

	f.netns = 7;
	ASSERT_FALSE(filter_event(&f, &v4, NULL));
	ASSERT_FALSE(filter_event_fixed(&f, &v4));
	f.netns = 4026531840U;
	ASSERT_TRUE(filter_event_fixed(&f, &v4));
}

TEST(events_by_state)
{
	static const struct {
		unsigned int type, old, new, state;
		int touches;
	} cases[] = {
		{ TCPSTATE_EV_STATE, 1, 4, 1, 1 },
		{ TCPSTATE_EV_STATE, 1, 4, 4, 1 },
		{ TCPSTATE_EV_STATE, 1, 4, 5, 0 },
		{ TCPSTATE_EV_SYN_RECV, 0, 0, 3, 1 },
		{ TCPSTATE_EV_SYN_RECV, 0, 0, 10, 0 },
		{ TCPSTATE_EV_SYN_RECV_END, 0, 0, 3, 1 },
		{ TCPSTATE_EV_SYNACK_RETRANS, 0, 0, 3, 1 },
		{ TCPSTATE_EV_ACK_DROP, 0, 0, 3, 1 },
		{ TCPSTATE_EV_SYN_DROP, 0, 0, 10, 1 },
		{ TCPSTATE_EV_SYN_DROP, 0, 0, 3, 0 },
		{ TCPSTATE_EV_SYNCOOKIE_SENT, 0, 0, 10, 1 },
		{ TCPSTATE_EV_ACCEPT_QUEUED, 0, 0, 3, 1 },
		{ TCPSTATE_EV_ACCEPT_QUEUED, 0, 0, 1, 1 },
		{ TCPSTATE_EV_ACCEPT_QUEUED, 0, 0, 6, 0 },
		{ TCPSTATE_EV_TIMEWAIT, 5, 6, 5, 1 },
		{ TCPSTATE_EV_TIMEWAIT, 5, 6, 6, 1 },
		{ TCPSTATE_EV_TIMEWAIT, 11, 6, 5, 0 },
		{ TCPSTATE_EV_TIMEWAIT_END, 0, 5, 5, 1 },
		{ TCPSTATE_EV_TIMEWAIT_END, 0, 5, 7, 1 },
		{ TCPSTATE_EV_TIMEWAIT_END, 0, 5, 6, 0 },
		{ 77, 1, 4, 1, 0 },
	};
	struct tcpstate_event ev = event(AF_INET, "10.0.0.1", 1, "10.0.0.2", 2);
	struct watch_filter f;
	unsigned int i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ev.type = (__u16)cases[i].type;
		ev.oldstate = (__u8)cases[i].old;
		ev.newstate = (__u8)cases[i].new;
		f.state = cases[i].state;
		ASSERT_EQ(cases[i].touches, filter_event(&f, &ev, NULL))
			TH_LOG("case %u", i);
	}
}

TEST(records)
{
	struct watch_filter f;
	struct seq_record r;

	memset(&r, 0, sizeof(r));
	r.kind = SEQ_ACTIVE_CLOSE;
	r.family = AF_INET;
	r.netns = 4026531840U;
	inet_pton(AF_INET, "10.0.0.1", r.saddr);
	inet_pton(AF_INET, "10.0.0.2", r.daddr);
	r.sport = 40000;
	r.dport = 80;
	r.nsteps = 4;
	r.steps[0].state = 1;
	r.steps[1].state = 4;
	r.steps[2].state = SEQ_ST_TW_FIN_WAIT2;
	r.steps[3].state = 7;
	r.tw_substate = 6;

	memset(&f, 0, sizeof(f));
	ASSERT_TRUE(filter_record(&f, &r, NULL));
	filter_parse_ports("80", f.rports, &f.nr_rports);
	ASSERT_TRUE(filter_record(&f, &r, NULL));
	filter_parse_ports("40000", f.lports, &f.nr_lports);
	ASSERT_TRUE(filter_record(&f, &r, NULL));
	filter_parse_ports("80", f.lports, &f.nr_lports);
	ASSERT_FALSE(filter_record(&f, &r, NULL));
	memset(&f, 0, sizeof(f));

	/* States: the steps, the timewait sock's substate both ways. */
	f.state = 4;
	ASSERT_TRUE(filter_record(&f, &r, NULL));
	f.state = 5;	/* FIN_WAIT2(tw) */
	ASSERT_TRUE(filter_record(&f, &r, NULL));
	f.state = 6;	/* it ended in TIME_WAIT */
	ASSERT_TRUE(filter_record(&f, &r, NULL));
	f.state = 8;
	ASSERT_FALSE(filter_record(&f, &r, NULL));
	f.state = 10;
	ASSERT_FALSE(filter_record(&f, &r, NULL));
	r.kind = SEQ_SYN_DROPPED;
	ASSERT_TRUE(filter_record(&f, &r, NULL));
	f.state = 0;

	f.family = AF_INET6;
	ASSERT_FALSE(filter_record(&f, &r, NULL));
	f.family = 0;
	f.netns = 1;
	ASSERT_FALSE(filter_record(&f, &r, NULL));
}

TEST(owner_options_parse)
{
	char comm[TCPSTATE_COMM_LEN];
	__u32 tgid;

	ASSERT_EQ(0, filter_parse_pid("1", &tgid));
	ASSERT_EQ(1U, tgid);
	ASSERT_EQ(0, filter_parse_pid("4194304", &tgid));
	ASSERT_EQ(-EINVAL, filter_parse_pid("4194305", &tgid));
	ASSERT_EQ(-EINVAL, filter_parse_pid("0", &tgid));
	ASSERT_EQ(-EINVAL, filter_parse_pid(" 1", &tgid));
	ASSERT_EQ(-EINVAL, filter_parse_pid("1x", &tgid));
	ASSERT_EQ(-EINVAL, filter_parse_comm("", comm));
	/* The kernel keeps 15 characters of a name, as ps shows it. */
	ASSERT_EQ(0, filter_parse_comm("systemd-resolved", comm));
	ASSERT_STREQ("systemd-resolve", comm);
}

/*
 * --pid, --comm, --cgroup on the owner the table attributes: an event's
 * own task, its listener's for a request sock, nothing known: no match.
 */
TEST(owner_parts_match_the_attributed_owner)
{
	struct owner_table *t = owner_new(16);
	struct tcpstate_event ev;
	struct watch_filter f;
	struct seq_record r;

	memset(&f, 0, sizeof(f));
	memset(&ev, 0, sizeof(ev));
	ev.type = TCPSTATE_EV_STATE;
	ev.sock_id = 0x10;
	ev.oldstate = 10;	/* LISTEN: a listener closing */
	ev.newstate = 7;
	ev.valid = TCPSTATE_VALID_TASK | TCPSTATE_VALID_OWNER;
	ev.tgid = 42;
	ev.cgroup_id = 5;
	memcpy(ev.comm, "nginx", 6);
	owner_feed(t, &ev);
	f.tgid = 42;
	ASSERT_TRUE(filter_active(&f));
	ASSERT_TRUE(filter_needs_owners(&f));
	ASSERT_TRUE(filter_event(&f, &ev, t));
	f.tgid = 43;
	ASSERT_FALSE(filter_event(&f, &ev, t));
	f.tgid = 0;
	strcpy(f.comm, "nginx");
	ASSERT_TRUE(filter_event(&f, &ev, t));
	strcpy(f.comm, "nginx2");
	ASSERT_FALSE(filter_event(&f, &ev, t));
	f.comm[0] = '\0';
	f.cgroup_id = 5;
	strcpy(f.cgroup, "/a");
	ASSERT_TRUE(filter_event(&f, &ev, t));
	f.cgroup_id = 6;
	ASSERT_FALSE(filter_event(&f, &ev, t));

	/* A request sock of that listener: its owner. */
	ev.type = TCPSTATE_EV_SYN_RECV;
	ev.sock_id = 0x20;
	ev.peer_id = 0x10;
	ev.valid = 0;
	owner_feed(t, &ev);
	f.cgroup_id = 0;
	f.tgid = 42;
	ASSERT_TRUE(filter_event(&f, &ev, t));
	/* Without the table nothing is known of it. */
	ASSERT_FALSE(filter_event(&f, &ev, NULL));

	/* A record: its full socket unknown, its request sock known. */
	memset(&r, 0, sizeof(r));
	r.sock_id = 0x30;
	r.req_id = 0x20;
	ASSERT_TRUE(filter_record(&f, &r, t));
	r.req_id = 0x31;
	ASSERT_FALSE(filter_record(&f, &r, t));

	/* The kernel gets the cgroup. */
	memset(&f, 0, sizeof(f));
	f.cgroup_id = 99;
	{
		struct tcpstate_filter k;

		ASSERT_TRUE(filter_to_kernel(&f, &k));
		ASSERT_EQ(99ULL, k.cgroup_id);
	}
	owner_free(t);
}

TEST_HARNESS_MAIN
