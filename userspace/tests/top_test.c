// SPDX-License-Identifier: GPL-2.0
/*
 * --top's model and frame (top.c), driven through top_new() with this
 * test's own sources: a fake sock_diag (listeners with their accept
 * queues and inodes, request socks, timewait socks with their time left)
 * and fake counters; synthetic events fed with top_feed(); frames taken
 * with top_refresh() at chosen times and printed with top_print() into
 * memory. The frame is checked row by row, field by field, against the
 * format of top.h: the SYN queue seeded and then from the events' qlen,
 * per-listener counts and rates over a known interval, handshake
 * percentiles, TIME_WAIT grouped by remote end and by local port against
 * this host's ip_local_port_range, ages, relisting after a loss, cutting
 * to a screen, sort order, owners.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "clock.h"
#include "top.h"

/* The table headers, exactly as top.h draws them. */
#define H_SYNQ	"LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOKIES  HS_P50  HS_P99"
#define H_ACCQ	"LISTENER               ACCQ/MAX OVERFLOWS   DROPS OWNER"
#define H_TWR	"TIME_WAIT REMOTE         COUNT  OLDEST  NEWEST  USE%"
#define H_TWL	"TIME_WAIT LOCAL PORT     COUNT  OLDEST  NEWEST"

#define SEC	NSEC_PER_SEC
#define MSEC	NSEC_PER_MSEC

/* ---- the fake kernel: sock_diag and the counters ---- */

#define WORLD_MAX	1024

struct fake_sock {
	struct sockdiag_sock s;
	/* The state sock_diag's filter sees: TIME_WAIT for every timewait
	 * sock, whose reported state is its substate.
	 */
	unsigned int filter_state;
	int gone;
};

struct world {
	struct fake_sock socks[WORLD_MAX];
	unsigned int nsocks;
	struct tcpstate_counters counters;
	int counters_err;	/* what read_counters returns */
	int dump_err;		/* what dump returns */
	unsigned int tw_dumps;	/* dumps that asked for TIME_WAIT */
};

/* dump() gets top's argument, not ours. */
static struct world *world;

static int fake_read_counters(struct tcpstate_counters *c, void *arg)
{
	struct world *w = arg;

	if (w->counters_err)
		return w->counters_err;
	*c = w->counters;
	return 0;
}

static int fake_dump(unsigned int states,
		     int (*cb)(const struct sockdiag_sock *s, void *arg),
		     void *arg)
{
	unsigned int i;

	if (world->dump_err)
		return world->dump_err;
	if (states & SOCKDIAG_STATE(TCP_TIME_WAIT))
		world->tw_dumps++;
	for (i = 0; i < world->nsocks; i++) {
		const struct fake_sock *f = &world->socks[i];

		if (f->gone || !(states & SOCKDIAG_STATE(f->filter_state)))
			continue;
		if (cb(&f->s, arg))
			break;
	}
	return 0;
}

/* "10.0.0.1" or "2001:db8::1" (any text with a ':' is IPv6). */
static unsigned int parse_addr(const char *text, __u8 addr[16])
{
	unsigned int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	memset(addr, 0, 16);
	if (inet_pton((int)family, text, addr) != 1)
		abort();
	return family;
}

static struct fake_sock *add_sock(unsigned int filter_state,
				  unsigned int state, const char *laddr,
				  unsigned int lport, const char *raddr,
				  unsigned int rport)
{
	struct fake_sock *f;

	if (world->nsocks == WORLD_MAX)
		abort();
	f = &world->socks[world->nsocks++];
	memset(f, 0, sizeof(*f));
	f->filter_state = filter_state;
	f->s.state = state;
	f->s.family = parse_addr(laddr, f->s.saddr);
	f->s.sport = lport;
	parse_addr(raddr, f->s.daddr);
	f->s.dport = rport;
	return f;
}

static struct fake_sock *add_listener(const char *laddr, unsigned int lport,
				      unsigned int accq, unsigned int accmax,
				      unsigned long inode)
{
	struct fake_sock *f = add_sock(TCP_LISTEN, TCP_LISTEN, laddr, lport,
				       strchr(laddr, ':') ? "::" : "0.0.0.0",
				       0);

	f->s.rqueue = accq;
	f->s.wqueue = accmax;
	f->s.inode = inode;
	f->s.uid = 1000;
	return f;
}

static void add_request(const char *laddr, unsigned int lport,
			const char *raddr, unsigned int rport)
{
	add_sock(TCP_SYN_RECV, TCP_SYN_RECV, laddr, lport, raddr, rport);
}

static struct fake_sock *add_timewait(const char *laddr, unsigned int lport,
				      const char *raddr, unsigned int rport,
				      unsigned int substate,
				      unsigned int left_ms)
{
	struct fake_sock *f = add_sock(TCP_TIME_WAIT, substate, laddr, lport,
				       raddr, rport);

	f->s.expires_ms = left_ms;
	return f;
}

/* ---- events ---- */

static __u32 own_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

static struct tcpstate_event ev_of(unsigned int type, __u64 ts,
				   __u64 sock_id, __u64 peer_id,
				   const char *laddr, unsigned int lport,
				   const char *raddr, unsigned int rport)
{
	struct tcpstate_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = (__u16)type;
	ev.ts_ns = ts;
	ev.sock_id = sock_id;
	ev.peer_id = peer_id;
	ev.netns = own_netns();
	ev.family = (__u16)parse_addr(laddr, ev.saddr);
	ev.sport = (__u16)lport;
	parse_addr(raddr, ev.daddr);
	ev.dport = (__u16)rport;
	return ev;
}

/* A listener opening: CLOSE -> LISTEN with its bound address. */
static void listen_ev(struct top *t, __u64 id, const char *laddr,
		      unsigned int lport)
{
	struct tcpstate_event ev = ev_of(TCPSTATE_EV_STATE, 1, id, 0, laddr,
					 lport,
					 strchr(laddr, ':') ? "::" : "0.0.0.0",
					 0);

	ev.oldstate = TCP_CLOSE;
	ev.newstate = TCP_LISTEN;
	top_feed(t, &ev);
}

static void syn_recv(struct top *t, __u64 ts, __u64 req, __u64 listener,
		     const char *laddr, unsigned int lport,
		     const char *raddr, unsigned int rport, unsigned int qlen)
{
	struct tcpstate_event ev = ev_of(TCPSTATE_EV_SYN_RECV, ts, req,
					 listener, laddr, lport, raddr, rport);

	ev.qlen = qlen;
	ev.qmax = 128;
	top_feed(t, &ev);
}

/* @peer: the child (completed), the new request sock (migrated), else
 * the listener.
 */
static void syn_recv_end(struct top *t, __u64 ts, __u64 req, __u64 peer,
			 unsigned int reason, const char *laddr,
			 unsigned int lport, const char *raddr,
			 unsigned int rport, unsigned int qlen)
{
	struct tcpstate_event ev = ev_of(TCPSTATE_EV_SYN_RECV_END, ts, req,
					 peer, laddr, lport, raddr, rport);

	ev.reason = (__u8)reason;
	ev.qlen = qlen;
	top_feed(t, &ev);
}

/* A listener's event without a request sock of ours: SYNACK_RETRANS,
 * ACK_DROP, SYN_DROP, SYNCOOKIE_SENT. @qlen: what the kernel puts there.
 */
static void listener_ev(struct top *t, unsigned int type, __u64 ts,
			__u64 sock_id, __u64 listener, unsigned int reason,
			const char *laddr, unsigned int lport,
			unsigned int qlen)
{
	struct tcpstate_event ev = ev_of(type, ts, sock_id, listener, laddr,
					 lport, strchr(laddr, ':') ?
					 "2001:db8:ffff::9" : "203.0.113.9",
					 55555);

	ev.reason = (__u8)reason;
	ev.qlen = qlen;
	top_feed(t, &ev);
}

static void tw_ev(struct top *t, unsigned int type, __u64 ts, __u64 id,
		  const char *laddr, unsigned int lport, const char *raddr,
		  unsigned int rport, unsigned int oldstate,
		  unsigned int newstate)
{
	struct tcpstate_event ev = ev_of(type, ts, id, 0, laddr, lport, raddr,
					 rport);

	ev.oldstate = (__u8)oldstate;
	ev.newstate = (__u8)newstate;
	top_feed(t, &ev);
}

/* ---- the frame, as text ---- */

/*
 * Line @n (0-based) of the table under @header, or NULL past its end;
 * into @buf. The table ends at an empty line or the frame's end.
 */
static const char *table_line(const char *frame, const char *header,
			      unsigned int n, char *buf, size_t len)
{
	const char *p = frame, *end;
	size_t hl = strlen(header);

	/* The header alone on its line. */
	for (;;) {
		p = strstr(p, header);
		if (!p)
			return NULL;
		if ((p == frame || p[-1] == '\n') &&
		    (p[hl] == '\n' || p[hl] == '\0'))
			break;
		p += hl;
	}
	p += hl;
	if (*p == '\n')
		p++;
	for (;;) {
		/* A table ends at a blank line, or at the next table's
		 * header (a compact frame has no blank lines).
		 */
		if (!*p || *p == '\n' || !strncmp(p, "LISTENER ", 9) ||
		    !strncmp(p, "TIME_WAIT ", 10))
			return NULL;
		end = strchr(p, '\n');
		if (!end)
			end = p + strlen(p);
		if (!n--) {
			snprintf(buf, len, "%.*s", (int)(end - p), p);
			return buf;
		}
		p = *end ? end + 1 : end;
	}
}

