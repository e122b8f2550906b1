/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SQLite storage; see db.h. Statements are prepared once per connection.
 * Migrations run inside one transaction and are keyed by user_version, so
 * an interrupted upgrade leaves the old schema intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/errors.h"
#include "store/db.h"
#include "store/db_int.h"

#define SCHEMA_VERSION 10

enum stmt_id {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK,
	ST_ZONE_GET, ST_ZONE_ADD, ST_ZONE_SERIAL,
	ST_RR_COUNT, ST_RR_EACH, ST_RR_CLEAR, ST_RR_INSERT,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN]       = "BEGIN IMMEDIATE",
	[ST_COMMIT]      = "COMMIT",
	[ST_ROLLBACK]    = "ROLLBACK",
	[ST_ZONE_GET]    = "SELECT id, serial FROM zone WHERE name = ?1",
	[ST_ZONE_ADD]    = "INSERT INTO zone(name, serial) VALUES (?1, 1)",
	[ST_ZONE_SERIAL] = "UPDATE zone SET serial = ?2 WHERE id = ?1",
	[ST_RR_COUNT]    = "SELECT count(*) FROM rr WHERE zone = ?1",
	[ST_RR_EACH]     = "SELECT owner, type, ttl, rdata FROM rr WHERE zone = ?1 "
	                   "ORDER BY owner, type",
	[ST_RR_CLEAR]    = "DELETE FROM rr WHERE zone = ?1",
	[ST_RR_INSERT]   = "INSERT OR REPLACE INTO rr(zone, owner, type, ttl, rdata) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5)",
};

