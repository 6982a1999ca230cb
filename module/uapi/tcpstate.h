/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tcpstate ABI: the contract between tcpstate.ko and its readers.
 *
 * /dev/tcpstate is a zero-copy ring of fixed-size records. A reader:
 *
 *   1. opens /dev/tcpstate (O_RDWR) and calls TCPSTATE_IOC_GET_INFO, which
 *      fails with ENOTTY if the reader was built against another layout of
 *      struct tcpstate_info, and checks info.abi_version;
 *   2. maps the consumer page read-write at offset info.consumer_off
 *      (info.page_size bytes). This claims the ring: only one reader at a
 *      time, a second one gets EBUSY. Events are produced only while a
 *      reader holds the ring, and the ring starts empty for each reader;
 *   3. maps the control page and the data read-only at offset
 *      info.ctrl_off, info.page_size + 2 * info.data_size bytes. The data
 *      pages are mapped twice in a row, so a record that wraps around the
 *      end of the ring reads as one contiguous block;
 *   4. loops: load-acquire ctrl->producer_pos; for each record from
 *      consumer_pos on, stop at one whose header has TCPSTATE_REC_BUSY set,
 *      else use it and advance by TCPSTATE_REC_SPAN(len); store-release the
 *      new consumer_pos; poll() for more.
 *
 * All positions are byte counts that only grow; a position's offset in the
 * data area is (pos & (data_size - 1)). Every field is naturally aligned,
 * padding is explicit and every size is given below (TCPSTATE_*_SIZE) and
 * asserted by both sides, so 32-bit and 64-bit readers see the same layout.
 */
#ifndef _UAPI_LINUX_TCPSTATE_H
#define _UAPI_LINUX_TCPSTATE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define TCPSTATE_DEVICE		"/dev/tcpstate"
#define TCPSTATE_MAGIC		0x54435053U	/* "TCPS" */
#define TCPSTATE_ABI_VERSION	2U

/**
 * struct tcpstate_info - what TCPSTATE_IOC_GET_INFO returns
 * @magic:        TCPSTATE_MAGIC
 * @abi_version:  TCPSTATE_ABI_VERSION of the module
 * @page_size:    the kernel's page size; mmap offsets are multiples of it
 * @record_size:  sizeof(struct tcpstate_event) the module writes
 * @data_size:    bytes of ring data, a power of two
 * @consumer_off: mmap offset of the consumer page (read-write)
 * @ctrl_off:     mmap offset of the control page, followed by the data
 *                pages twice (read-only)
 */
struct tcpstate_info {
	__u32 magic;
	__u32 abi_version;
	__u32 page_size;
	__u32 record_size;
	__u64 data_size;
	__u64 consumer_off;
	__u64 ctrl_off;
};

/**
 * struct tcpstate_ctrl - the control page, written only by the kernel
 * @magic:        TCPSTATE_MAGIC
 * @abi_version:  TCPSTATE_ABI_VERSION
 * @record_size:  sizeof(struct tcpstate_event)
 * @features:     TCPSTATE_FEAT_* bits: optional behaviours of this module
 * @data_size:    bytes of ring data, a power of two
 * @producer_pos: end of the reserved records; load it with acquire order
 * @produced:     events offered to the ring since the reader attached
 * @dropped:      events dropped because the ring was full, included in
 *                @produced; at rest, produced == consumed + dropped
 *
 * @produced and @dropped are updated under the producers' lock, after
 * @producer_pos: a reader that has consumed everything up to a
 * producer_pos it loaded may see counts that already include later events.
 */
struct tcpstate_ctrl {
	__u32 magic;
	__u32 abi_version;
	__u32 record_size;
	__u32 features;
	__u64 data_size;
	__u64 producer_pos;
	__u64 produced;
	__u64 dropped;
};

/* The module honours tcpstate_consumer.wakeup_bytes. */
#define TCPSTATE_FEAT_WAKEUP_BYTES	0x1U

