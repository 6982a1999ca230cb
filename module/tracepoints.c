// SPDX-License-Identifier: GPL-2.0
/*
 * The tracepoints tcpstate hooks when the kernel has them:
 * sock:inet_sock_set_state (every state change), tcp:tcp_retransmit_synack,
 * tcp:tcp_send_reset and tcp:tcp_receive_reset (resets.c). They are not
 * exported to modules, so they are found by name; attach=kprobe hooks
 * their functions instead (kprobes.c). For the bench (main.c), one can be
 * left off (debug_unhook=) and their calls counted (debug_hits=).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jump_label.h>
#include <linux/kprobes.h>
#include <linux/percpu.h>
#include <linux/ptrace.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/request_sock.h>
#include <net/sock.h>
#include <trace/events/sock.h>
#include <trace/events/tcp.h>

#include "internal.h"
#include "kprobes.h"

struct tcpstate_tracepoint {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	/* debug_hits=1: the probe's calls and time, per CPU; NULL otherwise. */
	struct tcpstate_hook_stat __percpu *stat;
	bool registered;
	bool unhooked;		/* named by debug_unhook= */
	bool left_off;		/* would be attached, but for debug_unhook= */
};

/* On only with debug_hits=: without it, the probes do what they did. */
static DEFINE_STATIC_KEY_FALSE(tcpstate_tp_counting);

/* When a probe being counted began, for tcpstate_tp_end(). */
static u64 tcpstate_tp_begin(void)
{
	return static_branch_unlikely(&tcpstate_tp_counting) ? local_clock() : 0;
}

/* @data: the probe's row, given at registration. */
static void tcpstate_tp_end(void *data, u64 since)
{
	struct tcpstate_tracepoint *t = data;

	if (static_branch_unlikely(&tcpstate_tp_counting))
		tcpstate_hook_stat_add(t->stat, 1, since);
}

/*
 * tcp_rtx_synack(sk, req)'s @sk is the listener, but for a Fast Open
 * request sock (tcp_fastopen_synack_timer()): there it is the child the
 * SYN made at once, and the listener is the one @req holds.
 */
static void tcpstate_synack_retransmitted(const struct sock *sk,
					  const struct request_sock *req)
{
	const struct sock *listener = sk;

	if (inet_sk_state_load(sk) != TCP_LISTEN && req->rsk_listener)
		listener = req->rsk_listener;
	tcpstate_report_synack_retrans(listener, req);
}

static void tcpstate_tp_set_state(void *data, const struct sock *sk,
				  const int oldstate, const int newstate)
{
	u64 since = tcpstate_tp_begin();

	tcpstate_report_state(sk, oldstate, newstate);
	tcpstate_tp_end(data, since);
}

static void tcpstate_tp_retransmit_synack(void *data, const struct sock *sk,
					  const struct request_sock *req)
{
	u64 since = tcpstate_tp_begin();

	tcpstate_synack_retransmitted(sk, req);
	tcpstate_tp_end(data, since);
}

#ifdef TCPSTATE_HAVE_RST_REASON
/* Since 6.10: every RST, a NULL, request or timewait @sk included. */
static void tcpstate_tp_send_reset(void *data, const struct sock *sk,
				   const struct sk_buff *skb,
				   const enum sk_rst_reason reason)
{
	u64 since = tcpstate_tp_begin();

	tcpstate_report_rst_sent(sk, skb, tcpstate_rst_reason(reason));
	tcpstate_tp_end(data, since);
}
#else
/* Before 6.10: full sockets only; kprobes.c's rows catch the rest. */
static void tcpstate_tp_send_reset(void *data, const struct sock *sk,
				   const struct sk_buff *skb)
{
	u64 since = tcpstate_tp_begin();

	tcpstate_report_rst_sent(sk, skb, TCPSTATE_RST_UNKNOWN);
	tcpstate_tp_end(data, since);
}
#endif

static void tcpstate_tp_receive_reset(void *data, struct sock *sk)
{
	u64 since = tcpstate_tp_begin();

	tcpstate_report_rst_received(sk);
	tcpstate_tp_end(data, since);
}

/*
 * attach=kprobe: the same two events from the functions the tracepoints
 * are in, for kernels without them (rows of the hook table, kprobes.c).
 */

/* inet_sk_set_state(sk, state) and inet_sk_state_store(sk, newstate) */
int tcpstate_kp_set_state(struct kprobe *p, struct pt_regs *regs)
{
	struct sock *sk = (struct sock *)tcpstate_arg(regs, 0);

	tcpstate_report_state(sk, sk->sk_state, (int)tcpstate_arg(regs, 1));
	return 0;
}

/*
 * int tcp_rtx_synack(const struct sock *sk, struct request_sock *req) fires
 * its tracepoint only when the SYN-ACK went out (the af_ops->send_synack()
 * it calls returned 0), as TcpExt TCPSynRetrans counts, and before
 * req->num_retrans moves (its callers bump it after it returns; since
 * 6.17 it bumps it itself, after the tracepoint). So attach=kprobe reports
 * at the return of that send, tcp_v{4,6}_send_synack() (MPTCP's
 * subflow_v{4,6}_send_synack() call them), while tcp_rtx_synack() runs on
 * this CPU (softirq: a request sock's timer or a repeated SYN; a Fast Open
 * child's timer): the same events, the same count.
 */
static DEFINE_PER_CPU(struct tcpstate_req_args, tcpstate_rtx_synack);

