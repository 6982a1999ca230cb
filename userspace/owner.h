/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who owns a connection: the cgroup and uid the kernel charged its socket
 * to, and the process that acted on it, as the events say (ABI 2,
 * TCPSTATE_VALID_OWNER and TCPSTATE_VALID_TASK), carried from id to id
 * along a connection's life:
 *
 *   - a request sock takes its listener's owner (SYN_RECV @peer_id), and
 *     the child its request sock's (SYN_RECV_END completed @peer_id), until
 *     a task of its own shows up (accept()ing process's close(), ...);
 *   - a timewait sock takes its full socket's (TIMEWAIT @peer_id);
 *   - a socket first seen without a task (it existed before the reader)
 *     is looked up once, honestly, from /proc: its tuple in
 *     /proc/net/tcp{,6} gives the inode, /proc/PID/fd the processes
 *     holding it; else its task stays unknown.
 *
 * cgroup ids are resolved to paths under the cgroup v2 mount (the inode
 * number of a directory is its id), cached.
 */
#ifndef TCPSTATE_OWNER_H
#define TCPSTATE_OWNER_H

#include <stddef.h>

#include "tcpstate.h"

/* Bits of struct owner @valid (TCPSTATE_VALID_OWNER and _TASK too). */
#define OWNER_FROM_PROC	0x100U	/* the task was found in /proc, not
				 * seen acting in an event */

struct owner {
	unsigned int valid;	/* TCPSTATE_VALID_OWNER, _TASK, OWNER_* */
	__u64 cgroup_id;
	__u32 uid;
	__u32 tgid, pid;
	char comm[TCPSTATE_COMM_LEN];
};

struct owner_table;

/* At most @max_socks ids remembered (least recently used forgotten). */
struct owner_table *owner_new(unsigned long max_socks);
void owner_free(struct owner_table *t);

/*
 * Learn from @ev before the sequence engine and the outputs see it, and
 * forget ids whose life ended at the previous event (owner_feed() keeps
 * them through one more event so that records emitted at their end still
 * find them).
 */
void owner_feed(struct owner_table *t, const struct tcpstate_event *ev);

/* The owner known for @sock_id, NULL when nothing is known. */
const struct owner *owner_get(struct owner_table *t, __u64 sock_id);

/*
 * The path of cgroup @id relative to the cgroup v2 mount ("/" for the
 * root, "/system.slice/nginx.service", ...), or NULL when not found (the
 * cgroup is gone, or no cgroup v2 is mounted).
 */
const char *owner_cgroup_path(struct owner_table *t, __u64 id);

#endif /* TCPSTATE_OWNER_H */
