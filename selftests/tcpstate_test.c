// SPDX-License-Identifier: GPL-2.0
/*
 * tcpstate selftests, run as root in the VM (scripts/guest/check.sh).
 *
 * Every expectation is checked against the kernel's own account of the
 * same traffic: the sock:inet_sock_set_state tracefs event, recorded while
 * the test runs (the guest runs nothing else), and the TCP state machine
 * (include/net/tcp_states.h) for the per-socket sequences.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "names.h"
#include "ring_reader.h"
#include "tcpstate.h"
#include "tcpstate_net.h"

#define MAX_EVENTS	4096
#define WAIT_MS		10000

/* ---- the ring ---- */

struct event_log {
	struct tcpstate_event ev[MAX_EVENTS];
	int n;
};

/* Every event, and the state changes alone (what tracefs also sees). */
struct event_logs {
	struct event_log all, state;
};

static void log_append(struct event_log *log, const struct tcpstate_event *ev)
{
	if (log->n < MAX_EVENTS)
		log->ev[log->n++] = *ev;
}

static int log_event(const struct tcpstate_event *ev, void *arg)
{
	struct event_logs *logs = arg;

	log_append(&logs->all, ev);
	if (ev->type == TCPSTATE_EV_STATE)
		log_append(&logs->state, ev);
	return 0;
}

/* Drain into @logs until they hold @want state changes; false on timeout. */
static bool wait_events(struct tcpstate_reader *r, struct event_logs *logs,
			int want)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (tcpstate_ring_drain(&r->ring, log_event, logs) < 0)
			return false;
		if (logs->state.n >= want)
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 > WAIT_MS)
			return false;
		tcpstate_reader_wait(r, 100);
	}
}

/* tcpstate's transitions equal tracefs's (transitions_mismatch()). */
static bool same_as_tracefs(struct __test_metadata *_metadata,
			    const struct event_log *log,
			    const struct transition *tr, int ntr)
{
	struct transition t[MAX_EVENTS];
	int i, bad;

	if (log->n != ntr) {
		TH_LOG("tcpstate saw %d transitions, tracefs %d", log->n, ntr);
		return false;
	}
	for (i = 0; i < log->n; i++)
		t[i] = transition_of_event(&log->ev[i]);
	bad = transitions_mismatch(t, log->n, tr, ntr);
	if (bad >= 0)
		TH_LOG("event %d (%u:%u %s -> %s) differs from tracefs", bad,
		       t[bad].sport, t[bad].dport,
		       tcpstate_state_name(t[bad].oldstate),
		       tcpstate_state_name(t[bad].newstate));
	return bad < 0;
}

/* ---- loopback traffic ---- */

struct conn_ports {
	unsigned short listen, client;
};

/* A listener on the loopback address, its port in *@port; -errno. */
static int open_listener(int family, unsigned short *port)
{
	int lfd = tcp_listen(family, NULL, 0, 8);

	if (lfd >= 0)
		*port = sock_port(lfd);
	return lfd;
}

/*
 * One connection to listener @lfd, start to end: connect, accept, one byte
 * each way, then @closer_is_server closes first and the other side closes
 * once it has read EOF. Returns 0 or -errno.
 */
static int connect_to(int lfd, int family, bool closer_is_server,
		      struct conn_ports *ports)
{
	int cfd = -1, afd = -1, err = -EIO;
	char byte = 'x';

	ports->listen = sock_port(lfd);
	cfd = tcp_connect(family, 0, ports->listen);
	if (cfd < 0) {
		err = cfd;
		goto out;
	}
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		goto out;
	ports->client = sock_port(cfd);
	if (write(cfd, &byte, 1) != 1 || read(afd, &byte, 1) != 1 ||
	    write(afd, &byte, 1) != 1 || read(cfd, &byte, 1) != 1)
		goto out;

	if (closer_is_server) {
		close(afd);
		afd = -1;
		if (read(cfd, &byte, 1) != 0)
			goto out;
	} else {
		close(cfd);
		cfd = -1;
		if (read(afd, &byte, 1) != 0)
			goto out;
	}
	err = 0;
out:
	if (err && errno)
		err = -errno;
	if (afd >= 0)
		close(afd);
	if (cfd >= 0)
		close(cfd);
	return err;
}

/* A listener, one connection to it, and the listener closed. */
static int one_connection(int family, bool closer_is_server,
			  struct conn_ports *ports)
{
	int lfd = open_listener(family, &ports->listen);
	int err;

	if (lfd < 0)
		return lfd;
	err = connect_to(lfd, family, closer_is_server, ports);
	close(lfd);
	return err;
}

/* ---- the TCP state machine's sequences (include/net/tcp_states.h) ---- */

struct step {
	unsigned char oldstate, newstate;
};

static const struct step listener_steps[] = {
	{ TCP_CLOSE, TCP_LISTEN }, { TCP_LISTEN, TCP_CLOSE },
};

/* Client: connect(); it closes first. Its FIN_WAIT2 -> CLOSE is the moment
 * tcp_time_wait() hands the connection to a timewait sock. */
static const struct step active_open_active_close[] = {
	{ TCP_CLOSE, TCP_SYN_SENT }, { TCP_SYN_SENT, TCP_ESTABLISHED },
	{ TCP_ESTABLISHED, TCP_FIN_WAIT1 }, { TCP_FIN_WAIT1, TCP_FIN_WAIT2 },
	{ TCP_FIN_WAIT2, TCP_CLOSE },
};