/**
 * struct tcpstate_consumer - the consumer page, written only by the reader
 * @consumer_pos: start of the first record not yet consumed; store it with
 *                release order once the records before it are used
 * @wakeup_bytes: 0 (the default): poll() reports the ring readable, and
 *                wakes a waiting reader, as soon as one record waits.
 *                N > 0: only once N bytes of records wait (N / 152 events;
 *                the module caps N at half the ring, so a reader is
 *                always woken before the ring fills). Batching wake-ups
 *                is what makes a reader that keeps up cheap; bound the
 *                latency with poll()'s timeout. Needs
 *                TCPSTATE_FEAT_WAKEUP_BYTES in tcpstate_ctrl.features.
 */
struct tcpstate_consumer {
	__u64 consumer_pos;
	__u64 wakeup_bytes;
};

/**
 * struct tcpstate_rec_hdr - the 8 bytes before every record in the ring
 * @len:   payload bytes, with TCPSTATE_REC_BUSY set while the producer
 *         writes it; load it with acquire order
 * @__pad: zero
 */
struct tcpstate_rec_hdr {
	__u32 len;
	__u32 __pad;
};

#define TCPSTATE_REC_BUSY	0x80000000U
#define TCPSTATE_REC_LEN_MASK	(TCPSTATE_REC_BUSY - 1)
/* Ring bytes taken by a record whose payload is @len bytes. */
#define TCPSTATE_REC_SPAN(len) \
	((((__u64)(len) & TCPSTATE_REC_LEN_MASK) + \
	  sizeof(struct tcpstate_rec_hdr) + 7) & ~(__u64)7)

/**
 * enum tcpstate_event_type - what a record reports
 *
 * Every type carries the socket tuple, netns and ids of struct
 * tcpstate_event; the fields named here are the per-type ones. Ids stitch
 * a connection's life together: request sock (SYN_RECV) -> child socket
 * (SYN_RECV_END completed: @peer_id) -> timewait sock (TIMEWAIT: @peer_id
 * is the full socket).
 *
 * @TCPSTATE_EV_STATE: a TCP socket changed state (@oldstate -> @newstate),
 *	as the sock:inet_sock_set_state tracepoint reports it.
 * @TCPSTATE_EV_SYN_RECV: a request sock joined the SYN queue. @sock_id:
 *	the request sock, @peer_id: the listener, @qlen: the listener's SYN
 *	queue length after, @qmax: the listener's backlog limit.
 * @TCPSTATE_EV_SYN_RECV_END: a request sock left the SYN queue; @reason:
 *	enum tcpstate_syn_recv_end. @peer_id: the child socket when
 *	completed, the new request sock when migrated, the listener
 *	otherwise. @count: SYN-ACK retransmits it
 *	had. @qlen: the listener's SYN queue length after.
 * @TCPSTATE_EV_SYNACK_RETRANS: a SYN-ACK was retransmitted for a request
 *	sock. @count: which retransmit (1 for the first). @peer_id: the
 *	listener.
 * @TCPSTATE_EV_ACCEPT_QUEUED: a connection joined the accept queue.
 *	@sock_id: the child socket, @peer_id: the listener, @qlen: the
 *	accept queue length after, @qmax: its limit.
 * @TCPSTATE_EV_ACK_DROP: the third ACK was dropped, no child socket made;
 *	@reason: enum tcpstate_drop_reason. @sock_id: the request sock,
 *	@peer_id: the listener, @qlen/@qmax: the accept queue.
 * @TCPSTATE_EV_SYN_DROP: a SYN was dropped by a listener; @reason: enum
 *	tcpstate_drop_reason. @sock_id: 0 (no socket exists), @peer_id: the
 *	listener, tuple from the SYN. @qlen/@qmax: the queue that was full
 *	(SYN queue or accept queue), else the SYN queue.
 * @TCPSTATE_EV_SYNCOOKIE_SENT: a SYN cookie was sent instead of queueing
 *	the SYN. @sock_id: 0, @peer_id: the listener, tuple from the SYN.
 * @TCPSTATE_EV_TIMEWAIT: a timewait sock was created. @sock_id: the
 *	timewait sock, @peer_id: the full socket it replaces, @oldstate: that
 *	socket's state, @newstate: the substate (TCP_TIME_WAIT, or
 *	TCP_FIN_WAIT2 for an orphaned socket).
 * @TCPSTATE_EV_TIMEWAIT_END: a timewait sock ended; @reason: enum
 *	tcpstate_timewait_end. @newstate: its substate.
 * @TCPSTATE_EV_TIMEWAIT_SUBSTATE: a timewait sock changed substate,
 *	@oldstate -> @newstate: an orphaned FIN_WAIT2 one got the peer's FIN
 *	and entered TIME_WAIT (for TIME_WAIT's full length).
 * @TCPSTATE_EV_RST_SENT: this host sent an RST. @sock_id: the socket it
 *	was sent for (a full, request or timewait sock), 0 when the segment
 *	it answers found no socket (a closed port: then the tuple is that
 *	segment's, reversed, so @saddr:@sport is the local end knocked on);
 *	@oldstate: that socket's state (0: none); @reason: enum
 *	tcpstate_rst_reason; @seq/@ack: the RST's, when TCPSTATE_VALID_SEQ.
 *	An RST sent as a connection is aborted (close() with unread data,
 *	SO_LINGER 0, connect(AF_UNSPEC)) may follow that socket's -> CLOSE
 *	event: the kernel closes first, then resets.
 * @TCPSTATE_EV_RST_RECEIVED: a full socket accepted an RST from its
 *	peer and is about to close. @oldstate: its state. The -> CLOSE
 *	event that follows carries the error the RST set (@err:
 *	ECONNREFUSED in SYN_SENT, EPIPE in CLOSE_WAIT, else ECONNRESET).
 */
