// SPDX-License-Identifier: GPL-2.0
/*
 * Sequence lines, and JSON for sequences and events; see output.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "format.h"
#include "names.h"
#include "output.h"
#include "ring_reader.h"

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A bounded string builder: appends past the end are counted, not
 * written, so one check at the end tells whether everything fitted.
 */
struct sbuf {
	char *buf;
	size_t len;
	size_t pos;	/* may exceed len: then it overflowed */
};

static void sb_init(struct sbuf *b, char *buf, size_t len)
{
	b->buf = buf;
	b->len = len;
	b->pos = 0;
	if (len)
		buf[0] = '\0';
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	size_t room = b->pos < b->len ? b->len - b->pos : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->buf + b->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->pos += (size_t)n;
}

static int sb_done(const struct sbuf *b)
{
	if (!b->len)
		return -ENOSPC;
	if (b->pos >= b->len) {
		b->buf[b->len - 1] = '\0';
		return -ENOSPC;
	}
	return (int)b->pos;
}

/*
 * The hot path of -j: every event is a few dozen of these, so they copy
 * rather than go through vsnprintf(). Same contract as sb_printf().
 */
static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	size_t room = b->pos < b->len ? b->len - b->pos : 0;

	if (room) {
		size_t k = n < room - 1 ? n : room - 1;

		memcpy(b->buf + b->pos, s, k);
		b->buf[b->pos + k] = '\0';
	}
	b->pos += n;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_u64(struct sbuf *b, unsigned long long v)
{
	char digits[TCPSTATE_DEC_MAX];
	const char *first = tcpstate_digits_dec(digits, v);

	sb_put(b, first, (size_t)(digits + sizeof(digits) - first));
}

/* A socket id: "%016llx" in quotes. */
static void sb_id(struct sbuf *b, __u64 id)
{
	char text[TCPSTATE_COL_SKID + 2];

	text[0] = '"';
	tcpstate_digits_hex64(text + 1, id);
	text[TCPSTATE_COL_SKID + 1] = '"';
	sb_put(b, text, sizeof(text));
}

/*
 * JSON string escaping (RFC 8259 section 7): the quote, the backslash and
 * the control characters must be escaped; everything else, UTF-8
 * included, passes as is, in runs.
 */
static void sb_json_str(struct sbuf *b, const char *s)
{
	const unsigned char *p, *run;
	char esc[8];

	if (!s) {
		sb_put(b, "null", 4);
		return;
	}
	sb_put(b, "\"", 1);
	for (p = run = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		sb_put(b, (const char *)run, (size_t)(p - run));
		run = p + 1;
		switch (*p) {
		case '"':
			sb_put(b, "\\\"", 2);
			break;
		case '\\':
			sb_put(b, "\\\\", 2);
			break;
		case '\n':
			sb_put(b, "\\n", 2);
			break;
		case '\r':
			sb_put(b, "\\r", 2);
			break;
		case '\t':
			sb_put(b, "\\t", 2);
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			sb_put(b, esc, 6);
			break;
		}
	}
	sb_put(b, (const char *)run, (size_t)(p - run));
	sb_put(b, "\"", 1);
}

/*
 * A member's separator and name, ,"NAME": for a string literal NAME, as
 * the two arguments (text, length) of sb_put() and the sb_kv_* functions:
 * one copy of a length known at compile time, for every member of every
 * line.
 */
#define KEY(name) ",\"" name "\":", sizeof(",\"" name "\":") - 1

static void sb_kv_str(struct sbuf *b, const char *key, size_t keylen,
		      const char *val)
{
	sb_put(b, key, keylen);
	sb_json_str(b, val);
}

/*
 * As sb_kv_str(), for text tcpstate makes itself (names from its tables,
 * times, addresses, unknown(N)), which has nothing to escape: no scan.
 */
static void sb_kv_name(struct sbuf *b, const char *key, size_t keylen,
		       const char *val)
{
	sb_put(b, key, keylen);
	if (!val) {
		sb_put(b, "null", 4);
		return;
	}
	sb_put(b, "\"", 1);
	sb_str(b, val);
	sb_put(b, "\"", 1);
}

