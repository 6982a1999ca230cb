// SPDX-License-Identifier: GPL-2.0
/*
 * reader_stream: writes to stdout, as struct tcpstate_event records for
 * fake_tcpstate.so (TCPSTATE_FAKE_EVENTS), the events the bench's
 * connection loop (bench/connloop.c) makes: N loopback IPv4 connections,
 * both ends, in the order the module reports them (sequence_events.c's
 * comment, docs/design.md). Per connection 15 events:
 *
 *   client CLOSE -> SYN_SENT; TIMEWAIT_END reused (the timewait sock an
 *   earlier connection left on this tuple, from the second round of
 *   ports on); SYN_RECV (request sock); client SYN_SENT -> ESTABLISHED;
 *   child LISTEN -> SYN_RECV; SYN_RECV_END completed; ACCEPT_QUEUED;
 *   child SYN_RECV -> ESTABLISHED; client -> FIN_WAIT1; child ->
 *   CLOSE_WAIT; client -> FIN_WAIT2; child -> LAST_ACK; TIMEWAIT; client
 *   FIN_WAIT2 -> CLOSE; child LAST_ACK -> CLOSE
 *
 * The first round of PORTS connections has no TIMEWAIT_END (14 events
 * each). Used by reader_cost.sh; not a test.
 *
 * usage: reader_stream CONNS [PORTS]   (PORTS: 4096 by default)
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "names.h"
#include "tcpstate.h"

#define NETNS		4026531840U
#define LISTEN_PORT	5001
#define FIRST_PORT	32768
#define CLIENT_COMM	"connloop"

/* Socket ids are keyed hashes in the module; any distinct values do. */
static __u64 id_of(unsigned long conn, unsigned int which)
{
	__u64 x = ((__u64)conn << 2 | which) + 0x9e3779b97f4a7c15ULL;

	x ^= x >> 31;
	x *= 0xd6e8feb86659fd93ULL;
	x ^= x >> 32;
	return x | 1;
}

enum { SK_CLIENT, SK_REQ, SK_CHILD, SK_TW };

static __u64 now_ns = 1000ULL * 1000000000ULL;

static void put(const struct tcpstate_event *ev)
{
	if (fwrite(ev, sizeof(*ev), 1, stdout) != 1) {
		perror("reader_stream: write");
		exit(1);
	}
}

/* An event of one end: the client's tuple, or the server's (swapped). */
static void begin(struct tcpstate_event *ev, unsigned int type, __u64 id,
		  int server, unsigned int cport, __u64 dt)
{
	const __u32 lo = htonl(INADDR_LOOPBACK);

	now_ns += dt;
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = now_ns;
	ev->sock_id = id;
	ev->netns = NETNS;
	ev->type = (__u16)type;
	ev->family = AF_INET;
	memcpy(ev->saddr, &lo, 4);
	memcpy(ev->daddr, &lo, 4);
	ev->sport = (__u16)(server ? LISTEN_PORT : cport);
	ev->dport = (__u16)(server ? cport : LISTEN_PORT);
	ev->valid = TCPSTATE_VALID_OWNER | TCPSTATE_VALID_TASK;
	ev->tgid = ev->pid = 4242;
	ev->cgroup_id = 1;
	strncpy(ev->comm, CLIENT_COMM, sizeof(ev->comm) - 1);
}

static void state(__u64 id, int server, unsigned int cport, __u64 dt,
		  unsigned int old, unsigned int new)
{
	struct tcpstate_event ev;

	begin(&ev, TCPSTATE_EV_STATE, id, server, cport, dt);
	ev.oldstate = (__u8)old;
	ev.newstate = (__u8)new;
	if (old == TCPS_CLOSE && new == TCPS_SYN_SENT)
		ev.sport = 0;
	if (old == TCPS_LISTEN) {
		memset(ev.daddr, 0, sizeof(ev.daddr));
		ev.dport = 0;
	}
	if (old != TCPS_LISTEN && old != TCPS_CLOSE) {
		ev.seq = 1000 + (__u32)id;
		ev.ack = 2000 + (__u32)id;
		ev.valid |= TCPSTATE_VALID_SEQ;
		if (old == TCPS_SYN_SENT || old == TCPS_SYN_RECV) {
			ev.iss = 999 + (__u32)id;
			ev.irs = 1999 + (__u32)id;
			ev.valid |= TCPSTATE_VALID_ISS | TCPSTATE_VALID_IRS;
		}
	}
	if (new == TCPS_CLOSE)
		ev.valid |= TCPSTATE_VALID_ERR;
	put(&ev);
}

