// SPDX-License-Identifier: GPL-2.0
/*
 * The owner table: who owns each socket id, learnt from the events and,
 * for sockets older than the reader, from /proc; cgroup ids as paths. See
 * owner.h.
 *
 * Memory is fixed at owner_new(): an array of entries, a hash of their
 * ids, and a least-recently-used list that gives up the oldest entry when
 * a new id needs room. Ended ids (closed, expired) go to the cold end of
 * that list: they still answer for records emitted after their end, and a
 * new life of the same id (the module reuses a freed socket's id) starts
 * from nothing.
 */
#define _GNU_SOURCE	/* nftw()'s FTW_ACTIONRETVAL */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "names.h"
#include "owner.h"

/* At most one /proc scan a second: each reads every process's fds. */
#define SCAN_INTERVAL_NS	(1000ULL * 1000 * 1000)
/* At most one walk of the cgroup tree a second, on a missing id. */
#define CGROUP_WALK_INTERVAL_NS	(1000ULL * 1000 * 1000)
/* Sockets waiting for the next /proc scan; more are left unknown. */
#define PENDING_MAX		256
/* How far a request sock or child looks up its listener for a task. */
#define INHERIT_HOPS		3
/* owner_get() results that may be held at once. */
#define RESULT_SLOTS		4

enum lookup_state {
	LOOKUP_NONE,		/* not needed, or not yet */
	LOOKUP_PENDING,		/* queued for the next /proc scan */
	LOOKUP_DONE,		/* looked up once: never again */
};

struct owner_entry {
	__u64 id;
	__u64 parent;		/* whose task it takes while it has none:
				 * a request sock's listener, a child's
				 * request sock, a timewait sock's socket */
	struct owner o;		/* what this id learnt itself */
	unsigned char lookup;	/* enum lookup_state */
	unsigned char ended;	/* its life ended: first to evict */
	unsigned int hnext;	/* hash chain, entry index; 0 ends it */
	unsigned int prev, next;	/* LRU list, entry index; 0: none */
};

/* A socket to look for in /proc/net/tcp{,6}, tuple as v4-mapped v6. */
struct pending {
	__u64 id;
	__u8 laddr[16], raddr[16];
	__u16 lport, rport;
	int listener;		/* match a listener on laddr:lport (or
				 * the wildcard address) */
	unsigned long inode;	/* found in /proc/net/tcp{,6}; 0: not */
};

struct cgroup_path {
	__u64 id;		/* 0: free slot */
	char *path;
};

struct owner_table {
	struct owner_entry *e;	/* e[0] unused: index 0 is "none" */
	unsigned int nr, used, free_head;
	unsigned int *hash;	/* bucket -> entry index */
	unsigned int hmask;
	unsigned int lru_head, lru_tail;	/* most, least recent */

	struct owner result[RESULT_SLOTS];
	unsigned int next_result;

	__u32 own_netns;	/* the reader's: only its sockets are in
				 * our /proc/net */
	struct pending pending[PENDING_MAX];
	unsigned int nr_pending;
	__u64 last_scan_ns;
	int scanned;

	struct cgroup_path *cg;	/* open addressing, power of two */
	unsigned int cg_size, cg_used;
	__u64 last_walk_ns;
	int walked;
	char cg_mount[PATH_MAX];	/* "" until found; "-": none */
};

/* ---- the table ---- */

static unsigned int hash_id(const struct owner_table *t, __u64 id)
{
	/* Ids are already keyed hashes; mix in case of a pattern. */
	id *= 0x9e3779b97f4a7c15ULL;
	return (unsigned int)(id >> 32) & t->hmask;
}

struct owner_table *owner_new(unsigned long max_socks)
{
	struct owner_table *t = calloc(1, sizeof(*t));
	unsigned int buckets = 16, i;
	struct stat st;

