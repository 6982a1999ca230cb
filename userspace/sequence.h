/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Connection sequences: the event stream turned into the phases of the TCP
 * state diagram (handshakes, teardowns and the ways they fail), each with
 * the time its steps took. Pure: no I/O, no clock; fed events in ring
 * order, it calls back once per completed phase. The host tests feed it
 * synthetic streams.
 *
 * A connection can wear up to three socket ids in turn: its request sock
 * (SYN_RECV .. SYN_RECV_END), its full socket (state changes), its
 * timewait sock (TIMEWAIT .. TIMEWAIT_END). SYN_RECV_END completed names
 * the child (peer_id), TIMEWAIT names the full socket it replaces
 * (peer_id): that is how one connection is followed from id to id. An id
 * is reused by the kernel once its socket is freed, so a CLOSE, a
 * SYN_RECV_END or a TIMEWAIT_END ends the id's life here too.
 *
 * Nothing is invented: a step the stream did not show is reported as
 * missing (struct seq_record @missing), a time that was not measured is
 * SEQ_NONE.
 */
#ifndef TCPSTATE_SEQUENCE_H
#define TCPSTATE_SEQUENCE_H

#include <stddef.h>

#include "tcpstate.h"

/* A time or duration that was not measured. */
#define SEQ_NONE		(~0ULL)

/* Default and limits of the tracked-connection cap. */
#define SEQ_DEFAULT_MAX_CONNS	65536UL
#define SEQ_MIN_MAX_CONNS	1UL
#define SEQ_MAX_MAX_CONNS	1048576UL

/*
 * A -> CLOSE of a connection (err 0, no RST seen) that an active reset may
 * follow waits this long for that RST_SENT: the kernel closes first and
 * resets right after, in the same call (tcpstate.h, TCPSTATE_EV_RST_SENT),
 * so only events of other CPUs come between. See seq_tick().
 */
#define SEQ_RST_WAIT_NS		10000000ULL

/*
 * Only for a stream without the kernel's word on the error (no
 * TCPSTATE_VALID_ERR on the -> CLOSE, as before ABI 2): SYN_SENT -> CLOSE
 * within this long of the SYN is taken for connect_refused, later for
 * connect_timeout. Linux retransmits an unanswered SYN after its initial
 * RTO, TCP_TIMEOUT_INIT (1 s), and cannot give up before that.
 */
#define SEQ_REFUSED_MAX_NS	1000000000ULL

/*
 * What a record reports. The names (seq_kind_name()) are the KIND column
 * and the JSON "kind": stable, append only.
 */
