/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SQL for users, hosts, tokens, TSIG keys, history and journal; see account.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/errors.h"
#include "store/account.h"
#include "store/epoch.h"
#include "store/db_int.h"

/* ---- users ---- */

#define USER_COLS "id, name, email, pwhash, max_hosts, created, disabled, generation, admin, " \
	"verified, totp_secret IS NOT NULL, signup_net"

static void read_user(sqlite3_stmt *st, db_user_t *u)
{
	u->id = sqlite3_column_int64(st, 0);
	db_copy_text(u->name, sizeof(u->name), st, 1);
	db_copy_text(u->email, sizeof(u->email), st, 2);
	db_copy_text(u->pwhash, sizeof(u->pwhash), st, 3);
	u->max_hosts = sqlite3_column_int(st, 4);
	u->created = sqlite3_column_int64(st, 5);
	u->disabled = sqlite3_column_int(st, 6) != 0;
	u->generation = sqlite3_column_int64(st, 7);
	u->admin = sqlite3_column_int(st, 8) != 0;
	u->verified = sqlite3_column_int(st, 9) != 0;
	u->totp = sqlite3_column_int(st, 10) != 0;
	db_copy_text(u->signup_net, sizeof(u->signup_net), st, 11);
}

int db_user_add(db_t *db, db_user_t *u)
{
	static const char sql[] = "INSERT INTO user(name, email, pwhash, max_hosts, created, "
	                          "disabled, generation, admin, verified, signup_net) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, u->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, u->pwhash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, u->max_hosts);
	sqlite3_bind_int64(st, 5, u->created);
	sqlite3_bind_int(st, 6, u->disabled);
	sqlite3_bind_int64(st, 7, u->generation);
	sqlite3_bind_int(st, 8, u->admin);
	sqlite3_bind_int(st, 9, u->verified);
	sqlite3_bind_text(st, 10, u->signup_net, -1, SQLITE_STATIC);
	return db_step_insert(db, st, &u->id);
}

/*
 * Runs sql with ?1 bound to name (or id when name is NULL) and steps to its
 * row: the statement on it (read it, then db_reset), or NULL with *ret
 * DDNS_ENOENT / DDNS_EDB.
 */
static sqlite3_stmt *get_row(db_t *db, const char *sql, const char *name, int64_t id, int *ret)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL) {
		*ret = DDNS_EDB;
		return NULL;
	}
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, id);
	*ret = db_step_row(st);
	return *ret == 0 ? st : NULL;
}

static int user_get(db_t *db, const char *sql, const char *name, int64_t id, db_user_t *out)
{
	int ret;
	sqlite3_stmt *st = get_row(db, sql, name, id, &ret);
	if (st != NULL) {
		read_user(st, out);
		db_reset(st);
	}
	return ret;
}

int db_user_get(db_t *db, const char *name, db_user_t *out)
{
	static const char sql[] = "SELECT " USER_COLS " FROM user WHERE name = ?1";
	return user_get(db, sql, name, 0, out);
}

int db_user_get_nocase(db_t *db, const char *name, db_user_t *out)
{
	static const char sql[] = "SELECT " USER_COLS " FROM user WHERE name = ?1 COLLATE NOCASE "
	                          "LIMIT 1";
	return user_get(db, sql, name, 0, out);
}

int db_user_get_id(db_t *db, int64_t id, db_user_t *out)
{
	static const char sql[] = "SELECT " USER_COLS " FROM user WHERE id = ?1";
	return user_get(db, sql, NULL, id, out);
}

static int exec_id(db_t *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, id);
	return db_step_done(st);
}

/* Runs sql, a change of the row id that returns the name of the host it
 * concerns, and bumps that host's change counter (epoch.h). */
static int exec_bump(db_t *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, id);
	int ret = db_step_row(st);
	if (ret == DDNS_ENOENT)
		return 0;
	if (ret != 0)
		return ret;
	const char *name = (const char *)sqlite3_column_text(st, 0);
	if (name != NULL)
		host_epoch_bump(name);
	return db_step_done(st);
}

