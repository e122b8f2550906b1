/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The password-verification cache and the hashing gate. Routers poll every
 * few minutes with the same username and password; running argon2id each time
 * would cap the service at a few dozen requests per second per core. The
 * cache remembers successful verifications as a keyed BLAKE2b MAC of
 * (principal, secret) — never the secret — with the principal's credential
 * generation and an expiry time. A password change bumps the generation (or
 * calls authcache_drop) and the old entries stop matching.
 *
 * The table is allocated once: sets of AUTHCACHE_WAYS entries, chosen by a
 * keyed hash of the principal, each set guarded by one of a fixed array of
 * striped mutexes; there is no global lock. All functions except _new and
 * _free may be called concurrently from any thread (the HTTP event loops).
 *
 * The gate caps how many argon2id computations run at once: an event loop
 * that cannot enter it answers 503 instead of queueing unbounded work (and
 * unbounded argon2id memory).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct authcache authcache_t;

/* Entries per set; a principal has at most this many cached secrets. */
#define AUTHCACHE_WAYS 4
/* Bounds of authcache_new's entries argument. */
#define AUTHCACHE_MIN 64
#define AUTHCACHE_MAX (1U << 22)

/*
 * Creates a cache of entries slots (rounded up to a power of two, clamped to
 * AUTHCACHE_MIN..AUTHCACHE_MAX; 40 bytes each) whose entries live ttl
 * seconds (> 0). A random MAC key is drawn for this process, so nothing in
 * the table means anything outside it. auth_init() must have run.
 * Returns 0 and the cache in *out (free with authcache_free), -EINVAL for
 * ttl 0, or -ENOMEM.
 */
int authcache_new(size_t entries, uint32_t ttl, authcache_t **out);

/* Wipes and frees the cache; NULL does nothing. No other thread may use it. */
void authcache_free(authcache_t *cache);

/*
 * True when (principal, secret) was put with this generation and its entry
 * has not expired at now (seconds of any clock that does not go backwards,
 * e.g. CLOCK_MONOTONIC; use the same clock for put). principal is a
 * NUL-terminated name (user name or FQDN, as the caller spells it
 * canonically); secret is secret_len bytes. Costs one BLAKE2b and one mutex;
 * any thread. A false answer means "verify the slow way", not "wrong".
 */
bool authcache_check(authcache_t *cache, const char *principal, const void *secret,
                     size_t secret_len, uint64_t generation, uint64_t now);

/* The length of the keyed MAC of (principal, secret) the cache keeps. */
#define AUTHCACHE_MAC_LEN 16

/*
 * authcache_check, also giving the MAC it computed in mac: equal MACs mean
 * the same principal and secret, so a caller can tell identical logins
 * apart from others without keeping the secret or hashing it again. The
 * MAC is as sensitive as the cache's entries: wipe it after use.
 */
bool authcache_check_mac(authcache_t *cache, const char *principal, const void *secret,
                         size_t secret_len, uint64_t generation, uint64_t now,
                         uint8_t mac[AUTHCACHE_MAC_LEN]);

/*
 * Remembers that (principal, secret) verified at generation, until now + ttl.
 * Call only after a successful slow verification. Replaces an entry of the
 * same principal and secret, else a free or expired one in the set, else the
 * one that expires first. Any thread.
 */
void authcache_put(authcache_t *cache, const char *principal, const void *secret,
                   size_t secret_len, uint64_t generation, uint64_t now);

/*
 * Forgets every entry of principal (password changed, user deleted or
 * suspended). Entries of an older generation already never match; this also
 * frees their slots at once. Any thread.
 */
void authcache_drop(authcache_t *cache, const char *principal);

/* A cap on concurrent argon2id computations; caller-owned storage. */
typedef struct {
	atomic_uint busy;
	unsigned slots;
} authcache_gate_t;

/* Sets up gate with slots (>= 1) places. Returns 0 or -EINVAL. */
int authcache_gate_init(authcache_gate_t *gate, unsigned slots);

/*
 * Takes a place without waiting. Returns true when one was free (call
 * authcache_gate_leave when the hash is done), false when all are taken
 * (answer 503 / "911"). Lock-free; any thread.
 */
bool authcache_gate_enter(authcache_gate_t *gate);

/* Gives back a place taken by a successful authcache_gate_enter. */
void authcache_gate_leave(authcache_gate_t *gate);

/*
 * The whole login path for a password: cache, then gate, then argon2id.
 * Verifies pw (len bytes) for principal against stored (an
 * auth_password_hash string) at generation; on success remembers it.
 * Returns 0 on success; DDNS_EAUTH on a wrong password; -EBUSY when the
 * answer is not in the cache and the gate is full (nothing was hashed);
 * -EINVAL for a damaged stored hash; -ENOMEM. Slow on a cache miss (tens of
 * ms): call from a thread that may block that long. Any thread.
 */
int authcache_verify(authcache_t *cache, authcache_gate_t *gate, const char *principal,
                     const char *stored, const char *pw, size_t len,
                     uint64_t generation, uint64_t now);
