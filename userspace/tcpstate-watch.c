// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch: TCP connections as the sequences of the TCP state
 * diagram (handshakes, teardowns and their failures, with the time each
 * step took), or one line per event (-e), from the tcpstate.ko ring; or
 * the per-netns counters (--counters), or those as a Prometheus textfile
 * (--prometheus, prometheus.c).
 *
 * Exit status: 0 on a clean stop (signal, -c or --duration reached) or
 * after --counters, 1 on a runtime error, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "format.h"
#include "output.h"
#include "names.h"
#include "prometheus.h"
#include "ring_reader.h"
#include "sequence.h"
#include "summary.h"

#ifndef TCPSTATE_WATCH_VERSION
#define TCPSTATE_WATCH_VERSION "0.2.0"
#endif

#define PROG "tcpstate-watch"

enum {
	EXIT_USAGE = 2,
	/* Long enough to notice drops and signals promptly, short enough
	 * not to wake an idle machine often.
	 */
	WAIT_TIMEOUT_MS = 1000,
	/* Default --latency: events reach the screen within a tenth of a
	 * second, and a reader that keeps up is woken once per batch, not
	 * once per event.
	 */
	LATENCY_DEFAULT_MS = 100,
	/* Long options without a short form; past any char getopt returns. */
	OPT_COUNTERS = 256,
	OPT_LADDR,
	OPT_RADDR,
	OPT_NETNS,
	OPT_STATE,
	OPT_DURATION,
	OPT_SUMMARY,
	OPT_FLUSH,
	OPT_MAX_CONNS,
	OPT_PROMETHEUS,
	OPT_LATENCY,
};

#define NSEC_PER_MSEC	1000000ULL
/* A day: longer is surely a typo, and keeps every ns product in range. */
#define INTERVAL_MAX_MS	(86400ULL * 1000)
/* A year, for --duration. */
#define DURATION_MAX_MS	(365ULL * 86400 * 1000)
/* For --latency: beyond, the status line and signals would wait. */
#define LATENCY_MAX_MS	((unsigned long long)WAIT_TIMEOUT_MS)

