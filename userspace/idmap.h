/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A map from a non-zero 64-bit key (a socket id, a tuple's hash) to a
 * fixed-size value: open addressing with linear probing, grown by
 * doubling up to a cap, deletion by backward shift (no tombstones, so a
 * long churn of sockets never slows it down).
 */
#ifndef TCPSTATE_IDMAP_H
#define TCPSTATE_IDMAP_H

#include <stddef.h>

#include "tcpstate.h"

struct idmap {
	__u64 *keys;		/* 0: empty slot */
	unsigned char *vals;	/* @vsize bytes per slot */
	size_t vsize, mask, used, max;
};

/* Empty, for values of @vsize bytes, at most @max entries. */
void idmap_init(struct idmap *m, size_t vsize, size_t max);
void idmap_free(struct idmap *m);
/* Every entry removed, the memory kept. */
void idmap_clear(struct idmap *m);

/* The value of @key, NULL when absent. */
void *idmap_get(const struct idmap *m, __u64 key);
/*
 * The value of @key, added zeroed when absent (@added set to 1, else 0).
 * NULL when @max entries are there already, or out of memory.
 */
void *idmap_put(struct idmap *m, __u64 key, int *added);
/* Remove @key; nothing when absent. */
void idmap_del(struct idmap *m, __u64 key);

/*
 * Iterate: start with *@pos = 0; returns the next entry's value (its key
 * in @key) and advances *@pos, NULL at the end. The map must not change
 * meanwhile.
 */
void *idmap_next(const struct idmap *m, size_t *pos, __u64 *key);

#endif /* TCPSTATE_IDMAP_H */
