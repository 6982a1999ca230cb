/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one string builder of the outputs, and what they build with it:
 * numbers, addresses, wall-clock times, JSON members. Built by hand rather
 * than with snprintf(): a busy host sends tens of thousands of events a
 * second, and printf's format parsing, character-by-character padding and
 * inet_ntop() were most of the reader's time. The hot pieces are inline
 * because every event line needs dozens of them.
 *
 * The overflow rule, for every builder and every function below that
 * writes into a caller's buffer: text that does not fit is cut at the end
 * of the buffer, which always ends up holding the longest prefix that
 * fits, NUL-terminated (when it has a byte at all); the function then
 * returns -ENOSPC instead of the length.
 */
#ifndef TCPSTATE_TEXTBUF_H
#define TCPSTATE_TEXTBUF_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tcpstate.h"

/* Column widths of the event and sequence text lines. */
#define TCPSTATE_COL_TIME	15	/* HH:MM:SS.uuuuuu */
#define TCPSTATE_COL_NETNS	10	/* a 32-bit inode number */
#define TCPSTATE_COL_SKID	16	/* 64-bit id in hex */
#define TCPSTATE_COL_ENDPOINT	21	/* 255.255.255.255:65535 */
/* -w: the longest IPv6 endpoint, [ffff:...:ffff]:65535 (inet_ntop writes
 * at most 39 characters for an address that is not v4-mapped).
 */
#define TCPSTATE_COL_ENDPOINT_WIDE	47

#define TCPSTATE_DEC_MAX	20	/* digits of ULLONG_MAX */

/* Room for any line the event and sequence outputs write. */
#define OUT_LINE_MAX	4096

/* How the event and sequence outputs print what they share. */
struct owner_table;

struct out_opts {
	int endpoint_width;	/* TCPSTATE_COL_ENDPOINT or _WIDE */
	int timestamps;		/* -T: the TIME column of sequences */
	__s64 mono_to_real_ns;	/* tcpstate_mono_to_real_ns() */
	int who;		/* --who: owner columns in text */
	struct owner_table *owners;	/* owner.h; NULL: none known */
};

struct textbuf {
	char *start, *p, *end;	/* p < end unless the buffer is empty */
	int overflow;
};

static inline void tb_init(struct textbuf *tb, char *buf, size_t len)
{
	tb->start = tb->p = buf;
	tb->end = buf + len;
	tb->overflow = !len;
}

/* NUL-terminate; the length, or -ENOSPC if anything was cut. */
static inline int tb_end(struct textbuf *tb)
{
	if (tb->p < tb->end)
		*tb->p = '\0';
	return tb->overflow ? -ENOSPC : (int)(tb->p - tb->start);
}

/* The slow path of tb_put(): what fits of @s, and the overflow noted. */
void tb_put_cut(struct textbuf *tb, const char *s, size_t n);

static inline void tb_put(struct textbuf *tb, const char *s, size_t n)
{
	/* One byte always stays for the NUL. */
	if (n < (size_t)(tb->end - tb->p)) {
		memcpy(tb->p, s, n);
		tb->p += n;
		return;
	}
	tb_put_cut(tb, s, n);
}

static inline void tb_str(struct textbuf *tb, const char *s)
{
	tb_put(tb, s, strlen(s));
}

/* Spaces up to @width columns from @col, as "%-*s" pads. */
static inline void tb_pad_from(struct textbuf *tb, const char *col, int width)
{
	size_t used = (size_t)(tb->p - col), n, room;

	if (width <= 0 || used >= (size_t)width)
		return;
	n = (size_t)width - used;
	room = (size_t)(tb->end - tb->p);
	if (n >= room) {
		tb->overflow = 1;
		n = room ? room - 1 : 0;
	}
	memset(tb->p, ' ', n);
	tb->p += n;
}

/* printf, for the few lines not worth building by hand. */
void tb_printf(struct textbuf *tb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "00" to "99": the two digits of each, in order (textbuf.c). */
extern const char tcpstate_digit_pairs[200];

/*
 * @v in decimal at the end of @digits, no NUL; returns the first digit.
 * Two digits a division, and 32-bit divisions once @v fits: a line has
 * dozens of digits (the netns alone ten), one division each was a tenth
 * of its instructions.
 */
static inline char *tcpstate_digits_dec(char digits[TCPSTATE_DEC_MAX],
					unsigned long long v)
{
	char *p = digits + TCPSTATE_DEC_MAX;
	unsigned int v32;

	while (v > 0xffffffffULL) {
		p -= 2;
		memcpy(p, &tcpstate_digit_pairs[2 * (v % 100)], 2);
		v /= 100;
	}
	v32 = (unsigned int)v;
	while (v32 >= 100) {
		p -= 2;
		memcpy(p, &tcpstate_digit_pairs[2 * (v32 % 100)], 2);
		v32 /= 100;
	}
	if (v32 >= 10) {
		p -= 2;
		memcpy(p, &tcpstate_digit_pairs[2 * v32], 2);
	} else {
		*--p = (char)('0' + v32);
	}
	return p;
}

/* @v as "%016llx" (TCPSTATE_COL_SKID digits), no NUL. */
static inline void tcpstate_digits_hex64(char digits[TCPSTATE_COL_SKID],
					 __u64 v)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = TCPSTATE_COL_SKID - 1; i >= 0; i--, v >>= 4)
		digits[i] = hex[v & 0xf];
}

