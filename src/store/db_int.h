/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the files of src/store only: access to the connection and the
 * statement cache. Nothing outside src/store includes this.
 */
#pragma once

#include <sqlite3.h>

#include "store/db.h"

sqlite3 *db_handle(db_t *db);

/* The prepared statement for the static SQL text sql (prepared on first
 * use, cached by the address of sql). NULL if it does not compile. The
 * caller resets it after use (db_reset). */
sqlite3_stmt *db_stmt(db_t *db, const char *sql);

/* Steps a statement that returns no rows, then resets it. 0 or DDNS_EDB. */
int db_step_done(sqlite3_stmt *st);

static inline void db_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}
