// SPDX-License-Identifier: GPL-2.0
/*
 * The one hook table: every function tcpstate kprobes where the kernel has
 * no tracepoint (request socks entering and leaving the SYN queue, the
 * accept queue, listen drops, timewait socks created and killed, RSTs the
 * reset tracepoint misses before 6.10; and, with attach=kprobe, state
 * changes, SYN-ACK retransmits and RSTs) is one row, with
 * its handlers (kprobes_*.c), which kernels have it under which name, and
 * the prototype the handlers read its arguments by. Also what registers
 * the table (a row that needs only its function's entry as an ftrace
 * callback where the kernel lets a module, entry_hook=), shows it
 * (/sys/class/misc/tcpstate/hooks), skip_hooks=, and the bench's
 * debug_unhook= and debug_hits= (main.c) for its rows.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#if defined(TCPSTATE_HAVE_FTRACE_ENTRY) && defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS)
#include <linux/trace_recursion.h>
#define TCPSTATE_FTRACE_ENTRY
#endif
#include <net/inet_connection_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/request_sock.h>
#include <net/tcp.h>

#include "internal.h"
#include "kprobes.h"

enum tcpstate_hook_use {
	TCPSTATE_HOOK_ALWAYS,
	TCPSTATE_HOOK_KPROBE_MODE,	/* stands in for a tracepoint */
	/* beside a tracepoint: what it does not report */
	TCPSTATE_HOOK_TRACEPOINT_MODE,
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
	TCPSTATE_ALT_MPTCP_SYN,
};