static void conn(unsigned long i, unsigned long ports)
{
	const unsigned int cport = FIRST_PORT + (unsigned int)(i % ports);
	const __u64 client = id_of(i, SK_CLIENT), req = id_of(i, SK_REQ);
	const __u64 child = id_of(i, SK_CHILD), tw = id_of(i, SK_TW);
	struct tcpstate_event ev;

	state(client, 0, cport, 20000, TCPS_CLOSE, TCPS_SYN_SENT);
	if (i >= ports) {
		begin(&ev, TCPSTATE_EV_TIMEWAIT_END, id_of(i - ports, SK_TW),
		      0, cport, 2000);
		ev.reason = TCPSTATE_TWE_REUSED;
		ev.newstate = TCPS_TIME_WAIT;
		ev.valid &= ~TCPSTATE_VALID_TASK;
		put(&ev);
	}
	begin(&ev, TCPSTATE_EV_SYN_RECV, req, 1, cport, 8000);
	ev.peer_id = id_of(0, SK_REQ) ^ 0x1157e4;	/* the listener */
	ev.qlen = 1;
	ev.qmax = 4096;
	ev.valid = TCPSTATE_VALID_OWNER | TCPSTATE_VALID_ISS |
		   TCPSTATE_VALID_IRS;
	ev.iss = 999 + (__u32)child;
	ev.irs = 1999 + (__u32)child;
	put(&ev);
	state(client, 0, cport, 9000, TCPS_SYN_SENT, TCPS_ESTABLISHED);
	state(child, 1, cport, 6000, TCPS_LISTEN, TCPS_SYN_RECV);
	begin(&ev, TCPSTATE_EV_SYN_RECV_END, req, 1, cport, 1000);
	ev.peer_id = child;
	ev.reason = TCPSTATE_SRE_COMPLETED;
	put(&ev);
	begin(&ev, TCPSTATE_EV_ACCEPT_QUEUED, child, 1, cport, 1000);
	ev.peer_id = id_of(0, SK_REQ) ^ 0x1157e4;
	ev.qlen = 1;
	ev.qmax = 4096;
	put(&ev);
	state(child, 1, cport, 3000, TCPS_SYN_RECV, TCPS_ESTABLISHED);
	state(client, 0, cport, 40000, TCPS_ESTABLISHED, TCPS_FIN_WAIT1);
	state(child, 1, cport, 7000, TCPS_ESTABLISHED, TCPS_CLOSE_WAIT);
	state(client, 0, cport, 1000, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2);
	state(child, 1, cport, 20000, TCPS_CLOSE_WAIT, TCPS_LAST_ACK);
	begin(&ev, TCPSTATE_EV_TIMEWAIT, tw, 0, cport, 8000);
	ev.peer_id = client;
	ev.oldstate = TCPS_FIN_WAIT2;
	ev.newstate = TCPS_TIME_WAIT;
	ev.seq = 1000 + (__u32)client;
	ev.ack = 2000 + (__u32)client;
	ev.valid = TCPSTATE_VALID_OWNER | TCPSTATE_VALID_SEQ;
	put(&ev);
	state(client, 0, cport, 1000, TCPS_FIN_WAIT2, TCPS_CLOSE);
	state(child, 1, cport, 2000, TCPS_LAST_ACK, TCPS_CLOSE);
}

int main(int argc, char **argv)
{
	unsigned long i, n, ports = 4096;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: reader_stream CONNS [PORTS]\n");
		return 2;
	}
	n = strtoul(argv[1], NULL, 10);
	if (argc == 3)
		ports = strtoul(argv[2], NULL, 10);
	if (!n || !ports) {
		fprintf(stderr, "reader_stream: CONNS and PORTS must be > 0\n");
		return 2;
	}
	for (i = 0; i < n; i++)
		conn(i, ports);
	return fflush(stdout) ? 1 : 0;
}
