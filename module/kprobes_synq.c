// SPDX-License-Identifier: GPL-2.0
/*
 * Request socks entering and leaving the SYN queue, and children joining
 * the accept queue: the SYN_RECV gauge and the SYN and accept queue
 * events. Each hook that moves the gauge runs in the same BH-disabled
 * section as the hash insert or unlink it reports; seed.c relies on
 * that. Rows of the hook table in kprobes.c.
 */
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <net/inet_connection_sock.h>
#include <net/request_sock.h>
#include <net/tcp.h>

#include "internal.h"
#include "kprobes.h"

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

	tcpstate_gauge_move(sock_net(listener), TCPSTATE_C_SYN_RECV, req, 1);
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

	tcpstate_gauge_move(net, TCPSTATE_C_SYN_RECV, req, -1);
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

int tcpstate_hash_add_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->listener = (struct sock *)tcpstate_arg(regs, 0);
	a->req = (struct request_sock *)tcpstate_arg(regs, 1);
	return !tcpstate_is_tcp(a->listener);
}

int tcpstate_hash_add_ret(struct kretprobe_instance *ri,
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
int tcpstate_complete_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *child = (struct sock *)tcpstate_arg(regs, 1);
	u32 qlen;

	a->listener = (struct sock *)tcpstate_arg(regs, 0);
	a->req = (struct request_sock *)tcpstate_arg(regs, 2);
	if (!(tcpstate_arg(regs, 3) & 0xff) || !tcpstate_is_tcp(a->listener))
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

int tcpstate_complete_ret(struct kretprobe_instance *ri,
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
int tcpstate_reqsk_drop_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->listener = (struct sock *)tcpstate_arg(regs, 0);
	a->req = (struct request_sock *)tcpstate_arg(regs, 1);
	a->flag = tcpstate_arg(regs, 2) & 0xff;
	return !tcpstate_is_tcp(a->listener);
}

/*
 * The request sock whose timer is running on this CPU: where
 * __inet_csk_reqsk_queue_drop() does not exist (5.10), the unlink hook
 * below learns from it that the timer dropped the request sock.
 */
static DEFINE_PER_CPU(struct request_sock *, tcpstate_req_expiring);

/* static void reqsk_timer_handler(struct timer_list *t) */
int tcpstate_req_timer_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct timer_list *t = (struct timer_list *)tcpstate_arg(regs, 0);

	this_cpu_write(tcpstate_req_expiring,
		       container_of(t, struct request_sock, rsk_timer));
	return 0;
}

int tcpstate_req_timer_ret(struct kretprobe_instance *ri,
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
int tcpstate_reqsk_unlink_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->req = (struct request_sock *)tcpstate_arg(regs, 0);
	a->listener = a->req->rsk_listener;
	a->flag = this_cpu_read(tcpstate_req_expiring) == a->req;
	return !tcpstate_is_tcp(a->listener);
}

int tcpstate_reqsk_drop_ret(struct kretprobe_instance *ri,
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
int tcpstate_ehash_insert_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *nsk = (struct sock *)tcpstate_arg(regs, 0);
	struct sock *osk = (struct sock *)tcpstate_arg(regs, 1);

	if (!osk || osk->sk_state != TCP_NEW_SYN_RECV ||
	    nsk->sk_state != TCP_NEW_SYN_RECV)
		return 1;
	a->req = inet_reqsk(nsk);
	a->listener = a->req->rsk_listener;
	a->other = osk;
	return !tcpstate_is_tcp(a->listener);
}

int tcpstate_ehash_insert_ret(struct kretprobe_instance *ri,
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
	/* The new request sock replaces the old one. */
	tcpstate_report_syn_recv(a->req, a->listener);
	return 0;
}

/*
 * struct sock *inet_csk_reqsk_queue_add(sk, req, child), called out of line
 * for TCP Fast Open and SYN cookie children (inlined for the others).
 */
int tcpstate_acceptq_add_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->listener = (struct sock *)tcpstate_arg(regs, 0);
	return !tcpstate_is_tcp(a->listener) ||
	       this_cpu_read(tcpstate_in_complete);
}

int tcpstate_acceptq_add_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *child = (struct sock *)regs_return_value(regs);

	if (child)
		tcpstate_report_accept_queued(a->listener, child);
	return 0;
}