int db_user_del(db_t *db, int64_t id)
{
	static const char sql[] = "DELETE FROM user WHERE id = ?1";
	return exec_id(db, sql, id);
}

static int user_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_user_t u;
	read_user(st, &u);
	return ((int (*)(const db_user_t *, void *))e->fn)(&u, e->ctx);
}

int db_user_foreach(db_t *db, int (*fn)(const db_user_t *u, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " USER_COLS " FROM user ORDER BY name";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, user_row, &e);
}

int db_user_foreach_unconfirmed(db_t *db, int64_t before, int limit,
                                int (*fn)(const db_user_t *u, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " USER_COLS " FROM user WHERE verified = 0 "
	                          "AND created < ?1 ORDER BY created LIMIT ?2";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int(st, 2, limit);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, user_row, &e);
}

int db_user_foreach_signup(db_t *db, const char *net, int64_t from, int64_t to,
                           int (*fn)(const db_user_t *u, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " USER_COLS " FROM user WHERE signup_net = ?1 "
	                          "AND created BETWEEN ?2 AND ?3 ORDER BY created";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, net, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, user_row, &e);
}

/* The one number sql (with ?1 bound to id) returns. */
static int count_of(db_t *db, const char *sql, int64_t id, int64_t *n)
{
	int ret;
	sqlite3_stmt *st = get_row(db, sql, NULL, id, &ret);
	if (st != NULL) {
		*n = sqlite3_column_int64(st, 0);
		db_reset(st);
	}
	return ret;
}

int db_user_host_count(db_t *db, int64_t user, int *count)
{
	static const char sql[] = "SELECT count(*) FROM host WHERE user = ?1";
	int64_t n = 0;
	int ret = count_of(db, sql, user, &n);
	if (ret == 0)
		*count = (int)n;
	return ret;
}

/* ---- hosts ---- */

#define HOST_COLS "id, zone, owner, name, user, ipv4, ipv6, txt, acme, mx, mx_pref, wildcard, " \
                  "ttl, state, reason, created, updated, src, client"

static void read_host(sqlite3_stmt *st, db_host_t *h)
{
	h->id = sqlite3_column_int64(st, 0);
	h->zone = sqlite3_column_int64(st, 1);
	int ol = sqlite3_column_bytes(st, 2);
	h->ownerlen = (uint8_t)(ol > 255 ? 255 : ol);
	if (ol > 0)
		memcpy(h->owner, sqlite3_column_blob(st, 2), h->ownerlen);
	db_copy_text(h->name, sizeof(h->name), st, 3);
	h->user = sqlite3_column_int64(st, 4);
	h->has_v4 = sqlite3_column_bytes(st, 5) == 4;
	if (h->has_v4)
		memcpy(h->v4, sqlite3_column_blob(st, 5), 4);
	h->has_v6 = sqlite3_column_bytes(st, 6) == 16;
	if (h->has_v6)
		memcpy(h->v6, sqlite3_column_blob(st, 6), 16);
	db_copy_text(h->txt, sizeof(h->txt), st, 7);
	db_copy_text(h->acme, sizeof(h->acme), st, 8);
	db_copy_text(h->mx, sizeof(h->mx), st, 9);
	h->mx_pref = sqlite3_column_int(st, 10);
	h->wildcard = sqlite3_column_int(st, 11) != 0;
	h->ttl = (uint32_t)sqlite3_column_int64(st, 12);
	h->state = sqlite3_column_int(st, 13);
	db_copy_text(h->reason, sizeof(h->reason), st, 14);
	h->created = sqlite3_column_int64(st, 15);
	h->updated = sqlite3_column_int64(st, 16);
	db_copy_text(h->src, sizeof(h->src), st, 17);
	db_copy_text(h->client, sizeof(h->client), st, 18);
}

/* Binds the mutable host fields as ?2.. in HOST_COLS order from user on. */
static void bind_host(sqlite3_stmt *st, const db_host_t *h)
{
	sqlite3_bind_int64(st, 2, h->user);
	if (h->has_v4)
		sqlite3_bind_blob(st, 3, h->v4, 4, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	if (h->has_v6)
		sqlite3_bind_blob(st, 4, h->v6, 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, h->txt[0] ? h->txt : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, h->acme[0] ? h->acme : "[]", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, h->mx, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, h->mx_pref);
	sqlite3_bind_int(st, 9, h->wildcard);
	sqlite3_bind_int64(st, 10, h->ttl);
	sqlite3_bind_int(st, 11, h->state);
	sqlite3_bind_text(st, 12, h->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, h->updated);
	sqlite3_bind_text(st, 14, h->src, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, h->client, -1, SQLITE_STATIC);
}

int db_host_add(db_t *db, db_host_t *h)
{
	static const char sql[] =
		"INSERT INTO host(user, ipv4, ipv6, txt, acme, mx, mx_pref, wildcard, ttl, state, "
		"reason, updated, src, client, zone, owner, name, created) "
		"VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
		"?16, ?17, ?18, ?19)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	bind_host(st, h);
	sqlite3_bind_int64(st, 16, h->zone);
	sqlite3_bind_blob(st, 17, h->ownerlen ? (const void *)h->owner : "", h->ownerlen,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 18, h->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 19, h->created);
	return db_step_insert(db, st, &h->id);
}

int db_host_put(db_t *db, const db_host_t *h)
{
	/* user is indexed (host_user) and a foreign key: setting it, even to
	 * its old value, rewrites an index entry and checks user. It almost
	 * never changes, so it has its own statement that writes only then. */
	static const char sql[] =
		"UPDATE host SET ipv4 = ?3, ipv6 = ?4, txt = ?5, acme = ?6, mx = ?7, "
		"mx_pref = ?8, wildcard = ?9, ttl = ?10, state = ?11, reason = ?12, updated = ?13, "
		"src = ?14, client = ?15 WHERE id = ?1";
	static const char owner[] = "UPDATE host SET user = ?2 WHERE id = ?1 AND user IS NOT ?2";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	host_epoch_bump(h->name);
	sqlite3_bind_int64(st, 1, h->id);
	bind_host(st, h);
	int ret = db_step_done(st);
	if (ret != 0 || (st = db_stmt(db, owner)) == NULL)
		return ret != 0 ? ret : DDNS_EDB;
	sqlite3_bind_int64(st, 1, h->id);
	sqlite3_bind_int64(st, 2, h->user);
	return db_step_done(st);
}

static int host_get(db_t *db, const char *sql, const char *name, int64_t id, db_host_t *out)
{
	int ret;
	sqlite3_stmt *st = get_row(db, sql, name, id, &ret);
	if (st != NULL) {
		read_host(st, out);
		db_reset(st);
	}
	return ret;
}

int db_host_get(db_t *db, const char *name, db_host_t *out)
{
	static const char sql[] = "SELECT " HOST_COLS " FROM host WHERE name = ?1";
	return host_get(db, sql, name, 0, out);
}

int db_host_get_id(db_t *db, int64_t id, db_host_t *out)
{
	static const char sql[] = "SELECT " HOST_COLS " FROM host WHERE id = ?1";
	return host_get(db, sql, NULL, id, out);
}

int db_host_del(db_t *db, int64_t id)
{
	static const char sql[] = "DELETE FROM host WHERE id = ?1 RETURNING name";
	return exec_bump(db, sql, id);
}

static int host_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_host_t h;
	read_host(st, &h);
	return ((int (*)(const db_host_t *, void *))e->fn)(&h, e->ctx);
}

int db_host_foreach(db_t *db, int64_t zone, int64_t user,
                    int (*fn)(const db_host_t *h, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " HOST_COLS " FROM host "
	                          "WHERE (?1 < 0 OR zone = ?1) AND (?2 < 0 OR user = ?2) "
	                          "ORDER BY zone, owner";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_int64(st, 2, user);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, host_row, &e);
}

int db_host_foreach_recent_addr(db_t *db, int64_t since, int family, const uint8_t *addr,
                                int (*fn)(const db_host_t *h, void *ctx), void *ctx)
{
	static const char sql4[] = "SELECT " HOST_COLS " FROM host WHERE created >= ?1 AND ipv4 = ?2";
	static const char sql6[] = "SELECT " HOST_COLS " FROM host WHERE created >= ?1 AND ipv6 = ?2";
	sqlite3_stmt *st = db_stmt(db, family == 4 ? sql4 : sql6);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_blob(st, 2, addr, family == 4 ? 4 : 16, SQLITE_STATIC);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, host_row, &e);
}