struct tcpstate_hook {
	enum tcpstate_hook_use use;
	enum tcpstate_hook_alt alt;
	bool is_kretprobe;
	bool registered;
	bool skipped;		/* named by skip_hooks= */
	bool unhooked;		/* named by debug_unhook= */
	bool left_off;		/* would be hooked, but for debug_unhook= */
	/*
	 * A kprobe row hooked by tcpstate_ftrace_ops, its kprobe registered
	 * disabled (where the address came from, and the fallback);
	 * @ftrace_missed: calls its handler could not take.
	 */
	bool via_ftrace;
	atomic_long_t ftrace_missed;
	/* The row's own handlers while debug_hits= counts its calls. */
	union {
		kprobe_pre_handler_t pre_handler;
		kretprobe_handler_t entry_handler;
	};
	kretprobe_handler_t ret_handler;
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
	/*
	 * A request sock queued: its first SYN-ACK's send. With attach=
	 * kprobe, the rows that stand in for tcp:tcp_retransmit_synack
	 * (below) hook these two already, and see it in their entry.
	 */
	TCPSTATE_KPROBE("tcp_v4_send_synack", tcpstate_send_synack,
			TCPSTATE_HOOK_TRACEPOINT_MODE),
	TCPSTATE_KPROBE("tcp_v6_send_synack", tcpstate_send_synack,
			TCPSTATE_HOOK_TRACEPOINT_MODE),
	TCPSTATE_KRETPROBE("inet_csk_complete_hashdance",
			   tcpstate_complete_entry, tcpstate_complete_ret,
			   tcpstate_req_args),
	TCPSTATE_KRETPROBE_ALT("__inet_csk_reqsk_queue_drop",
			       tcpstate_reqsk_drop_entry, tcpstate_reqsk_drop_ret,
			       tcpstate_req_args, TCPSTATE_ALT_REQSK_UNLINK),
	TCPSTATE_KRETPROBE_ALT("reqsk_queue_unlink",
			       tcpstate_reqsk_unlink_entry, tcpstate_reqsk_unlink_ret,
			       tcpstate_req_args, TCPSTATE_ALT_REQSK_UNLINK),
#ifdef TCPSTATE_HAVE_REQSK_MIGRATION
	/*
	 * The SYN-ACK timer: its request sock moved to another listener
	 * (with the clone below), and, for reqsk_queue_unlink's hook, its
	 * drops. Runs only when a SYN-ACK is due again, never per connection.
	 */
	TCPSTATE_KRETPROBE("reqsk_timer_handler",
			   tcpstate_req_timer_entry, tcpstate_req_timer_ret,
			   tcpstate_req_args),
	TCPSTATE_KRETPROBE("inet_reqsk_clone",
			   tcpstate_reqsk_clone_entry, tcpstate_reqsk_clone_ret,
			   tcpstate_req_args),
#else
	/*
	 * Tells reqsk_queue_unlink's hook the timer's drops, so only with it
	 * (hooked just after it: a drop in between is not called an expiry).
	 */
	TCPSTATE_KRETPROBE_ROW("reqsk_timer_handler",
			       tcpstate_req_timer_entry, tcpstate_req_timer_ret,
			       tcpstate_req_args, TCPSTATE_HOOK_WITH_PREVIOUS,
			       TCPSTATE_ALT_NONE),
#endif
	TCPSTATE_KRETPROBE("inet_csk_reqsk_queue_add",
			   tcpstate_acceptq_add_entry, tcpstate_acceptq_add_ret,
			   tcpstate_req_args),
	TCPSTATE_KRETPROBE("tcp_v4_conn_request",
			   tcpstate_conn_request_entry, tcpstate_conn_request_ret,
			   tcpstate_mib_args),
	TCPSTATE_KRETPROBE("tcp_v6_conn_request",
			   tcpstate_conn_request_entry, tcpstate_conn_request_ret,
			   tcpstate_mib_args),
	/*
	 * MPTCP listeners' SYNs: subflow_v{4,6}_conn_request() (static, the
	 * prototype of the two above, which their entry handler reads) call
	 * tcp_conn_request() as those two do, after their own drop of a SYN
	 * to a broadcast or multicast address. Where they cannot be hooked
	 * (no MPTCP), tcp_conn_request() is, for every SYN: a second
	 * kretprobe on plain TCP's, whose call is watched already.
	 */
	TCPSTATE_KRETPROBE_ALT("subflow_v4_conn_request",
			       tcpstate_conn_request_entry, tcpstate_conn_request_ret,
			       tcpstate_mib_args, TCPSTATE_ALT_MPTCP_SYN),
	TCPSTATE_KRETPROBE_ROW("subflow_v6_conn_request",
			       tcpstate_conn_request_entry, tcpstate_conn_request_ret,
			       tcpstate_mib_args, TCPSTATE_HOOK_WITH_PREVIOUS,
			       TCPSTATE_ALT_NONE),
	TCPSTATE_KRETPROBE_ALT("tcp_conn_request",
			       tcpstate_tcp_conn_request_entry, tcpstate_conn_request_ret,
			       tcpstate_mib_args, TCPSTATE_ALT_MPTCP_SYN),
	TCPSTATE_KRETPROBE("tcp_v4_syn_recv_sock",
			   tcpstate_syn_recv_sock_entry, tcpstate_syn_recv_sock_ret,
			   tcpstate_mib_args),
	TCPSTATE_KRETPROBE("tcp_v6_syn_recv_sock",
			   tcpstate_syn_recv_sock_entry, tcpstate_syn_recv_sock_ret,
			   tcpstate_mib_args),
	TCPSTATE_KRETPROBE("tcp_req_err",
			   tcpstate_req_err_entry, tcpstate_req_err_ret,
			   tcpstate_mib_args),
	TCPSTATE_KPROBE_ALT("inet_twsk_hashdance_schedule",
			    tcpstate_tw_hashdance_schedule,
			    TCPSTATE_HOOK_ALWAYS, TCPSTATE_ALT_TW_HASHDANCE),
	/* The TIME_WAIT gauge, inside the row above only. */
	TCPSTATE_KPROBE("__inet_twsk_schedule", tcpstate_tw_scheduled,
			TCPSTATE_HOOK_WITH_PREVIOUS),
	TCPSTATE_KPROBE_ALT("inet_twsk_hashdance", tcpstate_tw_hashdance,
			    TCPSTATE_HOOK_ALWAYS, TCPSTATE_ALT_TW_HASHDANCE),
	TCPSTATE_KPROBE("tw_timer_handler", tcpstate_tw_timer,
			TCPSTATE_HOOK_ALWAYS),
	TCPSTATE_KRETPROBE("tcp_timewait_state_process",
			   tcpstate_tw_segment_entry, tcpstate_tw_segment_ret,
			   tcpstate_tw_args),
	TCPSTATE_KPROBE("inet_twsk_kill", tcpstate_tw_kill,
			TCPSTATE_HOOK_ALWAYS),
	TCPSTATE_KPROBE("inet_sk_set_state", tcpstate_kp_set_state,
			TCPSTATE_HOOK_KPROBE_MODE),
	TCPSTATE_KPROBE("inet_sk_state_store", tcpstate_kp_set_state,
			TCPSTATE_HOOK_KPROBE_MODE),
	/*
	 * tcp:tcp_retransmit_synack fires when the SYN-ACK tcp_rtx_synack()
	 * sends went out: the send's return tells (tracepoints.c).
	 */
	TCPSTATE_KRETPROBE_ROW("tcp_rtx_synack",
			       tcpstate_rtx_synack_entry, tcpstate_rtx_synack_ret,
			       tcpstate_req_args, TCPSTATE_HOOK_KPROBE_MODE,
			       TCPSTATE_ALT_NONE),
	TCPSTATE_KRETPROBE_ROW("tcp_v4_send_synack",
			       tcpstate_send_synack_entry, tcpstate_send_synack_ret,
			       tcpstate_req_args, TCPSTATE_HOOK_KPROBE_MODE,
			       TCPSTATE_ALT_NONE),
	TCPSTATE_KRETPROBE_ROW("tcp_v6_send_synack",
			       tcpstate_send_synack_entry, tcpstate_send_synack_ret,
			       tcpstate_req_args, TCPSTATE_HOOK_KPROBE_MODE,
			       TCPSTATE_ALT_NONE),
	/* RSTs (resets.c): tcp:tcp_send_reset and tcp:tcp_receive_reset. */
#ifndef TCPSTATE_HAVE_RST_REASON
	TCPSTATE_KPROBE("tcp_v4_send_reset", tcpstate_kp_v4_send_reset_nosock,
			TCPSTATE_HOOK_TRACEPOINT_MODE),
	TCPSTATE_KPROBE("tcp_v6_send_reset", tcpstate_kp_v6_send_reset_nosock,
			TCPSTATE_HOOK_TRACEPOINT_MODE),
#endif
	TCPSTATE_KPROBE("tcp_v4_send_reset", tcpstate_kp_v4_send_reset,
			TCPSTATE_HOOK_KPROBE_MODE),
	TCPSTATE_KPROBE("tcp_v6_send_reset", tcpstate_kp_v6_send_reset,
			TCPSTATE_HOOK_KPROBE_MODE),
	TCPSTATE_KPROBE("tcp_send_active_reset", tcpstate_kp_send_active_reset,
			TCPSTATE_HOOK_KPROBE_MODE),
	TCPSTATE_KPROBE("tcp_reset", tcpstate_kp_reset,
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

TCPSTATE_ASSERT_PROTO(inet_csk_complete_hashdance,
		      struct sock * (*)(struct sock *, struct sock *,
					struct request_sock *, bool));
TCPSTATE_ASSERT_PROTO(inet_csk_reqsk_queue_add,
		      struct sock * (*)(struct sock *, struct request_sock *, struct sock *));
TCPSTATE_ASSERT_PROTO(tcp_v4_conn_request,
		      int (*)(struct sock *, struct sk_buff *));
TCPSTATE_ASSERT_PROTO(tcp_conn_request,
		      int (*)(struct request_sock_ops *,
			      const struct tcp_request_sock_ops *,
			      struct sock *, struct sk_buff *));
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
#ifdef TCPSTATE_HAVE_RST_REASON
TCPSTATE_ASSERT_PROTO(tcp_send_active_reset,
		      void (*)(struct sock *, enum sk_rst_reason));
#else
TCPSTATE_ASSERT_PROTO(tcp_send_active_reset,
		      void (*)(struct sock *, gfp_t));
#endif
#if defined(TCPSTATE_HAVE_TW_DROP_REASON)
TCPSTATE_ASSERT_PROTO(tcp_timewait_state_process,
		      enum tcp_tw_status (*)(struct inet_timewait_sock *,
					     struct sk_buff *,
					     const struct tcphdr *, u32 *,
					     enum skb_drop_reason *));
#elif defined(TCPSTATE_HAVE_TW_ISN)
TCPSTATE_ASSERT_PROTO(tcp_timewait_state_process,
		      enum tcp_tw_status (*)(struct inet_timewait_sock *,
					     struct sk_buff *,
					     const struct tcphdr *, u32 *));
#else
TCPSTATE_ASSERT_PROTO(tcp_timewait_state_process,
		      enum tcp_tw_status (*)(struct inet_timewait_sock *,
					     struct sk_buff *,
					     const struct tcphdr *));
#endif
#ifdef TCPSTATE_HAVE_SYN_RECV_SOCK_CHILD_INIT
TCPSTATE_ASSERT_PROTO(tcp_v4_syn_recv_sock,
		      struct sock * (*)(const struct sock *, struct sk_buff *,
					struct request_sock *,
					struct dst_entry *,
					struct request_sock *, bool *,
					void (*)(struct sock *,
						 const struct sock *)));
#else
TCPSTATE_ASSERT_PROTO(tcp_v4_syn_recv_sock,
		      struct sock * (*)(const struct sock *, struct sk_buff *,
					struct request_sock *,
					struct dst_entry *,
					struct request_sock *, bool *));
#endif
#ifdef TCPSTATE_HAVE_TCP_RESET_SKB
TCPSTATE_ASSERT_PROTO(tcp_reset, void (*)(struct sock *, struct sk_buff *));
#else
TCPSTATE_ASSERT_PROTO(tcp_reset, void (*)(struct sock *));
#endif

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

/*
 * entry_hook=: how a kprobe row (one that needs only its function's entry)
 * is hooked. A kprobe at a function's entry on x86 is an ftrace callback
 * (kprobe_ftrace_handler()) with the kprobe layer on top; a callback of
 * tcpstate's own costs under half of it (docs/performance.md, "Entry hooks
 * as ftrace callbacks"). auto: ftrace where the kernel lets a module
 * (ftrace_regs with every register saved, a recursion guard), kprobes
 * elsewhere; ftrace: that, or the load fails; kprobe: kprobes.
 */
enum tcpstate_entry_hook {
	TCPSTATE_ENTRY_AUTO,
	TCPSTATE_ENTRY_FTRACE,
	TCPSTATE_ENTRY_KPROBE,
};

static const char *const tcpstate_entry_hook_names[] = {
	[TCPSTATE_ENTRY_AUTO] = "auto",
	[TCPSTATE_ENTRY_FTRACE] = "ftrace",
	[TCPSTATE_ENTRY_KPROBE] = "kprobe",
};

static struct tcpstate_choice entry_hook = {
	.value = TCPSTATE_ENTRY_AUTO,
	.names = tcpstate_entry_hook_names,
	.nr_names = ARRAY_SIZE(tcpstate_entry_hook_names),
};
module_param_cb(entry_hook, &tcpstate_choice_ops, &entry_hook, 0444);
__MODULE_PARM_TYPE(entry_hook, "charp");
MODULE_PARM_DESC(entry_hook,
		 "How hooks on a function's entry are made: auto (ftrace callbacks where the kernel allows, else kprobes), ftrace, or kprobe");

#ifdef TCPSTATE_FTRACE_ENTRY
/*
 * The rows hooked through tcpstate_ftrace_ops, whose filter holds their
 * functions' entries, at most one row a function; the entries apart, so
 * that the callback's search reads one word a row. Written before the ops
 * is registered and after it is unregistered only.
 */
static struct tcpstate_hook *tcpstate_ftrace_rows[ARRAY_SIZE(tcpstate_hooks)];
static unsigned long tcpstate_ftrace_ips[ARRAY_SIZE(tcpstate_hooks)];
static unsigned int tcpstate_nr_ftrace_rows;
static bool tcpstate_ftrace_registered;

/*
 * The row at @ip gets the call, with the registers its kprobe handler
 * would have been given, in the context its kprobe would have run in
 * (preemption off: the recursion lock turns it off since 5.15, Kbuild
 * tells). A call recursing into these hooks in the same context (a
 * handler reaching a hooked function) is counted, as a kprobe counts one
 * in nmissed.
 */
static void tcpstate_ftrace_entry(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *op,
				  struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);
	struct tcpstate_hook *h;
	unsigned int i;
	int bit;

	for (i = 0; i < tcpstate_nr_ftrace_rows; i++)
		if (tcpstate_ftrace_ips[i] == ip)
			break;
	if (i == tcpstate_nr_ftrace_rows)
		return;
	h = tcpstate_ftrace_rows[i];
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0 || !regs) {
		atomic_long_inc(&h->ftrace_missed);
	} else {
#ifndef TCPSTATE_HAVE_FTRACE_LOCK_PREEMPT
		preempt_disable_notrace();
#endif
		h->kp.pre_handler(&h->kp, regs);
#ifndef TCPSTATE_HAVE_FTRACE_LOCK_PREEMPT
		preempt_enable_notrace();
#endif
	}
	if (bit >= 0)
		ftrace_test_recursion_unlock(bit);
}

