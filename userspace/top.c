// SPDX-License-Identifier: GPL-2.0
/*
 * --top's model and frame; see top.h. Three tables of state:
 *
 *   lsocks  listener socket id -> its row and the SYN queue length its
 *           latest event gave
 *   reqs    request sock id -> when its SYN came and its listener, for
 *           the handshake times
 *   tws     a timewait sock's tuple -> when it entered TIME_WAIT (keyed
 *           by tuple, not id: sock_diag's seed knows no tcpstate ids)
 *
 * and the rows, one per bound listener address, which hold what the
 * frame prints.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "clock.h"
#include "idmap.h"
#include "owner.h"
#include "sequence_output.h"
#include "summary.h"
#include "textbuf.h"
#include "top.h"

/* TCP_TIMEWAIT_LEN: a timewait sock's time in TIME_WAIT (every kernel). */
#define TW_LEN_MS		60000ULL
/* Caps on what is followed; past them a socket is not timed or listed. */
#define TOP_MAX_LSOCKS		65536U
#define TOP_MAX_REQS		(1U << 20)
#define TOP_MAX_TWS		(1U << 21)
#define TOP_MAX_ROWS		4096U
/* A listener first named by an event and not yet listed: list again,
 * at most this often.
 */
#define RELIST_NS		(200 * NSEC_PER_MSEC)
/* /proc scans for listeners' processes, at most this often. */
#define OWNER_SCAN_NS		(2 * NSEC_PER_SEC)

#define ENDPOINT_TEXT_MAX	64
#define LINE_MAX_TOP		512

struct endpoint {
	unsigned int family;
	__u8 addr[16];
	unsigned int port;
};

enum owner_state { OWNER_UNKNOWN, OWNER_FOUND, OWNER_NOT_FOUND };

struct listener_row {
	struct endpoint ep;		/* as bound */
	int listed;			/* in the latest sock_diag listing */
	unsigned int nsocks;		/* ... as how many sockets */
	unsigned int accq, accmax;	/* their accept queues, summed */
	unsigned long inode;		/* the first one's */
	unsigned int uid;
	enum owner_state owner;
	pid_t pid;
	char comm[TCPSTATE_COMM_LEN];
	unsigned int nlsocks;		/* listener ids seen for this row */
	__u64 lsock_id;			/* the first of them */
	int has_qlen;			/* one of them gave a SYN queue qlen */
	unsigned int seed_synq;		/* request socks listed at start, not
					 * ended since */
	unsigned long long syns, rtx, expired, cookies, overflows, drops;
	unsigned long long frame_syns, frame_rtx;	/* at the last frame */
	double syn_rate, rtx_rate;
	unsigned int synq_now;		/* computed per frame */
	struct hist *handshake;		/* NULL until one completes */
	int guessed;			/* made for an event's local address,
					 * its listener not listed (yet) */
	int merged;			/* ... and since merged into the row
					 * of the listener a listing showed */
};

struct lsock {
	unsigned int row;
	int has_qlen;
	unsigned int synq;
	__u64 synq_ns;		/* the time of the event that gave it */
};

struct req {
	__u64 syn_ns;
	__u64 listener;
};

struct tw {
	struct endpoint local, remote;
	__u64 since_ns;			/* entered TIME_WAIT */
};

struct top {
	struct top_sources src;
	__u32 netns;
	struct listener_row *rows;
	unsigned int nrows, rows_cap;
	struct idmap lsocks, reqs, tws;
	unsigned long long handshakes, frame_handshakes;
	struct tcpstate_counters prev, now;
	__u64 prev_ns, now_ns, first_ns;
	__u64 elapsed_ns;		/* since the frame before */
	double syn_rate, handshake_rate, overflow_rate;
	unsigned long long frame;
	__u64 last_relist_ns, last_owner_scan_ns;
	int relisted_once, owner_scanned_once;
	int tw_relist;
	unsigned int port_lo, port_hi;
	long tw_reuse, max_tw_buckets;
	__s64 mono_to_real_ns;
};

/* ---- endpoints ---- */

static const __u8 v4mapped_prefix[12] = { [10] = 0xff, [11] = 0xff };

/* IPv4-mapped IPv6 as IPv4: a dual-stack socket's v4 peer groups with
 * the same peer seen by an AF_INET socket.
 */
static void endpoint_set(struct endpoint *e, unsigned int family,
			 const __u8 *addr, unsigned int port)
{
	memset(e, 0, sizeof(*e));
	e->port = port;
	if (family == AF_INET6 && !memcmp(addr, v4mapped_prefix, 12)) {
		e->family = AF_INET;
		memcpy(e->addr, addr + 12, 4);
		return;
	}
	e->family = family;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
}

