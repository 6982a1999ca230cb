/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --top: which listener, which peer. A live view of this network
 * namespace, refreshed every interval (-i, default 1 s): full screen on a
 * terminal (top_screen.c), or with -b/--batch the same frames as text on
 * stdout, one after the other, for scripts and tests (-c N frames).
 *
 * Where each figure comes from:
 *
 *   - the namespace line: the module's counters (TCPSTATE_IOC_GET_COUNTERS),
 *     rates over the interval, like the -i status line;
 *   - per listener: the ring's SYN queue events (SYN_RECV, SYN_RECV_END,
 *     SYNACK_RETRANS, ACCEPT_QUEUED, ACK_DROP, SYN_DROP, SYNCOOKIE_SENT),
 *     grouped by the listener they name (@peer_id). The SYN queue now is
 *     the qlen the listener's latest such event gave (the kernel's own
 *     count as the event left it), and before the first event the request
 *     socks sock_diag listed at start; the accept queue now/max is the
 *     kernel's own (sk_ack_backlog / sk_max_ack_backlog, sock_diag, read
 *     every refresh: accept() dequeues are no event);
 *   - TIME_WAIT: timewait socks in substate TIME_WAIT (what
 *     `ss state time-wait` lists), listed from sock_diag at start (age =
 *     TCP_TIMEWAIT_LEN - time left) and after any ring drop, then followed
 *     by tuple from the TIMEWAIT, TIMEWAIT_SUBSTATE and TIMEWAIT_END
 *     events.
 *
 * A frame, as -b prints it (columns separated by blanks; a table whose
 * rows do not fit the screen is cut, -b prints every row; frames are
 * separated by one empty line):
 *
 *   tcpstate top HH:MM:SS netns INODE interval 1.0s frame N
 *   SYN_RECV G TIME_WAIT G | ring drops D
 *   per second: R syn R handshakes R overflows
 *   ports LO-HI (N) tw_reuse V max_tw_buckets V
 *   <empty>
 *   LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOKIES  HS_P50  HS_P99
 *   ADDR:PORT                 Q/M       R       R       N       N     DUR     DUR
 *   <empty>
 *   LISTENER               ACCQ/MAX OVERFLOWS   DROPS OWNER
 *   ADDR:PORT                 Q/M         N       N PID/COMM or uid=N, or -
 *   <empty>
 *   TIME_WAIT REMOTE         COUNT  OLDEST  NEWEST  USE%
 *   ADDR:PORT                    N   AGE     AGE   P.P
 *   <empty>
 *   TIME_WAIT LOCAL PORT     COUNT  OLDEST  NEWEST
 *   PORT                         N   AGE     AGE
 *
 * G: gauges now (syn_recv, time_wait counters); D: ring_drops; the line
 * ends with " | GAUGES INEXACT (--reseed)" while probes_missed_since_seed
 * is not 0. R: per second over the interval, one decimal (syn:
 * syn_queue_added; handshakes: SYN_SENT or SYN_RECV -> ESTABLISHED
 * events; overflows: accept_overflows). ADDR:PORT as the listener is bound (0.0.0.0:80, [::]:80,
 * IPv4-mapped IPv6 addresses shown as IPv4). Listener rows: one per bound
 * address and port (SO_REUSEPORT listeners on the same one share a row,
 * their queues summed), sorted by SYN/s, then SYN queue, then port;
 * SYN/s: SYNs the listener answered or dropped (SYN_RECV + SYNCOOKIE_SENT
 * + SYN_DROP); RTX/s: SYN-ACK retransmits; EXPIRED, COOKIES, OVERFLOWS
 * (SYN or third ACK dropped, accept queue full), DROPS (every listen drop)
 * count since the view started; HS_P50/HS_P99: SYN to third ACK (the
 * request sock's time in the SYN queue) of handshakes completed since the
 * view started, "-" for none. The TIME_WAIT tables split the timewait
 * socks in two: those whose local port lies in ip_local_port_range
 * (connections this host opened: connect() picks such ports) are the
 * TIME_WAIT REMOTE rows, grouped by remote address and port, sorted by
 * COUNT, and USE% is COUNT of the range's size, one decimal (how near
 * connect()s to that destination are to running out of ports); the
 * others (connections to this host's services) are the TIME_WAIT LOCAL
 * PORT rows, grouped by local port, sorted by COUNT. OLDEST/NEWEST: the
 * ages of the group's oldest and newest.
 * AGE/DUR: at most 6 characters, three significant digits (truncated):
 * 812ns, 40.1us, 1.20ms, 241ms, 59.8s, 241s, then whole minutes (16m)
 * and hours (25h). On a screen of too few rows for a blank line before
 * each table and a row of each, the blank lines go; a cut table's last
 * row is "... N more" (N: the rows not shown), and every table that has
 * rows shows at least that one.
 */
#ifndef TCPSTATE_TOP_H
#define TCPSTATE_TOP_H

#include <stddef.h>
#include <stdio.h>

#include "sockdiag.h"
#include "tcpstate.h"

/* Default refresh interval, ms. */
#define TOP_DEFAULT_INTERVAL_MS	1000ULL

struct top;

/* What a frame needs besides the events. */
struct top_sources {
	/* The namespace's counters now; 0 or -errno. */
	int (*read_counters)(struct tcpstate_counters *c, void *arg);
	void *arg;
	/* The kernel's list of sockets: NULL for sockdiag_dump(). */
	int (*dump)(unsigned int states,
		    int (*cb)(const struct sockdiag_sock *s, void *arg),
		    void *arg);
};

/*
 * A view of the caller's network namespace: lists listeners, request and
 * timewait socks through sock_diag (the seed). Returns NULL and sets
 * errno (explained in @err) on failure.
 */
struct top *top_new(const struct top_sources *src, char *err, size_t errlen);
void top_free(struct top *t);

/* Learn from one event of the ring (any type; others are ignored). */
void top_feed(struct top *t, const struct tcpstate_event *ev);

/* The ring dropped events: list the TIME_WAIT socks again. */
void top_note_loss(struct top *t);

/*
 * Take this interval's readings at @now_ns (CLOCK_MONOTONIC): counters,
 * listeners' accept queues, rates since the last frame. Returns 0 or
 * -errno (the counters could not be read).
 */
int top_refresh(struct top *t, unsigned long long now_ns);

/*
 * The frame as text, at most @max_rows lines (0: no limit, every row of
 * every table) each cut to @cols columns (0: not cut), into @out.
 * Returns 0 or -errno.
 */
int top_print(struct top *t, FILE *out, unsigned int cols,
	      unsigned int max_rows);

struct options;

/*
 * --top (cli.h's @top, @batch, @interval_ms, @count, @duration_ms,
 * @device): the whole run. Returns the exit status.
 */
int top_run(const struct options *opts);

#endif /* TCPSTATE_TOP_H */
