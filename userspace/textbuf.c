// SPDX-License-Identifier: GPL-2.0
/*
 * The string builder and its pieces; see textbuf.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"
#include "names.h"
#include "textbuf.h"

#define DIGIT_PAIRS_OF(t) \
	t "0" t "1" t "2" t "3" t "4" t "5" t "6" t "7" t "8" t "9"

const char tcpstate_digit_pairs[200] =
	DIGIT_PAIRS_OF("0") DIGIT_PAIRS_OF("1") DIGIT_PAIRS_OF("2")
	DIGIT_PAIRS_OF("3") DIGIT_PAIRS_OF("4") DIGIT_PAIRS_OF("5")
	DIGIT_PAIRS_OF("6") DIGIT_PAIRS_OF("7") DIGIT_PAIRS_OF("8")
	DIGIT_PAIRS_OF("9");

void tb_put_cut(struct textbuf *tb, const char *s, size_t n)
{
	size_t room = (size_t)(tb->end - tb->p);
	size_t k = room ? room - 1 : 0;

	tb->overflow = 1;
	if (n < k)
		k = n;
	memcpy(tb->p, s, k);
	tb->p += k;
}

void tb_printf(struct textbuf *tb, const char *fmt, ...)
{
	size_t room = (size_t)(tb->end - tb->p);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tb->p, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < room) {
		tb->p += n;
		return;
	}
	/* vsnprintf() wrote what fits, as tb_put_cut() would. */
	tb->overflow = 1;
	if (room)
		tb->p = tb->end - 1;
}

/* ---- addresses ---- */

int tb_has_addr(unsigned int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Room for "255.255.255.255:" and an unsigned int port. */
#define IPV4_ENDPOINT_MAX	26

/*
 * The decimal text of every octet, digits then NUL padding, and its
 * length; built once. Two divisions and three tests an octet were an
 * eighth of an event line's instructions (-e).
 */
struct octet_text {
	char digits[4];
	unsigned char len;
};

static const struct octet_text *octet_texts(void)
{
	static struct octet_text table[256];
	static int built;
	unsigned int v;

	if (built)
		return table;
	for (v = 0; v < 256; v++) {
		struct octet_text *t = &table[v];
		char *p = t->digits;

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		t->len = (unsigned char)(p - t->digits);
	}
	built = 1;
	return table;
}

/*
 * Dotted IPv4 at @out; returns its length. Into a buffer of its own and
 * then one tb_put(): a tb_put() per octet and per dot was seven copies
 * for every address of every line. Each octet's four bytes are copied
 * whole (a store, not a call); only its length counts.
 */
static size_t ipv4_text(char out[IPV4_ENDPOINT_MAX], const __u8 *addr)
{
	const struct octet_text *octets = octet_texts();
	char *p = out;
	int i;

	for (i = 0; i < 4; i++) {
		const struct octet_text *t = &octets[addr[i]];

		memcpy(p, t->digits, sizeof(t->digits));
		p += t->len;
		*p++ = '.';
	}
	return (size_t)(p - out) - 1;
}

static void tb_ipv4(struct textbuf *tb, const __u8 *addr)
{
	char text[IPV4_ENDPOINT_MAX];

	tb_put(tb, text, ipv4_text(text, addr));
}

/* A 16-bit group in lower-case hex without leading zeros. */
static void tb_hex16(struct textbuf *tb, unsigned int v)
{
	static const char hex[] = "0123456789abcdef";
	char digits[4];
	int i = sizeof(digits);

	do {
		digits[--i] = hex[v & 0xf];
		v >>= 4;
	} while (v);
	tb_put(tb, digits + i, sizeof(digits) - (size_t)i);
}

/*
 * IPv6 exactly as glibc's inet_ntop() writes it (RFC 5952 style): the
 * first longest run of two or more zero groups becomes "::", and an
 * address whose first 96 bits are 0, or 0 then ffff, ends in dotted IPv4
 * (::a.b.c.d, ::ffff:a.b.c.d). inet_ntop() formats every group with
 * sprintf(), which took a third of a JSON line's time.
 */
static void tb_ipv6(struct textbuf *tb, const __u8 *addr)
{
	unsigned int words[8];
	int i, best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (i = 0; i < 8; i++)
		words[i] = (unsigned int)addr[2 * i] << 8 | addr[2 * i + 1];
	for (i = 0; i < 8; i++) {
		if (words[i]) {
			cur = -1;
			continue;
		}
		if (cur < 0) {
			cur = i;
			cur_len = 0;
		}
		if (++cur_len > best_len) {
			best = cur;
			best_len = cur_len;
		}
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				tb_put(tb, ":", 1);
			continue;
		}
		if (i)
			tb_put(tb, ":", 1);
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
			tb_ipv4(tb, addr + 12);
			return;
		}
		tb_hex16(tb, words[i]);
	}
	if (best >= 0 && best + best_len == 8)
		tb_put(tb, ":", 1);
}

