/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Password-verification cache and hashing gate; see cache.h. */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/cache.h"

#define MAC_LEN AUTHCACHE_MAC_LEN
#define STRIPES_MAX 1024

/*
 * 128 bits of MAC suffice: the key never leaves the process, so matching an
 * entry without the secret means guessing a 128-bit value. ptag, a keyed
 * hash of the principal alone, picks the set and lets authcache_drop find a
 * principal's entries without knowing its secrets.
 */
typedef struct {
	uint8_t mac[MAC_LEN];
	uint64_t ptag;
	uint64_t generation;
	uint64_t expires;            /* 0: free slot */
} entry_t;

/* One mutex per cache line, so that neighbouring stripes do not bounce. */
typedef struct {
	pthread_mutex_t m;
	char pad[64 - sizeof(pthread_mutex_t) % 64];
} stripe_t;

/*
 * Whoever reads the keys and the table together can test password guesses
 * against cached entries at BLAKE2b speed instead of argon2id speed. So the
 * keys live in sodium_malloc() memory: guard pages, locked out of swap, left
 * out of core dumps, and read-only once drawn.
 */
typedef struct {
	uint8_t tag[crypto_shorthash_KEYBYTES];
	uint8_t mac[crypto_generichash_KEYBYTES];
} keys_t;

struct authcache {
	keys_t *keys;
	uint32_t ttl;
	size_t set_mask;             /* sets - 1 */
	size_t stripe_mask;          /* stripes - 1 */
	entry_t *table;              /* sets * AUTHCACHE_WAYS */
	stripe_t *stripes;
};

static size_t pow2_at_least(size_t n)
{
	size_t p = 1;
	while (p < n)
		p <<= 1;
	return p;
}

int authcache_new(size_t entries, uint32_t ttl, authcache_t **out)
{
	if (ttl == 0)
		return -EINVAL;
	if (entries < AUTHCACHE_MIN)
		entries = AUTHCACHE_MIN;
	if (entries > AUTHCACHE_MAX)
		entries = AUTHCACHE_MAX;
	size_t sets = pow2_at_least(entries) / AUTHCACHE_WAYS;
	size_t stripes = sets < STRIPES_MAX ? sets : STRIPES_MAX;
	size_t i = 0;

	authcache_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->table = calloc(sets * AUTHCACHE_WAYS, sizeof(entry_t));
	if (c->table == NULL)
		goto fail;
	if (posix_memalign((void **)&c->stripes, 64, stripes * sizeof(stripe_t)) != 0) {
		c->stripes = NULL;
		goto fail;
	}
	c->keys = sodium_malloc(sizeof(keys_t));
	if (c->keys == NULL)
		goto fail;
	randombytes_buf(c->keys, sizeof(keys_t));
	sodium_mprotect_readonly(c->keys);
	for (i = 0; i < stripes; i++)
		if (pthread_mutex_init(&c->stripes[i].m, NULL) != 0)
			goto fail;
	c->ttl = ttl;
	c->set_mask = sets - 1;
	c->stripe_mask = stripes - 1;
	*out = c;
	return 0;
fail:
	while (i > 0)
		pthread_mutex_destroy(&c->stripes[--i].m);
	sodium_free(c->keys);
	free(c->stripes);
	free(c->table);
	free(c);
	return -ENOMEM;
}

void authcache_free(authcache_t *cache)
{
	if (cache == NULL)
		return;
	for (size_t i = 0; i <= cache->stripe_mask; i++)
		pthread_mutex_destroy(&cache->stripes[i].m);
	sodium_memzero(cache->table, (cache->set_mask + 1) * AUTHCACHE_WAYS * sizeof(entry_t));
	free(cache->table);
	free(cache->stripes);
	sodium_free(cache->keys);   /* wipes it */
	sodium_memzero(cache, sizeof(*cache));
	free(cache);
}

/* SipHash: a keyed hash made for picking table slots, a quarter of the cost
 * of a keyed BLAKE2b (which absorbs its key as a block of its own). */
static uint64_t principal_tag(const authcache_t *c, const char *principal)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const uint8_t *)principal, strlen(principal), c->keys->tag);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return v;
}

/*
 * MAC over principal || 0 || len(bind) || bind || secret. The principal holds
 * no NUL and bind's length is explicit, so no two inputs share an encoding.
 * bind ties entries to something the caller has besides the generation
 * (authcache_verify passes the stored hash, which changes with every
 * password), and keeps its entries apart from those of the plain API.
 */
static void entry_mac(const authcache_t *c, const char *principal, const void *bind,
                      size_t bind_len, const void *secret, size_t secret_len,
                      uint8_t mac[MAC_LEN])
{
	crypto_generichash_state st;
	uint8_t len[8];
	for (size_t i = 0; i < sizeof(len); i++)
		len[i] = (uint8_t)((uint64_t)bind_len >> (8 * i));
	crypto_generichash_init(&st, c->keys->mac, sizeof(c->keys->mac), MAC_LEN);
	crypto_generichash_update(&st, (const uint8_t *)principal, strlen(principal) + 1);
	crypto_generichash_update(&st, len, sizeof(len));
	if (bind_len > 0)
		crypto_generichash_update(&st, bind, bind_len);
	crypto_generichash_update(&st, secret, secret_len);
	crypto_generichash_final(&st, mac, MAC_LEN);
	sodium_memzero(&st, sizeof(st));
}

