// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate: TCP connection lifecycle events, streamed to userspace through
 * a zero-copy ring that /dev/tcpstate maps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "internal.h"

#define TCPSTATE_VERSION	"0.2.0"
/* 1 GiB: beyond that a tracing ring is a misconfiguration. */
#define TCPSTATE_RING_MAX_KB	SZ_1M

struct tcpstate_ring tcpstate_ring;

static unsigned int ring_size_kb = 16384;

static int tcpstate_set_ring_size(const char *val,
				  const struct kernel_param *kp)
{
	unsigned int kb;
	int err;

	err = kstrtouint(val, 0, &kb);
	if (err) {
		pr_err("ring_size_kb=%s: not a number\n", val);
		return err;
	}
	if (!is_power_of_2(kb) || (u64)kb * 1024 < PAGE_SIZE ||
	    kb > TCPSTATE_RING_MAX_KB) {
		pr_err("ring_size_kb=%u: must be a power of two from %lu to %u\n",
		       kb, PAGE_SIZE / 1024, TCPSTATE_RING_MAX_KB);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = kb;
	return 0;
}

static const struct kernel_param_ops tcpstate_ring_size_ops = {
	.set = tcpstate_set_ring_size,
	.get = param_get_uint,
};

module_param_cb(ring_size_kb, &tcpstate_ring_size_ops, &ring_size_kb, 0444);
__MODULE_PARM_TYPE(ring_size_kb, "uint");
MODULE_PARM_DESC(ring_size_kb,
		 "Event ring size in KiB, a power of two (default 16384: 16 MiB, about 174k events)");

enum tcpstate_attach {
	TCPSTATE_ATTACH_AUTO,
	TCPSTATE_ATTACH_TRACEPOINT,
	TCPSTATE_ATTACH_KPROBE,
};

static const char *const tcpstate_attach_names[] = {
	[TCPSTATE_ATTACH_AUTO] = "auto",
	[TCPSTATE_ATTACH_TRACEPOINT] = "tracepoint",
	[TCPSTATE_ATTACH_KPROBE] = "kprobe",
};

static struct tcpstate_choice attach = {
	.value = TCPSTATE_ATTACH_AUTO,
	.names = tcpstate_attach_names,
	.nr_names = ARRAY_SIZE(tcpstate_attach_names),
};

static int tcpstate_set_choice(const char *val, const struct kernel_param *kp)
{
	struct tcpstate_choice *choice = kp->arg;
	int i = __sysfs_match_string(choice->names, choice->nr_names, val);

	if (i < 0) {
		char list[64];
		int at = 0, j;

		for (j = 0; j < choice->nr_names; j++)
			at += scnprintf(list + at, sizeof(list) - at, "%s%s",
					!j ? "" : j + 1 < choice->nr_names ?
					", " : " or ", choice->names[j]);
		pr_err("%s=%s: must be %s\n", kp->name, val, list);
		return -EINVAL;
	}
	choice->value = i;
	return 0;
}

static int tcpstate_get_choice(char *buf, const struct kernel_param *kp)
{
	const struct tcpstate_choice *choice = kp->arg;

	return sysfs_emit(buf, "%s\n", choice->names[choice->value]);
}

const struct kernel_param_ops tcpstate_choice_ops = {
	.set = tcpstate_set_choice,
	.get = tcpstate_get_choice,
};

module_param_cb(attach, &tcpstate_choice_ops, &attach, 0444);
__MODULE_PARM_TYPE(attach, "charp");
MODULE_PARM_DESC(attach,
		 "How state changes, SYN-ACK retransmits and RSTs are hooked: auto (tracepoints if the kernel has them, else kprobes), tracepoint, or kprobe");

/*
 * For `make bench`'s table of hooks only (docs/performance.md): what each
 * hook costs, measured with it left off, and how often it runs. With
 * debug_unhook=, the events and counters of what the hooks left off see
 * are missing or wrong: never for use.
 */
bool tcpstate_debug_hits;
module_param_named(debug_hits, tcpstate_debug_hits, bool, 0444);
MODULE_PARM_DESC(debug_hits,
		 "Debug only: count each hook's calls and time its handlers, per CPU, shown as hits= ns= in /sys/class/misc/tcpstate/hooks (default off)");

/*
 * debug_unhook=NAME[,NAME...]: tracepoints and rows of the hook table not
 * to hook, even where that leaves events out (a required row, a
 * tracepoint), unlike skip_hooks=.
 */
static int tcpstate_set_debug_unhook(const char *val,
				     const struct kernel_param *kp)
{
	char *list, *cur, *name;
	int err = 0;

	list = kstrdup(val, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	tcpstate_kprobes_unhook(NULL);
	tcpstate_tracepoints_unhook(NULL);
	cur = strim(list);
	while ((name = strsep(&cur, ",")) != NULL) {
		if (!*name)
			continue;
		if (!tcpstate_kprobes_unhook(name) &&
		    !tcpstate_tracepoints_unhook(name)) {
			pr_err("debug_unhook: no hook named '%s' (see /sys/class/misc/tcpstate/hooks)\n",
			       name);
			err = -EINVAL;
			break;
		}
	}
	kfree(list);
	if (!err)
		err = param_set_charp(val, kp);
	return err;
}

static const struct kernel_param_ops tcpstate_debug_unhook_ops = {
	.set = tcpstate_set_debug_unhook,
	.get = param_get_charp,
	.free = param_free_charp,
};

static char *debug_unhook;
module_param_cb(debug_unhook, &tcpstate_debug_unhook_ops, &debug_unhook, 0444);
__MODULE_PARM_TYPE(debug_unhook, "charp");
MODULE_PARM_DESC(debug_unhook,
		 "Debug only: comma-separated hooks (tracepoints, hooked functions) left unhooked, events then incomplete: for the bench (default: none)");

/* Whether the tracepoints are in use; decided once, at load. */
static bool tcpstate_use_tracepoints;

static int tcpstate_attach_hooks(void)
{
	int err;

	tcpstate_use_tracepoints = attach.value == TCPSTATE_ATTACH_TRACEPOINT ||
		(attach.value == TCPSTATE_ATTACH_AUTO && tcpstate_tracepoints_present());
	if (tcpstate_use_tracepoints) {
		err = tcpstate_tracepoints_attach();
		if (err)
			return err;
	}
	err = tcpstate_kprobes_attach(!tcpstate_use_tracepoints);
	if (err && tcpstate_use_tracepoints)
		tcpstate_tracepoints_detach();
	return err;
}

static void tcpstate_detach_hooks(void)
{
	tcpstate_kprobes_detach();
	if (tcpstate_use_tracepoints)
		tcpstate_tracepoints_detach();
}

static int __init tcpstate_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct tcpstate_info) != TCPSTATE_INFO_SIZE);
	BUILD_BUG_ON(sizeof(struct tcpstate_ctrl) != TCPSTATE_CTRL_SIZE);
	BUILD_BUG_ON(sizeof(struct tcpstate_rec_hdr) != TCPSTATE_REC_HDR_SIZE);
	BUILD_BUG_ON(sizeof(struct tcpstate_event) != TCPSTATE_EVENT_SIZE);
	BUILD_BUG_ON(TCPSTATE_REC_SPAN(sizeof(struct tcpstate_event)) !=
		     TCPSTATE_RECORD_SPAN);
	BUILD_BUG_ON(sizeof(struct tcpstate_counters) != TCPSTATE_COUNTERS_SIZE);
	BUILD_BUG_ON(sizeof(struct tcpstate_filter) != TCPSTATE_FILTER_SIZE);

	tcpstate_events_init();
	err = tcpstate_ring_alloc(&tcpstate_ring, (size_t)ring_size_kb * 1024);
	if (err) {
		pr_err("cannot allocate a %u KiB ring\n", ring_size_kb);
		return err;
	}
	err = tcpstate_counters_init();
	if (err) {
		pr_err("cannot set up per-netns counters: %d\n", err);
		goto out_free_ring;
	}
	tcpstate_seed_init();
	err = tcpstate_attach_hooks();
	if (err)
		goto out_exit_counters;
	/* Hooked first, then count what exists: see seed.c. */
	err = tcpstate_seed();
	if (err) {
		pr_err("cannot count existing sockets: %d\n", err);
		goto out_detach_hooks;
	}
	err = tcpstate_device_register();
	if (err) {
		pr_err("cannot register /dev/tcpstate: %d\n", err);
		goto out_detach_hooks;
	}
	pr_info("version %s loaded, ring %u KiB, %s\n", TCPSTATE_VERSION,
		ring_size_kb, tcpstate_use_tracepoints ? "tracepoints" : "kprobes");
	if (debug_unhook && *debug_unhook)
		pr_warn("debug_unhook=%s: events incomplete, for the bench only\n",
			debug_unhook);
	return 0;

out_detach_hooks:
	tcpstate_detach_hooks();
out_exit_counters:
	tcpstate_counters_exit();
out_free_ring:
	tcpstate_ring_free(&tcpstate_ring);
	return err;
}

static void __exit tcpstate_exit(void)
{
	/* No file is open (each holds a module reference): no reader. */
	tcpstate_device_unregister();
	tcpstate_detach_hooks();
	tcpstate_counters_exit();
	tcpstate_ring_free(&tcpstate_ring);
}

module_init(tcpstate_init);
module_exit(tcpstate_exit);

MODULE_DESCRIPTION("TCP connection lifecycle tracer: handshakes, teardowns, SYN queue and TIME_WAIT, via a zero-copy ring at /dev/tcpstate");
MODULE_AUTHOR("tcpstate developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(TCPSTATE_VERSION);
