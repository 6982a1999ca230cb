// SPDX-License-Identifier: GPL-2.0
/*
 * Events as text and JSON; see event_output.h. Both take what an event
 * type fills from one table, event_layouts[].
 */
#include <stdio.h>

#include "event_output.h"
#include "names.h"
#include "owner.h"
#include "textbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Which of the per-type fields an event type fills (tcpstate.h). */
#define EF_STATES	0x01U	/* oldstate and newstate */
#define EF_NEWSTATE	0x02U	/* newstate alone */
#define EF_REASON	0x04U
#define EF_QLEN		0x08U
#define EF_QMAX		0x10U
#define EF_COUNT	0x20U
#define EF_OLDSTATE	0x40U	/* oldstate alone; 0: no socket */

/*
 * Per event type: the fields it fills, and the text's words for the two
 * whose meaning depends on the type. The TRANSITION column prints, after
 * the type's name, in this order: the states, the reason, the count, qlen
 * and /qmax, the new state, the peer.
 */
static const struct event_layout {
	unsigned int fields;
	const char *count_label;	/* text: before @count */
	const char *peer_label;		/* text: before @peer_id, or NULL */
} event_layouts[] = {
	[TCPSTATE_EV_STATE] = { EF_STATES, NULL, NULL },
	[TCPSTATE_EV_SYN_RECV] = { EF_QLEN | EF_QMAX, NULL, NULL },
	/* Only a completed request sock has a child to follow. */
	[TCPSTATE_EV_SYN_RECV_END] = { EF_REASON | EF_COUNT | EF_QLEN,
				       " retrans=", " child=" },
	[TCPSTATE_EV_SYNACK_RETRANS] = { EF_COUNT, " #", NULL },
	[TCPSTATE_EV_ACCEPT_QUEUED] = { EF_QLEN | EF_QMAX, NULL, NULL },
	[TCPSTATE_EV_ACK_DROP] = { EF_REASON | EF_QLEN | EF_QMAX, NULL, NULL },
	[TCPSTATE_EV_SYN_DROP] = { EF_REASON | EF_QLEN | EF_QMAX, NULL, NULL },
	[TCPSTATE_EV_SYNCOOKIE_SENT] = { 0, NULL, NULL },
	[TCPSTATE_EV_TIMEWAIT] = { EF_STATES, NULL, " from=" },
	[TCPSTATE_EV_TIMEWAIT_END] = { EF_REASON | EF_NEWSTATE, NULL, NULL },
	[TCPSTATE_EV_TIMEWAIT_SUBSTATE] = { EF_STATES, NULL, NULL },
	[TCPSTATE_EV_RST_SENT] = { EF_REASON | EF_OLDSTATE, NULL, NULL },
	[TCPSTATE_EV_RST_RECEIVED] = { EF_OLDSTATE, NULL, NULL },
};

/* A type this version does not know fills nothing we could name. */
static const struct event_layout *layout_of(unsigned int type)
{
	static const struct event_layout none;

	return type < ARRAY_SIZE(event_layouts) ? &event_layouts[type] : &none;
}

static const char *reason_text(const struct tcpstate_event *ev,
			       char buf[TCPSTATE_UNKNOWN_MAX])
{
	return tcpstate_name_or_unknown(tcpstate_reason_name(ev->type,
							     ev->reason),
					ev->reason, buf);
}

/* ---- text ---- */

int tcpstate_format_header(char *buf, size_t len)
{
	return tcpstate_format_header_w(buf, len, TCPSTATE_COL_ENDPOINT);
}

int tcpstate_format_header_w(char *buf, size_t len, int endpoint_width)
{
	const struct out_opts o = { .endpoint_width = endpoint_width };

	return out_event_header(buf, len, &o);
}

int out_event_header(char *buf, size_t len, const struct out_opts *o)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	/* The 4 spaces stand over the " -> " between the endpoints. */
	tb_printf(&tb, "%-*s %-*s %-*s %-*s    %-*s ",
		  TCPSTATE_COL_TIME, "TIME", TCPSTATE_COL_NETNS, "NETNS",
		  TCPSTATE_COL_SKID, "SKID", o->endpoint_width, "LOCAL",
		  o->endpoint_width, "REMOTE");
	if (o->who)
		tb_owner_header(&tb);
	tb_str(&tb, "TRANSITION");
	return tb_end(&tb);
}

static void tb_states(struct textbuf *tb, const struct tcpstate_event *ev)
{
	tb_str(tb, tcpstate_state_name(ev->oldstate));
	tb_put(tb, " -> ", 4);
	tb_str(tb, tcpstate_state_name(ev->newstate));
}