static unsigned int table_len(const char *frame, const char *header)
{
	char buf[512];
	unsigned int n = 0;

	while (table_line(frame, header, n, buf, sizeof(buf)))
		n++;
	return n;
}

/* @line's fields, separated by one blank each, into @buf. */
static const char *fields(const char *line, char *buf, size_t len)
{
	size_t o = 0;

	for (; *line && o + 1 < len; line++) {
		if (*line == ' ') {
			if (o && buf[o - 1] != ' ')
				buf[o++] = ' ';
			continue;
		}
		buf[o++] = *line;
	}
	if (o && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
	return buf;
}

/*
 * The row of the table under @header whose first field is @key, its
 * fields separated by one blank; "" when there is none.
 */
static const char *row(const char *frame, const char *header,
		       const char *key, char *buf, size_t len)
{
	char line[512];
	size_t kl = strlen(key);
	unsigned int n;

	for (n = 0; table_line(frame, header, n, line, sizeof(line)); n++)
		if (!strncmp(line, key, kl) &&
		    (line[kl] == ' ' || line[kl] == '\0'))
			return fields(line, buf, len);
	buf[0] = '\0';
	return buf;
}

/* Line @n (0-based) of the frame, "" past its end. */
static const char *frame_line(const char *frame, unsigned int n, char *buf,
			      size_t len)
{
	const char *p = frame, *end;

	while (n-- && p && *p) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p) {
		buf[0] = '\0';
		return buf;
	}
	end = strchr(p, '\n');
	snprintf(buf, len, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
	return buf;
}

/* A duration as the view prints it ("812ns", "40.1us", "3.40ms", "59.8s"). */
static long long parse_duration(const char *text)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	unsigned int i;
	char *end;
	double v = strtod(text, &end);

	if (end == text)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			return (long long)(v * units[i].ns + 0.5);
	return -1;
}

/* Field @n (0-based) of a row as row() gives it. */
static const char *field(const char *fieldsline, unsigned int n, char *buf,
			 size_t len)
{
	const char *p = fieldsline, *end;

	while (n-- && p) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p) {
		buf[0] = '\0';
		return buf;
	}
	end = strchr(p, ' ');
	snprintf(buf, len, "%.*s", (int)(end ? end - p : (long)strlen(p)), p);
	return buf;
}

/*
 * The first @n fields of the row of @key in the table under @header, "" when
 * there is no such row.
 */
static const char *row_head(const char *frame, const char *header,
			    const char *key, unsigned int n, char *buf,
			    size_t len)
{
	char *p;

	row(frame, header, key, buf, len);
	for (p = buf; *p && n; p++)
		if (*p == ' ' && !--n)
			*p = '\0';
	return buf;
}

/* The first field (the key) of row @n of the table under @header. */
static const char *row_key(const char *frame, const char *header,
			   unsigned int n, char *buf, size_t len)
{
	char line[512];

	if (!table_line(frame, header, n, line, sizeof(line))) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "%.*s", (int)strcspn(line, " "), line);
	return buf;
}

static int read_port_range(unsigned int *lo, unsigned int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%u %u", lo, hi) == 2;
	fclose(f);
	return ok ? 0 : -1;
}

static long read_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * This host's ip_local_port_range, read at each test's setup, and
 * whether there is room outside it for outside_port().
 */
static unsigned int port_lo, port_hi;
static int outside_ports;

/* Port @n of 64 outside ip_local_port_range (and above 1023). */
static unsigned int outside_port(unsigned int n)
{
	return port_lo >= 1024 + 64 ? 1024 + n : port_hi + 1 + n;
}

/* ---- the fixture ---- */

FIXTURE(top) {
	struct world w;
	struct top *t;
	char *frame;
	size_t len;
	__u64 t0;		/* the first frame's time */
	char buf[512], buf2[512];
};

FIXTURE_SETUP(top)
{
	ASSERT_EQ(0, read_port_range(&port_lo, &port_hi));
	ASSERT_LE(port_lo, port_hi);
	outside_ports = port_lo >= 1024 + 64 || port_hi <= 65535 - 64;
	world = &self->w;
	memset(&self->w, 0, sizeof(self->w));
	self->w.counters.netns = own_netns();
	self->w.counters.nr = TCPSTATE_NR_COUNTERS;
	self->t = NULL;
	self->frame = NULL;
}

FIXTURE_TEARDOWN(top)
{
	top_free(self->t);
	free(self->frame);
}

static struct top *start(struct world *w)
{
	struct top_sources src = {
		.read_counters = fake_read_counters,
		.arg = w,
		.dump = fake_dump,
	};
	char err[256];

	return top_new(&src, err, sizeof(err));
}

/* top_refresh() at @now, then top_print() into self->frame. */
static int take_frame(struct top *t, char **frame, size_t *len, __u64 now,
		      unsigned int cols, unsigned int max_rows)
{
	FILE *mem;
	int rc;

	free(*frame);
	*frame = NULL;
	rc = top_refresh(t, now);
	if (rc)
		return rc;
	mem = open_memstream(frame, len);
	if (!mem)
		return -errno;
	rc = top_print(t, mem, cols, max_rows);
	if (fclose(mem) && !rc)
		rc = -errno;
	return rc;
}

#define START() do {							\
	self->t = start(&self->w);					\
	ASSERT_NE(NULL, self->t);					\
	self->t0 = clock_mono_ns();					\
} while (0)

#define FRAME_AT(now, cols, rows)					\
	ASSERT_EQ(0, take_frame(self->t, &self->frame, &self->len, (now), \
				(cols), (rows)))

/* The row of @key in the table under @header equals @expect (fields
 * separated by one blank).
 */
#define ASSERT_ROW(header, key, expect)					\
	ASSERT_STREQ(expect, row(self->frame, header, key, self->buf,	\
				 sizeof(self->buf)))			\
		TH_LOG("frame:\n%s", self->frame)

#define ASSERT_NO_ROW(header, key)					\
	ASSERT_STREQ("", row(self->frame, header, key, self->buf,	\
			     sizeof(self->buf)))			\
		TH_LOG("frame:\n%s", self->frame)

/* Listener ids, request and timewait sock ids. */
#define L80	0x80000001ULL
#define L443	0x44300001ULL
#define L8080	0x80800001ULL
#define REQ(n)	(0x5000000000ULL + (n))
#define CHILD(n) (0x6000000000ULL + (n))
#define TW(n)	(0x7000000000ULL + (n))

/*
 * The SYN queue before any event is the request socks sock_diag listed
 * per listener (a v4 one on a [::] listener lands on that row); the first
 * event of a listener replaces it with the kernel's qlen; an ACK_DROP's
 * qlen (the accept queue) is not the SYN queue; the accept queue is
 * sock_diag's, read each frame.
 */