/* A number, or null for SEQ_NONE. */
static void sb_kv_ns(struct sbuf *b, const char *key, size_t keylen,
		     __u64 val)
{
	sb_put(b, key, keylen);
	if (val == SEQ_NONE)
		sb_put(b, "null", 4);
	else
		sb_u64(b, val);
}

static void sb_kv_u(struct sbuf *b, const char *key, size_t keylen,
		    unsigned long long val, int present)
{
	sb_put(b, key, keylen);
	if (present)
		sb_u64(b, val);
	else
		sb_put(b, "null", 4);
}

/* A socket id as its 16 hex digits, or null for 0 (none). */
static void sb_kv_id(struct sbuf *b, const char *key, size_t keylen,
		     __u64 id)
{
	sb_put(b, key, keylen);
	if (id)
		sb_id(b, id);
	else
		sb_put(b, "null", 4);
}

int out_json_string(char *buf, size_t len, const char *s)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	sb_json_str(&b, s);
	return sb_done(&b);
}

int out_duration(char *buf, size_t len, __u64 ns, const char *none)
{
	int n;

	if (ns == SEQ_NONE)
		n = snprintf(buf, len, "%s", none);
	else if (ns < NSEC_PER_USEC)
		n = snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < NSEC_PER_MSEC)
		n = snprintf(buf, len, "%llu.%lluus",
			     (unsigned long long)(ns / NSEC_PER_USEC),
			     (unsigned long long)(ns % NSEC_PER_USEC / 100));
	else if (ns < NSEC_PER_SEC)
		n = snprintf(buf, len, "%llu.%02llums",
			     (unsigned long long)(ns / NSEC_PER_MSEC),
			     (unsigned long long)(ns % NSEC_PER_MSEC / 10000));
	else
		n = snprintf(buf, len, "%llu.%03llus",
			     (unsigned long long)(ns / NSEC_PER_SEC),
			     (unsigned long long)(ns % NSEC_PER_SEC /
						  NSEC_PER_MSEC));
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

int out_time_iso(char *buf, size_t len, __u64 mono_ns, __s64 mono_to_real_ns)
{
	static time_t cached_sec = -1;
	static char cached[32];
	long long usec;
	struct sbuf b;
	struct tm tm;
	__s64 real_ns;
	char frac[8];
	time_t sec;
	int i;

	/* As tcpstate_format_time(): an impossible time is the epoch. */
	if (mono_ns > (__u64)INT64_MAX ||
	    __builtin_add_overflow((__s64)mono_ns, mono_to_real_ns, &real_ns) ||
	    real_ns < 0)
		real_ns = 0;
	sec = (time_t)(real_ns / (__s64)NSEC_PER_SEC);
	/* Events come thousands a second: the last second's text is kept. */
	if (sec != cached_sec) {
		if (!gmtime_r(&sec, &tm) ||
		    !strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm))
			snprintf(cached, sizeof(cached), "1970-01-01T00:00:00");
		cached_sec = sec;
	}
	usec = real_ns % (__s64)NSEC_PER_SEC / (__s64)NSEC_PER_USEC;
	frac[0] = '.';
	for (i = 6; i >= 1; i--, usec /= 10)
		frac[i] = (char)('0' + usec % 10);
	frac[7] = 'Z';
	sb_init(&b, buf, len);
	sb_str(&b, cached);
	sb_put(&b, frac, sizeof(frac));
	return sb_done(&b);
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

/* "ipv4", "ipv6", or NULL for a family we do not print addresses of. */
static const char *family_name(unsigned int family)
{
	switch (family) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	default:
		return NULL;
	}
}

/* The address alone, for JSON; NULL for another family. */
static const char *addr_text(char *buf, size_t len, unsigned int family,
			     const __u8 *addr)
{
	return tcpstate_format_addr(buf, len, family, addr) < 0 ? NULL : buf;
}

