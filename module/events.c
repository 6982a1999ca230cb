// SPDX-License-Identifier: GPL-2.0
/*
 * Events, from the hooks to the ring, and the reader session they go to.
 *
 * The hooks (tracepoints.c, kprobes.c) build a struct tcpstate_event on
 * their stack with tcpstate_event_begin() and the tuple helpers, and hand
 * it to tcpstate_event_send(), which applies the reader's namespace and
 * filter before anything is reserved in the ring.
 *
 * The reader session: the first file to mmap() the ring holds it until the
 * file is released (device.c turns file operations into these calls). The
 * session owns everything a reader sets: which file holds the ring, the
 * namespace it sees, its filter; and it starts and stops the ring, so that
 * events are built only while someone reads them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/uidgid.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "internal.h"

/* Drawn at load: socket ids reveal nothing about kernel addresses. */
static siphash_key_t tcpstate_sock_id_key;

u64 tcpstate_sock_id(const void *sk)
{
	return sk ? siphash_1u64((u64)(unsigned long)sk, &tcpstate_sock_id_key) : 0;
}

/* The reader's filter; NULL: every event. Read in probe context. */
static struct tcpstate_filter __rcu *tcpstate_filter;

/*
 * A reader outside the initial network namespace sees only its own: the
 * inode of that namespace, 0 for a reader that sees all. Set while no
 * producer runs (the ring is stopped), before the ring starts.
 */
static u32 tcpstate_reader_netns;

/*
 * Start an event of @type for a socket of @net in @buf: netns and type
 * filled, every other byte zero. NULL when no reader holds the ring, so
 * that nothing more is built.
 */
struct tcpstate_event *tcpstate_event_begin(struct tcpstate_event *buf,
					    const struct net *net, u16 type)
{
	if (!tcpstate_ring_running(&tcpstate_ring))
		return NULL;
	*buf = (struct tcpstate_event) {
		.netns = net->ns.inum,
		.type = type,
	};
	return buf;
}

