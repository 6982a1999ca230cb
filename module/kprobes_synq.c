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
	tcpstate_event_owner(ev, listener, false);
	return ev;
}

/* The SYN_RECV event of @req, queued on @listener, built in @buf. */
static struct tcpstate_event *tcpstate_syn_recv_event(struct tcpstate_event *buf,
						      const struct request_sock *req,
						      const struct sock *listener)
{
	struct tcpstate_event *ev;

	ev = tcpstate_req_event(buf, TCPSTATE_EV_SYN_RECV, req, listener);
	if (!ev)
		return NULL;
	ev->count = 0;
	ev->qlen = tcpstate_synq_len(listener);
	ev->qmax = READ_ONCE(listener->sk_max_ack_backlog);
	/* Both ISNs are known before the request sock is queued. */
	ev->iss = tcp_rsk(req)->snt_isn;
	ev->irs = tcp_rsk(req)->rcv_isn;
	ev->valid |= TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS;
	return ev;
}

static void tcpstate_report_syn_recv(const struct request_sock *req,
				     const struct sock *listener)
{
	struct tcpstate_event buf, *ev;

	tcpstate_gauge_move(sock_net(listener), TCPSTATE_C_SYN_RECV, req, 1);
	tcpstate_count(sock_net(listener), TCPSTATE_C_SYN_QUEUE_ADDED, 1);
	ev = tcpstate_syn_recv_event(&buf, req, listener);
	if (ev)
		tcpstate_event_send(sock_net(listener), ev);
}

/*
 * Counts @req's end and sends its SYN_RECV_END; the gauge moved already,
 * where @req left the established hash. @qlen: the listener's SYN queue
 * length once @req is gone.
 */
