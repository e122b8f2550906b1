/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The web dashboard's account data: browser sessions, the one-time tokens
 * mailed for address verification and password reset, invitations,
 * two-factor secrets and recovery codes, and the user columns the account
 * pages change (password, verified). Secrets are kept only as hashes
 * (sessions, mailed tokens, invitations, recovery codes); the TOTP secret
 * itself must be kept to compute codes. Like all of src/store: one thread
 * per db_t at a time (the writer for changes, an auth thread for reads).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store/account.h"
#include "store/db.h"

#define DB_HASH_LEN 32
#define DB_CSRF_MAX 64

typedef struct {
	int64_t id, user;
	char csrf[DB_CSRF_MAX];
	int64_t created, last_seen, expires;
	char src[64], client[128];
	bool revoked;
} db_session_t;

/* Adds a session; its id in s->id. The hash is of the cookie's value. */
int db_session_add(db_t *db, const uint8_t hash[DB_HASH_LEN], db_session_t *s);
/* The unrevoked session whose cookie hashes to hash; DDNS_ENOENT if none
 * (the caller checks its expiry and idle time). */
int db_session_find(db_t *db, const uint8_t hash[DB_HASH_LEN], db_session_t *out);
/* Records a use at now. */
int db_session_touch(db_t *db, int64_t id, int64_t now);
/* Revokes session id of user; DDNS_ENOENT if it is not theirs or already
 * ended. */
int db_session_revoke(db_t *db, int64_t user, int64_t id);
/* Revokes every session of user except `except` (0: all). */
int db_session_revoke_user(db_t *db, int64_t user, int64_t except);
/* Forgets user's sessions that ended before now (revoked, or expired). */
int db_session_prune(db_t *db, int64_t user, int64_t now);
/* Housekeeping: deletes what can never be used again, at most limit rows of
 * each kind: sessions revoked, past their lifetime (expires <= now) or
 * unused since seen_before; mailed links and invitations past their expiry
 * (a used invitation stays: it tells who came in by whose). *n: rows
 * deleted; *more: some kind had limit rows or more. */
int db_logins_expire(db_t *db, int64_t now, int64_t seen_before, int limit, int *n, bool *more);
/* The user's unrevoked sessions, oldest first. */
int db_session_foreach(db_t *db, int64_t user, int (*fn)(const db_session_t *s, void *ctx),
                       void *ctx);

/* Mailed one-time tokens: kind "verify" or "reset". */
int db_mailtoken_add(db_t *db, const uint8_t hash[DB_HASH_LEN], int64_t user, const char *kind,
                     int64_t created, int64_t expires);
/* Uses the token: its user in *user. DDNS_ENOENT when no such token of
 * this kind; DDNS_ESTATE when it was used or has expired. */
int db_mailtoken_use(db_t *db, const uint8_t hash[DB_HASH_LEN], const char *kind, int64_t now,
                     int64_t *user);

/* Invitations (signup = invite). use: as db_mailtoken_use, for user. */
int db_invite_add(db_t *db, const uint8_t hash[DB_HASH_LEN], int64_t created, int64_t expires,
                  const char *actor);
int db_invite_use(db_t *db, const uint8_t hash[DB_HASH_LEN], int64_t now, int64_t user);

/* Users by address (password reset by email). */
int db_user_foreach_email(db_t *db, const char *email,
                          int (*fn)(const db_user_t *u, void *ctx), void *ctx);
/* A new password hash; bumps the user's credential generation. */
int db_user_set_password(db_t *db, int64_t id, const char *pwhash);
int db_user_set_verified(db_t *db, int64_t id);

/* Two-factor state of a user. */
typedef struct {
	uint8_t secret[64], pending[64];
	size_t secret_len, pending_len;  /* 0: none */
	int64_t last;                    /* last step that logged in */
} db_totp_t;

int db_totp_get(db_t *db, int64_t user, db_totp_t *out);
/* Offers a secret (not yet on). */
int db_totp_set_pending(db_t *db, int64_t user, const uint8_t *secret, size_t len);
/* Turns the pending secret on, with last step `last`. */
int db_totp_enable(db_t *db, int64_t user, int64_t last);
/* Turns two-factor off and forgets its secrets and recovery codes. */
int db_totp_disable(db_t *db, int64_t user);
int db_totp_set_last(db_t *db, int64_t user, int64_t last);

/* Recovery codes: replaces the user's set with n new hashes. */
int db_recovery_replace(db_t *db, int64_t user, const uint8_t (*hashes)[DB_HASH_LEN], size_t n);
/* Uses one: DDNS_ENOENT when no unused code has this hash. */
int db_recovery_use(db_t *db, int64_t user, const uint8_t hash[DB_HASH_LEN]);
/* How many unused codes the user has. */
int db_recovery_left(db_t *db, int64_t user, int *n);