enum tcpstate_event_type {
	TCPSTATE_EV_STATE = 1,
	TCPSTATE_EV_SYN_RECV = 2,
	TCPSTATE_EV_SYN_RECV_END = 3,
	TCPSTATE_EV_SYNACK_RETRANS = 4,
	TCPSTATE_EV_ACCEPT_QUEUED = 5,
	TCPSTATE_EV_ACK_DROP = 6,
	TCPSTATE_EV_SYN_DROP = 7,
	TCPSTATE_EV_SYNCOOKIE_SENT = 8,
	TCPSTATE_EV_TIMEWAIT = 9,
	TCPSTATE_EV_TIMEWAIT_END = 10,
	TCPSTATE_EV_TIMEWAIT_SUBSTATE = 11,
	TCPSTATE_EV_RST_SENT = 12,
	TCPSTATE_EV_RST_RECEIVED = 13,
};

/**
 * enum tcpstate_syn_recv_end - why a request sock left the SYN queue
 * @TCPSTATE_SRE_COMPLETED: the third ACK made a child socket that was
 *	kept: it joined the accept queue, or (an MPTCP MP_JOIN subflow) its
 *	MPTCP connection
 * @TCPSTATE_SRE_EXPIRED: its SYN-ACK retries ran out (or it was pruned
 *	from a crowded queue)
 * @TCPSTATE_SRE_DROPPED: reset by the peer, a bad ACK, or an ICMP error;
 *	or its child was made and then discarded (a refused MPTCP join, a
 *	failed request clone on migration)
 * @TCPSTATE_SRE_LISTENER_CLOSED: its listener closed (also when its
 *	child was made but the closed listener's accept queue refused it)
 * @TCPSTATE_SRE_MIGRATED: moved to another SO_REUSEPORT listener (a
 *	TCPSTATE_EV_SYN_RECV for the new request sock follows)
 */
enum tcpstate_syn_recv_end {
	TCPSTATE_SRE_COMPLETED = 1,
	TCPSTATE_SRE_EXPIRED = 2,
	TCPSTATE_SRE_DROPPED = 3,
	TCPSTATE_SRE_LISTENER_CLOSED = 4,
	TCPSTATE_SRE_MIGRATED = 5,
};

/**
 * enum tcpstate_drop_reason - why a listener dropped a SYN or third ACK
 * @TCPSTATE_DROP_ACCEPT_QUEUE_FULL: the accept queue was full
 *	(TcpExt ListenOverflows)
 * @TCPSTATE_DROP_SYN_QUEUE_FULL: the SYN queue was full and SYN cookies
 *	were off (TcpExt TCPReqQFullDrop)
 * @TCPSTATE_DROP_OTHER: any other listen drop (no memory, no route, ...)
 */
enum tcpstate_drop_reason {
	TCPSTATE_DROP_ACCEPT_QUEUE_FULL = 1,
	TCPSTATE_DROP_SYN_QUEUE_FULL = 2,
	TCPSTATE_DROP_OTHER = 3,
};