static bool tcpstate_port_in(u16 port, const u16 *ports, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

/*
 * Set in an event's @valid between tcpstate_event_owner() and
 * tcpstate_event_send() when the owner's cgroup is outside the filter's:
 * the cgroup hierarchy is walked where the socket is at hand, and never
 * reaches the ring (the bit is outside TCPSTATE_VALID_*).
 */
#define TCPSTATE_VALID_CGROUP_OUT	0x8000U

/*
 * An event that has no owner passes a cgroup filter, but an RST for no
 * socket: see struct tcpstate_filter.
 */
static bool tcpstate_filter_takes_cgroup(const struct tcpstate_filter *f,
					 const struct tcpstate_event *ev)
{
	if (!f->cgroup_id)
		return true;
	if (ev->valid & TCPSTATE_VALID_CGROUP_OUT)
		return false;
	return (ev->valid & TCPSTATE_VALID_OWNER) ||
	       !(ev->type == TCPSTATE_EV_RST_SENT && !ev->sock_id);
}

static bool tcpstate_filter_takes(const struct tcpstate_filter *f,
				  const struct tcpstate_event *ev)
{
	return tcpstate_filter_takes_cgroup(f, ev) &&
	       (!f->netns || f->netns == ev->netns) &&
	       (!f->family || f->family == ev->family) &&
	       (!f->nr_lports || tcpstate_port_in(ev->sport, f->lports, f->nr_lports)) &&
	       (!f->nr_rports || tcpstate_port_in(ev->dport, f->rports, f->nr_rports));
}

/*
 * Put @ev into the ring if the reader's filter takes it: the filter
 * decides before anything is reserved. A full ring is counted against
 * @net.
 */
void tcpstate_event_send(const struct net *net, struct tcpstate_event *ev)
{
	const struct tcpstate_filter *f;
	struct tcpstate_event *rec;
	u32 only;

	only = READ_ONCE(tcpstate_reader_netns);
	if (only && only != ev->netns)
		return;
	/* Probes run with preemption disabled: an RCU-sched read side. */
	f = rcu_dereference_sched(tcpstate_filter);
	if (f && !tcpstate_filter_takes(f, ev))
		return;
	ev->valid &= ~TCPSTATE_VALID_CGROUP_OUT;
	rec = tcpstate_ring_reserve(&tcpstate_ring, &ev->ts_ns);
	if (IS_ERR(rec)) {
		tcpstate_count(net, TCPSTATE_C_RING_DROPS, 1);
		return;
	}
	if (!rec)
		return;
	*rec = *ev;
	tcpstate_ring_commit(&tcpstate_ring, rec);
}

/* A full socket's tuple, as the inet_sock_set_state tracepoint reports it. */
void tcpstate_event_tuple_sk(struct tcpstate_event *ev, const struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	ev->family = sk->sk_family;
	ev->sport = ntohs(inet->inet_sport);
	ev->dport = ntohs(inet->inet_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		memcpy(ev->saddr, &sk->sk_v6_rcv_saddr, sizeof(ev->saddr));
		memcpy(ev->daddr, &sk->sk_v6_daddr, sizeof(ev->daddr));
		return;
	}
#endif
	memcpy(ev->saddr, &inet->inet_saddr, sizeof(inet->inet_saddr));
	memcpy(ev->daddr, &inet->inet_daddr, sizeof(inet->inet_daddr));
}

/* The tuple of a request or timewait sock: only sock_common is theirs. */
void tcpstate_event_tuple_common(struct tcpstate_event *ev,
				 const struct sock_common *skc)
{
	ev->family = skc->skc_family;
	ev->sport = skc->skc_num;
	ev->dport = ntohs(skc->skc_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (skc->skc_family == AF_INET6) {
		memcpy(ev->saddr, &skc->skc_v6_rcv_saddr, sizeof(ev->saddr));
		memcpy(ev->daddr, &skc->skc_v6_daddr, sizeof(ev->daddr));
		return;
	}
#endif
	memcpy(ev->saddr, &skc->skc_rcv_saddr, sizeof(skc->skc_rcv_saddr));
	memcpy(ev->daddr, &skc->skc_daddr, sizeof(skc->skc_daddr));
}

/*
 * The tuple of segment @skb, received, as a local socket would see it:
 * its destination is the local end. Its TCP header is at the transport
 * header.
 */
void tcpstate_event_tuple_skb(struct tcpstate_event *ev,
			      const struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);

	ev->sport = ntohs(th->dest);
	ev->dport = ntohs(th->source);
	if (skb->protocol == htons(ETH_P_IPV6)) {
		ev->family = AF_INET6;
		memcpy(ev->saddr, &ipv6_hdr(skb)->daddr, sizeof(ev->saddr));
		memcpy(ev->daddr, &ipv6_hdr(skb)->saddr, sizeof(ev->daddr));
		return;
	}
	ev->family = AF_INET;
	memcpy(ev->saddr, &ip_hdr(skb)->daddr, sizeof(ip_hdr(skb)->daddr));
	memcpy(ev->daddr, &ip_hdr(skb)->saddr, sizeof(ip_hdr(skb)->saddr));
}

#ifdef CONFIG_SOCK_CGROUP_DATA
static bool tcpstate_cgroup_under(struct cgroup *cgrp, u64 id)
{
	for (; cgrp; cgrp = cgroup_parent(cgrp))
		if (cgroup_id(cgrp) == id)
			return true;
	return false;
}
#endif

/*
 * Who owns full socket or listener @sk: its cgroup and uid (what the
 * kernel charged it to when it was made, valid in any context); and with
 * @by_task, the task the event runs in, when that is a task at all: in
 * softirq, current is whatever the interrupt found running, a bystander.
 * Callers pass @by_task only for events a task causes on its own socket
 * (connect(), listen(), close(), shutdown(), or the segments its system
 * call processes from the socket backlog).
 */
void tcpstate_event_owner(struct tcpstate_event *ev, const struct sock *sk,
			  bool by_task)
{
#ifdef CONFIG_SOCK_CGROUP_DATA
	struct cgroup *cgrp;
	const struct tcpstate_filter *f;

	/* The socket holds a reference on its cgroup, and so on its parents. */
	cgrp = sock_cgroup_ptr((struct sock_cgroup_data *)&sk->sk_cgrp_data);
	ev->cgroup_id = cgroup_id(cgrp);
	f = rcu_dereference_sched(tcpstate_filter);
	if (f && f->cgroup_id && !tcpstate_cgroup_under(cgrp, f->cgroup_id))
		ev->valid |= TCPSTATE_VALID_CGROUP_OUT;
#endif
	ev->uid = from_kuid_munged(&init_user_ns, sk->sk_uid);
	ev->valid |= TCPSTATE_VALID_OWNER;
	if (by_task && in_task()) {
		ev->tgid = task_tgid_nr(current);
		ev->pid = task_pid_nr(current);
		/*
		 * Unlocked, as bpf_get_current_comm(): a racing rename may
		 * tear the name, never its last byte, always NUL.
		 */
		BUILD_BUG_ON(sizeof(current->comm) != sizeof(ev->comm));
		memcpy(ev->comm, current->comm, sizeof(ev->comm));
		ev->valid |= TCPSTATE_VALID_TASK;
	}
}

/*
 * The sequence numbers of full TCP socket @sk as it leaves @oldstate: what
 * it will send and expect next, and both initial sequence numbers while
 * the handshake is the state left. RFC 4898's byte counters give the
 * ISNs back: bytes_acked counts from our ISN (the SYN included when our
 * SYN was acked here, as a connect()ing socket's is; a listener's child is
 * made with its SYN-ACK acked), bytes_received from the peer's ISN + 1.
 */
static void tcpstate_event_seq(struct tcpstate_event *ev, const struct sock *sk,
			       int oldstate)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 rcv_nxt = READ_ONCE(tp->rcv_nxt);

	ev->seq = READ_ONCE(tp->write_seq);
	ev->ack = rcv_nxt;
	ev->valid |= TCPSTATE_VALID_SEQ;
	if (oldstate == TCP_SYN_SENT) {
		/* No SYN sent: connect() failed before tcp_connect(). */
		if (!READ_ONCE(tp->segs_out))
			return;
		ev->iss = READ_ONCE(tp->snd_una) - (u32)READ_ONCE(tp->bytes_acked);
		ev->valid |= TCPSTATE_VALID_ISS;
		if (ev->newstate == TCP_CLOSE)
			return;
	} else if (oldstate == TCP_SYN_RECV) {
		ev->iss = READ_ONCE(tp->snd_una) - (u32)READ_ONCE(tp->bytes_acked) - 1;
		ev->valid |= TCPSTATE_VALID_ISS;
	} else {
		return;
	}
	ev->irs = rcv_nxt - (u32)READ_ONCE(tp->bytes_received) - 1;
	ev->valid |= TCPSTATE_VALID_IRS;
}

