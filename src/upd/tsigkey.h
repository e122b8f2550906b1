/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TSIG key a signed DNS message names, loaded from the store by its
 * name (one indexed lookup, whatever the number of keys), for the update
 * and transfer threads.
 */
#ifndef DDNS_UPD_TSIGKEY_H
#define DDNS_UPD_TSIGKEY_H

#include <libknot/libknot.h>

#include "store/account.h"

/*
 * Loads into key the key named by tsig_rr's owner and fills row (name in
 * lower case without the final dot, host, scope). DDNS_ENOENT if no key has
 * that name; key is then untouched. The caller deinits key.
 */
int tsigkey_load(db_t *db, const knot_rrset_t *tsig_rr, knot_tsig_key_t *key, db_tsig_t *row);

/* The same for a key name (lower case, no final dot). */
int tsigkey_load_name(db_t *db, const char *name, knot_tsig_key_t *key, db_tsig_t *row);

/* The TSIG error (RFC 8945) for a knot_tsig_server_check() failure. */
uint16_t tsigkey_error(int knot_ret);

#endif
