// SPDX-License-Identifier: GPL-2.0
/*
 * Hooks where the kernel has no tracepoint: request socks entering and
 * leaving the SYN queue, the accept queue, listen drops, timewait socks
 * created and killed; and, in attach=kprobe mode, state changes and
 * SYN-ACK retransmits. Every kprobe target is one row of tcpstate_hooks.
 *
 * Each hook that moves a gauge runs in the same BH-disabled section as the
 * hash insert or unlink it reports; counters.c relies on that.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/request_sock.h>
#include <net/snmp.h>
#include <net/tcp.h>

#include "internal.h"

#define arg(regs, n)	regs_get_kernel_argument(regs, n)

static bool tcpstate_is_tcp(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP;
}

static u32 tcpstate_synq_len(const struct sock *listener)
{
	return reqsk_queue_len(&inet_csk(listener)->icsk_accept_queue);
}

/* An event about request sock @req of @listener, built in @buf. */
static struct tcpstate_event *tcpstate_req_event(struct tcpstate_event *buf,
						 u16 type,
						 const struct request_sock *req,
						 const struct sock *listener)
{
	struct tcpstate_event *ev;

	ev = tcpstate_event_begin(buf, sock_net(listener), type);
	if (!ev)
		return NULL;
	ev->sock_id = tcpstate_sock_id(req);
	ev->peer_id = tcpstate_sock_id(listener);
	ev->count = req->num_retrans;
	tcpstate_event_tuple_common(ev, &req->__req_common);
	return ev;
}

static void tcpstate_report_syn_recv(const struct request_sock *req,
				     const struct sock *listener)
{
	struct tcpstate_event buf, *ev;

	tcpstate_count(sock_net(listener), TCPSTATE_C_SYN_RECV, 1);
	tcpstate_count(sock_net(listener), TCPSTATE_C_SYN_QUEUE_ADDED, 1);
	ev = tcpstate_req_event(&buf, TCPSTATE_EV_SYN_RECV, req, listener);
	if (!ev)
		return;
	ev->count = 0;
	ev->qlen = tcpstate_synq_len(listener);
	ev->qmax = READ_ONCE(listener->sk_max_ack_backlog);
	tcpstate_event_send(sock_net(listener), ev);
}

/* @qlen: the listener's SYN queue length once @req is gone. */
static void tcpstate_report_syn_recv_end(const struct request_sock *req,
					 const struct sock *listener,
					 enum tcpstate_syn_recv_end reason,
					 u64 peer_id, u32 qlen)
{
	static const enum tcpstate_counter counter[] = {
		[TCPSTATE_SRE_COMPLETED] = TCPSTATE_C_SYN_QUEUE_COMPLETED,
		[TCPSTATE_SRE_EXPIRED] = TCPSTATE_C_SYN_QUEUE_EXPIRED,
		[TCPSTATE_SRE_DROPPED] = TCPSTATE_C_SYN_QUEUE_DROPPED,
		[TCPSTATE_SRE_LISTENER_CLOSED] = TCPSTATE_C_SYN_QUEUE_DROPPED,
		[TCPSTATE_SRE_MIGRATED] = TCPSTATE_C_SYN_QUEUE_MIGRATED,
	};
	const struct net *net = sock_net(listener);
	struct tcpstate_event buf, *ev;

	if (reason != TCPSTATE_SRE_MIGRATED)
		tcpstate_count(net, TCPSTATE_C_SYN_RECV, -1);
	tcpstate_count(net, counter[reason], 1);
	ev = tcpstate_req_event(&buf, TCPSTATE_EV_SYN_RECV_END, req, listener);
	if (!ev)
		return;
	ev->reason = reason;
	ev->peer_id = peer_id;
	ev->qlen = qlen;
	ev->qmax = READ_ONCE(listener->sk_max_ack_backlog);
	tcpstate_event_send(net, ev);
}

/* ---- SYN queue ---- */

struct tcpstate_req_args {
	struct sock *listener;
	struct request_sock *req;
	struct sock *other;
	bool flag;
};

/*
 * inet_csk_reqsk_queue_hash_add(sk, req, ...): bool since the fix for
 * duplicate request socks on identical SYNs (6.1.y by backport), void
 * before, when the insert could not fail. Kbuild tells which.
 */
static bool tcpstate_hash_add_succeeded(struct pt_regs *regs)
{
#ifdef TCPSTATE_HAVE_HASH_ADD_BOOL
	return regs_return_value(regs) & 0xff;
#else
	return true;
#endif
}

static int tcpstate_hash_add_entry(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->listener = (struct sock *)arg(regs, 0);
	a->req = (struct request_sock *)arg(regs, 1);
	return !tcpstate_is_tcp(a->listener);
}

static int tcpstate_hash_add_ret(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	/* The caller holds @req; its timer is pinned to this CPU. */
	if (tcpstate_hash_add_succeeded(regs))
		tcpstate_report_syn_recv(a->req, a->listener);
	return 0;
}

/*
 * Set while inet_csk_complete_hashdance() runs on this CPU (softirq):
 * where the compiler left its inet_csk_reqsk_queue_add() out of line (5.10)
 * that hook must not report the child a second time.
 */
static DEFINE_PER_CPU(bool, tcpstate_in_complete);

/*
 * struct sock *inet_csk_complete_hashdance(sk, child, req, own_req): with
 * own_req the child has just replaced @req in the established hash; the
 * child then joins @sk's accept queue (inet_csk_reqsk_queue_add(), inlined
 * here but on 5.10) and is returned, or is dropped and NULL returned.
 */