TEST_F(top, syn_queue_seeded_then_from_events)
{
	__u64 t1;

	add_listener("0.0.0.0", 80, 2, 128, 4000000001UL);
	add_listener("::", 8080, 0, 64, 4000000002UL);
	add_request("10.0.0.1", 80, "198.51.100.1", 40001);
	add_request("10.0.0.1", 80, "198.51.100.2", 40002);
	add_request("127.0.0.1", 80, "127.0.0.1", 40003);
	/* A v4 SYN to the dual-stack listener, and a v6 one. */
	add_request("10.0.0.1", 8080, "198.51.100.4", 40004);
	add_request("2001:db8::1", 8080, "2001:db8::99", 40005);
	START();

	FRAME_AT(self->t0, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 3/128 0.0 0.0 0 0 - -");
	ASSERT_ROW(H_SYNQ, "[::]:8080", "[::]:8080 2/64 0.0 0.0 0 0 - -");
	ASSERT_ROW(H_ACCQ, "0.0.0.0:80", "0.0.0.0:80 2/128 0 0 uid=1000");
	ASSERT_ROW(H_ACCQ, "[::]:8080", "[::]:8080 0/64 0 0 uid=1000");
	ASSERT_NO_ROW(H_SYNQ, "10.0.0.1:8080");
	ASSERT_EQ(2, table_len(self->frame, H_SYNQ));

	/* The kernel's own count from the first event on: 7 now. */
	t1 = self->t0 + SEC;
	syn_recv(self->t, t1, REQ(1), L80, "10.0.0.1", 80, "198.51.100.7",
		 40007, 7);
	/* An ACK dropped while the accept queue held 128: not the SYN
	 * queue.
	 */
	listener_ev(self->t, TCPSTATE_EV_ACK_DROP, t1, REQ(2), L80,
		    TCPSTATE_DROP_ACCEPT_QUEUE_FULL, "10.0.0.1", 80, 128);
	self->w.socks[0].s.rqueue = 5;	/* accept() is no event */
	FRAME_AT(t1, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 7/128 1.0 0.0 0 0 - -");
	ASSERT_ROW(H_ACCQ, "0.0.0.0:80", "0.0.0.0:80 5/128 1 1 uid=1000");
	/* Untouched by events: still the seed. */
	ASSERT_ROW(H_SYNQ, "[::]:8080", "[::]:8080 2/64 0.0 0.0 0 0 - -");

	/* A request listed at start expires: qlen 6 from the kernel. */
	syn_recv_end(self->t, t1 + SEC, REQ(100), L80, TCPSTATE_SRE_EXPIRED,
		     "10.0.0.1", 80, "198.51.100.1", 40001, 6);
	FRAME_AT(t1 + 2 * SEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 6/128 0.0 0.0 1 0 - -");

	/* Another namespace's events change nothing. */
	{
		struct tcpstate_event ev = ev_of(TCPSTATE_EV_SYN_RECV,
						 t1 + 2 * SEC, REQ(3), L80,
						 "10.0.0.1", 80,
						 "198.51.100.8", 40008);

		ev.qlen = 50;
		ev.netns = own_netns() + 1;
		top_feed(self->t, &ev);
	}
	FRAME_AT(t1 + 3 * SEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 6/128 0.0 0.0 1 0 - -");

	/* The [::] listener's seed goes down as its listed requests end,
	 * whatever the reason, until an event gives the kernel's qlen.
	 */
	syn_recv_end(self->t, t1 + 3 * SEC, REQ(101), CHILD(101),
		     TCPSTATE_SRE_COMPLETED, "10.0.0.1", 8080, "198.51.100.4",
		     40004, 0);
	FRAME_AT(t1 + 4 * SEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "[::]:8080", "[::]:8080 1/64 0.0 0.0 0 0 - -");

	/* On port 80, whose listener an event named, a request listed at
	 * start completes: the kernel's qlen again.
	 */
	syn_recv_end(self->t, t1 + 4 * SEC, REQ(102), CHILD(102),
		     TCPSTATE_SRE_COMPLETED, "10.0.0.1", 80, "198.51.100.2",
		     40002, 5);
	FRAME_AT(t1 + 5 * SEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 5/128 0.0 0.0 1 0 - -");

	/* Two CPUs' events in the ring out of time order: the latest by
	 * time gives the queue.
	 */
	syn_recv(self->t, t1 + 5200 * MSEC, REQ(4), L80, "10.0.0.1", 80,
		 "198.51.100.9", 40009, 9);
	syn_recv_end(self->t, t1 + 5100 * MSEC, REQ(103), L80,
		     TCPSTATE_SRE_DROPPED, "10.0.0.1", 80, "198.51.100.3",
		     40003, 8);
	FRAME_AT(t1 + 6 * SEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 9/128 1.0 0.0 1 0 - -");
}

/*
 * The namespace lines: gauges from the counters, rates over the interval
 * between two frames, ring drops, the port range and sysctls as /proc
 * has them; GAUGES INEXACT when probes were missed since the seed.
 */
TEST_F(top, namespace_lines)
{
	struct tcpstate_counters *c = &self->w.counters;
	char expect[256];
	struct tcpstate_event ev;
	unsigned int i;

	c->value[TCPSTATE_C_SYN_RECV] = 12;
	c->value[TCPSTATE_C_TIME_WAIT] = 3400;
	c->value[TCPSTATE_C_SYN_QUEUE_ADDED] = 1000;
	c->value[TCPSTATE_C_ACCEPT_OVERFLOWS] = 50;
	c->value[TCPSTATE_C_RING_DROPS] = 7;
	START();
	FRAME_AT(self->t0, 0, 0);

	/* Two seconds later: 10 more SYNs queued, 3 more overflows, 4
	 * handshakes (3 passive, 1 active), a ring drop, a probe missed.
	 */
	c->value[TCPSTATE_C_SYN_RECV] = 13;
	c->value[TCPSTATE_C_TIME_WAIT] = 3399;
	c->value[TCPSTATE_C_SYN_QUEUE_ADDED] += 10;
	c->value[TCPSTATE_C_ACCEPT_OVERFLOWS] += 3;
	c->value[TCPSTATE_C_RING_DROPS] += 1;
	for (i = 0; i < 5; i++) {
		ev = ev_of(TCPSTATE_EV_STATE, self->t0 + SEC, CHILD(i), 0,
			   "10.0.0.1", 80, "198.51.100.1", 40000 + i);
		ev.oldstate = i < 3 ? TCP_SYN_RECV : TCP_SYN_SENT;
		ev.newstate = TCP_ESTABLISHED;
		/* Not a handshake: CLOSE_WAIT after ESTABLISHED. */
		if (i == 4) {
			ev.oldstate = TCP_ESTABLISHED;
			ev.newstate = TCP_CLOSE_WAIT;
		}
		top_feed(self->t, &ev);
	}
	FRAME_AT(self->t0 + 2 * SEC, 0, 0);
	ASSERT_STREQ("tcpstate top ",
		     (snprintf(self->buf2, 14, "%s", self->frame), self->buf2));
	snprintf(expect, sizeof(expect), "netns %u interval 2.0s frame 2",
		 own_netns());
	frame_line(self->frame, 0, self->buf, sizeof(self->buf));
	/* "tcpstate top HH:MM:SS " then the rest. */
	ASSERT_EQ(':', self->buf[15]);
	ASSERT_EQ(':', self->buf[18]);
	ASSERT_STREQ(expect, self->buf + 22) TH_LOG("frame:\n%s", self->frame);
	ASSERT_STREQ("SYN_RECV 13 TIME_WAIT 3399 | ring drops 8",
		     frame_line(self->frame, 1, self->buf, sizeof(self->buf)));
	ASSERT_STREQ("per second: 5.0 syn 2.0 handshakes 1.5 overflows",
		     frame_line(self->frame, 2, self->buf, sizeof(self->buf)));
	snprintf(expect, sizeof(expect),
		 "ports %u-%u (%u) tw_reuse %ld max_tw_buckets %ld", port_lo,
		 port_hi, port_hi - port_lo + 1,
		 read_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse"),
		 read_sysctl("/proc/sys/net/ipv4/tcp_max_tw_buckets"));
	ASSERT_STREQ(expect,
		     frame_line(self->frame, 3, self->buf, sizeof(self->buf)));
	ASSERT_STREQ("", frame_line(self->frame, 4, self->buf,
				    sizeof(self->buf)));

	/* Half a second with nothing: no rate; a probe missed. */
	c->value[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] = 1;
	FRAME_AT(self->t0 + 2500 * MSEC, 0, 0);
	ASSERT_STREQ("SYN_RECV 13 TIME_WAIT 3399 | ring drops 8 | GAUGES INEXACT (--reseed)",
		     frame_line(self->frame, 1, self->buf, sizeof(self->buf)));
	ASSERT_STREQ("per second: 0.0 syn 0.0 handshakes 0.0 overflows",
		     frame_line(self->frame, 2, self->buf, sizeof(self->buf)));
	snprintf(expect, sizeof(expect), "netns %u interval 0.5s frame 3",
		 own_netns());
	frame_line(self->frame, 0, self->buf, sizeof(self->buf));
	ASSERT_STREQ(expect, self->buf + 22);
}

/*
 * Per listener: SYN/s (SYN_RECV + SYNCOOKIE_SENT + SYN_DROP) and RTX/s
 * over a known interval; EXPIRED, COOKIES, OVERFLOWS (accept queue full,
 * SYN or third ACK), DROPS (every drop) since the start; listeners named
 * by their CLOSE -> LISTEN; SO_REUSEPORT listeners share a row.
 */
TEST_F(top, per_listener_counts_and_rates)
{
	__u64 t1, t2;
	unsigned int i;

	add_listener("0.0.0.0", 80, 0, 128, 4000000011UL);
	START();
	FRAME_AT(self->t0, 0, 0);
	t1 = self->t0;

	/* A listener opened after the start, and its reuseport sibling. */
	add_listener("127.0.0.1", 443, 1, 16, 4000000012UL);
	add_listener("127.0.0.1", 443, 2, 16, 4000000013UL);
	listen_ev(self->t, L443, "127.0.0.1", 443);
	listen_ev(self->t, L443 + 1, "127.0.0.1", 443);

	/* Port 80: 3 SYNs queued (2 expire, 1 is reset), 3 cookies, 3
	 * SYNs dropped (accept queue full, SYN queue full, other), 2 ACKs
	 * dropped on a full accept queue, 4 SYN-ACK retransmits.
	 */
	for (i = 0; i < 3; i++)
		syn_recv(self->t, t1 + 100 * MSEC, REQ(i), L80, "10.0.0.1", 80,
			 "198.51.100.1", 40000 + i, i + 1);
	syn_recv_end(self->t, t1 + 900 * MSEC, REQ(0), L80,
		     TCPSTATE_SRE_EXPIRED, "10.0.0.1", 80, "198.51.100.1",
		     40000, 2);
	syn_recv_end(self->t, t1 + 900 * MSEC, REQ(1), L80,
		     TCPSTATE_SRE_EXPIRED, "10.0.0.1", 80, "198.51.100.1",
		     40001, 1);
	syn_recv_end(self->t, t1 + 900 * MSEC, REQ(2), L80,
		     TCPSTATE_SRE_DROPPED, "10.0.0.1", 80, "198.51.100.1",
		     40002, 0);
	for (i = 0; i < 3; i++)
		listener_ev(self->t, TCPSTATE_EV_SYNCOOKIE_SENT,
			    t1 + 200 * MSEC, 0, L80, 0, "10.0.0.1", 80, 0);
	listener_ev(self->t, TCPSTATE_EV_SYN_DROP, t1 + 300 * MSEC, 0, L80,
		    TCPSTATE_DROP_ACCEPT_QUEUE_FULL, "10.0.0.1", 80, 128);
	listener_ev(self->t, TCPSTATE_EV_SYN_DROP, t1 + 300 * MSEC, 0, L80,
		    TCPSTATE_DROP_SYN_QUEUE_FULL, "10.0.0.1", 80, 128);
	listener_ev(self->t, TCPSTATE_EV_SYN_DROP, t1 + 300 * MSEC, 0, L80,
		    TCPSTATE_DROP_OTHER, "10.0.0.1", 80, 0);
	for (i = 0; i < 2; i++)
		listener_ev(self->t, TCPSTATE_EV_ACK_DROP, t1 + 400 * MSEC,
			    REQ(10 + i), L80, TCPSTATE_DROP_ACCEPT_QUEUE_FULL,
			    "10.0.0.1", 80, 128);
	for (i = 0; i < 4; i++)
		listener_ev(self->t, TCPSTATE_EV_SYNACK_RETRANS,
			    t1 + 500 * MSEC, REQ(2), L80, 0, "10.0.0.1", 80,
			    0);

	/* Port 443, on two sockets: queues 3 and 4, one expiry, an ACK
	 * dropped for another reason.
	 */
	syn_recv(self->t, t1 + 100 * MSEC, REQ(20), L443, "127.0.0.1", 443,
		 "127.0.0.1", 50000, 3);
	syn_recv(self->t, t1 + 100 * MSEC, REQ(21), L443 + 1, "127.0.0.1",
		 443, "127.0.0.1", 50001, 4);
	syn_recv_end(self->t, t1 + 200 * MSEC, REQ(22), L443,
		     TCPSTATE_SRE_EXPIRED, "127.0.0.1", 443, "127.0.0.1",
		     50002, 3);
	listener_ev(self->t, TCPSTATE_EV_ACK_DROP, t1 + 300 * MSEC, REQ(23),
		    L443 + 1, TCPSTATE_DROP_OTHER, "127.0.0.1", 443, 2);

	t2 = t1 + 2 * SEC;
	FRAME_AT(t2, 0, 0);
	/* 9 SYNs and 4 retransmits in 2 s. */
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 0/128 4.5 2.0 2 3 - -");
	ASSERT_ROW(H_ACCQ, "0.0.0.0:80", "0.0.0.0:80 0/128 3 5 uid=1000");
	ASSERT_ROW(H_SYNQ, "127.0.0.1:443",
		   "127.0.0.1:443 7/32 1.0 0.0 1 0 - -");
	ASSERT_ROW(H_ACCQ, "127.0.0.1:443",
		   "127.0.0.1:443 3/32 0 1 uid=1000 (2 sockets)");
	ASSERT_EQ(2, table_len(self->frame, H_SYNQ));
	/* Busiest first. */
	ASSERT_STREQ("0.0.0.0:80", row_key(self->frame, H_SYNQ, 0, self->buf,
					   sizeof(self->buf)));

	/* Half a second later, 2 more SYNs on 443: rates over 0.5 s, the
	 * counts since the start.
	 */
	syn_recv(self->t, t2 + 100 * MSEC, REQ(24), L443, "127.0.0.1", 443,
		 "127.0.0.1", 50004, 4);
	listener_ev(self->t, TCPSTATE_EV_SYNCOOKIE_SENT, t2 + 100 * MSEC, 0,
		    L443 + 1, 0, "127.0.0.1", 443, 0);
	FRAME_AT(t2 + 500 * MSEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 0/128 0.0 0.0 2 3 - -");
	ASSERT_ROW(H_SYNQ, "127.0.0.1:443",
		   "127.0.0.1:443 8/32 4.0 0.0 1 1 - -");
	ASSERT_STREQ("127.0.0.1:443", row_key(self->frame, H_ACCQ, 0,
					      self->buf, sizeof(self->buf)));

	/* One of port 443's sockets closes: its queue no longer counts. */
	self->w.socks[2].gone = 1;
	{
		struct tcpstate_event ev = ev_of(TCPSTATE_EV_STATE, t2,
						 L443 + 1, 0, "127.0.0.1",
						 443, "0.0.0.0", 0);

		ev.oldstate = TCP_LISTEN;
		ev.newstate = TCP_CLOSE;
		top_feed(self->t, &ev);
	}
	FRAME_AT(t2 + 700 * MSEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "127.0.0.1:443",
		   "127.0.0.1:443 4/16 0.0 0.0 1 1 - -");
	/* ... and the one left is the row's only listener: a request
	 * listed at start completing gives it the kernel's qlen.
	 */
	syn_recv_end(self->t, t2 + 800 * MSEC, REQ(900), CHILD(900),
		     TCPSTATE_SRE_COMPLETED, "127.0.0.1", 443, "127.0.0.1",
		     50009, 2);
	FRAME_AT(t2 + 900 * MSEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "127.0.0.1:443",
		   "127.0.0.1:443 2/16 0.0 0.0 1 1 - -");

	/* A listener closes: gone from sock_diag, its row stays (it saw
	 * something) without an accept queue or owner.
	 */
	self->w.socks[0].gone = 1;
	{
		struct tcpstate_event ev = ev_of(TCPSTATE_EV_STATE, t2, L80, 0,
						 "0.0.0.0", 80, "0.0.0.0", 0);

		ev.oldstate = TCP_LISTEN;
		ev.newstate = TCP_CLOSE;
		top_feed(self->t, &ev);
	}
	FRAME_AT(t2 + SEC, 0, 0);
	ASSERT_ROW(H_ACCQ, "0.0.0.0:80", "0.0.0.0:80 - 3 5 - (closed)");
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80", "0.0.0.0:80 0/- 0.0 0.0 2 3 - -");
}

/*
 * A listener whose CLOSE -> LISTEN the ring lost, named first by a SYN
 * right after the last listing: one row, under its bound address (the
 * listing after finds it), not one more under the SYN's local address.
 */
TEST_F(top, a_listener_the_ring_missed_gets_one_row)
{
	START();
	FRAME_AT(self->t0, 0, 0);
	add_listener("0.0.0.0", 81, 0, 128, 4000000101UL);
	top_note_loss(self->t);
	syn_recv(self->t, self->t0, REQ(1), L80 + 81, "10.0.0.1", 81,
		 "198.51.100.1", 40001, 1);
	FRAME_AT(self->t0 + SEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:81", "0.0.0.0:81 1/128 1.0 0.0 0 0 - -");
	ASSERT_EQ(1, table_len(self->frame, H_SYNQ))
		TH_LOG("frame:\n%s", self->frame);
}

/*
 * Where a request lands: a v4 SYN (AF_INET, or IPv4-mapped AF_INET6) on
 * a dual-stack [::] listener, on its row; with a v6-only [::] listener
 * beside a 0.0.0.0 one, v4 to 0.0.0.0 and v6 to [::]; a listener bound
 * to an IPv4-mapped address shown as IPv4. The listeners are not named
 * by any CLOSE -> LISTEN: only by address.
 */
TEST_F(top, requests_find_their_listener_by_address)
{
	struct tcpstate_event ev;

	add_listener("::", 8080, 0, 64, 4000000021UL);
	add_listener("0.0.0.0", 9090, 0, 32, 4000000022UL);
	add_listener("::", 9090, 0, 16, 4000000023UL);
	add_listener("::ffff:127.0.0.1", 7070, 0, 8, 4000000024UL);
	START();
	FRAME_AT(self->t0, 0, 0);

	syn_recv(self->t, self->t0, REQ(1), L8080, "10.0.0.1", 8080,
		 "198.51.100.1", 40001, 1);
	syn_recv(self->t, self->t0, REQ(2), L8080 + 1, "::ffff:10.0.0.1",
		 8080, "::ffff:198.51.100.2", 40002, 2);
	syn_recv(self->t, self->t0, REQ(3), L8080 + 2, "2001:db8::1", 8080,
		 "2001:db8::2", 40003, 3);
	syn_recv(self->t, self->t0, REQ(4), L80 + 4, "10.0.0.1", 9090,
		 "198.51.100.4", 40004, 4);
	syn_recv(self->t, self->t0, REQ(5), L80 + 5, "2001:db8::1", 9090,
		 "2001:db8::5", 40005, 5);
	syn_recv(self->t, self->t0, REQ(6), L80 + 6, "::ffff:127.0.0.1",
		 7070, "::ffff:127.0.0.1", 40006, 6);
	FRAME_AT(self->t0 + SEC, 0, 0);
	/* Three listener ids on [::]:8080's row (one socket, but ids are
	 * what the events give): the latest qlen of each, summed.
	 */
	ASSERT_ROW(H_SYNQ, "[::]:8080", "[::]:8080 6/64 3.0 0.0 0 0 - -");
	ASSERT_ROW(H_SYNQ, "0.0.0.0:9090", "0.0.0.0:9090 4/32 1.0 0.0 0 0 - -");
	ASSERT_ROW(H_SYNQ, "[::]:9090", "[::]:9090 5/16 1.0 0.0 0 0 - -");
	ASSERT_ROW(H_SYNQ, "127.0.0.1:7070",
		   "127.0.0.1:7070 6/8 1.0 0.0 0 0 - -");
	ASSERT_NO_ROW(H_SYNQ, "10.0.0.1:8080");
	ASSERT_NO_ROW(H_SYNQ, "[::ffff:127.0.0.1]:7070");
	ASSERT_EQ(4, table_len(self->frame, H_SYNQ));
	ASSERT_EQ(4, table_len(self->frame, H_ACCQ));

	/* A SYN to a port nobody listens on: a row of its own (closed),
	 * rather than another port's.
	 */
	ev = ev_of(TCPSTATE_EV_SYN_DROP, self->t0 + SEC, 0, L80 + 9,
		   "10.0.0.1", 9999, "198.51.100.9", 40009);
	ev.reason = TCPSTATE_DROP_OTHER;
	top_feed(self->t, &ev);
	FRAME_AT(self->t0 + 2 * SEC, 0, 0);
	ASSERT_ROW(H_ACCQ, "10.0.0.1:9999", "10.0.0.1:9999 - 0 1 - (closed)");
	ASSERT_ROW(H_SYNQ, "[::]:8080", "[::]:8080 6/64 0.0 0.0 0 0 - -");
}

/*
 * HS_P50/HS_P99: the SYN_RECV -> SYN_RECV_END (completed) times of
 * requests seen from their SYN; expired ones and requests listed at start
 * (no SYN time) are not handshakes; "-" for a listener without any.
 */
TEST_F(top, handshake_percentiles)
{
	__u64 syn;
	unsigned int i;

	add_listener("0.0.0.0", 80, 0, 128, 4000000031UL);
	add_listener("0.0.0.0", 81, 0, 128, 4000000032UL);
	add_request("10.0.0.1", 80, "198.51.100.200", 45000);
	START();
	FRAME_AT(self->t0, 0, 0);

	/* 98 take 1 ms, 2 take 20 ms: p50 1 ms, p99 20 ms (p98 would be
	 * 1 ms, the mean 1.38 ms).
	 */
	for (i = 0; i < 100; i++) {
		__u64 took = i < 98 ? 1 * MSEC : 20 * MSEC;

		syn = self->t0 + i * MSEC;
		syn_recv(self->t, syn, REQ(i), L80, "10.0.0.1", 80,
			 "198.51.100.1", 40000 + i, 1);
		syn_recv_end(self->t, syn + took, REQ(i), CHILD(i),
			     TCPSTATE_SRE_COMPLETED, "10.0.0.1", 80,
			     "198.51.100.1", 40000 + i, 0);
	}
	/* Longer, but not handshakes: an expiry, a reset, a completion of
	 * the request listed at start.
	 */
	syn_recv(self->t, self->t0, REQ(200), L80, "10.0.0.1", 80,
		 "198.51.100.2", 41000, 1);
	syn_recv_end(self->t, self->t0 + 30 * SEC, REQ(200), L80,
		     TCPSTATE_SRE_EXPIRED, "10.0.0.1", 80, "198.51.100.2",
		     41000, 0);
	syn_recv(self->t, self->t0, REQ(201), L80, "10.0.0.1", 80,
		 "198.51.100.3", 41001, 1);
	syn_recv_end(self->t, self->t0 + 5 * SEC, REQ(201), L80,
		     TCPSTATE_SRE_DROPPED, "10.0.0.1", 80, "198.51.100.3",
		     41001, 0);
	syn_recv_end(self->t, self->t0 + 5 * SEC, REQ(202), CHILD(202),
		     TCPSTATE_SRE_COMPLETED, "10.0.0.1", 80, "198.51.100.200",
		     45000, 0);
	/* Port 81: a SYN still in the queue. */
	syn_recv(self->t, self->t0, REQ(300), L80 + 81, "10.0.0.1", 81,
		 "198.51.100.4", 41002, 1);
	/* 102 SYNs in 60 s. */
	FRAME_AT(self->t0 + 60 * SEC, 0, 0);
	ASSERT_ROW(H_SYNQ, "0.0.0.0:80",
		   "0.0.0.0:80 0/128 1.7 0.0 1 0 1.00ms 20.0ms");
	ASSERT_ROW(H_SYNQ, "0.0.0.0:81", "0.0.0.0:81 1/128 0.0 0.0 0 0 - -");
}

/*
 * TIME_WAIT split by who opened: a local port inside ip_local_port_range
 * (read here from /proc) is a connection this host opened, grouped by
 * remote end with USE% = COUNT of the range's size; the others are
 * connections to our services, grouped by local port. Counts and
 * OLDEST/NEWEST ages from sock_diag's seed (age = 60 s - time left), then
 * from TIMEWAIT events (IPv4-mapped tuples group with IPv4 ones, a seeded
 * one the ring brings again counts once); a FIN_WAIT2 timewait sock
 * counts only once TIMEWAIT_SUBSTATE makes it TIME_WAIT; TIMEWAIT_END
 * removes.
 */
TEST_F(top, time_wait_by_remote_and_local_port)
{
	unsigned int range = port_hi - port_lo + 1, nports, i, out;
	char expect[256], port[16];
	long long age;
	__u64 t1;

	if (range < 700 || !outside_ports)
		SKIP(return, "ip_local_port_range %u-%u: too small a range or none outside",
		     port_lo, port_hi);
	nports = 600;
	out = outside_port(0);

	/* Ours to 192.0.2.10:443 from ephemeral ports: the oldest 50 s
	 * old, the newest 20 s.
	 */
	for (i = 0; i < nports; i++)
		add_timewait("10.0.0.1", port_lo + i, "192.0.2.10", 443,
			     TCP_TIME_WAIT, i ? 40000 : 10000);
	/* ... and one to it from a port outside the range (bound
	 * explicitly): no ephemeral port of ours.
	 */
	add_timewait("10.0.0.1", out, "192.0.2.10", 443, TCP_TIME_WAIT,
		     40000);
	/* Clients' to our port 80 (outside any sane range), closed by us. */
	add_timewait("10.0.0.1", 80, "198.51.100.7", 40000, TCP_TIME_WAIT,
		     30000);
	add_timewait("10.0.0.1", 80, "198.51.100.7", 40001, TCP_TIME_WAIT,
		     30000);
	/* An orphan still in FIN_WAIT2: not TIME_WAIT. */
	add_timewait("10.0.0.1", 80, "198.51.100.8", 40002, TCP_FIN_WAIT2,
		     30000);
	/* A dual-stack socket's, listed IPv4-mapped. */
	add_timewait("::ffff:10.0.0.2", port_lo + nports, "::ffff:192.0.2.40",
		     443, TCP_TIME_WAIT, 50000);
	START();

	FRAME_AT(self->t0, 0, 0);
	snprintf(expect, sizeof(expect), "192.0.2.10:443 %u", nports);
	ASSERT_STREQ(expect, row_head(self->frame, H_TWR, "192.0.2.10:443", 2,
				      self->buf, sizeof(self->buf)))
		TH_LOG("frame:\n%s", self->frame);
	row(self->frame, H_TWR, "192.0.2.10:443", self->buf2,
	    sizeof(self->buf2));
	/* Seeded ages: as sock_diag's time left says, give or take the
	 * test's own run time.
	 */
	age = parse_duration(field(self->buf2, 2, self->buf,
				   sizeof(self->buf)));
	ASSERT_LE(50 * (long long)SEC, age) TH_LOG("%s", self->buf2);
	ASSERT_GT(50 * (long long)SEC + 500 * (long long)MSEC, age);
	age = parse_duration(field(self->buf2, 3, self->buf,
				   sizeof(self->buf)));
	ASSERT_LE(20 * (long long)SEC, age) TH_LOG("%s", self->buf2);
	ASSERT_GT(20 * (long long)SEC + 500 * (long long)MSEC, age);
	snprintf(expect, sizeof(expect), "%.1f", nports * 100.0 / range);
	ASSERT_STREQ(expect, field(self->buf2, 4, self->buf,
				   sizeof(self->buf)))
		TH_LOG("%s", self->buf2);
	/* Connections to us: by local port only. */
	ASSERT_NO_ROW(H_TWR, "198.51.100.7:40000");
	ASSERT_NO_ROW(H_TWR, "198.51.100.8:40002");
	ASSERT_STREQ("80 2", row_head(self->frame, H_TWL, "80", 2, self->buf,
				      sizeof(self->buf)));
	snprintf(port, sizeof(port), "%u", out);
	snprintf(expect, sizeof(expect), "%u 1", out);
	ASSERT_STREQ(expect, row_head(self->frame, H_TWL, port, 2, self->buf,
				      sizeof(self->buf)));
	snprintf(port, sizeof(port), "%u", port_lo);
	ASSERT_NO_ROW(H_TWL, port);
	/* 443 and the dual-stack one (as IPv4); ports 80 and out. */
	ASSERT_EQ(2, table_len(self->frame, H_TWR));
	ASSERT_EQ(2, table_len(self->frame, H_TWL));
	ASSERT_STREQ("192.0.2.40:443 1", row_head(self->frame, H_TWR,
						  "192.0.2.40:443", 2,
						  self->buf,
						  sizeof(self->buf)));

	/* The ring brings again what the listing had (the ring opens
	 * first): still one, aged from the later of the two.
	 */
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, self->t0 - 30 * SEC, TW(40),
	      "10.0.0.2", port_lo + nports, "192.0.2.40", 443, TCP_FIN_WAIT2,
	      TCP_TIME_WAIT);
	FRAME_AT(self->t0 + 100 * MSEC, 0, 0);
	row(self->frame, H_TWR, "192.0.2.40:443", self->buf2,
	    sizeof(self->buf2));
	ASSERT_STREQ("1", field(self->buf2, 1, self->buf, sizeof(self->buf)))
		TH_LOG("%s", self->buf2);
	age = parse_duration(field(self->buf2, 2, self->buf,
				   sizeof(self->buf)));
	ASSERT_LE(10100 * (long long)MSEC, age) TH_LOG("%s", self->buf2);
	ASSERT_GT(10600 * (long long)MSEC, age) TH_LOG("%s", self->buf2);
	/* Its end, in the IPv4 form, removes the IPv4-mapped one. */
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT_END, self->t0, TW(40), "10.0.0.2",
	      port_lo + nports, "192.0.2.40", 443, 0, TCP_TIME_WAIT);

	/* Events from here, exact ages. To 192.0.2.20:80: three, 5, 3 and
	 * 1 s before t1; one of them IPv4-mapped IPv6 (a dual-stack
	 * socket's), on the same destination.
	 */
	t1 = self->t0 + 10 * SEC;
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, t1 - 5 * SEC, TW(1), "10.0.0.1",
	      port_hi, "192.0.2.20", 80, TCP_FIN_WAIT2, TCP_TIME_WAIT);
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, t1 - 3 * SEC, TW(2),
	      "::ffff:10.0.0.1", port_hi - 1, "::ffff:192.0.2.20", 80,
	      TCP_FIN_WAIT2, TCP_TIME_WAIT);
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, t1 - 1 * SEC, TW(3), "10.0.0.1",
	      port_hi - 2, "192.0.2.20", 80, TCP_CLOSING, TCP_TIME_WAIT);
	/* An orphan: FIN_WAIT2 for 2 s, then the peer's FIN. */
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, t1 - 4 * SEC, TW(4), "10.0.0.1",
	      port_hi - 3, "192.0.2.30", 443, TCP_FIN_WAIT1, TCP_FIN_WAIT2);
	/* A client of our port 443, 3 s ago. */
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, t1 - 3 * SEC, TW(5), "10.0.0.1",
	      443, "203.0.113.5", 50000, TCP_FIN_WAIT2, TCP_TIME_WAIT);
	FRAME_AT(t1, 0, 0);
	snprintf(expect, sizeof(expect), "192.0.2.20:80 3 5.00s 1.00s %.1f",
		 3 * 100.0 / range);
	ASSERT_ROW(H_TWR, "192.0.2.20:80", expect);
	ASSERT_NO_ROW(H_TWR, "192.0.2.30:443");
	ASSERT_NO_ROW(H_TWR, "[::ffff:192.0.2.20]:80");
	ASSERT_NO_ROW(H_TWR, "192.0.2.40:443");
	ASSERT_ROW(H_TWL, "443", "443 1 3.00s 3.00s");
	ASSERT_NO_ROW(H_TWR, "203.0.113.5:50000");

	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT_SUBSTATE, t1 + 2 * SEC, TW(4),
	      "10.0.0.1", port_hi - 3, "192.0.2.30", 443, TCP_FIN_WAIT2,
	      TCP_TIME_WAIT);
	FRAME_AT(t1 + 2500 * MSEC, 0, 0);
	snprintf(expect, sizeof(expect),
		 "192.0.2.30:443 1 500ms 500ms %.1f", 100.0 / range);
	ASSERT_ROW(H_TWR, "192.0.2.30:443", expect);

	/* The oldest to 192.0.2.20 ends (its timer), then a seeded one. */
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT_END, t1 + 2500 * MSEC, TW(1),
	      "10.0.0.1", port_hi, "192.0.2.20", 80, 0, TCP_TIME_WAIT);
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT_END, t1 + 2500 * MSEC, TW(100),
	      "10.0.0.1", 80, "198.51.100.7", 40001, 0, TCP_TIME_WAIT);
	FRAME_AT(t1 + 3 * SEC, 0, 0);
	snprintf(expect, sizeof(expect), "192.0.2.20:80 2 6.00s 4.00s %.1f",
		 2 * 100.0 / range);
	ASSERT_ROW(H_TWR, "192.0.2.20:80", expect);
	ASSERT_STREQ("80 1", row_head(self->frame, H_TWL, "80", 2, self->buf,
				      sizeof(self->buf)));
	/* The last one to a destination ends: its row goes. */
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT_END, t1 + 3 * SEC, TW(4),
	      "10.0.0.1", port_hi - 3, "192.0.2.30", 443, 0, TCP_TIME_WAIT);
	FRAME_AT(t1 + 4 * SEC, 0, 0);
	ASSERT_NO_ROW(H_TWR, "192.0.2.30:443");
}

