// SPDX-License-Identifier: GPL-2.0
/* The 64-bit keyed map; see idmap.h. */
#include <stdlib.h>
#include <string.h>

#include "idmap.h"

#define IDMAP_MIN_SLOTS	64U

static size_t slot_of(const struct idmap *m, __u64 key)
{
	/* Socket ids are keyed hashes already; a tuple hash may not be
	 * mixed well in its low bits.
	 */
	key *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(key >> 32) & m->mask;
}

static void *val_at(const struct idmap *m, size_t i)
{
	return m->vals + i * m->vsize;
}

void idmap_init(struct idmap *m, size_t vsize, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->vsize = vsize;
	m->max = max;
}

void idmap_free(struct idmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->mask = m->used = 0;
}

void idmap_clear(struct idmap *m)
{
	if (m->keys)
		memset(m->keys, 0, (m->mask + 1) * sizeof(*m->keys));
	m->used = 0;
}

void *idmap_get(const struct idmap *m, __u64 key)
{
	size_t i;

	if (!m->keys || !key)
		return NULL;
	for (i = slot_of(m, key); m->keys[i]; i = (i + 1) & m->mask)
		if (m->keys[i] == key)
			return val_at(m, i);
	return NULL;
}

/* Twice the slots, every entry placed again. */
static int grow(struct idmap *m)
{
	size_t slots = m->keys ? 2 * (m->mask + 1) : IDMAP_MIN_SLOTS, i, j;
	struct idmap n = *m;

	n.keys = calloc(slots, sizeof(*n.keys));
	n.vals = malloc(slots * m->vsize);
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	n.mask = slots - 1;
	for (i = 0; m->keys && i <= m->mask; i++) {
		if (!m->keys[i])
			continue;
		for (j = slot_of(&n, m->keys[i]); n.keys[j]; j = (j + 1) & n.mask)
			;
		n.keys[j] = m->keys[i];
		memcpy(val_at(&n, j), val_at(m, i), m->vsize);
	}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

void *idmap_put(struct idmap *m, __u64 key, int *added)
{
	void *v = idmap_get(m, key);
	size_t i;

	*added = 0;
	if (v)
		return v;
	if (!key || m->used >= m->max)
		return NULL;
	/* At most half full: probes stay short. */
	if ((!m->keys || 2 * (m->used + 1) > m->mask + 1) && grow(m))
		return NULL;
	for (i = slot_of(m, key); m->keys[i]; i = (i + 1) & m->mask)
		;
	m->keys[i] = key;
	m->used++;
	*added = 1;
	v = val_at(m, i);
	memset(v, 0, m->vsize);
	return v;
}

void idmap_del(struct idmap *m, __u64 key)
{
	size_t i, j, home;

	if (!m->keys || !key)
		return;
	for (i = slot_of(m, key); m->keys[i] != key; i = (i + 1) & m->mask)
		if (!m->keys[i])
			return;
	/* Shift back each later entry of the run that may fill the hole:
	 * one whose home slot is not between the hole and it.
	 */
	for (j = (i + 1) & m->mask; m->keys[j]; j = (j + 1) & m->mask) {
		home = slot_of(m, m->keys[j]);
		if (((j - home) & m->mask) < ((j - i) & m->mask))
			continue;
		m->keys[i] = m->keys[j];
		memcpy(val_at(m, i), val_at(m, j), m->vsize);
		i = j;
	}
	m->keys[i] = 0;
	m->used--;
}

void *idmap_next(const struct idmap *m, size_t *pos, __u64 *key)
{
	size_t i;

	for (i = *pos; m->keys && i <= m->mask; i++) {
		if (m->keys[i]) {
			*pos = i + 1;
			*key = m->keys[i];
			return val_at(m, i);
		}
	}
	*pos = i;
	return NULL;
}
