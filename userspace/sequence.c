// SPDX-License-Identifier: GPL-2.0
/*
 * Connection sequences from the event stream; see sequence.h for what is
 * reported. The comments here explain the choices the events leave open.
 *
 * Data: one struct conn per connection being followed, reachable from the
 * socket ids it currently wears (struct link, up to one per role: request
 * sock, full socket, timewait sock) through one hash table, and kept on an
 * LRU list so that the least recently active one is forgotten at the cap.
 * A conn reports one phase at a time: the opening until ESTABLISHED, then
 * the closing until CLOSE; its steps are reset between the two.
 *
 * The order the kernel reports a passive open in (module/kprobes.c): the
 * child's LISTEN -> SYN_RECV (inet_csk_clone_lock(), inside
 * syn_recv_sock), the request sock's SYN_RECV_END completed child=
 * (inet_csk_complete_hashdance() entry), ACCEPT_QUEUED (its return), then
 * the child's SYN_RECV -> ESTABLISHED (tcp_child_process()). A TIMEWAIT
 * comes before the full socket's FIN_WAIT2/CLOSING -> CLOSE
 * (tcp_time_wait() makes the timewait sock, then tcp_done()). The code
 * copes with either order where it costs nothing, and reports a gap
 * rather than guess where it would.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "names.h"
#include "sequence.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Migrated request socks waiting for the SYN_RECV of their successor. A
 * successor that never shows (lost, or the new listener is in another
 * netns than a --netns filter lets through) must not pile up.
 */
#define MAX_MIGRATING	64

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
};

struct seq_engine {
	struct link **buckets;
	size_t mask;
	struct conn lru;	/* sentinel: lru.lru_next is the newest */
	struct conn mig;	/* sentinel of the migrating list */
	unsigned int nmig;
	unsigned long nconns, max_conns, max_tracked;
	unsigned long long loss_gen;
	unsigned long long events, records, evicted;
	seq_emit_fn emit;
	void *arg;
};

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

static struct link *link_find(const struct seq_engine *e, __u64 id)
{
	struct link *l;

	for (l = e->buckets[bucket_of(e, id)]; l; l = l->next)
		if (l->id == id)
			return l;
	return NULL;
}