/* The reason as text, unknown(N) for a value outside its enum. */
static const char *reason_text(const struct seq_record *rec, char *buf,
			       size_t len)
{
	const char *name;

	if (rec->reason_type == SEQ_REASON_NONE)
		return NULL;
	name = seq_reason_name(rec);
	if (name)
		return name;
	snprintf(buf, len, "unknown(%u)", rec->reason);
	return buf;
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

int out_seq_header(char *buf, size_t len, const struct out_opts *o)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	if (o->timestamps)
		sb_printf(&b, "%-*s ", TCPSTATE_COL_TIME, "TIME");
	sb_printf(&b, "%-*s %-*s %-*s %-*s %-*s %-*s %s",
		  OUT_COL_KIND, "KIND", OUT_COL_SIDE, "SIDE",
		  TCPSTATE_COL_NETNS, "NETNS",
		  o->endpoint_width, "LOCAL", o->endpoint_width, "REMOTE",
		  OUT_COL_DURATION, "DURATION", "PATH");
	return sb_done(&b);
}

static void text_path(struct sbuf *b, const struct seq_record *rec)
{
	char dur[32];
	unsigned int i;

	if (!rec->nsteps) {
		sb_printf(b, "-");
		return;
	}
	for (i = 0; i < rec->nsteps; i++) {
		sb_printf(b, "%s", seq_step_name(rec->steps[i].state));
		if (i + 1 == rec->nsteps)
			break;
		/* A "..." step has no time of its own to show. */
		if (rec->steps[i].state != SEQ_ST_GAP) {
			out_duration(dur, sizeof(dur), rec->steps[i].ns, "?");
			sb_printf(b, " %s", dur);
		}
		sb_printf(b, " -> ");
	}
}

int out_seq_text(char *buf, size_t len, const struct seq_record *rec,
		 const struct out_opts *o)
{
	char when[32], local[64], remote[64], dur[32], unknown[24];
	const char *side = seq_side_name(rec->side);
	const char *queue = queue_name(rec);
	const char *reason = reason_text(rec, unknown, sizeof(unknown));
	struct sbuf b;
	unsigned int bit;
	int first;

	sb_init(&b, buf, len);
	if (o->timestamps) {
		tcpstate_format_time(when, sizeof(when), rec->end_ns,
				     o->mono_to_real_ns);
		sb_printf(&b, "%-*s ", TCPSTATE_COL_TIME, when);
	}
	tcpstate_format_endpoint(local, sizeof(local), rec->family,
				 rec->saddr, rec->sport);
	tcpstate_format_endpoint(remote, sizeof(remote), rec->family,
				 rec->daddr, rec->dport);
	out_duration(dur, sizeof(dur), rec->duration_ns, "-");
	sb_printf(&b, "%-*s %-*s %-*u %-*s %-*s %-*s ",
		  OUT_COL_KIND, seq_kind_name(rec->kind),
		  OUT_COL_SIDE, side ? side : "-",
		  TCPSTATE_COL_NETNS, rec->netns,
		  o->endpoint_width, local, o->endpoint_width, remote,
		  OUT_COL_DURATION, dur);
	text_path(&b, rec);

	if (has_req(rec))
		sb_printf(&b, " retrans=%u", rec->synack_retrans);
	if (rec->ack_drops)
		sb_printf(&b, " ack_drops=%u", rec->ack_drops);
	if (rec->kind == SEQ_PASSIVE_OPEN && !has_req(rec) &&
	    !(rec->missing & SEQ_MISS_START))
		sb_printf(&b, " req=none");
	if (queue)
		sb_printf(&b, " %sq=%u/%u", queue, rec->qlen, rec->qmax);
	if (reason)
		sb_printf(&b, " reason=%s", reason);
	if (rec->tw_substate)
		sb_printf(&b, " substate=%s",
			  tcpstate_state_name(rec->tw_substate));
	for (bit = 1, first = 1; bit; bit <<= 1) {
		const char *name;

		if (!(rec->missing & bit))
			continue;
		name = out_missing_name(bit);
		if (!name)
			continue;
		sb_printf(&b, "%s%s", first ? " missing=" : ",", name);
		first = 0;
	}
	return sb_done(&b);
}

/* The four tuple keys, shared by sequences and events. */
static void json_tuple(struct sbuf *b, unsigned int family,
		       const __u8 *saddr, unsigned int sport,
		       const __u8 *daddr, unsigned int dport)
{
	char a[64], fam[24];
	const char *name = family_name(family);

	if (!name) {
		snprintf(fam, sizeof(fam), "family=%u", family);
		name = fam;
	}
	sb_kv_name(b, KEY("family"), name);
	sb_kv_name(b, KEY("laddr"), addr_text(a, sizeof(a), family, saddr));
	sb_kv_u(b, KEY("lport"), sport, 1);
	sb_kv_name(b, KEY("raddr"), addr_text(a, sizeof(a), family, daddr));
	sb_kv_u(b, KEY("rport"), dport, 1);
}

