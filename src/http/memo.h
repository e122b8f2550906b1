/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Repeated updates answered from memory.
 *
 * Most requests a dynamic DNS service gets are routers saying again what
 * they said five minutes ago. The writer answers the first one `nochg`
 * (or `good`); this remembers that it accepted those credentials for that
 * host with those addresses, and the host's change counter then
 * (store/epoch.h). The next identical request is answered `nochg` on the
 * HTTP thread when the counter is unchanged — nothing about the host, its
 * owner, its state or its tokens was written since — and DNS serves exactly
 * the addresses asked for. Anything else goes to the writer as before.
 *
 * A memo is a 64-bit word: 40 bits of a keyed hash of the request (who,
 * which host, what) and 24 bits of the counter, in 4-way buckets of a table
 * shared by the HTTP threads; one atomic load or store each, so no lock and
 * no torn entry. A memo lost to a collision costs one trip to the writer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "dns/zone.h"
#include "upd/httpop.h"

typedef struct memo memo_t;

/* A table for about `hosts` hosts. NULL when out of memory. */
memo_t *memo_new(size_t hosts, zoneset_t **zones);
void memo_free(memo_t *m);

/* May this request be answered from memory at all (plain address updates
 * only, not offline=YES, TXT, MX or wildcard changes)? */
bool memo_eligible(const hup_t *h);

/* True when every host of h was remembered and DNS serves the asked
 * addresses: then each host's code is HUP_NOCHG. h->principal must already
 * be authenticated (a cached password), or h->by_token. Calling thread must
 * be an RCU reader (rcu_register_thread). */
bool memo_answer(memo_t *m, hup_t *h);

/* Remembers the writer's good/nochg answers of h. */
void memo_learn(memo_t *m, const hup_t *h);