static void link_add(struct seq_engine *e, struct conn *c, enum role r,
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

static void link_del(struct seq_engine *e, struct link *l)
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

static enum role role_of(const struct link *l)
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

static void touch(struct seq_engine *e, struct conn *c, __u64 ts)
{
	lru_unlink(c);
	lru_push(e, c);
	c->last_ts = ts;
}

static void mig_unlink(struct seq_engine *e, struct conn *c)
{
	if (!(c->flags & F_MIGRATING))
		return;
	c->mig_prev->mig_next = c->mig_next;
	c->mig_next->mig_prev = c->mig_prev;
	c->flags &= ~F_MIGRATING;
	e->nmig--;
}

static void conn_free(struct seq_engine *e, struct conn *c)
{
	unsigned int r;

	for (r = 0; r < NR_ROLES; r++)
		link_del(e, &c->link[r]);
	mig_unlink(e, c);
	lru_unlink(c);
	e->nconns--;
	free(c);
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

static void conn_init(struct seq_engine *e, struct conn *c,
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

static void emit_unfinished(struct seq_engine *e, struct conn *c,
			    enum seq_kind kind);

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
	if (!(victim->flags & F_DONE))
		e->evicted++;
	conn_free(e, victim);
}

/*
 * A new conn for @ev, tracked. NULL only if memory runs out with nothing
 * left to evict. The caller must hold no other conn pointer across this
 * call: eviction may free any conn.
 */
static struct conn *conn_new(struct seq_engine *e,
			     const struct tcpstate_event *ev)
{
	struct conn *c;

	if (e->nconns >= e->max_conns)
		evict_one(e);
	c = malloc(sizeof(*c));
	if (!c && e->nconns) {
		evict_one(e);
		c = malloc(sizeof(*c));
	}
	if (!c)
		return NULL;
	conn_init(e, c, ev);
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
static void take_tuple(struct conn *c, const struct tcpstate_event *ev)
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
static void step_add(struct conn *c, unsigned int state, __u64 ts)
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
static void note_gap(struct conn *c, unsigned int old)
{
	if (!(c->missing & SEQ_MISS_GAP)) {
		c->gap_from = c->state;
		c->gap_to = (__u8)old;
	}
	c->missing |= SEQ_MISS_GAP;
	step_add(c, SEQ_ST_GAP, SEQ_NONE);
	step_add(c, old, SEQ_NONE);
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
static void fill_record(const struct seq_engine *e, const struct conn *c,
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
	rec->nsteps = c->nsteps;
	for (i = 0; i < c->nsteps; i++) {
		rec->steps[i] = c->steps[i];
		rec->steps[i].ns = i + 1 < c->nsteps ?
			span(c->steps[i].ts, c->steps[i + 1].ts) : SEQ_NONE;
	}
}

static void emit(struct seq_engine *e, const struct seq_record *rec)
{
	e->records++;
	e->emit(rec, e->arg);
}

/* The SYN queue's time for a request sock seen from SYN_RECV to its end. */
static __u64 syn_queue_time(const struct conn *c)
{
	return c->req_id ? span(c->syn_ts, c->synq_end_ts) : SEQ_NONE;
}

/*
 * The opening is over at @ts: report it, and begin the closing with
 * ESTABLISHED as its first step.
 */
static void emit_open(struct seq_engine *e, struct conn *c, __u64 ts)
{
	struct seq_record rec;

	step_add(c, TCPS_ESTABLISHED, ts);
	fill_record(e, c, &rec, c->side == SEQ_SIDE_CLIENT ?
		    SEQ_ACTIVE_OPEN : SEQ_PASSIVE_OPEN, ts);
	/*
	 * A server child made without a request sock seen (SYN cookie, TCP
	 * Fast Open, or the request sock's events lost) was created at the
	 * cookie's ACK or at the SYN: which, the events do not say, so its
	 * creation is no start of the handshake.
	 */
	rec.handshake_ns = span(c->syn_ts, ts);
	if (rec.kind == SEQ_PASSIVE_OPEN) {
		rec.syn_queue_ns = syn_queue_time(c);
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
	emit(e, &rec);

	phase_begin(e, c, ts);
	step_add(c, TCPS_ESTABLISHED, ts);
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

/*
 * The full socket reached CLOSE at @ts from @old, not handing over to a
 * timewait sock: the phase ends here. Frees @c.
 */
static void emit_closed(struct seq_engine *e, struct conn *c,
			unsigned int old, __u64 ts)
{
	struct seq_record rec;
	enum seq_kind kind;
	__u64 elapsed = SEQ_NONE;

	if (!(c->flags & F_OPENED) && old == TCPS_SYN_SENT) {
		/*
		 * Refused or timed out: the events carry no cause, only the
		 * time. No SYN is retransmitted before the initial RTO, so
		 * a failure before it answered the first SYN (or the
		 * application gave up first); see SEQ_REFUSED_MAX_NS.
		 */
		elapsed = span(c->syn_ts, ts);
		if (elapsed == SEQ_NONE)
			kind = SEQ_CONNECT_FAILED;
		else if (elapsed < SEQ_REFUSED_MAX_NS)
			kind = SEQ_CONNECT_REFUSED;
		else
			kind = SEQ_CONNECT_TIMEOUT;
	} else if (old == TCPS_LAST_ACK) {
		kind = SEQ_PASSIVE_CLOSE;
	} else {
		kind = SEQ_RESET;
	}
	step_add(c, TCPS_CLOSE, ts);
	fill_record(e, c, &rec, kind, ts);
	if (kind == SEQ_CONNECT_REFUSED || kind == SEQ_CONNECT_TIMEOUT ||
	    kind == SEQ_CONNECT_FAILED)
		rec.duration_ns = elapsed;
	else
		teardown_times(&rec);
	emit(e, &rec);
	conn_free(e, c);
}

/*
 * @c's timewait sock ended at @ts (@ev). @c may be a conn on the stack,
 * tracked nowhere (a timewait sock older than the reader).
 */
static void emit_tw_end(struct seq_engine *e, struct conn *c,
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
	step_add(c, TCPS_CLOSE, ev->ts_ns);
	fill_record(e, c, &rec, kind, ev->ts_ns);
	teardown_times(&rec);
	rec.time_wait_ns = span(c->tw_ts, ev->ts_ns);
	rec.reason_type = SEQ_REASON_TIMEWAIT_END;
	rec.reason = ev->reason;
	rec.tw_substate = ev->newstate;
	emit(e, &rec);
}

/* What is known of @c so far, as @kind (unfinished, in_progress). */
static void emit_unfinished(struct seq_engine *e, struct conn *c,
			    enum seq_kind kind)
{
	struct seq_record rec;

	fill_record(e, c, &rec, kind, c->last_ts);
	rec.missing |= SEQ_MISS_END;
	if (!(c->flags & F_OPENED))
		rec.syn_queue_ns = syn_queue_time(c);
	emit(e, &rec);
}

/*
 * The socket behind @l was freed without our seeing its end (events lost
 * or filtered), since its id turns up anew. Forget that id; a conn left
 * with no id reports what it had. One reported already, or waiting for a
 * migration's successor, goes quietly or stays.
 */
static void link_lost(struct seq_engine *e, struct link *l)
{
	struct conn *c = l->conn;

	link_del(e, l);
	if (any_live(c) || (c->flags & F_MIGRATING))
		return;
	if (!(c->flags & F_DONE))
		emit_unfinished(e, c, SEQ_UNFINISHED);
	conn_free(e, c);
}

/*
 * The conn wearing @id as @role, or NULL. The id found in another role
 * means the socket that had it is gone unseen: that is dealt with, and
 * NULL returned.
 */
static struct conn *claim(struct seq_engine *e, __u64 id, enum role r)
{
	struct link *l = id ? link_find(e, id) : NULL;

	if (!l)
		return NULL;
	if (role_of(l) != r) {
		link_lost(e, l);
		return NULL;
	}
	return l->conn;
}

/*
 * A request sock whose SYN_RECV was not seen (it predates the reader, or
 * its event was lost): followed from here, its start missing.
 */
static struct conn *req_unseen(struct seq_engine *e,
			       const struct tcpstate_event *ev)
{
	struct conn *c = conn_new(e, ev);

	if (!c)
		return NULL;
	c->side = SEQ_SIDE_SERVER;
	c->state = TCPS_SYN_RECV;
	c->missing |= SEQ_MISS_START;
	c->req_id = ev->sock_id;
	take_tuple(c, ev);
	step_add(c, TCPS_SYN_RECV, SEQ_NONE);
	link_add(e, c, ROLE_REQ, ev->sock_id);
	return c;
}

/* ---- events ---- */

static void on_state(struct seq_engine *e, const struct tcpstate_event *ev)
{
	const unsigned int old = ev->oldstate, new = ev->newstate;
	const int begin_active = old == TCPS_CLOSE && new == TCPS_SYN_SENT;
	const int begin_child = old == TCPS_LISTEN && new == TCPS_SYN_RECV;
	const int listener = !begin_child &&
			     (old == TCPS_LISTEN || new == TCPS_LISTEN);
	struct link *l = link_find(e, ev->sock_id);
	struct conn *c = NULL;

	if (old == new)
		return;
	if (l) {
		c = l->conn;
		/*
		 * A beginning (or a listener) on an id we follow: the socket
		 * we followed is gone and the id reused, unless it is the
		 * child a SYN_RECV_END already announced.
		 */
		if (role_of(l) != ROLE_SK || listener || begin_active ||
		    (begin_child && !(c->flags & F_CHILD_PENDING)) ||
		    ((c->flags & F_DONE) && new != TCPS_CLOSE)) {
			link_lost(e, l);
			c = NULL;
		}
	}
	/* Listeners are not connections. */
	if (listener)
		return;

	if (!c) {
		c = conn_new(e, ev);
		if (!c)
			return;
		c->sk_id = ev->sock_id;
		link_add(e, c, ROLE_SK, ev->sock_id);
		take_tuple(c, ev);
		if (begin_active || begin_child) {
			c->side = begin_active ? SEQ_SIDE_CLIENT :
						 SEQ_SIDE_SERVER;
			c->state = (__u8)new;
			c->syn_ts = begin_active ? ev->ts_ns : SEQ_NONE;
			if (begin_child)
				c->flags |= F_NO_REQ;
			step_add(c, new, ev->ts_ns);
			return;
		}
		/*
		 * First seen mid-way. SYN_SENT is only ever entered by
		 * connect(); a full socket in SYN_RECV is taken for a
		 * listener's child (the only other way in is a simultaneous
		 * open, which would show SYN_SENT -> SYN_RECV). Anything
		 * later is past the opening, whose side is unknown.
		 */
		c->missing |= SEQ_MISS_START;
		c->state = (__u8)old;
		if (old == TCPS_SYN_SENT)
			c->side = SEQ_SIDE_CLIENT;
		else if (old == TCPS_SYN_RECV)
			c->side = SEQ_SIDE_SERVER;
		else
			c->flags |= F_OPENED;
		step_add(c, old, SEQ_NONE);
	} else if (begin_child) {
		/* The child SYN_RECV_END announced: the request sock's
		 * SYN_RECV step already stands for this state.
		 */
		c->flags &= ~F_CHILD_PENDING;
		touch(e, c, ev->ts_ns);
		return;
	} else if (c->flags & F_DONE) {
		/* Reported at its timewait sock's end already. */
		conn_free(e, c);
		return;
	} else {
		touch(e, c, ev->ts_ns);
		take_tuple(c, ev);
		if (!c->state)
			step_add(c, old, SEQ_NONE);
		else if (c->state != old)
			note_gap(c, old);
	}

	c->flags &= ~F_CHILD_PENDING;
	c->state = (__u8)new;
	switch (new) {
	case TCPS_ESTABLISHED:
		if (!(c->flags & F_OPENED))
			emit_open(e, c, ev->ts_ns);
		else
			step_add(c, new, ev->ts_ns);
		break;
	case TCPS_CLOSE:
		if (c->flags & F_HAS_TW) {
			/* The timewait sock carries on; this id is done. */
			link_del(e, &c->link[ROLE_SK]);
			break;
		}
		emit_closed(e, c, old, ev->ts_ns);
		break;
	default:
		step_add(c, new, ev->ts_ns);
		break;
	}
}

/* A migrated request sock whose successor @ev is, by id or by tuple. */
static struct conn *find_migrated(struct seq_engine *e,
				  const struct tcpstate_event *ev)
{
	struct conn *c;

	for (c = e->mig.mig_next; c != &e->mig; c = c->mig_next) {
		if (c->mig_peer == ev->sock_id)
			return c;
		if (c->netns == ev->netns && c->family == ev->family &&
		    c->sport == ev->sport && c->dport == ev->dport &&
		    !memcmp(c->saddr, ev->saddr, sizeof(c->saddr)) &&
		    !memcmp(c->daddr, ev->daddr, sizeof(c->daddr)))
			return c;
	}
	return NULL;
}

static void on_syn_recv(struct seq_engine *e, const struct tcpstate_event *ev)
{
	struct link *l = link_find(e, ev->sock_id);
	struct conn *c;

	if (l)
		link_lost(e, l);

	c = find_migrated(e, ev);
	if (c) {
		/* Same connection, new listener: the SYN's time stands. */
		mig_unlink(e, c);
		touch(e, c, ev->ts_ns);
	} else {
		c = conn_new(e, ev);
		if (!c)
			return;
		c->side = SEQ_SIDE_SERVER;
		c->state = TCPS_SYN_RECV;
		c->syn_ts = ev->ts_ns;
		step_add(c, TCPS_SYN_RECV, ev->ts_ns);
	}
	c->req_id = ev->sock_id;
	c->has_synq = 1;
	c->synq_len = ev->qlen;
	c->synq_max = ev->qmax;
	take_tuple(c, ev);
	link_add(e, c, ROLE_REQ, ev->sock_id);
}

/* The request sock's conn, followed from here if it was not yet. */
static struct conn *req_conn(struct seq_engine *e,
			     const struct tcpstate_event *ev)
{
	struct conn *c = claim(e, ev->sock_id, ROLE_REQ);

	if (c) {
		touch(e, c, ev->ts_ns);
		return c;
	}
	return req_unseen(e, ev);
}

static void on_synack_retrans(struct seq_engine *e,
			      const struct tcpstate_event *ev)
{
	struct conn *c = req_conn(e, ev);

	if (c && ev->count > c->retrans)
		c->retrans = ev->count;
}

/*
 * A third ACK dropped (full accept queue): the request sock stays in the
 * SYN queue, to complete later or to expire. Its end reports the drops.
 */
static void on_ack_drop(struct seq_engine *e, const struct tcpstate_event *ev)
{
	struct conn *c = req_conn(e, ev);

	if (!c)
		return;
	c->ack_drops++;
	c->ack_drop_reason = ev->reason;
	c->has_dropq = 1;
	c->dropq_len = ev->qlen;
	c->dropq_max = ev->qmax;
}

/* @req's data goes to @child, the conn its child socket began. */
static void merge_req(struct seq_engine *e, struct conn *child,
		      struct conn *req)
{
	child->syn_ts = req->syn_ts;
	child->synq_end_ts = req->synq_end_ts;
	child->retrans = req->retrans;
	child->ack_drops = req->ack_drops;
	child->ack_drop_reason = req->ack_drop_reason;
	child->has_synq = req->has_synq;
	child->synq_len = req->synq_len;
	child->synq_max = req->synq_max;
	child->req_id = req->req_id;
	/* Its beginning is the request sock's now. */
	child->missing = (child->missing & ~SEQ_MISS_START) | req->missing;
	if (!child->state)
		child->state = TCPS_SYN_RECV;
	if (req->loss_gen < child->loss_gen)
		child->loss_gen = req->loss_gen;
	if (req->first_ts < child->first_ts)
		child->first_ts = req->first_ts;
	if (req->last_ts > child->last_ts)
		child->last_ts = req->last_ts;
	/* The request sock's tuple is the full one. */
	if (req->flags & F_TUPLE) {
		child->sport = req->sport;
		child->dport = req->dport;
		memcpy(child->saddr, req->saddr, sizeof(child->saddr));
		memcpy(child->daddr, req->daddr, sizeof(child->daddr));
	}
	memcpy(child->steps, req->steps, sizeof(child->steps));
	child->nsteps = req->nsteps;
	child->flags &= ~F_NO_REQ;
	conn_free(e, req);
}

static void on_syn_recv_end(struct seq_engine *e,
			    const struct tcpstate_event *ev)
{
	struct seq_record rec;
	struct conn *c = req_conn(e, ev), *child;
	struct link *l;
	enum seq_kind kind;

	if (!c)
		return;
	if (ev->count > c->retrans)
		c->retrans = ev->count;
	c->synq_end_ts = ev->ts_ns;
	link_del(e, &c->link[ROLE_REQ]);

	switch (ev->reason) {
	case TCPSTATE_SRE_COMPLETED:
		l = ev->peer_id ? link_find(e, ev->peer_id) : NULL;
		child = l ? l->conn : NULL;
		/*
		 * The child is followed already if its LISTEN -> SYN_RECV
		 * (or, that lost, its ACCEPT_QUEUED) came first, as it does.
		 * Anything else under that id is a socket gone unseen.
		 */
		if (child && role_of(l) == ROLE_SK &&
		    !(child->flags & F_OPENED) &&
		    ((child->flags & F_NO_REQ) || !child->state)) {
			touch(e, child, ev->ts_ns);
			merge_req(e, child, c);
			return;
		}
		if (l)
			link_lost(e, l);
		if (!ev->peer_id) {
			emit_unfinished(e, c, SEQ_UNFINISHED);
			conn_free(e, c);
			return;
		}
		c->sk_id = ev->peer_id;
		c->flags |= F_CHILD_PENDING;
		link_add(e, c, ROLE_SK, ev->peer_id);
		return;
	case TCPSTATE_SRE_MIGRATED:
		if (e->nmig >= MAX_MIGRATING) {
			struct conn *old = e->mig.mig_prev;

			mig_unlink(e, old);
			emit_unfinished(e, old, SEQ_UNFINISHED);
			conn_free(e, old);
		}
		c->flags |= F_MIGRATING;
		c->mig_peer = ev->peer_id;
		c->mig_next = e->mig.mig_next;
		c->mig_prev = &e->mig;
		e->mig.mig_next->mig_prev = c;
		e->mig.mig_next = c;
		e->nmig++;
		return;
	}

	/*
	 * It ended without a child. Third ACKs dropped on the way make it
	 * a handshake lost to a full accept queue, whatever finished it.
	 */
	if (c->ack_drops)
		kind = SEQ_ACK_DROPPED;
	else if (ev->reason == TCPSTATE_SRE_EXPIRED)
		kind = SEQ_HALF_OPEN_EXPIRED;
	else
		kind = SEQ_HALF_OPEN_DROPPED;
	step_add(c, TCPS_CLOSE, ev->ts_ns);
	fill_record(e, c, &rec, kind, ev->ts_ns);
	rec.syn_queue_ns = syn_queue_time(c);
	rec.duration_ns = rec.syn_queue_ns;
	if (kind == SEQ_ACK_DROPPED) {
		rec.reason_type = SEQ_REASON_DROP;
		rec.reason = c->ack_drop_reason;
		rec.has_queue = c->has_dropq;
		rec.qlen = c->dropq_len;
		rec.qmax = c->dropq_max;
	} else {
		rec.reason_type = SEQ_REASON_SYN_RECV_END;
		rec.reason = ev->reason;
		rec.has_queue = c->has_synq;
		rec.qlen = c->synq_len;
		rec.qmax = c->synq_max;
	}
	emit(e, &rec);
	conn_free(e, c);
}

static void on_accept_queued(struct seq_engine *e,
			     const struct tcpstate_event *ev)
{
	struct conn *c = claim(e, ev->sock_id, ROLE_SK);

	if (c) {
		touch(e, c, ev->ts_ns);
	} else {
		/* A child whose beginning was not seen: its state now is
		 * not known either (c->state 0).
		 */
		c = conn_new(e, ev);
		if (!c)
			return;
		c->side = SEQ_SIDE_SERVER;
		c->missing |= SEQ_MISS_START;
		c->sk_id = ev->sock_id;
		link_add(e, c, ROLE_SK, ev->sock_id);
	}
	take_tuple(c, ev);
	c->has_acceptq = 1;
	c->acceptq_len = ev->qlen;
	c->acceptq_max = ev->qmax;
}

/* SYN_DROP and SYNCOOKIE_SENT: no socket, reported as they come. */
static void on_listener_event(struct seq_engine *e,
			      const struct tcpstate_event *ev,
			      enum seq_kind kind)
{
	struct seq_record rec;
	struct conn c;

	conn_init(e, &c, ev);
	c.side = SEQ_SIDE_SERVER;
	take_tuple(&c, ev);
	fill_record(e, &c, &rec, kind, ev->ts_ns);
	if (kind == SEQ_SYN_DROPPED) {
		rec.reason_type = SEQ_REASON_DROP;
		rec.reason = ev->reason;
		rec.has_queue = 1;
		rec.qlen = ev->qlen;
		rec.qmax = ev->qmax;
	}
	emit(e, &rec);
}

static void on_timewait(struct seq_engine *e, const struct tcpstate_event *ev)
{
	struct link *l = link_find(e, ev->sock_id);
	struct conn *c;

	if (l)
		link_lost(e, l);
	c = claim(e, ev->peer_id, ROLE_SK);
	if (c && (c->flags & F_DONE)) {
		conn_free(e, c);
		c = NULL;
	}
	if (c) {
		touch(e, c, ev->ts_ns);
		take_tuple(c, ev);
		if (!c->state)
			step_add(c, ev->oldstate, SEQ_NONE);
		else if (c->state != ev->oldstate)
			note_gap(c, ev->oldstate);
	} else {
		/*
		 * Its full socket was not followed: link that id anyway, so
		 * that the CLOSE it is about to report is not taken for a
		 * connection of its own.
		 */
		c = conn_new(e, ev);
		if (!c)
			return;
		c->missing |= SEQ_MISS_START;
		take_tuple(c, ev);
		step_add(c, ev->oldstate, SEQ_NONE);
		if (ev->peer_id) {
			c->sk_id = ev->peer_id;
			link_add(e, c, ROLE_SK, ev->peer_id);
		}
	}
	c->flags |= F_OPENED | F_HAS_TW;
	c->flags &= ~F_CHILD_PENDING;
	c->state = ev->oldstate;
	c->tw_id = ev->sock_id;
	c->tw_ts = ev->ts_ns;
	c->tw_sub = ev->newstate;
	step_add(c, ev->newstate == TCPS_FIN_WAIT2 ? SEQ_ST_TW_FIN_WAIT2 :
		 TCPS_TIME_WAIT, ev->ts_ns);
	link_add(e, c, ROLE_TW, ev->sock_id);
}

static void on_timewait_end(struct seq_engine *e,
			    const struct tcpstate_event *ev)
{
	struct conn *c = claim(e, ev->sock_id, ROLE_TW);
	struct conn tmp;

	if (!c) {
		/* Older than the reader, or its TIMEWAIT was lost. */
		conn_init(e, &tmp, ev);
		tmp.missing |= SEQ_MISS_START;
		tmp.tw_id = ev->sock_id;
		tmp.tw_sub = ev->newstate;
		take_tuple(&tmp, ev);
		step_add(&tmp, ev->newstate == TCPS_FIN_WAIT2 ?
			 SEQ_ST_TW_FIN_WAIT2 : TCPS_TIME_WAIT, SEQ_NONE);
		emit_tw_end(e, &tmp, ev);
		return;
	}
	touch(e, c, ev->ts_ns);
	emit_tw_end(e, c, ev);
	link_del(e, &c->link[ROLE_TW]);
	/* Its full socket's CLOSE is still due: swallow it when it comes. */
	if (c->link[ROLE_SK].live)
		c->flags |= F_DONE;
	else
		conn_free(e, c);
}

/*
 * An orphaned FIN_WAIT2 timewait sock got the peer's FIN: from here it is
 * in TIME_WAIT, and its close completed as an ordinary active close.
 */
static void on_timewait_substate(struct seq_engine *e,
				 const struct tcpstate_event *ev)
{
	struct conn *c = claim(e, ev->sock_id, ROLE_TW);

	if (!c)
		return;
	touch(e, c, ev->ts_ns);
	c->tw_sub = ev->newstate;
	step_add(c, ev->newstate == TCPS_FIN_WAIT2 ? SEQ_ST_TW_FIN_WAIT2 :
		 TCPS_TIME_WAIT, ev->ts_ns);
}

static void on_syn_drop(struct seq_engine *e, const struct tcpstate_event *ev)
{
	on_listener_event(e, ev, SEQ_SYN_DROPPED);
}

static void on_syncookie_sent(struct seq_engine *e,
			      const struct tcpstate_event *ev)
{
	on_listener_event(e, ev, SEQ_SYN_COOKIE);
}

typedef void (*event_handler)(struct seq_engine *e,
			      const struct tcpstate_event *ev);

/* What each event type does to the connections; one table, by type. */
static const event_handler handlers[] = {
	[TCPSTATE_EV_STATE] = on_state,
	[TCPSTATE_EV_SYN_RECV] = on_syn_recv,
	[TCPSTATE_EV_SYN_RECV_END] = on_syn_recv_end,
	[TCPSTATE_EV_SYNACK_RETRANS] = on_synack_retrans,
	[TCPSTATE_EV_ACCEPT_QUEUED] = on_accept_queued,
	[TCPSTATE_EV_ACK_DROP] = on_ack_drop,
	[TCPSTATE_EV_SYN_DROP] = on_syn_drop,
	[TCPSTATE_EV_SYNCOOKIE_SENT] = on_syncookie_sent,
	[TCPSTATE_EV_TIMEWAIT] = on_timewait,
	[TCPSTATE_EV_TIMEWAIT_END] = on_timewait_end,
	[TCPSTATE_EV_TIMEWAIT_SUBSTATE] = on_timewait_substate,
};

void seq_feed(struct seq_engine *e, const struct tcpstate_event *ev)
{
	e->events++;
	/* A newer module's event is not part of any sequence we know. */
	if (ev->type < ARRAY_SIZE(handlers) && handlers[ev->type])
		handlers[ev->type](e, ev);
}

void seq_note_loss(struct seq_engine *e)
{
	e->loss_gen++;
}

void seq_flush(struct seq_engine *e)
{
	struct conn *c;

	while ((c = e->lru.lru_prev) != &e->lru) {
		if (!(c->flags & F_DONE))
			emit_unfinished(e, c, SEQ_IN_PROGRESS);
		conn_free(e, c);
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
		conn_free(e, c);
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

static const char *const kind_names[] = {
	[SEQ_ACTIVE_OPEN] = "active_open",
	[SEQ_PASSIVE_OPEN] = "passive_open",
	[SEQ_CONNECT_REFUSED] = "connect_refused",
	[SEQ_CONNECT_TIMEOUT] = "connect_timeout",
	[SEQ_CONNECT_FAILED] = "connect_failed",
	[SEQ_HALF_OPEN_EXPIRED] = "half_open_expired",
	[SEQ_HALF_OPEN_DROPPED] = "half_open_dropped",
	[SEQ_ACK_DROPPED] = "ack_dropped",
	[SEQ_SYN_DROPPED] = "syn_dropped",
	[SEQ_SYN_COOKIE] = "syn_cookie",
	[SEQ_ACTIVE_CLOSE] = "active_close",
	[SEQ_PASSIVE_CLOSE] = "passive_close",
	[SEQ_SIMULTANEOUS_CLOSE] = "simultaneous_close",
	[SEQ_ORPHAN_CLOSE] = "orphan_close",
	[SEQ_RESET] = "reset",
	[SEQ_UNFINISHED] = "unfinished",
	[SEQ_IN_PROGRESS] = "in_progress",
};

_Static_assert(ARRAY_SIZE(kind_names) == SEQ_NR_KINDS,
	       "kind_names does not cover enum seq_kind");

const char *seq_kind_name(unsigned int kind)
{
	return TCPSTATE_NAME_OF(kind_names, kind);
}

static const char *const side_names[] = {
	[SEQ_SIDE_CLIENT] = "client",
	[SEQ_SIDE_SERVER] = "server",
};

const char *seq_side_name(enum seq_side side)
{
	return TCPSTATE_NAME_OF(side_names, side);
}

const char *seq_step_name(unsigned int state)
{
	if (state == SEQ_ST_GAP)
		return "...";
	if (state == SEQ_ST_TW_FIN_WAIT2)
		return "FIN_WAIT2(tw)";
	return tcpstate_state_name(state);
}

const char *seq_reason_name(const struct seq_record *rec)
{
	switch (rec->reason_type) {
	case SEQ_REASON_SYN_RECV_END:
		return tcpstate_syn_recv_end_name(rec->reason);
	case SEQ_REASON_DROP:
		return tcpstate_drop_reason_name(rec->reason);
	case SEQ_REASON_TIMEWAIT_END:
		return tcpstate_timewait_end_name(rec->reason);
	default:
		return NULL;
	}
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