static int endpoint_eq(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static int endpoint_is_any(const struct endpoint *e)
{
	static const __u8 zero[16];

	return !memcmp(e->addr, zero, sizeof(zero));
}

static __u64 fnv1a(__u64 h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static __u64 endpoint_hash(__u64 h, const struct endpoint *e)
{
	h = fnv1a(h, &e->family, sizeof(e->family));
	h = fnv1a(h, e->addr, sizeof(e->addr));
	return fnv1a(h, &e->port, sizeof(e->port));
}

#define FNV_BASIS	0xcbf29ce484222325ULL

/* Never 0, the empty key of idmap. */
static __u64 tuple_key(const struct endpoint *local,
		       const struct endpoint *remote)
{
	return endpoint_hash(endpoint_hash(FNV_BASIS, local), remote) | 1;
}

static void endpoint_text(char *buf, size_t len, const struct endpoint *e)
{
	tcpstate_format_endpoint(buf, len, e->family, e->addr, e->port);
}

/* ---- rows ---- */

static struct listener_row *row_add(struct top *t, const struct endpoint *ep)
{
	struct listener_row *r;

	if (t->nrows == t->rows_cap) {
		unsigned int cap = t->rows_cap ? 2 * t->rows_cap : 16;

		if (cap > TOP_MAX_ROWS)
			return NULL;
		r = realloc(t->rows, cap * sizeof(*r));
		if (!r)
			return NULL;
		t->rows = r;
		t->rows_cap = cap;
	}
	r = &t->rows[t->nrows++];
	memset(r, 0, sizeof(*r));
	r->ep = *ep;
	return r;
}

static int row_exact(const struct top *t, const struct endpoint *ep)
{
	unsigned int i;

	for (i = 0; i < t->nrows; i++)
		if (!t->rows[i].merged && endpoint_eq(&t->rows[i].ep, ep))
			return (int)i;
	return -1;
}

/*
 * The row of the listener a segment to local end @ep reached: bound to
 * that address, else to the wildcard of its family, else (an IPv4 peer
 * of a dual-stack listener) to [::]. Listed rows first.
 */
static int row_match(const struct top *t, const struct endpoint *ep)
{
	int pass, best = -1;
	unsigned int i;

	for (pass = 0; pass < 3 && best < 0; pass++) {
		for (i = 0; i < t->nrows; i++) {
			const struct listener_row *r = &t->rows[i];

			if (r->merged || r->ep.port != ep->port)
				continue;
			if (pass == 0 ? !endpoint_eq(&r->ep, ep) :
			    pass == 1 ? r->ep.family != ep->family ||
					!endpoint_is_any(&r->ep) :
			    ep->family != AF_INET ||
			    r->ep.family != AF_INET6 || !endpoint_is_any(&r->ep))
				continue;
			if (best < 0 || (r->listed && !t->rows[best].listed))
				best = (int)i;
		}
	}
	return best;
}

static int on_listener(const struct sockdiag_sock *s, void *arg)
{
	struct top *t = arg;
	struct listener_row *r;
	struct endpoint ep;
	int i;

	endpoint_set(&ep, s->family, s->saddr, s->sport);
	i = row_exact(t, &ep);
	r = i >= 0 ? &t->rows[i] : row_add(t, &ep);
	if (!r)
		return 0;
	if (!r->listed) {
		r->listed = 1;
		r->nsocks = r->accq = r->accmax = 0;
		if (r->inode != s->inode) {
			/* Another socket on that address now. */
			r->inode = s->inode;
			r->uid = s->uid;
			r->owner = OWNER_UNKNOWN;
		}
	}
	r->nsocks++;
	r->accq += s->rqueue;
	r->accmax += s->wqueue;
	return 0;
}

static void hist_merge(struct hist **into, struct hist *from)
{
	unsigned int i;

	if (!from)
		return;
	if (!*into) {
		*into = from;
		return;
	}
	for (i = 0; i < HIST_BUCKETS; i++)
		(*into)->bucket[i] += from->bucket[i];
	(*into)->count += from->count;
	if (from->max > (*into)->max)
		(*into)->max = from->max;
	free(from);
}

/* Row @from's counts and listener ids go to row @to; @from is hidden. */
static void row_merge(struct top *t, unsigned int from, unsigned int to)
{
	struct listener_row *f = &t->rows[from], *r = &t->rows[to];
	struct lsock *l;
	size_t pos = 0;
	__u64 id;

	r->syns += f->syns;
	r->rtx += f->rtx;
	r->expired += f->expired;
	r->cookies += f->cookies;
	r->overflows += f->overflows;
	r->drops += f->drops;
	r->frame_syns += f->frame_syns;
	r->frame_rtx += f->frame_rtx;
	r->seed_synq += f->seed_synq;
	r->has_qlen |= f->has_qlen;
	hist_merge(&r->handshake, f->handshake);
	f->handshake = NULL;
	while ((l = idmap_next(&t->lsocks, &pos, &id))) {
		if (l->row != from)
			continue;
		l->row = to;
		if (!r->nlsocks++)
			r->lsock_id = id;
	}
	f->merged = 1;
}

/*
 * A row made for an event's local address because its listener was not
 * listed (an event lost, or the listener newer than the last listing)
 * joins the row of the listener a listing now shows there, so that a
 * listener never stays split over two rows.
 */
static void merge_guessed_rows(struct top *t)
{
	unsigned int i;
	int j;

	for (i = 0; i < t->nrows; i++) {
		struct listener_row *g = &t->rows[i];

		if (!g->guessed || g->merged || g->listed)
			continue;
		g->merged = 1;	/* so that the search skips it */
		j = row_match(t, &g->ep);
		g->merged = 0;
		if (j >= 0 && t->rows[j].listed)
			row_merge(t, i, (unsigned int)j);
	}
}

/* The listeners and their accept queues, as the kernel has them now. */
static int list_listeners(struct top *t, __u64 now)
{
	unsigned int i;
	int rc;

	for (i = 0; i < t->nrows; i++)
		t->rows[i].listed = 0;
	t->last_relist_ns = now;
	t->relisted_once = 1;
	rc = t->src.dump(SOCKDIAG_STATE(TCP_LISTEN), on_listener, t);
	merge_guessed_rows(t);
	return rc;
}

/* ---- listener sockets ---- */

/*
 * The row of listener @id, first named by an event whose local end is
 * @ep; NULL when no row can be had (cap).
 */
static struct listener_row *listener_row(struct top *t, __u64 id,
					 const struct endpoint *ep,
					 struct lsock **lp)
{
	struct listener_row *r;
	struct lsock *l;
	int added, i;

	*lp = NULL;
	l = id ? idmap_put(&t->lsocks, id, &added) : NULL;
	if (l && !added) {
		*lp = l;
		return &t->rows[l->row];
	}
	i = row_match(t, ep);
	if (i < 0 && (!t->relisted_once ||
		      clock_mono_ns() - t->last_relist_ns >= RELIST_NS)) {
		list_listeners(t, clock_mono_ns());
		i = row_match(t, ep);
	}
	r = i >= 0 ? &t->rows[i] : row_add(t, ep);
	if (!r) {
		if (l)
			idmap_del(&t->lsocks, id);
		return NULL;
	}
	if (i < 0)
		r->guessed = 1;
	if (l) {
		l->row = (unsigned int)(r - t->rows);
		if (!r->nlsocks++)
			r->lsock_id = id;
		*lp = l;
	}
	return r;
}

/* LISTEN -> CLOSE: its id may name another socket later. */
static void listener_closed(struct top *t, __u64 id)
{
	struct lsock *l = idmap_get(&t->lsocks, id);
	struct listener_row *r;

	if (!l)
		return;
	r = &t->rows[l->row];
	r->nlsocks--;
	if (r->lsock_id == id)
		r->lsock_id = 0;
	idmap_del(&t->lsocks, id);
}

/* CLOSE -> LISTEN: the listener's own bound address names its row. */
static void listener_opened(struct top *t, __u64 id, const struct endpoint *ep)
{
	struct listener_row *r;
	struct lsock *l;
	int added, i;

	listener_closed(t, id);
	i = row_exact(t, ep);
	r = i >= 0 ? &t->rows[i] : row_add(t, ep);
	if (!r)
		return;
	l = idmap_put(&t->lsocks, id, &added);
	if (!l)
		return;
	l->row = (unsigned int)(r - t->rows);
	if (!r->nlsocks++)
		r->lsock_id = id;
}

/*
 * The latest by event time, not by ring order: two CPUs' events may
 * reach the ring in the other order than they read the queue's length.
 */
static void set_qlen(struct listener_row *r, struct lsock *l,
		     const struct tcpstate_event *ev)
{
	if (l->has_qlen && ev->ts_ns < l->synq_ns)
		return;
	l->has_qlen = 1;
	l->synq = ev->qlen;
	l->synq_ns = ev->ts_ns;
	r->has_qlen = 1;
}

/* ---- timewait socks ---- */

static void tw_enter(struct top *t, const struct endpoint *local,
		     const struct endpoint *remote, __u64 since_ns)
{
	struct tw *w;
	int added;

	w = idmap_put(&t->tws, tuple_key(local, remote), &added);
	if (!w)
		return;
	w->local = *local;
	w->remote = *remote;
	if (added || since_ns > w->since_ns)
		w->since_ns = since_ns;
}

static int on_timewait(const struct sockdiag_sock *s, void *arg)
{
	struct top *t = arg;
	struct endpoint local, remote;
	__u64 left_ns = (__u64)s->expires_ms * NSEC_PER_MSEC;
	__u64 len_ns = TW_LEN_MS * NSEC_PER_MSEC;
	__u64 now = clock_mono_ns();

	if (s->state != TCP_TIME_WAIT)
		return 0;
	endpoint_set(&local, s->family, s->saddr, s->sport);
	endpoint_set(&remote, s->family, s->daddr, s->dport);
	if (left_ns > len_ns)
		left_ns = len_ns;
	tw_enter(t, &local, &remote, now - (len_ns - left_ns));
	return 0;
}

static int list_timewaits(struct top *t)
{
	idmap_clear(&t->tws);
	return t->src.dump(SOCKDIAG_STATE(TCP_TIME_WAIT), on_timewait, t);
}

/* ---- the seed ---- */

static int on_request(const struct sockdiag_sock *s, void *arg)
{
	struct top *t = arg;
	struct endpoint ep;
	int i;

	if (s->state != TCP_SYN_RECV)
		return 0;
	endpoint_set(&ep, s->family, s->saddr, s->sport);
	i = row_match(t, &ep);
	if (i >= 0)
		t->rows[i].seed_synq++;
	return 0;
}

static void read_sysctls(struct top *t)
{
	unsigned int lo, hi;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) == 2 && lo <= hi) {
			t->port_lo = lo;
			t->port_hi = hi;
		}
		fclose(f);
	}
	f = fopen("/proc/sys/net/ipv4/tcp_tw_reuse", "re");
	if (f) {
		if (fscanf(f, "%ld", &t->tw_reuse) != 1)
			t->tw_reuse = -1;
		fclose(f);
	}
	f = fopen("/proc/sys/net/ipv4/tcp_max_tw_buckets", "re");
	if (f) {
		if (fscanf(f, "%ld", &t->max_tw_buckets) != 1)
			t->max_tw_buckets = -1;
		fclose(f);
	}
}

