/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SQL for abuse reports, trusted reporters, tombstones and the outbox; see abuse.h. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/abuse.h"
#include "store/db_int.h"

/* ---- reports ---- */

#define REPORT_COLS "id, ref, created, updated, host, category, evidence, urls, contact, src, " \
	"class, reporter, status, expires, acted, suspended, reversed, outcome, appeal"

static void read_report(sqlite3_stmt *st, db_report_t *r)
{
	r->id = sqlite3_column_int64(st, 0);
	db_copy_text(r->ref, sizeof(r->ref), st, 1);
	r->created = sqlite3_column_int64(st, 2);
	r->updated = sqlite3_column_int64(st, 3);
	db_copy_text(r->host, sizeof(r->host), st, 4);
	db_copy_text(r->category, sizeof(r->category), st, 5);
	db_copy_text(r->evidence, sizeof(r->evidence), st, 6);
	db_copy_text(r->urls, sizeof(r->urls), st, 7);
	db_copy_text(r->contact, sizeof(r->contact), st, 8);
	db_copy_text(r->src, sizeof(r->src), st, 9);
	db_copy_text(r->klass, sizeof(r->klass), st, 10);
	r->reporter = sqlite3_column_int64(st, 11);
	db_copy_text(r->status, sizeof(r->status), st, 12);
	r->expires = sqlite3_column_int64(st, 13);
	r->acted = sqlite3_column_int64(st, 14);
	r->suspended = sqlite3_column_int64(st, 15);
	r->reversed = sqlite3_column_int64(st, 16);
	db_copy_text(r->outcome, sizeof(r->outcome), st, 17);
	db_copy_text(r->appeal, sizeof(r->appeal), st, 18);
}

/* Binds the mutable fields as ?2..?9 (status .. appeal). */
static void bind_state(sqlite3_stmt *st, const db_report_t *r)
{
	sqlite3_bind_int64(st, 2, r->updated);
	sqlite3_bind_text(st, 3, r->status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->expires);
	sqlite3_bind_int64(st, 5, r->acted);
	sqlite3_bind_int64(st, 6, r->suspended);
	sqlite3_bind_int64(st, 7, r->reversed);
	sqlite3_bind_text(st, 8, r->outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, r->appeal, -1, SQLITE_STATIC);
}

int db_report_add(db_t *db, db_report_t *r)
{
	static const char sql[] =
		"INSERT INTO report(updated, status, expires, acted, suspended, reversed, outcome, "
		"appeal, ref, created, host, category, evidence, urls, contact, src, class, reporter) "
		"VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
		"?19)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	bind_state(st, r);
	sqlite3_bind_text(st, 10, r->ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, r->created);
	sqlite3_bind_text(st, 12, r->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, r->category, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, r->evidence, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, r->urls[0] ? r->urls : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, r->contact, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 17, r->src, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 18, r->klass, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 19, r->reporter);
	return db_step_insert(db, st, &r->id);
}

int db_report_put(db_t *db, const db_report_t *r)
{
	static const char sql[] =
		"UPDATE report SET updated = ?2, status = ?3, expires = ?4, acted = ?5, "
		"suspended = ?6, reversed = ?7, outcome = ?8, appeal = ?9 WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, r->id);
	bind_state(st, r);
	return db_step_done(st);
}

int db_report_get(db_t *db, const char *ref, db_report_t *out)
{
	static const char sql[] = "SELECT " REPORT_COLS " FROM report WHERE ref = ?1";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	int ret = db_step_row(st);
	if (ret == 0) {
		read_report(st, out);
		db_reset(st);
	}
	return ret;
}

static int report_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_report_t r;
	read_report(st, &r);
	return ((int (*)(const db_report_t *, void *))e->fn)(&r, e->ctx);
}

int db_report_foreach(db_t *db, const char *status, const char *host, int limit,
                      int (*fn)(const db_report_t *r, void *ctx), void *ctx)
{
	static const char sql[] =
		"SELECT " REPORT_COLS " FROM report WHERE "
		"(?1 IS NULL OR status = ?1 OR (?1 = 'queue' AND status IN "
		"('open', 'suspended', 'appealed'))) AND (?2 IS NULL OR host = ?2) "
		"ORDER BY id DESC LIMIT ?3";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	if (status)
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	if (host)
		sqlite3_bind_text(st, 2, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, report_row, &e);
}

