// SPDX-License-Identifier: GPL-2.0
/*
 * The ladder view; see ladder.h. Two halves: drawing (a record, or two,
 * into rows, the rows into lines) and pairing (which records are the two
 * ends of one phase).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ladder.h"
#include "names.h"
#include "sequence_output.h"

/* ---- drawing ---- */

/* Room for every row of two records and what they imply. */
#define MAX_ROWS	(4 * SEQ_MAX_STEPS)
#define LABEL_MAX	48

enum col { LEFT, RIGHT };

/*
 * One line of a ladder: a side entering a state (or, inferred, sending
 * what our side got), and the segment it sends then, or a note.
 */
struct row {
	__u64 ts;		/* SEQ_NONE: not seen (inferred, or a step
				 * whose time is unknown) */
	__u64 key;		/* the order of the rows of two records */
	enum col col;		/* whose state and segment */
	const char *state;	/* NULL: none shown */
	char label[LABEL_MAX];	/* the segment, "" for none */
	const char *note;	/* instead of a segment: why it ended */
	int hidden;		/* not drawn: only the time to count from */
};

struct rows {
	struct row row[MAX_ROWS];
	unsigned int n;
};

/* A segment's text: NAME seq=S ack=A, each number only where known. */
static void label(struct row *r, const char *name, int has_seq, __u32 seq,
		  int has_ack, __u32 ack)
{
	struct textbuf tb;

	tb_init(&tb, r->label, sizeof(r->label));
	tb_str(&tb, name);
	if (has_seq) {
		tb_str(&tb, " seq=");
		tb_dec(&tb, seq);
	}
	if (has_ack) {
		tb_str(&tb, " ack=");
		tb_dec(&tb, ack);
	}
	tb_end(&tb);
}

static struct row *row_add(struct rows *rs, enum col col, __u64 ts,
			   const char *state)
{
	struct row *r;

	if (rs->n == MAX_ROWS)
		return NULL;
	r = &rs->row[rs->n++];
	memset(r, 0, sizeof(*r));
	r->col = col;
	r->ts = ts;
	r->state = state;
	return r;
}

/* A step's state as a column shows it: the timewait sock's FIN_WAIT2 is
 * the socket's FIN_WAIT2 going on.
 */
static unsigned int plain_state(unsigned int state)
{
	return state == SEQ_ST_TW_FIN_WAIT2 ? TCPS_FIN_WAIT2 : state;
}

static int has(const struct seq_record *rec, unsigned int bits)
{
	return (rec->seqs & bits) == bits;
}

/*
 * What @rec's side sent on entering @cur from @prev (0: its first step),
 * into @r's label: the segments of the TCP state diagram's edges.
 */
static void sent(struct row *r, const struct seq_record *rec,
		 unsigned int prev, unsigned int cur)
{
	const int iss = has(rec, SEQ_HAS_ISS), irs = has(rec, SEQ_HAS_IRS);
	const int fin = has(rec, SEQ_HAS_FIN);
	const int pfin = has(rec, SEQ_HAS_PEER_FIN);

	switch (cur) {
	case TCPS_SYN_SENT:
		label(r, "SYN", iss, rec->iss, 0, 0);
		break;
	case TCPS_SYN_RECV:
		if (!prev)
			label(r, "SYN-ACK", iss, rec->iss, irs, rec->irs + 1);
		break;
	case TCPS_ESTABLISHED:
		if (prev == TCPS_SYN_SENT)
			label(r, "ACK", iss, rec->iss + 1, irs, rec->irs + 1);
		break;
	case TCPS_FIN_WAIT1:
		label(r, "FIN", fin, rec->fin_seq, pfin, rec->peer_fin_seq);
		break;
	case TCPS_LAST_ACK:
		label(r, "FIN", fin, rec->fin_seq, pfin, rec->peer_fin_seq + 1);
		break;
	case TCPS_CLOSE_WAIT:
	case TCPS_CLOSING:
		label(r, "ACK", 0, 0, pfin, rec->peer_fin_seq + 1);
		break;
	case TCPS_TIME_WAIT:
		if (prev == TCPS_FIN_WAIT1 || prev == TCPS_FIN_WAIT2)
			label(r, "ACK", 0, 0, pfin, rec->peer_fin_seq + 1);
		break;
	case TCPS_CLOSE:
		if (rec->rst_by == SEQ_RST_LOCAL)
			label(r, "RST", has(rec, SEQ_HAS_RST), rec->rst_seq,
			      (has(rec, SEQ_HAS_RST) && rec->rst_ack) ||
			      has(rec, SEQ_HAS_RST_ACK), rec->rst_ack);
		break;
	}
}

