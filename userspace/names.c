// SPDX-License-Identifier: GPL-2.0
/*
 * Every number -> name table, one per enum, indexed by its values, as ss
 * does it: the ABI's (see names.h), then the sequence engine's words
 * (declared in sequence.h, beside their enums).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "names.h"
#include "sequence.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const tcp_state_names[] = {
	[TCPS_ESTABLISHED] = "ESTABLISHED",
	[TCPS_SYN_SENT] = "SYN_SENT",
	[TCPS_SYN_RECV] = "SYN_RECV",
	[TCPS_FIN_WAIT1] = "FIN_WAIT1",
	[TCPS_FIN_WAIT2] = "FIN_WAIT2",
	[TCPS_TIME_WAIT] = "TIME_WAIT",
	[TCPS_CLOSE] = "CLOSE",
	[TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPS_LAST_ACK] = "LAST_ACK",
	[TCPS_LISTEN] = "LISTEN",
	[TCPS_CLOSING] = "CLOSING",
	[TCPS_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

/*
 * The uapi enums start at 1, 0 meaning "not applicable", so slot 0 stays
 * NULL like any other hole.
 */
static const char *const event_type_names[] = {
	[TCPSTATE_EV_STATE] = "STATE",
	[TCPSTATE_EV_SYN_RECV] = "SYN_RECV",
	[TCPSTATE_EV_SYN_RECV_END] = "SYN_RECV_END",
	[TCPSTATE_EV_SYNACK_RETRANS] = "SYNACK_RETRANS",
	[TCPSTATE_EV_ACCEPT_QUEUED] = "ACCEPT_QUEUED",
	[TCPSTATE_EV_ACK_DROP] = "ACK_DROP",
	[TCPSTATE_EV_SYN_DROP] = "SYN_DROP",
	[TCPSTATE_EV_SYNCOOKIE_SENT] = "SYNCOOKIE_SENT",
	[TCPSTATE_EV_TIMEWAIT] = "TIMEWAIT",
	[TCPSTATE_EV_TIMEWAIT_END] = "TIMEWAIT_END",
	[TCPSTATE_EV_TIMEWAIT_SUBSTATE] = "TIMEWAIT_SUBSTATE",
	[TCPSTATE_EV_RST_SENT] = "RST_SENT",
	[TCPSTATE_EV_RST_RECEIVED] = "RST_RECEIVED",
};

static const char *const syn_recv_end_names[] = {
	[TCPSTATE_SRE_COMPLETED] = "completed",
	[TCPSTATE_SRE_EXPIRED] = "expired",
	[TCPSTATE_SRE_DROPPED] = "dropped",
	[TCPSTATE_SRE_LISTENER_CLOSED] = "listener_closed",
	[TCPSTATE_SRE_MIGRATED] = "migrated",
};

static const char *const drop_reason_names[] = {
	[TCPSTATE_DROP_ACCEPT_QUEUE_FULL] = "accept_queue_full",
	[TCPSTATE_DROP_SYN_QUEUE_FULL] = "syn_queue_full",
	[TCPSTATE_DROP_OTHER] = "other",
};

static const char *const timewait_end_names[] = {
	[TCPSTATE_TWE_EXPIRED] = "expired",
	[TCPSTATE_TWE_REUSED] = "reused",
	[TCPSTATE_TWE_RST] = "rst",
	[TCPSTATE_TWE_NETNS_EXIT] = "netns_exit",
};

/*
 * The names /proc/net/tcpstate prints, from the module's own list, so that
 * a script can read either source with the same keys.
 */
static const char *const counter_names[] = TCPSTATE_COUNTER_NAMES;

/* A counter appended to the enum without a name here fails the build;
 * one inserted leaves a NULL hole, which the unit tests catch.
 */
_Static_assert(ARRAY_SIZE(counter_names) == TCPSTATE_NR_COUNTERS,
	       "counter_names does not cover enum tcpstate_counter");

const char *tcpstate_state_name(unsigned int state)
{
	const char *name = TCPSTATE_NAME_OF(tcp_state_names, state);

	return name ? name : "UNKNOWN";
}

const char *tcpstate_event_type_name(unsigned int type)
{
	return TCPSTATE_NAME_OF(event_type_names, type);
}