static int rr_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	const uint8_t *owner = sqlite3_column_blob(st, 0);
	const uint8_t *rdata = sqlite3_column_blob(st, 3);
	return ((db_rr_fn)e->fn)(owner ? owner : (const uint8_t *)"", sqlite3_column_bytes(st, 0),
	                         (uint16_t)sqlite3_column_int(st, 1),
	                         (uint32_t)sqlite3_column_int64(st, 2),
	                         rdata ? rdata : (const uint8_t *)"", sqlite3_column_bytes(st, 3),
	                         e->ctx);
}

int db_rr_owner_foreach(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen,
                        db_rr_fn fn, void *ctx)
{
	static const char sql[] = "SELECT owner, type, ttl, rdata FROM rr "
	                          "WHERE zone = ?1 AND owner = ?2 ORDER BY type";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_blob(st, 2, ownerlen ? (const void *)owner : "", (int)ownerlen, SQLITE_STATIC);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, rr_row, &e);
}

/* ---- tokens ---- */

#define TOKEN_COLS "id, host, hash, name, created, last_used, expires, revoked"

static void read_token(sqlite3_stmt *st, db_token_t *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->host = sqlite3_column_int64(st, 1);
	memset(t->hash, 0, sizeof(t->hash));
	if (sqlite3_column_bytes(st, 2) == 32)
		memcpy(t->hash, sqlite3_column_blob(st, 2), 32);
	db_copy_text(t->name, sizeof(t->name), st, 3);
	t->created = sqlite3_column_int64(st, 4);
	t->last_used = sqlite3_column_int64(st, 5);
	t->expires = sqlite3_column_int64(st, 6);
	t->revoked = sqlite3_column_int(st, 7) != 0;
}

