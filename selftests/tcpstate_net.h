/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every selftest and test tool links (tcpstate_net.c): module
 * control, network namespaces, a raw-socket SYN sender, the one
 * loopback-connection driver, the kernel's own figures
 * (/proc/net/{netstat,snmp,sockstat,tcp,tcp6}, tracefs) and tcpstate's
 * (/proc/net/tcpstate, TCPSTATE_IOC_GET_COUNTERS, the ring), and the
 * before/after snapshot of both that the tests compare.
 *
 * Every figure read here is the calling thread's network namespace's: the
 * /proc/net files follow /proc/self/net.
 */
#ifndef TCPSTATE_NET_H
#define TCPSTATE_NET_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "names.h"
#include "ring_reader.h"
#include "tcpstate.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define TS_MODULE_DEFAULT	"/tcpstate/module/tcpstate.ko"

/*
 * The sink: a dummy device in the test's netns. SYNs from the spoofed
 * prefix reach the listener through the local route; the SYN-ACKs are
 * routed into the dummy device, which drops them.
 */
#define SINK_DEV		"tssink"
#define SINK_ADDR4		"10.77.0.1"
#define SINK_ADDR6		"fd77::1"
#define SPOOF_PREFIX4		"10.99.0.0/16"
#define SPOOF_PREFIX6		"fd99::/64"

/* The number a shell command prints first (popen), or -1. */
int ts_cmd_int(const char *cmd);

/* ---- time and polling ---- */

long long now_ms(void);

/*
 * Evaluate @cond every 20 ms until it holds or @timeout_ms passed; the
 * value is the last evaluation. The figures it reads are the kernel's, so
 * a condition that never holds fails the test after a bounded wait.
 */
#define POLL_UNTIL(cond, timeout_ms) ({					\
	long long __deadline = now_ms() + (timeout_ms);			\
	bool __ok;							\
	for (;;) {							\
		__ok = (cond);						\
		if (__ok || now_ms() > __deadline)			\
			break;						\
		usleep(20000);						\
	}								\
	__ok;								\
})

/* ---- processes, files, sysctls ---- */

/* system() of a formatted command; its exit status, -1 if it died. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int write_text(const char *path, const char *text);
/* Whole file into a malloc()ed NUL-terminated buffer; NULL on error. */
char *slurp(const char *path);
/* "net.ipv4.tcp_fin_timeout" -> /proc/sys/net/ipv4/tcp_fin_timeout */
int sysctl_set(const char *name, const char *value);
long sysctl_get(const char *name);

/* ---- the module ---- */

const char *module_path(void);
bool module_loaded(void);
/* rmmod if loaded, then insmod with @params; insmod's exit status. */
int module_reload(const char *params);
/*
 * TCPSTATE_TRAFFIC_ONLY=1: check only the kernel's figures, not tcpstate's
 * (to tell a traffic problem from a module problem).
 */
bool traffic_only(void);

/* ---- network namespaces ---- */

unsigned int netns_inode(void);
/* An fd of the current netns (O_RDONLY /proc/self/ns/net), or -errno. */
int netns_fd(void);
/* unshare(CLONE_NEWNET) and bring lo up; 0 or -errno. */
int netns_new(void);
/* setns() to @fd; 0 or -errno. */
int netns_enter(int fd);
/*
 * netns_new(), the new netns owning its established hash table, of
 * @buckets entries (net.ipv4.tcp_child_ehash_entries, set in the parent
 * around the unshare() and restored), when @buckets is not 0. 0 or -errno.
 */
int netns_new_ehash(unsigned int buckets);
/* Whether a netns can have a hash of its own (6.1+). */
bool netns_child_ehash_supported(void);
/* In a test body: skip a variant that wants a netns's own hash. */
#define SKIP_WITHOUT_CHILD_EHASH(ehash) do {				\
	if ((ehash) && !netns_child_ehash_supported())			\
		SKIP(return, "no net.ipv4.tcp_child_ehash_entries: no per-netns established hash in this kernel"); \
} while (0)
/*
 * In the current netns: the dummy sink device with SINK_ADDR4/6 and the
 * spoofed prefixes routed into it. 0 or the failing command's status.
 */
int sink_setup(void);

/* ---- addresses ---- */

/* getopt()'s -4 and -6: sets *@family and says true; false for others. */
bool family_option(int opt, int *family);
/*
 * A tool's numeric option: decimal, 0 to @max; anything else is said on
 * stderr as "@prog: bad @what: @arg" and exits with status 2.
 */
long ts_parse_num(const char *prog, const char *arg, long max,
		  const char *what);