struct top *top_new(const struct top_sources *src, char *err, size_t errlen)
{
	struct top *t = calloc(1, sizeof(*t));
	struct stat st;
	int rc;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	t->src = *src;
	if (!t->src.dump)
		t->src.dump = sockdiag_dump;
	if (!stat("/proc/self/ns/net", &st))
		t->netns = (__u32)st.st_ino;
	idmap_init(&t->lsocks, sizeof(struct lsock), TOP_MAX_LSOCKS);
	idmap_init(&t->reqs, sizeof(struct req), TOP_MAX_REQS);
	idmap_init(&t->tws, sizeof(struct tw), TOP_MAX_TWS);
	t->tw_reuse = t->max_tw_buckets = -1;
	t->first_ns = clock_mono_ns();
	t->mono_to_real_ns = tcpstate_mono_to_real_ns();
	read_sysctls(t);
	/* The first frame's rates start here. */
	rc = t->src.read_counters(&t->prev, t->src.arg);
	if (rc) {
		snprintf(err, errlen,
			 "TCPSTATE_IOC_GET_COUNTERS: %s%s", strerror(-rc),
			 rc == -ENOTTY ?
			 " (this tcpstate.ko predates the counters: load the module this tcpstate-watch came with)" :
			 "");
		top_free(t);
		errno = -rc;
		return NULL;
	}
	t->prev_ns = t->first_ns;
	rc = list_listeners(t, t->first_ns);
	if (!rc)
		rc = t->src.dump(SOCKDIAG_STATE(TCP_SYN_RECV), on_request, t);
	if (!rc)
		rc = list_timewaits(t);
	if (rc) {
		snprintf(err, errlen,
			 "sock_diag (NETLINK_SOCK_DIAG) dump of TCP sockets: %s%s",
			 strerror(-rc),
			 rc == -ENOENT || rc == -EPROTONOSUPPORT ?
			 " (is the tcp_diag module available?)" : "");
		top_free(t);
		errno = -rc;
		return NULL;
	}
	return t;
}

