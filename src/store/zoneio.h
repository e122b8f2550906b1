/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Master-file import into the database, with libzscanner. Runs in ddnsctl
 * (directly on the database while ddnsd is stopped).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

/* Called inside the import transaction to check that what was written can
 * be served; a non-zero return rolls everything back. */
typedef int (*zoneio_check_fn)(db_t *db, int64_t zone, void *ctx, char *err, size_t errlen);

/*
 * Replaces the records of zone (presentation name) with those of the master
 * file. The apex SOA and NS belong to the configuration and are skipped; the
 * zone's serial becomes the higher of (serial + 1) and the file's serial.
 * All or nothing: on any error nothing changes and err says where
 * ("FILE:LINE: reason"). Returns 0 and *count (records imported).
 */
int zoneio_import(db_t *db, const char *zone, const char *file, zoneio_check_fn check,
                  void *ctx, uint64_t *count, char *err, size_t errlen);
