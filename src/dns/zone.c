/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The zone store; the contract is at the top of zone.h.
 *
 * Why open addressing rather than liburcu's lock-free hash table: there is a
 * single writer, so slots can be plain words written with release order;
 * a slot costs 8 bytes instead of a node header of 16 plus a bucket, and the
 * top 16 bits of each slot carry a hash tag, so a probe that misses does not
 * touch the node's cache line. Deleted slots become tombstones that readers
 * step over; resizing builds a fresh array and swaps the pointer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <urcu.h>
#include <urcu/uatomic.h>
#include <libknot/descriptor.h>

#include "dns/zone.h"
#include "lib/errors.h"

#define SLOT_EMPTY ((uintptr_t)0)
#define SLOT_TOMB  ((uintptr_t)1)
#define SLOT_PTR_MASK (((uintptr_t)1 << 48) - 1)
#define TABLE_MIN 16

struct ztable {
	size_t mask;
	uintptr_t slots[];
};

static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t zhash(uint64_t seed, const uint8_t *p, size_t n)
{
	uint64_t h = seed ^ ((uint64_t)n * 0x9E3779B97F4A7C15ULL);
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		h = (h ^ v) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	uint64_t v = 0;
	memcpy(&v, p, n);
	return mix(h ^ v);
}

static inline uintptr_t slot_make(const node_t *n, uint64_t h)
{
	return (uintptr_t)n | (uintptr_t)(h >> 48) << 48;
}

static inline node_t *slot_node(uintptr_t s)
{
	return (node_t *)(s & SLOT_PTR_MASK);
}

static inline bool slot_live(uintptr_t s)
{
	return s > SLOT_TOMB;
}

static inline bool name_eq(const node_t *n, const uint8_t *rel, size_t len)
{
	return n->namelen == len && memcmp(n->bytes, rel, len) == 0;
}

void node_rrset_at(const node_t *n, unsigned i, node_rrset_t *out)
{
	const uint8_t *idx = n->bytes + n->namelen;
	const uint8_t *data = idx + n->ntypes * NODE_IDX_SIZE;
	for (unsigned k = 0; k < i; k++)
		data += node_get16(idx + k * NODE_IDX_SIZE + 4);
	const uint8_t *e = idx + i * NODE_IDX_SIZE;
	out->type = node_get16(e);
	out->count = node_get16(e + 2);
	out->len = node_get16(e + 4);
	out->wire = data;
}

bool node_rrset(const node_t *n, uint16_t type, node_rrset_t *out)
{
	const uint8_t *idx = n->bytes + n->namelen;
	const uint8_t *data = idx + n->ntypes * NODE_IDX_SIZE;
	for (unsigned k = 0; k < n->ntypes; k++) {
		const uint8_t *e = idx + k * NODE_IDX_SIZE;
		uint16_t t = node_get16(e);
		uint16_t len = node_get16(e + 4);
		if (t == type) {
			out->type = t;
			out->count = node_get16(e + 2);
			out->len = len;
			out->wire = data;
			return true;
		}
		if (t > type)
			return false;
		data += len;
	}
	return false;
}

static ztable_t *table_new(size_t size)
{
	ztable_t *t = calloc(1, sizeof(*t) + size * sizeof(uintptr_t));
	if (t != NULL)
		t->mask = size - 1;
	return t;
}

zone_t *zone_new(const uint8_t *apex)
{
	zone_t *z = calloc(1, sizeof(*z));
	if (z == NULL)
		return NULL;
	size_t len = 0;
	unsigned labels = 0;
	while (apex[len] != 0) {
		len += 1 + apex[len];
		labels++;
	}
	len++;
	memcpy(z->apex, apex, len);
	z->apex_len = (uint8_t)len;
	z->apex_labels = (uint8_t)labels;
	if (getrandom(&z->seed, sizeof(z->seed), 0) != sizeof(z->seed))
		z->seed = (uint64_t)(uintptr_t)z * 0x9E3779B97F4A7C15ULL;
	z->table = table_new(TABLE_MIN);
	if (z->table == NULL) {
		free(z);
		return NULL;
	}
	return z;
}

