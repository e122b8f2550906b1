/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Export of everything as one JSON document: zones with their serial and
 * every record, users (with their password hashes), hosts, token hashes,
 * TSIG keys, update history and the audit log. A user can take their data
 * and leave; an operator can move to a new server with `ddnsctl import`,
 * which op_import reads. Read from a snapshot of a read-only connection;
 * control thread.
 */
#pragma once

#include <jansson.h>

#include "lib/conf.h"
#include "store/db.h"

#define DUMP_FORMAT "ddnsd-export"
#define DUMP_VERSION 1

/* Returns the export, or NULL with a reason in err. */
json_t *dump_export(db_t *db, const conf_t *conf, char *err, size_t errlen);
