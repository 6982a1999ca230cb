/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcpstate-watch's command line: the options, their checks, --help and
 * --version. --help fits a screen; tcpstate-watch(8) (tcpstate-watch.8)
 * has every option, column and JSON key in full.
 */
#ifndef TCPSTATE_CLI_H
#define TCPSTATE_CLI_H

#include "filter.h"

#ifndef TCPSTATE_WATCH_VERSION
#define TCPSTATE_WATCH_VERSION "0.2.0"
#endif

/* The name every message starts with. */
#define PROG "tcpstate-watch"

#define EXIT_USAGE	2

/*
 * The longest poll() of the main loop: long enough to notice drops and
 * signals promptly, short enough not to wake an idle machine often.
 */
#define WAIT_TIMEOUT_MS	1000

struct options {
	const char *device;
	unsigned long long count;	/* 0: no limit */
	unsigned long long interval_ms;	/* 0: no status lines */
	int interval_set;		/* -i given (--prometheus: period) */
	unsigned long long duration_ms;	/* 0: no limit */
	unsigned long max_conns;
	unsigned long long latency_ms;	/* --latency; 0: wake per event */
	int counters;			/* --counters: print them and exit */
	int reseed;			/* --reseed: recount the gauges, exit */
	const char *prometheus;		/* --prometheus FILE, or NULL */
	int events;			/* -e */
	int json;			/* -j */
	int timestamps;			/* -T */
	int wide;			/* -w */
	int summary;			/* --summary */
	int flush;			/* --flush */
	int who;			/* --who: the owner columns */
	int ladder;			/* --ladder */
	int top;			/* --top: the live view (top.h) */
	int batch;			/* -b: --top's frames as text */
	int latency_set;		/* --latency given */
	int max_conns_set;		/* --max-conns given */
	struct watch_filter filter;
	/* The first option that only makes sense on a stream, to name it
	 * if --counters comes with it ("" if none).
	 */
	char stream_option[24];
};

/*
 * Fill @opts from the command line. Returns -1 to go on, else the exit
 * status: 0 after --help or --version, EXIT_USAGE after a usage error
 * (explained on stderr).
 */
int cli_parse(int argc, char **argv, struct options *opts);

#endif /* TCPSTATE_CLI_H */
