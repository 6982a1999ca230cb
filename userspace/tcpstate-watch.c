// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch: print TCP state changes and connection-lifecycle events
 * from the tcpstate.ko ring, or the per-netns counters (--counters).
 *
 * Exit status: 0 on a clean stop (signal or -c reached) or after
 * --counters, 1 on a runtime error, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "ring_reader.h"

#ifndef TCPSTATE_WATCH_VERSION
#define TCPSTATE_WATCH_VERSION "0.1.0"
#endif

#define PROG "tcpstate-watch"

enum {
	EXIT_USAGE = 2,
	/* Long enough to notice drops and signals promptly, short enough
	 * not to wake an idle machine often.
	 */
	WAIT_TIMEOUT_MS = 1000,
	/* Long options without a short form; past any char getopt returns. */
	OPT_COUNTERS = 256,
};

#define NSEC_PER_MSEC	1000000ULL
/* A day: longer is surely a typo, and keeps every ns product in range. */
#define INTERVAL_MAX_MS	(86400ULL * 1000)

static const char usage_text[] =
"USAGE: " PROG " [-h] [-V] [-d PATH] [-c N] [-i SECONDS]\n"
"       " PROG " --counters [-d PATH]\n"
"\n"
"Print TCP socket state changes and connection lifecycle events (SYN and\n"
"accept queues, TIME_WAIT) as tcpstate.ko reports them, one line each.\n"
"\n"
"  -d, --device PATH     ring device to read (default: " TCPSTATE_DEVICE ")\n"
"  -c, --count N         exit after N events, of any type\n"
"  -i, --interval SECS   every SECS seconds (e.g. 1 or 0.5; up to 86400,\n"
"                        default 0 = off), print a status line to stderr:\n"
"                        the SYN_RECV and TIME_WAIT sockets of this network\n"
"                        namespace now, SYNs queued and timewait sockets\n"
"                        created per second, accept queue overflows and\n"
"                        ring drops during the interval\n"
"      --counters        print this network namespace's counters as\n"
"                        \"name value\" lines, as /proc/net/tcpstate does,\n"
"                        and exit; needs no ring, so it works while\n"
"                        another reader holds it\n"
"  -h, --help            show this help and exit\n"
"  -V, --version         show the version and ABI version and exit\n"
"\n"
"Columns: TIME NETNS SKID LOCAL -> REMOTE TRANSITION. TRANSITION by event:\n"
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
"  TIMEWAIT_END R NEW               it ended: expired, reused, rst or\n"
"                                   netns_exit\n"
"  type=N                           an event this version does not know\n"
"A reason this version does not know prints as unknown(N). Grepping a\n"
"socket's SKID shows its whole life: the SYN_RECV_END that made it\n"
"(child=), its own lines, and the TIMEWAIT that replaced it (from=).\n"
"\n"
"EXAMPLES:\n"
"    " PROG "                            # print every event\n"
"    " PROG " -c 10                      # exit after 10 events\n"
"    " PROG " -d /dev/tcpstate           # read a given device node\n"
"    " PROG " | grep 'ESTABLISHED -> '   # connections leaving ESTABLISHED\n"
"    " PROG " | grep -- '-> CLOSE_WAIT'  # peers closing on us\n"
"    " PROG " | grep -E 'DROP|COOKIE'    # SYNs and ACKs listeners refused\n"
"    " PROG " -i 1 > /dev/null           # status line only, every second\n"
"    " PROG " --counters                 # the counters, once\n";