void top_free(struct top *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < t->nrows; i++)
		free(t->rows[i].handshake);
	free(t->rows);
	idmap_free(&t->lsocks);
	idmap_free(&t->reqs);
	idmap_free(&t->tws);
	free(t);
}

/* ---- events ---- */

static void request_ended(struct top *t, const struct tcpstate_event *ev,
			  const struct endpoint *local)
{
	struct req *q = idmap_get(&t->reqs, ev->sock_id);
	struct listener_row *r = NULL;
	struct lsock *l = NULL;
	int i;

	if (q) {
		l = idmap_get(&t->lsocks, q->listener);
		if (l)
			r = &t->rows[l->row];
	}
	if (!r && ev->reason != TCPSTATE_SRE_COMPLETED &&
	    ev->reason != TCPSTATE_SRE_MIGRATED) {
		/* Listed at start: @peer_id names its listener. */
		r = listener_row(t, ev->peer_id, local, &l);
		if (r && !q && r->seed_synq)
			r->seed_synq--;
	}
	if (!r) {
		/* Completed or migrated, listed at start (@peer_id is the
		 * child or the new request sock), or its listener has
		 * closed since.
		 */
		i = row_match(t, local);
		if (i < 0)
			goto out;
		r = &t->rows[i];
		if (r->nlsocks == 1)
			l = idmap_get(&t->lsocks, r->lsock_id);
		if (!q && r->seed_synq)
			r->seed_synq--;
	}
	if (ev->reason == TCPSTATE_SRE_EXPIRED)
		r->expired++;
	if (ev->reason == TCPSTATE_SRE_COMPLETED && q) {
		if (!r->handshake)
			r->handshake = calloc(1, sizeof(*r->handshake));
		if (r->handshake)
			hist_add(r->handshake, ev->ts_ns - q->syn_ns);
	}
	if (l)
		set_qlen(r, l, ev);
out:
	if (q)
		idmap_del(&t->reqs, ev->sock_id);
}