/* SAVE_REGS: the handlers read a kprobe's full pt_regs. */
static struct ftrace_ops tcpstate_ftrace_ops = {
	.func = tcpstate_ftrace_entry,
	.flags = FTRACE_OPS_FL_SAVE_REGS,
};

/*
 * Hooks @h through the ftrace ops (registered once every row is added),
 * at the address its kprobe, registered disabled, resolved to: the
 * function's ftrace call site, where a kprobe would sit on ftrace too.
 */
static int tcpstate_ftrace_add(struct tcpstate_hook *h)
{
	unsigned long ip = (unsigned long)h->kp.addr;
	unsigned int i;
	int err;

	/* A second row on a function is its kprobe (none in this table). */
	for (i = 0; i < tcpstate_nr_ftrace_rows; i++)
		if (tcpstate_ftrace_ips[i] == ip)
			return -EEXIST;
	err = ftrace_set_filter_ip(&tcpstate_ftrace_ops, ip, 0, 0);
	if (err)
		return err;
	h->via_ftrace = true;
	tcpstate_ftrace_rows[tcpstate_nr_ftrace_rows] = h;
	tcpstate_ftrace_ips[tcpstate_nr_ftrace_rows++] = ip;
	return 0;
}

/*
 * Empties the filter of an unregistered ops, one address at a time (the
 * last removal leaves it the empty hash, nothing allocated): the same on
 * every kernel, where ftrace_free_filter() is not exported everywhere.
 */
