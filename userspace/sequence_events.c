// SPDX-License-Identifier: GPL-2.0
/*
 * Connection sequences from the event stream, the half that reads the
 * events: what each event type does to the connections it names
 * (sequence_internal.h), and seq_feed(), which dispatches by type.
 *
 * The order the kernel reports a passive open in (module/kprobes.c): the
 * child's LISTEN -> SYN_RECV (inet_csk_clone_lock(), inside
 * syn_recv_sock), the request sock's SYN_RECV_END completed child=
 * (inet_csk_complete_hashdance() entry), ACCEPT_QUEUED (its return), then
 * the child's SYN_RECV -> ESTABLISHED (tcp_child_process()). A TIMEWAIT
 * comes before the full socket's FIN_WAIT2/CLOSING -> CLOSE
 * (tcp_time_wait() makes the timewait sock, then tcp_done()). An RST
 * received comes before the CLOSE it causes (tcp_reset()); an abort's RST
 * sent comes after its CLOSE (tcp_close(), tcp_disconnect()), which waits
 * for it (seq_hold_close()). The code copes with either order where it
 * costs nothing, and reports a gap rather than guess where it would.
 */
#include <errno.h>
#include <string.h>

#include "names.h"
#include "sequence.h"
#include "sequence_internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The conn wearing @id as @role, or NULL. The id found in another role
 * means the socket that had it is gone unseen: that is dealt with, and
 * NULL returned.
 */
static struct conn *claim(struct seq_engine *e, __u64 id, enum role r)
{
	struct link *l = id ? seq_link_find(e, id) : NULL;

	if (!l)
		return NULL;
	if (seq_role_of(l) != r) {
		seq_link_lost(e, l);
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
	struct conn *c = seq_conn_new(e, ev);

	if (!c)
		return NULL;
	c->side = SEQ_SIDE_SERVER;
	c->state = TCPS_SYN_RECV;
	c->missing |= SEQ_MISS_START;
	c->req_id = ev->sock_id;
	seq_take_tuple(c, ev);
	seq_step_add(c, TCPS_SYN_RECV, SEQ_NONE);
	seq_link_add(e, c, ROLE_REQ, ev->sock_id);
	return c;
}

/*
 * The sequence numbers @ev gives (tcpstate.h, struct tcpstate_event): the
 * ISNs wherever they are valid; our FIN's as write_seq on entering
 * FIN_WAIT1 or LAST_ACK (the FIN is queued right after); the peer's as
 * rcv_nxt - 1 on entering a state its FIN leads to.
 */
static void take_seqs(struct conn *c, const struct tcpstate_event *ev)
{
	const unsigned int new = ev->newstate;

	if (ev->valid & TCPSTATE_VALID_ISS) {
		c->iss = ev->iss;
		c->seqs |= SEQ_HAS_ISS;
	}
	if (ev->valid & TCPSTATE_VALID_IRS) {
		c->irs = ev->irs;
		c->seqs |= SEQ_HAS_IRS;
	}
	if (!(ev->valid & TCPSTATE_VALID_SEQ))
		return;
	if (ev->type == TCPSTATE_EV_STATE &&
	    (new == TCPS_FIN_WAIT1 || new == TCPS_LAST_ACK)) {
		c->fin_seq = ev->seq;
		c->seqs |= SEQ_HAS_FIN;
	}
	if ((ev->type == TCPSTATE_EV_STATE &&
	     (new == TCPS_CLOSE_WAIT || new == TCPS_CLOSING ||
	      new == TCPS_TIME_WAIT)) ||
	    ((ev->type == TCPSTATE_EV_TIMEWAIT ||
	      ev->type == TCPSTATE_EV_TIMEWAIT_SUBSTATE) &&
	     new == TCPS_TIME_WAIT)) {
		c->peer_fin_seq = ev->ack - 1;
		c->seqs |= SEQ_HAS_PEER_FIN;
	}
}

/*
 * Whether a -> CLOSE from @old with err 0 and no RST seen may be an
 * active reset whose RST_SENT is still to come: close() with unread data
 * or SO_LINGER 0, and tcp_disconnect(), close before they reset, from
 * any synchronized state.
 */
static int may_precede_rst(unsigned int old)
{
	switch (old) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT1:
	case TCPS_FIN_WAIT2:
	case TCPS_SYN_RECV:
		return 1;
	default:
		return 0;
	}
}

/* ---- events ---- */

