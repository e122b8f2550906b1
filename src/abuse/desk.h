/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The abuse desk's policy, as writer operations: reports (public, from
 * trusted reporters, from heuristics), the operator's decisions, appeals,
 * provisional suspensions that expire, and names held after deletion.
 * Every decision is audited and told to the host's owner (the outbox).
 * The operations run on the writer thread; see upd/writer.h.
 *
 * A report's life (store/abuse.h lists the statuses):
 *
 *   public report ──> open ──(operator suspends)──> confirmed ──(appeal)──> appealed
 *   trusted report ─> suspended (provisional, expires) ──(confirmed)──^        |
 *        |                └─(time up)──> expired        (operator rejects) ─┴─> reversed
 *        └─ open, when the reporter may not suspend    open ─(rejects)─> rejected
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store/abuse.h"
#include "upd/ops.h"
#include "upd/writer.h"

/* Report categories accepted from reporters. */
extern const char *const desk_categories[];
extern const size_t desk_category_count;

typedef struct {
	char host[DB_NAME_MAX];          /* normalised FQDN */
	char category[32];
	char evidence[DB_EVIDENCE_MAX];
	char urls[DB_URLS_MAX];          /* JSON array */
	char contact[DB_CONTACT_MAX];
	char src[64];                    /* the reporter's address */
	char klass[16];                  /* public | trusted | heuristic */
	int64_t reporter;                /* trusted reporter id */
	char reporter_name[64];
	bool suspend;                    /* suspend provisionally at once */
	/* out: r->result = {"id", "status", "host", "expires"} */
} op_report_t;

enum desk_action { DESK_SUSPEND, DESK_REJECT };

typedef struct {
	char ref[DB_REPORT_REF_LEN + 1];
	enum desk_action action;
	char reason[DB_TEXT_MAX];
	char actor[OP_ACTOR_MAX];
} op_abuse_decide_t;

typedef struct {
	char host[DB_NAME_MAX];
	int64_t user;                    /* the host must be this user's */
	char text[DB_TEXT_MAX];
	char actor[OP_ACTOR_MAX];
} op_appeal_t;

typedef struct {
	char name[64];
	uint8_t hash[32];                /* of the API key (auth_token_hash) */
	bool suspend;                    /* may suspend at once */
	bool revoke;                     /* op_reporter: revoke instead of add */
	char actor[OP_ACTOR_MAX];
} op_reporter_t;

/* A new report (args op_report_t). DDNS_ENOENT when the host is not ours. */
int op_report(wctx_t *w, wreq_t *r);

/* An operator's decision on a report (args op_abuse_decide_t). */
int op_abuse_decide(wctx_t *w, wreq_t *r);

/* The owner appeals against the suspension of their host (op_appeal_t):
 * the case goes back to the queue. */
int op_appeal(wctx_t *w, wreq_t *r);

/* Adds or revokes a trusted reporter (op_reporter_t). */
int op_reporter(wctx_t *w, wreq_t *r);

/* Housekeeping, run by the desk's timer every few seconds: provisional
 * suspensions whose time is up are lifted (report status "expired"),
 * expired tombstones pruned. args: NULL. */
int op_abuse_tick(wctx_t *w, wreq_t *r);

/*
 * Called by the host operations on the writer thread, inside their
 * transaction. desk_host_created: a new host (heuristics: many new hosts
 * on one address, a blocklisted address). desk_host_addressed: a host's
 * address changed (blocklist). desk_host_deleted: the name is held for
 * hold-deleted (or hold-suspended). desk_name_held (any thread with its
 * own db, as of now): 0, or DDNS_ERESERVED with the reason in msg when the
 * name may not be registered by user (namecheck.h asks it).
 */
int desk_host_created(wctx_t *w, const db_host_t *h);

/* A user signed up over the web (writer, in the sign-up's transaction):
 * when abuse-signups accounts came from the same network within
 * abuse-window, the hosts they have are flagged (and desk_host_created
 * flags the ones they make later). */
int desk_user_signed_up(wctx_t *w, const db_user_t *u);

/* The network a sign-up from addr (text) counts against: "a.b.c.0/24" or
 * the /64 of an IPv6 address; "" for loopback (a local proxy or tool, not
 * a client) and anything unparseable. Any thread. */
void desk_signup_net(const char *addr, char *out, size_t len);
int desk_host_addressed(wctx_t *w, const db_host_t *h, const db_host_t *old);
int desk_host_deleted(wctx_t *w, const db_host_t *h);
int desk_name_held(db_t *db, int64_t now, const char *fqdn, int64_t user, char *msg,
                   size_t msglen);

/* Makes the blocklist the heuristics use *(struct netset **)r->args (NULL:
 * none) and leaves the previous one there for the caller to free: the
 * writer is the only thread that reads it, so once writer_call returns the
 * old set is unused. */
int op_blocklist(wctx_t *w, wreq_t *r);

/* The JSON of a report for the operator (everything), or for the public
 * and the owner (no reporter identity, no contact, no evidence). */
json_t *desk_report_json(const db_report_t *r, bool full);

/* One report as the operator sees it (ddnsctl abuse show, the admin API):
 * everything, the reported host as it is now with its owner, and the
 * trusted reporter's name. Any thread with its own db. */
json_t *desk_report_show(db_t *db, const db_report_t *r);
