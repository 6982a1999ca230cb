// SPDX-License-Identifier: GPL-2.0
/*
 * The counters for Prometheus: exposition text, its atomic file, and the
 * loop of tcpstate-watch --prometheus. See prometheus.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "names.h"
#include "prometheus.h"
#include "ring_reader.h"

#define PROM_PREFIX	"tcpstate_"
/* The longest sleep between two looks at the stop flag. */
#define PROM_WAIT_MAX_MS 1000ULL

/*
 * HELP texts, indexed by enum tcpstate_counter (README's "Counters and
 * their ground truth"). Designated initializers: a counter added to the
 * enum without a line here has none, which prometheus_test catches.
 */
static const char *const help_text[TCPSTATE_NR_COUNTERS] = {
	[TCPSTATE_C_SYN_RECV] =
		"Request socks in SYN queues now (half-open connections).",
	[TCPSTATE_C_TIME_WAIT] =
		"Timewait socks now (TIME_WAIT, and orphaned FIN_WAIT2).",
	[TCPSTATE_C_SYN_QUEUE_ADDED] =
		"Request socks added to a SYN queue.",
	[TCPSTATE_C_SYN_QUEUE_COMPLETED] =
		"Request socks that left a SYN queue as a connection (Tcp PassiveOpens).",
	[TCPSTATE_C_SYN_QUEUE_EXPIRED] =
		"Request socks that left a SYN queue when their SYN-ACK retries ran out.",
	[TCPSTATE_C_SYN_QUEUE_DROPPED] =
		"Request socks that left a SYN queue reset, dropped, or with their listener.",
	[TCPSTATE_C_SYN_QUEUE_MIGRATED] =
		"Request socks that moved to another SO_REUSEPORT listener.",
	[TCPSTATE_C_SYNACK_RETRANS] =
		"SYN-ACK retransmits.",
	[TCPSTATE_C_ACCEPT_QUEUED] =
		"Connections added to an accept queue.",
	[TCPSTATE_C_ACCEPT_OVERFLOWS] =
		"SYNs and third ACKs dropped on a full accept queue (TcpExt ListenOverflows).",
	[TCPSTATE_C_LISTEN_DROPS] =
		"SYNs and third ACKs a listener dropped, for any reason (TcpExt ListenDrops).",
	[TCPSTATE_C_SYN_QUEUE_FULL_DROPS] =
		"SYNs dropped on a full SYN queue, SYN cookies off (TcpExt TCPReqQFullDrop).",
	[TCPSTATE_C_SYNCOOKIES_SENT] =
		"SYN cookies sent (TcpExt SyncookiesSent).",
	[TCPSTATE_C_TIMEWAIT_CREATED] =
		"Timewait socks created.",
	[TCPSTATE_C_TIMEWAIT_EXPIRED] =
		"Timewait socks whose timer ran out.",
	[TCPSTATE_C_TIMEWAIT_ENDED_EARLY] =
		"Timewait socks reused, reset, or purged with their network namespace.",
	[TCPSTATE_C_RING_DROPS] =
		"Events of this network namespace dropped by a full ring.",
	[TCPSTATE_C_PROBES_MISSED] =
		"Kprobe hits tcpstate missed since it loaded, all namespaces (sum of every hook's nmissed).",
	[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] =
		"Kprobe hits missed since the gauges were last counted; not 0: the gauges may be inexact (tcpstate-watch --reseed).",
	[TCPSTATE_C_RSTS_SENT] =
		"RSTs this host sent (Tcp OutRsts).",
	[TCPSTATE_C_RSTS_RECEIVED] =
		"RSTs sockets accepted from their peer.",
	[TCPSTATE_C_RSTS_NO_SOCKET] =
		"RSTs sent answering a segment that found no socket (a closed port).",
};

static const char max_tw_help[] =
	"The most timewait socks this network namespace keeps (net.ipv4.tcp_max_tw_buckets); beyond it, connections close without TIME_WAIT.";

/*
 * Gauges: what exists now. probes_missed_since_seed stays a counter: a
 * reseed setting it back to 0 is a counter reset, as a reload is for the
 * others, which rate() and increase() take in their stride.
 */
int prom_is_gauge(unsigned int idx)
{
	return idx == TCPSTATE_C_SYN_RECV || idx == TCPSTATE_C_TIME_WAIT;
}

int prom_metric_name(unsigned int idx, char *buf, size_t len)
{
	const char *name = tcpstate_counter_name(idx);
	int n;

	if (!name)
		return -ENOENT;
	n = snprintf(buf, len, PROM_PREFIX "%s%s", name,
		     prom_is_gauge(idx) ? "" : "_total");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

long long prom_read_max_tw_buckets(const char *path)
{
	char buf[32], *end;
	long long v;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || v > INT_MAX || (*end && strcmp(end, "\n")))
		return -EINVAL;
	return v;
}

const char *prom_help(unsigned int idx)
{
	if (idx >= TCPSTATE_NR_COUNTERS || !tcpstate_counter_name(idx))
		return NULL;
	return help_text[idx];
}

