// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch: TCP connections as the sequences of the TCP state
 * diagram (handshakes, teardowns and their failures, with the time each
 * step took), or one line per event (-e), from the tcpstate.ko ring; or
 * the per-netns counters (--counters), or those as a Prometheus textfile
 * (--prometheus, prometheus.c), or count the gauges again (--reseed), or
 * the live per-listener and TIME_WAIT view (--top: top.c, its loop in
 * top_view.c, sockdiag.c). This file is the main loop; the data path,
 * one file per step:
 *
 *   ring_reader.c       the ring: map /dev/tcpstate, drain its records
 *   owner.c             who owns each socket: process, uid, cgroup
 *   filter.c            which events and sequences to show
 *   sequence.c          the engine: connections, followed from id to id
 *   sequence_events.c   ... what each event does to them
 *   event_output.c      an event as a text or JSON line (-e)
 *   sequence_output.c   a sequence as a text or JSON line
 *   summary.c           --summary
 *
 * with names.c (every number -> name table), textbuf.c (the string
 * builder the outputs share), cli.c (the options, --help), status.c (the
 * -i status line), clock.c and prometheus.c beside them.
 *
 * Exit status: 0 on a clean stop (signal, -c or --duration reached) or
 * after --counters or --reseed, 1 on a runtime error, 2 on a usage error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "event_output.h"
#include "filter.h"
#include "names.h"
#include "owner.h"
#include "prometheus.h"
#include "ring_reader.h"
#include "sequence.h"
#include "ladder.h"
#include "sequence_output.h"
#include "status.h"
#include "summary.h"
#include "textbuf.h"
#include "top.h"

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
	struct ladder *ladder;		/* --ladder, else NULL */
};

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
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

/*
 * @line as puts() writes it, @n its length from the out_* function that
 * built it (-ENOSPC: cut, NUL-terminated all the same): its newline in
 * place of the NUL, one copy, no strlen().
 */
static void put_line(char *line, int n)
{
	size_t len = n < 0 ? strlen(line) : (size_t)n;

	line[len] = '\n';
	fwrite(line, 1, len + 1, stdout);
}

/* Called by the engine for each completed phase. */
static void on_record(const struct seq_record *rec, void *arg)
{
	struct watch *w = arg;
	char line[OUT_LINE_MAX];
	int n;

	/* Without a filter every record passes: not worth a call. */
	if (w->filtering && !filter_record(w->filter, rec, w->out.owners))
		return;
	/* -c counts what is shown; the summary sums up the same. */
	if (!w->events_view && limit_reached(w) && !w->flushing)
		return;
	if (w->summary)
		summary_add(w->summary, rec);
	if (w->events_view)
		return;
	if (w->ladder) {
		ladder_add(w->ladder, rec);
		if (!w->flushing)
			w->shown++;
		return;
	}
	if (w->json)
		n = out_seq_json(line, sizeof(line), rec, &w->out);
	else
		n = out_seq_text(line, sizeof(line), rec, &w->out);
	put_line(line, n);
	if (!w->flushing)
		w->shown++;
}

/* A ladder drawn (ladder.h), and a blank line after it. */
static void on_ladder(const char *text, void *arg)
{
	(void)arg;
	fputs(text, stdout);
	putchar('\n');
}

