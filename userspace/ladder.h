/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ladder view (tcpstate-watch --ladder): each connection's handshake
 * and teardown drawn as the TCP articles draw them, client column left,
 * server column right, the segments between them with their numbers as
 * tcpdump -S prints them, the state each side enters beside its column and
 * the time since the step before:
 *
 * -- active_open + passive_open
 * client 127.0.0.1:40000                                   server 127.0.0.1:8080
 * SYN_SENT    -- SYN seq=4000000000 --------------------->
 *             <---------- SYN-ACK seq=77 ack=4000000001 -- SYN_RECV      +10.0us
 * ESTABLISHED -- ACK seq=4000000001 ack=78 -------------->               +10.0us
 *                                                          ESTABLISHED   +12.0us
 *
 * Input is the sequence engine's records (sequence.h), in the order it
 * emits them. When both ends are on this host (loopback, two network
 * namespaces) each end has its own record of the phase, with the mirrored
 * tuple: the two are drawn together, both columns as observed. Otherwise
 * the peer's column is what our own steps imply (the SYN-ACK our
 * ESTABLISHED needed, the FIN our CLOSE_WAIT answered, ...), marked
 * "(inferred)", its rows without times.
 *
 * Pairing waits: a record waits LADDER_PAIR_NS for its mirror, or, for a
 * teardown of a connection already seen from both ends, until the mirror's
 * TIME_WAIT is over (LADDER_TW_WAIT_NS: the active closer's record ends
 * only then). ladder_tick() and ladder_flush() draw what waited enough.
 * Pure: no I/O, no clock; the lines go to a callback.
 */
#ifndef TCPSTATE_LADDER_H
#define TCPSTATE_LADDER_H

#include <stddef.h>

#include "sequence.h"
#include "textbuf.h"

/* Both ends' records of one phase end within this of each other. */
#define LADDER_PAIR_NS		200000000ULL
/* TIME_WAIT (TCP_TIMEWAIT_LEN, 60 s) and some. */
#define LADDER_TW_WAIT_NS	65000000000ULL
/* Records waiting for their mirror at most; the oldest is drawn alone. */
#define LADDER_MAX_PENDING	1024
/* Connections remembered as seen from both ends, for their teardown. */
#define LADDER_MAX_LOCAL	1024

/* Columns of a ladder line: LEFT ARROW RIGHT TIME, 78 in all. */
#define LADDER_COL_STATE	11	/* ESTABLISHED */
#define LADDER_COL_ARROW	44	/* an arrow around the longest label,
					 * SYN-ACK seq=4294967295
					 * ack=4294967295 */
#define LADDER_COL_TIME		9	/* +60.000s */

/* One drawn ladder: lines, each ending in '\n'. */
typedef void (*ladder_emit_fn)(const char *text, void *arg);

struct ladder;

/*
 * A new ladder view drawing with @o (o->timestamps: the wall-clock time in
 * each ladder's title; read at each drawing, so it must outlive the view)
 * into @emit. NULL if memory runs out.
 */
struct ladder *ladder_new(const struct out_opts *o, ladder_emit_fn emit,
			  void *arg);
void ladder_free(struct ladder *l);

/* A record of the engine, as it comes. */
void ladder_add(struct ladder *l, const struct seq_record *rec);

/* Draw alone what waited long enough for its mirror by @now_ns. */
void ladder_tick(struct ladder *l, __u64 now_ns);

/* Draw everything still waiting, alone, oldest first. */
void ladder_flush(struct ladder *l);

/*
 * One ladder into @buf (@len bytes): @a alone (@b NULL), its peer's
 * column inferred, or @a and @b, the two ends' records of one phase.
 * Returns the length or -ENOSPC (textbuf.h's overflow rule).
 */
int ladder_draw(char *buf, size_t len, const struct seq_record *a,
		const struct seq_record *b, const struct out_opts *o);

#endif /* TCPSTATE_LADDER_H */