void top_feed(struct top *t, const struct tcpstate_event *ev)
{
	struct endpoint local, remote;
	struct listener_row *r;
	struct lsock *l;
	struct req *q;
	int added;

	if (t->netns && ev->netns != t->netns)
		return;
	endpoint_set(&local, ev->family, ev->saddr, ev->sport);
	switch (ev->type) {
	case TCPSTATE_EV_STATE:
		if (ev->newstate == TCP_ESTABLISHED &&
		    (ev->oldstate == TCP_SYN_SENT ||
		     ev->oldstate == TCP_SYN_RECV))
			t->handshakes++;
		if (ev->newstate == TCP_LISTEN)
			listener_opened(t, ev->sock_id, &local);
		else if (ev->oldstate == TCP_LISTEN)
			listener_closed(t, ev->sock_id);
		break;
	case TCPSTATE_EV_SYN_RECV:
		r = listener_row(t, ev->peer_id, &local, &l);
		if (!r)
			break;
		r->syns++;
		if (l)
			set_qlen(r, l, ev);
		q = idmap_put(&t->reqs, ev->sock_id, &added);
		if (q) {
			q->syn_ns = ev->ts_ns;
			q->listener = ev->peer_id;
		}
		break;
	case TCPSTATE_EV_SYN_RECV_END:
		request_ended(t, ev, &local);
		break;
	case TCPSTATE_EV_SYNACK_RETRANS:
		r = listener_row(t, ev->peer_id, &local, &l);
		if (r)
			r->rtx++;
		break;
	case TCPSTATE_EV_ACK_DROP:
	case TCPSTATE_EV_SYN_DROP:
		r = listener_row(t, ev->peer_id, &local, &l);
		if (!r)
			break;
		r->drops++;
		if (ev->reason == TCPSTATE_DROP_ACCEPT_QUEUE_FULL)
			r->overflows++;
		if (ev->type == TCPSTATE_EV_SYN_DROP)
			r->syns++;
		break;
	case TCPSTATE_EV_SYNCOOKIE_SENT:
		r = listener_row(t, ev->peer_id, &local, &l);
		if (r) {
			r->cookies++;
			r->syns++;
		}
		break;
	case TCPSTATE_EV_TIMEWAIT:
	case TCPSTATE_EV_TIMEWAIT_SUBSTATE:
		if (ev->newstate != TCP_TIME_WAIT)
			break;
		endpoint_set(&remote, ev->family, ev->daddr, ev->dport);
		tw_enter(t, &local, &remote, ev->ts_ns);
		break;
	case TCPSTATE_EV_TIMEWAIT_END:
		endpoint_set(&remote, ev->family, ev->daddr, ev->dport);
		idmap_del(&t->tws, tuple_key(&local, &remote));
		break;
	default:
		break;
	}
}

void top_note_loss(struct top *t)
{
	t->tw_relist = 1;
}

/* ---- a refresh ---- */

static int want_owner(unsigned long inode, void *arg)
{
	struct top *t = arg;
	unsigned int i;

	for (i = 0; i < t->nrows; i++)
		if (t->rows[i].inode == inode &&
		    t->rows[i].owner == OWNER_UNKNOWN)
			return 1;
	return 0;
}

static void found_owner(unsigned long inode, pid_t pid, void *arg)
{
	struct top *t = arg;
	unsigned int i;

	for (i = 0; i < t->nrows; i++) {
		struct listener_row *r = &t->rows[i];
		char *c;

		if (r->inode != inode || r->owner != OWNER_UNKNOWN)
			continue;
		r->owner = OWNER_FOUND;
		r->pid = pid;
		owner_read_comm(pid, r->comm);
		/* One field, whatever the task calls itself. */
		for (c = r->comm; *c; c++)
			if ((unsigned char)*c <= ' ' || *c == 0x7f)
				*c = '?';
	}
}

/* Listeners whose process is not known yet: one pass over /proc. */
static void find_owners(struct top *t, __u64 now)
{
	unsigned int i;
	int pending = 0;

	for (i = 0; i < t->nrows; i++)
		pending |= t->rows[i].listed && t->rows[i].inode &&
			   t->rows[i].owner == OWNER_UNKNOWN;
	if (!pending || (t->owner_scanned_once &&
			 now - t->last_owner_scan_ns < OWNER_SCAN_NS))
		return;
	t->owner_scanned_once = 1;
	t->last_owner_scan_ns = now;
	owner_scan_socket_fds(want_owner, found_owner, t);
	for (i = 0; i < t->nrows; i++)
		if (t->rows[i].listed && t->rows[i].owner == OWNER_UNKNOWN)
			t->rows[i].owner = OWNER_NOT_FOUND;
}

static double rate(unsigned long long now, unsigned long long before,
		   __u64 elapsed_ns)
{
	if (!elapsed_ns || now < before)
		return 0;
	return (double)(now - before) * 1e9 / (double)elapsed_ns;
}

static __u64 counter(const struct tcpstate_counters *c, unsigned int i)
{
	return i < c->nr ? c->value[i] : 0;
}

static void sum_synq(struct top *t)
{
	struct lsock *l;
	unsigned int i;
	size_t pos = 0;
	__u64 id;

	for (i = 0; i < t->nrows; i++)
		t->rows[i].synq_now = t->rows[i].has_qlen ? 0 :
				      t->rows[i].seed_synq;
	while ((l = idmap_next(&t->lsocks, &pos, &id)))
		if (l->has_qlen)
			t->rows[l->row].synq_now += l->synq;
}

int top_refresh(struct top *t, unsigned long long now_ns)
{
	__u64 elapsed;
	unsigned int i;
	int rc;

	rc = t->src.read_counters(&t->now, t->src.arg);
	if (rc)
		return rc;
	/* First, so that rows it merges have their rates. A failed listing
	 * (no memory) shows listeners as gone until the next one.
	 */
	list_listeners(t, now_ns);
	elapsed = now_ns - t->prev_ns;
	t->elapsed_ns = elapsed;
	t->syn_rate = rate(counter(&t->now, TCPSTATE_C_SYN_QUEUE_ADDED),
			   counter(&t->prev, TCPSTATE_C_SYN_QUEUE_ADDED),
			   elapsed);
	t->overflow_rate = rate(counter(&t->now, TCPSTATE_C_ACCEPT_OVERFLOWS),
				counter(&t->prev, TCPSTATE_C_ACCEPT_OVERFLOWS),
				elapsed);
	t->handshake_rate = rate(t->handshakes, t->frame_handshakes, elapsed);
	t->frame_handshakes = t->handshakes;
	for (i = 0; i < t->nrows; i++) {
		struct listener_row *r = &t->rows[i];

		r->syn_rate = rate(r->syns, r->frame_syns, elapsed);
		r->rtx_rate = rate(r->rtx, r->frame_rtx, elapsed);
		r->frame_syns = r->syns;
		r->frame_rtx = r->rtx;
	}
	t->prev = t->now;
	t->prev_ns = now_ns;
	t->now_ns = now_ns;
	t->frame++;
	read_sysctls(t);
	if (t->tw_relist && !list_timewaits(t))
		t->tw_relist = 0;
	find_owners(t, now_ns);
	sum_synq(t);
	return 0;
}