/*
 * After a ring drop, TIME_WAIT is listed again from sock_diag at the next
 * frame (what was followed by events and has gone meanwhile is dropped);
 * not before, and not without a drop.
 */
TEST_F(top, time_wait_relisted_after_a_loss)
{
	unsigned int dumps;
	__u64 now;

	add_timewait("10.0.0.1", port_lo, "192.0.2.1", 443, TCP_TIME_WAIT,
		     60000);
	START();
	/* Real times from here: a relisting times the seed by the clock. */
	FRAME_AT(clock_mono_ns(), 0, 0);
	ASSERT_STREQ("192.0.2.1:443 1", row_head(self->frame, H_TWR,
						 "192.0.2.1:443", 2, self->buf,
						 sizeof(self->buf)));

	now = clock_mono_ns();
	tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, now, TW(1), "10.0.0.1",
	      port_lo + 1,
	      "192.0.2.2", 443, TCP_FIN_WAIT2, TCP_TIME_WAIT);
	/* Meanwhile the kernel: the first ended, the event's too, a third
	 * came whose event was lost.
	 */
	self->w.socks[0].gone = 1;
	add_timewait("10.0.0.1", port_lo + 2, "192.0.2.3", 443, TCP_TIME_WAIT,
		     60000);
	dumps = self->w.tw_dumps;
	FRAME_AT(clock_mono_ns(), 0, 0);
	ASSERT_EQ(dumps, self->w.tw_dumps);
	ASSERT_EQ(1, table_len(self->frame, H_TWR) - 1);
	ASSERT_NO_ROW(H_TWR, "192.0.2.3:443");

	top_note_loss(self->t);
	FRAME_AT(clock_mono_ns(), 0, 0);
	ASSERT_EQ(dumps + 1, self->w.tw_dumps);
	ASSERT_NO_ROW(H_TWR, "192.0.2.1:443");
	ASSERT_NO_ROW(H_TWR, "192.0.2.2:443");
	ASSERT_STREQ("192.0.2.3:443 1",
		     row_head(self->frame, H_TWR, "192.0.2.3:443", 2,
			      self->buf, sizeof(self->buf)));
	ASSERT_EQ(1, table_len(self->frame, H_TWR));

	/* Once relisted, the next frame lists no more. */
	FRAME_AT(clock_mono_ns(), 0, 0);
	ASSERT_EQ(dumps + 1, self->w.tw_dumps);
}