static void tcpstate_ftrace_clear(void)
{
	unsigned int i;

	for (i = 0; i < tcpstate_nr_ftrace_rows; i++) {
		ftrace_set_filter_ip(&tcpstate_ftrace_ops, tcpstate_ftrace_ips[i],
				     1, 0);
		tcpstate_ftrace_rows[i]->via_ftrace = false;
	}
	tcpstate_nr_ftrace_rows = 0;
}

/*
 * Starts the callbacks for the rows added; where the kernel refuses and
 * entry_hook=auto, their kprobes instead.
 */
static int tcpstate_ftrace_start(void)
{
	unsigned int i;
	int err;

	if (!tcpstate_nr_ftrace_rows)
		return 0;
	err = register_ftrace_function(&tcpstate_ftrace_ops);
	tcpstate_ftrace_registered = !err;
	if (!err || entry_hook.value == TCPSTATE_ENTRY_FTRACE) {
		if (err)
			pr_err("entry_hook=ftrace: register_ftrace_function: %d\n",
			       err);
		return err;
	}
	pr_info("entry hooks are kprobes: register_ftrace_function: %d\n", err);
	for (i = 0; i < tcpstate_nr_ftrace_rows; i++) {
		err = enable_kprobe(&tcpstate_ftrace_rows[i]->kp);
		if (err)
			return err;
	}
	tcpstate_ftrace_clear();
	return 0;
}

