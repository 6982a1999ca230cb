// SPDX-License-Identifier: GPL-2.0
/*
 * Text form of tcpstate events; see format.h for the line layout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "format.h"
#include "names.h"

#define NSEC_PER_SEC	1000000000LL
#define NSEC_PER_USEC	1000LL

/* Turn an snprintf() result into our return convention. */
static int fitted(int n, size_t len)
{
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/*
 * An event line built by hand rather than by snprintf(): a busy host sends
 * tens of thousands of events a second, and printf's format parsing and
 * character-by-character padding were most of the reader's time. Writes
 * past the buffer are refused and remembered; one byte stays for the NUL.
 */
struct line {
	char *p, *end;
	int overflow;
};

static void line_put(struct line *l, const char *s, size_t n)
{
	if (n >= (size_t)(l->end - l->p)) {
		l->overflow = 1;
		return;
	}
	memcpy(l->p, s, n);
	l->p += n;
}

static void line_str(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* Spaces up to @width columns from @start, as "%-*s" pads. */
static void line_pad_from(struct line *l, const char *start, int width)
{
	size_t used = (size_t)(l->p - start);

	if (width <= 0 || used >= (size_t)width)
		return;
	if ((size_t)width - used >= (size_t)(l->end - l->p)) {
		l->overflow = 1;
		return;
	}
	memset(l->p, ' ', (size_t)width - used);
	l->p += (size_t)width - used;
}

static void line_dec(struct line *l, unsigned long long v)
{
	char digits[TCPSTATE_DEC_MAX];
	const char *first = tcpstate_digits_dec(digits, v);

	line_put(l, first, (size_t)(digits + sizeof(digits) - first));
}

/* "%0*llx" with TCPSTATE_COL_SKID (16) digits. */
static void line_hex64(struct line *l, __u64 v)
{
	char digits[TCPSTATE_COL_SKID];

	tcpstate_digits_hex64(digits, v);
	line_put(l, digits, sizeof(digits));
}

/* NUL-terminate; our return convention: the length, or -ENOSPC. */
static int line_end(struct line *l, char *buf)
{
	if (l->overflow)
		return -ENOSPC;
	*l->p = '\0';
	return (int)(l->p - buf);
}

static __s64 timespec_ns(const struct timespec *ts)
{
	return (__s64)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

__s64 tcpstate_mono_to_real_ns(void)
{
	struct timespec mono_before, real, mono_after;

	/* Bracket the realtime read with two monotonic ones and use their
	 * midpoint, so being descheduled between the reads costs at most
	 * half the gap instead of all of it.
	 */
	if (clock_gettime(CLOCK_MONOTONIC, &mono_before) ||
	    clock_gettime(CLOCK_REALTIME, &real) ||
	    clock_gettime(CLOCK_MONOTONIC, &mono_after))
		return 0;
	return timespec_ns(&real) -
	       (timespec_ns(&mono_before) +
		(timespec_ns(&mono_after) - timespec_ns(&mono_before)) / 2);
}

int tcpstate_format_header(char *buf, size_t len)
{
	return tcpstate_format_header_w(buf, len, TCPSTATE_COL_ENDPOINT);
}

int tcpstate_format_header_w(char *buf, size_t len, int endpoint_width)
{
	/* The 4 spaces stand over the " -> " between the endpoints. */
	return fitted(snprintf(buf, len, "%-*s %-*s %-*s %-*s    %-*s %s",
			       TCPSTATE_COL_TIME, "TIME",
			       TCPSTATE_COL_NETNS, "NETNS",
			       TCPSTATE_COL_SKID, "SKID",
			       endpoint_width, "LOCAL",
			       endpoint_width, "REMOTE",
			       "TRANSITION"), len);
}

/* HH:MM:SS of @sec in local time; the last second's is kept. */
static const char *local_hms(time_t sec)
{
	static time_t cached_sec = -1;
	static char cached[16];
	struct tm tm;

	if (sec != cached_sec) {
		if (!localtime_r(&sec, &tm) ||
		    !strftime(cached, sizeof(cached), "%H:%M:%S", &tm))
			return NULL;
		cached_sec = sec;
	}
	return cached;
}

static void line_time(struct line *l, __u64 mono_ns, __s64 mono_to_real_ns)
{
	long long usec;
	const char *hms;
	__s64 real_ns;
	char frac[7];
	int i;

	/* A timestamp that cannot be a wall-clock time prints as the epoch
	 * rather than overflowing.
	 */
	if (mono_ns > (__u64)INT64_MAX ||
	    __builtin_add_overflow((__s64)mono_ns, mono_to_real_ns, &real_ns) ||
	    real_ns < 0)
		real_ns = 0;

	hms = local_hms((time_t)(real_ns / NSEC_PER_SEC));
	if (!hms) {
		line_str(l, "??:??:??.??????");
		return;
	}
	line_str(l, hms);
	usec = real_ns % NSEC_PER_SEC / NSEC_PER_USEC;
	frac[0] = '.';
	for (i = 6; i >= 1; i--, usec /= 10)
		frac[i] = (char)('0' + usec % 10);
	line_put(l, frac, sizeof(frac));
}

int tcpstate_format_time(char *buf, size_t len, __u64 mono_ns,
			 __s64 mono_to_real_ns)
{
	struct line l = { buf, buf + len, 0 };

	if (!len)
		return -ENOSPC;
	line_time(&l, mono_ns, mono_to_real_ns);
	return line_end(&l, buf);
}

static bool family_has_addr(unsigned int family)
{
	return family == AF_INET || family == AF_INET6;
}

static void line_ipv4(struct line *l, const __u8 *addr)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			line_put(l, ".", 1);
		line_dec(l, addr[i]);
	}
}

/* A 16-bit group in lower-case hex without leading zeros. */
static void line_hex16(struct line *l, unsigned int v)
{
	static const char hex[] = "0123456789abcdef";
	char digits[4];
	int i = sizeof(digits);

	do {
		digits[--i] = hex[v & 0xf];
		v >>= 4;
	} while (v);
	line_put(l, digits + i, sizeof(digits) - (size_t)i);
}

/*
 * IPv6 exactly as glibc's inet_ntop() writes it (RFC 5952 style): the
 * first longest run of two or more zero groups becomes "::", and an
 * address whose first 96 bits are 0, or 0 then ffff, ends in dotted IPv4
 * (::a.b.c.d, ::ffff:a.b.c.d). inet_ntop() formats every group with
 * sprintf().
 */
static void line_ipv6(struct line *l, const __u8 *addr)
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
				line_put(l, ":", 1);
			continue;
		}
		if (i)
			line_put(l, ":", 1);
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
			line_ipv4(l, addr + 12);
			return;
		}
		line_hex16(l, words[i]);
	}
	if (best >= 0 && best + best_len == 8)
		line_put(l, ":", 1);
}