/*
 * Sort order: listeners by SYN/s, then SYN queue, then port; TIME_WAIT
 * groups by count, then port.
 */
TEST_F(top, sort_order)
{
	static const char *const listeners[] = {
		/* busiest first: 3 SYN/s; 1 SYN/s with a queue of 5; 1
		 * SYN/s with 2; idle with a seeded queue of 1; idle,
		 * port 22 before port 23.
		 */
		"0.0.0.0:9000", "0.0.0.0:7000", "0.0.0.0:8000",
		"0.0.0.0:6000", "0.0.0.0:22", "0.0.0.0:23",
	};
	static const char *const remotes[] = {
		"192.0.2.9:80", "192.0.2.1:443", "192.0.2.2:443",
		"192.0.2.1:8443",
	};
	unsigned int i;

	add_listener("0.0.0.0", 23, 0, 8, 4000000041UL);
	add_listener("0.0.0.0", 22, 0, 8, 4000000042UL);
	add_listener("0.0.0.0", 6000, 0, 8, 4000000043UL);
	add_listener("0.0.0.0", 7000, 0, 8, 4000000044UL);
	add_listener("0.0.0.0", 8000, 0, 8, 4000000045UL);
	add_listener("0.0.0.0", 9000, 0, 8, 4000000046UL);
	add_request("10.0.0.1", 6000, "198.51.100.1", 40000);
	/* 1 to 192.0.2.1:8443, 2 each to 192.0.2.2:443 and 192.0.2.1:443
	 * (address breaks the tie), 3 to 192.0.2.9:80.
	 */
	add_timewait("10.0.0.1", port_lo, "192.0.2.1", 8443, TCP_TIME_WAIT,
		     60000);
	for (i = 0; i < 2; i++) {
		add_timewait("10.0.0.1", port_lo + 1 + i, "192.0.2.2", 443,
			     TCP_TIME_WAIT, 60000);
		add_timewait("10.0.0.1", port_lo + 3 + i, "192.0.2.1", 443,
			     TCP_TIME_WAIT, 60000);
	}
	for (i = 0; i < 3; i++)
		add_timewait("10.0.0.1", port_lo + 5 + i, "192.0.2.9", 80,
			     TCP_TIME_WAIT, 60000);
	START();
	FRAME_AT(self->t0, 0, 0);
	for (i = 0; i < 3; i++)
		syn_recv(self->t, self->t0, REQ(i), L80 + 9000, "10.0.0.1",
			 9000, "198.51.100.2", 40000 + i, i + 1);
	syn_recv(self->t, self->t0, REQ(10), L80 + 8000, "10.0.0.1", 8000,
		 "198.51.100.3", 40010, 2);
	syn_recv(self->t, self->t0, REQ(11), L80 + 7000, "10.0.0.1", 7000,
		 "198.51.100.3", 40011, 5);
	FRAME_AT(self->t0 + SEC, 0, 0);
	ASSERT_EQ(6, table_len(self->frame, H_SYNQ));
	for (i = 0; i < 6; i++) {
		ASSERT_STREQ(listeners[i], row_key(self->frame, H_SYNQ, i,
						   self->buf,
						   sizeof(self->buf)))
			TH_LOG("row %u; frame:\n%s", i, self->frame);
		ASSERT_STREQ(listeners[i], row_key(self->frame, H_ACCQ, i,
						   self->buf,
						   sizeof(self->buf)))
			TH_LOG("row %u; frame:\n%s", i, self->frame);
	}
	ASSERT_EQ(4, table_len(self->frame, H_TWR));
	for (i = 0; i < 4; i++) {
		ASSERT_STREQ(remotes[i], row_key(self->frame, H_TWR, i,
						 self->buf, sizeof(self->buf)))
			TH_LOG("row %u; frame:\n%s", i, self->frame);
	}
}