static int on_event(const struct tcpstate_event *ev, void *arg)
{
	struct watch *w = arg;
	char line[OUT_LINE_MAX];
	int n;

	w->read++;
	/* Before anything is printed: the lines show what it teaches. */
	if (w->out.owners)
		owner_feed(w->out.owners, ev);
	if (w->events_view &&
	    (!w->filtering || filter_event(w->filter, ev, w->out.owners))) {
		if (w->json)
			n = out_event_json(line, sizeof(line), ev, &w->out);
		else
			n = out_event_text(line, sizeof(line), ev, &w->out);
		put_line(line, n);
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

/*
 * Counters @first to @last (those both this reader and the module know:
 * an older module fills fewer, nr, and a newer one's extra counters have
 * no name here; /proc/net/tcpstate shows them) as "name value" lines, or
 * with @json as one object: {"netns":N,"name":value,...,"gauges_exact":B},
 * gauges_exact false while probes_missed_since_seed is not 0.
 */
static int write_counters(const struct tcpstate_counters *c,
			  unsigned int first, unsigned int last, int json)
{
	unsigned int i, n = c->nr < TCPSTATE_NR_COUNTERS ? c->nr :
			    TCPSTATE_NR_COUNTERS;

	if (json)
		printf("{\"netns\":%u", c->netns);
	for (i = first; i < n && i <= last; i++)
		printf(json ? ",\"%s\":%llu" : "%s %llu\n",
		       tcpstate_counter_name(i),
		       (unsigned long long)c->value[i]);
	if (json)
		printf(",\"gauges_exact\":%s}\n",
		       counters_missed_since_seed(c) ? "false" : "true");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, PROG ": writing output: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/*
 * The device opened, its ABI checked, not mapped: for what needs only its
 * ioctls. Returns the fd, or -1 (explained on stderr).
 */
static int open_device(const struct options *opts)
{
	struct tcpstate_info info;
	char err[256];
	int fd = tcpstate_device_open(opts->device, &info, err, sizeof(err));

	if (fd < 0)
		fprintf(stderr, PROG ": %s\n", err);
	return fd;
}

/*
 * --counters: the device is only opened, never mapped, so this works while
 * another reader holds the ring. Missed probes since the last count of
 * the gauges get the one warning on stderr.
 */
static int print_counters(const struct options *opts)
{
	struct tcpstate_counters c;
	struct status st;
	int fd, rc;

	fd = open_device(opts);
	if (fd < 0)
		return EXIT_FAILURE;
	rc = tcpstate_counters_read(fd, &c);
	close(fd);
	if (rc) {
		status_counters_failed(opts->device, rc, "");
		return EXIT_FAILURE;
	}
	rc = write_counters(&c, 0, TCPSTATE_NR_COUNTERS - 1, opts->json);
	/* After the counters: stdout stays the counters alone. */
	memset(&st, 0, sizeof(st));
	status_note_missed(&st, &c);
	return rc;
}

/* Why TCPSTATE_IOC_RESEED failed with @rc on @path, on stderr. */
static void reseed_failed(const char *path, int rc)
{
	switch (rc) {
	case -ENOTTY:
		fprintf(stderr,
			PROG ": %s: this tcpstate.ko predates --reseed (no TCPSTATE_IOC_RESEED): load a newer module, or reload this one to count the gauges again\n",
			path);
		break;
	case -EPERM:
		fprintf(stderr,
			PROG ": %s: --reseed needs CAP_NET_ADMIN: run it as root\n",
			path);
		break;
	case -EBUSY:
		fprintf(stderr,
			PROG ": %s: another count of the gauges is running: try again\n",
			path);
		break;
	default:
		fprintf(stderr, PROG ": %s: TCPSTATE_IOC_RESEED: %s\n", path,
			strerror(-rc));
		break;
	}
}

/*
 * --reseed: the module counts the SYN_RECV and TIME_WAIT gauges again from
 * the kernel's hash tables (every namespace) and sets
 * probes_missed_since_seed to 0; then this namespace's gauges, and
 * probes_missed_since_seed, as --counters prints them. Like --counters,
 * the ring is not taken.
 */
static int reseed(const struct options *opts)
{
	struct tcpstate_counters c;
	int fd, rc;

	fd = open_device(opts);
	if (fd < 0)
		return EXIT_FAILURE;
	rc = tcpstate_reseed(fd);
	if (rc) {
		close(fd);
		reseed_failed(opts->device, rc);
		return EXIT_FAILURE;
	}
	rc = tcpstate_counters_read(fd, &c);
	close(fd);
	if (rc) {
		status_counters_failed(opts->device, rc, "");
		return EXIT_FAILURE;
	}
	if (opts->json)
		return write_counters(&c, TCPSTATE_C_SYN_RECV,
				      TCPSTATE_C_TIME_WAIT, 1);
	rc = write_counters(&c, TCPSTATE_C_SYN_RECV, TCPSTATE_C_TIME_WAIT, 0);
	if (rc == EXIT_SUCCESS && c.nr > TCPSTATE_C_PROBES_MISSED_SINCE_SEED)
		rc = write_counters(&c, TCPSTATE_C_PROBES_MISSED_SINCE_SEED,
				    TCPSTATE_C_PROBES_MISSED_SINCE_SEED, 0);
	return rc;
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
 * Stdout into a file or a pipe: a buffer of 64 KiB rather than stdio's
 * st_blksize (4 KiB for a pipe or /dev/null), so that a busy ring costs a
 * write per 64 KiB of lines, not per 4 KiB (each a system call, dear
 * under emulation); watch() still flushes once per batch, so a pipe sees
 * each batch as soon as it is read. A terminal keeps its line buffering.
 */
static void buffer_output(void)
{
	static char buf[64 * 1024];

	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
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
		deadline = clock_mono_ns() + opts->duration_ms * NSEC_PER_MSEC;

	while (!stop_requested) {
		/*
		 * Closes held for an RST that did not come, and ladders
		 * whose other end did not show, wait no longer than this:
		 * read before the drain, which sees every event reserved
		 * before it. Read after, it would release a close whose RST
		 * came in after the drain's start, on a drain that took
		 * longer than the wait (a busy ring, an emulated CPU).
		 */
		const __u64 drain_start = clock_mono_ns();

		n = tcpstate_ring_drain(&r->ring, on_event, w);
		if (w->engine)
			seq_tick(w->engine, drain_start);
		if (w->ladder)
			ladder_tick(w->ladder, drain_start);
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
		if (deadline && clock_mono_ns() >= deadline)
			break;
		if (status_tick(st, r->fd, opts->device,
				batching ? (int)opts->latency_ms :
					   WAIT_TIMEOUT_MS, &timeout_ms))
			return EXIT_FAILURE;
		if (deadline)
			timeout_ms = clock_ms_until(clock_mono_ns(), deadline,
						    timeout_ms);

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
		out_event_header(line, sizeof(line), &w->out);
	else if (w->ladder)
		snprintf(line, sizeof(line),
			 "LADDER: client left, server right, seq/ack as tcpdump -S prints them");
	else
		out_seq_header(line, sizeof(line), &w->out);
	puts(line);
}

/* --flush and --summary, once the stream has stopped. */
static int finish(struct watch *w, const struct options *opts, __u64 dropped)
{
	struct summary_run run;
	struct seq_stats st;

	/* Held closes are complete records: out with them. */
	if (w->engine)
		seq_tick(w->engine, SEQ_NONE);
	if (w->engine && opts->flush) {
		w->flushing = 1;
		seq_flush(w->engine);
	}
	if (w->ladder)
		ladder_flush(w->ladder);
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

	status = cli_parse(argc, argv, &opts);
	if (status >= 0)
		return status;
	if (opts.top)
		return top_run(&opts);
	if (opts.prometheus)
		return export_prometheus(&opts);
	if (opts.counters)
		return print_counters(&opts);
	if (opts.reseed)
		return reseed(&opts);
	/* Before anything is written to stdout, as setvbuf() wants. */
	buffer_output();

	memset(&w, 0, sizeof(w));
	w.filter = &opts.filter;
	w.filtering = filter_active(&opts.filter);
	w.events_view = opts.events;
	w.json = opts.json;
	w.limit = opts.count;
	w.out.endpoint_width = opts.wide ? TCPSTATE_COL_ENDPOINT_WIDE :
					   TCPSTATE_COL_ENDPOINT;
	w.out.timestamps = opts.timestamps;
	w.out.who = opts.who;
	/*
	 * Only where an owner is shown or filtered on: JSON always has the
	 * keys; a text line only with --who. Two ids per connection
	 * followed (its full socket and its request or timewait sock).
	 */
	if (opts.who || opts.json || filter_needs_owners(&opts.filter)) {
		w.out.owners = owner_new(2 * opts.max_conns);
		if (!w.out.owners) {
			fprintf(stderr, PROG ": out of memory for %lu connections' owners (--max-conns)\n",
				opts.max_conns);
			return EXIT_FAILURE;
		}
	}
	if (opts.summary) {
		w.summary = summary_new();
		if (!w.summary) {
			fprintf(stderr, PROG ": out of memory\n");
			return EXIT_FAILURE;
		}
	}
	if (opts.ladder) {
		w.ladder = ladder_new(&w.out, on_ladder, &w);
		if (!w.ladder) {
			fprintf(stderr, PROG ": out of memory\n");
			summary_free(w.summary);
			return EXIT_FAILURE;
		}
	}
	if (!opts.events || opts.summary) {
		w.engine = seq_new(opts.max_conns, on_record, &w);
		if (!w.engine) {
			fprintf(stderr, PROG ": out of memory for %lu connections (--max-conns)\n",
				opts.max_conns);
			summary_free(w.summary);
			ladder_free(w.ladder);
			owner_free(w.out.owners);
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
	if (status_start(&st, reader.fd, opts.device, opts.interval_ms,
			 opts.json)) {
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
	ladder_free(w.ladder);
	summary_free(w.summary);
	owner_free(w.out.owners);
	return status;
}