/**
 * enum tcpstate_timewait_end - why a timewait sock ended
 * @TCPSTATE_TWE_EXPIRED: its timer ran out
 * @TCPSTATE_TWE_REUSED: a new connection took over its tuple (a SYN, or a
 *	connect() reusing the port)
 * @TCPSTATE_TWE_RST: an RST killed it
 * @TCPSTATE_TWE_NETNS_EXIT: its network namespace was deleted
 */
enum tcpstate_timewait_end {
	TCPSTATE_TWE_EXPIRED = 1,
	TCPSTATE_TWE_REUSED = 2,
	TCPSTATE_TWE_RST = 3,
	TCPSTATE_TWE_NETNS_EXIT = 4,
};

/**
 * enum tcpstate_rst_reason - why this host sent an RST
 *
 * The kernel's own reason (enum sk_rst_reason, since Linux 6.10), renamed
 * and numbered here so that a reader's values do not depend on the kernel.
 * Before 6.10 the kernel gives none: the module then says
 * TCPSTATE_RST_NO_SOCKET where no socket was found, TCPSTATE_RST_UNKNOWN
 * otherwise. The names (lower case, no prefix) are TCPSTATE_RST_NAMES.
 */
enum tcpstate_rst_reason {
	TCPSTATE_RST_UNKNOWN = 0,
	TCPSTATE_RST_NOT_SPECIFIED,
	TCPSTATE_RST_NO_SOCKET,
	TCPSTATE_RST_INVALID_ACK_SEQUENCE,
	TCPSTATE_RST_PAWS,
	TCPSTATE_RST_TOO_OLD_ACK,
	TCPSTATE_RST_ACK_UNSENT_DATA,
	TCPSTATE_RST_FLAGS,
	TCPSTATE_RST_OLD_ACK,
	TCPSTATE_RST_ABORT_ON_DATA,
	TCPSTATE_RST_TIMEWAIT_SOCKET,
	TCPSTATE_RST_INVALID_SYN,
	TCPSTATE_RST_ABORT_ON_CLOSE,
	TCPSTATE_RST_ABORT_ON_LINGER,
	TCPSTATE_RST_ABORT_ON_MEMORY,
	TCPSTATE_RST_STATE,
	TCPSTATE_RST_KEEPALIVE_TIMEOUT,
	TCPSTATE_RST_DISCONNECT_WITH_DATA,
	TCPSTATE_RST_MPTCP,
	TCPSTATE_RST_ERROR,
	TCPSTATE_NR_RST_REASONS,
};

#define TCPSTATE_RST_NAMES {						\
	[TCPSTATE_RST_UNKNOWN] = "unknown",				\
	[TCPSTATE_RST_NOT_SPECIFIED] = "not_specified",			\
	[TCPSTATE_RST_NO_SOCKET] = "no_socket",				\
	[TCPSTATE_RST_INVALID_ACK_SEQUENCE] = "invalid_ack_sequence",	\
	[TCPSTATE_RST_PAWS] = "paws",					\
	[TCPSTATE_RST_TOO_OLD_ACK] = "too_old_ack",			\
	[TCPSTATE_RST_ACK_UNSENT_DATA] = "ack_unsent_data",		\
	[TCPSTATE_RST_FLAGS] = "flags",					\
	[TCPSTATE_RST_OLD_ACK] = "old_ack",				\
	[TCPSTATE_RST_ABORT_ON_DATA] = "abort_on_data",			\
	[TCPSTATE_RST_TIMEWAIT_SOCKET] = "timewait_socket",		\
	[TCPSTATE_RST_INVALID_SYN] = "invalid_syn",			\
	[TCPSTATE_RST_ABORT_ON_CLOSE] = "abort_on_close",		\
	[TCPSTATE_RST_ABORT_ON_LINGER] = "abort_on_linger",		\
	[TCPSTATE_RST_ABORT_ON_MEMORY] = "abort_on_memory",		\
	[TCPSTATE_RST_STATE] = "state",					\
	[TCPSTATE_RST_KEEPALIVE_TIMEOUT] = "keepalive_timeout",		\
	[TCPSTATE_RST_DISCONNECT_WITH_DATA] = "disconnect_with_data",	\
	[TCPSTATE_RST_MPTCP] = "mptcp",					\
	[TCPSTATE_RST_ERROR] = "error",					\
}

