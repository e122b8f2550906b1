/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SQL for sessions, mailed tokens, invitations and two-factor data; see
 * session.h. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/db_int.h"
#include "store/session.h"

static sqlite3_stmt *stmt_id(db_t *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st != NULL)
		sqlite3_bind_int64(st, 1, id);
	return st;
}

/* ---- sessions ---- */

#define SESSION_COLS "id, user, csrf, created, last_seen, expires, src, client, revoked"

static void read_session(sqlite3_stmt *st, db_session_t *s)
{
	s->id = sqlite3_column_int64(st, 0);
	s->user = sqlite3_column_int64(st, 1);
	db_copy_text(s->csrf, sizeof(s->csrf), st, 2);
	s->created = sqlite3_column_int64(st, 3);
	s->last_seen = sqlite3_column_int64(st, 4);
	s->expires = sqlite3_column_int64(st, 5);
	db_copy_text(s->src, sizeof(s->src), st, 6);
	db_copy_text(s->client, sizeof(s->client), st, 7);
	s->revoked = sqlite3_column_int(st, 8) != 0;
}

int db_session_add(db_t *db, const uint8_t hash[DB_HASH_LEN], db_session_t *s)
{
	static const char sql[] = "INSERT INTO session(user, hash, csrf, created, last_seen, expires, "
	                          "src, client) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, s->user);
	sqlite3_bind_blob(st, 2, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, s->created);
	sqlite3_bind_int64(st, 5, s->expires);
	sqlite3_bind_text(st, 6, s->src, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, s->client, -1, SQLITE_STATIC);
	return db_step_insert(db, st, &s->id);
}

int db_session_find(db_t *db, const uint8_t hash[DB_HASH_LEN], db_session_t *out)
{
	static const char sql[] = "SELECT " SESSION_COLS " FROM session WHERE hash = ?1 AND revoked = 0";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	int ret = db_step_row(st);
	if (ret == 0) {
		read_session(st, out);
		db_reset(st);
	}
	return ret;
}

int db_session_touch(db_t *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE session SET last_seen = max(last_seen, ?2) WHERE id = ?1";
	return db_exec_id_val(db, sql, id, now, false);
}

int db_session_revoke(db_t *db, int64_t user, int64_t id)
{
	static const char sql[] = "UPDATE session SET revoked = 1 WHERE id = ?1 AND user = ?2 "
	                          "AND revoked = 0";
	return db_exec_id_val(db, sql, id, user, true);
}

int db_session_revoke_user(db_t *db, int64_t user, int64_t except)
{
	static const char sql[] = "UPDATE session SET revoked = 1 WHERE user = ?1 AND id != ?2 "
	                          "AND revoked = 0";
	return db_exec_id_val(db, sql, user, except, false);
}

int db_session_prune(db_t *db, int64_t user, int64_t now)
{
	static const char sql[] = "DELETE FROM session WHERE user = ?1 AND (revoked = 1 OR expires <= ?2)";
	return db_exec_id_val(db, sql, user, now, false);
}

/* One bounded delete (db_exec_count), added to the totals. */
static int expire_some(db_t *db, const char *sql, int64_t cutoff, int limit, int *n, bool *more)
{
	int k;
	int ret = db_exec_count(db, sql, cutoff, limit, &k);
	*n += k;
	*more |= k == limit;
	return ret;
}

int db_logins_expire(db_t *db, int64_t now, int64_t seen_before, int limit, int *n, bool *more)
{
	/* Each condition on an index of its own (schema 10). */
	static const char revoked[] = "DELETE FROM session WHERE id IN (SELECT id FROM session "
	                              "WHERE revoked = 1 LIMIT ?2)";
	static const char ended[] = "DELETE FROM session WHERE id IN (SELECT id FROM session "
	                            "WHERE expires <= ?1 LIMIT ?2)";
	static const char idle[] = "DELETE FROM session WHERE id IN (SELECT id FROM session "
	                           "WHERE last_seen < ?1 LIMIT ?2)";
	static const char links[] = "DELETE FROM mailtoken WHERE hash IN (SELECT hash FROM mailtoken "
	                            "WHERE expires <= ?1 LIMIT ?2)";
	static const char invites[] = "DELETE FROM invite WHERE hash IN (SELECT hash FROM invite "
	                              "WHERE used_by = 0 AND expires <= ?1 LIMIT ?2)";
	*n = 0;
	*more = false;
	int ret = expire_some(db, revoked, 0, limit, n, more);
	if (ret == 0)
		ret = expire_some(db, ended, now, limit, n, more);
	if (ret == 0)
		ret = expire_some(db, idle, seen_before, limit, n, more);
	if (ret == 0)
		ret = expire_some(db, links, now, limit, n, more);
	if (ret == 0)
		ret = expire_some(db, invites, now, limit, n, more);
	return ret;
}

