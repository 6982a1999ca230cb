// SPDX-License-Identifier: GPL-2.0
/*
 * Timewait socks: created from a full socket, their FIN_WAIT2 substate
 * turning TIME_WAIT, and their end (expiry, RST, reuse, namespace exit):
 * the TIME_WAIT gauge and the timewait events. Rows of the hook table in
 * kprobes.c.
 */
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/tcp.h>
#include <net/inet_timewait_sock.h>
#include <net/tcp.h>

#include "internal.h"
#include "kprobes.h"

/* A timewait sock whose timer is firing on this CPU, and the last one a
 * segment was processed for; they tell why inet_twsk_kill() is called.
 */
static DEFINE_PER_CPU(struct inet_timewait_sock *, tcpstate_tw_expiring);
static DEFINE_PER_CPU(struct inet_timewait_sock *, tcpstate_tw_segment);
static DEFINE_PER_CPU(bool, tcpstate_tw_segment_rst);

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

/* @tw takes over from @sk: its TIMEWAIT event. */
static void tcpstate_tw_created(struct inet_timewait_sock *tw, struct sock *sk)
{
	struct tcpstate_event buf, *ev;

	tcpstate_count(sock_net(sk), TCPSTATE_C_TIMEWAIT_CREATED, 1);
	ev = tcpstate_tw_event(&buf, TCPSTATE_EV_TIMEWAIT, tw);
	if (!ev)
		return;
	ev->peer_id = tcpstate_sock_id(sk);
	ev->oldstate = sk->sk_state;
	/* From tcp_fin() in softirq, or from close() of an orphan-to-be. */
	tcpstate_event_owner(ev, sk, true);
	ev->seq = READ_ONCE(tcp_sk(sk)->write_seq);
	ev->ack = READ_ONCE(tcp_sk(sk)->rcv_nxt);
	ev->valid |= TCPSTATE_VALID_SEQ;
	tcpstate_event_send(sock_net(sk), ev);
}

/*
 * inet_twsk_hashdance_schedule(tw, sk, hashinfo, timeo) (6.10+): @tw takes
 * over from @sk, its timer armed under the hash lock. It is entered with
 * BHs on, and the TIME_WAIT gauge must move in the BH-disabled section of
 * the hash insert (seed.c relies on it): __inet_twsk_schedule() inside it
 * moves the gauge.
 */
int tcpstate_tw_hashdance_schedule(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)tcpstate_arg(regs, 0);
	struct sock *sk = (struct sock *)tcpstate_arg(regs, 1);

	if (tcpstate_is_tcp(sk))
		tcpstate_tw_created(tw, sk);
	return 0;
}

/*
 * inet_twsk_hashdance(tw, sk, hashinfo), before 6.10: @tw takes over from
 * @sk. tcp_time_wait() calls it with BHs off, just after arming the
 * timewait timer (pinned to this CPU: it cannot fire before the insert),
 * so the TIME_WAIT gauge moves here, before the insert, in its section.
 */
int tcpstate_tw_hashdance(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)tcpstate_arg(regs, 0);
	struct sock *sk = (struct sock *)tcpstate_arg(regs, 1);

	if (!tcpstate_is_tcp(sk))
		return 0;
	tcpstate_gauge_move(sock_net(sk), TCPSTATE_C_TIME_WAIT, tw, 1);
	tcpstate_tw_created(tw, sk);
	return 0;
}

/* static void tw_timer_handler(struct timer_list *t) */
int tcpstate_tw_timer(struct kprobe *p, struct pt_regs *regs)
{
	struct timer_list *t = (struct timer_list *)tcpstate_arg(regs, 0);

	this_cpu_write(tcpstate_tw_expiring,
		       container_of(t, struct inet_timewait_sock, tw_timer));
	return 0;
}

/*
 * enum tcp_tw_status tcp_timewait_state_process(tw, skb, th, ...): a
 * segment for @tw arrived. Marked at entry, for inet_twsk_kill() (an RST
 * may kill @tw); a timewait sock still in FIN_WAIT2 (an orphan's) is
 * followed to the return: TCP_TW_ACK with @tw now in TIME_WAIT is the
 * peer's FIN, taken (its rcv_nxt too) and acknowledged. The caller holds
 * @tw until it has sent that ACK.
 */
int tcpstate_tw_segment_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)tcpstate_arg(regs, 0);
	const struct tcphdr *th = (const struct tcphdr *)tcpstate_arg(regs, 2);
	struct tcpstate_tw_args *a = (void *)ri->data;

	this_cpu_write(tcpstate_tw_segment, tw);
	this_cpu_write(tcpstate_tw_segment_rst, th->rst);
	if (READ_ONCE(tw->tw_substate) != TCP_FIN_WAIT2 || !tcpstate_is_tcp_tw(tw))
		return 1;
	a->tw = tw;
	return 0;
}

int tcpstate_tw_segment_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	struct tcpstate_tw_args *a = (void *)ri->data;
	struct inet_timewait_sock *tw = a->tw;
	struct tcpstate_event buf, *ev;

	if ((int)regs_return_value(regs) != TCP_TW_ACK ||
	    READ_ONCE(tw->tw_substate) != TCP_TIME_WAIT)
		return 0;
	ev = tcpstate_tw_event(&buf, TCPSTATE_EV_TIMEWAIT_SUBSTATE, tw);
	if (!ev)
		return 0;
	ev->oldstate = TCP_FIN_WAIT2;
	ev->seq = READ_ONCE(tcp_twsk((struct sock *)tw)->tw_snd_nxt);
	ev->ack = READ_ONCE(tcp_twsk((struct sock *)tw)->tw_rcv_nxt);
	ev->valid |= TCPSTATE_VALID_SEQ;
	tcpstate_event_send(twsk_net(tw), ev);
	return 0;
}

/*
 * __inet_twsk_schedule(tw, timeo, rearm), hooked with
 * inet_twsk_hashdance_schedule() only. Not rearmed: @tw is being created,
 * inside it, in the BH-disabled section that hashes it, so the TIME_WAIT
 * gauge moves here.
 */
int tcpstate_tw_scheduled(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)tcpstate_arg(regs, 0);

	if (!(tcpstate_arg(regs, 2) & 0xff) && tcpstate_is_tcp_tw(tw))
		tcpstate_gauge_move(twsk_net(tw), TCPSTATE_C_TIME_WAIT, tw, 1);
	return 0;
}

/* static void inet_twsk_kill(tw): every timewait sock ends here. */
int tcpstate_tw_kill(struct kprobe *p, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (struct inet_timewait_sock *)tcpstate_arg(regs, 0);
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

	tcpstate_gauge_move(net, TCPSTATE_C_TIME_WAIT, tw, -1);
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
