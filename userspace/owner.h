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
#include <sys/types.h>

#include "tcpstate.h"
#include "textbuf.h"

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
 * Learn from @ev before the sequence engine and the outputs see it. An id
 * whose life ended (-> CLOSE, SYN_RECV_END, TIMEWAIT_END) keeps its owner
 * for records emitted after its end (an RST sent after the CLOSE, a
 * record held back), but is the first forgotten when room is needed, and
 * starts afresh when an event other than an RST shows its next life (the
 * module reuses a freed socket's id).
 */
void owner_feed(struct owner_table *t, const struct tcpstate_event *ev);

/* The owner known for @sock_id, NULL when nothing is known. */
const struct owner *owner_get(struct owner_table *t, __u64 sock_id);

/*
 * The owner of the first of @id1, @id2, @id3 that has one (0: skip), for
 * a record that names several sockets (a connection's full socket, its
 * request sock, its timewait sock); NULL when none is known.
 */
const struct owner *owner_get_first(struct owner_table *t, __u64 id1,
				    __u64 id2, __u64 id3);

/*
 * The owner an event line shows: its socket's (@sock_id), or for an event
 * without a socket (SYN_DROP, SYNCOOKIE_SENT, an RST for no socket) its
 * listener's (@peer_id), else what the event itself says, built in
 * @scratch. NULL when nothing is known. Call after owner_feed(@ev).
 */
const struct owner *owner_of_event(struct owner_table *t,
				   const struct tcpstate_event *ev,
				   struct owner *scratch);

/*
 * The path of cgroup @id relative to the cgroup v2 mount ("/" for the
 * root, "/system.slice/nginx.service", ...), or NULL when not found (the
 * cgroup is gone, or no cgroup v2 is mounted).
 */
const char *owner_cgroup_path(struct owner_table *t, __u64 id);

/*
 * A --cgroup argument: a directory under the cgroup v2 mount, given as
 * its full path or relative to the mount. Its id (the directory's inode
 * number) in @id, its path relative to the mount ("/" for the root) in
 * @rel (@rellen bytes). Returns 0, -ENOENT (no such cgroup), -ENOTDIR,
 * -ENODEV (no cgroup v2 mounted) or another -errno of stat().
 */
int owner_cgroup_lookup(const char *arg, __u64 *id, char *rel,
			size_t rellen);

/* Whether cgroup path @path is @under or below it (paths as above). */
int owner_cgroup_is_under(const char *path, const char *under);

/*
 * One pass over every process's open files: @found(inode, pid, @arg) for
 * each socket whose inode @wanted(inode, @arg) says is wanted (a socket
 * held by several processes is found for each).
 */
void owner_scan_socket_fds(int (*wanted)(unsigned long inode, void *arg),
			   void (*found)(unsigned long inode, pid_t pid,
					 void *arg),
			   void *arg);
/* /proc/@pid/comm, "" when it cannot be read. */
void owner_read_comm(pid_t pid, char comm[TCPSTATE_COMM_LEN]);

/* ---- what the outputs print (--who columns, JSON keys) ---- */

/* The --who columns: PID COMM UID CGROUP, each followed by a space. */
#define OWNER_COL_PID		7	/* up to 4194304 */
#define OWNER_COL_COMM		(TCPSTATE_COMM_LEN - 1)
#define OWNER_COL_UID		5
#define OWNER_COL_CGROUP	24	/* the path's last components */
#define OWNER_COLS_WIDTH	(OWNER_COL_PID + OWNER_COL_COMM + \
				 OWNER_COL_UID + OWNER_COL_CGROUP + 4)

/*
 * Cgroup path @path in at most @width (> 3) columns: whole, or "..." and
 * its tail from a '/' (its last components), or "..." and the last
 * characters when even the last component is too long.
 */
void tb_cgroup_short(struct textbuf *tb, const char *path, int width);

/* "PID     COMM            UID   CGROUP                   " */
void tb_owner_header(struct textbuf *tb);
/*
 * The same four columns for @o (NULL: nothing known): "-" for an unknown
 * value; a cgroup path longer than its column as ".../LAST" (its last
 * components, cut from the left), its id in decimal when the path is not
 * found. comm is printed with blanks and control characters as '?', so a
 * line always splits into the same fields.
 */
void tb_owner_text(struct textbuf *tb, const struct owner *o,
		   struct owner_table *t);
/* tb_owner_text() into a buffer: its length, or -ENOSPC (textbuf.h). */
int owner_format_text(char *buf, size_t len, const struct owner *o,
		      struct owner_table *t);

/*
 * The JSON members of @o (NULL: nothing known), each always present, null
 * when unknown: ,"cgroup_id":N,"cgroup":"PATH","uid":N,"pid":N,"tgid":N,
 * "comm":"NAME","owner_from":"event"|"proc" ("proc": the task was found
 * in /proc; "event": what is known came from the events; null: nothing).
 */
void owner_json(struct textbuf *tb, const struct owner *o,
		struct owner_table *t);

#endif /* TCPSTATE_OWNER_H */