static int session_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_session_t s;
	read_session(st, &s);
	return ((int (*)(const db_session_t *, void *))e->fn)(&s, e->ctx);
}

int db_session_foreach(db_t *db, int64_t user, int (*fn)(const db_session_t *s, void *ctx),
                       void *ctx)
{
	static const char sql[] = "SELECT " SESSION_COLS " FROM session WHERE user = ?1 AND revoked = 0 "
	                          "ORDER BY id";
	sqlite3_stmt *st = stmt_id(db, sql, user);
	if (st == NULL)
		return DDNS_EDB;
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, session_row, &e);
}

/* ---- mailed tokens and invitations ---- */

int db_mailtoken_add(db_t *db, const uint8_t hash[DB_HASH_LEN], int64_t user, const char *kind,
                     int64_t created, int64_t expires)
{
	static const char sql[] = "INSERT INTO mailtoken(hash, user, kind, created, expires) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, created);
	sqlite3_bind_int64(st, 5, expires);
	return db_step_insert(db, st, NULL);
}

/*
 * Uses a one-time row once: get selects (expires, used, user) of the row of
 * hash (?1; kind binds ?2 when not NULL), use marks it (?2 = mark). The
 * user in *user when not NULL. DDNS_ENOENT, DDNS_ESTATE (used or expired).
 */
static int use_once(db_t *db, const char *get, const char *use, const uint8_t hash[DB_HASH_LEN],
                    const char *kind, int64_t now, int64_t mark, int64_t *user)
{
	sqlite3_stmt *st = db_stmt(db, get);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	if (kind != NULL)
		sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	int ret = db_step_row(st);
	if (ret != 0)
		return ret;
	bool dead = sqlite3_column_int64(st, 0) <= now || sqlite3_column_int64(st, 1) != 0;
	if (user != NULL)
		*user = sqlite3_column_int64(st, 2);
	db_reset(st);
	if (dead)
		return DDNS_ESTATE;
	if ((st = db_stmt(db, use)) == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, mark);
	return db_step_done(st);
}

int db_mailtoken_use(db_t *db, const uint8_t hash[DB_HASH_LEN], const char *kind, int64_t now,
                     int64_t *user)
{
	static const char get[] = "SELECT expires, used, user FROM mailtoken WHERE hash = ?1 AND kind = ?2";
	static const char use[] = "UPDATE mailtoken SET used = ?2 WHERE hash = ?1";
	return use_once(db, get, use, hash, kind, now, now, user);
}

int db_invite_add(db_t *db, const uint8_t hash[DB_HASH_LEN], int64_t created, int64_t expires,
                  const char *actor)
{
	static const char sql[] = "INSERT INTO invite(hash, created, expires, actor) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, DB_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, created);
	sqlite3_bind_int64(st, 3, expires);
	sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
	return db_step_insert(db, st, NULL);
}

int db_invite_use(db_t *db, const uint8_t hash[DB_HASH_LEN], int64_t now, int64_t user)
{
	static const char get[] = "SELECT expires, used_by, 0 FROM invite WHERE hash = ?1";
	static const char use[] = "UPDATE invite SET used_by = ?2 WHERE hash = ?1";
	return use_once(db, get, use, hash, NULL, now, user, NULL);
}

/* ---- users ---- */