int out_seq_json(char *buf, size_t len, const struct seq_record *rec,
		 const struct out_opts *o)
{
	char when[48], unknown[24];
	struct sbuf b;
	unsigned int i, bit;
	int first;

	sb_init(&b, buf, len);
	out_time_iso(when, sizeof(when), rec->end_ns, o->mono_to_real_ns);
	sb_str(&b, "{\"type\":\"sequence\"");
	sb_kv_str(&b, KEY("kind"), seq_kind_name(rec->kind));
	sb_kv_str(&b, KEY("side"), seq_side_name(rec->side));
	sb_kv_str(&b, KEY("time"), when);
	sb_kv_ns(&b, KEY("start_ns"), rec->start_ns);
	sb_kv_ns(&b, KEY("end_ns"), rec->end_ns);
	sb_kv_ns(&b, KEY("duration_ns"), rec->duration_ns);
	sb_kv_u(&b, KEY("netns"), rec->netns, 1);
	json_tuple(&b, rec->family, rec->saddr, rec->sport, rec->daddr,
		   rec->dport);
	sb_kv_id(&b, KEY("sock_id"), rec->sock_id);
	sb_kv_id(&b, KEY("req_id"), rec->req_id);
	sb_kv_id(&b, KEY("tw_id"), rec->tw_id);
	sb_kv_ns(&b, KEY("handshake_ns"), rec->handshake_ns);
	sb_kv_ns(&b, KEY("syn_queue_ns"), rec->syn_queue_ns);
	sb_kv_ns(&b, KEY("established_ns"), rec->established_ns);
	sb_kv_ns(&b, KEY("time_wait_ns"), rec->time_wait_ns);
	sb_kv_u(&b, KEY("synack_retrans"), rec->synack_retrans, has_req(rec));
	sb_kv_u(&b, KEY("ack_drops"), rec->ack_drops, has_req(rec));
	sb_kv_str(&b, KEY("queue"), queue_name(rec));
	sb_kv_u(&b, KEY("qlen"), rec->qlen, rec->has_queue);
	sb_kv_u(&b, KEY("qmax"), rec->qmax, rec->has_queue);
	sb_kv_str(&b, KEY("reason"),
		  reason_text(rec, unknown, sizeof(unknown)));
	sb_kv_str(&b, KEY("tw_substate"), rec->tw_substate ?
		  tcpstate_state_name(rec->tw_substate) : NULL);

	sb_put(&b, KEY("steps"));
	sb_printf(&b, "[");
	for (i = 0; i < rec->nsteps; i++) {
		sb_printf(&b, "%s{\"state\":", i ? "," : "");
		sb_json_str(&b, seq_step_name(rec->steps[i].state));
		sb_kv_ns(&b, KEY("ns"), rec->steps[i].ns);
		sb_put(&b, "}", 1);
	}
	sb_printf(&b, "]");

	sb_put(&b, KEY("partial"));
	sb_printf(&b, "%s", rec->missing ? "true" : "false");
	sb_put(&b, KEY("missing"));
	sb_printf(&b, "[");
	for (bit = 1, first = 1; bit; bit <<= 1) {
		const char *name = rec->missing & bit ?
				   out_missing_name(bit) : NULL;

		if (!name)
			continue;
		sb_printf(&b, "%s", first ? "" : ",");
		sb_json_str(&b, name);
		first = 0;
	}
	sb_printf(&b, "]");
	sb_kv_str(&b, KEY("gap_from"), rec->missing & SEQ_MISS_GAP ?
		  seq_step_name(rec->gap_from) : NULL);
	sb_kv_str(&b, KEY("gap_to"), rec->missing & SEQ_MISS_GAP ?
		  seq_step_name(rec->gap_to) : NULL);
	sb_put(&b, "}", 1);
	return sb_done(&b);
}