static void tcpstate_ftrace_stop(void)
{
	/* Returns once no callback runs (RCU tasks, for a module's ops). */
	if (tcpstate_ftrace_registered)
		unregister_ftrace_function(&tcpstate_ftrace_ops);
	tcpstate_ftrace_registered = false;
	tcpstate_ftrace_clear();
}
#else
static int tcpstate_ftrace_add(struct tcpstate_hook *h)
{
	return -EOPNOTSUPP;
}

static int tcpstate_ftrace_start(void)
{
	return 0;
}

static void tcpstate_ftrace_stop(void)
{
}
#endif

/*
 * Whether the kprobe rows are to be ftrace callbacks; fails the load if
 * entry_hook=ftrace and this kernel has none a module can use.
 */
static int tcpstate_entry_via_ftrace(bool *via_ftrace)
{
	*via_ftrace = false;
	if (entry_hook.value == TCPSTATE_ENTRY_KPROBE)
		return 0;
#ifdef TCPSTATE_FTRACE_ENTRY
	*via_ftrace = true;
	return 0;
#else
	if (entry_hook.value == TCPSTATE_ENTRY_AUTO)
		return 0;
	pr_err("entry_hook=ftrace: this kernel gives a module no ftrace callback with registers (ftrace_regs, trace_recursion.h, DYNAMIC_FTRACE_WITH_REGS)\n");
	return -EOPNOTSUPP;
#endif
}