int db_user_foreach_email(db_t *db, const char *email,
                          int (*fn)(const db_user_t *u, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT id FROM user WHERE email = ?1 COLLATE NOCASE AND email != '' "
	                          "ORDER BY id LIMIT 10";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	int64_t ids[10];
	size_t n = 0;
	int rc;
	while (n < 10 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	db_reset(st);
	/* Read each user after the scan: account.c's statement may not run
	 * while this one is open on the same row set. */
	int ret = 0;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		db_user_t u;
		if ((ret = db_user_get_id(db, ids[i], &u)) == 0)
			ret = fn(&u, ctx);
	}
	return ret;
}

int db_user_set_password(db_t *db, int64_t id, const char *pwhash)
{
	static const char sql[] = "UPDATE user SET pwhash = ?2, generation = generation + 1 WHERE id = ?1";
	sqlite3_stmt *st = stmt_id(db, sql, id);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
	return db_step_changed(db, st);
}

int db_user_set_verified(db_t *db, int64_t id)
{
	static const char sql[] = "UPDATE user SET verified = 1 WHERE id = ?1";
	sqlite3_stmt *st = stmt_id(db, sql, id);
	return st ? db_step_changed(db, st) : DDNS_EDB;
}

/* ---- two-factor ---- */

static void copy_blob(sqlite3_stmt *st, int col, uint8_t *dst, size_t cap, size_t *len)
{
	const void *b = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	*len = b && n <= cap ? n : 0;
	if (*len)
		memcpy(dst, b, *len);
}

int db_totp_get(db_t *db, int64_t user, db_totp_t *out)
{
	static const char sql[] = "SELECT totp_secret, totp_pending, totp_last FROM user WHERE id = ?1";
	sqlite3_stmt *st = stmt_id(db, sql, user);
	if (st == NULL)
		return DDNS_EDB;
	int ret = db_step_row(st);
	if (ret != 0)
		return ret;
	copy_blob(st, 0, out->secret, sizeof(out->secret), &out->secret_len);
	copy_blob(st, 1, out->pending, sizeof(out->pending), &out->pending_len);
	out->last = sqlite3_column_int64(st, 2);
	db_reset(st);
	return 0;
}

int db_totp_set_pending(db_t *db, int64_t user, const uint8_t *secret, size_t len)
{
	static const char sql[] = "UPDATE user SET totp_pending = ?2 WHERE id = ?1";
	sqlite3_stmt *st = stmt_id(db, sql, user);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 2, secret, (int)len, SQLITE_STATIC);
	return db_step_changed(db, st);
}

int db_totp_enable(db_t *db, int64_t user, int64_t last)
{
	static const char sql[] = "UPDATE user SET totp_secret = totp_pending, totp_pending = NULL, "
	                          "totp_last = ?2 WHERE id = ?1 AND totp_pending IS NOT NULL";
	return db_exec_id_val(db, sql, user, last, true);
}

int db_totp_disable(db_t *db, int64_t user)
{
	static const char sql[] = "UPDATE user SET totp_secret = NULL, totp_pending = NULL WHERE id = ?1";
	static const char rec[] = "DELETE FROM recovery WHERE user = ?1";
	sqlite3_stmt *st = stmt_id(db, sql, user);
	int ret = st ? db_step_changed(db, st) : DDNS_EDB;
	if (ret == 0)
		ret = (st = stmt_id(db, rec, user)) ? db_step_done(st) : DDNS_EDB;
	return ret;
}

int db_totp_set_last(db_t *db, int64_t user, int64_t last)
{
	static const char sql[] = "UPDATE user SET totp_last = max(totp_last, ?2) WHERE id = ?1";
	return db_exec_id_val(db, sql, user, last, false);
}

int db_recovery_replace(db_t *db, int64_t user, const uint8_t (*hashes)[DB_HASH_LEN], size_t n)
{
	static const char del[] = "DELETE FROM recovery WHERE user = ?1";
	static const char add[] = "INSERT OR IGNORE INTO recovery(user, hash) VALUES (?1, ?2)";
	sqlite3_stmt *st = stmt_id(db, del, user);
	int ret = st ? db_step_done(st) : DDNS_EDB;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if ((st = stmt_id(db, add, user)) == NULL)
			return DDNS_EDB;
		sqlite3_bind_blob(st, 2, hashes[i], DB_HASH_LEN, SQLITE_STATIC);
		ret = db_step_done(st);
	}
	return ret;
}

int db_recovery_use(db_t *db, int64_t user, const uint8_t hash[DB_HASH_LEN])
{
	static const char sql[] = "UPDATE recovery SET used = 1 WHERE user = ?1 AND hash = ?2 AND used = 0";
	sqlite3_stmt *st = stmt_id(db, sql, user);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 2, hash, DB_HASH_LEN, SQLITE_STATIC);
	return db_step_changed(db, st);
}

int db_recovery_left(db_t *db, int64_t user, int *n)
{
	static const char sql[] = "SELECT count(*) FROM recovery WHERE user = ?1 AND used = 0";
	sqlite3_stmt *st = stmt_id(db, sql, user);
	if (st == NULL)
		return DDNS_EDB;
	int ret = db_step_row(st);
	if (ret == 0) {
		*n = sqlite3_column_int(st, 0);
		db_reset(st);
	}
	return ret;
}