int db_token_add(db_t *db, db_token_t *t)
{
	static const char sql[] = "INSERT INTO token(host, hash, name, created, expires, last_used, "
	                          "revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, t->host);
	sqlite3_bind_blob(st, 2, t->hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, t->created);
	sqlite3_bind_int64(st, 5, t->expires);
	sqlite3_bind_int64(st, 6, t->last_used);
	sqlite3_bind_int(st, 7, t->revoked);
	return db_step_insert(db, st, &t->id);
}

int db_token_find(db_t *db, const uint8_t hash[32], db_token_t *out)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM token WHERE hash = ?1 AND revoked = 0";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	int ret = db_step_row(st);
	if (ret == 0) {
		read_token(st, out);
		db_reset(st);
	}
	return ret;
}

int db_token_used(db_t *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE token SET last_used = ?2 WHERE id = ?1";
	return db_exec_id_val(db, sql, id, now, false);
}

int db_token_revoke(db_t *db, int64_t id)
{
	static const char sql[] = "UPDATE token SET revoked = 1 WHERE id = ?1 "
	                          "RETURNING (SELECT name FROM host WHERE host.id = token.host)";
	return exec_bump(db, sql, id);
}

static int token_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_token_t t;
	read_token(st, &t);
	return ((int (*)(const db_token_t *, void *))e->fn)(&t, e->ctx);
}

int db_token_foreach(db_t *db, int64_t host, int (*fn)(const db_token_t *t, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " TOKEN_COLS " FROM token WHERE (?1 < 0 OR host = ?1) ORDER BY id";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, host);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, token_row, &e);
}

/* ---- API tokens ---- */

int db_apitoken_add(db_t *db, int64_t user, const uint8_t hash[32], const char *name,
                    int64_t created, int64_t *id)
{
	static const char sql[] = "INSERT INTO apitoken(user, hash, name, created) VALUES (?1, ?2, ?3, ?4)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, user);
	sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, created);
	return db_step_insert(db, st, id);
}