/*
 * The first label of @header that @line's fields do not line up with:
 * the first label (@key_words words: the key, left-aligned) and OWNER
 * start where their field starts, every other label ends where its field
 * ends (right-aligned numbers and durations). NULL when all line up.
 */
static const char *misaligned(const char *header, unsigned int key_words,
			      const char *line, char *label, size_t len)
{
	size_t hl = strlen(header), ll = strlen(line), i = 0, start, end;

	/* Skip the key's words. */
	while (key_words--) {
		while (i < hl && header[i] != ' ')
			i++;
		while (i < hl && header[i] == ' ')
			i++;
	}
	while (i < hl) {
		start = i;
		while (i < hl && header[i] != ' ')
			i++;
		end = i - 1;
		snprintf(label, len, "%.*s", (int)(i - start), header + start);
		if (!strcmp(label, "OWNER")) {
			if (start >= ll || line[start] == ' ' ||
			    line[start - 1] != ' ')
				return label;
		} else if (end >= ll || line[end] == ' ' ||
			   (end + 1 < ll && line[end + 1] != ' ')) {
			return label;
		}
		while (i < hl && header[i] == ' ')
			i++;
	}
	return NULL;
}

#define ASSERT_ALIGNED(header, key_words) do {				\
	unsigned int _n;						\
	char _label[64];						\
									\
	for (_n = 0; table_line(self->frame, header, _n, self->buf,	\
				sizeof(self->buf)); _n++) {		\
		ASSERT_EQ(NULL, misaligned(header, key_words, self->buf, \
					   _label, sizeof(_label)))	\
			TH_LOG("'%s' not under its label in\n%s\n%s\n" \
			       "frame:\n%s", _label, header, self->buf, \
			       self->frame);				\
	}								\
} while (0)

