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

#include "internal.h"

#define TCPSTATE_VERSION	"0.1.0"
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

static int __init tcpstate_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct tcpstate_info) != TCPSTATE_INFO_SIZE);
	BUILD_BUG_ON(sizeof(struct tcpstate_ctrl) != TCPSTATE_CTRL_SIZE);
	BUILD_BUG_ON(sizeof(struct tcpstate_rec_hdr) != TCPSTATE_REC_HDR_SIZE);
	BUILD_BUG_ON(sizeof(struct tcpstate_event) != TCPSTATE_EVENT_SIZE);
	BUILD_BUG_ON(TCPSTATE_REC_SPAN(sizeof(struct tcpstate_event)) !=
		     TCPSTATE_RECORD_SPAN);

	err = tcpstate_ring_alloc(&tcpstate_ring, (size_t)ring_size_kb * 1024);
	if (err) {
		pr_err("cannot allocate a %u KiB ring\n", ring_size_kb);
		return err;
	}
	err = tcpstate_probes_attach();
	if (err)
		goto out_free_ring;
	err = tcpstate_device_register();
	if (err) {
		pr_err("cannot register /dev/tcpstate: %d\n", err);
		goto out_detach_probes;
	}
	pr_info("version %s loaded, ring %u KiB\n", TCPSTATE_VERSION,
		ring_size_kb);
	return 0;

out_detach_probes:
	tcpstate_probes_detach();
out_free_ring:
	tcpstate_ring_free(&tcpstate_ring);
	return err;
}

static void __exit tcpstate_exit(void)
{
	/* No file is open (each holds a module reference): no reader. */
	tcpstate_device_unregister();
	tcpstate_probes_detach();
	tcpstate_ring_free(&tcpstate_ring);
}

module_init(tcpstate_init);
module_exit(tcpstate_exit);

MODULE_DESCRIPTION("TCP connection lifecycle tracer: handshakes, teardowns, SYN queue and TIME_WAIT, via a zero-copy ring at /dev/tcpstate");
MODULE_AUTHOR("tcpstate developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(TCPSTATE_VERSION);