static int tcpstate_complete_entry(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *child = (struct sock *)arg(regs, 1);
	u32 qlen;

	a->listener = (struct sock *)arg(regs, 0);
	a->req = (struct request_sock *)arg(regs, 2);
	if (!(arg(regs, 3) & 0xff) || !tcpstate_is_tcp(a->listener))
		return 1;
	this_cpu_write(tcpstate_in_complete, true);
	/* The SYN queue drops @req right after this. */
	qlen = tcpstate_synq_len(a->req->rsk_listener);
	tcpstate_report_syn_recv_end(a->req, a->req->rsk_listener,
				     TCPSTATE_SRE_COMPLETED,
				     tcpstate_sock_id(child),
				     qlen ? qlen - 1 : 0);
	return 0;
}

static void tcpstate_report_accept_queued(struct sock *listener,
					  struct sock *child)
{
	struct tcpstate_event buf, *ev;

	tcpstate_count(sock_net(listener), TCPSTATE_C_ACCEPT_QUEUED, 1);
	ev = tcpstate_event_begin(&buf, sock_net(listener),
				  TCPSTATE_EV_ACCEPT_QUEUED);
	if (!ev)
		return;
	ev->sock_id = tcpstate_sock_id(child);
	ev->peer_id = tcpstate_sock_id(listener);
	ev->qlen = READ_ONCE(listener->sk_ack_backlog);
	ev->qmax = READ_ONCE(listener->sk_max_ack_backlog);
	tcpstate_event_tuple_sk(ev, child);
	tcpstate_event_send(sock_net(listener), ev);
}

static int tcpstate_complete_ret(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *child = (struct sock *)regs_return_value(regs);

	this_cpu_write(tcpstate_in_complete, false);
	/* The caller holds the returned child, locked. */
	if (child)
		tcpstate_report_accept_queued(a->listener, child);
	return 0;
}

/*
 * bool __inet_csk_reqsk_queue_drop(sk, req, from_timer): every unlink of a
 * request sock from the established hash, but for the child replacing it.
 * Its callers hold @req, so it is still there on return.
 */
static int tcpstate_reqsk_drop_entry(struct kretprobe_instance *ri,
				     struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->listener = (struct sock *)arg(regs, 0);
	a->req = (struct request_sock *)arg(regs, 1);
	a->flag = arg(regs, 2) & 0xff;
	return !tcpstate_is_tcp(a->listener);
}

/*
 * The request sock whose timer is running on this CPU: where
 * __inet_csk_reqsk_queue_drop() does not exist (5.10), the unlink hook
 * below learns from it that the timer dropped the request sock.
 */
static DEFINE_PER_CPU(struct request_sock *, tcpstate_req_expiring);

/* static void reqsk_timer_handler(struct timer_list *t) */
static int tcpstate_req_timer_entry(struct kretprobe_instance *ri,
				    struct pt_regs *regs)
{
	struct timer_list *t = (struct timer_list *)arg(regs, 0);

	this_cpu_write(tcpstate_req_expiring,
		       container_of(t, struct request_sock, rsk_timer));
	return 0;
}

static int tcpstate_req_timer_ret(struct kretprobe_instance *ri,
				  struct pt_regs *regs)
{
	this_cpu_write(tcpstate_req_expiring, NULL);
	return 0;
}

/*
 * static bool reqsk_queue_unlink(req), the unlink itself, on kernels
 * without __inet_csk_reqsk_queue_drop() (5.10): there
 * inet_csk_reqsk_queue_drop() is split by the compiler and the timer and
 * inet_csk_reqsk_queue_drop_and_put() call this directly.
 */
static int tcpstate_reqsk_unlink_entry(struct kretprobe_instance *ri,
				       struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->req = (struct request_sock *)arg(regs, 0);
	a->listener = a->req->rsk_listener;
	a->flag = this_cpu_read(tcpstate_req_expiring) == a->req;
	return !tcpstate_is_tcp(a->listener);
}

static int tcpstate_reqsk_drop_ret(struct kretprobe_instance *ri,
				   struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	enum tcpstate_syn_recv_end reason;

	if (!(regs_return_value(regs) & 0xff))
		return 0;
	if (inet_sk_state_load(a->listener) != TCP_LISTEN)
		reason = TCPSTATE_SRE_LISTENER_CLOSED;
	else if (a->flag)
		reason = TCPSTATE_SRE_EXPIRED;
	else
		reason = TCPSTATE_SRE_DROPPED;
	tcpstate_report_syn_recv_end(a->req, a->listener, reason,
				     tcpstate_sock_id(a->listener),
				     tcpstate_synq_len(a->listener));
	return 0;
}

/*
 * bool inet_ehash_insert(sk, osk, found_dup_sk): one request sock taking
 * another's place is a migration to another SO_REUSEPORT listener
 * (reqsk_timer_handler()). Anything else returns at once.
 */
static int tcpstate_ehash_insert_entry(struct kretprobe_instance *ri,
				       struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *nsk = (struct sock *)arg(regs, 0);
	struct sock *osk = (struct sock *)arg(regs, 1);

	if (!osk || osk->sk_state != TCP_NEW_SYN_RECV ||
	    nsk->sk_state != TCP_NEW_SYN_RECV)
		return 1;
	a->req = inet_reqsk(nsk);
	a->listener = a->req->rsk_listener;
	a->other = osk;
	return !tcpstate_is_tcp(a->listener);
}