/*
 * Bits of struct tcpstate_event @valid: which of the later fields hold
 * what the kernel said (a field whose bit is clear is zero).
 *
 * TCPSTATE_VALID_OWNER: @cgroup_id and @uid, the socket's owner (a
 * request sock's listener's). TCPSTATE_VALID_TASK: @tgid, @pid and @comm:
 * the event ran in a task's own system call or work on the socket
 * (connect(), listen(), close(), shutdown(), ...), not in softirq on
 * behalf of whatever task was interrupted.
 */
#define TCPSTATE_VALID_OWNER	0x01U
#define TCPSTATE_VALID_TASK	0x02U
/* @seq and @ack */
#define TCPSTATE_VALID_SEQ	0x04U
/* @iss: this side's initial sequence number */
#define TCPSTATE_VALID_ISS	0x08U
/* @irs: the peer's initial sequence number */
#define TCPSTATE_VALID_IRS	0x10U
/* @err: the socket's error (sk_err), 0 included */
#define TCPSTATE_VALID_ERR	0x20U

#define TCPSTATE_COMM_LEN	16

/**
 * struct tcpstate_event - one event, as the ring carries it
 * @ts_ns:    CLOCK_MONOTONIC time of the event, in ns
 * @sock_id:  the socket's identity: a keyed hash of its address, drawn
 *            anew at each module load. Stable for the socket's life; a
 *            later socket may get the same id once this one is freed
 * @peer_id:  the identity of a related socket (0: none)
 * @netns:    inode number of the socket's network namespace, as in
 *            /proc/PID/ns/net
 * @type:     enum tcpstate_event_type
 * @family:   AF_INET or AF_INET6
 * @saddr:    local address: IPv4 in the first 4 bytes, the rest zero
 * @daddr:    remote address, in the same form
 * @sport:    local port, host byte order
 * @dport:    remote port, host byte order
 * @oldstate: TCP state before (TCP_ESTABLISHED...), for TCPSTATE_EV_STATE
 * @newstate: TCP state after, for TCPSTATE_EV_STATE
 * @reason:   why the event happened, per type (0: not applicable)
 * @flags:    per-type flags (0: none)
 * @qlen:     a queue length, per type (0: not applicable)
 * @qmax:     that queue's limit, per type (0: not applicable)
 * @count:    a count, per type (0: not applicable)
 * @err:      TCPSTATE_VALID_ERR: the socket's error at the event, a
 *            positive errno (ECONNREFUSED, ETIMEDOUT, ECONNRESET,
 *            EHOSTUNREACH, ...) or 0. Set on every TCPSTATE_EV_STATE to
 *            TCP_CLOSE
 * @valid:    TCPSTATE_VALID_* bits
 * @cgroup_id: TCPSTATE_VALID_OWNER: the cgroup v2 id of the socket (the
 *            inode number of its directory under /sys/fs/cgroup), as
 *            the socket was charged when made; a request sock's is its
 *            listener's, a timewait sock's its full socket's at
 *            TCPSTATE_EV_TIMEWAIT (later timewait events carry none)
 * @uid:      TCPSTATE_VALID_OWNER: the socket's owner uid (sk_uid), in
 *            the initial user namespace
 * @tgid:     TCPSTATE_VALID_TASK: the process (thread group) id of the
 *            task the event ran in, in the initial pid namespace
 * @pid:      TCPSTATE_VALID_TASK: that thread's id
 * @seq:      TCPSTATE_VALID_SEQ: for a full socket, the sequence number
 *            of the next byte it will queue (write_seq): on entering
 *            FIN_WAIT1 or LAST_ACK, its FIN's; for TCPSTATE_EV_RST_SENT,
 *            the RST's sequence number
 * @ack:      TCPSTATE_VALID_SEQ: for a full socket, the next sequence
 *            number it expects (rcv_nxt): on entering CLOSE_WAIT,
 *            CLOSING or TIME_WAIT (TCPSTATE_EV_TIMEWAIT, and
 *            TCPSTATE_EV_TIMEWAIT_SUBSTATE to TIME_WAIT, whose @seq and
 *            @ack are the timewait sock's), the peer's FIN + 1; for
 *            TCPSTATE_EV_RST_SENT, the RST's acknowledgment number (0:
 *            its ACK bit is clear)
 * @iss:      TCPSTATE_VALID_ISS: this side's initial sequence number (the
 *            SYN's or SYN-ACK's seq, as tcpdump -S prints it). On
 *            TCPSTATE_EV_SYN_RECV and a full socket's events from
 *            SYN_SENT or SYN_RECV (but a simultaneous open's SYN_RECV ->
 *            ESTABLISHED, whose @iss is one too low)
 * @irs:      TCPSTATE_VALID_IRS: the peer's initial sequence number, where
 *            @iss is given and the peer's SYN was seen
 * @__pad:    zero
 * @comm:     TCPSTATE_VALID_TASK: the task's name, NUL-terminated
 */
