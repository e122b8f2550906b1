/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Failure buckets; see limit.h. */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "http/limit.h"

#define WAYS 4
#define STRIPES 256

typedef struct {
	uint64_t key;          /* 0: free */
	double tokens;
	double last;
} bucket_t;

struct limiter {
	size_t mask;           /* sets - 1 */
	double rate, burst;
	uint8_t sipkey[crypto_shorthash_KEYBYTES];
	pthread_mutex_t locks[STRIPES];
	bucket_t *sets;        /* (mask + 1) * WAYS */
};

int limiter_new(size_t slots, double rate, double burst, limiter_t **out)
{
	limiter_t *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	size_t sets = 16;
	while (sets * WAYS < slots)
		sets <<= 1;
	l->mask = sets - 1;
	l->rate = rate;
	l->burst = burst;
	randombytes_buf(l->sipkey, sizeof(l->sipkey));
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&l->locks[i], NULL);
	l->sets = calloc(sets * WAYS, sizeof(bucket_t));
	if (l->sets == NULL) {
		free(l);
		return -ENOMEM;
	}
	*out = l;
	return 0;
}

void limiter_free(limiter_t *l)
{
	if (l == NULL)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&l->locks[i]);
	free(l->sets);
	free(l);
}

static uint64_t hash(const limiter_t *l, const void *key, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, key, len, l->sipkey);
	uint64_t v;
	memcpy(&v, h, sizeof(v));
	return v ? v : 1;
}

/* The bucket of key, refilled to now; the set's lock is held. With create,
 * a missing key takes a free or the stalest slot. */
static bucket_t *find(limiter_t *l, uint64_t k, double now, bool create)
{
	bucket_t *set = &l->sets[(k & l->mask) * WAYS], *victim = &set[0];
	for (int i = 0; i < WAYS; i++) {
		if (set[i].key == k) {
			bucket_t *b = &set[i];
			b->tokens += (now - b->last) * l->rate;
			if (b->tokens > l->burst)
				b->tokens = l->burst;
			b->last = now;
			return b;
		}
		if (set[i].key == 0 || set[i].last < victim->last)
			victim = &set[i];
	}
	if (!create)
		return NULL;
	victim->key = k;
	victim->tokens = l->burst;
	victim->last = now;
	return victim;
}

/* Locks the set of key and finds its bucket there (find's create); the
 * caller unlocks *m. */
static bucket_t *lock_find(limiter_t *l, const void *key, size_t len, double now, bool create,
                           pthread_mutex_t **m)
{
	uint64_t k = hash(l, key, len);
	*m = &l->locks[(k & l->mask) % STRIPES];
	pthread_mutex_lock(*m);
	return find(l, k, now, create);
}

bool limiter_allow(limiter_t *l, const void *key, size_t len, double now)
{
	pthread_mutex_t *m;
	bucket_t *b = lock_find(l, key, len, now, false, &m);
	bool ok = b == NULL || b->tokens >= 1.0;
	pthread_mutex_unlock(m);
	return ok;
}

bool limiter_take(limiter_t *l, const void *key, size_t len, double now)
{
	pthread_mutex_t *m;
	bucket_t *b = lock_find(l, key, len, now, true, &m);
	bool ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(m);
	return ok;
}

void limiter_charge(limiter_t *l, const void *key, size_t len, double now)
{
	pthread_mutex_t *m;
	bucket_t *b = lock_find(l, key, len, now, true, &m);
	b->tokens = b->tokens >= 1.0 ? b->tokens - 1.0 : 0.0;
	pthread_mutex_unlock(m);
}

void limiter_refund(limiter_t *l, const void *key, size_t len, double now)
{
	pthread_mutex_t *m;
	bucket_t *b = lock_find(l, key, len, now, false, &m);
	if (b != NULL) {
		b->tokens += 1.0;
		if (b->tokens > l->burst)
			b->tokens = l->burst;
	}
	pthread_mutex_unlock(m);
}

unsigned limiter_wait(limiter_t *l, const void *key, size_t len, double now)
{
	pthread_mutex_t *m;
	bucket_t *b = lock_find(l, key, len, now, false, &m);
	double w = (b == NULL || b->tokens >= 1.0) ? 0.0 : (1.0 - b->tokens) / l->rate;
	pthread_mutex_unlock(m);
	return (unsigned)(w + 0.999);
}