	if (!t)
		return NULL;
	if (max_socks < 16)
		max_socks = 16;
	if (max_socks > (1UL << 24))
		max_socks = 1UL << 24;
	while (buckets < 2 * max_socks)
		buckets <<= 1;
	t->nr = (unsigned int)max_socks;
	t->e = calloc(t->nr + 1, sizeof(*t->e));
	t->hash = calloc(buckets, sizeof(*t->hash));
	if (!t->e || !t->hash) {
		owner_free(t);
		return NULL;
	}
	t->hmask = buckets - 1;
	/* The free list runs through @next. */
	for (i = 1; i <= t->nr; i++)
		t->e[i].next = i < t->nr ? i + 1 : 0;
	t->free_head = 1;
	if (!stat("/proc/self/ns/net", &st))
		t->own_netns = (__u32)st.st_ino;
	return t;
}

static void cgroup_map_clear(struct owner_table *t)
{
	unsigned int i;

	for (i = 0; i < t->cg_size; i++)
		free(t->cg[i].path);
	free(t->cg);
	t->cg = NULL;
	t->cg_size = t->cg_used = 0;
}

void owner_free(struct owner_table *t)
{
	if (!t)
		return;
	cgroup_map_clear(t);
	free(t->e);
	free(t->hash);
	free(t);
}

static unsigned int find(const struct owner_table *t, __u64 id)
{
	unsigned int i;

	for (i = t->hash[hash_id(t, id)]; i; i = t->e[i].hnext)
		if (t->e[i].id == id)
			return i;
	return 0;
}

static void lru_unlink(struct owner_table *t, unsigned int i)
{
	struct owner_entry *e = &t->e[i];

	if (e->prev)
		t->e[e->prev].next = e->next;
	else
		t->lru_head = e->next;
	if (e->next)
		t->e[e->next].prev = e->prev;
	else
		t->lru_tail = e->prev;
	e->prev = e->next = 0;
}

static void lru_push_head(struct owner_table *t, unsigned int i)
{
	struct owner_entry *e = &t->e[i];

	e->prev = 0;
	e->next = t->lru_head;
	if (t->lru_head)
		t->e[t->lru_head].prev = i;
	t->lru_head = i;
	if (!t->lru_tail)
		t->lru_tail = i;
}

static void lru_push_tail(struct owner_table *t, unsigned int i)
{
	struct owner_entry *e = &t->e[i];

	e->next = 0;
	e->prev = t->lru_tail;
	if (t->lru_tail)
		t->e[t->lru_tail].next = i;
	t->lru_tail = i;
	if (!t->lru_head)
		t->lru_head = i;
}

static void touch(struct owner_table *t, unsigned int i)
{
	if (t->lru_head == i || t->e[i].ended)
		return;
	lru_unlink(t, i);
	lru_push_head(t, i);
}

static void hash_remove(struct owner_table *t, unsigned int i)
{
	unsigned int *link = &t->hash[hash_id(t, t->e[i].id)];

	while (*link && *link != i)
		link = &t->e[*link].hnext;
	if (*link)
		*link = t->e[i].hnext;
	t->e[i].hnext = 0;
}

/* A new entry for @id, evicting the least recently used if full. */
static unsigned int add(struct owner_table *t, __u64 id)
{
	unsigned int i = t->free_head, b;

	if (i) {
		t->free_head = t->e[i].next;
		t->used++;
	} else {
		i = t->lru_tail;
		lru_unlink(t, i);
		hash_remove(t, i);
	}
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].id = id;
	b = hash_id(t, id);
	t->e[i].hnext = t->hash[b];
	t->hash[b] = i;
	lru_push_head(t, i);
	return i;
}

static unsigned int find_or_add(struct owner_table *t, __u64 id)
{
	unsigned int i = find(t, id);

	if (i) {
		touch(t, i);
		return i;
	}
	return add(t, id);
}

/* ---- learning from events ---- */

static int is_rst(const struct tcpstate_event *ev)
{
	return ev->type == TCPSTATE_EV_RST_SENT ||
	       ev->type == TCPSTATE_EV_RST_RECEIVED;
}

static void learn_owner(struct owner *o, const struct tcpstate_event *ev)
{
	o->cgroup_id = ev->cgroup_id;
	o->uid = ev->uid;
	o->valid |= TCPSTATE_VALID_OWNER;
}

static void learn_task(struct owner *o, const struct tcpstate_event *ev)
{
	o->tgid = ev->tgid;
	o->pid = ev->pid;
	memcpy(o->comm, ev->comm, sizeof(o->comm));
	o->comm[sizeof(o->comm) - 1] = '\0';
	o->valid |= TCPSTATE_VALID_TASK;
	o->valid &= ~OWNER_FROM_PROC;
}