static entry_t *set_lock(authcache_t *c, uint64_t ptag)
{
	size_t set = ptag & c->set_mask;
	pthread_mutex_lock(&c->stripes[set & c->stripe_mask].m);
	return &c->table[set * AUTHCACHE_WAYS];
}

static void set_unlock(authcache_t *c, uint64_t ptag)
{
	pthread_mutex_unlock(&c->stripes[(ptag & c->set_mask) & c->stripe_mask].m);
}

static bool check(authcache_t *c, const char *principal, const void *bind, size_t bind_len,
                  const void *secret, size_t secret_len, uint64_t generation, uint64_t now,
                  uint8_t *mac_out)
{
	uint8_t mac[MAC_LEN];
	uint64_t ptag = principal_tag(c, principal);
	bool hit = false;

	entry_mac(c, principal, bind, bind_len, secret, secret_len, mac);
	entry_t *set = set_lock(c, ptag);
	for (unsigned i = 0; i < AUTHCACHE_WAYS; i++) {
		const entry_t *e = &set[i];
		/* Every way is compared, so the time taken does not say which. */
		hit |= e->expires > now && e->ptag == ptag && e->generation == generation &&
		       sodium_memcmp(e->mac, mac, MAC_LEN) == 0;
	}
	set_unlock(c, ptag);
	if (mac_out != NULL)
		memcpy(mac_out, mac, MAC_LEN);
	sodium_memzero(mac, sizeof(mac));
	return hit;
}

static void put(authcache_t *c, const char *principal, const void *bind, size_t bind_len,
                const void *secret, size_t secret_len, uint64_t generation, uint64_t now)
{
	uint8_t mac[MAC_LEN];
	uint64_t ptag = principal_tag(c, principal);
	entry_t *victim = NULL;

	entry_mac(c, principal, bind, bind_len, secret, secret_len, mac);
	entry_t *set = set_lock(c, ptag);
	for (unsigned i = 0; i < AUTHCACHE_WAYS; i++) {
		entry_t *e = &set[i];
		if (e->expires == 0 || e->ptag != ptag)
			continue;
		/* A principal's entries of another generation can never match
		 * again: free them now rather than at expiry. */
		if (e->generation != generation)
			memset(e, 0, sizeof(*e));
		else if (sodium_memcmp(e->mac, mac, MAC_LEN) == 0)
			victim = e;
	}
	/* Else the slot that expires first: a free one (0), an expired one,
	 * or the oldest live one. */
	if (victim == NULL) {
		victim = &set[0];
		for (unsigned i = 1; i < AUTHCACHE_WAYS; i++)
			if (set[i].expires < victim->expires)
				victim = &set[i];
	}
	memcpy(victim->mac, mac, MAC_LEN);
	victim->ptag = ptag;
	victim->generation = generation;
	victim->expires = now + c->ttl;
	set_unlock(c, ptag);
	sodium_memzero(mac, sizeof(mac));
}

bool authcache_check(authcache_t *cache, const char *principal, const void *secret,
                     size_t secret_len, uint64_t generation, uint64_t now)
{
	return check(cache, principal, NULL, 0, secret, secret_len, generation, now, NULL);
}

bool authcache_check_mac(authcache_t *cache, const char *principal, const void *secret,
                         size_t secret_len, uint64_t generation, uint64_t now,
                         uint8_t mac[AUTHCACHE_MAC_LEN])
{
	return check(cache, principal, NULL, 0, secret, secret_len, generation, now, mac);
}

void authcache_put(authcache_t *cache, const char *principal, const void *secret,
                   size_t secret_len, uint64_t generation, uint64_t now)
{
	put(cache, principal, NULL, 0, secret, secret_len, generation, now);
}

void authcache_drop(authcache_t *cache, const char *principal)
{
	uint64_t ptag = principal_tag(cache, principal);
	entry_t *set = set_lock(cache, ptag);
	for (unsigned i = 0; i < AUTHCACHE_WAYS; i++)
		if (set[i].ptag == ptag)
			memset(&set[i], 0, sizeof(set[i]));
	set_unlock(cache, ptag);
}

int authcache_gate_init(authcache_gate_t *gate, unsigned slots)
{
	if (slots == 0)
		return -EINVAL;
	atomic_init(&gate->busy, 0);
	gate->slots = slots;
	return 0;
}

bool authcache_gate_enter(authcache_gate_t *gate)
{
	unsigned busy = atomic_load_explicit(&gate->busy, memory_order_relaxed);
	do {
		if (busy >= gate->slots)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&gate->busy, &busy, busy + 1,
	                                                memory_order_acquire,
	                                                memory_order_relaxed));
	return true;
}

void authcache_gate_leave(authcache_gate_t *gate)
{
	atomic_fetch_sub_explicit(&gate->busy, 1, memory_order_release);
}

int authcache_verify(authcache_t *cache, authcache_gate_t *gate, const char *principal,
                     const char *stored, const char *pw, size_t len,
                     uint64_t generation, uint64_t now)
{
	size_t slen = strnlen(stored, AUTH_PWHASH_MAX);
	if (check(cache, principal, stored, slen, pw, len, generation, now, NULL))
		return 0;
	if (!authcache_gate_enter(gate))
		return -EBUSY;
	int ret = auth_password_verify(stored, pw, len);
	authcache_gate_leave(gate);
	if (ret == 0)
		put(cache, principal, stored, slen, pw, len, generation, now);
	return ret;
}
