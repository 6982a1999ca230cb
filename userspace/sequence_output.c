// SPDX-License-Identifier: GPL-2.0
/*
 * Sequences as text and JSON; see sequence_output.h.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "names.h"
#include "owner.h"
#include "sequence_output.h"
#include "textbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

_Static_assert(SEQ_NONE == ~0ULL, "tb_kv_ns() prints ~0 as null");

/* @v in exactly @width digits, zero-padded, as "%0*llu" for v < 10^width. */
static void tb_dec_fixed(struct textbuf *tb, unsigned long long v, int width)
{
	char digits[TCPSTATE_DEC_MAX];
	int i;

	for (i = width - 1; i >= 0; i--, v /= 10)
		digits[i] = (char)('0' + v % 10);
	tb_put(tb, digits, (size_t)width);
}

/* @ns as out_duration() writes it; @none for SEQ_NONE. */
static void tb_duration(struct textbuf *tb, __u64 ns, const char *none)
{
	if (ns == SEQ_NONE) {
		tb_str(tb, none);
	} else if (ns < NSEC_PER_USEC) {
		tb_dec(tb, ns);
		tb_put(tb, "ns", 2);
	} else if (ns < NSEC_PER_MSEC) {
		tb_dec(tb, ns / NSEC_PER_USEC);
		tb_put(tb, ".", 1);
		tb_dec_fixed(tb, ns % NSEC_PER_USEC / 100, 1);
		tb_put(tb, "us", 2);
	} else if (ns < NSEC_PER_SEC) {
		tb_dec(tb, ns / NSEC_PER_MSEC);
		tb_put(tb, ".", 1);
		tb_dec_fixed(tb, ns % NSEC_PER_MSEC / 10000, 2);
		tb_put(tb, "ms", 2);
	} else {
		tb_dec(tb, ns / NSEC_PER_SEC);
		tb_put(tb, ".", 1);
		tb_dec_fixed(tb, ns % NSEC_PER_SEC / NSEC_PER_MSEC, 3);
		tb_put(tb, "s", 1);
	}
}

/*
 * Built by hand, as the lines of sequences are (textbuf.h): printf's
 * format parsing was most of the default reader's time per event.
 */
int out_duration(char *buf, size_t len, __u64 ns, const char *none)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_duration(&tb, ns, none);
	return tb_end(&tb);
}

static const char *const missing_names[] = {
	"start", "gap", "lost", "end", "steps",
};

_Static_assert(SEQ_MISS_START == 1U << 0 && SEQ_MISS_GAP == 1U << 1 &&
	       SEQ_MISS_LOST == 1U << 2 && SEQ_MISS_END == 1U << 3 &&
	       SEQ_MISS_STEPS == 1U << 4, "missing_names follows the bits");

const char *out_missing_name(unsigned int bit)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(missing_names); i++)
		if (bit == 1U << i)
			return missing_names[i];
	return NULL;
}

/* The reason as text, unknown(N) for a value outside its enum. */
static const char *reason_text(const struct seq_record *rec,
			       char buf[TCPSTATE_UNKNOWN_MAX])
{
	if (rec->reason_type == SEQ_REASON_NONE)
		return NULL;
	return tcpstate_name_or_unknown(seq_reason_name(rec), rec->reason,
					buf);
}

/* Which queue qlen/qmax describe: "accept" or "syn"; NULL for none. */
static const char *queue_name(const struct seq_record *rec)
{
	if (!rec->has_queue)
		return NULL;
	switch (rec->kind) {
	case SEQ_PASSIVE_OPEN:
	case SEQ_ACK_DROPPED:
		return "accept";
	case SEQ_SYN_DROPPED:
		/* The queue that was full, else the SYN queue (tcpstate.h). */
		return rec->reason == TCPSTATE_DROP_ACCEPT_QUEUE_FULL ?
		       "accept" : "syn";
	default:
		return "syn";
	}
}

