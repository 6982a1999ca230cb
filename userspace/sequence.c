// SPDX-License-Identifier: GPL-2.0
/*
 * Connection sequences from the event stream, the half that keeps the
 * connections: socket ids, conns, the records they make, and the public
 * calls; see sequence.h for what is reported, sequence_internal.h for the
 * data, sequence_events.c for what each event does. The comments here
 * explain the choices the events leave open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "names.h"
#include "sequence.h"
#include "sequence_internal.h"

/* ---- ids ---- */

static size_t bucket_of(const struct seq_engine *e, __u64 id)
{
	/* Ids are keyed hashes already; fold the high bits in anyway, so
	 * a test's small synthetic ids spread too.
	 */
	id ^= id >> 29;
	id *= 0xbf58476d1ce4e5b9ULL;
	id ^= id >> 32;
	return (size_t)id & e->mask;
}

struct link *seq_link_find(const struct seq_engine *e, __u64 id)
{
	struct link *l;

	for (l = e->buckets[bucket_of(e, id)]; l; l = l->next)
		if (l->id == id)
			return l;
	return NULL;
}

void seq_link_add(struct seq_engine *e, struct conn *c, enum role r,
		  __u64 id)
{
	struct link *l = &c->link[r];
	size_t b = bucket_of(e, id);

	l->id = id;
	l->conn = c;
	l->live = 1;
	l->next = e->buckets[b];
	e->buckets[b] = l;
}

