// SPDX-License-Identifier: GPL-2.0
/*
 * RSTs: those this host sends (for a socket, or for a segment that found
 * none: a closed port) and those its sockets accept. The tracepoints
 * tcp:tcp_send_reset and tcp:tcp_receive_reset report them (tracepoints.c
 * hooks them); before Linux 6.10 tcp:tcp_send_reset fires for full sockets
 * only, so the rows of the hook table (kprobes.c) that stand beside it
 * catch the rest in tcp_v{4,6}_send_reset(), and attach=kprobe hooks the
 * functions the tracepoints are in.
 */
#include <linux/ipv6.h>
#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/inet_timewait_sock.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/request_sock.h>
#include <net/route.h>
#include <net/tcp.h>

#include "internal.h"
#include "kprobes.h"

#ifdef TCPSTATE_HAVE_RST_REASON
/* The kernel's reasons (its values move between releases) as ABI values. */
static const u8 tcpstate_rst_reasons[SK_RST_REASON_MAX] = {
	[SK_RST_REASON_NOT_SPECIFIED] = TCPSTATE_RST_NOT_SPECIFIED,
	[SK_RST_REASON_NO_SOCKET] = TCPSTATE_RST_NO_SOCKET,
	[SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE] = TCPSTATE_RST_INVALID_ACK_SEQUENCE,
	[SK_RST_REASON_TCP_RFC7323_PAWS] = TCPSTATE_RST_PAWS,
	[SK_RST_REASON_TCP_TOO_OLD_ACK] = TCPSTATE_RST_TOO_OLD_ACK,
	[SK_RST_REASON_TCP_ACK_UNSENT_DATA] = TCPSTATE_RST_ACK_UNSENT_DATA,
	[SK_RST_REASON_TCP_FLAGS] = TCPSTATE_RST_FLAGS,
	[SK_RST_REASON_TCP_OLD_ACK] = TCPSTATE_RST_OLD_ACK,
	[SK_RST_REASON_TCP_ABORT_ON_DATA] = TCPSTATE_RST_ABORT_ON_DATA,
	[SK_RST_REASON_TCP_TIMEWAIT_SOCKET] = TCPSTATE_RST_TIMEWAIT_SOCKET,
	[SK_RST_REASON_INVALID_SYN] = TCPSTATE_RST_INVALID_SYN,
	[SK_RST_REASON_TCP_ABORT_ON_CLOSE] = TCPSTATE_RST_ABORT_ON_CLOSE,
	[SK_RST_REASON_TCP_ABORT_ON_LINGER] = TCPSTATE_RST_ABORT_ON_LINGER,
	[SK_RST_REASON_TCP_ABORT_ON_MEMORY] = TCPSTATE_RST_ABORT_ON_MEMORY,
	[SK_RST_REASON_TCP_STATE] = TCPSTATE_RST_STATE,
	[SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT] = TCPSTATE_RST_KEEPALIVE_TIMEOUT,
	[SK_RST_REASON_TCP_DISCONNECT_WITH_DATA] = TCPSTATE_RST_DISCONNECT_WITH_DATA,
	[SK_RST_REASON_MPTCP_RST_EUNSPEC] = TCPSTATE_RST_MPTCP,
	[SK_RST_REASON_MPTCP_RST_EMPTCP] = TCPSTATE_RST_MPTCP,
	[SK_RST_REASON_MPTCP_RST_ERESOURCE] = TCPSTATE_RST_MPTCP,
	[SK_RST_REASON_MPTCP_RST_EPROHIBIT] = TCPSTATE_RST_MPTCP,
	[SK_RST_REASON_MPTCP_RST_EWQ2BIG] = TCPSTATE_RST_MPTCP,
	[SK_RST_REASON_MPTCP_RST_EBADPERF] = TCPSTATE_RST_MPTCP,
	[SK_RST_REASON_MPTCP_RST_EMIDDLEBOX] = TCPSTATE_RST_MPTCP,
	[SK_RST_REASON_ERROR] = TCPSTATE_RST_ERROR,
};

/* A reason newer than this table is TCPSTATE_RST_UNKNOWN. */
u8 tcpstate_rst_reason(int kernel_reason)
{
	if (kernel_reason < 0 || kernel_reason >= ARRAY_SIZE(tcpstate_rst_reasons))
		return TCPSTATE_RST_UNKNOWN;
	return tcpstate_rst_reasons[kernel_reason];
}
#endif

/*
 * The RST tcp_v{4,6}_send_reset() builds to answer @skb, whose TCP header
 * is at the transport header: it acknowledges what it answers, or takes
 * that segment's ACK as its sequence number.
 */
static void tcpstate_rst_seq(struct tcpstate_event *ev, const struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);

	if (th->ack) {
		ev->seq = ntohl(th->ack_seq);
	} else {
		ev->ack = ntohl(th->seq) + th->syn + th->fin + skb->len -
			  (th->doff << 2);
	}
	ev->valid |= TCPSTATE_VALID_SEQ;
}

/*
 * This host sends an RST for @sk (full, request or timewait sock; NULL:
 * the segment found no socket), answering @skb (NULL: an abort of @sk),
 * for @reason (enum tcpstate_rst_reason).
 */