enum seq_kind {
	/* handshakes */
	SEQ_ACTIVE_OPEN = 1,	/* client: SYN_SENT -> ESTABLISHED */
	SEQ_PASSIVE_OPEN,	/* server: SYN_RECV (request sock) ->
				 * ESTABLISHED (child) */
	/* failed handshakes */
	SEQ_CONNECT_REFUSED,	/* SYN_SENT -> CLOSE with ECONNREFUSED: an
				 * RST (or ICMP port unreachable) answered
				 * the SYN */
	SEQ_CONNECT_TIMEOUT,	/* SYN_SENT -> CLOSE with ETIMEDOUT: the
				 * SYNs went unanswered until the retries
				 * ran out */
	SEQ_CONNECT_FAILED,	/* SYN_SENT -> CLOSE otherwise: another
				 * error (@cause says which), or none (the
				 * application gave up) */
	SEQ_HALF_OPEN_EXPIRED,	/* SYN_RECV_END expired */
	SEQ_HALF_OPEN_DROPPED,	/* SYN_RECV_END dropped or listener_closed */
	SEQ_ACK_DROPPED,	/* a request sock that ended without a child
				 * after its third ACK(s) were dropped
				 * (ACK_DROP: full accept queue) */
	SEQ_SYN_DROPPED,	/* SYN_DROP: no socket was ever made */
	SEQ_SYN_COOKIE,		/* SYNCOOKIE_SENT: the SYN was answered
				 * statelessly; a passive_open without
				 * request sock follows if the client
				 * completes */
	/* teardowns */
	SEQ_ACTIVE_CLOSE,	/* ESTABLISHED -> FIN_WAIT1 -> FIN_WAIT2 ->
				 * TIME_WAIT -> CLOSE */
	SEQ_PASSIVE_CLOSE,	/* ESTABLISHED -> CLOSE_WAIT -> LAST_ACK ->
				 * CLOSE */
	SEQ_SIMULTANEOUS_CLOSE,	/* ... FIN_WAIT1 -> CLOSING -> TIME_WAIT ->
				 * CLOSE */
	SEQ_ORPHAN_CLOSE,	/* ... FIN_WAIT2 -> timewait sock in
				 * substate FIN_WAIT2 -> CLOSE */
	SEQ_RESET,		/* -> CLOSE off the orderly path, by no RST
				 * seen: a retransmission timeout (@cause
				 * timed_out), another error, or an end the
				 * kernel gave no reason for */
	/* incomplete */
	SEQ_UNFINISHED,		/* its end was never seen: one of its ids
				 * began a new life first */
	SEQ_IN_PROGRESS,	/* still going when seq_flush() was called */
	/* resets, by side (appended: the numbers above are stable) */
	SEQ_RESET_BY_PEER,	/* -> CLOSE after an RST received, past
				 * SYN_SENT */
	SEQ_RESET_BY_US,	/* -> CLOSE with an RST sent for it: an abort
				 * (close() with unread data, SO_LINGER 0),
				 * a keepalive timeout, ...; @rst_reason */
	SEQ_NR_KINDS
};

enum seq_side {
	SEQ_SIDE_UNKNOWN,	/* the opening was not seen */
	SEQ_SIDE_CLIENT,	/* the active opener (connect()) */
	SEQ_SIDE_SERVER,	/* the passive opener (a listener's child) */
};

/*
 * Why a record's connection ended, from the kernel's word (the socket's
 * error at -> CLOSE, the RST events). The names (seq_cause_name()) are the
 * JSON "cause" and the text's cause=: stable, append only.
 */
enum seq_cause {
	SEQ_CAUSE_NONE,		/* an orderly end, or none known */
	SEQ_CAUSE_REFUSED,	/* ECONNREFUSED: an RST answered our SYN */
	SEQ_CAUSE_TIMED_OUT,	/* ETIMEDOUT: retransmits ran out */
	SEQ_CAUSE_UNREACHABLE,	/* EHOSTUNREACH, ENETUNREACH, ...: ICMP */
	SEQ_CAUSE_RESET_BY_PEER,	/* we received an RST */
	SEQ_CAUSE_RESET_BY_US,	/* we sent one (@rst_reason says why) */
	SEQ_CAUSE_ABORTED,	/* another error of the socket */
	SEQ_NR_CAUSES
};

/* Who sent the RST that ended a connection. */
enum seq_rst_by {
	SEQ_RST_NONE,
	SEQ_RST_LOCAL,		/* this host: TCPSTATE_EV_RST_SENT */
	SEQ_RST_PEER,		/* the peer: TCPSTATE_EV_RST_RECEIVED */
};

/* Bits of struct seq_record @seqs: which sequence numbers are known. */
#define SEQ_HAS_ISS		0x01U
#define SEQ_HAS_IRS		0x02U
#define SEQ_HAS_FIN		0x04U	/* our FIN's */
#define SEQ_HAS_PEER_FIN	0x08U	/* the peer's FIN's */
#define SEQ_HAS_RST		0x10U	/* @rst_seq, @rst_ack of our RST */
#define SEQ_HAS_RST_ACK		0x20U	/* @rst_ack alone: an abort's RST,
					 * which acks what the socket had
					 * received at its CLOSE */

/* Bits of struct seq_record @missing: what the stream did not show. */
#define SEQ_MISS_START	0x01U	/* the beginning: the connection began
				 * before the reader, or its first events
				 * were lost or filtered out */
#define SEQ_MISS_GAP	0x02U	/* steps between two seen ones (@gap_from
				 * .. @gap_to) */