int tcpstate_rtx_synack_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tcpstate_req_args *rtx = this_cpu_ptr(&tcpstate_rtx_synack);

	rtx->listener = (struct sock *)tcpstate_arg(regs, 0);
	rtx->req = (struct request_sock *)tcpstate_arg(regs, 1);
	return 0;
}

int tcpstate_rtx_synack_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	this_cpu_write(tcpstate_rtx_synack.req, NULL);
	return 0;
}

/*
 * Only the send tcp_rtx_synack() makes is followed to its return; the
 * first SYN-ACK's tells that its request sock is queued (kprobes_synq.c).
 */
int tcpstate_send_synack_entry(struct kretprobe_instance *ri,
			       struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	tcpstate_synack_sending(regs);
	*a = *this_cpu_ptr(&tcpstate_rtx_synack);
	return !a->req;
}

int tcpstate_send_synack_ret(struct kretprobe_instance *ri,
			     struct pt_regs *regs)
{
	struct tcpstate_req_args *a = (void *)ri->data;

	/* tcp_rtx_synack()'s caller holds @a->listener and @a->req. */
	if (!(int)regs_return_value(regs))
		tcpstate_synack_retransmitted(a->listener, a->req);
	return 0;
}

static struct tcpstate_tracepoint tcpstate_tracepoints[] = {
	{ .name = "inet_sock_set_state", .probe = tcpstate_tp_set_state },
	{ .name = "tcp_retransmit_synack",
	  .probe = tcpstate_tp_retransmit_synack },
	{ .name = "tcp_send_reset", .probe = tcpstate_tp_send_reset },
	{ .name = "tcp_receive_reset", .probe = tcpstate_tp_receive_reset },
};

static void tcpstate_find_tracepoint(struct tracepoint *tp, void *unused)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++)
		if (!strcmp(tp->name, tcpstate_tracepoints[i].name))
			tcpstate_tracepoints[i].tp = tp;
}

void tcpstate_tracepoints_detach(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		struct tcpstate_tracepoint *t = &tcpstate_tracepoints[i];

		if (t->registered)
			tracepoint_probe_unregister(t->tp, t->probe, t);
		t->registered = false;
		t->left_off = false;
	}
	/* No probe may still run once this returns: the module can go. */
	tracepoint_synchronize_unregister();
	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		free_percpu(tcpstate_tracepoints[i].stat);
		tcpstate_tracepoints[i].stat = NULL;
	}
}

/*
 * debug_unhook= (main.c): the tracepoint named @name is left unhooked.
 * Returns whether one is named so; a NULL @name clears every mark.
 */
int tcpstate_tracepoints_unhook(const char *name)
{
	unsigned int i;
	int found = 0;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		if (!name) {
			tcpstate_tracepoints[i].unhooked = false;
		} else if (!strcmp(name, tcpstate_tracepoints[i].name)) {
			tcpstate_tracepoints[i].unhooked = true;
			found++;
		}
	}
	return found;
}

/*
 * One line per attached tracepoint, "tracepoint NAME", from @at in @buf;
 * with debug_hits=, " hits=N ns=T" after it; "tracepoint NAME unhooked" for
 * one debug_unhook= left off.
 */
ssize_t tcpstate_tracepoints_show(char *buf, ssize_t at)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		const struct tcpstate_tracepoint *t = &tcpstate_tracepoints[i];

		if (t->left_off)
			at += sysfs_emit_at(buf, at, "tracepoint %s unhooked\n",
					    t->name);
		if (!t->registered)
			continue;
		at += sysfs_emit_at(buf, at, "tracepoint %s", t->name);
		if (t->stat)
			at = tcpstate_hook_stat_show(buf, at, t->stat, false);
		at += sysfs_emit_at(buf, at, "\n");
	}
	return at;
}

/* Whether this kernel has every tracepoint tcpstate can use. */
bool tcpstate_tracepoints_present(void)
{
	unsigned int i;

	for_each_kernel_tracepoint(tcpstate_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++)
		if (!tcpstate_tracepoints[i].tp)
			return false;
	return true;
}

int tcpstate_tracepoints_attach(void)
{
	unsigned int i;
	int err;

	/* A probe whose prototype drifts from the tracepoint's fails here. */
	check_trace_callback_type_inet_sock_set_state(tcpstate_tp_set_state);
	check_trace_callback_type_tcp_retransmit_synack(tcpstate_tp_retransmit_synack);
	check_trace_callback_type_tcp_send_reset(tcpstate_tp_send_reset);
	check_trace_callback_type_tcp_receive_reset(tcpstate_tp_receive_reset);

	if (tcpstate_debug_hits)
		static_branch_enable(&tcpstate_tp_counting);
	for_each_kernel_tracepoint(tcpstate_find_tracepoint, NULL);
	for (i = 0; i < ARRAY_SIZE(tcpstate_tracepoints); i++) {
		struct tcpstate_tracepoint *t = &tcpstate_tracepoints[i];

		if (!t->tp) {
			pr_err("tracepoint %s not found in this kernel (try attach=kprobe)\n",
			       t->name);
			err = -ENOENT;
			goto out_detach;
		}
		if (t->unhooked) {
			t->left_off = true;
			continue;
		}
		if (tcpstate_debug_hits) {
			t->stat = alloc_percpu(struct tcpstate_hook_stat);
			if (!t->stat) {
				err = -ENOMEM;
				goto out_detach;
			}
		}
		err = tracepoint_probe_register(t->tp, t->probe, t);
		if (err) {
			pr_err("cannot attach to tracepoint %s: %d\n",
			       t->name, err);
			goto out_detach;
		}
		t->registered = true;
	}
	return 0;

out_detach:
	tcpstate_tracepoints_detach();
	return err;
}
