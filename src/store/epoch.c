/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Change counters of hosts; see epoch.h. */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>

#include "store/epoch.h"

#define EPOCH_BITS 20

static _Atomic uint32_t epochs[1u << EPOCH_BITS];
static uint8_t key[crypto_shorthash_KEYBYTES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	/* Keyed, so that nobody can choose names that share a counter. */
	randombytes_buf(key, sizeof(key));
}

static _Atomic uint32_t *slot(const char *name)
{
	pthread_once(&once, init);
	uint8_t h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const uint8_t *)name, strlen(name), key);
	uint32_t i;
	memcpy(&i, h, sizeof(i));
	return &epochs[i & ((1u << EPOCH_BITS) - 1)];
}

void host_epoch_bump(const char *name)
{
	atomic_fetch_add_explicit(slot(name), 1, memory_order_release);
}

uint32_t host_epoch(const char *name)
{
	return atomic_load_explicit(slot(name), memory_order_acquire);
}
