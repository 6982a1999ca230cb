/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the sequence engine, shared by its two halves and by nothing
 * else: sequence.c keeps the connections (ids, conns, records) and
 * sequence_events.c says what each event does to them.
 *
 * Data: one struct conn per connection being followed, reachable from the
 * socket ids it currently wears (struct link, up to one per role: request
 * sock, full socket, timewait sock) through one hash table, and kept on an
 * LRU list so that the least recently active one is forgotten at the cap.
 * A conn reports one phase at a time: the opening until ESTABLISHED, then
 * the closing until CLOSE; its steps are reset between the two.
 */
#ifndef TCPSTATE_SEQUENCE_INTERNAL_H
#define TCPSTATE_SEQUENCE_INTERNAL_H

#include "sequence.h"
#include "tcpstate.h"

/*
 * Migrated request socks waiting for the SYN_RECV of their successor. A
 * successor that never shows (lost, or the new listener is in another
 * netns than a --netns filter lets through) must not pile up.
 */
#define MAX_MIGRATING	64

/*
 * Freed conns kept for the next ones, at most: a busy host begins and
 * ends connections by the thousand a second, three conns each (request
 * sock, client, server child), and a malloc() and a free() for each
 * (0.2 allocations per event) is work a reused conn does not need. More
 * than a batch's churn is rare; past it, memory goes back to malloc.
 */
#define MAX_SPARE_CONNS	256

enum role { ROLE_REQ, ROLE_SK, ROLE_TW, NR_ROLES };

struct conn;

struct link {
	__u64 id;
	struct link *next;	/* hash chain */
	struct conn *conn;
	unsigned char live;
};

/* struct conn @flags */
#define F_OPENED	0x01U	/* the opening is over (reported, or began
				 * unseen past it): now the closing */
#define F_CHILD_PENDING	0x02U	/* SYN_RECV_END completed named a child
				 * whose LISTEN -> SYN_RECV is still due */
#define F_NO_REQ	0x04U	/* a child made without a request sock seen:
				 * a SYN_RECV_END completed may still claim
				 * it */
#define F_MIGRATING	0x08U	/* request sock migrated; successor due */
#define F_DONE		0x10U	/* reported; only waits for its full
				 * socket's CLOSE, to swallow it */
#define F_HAS_TW	0x20U	/* handed over to a timewait sock */
#define F_TUPLE		0x40U	/* tuple set */
#define F_HELD		0x80U	/* its -> CLOSE waits for an RST_SENT that
				 * may follow (SEQ_RST_WAIT_NS) */

struct conn {
	struct link link[NR_ROLES];
	struct conn *lru_prev, *lru_next;	/* most recent at the head */
	struct conn *mig_prev, *mig_next;	/* F_MIGRATING only */
	__u64 mig_peer;		/* SYN_RECV_END migrated's peer_id */

	__u32 netns;
	__u16 family, sport, dport;
	__u8 saddr[16], daddr[16];

	enum seq_side side;
	unsigned int flags;
	__u8 state;		/* full socket's state, SYN_RECV for a
				 * request sock; 0: not known */
	unsigned int missing;	/* SEQ_MISS_* of the current phase, but
				 * LOST, which loss_gen tells */
	__u8 gap_from, gap_to;
	unsigned long long loss_gen;	/* engine's when the phase began */
	__u64 first_ts, last_ts;

	/* the opening */
	__u64 syn_ts;		/* SYN_SENT, or the request sock's SYN_RECV */
	__u64 synq_end_ts;	/* the request sock's SYN_RECV_END */
	__u32 retrans, ack_drops;
	__u8 ack_drop_reason;
	int has_synq, has_acceptq, has_dropq;
	__u32 synq_len, synq_max;	/* SYN queue when it joined */
	__u32 acceptq_len, acceptq_max;	/* accept queue when it joined */
	__u32 dropq_len, dropq_max;	/* accept queue at the last ACK_DROP */

	__u64 req_id, sk_id, tw_id;
	__u64 tw_ts;
	__u8 tw_sub;		/* substate the timewait sock began in */

	unsigned int nsteps;
	struct seq_step steps[SEQ_MAX_STEPS];

	/* sequence numbers (SEQ_HAS_* of struct seq_record @seqs) */
	unsigned int seqs;
	__u32 iss, irs, fin_seq, peer_fin_seq, rst_seq, rst_ack;
	/* RSTs seen for it, and what they said */
	int rst_received, rst_sent;
	unsigned int rst_reason;	/* RST_SENT's @reason */
	int has_close_ack;
	__u32 close_ack;	/* rcv_nxt at its -> CLOSE */

	/* F_HELD: the -> CLOSE that waits, on the engine's held list */
	struct conn *held_prev, *held_next;
	__u64 held_ts;
	__u8 held_old;
};

struct seq_engine {
	struct link **buckets;
	size_t mask;
	struct conn lru;	/* sentinel: lru.lru_next is the newest */
	struct conn mig;	/* sentinel of the migrating list */
	unsigned int nmig;
	struct conn held;	/* sentinel of the held list, oldest first */
	unsigned long nheld;
	struct conn *spare;	/* freed conns, chained by lru_next */
	unsigned int nspare;
	unsigned long nconns, max_conns, max_tracked;
	unsigned long long loss_gen;
	unsigned long long events, records, evicted;
	seq_emit_fn emit;
	void *arg;
};

/* ids: the hash table from socket id to conn (sequence.c) */
struct link *seq_link_find(const struct seq_engine *e, __u64 id);
void seq_link_add(struct seq_engine *e, struct conn *c, enum role r, __u64 id);
void seq_link_del(struct seq_engine *e, struct link *l);
enum role seq_role_of(const struct link *l);
void seq_link_lost(struct seq_engine *e, struct link *l);

/* conns: their life, the LRU and the migrating list (sequence.c) */
struct conn *seq_conn_new(struct seq_engine *e,
			  const struct tcpstate_event *ev);
void seq_conn_init(struct seq_engine *e, struct conn *c,
		   const struct tcpstate_event *ev);
void seq_conn_free(struct seq_engine *e, struct conn *c);
void seq_touch(struct seq_engine *e, struct conn *c, __u64 ts);
void seq_mig_unlink(struct seq_engine *e, struct conn *c);
void seq_take_tuple(struct conn *c, const struct tcpstate_event *ev);
void seq_step_add(struct conn *c, unsigned int state, __u64 ts);
void seq_note_gap(struct conn *c, unsigned int old);

/* records: what a conn reports, and reporting it (sequence.c) */
void seq_fill_record(const struct seq_engine *e, const struct conn *c,
		     struct seq_record *rec, enum seq_kind kind, __u64 end_ts);
__u64 seq_syn_queue_time(const struct conn *c);
void seq_emit(struct seq_engine *e, const struct seq_record *rec);
void seq_emit_open(struct seq_engine *e, struct conn *c, __u64 ts);
void seq_emit_closed(struct seq_engine *e, struct conn *c, unsigned int old,
		     __u64 ts, int has_err, unsigned int err);
void seq_hold_close(struct seq_engine *e, struct conn *c, unsigned int old,
		    __u64 ts);
void seq_release_held(struct seq_engine *e, struct conn *c);
void seq_emit_tw_end(struct seq_engine *e, struct conn *c,
		     const struct tcpstate_event *ev);
void seq_emit_unfinished(struct seq_engine *e, struct conn *c,
			 enum seq_kind kind);

#endif /* TCPSTATE_SEQUENCE_INTERNAL_H */