struct tcpstate_event {
	__u64 ts_ns;
	__u64 sock_id;
	__u64 peer_id;
	__u32 netns;
	__u16 type;
	__u16 family;
	__u8  saddr[16];
	__u8  daddr[16];
	__u16 sport;
	__u16 dport;
	__u8  oldstate;
	__u8  newstate;
	__u8  reason;
	__u8  flags;
	__u32 qlen;
	__u32 qmax;
	__u32 count;
	__u16 err;
	__u16 valid;
	__u64 cgroup_id;
	__u32 uid;
	__u32 tgid;
	__u32 pid;
	__u32 seq;
	__u32 ack;
	__u32 iss;
	__u32 irs;
	__u32 __pad;
	char  comm[TCPSTATE_COMM_LEN];
};

/**
 * enum tcpstate_counter - per network namespace counters
 *
 * Gauges count what exists now; the others count since the module loaded.
 * /proc/net/tcpstate shows them as "name value" lines, named as below in
 * lower case without the prefix.
 *
 * @TCPSTATE_C_SYN_RECV: request socks in the SYN queue now (gauge)
 * @TCPSTATE_C_TIME_WAIT: timewait socks now (gauge)
 * @TCPSTATE_C_SYN_QUEUE_ADDED: request socks added to a SYN queue
 * @TCPSTATE_C_SYN_QUEUE_COMPLETED: ... that left it as a connection
 * @TCPSTATE_C_SYN_QUEUE_EXPIRED: ... that left it after their retries
 * @TCPSTATE_C_SYN_QUEUE_DROPPED: ... that left it reset, dropped, or with
 *	their listener
 * @TCPSTATE_C_SYN_QUEUE_MIGRATED: ... that moved to another listener
 * @TCPSTATE_C_SYNACK_RETRANS: SYN-ACK retransmits
 * @TCPSTATE_C_ACCEPT_QUEUED: connections added to an accept queue
 * @TCPSTATE_C_ACCEPT_OVERFLOWS: SYNs and third ACKs dropped because the
 *	accept queue was full (= TcpExt ListenOverflows)
 * @TCPSTATE_C_LISTEN_DROPS: SYNs and third ACKs a listener dropped, for
 *	any reason (= TcpExt ListenDrops)
 * @TCPSTATE_C_SYN_QUEUE_FULL_DROPS: SYNs dropped because the SYN queue was
 *	full (= TcpExt TCPReqQFullDrop)
 * @TCPSTATE_C_SYNCOOKIES_SENT: SYN cookies sent (= TcpExt SyncookiesSent)
 * @TCPSTATE_C_TIMEWAIT_CREATED: timewait socks created
 * @TCPSTATE_C_TIMEWAIT_EXPIRED: timewait socks whose timer ran out
 * @TCPSTATE_C_TIMEWAIT_ENDED_EARLY: timewait socks reused, reset, or
 *	purged with their netns
 * @TCPSTATE_C_RING_DROPS: events of this netns dropped by a full ring
 * @TCPSTATE_C_PROBES_MISSED: kprobe hits the kernel did not deliver to
 *	tcpstate since it loaded (every hook's nmissed: a hook that fired
 *	inside another kprobe's handler, or a kretprobe out of instances),
 *	all namespaces together
 * @TCPSTATE_C_PROBES_MISSED_SINCE_SEED: ... since the gauges were last
 *	counted from the kernel's hash tables (at load, or
 *	TCPSTATE_IOC_RESEED). Not 0: the gauges and counters may be off;
 *	TCPSTATE_IOC_RESEED makes the gauges exact again.
 * @TCPSTATE_C_RSTS_SENT: RSTs this host sent (TCPSTATE_EV_RST_SENT)
 * @TCPSTATE_C_RSTS_RECEIVED: RSTs sockets accepted
 *	(TCPSTATE_EV_RST_RECEIVED)
 * @TCPSTATE_C_RSTS_NO_SOCKET: ... of the RSTs sent, those answering a
 *	segment that found no socket: peers knocking on closed ports
 */
