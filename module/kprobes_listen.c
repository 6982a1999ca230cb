// SPDX-License-Identifier: GPL-2.0
/*
 * Listen drops, SYN cookies and ICMP-aborted request socks.
 *
 * The kernel counts listen drops in several places, inline. Each one is
 * inside one of the functions below, which run in softirq on one CPU: the
 * change of this CPU's share of the namespace's TcpExt counters between
 * entry and return is exactly what that call did. Rows of the hook table
 * in kprobes.c.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/request_sock.h>
#include <net/snmp.h>
#include <net/tcp.h>

#include "internal.h"
#include "kprobes.h"

/* The kernel's TcpExt counters watched, and tcpstate's counter of each. */
static const struct {
	int mib;
	enum tcpstate_counter counter;
} tcpstate_mibs[TCPSTATE_NR_MIBS] = {
	[TCPSTATE_MIB_OVERFLOWS] = { LINUX_MIB_LISTENOVERFLOWS, TCPSTATE_C_ACCEPT_OVERFLOWS },
	[TCPSTATE_MIB_DROPS] = { LINUX_MIB_LISTENDROPS, TCPSTATE_C_LISTEN_DROPS },
	[TCPSTATE_MIB_QFULL_DROPS] = { LINUX_MIB_TCPREQQFULLDROP,
				       TCPSTATE_C_SYN_QUEUE_FULL_DROPS },
	[TCPSTATE_MIB_COOKIES] = { LINUX_MIB_SYNCOOKIESSENT, TCPSTATE_C_SYNCOOKIES_SENT },
};

/* tcp_v6_conn_request() hands IPv4 SYNs to tcp_v4_conn_request(). */
static DEFINE_PER_CPU(bool, tcpstate_in_listen_call);

static void tcpstate_mib_snapshot(struct tcpstate_mib_args *a)
{
	unsigned int i;

	for (i = 0; i < TCPSTATE_NR_MIBS; i++)
		a->mib[i] = this_cpu_read(a->net->mib.net_statistics->mibs[tcpstate_mibs[i].mib]);
}

/* Start watching a call on @listener; false if another one is watched. */
static bool tcpstate_listen_call_begin(struct tcpstate_mib_args *a,
				       struct sock *listener)
{
	if (!tcpstate_is_tcp(listener) || this_cpu_read(tcpstate_in_listen_call))
		return false;
	this_cpu_write(tcpstate_in_listen_call, true);
	a->skb = NULL;
	a->req = NULL;
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
	for (i = 0; i < TCPSTATE_NR_MIBS; i++) {
		delta[i] = a->mib[i] - before[i];
		/* Nearly every call counts nothing: no write for those. */
		if (delta[i])
			tcpstate_count(net, tcpstate_mibs[i].counter, delta[i]);
	}
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
	ev->peer_id = tcpstate_sock_id(a->listener);
	if (a->skb)
		tcpstate_event_tuple_skb(ev, a->skb);
	if (a->req) {
		ev->sock_id = tcpstate_sock_id(a->req);
		ev->count = a->req->num_retrans;
		tcpstate_event_tuple_common(ev, &a->req->__req_common);
	}
	ev->reason = reason;
	if (reason == TCPSTATE_DROP_ACCEPT_QUEUE_FULL) {
		ev->qlen = READ_ONCE(a->listener->sk_ack_backlog);
		ev->qmax = READ_ONCE(a->listener->sk_max_ack_backlog);
	} else if (reason) {
		ev->qlen = tcpstate_synq_len(a->listener);
		ev->qmax = READ_ONCE(a->listener->sk_max_ack_backlog);
	}
	tcpstate_event_owner(ev, a->listener, false);
	tcpstate_event_send(a->net, ev);
}

/*
 * The call on return: what it dropped is sent as a @drop_type event;
 * returns how many SYN cookies it sent.
 */
static unsigned long tcpstate_listen_call_report(struct tcpstate_mib_args *a,
						 u16 drop_type)
{
	unsigned long cookies;
	int reason;

	reason = tcpstate_listen_call_end(a, &cookies);
	if (reason)
		tcpstate_send_prepared(a, drop_type, reason);
	return cookies;
}