/* IPv4 as v4-mapped IPv6, the one form /proc rows are compared in. */
static void to_v6(__u8 out[16], unsigned int family, const __u8 *addr)
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, addr, 4);
	} else {
		memcpy(out, addr, 16);
	}
}

/*
 * Queue entry @i for the next /proc scan: a full socket by its tuple, or
 * (@listener) the listener on the event's local address and port. Only
 * sockets of the reader's own netns are in its /proc/net: others stay
 * unknown.
 */
static void want_lookup(struct owner_table *t, unsigned int i,
			const struct tcpstate_event *ev, int listener)
{
	struct owner_entry *e = &t->e[i];
	struct pending *p;

	if (e->lookup != LOOKUP_NONE || (e->o.valid & TCPSTATE_VALID_TASK))
		return;
	if (!t->own_netns || ev->netns != t->own_netns) {
		e->lookup = LOOKUP_DONE;
		return;
	}
	/* Full until the next scan: asked again at its next event. */
	if (t->nr_pending == PENDING_MAX)
		return;
	p = &t->pending[t->nr_pending++];
	memset(p, 0, sizeof(*p));
	p->id = e->id;
	to_v6(p->laddr, ev->family, ev->saddr);
	to_v6(p->raddr, ev->family, ev->daddr);
	p->lport = ev->sport;
	p->rport = ev->dport;
	p->listener = listener;
	e->lookup = LOOKUP_PENDING;
}

/* The listener @ev names in @peer_id, made known if it was not. */
static void learn_listener(struct owner_table *t,
			   const struct tcpstate_event *ev)
{
	unsigned int l;

	if (!ev->peer_id)
		return;
	l = find_or_add(t, ev->peer_id);
	/* A request sock's owner is its listener's (tcpstate.h). */
	if ((ev->valid & TCPSTATE_VALID_OWNER) &&
	    !(t->e[l].o.valid & TCPSTATE_VALID_OWNER))
		learn_owner(&t->e[l].o, ev);
	want_lookup(t, l, ev, 1);
}

static void set_parent(struct owner_table *t, __u64 child, __u64 parent)
{
	unsigned int c;

	if (!child || !parent || child == parent)
		return;
	c = find_or_add(t, child);
	if (!t->e[c].parent)
		t->e[c].parent = parent;
}

static int ends_life(const struct tcpstate_event *ev)
{
	switch (ev->type) {
	case TCPSTATE_EV_STATE:
		return ev->newstate == TCPS_CLOSE;
	case TCPSTATE_EV_SYN_RECV_END:
	case TCPSTATE_EV_TIMEWAIT_END:
		return 1;
	default:
		return 0;
	}
}

void owner_feed(struct owner_table *t, const struct tcpstate_event *ev)
{
	struct owner_entry *e;
	unsigned int i;

	switch (ev->type) {
	case TCPSTATE_EV_SYN_RECV:
	case TCPSTATE_EV_SYNACK_RETRANS:
	case TCPSTATE_EV_ACK_DROP:
	case TCPSTATE_EV_SYN_DROP:
	case TCPSTATE_EV_SYNCOOKIE_SENT:
	case TCPSTATE_EV_ACCEPT_QUEUED:
		learn_listener(t, ev);
		break;
	default:
		break;
	}
	if (!ev->sock_id)
		return;

	i = find(t, ev->sock_id);
	if (i && t->e[i].ended && !is_rst(ev)) {
		/* A new life of a reused id (or a closed socket connecting
		 * again, whose event names its task anyway).
		 */
		lru_unlink(t, i);
		memset(&t->e[i].o, 0, sizeof(t->e[i].o));
		t->e[i].parent = 0;
		t->e[i].lookup = LOOKUP_NONE;
		t->e[i].ended = 0;
		lru_push_head(t, i);
	} else if (i) {
		touch(t, i);
	} else {
		i = add(t, ev->sock_id);
	}
	e = &t->e[i];
	if (ev->valid & TCPSTATE_VALID_OWNER)
		learn_owner(&e->o, ev);
	if (ev->valid & TCPSTATE_VALID_TASK)
		learn_task(&e->o, ev);

	switch (ev->type) {
	case TCPSTATE_EV_SYN_RECV:
	case TCPSTATE_EV_ACCEPT_QUEUED:
		set_parent(t, ev->sock_id, ev->peer_id);
		break;
	case TCPSTATE_EV_SYN_RECV_END:
		if (ev->reason == TCPSTATE_SRE_COMPLETED)
			set_parent(t, ev->peer_id, ev->sock_id);
		break;
	case TCPSTATE_EV_TIMEWAIT:
		set_parent(t, ev->sock_id, ev->peer_id);
		break;
	case TCPSTATE_EV_STATE:
		/*
		 * A socket seen alive without a task of its own nor a
		 * parent: it is older than the reader. A child (LISTEN ->
		 * SYN_RECV) gets its request sock as parent at once.
		 */
		e = &t->e[i];
		if (!e->parent && ev->newstate != TCPS_CLOSE &&
		    ev->oldstate != TCPS_LISTEN)
			want_lookup(t, i, ev, ev->newstate == TCPS_LISTEN);
		break;
	default:
		break;
	}

	/* Still entry @i: set_parent() evicts only from the cold end. */
	if (ends_life(ev) && !t->e[i].ended) {
		t->e[i].ended = 1;
		lru_unlink(t, i);
		lru_push_tail(t, i);
	}
}

