/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Users, hosts, tokens, TSIG keys and update history in the database. Like
 * all of src/store: one thread per db_t at a time (the writer thread for
 * changes, a reader connection for lists). Strings are copied into the
 * structures; nothing returned points into SQLite.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

#define DB_NAME_MAX   256
#define DB_TEXT_MAX   512
#define DB_TXT_MAX    2600   /* JSON array of TXT strings */

typedef struct {
	int64_t id;
	char name[64];
	char email[DB_NAME_MAX];
	char pwhash[192];
	int max_hosts;
	int64_t created;
	bool disabled;
	int64_t generation;      /* bumped on password change */
	bool admin;              /* an operator: the dashboard's admin pages */
	bool verified;           /* the email address is confirmed */
	bool totp;               /* two-factor log-in is on */
	char signup_net[48];     /* signed up from this /24 or /64; "" if not
	                            through the web or from loopback */
} db_user_t;

/* BLOCKED: updates refused for abusive polling (records still served);
 * its owner lifts it. SUSPENDED: taken down by the abuse desk. */
enum host_state { HOST_ACTIVE = 0, HOST_OFFLINE = 1, HOST_SUSPENDED = 2, HOST_BLOCKED = 3 };

typedef struct {
	int64_t id;
	int64_t zone;
	int64_t user;
	char name[DB_NAME_MAX];          /* FQDN, lower case, no final dot */
	uint8_t owner[255];              /* relative lower-case wire name */
	uint8_t ownerlen;
	bool has_v4, has_v6;
	uint8_t v4[4], v6[16];
	char txt[DB_TXT_MAX];            /* JSON array: TXT strings at the host */
	char acme[DB_TXT_MAX];           /* JSON array: TXT at _acme-challenge */
	char mx[DB_NAME_MAX];            /* MX exchange, "" for none */
	int mx_pref;
	bool wildcard;
	uint32_t ttl;
	int state;                       /* enum host_state */
	char reason[DB_TEXT_MAX];        /* why suspended */
	int64_t created, updated;
	char src[64];                    /* address of the last update */
	char client[128];                /* User-Agent or tool of the last update */
} db_host_t;

/* Users. add: DDNS_EEXIST for a taken name. get: DDNS_ENOENT. */
int db_user_add(db_t *db, db_user_t *u);
int db_user_get(db_t *db, const char *name, db_user_t *out);
int db_user_get_id(db_t *db, int64_t id, db_user_t *out);
/* A user whose name equals name but for ASCII case; DDNS_ENOENT if none. */
int db_user_get_nocase(db_t *db, const char *name, db_user_t *out);
int db_user_del(db_t *db, int64_t id);
int db_user_foreach(db_t *db, int (*fn)(const db_user_t *u, void *ctx), void *ctx);
/* Users whose address is unconfirmed, made before `before`, oldest first,
 * at most limit. */
int db_user_foreach_unconfirmed(db_t *db, int64_t before, int limit,
                                int (*fn)(const db_user_t *u, void *ctx), void *ctx);
/* Users who signed up from net with created in [from, to], oldest first. */
int db_user_foreach_signup(db_t *db, const char *net, int64_t from, int64_t to,
                           int (*fn)(const db_user_t *u, void *ctx), void *ctx);
int db_user_host_count(db_t *db, int64_t user, int *count);

/* Hosts. add fills h->id; DDNS_EEXIST for a taken name. */
int db_host_add(db_t *db, db_host_t *h);
int db_host_get(db_t *db, const char *name, db_host_t *out);
int db_host_get_id(db_t *db, int64_t id, db_host_t *out);
int db_host_put(db_t *db, const db_host_t *h);
int db_host_del(db_t *db, int64_t id);
/* Hosts created since `since` whose IPv4 (family 4, 4 bytes) or IPv6
 * address (16 bytes) is addr (the abuse heuristics). */
int db_host_foreach_recent_addr(db_t *db, int64_t since, int family, const uint8_t *addr,
                                int (*fn)(const db_host_t *h, void *ctx), void *ctx);
/* zone / user < 0: any. Ordered by zone, then owner (the loader relies on it). */
int db_host_foreach(db_t *db, int64_t zone, int64_t user,
                    int (*fn)(const db_host_t *h, void *ctx), void *ctx);

/* Static (imported) records at one owner. */
int db_rr_owner_foreach(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen,
                        db_rr_fn fn, void *ctx);

/* Update tokens: only a hash is stored. */
typedef struct {
	int64_t id, host;
	uint8_t hash[32];
	char name[64];
	int64_t created, last_used, expires;
	bool revoked;
} db_token_t;

/* Adds t with all its fields (last_used and revoked too, for imports). */
int db_token_add(db_t *db, db_token_t *t);
/* Finds an unrevoked token by hash; DDNS_ENOENT otherwise. */
int db_token_find(db_t *db, const uint8_t hash[32], db_token_t *out);
int db_token_revoke(db_t *db, int64_t id);
/* The token changed its host at now (nochg polls write nothing). */
int db_token_used(db_t *db, int64_t id, int64_t now);
int db_token_foreach(db_t *db, int64_t host, int (*fn)(const db_token_t *t, void *ctx), void *ctx);

/* API tokens: bearer tokens of the JSON API, one user's each. */
int db_apitoken_add(db_t *db, int64_t user, const uint8_t hash[32], const char *name,
                    int64_t created, int64_t *id);
