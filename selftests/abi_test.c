// SPDX-License-Identifier: GPL-2.0
/*
 * ABI 2 as the module serves it, run as root in the VM
 * (scripts/guest/check.sh): GET_INFO and the control page say version 2
 * and 144-byte records, and every record in the ring is one; the reader of
 * ABI 1 (tcpstate-watch of commit 188132e, built by scripts/abi1.sh reader
 * and shipped in the image as /tcpstate/old-reader/tcpstate-watch)
 * refuses the module with a clear message and a failing exit status; and
 * this reader refuses the module of ABI 1 (the same commit, built for the
 * kernel by scripts/kernels.sh build, shipped as
 * /tcpstate/module/tcpstate-abi1.ko) the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcpstate_net.h"

#define OLD_READER_DEFAULT	"/tcpstate/old-reader/tcpstate-watch"
#define OLD_READER_MESSAGE	"ABI mismatch: module has ABI v2, this reader v1"
#define OLD_MODULE		"/tcpstate/module/tcpstate-abi1.ko"
#define NEW_READER_MESSAGE \
	"ABI mismatch: tcpstate.ko speaks ABI 1, this tcpstate-watch needs ABI 2"

/* The numbers of ABI 2, written out: the header's may not drift. */
#define ABI2_VERSION		2
#define ABI2_EVENT_SIZE		144

static void ensure_module(struct __test_metadata *_metadata)
{
	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
}

TEST(get_info_says_abi2)
{
	struct tcpstate_info info;
	int fd;

	ensure_module(_metadata);
	fd = open(TCPSTATE_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TCPSTATE_IOC_GET_INFO, &info));
	close(fd);
	EXPECT_EQ(TCPSTATE_MAGIC, info.magic);
	EXPECT_EQ(ABI2_VERSION, info.abi_version);
	EXPECT_EQ(ABI2_EVENT_SIZE, info.record_size);
	EXPECT_EQ(ABI2_EVENT_SIZE, sizeof(struct tcpstate_event));
	EXPECT_EQ(ABI2_EVENT_SIZE, TCPSTATE_EVENT_SIZE);
}

/* The control page agrees, and so does every record of real traffic. */
TEST(records_are_abi2)
{
	struct tcpstate_reader r;
	struct ev_log log;
	char err[256];
	int lfd;

	ensure_module(_metadata);
	ASSERT_EQ(0, tcpstate_reader_open(&r, TCPSTATE_DEVICE, err,
					  sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(ABI2_VERSION, r.ring.ctrl->abi_version);
	EXPECT_EQ(ABI2_EVENT_SIZE, r.ring.ctrl->record_size);
	ASSERT_EQ(0, netns_new());
	ASSERT_EQ(0, ev_log_init(&log, 256, netns_inode()));
	lfd = tcp_listen(AF_INET, NULL, 0, 8);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, loopback_connection(lfd, AF_INET, 0, CLOSE_CLIENT, NULL,
					 NULL));
	close(lfd);
	/* The ring reader stops at a record shorter than ours (ring_reader.c). */
	EXPECT_TRUE(ev_log_wait_for(&r, &log, TCPSTATE_EV_STATE, -1, 12, 5000))
		TH_LOG("%d events", log.n);
	ev_log_free(&log);
	tcpstate_reader_close(&r);
}

/* The reader of ABI 1 on this module: a clear refusal, never garbage. */
TEST(old_reader_refuses)
{
	const char *old = getenv("TCPSTATE_OLD_READER");
	char cmd[512], out[4096];
	size_t got;
	FILE *p;
	int status;

	if (!old)
		old = OLD_READER_DEFAULT;
	if (access(old, X_OK))
		SKIP(return, "no reader of ABI 1 at %s (scripts/abi1.sh reader)",
		     old);
	ensure_module(_metadata);
	snprintf(cmd, sizeof(cmd), "timeout 10 %s -e 2>&1", old);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	status = pclose(p);
	TH_LOG("%s -e said: %s", old, out);
	ASSERT_TRUE(WIFEXITED(status));
	/* timeout's 124 would mean it ran on, reading garbage. */
	EXPECT_NE(0, WEXITSTATUS(status));
	EXPECT_NE(124, WEXITSTATUS(status));
	EXPECT_NE(NULL, strstr(out, OLD_READER_MESSAGE));
}

/* @cmd's output (both streams) into @out, its exit status returned. */
static int run_capture(const char *cmd, char *out, size_t len)
{
	size_t got;
	FILE *p;
	int status;

	p = popen(cmd, "r");
	if (!p)
		return -1;
	got = fread(out, 1, len - 1, p);
	out[got] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * This reader on the module of ABI 1: a clear refusal that names both
 * versions, for the stream and for the counters, and the module of this
 * ABI loads again after it.
 */
TEST(new_reader_refuses_abi1_module)
{
	char out[4096];
	int rc;

	if (access(OLD_MODULE, R_OK))
		SKIP(return, "no module of ABI 1 at %s (scripts/kernels.sh build, with the git history)",
		     OLD_MODULE);
	if (module_loaded())
		ASSERT_EQ(0, sh("rmmod tcpstate"));
	ASSERT_EQ(0, sh("insmod %s", OLD_MODULE));
	rc = run_capture("timeout 10 tcpstate-watch -e 2>&1", out, sizeof(out));
	TH_LOG("tcpstate-watch -e said: %s", out);
	EXPECT_NE(0, rc);
	EXPECT_NE(124, rc);
	EXPECT_NE(NULL, strstr(out, NEW_READER_MESSAGE));
	rc = run_capture("timeout 10 tcpstate-watch --counters 2>&1", out,
			 sizeof(out));
	TH_LOG("tcpstate-watch --counters said: %s", out);
	EXPECT_NE(0, rc);
	EXPECT_NE(124, rc);
	EXPECT_NE(NULL, strstr(out, NEW_READER_MESSAGE));
	ASSERT_EQ(0, sh("rmmod tcpstate"));
	ASSERT_EQ(0, module_reload(""));
}

TEST_HARNESS_MAIN