/* ---- /proc: sockets older than the reader ---- */

/* 8 hex digits of a /proc/net/tcp address word, as the kernel's %08X of
 * the address's native 32-bit words.
 */
static int parse_hex_words(const char *s, unsigned int words, __u8 *out)
{
	unsigned int w, k;

	for (w = 0; w < words; w++) {
		__u32 v = 0;

		for (k = 0; k < 8; k++, s++) {
			int c = *s;

			if (!isxdigit(c))
				return -1;
			v = v << 4 | (__u32)(isdigit(c) ? c - '0' :
					     tolower(c) - 'a' + 10);
		}
		memcpy(out + 4 * w, &v, 4);
	}
	return 0;
}

/* "ADDR:PORT" of /proc/net/tcp (@words 1) or tcp6 (4), as v4-mapped v6. */
static const char *parse_endpoint(const char *s, unsigned int words,
				  __u8 addr[16], __u16 *port)
{
	__u8 raw[16];
	char *end;
	unsigned long p;

	while (*s == ' ')
		s++;
	if (parse_hex_words(s, words, raw))
		return NULL;
	s += 8 * words;
	if (*s++ != ':')
		return NULL;
	p = strtoul(s, &end, 16);
	if (end == s || p > 65535)
		return NULL;
	*port = (__u16)p;
	to_v6(addr, words == 1 ? AF_INET : AF_INET6, raw);
	return end;
}

static int is_wildcard(const __u8 a[16])
{
	static const __u8 any6[16], any4[16] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, any6, 16) || !memcmp(a, any4, 16);
}

static void match_row(struct owner_table *t, const __u8 *laddr, __u16 lport,
		      const __u8 *raddr, __u16 rport, unsigned int st,
		      unsigned long inode)
{
	unsigned int k;

	/* Request and timewait socks have no inode. */
	if (!inode)
		return;
	for (k = 0; k < t->nr_pending; k++) {
		struct pending *p = &t->pending[k];

		if (p->inode || p->lport != lport)
			continue;
		if (p->listener) {
			if (st == TCPS_LISTEN && (!memcmp(p->laddr, laddr, 16) ||
					   is_wildcard(laddr)))
				p->inode = inode;
		} else if (st != TCPS_LISTEN && p->rport == rport &&
			   !memcmp(p->laddr, laddr, 16) &&
			   !memcmp(p->raddr, raddr, 16)) {
			p->inode = inode;
		}
	}
}

/* One of /proc/net/tcp (@words 1) and tcp6 (4): the pending sockets'
 * inodes.
 */