/* The user of an unrevoked API token, the token's id and when it was last
 * used; DDNS_ENOENT otherwise. */
int db_apitoken_user(db_t *db, const uint8_t hash[32], int64_t *user, int64_t *id,
                     int64_t *last_used);
/* Records a use of API token id at now. */
int db_apitoken_used(db_t *db, int64_t id, int64_t now);
/* Revokes token id if it belongs to user; DDNS_ENOENT otherwise. */
int db_apitoken_revoke(db_t *db, int64_t user, int64_t id);
int db_apitoken_foreach(db_t *db, int64_t user, int (*fn)(const db_token_t *t, void *ctx),
                        void *ctx);

/* TSIG keys. */
typedef struct {
	int64_t id;
	char name[DB_NAME_MAX];
	char algorithm[32];
	uint8_t secret[64];
	size_t secret_len;
	int64_t host;                    /* 0: not tied to a host (transfers) */
	char scope[64];                  /* "host" or "transfer" */
	int64_t created;
} db_tsig_t;

int db_tsig_add(db_t *db, db_tsig_t *k);
int db_tsig_foreach(db_t *db, int (*fn)(const db_tsig_t *k, void *ctx), void *ctx);
/* The key called name (lower case, no final dot); DDNS_ENOENT if none. */
int db_tsig_get(db_t *db, const char *name, db_tsig_t *k);

/* Update history of a host. */
typedef struct {
	int64_t id, host, time;
	char src[64], client[128];
	char old[DB_TEXT_MAX], new_[DB_TEXT_MAX];
	char result[64];
} db_history_t;

/* Adds h; its new id in *id when id is not NULL. */
int db_history_add(db_t *db, const db_history_t *h, int64_t *id);
/* Deletes the rows of host older than its newest keep (keep >= 1). */
int db_history_trim(db_t *db, int64_t host, unsigned keep);
/* Deletes those of the oldest limit rows (of all hosts) written before
 * `before`; how many went in *n. */
int db_history_expire(db_t *db, int64_t before, int limit, int *n);
/* Newest first, at most limit rows (0: all). */
int db_history_foreach(db_t *db, int64_t host, int limit,
                       int (*fn)(const db_history_t *h, void *ctx), void *ctx);

/* Every history row of every host, oldest first (exports). */
int db_history_foreach_all(db_t *db, int (*fn)(const db_history_t *h, void *ctx), void *ctx);

/* The per-serial journal of record changes (IXFR). */
int db_journal_add(db_t *db, int64_t zone, uint32_t serial, int64_t time,
                   const uint8_t *removed, size_t rlen, const uint8_t *added, size_t alen);

/* Savepoints around one request inside a batch. */
int db_savepoint(db_t *db);
int db_release(db_t *db);
int db_rollback_savepoint(db_t *db);

/* Deletes the records at one owner whose types are in the bit mask types
 * (bit t for type t; only types below 64). */
int db_rr_delete_types(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen,
                       uint64_t types);

/* One record as db_rr_set_types wants it; rdata is the caller's. */
typedef struct {
	uint16_t type;
	uint16_t rdlen;
	uint32_t ttl;
	const uint8_t *rdata;
} db_rr_t;

/*
 * Makes the records at one owner whose types are in the bit mask types
 * (as above) exactly want[0..n) (duplicates count once): deletes the rows
 * not wanted, adds the missing ones (or their new TTL) and leaves the equal
 * ones alone, so a record that did not change costs no write. Every type
 * in want must be in types. 0 or DDNS_EDB.
 */
int db_rr_set_types(db_t *db, int64_t zone, const uint8_t *owner, size_t ownerlen,
                    uint64_t types, const db_rr_t *want, size_t n);

/* Journal rows of a zone with serial after `after` (RFC 1982 order is the
 * caller's business: rows come by ascending serial number). */
typedef int (*db_journal_fn)(uint32_t serial, const uint8_t *removed, size_t rlen,
                             const uint8_t *added, size_t alen, void *ctx);
int db_journal_foreach(db_t *db, int64_t zone, uint32_t after, db_journal_fn fn, void *ctx);

/* Deletes a zone's journal rows of serials below `below` (a range on the
 * primary key: its cost does not grow with the journal). */
int db_journal_prune(db_t *db, int64_t zone, int64_t below);

/* ---- the operators' pages ---- */

/* Gives user id the admin role or takes it away. DDNS_ENOENT: no such
 * user. */
int db_user_set_admin(db_t *db, int64_t id, bool admin);

/* Users whose name or email contains text, hosts whose name or owner's
 * name does (any case; text is taken literally: % and _ are no
 * wildcards), by name, at most limit. fn's non-zero return stops and is returned. -EINVAL for a
 * text longer than DB_TEXT_MAX. */
int db_user_search(db_t *db, const char *text, int limit,
                   int (*fn)(const db_user_t *u, void *ctx), void *ctx);
int db_host_search(db_t *db, const char *text, int limit,
                   int (*fn)(const db_host_t *h, void *ctx), void *ctx);

/* How many users and hosts there are; the hosts of one zone. */
int db_count_users_hosts(db_t *db, int64_t *users, int64_t *hosts);
int db_zone_host_count(db_t *db, int64_t zone, int64_t *hosts);
