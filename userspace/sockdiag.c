// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag dumps of TCP sockets; see sockdiag.h. One request per family,
 * answered by a multipart message the kernel fills as its hash tables
 * are walked (inet_diag_dump_icsk()), read until NLMSG_DONE.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "sockdiag.h"

/*
 * Request socks are TCP_NEW_SYN_RECV inside the kernel; since 4.4 the
 * dump lists them, as TCP_SYN_RECV, for either bit.
 */
#define TCP_NEW_SYN_RECV_STATE	12

static void copy_addr(__u8 out[16], const __be32 in[4], unsigned int family)
{
	memset(out, 0, 16);
	memcpy(out, in, family == AF_INET ? 4 : 16);
}

/* 0 when done, 1 when @cb stopped it, or -errno. */
static int dump_family(int fd, unsigned int family, unsigned int states,
		       int (*cb)(const struct sockdiag_sock *s, void *arg),
		       void *arg)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	/* Room for hundreds of sockets per read, as the kernel sizes its
	 * dump skbs to the reader's buffer.
	 */
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockdiag_sock s;
	int stop = 0;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.req.sdiag_family = (__u8)family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = states;
	if (states & SOCKDIAG_STATE(TCP_SYN_RECV))
		msg.req.idiag_states |= SOCKDIAG_STATE(TCP_NEW_SYN_RECV_STATE);
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0)
		return -errno;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPROTO;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m;

			if (h->nlmsg_type == NLMSG_DONE)
				return stop ? 1 : 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ?
				       -EPROTO : e->error;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) || stop)
				continue;
			m = NLMSG_DATA(h);
			memset(&s, 0, sizeof(s));
			s.family = m->idiag_family;
			s.state = m->idiag_state;
			copy_addr(s.saddr, m->id.idiag_src, s.family);
			copy_addr(s.daddr, m->id.idiag_dst, s.family);
			s.sport = ntohs(m->id.idiag_sport);
			s.dport = ntohs(m->id.idiag_dport);
			s.rqueue = m->idiag_rqueue;
			s.wqueue = m->idiag_wqueue;
			s.expires_ms = m->idiag_expires;
			s.uid = m->idiag_uid;
			s.inode = m->idiag_inode;
			/* The rest of the dump is read all the same: the
			 * socket is reused for the next family.
			 */
			stop = cb(&s, arg);
		}
	}
}

int sockdiag_dump(unsigned int states,
		  int (*cb)(const struct sockdiag_sock *s, void *arg),
		  void *arg)
{
	static const unsigned int families[] = { AF_INET, AF_INET6 };
	unsigned int i;
	int fd, rc = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	for (i = 0; i < sizeof(families) / sizeof(families[0]) && !rc; i++)
		rc = dump_family(fd, families[i], states, cb, arg);
	close(fd);
	/* 1: @cb stopped the walk. */
	return rc < 0 ? rc : 0;
}