static const struct step active_open_passive_close[] = {
	{ TCP_CLOSE, TCP_SYN_SENT }, { TCP_SYN_SENT, TCP_ESTABLISHED },
	{ TCP_ESTABLISHED, TCP_CLOSE_WAIT }, { TCP_CLOSE_WAIT, TCP_LAST_ACK },
	{ TCP_LAST_ACK, TCP_CLOSE },
};

/* Accepted child: cloned from the listener at the third ACK. */
static const struct step passive_open_active_close[] = {
	{ TCP_LISTEN, TCP_SYN_RECV }, { TCP_SYN_RECV, TCP_ESTABLISHED },
	{ TCP_ESTABLISHED, TCP_FIN_WAIT1 }, { TCP_FIN_WAIT1, TCP_FIN_WAIT2 },
	{ TCP_FIN_WAIT2, TCP_CLOSE },
};

static const struct step passive_open_passive_close[] = {
	{ TCP_LISTEN, TCP_SYN_RECV }, { TCP_SYN_RECV, TCP_ESTABLISHED },
	{ TCP_ESTABLISHED, TCP_CLOSE_WAIT }, { TCP_CLOSE_WAIT, TCP_LAST_ACK },
	{ TCP_LAST_ACK, TCP_CLOSE },
};

#define STATE_EVENTS_PER_CONNECTION \
	(ARRAY_SIZE(listener_steps) + 2 * ARRAY_SIZE(active_open_active_close))

/* Events of socket @sock_id, in ring order, equal @steps exactly. */
static bool socket_follows(struct __test_metadata *_metadata,
			   const struct event_log *log, __u64 sock_id,
			   const struct step *steps, size_t nsteps,
			   const char *who)
{
	size_t k = 0;
	int i;

	for (i = 0; i < log->n; i++) {
		const struct tcpstate_event *ev = &log->ev[i];

		if (ev->sock_id != sock_id)
			continue;
		if (k == nsteps || ev->oldstate != steps[k].oldstate ||
		    ev->newstate != steps[k].newstate) {
			TH_LOG("%s: step %zu is %s -> %s", who, k,
			       tcpstate_state_name(ev->oldstate),
			       tcpstate_state_name(ev->newstate));
			return false;
		}
		k++;
	}
	if (k != nsteps)
		TH_LOG("%s: %zu of %zu steps seen", who, k, nsteps);
	return k == nsteps;
}

static __u64 first_sock_with(const struct event_log *log, int oldstate,
			     int newstate, __u64 not_this)
{
	int i;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].oldstate == oldstate &&
		    log->ev[i].newstate == newstate &&
		    log->ev[i].sock_id != not_this)
			return log->ev[i].sock_id;
	return 0;
}

/* ---- module lifecycle ---- */

TEST(module_loads_and_unloads)
{
	char *ring_size_kb;

	ASSERT_EQ(0, module_reload(""));
	ASSERT_EQ(0, access(TCPSTATE_DEVICE, F_OK));
	ring_size_kb = slurp("/sys/module/tcpstate/parameters/ring_size_kb");
	ASSERT_NE(NULL, ring_size_kb);
	EXPECT_EQ(16384, atoi(ring_size_kb));
	free(ring_size_kb);
	ASSERT_EQ(0, sh("rmmod tcpstate"));
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(0, access(TCPSTATE_DEVICE, F_OK));
	ASSERT_EQ(0, module_reload(""));
}

TEST(modinfo_describes_module)
{
	static const char *const fields[] = {
		"description", "license", "version", "parm", "author",
	};
	char cmd[256], out[2048];
	unsigned int i;
	size_t n;
	FILE *p;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		snprintf(cmd, sizeof(cmd), "modinfo -F %s %s", fields[i],
			 module_path());
		p = popen(cmd, "r");
		ASSERT_NE(NULL, p);
		/* All of it: one line per parameter. */
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		pclose(p);
		TH_LOG("%s: %s", fields[i], out);
		EXPECT_NE(0, strlen(out));
		if (!strcmp(fields[i], "parm")) {
			EXPECT_NE(NULL, strstr(out, "ring_size_kb:Event ring size"));
			EXPECT_NE(NULL, strstr(out, "attach:"));
			EXPECT_NE(NULL, strstr(out, "skip_hooks:"));
		}
		if (!strcmp(fields[i], "license"))
			EXPECT_EQ(0, strcmp(out, "GPL\n"));
	}
}