void tcpstate_report_state(const struct sock *sk, int oldstate, int newstate)
{
	struct tcpstate_event buf, *ev;

	/* The tracepoint also fires for SCTP, DCCP and MPTCP. */
	if (sk->sk_protocol != IPPROTO_TCP)
		return;

	ev = tcpstate_event_begin(&buf, sock_net(sk), TCPSTATE_EV_STATE);
	if (!ev)
		return;
	ev->sock_id = tcpstate_sock_id(sk);
	ev->oldstate = oldstate;
	ev->newstate = newstate;
	tcpstate_event_tuple_sk(ev, sk);
	tcpstate_event_owner(ev, sk, true);
	/*
	 * A listener's numbers mean nothing, nor those of a child being
	 * cloned from it (LISTEN -> SYN_RECV: its fields are still the
	 * listener's), nor a connect()ing socket's before its ISN is drawn.
	 */
	if (oldstate != TCP_LISTEN && newstate != TCP_LISTEN &&
	    oldstate != TCP_CLOSE)
		tcpstate_event_seq(ev, sk, oldstate);
	if (newstate == TCP_CLOSE) {
		/* Why it closes: set before tcp_done() by every error path. */
		ev->err = READ_ONCE(sk->sk_err);
		ev->valid |= TCPSTATE_VALID_ERR;
	}
	tcpstate_event_send(sock_net(sk), ev);
}

