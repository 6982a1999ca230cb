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
 * padding is explicit and every size is asserted below, so 32-bit and 64-bit
 * readers see the same layout.
 */
#ifndef _UAPI_LINUX_TCPSTATE_H
#define _UAPI_LINUX_TCPSTATE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define TCPSTATE_DEVICE		"/dev/tcpstate"
#define TCPSTATE_MAGIC		0x54435053U	/* "TCPS" */
#define TCPSTATE_ABI_VERSION	1U

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
 * @__pad0:       zero
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
	__u32 __pad0;
	__u64 data_size;
	__u64 producer_pos;
	__u64 produced;
	__u64 dropped;
};

/**
 * struct tcpstate_consumer - the consumer page, written only by the reader
 * @consumer_pos: start of the first record not yet consumed; store it with
 *                release order once the records before it are used
 */
struct tcpstate_consumer {
	__u64 consumer_pos;
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
 * @TCPSTATE_EV_STATE: a TCP socket changed state (@oldstate -> @newstate),
 *                     as the sock:inet_sock_set_state tracepoint reports it
 */
enum tcpstate_event_type {
	TCPSTATE_EV_STATE = 1,
};

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
 * @__pad:    zero
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
	__u32 __pad;
};

#define TCPSTATE_IOC_MAGIC	0xb7
/* Fills struct tcpstate_info. */
#define TCPSTATE_IOC_GET_INFO	_IOR(TCPSTATE_IOC_MAGIC, 1, struct tcpstate_info)

/*
 * The sizes are part of the ABI: a change to any of them is a new
 * TCPSTATE_ABI_VERSION. Both sides assert them: struct tcpstate_info 40
 * bytes, struct tcpstate_ctrl 48, struct tcpstate_rec_hdr 8, struct
 * tcpstate_event 88, and TCPSTATE_REC_SPAN(sizeof(struct tcpstate_event))
 * 96.
 */
#define TCPSTATE_INFO_SIZE	40
#define TCPSTATE_CTRL_SIZE	48
#define TCPSTATE_REC_HDR_SIZE	8
#define TCPSTATE_EVENT_SIZE	88
#define TCPSTATE_RECORD_SPAN	96

#endif /* _UAPI_LINUX_TCPSTATE_H */