void tcpstate_report_rst_sent(const struct sock *sk, const struct sk_buff *skb,
			      u8 reason)
{
	struct tcpstate_event buf, *ev;
	const struct net *net;

	if (sk) {
		net = sock_net(sk);
	} else {
		/* As tcp_v{4,6}_send_reset() find the namespace. */
		if (!skb_dst(skb))
			return;
		net = dev_net(skb_dst(skb)->dev);
	}
	tcpstate_count(net, TCPSTATE_C_RSTS_SENT, 1);
	if (!sk)
		tcpstate_count(net, TCPSTATE_C_RSTS_NO_SOCKET, 1);

	ev = tcpstate_event_begin(&buf, net, TCPSTATE_EV_RST_SENT);
	if (!ev)
		return;
	ev->reason = reason;
	if (sk) {
		ev->sock_id = tcpstate_sock_id(sk);
		ev->oldstate = sk->sk_state;
	}
	/*
	 * The tuple of the segment answered: a listener's own has no peer
	 * (it answers a bad third ACK, tcp_check_req()).
	 */
	if (skb) {
		tcpstate_event_tuple_skb(ev, skb);
		tcpstate_rst_seq(ev, skb);
	} else {
		tcpstate_event_tuple_sk(ev, sk);
	}
	if (sk && sk_fullsock(sk))
		/* An abort runs in the task that closes, or in a timer. */
		tcpstate_event_owner(ev, sk, !skb);
	else if (sk && sk->sk_state == TCP_NEW_SYN_RECV)
		tcpstate_event_owner(ev, inet_reqsk(sk)->rsk_listener, false);
	tcpstate_event_send(net, ev);
}

/* Full socket @sk accepted an RST: tcp_reset() closes it next. */
void tcpstate_report_rst_received(const struct sock *sk)
{
	struct tcpstate_event buf, *ev;

	if (!tcpstate_is_tcp(sk))
		return;
	tcpstate_count(sock_net(sk), TCPSTATE_C_RSTS_RECEIVED, 1);
	ev = tcpstate_event_begin(&buf, sock_net(sk), TCPSTATE_EV_RST_RECEIVED);
	if (!ev)
		return;
	ev->sock_id = tcpstate_sock_id(sk);
	ev->oldstate = sk->sk_state;
	tcpstate_event_tuple_sk(ev, sk);
	tcpstate_event_owner(ev, sk, true);
	tcpstate_event_send(sock_net(sk), ev);
}

/*
 * tcp_v{4,6}_send_reset(sk, skb[, reason]) at entry: whether it will send
 * (it answers no RST, nor, without a socket, a segment not addressed to
 * this host), the same tests it makes before its tracepoint.
 */
static bool tcpstate_v4_will_reset(const struct sock *sk, struct sk_buff *skb)
{
	return !tcp_hdr(skb)->rst &&
	       (sk || skb_rtable(skb)->rt_type == RTN_LOCAL);
}

static bool tcpstate_v6_will_reset(const struct sock *sk, struct sk_buff *skb)
{
	return !tcp_hdr(skb)->rst && (sk || ipv6_unicast_destination(skb));
}

static void tcpstate_kp_send_reset(struct pt_regs *regs, bool all,
				   bool (*will_reset)(const struct sock *,
						      struct sk_buff *))
{
	const struct sock *sk = (const struct sock *)tcpstate_arg(regs, 0);
	struct sk_buff *skb = (struct sk_buff *)tcpstate_arg(regs, 1);
	u8 reason = sk ? TCPSTATE_RST_UNKNOWN : TCPSTATE_RST_NO_SOCKET;

	/* Beside the tracepoint, which reports full sockets itself. */
	if (!all && sk && sk_fullsock(sk))
		return;
	if (!will_reset(sk, skb))
		return;
#ifdef TCPSTATE_HAVE_RST_REASON
	reason = tcpstate_rst_reason((int)tcpstate_arg(regs, 2));
#endif
	tcpstate_report_rst_sent(sk, skb, reason);
}

/* attach=kprobe: every RST tcp_v{4,6}_send_reset() sends. */
int tcpstate_kp_v4_send_reset(struct kprobe *p, struct pt_regs *regs)
{
	tcpstate_kp_send_reset(regs, true, tcpstate_v4_will_reset);
	return 0;
}

int tcpstate_kp_v6_send_reset(struct kprobe *p, struct pt_regs *regs)
{
	tcpstate_kp_send_reset(regs, true, tcpstate_v6_will_reset);
	return 0;
}

/* Beside a tcp:tcp_send_reset that reports full sockets only (< 6.10). */
int tcpstate_kp_v4_send_reset_nosock(struct kprobe *p, struct pt_regs *regs)
{
	tcpstate_kp_send_reset(regs, false, tcpstate_v4_will_reset);
	return 0;
}

int tcpstate_kp_v6_send_reset_nosock(struct kprobe *p, struct pt_regs *regs)
{
	tcpstate_kp_send_reset(regs, false, tcpstate_v6_will_reset);
	return 0;
}

/*
 * attach=kprobe: tcp_send_active_reset(sk, priority) (reason instead of
 * priority since 6.10) sends its RST after its tracepoint's place, but
 * nothing between can fail silently but the allocation (TCPAbortFailed).
 */
int tcpstate_kp_send_active_reset(struct kprobe *p, struct pt_regs *regs)
{
	const struct sock *sk = (const struct sock *)tcpstate_arg(regs, 0);
	u8 reason = TCPSTATE_RST_UNKNOWN;

#ifdef TCPSTATE_HAVE_RST_REASON
	reason = tcpstate_rst_reason((int)tcpstate_arg(regs, 1));
#endif
	tcpstate_report_rst_sent(sk, NULL, reason);
	return 0;
}

/* attach=kprobe: tcp_reset(sk[, skb]), where tcp:tcp_receive_reset is. */
int tcpstate_kp_reset(struct kprobe *p, struct pt_regs *regs)
{
	tcpstate_report_rst_received((const struct sock *)tcpstate_arg(regs, 0));
	return 0;
}