/*
 * The address of an AF_INET or AF_INET6 event, by hand: glibc's
 * inet_ntop() formats with sprintf(), which took a third of a JSON
 * line's time.
 */
static void line_addr(struct line *l, unsigned int family, const __u8 *addr)
{
	if (family == AF_INET6)
		line_ipv6(l, addr);
	else
		line_ipv4(l, addr);
}

static void line_endpoint(struct line *l, unsigned int family,
			  const __u8 *addr, unsigned int port)
{
	if (!family_has_addr(family)) {
		line_str(l, "family=");
		line_dec(l, family);
		return;
	}
	if (family == AF_INET6)
		line_put(l, "[", 1);
	line_addr(l, family, addr);
	line_str(l, family == AF_INET6 ? "]:" : ":");
	line_dec(l, port);
}

int tcpstate_format_addr(char *buf, size_t len, unsigned int family,
			 const __u8 *addr)
{
	struct line l = { buf, buf + len, 0 };

	if (!len)
		return -ENOSPC;
	if (!family_has_addr(family)) {
		*buf = '\0';
		return -EAFNOSUPPORT;
	}
	line_addr(&l, family, addr);
	return line_end(&l, buf);
}

int tcpstate_format_endpoint(char *buf, size_t len, unsigned int family,
			     const __u8 *addr, unsigned int port)
{
	struct line l = { buf, buf + len, 0 };

	if (!len)
		return -ENOSPC;
	line_endpoint(&l, family, addr, port);
	return line_end(&l, buf);
}

/*
 * @name, or "unknown(N)": a newer module may add reasons, and the number
 * is what one needs to look them up.
 */
static void line_reason(struct line *l, const char *name, unsigned int reason)
{
	if (name) {
		line_str(l, name);
		return;
	}
	line_str(l, "unknown(");
	line_dec(l, reason);
	line_put(l, ")", 1);
}

static void line_states(struct line *l, const struct tcpstate_event *ev)
{
	line_str(l, tcpstate_state_name(ev->oldstate));
	line_put(l, " -> ", 4);
	line_str(l, tcpstate_state_name(ev->newstate));
}

static void line_queue(struct line *l, const struct tcpstate_event *ev)
{
	line_str(l, " qlen=");
	line_dec(l, ev->qlen);
	line_put(l, "/", 1);
	line_dec(l, ev->qmax);
}

/*
 * The TRANSITION column; see format.h for the forms. Every type with a
 * name has a case; another prints as type=N.
 */