static const char *const migrations[SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE zone ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  serial INTEGER NOT NULL);"
	"CREATE TABLE rr ("
	"  zone INTEGER NOT NULL REFERENCES zone(id),"
	"  owner BLOB NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  ttl INTEGER NOT NULL,"
	"  rdata BLOB NOT NULL,"
	"  PRIMARY KEY (zone, owner, type, rdata)) WITHOUT ROWID;",
	/* 1 -> 2: accounts, hosts and the writer's tables */
	"CREATE TABLE user ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  email TEXT NOT NULL DEFAULT '',"
	"  pwhash TEXT NOT NULL,"
	"  max_hosts INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  generation INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE host ("
	"  id INTEGER PRIMARY KEY,"
	"  zone INTEGER NOT NULL REFERENCES zone(id),"
	"  owner BLOB NOT NULL,"
	"  name TEXT NOT NULL UNIQUE,"
	"  user INTEGER NOT NULL REFERENCES user(id),"
	"  ipv4 BLOB, ipv6 BLOB,"
	"  txt TEXT NOT NULL DEFAULT '[]',"
	"  acme TEXT NOT NULL DEFAULT '[]',"
	"  mx TEXT NOT NULL DEFAULT '',"
	"  mx_pref INTEGER NOT NULL DEFAULT 10,"
	"  wildcard INTEGER NOT NULL DEFAULT 0,"
	"  ttl INTEGER NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL DEFAULT 0,"
	"  src TEXT NOT NULL DEFAULT '',"
	"  client TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX host_zone_owner ON host(zone, owner);"
	"CREATE INDEX host_user ON host(user);"
	"CREATE TABLE token ("
	"  id INTEGER PRIMARY KEY,"
	"  host INTEGER NOT NULL REFERENCES host(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  last_used INTEGER NOT NULL DEFAULT 0,"
	"  expires INTEGER NOT NULL DEFAULT 0,"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX token_host ON token(host);"
	"CREATE TABLE tsig ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  algorithm TEXT NOT NULL,"
	"  secret BLOB NOT NULL,"
	"  host INTEGER REFERENCES host(id) ON DELETE CASCADE,"
	"  scope TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY,"
	"  host INTEGER NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  src TEXT NOT NULL DEFAULT '',"
	"  client TEXT NOT NULL DEFAULT '',"
	"  old TEXT NOT NULL DEFAULT '',"
	"  new TEXT NOT NULL DEFAULT '',"
	"  result TEXT NOT NULL);"
	"CREATE INDEX history_host ON history(host, id);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  time INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  evidence TEXT NOT NULL DEFAULT '',"
	"  prev BLOB NOT NULL,"
	"  hash BLOB NOT NULL);"
	"CREATE TABLE journal ("
	"  zone INTEGER NOT NULL,"
	"  serial INTEGER NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  removed BLOB NOT NULL,"
	"  added BLOB NOT NULL,"
	"  PRIMARY KEY (zone, serial)) WITHOUT ROWID;",
	/* 2 -> 3: the primary-key columns of rr first. SQLite 3.40's
	 * integrity_check wrongly reports "NULL value in rr.ttl" when a
	 * WITHOUT ROWID table has a non-key column between key columns. */
	"CREATE TABLE rr_new ("
	"  zone INTEGER NOT NULL REFERENCES zone(id),"
	"  owner BLOB NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  rdata BLOB NOT NULL,"
	"  ttl INTEGER NOT NULL,"
	"  PRIMARY KEY (zone, owner, type, rdata)) WITHOUT ROWID;"
	"INSERT INTO rr_new(zone, owner, type, rdata, ttl) "
	"  SELECT zone, owner, type, rdata, ttl FROM rr;"
	"DROP TABLE rr;"
	"ALTER TABLE rr_new RENAME TO rr;",
	/* 3 -> 4: API tokens (bearer tokens of the JSON API, per user) */
	"CREATE TABLE apitoken ("
	"  id INTEGER PRIMARY KEY,"
	"  user INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  last_used INTEGER NOT NULL DEFAULT 0,"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX apitoken_user ON apitoken(user);",
	/* 4 -> 5: the abuse desk (reports, trusted reporters, names held after
	 * deletion) and the notification outbox */
	"CREATE TABLE reporter ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  suspend INTEGER NOT NULL DEFAULT 1,"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE report ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  host TEXT NOT NULL,"
	"  category TEXT NOT NULL,"
	"  evidence TEXT NOT NULL DEFAULT '',"
	"  urls TEXT NOT NULL DEFAULT '[]',"
	"  contact TEXT NOT NULL DEFAULT '',"
	"  src TEXT NOT NULL DEFAULT '',"
	"  class TEXT NOT NULL,"
	"  reporter INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL,"
	"  expires INTEGER NOT NULL DEFAULT 0,"
	"  acted INTEGER NOT NULL DEFAULT 0,"
	"  suspended INTEGER NOT NULL DEFAULT 0,"
	"  reversed INTEGER NOT NULL DEFAULT 0,"
	"  outcome TEXT NOT NULL DEFAULT '',"
	"  appeal TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX report_status ON report(status, expires);"
	"CREATE INDEX report_host ON report(host);"
	"CREATE TABLE tombstone ("
	"  name TEXT PRIMARY KEY,"
	"  until INTEGER NOT NULL,"
	"  user INTEGER NOT NULL,"
	"  suspended INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  created INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_try INTEGER NOT NULL,"
	"  delivered INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX outbox_due ON outbox(delivered, next_try);"
	"CREATE INDEX host_created ON host(created);",
	/* 5 -> 6: the web dashboard: roles, verified addresses, two-factor
	 * log-in, browser sessions, mailed one-time links, invitations. Users
	 * made before it (by ddnsctl) count as verified. */
	"ALTER TABLE user ADD COLUMN admin INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE user ADD COLUMN verified INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE user ADD COLUMN totp_secret BLOB;"       /* enabled when set */
	"ALTER TABLE user ADD COLUMN totp_pending BLOB;"      /* offered, not yet confirmed */
	"ALTER TABLE user ADD COLUMN totp_last INTEGER NOT NULL DEFAULT 0;" /* last step used */
	"CREATE TABLE recovery ("
	"  user INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (user, hash)) WITHOUT ROWID;"
	"CREATE TABLE session ("
	"  id INTEGER PRIMARY KEY,"
	"  user INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,"
	"  hash BLOB NOT NULL UNIQUE,"
	"  csrf TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  src TEXT NOT NULL DEFAULT '',"
	"  client TEXT NOT NULL DEFAULT '',"
	"  revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX session_user ON session(user);"
	"CREATE TABLE mailtoken ("
	"  hash BLOB PRIMARY KEY,"
	"  user INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"                                 /* verify | reset */
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE TABLE invite ("
	"  hash BLOB PRIMARY KEY,"
	"  created INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  used_by INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",
	/* 6 -> 7: password reset by address looks users up by email */
	"CREATE INDEX user_email ON user(email COLLATE NOCASE);",
	/* 7 -> 8: the network a user signed up from (the abuse desk's
	 * sign-up burst heuristic; a /24 or /64, not the address itself) */
	"ALTER TABLE user ADD COLUMN signup_net TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX user_signup_net ON user(signup_net, created) WHERE signup_net != '';",
	/* 8 -> 9: sign-up refuses a name that differs from a user's only in
	 * capitals ("Alice" beside "alice") */
	"CREATE INDEX user_name_nocase ON user(name COLLATE NOCASE);",
	/* 9 -> 10: housekeeping finds ended sessions, expired links and
	 * invitations without reading the tables (db_logins_expire) */
	"CREATE INDEX session_expires ON session(expires);"
	"CREATE INDEX session_seen ON session(last_seen);"
	"CREATE INDEX session_revoked ON session(id) WHERE revoked = 1;"
	"CREATE INDEX mailtoken_expires ON mailtoken(expires);"
	"CREATE INDEX invite_expires ON invite(expires) WHERE used_by = 0;",
};