#define SEQ_MISS_LOST	0x04U	/* the ring dropped events while it was
				 * tracked: some of its steps may be gone
				 * even where no gap shows */
#define SEQ_MISS_END	0x08U	/* the end (unfinished, in_progress) */
#define SEQ_MISS_STEPS	0x10U	/* more steps than a record holds: the
				 * middle ones are left out */

/* Pseudo-states of struct seq_step @state, beside the kernel's 1..12. */
#define SEQ_ST_GAP		0xf0	/* "...": steps not seen */
#define SEQ_ST_TW_FIN_WAIT2	0xf1	/* "FIN_WAIT2(tw)": a timewait sock
					 * in substate FIN_WAIT2 */

#define SEQ_MAX_STEPS	10

/* One state the connection was in during the phase. */
struct seq_step {
	__u64 ts;	/* when it was entered (CLOCK_MONOTONIC ns), or
			 * SEQ_NONE when that was not seen */
	__u64 ns;	/* how long it lasted, or SEQ_NONE: not measured,
			 * or the state the phase ended in */
	__u8 state;	/* TCP state, or SEQ_ST_* */
};

/* Which enum struct seq_record @reason belongs to. */
enum seq_reason_type {
	SEQ_REASON_NONE,
	SEQ_REASON_SYN_RECV_END,	/* enum tcpstate_syn_recv_end */
	SEQ_REASON_DROP,		/* enum tcpstate_drop_reason */
	SEQ_REASON_TIMEWAIT_END,	/* enum tcpstate_timewait_end */
};

/*
 * One completed phase. Valid only during the callback. Times are
 * CLOCK_MONOTONIC ns as the module stamped them; durations are SEQ_NONE
 * where the record does not measure them or their ends were not seen.
 */
struct seq_record {
	enum seq_kind kind;
	enum seq_side side;
	__u32 netns;
	__u16 family;
	__u16 sport;		/* local */
	__u16 dport;		/* remote */
	__u8 saddr[16];
	__u8 daddr[16];
	__u64 sock_id;		/* the full socket; the request sock for a
				 * request sock's records; 0 for
				 * syn_dropped and syn_cookie */
	__u64 req_id;		/* the request sock, 0: none seen */
	__u64 tw_id;		/* the timewait sock, 0: none */
	__u64 start_ns;		/* first event of the phase seen */
	__u64 end_ns;		/* the event that completed it */
	__u64 duration_ns;	/* the phase: handshake, SYN queue, elapsed
				 * connect, teardown (from leaving
				 * ESTABLISHED) */
	__u64 handshake_ns;	/* open: SYN_SENT, or the request sock's
				 * SYN_RECV, to ESTABLISHED */
	__u64 syn_queue_ns;	/* request sock: SYN_RECV to SYN_RECV_END */
	__u64 established_ns;	/* teardown: time in ESTABLISHED */
	__u64 time_wait_ns;	/* teardown: timewait sock's life */
	__u32 synack_retrans;	/* request sock: SYN-ACK retransmits */
	__u32 ack_drops;	/* request sock: third ACKs dropped */
	__u32 qlen, qmax;	/* passive_open: the accept queue when the
				 * child joined it; ack_dropped, syn_dropped:
				 * the full queue; half_open_*: the SYN queue
				 * after (qmax 0 when not known) */
	int has_queue;		/* qlen/qmax apply */
	enum seq_reason_type reason_type;
	unsigned int reason;	/* why it ended, as the kernel said */
	__u8 tw_substate;	/* the timewait sock's substate at its end
				 * (TCP_TIME_WAIT, TCP_FIN_WAIT2), 0: none */
	__u8 gap_from, gap_to;	/* SEQ_MISS_GAP: last state seen before the
				 * first gap, first one seen after */
	unsigned int missing;	/* SEQ_MISS_* */
	unsigned int nsteps;
	struct seq_step steps[SEQ_MAX_STEPS];

