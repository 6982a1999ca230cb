// SPDX-License-Identifier: GPL-2.0
/*
 * insncount: a QEMU TCG plugin that counts the guest instructions each
 * vCPU executes, kernel, shared libraries and programs apart, and writes
 * the running totals to
 * a file whenever the guest asks for a mark (bench/insnmark):
 *
 *   cpuid with EAX = INSN_MARK_MAGIC, EBX = the mark's number
 *
 * Each mark appends one line, cumulative since boot:
 *
 *   mark N ncpu C total T0 T1 ... kernel K0 K1 ... lib L0 L1 ... host_ns H
 *
 * Counting is inline: every translated block adds its instruction count
 * to its vCPU's counter when it starts (a per-vCPU scoreboard, no call
 * out of generated code), into one of three by the block's address:
 * x86-64's upper half is the kernel's; below it, from 0x7f0000000000 up,
 * where Linux maps shared libraries (and the stack) under the default
 * layout, "lib"; the rest, a PIE program's own text (0x55...), "prog",
 * the total less the other two. Only cpuid
 * instructions get a callback, which reads RAX and RBX.
 *
 * A block is counted whole when it starts: an exception or interrupt
 * that leaves it early counts the instructions it skipped. Under load
 * this is a few instructions per interrupt.
 *
 * Arguments: out=FILE (required).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <qemu-plugin.h>

#include "insnmark.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define KERNEL_START 0xffff800000000000ULL
#define MMAP_START 0x7f0000000000ULL
#define MAX_VCPUS 64

struct vcpu_count {
	uint64_t prog;
	uint64_t lib;
	uint64_t kernel;
};

struct vcpu_regs {
	struct qemu_plugin_register *rax;
	struct qemu_plugin_register *rbx;
};

static struct qemu_plugin_scoreboard *counts;
static qemu_plugin_u64 prog_insns;
static qemu_plugin_u64 lib_insns;
static qemu_plugin_u64 kernel_insns;
static struct vcpu_regs regs[MAX_VCPUS];
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *out;
static int nr_vcpus;

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The low 64 bits of a register, as the guest sees it (little endian). */
static int read_reg64(struct qemu_plugin_register *reg, uint64_t *val)
{
	GByteArray *buf = g_byte_array_new();
	int n = qemu_plugin_read_register(reg, buf);
	int ret = -1;

	if (n >= 4) {
		uint64_t v = 0;
		int i;

		for (i = (n < 8 ? n : 8) - 1; i >= 0; i--)
			v = (v << 8) | buf->data[i];
		*val = v;
		ret = 0;
	}
	g_byte_array_free(buf, TRUE);
	return ret;
}

static void write_mark(const char *what, uint64_t n)
{
	int i;

	pthread_mutex_lock(&out_lock);
	fprintf(out, "%s %" PRIu64 " ncpu %d total", what, n, nr_vcpus);
	for (i = 0; i < nr_vcpus; i++)
		fprintf(out, " %" PRIu64,
			qemu_plugin_u64_get(prog_insns, i) +
			qemu_plugin_u64_get(lib_insns, i) +
			qemu_plugin_u64_get(kernel_insns, i));
	fputs(" kernel", out);
	for (i = 0; i < nr_vcpus; i++)
		fprintf(out, " %" PRIu64, qemu_plugin_u64_get(kernel_insns, i));
	fputs(" lib", out);
	for (i = 0; i < nr_vcpus; i++)
		fprintf(out, " %" PRIu64, qemu_plugin_u64_get(lib_insns, i));
	fprintf(out, " host_ns %" PRIu64 "\n", host_ns());
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

static void cpuid_exec(unsigned int vcpu, void *udata)
{
	uint64_t rax, rbx;

	(void)udata;
	if (vcpu >= MAX_VCPUS || !regs[vcpu].rax || !regs[vcpu].rbx)
		return;
	if (read_reg64(regs[vcpu].rax, &rax) || (uint32_t)rax != INSN_MARK_MAGIC)
		return;
	if (read_reg64(regs[vcpu].rbx, &rbx))
		return;
	write_mark("mark", (uint32_t)rbx);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	qemu_plugin_u64 counter = pc >= KERNEL_START ? kernel_insns :
				  pc >= MMAP_START ? lib_insns : prog_insns;

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb,
		QEMU_PLUGIN_INLINE_ADD_U64, counter, n);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint8_t op[2];

		if (qemu_plugin_insn_size(insn) != 2 ||
		    qemu_plugin_insn_data(insn, op, sizeof(op)) != sizeof(op))
			continue;
		if (op[0] == 0x0f && op[1] == 0xa2)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, cpuid_exec,
				QEMU_PLUGIN_CB_R_REGS, NULL);
	}
}

static void vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
	GArray *descs;
	guint i;

	(void)id;
	if (vcpu >= MAX_VCPUS) {
		fprintf(stderr, "insncount: vCPU %u: only %d are counted\n",
			vcpu, MAX_VCPUS);
		return;
	}
	descs = qemu_plugin_get_registers();
	if ((int)vcpu + 1 > nr_vcpus)
		nr_vcpus = vcpu + 1;
	for (i = 0; i < descs->len; i++) {
		qemu_plugin_reg_descriptor *d =
			&g_array_index(descs, qemu_plugin_reg_descriptor, i);

		if (!strcmp(d->name, "rax"))
			regs[vcpu].rax = d->handle;
		else if (!strcmp(d->name, "rbx"))
			regs[vcpu].rbx = d->handle;
	}
	g_array_free(descs, TRUE);
	if (!regs[vcpu].rax || !regs[vcpu].rbx)
		fprintf(stderr, "insncount: vCPU %u has no rax/rbx: no marks\n", vcpu);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	write_mark("exit", 0);
	fclose(out);
	qemu_plugin_scoreboard_free(counts);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;
	int i;

	if (strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "insncount: x86_64 guests only, not %s\n",
			info->target_name);
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			path = argv[i] + 4;
		} else {
			fprintf(stderr, "insncount: unknown argument '%s'\n", argv[i]);
			return -1;
		}
	}
	if (!path) {
		fprintf(stderr, "insncount: out=FILE is required\n");
		return -1;
	}
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	counts = qemu_plugin_scoreboard_new(sizeof(struct vcpu_count));
	prog_insns = qemu_plugin_scoreboard_u64_in_struct(counts,
		struct vcpu_count, prog);
	lib_insns = qemu_plugin_scoreboard_u64_in_struct(counts,
		struct vcpu_count, lib);
	kernel_insns = qemu_plugin_scoreboard_u64_in_struct(counts,
		struct vcpu_count, kernel);
	qemu_plugin_register_vcpu_init_cb(id, vcpu_init);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