static int tcpstate_ehash_insert_ret(struct kretprobe_instance *ri,
				     struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct request_sock *oreq = inet_reqsk(a->other);

	if (!(regs_return_value(regs) & 0xff))
		return 0;
	tcpstate_report_syn_recv_end(oreq, oreq->rsk_listener,
				     TCPSTATE_SRE_MIGRATED,
				     tcpstate_sock_id(a->req),
				     tcpstate_synq_len(oreq->rsk_listener));
	/* The new request sock replaces the old one: the gauge stays. */
	tcpstate_count(sock_net(a->listener), TCPSTATE_C_SYN_RECV, -1);
	tcpstate_report_syn_recv(a->req, a->listener);
	return 0;
}

/*
 * struct sock *inet_csk_reqsk_queue_add(sk, req, child), called out of line
 * for TCP Fast Open and SYN cookie children (inlined for the others).
 */
static int tcpstate_acceptq_add_entry(struct kretprobe_instance *ri,
				      struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->listener = (struct sock *)arg(regs, 0);
	return !tcpstate_is_tcp(a->listener) ||
	       this_cpu_read(tcpstate_in_complete);
}

static int tcpstate_acceptq_add_ret(struct kretprobe_instance *ri,
				    struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *child = (struct sock *)regs_return_value(regs);

	if (child)
		tcpstate_report_accept_queued(a->listener, child);
	return 0;
}

/* ---- listen drops ----
 *
 * The kernel counts listen drops in several places, inline. Each one is
 * inside one of the functions below, which run in softirq on one CPU: the
 * change of this CPU's share of the namespace's TcpExt counters between
 * entry and return is exactly what that call did.
 */

enum tcpstate_mib {
	TCPSTATE_MIB_OVERFLOWS,
	TCPSTATE_MIB_DROPS,
	TCPSTATE_MIB_QFULL_DROPS,
	TCPSTATE_MIB_COOKIES,
	TCPSTATE_NR_MIBS,
};

static const int tcpstate_mib_index[TCPSTATE_NR_MIBS] = {
	[TCPSTATE_MIB_OVERFLOWS] = LINUX_MIB_LISTENOVERFLOWS,
	[TCPSTATE_MIB_DROPS] = LINUX_MIB_LISTENDROPS,
	[TCPSTATE_MIB_QFULL_DROPS] = LINUX_MIB_TCPREQQFULLDROP,
	[TCPSTATE_MIB_COOKIES] = LINUX_MIB_SYNCOOKIESSENT,
};

struct tcpstate_mib_args {
	struct sock *listener;
	struct net *net;
	unsigned long mib[TCPSTATE_NR_MIBS];
	int cpu;
	/* The event to send if the call dropped something. */
	struct tcpstate_event ev;
};

/* tcp_v6_conn_request() hands IPv4 SYNs to tcp_v4_conn_request(). */
static DEFINE_PER_CPU(bool, tcpstate_in_listen_call);

static void tcpstate_mib_snapshot(struct tcpstate_mib_args *a)
{
	unsigned int i;

	for (i = 0; i < TCPSTATE_NR_MIBS; i++)
		a->mib[i] = this_cpu_read(a->net->mib.net_statistics->mibs[tcpstate_mib_index[i]]);
}

/* Start watching a call on @listener; false if another one is watched. */
static bool tcpstate_listen_call_begin(struct tcpstate_mib_args *a,
				       struct sock *listener)
{
	if (!tcpstate_is_tcp(listener) || this_cpu_read(tcpstate_in_listen_call))
		return false;
	this_cpu_write(tcpstate_in_listen_call, true);
	memset(&a->ev, 0, sizeof(a->ev));
	a->listener = listener;
	a->net = sock_net(listener);
	a->cpu = smp_processor_id();
	tcpstate_mib_snapshot(a);
	return true;
}

/* Account what the call did; returns the drop reason, or 0 for none. */
static int tcpstate_listen_call_end(struct tcpstate_mib_args *a,
				    unsigned long *cookies)
{
	unsigned long delta[TCPSTATE_NR_MIBS], before[TCPSTATE_NR_MIBS];
	const struct net *net = a->net;
	unsigned int i;

	this_cpu_write(tcpstate_in_listen_call, false);
	/*
	 * These run in softirq, which does not migrate; were one ever called
	 * where it could, another CPU's counters would tell nothing.
	 */
	if (a->cpu != smp_processor_id())
		return 0;
	memcpy(before, a->mib, sizeof(before));
	tcpstate_mib_snapshot(a);
	for (i = 0; i < TCPSTATE_NR_MIBS; i++)
		delta[i] = a->mib[i] - before[i];

	tcpstate_count(net, TCPSTATE_C_ACCEPT_OVERFLOWS, delta[TCPSTATE_MIB_OVERFLOWS]);
	tcpstate_count(net, TCPSTATE_C_LISTEN_DROPS, delta[TCPSTATE_MIB_DROPS]);
	tcpstate_count(net, TCPSTATE_C_SYN_QUEUE_FULL_DROPS,
		       delta[TCPSTATE_MIB_QFULL_DROPS]);
	tcpstate_count(net, TCPSTATE_C_SYNCOOKIES_SENT, delta[TCPSTATE_MIB_COOKIES]);
	*cookies = delta[TCPSTATE_MIB_COOKIES];

	if (!delta[TCPSTATE_MIB_DROPS])
		return 0;
	if (delta[TCPSTATE_MIB_OVERFLOWS])
		return TCPSTATE_DROP_ACCEPT_QUEUE_FULL;
	if (delta[TCPSTATE_MIB_QFULL_DROPS])
		return TCPSTATE_DROP_SYN_QUEUE_FULL;
	return TCPSTATE_DROP_OTHER;
}