/* ---- the frame ---- */

struct group {
	struct endpoint ep;		/* remote end, or local port alone */
	unsigned long long count;
	__u64 oldest_ns, newest_ns;	/* since_ns of the first and last */
};

static int by_count(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->ep.port != y->ep.port)
		return x->ep.port < y->ep.port ? -1 : 1;
	return memcmp(x->ep.addr, y->ep.addr, sizeof(x->ep.addr));
}

static int in_port_range(const struct top *t, unsigned int port)
{
	return port >= t->port_lo && port <= t->port_hi;
}

/*
 * The timewait socks split as top.h says and grouped: those whose local
 * port lies in ip_local_port_range (connections this host opened) by
 * remote end (@by_remote), the others by local port; sorted by count.
 * NULL (and *@n 0) when there are none or no memory.
 */
static struct group *group_tws(const struct top *t, int by_remote,
			       size_t *n)
{
	struct idmap idx;
	struct group *g;
	struct tw *w;
	size_t pos = 0, nr = 0;
	__u64 key;

	*n = 0;
	if (!t->tws.used)
		return NULL;
	g = calloc(t->tws.used, sizeof(*g));
	if (!g)
		return NULL;
	idmap_init(&idx, sizeof(size_t), t->tws.used);
	while ((w = idmap_next(&t->tws, &pos, &key))) {
		struct endpoint ep;
		size_t *slot;
		struct group *x;
		int added;

		if (in_port_range(t, w->local.port) != by_remote)
			continue;
		if (by_remote) {
			ep = w->remote;
		} else {
			memset(&ep, 0, sizeof(ep));
			ep.port = w->local.port;
		}
		slot = idmap_put(&idx, endpoint_hash(FNV_BASIS, &ep) | 1,
				 &added);
		if (!slot)
			break;
		if (added) {
			*slot = nr++;
			g[*slot].ep = ep;
			g[*slot].oldest_ns = g[*slot].newest_ns = w->since_ns;
		}
		x = &g[*slot];
		x->count++;
		if (w->since_ns < x->oldest_ns)
			x->oldest_ns = w->since_ns;
		if (w->since_ns > x->newest_ns)
			x->newest_ns = w->since_ns;
	}
	idmap_free(&idx);
	qsort(g, nr, sizeof(*g), by_count);
	*n = nr;
	return g;
}

static int by_activity(const void *a, const void *b)
{
	const struct listener_row *x = *(const struct listener_row *const *)a;
	const struct listener_row *y = *(const struct listener_row *const *)b;

	if (x->syn_rate != y->syn_rate)
		return x->syn_rate < y->syn_rate ? 1 : -1;
	if (x->synq_now != y->synq_now)
		return x->synq_now < y->synq_now ? 1 : -1;
	if (x->ep.port != y->ep.port)
		return x->ep.port < y->ep.port ? -1 : 1;
	return x->ep.family < y->ep.family ? -1 : x->ep.family > y->ep.family;
}

/* Listed listeners, and gone ones that saw something while watched. */
static int row_shown(const struct listener_row *r)
{
	return !r->merged && (r->listed || r->syns || r->drops || r->expired);
}

struct frame_out {
	FILE *out;
	unsigned int cols;
	unsigned int max_lines, lines;	/* max_lines 0: no limit */
	int err;
};

static void emit(struct frame_out *fo, const char *line)
{
	int n = (int)strlen(line);

	if (fo->max_lines && fo->lines >= fo->max_lines)
		return;
	fo->lines++;
	if (fo->cols && n > (int)fo->cols)
		n = (int)fo->cols;
	if (fprintf(fo->out, "%.*s\n", n, line) < 0)
		fo->err = errno ? errno : EIO;
}

/*
 * A duration in at most 6 characters (truncated to three significant
 * digits), so that every column holds any: 812ns, 40.1us, 812us, 1.20ms,
 * 241ms, 3.09s, 59.8s, 241s, then whole minutes (16m) from 1000 s and
 * hours (25h) from 100 minutes.
 */