/* Whether the record speaks for a request sock (retrans= applies). */
static int has_req(const struct seq_record *rec)
{
	return rec->req_id != 0;
}

/* ---- who: the owner table's view of a record (owner.h) ---- */

/* The owner of the connection a record describes, by any of its ids. */
static const struct owner *record_owner(const struct seq_record *rec,
					const struct out_opts *o)
{
	if (!o->owners)
		return NULL;
	return owner_get_first(o->owners, rec->sock_id, rec->req_id,
			       rec->tw_id);
}

/* The errno name of @rec's error, unknown(N) outside the table. */
static const char *err_text(const struct seq_record *rec,
			    char buf[TCPSTATE_UNKNOWN_MAX])
{
	if (!rec->has_err || !rec->err)
		return NULL;
	return tcpstate_name_or_unknown(tcpstate_errno_name(rec->err),
					rec->err, buf);
}

static const char *rst_reason_text(const struct seq_record *rec,
				   char buf[TCPSTATE_UNKNOWN_MAX])
{
	if (rec->rst_by != SEQ_RST_LOCAL)
		return NULL;
	return tcpstate_name_or_unknown(
		tcpstate_rst_reason_name(rec->rst_reason), rec->rst_reason,
		buf);
}

/* ---- text ---- */

int out_seq_header(char *buf, size_t len, const struct out_opts *o)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	if (o->timestamps)
		tb_printf(&tb, "%-*s ", TCPSTATE_COL_TIME, "TIME");
	tb_printf(&tb, "%-*s %-*s %-*s %-*s %-*s %-*s ",
		  OUT_COL_KIND, "KIND", OUT_COL_SIDE, "SIDE",
		  TCPSTATE_COL_NETNS, "NETNS",
		  o->endpoint_width, "LOCAL", o->endpoint_width, "REMOTE",
		  OUT_COL_DURATION, "DURATION");
	if (o->who)
		tb_owner_header(&tb);
	tb_str(&tb, "PATH");
	return tb_end(&tb);
}

static void tb_path(struct textbuf *tb, const struct seq_record *rec)
{
	unsigned int i;

	if (!rec->nsteps) {
		tb_put(tb, "-", 1);
		return;
	}
	for (i = 0; i < rec->nsteps; i++) {
		tb_str(tb, seq_step_name(rec->steps[i].state));
		if (i + 1 == rec->nsteps)
			break;
		/* A "..." step has no time of its own to show. */
		if (rec->steps[i].state != SEQ_ST_GAP) {
			tb_put(tb, " ", 1);
			tb_duration(tb, rec->steps[i].ns, "?");
		}
		tb_put(tb, " -> ", 4);
	}
}

/* A name where the line used printf's "%s", which shows NULL so. */
static void tb_name(struct textbuf *tb, const char *name)
{
	tb_str(tb, name ? name : "(null)");
}

/* " LABEL=NAME" */
static void tb_label(struct textbuf *tb, const char *label, const char *name)
{
	tb_str(tb, label);
	tb_name(tb, name);
}

/* A column, "%-*s " with @col where it began: padded, then a space. */
static void tb_column_end(struct textbuf *tb, const char *col, int width)
{
	tb_pad_from(tb, col, width);
	tb_put(tb, " ", 1);
}