/* Which of the per-type fields an event type fills (tcpstate.h). */
#define EF_STATES	0x01U	/* oldstate and newstate */
#define EF_NEWSTATE	0x02U	/* newstate alone */
#define EF_REASON	0x04U
#define EF_QLEN		0x08U
#define EF_QMAX		0x10U
#define EF_COUNT	0x20U

static unsigned int event_fields(unsigned int type)
{
	switch (type) {
	case TCPSTATE_EV_STATE:
	case TCPSTATE_EV_TIMEWAIT:
	case TCPSTATE_EV_TIMEWAIT_SUBSTATE:
		return EF_STATES;
	case TCPSTATE_EV_SYN_RECV:
	case TCPSTATE_EV_ACCEPT_QUEUED:
		return EF_QLEN | EF_QMAX;
	case TCPSTATE_EV_SYN_RECV_END:
		return EF_REASON | EF_COUNT | EF_QLEN;
	case TCPSTATE_EV_SYNACK_RETRANS:
		return EF_COUNT;
	case TCPSTATE_EV_ACK_DROP:
	case TCPSTATE_EV_SYN_DROP:
		return EF_REASON | EF_QLEN | EF_QMAX;
	case TCPSTATE_EV_TIMEWAIT_END:
		return EF_REASON | EF_NEWSTATE;
	default:
		return 0;
	}
}

static const char *event_reason(const struct tcpstate_event *ev, char *buf,
				size_t len)
{
	const char *name;

	switch (ev->type) {
	case TCPSTATE_EV_SYN_RECV_END:
		name = tcpstate_syn_recv_end_name(ev->reason);
		break;
	case TCPSTATE_EV_ACK_DROP:
	case TCPSTATE_EV_SYN_DROP:
		name = tcpstate_drop_reason_name(ev->reason);
		break;
	case TCPSTATE_EV_TIMEWAIT_END:
		name = tcpstate_timewait_end_name(ev->reason);
		break;
	default:
		return NULL;
	}
	if (name)
		return name;
	snprintf(buf, len, "unknown(%u)", ev->reason);
	return buf;
}

int out_event_json(char *buf, size_t len, const struct tcpstate_event *ev,
		   const struct out_opts *o)
{
	const unsigned int f = event_fields(ev->type);
	const char *type = tcpstate_event_type_name(ev->type);
	char when[48], unknown[24], typebuf[24];
	struct sbuf b;

	if (!type) {
		snprintf(typebuf, sizeof(typebuf), "type=%u", ev->type);
		type = typebuf;
	}
	sb_init(&b, buf, len);
	out_time_iso(when, sizeof(when), ev->ts_ns, o->mono_to_real_ns);
	sb_str(&b, "{\"type\":\"event\"");
	sb_kv_name(&b, KEY("event"), type);
	sb_kv_name(&b, KEY("time"), when);
	sb_kv_ns(&b, KEY("ts_ns"), ev->ts_ns);
	sb_kv_u(&b, KEY("netns"), ev->netns, 1);
	/* The SKID column: 0 is printed there too (SYN_DROP). */
	sb_put(&b, KEY("sock_id"));
	sb_id(&b, ev->sock_id);
	sb_kv_id(&b, KEY("peer_id"), ev->peer_id);
	json_tuple(&b, ev->family, ev->saddr, ev->sport, ev->daddr, ev->dport);
	sb_kv_name(&b, KEY("oldstate"), f & EF_STATES ?
		   tcpstate_state_name(ev->oldstate) : NULL);
	sb_kv_name(&b, KEY("newstate"), f & (EF_STATES | EF_NEWSTATE) ?
		   tcpstate_state_name(ev->newstate) : NULL);
	sb_kv_name(&b, KEY("reason"), f & EF_REASON ?
		   event_reason(ev, unknown, sizeof(unknown)) : NULL);
	sb_kv_u(&b, KEY("qlen"), ev->qlen, !!(f & EF_QLEN));
	sb_kv_u(&b, KEY("qmax"), ev->qmax, !!(f & EF_QMAX));
	sb_kv_u(&b, KEY("count"), ev->count, !!(f & EF_COUNT));
	sb_put(&b, "}", 1);
	return sb_done(&b);
}