/*
 * What the peer must have sent for @rec's side to enter @cur from @prev:
 * a row of the peer's column, in the state it entered sending it (""
 * when it has none: a closed port's RST). 0 when nothing is implied.
 */
static int implied(struct row *r, const struct seq_record *rec,
		   unsigned int prev, unsigned int cur)
{
	const int iss = has(rec, SEQ_HAS_ISS), irs = has(rec, SEQ_HAS_IRS);
	const int fin = has(rec, SEQ_HAS_FIN);
	const int pfin = has(rec, SEQ_HAS_PEER_FIN);

	switch (cur) {
	case TCPS_SYN_RECV:
		if (prev)
			return 0;
		r->state = "SYN_SENT";
		label(r, "SYN", irs, rec->irs, 0, 0);
		return 1;
	case TCPS_ESTABLISHED:
		if (prev == TCPS_SYN_SENT) {
			r->state = "SYN_RECV";
			label(r, "SYN-ACK", irs, rec->irs, iss, rec->iss + 1);
			return 1;
		}
		if (prev == TCPS_SYN_RECV) {
			r->state = "ESTABLISHED";
			label(r, "ACK", irs, rec->irs + 1, iss, rec->iss + 1);
			return 1;
		}
		return 0;
	case TCPS_CLOSE_WAIT:
	case TCPS_CLOSING:
		r->state = "FIN_WAIT1";
		label(r, "FIN", pfin, rec->peer_fin_seq, 0, 0);
		return 1;
	case TCPS_FIN_WAIT2:
		if (prev != TCPS_FIN_WAIT1)
			return 0;
		r->state = "CLOSE_WAIT";
		label(r, "ACK", 0, 0, fin, rec->fin_seq + 1);
		return 1;
	case TCPS_TIME_WAIT:
		if (prev == TCPS_CLOSING) {
			r->state = "CLOSING";
			label(r, "ACK", 0, 0, fin, rec->fin_seq + 1);
			return 1;
		}
		if (prev != TCPS_FIN_WAIT1 && prev != TCPS_FIN_WAIT2)
			return 0;
		r->state = "LAST_ACK";
		label(r, "FIN", pfin, rec->peer_fin_seq, fin, rec->fin_seq + 1);
		return 1;
	case TCPS_CLOSE:
		if (rec->rst_by == SEQ_RST_PEER ||
		    rec->cause == SEQ_CAUSE_RESET_BY_PEER) {
			/* An RST answering a SYN acks it (RFC 793, p. 36). */
			if (prev == TCPS_SYN_SENT) {
				r->state = "";
				label(r, "RST", 0, 0, iss, rec->iss + 1);
			} else {
				r->state = "CLOSE";
				label(r, "RST", 0, 0, 0, 0);
			}
			return 1;
		}
		if (prev == TCPS_LAST_ACK && rec->cause == SEQ_CAUSE_NONE) {
			r->state = "TIME_WAIT";
			label(r, "ACK", 0, 0, fin, rec->fin_seq + 1);
			return 1;
		}
		return 0;
	}
	return 0;
}

/*
 * Why a record ended, for a CLOSE row that sends and gets no RST: the
 * socket's error, else its cause, else the kernel's reason (a request
 * sock's end: expired, listener_closed, ...).
 */
