// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_hookcost: what the trap into a hook costs, apart from what its
 * handler does, for `make bench` (docs/performance.md, "What each hook
 * costs"). Not part of tcpstate.
 *
 * Hooks @symbol, a cheap system call's entry, the way tcpstate.ko hooks a
 * kernel function, with handlers that do nothing:
 *  - kprobe: a kprobe (at a function entry on x86, ftrace-based);
 *  - kretprobe: a kretprobe whose entry handler keeps the instance, so
 *    that the function's return is trapped too, as tcpstate's kretprobes
 *    do when the call is one they report;
 *  - kretprobe_skip: a kretprobe whose entry handler gives the instance
 *    back (returns 1), as tcpstate's do for calls they need not follow;
 *  - ftrace: an ftrace_ops callback on the function's entry, the layer a
 *    kprobe at a function entry sits on (kprobe_ftrace_handler() is such
 *    a callback): what an entry hook costs without the kprobe layer. The
 *    argument registers are saved (ftrace_regs, or pt_regs before 5.11),
 *    as a hook reading its arguments needs;
 *  - ftrace_regs: the same with FTRACE_OPS_FL_SAVE_REGS, every register
 *    saved in a pt_regs, as a kprobe's handler gets them;
 *  - fprobe, fprobe_skip: an fprobe (ftrace's entry and exit hook, where
 *    the kernel builds and exports it: CONFIG_FPROBE, 6.12 and 7.3 of the
 *    matrix), its return trapped or, its entry handler returning 1, not:
 *    what an exit hook would cost there instead of a kretprobe;
 *  - kprobe_timed: a kprobe whose handler only times itself as
 *    tcpstate.ko's debug_hits=1 times a handler (local_clock() before and
 *    after): @ns / @hits is what that timing reads for no work, to be
 *    taken off the handler times it reports.
 * bench/getppidloop times the call with and without the module; the
 * difference is the trap. tcpstate's own handlers time themselves
 * (debug_hits=1, the "ns=" of /sys/class/misc/tcpstate/hooks).
 *
 * @hits (read-only): the entry handler's runs, to check that the calls
 * timed were trapped; @ns (read-only): kprobe_timed's time, in ns.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#ifdef HOOKCOST_HAVE_FPROBE
#include <linux/fprobe.h>
#endif
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sched/clock.h>
#include <linux/string.h>

static char *symbol = "__x64_sys_getppid";
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "Function to hook (default __x64_sys_getppid)");

static char *kind = "kprobe";
module_param(kind, charp, 0444);
MODULE_PARM_DESC(kind, "kprobe, kprobe_timed, kretprobe, kretprobe_skip, ftrace, ftrace_regs, fprobe or fprobe_skip (default kprobe)");

static atomic64_t hits = ATOMIC64_INIT(0);
static atomic64_t ns = ATOMIC64_INIT(0);

static int hookcost_get_count(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(kp->arg));
}

static const struct kernel_param_ops hookcost_count_ops = {
	.get = hookcost_get_count,
};

module_param_cb(hits, &hookcost_count_ops, &hits, 0444);
MODULE_PARM_DESC(hits, "Entry handler runs");
module_param_cb(ns, &hookcost_count_ops, &ns, 0444);
MODULE_PARM_DESC(ns, "kprobe_timed: the time its handler read, in ns");

/*
 * The per-instance data tcpstate's largest kretprobe keeps (its
 * tcpstate_mib_args: an event and four counters), so that instances are
 * as large as tcpstate's.
 */
#define HOOKCOST_DATA_SIZE	192

static bool hookcost_skip;

static int hookcost_pre(struct kprobe *p, struct pt_regs *regs)
{
	atomic64_inc(&hits);
	return 0;
}

/* As tcpstate_count_pre() (module/kprobes.c) around a handler doing nothing. */
static int hookcost_pre_timed(struct kprobe *p, struct pt_regs *regs)
{
	u64 since = local_clock();

	atomic64_inc(&hits);
	atomic64_add(local_clock() - since, &ns);
	return 0;
}

static int hookcost_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	atomic64_inc(&hits);
	return hookcost_skip;
}

static int hookcost_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

#ifdef HOOKCOST_HAVE_FTRACE_REGS
static void hookcost_ftrace(unsigned long ip, unsigned long parent_ip,
			    struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	atomic64_inc(&hits);
}

/* The argument registers are in ftrace_regs without asking (x86, 5.11+). */
#define HOOKCOST_FTRACE_FLAGS	0
#else
static void hookcost_ftrace(unsigned long ip, unsigned long parent_ip,
			    struct ftrace_ops *op, struct pt_regs *regs)
{
	atomic64_inc(&hits);
}

#define HOOKCOST_FTRACE_FLAGS	FTRACE_OPS_FL_SAVE_REGS
#endif

static struct ftrace_ops hookcost_ops = {
	.func = hookcost_ftrace,
	.flags = HOOKCOST_FTRACE_FLAGS,
};

static bool hookcost_is_ftrace;

static void hookcost_ftrace_free_filter(void)
{
#ifdef HOOKCOST_HAVE_FTRACE_FREE_FILTER
	ftrace_free_filter(&hookcost_ops);
#endif
}

/*
 * The address a kprobe on @symbol takes, its ftrace call site: the same
 * function (a system call's __x64_sys_ name is an alias ftrace does not
 * list).
 */