static void tcpstate_syn_recv_ended(const struct request_sock *req,
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

/* @req left the established hash, and the SYN queue with it. */
static void tcpstate_report_syn_recv_end(const struct request_sock *req,
					 const struct sock *listener,
					 enum tcpstate_syn_recv_end reason,
					 u64 peer_id, u32 qlen)
{
	tcpstate_gauge_move(sock_net(listener), TCPSTATE_C_SYN_RECV, req, -1);
	tcpstate_syn_recv_ended(req, listener, reason, peer_id, qlen);
}

/* The SYN queue length of @listener once a request sock still counted leaves. */
static u32 tcpstate_synq_len_less_one(const struct sock *listener)
{
	u32 qlen = tcpstate_synq_len(listener);

	return qlen ? qlen - 1 : 0;
}

/*
 * int tcp_v{4,6}_send_synack(sk, dst, fl, req, foc, synack_type, syn_skb),
 * at entry. tcp_conn_request() makes this call, with its cookie @foc and
 * TCP_SYNACK_NORMAL, only once inet_csk_reqsk_queue_hash_add() put @req
 * in the established hash and the listener's SYN queue; the SYN cookie
 * and Fast Open first SYN-ACKs go with their own types, retransmits
 * (tcp_rtx_synack()) with no @foc. So the first SYN-ACK's send is where
 * a request sock is seen queued, the caller holding it, in the insert's
 * softirq, with no kretprobe on the insert (MPTCP's subflow_v{4,6}_
 * send_synack() call these two).
 */
void tcpstate_synack_sending(struct pt_regs *regs)
{
	struct sock *listener = (struct sock *)tcpstate_arg(regs, 0);

	if (tcpstate_arg(regs, 4) &&
	    (enum tcp_synack_type)tcpstate_arg(regs, 5) == TCP_SYNACK_NORMAL &&
	    tcpstate_is_tcp(listener))
		tcpstate_report_syn_recv((struct request_sock *)tcpstate_arg(regs, 3),
					 listener);
}

int tcpstate_send_synack(struct kprobe *p, struct pt_regs *regs)
{
	tcpstate_synack_sending(regs);
	return 0;
}

/*
 * Set while inet_csk_complete_hashdance() runs on this CPU (softirq):
 * where the compiler left its inet_csk_reqsk_queue_add() out of line (5.10)
 * that hook must not report the child a second time, and the queue drop
 * it calls finds @req already unhashed (its child replaced it: own_req)
 * and is not the MPTCP one below, so that hook has nothing to report and
 * gives its kretprobe instance back at once.
 */
static DEFINE_PER_CPU(bool, tcpstate_in_complete);

/*
 * A request sock that its child replaced in the established hash: the
 * one place every completed handshake's request sock leaves it, so the
 * gauge moves there (tcpstate_req_replaced()), once, for plain TCP and
 * MPTCP alike. Whether the child is kept is decided after, in the same
 * softirq on this CPU, by tcp_check_req(), in one of two ways, where its
 * SYN_RECV_END is sent (tcpstate_replaced_req_end()):
 *  - inet_csk_complete_hashdance(): the child joins the accept queue (it
 *    returns the child), or is discarded (NULL: listener closed, request
 *    clone failed on migration);
 *  - MPTCP's rsk_drop_req() branch: inet_csk_reqsk_queue_drop_and_put(),
 *    whose unlink finds @req unhashed; the child is an MP_JOIN subflow
 *    now part of its MPTCP connection, or one subflow_syn_recv_sock()
 *    refused and closed (dispose_child: TCP_CLOSE).
 */
struct tcpstate_replaced_req {
	struct request_sock *req;
	struct sock *listener;	/* req->rsk_listener, held by @req */
	struct sock *child;
};

static DEFINE_PER_CPU(struct tcpstate_replaced_req, tcpstate_replaced);

/*
 * @child replaced @req in the established hash (tcp_v{4,6}_syn_recv_sock()
 * through inet_ehash_nolisten(), from tcp_check_req(), which holds both):
 * the gauge moves here, once; what becomes of the child is told after.
 */
void tcpstate_req_replaced(struct request_sock *req, struct sock *child)
{
	struct tcpstate_replaced_req *r = this_cpu_ptr(&tcpstate_replaced);

	if (!tcpstate_is_tcp(req->rsk_listener))
		return;
	tcpstate_gauge_move(sock_net(req->rsk_listener), TCPSTATE_C_SYN_RECV,
			    req, -1);
	r->req = req;
	r->listener = req->rsk_listener;
	r->child = child;
}

/* @req's SYN_RECV_END, if its child replaced it on this CPU just before. */
static void tcpstate_replaced_req_end(const struct request_sock *req,
				      const struct sock *queue_listener,
				      bool kept)
{
	struct tcpstate_replaced_req *r = this_cpu_ptr(&tcpstate_replaced);
	enum tcpstate_syn_recv_end reason;

	if (!r->req || r->req != req)
		return;
	if (kept)
		reason = TCPSTATE_SRE_COMPLETED;
	else if (inet_sk_state_load(queue_listener) != TCP_LISTEN)
		reason = TCPSTATE_SRE_LISTENER_CLOSED;
	else
		reason = TCPSTATE_SRE_DROPPED;
	/* Both ways have taken @req off the SYN queue (reqsk_queue_removed()). */
	tcpstate_syn_recv_ended(req, r->listener, reason,
				tcpstate_sock_id(kept ? r->child : r->listener),
				tcpstate_synq_len(r->listener));
	r->req = NULL;
}

/*
 * struct sock *inet_csk_complete_hashdance(sk, child, req, own_req): with
 * own_req the child has replaced @req in the established hash; the child
 * then joins @sk's accept queue (inet_csk_reqsk_queue_add(), inlined here
 * but on 5.10) and is returned, or is dropped and NULL returned. Without
 * own_req another CPU unlinked @req first and reported it.
 */
int tcpstate_complete_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->listener = (struct sock *)tcpstate_arg(regs, 0);
	a->req = (struct request_sock *)tcpstate_arg(regs, 2);
	if (!(tcpstate_arg(regs, 3) & 0xff) || !tcpstate_is_tcp(a->listener))
		return 1;
	this_cpu_write(tcpstate_in_complete, true);
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
	tcpstate_event_owner(ev, child, false);
	tcpstate_event_send(sock_net(listener), ev);
}

