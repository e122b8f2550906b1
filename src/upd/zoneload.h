/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building in-memory zones from the database and the configuration: at
 * start-up (main thread, before any DNS worker runs) and to check an import
 * before it commits. The configuration contributes the apex SOA (with the
 * database's serial) and NS, and the glue addresses.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dns/zone.h"
#include "lib/conf.h"
#include "store/db.h"

/* Builds the zone zc from the database (the zone row is created if
 * missing). Returns 0 and *out, or an error with a reason in err. */
int zoneload_zone(db_t *db, const conf_zone_t *zc, zone_t **out, uint32_t *serial,
                  char *err, size_t errlen);

/* Builds every configured zone. */
int zoneload_all(db_t *db, const conf_t *conf, zoneset_t **out, char *err, size_t errlen);

/* Frees a zone set and its zones immediately (no reader may see it). */
void zoneload_free(zoneset_t *set);

/* zoneio_check_fn for imports: ctx is the conf_zone_t. */
int zoneload_check(db_t *db, int64_t zone, void *ctx, char *err, size_t errlen);
