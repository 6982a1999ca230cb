// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch's command line; see cli.h. One options table, one parse
 * switch; every usage error names the option and what it expected.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "filter.h"
#include "owner.h"
#include "sequence.h"
#include "tcpstate.h"

enum {
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
	OPT_RESEED,
	OPT_WHO,
	OPT_PID,
	OPT_COMM,
	OPT_CGROUP,
	OPT_LADDER,
	OPT_TOP,
};

/* A day: longer is surely a typo, and keeps every ns product in range. */
#define INTERVAL_MAX_MS	(86400ULL * 1000)
/* A year, for --duration. */
#define DURATION_MAX_MS	(365ULL * 86400 * 1000)
/* For --latency: beyond, the status line and signals would wait. */
#define LATENCY_MAX_MS	((unsigned long long)WAIT_TIMEOUT_MS)

/*
 * One screen: the options by group, the kinds and event forms by name,
 * and where the rest is. Every word here is in tcpstate-watch(8) too.
 */
static const char usage_text[] =
"USAGE: " PROG " [OPTION]...        connections as they open and close\n"
"       " PROG " --counters [-j] | --reseed [-j] | --prometheus FILE [-i SECS]\n"
"       " PROG " --top [-b] [-i SECS] [-c FRAMES]   (live view, q quits)\n"
"View:    -e --events  -j --json  -T --timestamp  -w --wide  --summary  --flush\n"
"         --who (PID COMM UID CGROUP columns: the owner)\n"
"         --ladder (each connection as a ladder of segments, seq= ack=)\n"
"Filters: -4 --ipv4  -6 --ipv6  -L --localport PORTS  -D --remoteport PORTS\n"
"         --laddr ADDR  --raddr ADDR  --netns INODE  --state STATE\n"
"         --pid PID  --comm NAME  --cgroup PATH (and its descendants)\n"
"Run:     -c --count N  --duration SECS  -i --interval SECS (status line)\n"
"         --max-conns N  --latency SECS  -d --device PATH (" TCPSTATE_DEVICE ")\n"
"Counters: --counters  --prometheus FILE  (metrics tcpstate_<counter>_total)\n"
"         --reseed: count the gauges again (after missed probes; root)\n"
"Other:   -h --help  -V --version\n"
"KIND: active_open passive_open connect_refused connect_timeout connect_failed\n"
"  half_open_expired half_open_dropped ack_dropped syn_dropped syn_cookie\n"
"  active_close passive_close simultaneous_close orphan_close reset\n"
"  reset_by_peer reset_by_us (cause= refused timed_out unreachable ...)\n"
"  unfinished in_progress; time in the accept queue is not measurable\n"
"-e: OLD -> NEW, SYN_RECV, SYN_RECV_END (child=), SYNACK_RETRANS, ACCEPT_QUEUED,\n"
"  ACK_DROP, SYN_DROP, SYNCOOKIE_SENT, TIMEWAIT (from=), TIMEWAIT_SUBSTATE,\n"
"  TIMEWAIT_END, RST_SENT, RST_RECEIVED; err= iss= irs= where the kernel\n"
"  gave them; a reason this version does not know prints as unknown(N)\n"
"EXAMPLES:\n"
"    " PROG " -T -L 80,443          # sequences of local ports 80, 443\n"
"    " PROG " --duration 60 --summary\n"
"    " PROG " -e -6 -w -D 443       # IPv6 events to port 443, wide\n"
"    " PROG " -e --who --comm curl  # what curl's connections do\n"
"    " PROG " -j | jq 'select(.kind==\"passive_open\") | .syn_queue_ns'\n"
"    " PROG " -i 1 > /dev/null      # the status line only, every second\n"
"    " PROG " --prometheus /var/lib/prometheus/node-exporter/tcpstate.prom\n"
"Every option, column and JSON key: man tcpstate-watch, tcpstate-watch(8).\n";

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
	{ "reseed",     no_argument,       NULL, OPT_RESEED },
	{ "who",        no_argument,       NULL, OPT_WHO },
	{ "pid",        required_argument, NULL, OPT_PID },
	{ "comm",       required_argument, NULL, OPT_COMM },
	{ "cgroup",     required_argument, NULL, OPT_CGROUP },
	{ "ladder",     no_argument,       NULL, OPT_LADDER },
	{ "top",        no_argument,       NULL, OPT_TOP },
	{ "batch",      no_argument,       NULL, 'b' },
	{ "help",       no_argument,       NULL, 'h' },
	{ "version",    no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Leading ':' makes getopt report a missing argument as ':' and stay
 * quiet, so every usage error gets our wording.
 */
static const char short_options[] = ":d:ejTw46L:D:c:i:bhV";

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

/*
 * How usage errors name option @c: "-e/--events", or "--laddr" for one
 * without a short form, from long_options.
 */
static void option_label(int c, char *buf, size_t len)
{
	const struct option *o;

	for (o = long_options; o->name && o->val != c; o++)
		;
	if (!o->name)
		snprintf(buf, len, "option %d", c);
	else if (c < 256)
		snprintf(buf, len, "-%c/--%s", c, o->name);
	else
		snprintf(buf, len, "--%s", o->name);
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

/* --cgroup PATH: the cgroup must exist now, for its id to go to the kernel. */
static int parse_cgroup_opt(const char *arg, struct watch_filter *f)
{
	int rc = owner_cgroup_lookup(arg, &f->cgroup_id, f->cgroup,
				     sizeof(f->cgroup));

	switch (rc) {
	case 0:
		return -1;
	case -ENODEV:
		return usage_error("--cgroup: no cgroup v2 is mounted (see /proc/self/mountinfo)");
	case -ENOENT:
		return usage_error("--cgroup: no cgroup '%s' under the cgroup v2 mount: give a directory under it, or a path relative to it (e.g. system.slice/nginx.service)",
				   arg);
	case -ENOTDIR:
		return usage_error("--cgroup: '%s' is not a cgroup directory",
				   arg);
	default:
		return usage_error("--cgroup: '%s': %s", arg, strerror(-rc));
	}
}

/* Returns -1 to go on, else the exit status. */
static int parse_option(int c, char **argv, struct options *opts)
{
	struct watch_filter *f = &opts->filter;
	int stream = 1;	/* only makes sense on a stream of events */
	int rc = -1, st;

	switch (c) {
	case 'd':
		if (!*optarg)
			return usage_error("-d: empty device path");
		opts->device = optarg;
		stream = 0;
		break;
	case 'e':
		opts->events = 1;
		break;
	case 'j':
		/* Not only for streams: --counters and --reseed take it. */
		opts->json = 1;
		stream = 0;
		break;
	case 'T':
		opts->timestamps = 1;
		break;
	case 'w':
		opts->wide = 1;
		break;
	case '4':
	case '6':
		f->family = c == '4' ? AF_INET : AF_INET6;
		break;
	case 'L':
		rc = parse_ports_opt("-L", optarg, f->lports, &f->nr_lports);
		break;
	case 'D':
		rc = parse_ports_opt("-D", optarg, f->rports, &f->nr_rports);
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
		break;
	case OPT_NETNS:
		if (filter_parse_netns(optarg, &f->netns))
			return usage_error("--netns: invalid inode '%s': expected a number from 1 to 4294967295",
					   optarg);
		break;
	case OPT_STATE:
		st = filter_parse_state(optarg);
		if (st < 0)
			return usage_error("--state: unknown TCP state '%s': expected ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN or CLOSING",
					   optarg);
		f->state = (unsigned int)st;
		break;
	case OPT_WHO:
		opts->who = 1;
		break;
	case OPT_PID:
		if (filter_parse_pid(optarg, &f->tgid))
			return usage_error("--pid: invalid process id '%s': expected a number from 1 to 4194304",
					   optarg);
		break;
	case OPT_COMM:
		if (filter_parse_comm(optarg, f->comm))
			return usage_error("--comm: expected a task name (as ps shows it)");
		break;
	case OPT_CGROUP:
		rc = parse_cgroup_opt(optarg, f);
		break;
	case 'c':
		if (parse_count(optarg, &opts->count))
			return usage_error("-c: invalid count '%s': %s",
					   optarg,
					   "expected a positive integer");
		break;
	case OPT_DURATION:
		if (parse_seconds(optarg, DURATION_MAX_MS,
				  &opts->duration_ms) || !opts->duration_ms)
			return usage_error("--duration: invalid duration '%s': %s",
					   optarg,
					   "expected seconds from 0.001 to 31536000, at most 3 decimals (e.g. 10 or 2.5)");
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
		stream = 0;
		break;
	case OPT_SUMMARY:
		opts->summary = 1;
		break;
	case OPT_FLUSH:
		opts->flush = 1;
		break;
	case OPT_LADDER:
		opts->ladder = 1;
		break;
	case OPT_TOP:
		opts->top = 1;
		stream = 0;
		break;
	case 'b':
		opts->batch = 1;
		stream = 0;
		break;
	case OPT_MAX_CONNS: {
		unsigned long long n;

		if (parse_count(optarg, &n) || n > SEQ_MAX_MAX_CONNS)
			return usage_error("--max-conns: invalid count '%s': expected 1 to %lu",
					   optarg, SEQ_MAX_MAX_CONNS);
		opts->max_conns = (unsigned long)n;
		opts->max_conns_set = 1;
		break;
	}
	case OPT_LATENCY:
		if (parse_seconds(optarg, LATENCY_MAX_MS, &opts->latency_ms))
			return usage_error("--latency: invalid time '%s': %s",
					   optarg,
					   "expected seconds from 0 to 1, at most 3 decimals (e.g. 0.1 or 0)");
		opts->latency_set = 1;
		break;
	case OPT_COUNTERS:
		opts->counters = 1;
		stream = 0;
		break;
	case OPT_RESEED:
		opts->reseed = 1;
		stream = 0;
		break;
	case OPT_PROMETHEUS:
		if (!*optarg)
			return usage_error("--prometheus: expected a file name (or - for stdout with --counters)");
		opts->prometheus = optarg;
		stream = 0;
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
	if (stream && !opts->stream_option[0])
		option_label(c, opts->stream_option,
			     sizeof(opts->stream_option));
	return rc;
}

/*
 * --top shows this namespace whole, refreshed in place: none of the
 * stream's views, filters or tuning apply. The first one given, or NULL.
 * (-c counts its frames and --duration bounds it, as for a stream.)
 */
static const char *check_top_options(const struct options *opts)
{
	if (opts->counters)
		return "--counters";
	if (opts->reseed)
		return "--reseed";
	if (opts->prometheus)
		return "--prometheus";
	if (opts->events)
		return "-e/--events";
	if (opts->json)
		return "-j/--json (use -b for text frames)";
	if (opts->ladder)
		return "--ladder";
	if (opts->summary)
		return "--summary";
	if (opts->flush)
		return "--flush";
	if (opts->who)
		return "--who (the OWNER column is always there)";
	if (opts->timestamps)
		return "-T/--timestamp";
	if (opts->wide)
		return "-w/--wide";
	if (opts->latency_set)
		return "--latency";
	if (opts->max_conns_set)
		return "--max-conns";
	if (filter_active(&opts->filter) || opts->filter.family)
		return "a filter (the view is the whole namespace)";
	return NULL;
}

/* Options that contradict each other, once all are read. */
static int check_options(const struct options *opts, int seen4, int seen6)
{
	const struct watch_filter *f = &opts->filter;
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	/* They only make sense for a stream of events; silently ignoring
	 * them would hide a mistyped command.
	 */
	if (opts->reseed && (opts->counters || opts->prometheus))
		return usage_error("--reseed cannot be combined with %s",
				   opts->counters ? "--counters" : "--prometheus");
	if (opts->reseed && (opts->count || opts->interval_set ||
			     opts->stream_option[0]))
		return usage_error("--reseed cannot be combined with %s",
				   opts->stream_option[0] ? opts->stream_option :
				   opts->count ? "-c/--count" :
				   "-i/--interval");
	if (opts->counters && opts->count)
		return usage_error("--counters cannot be combined with -c/--count");
	if (opts->counters && opts->interval_ms)
		return usage_error("--counters cannot be combined with -i/--interval");
	if (opts->counters && opts->stream_option[0])
		return usage_error("--counters cannot be combined with %s",
				   opts->stream_option);
	if (opts->prometheus && opts->stream_option[0])
		return usage_error("--prometheus cannot be combined with %s",
				   opts->stream_option);
	if (opts->prometheus && opts->json)
		return usage_error("--prometheus cannot be combined with -j/--json");
	if (opts->prometheus && !opts->counters && opts->interval_set &&
	    !opts->interval_ms)
		return usage_error("--prometheus: -i must be more than 0 (for a single write, add --counters)");
	if (opts->prometheus && !opts->counters &&
	    !strcmp(opts->prometheus, "-"))
		return usage_error("--prometheus -: stdout only with --counters (a single write)");
	if (opts->batch && !opts->top)
		return usage_error("-b/--batch prints --top's frames as text: it needs --top");
	if (opts->top) {
		const char *other = check_top_options(opts);

		if (other)
			return usage_error("--top cannot be combined with %s",
					   other);
		if (opts->interval_set && !opts->interval_ms)
			return usage_error("--top: -i must be more than 0 (the refresh interval)");
	}
	if (seen4 && seen6)
		return usage_error("-4 and -6 exclude each other: give neither for both families");
	if (opts->ladder && opts->events)
		return usage_error("--ladder draws connections: it cannot be combined with -e/--events");
	if (opts->ladder && opts->json)
		return usage_error("--ladder is a text view: it cannot be combined with -j/--json");
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

int cli_parse(int argc, char **argv, struct options *opts)
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