/* Called before req->num_retrans counts this retransmit. */
void tcpstate_report_synack_retrans(const struct sock *listener,
				    const struct request_sock *req)
{
	const struct net *net = sock_net(listener);
	struct tcpstate_event buf, *ev;

	tcpstate_count(net, TCPSTATE_C_SYNACK_RETRANS, 1);
	ev = tcpstate_event_begin(&buf, net, TCPSTATE_EV_SYNACK_RETRANS);
	if (!ev)
		return;
	ev->sock_id = tcpstate_sock_id(req);
	ev->peer_id = tcpstate_sock_id(listener);
	ev->count = req->num_retrans + 1;
	tcpstate_event_tuple_common(ev, &req->__req_common);
	tcpstate_event_owner(ev, listener, false);
	tcpstate_event_send(net, ev);
}

void tcpstate_events_init(void)
{
	get_random_bytes(&tcpstate_sock_id_key, sizeof(tcpstate_sock_id_key));
}

/* ---- the reader session ---- */

/* Serializes session changes: start, filter, end. */
static DEFINE_MUTEX(tcpstate_session_lock);
/* The file whose mappings hold the ring; NULL when nobody reads. */
static struct file *tcpstate_session_owner;

bool tcpstate_session_held_by(const struct file *file)
{
	return READ_ONCE(tcpstate_session_owner) == file;
}

/*
 * Map the ring into @vma for @file. The first file to map it holds the
 * session: its namespace is recorded (outside the initial one, a reader
 * sees its own only) and the ring starts. Another file gets -EBUSY.
 */
int tcpstate_session_map(struct file *file, struct vm_area_struct *vma)
{
	int err;

	mutex_lock(&tcpstate_session_lock);
	if (tcpstate_session_owner && tcpstate_session_owner != file) {
		err = -EBUSY;
		goto out_unlock;
	}
	err = tcpstate_ring_mmap(&tcpstate_ring, vma);
	if (!err && !tcpstate_session_owner) {
		struct net *net = current->nsproxy->net_ns;

		/* No producer runs while the ring is stopped. */
		WRITE_ONCE(tcpstate_reader_netns,
			   net_eq(net, &init_net) ? 0 : net->ns.inum);
		tcpstate_ring_start(&tcpstate_ring);
		WRITE_ONCE(tcpstate_session_owner, file);
	}
out_unlock:
	mutex_unlock(&tcpstate_session_lock);
	return err;
}

/*
 * Install @f, copied from the reader, as @file's filter: the session takes
 * @f, and frees it on error. -EINVAL for a filter that does not parse,
 * -EPERM if @file does not hold the session.
 */
int tcpstate_session_set_filter(struct file *file, struct tcpstate_filter *f)
{
	struct tcpstate_filter *old = NULL;
	int err = 0;

	if ((f->family && f->family != AF_INET && f->family != AF_INET6) ||
	    f->nr_lports > TCPSTATE_FILTER_PORTS ||
	    f->nr_rports > TCPSTATE_FILTER_PORTS ||
	    f->__pad[0] || f->__pad[1] || f->__pad[2]) {
		kfree(f);
		return -EINVAL;
	}

	mutex_lock(&tcpstate_session_lock);
	if (tcpstate_session_owner == file) {
		old = rcu_replace_pointer(tcpstate_filter, f,
					  lockdep_is_held(&tcpstate_session_lock));
		f = NULL;
	} else {
		err = -EPERM;
	}
	mutex_unlock(&tcpstate_session_lock);
	kfree(f);
	if (old) {
		/* Probes read the filter under RCU-sched. */
		synchronize_rcu();
		kfree(old);
	}
	return err;
}

/* @file is released: if it held the session, the ring stops. */
void tcpstate_session_end(struct file *file)
{
	struct tcpstate_filter *old = NULL;

	mutex_lock(&tcpstate_session_lock);
	if (tcpstate_session_owner == file) {
		old = rcu_replace_pointer(tcpstate_filter, NULL,
					  lockdep_is_held(&tcpstate_session_lock));
		/* Waits for every probe: none still reads @old. */
		tcpstate_ring_stop(&tcpstate_ring);
		WRITE_ONCE(tcpstate_session_owner, NULL);
	}
	mutex_unlock(&tcpstate_session_lock);
	kfree(old);
}