/*
 * debug_unhook= (main.c): rows named NAME are left unhooked, @name's whole
 * hook point (its alternative run, and a row hooked only with it) with
 * them. Returns how many rows are named so; a NULL @name clears every
 * row's mark instead.
 */
int tcpstate_kprobes_unhook(const char *name)
{
	unsigned int i;
	int found = 0;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		if (!name) {
			tcpstate_hooks[i].unhooked = false;
		} else if (!strcmp(name, tcpstate_hook_name(&tcpstate_hooks[i]))) {
			tcpstate_hooks[i].unhooked = true;
			found++;
		}
	}
	return found;
}

/* Hooked, or would be but for debug_unhook=. */
static bool tcpstate_hook_taken(const struct tcpstate_hook *h)
{
	return h->registered || h->left_off;
}

/* The row of @h's alternative run that is hooked, if any. */
static const struct tcpstate_hook *tcpstate_alt_hooked(const struct tcpstate_hook *h)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++)
		if (tcpstate_hooks[i].alt == h->alt &&
		    tcpstate_hook_taken(&tcpstate_hooks[i]))
			return &tcpstate_hooks[i];
	return NULL;
}

/*
 * debug_hits=1: each row's calls and handler time, per CPU, indexed by
 * row; NULL otherwise. The row's handlers are then called through
 * wrappers that count, so that without debug_hits= the hot path is what
 * it always was.
 */
static struct tcpstate_hook_stat __percpu *tcpstate_hook_stats;

/* Adds @hits calls, and the time since @since, to this CPU's @stat. */
void tcpstate_hook_stat_add(struct tcpstate_hook_stat __percpu *stat,
			    unsigned long hits, u64 since)
{
	this_cpu_add(stat->hits, hits);
	this_cpu_add(stat->ns, local_clock() - since);
}

/*
 * " hits=N ns=T" after a hook's line, and " rets=R" with @rets (a
 * kretprobe's): @stat summed over the CPUs.
 */
ssize_t tcpstate_hook_stat_show(char *buf, ssize_t at,
				const struct tcpstate_hook_stat __percpu *stat,
				bool rets)
{
	struct tcpstate_hook_stat sum = {};
	int cpu;

	for_each_possible_cpu(cpu) {
		sum.hits += per_cpu_ptr(stat, cpu)->hits;
		sum.rets += per_cpu_ptr(stat, cpu)->rets;
		sum.ns += per_cpu_ptr(stat, cpu)->ns;
	}
	at += sysfs_emit_at(buf, at, " hits=%lu ns=%llu", sum.hits, sum.ns);
	if (rets)
		at += sysfs_emit_at(buf, at, " rets=%lu", sum.rets);
	return at;
}

static int tcpstate_count_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct tcpstate_hook *h = container_of(p, struct tcpstate_hook, kp);
	u64 since = local_clock();
	int ret;

	ret = h->pre_handler(p, regs);
	tcpstate_hook_stat_add(&tcpstate_hook_stats[h - tcpstate_hooks], 1, since);
	return ret;
}

/* The row of the kretprobe @ri is an instance of; NULL if it is going. */
static struct tcpstate_hook *tcpstate_ri_hook(struct kretprobe_instance *ri)
{
#ifdef TCPSTATE_HAVE_GET_KRETPROBE
	struct kretprobe *rp = get_kretprobe(ri);
#else
	struct kretprobe *rp = ri->rp;
#endif

