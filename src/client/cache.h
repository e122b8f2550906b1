/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsc's persistent cache: per host, the addresses last accepted by the
 * server and when, the backoff state, and a fatal reply with the hash of
 * the configuration it applies to. A text file, one line per host:
 *
 *   NAME ipv4=A ipv6=B last-success=T last-attempt=T next-attempt=T
 *        failures=N status=WORD fatal=WORD config=HEX
 *
 * (times in seconds since the epoch, "-" for none). It is rewritten
 * whole, atomically (temporary file, fsync, rename), mode 0600. One
 * thread; the caller owns the cache_t.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/addr.h"

#define CACHE_WORD_MAX 32

typedef struct {
	char name[256];
	addr_t v4, v6;              /* as last accepted (good/nochg); family 0: none */
	int64_t last_success;       /* 0: never */
	int64_t last_attempt;
	int64_t next_attempt;       /* no request before this (backoff); 0: any time */
	unsigned failures;          /* consecutive failed attempts */
	char status[CACHE_WORD_MAX];   /* last outcome: good, nochg, 911, network, ... */
	char fatal[CACHE_WORD_MAX];    /* a fatal reply that stops updates; "" if none */
	uint64_t confhash;          /* the host configuration these fields belong to */
} cache_entry_t;

typedef struct {
	cache_entry_t *v;
	size_t n;
} cache_t;

/*
 * Reads path into *c (initialised here). A missing file gives an empty
 * cache. Lines that cannot be parsed are skipped (a damaged cache costs
 * at most one extra update). Returns 0, or -errno when the file exists
 * but cannot be read (err says why).
 */
int cache_load(const char *path, cache_t *c, char *err, size_t errlen);

/* Writes c to path atomically. Returns 0 or -errno (err says why). */
int cache_save(const cache_t *c, const char *path, char *err, size_t errlen);

/* The entry for name; with create, a new zeroed one when absent (NULL
 * only on -ENOMEM). Pointers stay valid until the next create. */
cache_entry_t *cache_get(cache_t *c, const char *name, bool create);

/* Frees c's storage. */
void cache_deinit(cache_t *c);