void seq_link_del(struct seq_engine *e, struct link *l)
{
	struct link **pp;

	if (!l->live)
		return;
	for (pp = &e->buckets[bucket_of(e, l->id)]; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	l->live = 0;
	l->next = NULL;
}

enum role seq_role_of(const struct link *l)
{
	return (enum role)(l - l->conn->link);
}

static int any_live(const struct conn *c)
{
	return c->link[ROLE_REQ].live || c->link[ROLE_SK].live ||
	       c->link[ROLE_TW].live;
}

/* ---- conns ---- */

static void lru_unlink(struct conn *c)
{
	c->lru_prev->lru_next = c->lru_next;
	c->lru_next->lru_prev = c->lru_prev;
}

static void lru_push(struct seq_engine *e, struct conn *c)
{
	c->lru_next = e->lru.lru_next;
	c->lru_prev = &e->lru;
	e->lru.lru_next->lru_prev = c;
	e->lru.lru_next = c;
}

void seq_touch(struct seq_engine *e, struct conn *c, __u64 ts)
{
	lru_unlink(c);
	lru_push(e, c);
	c->last_ts = ts;
}

void seq_mig_unlink(struct seq_engine *e, struct conn *c)
{
	if (!(c->flags & F_MIGRATING))
		return;
	c->mig_prev->mig_next = c->mig_next;
	c->mig_next->mig_prev = c->mig_prev;
	c->flags &= ~F_MIGRATING;
	e->nmig--;
}

static void held_unlink(struct seq_engine *e, struct conn *c)
{
	if (!(c->flags & F_HELD))
		return;
	c->held_prev->held_next = c->held_next;
	c->held_next->held_prev = c->held_prev;
	c->flags &= ~F_HELD;
	e->nheld--;
}

void seq_conn_free(struct seq_engine *e, struct conn *c)
{
	unsigned int r;

	for (r = 0; r < NR_ROLES; r++)
		seq_link_del(e, &c->link[r]);
	seq_mig_unlink(e, c);
	held_unlink(e, c);
	lru_unlink(c);
	e->nconns--;
	if (e->nspare < MAX_SPARE_CONNS) {
		c->lru_next = e->spare;
		e->spare = c;
		e->nspare++;
		return;
	}
	free(c);
}

/* A conn's memory: a spare one, else malloc()'s. */
static struct conn *conn_alloc(struct seq_engine *e)
{
	struct conn *c = e->spare;

	if (!c)
		return malloc(sizeof(*c));
	e->spare = c->lru_next;
	e->nspare--;
	return c;
}

/* Reset @c to the start of a phase beginning at @ts. */
static void phase_begin(struct seq_engine *e, struct conn *c, __u64 ts)
{
	c->nsteps = 0;
	c->missing = 0;
	c->gap_from = c->gap_to = 0;
	c->loss_gen = e->loss_gen;
	c->first_ts = ts;
}

void seq_conn_init(struct seq_engine *e, struct conn *c,
		   const struct tcpstate_event *ev)
{
	memset(c, 0, sizeof(*c));
	c->syn_ts = SEQ_NONE;
	c->synq_end_ts = SEQ_NONE;
	c->tw_ts = SEQ_NONE;
	c->netns = ev->netns;
	c->family = ev->family;
	c->last_ts = ev->ts_ns;
	phase_begin(e, c, ev->ts_ns);
}

/*
 * Make room for one more conn by forgetting the least recently active.
 * Reported ones waiting only to swallow a CLOSE go silently: nothing of
 * them is lost.
 */
static void evict_one(struct seq_engine *e)
{
	struct conn *victim = e->lru.lru_prev;

	if (victim == &e->lru)
		return;
	/* Its record is complete: out with it rather than lose it. */
	if (victim->flags & F_HELD) {
		seq_release_held(e, victim);
		return;
	}
	if (!(victim->flags & F_DONE))
		e->evicted++;
	seq_conn_free(e, victim);
}

/*
 * A new conn for @ev, tracked. NULL only if memory runs out with nothing
 * left to evict. The caller must hold no other conn pointer across this
 * call: eviction may free any conn.
 */
struct conn *seq_conn_new(struct seq_engine *e,
			  const struct tcpstate_event *ev)
{
	struct conn *c;

	if (e->nconns >= e->max_conns)
		evict_one(e);
	c = conn_alloc(e);
	if (!c && e->nconns) {
		evict_one(e);
		c = conn_alloc(e);
	}
	if (!c)
		return NULL;
	seq_conn_init(e, c, ev);
	lru_push(e, c);
	e->nconns++;
	if (e->nconns > e->max_tracked)
		e->max_tracked = e->nconns;
	return c;
}

/*
 * Take @ev's tuple when @c has none yet, or when both ports are known: a
 * client's CLOSE -> SYN_SENT comes before its local port is picked, a
 * server child's LISTEN -> SYN_RECV still carries the listener's
 * addresses.
 */
void seq_take_tuple(struct conn *c, const struct tcpstate_event *ev)
{
	if ((c->flags & F_TUPLE) && !(ev->sport && ev->dport))
		return;
	c->family = ev->family;
	c->sport = ev->sport;
	c->dport = ev->dport;
	memcpy(c->saddr, ev->saddr, sizeof(c->saddr));
	memcpy(c->daddr, ev->daddr, sizeof(c->daddr));
	c->flags |= F_TUPLE;
}

/*
 * Append a step. Full, the middle ones give way to one "..." step, so that
 * the beginning and the latest steps stay (never happens with the kernel's
 * state machine: SEQ_MAX_STEPS is longer than any of its paths).
 */
void seq_step_add(struct conn *c, unsigned int state, __u64 ts)
{
	if (c->nsteps == SEQ_MAX_STEPS) {
		/* steps[1] stands for all that go; steps[2] makes room. */
		memmove(&c->steps[2], &c->steps[3],
			(SEQ_MAX_STEPS - 3) * sizeof(c->steps[0]));
		c->nsteps--;
		c->steps[1].state = SEQ_ST_GAP;
		c->steps[1].ts = SEQ_NONE;
		c->missing |= SEQ_MISS_STEPS;
	}
	c->steps[c->nsteps].state = (__u8)state;
	c->steps[c->nsteps].ts = ts;
	c->steps[c->nsteps].ns = SEQ_NONE;
	c->nsteps++;
}

/*
 * @c was last seen in c->state, and is now seen leaving @old: the steps
 * between were not seen. Recorded as a "..." step and the state it
 * resurfaced in, entered at an unknown time.
 */
void seq_note_gap(struct conn *c, unsigned int old)
{
	if (!(c->missing & SEQ_MISS_GAP)) {
		c->gap_from = c->state;
		c->gap_to = (__u8)old;
	}
	c->missing |= SEQ_MISS_GAP;
	seq_step_add(c, SEQ_ST_GAP, SEQ_NONE);
	seq_step_add(c, old, SEQ_NONE);
	c->state = (__u8)old;
}

/* b - a, when both were seen and in order. */
static __u64 span(__u64 a, __u64 b)
{
	if (a == SEQ_NONE || b == SEQ_NONE || b < a)
		return SEQ_NONE;
	return b - a;
}

/* The record of @c's current phase, with what every kind shares. */
void seq_fill_record(const struct seq_engine *e, const struct conn *c,
		     struct seq_record *rec, enum seq_kind kind,
		     __u64 end_ts)
{
	unsigned int i;

	memset(rec, 0, sizeof(*rec));
	rec->kind = kind;
	rec->side = c->side;
	rec->netns = c->netns;
	rec->family = c->family;
	rec->sport = c->sport;
	rec->dport = c->dport;
	memcpy(rec->saddr, c->saddr, sizeof(rec->saddr));
	memcpy(rec->daddr, c->daddr, sizeof(rec->daddr));
	rec->sock_id = c->sk_id ? c->sk_id :
		       c->req_id ? c->req_id : c->tw_id;
	/* What the request sock tells belongs to the opening's record. */
	if (!(c->flags & F_OPENED)) {
		rec->req_id = c->req_id;
		rec->synack_retrans = c->retrans;
		rec->ack_drops = c->ack_drops;
	}
	rec->tw_id = c->tw_id;
	rec->start_ns = c->first_ts;
	rec->end_ns = end_ts;
	rec->duration_ns = SEQ_NONE;
	rec->handshake_ns = SEQ_NONE;
	rec->syn_queue_ns = SEQ_NONE;
	rec->established_ns = SEQ_NONE;
	rec->time_wait_ns = SEQ_NONE;
	rec->missing = c->missing;
	if (c->loss_gen != e->loss_gen)
		rec->missing |= SEQ_MISS_LOST;
	rec->gap_from = c->gap_from;
	rec->gap_to = c->gap_to;
	rec->seqs = c->seqs;
	rec->iss = c->iss;
	rec->irs = c->irs;
	rec->fin_seq = c->fin_seq;
	rec->peer_fin_seq = c->peer_fin_seq;
	rec->rst_seq = c->rst_seq;
	rec->rst_ack = c->rst_ack;
	rec->nsteps = c->nsteps;
	for (i = 0; i < c->nsteps; i++) {
		rec->steps[i] = c->steps[i];
		rec->steps[i].ns = i + 1 < c->nsteps ?
			span(c->steps[i].ts, c->steps[i + 1].ts) : SEQ_NONE;
	}
}

void seq_emit(struct seq_engine *e, const struct seq_record *rec)
{
	e->records++;
	e->emit(rec, e->arg);
}

/* The SYN queue's time for a request sock seen from SYN_RECV to its end. */
__u64 seq_syn_queue_time(const struct conn *c)
{
	return c->req_id ? span(c->syn_ts, c->synq_end_ts) : SEQ_NONE;
}

/*
 * The opening is over at @ts: report it, and begin the closing with
 * ESTABLISHED as its first step.
 */
void seq_emit_open(struct seq_engine *e, struct conn *c, __u64 ts)
{
	struct seq_record rec;

	seq_step_add(c, TCPS_ESTABLISHED, ts);
	seq_fill_record(e, c, &rec, c->side == SEQ_SIDE_CLIENT ?
			SEQ_ACTIVE_OPEN : SEQ_PASSIVE_OPEN, ts);
	/*
	 * A server child made without a request sock seen (SYN cookie, TCP
	 * Fast Open, or the request sock's events lost) was created at the
	 * cookie's ACK or at the SYN: which, the events do not say, so its
	 * creation is no start of the handshake.
	 */
	rec.handshake_ns = span(c->syn_ts, ts);
	if (rec.kind == SEQ_PASSIVE_OPEN) {
		rec.syn_queue_ns = seq_syn_queue_time(c);
		if (c->has_acceptq) {
			rec.has_queue = 1;
			rec.qlen = c->acceptq_len;
			rec.qmax = c->acceptq_max;
		}
		if (c->ack_drops) {
			rec.reason_type = SEQ_REASON_DROP;
			rec.reason = c->ack_drop_reason;
		}
	}
	rec.duration_ns = rec.handshake_ns;
	seq_emit(e, &rec);

	phase_begin(e, c, ts);
	seq_step_add(c, TCPS_ESTABLISHED, ts);
	c->flags |= F_OPENED;
}

/*
 * A teardown's own time runs from leaving its first state, if that state
 * was one before the teardown (ESTABLISHED, or SYN_RECV/SYN_SENT for one
 * that closed before opening) and its exit was seen.
 */
static void teardown_times(struct seq_record *rec)
{
	const struct seq_step *s = rec->steps;

	if (rec->nsteps < 2 || s[1].state == SEQ_ST_GAP || s[1].ts == SEQ_NONE)
		return;
	if (s[0].state != TCPS_ESTABLISHED && s[0].state != TCPS_SYN_RECV &&
	    s[0].state != TCPS_SYN_SENT)
		return;
	rec->duration_ns = span(s[1].ts, rec->end_ns);
	if (s[0].state == TCPS_ESTABLISHED)
		rec->established_ns = span(s[0].ts, s[1].ts);
}

/* What a socket error says of the end, the RSTs aside. */
static enum seq_cause cause_of_err(unsigned int err)
{
	switch (err) {
	case 0:
		return SEQ_CAUSE_NONE;
	case ECONNREFUSED:
		return SEQ_CAUSE_REFUSED;
	case ETIMEDOUT:
		return SEQ_CAUSE_TIMED_OUT;
	/* what ICMP errors become (icmp_err_convert[], icmpv6_err_convert()) */
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENONET:
	case ENOPROTOOPT:
		return SEQ_CAUSE_UNREACHABLE;
	/* tcp_reset(): an RST received, whose event we did not see */
	case ECONNRESET:
	case EPIPE:
		return SEQ_CAUSE_RESET_BY_PEER;
	default:
		return SEQ_CAUSE_ABORTED;
	}
}

/*
 * A connect() that failed, from a stream without the kernel's error
 * (before ABI 2): by the time it took, see SEQ_REFUSED_MAX_NS.
 */
static enum seq_kind connect_kind_by_time(__u64 elapsed)
{
	if (elapsed == SEQ_NONE)
		return SEQ_CONNECT_FAILED;
	return elapsed < SEQ_REFUSED_MAX_NS ? SEQ_CONNECT_REFUSED :
					      SEQ_CONNECT_TIMEOUT;
}

/*
 * The full socket reached CLOSE at @ts from @old, not handing over to a
 * timewait sock: the phase ends here, and the kernel's word says why:
 * @err (when @has_err) and the RSTs seen for it. Frees @c.
 */
void seq_emit_closed(struct seq_engine *e, struct conn *c,
		     unsigned int old, __u64 ts, int has_err,
		     unsigned int err)
{
	enum seq_cause cause = SEQ_CAUSE_NONE;
	enum seq_rst_by rst_by = SEQ_RST_NONE;
	struct seq_record rec;
	enum seq_kind kind;
	__u64 elapsed = SEQ_NONE;

	if (c->rst_received) {
		rst_by = SEQ_RST_PEER;
		cause = old == TCPS_SYN_SENT ? SEQ_CAUSE_REFUSED :
					       SEQ_CAUSE_RESET_BY_PEER;
	} else if (c->rst_sent) {
		rst_by = SEQ_RST_LOCAL;
		cause = SEQ_CAUSE_RESET_BY_US;
	} else if (has_err) {
		cause = cause_of_err(err);
	}

	if (!(c->flags & F_OPENED) && old == TCPS_SYN_SENT) {
		elapsed = span(c->syn_ts, ts);
		if (!has_err && rst_by == SEQ_RST_NONE)
			kind = connect_kind_by_time(elapsed);
		else if (cause == SEQ_CAUSE_REFUSED)
			kind = SEQ_CONNECT_REFUSED;
		else if (cause == SEQ_CAUSE_TIMED_OUT)
			kind = SEQ_CONNECT_TIMEOUT;
		else
			kind = SEQ_CONNECT_FAILED;
	} else if (cause == SEQ_CAUSE_RESET_BY_PEER) {
		kind = SEQ_RESET_BY_PEER;
	} else if (cause == SEQ_CAUSE_RESET_BY_US) {
		kind = SEQ_RESET_BY_US;
	} else if (old == TCPS_LAST_ACK && cause == SEQ_CAUSE_NONE) {
		kind = SEQ_PASSIVE_CLOSE;
	} else {
		kind = SEQ_RESET;
	}
	seq_step_add(c, TCPS_CLOSE, ts);
	seq_fill_record(e, c, &rec, kind, ts);
	if (kind == SEQ_CONNECT_REFUSED || kind == SEQ_CONNECT_TIMEOUT ||
	    kind == SEQ_CONNECT_FAILED)
		rec.duration_ns = elapsed;
	else
		teardown_times(&rec);
	rec.cause = cause;
	rec.has_err = has_err;
	rec.err = has_err ? err : 0;
	rec.rst_by = rst_by;
	if (rst_by == SEQ_RST_LOCAL)
		rec.rst_reason = c->rst_reason;
	seq_emit(e, &rec);
	seq_conn_free(e, c);
}

/*
 * A -> CLOSE from @old at @ts, err 0, that an active reset may follow
 * (the kernel closes, then resets): wait for its RST_SENT, at most
 * SEQ_RST_WAIT_NS. seq_feed() and seq_tick() release it.
 */
void seq_hold_close(struct seq_engine *e, struct conn *c, unsigned int old,
		    __u64 ts)
{
	c->flags |= F_HELD;
	c->held_old = (__u8)old;
	c->held_ts = ts;
	c->held_next = &e->held;
	c->held_prev = e->held.held_prev;
	e->held.held_prev->held_next = c;
	e->held.held_prev = c;
	e->nheld++;
}

/* The wait of a held close is over: report it as it stands. Frees @c. */
void seq_release_held(struct seq_engine *e, struct conn *c)
{
	held_unlink(e, c);
	seq_emit_closed(e, c, c->held_old, c->held_ts, 1, 0);
}

/*
 * @c's timewait sock ended at @ts (@ev). @c may be a conn on the stack,
 * tracked nowhere (a timewait sock older than the reader).
 */
void seq_emit_tw_end(struct seq_engine *e, struct conn *c,
		     const struct tcpstate_event *ev)
{
	struct seq_record rec;
	enum seq_kind kind = SEQ_ACTIVE_CLOSE;
	unsigned int i;

	for (i = 0; i < c->nsteps; i++)
		if (c->steps[i].state == TCPS_CLOSING)
			kind = SEQ_SIMULTANEOUS_CLOSE;
	if (kind == SEQ_ACTIVE_CLOSE && c->tw_sub == TCPS_FIN_WAIT2)
		kind = SEQ_ORPHAN_CLOSE;
	seq_step_add(c, TCPS_CLOSE, ev->ts_ns);
	seq_fill_record(e, c, &rec, kind, ev->ts_ns);
	teardown_times(&rec);
	rec.time_wait_ns = span(c->tw_ts, ev->ts_ns);
	rec.reason_type = SEQ_REASON_TIMEWAIT_END;
	rec.reason = ev->reason;
	rec.tw_substate = ev->newstate;
	seq_emit(e, &rec);
}

/* What is known of @c so far, as @kind (unfinished, in_progress). */
void seq_emit_unfinished(struct seq_engine *e, struct conn *c,
			 enum seq_kind kind)
{
	struct seq_record rec;

	seq_fill_record(e, c, &rec, kind, c->last_ts);
	rec.missing |= SEQ_MISS_END;
	if (!(c->flags & F_OPENED))
		rec.syn_queue_ns = seq_syn_queue_time(c);
	seq_emit(e, &rec);
}

/*
 * The socket behind @l was freed without our seeing its end (events lost
 * or filtered), since its id turns up anew. Forget that id; a conn left
 * with no id reports what it had. One reported already, or waiting for a
 * migration's successor, goes quietly or stays.
 */
void seq_link_lost(struct seq_engine *e, struct link *l)
{
	struct conn *c = l->conn;

	if (c->flags & F_HELD) {
		seq_release_held(e, c);
		return;
	}
	seq_link_del(e, l);
	if (any_live(c) || (c->flags & F_MIGRATING))
		return;
	if (!(c->flags & F_DONE))
		seq_emit_unfinished(e, c, SEQ_UNFINISHED);
	seq_conn_free(e, c);
}

void seq_note_loss(struct seq_engine *e)
{
	e->loss_gen++;
}

void seq_tick(struct seq_engine *e, __u64 now_ns)
{
	struct conn *c;

	while ((c = e->held.held_next) != &e->held &&
	       (now_ns == SEQ_NONE ||
		(now_ns >= c->held_ts &&
		 now_ns - c->held_ts >= SEQ_RST_WAIT_NS)))
		seq_release_held(e, c);
}

void seq_flush(struct seq_engine *e)
{
	struct conn *c;

	while ((c = e->held.held_next) != &e->held)
		seq_release_held(e, c);
	while ((c = e->lru.lru_prev) != &e->lru) {
		if (!(c->flags & F_DONE))
			seq_emit_unfinished(e, c, SEQ_IN_PROGRESS);
		seq_conn_free(e, c);
	}
}

struct seq_engine *seq_new(unsigned long max_conns, seq_emit_fn emit,
			   void *arg)
{
	struct seq_engine *e;
	size_t nbuckets = 1;

	if (max_conns < SEQ_MIN_MAX_CONNS || max_conns > SEQ_MAX_MAX_CONNS ||
	    !emit)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	/* A conn wears up to two ids at once, rarely: one bucket per conn
	 * keeps the chains short.
	 */
	while (nbuckets < max_conns)
		nbuckets <<= 1;
	e->buckets = calloc(nbuckets, sizeof(*e->buckets));
	if (!e->buckets) {
		free(e);
		return NULL;
	}
	e->mask = nbuckets - 1;
	e->lru.lru_next = e->lru.lru_prev = &e->lru;
	e->mig.mig_next = e->mig.mig_prev = &e->mig;
	e->held.held_next = e->held.held_prev = &e->held;
	e->max_conns = max_conns;
	e->emit = emit;
	e->arg = arg;
	return e;
}

void seq_free(struct seq_engine *e)
{
	struct conn *c;

	if (!e)
		return;
	while ((c = e->lru.lru_next) != &e->lru)
		seq_conn_free(e, c);
	while ((c = e->spare)) {
		e->spare = c->lru_next;
		free(c);
	}
	free(e->buckets);
	free(e);
}

void seq_get_stats(const struct seq_engine *e, struct seq_stats *st)
{
	st->events = e->events;
	st->records = e->records;
	st->evicted = e->evicted;
	st->tracked = e->nconns;
	st->max_tracked = e->max_tracked;
}

int seq_record_touches(const struct seq_record *rec, unsigned int state)
{
	unsigned int i, s;

	if (rec->kind == SEQ_SYN_DROPPED || rec->kind == SEQ_SYN_COOKIE)
		return state == TCPS_LISTEN;
	if (rec->tw_substate && rec->tw_substate == state)
		return 1;
	for (i = 0; i < rec->nsteps; i++) {
		s = rec->steps[i].state;
		if (s == SEQ_ST_TW_FIN_WAIT2)
			s = TCPS_FIN_WAIT2;
		if (s == state)
			return 1;
	}
	return 0;
}