#define STMT_CACHE 256

struct db {
	sqlite3 *h;
	sqlite3_stmt *st[ST_COUNT];
	int lock_fd;
	/* Statements of the other store files, prepared on first use and
	 * keyed by the address of their static SQL text. */
	struct { const char *sql; sqlite3_stmt *st; } cache[STMT_CACHE];
};

sqlite3 *db_handle(db_t *db)
{
	return db->h;
}

sqlite3_stmt *db_stmt(db_t *db, const char *sql)
{
	size_t i = ((uintptr_t)sql >> 4) % STMT_CACHE;
	for (size_t n = 0; n < STMT_CACHE; n++, i = (i + 1) % STMT_CACHE) {
		if (db->cache[i].sql == sql)
			return db->cache[i].st;
		if (db->cache[i].sql == NULL) {
			sqlite3_stmt *st;
			if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			                       NULL) != SQLITE_OK)
				return NULL;
			db->cache[i].sql = sql;
			db->cache[i].st = st;
			return st;
		}
	}
	return NULL; /* more distinct statements than the cache holds: a bug */
}

const char *db_errmsg(db_t *db)
{
	return sqlite3_errmsg(db->h);
}

static int exec(db_t *db, const char *sql)
{
	return sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : DDNS_EDB;
}

static int migrate(db_t *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > SCHEMA_VERSION) {
		snprintf(err, errlen, "database schema version %d is newer than this ddnsd (%d)",
		         version, SCHEMA_VERSION);
		return DDNS_ESCHEMA;
	}
	if (version == SCHEMA_VERSION)
		return 0;
	if (exec(db, "BEGIN IMMEDIATE") != 0)
		goto fail;
	for (int v = version; v < SCHEMA_VERSION; v++) {
		char sql[64];
		if (exec(db, migrations[v]) != 0)
			goto rollback;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(db, sql) != 0)
			goto rollback;
	}
	if (exec(db, "COMMIT") != 0)
		goto rollback;
	return 0;
rollback:
	snprintf(err, errlen, "database upgrade failed: %s", sqlite3_errmsg(db->h));
	exec(db, "ROLLBACK");
	return DDNS_EDB;
fail:
	snprintf(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db->h));
	return DDNS_EDB;
}

/* Before SQLite initialises: no allocation statistics. Debian builds SQLite
 * without lookaside, so every cursor and register is a malloc, and with
 * statistics on each of them also takes a global mutex. Nothing here reads
 * the statistics. */