struct ts_addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

int ts_addr_parse(int family, const char *text, struct ts_addr *a);
/* The @i-th spoofed source of @family (i >= 1): 10.99.x.y / fd99::i. */
void spoof_addr(int family, unsigned int i, struct ts_addr *a);
socklen_t ts_sockaddr(const struct ts_addr *a, unsigned short port,
		      struct sockaddr_storage *ss);
void ts_addr_loopback(int family, struct ts_addr *a);
/* ::ffff:a.b.c.d of an IPv4 address. */
void ts_addr_v4mapped(const struct ts_addr *v4, struct ts_addr *v6);
/* Compare with an event's 16-byte address field. */
bool ts_addr_eq_raw(const struct ts_addr *a, const unsigned char raw[16]);

/* ---- raw SYN sender ---- */

/*
 * Send one SYN (MSS option, correct IP and TCP checksums) from @src:@sport
 * to @dst:@dport through an IPPROTO_RAW socket of @dst's family (the
 * header is ours, so the source can be any address). 0 or -errno.
 */
int raw_syn_send(const struct ts_addr *src, unsigned short sport,
		 const struct ts_addr *dst, unsigned short dport,
		 uint32_t seq);
/* An IPPROTO_RAW socket of @family for raw_syn_send_fd(); fd or -errno. */
int raw_syn_socket(int family);
/* raw_syn_send() through @fd: one socket for many SYNs (floods). */
int raw_syn_send_fd(int fd, const struct ts_addr *src, unsigned short sport,
		    const struct ts_addr *dst, unsigned short dport,
		    uint32_t seq);

/* ---- sockets ---- */

/*
 * A listener of @family bound to @addr (NULL: loopback) and @port (0: any),
 * with @backlog. Returns the fd or -errno.
 */
int tcp_listen(int family, const struct ts_addr *addr, unsigned short port,
	       int backlog);
/* An IPv6 listener on [::]:@port that takes IPv4 too (IPV6_V6ONLY 0). */
int tcp_listen_dual(unsigned short port, int backlog);
unsigned short sock_port(int fd);
/*
 * Blocking connect from loopback port @cport (0: any; bound with
 * SO_REUSEADDR otherwise) to @port on loopback. fd or -errno.
 */
int tcp_connect(int family, unsigned short cport, unsigned short port);
/* Non-blocking connect; fd or -errno (EINPROGRESS is success). */
int tcp_connect_nb(int family, unsigned short port);
/* Connect to @dst:@port (blocking unless @nonblock); fd or -errno. */
int tcp_connect_to(const struct ts_addr *dst, unsigned short port,
		   bool nonblock);
/*
 * Blocking connect to @dst:@port from loopback port @cport (0: any; bound
 * with SO_REUSEADDR otherwise). fd or -errno.
 */
int tcp_connect_from(const struct ts_addr *dst, unsigned short cport,
		     unsigned short port);
/* close() with SO_LINGER 0: an RST, no TIME_WAIT. */
void tcp_abort(int fd);
/*
 * One byte each way between the two ends of a connection (both then hold
 * the other's timestamp). 0 or -EIO.
 */
int tcp_exchange(int cfd, int afd);

/* How loopback_connection() ends a connection: who closes first, and how. */
enum ts_close {
	/* close(); the peer closes once it has read EOF. */
	CLOSE_CLIENT,
	CLOSE_SERVER,
	/*
	 * The client closes; the server's socket stays open (the client's
	 * becomes an orphaned FIN_WAIT2 timewait sock).
	 */
	CLOSE_CLIENT_KEEP_SERVER,
	/* The client aborts (SO_LINGER 0: an RST); the server reads ECONNRESET. */
	RESET_CLIENT,
	/*
	 * shutdown(SHUT_WR), the peer reads EOF and closes, then the closer
	 * reads EOF and closes: the closer is never orphaned before its
	 * TIME_WAIT, so its path is always FIN_WAIT1 -> FIN_WAIT2 ->
	 * TIME_WAIT (a close() first would race: an ACK arriving after it
	 * makes an orphaned FIN_WAIT2 timewait sock).
	 */
	SHUTDOWN_CLIENT,
	SHUTDOWN_SERVER,
};

/*
 * The one loopback-connection driver of the tests and their tools: connect
 * to listener @lfd (from port @cport, 0: any), accept, tcp_exchange(), then
 * end it as @how says. The client's port into @cport_used (if not NULL);
 * with CLOSE_CLIENT_KEEP_SERVER the server's fd into @server_fd. 0 or
 * -errno.
 */