static const char usage_text[] =
"USAGE: " PROG " [-ejTw46] [-L PORTS] [-D PORTS] [--laddr ADDR]\n"
"                      [--raddr ADDR] [--netns INODE] [--state STATE] [-c N]\n"
"                      [--duration SECS] [-i SECS] [--summary] [--flush]\n"
"                      [--max-conns N] [--latency SECS] [-d PATH]\n"
"       " PROG " --counters [-d PATH]\n"
"       " PROG " --prometheus FILE [-i SECS] [-d PATH]\n"
"       " PROG " --counters --prometheus FILE|- [-d PATH]\n"
"\n"
"Show TCP connections as the sequences of the TCP state diagram, each with\n"
"the time its steps took: handshakes, teardowns, and how they fail. With\n"
"-e, one line per event as tcpstate.ko reports it instead.\n"
"\n"
"View and output:\n"
"  -e, --events          one line per event instead of sequences\n"
"  -j, --json            JSON Lines: one object per record (see the man page)\n"
"  -T, --timestamp       sequences: a TIME column (when the phase ended);\n"
"                        events always have one\n"
"  -w, --wide            LOCAL and REMOTE wide enough for any IPv6 address\n"
"      --summary         at exit: sequences per kind; p50, p90, p99, max of\n"
"                        handshake, SYN queue and TIME_WAIT times\n"
"      --flush           at exit: the connections still in progress\n"
"Filters (all must match; family, ports and netns also cut events in the\n"
"kernel when the module supports it):\n"
"  -4, --ipv4 / -6, --ipv6   AF_INET / AF_INET6 sockets only\n"
"  -L, --localport PORTS     local port(s), comma-separated (up to 32)\n"
"  -D, --remoteport PORTS    remote port(s), comma-separated (up to 32)\n"
"      --laddr ADDR          local address (IPv4 also matches v4-mapped)\n"
"      --raddr ADDR          remote address\n"
"      --netns INODE         network namespace (readlink /proc/PID/ns/net)\n"
"      --state STATE         sequences or events touching STATE (e.g.\n"
"                            TIME_WAIT, syn-recv)\n"
"Run:\n"
"  -c, --count N         exit after N sequences (N events with -e)\n"
"      --duration SECS   exit after SECS seconds (e.g. 10 or 2.5)\n"
"  -i, --interval SECS   every SECS seconds (e.g. 1 or 0.5; up to 86400,\n"
"                        default 0 = off), print a status line to stderr:\n"
"                        the SYN_RECV and TIME_WAIT sockets of this network\n"
"                        namespace now, SYNs queued and timewait sockets\n"
"                        created per second, accept queue overflows and\n"
"                        ring drops during the interval\n"
"      --max-conns N     connections followed at once (default 65536, up to\n"
"                        1048576); beyond, the least recently active is\n"
"                        forgotten and counted as evicted\n"
"      --latency SECS    how long an event may wait in the ring before it\n"
"                        is shown (default 0.1, up to 1): we look every\n"
"                        SECS, or when the module wakes us, once a quarter\n"
"                        of the ring is full;\n"
"                        0 wakes us for every event, which costs the\n"
"                        traced connections more under load\n"
"  -d, --device PATH     ring device to read (default: " TCPSTATE_DEVICE ")\n"
"      --counters        print this network namespace's counters as\n"
"                        \"name value\" lines, as /proc/net/tcpstate does,\n"
"                        and exit; needs no ring, so it works while\n"
"                        another reader holds it\n"
"      --prometheus FILE write the counters to FILE in Prometheus' text\n"
"                        format (metrics tcpstate_syn_recv,\n"
"                        tcpstate_time_wait, tcpstate_<counter>_total;\n"
"                        label netns), for node_exporter's textfile\n"
"                        collector: atomically (FILE.tmp.PID, renamed),\n"
"                        every -i SECS (default 15) until stopped; once\n"
"                        with --counters (FILE - is stdout). Needs no\n"
"                        ring either\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and ABI version and exit\n"
"\n"
"Sequences: TIME(-T) KIND SIDE NETNS LOCAL REMOTE DURATION PATH. KIND:\n"
"  active_open, passive_open          handshakes (client, server)\n"
"  connect_refused, connect_timeout   SYN_SENT -> CLOSE in under 1 s, or\n"
"                                     later (the events give no cause)\n"
"  connect_failed                     the same, SYN_SENT not seen\n"
"  half_open_expired, half_open_dropped   a request sock left the SYN\n"
"                                     queue without a connection\n"
"  ack_dropped, syn_dropped           lost to a full queue\n"
"  syn_cookie                         a SYN answered with a cookie\n"
"  active_close, passive_close, simultaneous_close, orphan_close, reset\n"
"  unfinished, in_progress            its end was not seen (--flush)\n"
"PATH: each state with the time spent in it, then retrans=, ack_drops=,\n"
"req=none, acceptq=, synq=, reason=, substate=, missing= as they apply.\n"
"The time a connection waits in the accept queue is not measurable: the\n"
"kernel reports no event when it is accepted.\n"
"\n"
"Events (-e): TIME NETNS SKID LOCAL -> REMOTE TRANSITION. TRANSITION:\n"
"  OLD -> NEW                       a socket changed TCP state\n"
"  SYN_RECV qlen=Q/MAX              a SYN joined a listener's SYN queue;\n"
"                                   SKID is the request sock\n"
"  SYN_RECV_END R retrans=N qlen=Q [child=ID]\n"
"                                   it left: R is completed (child: the\n"
"                                   new socket's SKID), expired, dropped,\n"
"                                   listener_closed or migrated\n"
"  SYNACK_RETRANS #N                the Nth SYN-ACK retransmit\n"
"  ACCEPT_QUEUED qlen=Q/MAX         a connection joined the accept queue\n"
"  ACK_DROP R qlen=Q/MAX            a third ACK was dropped; Q/MAX: the\n"
"                                   accept queue\n"
"  SYN_DROP R qlen=Q/MAX            a SYN was dropped (SKID 0); Q/MAX: the\n"
"                                   full queue. R for both: accept_queue_full,\n"
"                                   syn_queue_full or other\n"
"  SYNCOOKIE_SENT                   a SYN got a cookie instead (SKID 0)\n"
"  TIMEWAIT OLD -> NEW from=ID      a timewait sock replaced socket ID\n"
"  TIMEWAIT_SUBSTATE OLD -> NEW     an orphaned FIN_WAIT2 timewait sock got\n"
"                                   the peer's FIN: now TIME_WAIT\n"
"  TIMEWAIT_END R NEW               it ended: expired, reused, rst or\n"
"                                   netns_exit\n"
"  type=N                           an event this version does not know\n"
"A reason this version does not know prints as unknown(N). Grepping a\n"
"socket's SKID shows its whole life: the SYN_RECV_END that made it\n"
"(child=), its own lines, and the TIMEWAIT that replaced it (from=).\n"
"\n"
"EXAMPLES:\n"
"    " PROG "                            # connections opening and closing\n"
"    " PROG " -T -L 80,443               # ... local ports 80, 443, timed\n"
"    " PROG " --state TIME_WAIT          # teardowns through TIME_WAIT\n"
"    " PROG " -j | jq 'select(.kind==\"passive_open\") | .syn_queue_ns'\n"
"    " PROG " --duration 60 --summary    # a minute, then percentiles\n"
"    " PROG " --flush -c 100             # 100 sequences, then what is open\n"
"    " PROG " -e                         # every event, one line each\n"
"    " PROG " -e -6 -w -D 443            # IPv6 events to port 443, wide\n"
"    " PROG " -e | grep -E 'DROP|COOKIE' # SYNs and ACKs listeners refused\n"
"    " PROG " -i 1 > /dev/null           # status line only, every second\n"
"    " PROG " --counters                 # the counters, once\n"
"    " PROG " --prometheus /var/lib/prometheus/node-exporter/tcpstate.prom\n";