int db_apitoken_user(db_t *db, const uint8_t hash[32], int64_t *user, int64_t *id,
                     int64_t *last_used)
{
	static const char sql[] = "SELECT user, id, last_used FROM apitoken "
	                          "WHERE hash = ?1 AND revoked = 0";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	int ret = db_step_row(st);
	if (ret == 0) {
		*user = sqlite3_column_int64(st, 0);
		*id = sqlite3_column_int64(st, 1);
		*last_used = sqlite3_column_int64(st, 2);
		db_reset(st);
	}
	return ret;
}

int db_apitoken_used(db_t *db, int64_t id, int64_t now)
{
	static const char sql[] = "UPDATE apitoken SET last_used = ?2 WHERE id = ?1";
	return db_exec_id_val(db, sql, id, now, false);
}

int db_apitoken_revoke(db_t *db, int64_t user, int64_t id)
{
	static const char sql[] = "UPDATE apitoken SET revoked = 1 WHERE id = ?1 AND user = ?2 "
	                          "AND revoked = 0";
	return db_exec_id_val(db, sql, id, user, true);
}

static int apitoken_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_token_t t;
	memset(&t, 0, sizeof(t));
	t.id = sqlite3_column_int64(st, 0);
	t.host = sqlite3_column_int64(st, 1); /* the user, here */
	db_copy_text(t.name, sizeof(t.name), st, 2);
	t.created = sqlite3_column_int64(st, 3);
	t.last_used = sqlite3_column_int64(st, 4);
	t.revoked = sqlite3_column_int(st, 5) != 0;
	return ((int (*)(const db_token_t *, void *))e->fn)(&t, e->ctx);
}

int db_apitoken_foreach(db_t *db, int64_t user, int (*fn)(const db_token_t *t, void *ctx),
                        void *ctx)
{
	static const char sql[] = "SELECT id, user, name, created, last_used, revoked FROM apitoken "
	                          "WHERE user = ?1 ORDER BY id";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, user);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, apitoken_row, &e);
}

/* ---- TSIG ---- */

int db_tsig_add(db_t *db, db_tsig_t *k)
{
	static const char sql[] = "INSERT INTO tsig(name, algorithm, secret, host, scope, created) "
	                          "VALUES (?1, ?2, ?3, NULLIF(?4, 0), ?5, ?6)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, k->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->algorithm, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, k->secret, (int)k->secret_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, k->host);
	sqlite3_bind_text(st, 5, k->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, k->created);
	return db_step_insert(db, st, &k->id);
}

#define TSIG_COLS "id, name, algorithm, secret, IFNULL(host, 0), scope, created"

static void read_tsig(sqlite3_stmt *st, db_tsig_t *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(st, 0);
	db_copy_text(k->name, sizeof(k->name), st, 1);
	db_copy_text(k->algorithm, sizeof(k->algorithm), st, 2);
	int n = sqlite3_column_bytes(st, 3);
	k->secret_len = n > 64 ? 64 : (size_t)n;
	if (n > 0)
		memcpy(k->secret, sqlite3_column_blob(st, 3), k->secret_len);
	k->host = sqlite3_column_int64(st, 4);
	db_copy_text(k->scope, sizeof(k->scope), st, 5);
	k->created = sqlite3_column_int64(st, 6);
}

static int tsig_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_tsig_t k;
	read_tsig(st, &k);
	int ret = ((int (*)(const db_tsig_t *, void *))e->fn)(&k, e->ctx);
	sodium_memzero(k.secret, sizeof(k.secret));
	return ret;
}