/* A SYN in @skb reached @listener: watch what the call does with it. */
static int tcpstate_syn_call_begin(struct tcpstate_mib_args *a,
				   struct sock *listener,
				   const struct sk_buff *skb)
{
	if (!tcpstate_listen_call_begin(a, listener))
		return 1;
	a->skb = skb;
	return 0;
}

/*
 * int tcp_v{4,6}_conn_request(sk, skb), and MPTCP's subflow_v{4,6}_
 * conn_request(sk, skb): a SYN reached a TCP or MPTCP listener.
 */
int tcpstate_conn_request_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	return tcpstate_syn_call_begin((void *)ri->data,
				       (struct sock *)tcpstate_arg(regs, 0),
				       (struct sk_buff *)tcpstate_arg(regs, 1));
}

/*
 * int tcp_conn_request(rsk_ops, af_ops, sk, skb): called by the two above,
 * whose call is watched already, and by MPTCP's subflow_v{4,6}_conn_request()
 * (an MPTCP listener's SYN). Hooked only where those two cannot be (no
 * MPTCP; the hook table's MPTCP_SYN rows): there an MPTCP listener's drop
 * of a SYN to a broadcast or multicast address (tcp_listendrop() before
 * tcp_conn_request()) is not seen.
 */
int tcpstate_tcp_conn_request_entry(struct kretprobe_instance *ri,
				    struct pt_regs *regs)
{
	return tcpstate_syn_call_begin((void *)ri->data,
				       (struct sock *)tcpstate_arg(regs, 2),
				       (struct sk_buff *)tcpstate_arg(regs, 3));
}

int tcpstate_conn_request_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;

	if (tcpstate_listen_call_report(a, TCPSTATE_EV_SYN_DROP))
		tcpstate_send_prepared(a, TCPSTATE_EV_SYNCOOKIE_SENT, 0);
	return 0;
}

/*
 * struct sock *tcp_v{4,6}_syn_recv_sock(sk, skb, req, dst, req_unhash,
 * own_req, ...): the third ACK (or a valid SYN cookie, or a Fast Open SYN)
 * asks for a child socket. With @req_unhash (tcp_check_req()'s @req) the
 * child takes its place in the established hash, inet_ehash_nolisten()
 * telling in *@own_req whether it did: false when another CPU unlinked
 * @req first. An IPv4 SYN's child of a dual-stack listener is made by
 * tcp_v4_syn_recv_sock() inside tcp_v6_syn_recv_sock(), whose call is
 * the one watched; both share @own_req.
 */
int tcpstate_syn_recv_sock_entry(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	struct request_sock *req = (struct request_sock *)tcpstate_arg(regs, 2);

	if (!tcpstate_listen_call_begin(a, (struct sock *)tcpstate_arg(regs, 0)))
		return 1;
	a->req = req;
	a->req_unhash = (struct request_sock *)tcpstate_arg(regs, 4);
	a->own_req = (const bool *)tcpstate_arg(regs, 5);
	return 0;
}

int tcpstate_syn_recv_sock_ret(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	struct sock *child = (struct sock *)regs_return_value(regs);

	/* The caller (tcp_check_req()) holds both, and the child locked. */
	if (child && a->req_unhash && READ_ONCE(*a->own_req))
		tcpstate_req_replaced(a->req_unhash, child);
	tcpstate_listen_call_report(a, TCPSTATE_EV_ACK_DROP);
	return 0;
}

/*
 * void tcp_req_err(sk, seq, abort): an ICMP error aborted a request sock
 * (reported by the unlink hook); the kernel counts a listen drop too.
 */
int tcpstate_req_err_entry(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	struct request_sock *req = inet_reqsk((struct sock *)tcpstate_arg(regs, 0));

	return !tcpstate_listen_call_begin(a, req->rsk_listener);
}

int tcpstate_req_err_ret(struct kretprobe_instance *ri,
			 struct pt_regs *regs)
{
	struct tcpstate_mib_args *a = (void *)ri->data;
	unsigned long cookies;

	tcpstate_listen_call_end(a, &cookies);
	return 0;
}