int loopback_connection(int lfd, int family, unsigned short cport,
			enum ts_close how, unsigned short *cport_used,
			int *server_fd);

/*
 * @n loopback_connection()s to listener @lfd, each closed by the client
 * first: from @cports[i] when @cports and @cports[i] are set (the port
 * used is stored back). When @server_fds is NULL the server closes once
 * it has read EOF (CLOSE_CLIENT: the client's socket becomes a TIME_WAIT
 * timewait sock); otherwise the accepted sockets are kept open in
 * @server_fds (CLOSE_CLIENT_KEEP_SERVER). 0 or -errno.
 */
int client_closed_connections(int lfd, int family, int n,
			      unsigned short *cports, int *server_fds);

/* ---- the kernel's figures ---- */

/*
 * A field of /proc/net/netstat or /proc/net/snmp: ("TcpExt", "ListenDrops").
 * -1 if absent.
 */
long long mib_get(const char *section, const char *field);
/* "TCP: ... tw N" of /proc/net/sockstat; -1 on error. */
long long sockstat_tw(void);
/* A row of /proc/net/tcp or tcp6. */
struct proc_tcp_row {
	unsigned int st, lport, rport, rxq;
	/* The "pointer" column: %pK, a real address only to a reader with
	 * CAP_SYSLOG under kernel.kptr_restrict=1; 0 if unreadable.
	 */
	unsigned long long sk;
};

/* Calls @fn for each row of /proc/net/tcp (AF_INET) or tcp6; 0, or -1. */
int proc_tcp_scan(int family,
		  void (*fn)(const struct proc_tcp_row *row, void *arg),
		  void *arg);
/*
 * Rows of /proc/net/tcp (AF_INET) or tcp6 with state @st, and local port
 * @lport unless 0; -1 on error.
 */
int proc_tcp_rows(int family, unsigned int st, unsigned short lport);
/* proc_tcp_rows() of both families; -1 on error. */
int proc_tcp_rows_all(unsigned int st, unsigned short lport);
/* rx_queue of the listener on @lport: its accept queue length. */
int proc_tcp_listen_rxq(int family, unsigned short lport);

/* ---- the kernel's own record: the sock:inet_sock_set_state event ---- */

#define TRACEFS			"/sys/kernel/tracing"
#define SET_STATE_EVENT		TRACEFS "/events/sock/inet_sock_set_state/enable"

struct transition {
	unsigned int family, sport, dport, oldstate, newstate;
	unsigned int seq;	/* position in the trace */
};

/* The same change of the same socket key; where each stood (seq) aside. */
static inline bool transition_same(const struct transition *a,
				   const struct transition *b)
{
	return a->family == b->family && a->sport == b->sport &&
	       a->dport == b->dport && a->oldstate == b->oldstate &&
	       a->newstate == b->newstate;
}

/* A STATE event as a transition (seq 0). */
struct transition transition_of_event(const struct tcpstate_event *ev);
/*
 * Whether @a (@na) and @b (@nb) hold the same transitions: the same
 * multiset, and for each socket key (family, sport, dport) the same order.
 * Events of one socket are ordered by its lock in both records; across
 * CPUs two clocks may order ties apart. -1 if they match, else the index
 * in @a of the first transition @b lacks, or the smaller count when the
 * counts differ.
 */
int transitions_mismatch(const struct transition *a, int na,
			 const struct transition *b, int nb);

/* Clear the trace and record the event; false if tracefs lacks it. */
bool tracefs_start(void);
/*
 * Stop recording; the TCP transitions tracefs saw, in order, into @out
 * (at most @max). Their number, or -errno.
 */
int tracefs_collect(struct transition *out, int max);

/* ---- tcpstate's figures ---- */

/*
 * What a test watches: tcpstate's counters (@module, false under
 * TCPSTATE_TRAFFIC_ONLY) and its events (@ring: @reader holds the ring).
 */
struct ts_watch {
	struct tcpstate_reader reader;
	bool module, ring;
};

/*
 * Load the module unless TCPSTATE_TRAFFIC_ONLY, and open the ring (in the
 * current netns: the device is global) unless @no_reader. Without a reader
 * the module makes no events, but its counters count all the same.
 * 0, or -1 with the reason in @err.
 */
int ts_watch_open(struct ts_watch *w, bool no_reader, char *err, size_t len);
/* What the test cannot check in this setup, for its log; NULL: nothing. */
const char *ts_watch_limits(const struct ts_watch *w);
void ts_watch_close(struct ts_watch *w);

struct ts_counters {
	unsigned long long v[TCPSTATE_NR_COUNTERS];
};