int db_tsig_foreach(db_t *db, int (*fn)(const db_tsig_t *k, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " TSIG_COLS " FROM tsig ORDER BY name";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, tsig_row, &e);
}

int db_tsig_get(db_t *db, const char *name, db_tsig_t *k)
{
	static const char sql[] = "SELECT " TSIG_COLS " FROM tsig WHERE name = ?1";
	int ret;
	sqlite3_stmt *st = get_row(db, sql, name, 0, &ret);
	if (st != NULL) {
		read_tsig(st, k);
		db_reset(st);
	}
	return ret;
}

/* ---- history and journal ---- */

int db_history_add(db_t *db, const db_history_t *h, int64_t *id)
{
	static const char sql[] = "INSERT INTO history(host, time, src, client, old, new, result) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, h->host);
	sqlite3_bind_int64(st, 2, h->time);
	sqlite3_bind_text(st, 3, h->src, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, h->client, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, h->old, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, h->new_, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, h->result, -1, SQLITE_STATIC);
	return db_step_insert(db, st, id);
}

int db_history_trim(db_t *db, int64_t host, unsigned keep)
{
	/* Without keep rows the subquery is NULL and nothing matches. */
	static const char sql[] = "DELETE FROM history WHERE host = ?1 AND id < "
	                          "(SELECT id FROM history WHERE host = ?1 "
	                          " ORDER BY id DESC LIMIT 1 OFFSET ?2)";
	return db_exec_id_val(db, sql, host, keep > 0 ? keep - 1 : 0, false);
}

int db_history_expire(db_t *db, int64_t before, int limit, int *n)
{
	/* Rows are written in time order, so the oldest are the first ids:
	 * looking at the first limit ids bounds the work even when a clock
	 * set back left a newer row among them. */
	static const char sql[] = "DELETE FROM history WHERE id IN "
	                          "(SELECT id FROM history ORDER BY id LIMIT ?2) AND time < ?1";
	return db_exec_count(db, sql, before, limit, n);
}

int db_history_foreach_all(db_t *db, int (*fn)(const db_history_t *h, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT id, host, time, src, client, old, new, result FROM history "
	                          "ORDER BY id";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	each_t e = { (void *)fn, ctx };
	int history_row(sqlite3_stmt *, void *);
	return db_step_each(st, history_row, &e);
}

int history_row(sqlite3_stmt *st, void *ctx);
int history_row(sqlite3_stmt *st, void *ctx)
{
	each_t *e = ctx;
	db_history_t h;
	h.id = sqlite3_column_int64(st, 0);
	h.host = sqlite3_column_int64(st, 1);
	h.time = sqlite3_column_int64(st, 2);
	db_copy_text(h.src, sizeof(h.src), st, 3);
	db_copy_text(h.client, sizeof(h.client), st, 4);
	db_copy_text(h.old, sizeof(h.old), st, 5);
	db_copy_text(h.new_, sizeof(h.new_), st, 6);
	db_copy_text(h.result, sizeof(h.result), st, 7);
	return ((int (*)(const db_history_t *, void *))e->fn)(&h, e->ctx);
}

int db_history_foreach(db_t *db, int64_t host, int limit,
                       int (*fn)(const db_history_t *h, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT id, host, time, src, client, old, new, result FROM history "
	                          "WHERE host = ?1 ORDER BY id DESC LIMIT ?2";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, host);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
	each_t e = { (void *)fn, ctx };
	return db_step_each(st, history_row, &e);
}

int db_journal_add(db_t *db, int64_t zone, uint32_t serial, int64_t time,
                   const uint8_t *removed, size_t rlen, const uint8_t *added, size_t alen)
{
	static const char sql[] = "INSERT OR REPLACE INTO journal(zone, serial, time, removed, added) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_int64(st, 2, serial);
	sqlite3_bind_int64(st, 3, time);
	sqlite3_bind_blob(st, 4, rlen ? (const void *)removed : "", (int)rlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, alen ? (const void *)added : "", (int)alen, SQLITE_STATIC);
	return db_step_done(st);
}

static int exec_sql(db_t *db, const char *sql)
{
	sqlite3_stmt *st = db_stmt(db, sql);
	return st ? db_step_done(st) : DDNS_EDB;
}

int db_savepoint(db_t *db)
{
	static const char sql[] = "SAVEPOINT req";
	return exec_sql(db, sql);
}

int db_release(db_t *db)
{
	static const char sql[] = "RELEASE req";
	return exec_sql(db, sql);
}

int db_rollback_savepoint(db_t *db)
{
	static const char sql[] = "ROLLBACK TO req";
	int ret = exec_sql(db, sql);
	return ret == 0 ? db_release(db) : ret;
}

int db_rr_delete_types(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen,
                       uint64_t types)
{
	/* One statement for all the types: they are all below 64 (A, TXT,
	 * MX, AAAA), so a bit mask selects them. */
	static const char sql[] = "DELETE FROM rr WHERE zone = ?1 AND owner = ?2 AND type < 64 "
	                          "AND (?3 >> type) & 1";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_blob(st, 2, ownerlen ? (const void *)owner : "", (int)ownerlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)types);
	return db_step_done(st);
}

static int rr_delete_one(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen,
                         uint16_t type, const uint8_t *rdata, size_t rdlen)
{
	/* The whole primary key: a one-pass delete. A range delete on rr
	 * (a child of zone, with foreign keys on) first collects its rows in
	 * a temporary b-tree, which costs more than the delete itself. */
	static const char sql[] = "DELETE FROM rr WHERE zone = ?1 AND owner = ?2 AND type = ?3 "
	                          "AND rdata = ?4";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_blob(st, 2, ownerlen ? (const void *)owner : "", (int)ownerlen, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, type);
	sqlite3_bind_blob(st, 4, rdlen ? (const void *)rdata : "", (int)rdlen, SQLITE_STATIC);
	return db_step_done(st);
}

#define RR_GONE_MAX 32

int db_rr_set_types(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen,
                    uint64_t types, const db_rr_t *want, size_t n)
{
	static const char sql[] = "SELECT type, ttl, rdata FROM rr WHERE zone = ?1 AND owner = ?2 "
	                          "AND type < 64 AND (?3 >> type) & 1";
	/* Rows to delete, copied: they go after the SELECT is reset. More
	 * than fit here (a long TXT list replaced) takes the plain way. */
	struct { uint16_t type, len, off; } gone[RR_GONE_MAX];
	uint8_t gbuf[2048];
	size_t ngone = 0, gused = 0;
	bool plain = false;
	bool have_stack[64];
	bool *have = n <= 64 ? have_stack : calloc(n, sizeof(bool));
	if (have == NULL)
		return -ENOMEM;
	memset(have, 0, n * sizeof(bool));

	sqlite3_stmt *st = db_stmt(db, sql);
	int ret = 0, rc;
	if (st == NULL) {
		ret = DDNS_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_blob(st, 2, ownerlen ? (const void *)owner : "", (int)ownerlen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)types);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint16_t type = (uint16_t)sqlite3_column_int(st, 0);
		uint32_t ttl = (uint32_t)sqlite3_column_int64(st, 1);
		const uint8_t *rd = sqlite3_column_blob(st, 2);
		size_t rl = (size_t)sqlite3_column_bytes(st, 2);
		bool wanted = false;
		for (size_t i = 0; i < n; i++) {
			if (want[i].type != type || want[i].rdlen != rl ||
			    (rl > 0 && memcmp(want[i].rdata, rd, rl) != 0))
				continue;
			wanted = true; /* kept; rewritten below only for a new TTL */
			if (want[i].ttl == ttl)
				have[i] = true;
		}
		if (wanted || plain)
			continue;
		if (ngone == RR_GONE_MAX || gused + rl > sizeof(gbuf)) {
			plain = true;
			continue;
		}
		gone[ngone].type = type;
		gone[ngone].len = (uint16_t)rl;
		gone[ngone].off = (uint16_t)gused;
		if (rl > 0)
			memcpy(gbuf + gused, rd, rl);
		gused += rl;
		ngone++;
	}
	db_reset(st);
	if (rc != SQLITE_DONE) {
		ret = DDNS_EDB;
		goto out;
	}
	if (plain) {
		ret = db_rr_delete_types(db, zone, owner, ownerlen, types);
		memset(have, 0, n * sizeof(bool));
		ngone = 0;
	}
	for (size_t i = 0; ret == 0 && i < ngone; i++)
		ret = rr_delete_one(db, zone, owner, ownerlen, gone[i].type, gbuf + gone[i].off,
		                    gone[i].len);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if (have[i])
			continue;
		ret = db_rr_insert(db, zone, owner, ownerlen, want[i].type, want[i].ttl, want[i].rdata,
		                   want[i].rdlen);
		/* A duplicate in want is there now. */
		for (size_t j = i + 1; j < n; j++)
			if (want[j].type == want[i].type && want[j].ttl == want[i].ttl &&
			    want[j].rdlen == want[i].rdlen &&
			    memcmp(want[j].rdata, want[i].rdata, want[i].rdlen) == 0)
				have[j] = true;
	}