/*
 * The layout: the tables in their order with one blank line between,
 * and every row's fields under their header's labels.
 */
TEST_F(top, rows_align_under_their_headers)
{
	char expect[256];

	add_listener("0.0.0.0", 80, 3, 128, 4000000051UL);
	add_listener("::1", 65535, 4095, 4096, 4000000052UL);
	add_request("10.0.0.1", 80, "198.51.100.1", 40000);
	add_timewait("10.0.0.1", port_lo, "192.0.2.10", 443, TCP_TIME_WAIT,
		     58000);
	add_timewait("10.0.0.1", 80, "198.51.100.1", 40001, TCP_TIME_WAIT,
		     58000);
	START();
	FRAME_AT(self->t0, 0, 0);
	/* Four namespace lines, then the tables, one blank line before
	 * each.
	 */
	ASSERT_STREQ("", frame_line(self->frame, 4, self->buf,
				    sizeof(self->buf)));
	ASSERT_STREQ(H_SYNQ, frame_line(self->frame, 5, self->buf,
					sizeof(self->buf)));
	ASSERT_STREQ("", frame_line(self->frame, 8, self->buf,
				    sizeof(self->buf)));
	ASSERT_STREQ(H_ACCQ, frame_line(self->frame, 9, self->buf,
					sizeof(self->buf)));
	ASSERT_STREQ("", frame_line(self->frame, 12, self->buf,
				    sizeof(self->buf)));
	ASSERT_STREQ(H_TWR, frame_line(self->frame, 13, self->buf,
				       sizeof(self->buf)));
	ASSERT_STREQ("", frame_line(self->frame, 15, self->buf,
				    sizeof(self->buf)));
	ASSERT_STREQ(H_TWL, frame_line(self->frame, 16, self->buf,
				       sizeof(self->buf)));
	ASSERT_STREQ("", frame_line(self->frame, 18, self->buf,
				    sizeof(self->buf)));
	ASSERT_EQ(1, table_len(self->frame, H_TWL));

	/* Ages of a seeded sock: "2.00s", or 10 ms more on a slow day. */
	table_line(self->frame, H_TWR, 0, self->buf, sizeof(self->buf));
	self->buf[36] = self->buf[44] = 'x';
	snprintf(expect, sizeof(expect),
		 "192.0.2.10:443               1   2.0xs   2.0xs %5.1f",
		 100.0 / (port_hi - port_lo + 1));
	ASSERT_STREQ(expect, self->buf) TH_LOG("frame:\n%s", self->frame);
	table_line(self->frame, H_TWL, 0, self->buf, sizeof(self->buf));
	self->buf[36] = self->buf[44] = 'x';
	ASSERT_STREQ("80                           1   2.0xs   2.0xs",
		     self->buf) TH_LOG("frame:\n%s", self->frame);
	ASSERT_ALIGNED(H_TWR, 2);
	ASSERT_ALIGNED(H_TWL, 3);
	ASSERT_ALIGNED(H_SYNQ, 1);
	ASSERT_ALIGNED(H_ACCQ, 1);
}

/*
 * Ages of every form the view prints ("812ns", "5.30us", "241ms",
 * "59.9s") stay inside their columns, under OLDEST and NEWEST.
 */
TEST_F(top, columns_stay_aligned_for_every_duration)
{
	static const __u64 ages[] = {
		812, 5300, 241100 * NSEC_PER_USEC, 59999 * MSEC,
	};
	unsigned int i;
	__u64 t1;

	START();
	t1 = self->t0 + 60 * SEC;
	for (i = 0; i < 4; i++)
		tw_ev(self->t, TCPSTATE_EV_TIMEWAIT, t1 - ages[i], TW(i),
		      "10.0.0.1", port_lo + i, "192.0.2.1", 1000 + i,
		      TCP_FIN_WAIT2, TCP_TIME_WAIT);
	FRAME_AT(t1, 0, 0);
	ASSERT_EQ(4, table_len(self->frame, H_TWR));
	ASSERT_ALIGNED(H_TWR, 2);
	ASSERT_ALIGNED(H_TWL, 3);
}

/* How many lines @frame has, and the longest. */
static unsigned int frame_shape(const char *frame, unsigned int *widest)
{
	unsigned int n = 0, w = 0;
	const char *p = frame, *end;

	*widest = 0;
	while (*p) {
		end = strchr(p, '\n');
		w = end ? (unsigned int)(end - p) : (unsigned int)strlen(p);
		if (w > *widest)
			*widest = w;
		n++;
		if (!end)
			break;
		p = end + 1;
	}
	return n;
}

/*
 * In a table cut to the screen, the rows shown and the N of its
 * "... N more" line add up to the table's full length.
 */
static int cut_adds_up(const char *frame, const char *header,
		       unsigned int total, char *why, size_t whylen)
{
	char line[512];
	unsigned int n, shown = 0, more = 0;

	for (n = 0; table_line(frame, header, n, line, sizeof(line)); n++) {
		if (!strncmp(line, "... ", 4)) {
			if (sscanf(line, "... %u more", &more) != 1 ||
			    table_line(frame, header, n + 1, line,
				       sizeof(line))) {
				snprintf(why, whylen, "%s: bad '...' line",
					 header);
				return 0;
			}
			break;
		}
		shown++;
	}
	snprintf(why, whylen, "%s: %u rows + %u more, of %u", header, shown,
		 more, total);
	return shown + more == total;
}