static const char *end_note(const struct seq_record *rec,
			    char buf[TCPSTATE_UNKNOWN_MAX])
{
	if (rec->has_err && rec->err)
		return tcpstate_name_or_unknown(tcpstate_errno_name(rec->err),
						rec->err, buf);
	if (rec->cause)
		return seq_cause_name(rec->cause);
	if (rec->reason_type == SEQ_REASON_SYN_RECV_END ||
	    rec->reason_type == SEQ_REASON_DROP)
		return seq_reason_name(rec);
	return NULL;
}

/*
 * @rec's steps as rows of column @col; with @infer, the peer's rows our
 * steps imply, in column !@col, before the row that implies them.
 */
static void record_rows(struct rows *rs, const struct seq_record *rec,
			enum col col, int infer, char notebuf[])
{
	const enum col peer = col == LEFT ? RIGHT : LEFT;
	unsigned int i, prev = 0, cur;
	struct row *r, tmp;

	/* No socket was made: the listener answered or dropped a SYN. */
	if (rec->kind == SEQ_SYN_DROPPED || rec->kind == SEQ_SYN_COOKIE) {
		r = row_add(rs, peer, SEQ_NONE, infer ? "SYN_SENT" : NULL);
		if (r)
			label(r, "SYN", 0, 0, 0, 0);
		r = row_add(rs, col, rec->end_ns, "LISTEN");
		if (!r)
			return;
		if (rec->kind == SEQ_SYN_COOKIE)
			label(r, "SYN-ACK (cookie)", 0, 0, 0, 0);
		else
			r->note = "dropped";
		return;
	}

	for (i = 0; i < rec->nsteps; i++) {
		cur = plain_state(rec->steps[i].state);
		/*
		 * A teardown begins in ESTABLISHED: its handshake drew it;
		 * the first step after shows how long it lasted.
		 */
		if (i == 0 && cur == TCPS_ESTABLISHED && rec->nsteps > 1) {
			r = row_add(rs, col, rec->steps[i].ts, NULL);
			if (r)
				r->hidden = 1;
			prev = cur;
			continue;
		}
		if (cur == SEQ_ST_GAP) {
			row_add(rs, col, SEQ_NONE, "...");
			prev = 0;
			continue;
		}
		if (infer && prev != cur) {
			memset(&tmp, 0, sizeof(tmp));
			if (implied(&tmp, rec, prev, cur)) {
				r = row_add(rs, peer, SEQ_NONE, tmp.state);
				if (r)
					memcpy(r->label, tmp.label,
					       sizeof(r->label));
			}
		}
		/* The timewait sock carrying FIN_WAIT2 on: no new step. */
		if (prev == cur)
			continue;
		r = row_add(rs, col, rec->steps[i].ts, seq_step_name(cur));
		if (!r)
			return;
		sent(r, rec, prev, cur);
		if (cur == TCPS_CLOSE && !r->label[0] &&
		    rec->rst_by == SEQ_RST_NONE &&
		    rec->cause != SEQ_CAUSE_RESET_BY_PEER)
			r->note = end_note(rec, notebuf);
		prev = cur;
	}
}

/*
 * Order keys: a row's time, or the time of the row before it in its own
 * record when it has none, so that it stays where its record put it.
 */
static void keys(struct row *row, unsigned int n)
{
	__u64 last = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (row[i].ts != SEQ_NONE)
			last = row[i].ts;
		row[i].key = last;
	}
}

/* The rows of two records, merged by time; ties keep @a's first. */
static void merge(struct rows *out, struct rows *a, struct rows *b)
{
	unsigned int i = 0, j = 0;

	keys(a->row, a->n);
	keys(b->row, b->n);
	out->n = 0;
	while (i < a->n || j < b->n) {
		if (j == b->n || (i < a->n && a->row[i].key <= b->row[j].key))
			out->row[out->n++] = a->row[i++];
		else
			out->row[out->n++] = b->row[j++];
	}
}