enum tcpstate_counter {
	TCPSTATE_C_SYN_RECV,
	TCPSTATE_C_TIME_WAIT,
	TCPSTATE_C_SYN_QUEUE_ADDED,
	TCPSTATE_C_SYN_QUEUE_COMPLETED,
	TCPSTATE_C_SYN_QUEUE_EXPIRED,
	TCPSTATE_C_SYN_QUEUE_DROPPED,
	TCPSTATE_C_SYN_QUEUE_MIGRATED,
	TCPSTATE_C_SYNACK_RETRANS,
	TCPSTATE_C_ACCEPT_QUEUED,
	TCPSTATE_C_ACCEPT_OVERFLOWS,
	TCPSTATE_C_LISTEN_DROPS,
	TCPSTATE_C_SYN_QUEUE_FULL_DROPS,
	TCPSTATE_C_SYNCOOKIES_SENT,
	TCPSTATE_C_TIMEWAIT_CREATED,
	TCPSTATE_C_TIMEWAIT_EXPIRED,
	TCPSTATE_C_TIMEWAIT_ENDED_EARLY,
	TCPSTATE_C_RING_DROPS,
	TCPSTATE_C_PROBES_MISSED,
	TCPSTATE_C_PROBES_MISSED_SINCE_SEED,
	TCPSTATE_C_RSTS_SENT,
	TCPSTATE_C_RSTS_RECEIVED,
	TCPSTATE_C_RSTS_NO_SOCKET,
	TCPSTATE_NR_COUNTERS,
};

/*
 * The counters' names, as /proc/net/tcpstate and tcpstate-watch print
 * them: an initializer for a const char *const [TCPSTATE_NR_COUNTERS], so
 * that the module and its readers share one list.
 */
#define TCPSTATE_COUNTER_NAMES {						\
	[TCPSTATE_C_SYN_RECV] = "syn_recv",				\
	[TCPSTATE_C_TIME_WAIT] = "time_wait",				\
	[TCPSTATE_C_SYN_QUEUE_ADDED] = "syn_queue_added",		\
	[TCPSTATE_C_SYN_QUEUE_COMPLETED] = "syn_queue_completed",	\
	[TCPSTATE_C_SYN_QUEUE_EXPIRED] = "syn_queue_expired",		\
	[TCPSTATE_C_SYN_QUEUE_DROPPED] = "syn_queue_dropped",		\
	[TCPSTATE_C_SYN_QUEUE_MIGRATED] = "syn_queue_migrated",		\
	[TCPSTATE_C_SYNACK_RETRANS] = "synack_retrans",			\
	[TCPSTATE_C_ACCEPT_QUEUED] = "accept_queued",			\
	[TCPSTATE_C_ACCEPT_OVERFLOWS] = "accept_overflows",		\
	[TCPSTATE_C_LISTEN_DROPS] = "listen_drops",			\
	[TCPSTATE_C_SYN_QUEUE_FULL_DROPS] = "syn_queue_full_drops",	\
	[TCPSTATE_C_SYNCOOKIES_SENT] = "syncookies_sent",		\
	[TCPSTATE_C_TIMEWAIT_CREATED] = "timewait_created",		\
	[TCPSTATE_C_TIMEWAIT_EXPIRED] = "timewait_expired",		\
	[TCPSTATE_C_TIMEWAIT_ENDED_EARLY] = "timewait_ended_early",	\
	[TCPSTATE_C_RING_DROPS] = "ring_drops",				\
	[TCPSTATE_C_PROBES_MISSED] = "probes_missed",			\
	[TCPSTATE_C_PROBES_MISSED_SINCE_SEED] = "probes_missed_since_seed", \
	[TCPSTATE_C_RSTS_SENT] = "rsts_sent",				\
	[TCPSTATE_C_RSTS_RECEIVED] = "rsts_received",			\
	[TCPSTATE_C_RSTS_NO_SOCKET] = "rsts_no_socket",			\
}