out:
	if (have != have_stack)
		free(have);
	return ret;
}

int db_journal_foreach(db_t *db, int64_t zone, uint32_t after, db_journal_fn fn, void *ctx)
{
	static const char sql[] = "SELECT serial, removed, added FROM journal "
	                          "WHERE zone = ?1 AND serial > ?2 ORDER BY serial";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_int64(st, 2, after);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *r = sqlite3_column_blob(st, 1), *a = sqlite3_column_blob(st, 2);
		ret = fn((uint32_t)sqlite3_column_int64(st, 0), r ? r : (const uint8_t *)"",
		         (size_t)sqlite3_column_bytes(st, 1), a ? a : (const uint8_t *)"",
		         (size_t)sqlite3_column_bytes(st, 2), ctx);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = DDNS_EDB;
	db_reset(st);
	return ret;
}

int db_journal_prune(db_t *db, int64_t zone, int64_t below)
{
	static const char sql[] = "DELETE FROM journal WHERE zone = ?1 AND serial < ?2";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, zone);
	sqlite3_bind_int64(st, 2, below);
	return db_step_done(st);
}

/* ---- the operators' pages ---- */

int db_user_set_admin(db_t *db, int64_t id, bool admin)
{
	static const char sql[] = "UPDATE user SET admin = ?2 WHERE id = ?1";
	return db_exec_id_val(db, sql, id, admin, true);
}