/* The socket error @ev carries, if any: VALID_ERR and not 0. */
static int has_err(const struct tcpstate_event *ev)
{
	return (ev->valid & TCPSTATE_VALID_ERR) && ev->err;
}

static const char *err_text(const struct tcpstate_event *ev,
			    char buf[TCPSTATE_UNKNOWN_MAX])
{
	return tcpstate_name_or_unknown(tcpstate_errno_name(ev->err), ev->err, buf);
}

/*
 * After the type's own fields: err= (a socket closing on an error, an
 * RST received), seq= and ack= of an RST sent (ack= only with its ACK
 * bit, i.e. not 0), iss= and irs= where the kernel gave them (leaving
 * SYN_SENT or SYN_RECV, a request sock's SYN_RECV).
 */
static void tb_numbers(struct textbuf *tb, const struct tcpstate_event *ev)
{
	char unknown[TCPSTATE_UNKNOWN_MAX];

	if (has_err(ev)) {
		tb_str(tb, " err=");
		tb_str(tb, err_text(ev, unknown));
	}
	if (ev->type == TCPSTATE_EV_RST_SENT &&
	    (ev->valid & TCPSTATE_VALID_SEQ)) {
		tb_str(tb, " seq=");
		tb_dec(tb, ev->seq);
		if (ev->ack) {
			tb_str(tb, " ack=");
			tb_dec(tb, ev->ack);
		}
	}
	if (ev->valid & TCPSTATE_VALID_ISS) {
		tb_str(tb, " iss=");
		tb_dec(tb, ev->iss);
	}
	if (ev->valid & TCPSTATE_VALID_IRS) {
		tb_str(tb, " irs=");
		tb_dec(tb, ev->irs);
	}
}

/* The TRANSITION column; see event_output.h for the forms. */
static void tb_transition(struct textbuf *tb, const struct tcpstate_event *ev)
{
	const char *type = tcpstate_event_type_name(ev->type);
	const struct event_layout *l;
	char unknown[TCPSTATE_UNKNOWN_MAX];

	if (ev->type == TCPSTATE_EV_STATE) {
		tb_states(tb, ev);
		tb_numbers(tb, ev);
		return;
	}
	if (!type) {
		tb_str(tb, "type=");
		tb_dec(tb, ev->type);
		return;
	}
	tb_str(tb, type);
	l = layout_of(ev->type);
	if (l->fields & EF_STATES) {
		tb_put(tb, " ", 1);
		tb_states(tb, ev);
	}
	if (l->fields & EF_REASON) {
		tb_put(tb, " ", 1);
		tb_str(tb, reason_text(ev, unknown));
	}
	if ((l->fields & EF_OLDSTATE) && ev->oldstate) {
		tb_put(tb, " ", 1);
		tb_str(tb, tcpstate_state_name(ev->oldstate));
	}
	if (l->fields & EF_COUNT) {
		tb_str(tb, l->count_label);
		tb_dec(tb, ev->count);
	}
	if (l->fields & EF_QLEN) {
		tb_str(tb, " qlen=");
		tb_dec(tb, ev->qlen);
	}
	if (l->fields & EF_QMAX) {
		tb_put(tb, "/", 1);
		tb_dec(tb, ev->qmax);
	}
	if (l->fields & EF_NEWSTATE) {
		tb_put(tb, " ", 1);
		tb_str(tb, tcpstate_state_name(ev->newstate));
	}
	if (l->peer_label && (ev->type != TCPSTATE_EV_SYN_RECV_END ||
			      ev->reason == TCPSTATE_SRE_COMPLETED)) {
		tb_str(tb, l->peer_label);
		tb_hex64(tb, ev->peer_id);
	}
	tb_numbers(tb, ev);
}

int tcpstate_format_event(char *buf, size_t len,
			  const struct tcpstate_event *ev,
			  __s64 mono_to_real_ns)
{
	return tcpstate_format_event_w(buf, len, ev, mono_to_real_ns,
				       TCPSTATE_COL_ENDPOINT);
}

int tcpstate_format_event_w(char *buf, size_t len,
			    const struct tcpstate_event *ev,
			    __s64 mono_to_real_ns, int endpoint_width)
{
	const struct out_opts o = {
		.endpoint_width = endpoint_width,
		.mono_to_real_ns = mono_to_real_ns,
	};

	return out_event_text(buf, len, ev, &o);
}