int tcpstate_complete_ret(struct kretprobe_instance *ri,
			  struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct sock *child = (struct sock *)regs_return_value(regs);

	this_cpu_write(tcpstate_in_complete, false);
	/* The caller (tcp_v{4,6}_rcv()) still holds @req. */
	tcpstate_replaced_req_end(a->req, a->listener, child);
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

	if (this_cpu_read(tcpstate_in_complete))
		return 1;
	a->listener = (struct sock *)tcpstate_arg(regs, 0);
	a->req = (struct request_sock *)tcpstate_arg(regs, 1);
	a->flag = tcpstate_arg(regs, 2) & 0xff;
	return !tcpstate_is_tcp(a->listener);
}

/*
 * The request sock whose timer is running on this CPU: where
 * __inet_csk_reqsk_queue_drop() does not exist (5.10), the unlink hook
 * below learns from it that the timer dropped the request sock; where
 * request socks migrate, the clone hook that the timer is moving it.
 */
static DEFINE_PER_CPU(struct request_sock *, tcpstate_req_expiring);

#ifdef TCPSTATE_HAVE_REQSK_MIGRATION
/*
 * A request sock whose listener closed, moved by its SYN-ACK timer to
 * another listener of the SO_REUSEPORT group (net.ipv4.tcp_migrate_req):
 * inet_reqsk_clone() makes the copy, and the timer's inet_ehash_insert()
 * puts it in the old one's place, the move the kernel counts as
 * TcpExt.TCPMigrateReqSuccess; or the timer drops both. Nothing hooks
 * inet_ehash_insert(), called for every socket hashed: the timer's
 * return tells from that count, on this CPU, whether the move was made.
 * By then the old request sock and listener may be gone, so the two
 * events are built at the clone, the queue lengths as the move leaves
 * them. The SYN_RECV gauge does not move: one request sock takes
 * another's place in the same bucket (seed.c's walk sees one of them).
 */
struct tcpstate_migration {
	const struct request_sock *oreq;	/* NULL: none being moved */
	const struct net *net;
	unsigned long successes;	/* this CPU's TCPMigrateReqSuccess */
	bool has_events;		/* no reader: counters only */
	struct tcpstate_event end, start;
};

static DEFINE_PER_CPU(struct tcpstate_migration, tcpstate_migrating);

static unsigned long tcpstate_migrate_successes(const struct net *net)
{
	return this_cpu_read(net->mib.net_statistics->mibs[LINUX_MIB_TCPMIGRATEREQSUCCESS]);
}

/*
 * static struct request_sock *inet_reqsk_clone(req, sk): also called by
 * inet_csk_complete_hashdance() and inet_csk_listen_stop(), whose copies
 * never enter the established hash (nothing to report); only the
 * timer's is followed.
 */
int tcpstate_reqsk_clone_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	a->req = (struct request_sock *)tcpstate_arg(regs, 0);
	a->listener = (struct sock *)tcpstate_arg(regs, 1);
	return this_cpu_read(tcpstate_req_expiring) != a->req ||
	       !tcpstate_is_tcp(a->listener);
}

int tcpstate_reqsk_clone_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct tcpstate_migration *m = this_cpu_ptr(&tcpstate_migrating);
	struct tcpstate_req_args *a = (void *)ri->data;
	struct request_sock *nreq = (struct request_sock *)regs_return_value(regs);
	/* The timer holds @a->req, which holds the old listener. */
	const struct sock *old = a->req->rsk_listener;
	struct tcpstate_event *ev;

	if (!nreq)
		return 0;
	m->oreq = a->req;
	m->net = sock_net(old);
	m->successes = tcpstate_migrate_successes(m->net);
	m->has_events = false;
	ev = tcpstate_req_event(&m->end, TCPSTATE_EV_SYN_RECV_END, a->req, old);
	if (!ev)
		return 0;
	ev->reason = TCPSTATE_SRE_MIGRATED;
	ev->peer_id = tcpstate_sock_id(nreq);
	ev->qlen = tcpstate_synq_len_less_one(old);
	ev->qmax = READ_ONCE(old->sk_max_ack_backlog);
	/*
	 * The copy: the old one's tuple and ISNs, on the new listener, whose
	 * queue counts it once reqsk_queue_migrated() runs, after the clone.
	 */
	ev = tcpstate_syn_recv_event(&m->start, a->req, a->listener);
	if (!ev)
		return 0;
	ev->sock_id = tcpstate_sock_id(nreq);
	ev->qlen++;
	m->has_events = true;
	return 0;
}