	return rp ? container_of(rp, struct tcpstate_hook, krp) : NULL;
}

static int tcpstate_count_entry(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	struct tcpstate_hook *h = tcpstate_ri_hook(ri);
	u64 since = local_clock();
	int ret;

	if (!h)
		return 0;
	ret = h->entry_handler ? h->entry_handler(ri, regs) : 0;
	tcpstate_hook_stat_add(&tcpstate_hook_stats[h - tcpstate_hooks], 1, since);
	return ret;
}

/*
 * The return handler's time joins its entry's call; its runs are the
 * calls whose return was trapped (the entry handler kept the instance).
 */
static int tcpstate_count_ret(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct tcpstate_hook *h = tcpstate_ri_hook(ri);
	u64 since = local_clock();
	int ret;

	if (!h)
		return 0;
	ret = h->ret_handler(ri, regs);
	tcpstate_hook_stat_add(&tcpstate_hook_stats[h - tcpstate_hooks], 0, since);
	this_cpu_inc(tcpstate_hook_stats[h - tcpstate_hooks].rets);
	return ret;
}

/* Calls of @h's function (a kretprobe's entries), and its handlers' time. */
static void tcpstate_hook_count(struct tcpstate_hook *h)
{
	if (h->is_kretprobe) {
		if (h->krp.entry_handler == tcpstate_count_entry)
			return;
		h->entry_handler = h->krp.entry_handler;
		h->krp.entry_handler = tcpstate_count_entry;
		h->ret_handler = h->krp.handler;
		h->krp.handler = tcpstate_count_ret;
	} else {
		if (h->kp.pre_handler == tcpstate_count_pre)
			return;
		h->pre_handler = h->kp.pre_handler;
		h->kp.pre_handler = tcpstate_count_pre;
	}
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

/*
 * Hits the kernel did not hand to @h's handlers: a kprobe that fired while
 * another kprobe's handler ran on its CPU (also counted in a kretprobe's
 * kp), a kretprobe with no free instance, an ftrace callback recursing.
 * Read without a lock: each count only grows.
 */
static unsigned long tcpstate_hook_missed(const struct tcpstate_hook *h)
{
	if (h->is_kretprobe)
		return READ_ONCE(h->krp.kp.nmissed) +
		       (unsigned int)READ_ONCE(h->krp.nmissed);
	return READ_ONCE(h->kp.nmissed) + atomic_long_read(&h->ftrace_missed);
}

/* How the row is hooked, as the hooks file names it. */
static const char *tcpstate_hook_kind(const struct tcpstate_hook *h)
{
	if (h->is_kretprobe)
		return "kretprobe";
	return h->via_ftrace ? "ftrace" : "kprobe";
}

/*
 * One line per hooked function, "KIND NAME missed=N", KIND kprobe,
 * kretprobe or ftrace: N is what that hook adds to tcpstate_kprobes_missed(), so
 * that a reader finds which hook missed. With debug_hits=, " hits=N ns=T"
 * too (calls of the function, time in its handlers), and a kretprobe's
 * " rets=R" (returns trapped); "kprobe NAME unhooked" for a row debug_unhook=
 * left off.
 */
ssize_t tcpstate_kprobes_show(char *buf, ssize_t at)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		const struct tcpstate_hook *h = &tcpstate_hooks[i];

		if (h->left_off)
			at += sysfs_emit_at(buf, at, "%s %s unhooked\n",
					    tcpstate_hook_kind(h),
					    tcpstate_hook_name(h));
		if (!h->registered)
			continue;
		at += sysfs_emit_at(buf, at, "%s %s missed=%lu",
				    tcpstate_hook_kind(h), tcpstate_hook_name(h),
				    tcpstate_hook_missed(h));
		if (tcpstate_hook_stats)
			at = tcpstate_hook_stat_show(buf, at,
						     &tcpstate_hook_stats[i],
						     h->is_kretprobe);
		at += sysfs_emit_at(buf, at, "\n");
	}
	return at;
}