static void sqlite_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int db_open(const char *path, int flags, db_t **out, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_setup);
	db_t *db = calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	db->lock_fd = -1;
	int ret = DDNS_EDB;

	if (!(flags & DB_CREATE) && access(path, R_OK | W_OK) != 0) {
		snprintf(err, errlen, "cannot open database %s: %s", path, strerror(errno));
		ret = -errno;
		goto fail;
	}
	if (flags & DB_LOCK) {
		/* One ddnsd owns a database; flock is separate from SQLite's
		 * own POSIX locks on Linux, so they do not interfere. */
		db->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (db->lock_fd < 0) {
			snprintf(err, errlen, "cannot open database %s: %s", path, strerror(errno));
			ret = -errno;
			goto fail;
		}
		if (flock(db->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			snprintf(err, errlen, "database %s is in use by a running ddnsd", path);
			ret = -EBUSY;
			goto fail;
		}
	}
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	             ((flags & DB_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
		         db->h ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 5000);
	sqlite3_extended_result_codes(db->h, 1);
	if (exec(db, "PRAGMA journal_mode = WAL") != 0 ||
	    exec(db, "PRAGMA synchronous = FULL") != 0 ||
	    exec(db, "PRAGMA foreign_keys = ON") != 0) {
		snprintf(err, errlen, "cannot use database %s: %s", path, sqlite3_errmsg(db->h));
		goto fail;
	}
	if (flags & DB_BULK)
		exec(db, "PRAGMA cache_size = -262144");
	ret = migrate(db, err, errlen);
	if (ret != 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(db->h, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                       &db->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "database %s: %s", path, sqlite3_errmsg(db->h));
			ret = DDNS_EDB;
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	db_close(db);
	return ret;
}

void db_close(db_t *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	if (db->lock_fd >= 0)
		close(db->lock_fd);
	free(db);
}

/* Runs a statement that returns no rows and resets it. */
void db_copy_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	/* A row read copies a dozen of these: no printf machinery. */
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(st, col) : 0;
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	if (n > 0)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

int db_step_insert(db_t *db, sqlite3_stmt *st, int64_t *id)
{
	int rc = sqlite3_step(st);
	db_reset(st);
	if (rc == SQLITE_DONE) {
		if (id)
			*id = sqlite3_last_insert_rowid(db_handle(db));
		return 0;
	}
	return (rc & 0xff) == SQLITE_CONSTRAINT ? DDNS_EEXIST : DDNS_EDB;
}

/* Steps a one-row query: 0 with the row ready, DDNS_ENOENT, DDNS_EDB. */
int db_step_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 0;
	db_reset(st);
	return rc == SQLITE_DONE ? DDNS_ENOENT : DDNS_EDB;
}

int db_step_each(sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx), void *ctx)
{
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((ret = row(st, ctx)) != 0)
			break;
	if (ret == 0 && rc != SQLITE_DONE)
		ret = DDNS_EDB;
	db_reset(st);
	return ret;
}

int db_step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : DDNS_EDB;
}

int db_step_changed(db_t *db, sqlite3_stmt *st)
{
	int ret = db_step_done(st);
	if (ret == 0 && sqlite3_changes(db->h) == 0)
		ret = DDNS_ENOENT;
	return ret;
}

int db_exec_id_val(db_t *db, const char *sql, int64_t id, int64_t v, bool must_change)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, v);
	return must_change ? db_step_changed(db, st) : db_step_done(st);
}

int db_exec_count(db_t *db, const char *sql, int64_t cutoff, int64_t limit, int *n)
{
	int ret = db_exec_id_val(db, sql, cutoff, limit, false);
	*n = ret == 0 ? sqlite3_changes(db->h) : 0;
	return ret;
}

int db_begin(db_t *db)    { return db_step_done(db->st[ST_BEGIN]); }

int db_wal_reset(db_t *db)
{
	int log = -1, done = -1;
	int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
	/* TRUNCATE reports log = done = 0 once the WAL is empty. */
	return rc == SQLITE_OK && log == 0 ? 0 : DDNS_EDB;
}

int db_autocheckpoint(db_t *db, int pages)
{
	return sqlite3_wal_autocheckpoint(db->h, pages) == SQLITE_OK ? 0 : DDNS_EDB;
}

int db_checkpoint(db_t *db, int *frames, int *done)
{
	int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, frames, done);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return -EBUSY;
	return rc == SQLITE_OK ? 0 : DDNS_EDB;
}

int db_page_size(db_t *db)
{
	sqlite3_stmt *st = db_stmt(db, "PRAGMA page_size");
	int size = 4096;
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		size = sqlite3_column_int(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	return size > 0 ? size : 4096;
}

int db_backup(db_t *db, const char *path)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db->h, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : DDNS_EDB;
}

/* The one-row, one-column answer of sql as text into out; 0 or DDNS_EDB. */
static int one_text(sqlite3 *h, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;
	int ret = DDNS_EDB;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return ret;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, len, "%s", t ? (const char *)t : "");
		ret = 0;
	}
	sqlite3_finalize(st);
	return ret;
}