void zone_free(zone_t *z)
{
	if (z == NULL)
		return;
	ztable_t *t = z->table;
	for (size_t i = 0; i <= t->mask; i++)
		if (slot_live(t->slots[i]))
			free(slot_node(t->slots[i]));
	free(t);
	free(z);
}

const node_t *zone_get(const zone_t *z, const uint8_t *rel, size_t rellen)
{
	const ztable_t *t = rcu_dereference(z->table);
	uint64_t h = zhash(z->seed, rel, rellen);
	uintptr_t tag = (uintptr_t)(h >> 48);
	size_t i = h & t->mask;
	for (;;) {
		uintptr_t s = CMM_LOAD_SHARED(t->slots[i]);
		if (s == SLOT_EMPTY)
			return NULL;
		if (slot_live(s) && (s >> 48) == tag) {
			const node_t *n = slot_node(s);
			cmm_smp_read_barrier_depends();
			if (name_eq(n, rel, rellen))
				return n;
		}
		i = (i + 1) & t->mask;
	}
}

/* Writer: finds the slot of rel, or where it would go (first tombstone or
 * empty slot on its probe path). *found tells which. */
static size_t table_probe(const ztable_t *t, uint64_t h, const uint8_t *rel, size_t rellen,
                          bool *found)
{
	uintptr_t tag = (uintptr_t)(h >> 48);
	size_t i = h & t->mask, first_tomb = SIZE_MAX;
	for (;;) {
		uintptr_t s = t->slots[i];
		if (s == SLOT_EMPTY) {
			*found = false;
			return first_tomb != SIZE_MAX ? first_tomb : i;
		}
		if (s == SLOT_TOMB) {
			if (first_tomb == SIZE_MAX)
				first_tomb = i;
		} else if ((s >> 48) == tag && name_eq(slot_node(s), rel, rellen)) {
			*found = true;
			return i;
		}
		i = (i + 1) & t->mask;
	}
}

static inline void slot_publish(uintptr_t *slot, uintptr_t v)
{
	/* Release: the node's bytes are visible before the slot points to it. */
	cmm_smp_wmb();
	CMM_STORE_SHARED(*slot, v);
}

static int table_rebuild(zone_t *z, size_t want, zgc_t *gc)
{
	/* The smallest power of two that holds want at 70 %: after a growth
	 * the load is 35 %, and 8 bytes a slot stay 11 to 23 bytes a name. */
	size_t size = TABLE_MIN;
	while (size * 7 < want * 10)
		size <<= 1;
	ztable_t *nt = table_new(size);
	if (nt == NULL)
		return -ENOMEM;
	ztable_t *ot = z->table;
	for (size_t i = 0; i <= ot->mask; i++) {
		uintptr_t s = ot->slots[i];
		if (!slot_live(s))
			continue;
		const node_t *n = slot_node(s);
		uint64_t h = zhash(z->seed, n->bytes, n->namelen);
		size_t j = h & nt->mask;
		while (nt->slots[j] != SLOT_EMPTY)
			j = (j + 1) & nt->mask;
		nt->slots[j] = s;
	}
	if (zgc_add(gc, ot) != 0) {
		free(nt);
		return -ENOMEM;
	}
	rcu_assign_pointer(z->table, nt);
	z->tombs = 0;
	return 0;
}

/* Keeps (live + tombstones) below 70% of the slots. */
static int table_make_room(zone_t *z, zgc_t *gc)
{
	size_t size = z->table->mask + 1;
	if ((z->used + z->tombs + 1) * 10 <= size * 7)
		return 0;
	return table_rebuild(z, z->used + 1, gc);
}