static const struct option long_options[] = {
	{ "device",     required_argument, NULL, 'd' },
	{ "events",     no_argument,       NULL, 'e' },
	{ "json",       no_argument,       NULL, 'j' },
	{ "timestamp",  no_argument,       NULL, 'T' },
	{ "wide",       no_argument,       NULL, 'w' },
	{ "ipv4",       no_argument,       NULL, '4' },
	{ "ipv6",       no_argument,       NULL, '6' },
	{ "localport",  required_argument, NULL, 'L' },
	{ "remoteport", required_argument, NULL, 'D' },
	{ "laddr",      required_argument, NULL, OPT_LADDR },
	{ "raddr",      required_argument, NULL, OPT_RADDR },
	{ "netns",      required_argument, NULL, OPT_NETNS },
	{ "state",      required_argument, NULL, OPT_STATE },
	{ "count",      required_argument, NULL, 'c' },
	{ "duration",   required_argument, NULL, OPT_DURATION },
	{ "interval",   required_argument, NULL, 'i' },
	{ "summary",    no_argument,       NULL, OPT_SUMMARY },
	{ "flush",      no_argument,       NULL, OPT_FLUSH },
	{ "max-conns",  required_argument, NULL, OPT_MAX_CONNS },
	{ "counters",   no_argument,       NULL, OPT_COUNTERS },
	{ "prometheus", required_argument, NULL, OPT_PROMETHEUS },
	{ "latency",    required_argument, NULL, OPT_LATENCY },
	{ "help",       no_argument,       NULL, 'h' },
	{ "version",    no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Leading ':' makes getopt report a missing argument as ':' and stay
 * quiet, so every usage error gets our wording.
 */
static const char short_options[] = ":d:ejTw46L:D:c:i:hV";

struct options {
	const char *device;
	unsigned long long count;	/* 0: no limit */
	unsigned long long interval_ms;	/* 0: no status lines */
	int interval_set;		/* -i given (--prometheus: period) */
	unsigned long long duration_ms;	/* 0: no limit */
	unsigned long max_conns;
	unsigned long long latency_ms;	/* --latency; 0: wake per event */
	int counters;			/* --counters: print them and exit */
	const char *prometheus;		/* --prometheus FILE, or NULL */
	int events;			/* -e */
	int json;			/* -j */
	int timestamps;			/* -T */
	int wide;			/* -w */
	int summary;			/* --summary */
	int flush;			/* --flush */
	struct watch_filter filter;
	/* The first option that only makes sense on a stream, to name it
	 * if --counters comes with it.
	 */
	const char *stream_option;
};

/* What the per-event and per-record callbacks need. */
struct watch {
	struct out_opts out;
	const struct watch_filter *filter;
	int events_view, json, filtering;
	unsigned long long limit;	/* -c, 0: none */
	unsigned long long shown;	/* events or sequences printed */
	unsigned long long read;	/* events read from the ring */
	int flushing;			/* --flush records: past the limit */
	struct seq_engine *engine;	/* NULL: -e without --summary */
	struct summary *summary;	/* NULL: no --summary */
};

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROG " --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/*
 * strtoull() accepts leading blanks and signs ("-1" wraps to a huge
 * count), so insist on plain decimal digits before converting.
 */
static int parse_count(const char *s, unsigned long long *out)
{
	unsigned long long val;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	val = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end != '\0' || val == 0)
		return -EINVAL;
	*out = val;
	return 0;
}

/*
 * SECONDS[.FRAC], FRAC at most 3 digits, up to @max_ms: poll() counts
 * milliseconds, and a finer time would silently round. Parsed by hand
 * rather than with strtod(), which takes signs, blanks, hex, "inf" and the
 * locale's decimal point. "0" is valid here; callers decide what it means.
 */
static int parse_seconds(const char *s, unsigned long long max_ms,
			 unsigned long long *out_ms)
{
	unsigned long long sec = 0, ms;
	unsigned int frac_digits = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		sec = sec * 10 + (unsigned long long)(*p - '0');
		/* Checked per digit, so sec never overflows. */
		if (sec > max_ms / 1000)
			return -ERANGE;
	}
	ms = sec * 1000;
	if (*p == '.') {
		unsigned long long scale = 100;

		for (p++; *p >= '0' && *p <= '9'; p++, frac_digits++) {
			if (frac_digits == 3)
				return -EINVAL;
			ms += (unsigned long long)(*p - '0') * scale;
			scale /= 10;
		}
		if (!frac_digits)
			return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	if (ms > max_ms)
		return -ERANGE;
	*out_ms = ms;
	return 0;
}

/*
 * getopt returned '?'. Valid short options never do (a missing argument
 * is ':'), so an optopt that is one of ours came from "--name=ARG" for an
 * option without argument. Any other optopt is an unknown short option,
 * possibly inside a cluster like -xV, so argv cannot name it; an unknown
 * long option leaves optopt 0 and sits in argv[optind - 1].
 */
static int bad_option(char **argv)
{
	const struct option *o;

	for (o = long_options; o->name; o++)
		if (optopt && o->val == optopt)
			return usage_error("option '--%s' takes no argument",
					   o->name);
	if (optopt > 0 && optopt < 256) {
		char opt[3] = { '-', (char)optopt, '\0' };

		return usage_error("unknown option '%s'", opt);
	}
	return usage_error("unknown option '%s'", argv[optind - 1]);
}

static int parse_ports_opt(const char *name, const char *arg, __u16 *ports,
			   unsigned int *nr)
{
	int rc = filter_parse_ports(arg, ports, nr);

	if (rc == -E2BIG)
		return usage_error("%s: more than %u ports in '%s'", name,
				   TCPSTATE_FILTER_PORTS, arg);
	if (rc)
		return usage_error("%s: invalid port list '%s': expected ports 1-65535 separated by commas (e.g. 80,443)",
				   name, arg);
	return -1;
}

/* Returns -1 to go on, else the exit status. */
static int parse_option(int c, char **argv, struct options *opts)
{
	struct watch_filter *f = &opts->filter;
	const char *stream = NULL;
	int rc = -1, st;

	switch (c) {
	case 'd':
		if (!*optarg)
			return usage_error("-d: empty device path");
		opts->device = optarg;
		break;
	case 'e':
		opts->events = 1;
		stream = "-e/--events";
		break;
	case 'j':
		opts->json = 1;
		stream = "-j/--json";
		break;
	case 'T':
		opts->timestamps = 1;
		stream = "-T/--timestamp";
		break;
	case 'w':
		opts->wide = 1;
		stream = "-w/--wide";
		break;
	case '4':
	case '6':
		f->family = c == '4' ? AF_INET : AF_INET6;
		stream = c == '4' ? "-4/--ipv4" : "-6/--ipv6";
		break;
	case 'L':
		rc = parse_ports_opt("-L", optarg, f->lports, &f->nr_lports);
		stream = "-L/--localport";
		break;
	case 'D':
		rc = parse_ports_opt("-D", optarg, f->rports, &f->nr_rports);
		stream = "-D/--remoteport";
		break;
	case OPT_LADDR:
	case OPT_RADDR:
		if (c == OPT_LADDR ?
		    filter_parse_addr(optarg, f->laddr, &f->laddr_family) :
		    filter_parse_addr(optarg, f->raddr, &f->raddr_family))
			return usage_error("%s: invalid address '%s': expected an IPv4 or IPv6 address",
					   c == OPT_LADDR ? "--laddr" : "--raddr",
					   optarg);
		if (c == OPT_LADDR)
			f->has_laddr = 1;
		else
			f->has_raddr = 1;
		stream = c == OPT_LADDR ? "--laddr" : "--raddr";
		break;
	case OPT_NETNS:
		if (filter_parse_netns(optarg, &f->netns))
			return usage_error("--netns: invalid inode '%s': expected a number from 1 to 4294967295",
					   optarg);
		stream = "--netns";
		break;
	case OPT_STATE:
		st = filter_parse_state(optarg);
		if (st < 0)
			return usage_error("--state: unknown TCP state '%s': expected ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN or CLOSING",
					   optarg);
		f->state = (unsigned int)st;
		stream = "--state";
		break;
	case 'c':
		if (parse_count(optarg, &opts->count))
			return usage_error("-c: invalid count '%s': %s",
					   optarg,
					   "expected a positive integer");
		stream = "-c/--count";
		break;
	case OPT_DURATION:
		if (parse_seconds(optarg, DURATION_MAX_MS,
				  &opts->duration_ms) || !opts->duration_ms)
			return usage_error("--duration: invalid duration '%s': %s",
					   optarg,
					   "expected seconds from 0.001 to 31536000, at most 3 decimals (e.g. 10 or 2.5)");
		stream = "--duration";
		break;
	case 'i':
		if (parse_seconds(optarg, INTERVAL_MAX_MS, &opts->interval_ms))
			return usage_error("-i: invalid interval '%s': %s",
					   optarg,
					   "expected seconds from 0 to 86400, at most 3 decimals (e.g. 1 or 0.5)");
		/* Not a stream option: --prometheus takes it as its period;
		 * check_options refuses a non-zero one with --counters.
		 */
		opts->interval_set = 1;
		break;
	case OPT_SUMMARY:
		opts->summary = 1;
		stream = "--summary";
		break;
	case OPT_FLUSH:
		opts->flush = 1;
		stream = "--flush";
		break;
	case OPT_MAX_CONNS: {
		unsigned long long n;

		if (parse_count(optarg, &n) || n > SEQ_MAX_MAX_CONNS)
			return usage_error("--max-conns: invalid count '%s': expected 1 to %lu",
					   optarg, SEQ_MAX_MAX_CONNS);
		opts->max_conns = (unsigned long)n;
		stream = "--max-conns";
		break;
	}
	case OPT_LATENCY:
		if (parse_seconds(optarg, LATENCY_MAX_MS, &opts->latency_ms))
			return usage_error("--latency: invalid time '%s': %s",
					   optarg,
					   "expected seconds from 0 to 1, at most 3 decimals (e.g. 0.1 or 0)");
		stream = "--latency";
		break;
	case OPT_COUNTERS:
		opts->counters = 1;
		break;
	case OPT_PROMETHEUS:
		if (!*optarg)
			return usage_error("--prometheus: expected a file name (or - for stdout with --counters)");
		opts->prometheus = optarg;
		break;
	case 'h':
		fputs(usage_text, stdout);
		return EXIT_SUCCESS;
	case 'V':
		printf(PROG " %s (tcpstate ABI v%u)\n",
		       TCPSTATE_WATCH_VERSION, TCPSTATE_ABI_VERSION);
		return EXIT_SUCCESS;
	case ':':
		return usage_error("option '%s' needs an argument",
				   argv[optind - 1]);
	default:
		return bad_option(argv);
	}
	if (stream && !opts->stream_option)
		opts->stream_option = stream;
	return rc;
}

/* Options that contradict each other, once all are read. */
static int check_options(const struct options *opts, int seen4, int seen6)
{
	const struct watch_filter *f = &opts->filter;
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	/* They only make sense for a stream of events; silently ignoring
	 * them would hide a mistyped command.
	 */
	if (opts->counters && opts->count)
		return usage_error("--counters cannot be combined with -c/--count");
	if (opts->counters && opts->interval_ms)
		return usage_error("--counters cannot be combined with -i/--interval");
	if (opts->counters && opts->stream_option)
		return usage_error("--counters cannot be combined with %s",
				   opts->stream_option);
	if (opts->prometheus && opts->stream_option)
		return usage_error("--prometheus cannot be combined with %s",
				   opts->stream_option);
	if (opts->prometheus && !opts->counters && opts->interval_set &&
	    !opts->interval_ms)
		return usage_error("--prometheus: -i must be more than 0 (for a single write, add --counters)");
	if (opts->prometheus && !opts->counters &&
	    !strcmp(opts->prometheus, "-"))
		return usage_error("--prometheus -: stdout only with --counters (a single write)");
	if (seen4 && seen6)
		return usage_error("-4 and -6 exclude each other: give neither for both families");
	if (opts->flush && opts->events)
		return usage_error("--flush shows connections in progress: it applies to the sequence view, not to -e/--events");
	/* -4 means AF_INET sockets: an IPv6 address (but a v4-mapped one,
	 * which matches the IPv4 form) could never match.
	 */
	if (f->family == AF_INET &&
	    ((f->has_laddr && f->laddr_family == AF_INET6 &&
	      memcmp(f->laddr, v4mapped, 12)) ||
	     (f->has_raddr && f->raddr_family == AF_INET6 &&
	      memcmp(f->raddr, v4mapped, 12))))
		return usage_error("-4 with an IPv6 address can match nothing");
	return -1;
}

static int parse_options(int argc, char **argv, struct options *opts)
{
	int c, status, seen4 = 0, seen6 = 0;

	memset(opts, 0, sizeof(*opts));
	opts->device = TCPSTATE_DEVICE;
	opts->max_conns = SEQ_DEFAULT_MAX_CONNS;
	opts->latency_ms = LATENCY_DEFAULT_MS;
	opterr = 0;

	while ((c = getopt_long(argc, argv, short_options, long_options,
				NULL)) != -1) {
		seen4 |= c == '4';
		seen6 |= c == '6';
		status = parse_option(c, argv, opts);
		if (status >= 0)
			return status;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return check_options(opts, seen4, seen6);
}

static int install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = request_stop;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() must return EINTR so the loop sees the flag. */
	sa.sa_flags = 0;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	return 0;
}

static int limit_reached(const struct watch *w)
{
	return w->limit && w->shown >= w->limit;
}

/* Called by the engine for each completed phase. */
static void on_record(const struct seq_record *rec, void *arg)
{
	struct watch *w = arg;
	char line[OUT_LINE_MAX];

	if (!filter_record(w->filter, rec))
		return;
	/* -c counts what is shown; the summary sums up the same. */
	if (!w->events_view && limit_reached(w) && !w->flushing)
		return;
	if (w->summary)
		summary_add(w->summary, rec);
	if (w->events_view)
		return;
	if (w->json)
		out_seq_json(line, sizeof(line), rec, &w->out);
	else
		out_seq_text(line, sizeof(line), rec, &w->out);
	puts(line);
	if (!w->flushing)
		w->shown++;
}

static int on_event(const struct tcpstate_event *ev, void *arg)
{
	struct watch *w = arg;
	char line[OUT_LINE_MAX];

	w->read++;
	if (w->events_view && filter_event(w->filter, ev)) {
		if (w->json)
			out_event_json(line, sizeof(line), ev, &w->out);
		else
			tcpstate_format_event_w(line, sizeof(line), ev,
						w->out.mono_to_real_ns,
						w->out.endpoint_width);
		puts(line);
		w->shown++;
	}
	/* Family and netns never change during a connection: events of
	 * others need not be followed at all.
	 */
	if (w->engine && filter_event_fixed(w->filter, ev))
		seq_feed(w->engine, ev);
	if (limit_reached(w))
		return 1;
	/* Stop mid-batch too: a full ring is thousands of lines. */
	return stop_requested;
}

/*
 * Tell about drops as they happen, not only at the end, and let the
 * engine mark what they may have cut into.
 */
static void report_drops(const struct tcpstate_ring *ring, __u64 *reported,
			 struct seq_engine *engine)
{
	__u64 dropped;

	tcpstate_ring_stats(ring, NULL, &dropped);
	if (dropped > *reported) {
		fprintf(stderr, PROG ": %llu events dropped (ring full)\n",
			(unsigned long long)(dropped - *reported));
		*reported = dropped;
		if (engine)
			seq_note_loss(engine);
	}
}

static void report_evictions(const struct seq_engine *engine,
			     unsigned long long *reported,
			     unsigned long max_conns)
{
	struct seq_stats st;

	if (!engine)
		return;
	seq_get_stats(engine, &st);
	if (st.evicted > *reported) {
		fprintf(stderr,
			PROG ": %llu connections evicted (more than %lu followed at once; see --max-conns)\n",
			st.evicted - *reported, max_conns);
		*reported = st.evicted;
	}
}

/* Explain a failed TCPSTATE_IOC_GET_COUNTERS; @hint ends the ENOTTY one. */
static void counters_failed(const char *path, int rc, const char *hint)
{
	switch (rc) {
	case -ENOTTY:
		/* GET_INFO already proved this is a tcpstate device of our
		 * ABI version: only a module from before the counters lacks
		 * the ioctl.
		 */
		fprintf(stderr,
			PROG ": %s: tcpstate.ko is older than this reader: it has no counters (TCPSTATE_IOC_GET_COUNTERS): load a newer module%s\n",
			path, hint);
		break;
	case -EPROTO:
		fprintf(stderr,
			PROG ": %s: TCPSTATE_IOC_GET_COUNTERS: module reports more than %u counters\n",
			path, TCPSTATE_MAX_COUNTERS);
		break;
	default:
		fprintf(stderr, PROG ": %s: TCPSTATE_IOC_GET_COUNTERS: %s\n",
			path, strerror(-rc));
		break;
	}
}

/*
 * --counters: the device is only opened, never mapped, so this works while
 * another reader holds the ring. Prints the counters both this reader and
 * the module know: an older module fills fewer (nr), and a newer one's
 * extra counters have no name here (/proc/net/tcpstate shows them).
 */
static int print_counters(const struct options *opts)
{
	struct tcpstate_counters c;
	struct tcpstate_info info;
	unsigned int i, n;
	char err[256];
	int fd, rc;

	fd = tcpstate_device_open(opts->device, &info, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_FAILURE;
	}
	rc = tcpstate_counters_read(fd, &c);
	close(fd);
	if (rc) {
		counters_failed(opts->device, rc, "");
		return EXIT_FAILURE;
	}

	n = c.nr < TCPSTATE_NR_COUNTERS ? c.nr : TCPSTATE_NR_COUNTERS;
	for (i = 0; i < n; i++)
		printf("%s %llu\n", tcpstate_counter_name(i),
		       (unsigned long long)c.value[i]);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

static int read_device_counters(struct tcpstate_counters *c, char *err,
				size_t errlen, void *device)
{
	return prom_read_device(device, c, err, errlen);
}

/*
 * --prometheus: like --counters, the device is only opened (and closed
 * again after each reading), never mapped.
 */
static int export_prometheus(const struct options *opts)
{
	struct prom_export e = {
		.path = opts->prometheus,
		.interval_ms = opts->counters ? 0 :
			       opts->interval_set ? opts->interval_ms :
			       PROM_DEFAULT_INTERVAL_S * 1000ULL,
		.read = read_device_counters,
		.read_arg = (void *)opts->device,
		.stop = &stop_requested,
	};
	int rc;

	if (e.interval_ms) {
		rc = install_signal_handlers();
		if (rc) {
			fprintf(stderr, PROG ": sigaction: %s\n", strerror(-rc));
			return EXIT_FAILURE;
		}
	}
	return prom_export_run(&e);
}

/*
 * The -i status line. Deadlines sit on a fixed grid from the start
 * (start + k * interval), so slow batches delay a line but never shift
 * the ones after it; rates divide by the time actually elapsed between
 * the two readings, so a late line is still exact.
 */
struct status {
	__u64 interval_ns;	/* 0: off */
	__u64 next_ns;		/* CLOCK_MONOTONIC deadline of the next line */
	__u64 prev_ns;		/* when prev was read */
	struct tcpstate_counters prev;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux; 0 only delays a line. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return 0;
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* Take the first reading, which the first line's rates start from. */
static int status_start(struct status *st, int fd, const char *path,
			unsigned long long interval_ms)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if (!interval_ms)
		return 0;
	rc = tcpstate_counters_read(fd, &st->prev);
	if (rc) {
		counters_failed(path, rc, ", or run without -i");
		return rc;
	}
	st->interval_ns = interval_ms * NSEC_PER_MSEC;
	st->prev_ns = mono_ns();
	st->next_ns = st->prev_ns + st->interval_ns;
	return 0;
}

/* Milliseconds from @now to @deadline, rounded up (rounding down would
 * wake just before it and spin), at most @max_ms.
 */
static int ms_until(__u64 now, __u64 deadline, int max_ms)
{
	__u64 wait_ms;

	if (deadline <= now)
		return 0;
	wait_ms = (deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	return wait_ms < (__u64)max_ms ? (int)wait_ms : max_ms;
}

/*
 * Print the status line if its deadline has passed, and set @timeout_ms to
 * how long poll() may sleep: until the next deadline, at most @max_ms.
 * Returns 0, or -errno once the counters cannot be read (explained on
 * stderr).
 */
static int status_tick(struct status *st, int fd, const char *path,
		       int max_ms, int *timeout_ms)
{
	char line[TCPSTATE_LINE_MAX];
	struct tcpstate_counters now_c;
	__u64 now = mono_ns();
	int rc;

	*timeout_ms = max_ms;
	if (!st->interval_ns)
		return 0;

	if (now >= st->next_ns) {
		rc = tcpstate_counters_read(fd, &now_c);
		if (rc) {
			counters_failed(path, rc, ", or run without -i");
			return rc;
		}
		now = mono_ns();
		tcpstate_format_status(line, sizeof(line), &st->prev, &now_c,
				       now - st->prev_ns);
		fprintf(stderr, PROG ": %s\n", line);
		st->prev = now_c;
		st->prev_ns = now;
		/* Next grid point after now: after a stall (SIGSTOP, a huge
		 * batch) skip the missed lines rather than print a burst.
		 */
		st->next_ns += st->interval_ns;
		if (st->next_ns <= now)
			st->next_ns += ((now - st->next_ns) / st->interval_ns +
					1) * st->interval_ns;
	}
	*timeout_ms = ms_until(now, st->next_ns, max_ms);
	return 0;
}

/* Stdout went bad (a closed pipe, a full disk): nothing more to do. */
static int flush_output(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int watch(struct tcpstate_reader *r, struct watch *w,
		 struct status *st, const struct options *opts)
{
	unsigned long long evictions_reported = 0;
	__u64 drops_reported = 0, deadline = 0;
	int batching = 0;
	int timeout_ms;
	long n;
	int rc;

	/*
	 * The poll() timeout bounds how long an event waits; the module need
	 * only wake us when the ring fills faster than that, so a quarter of
	 * it. Each wake-up is two context switches on a CPU the traced
	 * connections could use. A module without batched wake-ups wakes us
	 * per event, as --latency 0 asks.
	 */
	if (opts->latency_ms)
		batching = !tcpstate_ring_set_wakeup(&r->ring,
						     r->ring.data_size / 4);
	if (opts->duration_ms)
		deadline = mono_ns() + opts->duration_ms * NSEC_PER_MSEC;

	while (!stop_requested) {
		n = tcpstate_ring_drain(&r->ring, on_event, w);
		/* One flush per batch keeps a busy ring from costing a write
		 * per line, yet a pipe sees each batch without delay.
		 */
		if (flush_output())
			return EXIT_FAILURE;
		if (n < 0) {
			fprintf(stderr, PROG ": corrupt record in the ring: %s\n",
				strerror((int)-n));
			return EXIT_FAILURE;
		}
		report_drops(&r->ring, &drops_reported, w->engine);
		report_evictions(w->engine, &evictions_reported,
				 opts->max_conns);
		if (limit_reached(w))
			break;
		if (deadline && mono_ns() >= deadline)
			break;
		if (status_tick(st, r->fd, opts->device,
				batching ? (int)opts->latency_ms :
					   WAIT_TIMEOUT_MS, &timeout_ms))
			return EXIT_FAILURE;
		if (deadline)
			timeout_ms = ms_until(mono_ns(), deadline, timeout_ms);

		rc = tcpstate_reader_wait(r, timeout_ms);
		if (rc < 0) {
			fprintf(stderr, PROG ": waiting for events: %s\n",
				strerror(-rc));
			return EXIT_FAILURE;
		}
	}
	return EXIT_SUCCESS;
}

/*
 * Push the family, ports and netns to the kernel. Filtering stays in
 * userspace as well, so a module without TCPSTATE_IOC_SET_FILTER (ENOTTY)
 * gives the same output, only with more events through the ring; one
 * that refuses the filter is worth a word, but not worth stopping for.
 * Returns 1 if the kernel took it, 0 if not, -1 if there was none.
 */
static int push_filter(struct tcpstate_reader *r, const struct options *opts)
{
	struct tcpstate_filter k;
	int rc;

	if (!filter_to_kernel(&opts->filter, &k))
		return -1;
	rc = tcpstate_reader_set_filter(r, &k);
	if (!rc)
		return 1;
	if (rc != -ENOTTY)
		fprintf(stderr,
			PROG ": %s: TCPSTATE_IOC_SET_FILTER: %s: filtering in userspace only\n",
			opts->device, strerror(-rc));
	return 0;
}

/* The line that says the ring is mapped and output begins. */
static void print_start(const struct watch *w, int kernel_filter)
{
	char line[OUT_LINE_MAX];

	if (w->json) {
		printf("{\"type\":\"start\",\"view\":\"%s\",\"kernel_filter\":%s}\n",
		       w->events_view ? "events" : "sequences",
		       kernel_filter < 0 ? "null" :
		       kernel_filter ? "true" : "false");
		return;
	}
	if (w->events_view)
		tcpstate_format_header_w(line, sizeof(line),
					 w->out.endpoint_width);
	else
		out_seq_header(line, sizeof(line), &w->out);
	puts(line);
}

/* --flush and --summary, once the stream has stopped. */
static int finish(struct watch *w, const struct options *opts, __u64 dropped)
{
	struct summary_run run;
	struct seq_stats st;

	if (w->engine && opts->flush) {
		w->flushing = 1;
		seq_flush(w->engine);
	}
	if (w->summary) {
		memset(&run, 0, sizeof(run));
		run.events = w->read;
		run.dropped = dropped;
		if (w->engine) {
			seq_get_stats(w->engine, &st);
			run.evicted = st.evicted;
		}
		if (!w->json)
			puts("");
		if (w->json)
			summary_print_json(stdout, w->summary, &run);
		else
			summary_print_text(stdout, w->summary, &run);
	}
	return flush_output() ? EXIT_FAILURE : EXIT_SUCCESS;
}

static void final_line(const struct watch *w, __u64 dropped)
{
	struct seq_stats st;

	if (w->events_view) {
		if (w->filtering)
			fprintf(stderr, PROG ": %llu events, %llu shown, %llu dropped\n",
				w->read, w->shown,
				(unsigned long long)dropped);
		else
			fprintf(stderr, PROG ": %llu events, %llu dropped\n",
				w->read, (unsigned long long)dropped);
		return;
	}
	seq_get_stats(w->engine, &st);
	fprintf(stderr,
		PROG ": %llu events, %llu dropped, %llu sequences, %llu evicted\n",
		w->read, (unsigned long long)dropped, w->shown, st.evicted);
}

int main(int argc, char **argv)
{
	struct tcpstate_reader reader;
	struct options opts;
	struct status st;
	struct watch w;
	char err[256];
	__u64 dropped;
	int status, kernel_filter;
	int rc;

	status = parse_options(argc, argv, &opts);
	if (status >= 0)
		return status;
	if (opts.prometheus)
		return export_prometheus(&opts);
	if (opts.counters)
		return print_counters(&opts);

	memset(&w, 0, sizeof(w));
	w.filter = &opts.filter;
	w.filtering = filter_active(&opts.filter);
	w.events_view = opts.events;
	w.json = opts.json;
	w.limit = opts.count;
	w.out.endpoint_width = opts.wide ? TCPSTATE_COL_ENDPOINT_WIDE :
					   TCPSTATE_COL_ENDPOINT;
	w.out.timestamps = opts.timestamps;
	if (opts.summary) {
		w.summary = summary_new();
		if (!w.summary) {
			fprintf(stderr, PROG ": out of memory\n");
			return EXIT_FAILURE;
		}
	}
	if (!opts.events || opts.summary) {
		w.engine = seq_new(opts.max_conns, on_record, &w);
		if (!w.engine) {
			fprintf(stderr, PROG ": out of memory for %lu connections (--max-conns)\n",
				opts.max_conns);
			summary_free(w.summary);
			return EXIT_FAILURE;
		}
	}

	rc = install_signal_handlers();
	if (rc) {
		fprintf(stderr, PROG ": sigaction: %s\n", strerror(-rc));
		status = EXIT_FAILURE;
		goto out_free;
	}

	rc = tcpstate_reader_open(&reader, opts.device, err, sizeof(err));
	if (rc) {
		fprintf(stderr, PROG ": %s\n", err);
		status = EXIT_FAILURE;
		goto out_free;
	}
	/* Before the header: scripts take the header as "ready", and an
	 * old module should fail -i before that, not after. The filter
	 * goes in as soon as the ring is ours, so that it applies from the
	 * first event the header promises.
	 */
	if (status_start(&st, reader.fd, opts.device, opts.interval_ms)) {
		status = EXIT_FAILURE;
		goto out_close;
	}
	kernel_filter = push_filter(&reader, &opts);

	/* Measured once: events carry CLOCK_MONOTONIC times, and a later
	 * clock step should not reorder the printed times.
	 */
	w.out.mono_to_real_ns = tcpstate_mono_to_real_ns();
	print_start(&w, kernel_filter);
	if (flush_output()) {
		status = EXIT_FAILURE;
		goto out_close;
	}

	status = watch(&reader, &w, &st, &opts);

	tcpstate_ring_stats(&reader.ring, NULL, &dropped);
	if (status == EXIT_SUCCESS)
		status = finish(&w, &opts, dropped);
	final_line(&w, dropped);
out_close:
	tcpstate_reader_close(&reader);
out_free:
	seq_free(w.engine);
	summary_free(w.summary);
	return status;
}