const char *counter_name(unsigned int idx);
/*
 * Parse /proc/net/tcpstate. Returns 0, or -ENOENT if the file is missing,
 * -EPROTO if a counter name is missing, repeated or unknown.
 */
int counters_proc(struct ts_counters *c);
/*
 * TCPSTATE_IOC_GET_COUNTERS on a fresh open of the device (ring not
 * claimed). Fills @raw when not NULL. 0 or -errno.
 */
int counters_ioctl(struct ts_counters *c, struct tcpstate_counters *raw);
/*
 * Same as counters_proc() but aborting the calling test on error is the
 * caller's business: returns -1ULL for each value when unreadable.
 */
unsigned long long counter_get(unsigned int idx);

/* ---- before and after: the kernel's figures and tcpstate's ---- */

/*
 * The MIBs the tests read, one table (ts_mibs: section and field of
 * /proc/net/netstat or /proc/net/snmp). The first NR_MIRRORS are those
 * tcpstate's listen counters equal, per /proc/net/tcpstate's documentation
 * (module/kprobes.c attributes them); ts_mirrors names their counters.
 */
enum ts_mib {
	M_OVERFLOWS, M_DROPS, M_QFULL, M_COOKIES,
	NR_MIRRORS,
	M_SYNRETRANS = NR_MIRRORS, M_DOCOOKIES, M_TW, M_TWKILLED, M_RECYCLED,
	M_PASSIVE, M_INSEGS,
	NR_MIBS
};

struct ts_mib_field {
	const char *section, *field;
};
extern const struct ts_mib_field ts_mibs[NR_MIBS];
/* Mirror i: the counter (enum tcpstate_counter) equal to MIB i. */
extern const unsigned int ts_mirrors[NR_MIRRORS];

/*
 * The kernel's figures and tcpstate's, read together: every MIB of
 * ts_mibs, "tw" of /proc/net/sockstat, and tcpstate's counters (when asked
 * for). A test reads one before its traffic and one after, and compares
 * the two with CDELTA() and MDELTA().
 */
struct ts_snapshot {
	struct ts_counters c;
	long long mib[NR_MIBS];
	long long sockstat_tw;
};

/*
 * Fill @s (tcpstate's counters only when @counters); NULL, or the name of
 * the figure it could not read.
 */
const char *snapshot_read(struct ts_snapshot *s, bool counters);

#ifdef __KSELFTEST_HARNESS_H
/* In a test, or a helper given _metadata: snapshot_read(), or fail. */
static inline void snapshot_take(struct __test_metadata *_metadata,
				 struct ts_snapshot *s, bool counters)
{
	const char *missing = snapshot_read(s, counters);

	ASSERT_EQ(NULL, missing) TH_LOG("cannot read %s", missing);
}
#endif

/* How far a counter and a MIB moved from snapshot @b to snapshot @a. */
#define COUNTER_DELTA(b, a, idx)					\
	((long long)((a)->c.v[idx] - (b)->c.v[idx]))
#define MIB_DELTA(b, a, m) ((a)->mib[m] - (b)->mib[m])
/* The same, for a test context @x holding .before and .after. */
#define CDELTA(x, idx) COUNTER_DELTA(&(x)->before, &(x)->after, idx)
#define MDELTA(x, m) MIB_DELTA(&(x)->before, &(x)->after, m)

/*
 * How far mirror @i's counter moved between snapshots @b and @a, minus how
 * far its MIB did: 0 when tcpstate agrees with the kernel.
 */
#define MIRROR_SKEW(b, a, i)						\
	(COUNTER_DELTA(b, a, ts_mirrors[i]) - MIB_DELTA(b, a, i))

/* Whether every mirror's skew between @b and @a is 0. */
#define MIRRORS_AGREE(b, a) ({						\
	unsigned int __i;						\
	for (__i = 0; __i < NR_MIRRORS; __i++)				\
		if (MIRROR_SKEW(b, a, __i))				\
			break;						\
	__i == NR_MIRRORS;						\
})

/* In a test (it needs _metadata): an expectation per mirror, with values. */
#define EXPECT_MIRRORS_AGREE(b, a) do {					\
	unsigned int __i;						\
	for (__i = 0; __i < NR_MIRRORS; __i++) {			\
		EXPECT_EQ(0, MIRROR_SKEW(b, a, __i))			\
			TH_LOG("%s moved by %lld, TcpExt %s by %lld",	\
			       counter_name(ts_mirrors[__i]),		\
			       COUNTER_DELTA(b, a, ts_mirrors[__i]),	\
			       ts_mibs[__i].field, MIB_DELTA(b, a, __i)); \
	}								\
} while (0)