const char *tcpstate_syn_recv_end_name(unsigned int reason)
{
	return TCPSTATE_NAME_OF(syn_recv_end_names, reason);
}

const char *tcpstate_drop_reason_name(unsigned int reason)
{
	return TCPSTATE_NAME_OF(drop_reason_names, reason);
}

const char *tcpstate_timewait_end_name(unsigned int reason)
{
	return TCPSTATE_NAME_OF(timewait_end_names, reason);
}

const char *tcpstate_reason_name(unsigned int type, unsigned int reason)
{
	switch (type) {
	case TCPSTATE_EV_SYN_RECV_END:
		return tcpstate_syn_recv_end_name(reason);
	case TCPSTATE_EV_ACK_DROP:
	case TCPSTATE_EV_SYN_DROP:
		return tcpstate_drop_reason_name(reason);
	case TCPSTATE_EV_TIMEWAIT_END:
		return tcpstate_timewait_end_name(reason);
	case TCPSTATE_EV_RST_SENT:
		return tcpstate_rst_reason_name(reason);
	default:
		return NULL;
	}
}

const char *tcpstate_counter_name(unsigned int idx)
{
	return TCPSTATE_NAME_OF(counter_names, idx);
}

static const char *const family_names[] = {
	[AF_INET] = "ipv4",
	[AF_INET6] = "ipv6",
};

const char *tcpstate_family_name(unsigned int family)
{
	return TCPSTATE_NAME_OF(family_names, family);
}

const char *tcpstate_name_or_unknown(const char *name, unsigned int value,
				     char buf[TCPSTATE_UNKNOWN_MAX])
{
	if (name)
		return name;
	snprintf(buf, TCPSTATE_UNKNOWN_MAX, "unknown(%u)", value);
	return buf;
}

static const char *const rst_reason_names[] = TCPSTATE_RST_NAMES;

_Static_assert(ARRAY_SIZE(rst_reason_names) == TCPSTATE_NR_RST_REASONS,
	       "TCPSTATE_RST_NAMES does not cover enum tcpstate_rst_reason");

const char *tcpstate_rst_reason_name(unsigned int reason)
{
	return TCPSTATE_NAME_OF(rst_reason_names, reason);
}

/*
 * What sk_err holds on a TCP socket: set by tcp_reset(), the retransmit
 * and keepalive timers, ICMP errors (icmp_err_convert[] and its IPv6
 * twin) and tcp_disconnect(); the rest of errno never gets there.
 */