static void tb_spaces(struct textbuf *tb, int n)
{
	while (n-- > 0)
		tb_put(tb, " ", 1);
}

static void tb_dashes(struct textbuf *tb, int n)
{
	while (n-- > 0)
		tb_put(tb, "-", 1);
}

/* The arrow area of a row: the segment, pointing away from its sender. */
static void tb_arrow(struct textbuf *tb, const struct row *r)
{
	int n = (int)strlen(r->label);
	int fill = LADDER_COL_ARROW - n - 5;

	if (r->note) {
		tb_str(tb, "   x ");
		tb_str(tb, r->note);
		tb_spaces(tb, LADDER_COL_ARROW - 5 - (int)strlen(r->note));
		return;
	}
	if (!n) {
		tb_spaces(tb, LADDER_COL_ARROW);
		return;
	}
	if (fill < 1)
		fill = 1;
	if (r->col == LEFT) {
		tb_str(tb, "-- ");
		tb_str(tb, r->label);
		tb_put(tb, " ", 1);
		tb_dashes(tb, fill);
		tb_put(tb, ">", 1);
	} else {
		tb_put(tb, "<", 1);
		tb_dashes(tb, fill);
		tb_put(tb, " ", 1);
		tb_str(tb, r->label);
		tb_str(tb, " --");
	}
}

static void tb_rows(struct textbuf *tb, const struct rows *rs)
{
	char dur[32], when[32];
	__u64 last = SEQ_NONE;
	unsigned int i;
	const char *col;

	for (i = 0; i < rs->n; i++) {
		const struct row *r = &rs->row[i];
		const char *st = r->state ? r->state : "";

		if (r->hidden) {
			if (r->ts != SEQ_NONE)
				last = r->ts;
			continue;
		}
		col = tb->p;
		if (r->col == LEFT)
			tb_str(tb, st);
		tb_pad_from(tb, col, LADDER_COL_STATE + 1);
		tb_arrow(tb, r);
		tb_put(tb, " ", 1);
		col = tb->p;
		if (r->col == RIGHT)
			tb_str(tb, st);
		tb_pad_from(tb, col, LADDER_COL_STATE);
		when[0] = '\0';
		if (r->ts != SEQ_NONE && last != SEQ_NONE && r->ts >= last) {
			out_duration(dur, sizeof(dur), r->ts - last, "");
			when[0] = '+';
			strcpy(when + 1, dur);
		}
		if (r->ts != SEQ_NONE)
			last = r->ts;
		if (when[0]) {
			tb_put(tb, " ", 1);
			tb_spaces(tb, LADDER_COL_TIME - (int)strlen(when));
			tb_str(tb, when);
		}
		/* No trailing blanks: the lines are compared and pasted. */
		while (tb->p > tb->start && tb->p[-1] == ' ')
			tb->p--;
		tb_put(tb, "\n", 1);
	}
}

/* client / server, or, the opening unseen, local / peer. */
static const char *col_name(const struct seq_record *rec, enum col col)
{
	if (rec->side == SEQ_SIDE_UNKNOWN)
		return col == LEFT ? "local" : "peer";
	return col == LEFT ? "client" : "server";
}

/* KIND (cause, err, rst_reason): the words that apply, once each. */
static void tb_kind(struct textbuf *tb, const struct seq_record *rec)
{
	char err_buf[TCPSTATE_UNKNOWN_MAX], rst_buf[TCPSTATE_UNKNOWN_MAX];
	const char *kind = seq_kind_name(rec->kind);
	const char *cause = seq_cause_name(rec->cause);
	const char *word[3];
	unsigned int i, n = 0;

	if (cause && strcmp(cause, kind))
		word[n++] = cause;
	if (rec->has_err && rec->err)
		word[n++] = tcpstate_name_or_unknown(
			tcpstate_errno_name(rec->err), rec->err, err_buf);
	if (rec->rst_by == SEQ_RST_LOCAL)
		word[n++] = tcpstate_name_or_unknown(
			tcpstate_rst_reason_name(rec->rst_reason),
			rec->rst_reason, rst_buf);
	tb_str(tb, kind);
	for (i = 0; i < n; i++) {
		tb_str(tb, i ? ", " : " (");
		tb_str(tb, word[i]);
	}
	if (n)
		tb_put(tb, ")", 1);
	/* The SYN-ACKs sent again are not drawn: counted here. */
	if (rec->synack_retrans)
		tb_printf(tb, " retrans=%u", rec->synack_retrans);
}