int db_report_foreach_all(db_t *db, int (*fn)(const db_report_t *r, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " REPORT_COLS " FROM report ORDER BY id";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, report_row, &e);
}

int db_report_foreach_due(db_t *db, int64_t now, int (*fn)(const db_report_t *r, void *ctx),
                          void *ctx)
{
	static const char sql[] = "SELECT " REPORT_COLS " FROM report "
	                          "WHERE status = 'suspended' AND expires <= ?1 ORDER BY expires";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, now);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, report_row, &e);
}

/* Runs a query whose one row is one integer (NULL: DDNS_ENOENT). */
static int one_int(sqlite3_stmt *st, int64_t *out)
{
	int ret = db_step_row(st);
	if (ret != 0)
		return ret;
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		ret = DDNS_ENOENT;
	else
		*out = sqlite3_column_int64(st, 0);
	db_reset(st);
	return ret;
}

int db_report_next_expiry(db_t *db, int64_t *when)
{
	static const char sql[] = "SELECT min(expires) FROM report WHERE status = 'suspended'";
	sqlite3_stmt *st = db_stmt(db, sql);
	return st ? one_int(st, when) : DDNS_EDB;
}

int db_report_holding(db_t *db, const char *host, int64_t except, int *count)
{
	static const char sql[] = "SELECT count(*) FROM report WHERE host = ?1 AND id != ?2 AND "
	                          "suspended != 0 AND status IN ('suspended', 'confirmed', 'appealed')";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, except);
	int64_t n = 0;
	int ret = one_int(st, &n);
	*count = (int)n;
	return ret;
}

int db_report_pending(db_t *db, const char *host, bool *pending)
{
	static const char sql[] = "SELECT count(*) FROM report WHERE host = ?1 AND "
	                          "status IN ('open', 'suspended', 'appealed')";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	int64_t n = 0;
	int ret = one_int(st, &n);
	*pending = n > 0;
	return ret;
}

/* ---- trusted reporters ---- */

#define REPORTER_COLS "id, name, created, suspend, revoked"

static void read_reporter(sqlite3_stmt *st, db_reporter_t *r)
{
	r->id = sqlite3_column_int64(st, 0);
	db_copy_text(r->name, sizeof(r->name), st, 1);
	r->created = sqlite3_column_int64(st, 2);
	r->suspend = sqlite3_column_int(st, 3) != 0;
	r->revoked = sqlite3_column_int(st, 4) != 0;
}

int db_reporter_add(db_t *db, db_reporter_t *r, const uint8_t hash[32])
{
	static const char sql[] = "INSERT INTO reporter(name, hash, created, suspend) "
	                          "VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->created);
	sqlite3_bind_int(st, 4, r->suspend);
	return db_step_insert(db, st, &r->id);
}

static int reporter_get(sqlite3_stmt *st, db_reporter_t *out)
{
	int ret = db_step_row(st);
	if (ret == 0) {
		read_reporter(st, out);
		db_reset(st);
	}
	return ret;
}

int db_reporter_find(db_t *db, const uint8_t hash[32], db_reporter_t *out)
{
	static const char sql[] = "SELECT " REPORTER_COLS " FROM reporter "
	                          "WHERE hash = ?1 AND revoked = 0";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	return reporter_get(st, out);
}

int db_reporter_get_id(db_t *db, int64_t id, db_reporter_t *out)
{
	static const char sql[] = "SELECT " REPORTER_COLS " FROM reporter WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, id);
	return reporter_get(st, out);
}

int db_reporter_revoke(db_t *db, const char *name)
{
	static const char sql[] = "UPDATE reporter SET revoked = 1 WHERE name = ?1 AND revoked = 0";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return db_step_changed(db, st);
}

static int reporter_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_reporter_t r;
	read_reporter(st, &r);
	return ((int (*)(const db_reporter_t *, void *))e->fn)(&r, e->ctx);
}