static void line_transition(struct line *l, const struct tcpstate_event *ev)
{
	const char *type = tcpstate_event_type_name(ev->type);

	if (ev->type == TCPSTATE_EV_STATE) {
		line_states(l, ev);
		return;
	}
	if (!type) {
		line_str(l, "type=");
		line_dec(l, ev->type);
		return;
	}
	line_str(l, type);
	switch (ev->type) {
	case TCPSTATE_EV_SYN_RECV:
	case TCPSTATE_EV_ACCEPT_QUEUED:
		line_queue(l, ev);
		return;
	case TCPSTATE_EV_SYN_RECV_END:
		line_put(l, " ", 1);
		line_reason(l, tcpstate_syn_recv_end_name(ev->reason),
			    ev->reason);
		line_str(l, " retrans=");
		line_dec(l, ev->count);
		line_str(l, " qlen=");
		line_dec(l, ev->qlen);
		/* Only a completed request sock has a child to follow. */
		if (ev->reason == TCPSTATE_SRE_COMPLETED) {
			line_str(l, " child=");
			line_hex64(l, ev->peer_id);
		}
		return;
	case TCPSTATE_EV_SYNACK_RETRANS:
		line_str(l, " #");
		line_dec(l, ev->count);
		return;
	case TCPSTATE_EV_ACK_DROP:
	case TCPSTATE_EV_SYN_DROP:
		line_put(l, " ", 1);
		line_reason(l, tcpstate_drop_reason_name(ev->reason),
			    ev->reason);
		line_queue(l, ev);
		return;
	case TCPSTATE_EV_TIMEWAIT:
		line_put(l, " ", 1);
		line_states(l, ev);
		line_str(l, " from=");
		line_hex64(l, ev->peer_id);
		return;
	case TCPSTATE_EV_TIMEWAIT_SUBSTATE:
		line_put(l, " ", 1);
		line_states(l, ev);
		return;
	case TCPSTATE_EV_TIMEWAIT_END:
		line_put(l, " ", 1);
		line_reason(l, tcpstate_timewait_end_name(ev->reason),
			    ev->reason);
		line_put(l, " ", 1);
		line_str(l, tcpstate_state_name(ev->newstate));
		return;
	}
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
	struct line l = { buf, buf + len, 0 };
	const char *col;

	if (!len)
		return -ENOSPC;
	col = l.p;
	line_time(&l, ev->ts_ns, mono_to_real_ns);
	line_pad_from(&l, col, TCPSTATE_COL_TIME);
	line_put(&l, " ", 1);
	col = l.p;
	line_dec(&l, ev->netns);
	line_pad_from(&l, col, TCPSTATE_COL_NETNS);
	line_put(&l, " ", 1);
	line_hex64(&l, ev->sock_id);
	line_put(&l, " ", 1);
	col = l.p;
	line_endpoint(&l, ev->family, ev->saddr, ev->sport);
	line_pad_from(&l, col, endpoint_width);
	line_put(&l, " -> ", 4);
	col = l.p;
	line_endpoint(&l, ev->family, ev->daddr, ev->dport);
	line_pad_from(&l, col, endpoint_width);
	line_put(&l, " ", 1);
	line_transition(&l, ev);
	return line_end(&l, buf);
}

/* How much @idx grew from @prev to @now; a counter never shrinks, but a
 * bogus reading must not print as 18446744073709551615.
 */
static __u64 counter_delta(const struct tcpstate_counters *prev,
			   const struct tcpstate_counters *now,
			   unsigned int idx)
{
	return now->value[idx] > prev->value[idx] ?
	       now->value[idx] - prev->value[idx] : 0;
}

static double per_second(__u64 delta, __u64 elapsed_ns)
{
	return elapsed_ns ? (double)delta * NSEC_PER_SEC / (double)elapsed_ns
			  : 0.0;
}

int tcpstate_format_status(char *buf, size_t len,
			   const struct tcpstate_counters *prev,
			   const struct tcpstate_counters *now,
			   __u64 elapsed_ns)
{
	__u64 syn = counter_delta(prev, now, TCPSTATE_C_SYN_QUEUE_ADDED);
	__u64 tw = counter_delta(prev, now, TCPSTATE_C_TIMEWAIT_CREATED);

	return fitted(snprintf(buf, len,
			       "netns %u SYN_RECV %llu TIME_WAIT %llu | +%.1f syn/s +%.1f tw/s, %llu overflows, %llu ring drops",
			       now->netns,
			       (unsigned long long)now->value[TCPSTATE_C_SYN_RECV],
			       (unsigned long long)now->value[TCPSTATE_C_TIME_WAIT],
			       per_second(syn, elapsed_ns),
			       per_second(tw, elapsed_ns),
			       (unsigned long long)counter_delta(prev, now,
						TCPSTATE_C_ACCEPT_OVERFLOWS),
			       (unsigned long long)counter_delta(prev, now,
						TCPSTATE_C_RING_DROPS)), len);
}
