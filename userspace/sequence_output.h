/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sequences as text and JSON, side by side: one line per record of the
 * engine (sequence.h).
 *
 * Text, one line per record, fixed columns (TIME only with -T;
 * LOCAL and REMOTE 47 wide with -w):
 *
 * TIME            KIND               SIDE   NETNS      LOCAL                 REMOTE                DURATION  PATH
 * 12:01:02.123456 active_open        client 4026531840 127.0.0.1:49008       127.0.0.1:8080        1.20ms    SYN_SENT 1.20ms -> ESTABLISHED
 *
 * With --who, PID and COMM columns come before PATH (owner.h: the
 * process that acted on the socket, "-" when not known).
 *
 * DURATION is the phase's own time (see struct seq_record @duration_ns),
 * "-" when not measured. PATH is the states the phase went through, each
 * but the last with the time spent in it ("?": not seen), "..." for steps
 * not seen, "-" for a record without states (syn_dropped, syn_cookie);
 * then, as they apply, in this order:
 *
 *   retrans=N          SYN-ACK retransmits of its request sock
 *   ack_drops=N        third ACKs dropped on a full accept queue
 *   req=none           passive_open made without a request sock seen
 *                      (SYN cookie, TCP Fast Open, or its events lost)
 *   acceptq=Q/MAX      the accept queue (passive_open: when it joined)
 *   synq=Q/MAX         the SYN queue (when the request sock joined it)
 *   reason=R           why it ended, as the kernel said
 *   substate=S         the timewait sock's substate when it ended
 *   cause=C            why it ended, from the kernel's word: refused,
 *                      timed_out, unreachable, reset_by_peer,
 *                      reset_by_us, aborted (none: an orderly end)
 *   err=E              the socket's error at the end (ECONNREFUSED...)
 *   rst_reason=R       reset_by_us: why the kernel sent the RST
 *   uid=U cgroup=P     --who: the socket's owner (cgroup_id=N when its
 *                      path is not found)
 *   missing=A,B        what the stream did not show: start, gap, lost,
 *                      end, steps
 *
 * JSON: one object per line, every key always present (null when it does
 * not apply), documented in tcpstate-watch(8). Numbers are plain decimal;
 * socket ids are 16 hex digits in a string, as 64-bit values do not
 * survive every JSON parser.
 */
#ifndef TCPSTATE_SEQUENCE_OUTPUT_H
#define TCPSTATE_SEQUENCE_OUTPUT_H

#include <stddef.h>

#include "sequence.h"
#include "tcpstate.h"
#include "textbuf.h"

#define OUT_COL_KIND	18	/* simultaneous_close */
#define OUT_COL_SIDE	6
#define OUT_COL_DURATION	9

/*
 * Each writes a NUL-terminated string into @buf (@len bytes) and returns
 * its length, or -ENOSPC (textbuf.h's overflow rule).
 */

/*
 * A duration: 812ns, 40.1us, 1.20ms, 60.000s (truncated, not rounded);
 * SEQ_NONE as @none.
 */
int out_duration(char *buf, size_t len, __u64 ns, const char *none);

/* The sequence view's header line. */
int out_seq_header(char *buf, size_t len, const struct out_opts *o);

/* One record as a text line. */
int out_seq_text(char *buf, size_t len, const struct seq_record *rec,
		 const struct out_opts *o);

/* One record as a JSON object, "type":"sequence". */
int out_seq_json(char *buf, size_t len, const struct seq_record *rec,
		 const struct out_opts *o);

/*
 * "start", "gap", "lost", "end", "steps": the name of SEQ_MISS_* bit
 * @bit; NULL for anything else.
 */
const char *out_missing_name(unsigned int bit);

#endif /* TCPSTATE_SEQUENCE_OUTPUT_H */