/* Every hooked row's misses; tracepoints never miss. */
unsigned long tcpstate_kprobes_missed(void)
{
	unsigned long missed = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++)
		if (READ_ONCE(tcpstate_hooks[i].registered))
			missed += tcpstate_hook_missed(&tcpstate_hooks[i]);
	return missed;
}

/*
 * Unhooks every registered row: the ftrace callbacks, then two batches,
 * kprobes (the ftrace rows' disabled ones too) and kretprobes: each batch
 * waits for one grace period, where unregistering one by one waited for
 * one per hook. Called at load (on error) and unload only.
 */
void tcpstate_kprobes_detach(void)
{
	static struct kretprobe *krps[ARRAY_SIZE(tcpstate_hooks)];
	static struct kprobe *kps[ARRAY_SIZE(tcpstate_hooks)];
	int nr_krps = 0, nr_kps = 0;
	unsigned int i;

	tcpstate_ftrace_stop();
	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		struct tcpstate_hook *h = &tcpstate_hooks[i];

		if (!h->registered)
			continue;
		if (h->is_kretprobe)
			krps[nr_krps++] = &h->krp;
		else
			kps[nr_kps++] = &h->kp;
	}
	if (nr_kps)
		unregister_kprobes(kps, nr_kps);
	if (nr_krps)
		unregister_kretprobes(krps, nr_krps);

	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		struct tcpstate_hook *h = &tcpstate_hooks[i];

		if (h->registered && h->is_kretprobe && h->krp.nmissed)
			pr_warn("%s: %d calls missed (no free kretprobe instance)\n",
				tcpstate_hook_name(h), h->krp.nmissed);
		h->registered = false;
		h->left_off = false;
	}
	free_percpu(tcpstate_hook_stats);
	tcpstate_hook_stats = NULL;
}

/* @kprobe_mode: also hook what the tracepoints would report. */
int tcpstate_kprobes_attach(bool kprobe_mode)
{
	bool via_ftrace;
	unsigned int i;
	int err;

	err = tcpstate_entry_via_ftrace(&via_ftrace);
	if (err)
		return err;
	if (tcpstate_debug_hits) {
		tcpstate_hook_stats = __alloc_percpu(sizeof(*tcpstate_hook_stats) *
						     ARRAY_SIZE(tcpstate_hooks),
						     __alignof__(*tcpstate_hook_stats));
		if (!tcpstate_hook_stats)
			return -ENOMEM;
	}
	for (i = 0; i < ARRAY_SIZE(tcpstate_hooks); i++) {
		struct tcpstate_hook *h = &tcpstate_hooks[i];

		if (h->use == TCPSTATE_HOOK_KPROBE_MODE && !kprobe_mode)
			continue;
		if (h->use == TCPSTATE_HOOK_TRACEPOINT_MODE && kprobe_mode)
			continue;
		if (h->use == TCPSTATE_HOOK_WITH_PREVIOUS &&
		    (i == 0 || !tcpstate_hook_taken(h - 1)))
			continue;
		if (h->alt && tcpstate_alt_hooked(h))
			continue;
		if (h->unhooked) {
			h->left_off = true;
			continue;
		}
		if (h->skipped) {
			err = -ENOENT;
		} else {
			if (tcpstate_hook_stats)
				tcpstate_hook_count(h);
			if (h->is_kretprobe) {
				err = register_kretprobe(&h->krp);
			} else {
				if (via_ftrace)
					h->kp.flags |= KPROBE_FLAG_DISABLED;
				err = register_kprobe(&h->kp);
			}
		}
		if (!err) {
			h->registered = true;
			if (!h->is_kretprobe && via_ftrace &&
			    tcpstate_ftrace_add(h)) {
				/* Not at an ftrace call site: an int3 kprobe. */
				err = entry_hook.value == TCPSTATE_ENTRY_FTRACE ?
				      -EOPNOTSUPP : enable_kprobe(&h->kp);
				if (err) {
					pr_err("cannot hook %s with ftrace: %d\n",
					       tcpstate_hook_name(h), err);
					goto out_detach;
				}
			}
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
	err = tcpstate_ftrace_start();
	if (err)
		goto out_detach;
	return 0;

out_detach:
	tcpstate_kprobes_detach();
	return err;
}