static int hookcost_symbol_addr(unsigned long *addr)
{
	struct kprobe probe = { .symbol_name = symbol };
	int err;

	err = register_kprobe(&probe);
	if (err)
		return err;
	*addr = (unsigned long)probe.addr;
	unregister_kprobe(&probe);
	return 0;
}

static int hookcost_ftrace_register(void)
{
	unsigned long addr;
	int err;

#ifndef HOOKCOST_HAVE_FTRACE_FREE_FILTER
	/* Its filter could not be freed at rmmod (exported since 6.1.y). */
	pr_err("kind=ftrace: this kernel does not export ftrace_free_filter()\n");
	return -EOPNOTSUPP;
#endif
	err = hookcost_symbol_addr(&addr);
	if (err)
		return err;
	err = ftrace_set_filter_ip(&hookcost_ops, addr, 0, 1);
	if (err)
		return err;
	err = register_ftrace_function(&hookcost_ops);
	if (err)
		hookcost_ftrace_free_filter();
	return err;
}

#ifdef HOOKCOST_HAVE_FPROBE
/* The fprobe handlers' registers: struct ftrace_regs since 6.14. */
#ifdef HOOKCOST_FPROBE_FTRACE_REGS
#define hookcost_fprobe_regs	ftrace_regs
#else
#define hookcost_fprobe_regs	pt_regs
#endif

static int hookcost_fprobe_entry(struct fprobe *fp, unsigned long entry_ip,
				 unsigned long ret_ip,
				 struct hookcost_fprobe_regs *regs, void *entry_data)
{
	atomic64_inc(&hits);
	return hookcost_skip;
}

static void hookcost_fprobe_exit(struct fprobe *fp, unsigned long entry_ip,
				 unsigned long ret_ip,
				 struct hookcost_fprobe_regs *regs, void *entry_data)
{
}

static struct fprobe hookcost_fp = {
	.entry_handler = hookcost_fprobe_entry,
	.exit_handler = hookcost_fprobe_exit,
};

static int hookcost_fprobe_register(void)
{
	unsigned long addr;
	int err;

	err = hookcost_symbol_addr(&addr);
	if (err)
		return err;
	hookcost_fp.entry_data_size = HOOKCOST_DATA_SIZE;
#ifdef MAX_FPROBE_DATA_SIZE
	/* At most 15 words since 6.14. */
	hookcost_fp.entry_data_size = min_t(size_t, HOOKCOST_DATA_SIZE,
					    MAX_FPROBE_DATA_SIZE);
#endif
	return register_fprobe_ips(&hookcost_fp, &addr, 1);
}

static void hookcost_fprobe_unregister(void)
{
	unregister_fprobe(&hookcost_fp);
}
#else
static int hookcost_fprobe_register(void)
{
	pr_err("kind=fprobe: this kernel gives modules no fprobe\n");
	return -EOPNOTSUPP;
}

static void hookcost_fprobe_unregister(void)
{
}
#endif

static bool hookcost_is_fprobe;

static struct kprobe hookcost_kp = {
	.pre_handler = hookcost_pre,
};

static struct kretprobe hookcost_krp = {
	.entry_handler = hookcost_entry,
	.handler = hookcost_ret,
	.data_size = HOOKCOST_DATA_SIZE,
};

static bool hookcost_is_kretprobe;

static int __init hookcost_init(void)
{
	int err;

	if (!strcmp(kind, "kprobe") || !strcmp(kind, "kprobe_timed")) {
		if (!strcmp(kind, "kprobe_timed"))
			hookcost_kp.pre_handler = hookcost_pre_timed;
		hookcost_kp.symbol_name = symbol;
		err = register_kprobe(&hookcost_kp);
	} else if (!strcmp(kind, "kretprobe") ||
		   !strcmp(kind, "kretprobe_skip")) {
		hookcost_is_kretprobe = true;
		hookcost_skip = !strcmp(kind, "kretprobe_skip");
		hookcost_krp.kp.symbol_name = symbol;
		err = register_kretprobe(&hookcost_krp);
	} else if (!strcmp(kind, "ftrace") || !strcmp(kind, "ftrace_regs")) {
		hookcost_is_ftrace = true;
		if (!strcmp(kind, "ftrace_regs"))
			hookcost_ops.flags |= FTRACE_OPS_FL_SAVE_REGS;
		err = hookcost_ftrace_register();
	} else if (!strcmp(kind, "fprobe") || !strcmp(kind, "fprobe_skip")) {
		hookcost_is_fprobe = true;
		hookcost_skip = !strcmp(kind, "fprobe_skip");
		err = hookcost_fprobe_register();
	} else {
		pr_err("kind=%s: not kprobe, kprobe_timed, kretprobe, kretprobe_skip, ftrace, ftrace_regs, fprobe or fprobe_skip\n",
		       kind);
		return -EINVAL;
	}
	if (err)
		pr_err("cannot hook %s (%s): %d\n", symbol, kind, err);
	return err;
}

static void __exit hookcost_exit(void)
{
	if (hookcost_is_ftrace) {
		unregister_ftrace_function(&hookcost_ops);
		hookcost_ftrace_free_filter();
	} else if (hookcost_is_fprobe) {
		hookcost_fprobe_unregister();
	} else if (hookcost_is_kretprobe) {
		unregister_kretprobe(&hookcost_krp);
	} else {
		unregister_kprobe(&hookcost_kp);
	}
}

module_init(hookcost_init);
module_exit(hookcost_exit);
MODULE_DESCRIPTION("tcpstate bench: the cost of a kprobe's or kretprobe's trap");
MODULE_LICENSE("GPL");