static void tb_title(struct textbuf *tb, const struct seq_record *a,
		     const struct seq_record *b, const struct out_opts *o)
{
	char when[32];

	tb_str(tb, "-- ");
	if (o->timestamps) {
		tcpstate_format_time(when, sizeof(when), a->start_ns,
				     o->mono_to_real_ns);
		tb_str(tb, when);
		tb_put(tb, " ", 1);
	}
	tb_kind(tb, a);
	if (b) {
		tb_str(tb, " + ");
		tb_kind(tb, b);
	}
	tb_put(tb, "\n", 1);
}

/* Where the right column's state begins. */
#define RIGHT_COL	(LADDER_COL_STATE + 1 + LADDER_COL_ARROW + 1)

/*
 * "client ADDR:PORT" over the left column, "server ADDR:PORT" over the
 * right one; moved left to end at column 80 if it would pass it (IPv6),
 * or on a line of its own if even that does not fit.
 */
static void tb_header(struct textbuf *tb, const char *lname,
		      const char *lend, const char *rname, const char *rend)
{
	const int lwidth = (int)(strlen(lname) + 1 + strlen(lend));
	const int rwidth = (int)(strlen(rname) + 1 + strlen(rend));
	int at = RIGHT_COL;

	if (at + rwidth > 80)
		at = 80 - rwidth;
	tb_printf(tb, "%s %s", lname, lend);
	if (at < lwidth + 1) {
		tb_put(tb, "\n", 1);
		at = 80 - rwidth > 0 ? 80 - rwidth : 0;
		tb_printf(tb, "%*s", at, "");
	} else {
		tb_printf(tb, "%*s", at - lwidth, "");
	}
	tb_printf(tb, "%s %s\n", rname, rend);
}

int ladder_draw(char *buf, size_t len, const struct seq_record *a,
		const struct seq_record *b, const struct out_opts *o)
{
	static struct rows ra, rb, all;
	char note_a[TCPSTATE_UNKNOWN_MAX], note_b[TCPSTATE_UNKNOWN_MAX];
	char lend[64], rend[64];
	const struct seq_record *left = a, *right = b;
	struct textbuf tb;

	/* The client on the left: a lone server record draws its peer
	 * there, a pair puts the client's record there.
	 */
	if (b && a->side == SEQ_SIDE_SERVER) {
		left = b;
		right = a;
	}
	ra.n = rb.n = all.n = 0;
	if (b) {
		record_rows(&ra, left, LEFT, 0, note_a);
		record_rows(&rb, right, RIGHT, 0, note_b);
		merge(&all, &ra, &rb);
	} else if (a->side == SEQ_SIDE_SERVER) {
		record_rows(&all, a, RIGHT, 1, note_a);
	} else {
		record_rows(&all, a, LEFT, 1, note_a);
	}

	if (!b && a->side == SEQ_SIDE_SERVER) {
		tcpstate_format_endpoint(lend, sizeof(lend), a->family,
					 a->daddr, a->dport);
		tcpstate_format_endpoint(rend, sizeof(rend), a->family,
					 a->saddr, a->sport);
	} else {
		tcpstate_format_endpoint(lend, sizeof(lend), left->family,
					 left->saddr, left->sport);
		tcpstate_format_endpoint(rend, sizeof(rend), left->family,
					 left->daddr, left->dport);
	}

	tb_init(&tb, buf, len);
	tb_title(&tb, left, right, o);
	tb_header(&tb, col_name(left, LEFT), lend, col_name(left, RIGHT),
		  rend);
	/* Under the column that is inferred, so that the line fits. */
	if (!b && a->side == SEQ_SIDE_SERVER)
		tb_str(&tb, "(inferred)\n");
	else if (!b)
		tb_printf(&tb, "%*s(inferred)\n", RIGHT_COL, "");
	tb_rows(&tb, &all);
	return tb_end(&tb);
}