static void scan_net_tcp(struct owner_table *t, const char *path,
			 unsigned int words)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	/* The first line is the header. */
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		__u8 laddr[16], raddr[16];
		__u16 lport, rport;
		unsigned long inode;
		unsigned int st, uid;
		const char *s = strchr(line, ':');

		/* "  sl: local rem st tx:rx tr:when retrnsmt uid timeout
		 * inode ..."
		 */
		if (!s)
			continue;
		s = parse_endpoint(s + 1, words, laddr, &lport);
		if (!s)
			continue;
		s = parse_endpoint(s, words, raddr, &rport);
		if (!s)
			continue;
		if (sscanf(s, " %x %*x:%*x %*x:%*x %*x %u %*d %lu", &st, &uid,
			   &inode) != 3)
			continue;
		match_row(t, laddr, lport, raddr, rport, st, inode);
	}
	fclose(f);
}

/* "socket:[N]" -> N, 0 for anything else. */
static unsigned long socket_inode(const char *link)
{
	unsigned long n;
	char *end;

	if (strncmp(link, "socket:[", 8))
		return 0;
	n = strtoul(link + 8, &end, 10);
	return *end == ']' ? n : 0;
}

/* The process holding @inode: the first found, by ascending pid. */
static void found_holder(struct owner_table *t, unsigned long inode,
			 pid_t pid)
{
	unsigned int k;

	for (k = 0; k < t->nr_pending; k++) {
		struct pending *p = &t->pending[k];
		unsigned int i;
		struct owner *o;

		if (p->inode != inode)
			continue;
		p->inode = 0;	/* settled */
		i = find(t, p->id);
		if (!i || t->e[i].lookup != LOOKUP_PENDING)
			continue;
		o = &t->e[i].o;
		if (o->valid & TCPSTATE_VALID_TASK)
			continue;
		o->tgid = (__u32)pid;
		o->pid = 0;	/* the thread is not known */
		owner_read_comm(pid, o->comm);
		o->valid |= TCPSTATE_VALID_TASK | OWNER_FROM_PROC;
	}
}

static int pending_inode(const struct owner_table *t, unsigned long inode)
{
	unsigned int k;

	for (k = 0; k < t->nr_pending; k++)
		if (t->pending[k].inode == inode)
			return 1;
	return 0;
}

void owner_read_comm(pid_t pid, char comm[TCPSTATE_COMM_LEN])
{
	char path[64];
	ssize_t n;
	int fd;

	comm[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, comm, TCPSTATE_COMM_LEN - 1);
	close(fd);
	if (n < 0)
		n = 0;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
}

void owner_scan_socket_fds(int (*wanted)(unsigned long inode, void *arg),
			   void (*found)(unsigned long inode, pid_t pid,
					 void *arg),
			   void *arg)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;

	if (!proc)
		return;
	while ((d = readdir(proc))) {
		char path[PATH_MAX], link[64];
		struct dirent *fd;
		char *end;
		DIR *fds;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fd = readdir(fds))) {
			unsigned long inode;
			ssize_t n;

			if (fd->d_name[0] == '.')
				continue;
			n = readlinkat(dirfd(fds), fd->d_name, link,
				       sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			inode = socket_inode(link);
			if (inode && wanted(inode, arg))
				found(inode, (pid_t)pid, arg);
		}
		closedir(fds);
	}
	closedir(proc);
}

static int wanted_pending(unsigned long inode, void *arg)
{
	return pending_inode(arg, inode);
}

static void found_pending(unsigned long inode, pid_t pid, void *arg)
{
	found_holder(arg, inode, pid);
}

/*
 * Settle every pending socket with one pass over /proc/net/tcp{,6} and
 * one over /proc/PID/fd: each is looked up once, found or not.
 */
static void scan_proc(struct owner_table *t)
{
	__u64 now = clock_mono_ns();
	unsigned int k;

	if (t->scanned && now - t->last_scan_ns < SCAN_INTERVAL_NS)
		return;
	t->scanned = 1;
	t->last_scan_ns = now;
	scan_net_tcp(t, "/proc/net/tcp", 1);
	scan_net_tcp(t, "/proc/net/tcp6", 4);
	for (k = 0; k < t->nr_pending && !t->pending[k].inode; k++)
		;
	/* No socket found in /proc/net: no process holds any of them. */
	if (k < t->nr_pending)
		owner_scan_socket_fds(wanted_pending, found_pending, t);
	for (k = 0; k < t->nr_pending; k++) {
		unsigned int i = find(t, t->pending[k].id);

		if (i && t->e[i].lookup == LOOKUP_PENDING)
			t->e[i].lookup = LOOKUP_DONE;
	}
	t->nr_pending = 0;
}