static void tcpstate_send_prepared(const struct tcpstate_mib_args *a, u16 type,
				   int reason)
{
	struct tcpstate_event buf, *ev;

	ev = tcpstate_event_begin(&buf, a->net, type);
	if (!ev)
		return;
	*ev = a->ev;
	ev->netns = a->net->ns.inum;
	ev->type = type;
	ev->reason = reason;
	if (reason == TCPSTATE_DROP_ACCEPT_QUEUE_FULL) {
		ev->qlen = READ_ONCE(a->listener->sk_ack_backlog);
		ev->qmax = READ_ONCE(a->listener->sk_max_ack_backlog);
	} else if (reason) {
		ev->qlen = tcpstate_synq_len(a->listener);
		ev->qmax = READ_ONCE(a->listener->sk_max_ack_backlog);
	}
	tcpstate_event_send(a->net, ev);
}

/* int tcp_v{4,6}_conn_request(sk, skb): a SYN reached a listener. */
static int tcpstate_conn_request_entry(struct kretprobe_instance *ri,
				       struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	struct sk_buff *skb = (struct sk_buff *)arg(regs, 1);
	const struct tcphdr *th = tcp_hdr(skb);

	if (!tcpstate_listen_call_begin(a, (struct sock *)arg(regs, 0)))
		return 1;
	a->ev.peer_id = tcpstate_sock_id(a->listener);
	a->ev.sport = ntohs(th->dest);
	a->ev.dport = ntohs(th->source);
	if (skb->protocol == htons(ETH_P_IP)) {
		a->ev.family = AF_INET;
		memcpy(a->ev.saddr, &ip_hdr(skb)->daddr, 4);
		memcpy(a->ev.daddr, &ip_hdr(skb)->saddr, 4);
	} else {
		a->ev.family = AF_INET6;
		memcpy(a->ev.saddr, &ipv6_hdr(skb)->daddr, 16);
		memcpy(a->ev.daddr, &ipv6_hdr(skb)->saddr, 16);
	}
	return 0;
}

static int tcpstate_conn_request_ret(struct kretprobe_instance *ri,
				     struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	unsigned long cookies;
	int reason;

	reason = tcpstate_listen_call_end(a, &cookies);
	if (reason)
		tcpstate_send_prepared(a, TCPSTATE_EV_SYN_DROP, reason);
	if (cookies)
		tcpstate_send_prepared(a, TCPSTATE_EV_SYNCOOKIE_SENT, 0);
	return 0;
}

/*
 * struct sock *tcp_v{4,6}_syn_recv_sock(sk, skb, req, ...): the third ACK
 * (or a valid SYN cookie) asks for a child socket.
 */
static int tcpstate_syn_recv_sock_entry(struct kretprobe_instance *ri,
					struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	struct request_sock *req = (struct request_sock *)arg(regs, 2);

	if (!tcpstate_listen_call_begin(a, (struct sock *)arg(regs, 0)))
		return 1;
	a->ev.sock_id = tcpstate_sock_id(req);
	a->ev.peer_id = tcpstate_sock_id(a->listener);
	a->ev.count = req->num_retrans;
	tcpstate_event_tuple_common(&a->ev, &req->__req_common);
	return 0;
}

static int tcpstate_syn_recv_sock_ret(struct kretprobe_instance *ri,
				      struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	unsigned long cookies;
	int reason;

	reason = tcpstate_listen_call_end(a, &cookies);
	if (reason)
		tcpstate_send_prepared(a, TCPSTATE_EV_ACK_DROP, reason);
	return 0;
}

/*
 * void tcp_req_err(sk, seq, abort): an ICMP error aborted a request sock
 * (reported by the unlink hook); the kernel counts a listen drop too.
 */
static int tcpstate_req_err_entry(struct kretprobe_instance *ri,
				  struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	struct request_sock *req = inet_reqsk((struct sock *)arg(regs, 0));

	return !tcpstate_listen_call_begin(a, req->rsk_listener);
}

static int tcpstate_req_err_ret(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	unsigned long cookies;

	tcpstate_listen_call_end(a, &cookies);
	return 0;
}

/* ---- timewait ---- */

/* A timewait sock whose timer is firing on this CPU, and the last one a
 * segment was processed for; they tell why inet_twsk_kill() is called.
 */
static DEFINE_PER_CPU(struct inet_timewait_sock *, tcpstate_tw_expiring);
static DEFINE_PER_CPU(struct inet_timewait_sock *, tcpstate_tw_segment);
static DEFINE_PER_CPU(bool, tcpstate_tw_segment_rst);
static DEFINE_PER_CPU(u8, tcpstate_tw_segment_substate);

static bool tcpstate_is_tcp_tw(const struct inet_timewait_sock *tw)
{
	return tw->tw_dr == &twsk_net(tw)->ipv4.tcp_death_row;
}

static struct tcpstate_event *tcpstate_tw_event(struct tcpstate_event *buf,
						u16 type,
						const struct inet_timewait_sock *tw)
{
	struct tcpstate_event *ev;

	ev = tcpstate_event_begin(buf, twsk_net(tw), type);
	if (!ev)
		return NULL;
	ev->sock_id = tcpstate_sock_id(tw);
	ev->newstate = tw->tw_substate;
	tcpstate_event_tuple_common(ev, &tw->__tw_common);
	return ev;
}