long prom_format(char *buf, size_t len, const struct tcpstate_counters *c,
		 long long max_tw_buckets)
{
	unsigned int i, n = c->nr < TCPSTATE_NR_COUNTERS ? c->nr :
			    TCPSTATE_NR_COUNTERS;
	char name[64];
	size_t used = 0;
	int w;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (prom_metric_name(i, name, sizeof(name)) < 0 || !prom_help(i))
			continue;
		w = snprintf(buf + used, len - used,
			     "# HELP %s %s\n# TYPE %s %s\n%s{netns=\"%u\"} %llu\n",
			     name, prom_help(i), name,
			     prom_is_gauge(i) ? "gauge" : "counter", name,
			     c->netns, (unsigned long long)c->value[i]);
		if (w < 0 || (size_t)w >= len - used) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		used += (size_t)w;
	}
	if (max_tw_buckets < 0)
		return (long)used;
	w = snprintf(buf + used, len - used,
		     "# HELP %s %s\n# TYPE %s gauge\n%s{netns=\"%u\"} %lld\n",
		     PROM_MAX_TW_BUCKETS_METRIC, max_tw_help,
		     PROM_MAX_TW_BUCKETS_METRIC, PROM_MAX_TW_BUCKETS_METRIC,
		     c->netns, max_tw_buckets);
	if (w < 0 || (size_t)w >= len - used) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	return (long)(used + (size_t)w);
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int prom_write_file(const char *path, const struct tcpstate_counters *c)
{
	char text[PROM_TEXT_MAX], tmp[PATH_MAX];
	long len = prom_format(text, sizeof(text), c,
			       prom_read_max_tw_buckets(PROM_MAX_TW_BUCKETS_PATH));
	int fd, n, rc;

	if (len < 0)
		return (int)len;
	if (!strcmp(path, "-"))
		return write_all(STDOUT_FILENO, text, (size_t)len);
	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	/* O_NOFOLLOW: a textfile directory may be writable by others. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	/* Whatever the umask: node_exporter reads it as its own user. */
	rc = fchmod(fd, 0644) ? -errno : 0;
	if (!rc)
		rc = write_all(fd, text, (size_t)len);
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int prom_read_device(const char *device, struct tcpstate_counters *c,
		     char *err, size_t errlen)
{
	struct tcpstate_info info;
	int fd, rc;

	fd = tcpstate_device_open(device, &info, err, errlen);
	if (fd < 0)
		return fd;
	rc = tcpstate_counters_read(fd, c);
	close(fd);
	if (rc == -ENOTTY)
		snprintf(err, errlen,
			 "%s: tcpstate.ko is older than this reader: it has no counters (TCPSTATE_IOC_GET_COUNTERS): load a newer module",
			 device);
	else if (rc == -EPROTO)
		snprintf(err, errlen,
			 "%s: TCPSTATE_IOC_GET_COUNTERS: module reports more than %u counters",
			 device, TCPSTATE_MAX_COUNTERS);
	else if (rc)
		snprintf(err, errlen, "%s: TCPSTATE_IOC_GET_COUNTERS: %s",
			 device, strerror(-rc));
	return rc;
}

/* Sleep until @deadline (CLOCK_MONOTONIC ns) or *stop, whichever first. */
static void wait_until(unsigned long long deadline,
		       volatile sig_atomic_t *stop)
{
	unsigned long long now, ns;
	struct timespec ts;

	while (!*stop && (now = clock_mono_ns()) < deadline) {
		ns = deadline - now;
		if (ns > PROM_WAIT_MAX_MS * NSEC_PER_MSEC)
			ns = PROM_WAIT_MAX_MS * NSEC_PER_MSEC;
		ts.tv_sec = (time_t)(ns / NSEC_PER_SEC);
		ts.tv_nsec = (long)(ns % NSEC_PER_SEC);
		/* A signal ends it early (EINTR): the loop looks at *stop. */
		nanosleep(&ts, NULL);
	}
}

int prom_export_run(const struct prom_export *e)
{
	unsigned long long interval_ns = e->interval_ms * NSEC_PER_MSEC;
	unsigned long long next;
	struct tcpstate_counters c;
	int read_failing = 0, write_failing = 0, rc;
	char err[512];

	snprintf(err, sizeof(err), "reading the counters failed");
	rc = e->read(&c, err, sizeof(err), e->read_arg);
	if (rc) {
		fprintf(stderr, PROG ": %s\n", err);
		return EXIT_FAILURE;
	}
	rc = prom_write_file(e->path, &c);
	if (rc) {
		fprintf(stderr, PROG ": --prometheus %s: %s\n", e->path,
			strerror(-rc));
		return EXIT_FAILURE;
	}
	if (!e->interval_ms)
		return EXIT_SUCCESS;

	next = clock_mono_ns() + interval_ns;
	for (;;) {
		wait_until(next, e->stop);
		if (*e->stop)
			break;
		next = clock_next_tick(next, clock_mono_ns(), interval_ns);

		snprintf(err, sizeof(err), "reading the counters failed");
		rc = e->read(&c, err, sizeof(err), e->read_arg);
		if (rc) {
			if (!read_failing) {
				unlink(e->path);
				fprintf(stderr,
					PROG ": %s: removed %s until the counters can be read again\n",
					err, e->path);
			}
			read_failing = 1;
			continue;
		}
		if (read_failing)
			fprintf(stderr, PROG ": counters readable again\n");
		read_failing = 0;
		rc = prom_write_file(e->path, &c);
		if (rc && !write_failing)
			fprintf(stderr,
				PROG ": --prometheus %s: %s: keeping the last file, trying again every interval\n",
				e->path, strerror(-rc));
		else if (!rc && write_failing)
			fprintf(stderr, PROG ": --prometheus %s: written again\n",
				e->path);
		write_failing = rc != 0;
	}
	return EXIT_SUCCESS;
}