/* ---- answers ---- */

/* What entry @i knows, with the task it inherits while it has none. */
static const struct owner *compose(struct owner_table *t, unsigned int i)
{
	struct owner *r = &t->result[t->next_result++ % RESULT_SLOTS];
	unsigned int hop, j = i;

	if (t->e[i].lookup == LOOKUP_PENDING)
		scan_proc(t);
	*r = t->e[i].o;
	for (hop = 0; hop < INHERIT_HOPS && t->e[j].parent &&
	     (r->valid & (TCPSTATE_VALID_OWNER | TCPSTATE_VALID_TASK)) !=
	     (TCPSTATE_VALID_OWNER | TCPSTATE_VALID_TASK); hop++) {
		const struct owner *p;

		j = find(t, t->e[j].parent);
		if (!j)
			break;
		if (t->e[j].lookup == LOOKUP_PENDING)
			scan_proc(t);
		p = &t->e[j].o;
		if (!(r->valid & TCPSTATE_VALID_OWNER) &&
		    (p->valid & TCPSTATE_VALID_OWNER)) {
			r->cgroup_id = p->cgroup_id;
			r->uid = p->uid;
			r->valid |= TCPSTATE_VALID_OWNER;
		}
		if (!(r->valid & TCPSTATE_VALID_TASK) &&
		    (p->valid & TCPSTATE_VALID_TASK)) {
			r->tgid = p->tgid;
			r->pid = p->pid;
			memcpy(r->comm, p->comm, sizeof(r->comm));
			r->valid |= p->valid & (TCPSTATE_VALID_TASK |
						OWNER_FROM_PROC);
		}
	}
	if (!(r->valid & (TCPSTATE_VALID_OWNER | TCPSTATE_VALID_TASK)))
		return NULL;
	return r;
}

const struct owner *owner_get(struct owner_table *t, __u64 sock_id)
{
	unsigned int i;

	if (!t || !sock_id)
		return NULL;
	i = find(t, sock_id);
	return i ? compose(t, i) : NULL;
}

const struct owner *owner_get_first(struct owner_table *t, __u64 id1,
				    __u64 id2, __u64 id3)
{
	const __u64 ids[] = { id1, id2, id3 };
	const struct owner *o;
	unsigned int k;

	for (k = 0; k < 3; k++) {
		o = owner_get(t, ids[k]);
		if (o)
			return o;
	}
	return NULL;
}

const struct owner *owner_of_event(struct owner_table *t,
				   const struct tcpstate_event *ev,
				   struct owner *scratch)
{
	const struct owner *o = owner_get(t, ev->sock_id);

	if (o)
		return o;
	if (!ev->sock_id) {
		o = owner_get(t, ev->peer_id);
		if (o)
			return o;
	}
	memset(scratch, 0, sizeof(*scratch));
	if (ev->valid & TCPSTATE_VALID_OWNER)
		learn_owner(scratch, ev);
	if (ev->valid & TCPSTATE_VALID_TASK)
		learn_task(scratch, ev);
	return scratch->valid ? scratch : NULL;
}

/* ---- cgroups ---- */

/* "\040" and friends in a mountinfo field, decoded in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* The first cgroup v2 mount point in /proc/self/mountinfo. */
static int find_cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = -ENODEV;

	if (!f)
		return -ENODEV;
	while (found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char *field, *save = NULL, *mnt = NULL;
		unsigned int k;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = '\0';
		/* id parent maj:min root mountpoint ... */
		for (k = 0, field = strtok_r(line, " ", &save); field && k < 4;
		     k++)
			field = strtok_r(NULL, " ", &save);
		mnt = field;
		if (!mnt)
			continue;
		unescape_octal(mnt);
		if (strlen(mnt) >= len)
			continue;
		strcpy(buf, mnt);
		found = 0;
	}
	fclose(f);
	return found;
}

static struct cgroup_path *cg_slot(struct owner_table *t, __u64 id)
{
	unsigned int k = (unsigned int)(id * 0x9e3779b97f4a7c15ULL >> 32);

