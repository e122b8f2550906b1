/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Token buckets for failures, keyed by a client address or an account
 * name: a bucket holds `burst` tokens, refills at `rate` per second, and a
 * key whose bucket is empty is refused before any password is hashed. A
 * fixed table of 4-way sets, each set under one of many striped mutexes:
 * no global lock, no allocation after creation; an old key is forgotten
 * when its set is full (the least recently charged goes). Keys are hashed
 * with a random per-process SipHash key, so nobody can aim collisions.
 * Any thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct limiter limiter_t;

/* slots: number of keys remembered (rounded up to a power of two). */
int limiter_new(size_t slots, double rate, double burst, limiter_t **out);
void limiter_free(limiter_t *l);

/* True when key (len bytes) has a token left at time now (seconds). */
bool limiter_allow(limiter_t *l, const void *key, size_t len, double now);

/* limiter_allow, then limiter_charge if it allowed, in one lookup. */
bool limiter_take(limiter_t *l, const void *key, size_t len, double now);

/* Takes one token from key's bucket (a failure happened). */
void limiter_charge(limiter_t *l, const void *key, size_t len, double now);

/* Gives back a token taken by limiter_charge (the failure did not happen:
 * a login charged in advance succeeded). */
void limiter_refund(limiter_t *l, const void *key, size_t len, double now);

/* Seconds until key has a token again (0 when it has one). */
unsigned limiter_wait(limiter_t *l, const void *key, size_t len, double now);