int out_seq_text(char *buf, size_t len, const struct seq_record *rec,
		 const struct out_opts *o)
{
	char unknown[TCPSTATE_UNKNOWN_MAX], errbuf[TCPSTATE_UNKNOWN_MAX];
	char rstbuf[TCPSTATE_UNKNOWN_MAX];
	const char *side = seq_side_name(rec->side);
	const char *queue = queue_name(rec);
	const char *reason = reason_text(rec, unknown);
	const char *cause = seq_cause_name(rec->cause);
	const char *err = err_text(rec, errbuf);
	const char *rst_reason = rst_reason_text(rec, rstbuf);
	struct textbuf tb;
	unsigned int bit;
	const char *col;
	int first;

	tb_init(&tb, buf, len);
	if (o->timestamps) {
		col = tb.p;
		tb_time_local(&tb, rec->end_ns, o->mono_to_real_ns);
		tb_column_end(&tb, col, TCPSTATE_COL_TIME);
	}
	col = tb.p;
	tb_name(&tb, seq_kind_name(rec->kind));
	tb_column_end(&tb, col, OUT_COL_KIND);
	col = tb.p;
	tb_str(&tb, side ? side : "-");
	tb_column_end(&tb, col, OUT_COL_SIDE);
	col = tb.p;
	tb_dec(&tb, rec->netns);
	tb_column_end(&tb, col, TCPSTATE_COL_NETNS);
	col = tb.p;
	tb_endpoint(&tb, rec->family, rec->saddr, rec->sport);
	tb_column_end(&tb, col, o->endpoint_width);
	col = tb.p;
	tb_endpoint(&tb, rec->family, rec->daddr, rec->dport);
	tb_column_end(&tb, col, o->endpoint_width);
	col = tb.p;
	tb_duration(&tb, rec->duration_ns, "-");
	tb_column_end(&tb, col, OUT_COL_DURATION);
	if (o->who)
		tb_owner_text(&tb, record_owner(rec, o), o->owners);
	tb_path(&tb, rec);

	if (has_req(rec)) {
		tb_str(&tb, " retrans=");
		tb_dec(&tb, rec->synack_retrans);
	}
	if (rec->ack_drops) {
		tb_str(&tb, " ack_drops=");
		tb_dec(&tb, rec->ack_drops);
	}
	if (rec->kind == SEQ_PASSIVE_OPEN && !has_req(rec) &&
	    !(rec->missing & SEQ_MISS_START))
		tb_str(&tb, " req=none");
	if (queue) {
		tb_put(&tb, " ", 1);
		tb_str(&tb, queue);
		tb_str(&tb, "q=");
		tb_dec(&tb, rec->qlen);
		tb_put(&tb, "/", 1);
		tb_dec(&tb, rec->qmax);
	}
	if (reason)
		tb_label(&tb, " reason=", reason);
	if (rec->tw_substate)
		tb_label(&tb, " substate=",
			 tcpstate_state_name(rec->tw_substate));
	if (cause)
		tb_label(&tb, " cause=", cause);
	if (err)
		tb_label(&tb, " err=", err);
	if (rst_reason)
		tb_label(&tb, " rst_reason=", rst_reason);
	/* The bits set only: mostly none. */
	for (bit = 1, first = 1; bit && bit <= rec->missing; bit <<= 1) {
		const char *name;

		if (!(rec->missing & bit))
			continue;
		name = out_missing_name(bit);
		if (!name)
			continue;
		tb_str(&tb, first ? " missing=" : ",");
		tb_str(&tb, name);
		first = 0;
	}
	return tb_end(&tb);
}

/* ---- JSON ---- */