/*
 * inet_twsk_hashdance(tw, sk, hashinfo), or, since the timewait timer is
 * armed under the hash lock, inet_twsk_hashdance_schedule(tw, sk,
 * hashinfo, timeo): @tw takes over from @sk. The TIME_WAIT gauge moves in
 * __inet_twsk_schedule() instead: inet_twsk_hashdance_schedule() is
 * entered with BHs on, and the gauge must move in the BH-disabled section
 * of the hash insert (counters.c's seeding relies on it).
 */
static int tcpstate_tw_hashdance(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)arg(regs, 0);
	struct sock *sk = (struct sock *)arg(regs, 1);
	struct tcpstate_event buf, *ev;

	if (!tcpstate_is_tcp(sk))
		return 0;
	tcpstate_count(sock_net(sk), TCPSTATE_C_TIMEWAIT_CREATED, 1);
	ev = tcpstate_tw_event(&buf, TCPSTATE_EV_TIMEWAIT, tw);
	if (!ev)
		return 0;
	ev->peer_id = tcpstate_sock_id(sk);
	ev->oldstate = sk->sk_state;
	tcpstate_event_send(sock_net(sk), ev);
	return 0;
}

/* static void tw_timer_handler(struct timer_list *t) */
static int tcpstate_tw_timer(struct kprobe *p, struct pt_regs *regs)
{
	struct timer_list *t = (struct timer_list *)arg(regs, 0);

	this_cpu_write(tcpstate_tw_expiring,
		       container_of(t, struct inet_timewait_sock, tw_timer));
	return 0;
}

/* tcp_timewait_state_process(tw, skb, th): a segment for @tw arrived. */
static int tcpstate_tw_segment_seen(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)arg(regs, 0);
	const struct tcphdr *th = (const struct tcphdr *)arg(regs, 2);

	this_cpu_write(tcpstate_tw_segment, tw);
	this_cpu_write(tcpstate_tw_segment_rst, th->rst);
	this_cpu_write(tcpstate_tw_segment_substate, tw->tw_substate);
	return 0;
}

/*
 * __inet_twsk_schedule(tw, timeo, rearm). Not rearmed: @tw is being
 * created, in the BH-disabled section that hashes it (tcp_time_wait()
 * before inet_twsk_hashdance(), or inet_twsk_hashdance_schedule() under
 * the hash lock), so the TIME_WAIT gauge moves here. Rearmed while a
 * segment for @tw is processed that found it in FIN_WAIT2 and left it in
 * TIME_WAIT: the peer's FIN (tcp_timewait_state_process()).
 */
static int tcpstate_tw_scheduled(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)arg(regs, 0);
	struct tcpstate_event buf, *ev;

	if (!(arg(regs, 2) & 0xff)) {
		if (tcpstate_is_tcp_tw(tw))
			tcpstate_count(twsk_net(tw), TCPSTATE_C_TIME_WAIT, 1);
		return 0;
	}
	if (this_cpu_read(tcpstate_tw_segment) != tw ||
	    this_cpu_read(tcpstate_tw_segment_substate) != TCP_FIN_WAIT2 ||
	    tw->tw_substate != TCP_TIME_WAIT || !tcpstate_is_tcp_tw(tw))
		return 0;
	this_cpu_write(tcpstate_tw_segment_substate, TCP_TIME_WAIT);
	ev = tcpstate_tw_event(&buf, TCPSTATE_EV_TIMEWAIT_SUBSTATE, tw);
	if (!ev)
		return 0;
	ev->oldstate = TCP_FIN_WAIT2;
	tcpstate_event_send(twsk_net(tw), ev);
	return 0;
}

/* static void inet_twsk_kill(tw): every timewait sock ends here. */
static int tcpstate_tw_kill(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)arg(regs, 0);
	const struct net *net = twsk_net(tw);
	enum tcpstate_timewait_end reason;
	struct tcpstate_event buf, *ev;

	if (!tcpstate_is_tcp_tw(tw))
		return 0;
	if (this_cpu_read(tcpstate_tw_expiring) == tw) {
		reason = TCPSTATE_TWE_EXPIRED;
		this_cpu_write(tcpstate_tw_expiring, NULL);
	} else if (!check_net(net)) {
		reason = TCPSTATE_TWE_NETNS_EXIT;
	} else if (this_cpu_read(tcpstate_tw_segment) == tw &&
		   this_cpu_read(tcpstate_tw_segment_rst)) {
		reason = TCPSTATE_TWE_RST;
	} else {
		/* A SYN for its tuple, or a connect() taking its port. */
		reason = TCPSTATE_TWE_REUSED;
	}
	if (this_cpu_read(tcpstate_tw_segment) == tw)
		this_cpu_write(tcpstate_tw_segment, NULL);

	tcpstate_count(net, TCPSTATE_C_TIME_WAIT, -1);
	tcpstate_count(net, reason == TCPSTATE_TWE_EXPIRED ?
			    TCPSTATE_C_TIMEWAIT_EXPIRED :
			    TCPSTATE_C_TIMEWAIT_ENDED_EARLY, 1);
	ev = tcpstate_tw_event(&buf, TCPSTATE_EV_TIMEWAIT_END, tw);
	if (!ev)
		return 0;
	ev->reason = reason;
	tcpstate_event_send(net, ev);
	return 0;
}