	for (k &= t->cg_size - 1; t->cg[k].id && t->cg[k].id != id;
	     k = (k + 1) & (t->cg_size - 1))
		;
	return &t->cg[k];
}

static int cg_insert(struct owner_table *t, __u64 id, const char *path)
{
	struct cgroup_path *slot;

	if (2 * (t->cg_used + 1) > t->cg_size) {
		struct cgroup_path *old = t->cg;
		unsigned int n = t->cg_size, k;

		t->cg_size = n ? 2 * n : 64;
		t->cg = calloc(t->cg_size, sizeof(*t->cg));
		if (!t->cg) {
			t->cg = old;
			t->cg_size = n;
			return -ENOMEM;
		}
		for (k = 0; k < n; k++)
			if (old[k].id)
				*cg_slot(t, old[k].id) = old[k];
		free(old);
	}
	slot = cg_slot(t, id);
	if (slot->id)
		return 0;
	slot->path = strdup(path);
	if (!slot->path)
		return -ENOMEM;
	slot->id = id;
	t->cg_used++;
	return 0;
}

/* nftw() passes no argument through: the walk's table and mount. */
static struct owner_table *walking;
static size_t walk_prefix;

static int walk_one(const char *fpath, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_D)
		return FTW_CONTINUE;
	if (cg_insert(walking, (__u64)sb->st_ino,
		      fpath[walk_prefix] ? fpath + walk_prefix : "/"))
		return FTW_STOP;
	return FTW_CONTINUE;
}

/* Map every cgroup directory's inode to its path, again. */
static void walk_cgroups(struct owner_table *t)
{
	__u64 now = clock_mono_ns();

	if (t->walked && now - t->last_walk_ns < CGROUP_WALK_INTERVAL_NS)
		return;
	t->walked = 1;
	t->last_walk_ns = now;
	if (!t->cg_mount[0] &&
	    find_cgroup2_mount(t->cg_mount, sizeof(t->cg_mount)))
		strcpy(t->cg_mount, "-");
	if (!strcmp(t->cg_mount, "-"))
		return;
	cgroup_map_clear(t);
	walking = t;
	walk_prefix = strcmp(t->cg_mount, "/") ? strlen(t->cg_mount) : 0;
	/* Only directories matter; a cgroup removed meanwhile is skipped. */
	nftw(t->cg_mount, walk_one, 16,
	     FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL);
	walking = NULL;
}

const char *owner_cgroup_path(struct owner_table *t, __u64 id)
{
	struct cgroup_path *slot;

	if (!t || !id)
		return NULL;
	if (t->cg_size) {
		slot = cg_slot(t, id);
		if (slot->id)
			return slot->path;
	}
	walk_cgroups(t);
	if (!t->cg_size)
		return NULL;
	slot = cg_slot(t, id);
	return slot->id ? slot->path : NULL;
}

int owner_cgroup_lookup(const char *arg, __u64 *id, char *rel,
			size_t rellen)
{
	char mount[PATH_MAX], path[2 * PATH_MAX];
	size_t mlen;
	struct stat st;
	int rc;

	rc = find_cgroup2_mount(mount, sizeof(mount));
	if (rc)
		return rc;
	mlen = strcmp(mount, "/") ? strlen(mount) : 0;
	/* A full path under the mount, or one relative to it. */
	if (!strncmp(arg, mount, mlen) &&
	    (arg[mlen] == '/' || arg[mlen] == '\0'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "%s%s%s", mlen ? mount : "",
			 arg[0] == '/' ? "" : "/", arg);
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = (__u64)st.st_ino;
	/* Trailing slashes do not make another cgroup. */
	rc = snprintf(rel, rellen, "%s", path[mlen] ? path + mlen : "/");
	if (rc < 0 || (size_t)rc >= rellen)
		return -ENAMETOOLONG;
	while (rc > 1 && rel[rc - 1] == '/')
		rel[--rc] = '\0';
	return 0;
}

int owner_cgroup_is_under(const char *path, const char *under)
{
	size_t n = strlen(under);

	if (!strcmp(under, "/"))
		return path[0] == '/';
	return !strncmp(path, under, n) && (path[n] == '/' || !path[n]);
}

/* ---- output ---- */

/* A field that must stay one word: blanks and controls as '?'. */
static void tb_word(struct textbuf *tb, const char *s, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		char c = s[k];

		if ((unsigned char)c <= ' ' || c == 0x7f)
			c = '?';
		tb_put(tb, &c, 1);
	}
}

