/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The database: SQLite in WAL mode, the source of truth that the in-memory
 * zones are loaded from. This module is the only place that speaks SQL
 * (a PostgreSQL backend would sit beside it). A db_t is used by one thread
 * at a time: in ddnsd the loader at start-up, then the writer thread.
 *
 * Schema (PRAGMA user_version = 1):
 *   zone(id, name UNIQUE, serial)        the SOA serial of the last publish
 *   rr(zone, owner, type, ttl, rdata)    every record, owner as lower-case
 *                                        wire labels below the apex
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct db db_t;

enum db_flags {
	DB_CREATE = 1,     /* create the file and schema if missing */
	DB_LOCK   = 2,     /* take the exclusive lock that one ddnsd holds */
	DB_BULK   = 4,     /* large cache, for imports */
};

/*
 * Opens (and migrates) the database at path. With DB_LOCK fails with
 * -EBUSY when another process (a running ddnsd) holds the lock.
 * Returns 0 and *out, or an error with a one-line reason in err.
 */
int db_open(const char *path, int flags, db_t **out, char *err, size_t errlen);
void db_close(db_t *db);

/* The last SQLite error message of db. */
const char *db_errmsg(db_t *db);

/*
 * After a COMMIT failed with an I/O error, the frames it wrote may still sit
 * in the WAL file behind the last committed one, and WAL recovery at the
 * next start would take them for a committed transaction. This checkpoints
 * what is committed and truncates the WAL, so they are gone. 0 when done,
 * DDNS_EDB while the storage still fails (try again later).
 */
int db_wal_reset(db_t *db);

/* Stops (pages = 0) or sets SQLite's automatic checkpoint inside COMMIT. */
int db_autocheckpoint(db_t *db, int pages);

/* A PASSIVE checkpoint: copies committed WAL frames into the database
 * without blocking the writer or readers. *frames: the WAL's frames,
 * *done: how many are now in the database. 0, -EBUSY when another
 * checkpoint runs, or DDNS_EDB. */
int db_checkpoint(db_t *db, int *frames, int *done);

/*
 * The writer's connection, outside a transaction: a RESTART checkpoint,
 * which copies what is left and waits (at most a few milliseconds, then
 * -EBUSY) until no reader uses the WAL, so that the next commit writes
 * it from the start. Passive checkpoints alone never get there while
 * commits follow each other closely: a write transaction restarts the
 * WAL only if it began with every frame already copied, and under a
 * steady load one always began before the last copy ended, so the file
 * grows by every commit's pages for as long as the load lasts. 0,
 * -EBUSY, or DDNS_EDB.
 */
int db_wal_restart(db_t *db);

/* The database's page size. */
int db_page_size(db_t *db);
/* A consistent copy of the whole database into path (VACUUM INTO: an
 * empty or missing file), taken while the writer goes on. */
int db_backup(db_t *db, const char *path);
/* Opens the database file at path read-only and checks it (PRAGMA
 * quick_check); its users and hosts. DDNS_EMALF with the reason in err
 * when it is not a sound ddnsd database. */
int db_check_file(const char *path, int64_t *users, int64_t *hosts, char *err, size_t errlen);

int db_begin(db_t *db);
/* A read transaction: a consistent snapshot without blocking the writer. */
int db_begin_read(db_t *db);
int db_commit(db_t *db);
int db_rollback(db_t *db);

/* Finds (or with create, adds) the zone called name; its id and serial. */
int db_zone_get(db_t *db, const char *name, bool create, int64_t *id, uint32_t *serial);
int db_zone_set_serial(db_t *db, int64_t id, uint32_t serial);

/* Number of records of a zone. */
int db_rr_count(db_t *db, int64_t zone, uint64_t *count);

typedef int (*db_rr_fn)(const uint8_t *owner, size_t ownerlen, uint16_t type, uint32_t ttl,
                        const uint8_t *rdata, size_t rdlen, void *ctx);

/* Calls fn for every record of the zone, grouped by owner. Stops at and
 * returns the first non-zero result of fn. */
int db_rr_foreach(db_t *db, int64_t zone, db_rr_fn fn, void *ctx);

/* Deletes every record of the zone. */
int db_rr_clear(db_t *db, int64_t zone);

/* Adds one record; an identical record is kept once. */
int db_rr_insert(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen, uint16_t type,
                 uint32_t ttl, const uint8_t *rdata, size_t rdlen);
