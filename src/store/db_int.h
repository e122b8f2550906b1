/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the files of src/store only: access to the connection and the
 * statement cache. Nothing outside src/store includes this.
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"

sqlite3 *db_handle(db_t *db);

/* The prepared statement for the static SQL text sql (prepared on first
 * use, cached by the address of sql). NULL if it does not compile. The
 * caller resets it after use (db_reset). */
sqlite3_stmt *db_stmt(db_t *db, const char *sql);

/* Copies text column col into dst ("" for NULL), truncating to len. */
void db_copy_text(char *dst, size_t len, sqlite3_stmt *st, int col);

/* Steps an INSERT and resets it: 0 (the new rowid in *id, if not NULL),
 * DDNS_EEXIST on a constraint, DDNS_EDB. */
int db_step_insert(db_t *db, sqlite3_stmt *st, int64_t *id);

/* Steps a one-row query: 0 with the row ready (the caller resets it),
 * DDNS_ENOENT (reset), DDNS_EDB (reset). */
int db_step_row(sqlite3_stmt *st);

/* Calls row for every row (stops at its non-zero return, which is
 * returned), then resets. */
int db_step_each(sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx), void *ctx);

/* A row callback and its context, carried through db_step_each to the
 * per-table row readers. */
typedef struct {
	void *fn;
	void *ctx;
} each_t;

/* Steps a statement that returns no rows, then resets it. 0 or DDNS_EDB. */
int db_step_done(sqlite3_stmt *st);

/* Steps an UPDATE/DELETE: 0, DDNS_ENOENT when no row changed, DDNS_EDB. */
int db_step_changed(db_t *db, sqlite3_stmt *st);

/* Runs sql, a change with ?1 = id and ?2 = v: 0, DDNS_EDB (and
 * DDNS_ENOENT when must_change and no row changed). */
int db_exec_id_val(db_t *db, const char *sql, int64_t id, int64_t v, bool must_change);

/* The same for a bounded delete (?1 a cut-off, ?2 the limit): *n, how
 * many rows went (0 on error). */
int db_exec_count(db_t *db, const char *sql, int64_t cutoff, int64_t limit, int *n);

static inline void db_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}