static inline void tb_dec(struct textbuf *tb, unsigned long long v)
{
	char digits[TCPSTATE_DEC_MAX];
	const char *first = tcpstate_digits_dec(digits, v);

	tb_put(tb, first, (size_t)(digits + sizeof(digits) - first));
}

/* A socket id: "%016llx". */
static inline void tb_hex64(struct textbuf *tb, __u64 v)
{
	char digits[TCPSTATE_COL_SKID];

	tcpstate_digits_hex64(digits, v);
	tb_put(tb, digits, sizeof(digits));
}

/*
 * The address alone, exactly as glibc's inet_ntop() writes it; only for
 * AF_INET and AF_INET6 (tb_has_addr()). @addr is 16 bytes, IPv4 in the
 * first 4.
 */
int tb_has_addr(unsigned int family);
void tb_addr(struct textbuf *tb, unsigned int family, const __u8 *addr);
/* ADDR:PORT, [ADDR]:PORT for AF_INET6, family=N for another family. */
void tb_endpoint(struct textbuf *tb, unsigned int family, const __u8 *addr,
		 unsigned int port);

/*
 * The wall-clock time of @mono_ns: local HH:MM:SS.uuuuuu (the text
 * lines), or UTC 2024-01-02T12:01:02.123456Z (JSON). A time that cannot
 * be a wall-clock time prints as the epoch rather than overflowing.
 */
void tb_time_local(struct textbuf *tb, __u64 mono_ns, __s64 mono_to_real_ns);
void tb_time_iso(struct textbuf *tb, __u64 mono_ns, __s64 mono_to_real_ns);

/* ---- JSON members: ,"key":value ---- */

/*
 * A member's separator and name, ,"NAME": for a string literal NAME, as
 * the two arguments (text, length) of tb_put() and the tb_kv_* functions:
 * one copy of a length known at compile time, for every member of every
 * line.
 */
#define KEY(name) ",\"" name "\":", sizeof(",\"" name "\":") - 1

/* @s as a JSON string, quotes included, escaped; NULL as null. */
void tb_json_str(struct textbuf *tb, const char *s);

static inline void tb_kv_str(struct textbuf *tb, const char *key,
			     size_t keylen, const char *val)
{
	tb_put(tb, key, keylen);
	tb_json_str(tb, val);
}

/*
 * As tb_kv_str(), for text tcpstate makes itself (names from its tables,
 * unknown(N)), which has nothing to escape: no scan.
 */
static inline void tb_kv_name(struct textbuf *tb, const char *key,
			      size_t keylen, const char *val)
{
	tb_put(tb, key, keylen);
	if (!val) {
		tb_put(tb, "null", 4);
		return;
	}
	tb_put(tb, "\"", 1);
	tb_str(tb, val);
	tb_put(tb, "\"", 1);
}

/* A number, or null when not @present. */
static inline void tb_kv_u(struct textbuf *tb, const char *key,
			   size_t keylen, unsigned long long val, int present)
{
	tb_put(tb, key, keylen);
	if (present)
		tb_dec(tb, val);
	else
		tb_put(tb, "null", 4);
}

/* A time in ns, or null for ~0 (SEQ_NONE: not measured). */
static inline void tb_kv_ns(struct textbuf *tb, const char *key,
			    size_t keylen, __u64 val)
{
	tb_kv_u(tb, key, keylen, val, val != ~0ULL);
}

/*
 * A socket id as its 16 hex digits in a string (64-bit numbers do not
 * survive every JSON parser); null for 0 (none) unless @zero_is_id.
 */
static inline void tb_kv_id(struct textbuf *tb, const char *key,
			    size_t keylen, __u64 id, int zero_is_id)
{
	char text[TCPSTATE_COL_SKID + 2];

	tb_put(tb, key, keylen);
	if (!id && !zero_is_id) {
		tb_put(tb, "null", 4);
		return;
	}
	text[0] = '"';
	tcpstate_digits_hex64(text + 1, id);
	text[TCPSTATE_COL_SKID + 1] = '"';
	tb_put(tb, text, sizeof(text));
}

/* The wall-clock time of @mono_ns as a JSON string (tb_time_iso()). */
void tb_kv_time(struct textbuf *tb, const char *key, size_t keylen,
		__u64 mono_ns, __s64 mono_to_real_ns);

/* The four tuple members and "family", shared by sequences and events. */
void tb_json_tuple(struct textbuf *tb, unsigned int family,
		   const __u8 *saddr, unsigned int sport, const __u8 *daddr,
		   unsigned int dport);

/* ---- the same into a caller's buffer: length, or -ENOSPC ---- */

/* tb_time_local() */
int tcpstate_format_time(char *buf, size_t len, __u64 mono_ns,
			 __s64 mono_to_real_ns);
/* tb_endpoint() */
int tcpstate_format_endpoint(char *buf, size_t len, unsigned int family,
			     const __u8 *addr, unsigned int port);
/* tb_addr(); -EAFNOSUPPORT (and "") for another family. */
int tcpstate_format_addr(char *buf, size_t len, unsigned int family,
			 const __u8 *addr);
/* tb_time_iso() */
int out_time_iso(char *buf, size_t len, __u64 mono_ns, __s64 mono_to_real_ns);
/* tb_json_str() */
int out_json_string(char *buf, size_t len, const char *s);

#endif /* TCPSTATE_TEXTBUF_H */
