/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TCPSTATE_INTERNAL_H
#define _TCPSTATE_INTERNAL_H

#include <linux/moduleparam.h>
#include <linux/types.h>

#include "ring.h"

struct file;
struct net;
struct sock;
struct sock_common;
struct request_sock;
struct sk_buff;

/*
 * The one ring all hooks write to: allocated by main.c, started and
 * stopped by the reader session (events.c).
 */
extern struct tcpstate_ring tcpstate_ring;

/* device.c */
int tcpstate_device_register(void);
void tcpstate_device_unregister(void);

/* counters.c */
int tcpstate_counters_init(void);
void tcpstate_counters_exit(void);
void tcpstate_count(const struct net *net, enum tcpstate_counter c, int delta);
void tcpstate_counter_set(const struct net *net, enum tcpstate_counter c,
			  s64 value);
/* The seed.c count that last counted @net's own hash (0: none). */
u32 tcpstate_net_seed_gen(const struct net *net);
void tcpstate_net_set_seed_gen(const struct net *net, u32 gen);
void tcpstate_counters_get(const struct net *net,
			   struct tcpstate_counters *out);

/*
 * seed.c: the SYN_RECV and TIME_WAIT gauges. @sk is the request or
 * timewait sock that entered (@delta 1) or left (-1) the established hash.
 */
void tcpstate_gauge_move(const struct net *net, enum tcpstate_counter gauge,
			 const void *sk, int delta);
void tcpstate_seed_init(void);
int tcpstate_seed(void);
int tcpstate_reseed(void);
/* TCPSTATE_C_PROBES_MISSED_SINCE_SEED, from TCPSTATE_C_PROBES_MISSED. */
unsigned long tcpstate_seed_misses(unsigned long missed_now);

/* events.c: events from the hooks to the ring, and the reader session */
void tcpstate_events_init(void);
u64 tcpstate_sock_id(const void *sk);
struct tcpstate_event *tcpstate_event_begin(struct tcpstate_event *buf,
					    const struct net *net, u16 type);
void tcpstate_event_send(const struct net *net, struct tcpstate_event *ev);
void tcpstate_event_tuple_sk(struct tcpstate_event *ev, const struct sock *sk);
void tcpstate_event_tuple_common(struct tcpstate_event *ev,
				 const struct sock_common *skc);
void tcpstate_event_tuple_skb(struct tcpstate_event *ev,
			      const struct sk_buff *skb);
void tcpstate_event_owner(struct tcpstate_event *ev, const struct sock *sk,
			  bool by_task);
void tcpstate_report_state(const struct sock *sk, int oldstate, int newstate);
void tcpstate_report_synack_retrans(const struct sock *listener,
				    const struct request_sock *req);
int tcpstate_session_map(struct file *file, struct vm_area_struct *vma);
bool tcpstate_session_held_by(const struct file *file);
int tcpstate_session_set_filter(struct file *file, struct tcpstate_filter *f);
void tcpstate_session_end(struct file *file);

/* resets.c */
void tcpstate_report_rst_sent(const struct sock *sk, const struct sk_buff *skb,
			      u8 reason);
void tcpstate_report_rst_received(const struct sock *sk);
#ifdef TCPSTATE_HAVE_RST_REASON
u8 tcpstate_rst_reason(int kernel_reason);
#endif

/* main.c: debug_hits=, for the bench */
extern bool tcpstate_debug_hits;

/*
 * debug_hits=1, per hook and per CPU: its calls, and the time its
 * handlers took, by local_clock() read around them (the reads included).
 * The trap into a kprobe or kretprobe is outside it: the bench measures
 * that apart (bench/hookcost_module).
 */
struct tcpstate_hook_stat {
	unsigned long hits;
	unsigned long rets;	/* a kretprobe's returns trapped */
	u64 ns;
};

/*
 * A module parameter that names one of a few choices (attach=, entry_hook=):
 * @value indexes @names. Set and shown by tcpstate_choice_ops (main.c).
 */
struct tcpstate_choice {
	int value;
	const char *const *names;
	unsigned int nr_names;
};

extern const struct kernel_param_ops tcpstate_choice_ops;

/* tracepoints.c */
bool tcpstate_tracepoints_present(void);
ssize_t tcpstate_tracepoints_show(char *buf, ssize_t at);
int tcpstate_tracepoints_attach(void);
int tcpstate_tracepoints_unhook(const char *name);
void tcpstate_tracepoints_detach(void);

/* kprobes.c */
int tcpstate_kprobes_attach(bool kprobe_mode);
int tcpstate_kprobes_unhook(const char *name);
void tcpstate_kprobes_detach(void);
ssize_t tcpstate_kprobes_show(char *buf, ssize_t at);
unsigned long tcpstate_kprobes_missed(void);
void tcpstate_hook_stat_add(struct tcpstate_hook_stat __percpu *stat,
			    unsigned long hits, u64 since);
ssize_t tcpstate_hook_stat_show(char *buf, ssize_t at,
				const struct tcpstate_hook_stat __percpu *stat,
				bool rets);

#endif /* _TCPSTATE_INTERNAL_H */
