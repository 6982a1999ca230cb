// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate_nest: makes tcpstate's kprobes miss, on purpose, for
 * selftests/miss_test.c. Not part of tcpstate.
 *
 * A kprobe on the entry of a cheap syscall (@symbol) whose handler
 * busy-waits @delay_us when the calling process is @tgid. At a function
 * entry on x86 the kprobe is ftrace-based: its handler runs with
 * interrupts as the caller had them (on, in a syscall) while the CPU's
 * current_kprobe is set. A timer interrupt that ends inside the wait runs
 * the pending softirqs right there (irq_exit), so a request sock's SYN-ACK
 * timer pinned to that CPU expires inside this handler: every kprobe it
 * reaches sees kprobe_running() and only counts nmissed
 * (kprobe_ftrace_handler(), or reenter_kprobe() for an int3 one). That is
 * how tcpstate misses __inet_csk_reqsk_queue_drop (or reqsk_queue_unlink)
 * and its SYN_RECV gauge keeps a request sock that is gone.
 *
 * Read-only parameters report what happened: @hits (handler runs that
 * waited), @irqs_on_hits (of those, with interrupts on: only those can
 * nest a softirq) and @ftrace (1: the kprobe is ftrace-based).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sched.h>

static char *symbol = "__x64_sys_getppid";
module_param(symbol, charp, 0444);
MODULE_PARM_DESC(symbol, "Function to probe (default __x64_sys_getppid)");

static int tgid;
module_param(tgid, int, 0444);
MODULE_PARM_DESC(tgid, "Only calls from this process wait (0: none)");

static uint delay_us = 10000;
module_param(delay_us, uint, 0444);
MODULE_PARM_DESC(delay_us, "How long each such call waits, in us (default 10000, at most 100000)");

static ulong hits;
module_param(hits, ulong, 0444);
MODULE_PARM_DESC(hits, "Handler runs that waited");

static ulong irqs_on_hits;
module_param(irqs_on_hits, ulong, 0444);
MODULE_PARM_DESC(irqs_on_hits, "Handler runs that waited with interrupts on");

static bool ftrace;
module_param(ftrace, bool, 0444);
MODULE_PARM_DESC(ftrace, "Whether the kprobe is ftrace-based");

#define NEST_DELAY_MAX_US	100000U

static int nest_pre(struct kprobe *p, struct pt_regs *regs)
{
	uint us;

	if (!tgid || current->tgid != tgid)
		return 0;
	WRITE_ONCE(hits, hits + 1);
	if (!irqs_disabled())
		WRITE_ONCE(irqs_on_hits, irqs_on_hits + 1);
	/* udelay() per 1000 us: mdelay()'s own loop, without its
	 * compile-time constant check on a variable argument.
	 */
	for (us = delay_us; us; us -= min(us, 1000U))
		udelay(min(us, 1000U));
	return 0;
}

static struct kprobe nest_kp = {
	.pre_handler = nest_pre,
};

static int __init nest_init(void)
{
	int err;

	if (delay_us > NEST_DELAY_MAX_US)
		return -EINVAL;
	nest_kp.symbol_name = symbol;
	err = register_kprobe(&nest_kp);
	if (err) {
		pr_err("cannot probe %s: %d\n", symbol, err);
		return err;
	}
	ftrace = nest_kp.flags & KPROBE_FLAG_FTRACE;
	pr_info("probing %s (%s), %u us for tgid %d\n", symbol,
		ftrace ? "ftrace-based" : "int3", delay_us, tgid);
	return 0;
}

static void __exit nest_exit(void)
{
	unregister_kprobe(&nest_kp);
}

module_init(nest_init);
module_exit(nest_exit);
MODULE_DESCRIPTION("tcpstate selftest helper: a slow kprobe that nests softirqs");
MODULE_LICENSE("GPL");
