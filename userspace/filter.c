// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate-watch's filters: parsing them, their kernel part, and matching
 * events and sequence records; see filter.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "filter.h"
#include "names.h"

/*
 * Decimal digits only, no sign or blank (strtoul would take both), and no
 * more than @max. Returns the end of the number or NULL.
 */
static const char *parse_uint(const char *s, unsigned long long max,
			      unsigned long long *out)
{
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned long long)(*s - '0');
		if (v > max)
			return NULL;
	}
	*out = v;
	return s;
}

int filter_parse_ports(const char *s, __u16 *ports, unsigned int *nr)
{
	unsigned long long v;
	unsigned int n = 0, i;

	for (;;) {
		s = parse_uint(s, 65535, &v);
		if (!s || v == 0)
			return -EINVAL;
		for (i = 0; i < n && ports[i] != v; i++)
			;
		if (i == n) {
			if (n == TCPSTATE_FILTER_PORTS)
				return -E2BIG;
			ports[n++] = (__u16)v;
		}
		if (*s == '\0')
			break;
		if (*s++ != ',')
			return -EINVAL;
	}
	*nr = n;
	return 0;
}

int filter_parse_addr(const char *s, __u8 addr[16], unsigned int *family)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(s);

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	/* [::1] as the endpoints print it. */
	if (len > 2 && s[0] == '[' && s[len - 1] == ']' &&
	    len - 2 < sizeof(buf)) {
		memcpy(buf, s + 1, len - 2);
		buf[len - 2] = '\0';
		s = buf;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int filter_parse_netns(const char *s, __u32 *netns)
{
	unsigned long long v;
	const char *end = parse_uint(s, UINT32_MAX, &v);

	if (!end || *end || v == 0)
		return -EINVAL;
	*netns = (__u32)v;
	return 0;
}

int filter_parse_state(const char *s)
{
	char name[24];
	unsigned int st;
	size_t i, n;

	if (!strncasecmp(s, "TCP_", 4))
		s += 4;
	/* ss spells them syn-recv, fin-wait-1: take those too. */
	for (i = n = 0; s[i]; i++) {
		char c = s[i] == '-' ? '_' : s[i];

		if (c == '_' && s[i + 1] >= '1' && s[i + 1] <= '2' &&
		    !s[i + 2])
			continue;
		if (n + 1 >= sizeof(name))
			return -EINVAL;
		name[n++] = c;
	}
	name[n] = '\0';
	if (!strcasecmp(name, "CLOSED"))
		return TCPS_CLOSE;
	/* A request sock is NEW_SYN_RECV inside the kernel; its events
	 * say SYN_RECV.
	 */
	if (!strcasecmp(name, "NEW_SYN_RECV"))
		return TCPS_SYN_RECV;
	for (st = 1; st < TCPS_NEW_SYN_RECV; st++)
		if (!strcasecmp(name, tcpstate_state_name(st)))
			return (int)st;
	return -EINVAL;
}

int filter_parse_pid(const char *s, __u32 *tgid)
{
	unsigned long long v;
	const char *end = parse_uint(s, 4194304, &v);

	if (!end || *end || v == 0)
		return -EINVAL;
	*tgid = (__u32)v;
	return 0;
}

int filter_parse_comm(const char *s, char comm[TCPSTATE_COMM_LEN])
{
	if (!*s)
		return -EINVAL;
	strncpy(comm, s, TCPSTATE_COMM_LEN - 1);
	comm[TCPSTATE_COMM_LEN - 1] = '\0';
	return 0;
}

int filter_needs_owners(const struct watch_filter *f)
{
	return f->tgid || f->comm[0] || f->cgroup_id;
}

int filter_active(const struct watch_filter *f)
{
	return f->family || f->nr_lports || f->nr_rports || f->has_laddr ||
	       f->has_raddr || f->netns || f->state ||
	       filter_needs_owners(f);
}

int filter_to_kernel(const struct watch_filter *f, struct tcpstate_filter *k)
{
	memset(k, 0, sizeof(*k));
	k->netns = f->netns;
	k->family = (__u16)f->family;
	k->nr_lports = (__u16)f->nr_lports;
	k->nr_rports = (__u16)f->nr_rports;
	memcpy(k->lports, f->lports, f->nr_lports * sizeof(f->lports[0]));
	memcpy(k->rports, f->rports, f->nr_rports * sizeof(f->rports[0]));
	k->cgroup_id = f->cgroup_id;
	return f->netns || f->family || f->nr_lports || f->nr_rports ||
	       f->cgroup_id;
}

static int port_in(const __u16 *ports, unsigned int n, unsigned int port)
{
	unsigned int i;

	if (!n)
		return 1;
	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

static const __u8 v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/*
 * An address filter against a tuple's address. An IPv4 address also
 * matches its v4-mapped IPv6 form, the way a dual-stack listener's
 * children carry it, and the other way round.
 */
static int addr_match(unsigned int ffam, const __u8 *faddr,
		      unsigned int family, const __u8 *addr)
{
	if (ffam == family)
		return !memcmp(faddr, addr, family == AF_INET ? 4 : 16);
	if (ffam == AF_INET && family == AF_INET6)
		return !memcmp(addr, v4mapped_prefix, 12) &&
		       !memcmp(addr + 12, faddr, 4);
	if (ffam == AF_INET6 && family == AF_INET)
		return !memcmp(faddr, v4mapped_prefix, 12) &&
		       !memcmp(faddr + 12, addr, 4);
	return 0;
}

int filter_event_fixed(const struct watch_filter *f,
		       const struct tcpstate_event *ev)
{
	if (f->family && ev->family != f->family)
		return 0;
	if (f->netns && ev->netns != f->netns)
		return 0;
	return 1;
}

/* The parts both views check the same way, on a tuple. */
static int tuple_match(const struct watch_filter *f, unsigned int family,
		       const __u8 *saddr, unsigned int sport,
		       const __u8 *daddr, unsigned int dport)
{
	if (!port_in(f->lports, f->nr_lports, sport) ||
	    !port_in(f->rports, f->nr_rports, dport))
		return 0;
	if (f->has_laddr &&
	    !addr_match(f->laddr_family, f->laddr, family, saddr))
		return 0;
	if (f->has_raddr &&
	    !addr_match(f->raddr_family, f->raddr, family, daddr))
		return 0;
	return 1;
}

int filter_event_touches(const struct tcpstate_event *ev, unsigned int state)
{
	switch (ev->type) {
	case TCPSTATE_EV_STATE:
	case TCPSTATE_EV_TIMEWAIT:
	case TCPSTATE_EV_TIMEWAIT_SUBSTATE:
		return ev->oldstate == state || ev->newstate == state;
	case TCPSTATE_EV_SYN_RECV:
	case TCPSTATE_EV_SYN_RECV_END:
	case TCPSTATE_EV_SYNACK_RETRANS:
	case TCPSTATE_EV_ACK_DROP:
		return state == TCPS_SYN_RECV;
	case TCPSTATE_EV_SYN_DROP:
	case TCPSTATE_EV_SYNCOOKIE_SENT:
		return state == TCPS_LISTEN;
	case TCPSTATE_EV_ACCEPT_QUEUED:
		return state == TCPS_SYN_RECV || state == TCPS_ESTABLISHED;
	case TCPSTATE_EV_TIMEWAIT_END:
		return ev->newstate == state || state == TCPS_CLOSE;
	case TCPSTATE_EV_RST_SENT:
	case TCPSTATE_EV_RST_RECEIVED:
		/* The state of the socket it was sent or taken in. */
		return ev->oldstate && ev->oldstate == state;
	default:
		return 0;
	}
}

int filter_owner(const struct watch_filter *f, const struct owner *o,
		 struct owner_table *t)
{
	const char *path;

	if (!filter_needs_owners(f))
		return 1;
	if (!o)
		return 0;
	if ((f->tgid || f->comm[0]) && !(o->valid & TCPSTATE_VALID_TASK))
		return 0;
	if (f->tgid && o->tgid != f->tgid)
		return 0;
	if (f->comm[0] && strncmp(o->comm, f->comm, TCPSTATE_COMM_LEN))
		return 0;
	if (!f->cgroup_id)
		return 1;
	if (!(o->valid & TCPSTATE_VALID_OWNER))
		return 0;
	if (o->cgroup_id == f->cgroup_id)
		return 1;
	path = owner_cgroup_path(t, o->cgroup_id);
	return path && owner_cgroup_is_under(path, f->cgroup);
}

int filter_event(const struct watch_filter *f,
		 const struct tcpstate_event *ev, struct owner_table *t)
{
	struct owner scratch;

	if (!filter_event_fixed(f, ev))
		return 0;
	if (!tuple_match(f, ev->family, ev->saddr, ev->sport, ev->daddr,
			 ev->dport))
		return 0;
	if (f->state && !filter_event_touches(ev, f->state))
		return 0;
	return filter_owner(f, owner_of_event(t, ev, &scratch), t);
}

int filter_record(const struct watch_filter *f, const struct seq_record *rec,
		  struct owner_table *t)
{
	if (f->family && rec->family != f->family)
		return 0;
	if (f->netns && rec->netns != f->netns)
		return 0;
	if (!tuple_match(f, rec->family, rec->saddr, rec->sport, rec->daddr,
			 rec->dport))
		return 0;
	if (f->state && !seq_record_touches(rec, f->state))
		return 0;
	return filter_owner(f, owner_get_first(t, rec->sock_id, rec->req_id,
					       rec->tw_id), t);
}