	/* why it ended (closing records and failed handshakes) */
	enum seq_cause cause;
	int has_err;		/* @err is the kernel's (TCPSTATE_VALID_ERR) */
	unsigned int err;	/* the socket's error at -> CLOSE (or the
				 * RST's), a positive errno; 0: none */
	enum seq_rst_by rst_by;
	unsigned int rst_reason;	/* SEQ_RST_LOCAL: enum
					 * tcpstate_rst_reason */
	/* sequence numbers, as tcpdump -S prints them */
	unsigned int seqs;	/* SEQ_HAS_* */
	__u32 iss;		/* this side's initial sequence number */
	__u32 irs;		/* the peer's */
	__u32 fin_seq;		/* our FIN's sequence number */
	__u32 peer_fin_seq;	/* the peer's FIN's */
	__u32 rst_seq, rst_ack;	/* our RST's (rst_ack 0: no ACK bit) */
};

typedef void (*seq_emit_fn)(const struct seq_record *rec, void *arg);

struct seq_engine;

/* Counts since seq_new(). */
struct seq_stats {
	unsigned long long events;	/* fed */
	unsigned long long records;	/* emitted, flushed ones included */
	unsigned long long evicted;	/* connections forgotten at the cap */
	unsigned long tracked;		/* connections tracked now */
	unsigned long max_tracked;	/* most tracked at once */
};

/*
 * A new engine tracking at most @max_conns connections (the least recently
 * active one is forgotten to make room, and counted as evicted). @emit is
 * called once per completed phase. NULL if @max_conns is out of
 * [SEQ_MIN_MAX_CONNS, SEQ_MAX_MAX_CONNS] or memory runs out.
 */
struct seq_engine *seq_new(unsigned long max_conns, seq_emit_fn emit,
			   void *arg);
void seq_free(struct seq_engine *e);

/* One event, in ring order. Never fails: memory is bounded up front. */
void seq_feed(struct seq_engine *e, const struct tcpstate_event *ev);

/*
 * The ring dropped events since the last call (its dropped counter moved):
 * every connection tracked now may miss steps, and says so when emitted.
 */
void seq_note_loss(struct seq_engine *e);

/*
 * Time passes without events (a poll() timeout) at CLOCK_MONOTONIC
 * @now_ns: records held for an RST that may follow their CLOSE
 * (SEQ_RST_WAIT_NS) are emitted once that wait is over, so that none is
 * held longer than the main loop's poll timeout.
 */
void seq_tick(struct seq_engine *e, __u64 now_ns);

/*
 * Emit every held record, then every tracked connection as SEQ_IN_PROGRESS (SEQ_MISS_END), oldest
 * activity first, and forget them.
 */
void seq_flush(struct seq_engine *e);

void seq_get_stats(const struct seq_engine *e, struct seq_stats *st);

/*
 * The names of the engine's values, for the outputs; their tables are in
 * names.c with every other one.
 *
 * "active_open", ... "in_progress"; NULL outside enum seq_kind.
 */
const char *seq_kind_name(unsigned int kind);
/* "refused", ... "aborted"; NULL for SEQ_CAUSE_NONE or outside the enum. */
const char *seq_cause_name(unsigned int cause);
/* "local", "peer"; NULL for SEQ_RST_NONE. */
const char *seq_rst_by_name(enum seq_rst_by by);
/* "client", "server", or NULL for SEQ_SIDE_UNKNOWN. */
const char *seq_side_name(enum seq_side side);
/* A step's state: the TCP state name, "..." or "FIN_WAIT2(tw)". */
const char *seq_step_name(unsigned int state);
/*
 * @rec's reason by name ("expired", "accept_queue_full", ...), or NULL
 * when it has none or the value is outside its enum.
 */
const char *seq_reason_name(const struct seq_record *rec);

/*
 * Whether @rec went through TCP state @state: a step in it, LISTEN for
 * syn_dropped and syn_cookie (the listener acted), TIME_WAIT or FIN_WAIT2
 * for the timewait sock's substate.
 */
int seq_record_touches(const struct seq_record *rec, unsigned int state);

#endif /* TCPSTATE_SEQUENCE_H */