/* ---- attach=kprobe: the two tracepoints' events from their functions ---- */

/* inet_sk_set_state(sk, state) and inet_sk_state_store(sk, newstate) */
static int tcpstate_kp_set_state(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)arg(regs, 0);

	tcpstate_report_state(sk, sk->sk_state, (int)arg(regs, 1));
	return 0;
}

/* int tcp_rtx_synack(const struct sock *sk, struct request_sock *req) */
static int tcpstate_kp_rtx_synack(struct kprobe *p, struct pt_regs *regs)
{
	tcpstate_report_synack_retrans((const struct sock *)arg(regs, 0),
				       (const struct request_sock *)arg(regs, 1));
	return 0;
}

/* ---- the table ---- */

enum tcpstate_hook_use {
	TCPSTATE_HOOK_ALWAYS,
	TCPSTATE_HOOK_KPROBE_MODE,	/* stands in for a tracepoint */
	TCPSTATE_HOOK_WITH_PREVIOUS,	/* only if the row before is hooked */
};

/*
 * A hook point that kernels name or build differently is a run of rows
 * with the same alternative: the first row whose function can be probed
 * is hooked and the rest skipped; only when none can is that an error.
 */
enum tcpstate_hook_alt {
	TCPSTATE_ALT_NONE,
	TCPSTATE_ALT_REQSK_UNLINK,
	TCPSTATE_ALT_TW_HASHDANCE,
};

struct tcpstate_hook {
	enum tcpstate_hook_use use;
	enum tcpstate_hook_alt alt;
	bool is_kretprobe;
	bool registered;
	bool skipped;		/* named by skip_hooks= */
	union {
		struct kprobe kp;
		struct kretprobe krp;
	};
};

#define TCPSTATE_KPROBE_ALT(sym, fn, when, alternative) {		\
	.use = when,							\
	.alt = alternative,						\
	.kp = { .symbol_name = sym, .pre_handler = fn },		\
}

#define TCPSTATE_KPROBE(sym, fn, when)					\
	TCPSTATE_KPROBE_ALT(sym, fn, when, TCPSTATE_ALT_NONE)

#define TCPSTATE_KRETPROBE_ROW(sym, entry, ret, args, when, alternative) { \
	.use = when,							\
	.alt = alternative,						\
	.is_kretprobe = true,						\
	.krp = {							\
		.kp.symbol_name = sym,					\
		.entry_handler = entry,					\
		.handler = ret,						\
		.data_size = sizeof(struct args),			\
	},								\
}

#define TCPSTATE_KRETPROBE_ALT(sym, entry, ret, args, alternative)	\
	TCPSTATE_KRETPROBE_ROW(sym, entry, ret, args, TCPSTATE_HOOK_ALWAYS, \
			       alternative)

#define TCPSTATE_KRETPROBE(sym, entry, ret, args)			\
	TCPSTATE_KRETPROBE_ALT(sym, entry, ret, args, TCPSTATE_ALT_NONE)

static struct tcpstate_hook tcpstate_hooks[] = {
	TCPSTATE_KRETPROBE("inet_csk_reqsk_queue_hash_add",
			   tcpstate_hash_add_entry, tcpstate_hash_add_ret,
			   tcpstate_req_args),
	TCPSTATE_KRETPROBE("inet_csk_complete_hashdance",
			   tcpstate_complete_entry, tcpstate_complete_ret,
			   tcpstate_req_args),
	TCPSTATE_KRETPROBE_ALT("__inet_csk_reqsk_queue_drop",
			       tcpstate_reqsk_drop_entry, tcpstate_reqsk_drop_ret,
			       tcpstate_req_args, TCPSTATE_ALT_REQSK_UNLINK),
	TCPSTATE_KRETPROBE_ALT("reqsk_queue_unlink",
			       tcpstate_reqsk_unlink_entry, tcpstate_reqsk_drop_ret,
			       tcpstate_req_args, TCPSTATE_ALT_REQSK_UNLINK),
	/*
	 * Tells reqsk_queue_unlink's hook the timer's drops, so only with it
	 * (hooked just after it: a drop in between is not called an expiry).
	 */
	TCPSTATE_KRETPROBE_ROW("reqsk_timer_handler",
			       tcpstate_req_timer_entry, tcpstate_req_timer_ret,
			       tcpstate_req_args, TCPSTATE_HOOK_WITH_PREVIOUS,
			       TCPSTATE_ALT_NONE),
	TCPSTATE_KRETPROBE("inet_ehash_insert",
			   tcpstate_ehash_insert_entry, tcpstate_ehash_insert_ret,
			   tcpstate_req_args),
	TCPSTATE_KRETPROBE("inet_csk_reqsk_queue_add",
			   tcpstate_acceptq_add_entry, tcpstate_acceptq_add_ret,
			   tcpstate_req_args),
	TCPSTATE_KRETPROBE("tcp_v4_conn_request",
			   tcpstate_conn_request_entry, tcpstate_conn_request_ret,
			   tcpstate_mib_args),
	TCPSTATE_KRETPROBE("tcp_v6_conn_request",
			   tcpstate_conn_request_entry, tcpstate_conn_request_ret,
			   tcpstate_mib_args),
	TCPSTATE_KRETPROBE("tcp_v4_syn_recv_sock",
			   tcpstate_syn_recv_sock_entry, tcpstate_syn_recv_sock_ret,
			   tcpstate_mib_args),
	TCPSTATE_KRETPROBE("tcp_v6_syn_recv_sock",
			   tcpstate_syn_recv_sock_entry, tcpstate_syn_recv_sock_ret,
			   tcpstate_mib_args),
	TCPSTATE_KRETPROBE("tcp_req_err",
			   tcpstate_req_err_entry, tcpstate_req_err_ret,
			   tcpstate_mib_args),
	TCPSTATE_KPROBE_ALT("inet_twsk_hashdance_schedule", tcpstate_tw_hashdance,
			    TCPSTATE_HOOK_ALWAYS, TCPSTATE_ALT_TW_HASHDANCE),
	TCPSTATE_KPROBE_ALT("inet_twsk_hashdance", tcpstate_tw_hashdance,
			    TCPSTATE_HOOK_ALWAYS, TCPSTATE_ALT_TW_HASHDANCE),
	TCPSTATE_KPROBE("tw_timer_handler", tcpstate_tw_timer,
			TCPSTATE_HOOK_ALWAYS),
	TCPSTATE_KPROBE("tcp_timewait_state_process", tcpstate_tw_segment_seen,
			TCPSTATE_HOOK_ALWAYS),
	TCPSTATE_KPROBE("inet_twsk_kill", tcpstate_tw_kill,
			TCPSTATE_HOOK_ALWAYS),
	TCPSTATE_KPROBE("__inet_twsk_schedule", tcpstate_tw_scheduled,
			TCPSTATE_HOOK_ALWAYS),
	TCPSTATE_KPROBE("inet_sk_set_state", tcpstate_kp_set_state,
			TCPSTATE_HOOK_KPROBE_MODE),
	TCPSTATE_KPROBE("inet_sk_state_store", tcpstate_kp_set_state,
			TCPSTATE_HOOK_KPROBE_MODE),
	TCPSTATE_KPROBE("tcp_rtx_synack", tcpstate_kp_rtx_synack,
			TCPSTATE_HOOK_KPROBE_MODE),
};