static const char *const errno_names[] = {
	[EPERM] = "EPERM",
	[ENOENT] = "ENOENT",
	[ESRCH] = "ESRCH",
	[EINTR] = "EINTR",
	[EIO] = "EIO",
	[ENXIO] = "ENXIO",
	[E2BIG] = "E2BIG",
	[ENOEXEC] = "ENOEXEC",
	[EBADF] = "EBADF",
	[ECHILD] = "ECHILD",
	[EAGAIN] = "EAGAIN",
	[ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES",
	[EFAULT] = "EFAULT",
	[ENOTBLK] = "ENOTBLK",
	[EBUSY] = "EBUSY",
	[EEXIST] = "EEXIST",
	[EXDEV] = "EXDEV",
	[ENODEV] = "ENODEV",
	[ENOTDIR] = "ENOTDIR",
	[EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL",
	[ENFILE] = "ENFILE",
	[EMFILE] = "EMFILE",
	[ENOTTY] = "ENOTTY",
	[ETXTBSY] = "ETXTBSY",
	[EFBIG] = "EFBIG",
	[ENOSPC] = "ENOSPC",
	[ESPIPE] = "ESPIPE",
	[EROFS] = "EROFS",
	[EMLINK] = "EMLINK",
	[EPIPE] = "EPIPE",
	[EDOM] = "EDOM",
	[ERANGE] = "ERANGE",
	[EDEADLK] = "EDEADLK",
	[ENAMETOOLONG] = "ENAMETOOLONG",
	[ENOLCK] = "ENOLCK",
	[ENOSYS] = "ENOSYS",
	[ENOTEMPTY] = "ENOTEMPTY",
	[ELOOP] = "ELOOP",
	[ENOMSG] = "ENOMSG",
	[EIDRM] = "EIDRM",
	[ECHRNG] = "ECHRNG",
	[EL2NSYNC] = "EL2NSYNC",
	[EL3HLT] = "EL3HLT",
	[EL3RST] = "EL3RST",
	[ELNRNG] = "ELNRNG",
	[EUNATCH] = "EUNATCH",
	[ENOCSI] = "ENOCSI",
	[EL2HLT] = "EL2HLT",
	[EBADE] = "EBADE",
	[EBADR] = "EBADR",
	[EXFULL] = "EXFULL",
	[ENOANO] = "ENOANO",
	[EBADRQC] = "EBADRQC",
	[EBADSLT] = "EBADSLT",
	[EBFONT] = "EBFONT",
	[ENOSTR] = "ENOSTR",
	[ENODATA] = "ENODATA",
	[ETIME] = "ETIME",
	[ENOSR] = "ENOSR",
	[ENONET] = "ENONET",
	[ENOPKG] = "ENOPKG",
	[EREMOTE] = "EREMOTE",
	[ENOLINK] = "ENOLINK",
	[EADV] = "EADV",
	[ESRMNT] = "ESRMNT",
	[ECOMM] = "ECOMM",
	[EPROTO] = "EPROTO",
	[EMULTIHOP] = "EMULTIHOP",
	[EDOTDOT] = "EDOTDOT",
	[EBADMSG] = "EBADMSG",
	[EOVERFLOW] = "EOVERFLOW",
	[ENOTUNIQ] = "ENOTUNIQ",
	[EBADFD] = "EBADFD",
	[EREMCHG] = "EREMCHG",
	[ELIBACC] = "ELIBACC",
	[ELIBBAD] = "ELIBBAD",
	[ELIBSCN] = "ELIBSCN",
	[ELIBMAX] = "ELIBMAX",
	[ELIBEXEC] = "ELIBEXEC",
	[EILSEQ] = "EILSEQ",
	[ERESTART] = "ERESTART",
	[ESTRPIPE] = "ESTRPIPE",
	[EUSERS] = "EUSERS",
	[ENOTSOCK] = "ENOTSOCK",
	[EDESTADDRREQ] = "EDESTADDRREQ",
	[EMSGSIZE] = "EMSGSIZE",
	[EPROTOTYPE] = "EPROTOTYPE",
	[ENOPROTOOPT] = "ENOPROTOOPT",
	[EPROTONOSUPPORT] = "EPROTONOSUPPORT",
	[ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT",
	[EOPNOTSUPP] = "EOPNOTSUPP",
	[EPFNOSUPPORT] = "EPFNOSUPPORT",
	[EAFNOSUPPORT] = "EAFNOSUPPORT",
	[EADDRINUSE] = "EADDRINUSE",
	[EADDRNOTAVAIL] = "EADDRNOTAVAIL",
	[ENETDOWN] = "ENETDOWN",
	[ENETUNREACH] = "ENETUNREACH",
	[ENETRESET] = "ENETRESET",
	[ECONNABORTED] = "ECONNABORTED",
	[ECONNRESET] = "ECONNRESET",
	[ENOBUFS] = "ENOBUFS",
	[EISCONN] = "EISCONN",
	[ENOTCONN] = "ENOTCONN",
	[ESHUTDOWN] = "ESHUTDOWN",
	[ETOOMANYREFS] = "ETOOMANYREFS",
	[ETIMEDOUT] = "ETIMEDOUT",
	[ECONNREFUSED] = "ECONNREFUSED",
	[EHOSTDOWN] = "EHOSTDOWN",
	[EHOSTUNREACH] = "EHOSTUNREACH",
	[EALREADY] = "EALREADY",
	[EINPROGRESS] = "EINPROGRESS",
	[ESTALE] = "ESTALE",
	[EUCLEAN] = "EUCLEAN",
	[ENOTNAM] = "ENOTNAM",
	[ENAVAIL] = "ENAVAIL",
	[EISNAM] = "EISNAM",
	[EREMOTEIO] = "EREMOTEIO",
	[EDQUOT] = "EDQUOT",
	[ENOMEDIUM] = "ENOMEDIUM",
	[EMEDIUMTYPE] = "EMEDIUMTYPE",
	[ECANCELED] = "ECANCELED",
	[ENOKEY] = "ENOKEY",
	[EKEYEXPIRED] = "EKEYEXPIRED",
	[EKEYREVOKED] = "EKEYREVOKED",
	[EKEYREJECTED] = "EKEYREJECTED",
	[EOWNERDEAD] = "EOWNERDEAD",
	[ENOTRECOVERABLE] = "ENOTRECOVERABLE",
	[ERFKILL] = "ERFKILL",
	[EHWPOISON] = "EHWPOISON",
};

const char *tcpstate_errno_name(unsigned int err)
{
	return TCPSTATE_NAME_OF(errno_names, err);
}

/* ---- sequences: the KIND, SIDE and PATH words (sequence.h) ---- */

static const char *const kind_names[] = {
	[SEQ_ACTIVE_OPEN] = "active_open",
	[SEQ_PASSIVE_OPEN] = "passive_open",
	[SEQ_CONNECT_REFUSED] = "connect_refused",
	[SEQ_CONNECT_TIMEOUT] = "connect_timeout",
	[SEQ_CONNECT_FAILED] = "connect_failed",
	[SEQ_HALF_OPEN_EXPIRED] = "half_open_expired",
	[SEQ_HALF_OPEN_DROPPED] = "half_open_dropped",
	[SEQ_ACK_DROPPED] = "ack_dropped",
	[SEQ_SYN_DROPPED] = "syn_dropped",
	[SEQ_SYN_COOKIE] = "syn_cookie",
	[SEQ_ACTIVE_CLOSE] = "active_close",
	[SEQ_PASSIVE_CLOSE] = "passive_close",
	[SEQ_SIMULTANEOUS_CLOSE] = "simultaneous_close",
	[SEQ_ORPHAN_CLOSE] = "orphan_close",
	[SEQ_RESET] = "reset",
	[SEQ_UNFINISHED] = "unfinished",
	[SEQ_IN_PROGRESS] = "in_progress",
	[SEQ_RESET_BY_PEER] = "reset_by_peer",
	[SEQ_RESET_BY_US] = "reset_by_us",
};

_Static_assert(ARRAY_SIZE(kind_names) == SEQ_NR_KINDS,
	       "kind_names does not cover enum seq_kind");

const char *seq_kind_name(unsigned int kind)
{
	return TCPSTATE_NAME_OF(kind_names, kind);
}

static const char *const cause_names[] = {
	[SEQ_CAUSE_REFUSED] = "refused",
	[SEQ_CAUSE_TIMED_OUT] = "timed_out",
	[SEQ_CAUSE_UNREACHABLE] = "unreachable",
	[SEQ_CAUSE_RESET_BY_PEER] = "reset_by_peer",
	[SEQ_CAUSE_RESET_BY_US] = "reset_by_us",
	[SEQ_CAUSE_ABORTED] = "aborted",
};

_Static_assert(ARRAY_SIZE(cause_names) == SEQ_NR_CAUSES,
	       "cause_names does not cover enum seq_cause");

const char *seq_cause_name(unsigned int cause)
{
	return TCPSTATE_NAME_OF(cause_names, cause);
}

static const char *const rst_by_names[] = {
	[SEQ_RST_LOCAL] = "local",
	[SEQ_RST_PEER] = "peer",
};

const char *seq_rst_by_name(enum seq_rst_by by)
{
	return TCPSTATE_NAME_OF(rst_by_names, by);
}

static const char *const side_names[] = {
	[SEQ_SIDE_CLIENT] = "client",
	[SEQ_SIDE_SERVER] = "server",
};

const char *seq_side_name(enum seq_side side)
{
	return TCPSTATE_NAME_OF(side_names, side);
}

const char *seq_step_name(unsigned int state)
{
	if (state == SEQ_ST_GAP)
		return "...";
	if (state == SEQ_ST_TW_FIN_WAIT2)
		return "FIN_WAIT2(tw)";
	return tcpstate_state_name(state);
}

const char *seq_reason_name(const struct seq_record *rec)
{
	switch (rec->reason_type) {
	case SEQ_REASON_SYN_RECV_END:
		return tcpstate_syn_recv_end_name(rec->reason);
	case SEQ_REASON_DROP:
		return tcpstate_drop_reason_name(rec->reason);
	case SEQ_REASON_TIMEWAIT_END:
		return tcpstate_timewait_end_name(rec->reason);
	default:
		return NULL;
	}
}