static void duration_text(char *buf, size_t len, __u64 ns)
{
	static const struct {
		__u64 unit;
		const char *name;
	} units[] = {
		{ NSEC_PER_USEC, "us" }, { NSEC_PER_MSEC, "ms" },
		{ NSEC_PER_SEC, "s" },
	};
	unsigned long long v, frac;
	unsigned int i;

	if (ns < NSEC_PER_USEC) {
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ns >= 1000 * units[i].unit)
			continue;
		v = ns / units[i].unit;
		frac = ns % units[i].unit;
		if (v >= 100)
			snprintf(buf, len, "%llu%s", v, units[i].name);
		else if (v >= 10)
			snprintf(buf, len, "%llu.%llu%s", v,
				 frac * 10 / units[i].unit, units[i].name);
		else
			snprintf(buf, len, "%llu.%02llu%s", v,
				 frac * 100 / units[i].unit, units[i].name);
		return;
	}
	if (ns < 100 * 60 * NSEC_PER_SEC)
		snprintf(buf, len, "%llum",
			 (unsigned long long)(ns / (60 * NSEC_PER_SEC)));
	else
		snprintf(buf, len, "%lluh",
			 (unsigned long long)(ns / (3600 * NSEC_PER_SEC)));
}

static void percentile_text(char *buf, size_t len, const struct hist *h,
			    unsigned int pct)
{
	if (!h || !h->count) {
		snprintf(buf, len, "-");
		return;
	}
	duration_text(buf, len, hist_percentile(h, pct));
}

/* SO_REUSEPORT listeners sharing the row say how many they are. */
static void owner_text(char *buf, size_t len, const struct listener_row *r)
{
	int n;

	if (r->owner == OWNER_FOUND)
		n = snprintf(buf, len, "%d/%s", (int)r->pid, r->comm);
	else if (r->listed)
		n = snprintf(buf, len, "uid=%u", r->uid);
	else
		n = snprintf(buf, len, "- (closed)");
	if (r->listed && r->nsocks > 1 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " (%u sockets)", r->nsocks);
}

/* Lines of a frame besides the tables' rows: four namespace lines, and a
 * blank line and a header per table (in a compact frame, no blank lines).
 */
#define FRAME_FIXED_LINES	(4 + 2 * 4)
#define FRAME_FIXED_COMPACT	(4 + 4)

/*
 * How many rows each table gets of @avail lines; a listener row costs
 * two lines (both listener tables show it). First one row for each table
 * that has any (a cut table's last row says how many are cut, so none is
 * hidden without a word), then one at a time round the tables that want
 * more, so that a long table never hides a short one.
 */
static void share_rows(const size_t *want, size_t *got, long avail)
{
	static const long cost[3] = { 2, 1, 1 };
	int i, gave = 1;

	got[0] = got[1] = got[2] = 0;
	while (gave) {
		gave = 0;
		for (i = 0; i < 3; i++) {
			if (got[i] < want[i] && avail >= cost[i]) {
				got[i]++;
				avail -= cost[i];
				gave = 1;
			}
		}
	}
}

/* The last row room allows says how many are cut. */
static int cut_note(struct frame_out *fo, size_t shown, size_t total,
		    size_t i)
{
	char line[64];

	if (shown >= total || i + 1 < shown)
		return 0;
	snprintf(line, sizeof(line), "... %zu more", total - shown + 1);
	emit(fo, line);
	return 1;
}

/* What one frame shows, gathered and sorted. */
struct frame {
	struct frame_out fo;
	const struct top *t;
	struct listener_row **rows;	/* shown, sorted */
	struct group *remote, *local;
	size_t nrows, nremote, nlocal;
	size_t got[3];			/* rows room allows: listeners,
					 * remote, local */
	unsigned long long range;	/* ip_local_port_range's size */
	int compact;			/* no blank lines between tables */
};

static void print_namespace(struct frame *f)
{
	const struct top *t = f->t;
	char line[LINE_MAX_TOP];
	struct tm tm;
	time_t secs;

	secs = (time_t)(((__s64)t->now_ns + t->mono_to_real_ns) / 1000000000);
	localtime_r(&secs, &tm);
	snprintf(line, sizeof(line),
		 "tcpstate top %02d:%02d:%02d netns %u interval %.1fs frame %llu",
		 tm.tm_hour, tm.tm_min, tm.tm_sec, t->netns,
		 (double)t->elapsed_ns / 1e9, t->frame);
	emit(&f->fo, line);
	snprintf(line, sizeof(line),
		 "SYN_RECV %llu TIME_WAIT %llu | ring drops %llu%s",
		 (unsigned long long)counter(&t->now, TCPSTATE_C_SYN_RECV),
		 (unsigned long long)counter(&t->now, TCPSTATE_C_TIME_WAIT),
		 (unsigned long long)counter(&t->now, TCPSTATE_C_RING_DROPS),
		 counter(&t->now, TCPSTATE_C_PROBES_MISSED_SINCE_SEED) ?
		 " | GAUGES INEXACT (--reseed)" : "");
	emit(&f->fo, line);
	snprintf(line, sizeof(line),
		 "per second: %.1f syn %.1f handshakes %.1f overflows",
		 t->syn_rate, t->handshake_rate, t->overflow_rate);
	emit(&f->fo, line);
	snprintf(line, sizeof(line),
		 "ports %u-%u (%llu) tw_reuse %ld max_tw_buckets %ld",
		 t->port_lo, t->port_hi, f->range, t->tw_reuse,
		 t->max_tw_buckets);
	emit(&f->fo, line);
}