void tb_addr(struct textbuf *tb, unsigned int family, const __u8 *addr)
{
	if (family == AF_INET6)
		tb_ipv6(tb, addr);
	else
		tb_ipv4(tb, addr);
}

void tb_endpoint(struct textbuf *tb, unsigned int family, const __u8 *addr,
		 unsigned int port)
{
	if (!tb_has_addr(family)) {
		tb_str(tb, "family=");
		tb_dec(tb, family);
		return;
	}
	if (family == AF_INET) {
		char text[IPV4_ENDPOINT_MAX], digits[TCPSTATE_DEC_MAX];
		size_t n = ipv4_text(text, addr);
		const char *first = tcpstate_digits_dec(digits, port);
		size_t ndigits = (size_t)(digits + sizeof(digits) - first);

		text[n++] = ':';
		memcpy(text + n, first, ndigits);
		tb_put(tb, text, n + ndigits);
		return;
	}
	if (family == AF_INET6)
		tb_put(tb, "[", 1);
	tb_addr(tb, family, addr);
	tb_str(tb, family == AF_INET6 ? "]:" : ":");
	tb_dec(tb, port);
}

/* ---- wall-clock times ---- */

/*
 * The text of one second, kept: events come thousands a second, and
 * localtime_r() and strftime() are slow.
 */
struct second_text {
	time_t sec;
	int utc;
	const char *format;
	char text[32];
};

static const char *second_text(struct second_text *c, time_t sec)
{
	struct tm tm;

	if (sec != c->sec) {
		if (!(c->utc ? gmtime_r(&sec, &tm) : localtime_r(&sec, &tm)) ||
		    !strftime(c->text, sizeof(c->text), c->format, &tm))
			return NULL;
		c->sec = sec;
	}
	return c->text;
}

static __s64 real_ns_of(__u64 mono_ns, __s64 mono_to_real_ns)
{
	__s64 real_ns;

	if (mono_ns > (__u64)INT64_MAX ||
	    __builtin_add_overflow((__s64)mono_ns, mono_to_real_ns, &real_ns) ||
	    real_ns < 0)
		return 0;
	return real_ns;
}

/*
 * ".uuuuuu" of @real_ns (never negative: real_ns_of()). In 32 bits, two
 * digits at a time: every event line has one.
 */
static void tb_usec(struct textbuf *tb, __s64 real_ns)
{
	unsigned int usec = (unsigned int)(real_ns % (__s64)NSEC_PER_SEC /
					   (__s64)NSEC_PER_USEC);
	char frac[7];

	frac[0] = '.';
	memcpy(frac + 5, &tcpstate_digit_pairs[2 * (usec % 100)], 2);
	usec /= 100;
	memcpy(frac + 3, &tcpstate_digit_pairs[2 * (usec % 100)], 2);
	usec /= 100;
	memcpy(frac + 1, &tcpstate_digit_pairs[2 * usec], 2);
	tb_put(tb, frac, sizeof(frac));
}

void tb_time_local(struct textbuf *tb, __u64 mono_ns, __s64 mono_to_real_ns)
{
	static struct second_text local = { -1, 0, "%H:%M:%S", "" };
	__s64 real_ns = real_ns_of(mono_ns, mono_to_real_ns);
	time_t sec = (time_t)(real_ns / (__s64)NSEC_PER_SEC);
	const char *hms = second_text(&local, sec);

	if (!hms) {
		tb_str(tb, "??:??:??.??????");
		return;
	}
	tb_str(tb, hms);
	tb_usec(tb, real_ns);
}

