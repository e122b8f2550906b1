/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Repeated updates answered from memory; see memo.h. */
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "http/memo.h"
#include "lib/name.h"
#include "store/epoch.h"
#include "upd/ops.h"

#define WAYS 4
#define EPOCH_MASK 0xFFFFFFu          /* the low 24 bits hold the counter */
#define SHAPE_OK (HSET_V4 | HSET_V6 | HSET_OFFLINE)

struct memo {
	_Atomic uint64_t *slots;
	size_t buckets_mask;             /* buckets of WAYS slots */
	zoneset_t **zones;
	uint8_t key[crypto_shorthash_KEYBYTES];
};

memo_t *memo_new(size_t hosts, zoneset_t **zones)
{
	memo_t *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	/* Four slots per host, at least 64 K: a cache, not an index. Each
	 * changed address leaves a stale memo behind until a newer one takes
	 * its slot: with two per host, the memos left by a run of changes
	 * pushed out live ones of hosts that poll unchanged, and the writer
	 * answered their polls again. */
	size_t buckets = 16384;
	while (buckets * WAYS < 4 * hosts && buckets < ((size_t)1 << 24))
		buckets <<= 1;
	m->slots = calloc(buckets * WAYS, sizeof(*m->slots));
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	m->buckets_mask = buckets - 1;
	m->zones = zones;
	randombytes_buf(m->key, sizeof(m->key));
	return m;
}

void memo_free(memo_t *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

bool memo_eligible(const hup_t *h)
{
	if ((h->set & ~SHAPE_OK) != 0 || ((h->set & HSET_OFFLINE) && h->offline))
		return false;
	if (((h->set & HSET_V4) && !h->has_v4) || ((h->set & HSET_V6) && !h->has_v6))
		return false; /* clearing a family: let the writer say */
	return (h->set & (HSET_V4 | HSET_V6)) != 0 && h->nhosts > 0;
}

/* The keyed hash of "this principal asks this of host": everything the
 * writer's answer depended on besides the database. SipHash, the keyed
 * hash made for table slots: of its 64 bits the memo keeps 40, which no
 * one without the key can aim at. */
static uint64_t request_hash(const memo_t *m, const hup_t *h, const char *host)
{
	uint8_t in[1 + 4 + 1 + 1 + 4 + 16 + sizeof(h->token_hash) + 1 + DB_NAME_MAX + DB_NAME_MAX];
	size_t n = 0;
	in[n++] = h->by_token;
	memcpy(in + n, &h->set, 4);
	n += 4;
	in[n++] = h->has_v4;
	in[n++] = h->has_v6;
	memcpy(in + n, h->v4, 4);
	n += 4;
	memcpy(in + n, h->v6, 16);
	n += 16;
	if (h->by_token) {
		memcpy(in + n, h->token_hash, sizeof(h->token_hash));
		n += sizeof(h->token_hash);
	}
	/* Lengths included: "ab"+"c" differs from "a"+"bc". */
	size_t plen = strnlen(h->principal, sizeof(h->principal) - 1);
	size_t hlen = strnlen(host, DB_NAME_MAX - 1);
	in[n++] = (uint8_t)plen;
	memcpy(in + n, h->principal, plen);
	n += plen;
	memcpy(in + n, host, hlen + 1);
	n += hlen + 1;
	uint8_t out[crypto_shorthash_BYTES];
	crypto_shorthash(out, in, n, m->key);
	uint64_t v;
	memcpy(&v, out, sizeof(v));
	return v;
}

static _Atomic uint64_t *bucket(const memo_t *m, uint64_t hash)
{
	return &m->slots[(hash & m->buckets_mask) * WAYS];
}

static bool remembered(const memo_t *m, uint64_t hash, uint32_t epoch)
{
	uint64_t want = (hash & ~(uint64_t)EPOCH_MASK) | (epoch & EPOCH_MASK);
	_Atomic uint64_t *b = bucket(m, hash);
	for (int i = 0; i < WAYS; i++)
		if (atomic_load_explicit(&b[i], memory_order_relaxed) == want)
			return true;
	return false;
}

/* Exactly one record of type in node n, whose data is rdata. */
static bool serves(const node_t *n, uint16_t type, const uint8_t *rdata, size_t len)
{
	node_rrset_t rs;
	/* An RR here: 0xC00C, type, class, TTL, RDLENGTH, then the data. */
	return node_rrset(n, type, &rs) && rs.count == 1 && rs.len == 12 + len &&
	       memcmp(rs.wire + 12, rdata, len) == 0;
}

/* Does DNS serve what h asks for host (under the caller's RCU lock)? */
static bool dns_matches(const memo_t *m, const hup_t *h, const char *host)
{
	uint8_t wire[NAME_WIRE_MAX + 1];
	int wlen = name_to_wire(host, wire);
	if (wlen <= 0)
		return false;
	const zoneset_t *set = rcu_dereference(*m->zones);
	size_t rellen;
	zone_t *z = zoneset_find(set, wire, (size_t)wlen, &rellen);
	if (z == NULL)
		return false;
	const node_t *n = zone_get(z, wire, rellen);
	if (n == NULL)
		return false;
	if ((h->set & HSET_V4) && !serves(n, 1, h->v4, 4))
		return false;
	if ((h->set & HSET_V6) && !serves(n, 28, h->v6, 16))
		return false;
	return true;
}

bool memo_answer(memo_t *m, hup_t *h)
{
	if (m == NULL || !memo_eligible(h))
		return false;
	for (size_t i = 0; i < h->nhosts; i++)
		if (h->hosts[i].code != HUP_PENDING ||
		    !remembered(m, request_hash(m, h, h->hosts[i].name), host_epoch(h->hosts[i].name)))
			return false;
	bool ok = true;
	rcu_read_lock();
	for (size_t i = 0; ok && i < h->nhosts; i++)
		ok = dns_matches(m, h, h->hosts[i].name);
	rcu_read_unlock();
	if (!ok)
		return false;
	for (size_t i = 0; i < h->nhosts; i++)
		h->hosts[i].code = HUP_NOCHG;
	return true;
}

void memo_learn(memo_t *m, const hup_t *h)
{
	if (m == NULL || !memo_eligible(h))
		return;
	for (size_t i = 0; i < h->nhosts; i++) {
		const hup_host_t *x = &h->hosts[i];
		if (x->code != HUP_GOOD && x->code != HUP_NOCHG)
			continue;
		uint64_t hash = request_hash(m, h, x->name);
		uint64_t v = (hash & ~(uint64_t)EPOCH_MASK) | (x->epoch & EPOCH_MASK);
		_Atomic uint64_t *b = bucket(m, hash);
		/* The same request's older memo, else a free slot, else the
		 * one the hash picks: replaced in place. */
		int way = (int)((hash >> 40) % WAYS);
		for (int k = 0; k < WAYS; k++) {
			uint64_t cur = atomic_load_explicit(&b[k], memory_order_relaxed);
			if (cur == 0 || (cur & ~(uint64_t)EPOCH_MASK) == (v & ~(uint64_t)EPOCH_MASK)) {
				way = k;
				break;
			}
		}
		atomic_store_explicit(&b[way], v, memory_order_relaxed);
	}
}