static const struct option long_options[] = {
	{ "device",  required_argument, NULL, 'd' },
	{ "count",   required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "counters", no_argument,      NULL, OPT_COUNTERS },
	{ "help",    no_argument,       NULL, 'h' },
	{ "version", no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Leading ':' makes getopt report a missing argument as ':' and stay
 * quiet, so every usage error gets our wording.
 */
static const char short_options[] = ":d:c:i:hV";

struct options {
	const char *device;
	unsigned long long count;	/* 0: no limit */
	unsigned long long interval_ms;	/* 0: no status lines */
	int counters;			/* --counters: print them and exit */
};

/* What the per-event callback needs. */
struct watch {
	__s64 mono_to_real_ns;
	unsigned long long limit;	/* 0: no limit */
	unsigned long long printed;
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
 * SECONDS[.FRAC], FRAC at most 3 digits: poll() counts milliseconds, and
 * a finer interval would silently round. Parsed by hand rather than with
 * strtod(), which takes signs, blanks, hex, "inf" and the locale's decimal
 * point. "0" is valid and means off.
 */
static int parse_interval(const char *s, unsigned long long *out_ms)
{
	unsigned long long sec = 0, ms;
	unsigned int frac_digits = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		sec = sec * 10 + (unsigned long long)(*p - '0');
		/* Checked per digit, so sec never overflows. */
		if (sec > INTERVAL_MAX_MS / 1000)
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
	if (ms > INTERVAL_MAX_MS)
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

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *opts)
{
	int c;

	opts->device = TCPSTATE_DEVICE;
	opts->count = 0;
	opts->interval_ms = 0;
	opts->counters = 0;
	opterr = 0;

	while ((c = getopt_long(argc, argv, short_options, long_options,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!*optarg)
				return usage_error("-d: empty device path");
			opts->device = optarg;
			break;
		case 'c':
			if (parse_count(optarg, &opts->count))
				return usage_error("-c: invalid count '%s': %s",
						   optarg,
						   "expected a positive integer");
			break;
		case 'i':
			if (parse_interval(optarg, &opts->interval_ms))
				return usage_error("-i: invalid interval '%s': %s",
						   optarg,
						   "expected seconds from 0 to 86400, at most 3 decimals (e.g. 1 or 0.5)");
			break;
		case OPT_COUNTERS:
			opts->counters = 1;
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
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	/* They only make sense for a stream of events; silently ignoring
	 * them would hide a mistyped command.
	 */
	if (opts->counters && opts->count)
		return usage_error("--counters cannot be combined with -c/--count");
	if (opts->counters && opts->interval_ms)
		return usage_error("--counters cannot be combined with -i/--interval");
	return -1;
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

static int print_event(const struct tcpstate_event *ev, void *arg)
{
	struct watch *w = arg;
	char line[TCPSTATE_LINE_MAX];

	tcpstate_format_event(line, sizeof(line), ev, w->mono_to_real_ns);
	puts(line);
	w->printed++;
	if (w->limit && w->printed >= w->limit)
		return 1;
	/* Stop mid-batch too: a full ring is thousands of lines. */
	return stop_requested;
}

/* Tell about drops as they happen, not only in the final summary. */
static void report_drops(const struct tcpstate_ring *ring, __u64 *reported)
{
	__u64 dropped;

	tcpstate_ring_stats(ring, NULL, &dropped);
	if (dropped > *reported) {
		fprintf(stderr, PROG ": %llu events dropped (ring full)\n",
			(unsigned long long)(dropped - *reported));
		*reported = dropped;
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

/*
 * Print the status line if its deadline has passed, and set @timeout_ms to
 * how long poll() may sleep: until the next deadline rounded up (rounding
 * down would wake just before it and spin), at most @max_ms. Returns 0, or
 * -errno once the counters cannot be read (explained on stderr).
 */
static int status_tick(struct status *st, int fd, const char *path,
		       int max_ms, int *timeout_ms)
{
	char line[TCPSTATE_LINE_MAX];
	struct tcpstate_counters now_c;
	__u64 now = mono_ns();
	__u64 wait_ms;
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

	wait_ms = (st->next_ns - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	if (wait_ms < (__u64)max_ms)
		*timeout_ms = (int)wait_ms;
	return 0;
}

static int watch(struct tcpstate_reader *r, struct watch *w,
		 struct status *st, const char *path)
{
	__u64 drops_reported = 0;
	char header[TCPSTATE_LINE_MAX];
	int timeout_ms;
	long n;
	int rc;

	tcpstate_format_header(header, sizeof(header));
	puts(header);
	fflush(stdout);

	while (!stop_requested) {
		n = tcpstate_ring_drain(&r->ring, print_event, w);
		/* One flush per batch keeps a busy ring from costing a write
		 * per line, yet a pipe sees each batch without delay.
		 */
		if (fflush(stdout) == EOF) {
			fprintf(stderr, PROG ": writing output: %s\n",
				strerror(errno));
			return EXIT_FAILURE;
		}
		if (n < 0) {
			fprintf(stderr, PROG ": corrupt record in the ring: %s\n",
				strerror((int)-n));
			return EXIT_FAILURE;
		}
		report_drops(&r->ring, &drops_reported);
		if (w->limit && w->printed >= w->limit)
			break;
		if (status_tick(st, r->fd, path, WAIT_TIMEOUT_MS, &timeout_ms))
			return EXIT_FAILURE;

		rc = tcpstate_reader_wait(r, timeout_ms);
		if (rc < 0) {
			fprintf(stderr, PROG ": waiting for events: %s\n",
				strerror(-rc));
			return EXIT_FAILURE;
		}
	}
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct tcpstate_reader reader;
	struct options opts;
	struct status st;
	struct watch w;
	char err[256];
	__u64 dropped;
	int status;
	int rc;

	status = parse_options(argc, argv, &opts);
	if (status >= 0)
		return status;
	if (opts.counters)
		return print_counters(&opts);

	rc = install_signal_handlers();
	if (rc) {
		fprintf(stderr, PROG ": sigaction: %s\n", strerror(-rc));
		return EXIT_FAILURE;
	}

	rc = tcpstate_reader_open(&reader, opts.device, err, sizeof(err));
	if (rc) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_FAILURE;
	}
	/* Before the header: scripts take the header as "ready", and an
	 * old module should fail -i before that, not after.
	 */
	if (status_start(&st, reader.fd, opts.device, opts.interval_ms)) {
		tcpstate_reader_close(&reader);
		return EXIT_FAILURE;
	}

	memset(&w, 0, sizeof(w));
	w.limit = opts.count;
	/* Measured once: events carry CLOCK_MONOTONIC times, and a later
	 * clock step should not reorder the printed times.
	 */
	w.mono_to_real_ns = tcpstate_mono_to_real_ns();

	status = watch(&reader, &w, &st, opts.device);

	tcpstate_ring_stats(&reader.ring, NULL, &dropped);
	fprintf(stderr, PROG ": %llu events, %llu dropped\n", w.printed,
		(unsigned long long)dropped);
	tcpstate_reader_close(&reader);
	return status;
}