/*
 * In a test body, once the kernel's figures were checked: under
 * TCPSTATE_TRAFFIC_ONLY tcpstate's cannot be, so the test ends as a SKIP,
 * not a pass. A failure so far stays one (SKIP() would make it a pass).
 */
#define SKIP_IF_TRAFFIC_ONLY() do {					\
	if (traffic_only()) {						\
		if (!_metadata->passed)					\
			return;						\
		SKIP(return, "TCPSTATE_TRAFFIC_ONLY: the kernel's figures checked, not tcpstate's"); \
	}								\
} while (0)

/* ---- the ring ---- */

struct ev_log {
	struct tcpstate_event *ev;
	int n, cap;
	unsigned int netns;	/* keep only this netns (0: all) */
	__u64 dropped;		/* ring drops seen (ctrl->dropped) */
};

int ev_log_init(struct ev_log *log, int cap, unsigned int netns);
void ev_log_free(struct ev_log *log);
/* Drain the ring into @log; events of other netns are skipped. */
long ev_log_drain(struct tcpstate_reader *r, struct ev_log *log);
/* Drain until @pred(log, arg) holds or @timeout_ms passed. */
bool ev_log_wait(struct tcpstate_reader *r, struct ev_log *log,
		 bool (*pred)(const struct ev_log *, void *), void *arg,
		 int timeout_ms);
/* Events of @type (0: any) with @reason (-1: any). */
int ev_count(const struct ev_log *log, unsigned int type, int reason);
/* Drain until @log holds @n events of @type with @reason, as ev_count(). */
bool ev_log_wait_for(struct tcpstate_reader *r, struct ev_log *log,
		     unsigned int type, int reason, int n, int timeout_ms);

const char *ev_type_name(unsigned int type);
/* One line describing @ev, for TH_LOG. */
const char *ev_str(const struct tcpstate_event *ev, char *buf, size_t len);
/*
 * ev_str() and the ABI-2 fields: valid bits, err, owner, task, seq/ack,
 * iss/irs (512 bytes hold it).
 */
const char *ev_str_full(const struct tcpstate_event *ev, char *buf,
			size_t len);

#ifdef __KSELFTEST_HARNESS_H
/* The first 200 events of @log into the test's log (after a failure). */
static inline void ev_log_dump(struct __test_metadata *_metadata,
			       const struct ev_log *log)
{
	char buf[512];
	int i;

	for (i = 0; i < log->n && i < 200; i++)
		TH_LOG("ev %d: %s", i,
		       ev_str_full(&log->ev[i], buf, sizeof(buf)));
}
#endif

/* ---- ABI 2: owner, task, cause and sequence numbers of an event ---- */

/* The name of an RST reason (enum tcpstate_rst_reason), "?" if unknown. */
const char *rst_reason_name(unsigned int reason);

/*
 * What ev_find() looks for: every field that is not 0 must match (TCP
 * states start at 1, so 0 means any state too).
 */
struct ev_match {
	unsigned int type;
	__u64 sock_id, peer_id;
	unsigned int oldstate, newstate;
	unsigned short sport, dport;
};

/* The first event of @log that @m matches, or NULL. */
const struct tcpstate_event *ev_find(const struct ev_log *log,
				     const struct ev_match *m);
/* Drain until ev_find(@m) finds one or @timeout_ms passed. */
const struct tcpstate_event *ev_log_wait_match(struct tcpstate_reader *r,
					       struct ev_log *log,
					       const struct ev_match *m,
					       int timeout_ms);

/* Whether the running kernel is @major.@minor or later (uname). */
bool kernel_at_least(int major, int minor);

/* ---- cgroup v2 ---- */

#define CGROUP2_ROOT		"/sys/fs/cgroup"

/*
 * Mount cgroup2 at CGROUP2_ROOT unless it is there already (the VM's init
 * mounts none). 0 or -errno.
 */
int cgroup2_ensure(void);
/*
 * Make the cgroup CGROUP2_ROOT/@name (an existing one is fine): its path
 * into @path, its id (its directory's inode number, what the kernel's
 * cgroup_id() is) into *@id. 0 or -errno.
 */
int cgroup_make(const char *name, char *path, size_t len, __u64 *id);
/* Move the calling process into the cgroup at @path. 0 or -errno. */
int cgroup_join(const char *path);
/* The id of the calling process's cgroup v2 (/proc/self/cgroup), or 0. */
__u64 cgroup_self_id(void);

#endif /* TCPSTATE_NET_H */