int zone_reserve(zone_t *z, size_t n)
{
	if ((z->table->mask + 1) * 7 >= n * 10)
		return 0;
	zgc_t gc = { 0 };
	int ret = table_rebuild(z, n, &gc);
	zgc_flush(&gc);
	zgc_deinit(&gc);
	return ret;
}

static node_t *ent_new(const uint8_t *rel, size_t rellen)
{
	node_t *n = calloc(1, sizeof(*n) + rellen);
	if (n == NULL)
		return NULL;
	n->namelen = (uint8_t)rellen;
	memcpy(n->bytes, rel, rellen);
	return n;
}

static node_t *parent_of(zone_t *z, const uint8_t *rel, size_t rellen)
{
	size_t skip = 1 + rel[0];
	return (node_t *)zone_get(z, rel + skip, rellen - skip);
}

/* Makes sure every ancestor of rel below the apex exists, then counts rel
 * as a new child of its parent. */
static int ensure_parent(zone_t *z, const uint8_t *rel, size_t rellen, zgc_t *gc)
{
	if (rellen == 0)
		return 0;
	size_t skip = 1 + rel[0];
	const uint8_t *prel = rel + skip;
	size_t plen = rellen - skip;
	if (plen == 0)
		return 0; /* the apex is published by the loader, not implied */
	node_t *parent = (node_t *)zone_get(z, prel, plen);
	if (parent == NULL) {
		node_t *ent = ent_new(prel, plen);
		if (ent == NULL)
			return -ENOMEM;
		int ret = zone_put(z, ent, gc);
		if (ret != 0)
			return ret;
		parent = (node_t *)zone_get(z, prel, plen);
	}
	parent->children++;
	return 0;
}

int zone_put(zone_t *z, node_t *node, zgc_t *gc)
{
	int ret = table_make_room(z, gc);
	if (ret != 0) {
		free(node);
		return ret;
	}
	uint64_t h = zhash(z->seed, node->bytes, node->namelen);
	bool found;
	size_t i = table_probe(z->table, h, node->bytes, node->namelen, &found);
	uintptr_t *slot = &z->table->slots[i];

	if (found) {
		node_t *old = slot_node(*slot);
		if (zgc_add(gc, old) != 0) {
			free(node);
			return -ENOMEM;
		}
		node->children = old->children;
		if ((old->flags & NODE_DELEG) && !(node->flags & NODE_DELEG))
			uatomic_dec(&z->delegations);
		if (!(old->flags & NODE_DELEG) && (node->flags & NODE_DELEG))
			uatomic_inc(&z->delegations);
		slot_publish(slot, slot_make(node, h));
		return 0;
	}

	/* A new name: its ancestors come first, so that a reader that finds it
	 * never sees a missing empty non-terminal above it. */
	ret = ensure_parent(z, node->bytes, node->namelen, gc);
	if (ret != 0) {
		free(node);
		return ret;
	}
	/* ensure_parent may have resized the table; probe again. */
	i = table_probe(z->table, h, node->bytes, node->namelen, &found);
	slot = &z->table->slots[i];
	if (*slot == SLOT_TOMB)
		z->tombs--;
	node->children = 0;
	if (node->flags & NODE_DELEG)
		uatomic_inc(&z->delegations);
	slot_publish(slot, slot_make(node, h));
	z->used++;
	return 0;
}

int zone_remove(zone_t *z, const uint8_t *rel, size_t rellen, zgc_t *gc)
{
	uint64_t h = zhash(z->seed, rel, rellen);
	bool found;
	size_t i = table_probe(z->table, h, rel, rellen, &found);
	if (!found)
		return DDNS_ENOENT;
	uintptr_t *slot = &z->table->slots[i];
	node_t *old = slot_node(*slot);
	if (old->children > 0) {
		if (old->ntypes == 0)
			return 0; /* already an empty non-terminal */
		node_t *ent = ent_new(rel, rellen);
		if (ent == NULL)
			return -ENOMEM;
		return zone_put(z, ent, gc);
	}
	if (zgc_add(gc, old) != 0)
		return -ENOMEM;
	if (old->flags & NODE_DELEG)
		uatomic_dec(&z->delegations);
	slot_publish(slot, SLOT_TOMB);
	z->used--;
	z->tombs++;
	if (rellen == 0 || rellen == (size_t)1 + rel[0])
		return 0; /* the apex keeps no count of its children */
	node_t *parent = parent_of(z, rel, rellen);
	if (parent == NULL)
		return 0;
	parent->children--;
	if (parent->children == 0 && parent->ntypes == 0)
		return zone_remove(z, parent->bytes, parent->namelen, gc);
	return 0;
}