static void on_state(struct seq_engine *e, const struct tcpstate_event *ev)
{
	const unsigned int old = ev->oldstate, new = ev->newstate;
	const int begin_active = old == TCPS_CLOSE && new == TCPS_SYN_SENT;
	const int begin_child = old == TCPS_LISTEN && new == TCPS_SYN_RECV;
	const int listener = !begin_child &&
			     (old == TCPS_LISTEN || new == TCPS_LISTEN);
	struct link *l = seq_link_find(e, ev->sock_id);
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
		if (seq_role_of(l) != ROLE_SK || listener || begin_active ||
		    (begin_child && !(c->flags & F_CHILD_PENDING)) ||
		    ((c->flags & F_DONE) && new != TCPS_CLOSE)) {
			seq_link_lost(e, l);
			c = NULL;
		}
	}
	/* Listeners are not connections. */
	if (listener)
		return;

	if (!c) {
		c = seq_conn_new(e, ev);
		if (!c)
			return;
		c->sk_id = ev->sock_id;
		seq_link_add(e, c, ROLE_SK, ev->sock_id);
		seq_take_tuple(c, ev);
		if (begin_active || begin_child) {
			c->side = begin_active ? SEQ_SIDE_CLIENT :
						 SEQ_SIDE_SERVER;
			c->state = (__u8)new;
			c->syn_ts = begin_active ? ev->ts_ns : SEQ_NONE;
			if (begin_child)
				c->flags |= F_NO_REQ;
			seq_step_add(c, new, ev->ts_ns);
			take_seqs(c, ev);
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
		seq_step_add(c, old, SEQ_NONE);
	} else if (begin_child) {
		/* The child SYN_RECV_END announced: the request sock's
		 * SYN_RECV step already stands for this state.
		 */
		c->flags &= ~F_CHILD_PENDING;
		seq_touch(e, c, ev->ts_ns);
		take_seqs(c, ev);
		return;
	} else if (c->flags & F_DONE) {
		/* Reported at its timewait sock's end already. */
		seq_conn_free(e, c);
		return;
	} else {
		seq_touch(e, c, ev->ts_ns);
		seq_take_tuple(c, ev);
		if (!c->state)
			seq_step_add(c, old, SEQ_NONE);
		else if (c->state != old)
			seq_note_gap(c, old);
	}

	c->flags &= ~F_CHILD_PENDING;
	c->state = (__u8)new;
	take_seqs(c, ev);
	switch (new) {
	case TCPS_ESTABLISHED:
		if (!(c->flags & F_OPENED))
			seq_emit_open(e, c, ev->ts_ns);
		else
			seq_step_add(c, new, ev->ts_ns);
		break;
	case TCPS_CLOSE:
		if (ev->valid & TCPSTATE_VALID_SEQ) {
			c->has_close_ack = 1;
			c->close_ack = ev->ack;
		}
		if (c->flags & F_HAS_TW) {
			/* The timewait sock carries on; this id is done. */
			seq_link_del(e, &c->link[ROLE_SK]);
			break;
		}
		if ((ev->valid & TCPSTATE_VALID_ERR) && !ev->err &&
		    !c->rst_received && !c->rst_sent && may_precede_rst(old)) {
			seq_hold_close(e, c, old, ev->ts_ns);
			break;
		}
		seq_emit_closed(e, c, old, ev->ts_ns,
				!!(ev->valid & TCPSTATE_VALID_ERR), ev->err);
		break;
	default:
		seq_step_add(c, new, ev->ts_ns);
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
	struct link *l = seq_link_find(e, ev->sock_id);
	struct conn *c;

	if (l)
		seq_link_lost(e, l);

	c = find_migrated(e, ev);
	if (c) {
		/* Same connection, new listener: the SYN's time stands. */
		seq_mig_unlink(e, c);
		seq_touch(e, c, ev->ts_ns);
	} else {
		c = seq_conn_new(e, ev);
		if (!c)
			return;
		c->side = SEQ_SIDE_SERVER;
		c->state = TCPS_SYN_RECV;
		c->syn_ts = ev->ts_ns;
		seq_step_add(c, TCPS_SYN_RECV, ev->ts_ns);
	}
	c->req_id = ev->sock_id;
	c->has_synq = 1;
	c->synq_len = ev->qlen;
	c->synq_max = ev->qmax;
	seq_take_tuple(c, ev);
	take_seqs(c, ev);
	seq_link_add(e, c, ROLE_REQ, ev->sock_id);
}

/* The request sock's conn, followed from here if it was not yet. */
static struct conn *req_conn(struct seq_engine *e,
			     const struct tcpstate_event *ev)
{
	struct conn *c = claim(e, ev->sock_id, ROLE_REQ);

	if (c) {
		seq_touch(e, c, ev->ts_ns);
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
	/* The child's own events tell its ISNs as well; the request
	 * sock's stand where they do not.
	 */
	if (!(child->seqs & SEQ_HAS_ISS) && (req->seqs & SEQ_HAS_ISS))
		child->iss = req->iss;
	if (!(child->seqs & SEQ_HAS_IRS) && (req->seqs & SEQ_HAS_IRS))
		child->irs = req->irs;
	child->seqs |= req->seqs & (SEQ_HAS_ISS | SEQ_HAS_IRS);
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
	seq_conn_free(e, req);
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
	seq_link_del(e, &c->link[ROLE_REQ]);

	switch (ev->reason) {
	case TCPSTATE_SRE_COMPLETED:
		l = ev->peer_id ? seq_link_find(e, ev->peer_id) : NULL;
		child = l ? l->conn : NULL;
		/*
		 * The child is followed already if its LISTEN -> SYN_RECV
		 * (or, that lost, its ACCEPT_QUEUED) came first, as it does.
		 * Anything else under that id is a socket gone unseen.
		 */
		if (child && seq_role_of(l) == ROLE_SK &&
		    !(child->flags & F_OPENED) &&
		    ((child->flags & F_NO_REQ) || !child->state)) {
			seq_touch(e, child, ev->ts_ns);
			merge_req(e, child, c);
			return;
		}
		if (l)
			seq_link_lost(e, l);
		if (!ev->peer_id) {
			seq_emit_unfinished(e, c, SEQ_UNFINISHED);
			seq_conn_free(e, c);
			return;
		}
		c->sk_id = ev->peer_id;
		c->flags |= F_CHILD_PENDING;
		seq_link_add(e, c, ROLE_SK, ev->peer_id);
		return;
	case TCPSTATE_SRE_MIGRATED:
		if (e->nmig >= MAX_MIGRATING) {
			struct conn *old = e->mig.mig_prev;

			seq_mig_unlink(e, old);
			seq_emit_unfinished(e, old, SEQ_UNFINISHED);
			seq_conn_free(e, old);
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
	seq_step_add(c, TCPS_CLOSE, ev->ts_ns);
	seq_fill_record(e, c, &rec, kind, ev->ts_ns);
	rec.syn_queue_ns = seq_syn_queue_time(c);
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
	seq_emit(e, &rec);
	seq_conn_free(e, c);
}

static void on_accept_queued(struct seq_engine *e,
			     const struct tcpstate_event *ev)
{
	struct conn *c = claim(e, ev->sock_id, ROLE_SK);

	if (c) {
		seq_touch(e, c, ev->ts_ns);
	} else {
		/* A child whose beginning was not seen: its state now is
		 * not known either (c->state 0).
		 */
		c = seq_conn_new(e, ev);
		if (!c)
			return;
		c->side = SEQ_SIDE_SERVER;
		c->missing |= SEQ_MISS_START;
		c->sk_id = ev->sock_id;
		seq_link_add(e, c, ROLE_SK, ev->sock_id);
	}
	seq_take_tuple(c, ev);
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

	seq_conn_init(e, &c, ev);
	c.side = SEQ_SIDE_SERVER;
	seq_take_tuple(&c, ev);
	seq_fill_record(e, &c, &rec, kind, ev->ts_ns);
	if (kind == SEQ_SYN_DROPPED) {
		rec.reason_type = SEQ_REASON_DROP;
		rec.reason = ev->reason;
		rec.has_queue = 1;
		rec.qlen = ev->qlen;
		rec.qmax = ev->qmax;
	}
	seq_emit(e, &rec);
}

static void on_timewait(struct seq_engine *e, const struct tcpstate_event *ev)
{
	struct link *l = seq_link_find(e, ev->sock_id);
	struct conn *c;

	if (l)
		seq_link_lost(e, l);
	c = claim(e, ev->peer_id, ROLE_SK);
	if (c && (c->flags & F_DONE)) {
		seq_conn_free(e, c);
		c = NULL;
	}
	if (c) {
		seq_touch(e, c, ev->ts_ns);
		seq_take_tuple(c, ev);
		if (!c->state)
			seq_step_add(c, ev->oldstate, SEQ_NONE);
		else if (c->state != ev->oldstate)
			seq_note_gap(c, ev->oldstate);
	} else {
		/*
		 * Its full socket was not followed: link that id anyway, so
		 * that the CLOSE it is about to report is not taken for a
		 * connection of its own.
		 */
		c = seq_conn_new(e, ev);
		if (!c)
			return;
		c->missing |= SEQ_MISS_START;
		seq_take_tuple(c, ev);
		seq_step_add(c, ev->oldstate, SEQ_NONE);
		if (ev->peer_id) {
			c->sk_id = ev->peer_id;
			seq_link_add(e, c, ROLE_SK, ev->peer_id);
		}
	}
	c->flags |= F_OPENED | F_HAS_TW;
	c->flags &= ~F_CHILD_PENDING;
	c->state = ev->oldstate;
	c->tw_id = ev->sock_id;
	c->tw_ts = ev->ts_ns;
	c->tw_sub = ev->newstate;
	take_seqs(c, ev);
	seq_step_add(c, ev->newstate == TCPS_FIN_WAIT2 ? SEQ_ST_TW_FIN_WAIT2 :
		     TCPS_TIME_WAIT, ev->ts_ns);
	seq_link_add(e, c, ROLE_TW, ev->sock_id);
}

static void on_timewait_end(struct seq_engine *e,
			    const struct tcpstate_event *ev)
{
	struct conn *c = claim(e, ev->sock_id, ROLE_TW);
	struct conn tmp;

	if (!c) {
		/* Older than the reader, or its TIMEWAIT was lost. */
		seq_conn_init(e, &tmp, ev);
		tmp.missing |= SEQ_MISS_START;
		tmp.tw_id = ev->sock_id;
		tmp.tw_sub = ev->newstate;
		seq_take_tuple(&tmp, ev);
		seq_step_add(&tmp, ev->newstate == TCPS_FIN_WAIT2 ?
			     SEQ_ST_TW_FIN_WAIT2 : TCPS_TIME_WAIT, SEQ_NONE);
		seq_emit_tw_end(e, &tmp, ev);
		return;
	}
	seq_touch(e, c, ev->ts_ns);
	seq_emit_tw_end(e, c, ev);
	seq_link_del(e, &c->link[ROLE_TW]);
	/* Its full socket's CLOSE is still due: swallow it when it comes. */
	if (c->link[ROLE_SK].live)
		c->flags |= F_DONE;
	else
		seq_conn_free(e, c);
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
	seq_touch(e, c, ev->ts_ns);
	c->tw_sub = ev->newstate;
	take_seqs(c, ev);
	seq_step_add(c, ev->newstate == TCPS_FIN_WAIT2 ? SEQ_ST_TW_FIN_WAIT2 :
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

/* The conn wearing @id in any role, or NULL; 0 is no socket. */
static struct conn *conn_of(struct seq_engine *e, __u64 id)
{
	struct link *l = id ? seq_link_find(e, id) : NULL;

	return l ? l->conn : NULL;
}

/*
 * An RST this host sent for a socket we follow; its end (a -> CLOSE,
 * before or after) is then a reset by us. An RST for no socket (sock_id
 * 0: a closed port) belongs to no connection: the counters have it.
 */
static void on_rst_sent(struct seq_engine *e, const struct tcpstate_event *ev)
{
	struct conn *c = conn_of(e, ev->sock_id);

	if (!c)
		return;
	seq_touch(e, c, ev->ts_ns);
	c->rst_sent = 1;
	c->rst_reason = ev->reason;
	if (ev->valid & TCPSTATE_VALID_SEQ) {
		c->rst_seq = ev->seq;
		c->rst_ack = ev->ack;
		c->seqs |= SEQ_HAS_RST;
	} else if (ev->oldstate == TCPS_CLOSE && c->has_close_ack) {
		/*
		 * An abort after the close (tcp_send_active_reset(), in the
		 * same call): its RST acks rcv_nxt, as the CLOSE saw it.
		 * Its seq (snd_nxt) is not write_seq while data is unsent.
		 */
		c->rst_ack = c->close_ack;
		c->seqs |= SEQ_HAS_RST_ACK;
	}
}

/* The peer's RST, accepted: the -> CLOSE that follows is its doing. */
static void on_rst_received(struct seq_engine *e,
			    const struct tcpstate_event *ev)
{
	struct conn *c = conn_of(e, ev->sock_id);

	if (!c)
		return;
	seq_touch(e, c, ev->ts_ns);
	c->rst_received = 1;
}

/*
 * Held closes (seq_hold_close()) whose wait @ev ends: its own socket's
 * next event (its RST_SENT, taken in, or anything else: no RST came), or
 * any event SEQ_RST_WAIT_NS later.
 */
static void release_held(struct seq_engine *e, const struct tcpstate_event *ev)
{
	struct conn *c = conn_of(e, ev->sock_id);

	if (c && (c->flags & F_HELD)) {
		if (ev->type == TCPSTATE_EV_RST_SENT)
			on_rst_sent(e, ev);
		seq_release_held(e, c);
	}
	seq_tick(e, ev->ts_ns);
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
	[TCPSTATE_EV_RST_SENT] = on_rst_sent,
	[TCPSTATE_EV_RST_RECEIVED] = on_rst_received,
};

void seq_feed(struct seq_engine *e, const struct tcpstate_event *ev)
{
	e->events++;
	if (e->nheld)
		release_held(e, ev);
	/* A newer module's event is not part of any sequence we know. */
	if (ev->type < ARRAY_SIZE(handlers) && handlers[ev->type])
		handlers[ev->type](e, ev);
}