void tb_time_iso(struct textbuf *tb, __u64 mono_ns, __s64 mono_to_real_ns)
{
	static struct second_text utc = { -1, 1, "%Y-%m-%dT%H:%M:%S", "" };
	__s64 real_ns = real_ns_of(mono_ns, mono_to_real_ns);
	time_t sec = (time_t)(real_ns / (__s64)NSEC_PER_SEC);
	const char *ymdhms = second_text(&utc, sec);

	tb_str(tb, ymdhms ? ymdhms : "1970-01-01T00:00:00");
	tb_usec(tb, real_ns);
	tb_put(tb, "Z", 1);
}

/* ---- JSON ---- */

/*
 * JSON string escaping (RFC 8259 section 7): the quote, the backslash and
 * the control characters must be escaped; everything else, UTF-8
 * included, passes as is, in runs.
 */
void tb_json_str(struct textbuf *tb, const char *s)
{
	const unsigned char *p, *run;
	const char *short_esc;
	char esc[8];

	if (!s) {
		tb_put(tb, "null", 4);
		return;
	}
	tb_put(tb, "\"", 1);
	for (p = run = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		tb_put(tb, (const char *)run, (size_t)(p - run));
		run = p + 1;
		/* The short forms where JSON has one, else \u00XX. */
		short_esc = *p == '"' ? "\\\"" : *p == '\\' ? "\\\\" :
			    *p == '\n' ? "\\n" : *p == '\r' ? "\\r" :
			    *p == '\t' ? "\\t" : NULL;
		if (short_esc) {
			tb_put(tb, short_esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			tb_put(tb, esc, 6);
		}
	}
	tb_put(tb, (const char *)run, (size_t)(p - run));
	tb_put(tb, "\"", 1);
}

void tb_kv_time(struct textbuf *tb, const char *key, size_t keylen,
		__u64 mono_ns, __s64 mono_to_real_ns)
{
	tb_put(tb, key, keylen);
	tb_put(tb, "\"", 1);
	tb_time_iso(tb, mono_ns, mono_to_real_ns);
	tb_put(tb, "\"", 1);
}

/* An address member: the address alone, null for another family. */
static void tb_kv_addr(struct textbuf *tb, const char *key, size_t keylen,
		       unsigned int family, const __u8 *addr)
{
	tb_put(tb, key, keylen);
	if (!tb_has_addr(family)) {
		tb_put(tb, "null", 4);
		return;
	}
	tb_put(tb, "\"", 1);
	tb_addr(tb, family, addr);
	tb_put(tb, "\"", 1);
}

void tb_json_tuple(struct textbuf *tb, unsigned int family,
		   const __u8 *saddr, unsigned int sport, const __u8 *daddr,
		   unsigned int dport)
{
	const char *name = tcpstate_family_name(family);

	tb_put(tb, KEY("family"));
	tb_put(tb, "\"", 1);
	if (name) {
		tb_str(tb, name);
	} else {
		tb_str(tb, "family=");
		tb_dec(tb, family);
	}
	tb_put(tb, "\"", 1);
	tb_kv_addr(tb, KEY("laddr"), family, saddr);
	tb_kv_u(tb, KEY("lport"), sport, 1);
	tb_kv_addr(tb, KEY("raddr"), family, daddr);
	tb_kv_u(tb, KEY("rport"), dport, 1);
}

/* ---- into a caller's buffer ---- */

int tcpstate_format_time(char *buf, size_t len, __u64 mono_ns,
			 __s64 mono_to_real_ns)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_time_local(&tb, mono_ns, mono_to_real_ns);
	return tb_end(&tb);
}

int tcpstate_format_endpoint(char *buf, size_t len, unsigned int family,
			     const __u8 *addr, unsigned int port)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_endpoint(&tb, family, addr, port);
	return tb_end(&tb);
}

int tcpstate_format_addr(char *buf, size_t len, unsigned int family,
			 const __u8 *addr)
{
	struct textbuf tb;

	if (!len)
		return -ENOSPC;
	if (!tb_has_addr(family)) {
		*buf = '\0';
		return -EAFNOSUPPORT;
	}
	tb_init(&tb, buf, len);
	tb_addr(&tb, family, addr);
	return tb_end(&tb);
}

int out_time_iso(char *buf, size_t len, __u64 mono_ns, __s64 mono_to_real_ns)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_time_iso(&tb, mono_ns, mono_to_real_ns);
	return tb_end(&tb);
}

int out_json_string(char *buf, size_t len, const char *s)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_json_str(&tb, s);
	return tb_end(&tb);
}
