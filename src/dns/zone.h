/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The in-memory zone store: what DNS workers answer from.
 *
 * A zone is an open-addressing hash table of nodes keyed by the owner name
 * relative to the apex (lower-case wire labels without the apex, so the apex
 * itself has the empty name). A node holds every record of one owner as
 * precompiled answer bytes: each RR is complete wire format whose owner is
 * the compression pointer 0xC00C, i.e. "the name in the question", so an
 * answer (wildcard expansions included) is a lookup and a memcpy.
 *
 * Concurrency contract (read it before touching zone.c):
 *  - Readers (DNS workers) call the lookup functions inside an RCU read-side
 *    critical section (liburcu memb flavour, rcu_read_lock()). They never
 *    block and never write.
 *  - Exactly one thread at a time is the writer (at start-up the loader, then
 *    the writer thread). Only it calls zone_put/zone_remove/zoneset_*.
 *  - A node is immutable once published, except the writer-only field
 *    `children`. Replacing a node is one atomic store of a slot; the old
 *    node goes to the caller's garbage list (zgc_t) and is freed only after a
 *    grace period (zgc_flush), so a reader that found it may keep using it
 *    until rcu_read_unlock().
 *  - A table resize publishes a new slot array with rcu_assign_pointer; the
 *    old array is freed after a grace period the same way.
 * The cost of replacing one node does not depend on the zone size.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_APEX   0x01  /* the zone apex (has SOA and NS) */
#define NODE_DELEG  0x02  /* NS at a non-apex name: a zone cut */
#define NODE_CNAME  0x04  /* has a CNAME */

/* Pseudo-type in the apex's index: the SOA RR to put in negative answers,
 * its TTL already min(SOA TTL, SOA minimum) as RFC 2308 requires. */
#define NODE_TYPE_NEGSOA 0

/* Bytes of one type index entry: type, RR count, byte length (u16 each). */
#define NODE_IDX_SIZE 6

typedef struct node {
	uint32_t children;   /* writer-only: number of child nodes in the zone */
	uint16_t datalen;    /* bytes of RR wire data */
	uint8_t flags;       /* NODE_* */
	uint8_t namelen;     /* bytes of relative owner name */
	uint8_t ntypes;      /* index entries; 0 for an empty non-terminal */
	uint8_t bytes[];     /* name | index (ntypes * NODE_IDX_SIZE) | RR data */
} node_t;

/* One RRset inside a node: complete RRs, each starting with 0xC00C. */
typedef struct {
	const uint8_t *wire;
	uint16_t len;
	uint16_t count;
	uint16_t type;
} node_rrset_t;

static inline const uint8_t *node_name(const node_t *n)
{
	return n->bytes;
}

static inline uint16_t node_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Finds the RRset of type in node n; returns false when there is none. */
bool node_rrset(const node_t *n, uint16_t type, node_rrset_t *out);

/* The i-th RRset of n (0 <= i < n->ntypes), in type order. */
void node_rrset_at(const node_t *n, unsigned i, node_rrset_t *out);

typedef struct ztable ztable_t;

typedef struct zone {
	uint8_t apex[256];      /* lower-case wire name */
	uint8_t apex_len;
	uint8_t apex_labels;
	uint64_t seed;          /* hash seed, random per zone */
	ztable_t *table;        /* RCU-protected */
	uint32_t delegations;   /* count of NODE_DELEG nodes (read relaxed) */
	/* writer-only */
	size_t used;            /* live nodes */
	size_t tombs;           /* deleted slots */
} zone_t;

/* Garbage awaiting a grace period; writer-owned. */
typedef struct {
	void **v;
	size_t n, cap;
} zgc_t;

/* Creates an empty zone for the lower-case wire apex. NULL on ENOMEM. */
zone_t *zone_new(const uint8_t *apex);

/* Frees zone and all its nodes immediately: only when no reader can see it. */
void zone_free(zone_t *z);

/* Prepares the table for n nodes so a bulk load does not resize. Writer. */
int zone_reserve(zone_t *z, size_t n);

/*
 * Looks up the node with the relative name rel (rellen bytes, lower case).
 * Reader (under rcu_read_lock) or writer. Returns NULL when absent.
 */
const node_t *zone_get(const zone_t *z, const uint8_t *rel, size_t rellen);

/*
 * Publishes node (built by nodebuild), replacing a node of the same name.
 * Missing ancestors up to the apex are created as empty non-terminals.
 * Takes ownership of node; a replaced node is added to gc. Writer only.
 * Returns 0, or -ENOMEM (nothing changed, node freed).
 */
int zone_put(zone_t *z, node_t *node, zgc_t *gc);

/*
 * Removes the node named rel. A node that still has children becomes an
 * empty non-terminal; empty non-terminals left without children go too.
 * Writer only. Returns 0 or DDNS_ENOENT.
 */
int zone_remove(zone_t *z, const uint8_t *rel, size_t rellen, zgc_t *gc);

/* Calls fn for every node (unordered). Writer, or reader under RCU lock. */
void zone_walk(const zone_t *z, void (*fn)(const node_t *n, void *ctx), void *ctx);

/* Number of nodes (writer). */
static inline size_t zone_size(const zone_t *z) { return z->used; }

/* The set of zones served; replaced as a whole when zones are added. */
typedef struct {
	size_t count;
	zone_t *zones[];
} zoneset_t;

/* Finds the zone that contains qname (lower-case wire, qlen bytes), longest
 * apex first; *rellen gets the length of the part below the apex. */
zone_t *zoneset_find(const zoneset_t *set, const uint8_t *qname, size_t qlen, size_t *rellen);

/* The serial of the SOA that zone z serves; false when it has none yet.
 * Reader (under rcu_read_lock) or writer. */
bool zone_serial(const zone_t *z, uint32_t *serial);

/* Queues p to be freed after a grace period. Returns -ENOMEM on failure
 * (then p was not queued and the caller must wait itself). */
int zgc_add(zgc_t *gc, void *p);

/* Waits for a grace period, then frees everything queued. Writer. */
void zgc_flush(zgc_t *gc);

/* Hands everything queued to liburcu's call_rcu thread, freed after a grace
 * period without blocking the writer. */
void zgc_defer(zgc_t *gc);

void zgc_deinit(zgc_t *gc);

/* Starts liburcu's call_rcu thread now, named ddnsd-rcu. Otherwise it
 * starts at the writer's first zgc_defer and takes the writer's name: two
 * "ddnsd-writer" threads in top, and its CPU counted as the writer's. A
 * thread that cannot be started here is started later, unnamed. */
void zgc_start(void);