int out_seq_json(char *buf, size_t len, const struct seq_record *rec,
		 const struct out_opts *o)
{
	char unknown[TCPSTATE_UNKNOWN_MAX], errbuf[TCPSTATE_UNKNOWN_MAX];
	char rstbuf[TCPSTATE_UNKNOWN_MAX];
	struct textbuf tb;
	unsigned int i, bit;
	int first;

	tb_init(&tb, buf, len);
	tb_str(&tb, "{\"type\":\"sequence\"");
	tb_kv_str(&tb, KEY("kind"), seq_kind_name(rec->kind));
	tb_kv_str(&tb, KEY("side"), seq_side_name(rec->side));
	tb_kv_time(&tb, KEY("time"), rec->end_ns, o->mono_to_real_ns);
	tb_kv_ns(&tb, KEY("start_ns"), rec->start_ns);
	tb_kv_ns(&tb, KEY("end_ns"), rec->end_ns);
	tb_kv_ns(&tb, KEY("duration_ns"), rec->duration_ns);
	tb_kv_u(&tb, KEY("netns"), rec->netns, 1);
	tb_json_tuple(&tb, rec->family, rec->saddr, rec->sport, rec->daddr,
		      rec->dport);
	tb_kv_id(&tb, KEY("sock_id"), rec->sock_id, 0);
	tb_kv_id(&tb, KEY("req_id"), rec->req_id, 0);
	tb_kv_id(&tb, KEY("tw_id"), rec->tw_id, 0);
	tb_kv_ns(&tb, KEY("handshake_ns"), rec->handshake_ns);
	tb_kv_ns(&tb, KEY("syn_queue_ns"), rec->syn_queue_ns);
	tb_kv_ns(&tb, KEY("established_ns"), rec->established_ns);
	tb_kv_ns(&tb, KEY("time_wait_ns"), rec->time_wait_ns);
	tb_kv_u(&tb, KEY("synack_retrans"), rec->synack_retrans, has_req(rec));
	tb_kv_u(&tb, KEY("ack_drops"), rec->ack_drops, has_req(rec));
	tb_kv_str(&tb, KEY("queue"), queue_name(rec));
	tb_kv_u(&tb, KEY("qlen"), rec->qlen, rec->has_queue);
	tb_kv_u(&tb, KEY("qmax"), rec->qmax, rec->has_queue);
	tb_kv_str(&tb, KEY("reason"), reason_text(rec, unknown));
	tb_kv_str(&tb, KEY("tw_substate"), rec->tw_substate ?
		  tcpstate_state_name(rec->tw_substate) : NULL);

	tb_put(&tb, KEY("steps"));
	tb_put(&tb, "[", 1);
	for (i = 0; i < rec->nsteps; i++) {
		tb_str(&tb, i ? ",{\"state\":" : "{\"state\":");
		tb_json_str(&tb, seq_step_name(rec->steps[i].state));
		tb_kv_ns(&tb, KEY("ns"), rec->steps[i].ns);
		tb_put(&tb, "}", 1);
	}
	tb_put(&tb, "]", 1);

	tb_put(&tb, KEY("partial"));
	tb_str(&tb, rec->missing ? "true" : "false");
	tb_put(&tb, KEY("missing"));
	tb_put(&tb, "[", 1);
	for (bit = 1, first = 1; bit; bit <<= 1) {
		const char *name = rec->missing & bit ?
				   out_missing_name(bit) : NULL;

		if (!name)
			continue;
		if (!first)
			tb_put(&tb, ",", 1);
		tb_json_str(&tb, name);
		first = 0;
	}
	tb_put(&tb, "]", 1);
	tb_kv_str(&tb, KEY("gap_from"), rec->missing & SEQ_MISS_GAP ?
		  seq_step_name(rec->gap_from) : NULL);
	tb_kv_str(&tb, KEY("gap_to"), rec->missing & SEQ_MISS_GAP ?
		  seq_step_name(rec->gap_to) : NULL);

	tb_kv_name(&tb, KEY("cause"), seq_cause_name(rec->cause));
	tb_kv_name(&tb, KEY("err"), err_text(rec, errbuf));
	tb_kv_name(&tb, KEY("rst_reason"), rst_reason_text(rec, rstbuf));
	tb_kv_name(&tb, KEY("rst_by"), seq_rst_by_name(rec->rst_by));
	tb_kv_u(&tb, KEY("iss"), rec->iss, rec->seqs & SEQ_HAS_ISS);
	tb_kv_u(&tb, KEY("irs"), rec->irs, rec->seqs & SEQ_HAS_IRS);
	tb_kv_u(&tb, KEY("fin_seq"), rec->fin_seq, rec->seqs & SEQ_HAS_FIN);
	tb_kv_u(&tb, KEY("peer_fin_seq"), rec->peer_fin_seq,
		rec->seqs & SEQ_HAS_PEER_FIN);

	owner_json(&tb, record_owner(rec, o), o->owners);
	tb_put(&tb, "}", 1);
	return tb_end(&tb);
}