/* ---- pairing ---- */

struct pending {
	struct seq_record rec;
	__u64 deadline;
	int live;
};

/* A connection seen from both ends: its client's tuple. */
struct local_conn {
	__u16 family, sport, dport;
	__u8 saddr[16], daddr[16];
	int live;
};

struct ladder {
	const struct out_opts *out;
	ladder_emit_fn emit;
	void *arg;
	struct pending *pend;	/* a ring, oldest at head */
	unsigned int head, count;
	struct local_conn local[LADDER_MAX_LOCAL];
	unsigned int local_next;
	char text[OUT_LINE_MAX * 4];
};

struct ladder *ladder_new(const struct out_opts *o, ladder_emit_fn emit,
			  void *arg)
{
	struct ladder *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->pend = calloc(LADDER_MAX_PENDING, sizeof(*l->pend));
	if (!l->pend) {
		free(l);
		return NULL;
	}
	l->out = o;
	l->emit = emit;
	l->arg = arg;
	return l;
}

void ladder_free(struct ladder *l)
{
	if (!l)
		return;
	free(l->pend);
	free(l);
}

static void draw(struct ladder *l, const struct seq_record *a,
		 const struct seq_record *b)
{
	ladder_draw(l->text, sizeof(l->text), a, b, l->out);
	l->emit(l->text, l->arg);
}

/* Whether a record is an opening's, as opposed to a teardown's. */
static int opening(const struct seq_record *rec)
{
	switch (rec->kind) {
	case SEQ_ACTIVE_OPEN:
	case SEQ_PASSIVE_OPEN:
	case SEQ_CONNECT_REFUSED:
	case SEQ_CONNECT_TIMEOUT:
	case SEQ_CONNECT_FAILED:
	case SEQ_HALF_OPEN_EXPIRED:
	case SEQ_HALF_OPEN_DROPPED:
	case SEQ_ACK_DROPPED:
	case SEQ_SYN_DROPPED:
	case SEQ_SYN_COOKIE:
		return 1;
	default:
		return rec->nsteps && rec->steps[0].state != TCPS_ESTABLISHED;
	}
}

/*
 * Two addresses as the wire carries them: an IPv4-mapped IPv6 address (a
 * dual-stack socket's view of an IPv4 peer) is that IPv4 address, so
 * that the two ends of a connection pair whatever family each socket has.
 */
static int same_addr(__u16 fa, const __u8 *a, __u16 fb, const __u8 *b)
{
	static const __u8 v4mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (fa == AF_INET6 && !memcmp(a, v4mapped, sizeof(v4mapped))) {
		fa = AF_INET;
		a += sizeof(v4mapped);
	}
	if (fb == AF_INET6 && !memcmp(b, v4mapped, sizeof(v4mapped))) {
		fb = AF_INET;
		b += sizeof(v4mapped);
	}
	return fa == fb && !memcmp(a, b, fa == AF_INET ? 4 : 16);
}

/* @a's tuple is @b's reversed: the two ends of one connection. */
static int mirrored(const struct seq_record *a, const struct seq_record *b)
{
	return a->sport == b->dport && a->dport == b->sport &&
	       a->sport && a->dport &&
	       same_addr(a->family, a->saddr, b->family, b->daddr) &&
	       same_addr(a->family, a->daddr, b->family, b->saddr);
}

static int same_tuple(const struct local_conn *c, const struct seq_record *r)
{
	return c->sport == r->sport && c->dport == r->dport &&
	       same_addr(c->family, c->saddr, r->family, r->saddr) &&
	       same_addr(c->family, c->daddr, r->family, r->daddr);
}

