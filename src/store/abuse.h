/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The abuse desk's tables: reports about hosts and where each stands,
 * trusted reporters (identified by the hash of an API key), names held
 * after deletion (tombstones), and the notification outbox (messages to
 * owners and reporters, kept until delivered). Same threading rules as the
 * rest of src/store: changes on the writer thread, reads on any connection.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/account.h"
#include "store/db.h"

#define DB_REPORT_REF_LEN 12     /* public report IDs: 12 base32 characters */
#define DB_EVIDENCE_MAX   4096
#define DB_URLS_MAX       4096   /* JSON array of URLs */
#define DB_CONTACT_MAX    256

/*
 * A report's status:
 *   open       waiting for an operator (also: flagged by a heuristic)
 *   suspended  the host is suspended provisionally (a trusted reporter, or
 *              a heuristic when configured) until `expires` unless confirmed
 *   confirmed  an operator suspended the host (or confirmed the suspension)
 *   rejected   an operator found nothing to act on
 *   expired    a provisional suspension ran out unconfirmed; host resumed
 *   appealed   the owner appealed; waiting for an operator again
 *   reversed   the appeal succeeded; host resumed
 */
typedef struct {
	int64_t id;
	char ref[DB_REPORT_REF_LEN + 1];
	int64_t created, updated;
	char host[DB_NAME_MAX];          /* the FQDN reported, normalised */
	char category[32];
	char evidence[DB_EVIDENCE_MAX];
	char urls[DB_URLS_MAX];
	char contact[DB_CONTACT_MAX];
	char src[64];                    /* the reporter's address */
	char klass[16];                  /* public | trusted | heuristic */
	int64_t reporter;                /* trusted reporter id, or 0 */
	char status[16];
	int64_t expires;                 /* end of a provisional suspension */
	int64_t acted;                   /* first action on it (suspend or reject) */
	int64_t suspended;               /* when it suspended the host (0: never) */
	int64_t reversed;                /* when reversed on appeal (0: never) */
	char outcome[DB_TEXT_MAX];       /* the operator's reason, told to both sides */
	char appeal[DB_TEXT_MAX];        /* the owner's appeal */
} db_report_t;

/* add: fills id. put: stores every mutable field of r (by id). */
int db_report_add(db_t *db, db_report_t *r);
int db_report_put(db_t *db, const db_report_t *r);
/* By public ID: 0 or DDNS_ENOENT. */
int db_report_get(db_t *db, const char *ref, db_report_t *out);

/* Reports, newest first: status NULL for all, "queue" for those waiting
 * for an operator (open, suspended, appealed); host NULL for any host. At
 * most limit (0: no limit). fn's non-zero return stops and is returned. */
int db_report_foreach(db_t *db, const char *status, const char *host, int limit,
                      int (*fn)(const db_report_t *r, void *ctx), void *ctx);

/* Every report, oldest first (the transparency figures). */
int db_report_foreach_all(db_t *db, int (*fn)(const db_report_t *r, void *ctx), void *ctx);

/* Provisional suspensions whose time is up (expires <= now). */
int db_report_foreach_due(db_t *db, int64_t now, int (*fn)(const db_report_t *r, void *ctx),
                          void *ctx);

/* The earliest end of a provisional suspension: 0 and *when, or DDNS_ENOENT. */
int db_report_next_expiry(db_t *db, int64_t *when);

/* How many reports other than except keep host suspended (suspended,
 * confirmed or appealed, having suspended it). */
int db_report_holding(db_t *db, const char *host, int64_t except, int *count);

/* Whether host already has a report waiting for review (open, suspended
 * or appealed). */
int db_report_pending(db_t *db, const char *host, bool *pending);

typedef struct {
	int64_t id;
	char name[64];
	int64_t created;
	bool suspend;                    /* its reports suspend at once */
	bool revoked;
} db_reporter_t;

int db_reporter_add(db_t *db, db_reporter_t *r, const uint8_t hash[32]);
/* The reporter whose key hashes to hash, if not revoked: 0 or DDNS_ENOENT. */
int db_reporter_find(db_t *db, const uint8_t hash[32], db_reporter_t *out);
int db_reporter_get_id(db_t *db, int64_t id, db_reporter_t *out);
/* 0, or DDNS_ENOENT when there is no such (unrevoked) reporter. */
int db_reporter_revoke(db_t *db, const char *name);
int db_reporter_foreach(db_t *db, int (*fn)(const db_reporter_t *r, void *ctx), void *ctx);

/* Names held after deletion. get: DDNS_ENOENT when not held (or no longer:
 * until <= now). */
int db_tombstone_put(db_t *db, const char *name, int64_t until, int64_t user, bool suspended);
int db_tombstone_get(db_t *db, const char *name, int64_t now, int64_t *until, int64_t *user,
                     bool *suspended);
int db_tombstone_prune(db_t *db, int64_t now);
/* The user is deleted: nobody may take its held names back (user ids are
 * reused by SQLite, and the next new user must not inherit that right). */
int db_tombstone_disown(db_t *db, int64_t user);

/* The outbox: a message to deliver by email (rcpt: an address) or webhook
 * (rcpt: a URL; body: JSON). */
typedef struct {
	int64_t id;
	int64_t created;
	char kind[16];                   /* "email" | "webhook" */
	char rcpt[1024];
	char subject[256];
	char body[8192];
	int attempts;
	int64_t next_try;
	int64_t delivered;               /* 0 until delivered */
	char error[256];                 /* the last failure */
} db_outbox_t;

int db_outbox_add(db_t *db, const char *kind, const char *rcpt, const char *subject,
                  const char *body, int64_t now);
/* Undelivered messages due (next_try <= now), oldest first, at most limit. */
int db_outbox_foreach_due(db_t *db, int64_t now, int limit,
                          int (*fn)(const db_outbox_t *m, void *ctx), void *ctx);
/* Every message, newest first; pending only if asked. */
int db_outbox_foreach(db_t *db, bool pending, int limit,
                      int (*fn)(const db_outbox_t *m, void *ctx), void *ctx);
/* After an attempt: delivered (at now), or failed with error and retried
 * at next_try. */
int db_outbox_mark(db_t *db, int64_t id, bool delivered, int64_t now, int64_t next_try,
                   const char *error);
/* Deletes at most limit messages delivered before `before`; *n: how many. */
int db_outbox_expire(db_t *db, int64_t before, int limit, int *n);
