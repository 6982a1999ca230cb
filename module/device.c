// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/tcpstate, the files: who may open it, what each file operation
 * means, and /sys/class/misc/tcpstate/hooks. Any privileged opener may ask
 * for the ring's layout and its namespace's counters; what a reader holds
 * once it maps the ring is the reader session's (events.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>

#include "internal.h"

static int tcpstate_open(struct inode *inode, struct file *file)
{
	/* capable() checks the initial user namespace. */
	if (!capable(CAP_NET_ADMIN) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static int tcpstate_release(struct inode *inode, struct file *file)
{
	tcpstate_session_end(file);
	return 0;
}

static int tcpstate_set_filter(struct file *file, const void __user *arg)
{
	struct tcpstate_filter *f;

	f = memdup_user(arg, sizeof(*f));
	if (IS_ERR(f))
		return PTR_ERR(f);
	return tcpstate_session_set_filter(file, f);
}

static int tcpstate_mmap(struct file *file, struct vm_area_struct *vma)
{
	/*
	 * A reader writes consumer_pos: a file opened read-only could only
	 * hold the ring without ever draining it.
	 */
	if (!(file->f_mode & FMODE_WRITE))
		return -EACCES;
	return tcpstate_session_map(file, vma);
}

static __poll_t tcpstate_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &tcpstate_ring.waitq, wait);
	/* Only the reader that holds the ring ever gets data. */
	if (!tcpstate_session_held_by(file))
		return EPOLLERR;
	if (tcpstate_ring_poll_arm(&tcpstate_ring))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static long tcpstate_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct tcpstate_counters counters;
	struct tcpstate_info info;

	switch (cmd) {
	case TCPSTATE_IOC_GET_INFO:
		info = (struct tcpstate_info) {
			.magic = TCPSTATE_MAGIC,
			.abi_version = TCPSTATE_ABI_VERSION,
			.page_size = PAGE_SIZE,
			.record_size = sizeof(struct tcpstate_event),
			.data_size = tcpstate_ring_data_size(&tcpstate_ring),
			.consumer_off = TCPSTATE_CONSUMER_PGOFF << PAGE_SHIFT,
			.ctrl_off = TCPSTATE_CTRL_PGOFF << PAGE_SHIFT,
		};
		if (copy_to_user((void __user *)arg, &info, sizeof(info)))
			return -EFAULT;
		return 0;
	case TCPSTATE_IOC_GET_COUNTERS:
		tcpstate_counters_get(current->nsproxy->net_ns, &counters);
		if (copy_to_user((void __user *)arg, &counters, sizeof(counters)))
			return -EFAULT;
		return 0;
	case TCPSTATE_IOC_SET_FILTER:
		return tcpstate_set_filter(file, (const void __user *)arg);
	case TCPSTATE_IOC_RESEED:
		if (!capable(CAP_NET_ADMIN))
			return -EPERM;
		return tcpstate_reseed();
	default:
		return -ENOTTY;
	}
}

static const struct file_operations tcpstate_fops = {
	.owner = THIS_MODULE,
	.open = tcpstate_open,
	.release = tcpstate_release,
	.mmap = tcpstate_mmap,
	.poll = tcpstate_poll,
	.unlocked_ioctl = tcpstate_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * /sys/class/misc/tcpstate/hooks: what this kernel let tcpstate attach to,
 * one "tracepoint NAME" or "kprobe|kretprobe NAME missed=N" a line
 * (docs/kernels.md); the missed= column adds up to probes_missed.
 * Hooks are attached before the device exists and detached after it is
 * gone.
 */
static ssize_t hooks_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return tcpstate_kprobes_show(buf, tcpstate_tracepoints_show(buf, 0));
}
static DEVICE_ATTR_RO(hooks);

static struct attribute *tcpstate_attrs[] = {
	&dev_attr_hooks.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tcpstate);

static struct miscdevice tcpstate_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tcpstate",
	.fops = &tcpstate_fops,
	.mode = 0600,
	.groups = tcpstate_groups,
};

int tcpstate_device_register(void)
{
	return misc_register(&tcpstate_miscdev);
}

void tcpstate_device_unregister(void)
{
	misc_deregister(&tcpstate_miscdev);
}
