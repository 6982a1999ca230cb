/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kprobe handlers (kprobes_synq.c, kprobes_listen.c,
 * kprobes_timewait.c, and tracepoints.c for attach=kprobe) share with the
 * hook table that registers them (kprobes.c): their prototypes, and the
 * per-call data of the kretprobes, whose size the table gives the kernel.
 */
#ifndef _TCPSTATE_KPROBES_H
#define _TCPSTATE_KPROBES_H

#include <linux/kprobes.h>
#include <linux/ptrace.h>
#include <net/inet_connection_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/request_sock.h>
#include <net/sock.h>

#include "uapi/tcpstate.h"

/* The @n-th argument of the probed function, at its entry. */
#define tcpstate_arg(regs, n)	regs_get_kernel_argument(regs, n)

static inline bool tcpstate_is_tcp(const struct sock *sk)
{
	return sk->sk_protocol == IPPROTO_TCP;
}

static inline u32 tcpstate_synq_len(const struct sock *listener)
{
	return reqsk_queue_len(&inet_csk(listener)->icsk_accept_queue);
}

/* Per-call data of the SYN and accept queue kretprobes. */
struct tcpstate_req_args {
	struct sock *listener;
	struct request_sock *req;
	struct sock *other;
	bool flag;
};

/* The TcpExt counters whose change tells what a listen call dropped. */
enum tcpstate_mib {
	TCPSTATE_MIB_OVERFLOWS,
	TCPSTATE_MIB_DROPS,
	TCPSTATE_MIB_QFULL_DROPS,
	TCPSTATE_MIB_COOKIES,
	TCPSTATE_NR_MIBS,
};

/* Per-call data of the listen kretprobes (kprobes_listen.c). */
struct tcpstate_mib_args {
	struct sock *listener;
	struct net *net;
	unsigned long mib[TCPSTATE_NR_MIBS];
	int cpu;
	/*
	 * What the event is built from if the call dropped something, held
	 * by the caller until the call returns: the SYN (tcp_v{4,6}_
	 * conn_request(), tcp_conn_request()) or the request sock the ACK
	 * would complete (tcp_v{4,6}_syn_recv_sock()); NULL otherwise.
	 */
	const struct sk_buff *skb;
	const struct request_sock *req;
	/*
	 * tcp_v{4,6}_syn_recv_sock(): the request sock the child is to
	 * replace in the established hash (NULL: none, a SYN cookie's or
	 * Fast Open's child), and where the call says whether it did.
	 */
	struct request_sock *req_unhash;
	const bool *own_req;
};

/* kprobes_synq.c */
void tcpstate_synack_sending(struct pt_regs *regs);
int tcpstate_send_synack(struct kprobe *p, struct pt_regs *regs);
int tcpstate_complete_entry(struct kretprobe_instance *ri,
			    struct pt_regs *regs);
int tcpstate_complete_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int tcpstate_reqsk_drop_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs);
int tcpstate_req_timer_entry(struct kretprobe_instance *ri,
			     struct pt_regs *regs);
int tcpstate_req_timer_ret(struct kretprobe_instance *ri, struct pt_regs *regs);
int tcpstate_reqsk_unlink_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs);
int tcpstate_reqsk_drop_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs);
int tcpstate_reqsk_unlink_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs);
void tcpstate_req_replaced(struct request_sock *req, struct sock *child);
#ifdef TCPSTATE_HAVE_REQSK_MIGRATION
int tcpstate_reqsk_clone_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs);
int tcpstate_reqsk_clone_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs);
#endif
int tcpstate_acceptq_add_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs);
int tcpstate_acceptq_add_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs);

/* kprobes_listen.c */
int tcpstate_conn_request_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs);
int tcpstate_conn_request_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs);
int tcpstate_tcp_conn_request_entry(struct kretprobe_instance *ri,
				    struct pt_regs *regs);
int tcpstate_syn_recv_sock_entry(struct kretprobe_instance *ri,
				 struct pt_regs *regs);
int tcpstate_syn_recv_sock_ret(struct kretprobe_instance *ri,
			       struct pt_regs *regs);
int tcpstate_req_err_entry(struct kretprobe_instance *ri, struct pt_regs *regs);
int tcpstate_req_err_ret(struct kretprobe_instance *ri, struct pt_regs *regs);

/* Per-call data of tcp_timewait_state_process()'s kretprobe. */
struct tcpstate_tw_args {
	struct inet_timewait_sock *tw;
};

/* kprobes_timewait.c */
int tcpstate_tw_hashdance_schedule(struct kprobe *p, struct pt_regs *regs);
int tcpstate_tw_hashdance(struct kprobe *p, struct pt_regs *regs);
int tcpstate_tw_timer(struct kprobe *p, struct pt_regs *regs);
int tcpstate_tw_segment_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs);
int tcpstate_tw_segment_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs);
int tcpstate_tw_scheduled(struct kprobe *p, struct pt_regs *regs);
int tcpstate_tw_kill(struct kprobe *p, struct pt_regs *regs);

/* tracepoints.c: attach=kprobe */
int tcpstate_kp_set_state(struct kprobe *p, struct pt_regs *regs);
int tcpstate_rtx_synack_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs);
int tcpstate_rtx_synack_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs);
int tcpstate_send_synack_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs);
int tcpstate_send_synack_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs);

/* resets.c */
int tcpstate_kp_v4_send_reset(struct kprobe *p, struct pt_regs *regs);
int tcpstate_kp_v6_send_reset(struct kprobe *p, struct pt_regs *regs);
int tcpstate_kp_v4_send_reset_nosock(struct kprobe *p, struct pt_regs *regs);
int tcpstate_kp_v6_send_reset_nosock(struct kprobe *p, struct pt_regs *regs);
int tcpstate_kp_send_active_reset(struct kprobe *p, struct pt_regs *regs);
int tcpstate_kp_reset(struct kprobe *p, struct pt_regs *regs);

#endif /* _TCPSTATE_KPROBES_H */