/*
 * max_rows and cols: at most that many lines, none wider; a table that
 * does not fit ends with "... N more", N what it does not show; both
 * listener tables show the same listeners; without limits, every row.
 */
TEST_F(top, cut_to_the_screen)
{
	unsigned int i, widest, nlines;
	char why[256];

	if (!outside_ports)
		SKIP(return, "no room outside ip_local_port_range %u-%u",
		     port_lo, port_hi);
	/* 10 listeners; 30 remote ends, 30 local ports. */
	for (i = 0; i < 10; i++)
		add_listener("2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", 1000 + i,
			     0, 4096, 4000000061UL + i);
	for (i = 0; i < 30; i++) {
		add_timewait("10.0.0.1", port_lo + i, "192.0.2.1", 2000 + i,
			     TCP_TIME_WAIT, 60000);
		add_timewait("10.0.0.1", outside_port(i), "198.51.100.1",
			     40000, TCP_TIME_WAIT, 60000);
	}
	START();

	FRAME_AT(self->t0, 0, 0);
	nlines = frame_shape(self->frame, &widest);
	/* 4 + 4 blank lines and headers + 2 * 10 + 30 + 30. */
	ASSERT_EQ(4 + 8 + 20 + 30 + 30, nlines);
	ASSERT_EQ(NULL, strstr(self->frame, "... "));

	/* A 24-line, 60-column screen (its last line is the key help). */
	FRAME_AT(self->t0 + SEC, 60, 23);
	nlines = frame_shape(self->frame, &widest);
	ASSERT_GE(23, nlines) TH_LOG("frame:\n%s", self->frame);
	ASSERT_GE(60, widest) TH_LOG("frame:\n%s", self->frame);
	/* The full frame is wider: the cut is real. */
	ASSERT_STREQ("LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOK",
		     frame_line(self->frame, 5, self->buf, sizeof(self->buf)));
	ASSERT_TRUE(cut_adds_up(self->frame, H_TWR, 30, why, sizeof(why)))
		TH_LOG("%s; frame:\n%s", why, self->frame);
	ASSERT_TRUE(cut_adds_up(self->frame, H_TWL, 30, why, sizeof(why)))
		TH_LOG("%s; frame:\n%s", why, self->frame);
	/* Headers narrower than 60 columns are whole. */
	ASSERT_NE(NULL, strstr(self->frame, "\n" H_ACCQ "\n"));
	ASSERT_NE(NULL, strstr(self->frame, "\n" H_TWR "\n"));
	ASSERT_TRUE(cut_adds_up(self->frame,
				"LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOK",
				10, why, sizeof(why)))
		TH_LOG("%s; frame:\n%s", why, self->frame);
	ASSERT_TRUE(cut_adds_up(self->frame, H_ACCQ, 10, why, sizeof(why)))
		TH_LOG("%s; frame:\n%s", why, self->frame);
	/* Every table gets rows: a long one hides no short one. */
	for (i = 0; i < 2; i++) {
		const char *h = i ? H_TWL : H_TWR;

		ASSERT_LE(2, table_len(self->frame, h))
			TH_LOG("frame:\n%s", self->frame);
	}
	ASSERT_LE(2, table_len(self->frame, H_ACCQ));

	/* Room for everything: no cut. */
	FRAME_AT(self->t0 + 2 * SEC, 200, 92);
	nlines = frame_shape(self->frame, &widest);
	ASSERT_EQ(92, nlines);
	ASSERT_EQ(NULL, strstr(self->frame, "... "));
	/* One line short: a table shows a "... 2 more" line instead of
	 * its last row.
	 */
	FRAME_AT(self->t0 + 3 * SEC, 200, 91);
	nlines = frame_shape(self->frame, &widest);
	ASSERT_GE(91, nlines);
	ASSERT_NE(NULL, strstr(self->frame, "\n... 2 more\n"))
		TH_LOG("frame:\n%s", self->frame);
}

/* 10 listeners; 30 remote ends, 30 local ports (or 0 without room). */
static void crowd(void)
{
	unsigned int i;

	for (i = 0; i < 10; i++)
		add_listener("0.0.0.0", 1000 + i, 0, 4096, 4000000081UL + i);
	for (i = 0; i < 30; i++) {
		add_timewait("10.0.0.1", port_lo + i, "192.0.2.1", 2000 + i,
			     TCP_TIME_WAIT, 60000);
		if (outside_ports)
			add_timewait("10.0.0.1", outside_port(i),
				     "198.51.100.1", 40000, TCP_TIME_WAIT,
				     60000);
	}
}

/*
 * Every screen height from the smallest the fixed lines fit in (4
 * namespace lines, a blank line and a header per table: 12) up: each
 * table shows its rows, or some and "... N more" for the rest; none is
 * hidden without a word.
 */
TEST_F(top, no_table_hidden_without_a_word)
{
	unsigned int rows, nlines, widest;
	char why[256];

	crowd();
	START();
	for (rows = 12; rows <= 40; rows++) {
		FRAME_AT(self->t0 + rows * SEC, 80, rows);
		nlines = frame_shape(self->frame, &widest);
		ASSERT_GE(rows, nlines)
			TH_LOG("max_rows %u: %u lines:\n%s", rows, nlines,
			       self->frame);
		if (rows == 12)
			continue;	/* no room for any row */
		ASSERT_TRUE(cut_adds_up(self->frame, H_SYNQ, 10, why,
					sizeof(why)))
			TH_LOG("max_rows %u: %s; frame:\n%s", rows, why,
			       self->frame);
		ASSERT_TRUE(cut_adds_up(self->frame, H_ACCQ, 10, why,
					sizeof(why)))
			TH_LOG("max_rows %u: %s; frame:\n%s", rows, why,
			       self->frame);
		ASSERT_TRUE(cut_adds_up(self->frame, H_TWR, 30, why,
					sizeof(why)))
			TH_LOG("max_rows %u: %s; frame:\n%s", rows, why,
			       self->frame);
		ASSERT_TRUE(cut_adds_up(self->frame, H_TWL,
					outside_ports ? 30 : 0, why,
					sizeof(why)))
			TH_LOG("max_rows %u: %s; frame:\n%s", rows, why,
			       self->frame);
	}
}

/*
 * top.h: "at most @max_rows lines", also when the screen is smaller than
 * the fixed lines (a terminal of a few rows).
 */
TEST_F(top, at_most_max_rows_on_a_tiny_screen)
{
	unsigned int rows, nlines, widest;

	crowd();
	START();
	for (rows = 1; rows <= 12; rows++) {
		FRAME_AT(self->t0 + rows * SEC, 80, rows);
		nlines = frame_shape(self->frame, &widest);
		ASSERT_GE(rows, nlines)
			TH_LOG("max_rows %u: %u lines:\n%s", rows, nlines,
			       self->frame);
	}
}

/*
 * OWNER: the process holding the listener (found in /proc by the
 * socket's inode: a real listening socket of this test), else the
 * socket's uid.
 */
TEST_F(top, owner_of_a_listener)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char expect[1024], comm[64] = "";
	struct stat st;
	FILE *f;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(fd, 8));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, fstat(fd, &st));
	f = fopen("/proc/self/comm", "re");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';

	add_listener("127.0.0.1", ntohs(a.sin_port), 0, 8, st.st_ino);
	add_listener("0.0.0.0", 80, 0, 8, 4000000071UL);
	START();
	FRAME_AT(self->t0, 0, 0);
	snprintf(self->buf2, sizeof(self->buf2), "127.0.0.1:%u",
		 ntohs(a.sin_port));
	snprintf(expect, sizeof(expect), "%s 0/8 0 0 %d/%s", self->buf2,
		 (int)getpid(), comm);
	ASSERT_ROW(H_ACCQ, self->buf2, expect);
	ASSERT_ROW(H_ACCQ, "0.0.0.0:80", "0.0.0.0:80 0/8 0 0 uid=1000");
	close(fd);
}

/* What the sources refuse is said, and nothing is made. */
TEST_F(top, sources_failing)
{
	struct top_sources src = {
		.read_counters = fake_read_counters,
		.arg = &self->w,
		.dump = fake_dump,
	};
	char err[256] = "";

	self->w.counters_err = -ENOTTY;
	errno = 0;
	ASSERT_EQ(NULL, top_new(&src, err, sizeof(err)));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_NE(NULL, strstr(err, "TCPSTATE_IOC_GET_COUNTERS")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "predates the counters")) TH_LOG("%s", err);

	self->w.counters_err = 0;
	self->w.dump_err = -EPROTONOSUPPORT;
	errno = 0;
	ASSERT_EQ(NULL, top_new(&src, err, sizeof(err)));
	ASSERT_EQ(EPROTONOSUPPORT, errno);
	ASSERT_NE(NULL, strstr(err, "sock_diag")) TH_LOG("%s", err);
	ASSERT_NE(NULL, strstr(err, "tcp_diag")) TH_LOG("%s", err);

	/* The counters failing later fail the refresh. */
	self->w.dump_err = 0;
	START();
	self->w.counters_err = -EIO;
	ASSERT_EQ(-EIO, top_refresh(self->t, self->t0));
}

TEST_HARNESS_MAIN