/* "%text%" with LIKE's wildcards in text escaped by '\', so that a search
 * for "50%" finds "50%" and not everything starting with "50". */
static int like_pattern(const char *text, char *out, size_t len)
{
	size_t o = 0;
	out[o++] = '%';
	for (const char *p = text; *p; p++) {
		if (o + 4 > len)
			return -EINVAL;
		if (*p == '%' || *p == '_' || *p == '\\')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o++] = '%';
	out[o] = '\0';
	return 0;
}

/* Runs a search statement (?1 the pattern, ?2 the limit) with row. */
static int search(db_t *db, const char *sql, const char *text, int limit,
                  int (*row)(sqlite3_stmt *st, void *ctx), void *fn, void *ctx)
{
	char pat[2 * DB_TEXT_MAX + 3];
	if (like_pattern(text, pat, sizeof(pat)) != 0)
		return -EINVAL;
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	each_t e = { fn, ctx };
	return db_step_each(st, row, &e);
}

int db_user_search(db_t *db, const char *text, int limit,
                   int (*fn)(const db_user_t *u, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " USER_COLS " FROM user WHERE name LIKE ?1 ESCAPE '\\' "
	                          "OR email LIKE ?1 ESCAPE '\\' ORDER BY name LIMIT ?2";
	return search(db, sql, text, limit, user_row, (void *)fn, ctx);
}

int db_host_search(db_t *db, const char *text, int limit,
                   int (*fn)(const db_host_t *h, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT " HOST_COLS " FROM host WHERE name LIKE ?1 ESCAPE '\\' "
	                          "OR user IN (SELECT id FROM user WHERE name LIKE ?1 ESCAPE '\\') "
	                          "ORDER BY name LIMIT ?2";
	return search(db, sql, text, limit, host_row, (void *)fn, ctx);
}

int db_count_users_hosts(db_t *db, int64_t *users, int64_t *hosts)
{
	static const char sql[] = "SELECT (SELECT count(*) FROM user), (SELECT count(*) FROM host)";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	int ret = db_step_row(st);
	if (ret == 0) {
		*users = sqlite3_column_int64(st, 0);
		*hosts = sqlite3_column_int64(st, 1);
		db_reset(st);
	}
	return ret;
}

int db_zone_host_count(db_t *db, int64_t zone, int64_t *hosts)
{
	static const char sql[] = "SELECT count(*) FROM host WHERE zone = ?1";
	return count_of(db, sql, zone, hosts);
}