/* LISTENER SYNQ/MAX ... row for @r. */
static void syn_queue_row(char *line, size_t len, const struct listener_row *r)
{
	char ep[ENDPOINT_TEXT_MAX], q[32], p50[24], p99[24];

	endpoint_text(ep, sizeof(ep), &r->ep);
	if (r->listed)
		snprintf(q, sizeof(q), "%u/%u", r->synq_now, r->accmax);
	else
		snprintf(q, sizeof(q), "%u/-", r->synq_now);
	percentile_text(p50, sizeof(p50), r->handshake, 50);
	percentile_text(p99, sizeof(p99), r->handshake, 99);
	snprintf(line, len, "%-21s %9s %7.1f %7.1f %7llu %7llu %7s %7s", ep, q,
		 r->syn_rate, r->rtx_rate, r->expired, r->cookies, p50, p99);
}

/* LISTENER ACCQ/MAX ... row for @r. */
static void accept_queue_row(char *line, size_t len,
			     const struct listener_row *r)
{
	char ep[ENDPOINT_TEXT_MAX], q[32], owner[48];

	endpoint_text(ep, sizeof(ep), &r->ep);
	if (r->listed)
		snprintf(q, sizeof(q), "%u/%u", r->accq, r->accmax);
	else
		snprintf(q, sizeof(q), "-");
	owner_text(owner, sizeof(owner), r);
	snprintf(line, len, "%-21s %9s %9llu %7llu %s", ep, q, r->overflows,
		 r->drops, owner);
}

static void print_listeners(struct frame *f, const char *header,
			    void (*row)(char *line, size_t len,
					const struct listener_row *r))
{
	char line[LINE_MAX_TOP];
	size_t i;

	if (!f->compact)
		emit(&f->fo, "");
	emit(&f->fo, header);
	for (i = 0; i < f->nrows && i < f->got[0]; i++) {
		if (cut_note(&f->fo, f->got[0], f->nrows, i))
			break;
		row(line, sizeof(line), f->rows[i]);
		emit(&f->fo, line);
	}
}

/* A TIME_WAIT table: @remote's rows by destination, else by local port. */
static void print_timewaits(struct frame *f, int remote)
{
	const struct group *g = remote ? f->remote : f->local;
	size_t n = remote ? f->nremote : f->nlocal, room = f->got[remote ? 1 : 2];
	char line[LINE_MAX_TOP], key[ENDPOINT_TEXT_MAX], old[24], new[24];
	__u64 now = f->t->now_ns;
	size_t i;

	if (!f->compact)
		emit(&f->fo, "");
	emit(&f->fo, remote ?
	     "TIME_WAIT REMOTE         COUNT  OLDEST  NEWEST  USE%" :
	     "TIME_WAIT LOCAL PORT     COUNT  OLDEST  NEWEST");
	for (i = 0; i < n && i < room; i++) {
		if (cut_note(&f->fo, room, n, i))
			break;
		if (remote)
			endpoint_text(key, sizeof(key), &g[i].ep);
		else
			snprintf(key, sizeof(key), "%u", g[i].ep.port);
		duration_text(old, sizeof(old), now - g[i].oldest_ns);
		duration_text(new, sizeof(new), now - g[i].newest_ns);
		if (remote)
			snprintf(line, sizeof(line), "%-22s %7llu %7s %7s %5.1f",
				 key, g[i].count, old, new,
				 (double)g[i].count * 100.0 / (double)f->range);
		else
			snprintf(line, sizeof(line), "%-22s %7llu %7s %7s",
				 key, g[i].count, old, new);
		emit(&f->fo, line);
	}
}

int top_print(struct top *t, FILE *out, unsigned int cols,
	      unsigned int max_rows)
{
	struct frame f = { .fo = { .out = out, .cols = cols }, .t = t };
	size_t want[3], i;

	f.rows = calloc(t->nrows ? t->nrows : 1, sizeof(*f.rows));
	if (!f.rows)
		return -ENOMEM;
	for (i = 0; i < t->nrows; i++)
		if (row_shown(&t->rows[i]))
			f.rows[f.nrows++] = &t->rows[i];
	qsort(f.rows, f.nrows, sizeof(*f.rows), by_activity);
	f.remote = group_tws(t, 1, &f.nremote);
	f.local = group_tws(t, 0, &f.nlocal);
	f.range = t->port_hi ? t->port_hi - t->port_lo + 1ULL : 0;
	want[0] = f.nrows;
	want[1] = f.nremote;
	want[2] = f.nlocal;
	if (max_rows) {
		long need = (want[0] ? 2 : 0) + !!want[1] + !!want[2];

		/* A screen too short for a blank line before each table
		 * and a row of each: no blank lines.
		 */
		f.compact = (long)max_rows < FRAME_FIXED_LINES + need;
		share_rows(want, f.got, (long)max_rows -
			   (f.compact ? FRAME_FIXED_COMPACT : FRAME_FIXED_LINES));
		f.fo.max_lines = max_rows;
	} else {
		memcpy(f.got, want, sizeof(want));
	}

	print_namespace(&f);
	print_listeners(&f, "LISTENER               SYNQ/MAX   SYN/s   RTX/s EXPIRED COOKIES  HS_P50  HS_P99",
			syn_queue_row);
	print_listeners(&f, "LISTENER               ACCQ/MAX OVERFLOWS   DROPS OWNER",
			accept_queue_row);
	print_timewaits(&f, 1);
	print_timewaits(&f, 0);
	free(f.rows);
	free(f.remote);
	free(f.local);
	return f.fo.err ? -f.fo.err : 0;
}