void tb_cgroup_short(struct textbuf *tb, const char *path, int width)
{
	size_t len = strlen(path), keep = (size_t)width - 3;
	const char *tail;

	if (len <= (size_t)width) {
		tb_word(tb, path, len);
		return;
	}
	tail = path + len - keep;
	/* Whole components where the last one fits, else its tail. */
	{
		const char *slash = strchr(tail, '/');

		if (slash)
			tail = slash;
	}
	tb_put(tb, "...", 3);
	tb_word(tb, tail, strlen(tail));
}

void tb_owner_header(struct textbuf *tb)
{
	tb_printf(tb, "%-*s %-*s %-*s %-*s ", OWNER_COL_PID, "PID",
		  OWNER_COL_COMM, "COMM", OWNER_COL_UID, "UID",
		  OWNER_COL_CGROUP, "CGROUP");
}

void tb_owner_text(struct textbuf *tb, const struct owner *o,
		   struct owner_table *t)
{
	const int task = o && (o->valid & TCPSTATE_VALID_TASK);
	const int owner = o && (o->valid & TCPSTATE_VALID_OWNER);
	const char *col = tb->p;

	if (task)
		tb_dec(tb, o->tgid);
	else
		tb_put(tb, "-", 1);
	tb_pad_from(tb, col, OWNER_COL_PID);
	tb_put(tb, " ", 1);
	col = tb->p;
	if (task && o->comm[0])
		tb_word(tb, o->comm, strnlen(o->comm, sizeof(o->comm)));
	else
		tb_put(tb, "-", 1);
	tb_pad_from(tb, col, OWNER_COL_COMM);
	tb_put(tb, " ", 1);
	col = tb->p;
	if (owner)
		tb_dec(tb, o->uid);
	else
		tb_put(tb, "-", 1);
	tb_pad_from(tb, col, OWNER_COL_UID);
	tb_put(tb, " ", 1);
	col = tb->p;
	if (owner) {
		const char *path = owner_cgroup_path(t, o->cgroup_id);

		if (path)
			tb_cgroup_short(tb, path, OWNER_COL_CGROUP);
		else
			tb_dec(tb, o->cgroup_id);
	} else {
		tb_put(tb, "-", 1);
	}
	tb_pad_from(tb, col, OWNER_COL_CGROUP);
	tb_put(tb, " ", 1);
}

int owner_format_text(char *buf, size_t len, const struct owner *o,
		      struct owner_table *t)
{
	struct textbuf tb;

	tb_init(&tb, buf, len);
	tb_owner_text(&tb, o, t);
	return tb_end(&tb);
}

void owner_json(struct textbuf *tb, const struct owner *o,
		struct owner_table *t)
{
	const int task = o && (o->valid & TCPSTATE_VALID_TASK);
	const int owner = o && (o->valid & TCPSTATE_VALID_OWNER);
	const int from_proc = task && (o->valid & OWNER_FROM_PROC);
	char comm[TCPSTATE_COMM_LEN];

	tb_kv_u(tb, KEY("cgroup_id"), owner ? o->cgroup_id : 0, owner);
	tb_kv_str(tb, KEY("cgroup"), owner ?
		  owner_cgroup_path(t, o->cgroup_id) : NULL);
	tb_kv_u(tb, KEY("uid"), owner ? o->uid : 0, owner);
	/* /proc gives the process, not the thread. */
	tb_kv_u(tb, KEY("pid"), task ? o->pid : 0, task && !from_proc);
	tb_kv_u(tb, KEY("tgid"), task ? o->tgid : 0, task);
	if (task) {
		memcpy(comm, o->comm, sizeof(comm));
		comm[sizeof(comm) - 1] = '\0';
	}
	tb_kv_str(tb, KEY("comm"), task ? comm : NULL);
	tb_kv_name(tb, KEY("owner_from"), from_proc ? "proc" :
		   (owner || task) ? "event" : NULL);
}