TEST(bad_ring_size_fails_insmod_clearly)
{
	static const struct {
		const char *value, *dmesg;
	} bad[] = {
		{ "3", "ring_size_kb=3: must be a power of two" },
		{ "2", "ring_size_kb=2: must be a power of two" },
		{ "2097152", "ring_size_kb=2097152: must be a power of two" },
		{ "lots", "ring_size_kb=lots: not a number" },
	};
	unsigned int i;

	ASSERT_EQ(0, sh("rmmod tcpstate"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_NE(0, sh("dmesg -c >/dev/null; insmod %s ring_size_kb=%s 2>/dev/null",
				 module_path(), bad[i].value));
		EXPECT_FALSE(module_loaded());
		EXPECT_EQ(0, sh("dmesg | grep -q 'tcpstate: %s'", bad[i].dmesg))
			TH_LOG("no dmesg line for ring_size_kb=%s", bad[i].value);
	}
	ASSERT_EQ(0, module_reload(""));
}

TEST(rmmod_refused_while_device_open)
{
	int fd = open(TCPSTATE_DEVICE, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_NE(0, sh("rmmod tcpstate 2>/dev/null"));
	EXPECT_TRUE(module_loaded());
	close(fd);
	EXPECT_EQ(0, sh("rmmod tcpstate"));
	ASSERT_EQ(0, module_reload(""));
}

/* ---- the device's interface ---- */

TEST(info_describes_ring)
{
	struct tcpstate_info info;
	int fd = open(TCPSTATE_DEVICE, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TCPSTATE_IOC_GET_INFO, &info));
	EXPECT_EQ(TCPSTATE_MAGIC, info.magic);
	EXPECT_EQ(TCPSTATE_ABI_VERSION, info.abi_version);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), info.page_size);
	EXPECT_EQ(sizeof(struct tcpstate_event), info.record_size);
	EXPECT_EQ(16384 * 1024ULL, info.data_size);
	EXPECT_NE(info.consumer_off, info.ctrl_off);

	/* Unknown commands and bad pointers are errors, never ignored. */
	EXPECT_EQ(-1, ioctl(fd, _IOR(TCPSTATE_IOC_MAGIC, 99, int), &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(fd, TCPSTATE_IOC_GET_INFO, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, TCPSTATE_IOC_GET_INFO, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	/* Nothing to read or write: events come through mmap. */
	EXPECT_EQ(-1, read(fd, &info, sizeof(info)));
	EXPECT_EQ(-1, write(fd, &info, sizeof(info)));
	close(fd);
}

TEST(mappings_are_checked)
{
	struct pollfd pfd = { .events = POLLIN };
	struct tcpstate_info info;
	size_t ro_len;
	int fd, fd2;
	void *p;

	fd = open(TCPSTATE_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TCPSTATE_IOC_GET_INFO, &info));
	ro_len = info.page_size + 2 * info.data_size;

	/* Control page and data: never writable, never executable. */
	p = mmap(NULL, ro_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 info.ctrl_off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	p = mmap(NULL, ro_len, PROT_READ | PROT_EXEC, MAP_SHARED, fd,
		 info.ctrl_off);
	EXPECT_EQ(MAP_FAILED, p);
	/* Private mappings would not share the consumer position. */
	p = mmap(NULL, info.page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 fd, info.consumer_off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, ro_len, PROT_READ, MAP_PRIVATE, fd, info.ctrl_off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/*
	 * A file opened read-only cannot store consumer_pos, so it may not
	 * take the ring at all: EACCES, even for the read-only part (whose
	 * mapping loses VM_SHARED there), and the ring stays free.
	 */
	fd2 = open(TCPSTATE_DEVICE, O_RDONLY);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ro_len, PROT_READ, MAP_SHARED, fd2,
				   info.ctrl_off));
	EXPECT_EQ(EACCES, errno);
	close(fd2);
	/* Wrong sizes and offsets. */
	p = mmap(NULL, 2 * info.page_size, PROT_READ, MAP_SHARED, fd,
		 info.consumer_off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, ro_len + info.page_size, PROT_READ, MAP_SHARED, fd,
		 info.ctrl_off);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, info.page_size, PROT_READ, MAP_SHARED, fd,
		 info.ctrl_off + info.page_size);
	EXPECT_EQ(MAP_FAILED, p);

	/* A read-only mapping cannot be made writable later. */
	p = mmap(NULL, ro_len, PROT_READ, MAP_SHARED, fd, info.ctrl_off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, info.page_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(TCPSTATE_MAGIC, ((struct tcpstate_ctrl *)p)->magic);
	/* Nor grown. */
	EXPECT_EQ(MAP_FAILED, mremap(p, ro_len, ro_len + info.page_size, 0));

	/* This file holds the ring now: another one cannot map it. */
	fd2 = open(TCPSTATE_DEVICE, O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, info.page_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd2, info.consumer_off));
	EXPECT_EQ(EBUSY, errno);
	/* Polling a file that does not hold the ring is an error. */
	pfd.fd = fd2;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLERR, pfd.revents);
	munmap(p, ro_len);
	close(fd);
	/* Released: the other file may take it. */
	p = mmap(NULL, info.page_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd2,
		 info.consumer_off);
	EXPECT_NE(MAP_FAILED, p);
	if (p != MAP_FAILED)
		munmap(p, info.page_size);
	close(fd2);
}