/* At the timer's entry: nothing being moved yet. */
static void tcpstate_migration_begin(void)
{
	this_cpu_write(tcpstate_migrating.oreq, NULL);
}

/* At the timer's return: the move, if it was made. */
static void tcpstate_migration_end(const struct request_sock *oreq)
{
	struct tcpstate_migration *m = this_cpu_ptr(&tcpstate_migrating);

	if (m->oreq != oreq)
		return;
	m->oreq = NULL;
	if (tcpstate_migrate_successes(m->net) == m->successes)
		return;
	tcpstate_count(m->net, TCPSTATE_C_SYN_QUEUE_MIGRATED, 1);
	tcpstate_count(m->net, TCPSTATE_C_SYN_QUEUE_ADDED, 1);
	if (!m->has_events)
		return;
	tcpstate_event_send(m->net, &m->end);
	tcpstate_event_send(m->net, &m->start);
}
#else
static void tcpstate_migration_begin(void)
{
}

static void tcpstate_migration_end(const struct request_sock *oreq)
{
}
#endif

/* static void reqsk_timer_handler(struct timer_list *t) */
int tcpstate_req_timer_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;
	struct timer_list *t = (struct timer_list *)tcpstate_arg(regs, 0);

	a->req = container_of(t, struct request_sock, rsk_timer);
	this_cpu_write(tcpstate_req_expiring, a->req);
	tcpstate_migration_begin();
	return 0;
}

int tcpstate_req_timer_ret(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	this_cpu_write(tcpstate_req_expiring, NULL);
	/* @a->req may be freed: only its address is compared. */
	tcpstate_migration_end(a->req);
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

	if (this_cpu_read(tcpstate_in_complete))
		return 1;
	a->req = (struct request_sock *)tcpstate_arg(regs, 0);
	a->listener = a->req->rsk_listener;
	a->flag = this_cpu_read(tcpstate_req_expiring) == a->req;
	return !tcpstate_is_tcp(a->listener);
}

/* @qlen: the listener's SYN queue length once @a->req is gone. */
static void tcpstate_reqsk_unlinked(const struct tcpstate_req_args *a, u32 qlen)
{
	enum tcpstate_syn_recv_end reason;

	if (inet_sk_state_load(a->listener) != TCP_LISTEN)
		reason = TCPSTATE_SRE_LISTENER_CLOSED;
	else if (a->flag)
		reason = TCPSTATE_SRE_EXPIRED;
	else
		reason = TCPSTATE_SRE_DROPPED;
	tcpstate_report_syn_recv_end(a->req, a->listener, reason,
				     tcpstate_sock_id(a->listener), qlen);
}

/*
 * The unlink found @req already unhashed: outside
 * inet_csk_complete_hashdance(), that is tcp_check_req()'s MPTCP
 * rsk_drop_req() branch dropping a request sock its child replaced.
 */
static void tcpstate_reqsk_not_unlinked(const struct tcpstate_req_args *a)
{
	const struct tcpstate_replaced_req *r = this_cpu_ptr(&tcpstate_replaced);

	/* (Inside inet_csk_complete_hashdance() the entry gave up already.) */
	if (r->req != a->req)
		return;
	/* tcp_check_req() holds the child and returns it. */
	tcpstate_replaced_req_end(a->req, r->listener,
				  READ_ONCE(r->child->sk_state) != TCP_CLOSE);
}

/* __inet_csk_reqsk_queue_drop() returns once reqsk_queue_removed() ran. */
int tcpstate_reqsk_drop_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	if (regs_return_value(regs) & 0xff)
		tcpstate_reqsk_unlinked(a, tcpstate_synq_len(a->listener));
	else
		tcpstate_reqsk_not_unlinked(a);
	return 0;
}

/*
 * reqsk_queue_unlink() returns before its caller's reqsk_queue_removed()
 * (5.10's inet_csk_reqsk_queue_drop()): @req is still in the count.
 */
int tcpstate_reqsk_unlink_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	if (regs_return_value(regs) & 0xff)
		tcpstate_reqsk_unlinked(a, tcpstate_synq_len_less_one(a->listener));
	else
		tcpstate_reqsk_not_unlinked(a);
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