int db_check_file(const char *path, int64_t *users, int64_t *hosts, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	char v[256] = "";
	int ret = DDNS_EMALF;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, h ? sqlite3_errmsg(h) : "out of memory");
		goto out;
	}
	if (one_text(h, "PRAGMA quick_check", v, sizeof(v)) != 0 || strcmp(v, "ok") != 0) {
		snprintf(err, errlen, "quick_check: %s", v[0] ? v : sqlite3_errmsg(h));
		goto out;
	}
	if (one_text(h, "SELECT count(*) FROM user", v, sizeof(v)) != 0) {
		snprintf(err, errlen, "not a ddnsd database: %s", sqlite3_errmsg(h));
		goto out;
	}
	*users = strtoll(v, NULL, 10);
	if (one_text(h, "SELECT count(*) FROM host", v, sizeof(v)) != 0) {
		snprintf(err, errlen, "not a ddnsd database: %s", sqlite3_errmsg(h));
		goto out;
	}
	*hosts = strtoll(v, NULL, 10);
	ret = 0;
out:
	sqlite3_close(h);
	return ret;
}

int db_wal_restart(db_t *db)
{
	/* Readers' transactions are short; one that is not (a long export)
	 * must not hold up the writer: try again after the next batch. */
	sqlite3_busy_timeout(db->h, 20);
	int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
	sqlite3_busy_timeout(db->h, 5000);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return -EBUSY;
	return rc == SQLITE_OK ? 0 : DDNS_EDB;
}

int db_begin_read(db_t *db)
{
	static const char sql[] = "BEGIN DEFERRED";
	sqlite3_stmt *st = db_stmt(db, sql);
	return st ? db_step_done(st) : DDNS_EDB;
}
int db_commit(db_t *db)   { return db_step_done(db->st[ST_COMMIT]); }
int db_rollback(db_t *db) { return db_step_done(db->st[ST_ROLLBACK]); }

int db_zone_get(db_t *db, const char *name, bool create, int64_t *id, uint32_t *serial)
{
	sqlite3_stmt *st = db->st[ST_ZONE_GET];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*serial = (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc != SQLITE_DONE)
		return DDNS_EDB;
	if (!create)
		return DDNS_ENOENT;
	st = db->st[ST_ZONE_ADD];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (db_step_done(st) != 0)
		return DDNS_EDB;
	*id = sqlite3_last_insert_rowid(db->h);
	*serial = 1;
	return 0;
}

int db_zone_set_serial(db_t *db, int64_t id, uint32_t serial)
{
	sqlite3_stmt *st = db->st[ST_ZONE_SERIAL];
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, serial);
	return db_step_done(st);
}

int db_rr_count(db_t *db, int64_t zone, uint64_t *count)
{
	sqlite3_stmt *st = db->st[ST_RR_COUNT];
	sqlite3_bind_int64(st, 1, zone);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 0 : DDNS_EDB;
}

int db_rr_foreach(db_t *db, int64_t zone, db_rr_fn fn, void *ctx)
{
	sqlite3_stmt *st = db->st[ST_RR_EACH];
	sqlite3_bind_int64(st, 1, zone);
	int ret = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *owner = sqlite3_column_blob(st, 0);
		size_t olen = (size_t)sqlite3_column_bytes(st, 0);
		uint16_t type = (uint16_t)sqlite3_column_int(st, 1);
		uint32_t ttl = (uint32_t)sqlite3_column_int64(st, 2);
		const uint8_t *rdata = sqlite3_column_blob(st, 3);
		size_t rdlen = (size_t)sqlite3_column_bytes(st, 3);
		ret = fn(owner ? owner : (const uint8_t *)"", olen, type, ttl,
		         rdata ? rdata : (const uint8_t *)"", rdlen, ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = DDNS_EDB;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int db_rr_clear(db_t *db, int64_t zone)
{
	sqlite3_stmt *st = db->st[ST_RR_CLEAR];
	sqlite3_bind_int64(st, 1, zone);
	return db_step_done(st);
}

int db_rr_insert(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen, uint16_t type,
                 uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	sqlite3_stmt *st = db->st[ST_RR_INSERT];
	sqlite3_bind_int64(st, 1, zone);
	/* A zero-length blob must not bind as NULL. */
	sqlite3_bind_blob(st, 2, ownerlen ? (const void *)owner : "", (int)ownerlen, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, type);
	sqlite3_bind_int64(st, 4, ttl);
	sqlite3_bind_blob(st, 5, rdlen ? (const void *)rdata : "", (int)rdlen, SQLITE_STATIC);
	return db_step_done(st);
}