static int open_as(uid_t uid, bool drop_caps)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct __user_cap_header_struct hdr = {
			.version = _LINUX_CAPABILITY_VERSION_3,
		};
		struct __user_cap_data_struct data[2] = { };

		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(100);
		if (drop_caps && syscall(SYS_capset, &hdr, data))
			_exit(101);
		_exit(open(TCPSTATE_DEVICE, O_RDWR) < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ---- no kernel address in any output ---- */

#define MAX_SOCK_ADDRS	64

struct sock_addrs {
	unsigned short port;
	unsigned long long addr[MAX_SOCK_ADDRS];
	int n;
};

static void add_sock_addr(const struct proc_tcp_row *row, void *arg)
{
	struct sock_addrs *sa = arg;

	if ((row->lport == sa->port || row->rport == sa->port) &&
	    sa->n < MAX_SOCK_ADDRS)
		sa->addr[sa->n++] = row->sk;
}

/* Whether @text holds @addr in hex, as %lx or %016lx would print it. */
static bool text_has_addr(const char *text, unsigned long long addr)
{
	char hex[24];

	snprintf(hex, sizeof(hex), "%llx", addr);
	return text && strcasestr(text, hex);
}

/*
 * Socket ids are a keyed hash of the socket's address (module/events.c):
 * no event, counter file or log line shows the kernel address itself. The
 * addresses come from /proc/net/tcp with kptr_restrict=1, for sockets the
 * module has reported while they are still alive.
 */
TEST(no_kernel_address_in_events_proc_or_dmesg)
{
	struct sock_addrs sa = { .n = 0 };
	unsigned long long *addrs = sa.addr;
	struct tcpstate_reader reader;
	char err[256], *proc, *dmesg;
	int lfd, cfd, afd, n, i, j, k;
	unsigned short port;
	char restrict_was_text[24];
	struct ev_log log;
	long restrict_was;

	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	ASSERT_EQ(0, tcpstate_reader_open(&reader, TCPSTATE_DEVICE, err,
					  sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(0, ev_log_init(&log, MAX_EVENTS, netns_inode()));
	restrict_was = sysctl_get("kernel.kptr_restrict");
	ASSERT_LE(0, restrict_was);
	snprintf(restrict_was_text, sizeof(restrict_was_text), "%ld",
		 restrict_was);
	ASSERT_EQ(0, sysctl_set("kernel.kptr_restrict", "1"));

	lfd = open_listener(AF_INET, &port);
	ASSERT_LE(0, lfd);
	cfd = tcp_connect(AF_INET, 0, port);
	ASSERT_LE(0, cfd);
	afd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, afd);
	/*
	 * The listener, the client and the accepted socket, all alive, with
	 * the pointer column of /proc/net/tcp (%pK: a real address for root
	 * under kptr_restrict=1).
	 */
	sa.port = port;
	ASSERT_EQ(0, proc_tcp_scan(AF_INET, add_sock_addr, &sa));
	n = sa.n;
	EXPECT_EQ(3, n);
	/*
	 * Kernel addresses (from 0xff00... with 5-level paging, which the
	 * VM's -cpu max has), not the 32-bit hashes %pK prints otherwise.
	 */
	for (i = 0; i < n; i++)
		if (addrs[i] < 0xff00000000000000ULL)
			break;
	if (n < 3 || i < n) {
		TH_LOG("%d sockets on port %u, the first at %llx", n, port,
		       n ? addrs[0] : 0ULL);
		sysctl_set("kernel.kptr_restrict", restrict_was_text);
		SKIP(return, "/proc/net/tcp shows no kernel addresses here");
	}
	/* LISTEN, SYN_SENT, ESTABLISHED on both sides, and the SYN queue's. */
	EXPECT_TRUE(POLL_UNTIL(ev_log_drain(&reader, &log) >= 0 &&
			       ev_count(&log, TCPSTATE_EV_STATE, -1) >= 4,
			       5000));

	for (i = 0; i < log.n; i++) {
		const struct tcpstate_event *ev = &log.ev[i];

		for (j = 0; j < n; j++) {
			EXPECT_NE(addrs[j], ev->sock_id);
			EXPECT_NE(addrs[j], ev->peer_id);
			/* Nor anywhere else in the record, at any offset. */
			for (k = 0; k + 8 <= (int)sizeof(*ev); k++)
				EXPECT_NE(0, memcmp((const char *)ev + k,
						    &addrs[j], 8));
		}
	}
	proc = slurp("/proc/net/tcpstate");
	ASSERT_NE(NULL, proc);
	ASSERT_EQ(0, sh("dmesg > /tmp/tcpstate_dmesg.txt"));
	dmesg = slurp("/tmp/tcpstate_dmesg.txt");
	ASSERT_NE(NULL, dmesg);
	for (j = 0; j < n; j++) {
		EXPECT_FALSE(text_has_addr(proc, addrs[j]));
		EXPECT_FALSE(text_has_addr(dmesg, addrs[j]));
	}
	TH_LOG("%d events, %d socket addresses (e.g. %llx): none in events, /proc/net/tcpstate or dmesg",
	       log.n, n, addrs[0]);
	free(proc);
	free(dmesg);
	close(afd);
	close(cfd);
	close(lfd);
	EXPECT_EQ(0, sysctl_set("kernel.kptr_restrict", restrict_was_text));
	ev_log_free(&log);
	tcpstate_reader_close(&reader);
}

TEST(unprivileged_open_refused)
{
	/* An ordinary user: the node's mode (0600) refuses. */
	EXPECT_EQ(EACCES, open_as(65534, false));
	/* Root without CAP_NET_ADMIN and CAP_SYS_ADMIN: the module refuses. */
	EXPECT_EQ(EPERM, open_as(0, true));
	EXPECT_EQ(0, open_as(0, false));
}

/* ---- events against the kernel's own record ---- */

FIXTURE(loopback)
{
	struct tcpstate_reader reader;
	struct event_logs logs;
	struct transition trace[MAX_EVENTS];
};

FIXTURE_VARIANT(loopback)
{
	int family;
	bool server_closes;
};

FIXTURE_VARIANT_ADD(loopback, ipv4_client_closes) {
	.family = AF_INET, .server_closes = false,
};

FIXTURE_VARIANT_ADD(loopback, ipv4_server_closes) {
	.family = AF_INET, .server_closes = true,
};

FIXTURE_VARIANT_ADD(loopback, ipv6_client_closes) {
	.family = AF_INET6, .server_closes = false,
};

FIXTURE_VARIANT_ADD(loopback, ipv6_server_closes) {
	.family = AF_INET6, .server_closes = true,
};

FIXTURE_SETUP(loopback)
{
	struct tcpstate_filter filter = { 0 };
	char err[256];

	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	ASSERT_EQ(0, tcpstate_reader_open(&self->reader, TCPSTATE_DEVICE,
					  err, sizeof(err)))
		TH_LOG("%s", err);
	/* Namespaces other tests left dying may still purge sockets. */
	filter.netns = netns_inode();
	ASSERT_EQ(0, ioctl(self->reader.fd, TCPSTATE_IOC_SET_FILTER, &filter));
	self->logs.all.n = 0;
	self->logs.state.n = 0;
}

FIXTURE_TEARDOWN(loopback)
{
	tcpstate_reader_close(&self->reader);
}

/* The one event of @type in @log, or NULL if there is not exactly one. */
static const struct tcpstate_event *only_event(const struct event_log *log,
					       int type)
{
	const struct tcpstate_event *found = NULL;
	int i;

	for (i = 0; i < log->n; i++) {
		if (log->ev[i].type != type)
			continue;
		if (found)
			return NULL;
		found = &log->ev[i];
	}
	return found;
}

static int position(const struct event_log *log, const struct tcpstate_event *ev)
{
	return ev ? (int)(ev - log->ev) : -1;
}

static int position_of_step(const struct event_log *log, __u64 sock_id,
			    int oldstate, int newstate)
{
	int i;

	for (i = 0; i < log->n; i++)
		if (log->ev[i].type == TCPSTATE_EV_STATE &&
		    log->ev[i].sock_id == sock_id &&
		    log->ev[i].oldstate == oldstate &&
		    log->ev[i].newstate == newstate)
			return i;
	return -1;
}

TEST_F(loopback, one_connection_both_sides)
{
	const struct tcpstate_event *syn_recv, *completed, *queued, *tw;
	const struct step *client_steps, *server_steps;
	__u64 listener, client, child, closer, produced, dropped;
	const struct event_log *log = &self->logs.state;
	const struct event_log *all = &self->logs.all;
	unsigned char loop[16] = { 0 };
	struct conn_ports ports;
	int i, ntr;

	if (!tracefs_start())
		SKIP(return, "tracefs event sock/inet_sock_set_state unavailable");
	ASSERT_EQ(0, one_connection(variant->family, variant->server_closes,
				    &ports));
	ASSERT_TRUE(wait_events(&self->reader, &self->logs,
				STATE_EVENTS_PER_CONNECTION))
		TH_LOG("only %d state changes", log->n);
	/* Let stray late events show, then compare with the kernel's record. */
	tcpstate_reader_wait(&self->reader, 200);
	tcpstate_ring_drain(&self->reader.ring, log_event, &self->logs);
	ntr = tracefs_collect(self->trace, MAX_EVENTS);
	EXPECT_EQ((int)STATE_EVENTS_PER_CONNECTION, log->n);
	EXPECT_TRUE(same_as_tracefs(_metadata, log, self->trace, ntr));

	/* Each socket's whole life, in order. */
	listener = first_sock_with(log, TCP_CLOSE, TCP_LISTEN, 0);
	client = first_sock_with(log, TCP_CLOSE, TCP_SYN_SENT, 0);
	child = first_sock_with(log, TCP_LISTEN, TCP_SYN_RECV, listener);
	ASSERT_NE(0, listener);
	ASSERT_NE(0, client);
	ASSERT_NE(0, child);
	EXPECT_NE(listener, child);
	client_steps = variant->server_closes ? active_open_passive_close :
						active_open_active_close;
	server_steps = variant->server_closes ? passive_open_active_close :
						passive_open_passive_close;
	EXPECT_TRUE(socket_follows(_metadata, log, listener,
				   listener_steps, ARRAY_SIZE(listener_steps),
				   "listener"));
	EXPECT_TRUE(socket_follows(_metadata, log, client, client_steps,
				   ARRAY_SIZE(active_open_active_close),
				   "client"));
	EXPECT_TRUE(socket_follows(_metadata, log, child, server_steps,
				   ARRAY_SIZE(passive_open_active_close),
				   "server"));

	if (variant->family == AF_INET)
		*(in_addr_t *)loop = htonl(INADDR_LOOPBACK);
	else
		memcpy(loop, &in6addr_loopback, sizeof(loop));
	for (i = 0; i < all->n; i++) {
		const struct tcpstate_event *ev = &all->ev[i];
		/* A timewait sock is on the side of the socket it replaces. */
		bool client_side = ev->sock_id == client ||
			(ev->type == TCPSTATE_EV_TIMEWAIT && ev->peer_id == client);

		EXPECT_EQ(variant->family, ev->family);
		EXPECT_EQ(netns_inode(), ev->netns);
		if (i)
			EXPECT_LE(all->ev[i - 1].ts_ns, ev->ts_ns);
		/* Once established, both ends carry the full tuple. */
		if (ev->type == TCPSTATE_EV_STATE &&
		    ev->newstate != TCP_ESTABLISHED)
			continue;
		EXPECT_EQ(0, memcmp(loop, ev->saddr, sizeof(loop)));
		EXPECT_EQ(0, memcmp(loop, ev->daddr, sizeof(loop)));
		EXPECT_EQ(client_side ? ports.client : ports.listen, ev->sport);
		EXPECT_EQ(client_side ? ports.listen : ports.client, ev->dport);
	}

	/*
	 * The server side's life, stitched by ids: request sock in the SYN
	 * queue -> the child it became -> the accept queue; and the active
	 * closer's socket -> its timewait sock.
	 */
	syn_recv = only_event(all, TCPSTATE_EV_SYN_RECV);
	completed = only_event(all, TCPSTATE_EV_SYN_RECV_END);
	queued = only_event(all, TCPSTATE_EV_ACCEPT_QUEUED);
	tw = only_event(all, TCPSTATE_EV_TIMEWAIT);
	ASSERT_NE(NULL, syn_recv);
	ASSERT_NE(NULL, completed);
	ASSERT_NE(NULL, queued);
	ASSERT_NE(NULL, tw);
	EXPECT_EQ(listener, syn_recv->peer_id);
	EXPECT_EQ(1, syn_recv->qlen);
	EXPECT_EQ(8, syn_recv->qmax);	/* listen(fd, 8) */
	EXPECT_EQ(syn_recv->sock_id, completed->sock_id);
	EXPECT_EQ(TCPSTATE_SRE_COMPLETED, completed->reason);
	EXPECT_EQ(child, completed->peer_id);
	EXPECT_EQ(0, completed->count);
	EXPECT_EQ(0, completed->qlen);
	EXPECT_EQ(child, queued->sock_id);
	EXPECT_EQ(listener, queued->peer_id);
	EXPECT_EQ(1, queued->qlen);
	EXPECT_EQ(8, queued->qmax);
	closer = variant->server_closes ? child : client;
	EXPECT_EQ(closer, tw->peer_id);
	EXPECT_EQ(TCP_FIN_WAIT2, tw->oldstate);
	/*
	 * The closer's socket is orphaned: if the ACK of its FIN comes before
	 * the peer's FIN (a delayed ACK under load), it becomes a timewait
	 * sock in substate FIN_WAIT2, which that FIN moves on to TIME_WAIT.
	 */
	EXPECT_TRUE(tw->newstate == TCP_TIME_WAIT ||
		    tw->newstate == TCP_FIN_WAIT2);
	/* In the order the kernel does it. */
	EXPECT_LT(position(all, syn_recv),
		  position_of_step(all, child, TCP_LISTEN, TCP_SYN_RECV));
	EXPECT_LT(position_of_step(all, child, TCP_LISTEN, TCP_SYN_RECV),
		  position(all, completed));
	EXPECT_LT(position(all, completed), position(all, queued));
	EXPECT_LT(position(all, tw),
		  position_of_step(all, closer, TCP_FIN_WAIT2, TCP_CLOSE));

	tcpstate_ring_stats(&self->reader.ring, &produced, &dropped);
	EXPECT_EQ(0, dropped);
	EXPECT_EQ(self->reader.ring.consumed, produced);
}

/*
 * A ring too small for the traffic: events are dropped, never lost
 * silently. produced = consumed + dropped, and produced is what the kernel
 * did: each state change tracefs saw, and per passive open (Tcp
 * PassiveOpens) a request sock queued, completed and accepted, and per
 * timewait sock (sockstat tw) its creation.
 */
TEST(tiny_ring_books_balance)
{
	static struct transition trace[MAX_EVENTS];
	static struct event_logs logs;
	long long passive_opens, tw, expected;
	struct tcpstate_reader reader;
	const int connections = 20;
	__u64 produced, dropped;
	struct conn_ports ports;
	char err[256];
	int i, ntr;

	ASSERT_EQ(0, module_reload("ring_size_kb=4"));
	ASSERT_EQ(0, tcpstate_reader_open(&reader, TCPSTATE_DEVICE, err,
					  sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_EQ(4096, reader.info.data_size);
	if (!tracefs_start())
		SKIP(return, "tracefs event sock/inet_sock_set_state unavailable");

	passive_opens = mib_get("Tcp", "PassiveOpens");
	tw = sockstat_tw();
	ASSERT_LE(0, passive_opens);
	ASSERT_LE(0, tw);
	/* Nobody drains while the connections run. */
	for (i = 0; i < connections; i++)
		ASSERT_EQ(0, one_connection(i % 2 ? AF_INET6 : AF_INET,
					    i % 3 == 0, &ports));
	/* The last connection's final ACK may still be in flight. */
	for (i = 0; i < 100; i++) {
		tcpstate_ring_stats(&reader.ring, &produced, &dropped);
		if (produced >= connections * (STATE_EVENTS_PER_CONNECTION + 4))
			break;
		usleep(10000);
	}
	logs.all.n = 0;
	tcpstate_ring_drain(&reader.ring, log_event, &logs);
	tcpstate_ring_stats(&reader.ring, &produced, &dropped);
	ntr = tracefs_collect(trace, MAX_EVENTS);
	passive_opens = mib_get("Tcp", "PassiveOpens") -
			passive_opens;
	tw = sockstat_tw() - tw;
	expected = ntr + 3 * passive_opens + tw;

	TH_LOG("produced %llu consumed %llu dropped %llu; tracefs %d, passive opens %lld, tw %lld",
	       (unsigned long long)produced,
	       (unsigned long long)reader.ring.consumed,
	       (unsigned long long)dropped, ntr, passive_opens, tw);
	EXPECT_EQ(connections * (int)STATE_EVENTS_PER_CONNECTION, ntr);
	EXPECT_EQ(connections, passive_opens);
	EXPECT_EQ(connections, tw);
	EXPECT_EQ((__u64)expected, produced);
	EXPECT_EQ(produced, reader.ring.consumed + dropped);
	EXPECT_LT(0, dropped);
	/* The ring holds at most (data_size - 1) / record span records. */
	EXPECT_EQ((4096 - 1) / TCPSTATE_RECORD_SPAN, (int)reader.ring.consumed);
	EXPECT_EQ(reader.ring.consumed, (__u64)logs.all.n);

	tcpstate_reader_close(&reader);
	ASSERT_EQ(0, module_reload(""));
}

/* Bytes of records between the reader and the producers, BUSY included. */
static __u64 ring_waiting(const struct tcpstate_ring *ring)
{
	return __atomic_load_n(&ring->ctrl->producer_pos, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&ring->cons->consumer_pos, __ATOMIC_RELAXED);
}

static int discard_event(const struct tcpstate_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 0;
}

/* Loopback connections, one after the other, until killed. */
static pid_t connections_start(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct conn_ports ports;
		int i;

		for (i = 0; i < 100000; i++)
			if (one_connection(AF_INET, i % 2, &ports))
				_exit(1);
		_exit(0);
	}
	return pid;
}

static void connections_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/*
 * wakeup_bytes: poll() reports the ring readable only once that many bytes
 * of records wait, capped at half the ring; a reader asleep in poll() is
 * woken by the commit that makes them enough, and before the ring fills.
 */
TEST(wakeup_bytes_batches_wakeups)
{
	const __u64 span = TCPSTATE_RECORD_SPAN;
	struct pollfd pfd = { .events = POLLIN };
	struct tcpstate_reader reader;
	struct conn_ports ports;
	__u64 waiting, want, dropped;
	char err[256];
	pid_t traffic;

	ASSERT_EQ(0, module_reload("ring_size_kb=64"));
	ASSERT_EQ(0, tcpstate_reader_open(&reader, TCPSTATE_DEVICE, err,
					  sizeof(err)))
		TH_LOG("%s", err);
	ASSERT_NE(0, reader.ring.ctrl->features & TCPSTATE_FEAT_WAKEUP_BYTES);
	pfd.fd = reader.fd;

	/* Fewer records wait than asked for: not readable. */
	ASSERT_EQ(0, tcpstate_ring_set_wakeup(&reader.ring, 100 * span));
	ASSERT_EQ(0, one_connection(AF_INET, false, &ports));
	waiting = ring_waiting(&reader.ring);
	ASSERT_LT(0, waiting);
	ASSERT_GT(100 * span, waiting);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/* Exactly as many as asked for: readable; one more: not. */
	ASSERT_EQ(0, tcpstate_ring_set_wakeup(&reader.ring, waiting));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(0, tcpstate_ring_set_wakeup(&reader.ring, waiting + span));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	/* 0, the default: any record. */
	ASSERT_EQ(0, tcpstate_ring_set_wakeup(&reader.ring, 0));
	EXPECT_EQ(1, poll(&pfd, 1, 0));

	/* Asleep: woken once 40 more records wait, not before. */
	want = waiting + 40 * span;
	ASSERT_EQ(0, tcpstate_ring_set_wakeup(&reader.ring, want));
	traffic = connections_start();
	ASSERT_LT(0, traffic);
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_LE(want, ring_waiting(&reader.ring));
	connections_stop(traffic);

	/* Asking for more than the ring holds: woken at half of it. */
	tcpstate_ring_drain(&reader.ring, discard_event, NULL);
	ASSERT_EQ(0, tcpstate_ring_set_wakeup(&reader.ring, ~0ULL));
	traffic = connections_start();
	ASSERT_LT(0, traffic);
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	waiting = ring_waiting(&reader.ring);
	tcpstate_ring_stats(&reader.ring, NULL, &dropped);
	connections_stop(traffic);
	TH_LOG("woken with %llu bytes waiting, %llu dropped",
	       (unsigned long long)waiting, (unsigned long long)dropped);
	EXPECT_LE(reader.info.data_size / 2, waiting);
	EXPECT_EQ(0, dropped);

	tcpstate_reader_close(&reader);
	ASSERT_EQ(0, module_reload(""));
}

/*
 * The kernel-side filter: with {IPv6, local port P} the ring carries
 * exactly the events with that family and local port. The state changes
 * among them are the tracefs rows with the same family and sport.
 */
TEST(kernel_filter_decides_before_the_ring)
{
	static struct transition trace[MAX_EVENTS], want[MAX_EVENTS];
	struct tcpstate_filter filter = { .family = AF_INET6, .nr_lports = 1 };
	static struct event_logs logs;
	struct tcpstate_reader reader;
	int i, ntr, nwant = 0, lfd, fd2;
	struct conn_ports ports;
	char err[256];

	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	ASSERT_EQ(0, tcpstate_reader_open(&reader, TCPSTATE_DEVICE, err,
					  sizeof(err)))
		TH_LOG("%s", err);

	/* Bad filters change nothing; only the ring's holder may set one. */
	filter.family = AF_UNIX;
	EXPECT_EQ(-1, ioctl(reader.fd, TCPSTATE_IOC_SET_FILTER, &filter));
	EXPECT_EQ(EINVAL, errno);
	filter.family = AF_INET6;
	filter.nr_lports = TCPSTATE_FILTER_PORTS + 1;
	EXPECT_EQ(-1, ioctl(reader.fd, TCPSTATE_IOC_SET_FILTER, &filter));
	EXPECT_EQ(EINVAL, errno);
	filter.nr_lports = 1;
	filter.__pad[1] = 1;
	EXPECT_EQ(-1, ioctl(reader.fd, TCPSTATE_IOC_SET_FILTER, &filter));
	EXPECT_EQ(EINVAL, errno);
	filter.__pad[1] = 0;
	EXPECT_EQ(-1, ioctl(reader.fd, TCPSTATE_IOC_SET_FILTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	fd2 = open(TCPSTATE_DEVICE, O_RDWR);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-1, ioctl(fd2, TCPSTATE_IOC_SET_FILTER, &filter));
	EXPECT_EQ(EPERM, errno);
	close(fd2);

	if (!tracefs_start())
		SKIP(return, "tracefs event sock/inet_sock_set_state unavailable");
	lfd = open_listener(AF_INET6, &ports.listen);
	ASSERT_LE(0, lfd);
	filter.lports[0] = ports.listen;
	ASSERT_EQ(0, ioctl(reader.fd, TCPSTATE_IOC_SET_FILTER, &filter));

	/* Matching: both closers on the filtered listener; and traffic that
	 * must not pass: IPv4, and IPv6 on other ports. */
	ASSERT_EQ(0, connect_to(lfd, AF_INET6, false, &ports));
	ASSERT_EQ(0, connect_to(lfd, AF_INET6, true, &ports));
	ASSERT_EQ(0, one_connection(AF_INET, false, &ports));
	ASSERT_EQ(0, one_connection(AF_INET6, true, &ports));
	close(lfd);

	ntr = tracefs_collect(trace, MAX_EVENTS);
	for (i = 0; i < ntr; i++)
		if (trace[i].family == AF_INET6 && trace[i].sport == filter.lports[0])
			want[nwant++] = trace[i];
	ASSERT_TRUE(wait_events(&reader, &logs, nwant));
	tcpstate_reader_wait(&reader, 200);
	tcpstate_ring_drain(&reader.ring, log_event, &logs);

	TH_LOG("tracefs %d rows, %d match the filter; ring %d events, %d state changes",
	       ntr, nwant, logs.all.n, logs.state.n);
	EXPECT_LT(nwant, ntr);
	EXPECT_TRUE(same_as_tracefs(_metadata, &logs.state, want, nwant));
	for (i = 0; i < logs.all.n; i++) {
		EXPECT_EQ(AF_INET6, logs.all.ev[i].family);
		EXPECT_EQ(filter.lports[0], logs.all.ev[i].sport);
	}
	/* The request socks, accept queue and timewait of the matching side. */
	EXPECT_LT(logs.state.n, logs.all.n);
	tcpstate_reader_close(&reader);
}

/*
 * A reader inside another network namespace sees only that namespace's
 * events: its own loopback connection, not the one in the initial
 * namespace made while it reads.
 */
static int netns_reader(int ready_fd, int go_fd)
{
	static struct event_logs logs;
	struct tcpstate_reader reader;
	struct conn_ports ports;
	unsigned int own;
	char err[256], c = 0;
	int i;

	/*
	 * No timewait sock may outlive this process: its netns dies after
	 * the test, and the purge's events would reach the next reader.
	 */
	if (unshare(CLONE_NEWNET) || system("ip link set lo up") ||
	    write_text("/proc/sys/net/ipv4/tcp_max_tw_buckets", "0"))
		return 10;
	own = netns_inode();
	if (tcpstate_reader_open(&reader, TCPSTATE_DEVICE, err, sizeof(err)))
		return 11;
	/* Attached: the parent makes its connection; then ours. */
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		return 12;
	if (one_connection(AF_INET, false, &ports))
		return 13;
	if (!wait_events(&reader, &logs, STATE_EVENTS_PER_CONNECTION))
		return 14;
	tcpstate_reader_wait(&reader, 300);
	tcpstate_ring_drain(&reader.ring, log_event, &logs);
	for (i = 0; i < logs.all.n; i++)
		if (logs.all.ev[i].netns != own)
			return 15;
	/* Exactly its own connection's state changes, nothing else's. */
	return logs.state.n == STATE_EVENTS_PER_CONNECTION ? 0 : 16;
}

TEST(reader_in_another_netns_sees_only_its_own)
{
	int ready[2], go[2], status;
	struct conn_ports ports;
	pid_t pid;
	char c = 0;

	if (!module_loaded())
		ASSERT_EQ(0, module_reload(""));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(netns_reader(ready[1], go[0]));
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the reader did not attach");
	/* Traffic in the initial namespace while that reader holds the ring. */
	EXPECT_EQ(0, one_connection(AF_INET6, true, &ports));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("reader exit %d: 10 setup, 11 open, 12 sync, 13 traffic, 14 its own events missing, 15 another netns's event seen, 16 more or fewer state changes",
		       WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