void zone_walk(const zone_t *z, void (*fn)(const node_t *n, void *ctx), void *ctx)
{
	const ztable_t *t = rcu_dereference(z->table);
	for (size_t i = 0; i <= t->mask; i++) {
		uintptr_t s = CMM_LOAD_SHARED(t->slots[i]);
		if (slot_live(s))
			fn(slot_node(s), ctx);
	}
}

zone_t *zoneset_find(const zoneset_t *set, const uint8_t *qname, size_t qlen, size_t *rellen)
{
	size_t pos = 0;
	for (;;) {
		size_t sl = qlen - pos;
		for (size_t i = 0; i < set->count; i++) {
			zone_t *z = set->zones[i];
			if (z->apex_len == sl && memcmp(z->apex, qname + pos, sl) == 0) {
				*rellen = pos;
				return z;
			}
		}
		if (qname[pos] == 0)
			return NULL;
		pos += 1 + qname[pos];
	}
}

bool zone_serial(const zone_t *z, uint32_t *serial)
{
	const node_t *apex = zone_get(z, (const uint8_t *)"", 0);
	node_rrset_t rs;
	/* The one SOA RR ends with SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM:
	 * the serial is 20 bytes from its end, after at least the owner
	 * pointer, type, class, TTL, rdlength and two one-byte names. */
	if (apex == NULL || !node_rrset(apex, KNOT_RRTYPE_SOA, &rs) || rs.len < 12 + 2 + 20)
		return false;
	const uint8_t *p = rs.wire + rs.len - 20;
	*serial = (uint32_t)node_get16(p) << 16 | node_get16(p + 2);
	return true;
}

int zgc_add(zgc_t *gc, void *p)
{
	if (gc->n == gc->cap) {
		size_t cap = gc->cap ? gc->cap * 2 : 64;
		void **nv = realloc(gc->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		gc->v = nv;
		gc->cap = cap;
	}
	gc->v[gc->n++] = p;
	return 0;
}

void zgc_flush(zgc_t *gc)
{
	if (gc->n == 0)
		return;
	synchronize_rcu();
	for (size_t i = 0; i < gc->n; i++)
		free(gc->v[i]);
	gc->n = 0;
}

struct zgc_batch {
	struct rcu_head head;
	size_t n;
	void **v;
};

static void zgc_batch_free(struct rcu_head *head)
{
	struct zgc_batch *b = caa_container_of(head, struct zgc_batch, head);
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i]);
	free(b->v);
	free(b);
}

void zgc_defer(zgc_t *gc)
{
	if (gc->n == 0)
		return;
	struct zgc_batch *b = malloc(sizeof(*b));
	if (b == NULL) {
		zgc_flush(gc);
		return;
	}
	b->n = gc->n;
	b->v = gc->v;
	gc->v = NULL;
	gc->n = gc->cap = 0;
	call_rcu(&b->head, zgc_batch_free);
}

/* A new thread takes the name of the thread that creates it. */
static void *start_call_rcu(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "ddnsd-rcu");
	get_default_call_rcu_data();
	return NULL;
}

void zgc_start(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, start_call_rcu, NULL) == 0)
		pthread_join(t, NULL);
}

void zgc_deinit(zgc_t *gc)
{
	zgc_flush(gc);
	free(gc->v);
	gc->v = NULL;
	gc->cap = 0;
}