/*
 * The prototypes the handlers read their arguments by, checked against
 * the kernel's declarations where a header has one (static functions have
 * none): a changed signature breaks the build instead of reading the wrong
 * registers. Where kernels differ, Kbuild's feature tests pick the form.
 */
#define TCPSTATE_ASSERT_PROTO(fn, type)					\
	static_assert(__same_type(&(fn), type),				\
		      #fn "() is not the prototype tcpstate reads")

#if defined(TCPSTATE_HAVE_HASH_ADD_BOOL) && defined(TCPSTATE_HAVE_HASH_ADD_TIMEOUT)
TCPSTATE_ASSERT_PROTO(inet_csk_reqsk_queue_hash_add,
		      bool (*)(struct sock *, struct request_sock *, unsigned long));
#elif defined(TCPSTATE_HAVE_HASH_ADD_BOOL)
TCPSTATE_ASSERT_PROTO(inet_csk_reqsk_queue_hash_add,
		      bool (*)(struct sock *, struct request_sock *));
#else
TCPSTATE_ASSERT_PROTO(inet_csk_reqsk_queue_hash_add,
		      void (*)(struct sock *, struct request_sock *, unsigned long));
#endif
TCPSTATE_ASSERT_PROTO(inet_csk_complete_hashdance,
		      struct sock * (*)(struct sock *, struct sock *,
					struct request_sock *, bool));
TCPSTATE_ASSERT_PROTO(inet_ehash_insert,
		      bool (*)(struct sock *, struct sock *, bool *));
TCPSTATE_ASSERT_PROTO(inet_csk_reqsk_queue_add,
		      struct sock * (*)(struct sock *, struct request_sock *, struct sock *));
TCPSTATE_ASSERT_PROTO(tcp_v4_conn_request,
		      int (*)(struct sock *, struct sk_buff *));
TCPSTATE_ASSERT_PROTO(tcp_req_err,
		      void (*)(struct sock *, u32, bool));
#ifdef TCPSTATE_HAVE_TWSK_HASHDANCE_SCHEDULE
TCPSTATE_ASSERT_PROTO(inet_twsk_hashdance_schedule,
		      void (*)(struct inet_timewait_sock *, struct sock *,
			       struct inet_hashinfo *, int));
#else
TCPSTATE_ASSERT_PROTO(inet_twsk_hashdance,
		      void (*)(struct inet_timewait_sock *, struct sock *,
			       struct inet_hashinfo *));
#endif
TCPSTATE_ASSERT_PROTO(__inet_twsk_schedule,
		      void (*)(struct inet_timewait_sock *, int, bool));
TCPSTATE_ASSERT_PROTO(inet_sk_set_state,
		      void (*)(struct sock *, int));
TCPSTATE_ASSERT_PROTO(inet_sk_state_store,
		      void (*)(struct sock *, int));
TCPSTATE_ASSERT_PROTO(tcp_rtx_synack,
		      int (*)(const struct sock *, struct request_sock *));

static const char *tcpstate_hook_name(const struct tcpstate_hook *h)
{
	return h->is_kretprobe ? h->krp.kp.symbol_name : h->kp.symbol_name;
}

/*
 * skip_hooks=NAME[,NAME...]: rows of the table not to hook, so that the
 * next row of their alternative run is taken as on a kernel that lacks
 * them (the selftests exercise every row so; a user can step around a
 * function that misbehaves). Read-only once loaded.
 */
static int tcpstate_set_skip_hooks(const char *val, const struct kernel_param *kp)
{
	char *list, *cur, *name;
	unsigned int i;
	int err = 0;

	list = kstrdup(val, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++)
		tcpstate_hooks[i].skipped = false;
	cur = strim(list);
	while ((name = strsep(&cur, ",")) != NULL) {
		bool found = false;

		if (!*name)
			continue;
		for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
			if (!strcmp(name, tcpstate_hook_name(&tcpstate_hooks[i]))) {
				tcpstate_hooks[i].skipped = true;
				found = true;
			}
		}
		if (!found) {
			pr_err("skip_hooks: no hook named '%s' (see /sys/class/misc/tcpstate/hooks)\n",
			       name);
			err = -EINVAL;
			break;
		}
	}
	kfree(list);
	return err;
}