int db_reporter_foreach(db_t *db, int (*fn)(const db_reporter_t *r, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " REPORTER_COLS " FROM reporter ORDER BY name";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, reporter_row, &e);
}

/* ---- tombstones ---- */

int db_tombstone_put(db_t *db, const char *name, int64_t until, int64_t user, bool suspended)
{
	static const char sql[] = "INSERT OR REPLACE INTO tombstone(name, until, user, suspended) "
	                          "VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, until);
	sqlite3_bind_int64(st, 3, user);
	sqlite3_bind_int(st, 4, suspended);
	return db_step_done(st);
}

int db_tombstone_disown(db_t *db, int64_t user)
{
	static const char sql[] = "UPDATE tombstone SET user = 0 WHERE user = ?1";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, user);
	return db_step_done(st);
}

int db_tombstone_get(db_t *db, const char *name, int64_t now, int64_t *until, int64_t *user,
                     bool *suspended)
{
	static const char sql[] = "SELECT until, user, suspended FROM tombstone "
	                          "WHERE name = ?1 AND until > ?2";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	int ret = db_step_row(st);
	if (ret == 0) {
		*until = sqlite3_column_int64(st, 0);
		*user = sqlite3_column_int64(st, 1);
		*suspended = sqlite3_column_int(st, 2) != 0;
		db_reset(st);
	}
	return ret;
}

int db_tombstone_prune(db_t *db, int64_t now)
{
	static const char sql[] = "DELETE FROM tombstone WHERE until <= ?1";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, now);
	return db_step_done(st);
}

/* ---- the outbox ---- */

#define OUTBOX_COLS "id, created, kind, rcpt, subject, body, attempts, next_try, delivered, error"

static int outbox_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_outbox_t m;
	m.id = sqlite3_column_int64(st, 0);
	m.created = sqlite3_column_int64(st, 1);
	db_copy_text(m.kind, sizeof(m.kind), st, 2);
	db_copy_text(m.rcpt, sizeof(m.rcpt), st, 3);
	db_copy_text(m.subject, sizeof(m.subject), st, 4);
	db_copy_text(m.body, sizeof(m.body), st, 5);
	m.attempts = sqlite3_column_int(st, 6);
	m.next_try = sqlite3_column_int64(st, 7);
	m.delivered = sqlite3_column_int64(st, 8);
	db_copy_text(m.error, sizeof(m.error), st, 9);
	return ((int (*)(const db_outbox_t *, void *))e->fn)(&m, e->ctx);
}

int db_outbox_add(db_t *db, const char *kind, const char *rcpt, const char *subject,
                  const char *body, int64_t now)
{
	static const char sql[] = "INSERT INTO outbox(created, kind, rcpt, subject, body, next_try) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, ?1)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	return db_step_insert(db, st, NULL);
}

int db_outbox_foreach_due(db_t *db, int64_t now, int limit,
                          int (*fn)(const db_outbox_t *m, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox "
	                          "WHERE delivered = 0 AND next_try <= ?1 ORDER BY id LIMIT ?2";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, outbox_row, &e);
}

int db_outbox_foreach(db_t *db, bool pending, int limit,
                      int (*fn)(const db_outbox_t *m, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " OUTBOX_COLS " FROM outbox "
	                          "WHERE ?1 = 0 OR delivered = 0 ORDER BY id DESC LIMIT ?2";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int(st, 1, pending);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, outbox_row, &e);
}

int db_outbox_expire(db_t *db, int64_t before, int limit, int *n)
{
	/* on the index outbox_due (delivered, next_try) */
	static const char sql[] = "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
	                          "WHERE delivered > 0 AND delivered < ?1 LIMIT ?2)";
	return db_exec_count(db, sql, before, limit, n);
}

int db_outbox_mark(db_t *db, int64_t id, bool delivered, int64_t now, int64_t next_try,
                   const char *error)
{
	static const char sql[] = "UPDATE outbox SET attempts = attempts + 1, delivered = ?2, "
	                          "next_try = ?3, error = ?4 WHERE id = ?1";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, delivered ? now : 0);
	sqlite3_bind_int64(st, 3, next_try);
	sqlite3_bind_text(st, 4, error ? error : "", -1, SQLITE_STATIC);
	return db_step_done(st);
}
