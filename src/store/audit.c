/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The audit chain; see audit.h. The hash input is a fixed encoding: the
 * previous hash, id and time as 8-byte big-endian numbers, then each text
 * field with a 4-byte length, so no two different rows encode alike.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/audit.h"
#include "store/db_int.h"

static void add_u64(crypto_generichash_state *s, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	crypto_generichash_update(s, b, 8);
}

static void add_text(crypto_generichash_state *s, const char *t)
{
	size_t n = strlen(t);
	uint8_t b[4] = { n >> 24, n >> 16, n >> 8, n };
	crypto_generichash_update(s, b, 4);
	crypto_generichash_update(s, (const uint8_t *)t, n);
}

static void row_hash(const db_audit_t *a, const uint8_t prev[AUDIT_HASH_LEN], uint8_t out[AUDIT_HASH_LEN])
{
	crypto_generichash_state s;
	crypto_generichash_init(&s, NULL, 0, AUDIT_HASH_LEN);
	crypto_generichash_update(&s, prev, AUDIT_HASH_LEN);
	add_u64(&s, (uint64_t)a->id);
	add_u64(&s, (uint64_t)a->time);
	add_text(&s, a->actor);
	add_text(&s, a->action);
	add_text(&s, a->target);
	add_text(&s, a->reason);
	add_text(&s, a->evidence);
	crypto_generichash_final(&s, out, AUDIT_HASH_LEN);
}

static int audit_insert(db_t *db, const db_audit_t *a)
{
	static const char ins[] = "INSERT INTO audit(id, time, actor, action, target, reason, "
	                          "evidence, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
	sqlite3_stmt *st = db_stmt(db, ins);
	if (st == NULL)
		return DDNS_EDB;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, a->time);
	sqlite3_bind_text(st, 3, a->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->evidence, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, a->prev, AUDIT_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, a->hash, AUDIT_HASH_LEN, SQLITE_STATIC);
	return db_step_done(st);
}

int db_audit_insert_raw(db_t *db, const db_audit_t *a)
{
	return audit_insert(db, a);
}

int db_audit_append(db_t *db, db_audit_t *a)
{
	static const char last[] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = db_stmt(db, last);
	if (st == NULL)
		return DDNS_EDB;
	memset(a->prev, 0, sizeof(a->prev));
	a->id = 1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) == AUDIT_HASH_LEN)
			memcpy(a->prev, sqlite3_column_blob(st, 1), AUDIT_HASH_LEN);
	}
	db_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return DDNS_EDB;
	row_hash(a, a->prev, a->hash);
	return audit_insert(db, a);
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int db_audit_foreach(db_t *db, int (*fn)(const db_audit_t *a, void *ctx), void *ctx)
{
	static const char sql[] = "SELECT id, time, actor, action, target, reason, evidence, prev, "
	                          "hash FROM audit ORDER BY id";
	sqlite3_stmt *st = db_stmt(db, sql);
	if (st == NULL)
		return DDNS_EDB;
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_audit_t a;
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(st, 0);
		a.time = sqlite3_column_int64(st, 1);
		copy_text(a.actor, sizeof(a.actor), st, 2);
		copy_text(a.action, sizeof(a.action), st, 3);
		copy_text(a.target, sizeof(a.target), st, 4);
		copy_text(a.reason, sizeof(a.reason), st, 5);
		copy_text(a.evidence, sizeof(a.evidence), st, 6);
		if (sqlite3_column_bytes(st, 7) == AUDIT_HASH_LEN)
			memcpy(a.prev, sqlite3_column_blob(st, 7), AUDIT_HASH_LEN);
		if (sqlite3_column_bytes(st, 8) == AUDIT_HASH_LEN)
			memcpy(a.hash, sqlite3_column_blob(st, 8), AUDIT_HASH_LEN);
		if ((ret = fn(&a, ctx)) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = DDNS_EDB;
	db_reset(st);
	return ret;
}

typedef struct {
	int64_t expect_id;
	uint8_t prev[AUDIT_HASH_LEN];
	int64_t bad_id;
	char *why;
	size_t whylen;
} verify_t;

static int verify_row(const db_audit_t *a, void *ctx)
{
	verify_t *v = ctx;
	uint8_t h[AUDIT_HASH_LEN];
	if (a->id != v->expect_id) {
		v->bad_id = v->expect_id;
		snprintf(v->why, v->whylen, "row %lld is missing (next row is %lld)",
		         (long long)v->expect_id, (long long)a->id);
		return DDNS_EMALF;
	}
	if (sodium_memcmp(a->prev, v->prev, AUDIT_HASH_LEN) != 0) {
		v->bad_id = a->id;
		snprintf(v->why, v->whylen, "row %lld does not follow row %lld (previous hash differs)",
		         (long long)a->id, (long long)a->id - 1);
		return DDNS_EMALF;
	}
	row_hash(a, v->prev, h);
	if (sodium_memcmp(h, a->hash, AUDIT_HASH_LEN) != 0) {
		v->bad_id = a->id;
		snprintf(v->why, v->whylen, "row %lld was altered (its hash does not match its contents)",
		         (long long)a->id);
		return DDNS_EMALF;
	}
	memcpy(v->prev, a->hash, AUDIT_HASH_LEN);
	v->expect_id++;
	return 0;
}

int db_audit_verify(db_t *db, int64_t *rows, uint8_t head[AUDIT_HASH_LEN], int64_t *bad_id,
                    char *why, size_t whylen)
{
	verify_t v = { .expect_id = 1, .why = why, .whylen = whylen };
	int ret = db_audit_foreach(db, verify_row, &v);
	if (ret == DDNS_EMALF) {
		*bad_id = v.bad_id;
		return ret;
	}
	if (ret != 0) {
		snprintf(why, whylen, "database error");
		return ret;
	}
	if (rows)
		*rows = v.expect_id - 1;
	if (head)
		memcpy(head, v.prev, AUDIT_HASH_LEN);
	return 0;
}