static int tcpstate_get_skip_hooks(char *buf, const struct kernel_param *kp)
{
	unsigned int i;
	ssize_t at = 0;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++)
		if (tcpstate_hooks[i].skipped)
			at += sysfs_emit_at(buf, at, "%s%s", at ? "," : "",
					    tcpstate_hook_name(&tcpstate_hooks[i]));
	return at + sysfs_emit_at(buf, at, "\n");
}

static const struct kernel_param_ops tcpstate_skip_hooks_ops = {
	.set = tcpstate_set_skip_hooks,
	.get = tcpstate_get_skip_hooks,
};

module_param_cb(skip_hooks, &tcpstate_skip_hooks_ops, NULL, 0444);
__MODULE_PARM_TYPE(skip_hooks, "charp");
MODULE_PARM_DESC(skip_hooks,
		 "Comma-separated hook functions not to probe, so that the next alternative is taken (default: none)");

/* The row of @h's alternative run that is hooked, if any. */
static const struct tcpstate_hook *tcpstate_alt_hooked(const struct tcpstate_hook *h)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++)
		if (tcpstate_hooks[i].alt == h->alt && tcpstate_hooks[i].registered)
			return &tcpstate_hooks[i];
	return NULL;
}

/* The first row of @h's alternative run: the name the kernel used to use. */
static const struct tcpstate_hook *tcpstate_alt_first(const struct tcpstate_hook *h)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++)
		if (tcpstate_hooks[i].alt == h->alt)
			return &tcpstate_hooks[i];
	return h;
}

/* Whether a row after @h belongs to its alternative run. */
static bool tcpstate_alt_after(const struct tcpstate_hook *h)
{
	const struct tcpstate_hook *end = tcpstate_hooks + ARRAY_SIZE(tcpstate_hooks);
	const struct tcpstate_hook *next;

	for (next = h + 1; next < end; next++)
		if (next->alt == h->alt)
			return true;
	return false;
}

/* One line per hooked function, "kprobe NAME" or "kretprobe NAME". */
ssize_t tcpstate_kprobes_show(char *buf, ssize_t at)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		const struct tcpstate_hook *h = &tcpstate_hooks[i];

		if (h->registered)
			at += sysfs_emit_at(buf, at, "%s %s\n",
					    h->is_kretprobe ? "kretprobe" : "kprobe",
					    tcpstate_hook_name(h));
	}
	return at;
}

void tcpstate_kprobes_detach(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		struct tcpstate_hook *h = &tcpstate_hooks[i];

		if (!h->registered)
			continue;
		if (h->is_kretprobe) {
			unregister_kretprobe(&h->krp);
			if (h->krp.nmissed)
				pr_warn("%s: %d calls missed (no free kretprobe instance)\n",
					tcpstate_hook_name(h), h->krp.nmissed);
		} else {
			unregister_kprobe(&h->kp);
		}
		h->registered = false;
	}
}

/* @kprobe_mode: also hook what the two tracepoints would report. */
int tcpstate_kprobes_attach(bool kprobe_mode)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		struct tcpstate_hook *h = &tcpstate_hooks[i];

		if (h->use == TCPSTATE_HOOK_KPROBE_MODE && !kprobe_mode)
			continue;
		if (h->use == TCPSTATE_HOOK_WITH_PREVIOUS && (i == 0 || !(h - 1)->registered))
			continue;
		if (h->alt && tcpstate_alt_hooked(h))
			continue;
		if (h->skipped) {
			err = -ENOENT;
		} else {
			if (h->is_kretprobe)
				err = register_kretprobe(&h->krp);
			else
				err = register_kprobe(&h->kp);
		}
		if (!err) {
			h->registered = true;
			if (h->alt && tcpstate_alt_first(h) != h)
				pr_info("hooked %s: this kernel has no %s%s\n",
					tcpstate_hook_name(h),
					tcpstate_hook_name(tcpstate_alt_first(h)),
					tcpstate_alt_first(h)->skipped ?
					" (skip_hooks)" : "");
			continue;
		}
		/* Not there, or not probeable (inlined, blacklisted). */
		if (h->alt && (err == -ENOENT || err == -EINVAL) &&
		    tcpstate_alt_after(h))
			continue;
		pr_err("cannot hook %s%s%s: %d%s\n", tcpstate_hook_name(h),
		       h->alt ? " nor " : "",
		       h->alt ? tcpstate_hook_name(tcpstate_alt_first(h)) : "", err,
		       h->skipped ? " (skip_hooks)" :
		       err == -ENOENT || err == -EINVAL ?
		       " (not in this kernel, or not probeable)" : "");
		goto out_detach;
	}
	return 0;

out_detach:
	tcpstate_kprobes_detach();
	return err;
}
