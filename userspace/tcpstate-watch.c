// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch: print TCP state changes from the tcpstate.ko ring.
 *
 * Exit status: 0 on a clean stop (signal or -c reached), 1 on a runtime
 * error, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
};

static const char usage_text[] =
"USAGE: " PROG " [-h] [-V] [-d PATH] [-c N]\n"
"\n"
"Print TCP socket state changes as tcpstate.ko reports them.\n"
"\n"
"  -d, --device PATH  ring device to read (default: " TCPSTATE_DEVICE ")\n"
"  -c, --count N      exit after N events\n"
"  -h, --help         show this help and exit\n"
"  -V, --version      show the version and ABI version and exit\n"
"\n"
"EXAMPLES:\n"
"    " PROG "                            # print every TCP state change\n"
"    " PROG " -c 10                      # exit after 10 events\n"
"    " PROG " -d /dev/tcpstate           # read a given device node\n"
"    " PROG " | grep 'ESTABLISHED -> '   # connections leaving ESTABLISHED\n"
"    " PROG " | grep -- '-> CLOSE_WAIT'  # peers closing on us\n";

static const struct option long_options[] = {
	{ "device",  required_argument, NULL, 'd' },
	{ "count",   required_argument, NULL, 'c' },
	{ "help",    no_argument,       NULL, 'h' },
	{ "version", no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Leading ':' makes getopt report a missing argument as ':' and stay
 * quiet, so every usage error gets our wording.
 */
static const char short_options[] = ":d:c:hV";

struct options {
	const char *device;
	unsigned long long count;	/* 0: no limit */
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

/* Returns -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *opts)
{
	int c;

	opts->device = TCPSTATE_DEVICE;
	opts->count = 0;
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
			/* getopt leaves a bad long option in argv[optind - 1];
			 * a bad short one may sit inside a cluster like -xV.
			 */
			if (optopt) {
				char opt[3] = { '-', (char)optopt, '\0' };

				return usage_error("unknown option '%s'", opt);
			}
			return usage_error("unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
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

static int watch(struct tcpstate_reader *r, struct watch *w)
{
	__u64 drops_reported = 0;
	char header[TCPSTATE_LINE_MAX];
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

		rc = tcpstate_reader_wait(r, WAIT_TIMEOUT_MS);
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
	struct watch w;
	char err[256];
	__u64 dropped;
	int status;
	int rc;

	status = parse_options(argc, argv, &opts);
	if (status >= 0)
		return status;

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

	memset(&w, 0, sizeof(w));
	w.limit = opts.count;
	/* Measured once: events carry CLOCK_MONOTONIC times, and a later
	 * clock step should not reorder the printed times.
	 */
	w.mono_to_real_ns = tcpstate_mono_to_real_ns();

	status = watch(&reader, &w);

	tcpstate_ring_stats(&reader.ring, NULL, &dropped);
	fprintf(stderr, PROG ": %llu events, %llu dropped\n", w.printed,
		(unsigned long long)dropped);
	tcpstate_reader_close(&reader);
	return status;
}