#define TCPSTATE_MAX_COUNTERS	32

/**
 * struct tcpstate_counters - what TCPSTATE_IOC_GET_COUNTERS returns
 * @netns:   inode number of the caller's network namespace, whose
 *           counters these are
 * @nr:      how many entries of @value this module fills
 *           (TCPSTATE_NR_COUNTERS of the module; the rest are zero)
 * @value:   indexed by enum tcpstate_counter
 */
struct tcpstate_counters {
	__u32 netns;
	__u32 nr;
	__u64 value[TCPSTATE_MAX_COUNTERS];
};

#define TCPSTATE_FILTER_PORTS	32

/**
 * struct tcpstate_filter - which events the ring takes, decided in the
 * kernel before anything is reserved
 * @netns:    only this network namespace inode (0: any)
 * @family:   only AF_INET or AF_INET6 (0: any)
 * @nr_lports: how many of @lports apply (0: any local port)
 * @nr_rports: how many of @rports apply (0: any remote port)
 * @__pad:    zero
 * @lports:   local ports, host byte order
 * @rports:   remote ports, host byte order
 * @cgroup_id: only sockets of this cgroup v2 (its directory's inode
 *            number) or of its descendants (0: any). Events that carry
 *            no owner pass: timewait sock events after
 *            TCPSTATE_EV_TIMEWAIT (a reader follows them from that
 *            event's @sock_id); RSTs for no socket do not.
 *
 * An event passes when it matches every part that applies. Ports are
 * those of the event's tuple (struct tcpstate_event @sport, @dport).
 * Counters are not filtered.
 */
struct tcpstate_filter {
	__u32 netns;
	__u16 family;
	__u16 nr_lports;
	__u16 nr_rports;
	__u16 __pad[3];
	__u16 lports[TCPSTATE_FILTER_PORTS];
	__u16 rports[TCPSTATE_FILTER_PORTS];
	__u64 cgroup_id;
};

#define TCPSTATE_IOC_MAGIC	0xb7
/* Fills struct tcpstate_info. */
#define TCPSTATE_IOC_GET_INFO	_IOR(TCPSTATE_IOC_MAGIC, 1, struct tcpstate_info)
/* Fills struct tcpstate_counters for the caller's network namespace. */
#define TCPSTATE_IOC_GET_COUNTERS \
	_IOR(TCPSTATE_IOC_MAGIC, 2, struct tcpstate_counters)
/*
 * Sets the filter of the ring this file holds (mmap it first: EPERM
 * otherwise). EINVAL for a bad family, a count over TCPSTATE_FILTER_PORTS
 * or non-zero padding.
 */
#define TCPSTATE_IOC_SET_FILTER \
	_IOW(TCPSTATE_IOC_MAGIC, 3, struct tcpstate_filter)
/*
 * Counts the SYN_RECV and TIME_WAIT gauges of every namespace again from
 * the kernel's hash tables, without stopping traffic, and resets
 * TCPSTATE_C_PROBES_MISSED_SINCE_SEED: after missed probes, the gauges
 * are exact again. Needs CAP_NET_ADMIN; EBUSY while another count runs.
 */
#define TCPSTATE_IOC_RESEED	_IO(TCPSTATE_IOC_MAGIC, 4)

/*
 * The sizes are part of the ABI: a change to any of them is a new
 * TCPSTATE_ABI_VERSION. Both sides assert them: struct tcpstate_info 40
 * bytes, struct tcpstate_ctrl 48, struct tcpstate_rec_hdr 8, struct
 * tcpstate_event 144, TCPSTATE_REC_SPAN(sizeof(struct tcpstate_event))
 * 152, struct tcpstate_counters 264 and struct tcpstate_filter 152.
 */
#define TCPSTATE_INFO_SIZE	40
#define TCPSTATE_CTRL_SIZE	48
#define TCPSTATE_REC_HDR_SIZE	8
#define TCPSTATE_EVENT_SIZE	144
#define TCPSTATE_RECORD_SPAN	152
#define TCPSTATE_COUNTERS_SIZE	264
#define TCPSTATE_FILTER_SIZE	152

#endif /* _UAPI_LINUX_TCPSTATE_H */