int out_event_text(char *buf, size_t len, const struct tcpstate_event *ev,
		   const struct out_opts *o)
{
	const int endpoint_width = o->endpoint_width;
	struct owner scratch;
	struct textbuf tb;
	const char *col;

	tb_init(&tb, buf, len);
	col = tb.p;
	tb_time_local(&tb, ev->ts_ns, o->mono_to_real_ns);
	tb_pad_from(&tb, col, TCPSTATE_COL_TIME);
	tb_put(&tb, " ", 1);
	col = tb.p;
	tb_dec(&tb, ev->netns);
	tb_pad_from(&tb, col, TCPSTATE_COL_NETNS);
	tb_put(&tb, " ", 1);
	tb_hex64(&tb, ev->sock_id);
	tb_put(&tb, " ", 1);
	col = tb.p;
	tb_endpoint(&tb, ev->family, ev->saddr, ev->sport);
	tb_pad_from(&tb, col, endpoint_width);
	tb_put(&tb, " -> ", 4);
	col = tb.p;
	tb_endpoint(&tb, ev->family, ev->daddr, ev->dport);
	tb_pad_from(&tb, col, endpoint_width);
	tb_put(&tb, " ", 1);
	if (o->who)
		tb_owner_text(&tb, owner_of_event(o->owners, ev, &scratch),
			      o->owners);
	tb_transition(&tb, ev);
	return tb_end(&tb);
}

/* ---- JSON ---- */

int out_event_json(char *buf, size_t len, const struct tcpstate_event *ev,
		   const struct out_opts *o)
{
	const unsigned int f = layout_of(ev->type)->fields;
	const char *type = tcpstate_event_type_name(ev->type);
	char unknown[TCPSTATE_UNKNOWN_MAX], typebuf[24];
	const int seq = !!(ev->valid & TCPSTATE_VALID_SEQ);
	struct owner scratch;
	struct textbuf tb;

	if (!type) {
		snprintf(typebuf, sizeof(typebuf), "type=%u", ev->type);
		type = typebuf;
	}
	tb_init(&tb, buf, len);
	tb_str(&tb, "{\"type\":\"event\"");
	tb_kv_name(&tb, KEY("event"), type);
	tb_kv_time(&tb, KEY("time"), ev->ts_ns, o->mono_to_real_ns);
	tb_kv_ns(&tb, KEY("ts_ns"), ev->ts_ns);
	tb_kv_u(&tb, KEY("netns"), ev->netns, 1);
	/* The SKID column: 0 is printed there too (SYN_DROP). */
	tb_kv_id(&tb, KEY("sock_id"), ev->sock_id, 1);
	tb_kv_id(&tb, KEY("peer_id"), ev->peer_id, 0);
	tb_json_tuple(&tb, ev->family, ev->saddr, ev->sport, ev->daddr,
		      ev->dport);
	tb_kv_name(&tb, KEY("oldstate"), (f & EF_STATES) ||
		   ((f & EF_OLDSTATE) && ev->oldstate) ?
		   tcpstate_state_name(ev->oldstate) : NULL);
	tb_kv_name(&tb, KEY("newstate"), f & (EF_STATES | EF_NEWSTATE) ?
		   tcpstate_state_name(ev->newstate) : NULL);
	tb_kv_name(&tb, KEY("reason"), f & EF_REASON ?
		   reason_text(ev, unknown) : NULL);
	tb_kv_u(&tb, KEY("qlen"), ev->qlen, !!(f & EF_QLEN));
	tb_kv_u(&tb, KEY("qmax"), ev->qmax, !!(f & EF_QMAX));
	tb_kv_u(&tb, KEY("count"), ev->count, !!(f & EF_COUNT));
	tb_kv_name(&tb, KEY("err"), has_err(ev) ? err_text(ev, unknown) :
		   NULL);
	tb_kv_u(&tb, KEY("seq"), ev->seq, seq);
	/* An RST without its ACK bit has no acknowledgment number. */
	tb_kv_u(&tb, KEY("ack"), ev->ack, seq &&
		(ev->ack || ev->type != TCPSTATE_EV_RST_SENT));
	tb_kv_u(&tb, KEY("iss"), ev->iss, !!(ev->valid & TCPSTATE_VALID_ISS));
	tb_kv_u(&tb, KEY("irs"), ev->irs, !!(ev->valid & TCPSTATE_VALID_IRS));
	tb_kv_name(&tb, KEY("rst_reason"), ev->type == TCPSTATE_EV_RST_SENT ?
		   reason_text(ev, unknown) : NULL);
	owner_json(&tb, owner_of_event(o->owners, ev, &scratch), o->owners);
	tb_put(&tb, "}", 1);
	return tb_end(&tb);
}