/* The remembered both-ends connection @rec belongs to, either end. */
static struct local_conn *local_find(struct ladder *l,
				     const struct seq_record *rec)
{
	struct seq_record rev;
	unsigned int i;

	rev.family = rec->family;
	rev.sport = rec->dport;
	rev.dport = rec->sport;
	memcpy(rev.saddr, rec->daddr, sizeof(rev.saddr));
	memcpy(rev.daddr, rec->saddr, sizeof(rev.daddr));
	for (i = 0; i < LADDER_MAX_LOCAL; i++) {
		struct local_conn *c = &l->local[i];

		if (c->live && (same_tuple(c, rec) || same_tuple(c, &rev)))
			return c;
	}
	return NULL;
}

static void local_add(struct ladder *l, const struct seq_record *rec)
{
	struct local_conn *c = local_find(l, rec);

	if (!c) {
		c = &l->local[l->local_next];
		l->local_next = (l->local_next + 1) % LADDER_MAX_LOCAL;
	}
	c->family = rec->family;
	c->sport = rec->sport;
	c->dport = rec->dport;
	memcpy(c->saddr, rec->saddr, sizeof(c->saddr));
	memcpy(c->daddr, rec->daddr, sizeof(c->daddr));
	c->live = 1;
}

static struct pending *pend_at(struct ladder *l, unsigned int i)
{
	return &l->pend[(l->head + i) % LADDER_MAX_PENDING];
}

/* Drop drawn records off the head of the ring. */
static void pend_trim(struct ladder *l)
{
	while (l->count && !l->pend[l->head].live) {
		l->head = (l->head + 1) % LADDER_MAX_PENDING;
		l->count--;
	}
}

/* Draw alone, oldest first, what waited past @now_ns (all: SEQ_NONE). */
static void expire(struct ladder *l, __u64 now_ns)
{
	unsigned int i;

	for (i = 0; i < l->count; i++) {
		struct pending *p = pend_at(l, i);

		if (p->live && (now_ns == SEQ_NONE || p->deadline <= now_ns)) {
			p->live = 0;
			draw(l, &p->rec, NULL);
		}
	}
	pend_trim(l);
}

void ladder_add(struct ladder *l, const struct seq_record *rec)
{
	struct local_conn *lc;
	struct pending *p;
	unsigned int i;
	__u64 gap;

	expire(l, rec->end_ns);
	lc = local_find(l, rec);
	for (i = 0; i < l->count; i++) {
		p = pend_at(l, i);
		if (!p->live || opening(&p->rec) != opening(rec) ||
		    !mirrored(&p->rec, rec))
			continue;
		gap = p->rec.end_ns > rec->end_ns ?
		      p->rec.end_ns - rec->end_ns : rec->end_ns - p->rec.end_ns;
		if (gap > LADDER_PAIR_NS && !lc)
			continue;
		p->live = 0;
		draw(l, &p->rec, rec);
		if (opening(rec) && rec->kind != SEQ_CONNECT_REFUSED)
			local_add(l, rec);
		else if (lc)
			lc->live = 0;
		pend_trim(l);
		return;
	}

	if (l->count == LADDER_MAX_PENDING) {
		p = &l->pend[l->head];
		if (p->live) {
			p->live = 0;
			draw(l, &p->rec, NULL);
		}
		l->head = (l->head + 1) % LADDER_MAX_PENDING;
		l->count--;
		pend_trim(l);
	}
	p = pend_at(l, l->count++);
	p->rec = *rec;
	p->live = 1;
	p->deadline = rec->end_ns + (lc && !opening(rec) ? LADDER_TW_WAIT_NS :
				     LADDER_PAIR_NS);
}

void ladder_tick(struct ladder *l, __u64 now_ns)
{
	if (now_ns != SEQ_NONE)
		expire(l, now_ns);
}

void ladder_flush(struct ladder *l)
{
	expire(l, SEQ_NONE);
}
