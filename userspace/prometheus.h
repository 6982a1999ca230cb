/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-netns counters in the Prometheus text exposition format
 * (version 0.0.4), written atomically to a file for node_exporter's
 * textfile collector: tcpstate-watch --prometheus FILE.
 *
 * Metric names follow node_exporter's style: "tcpstate_" + the counter's
 * name (/proc/net/tcpstate's), gauges as they are (tcpstate_syn_recv,
 * tcpstate_time_wait), cumulative counters with "_total"
 * (tcpstate_syn_queue_added_total, ...). Each has # HELP and # TYPE lines
 * and one sample labelled netns="INODE". One more gauge is not the module's:
 * tcpstate_tcp_max_tw_buckets, the namespace's net.ipv4.tcp_max_tw_buckets
 * read at each write, the limit tcpstate_time_wait is compared with.
 *
 * The counters are read by opening the device for one ioctl and closing
 * it again: the ring is never taken (another reader may hold it), and no
 * file stays open between two readings (rmmod is refused while one is).
 */
#ifndef TCPSTATE_PROMETHEUS_H
#define TCPSTATE_PROMETHEUS_H

#include <signal.h>
#include <stddef.h>

#include "tcpstate.h"

/* More than the text for TCPSTATE_MAX_COUNTERS counters needs. */
#define PROM_TEXT_MAX		16384
/* Default seconds between two writes of the file. */
#define PROM_DEFAULT_INTERVAL_S	15

/* The sysctl behind tcpstate_tcp_max_tw_buckets. */
#define PROM_MAX_TW_BUCKETS_PATH "/proc/sys/net/ipv4/tcp_max_tw_buckets"
#define PROM_MAX_TW_BUCKETS_METRIC "tcpstate_tcp_max_tw_buckets"

/*
 * The integer in the sysctl file @path (PROM_MAX_TW_BUCKETS_PATH): its
 * value (0 .. INT_MAX), or -errno (-EINVAL if it holds no such number).
 * /proc/sys/net is the reading process's network namespace, the one whose
 * counters it reads.
 */
long long prom_read_max_tw_buckets(const char *path);

/* Whether counter @idx is a gauge (what exists now) rather than a counter. */
int prom_is_gauge(unsigned int idx);

/*
 * The metric name of counter @idx into @buf: "tcpstate_syn_recv",
 * "tcpstate_syn_queue_added_total", ... Returns its length, -ENOENT for
 * an index this reader has no name for, -ENOSPC if @len is too small.
 */
int prom_metric_name(unsigned int idx, char *buf, size_t len);

/* The HELP text of counter @idx; NULL for an index without a name. */
const char *prom_help(unsigned int idx);

/*
 * @c as exposition text into @buf: for each counter both this reader and
 * the module know (the first min(c->nr, TCPSTATE_NR_COUNTERS)), its HELP,
 * TYPE and sample lines; then, if @max_tw_buckets >= 0, those of the gauge
 * tcpstate_tcp_max_tw_buckets with that value (negative: not known, left
 * out). Returns the length (without the NUL), or -ENOSPC if @len is too
 * small (@buf then holds no partial text: "").
 */
long prom_format(char *buf, size_t len, const struct tcpstate_counters *c,
		 long long max_tw_buckets);

/*
 * Write @c's text, with tcpstate_tcp_max_tw_buckets as the sysctl reads now
 * (left out if it cannot be read), to @path atomically: to "@path.tmp.PID" in the same
 * directory, mode 0644 (node_exporter runs as another user), renamed
 * over @path. @path "-" writes to stdout instead. Returns 0 or -errno;
 * on failure no temporary file remains and @path is as it was.
 */
int prom_write_file(const char *path, const struct tcpstate_counters *c);

/*
 * Read the counters from the tcpstate device at @device: open, one
 * TCPSTATE_IOC_GET_COUNTERS, close. Returns 0, or -errno with the reason
 * in @err.
 */
int prom_read_device(const char *device, struct tcpstate_counters *c,
		     char *err, size_t errlen);

/* Reads the counters; 0 or -errno with the reason in @err. */
typedef int (*prom_read_fn)(struct tcpstate_counters *c, char *err,
			    size_t errlen, void *arg);

struct prom_export {
	const char *path;		/* the file, or "-" (only once) */
	unsigned long long interval_ms;	/* 0: write once and return */
	prom_read_fn read;
	void *read_arg;
	/* Set (by a signal handler) to stop; checked at least every
	 * second while waiting.
	 */
	volatile sig_atomic_t *stop;
};

/*
 * Read and write the file, then with an interval do it again every
 * interval_ms (on a fixed grid from the start; after a stall, missed
 * writes are skipped) until *stop. The first reading and writing must
 * succeed: a failure there is reported on stderr and returns 1. Later,
 * a failed reading removes the file (node_exporter must not serve stale
 * values as current) and a failed write leaves the last one; each is said
 * once on stderr, and once more when it recovers. Returns 0 once stopped,
 * leaving the last file in place.
 */
int prom_export_run(const struct prom_export *e);

#endif /* TCPSTATE_PROMETHEUS_H */
