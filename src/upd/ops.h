/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The operations the writer applies: accounts, hosts, tokens, TSIG keys,
 * suspension, import. Each is a wop_fn taking its argument structure in
 * wreq_t.args; names arrive already checked and normalised by the caller
 * (hostname_normalize), secrets already hashed (never in the database or
 * the audit log in clear). Administrative actions append to the audit
 * chain; host updates to the host's history. Writer thread only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "auth/totp.h"
#include "lib/conf.h"
#include "store/account.h"
#include "store/audit.h"
#include "upd/writer.h"

#define OP_ACTOR_MAX 128

typedef struct {
	char name[64];
	char email[DB_NAME_MAX];
	int max_hosts;
	char pwhash[192];
	bool admin;                      /* an operator of the dashboard */
	bool unverified;                 /* signed up: the address is not confirmed yet */
	char signup_net[48];             /* signed up from this network (desk_signup_net) */
	char actor[OP_ACTOR_MAX];
} op_user_add_t;

typedef struct {
	char name[64];
	char actor[OP_ACTOR_MAX];
} op_user_del_t;

/* Gives a user the admin role (the operators' pages) or takes it away;
 * audited when it changes anything (adminops.c). */
typedef struct {
	char name[64];
	bool admin;
	char actor[OP_ACTOR_MAX];
} op_user_admin_t;

typedef struct {
	char fqdn[DB_NAME_MAX];          /* checked by the writer (namecheck.h) */
	char user[64];
	bool has_v4, has_v6;
	uint8_t v4[4], v6[16];
	uint32_t ttl;                    /* 0: the zone's default */
	char actor[OP_ACTOR_MAX];
} op_host_add_t;

enum op_host_set {
	HSET_V4 = 1 << 0,       /* set v4 (or clear it when !has_v4) */
	HSET_V6 = 1 << 1,
	HSET_TTL = 1 << 2,
	HSET_TXT = 1 << 3,      /* replace the TXT values at the host */
	HSET_ACME_ADD = 1 << 4, /* add one _acme-challenge value */
	HSET_ACME_DEL = 1 << 5, /* remove one _acme-challenge value (or all if empty) */
	HSET_MX = 1 << 6,
	HSET_WILDCARD = 1 << 7,
	HSET_OFFLINE = 1 << 8,  /* set the offline flag to `offline` */
	HSET_MX_PREF = 1 << 9,  /* change only the preference of the MX */
	HSET_UNBLOCK = 1 << 10, /* lift a block for abusive polling */
	HSET_ACME_SET = 1 << 11, /* replace the ACME values (acme_all, a JSON array) */
};

typedef struct {
	char fqdn[DB_NAME_MAX];
	unsigned set;                    /* enum op_host_set */
	bool has_v4, has_v6;
	uint8_t v4[4], v6[16];
	uint32_t ttl;
	char txt[DB_TXT_MAX];            /* JSON array for HSET_TXT */
	char acme[256];                  /* value for HSET_ACME_ADD/DEL */
	char acme_all[DB_TXT_MAX];       /* JSON array for HSET_ACME_SET */
	char mx[DB_NAME_MAX];
	int mx_pref;
	bool wildcard;
	bool offline;
	int64_t user;                    /* != 0: the host must belong to this user
	                                    (-1: to nobody, i.e. refuse) */
	char src[64];                    /* who sent it: address or tool */
	char client[128];
	char actor[OP_ACTOR_MAX];        /* non-empty: also audit it */
	/* out */
	bool nochg;                      /* nothing changed; nothing written */
	int state;                       /* the host's state (abuse: suspended) */
	db_host_t *out;                  /* set by the submitter: the host as it is
	                                    now goes here instead of a JSON result
	                                    (ops_host_update_json makes it on the
	                                    submitter's thread, off the writer's) */
} op_host_update_t;

typedef struct {
	char fqdn[DB_NAME_MAX];
	bool suspend;                    /* true: suspend, false: resume */
	char reason[DB_TEXT_MAX];
	char evidence[DB_TEXT_MAX];
	char actor[OP_ACTOR_MAX];
} op_host_state_t;

typedef struct {
	char fqdn[DB_NAME_MAX];
	char actor[OP_ACTOR_MAX];
} op_host_del_t;

typedef struct {
	char fqdn[DB_NAME_MAX];
	uint8_t hash[32];
	char name[64];
	int64_t user;                    /* != 0: the host must be this user's */
	char actor[OP_ACTOR_MAX];
} op_token_add_t;

/* Revoking a host token (id) of a host of user. */
typedef struct {
	char fqdn[DB_NAME_MAX];
	int64_t id;
	int64_t user;
} op_token_revoke_t;

/* API tokens of a user. */
typedef struct {
	int64_t user;
	uint8_t hash[32];
	char name[64];
	int64_t id;                      /* revoke: the token; add: out */
} op_apitoken_t;

typedef struct {
	char keyname[DB_NAME_MAX];
	char fqdn[DB_NAME_MAX];          /* "" for a transfer key */
	char algorithm[32];
	uint8_t secret[64];
	size_t secret_len;
	char actor[OP_ACTOR_MAX];
} op_tsig_add_t;

int op_user_add(wctx_t *w, wreq_t *r);
int op_user_del(wctx_t *w, wreq_t *r);
int op_user_admin(wctx_t *w, wreq_t *r);
int op_host_add(wctx_t *w, wreq_t *r);
int op_host_update(wctx_t *w, wreq_t *r);
int op_host_state(wctx_t *w, wreq_t *r);
int op_host_del(wctx_t *w, wreq_t *r);
int op_token_add(wctx_t *w, wreq_t *r);
int op_tsig_add(wctx_t *w, wreq_t *r);
int op_token_revoke(wctx_t *w, wreq_t *r);

/* An audit row and nothing else, for what was done outside the writer (a
 * backup). */
typedef struct {
	char actor[OP_ACTOR_MAX];
	char action[64];
	char target[256];
} op_audit_note_t;
int op_audit_note(wctx_t *w, wreq_t *r);

/* Blocks a host's updates for abusive polling (args: op_host_state_t,
 * reason says what it did). Its records stay served. */
int op_host_block(wctx_t *w, wreq_t *r);
int op_apitoken_add(wctx_t *w, wreq_t *r);
int op_apitoken_revoke(wctx_t *w, wreq_t *r);
/* Notes that API token a->id was used now (its last_used). */
int op_apitoken_used(wctx_t *w, wreq_t *r);

/*
 * The web dashboard's account operations (accountops.c). One argument
 * structure serves them all; each reads the fields it names. Secrets arrive
 * hashed (argon2id made on an auth thread, cookies and codes as BLAKE2b),
 * except the one-time tokens mailed to people, which the operation makes
 * itself because the mail that carries them is queued in the same
 * transaction.
 */
typedef struct {
	int64_t user;                    /* the account's id, when known */
	char name[64];                   /* its name (sign-up: the new name) */
	char email[DB_NAME_MAX];         /* sign-up, reset request by address */
	char pwhash[192];                /* a new password's argon2id hash */
	uint8_t hash[32];                /* a session cookie's, mailed token's or invitation's hash */
	bool has_invite;                 /* sign-up: this invitation is used */
	uint8_t invite[32];
	int64_t session;                 /* revoke this session / keep this one */
	char csrf[64];                   /* a new session's CSRF token */
	int64_t expires;                 /* a new session's or invitation's end */
	char src[64], client[128];       /* where a new session logs in from */
	int64_t step;                    /* > 0: a TOTP step used now (must be > totp_last) */
	bool has_recovery;               /* a recovery code used now */
	uint8_t recovery[TOTP_RECOVERY_HASH];
	uint8_t secret[TOTP_SECRET_LEN]; /* the TOTP secret offered */
	uint8_t codes[TOTP_RECOVERY_COUNT][TOTP_RECOVERY_HASH]; /* new recovery codes */
	bool audit;                      /* revoke: an explicit one, audited */
	char actor[OP_ACTOR_MAX];        /* "web:NAME", "ctl:..." */
} op_account_t;

/* Housekeeping (args: NULL): accounts whose address was not confirmed
 * within unconfirmed-expire are deleted, a batch at a time. */
int op_accounts_tick(wctx_t *w, wreq_t *r);

/* Housekeeping (args: NULL): update history older than history-keep is
 * deleted, a bounded number of rows per call; result {"deleted", "more"}
 * when there was any, "more" when the next call would find more. */
int op_history_tick(wctx_t *w, wreq_t *r);

/* Housekeeping (args: NULL): what can never be used again — ended
 * dashboard sessions, expired mailed links and unused invitations — and
 * notifications delivered longer than outbox-keep ago are deleted, a
 * bounded number of rows per call; result as op_history_tick's. */
int op_records_tick(wctx_t *w, wreq_t *r);

/* Sign-up: an unverified user, its verification token and mail. */
int op_signup(wctx_t *w, wreq_t *r);
/* Confirms an address with a mailed token (hash). */
int op_verify(wctx_t *w, wreq_t *r);
/* Mails a reset link to the account called name, or to every account
 * with address email; nothing (and no error) when there is none. */
int op_reset_request(wctx_t *w, wreq_t *r);
/* A new password (pwhash) with a mailed reset token (hash); every session
 * of the user ends. The user's name comes back in name. */
int op_reset_confirm(wctx_t *w, wreq_t *r);
/* A new password for user; sessions other than session end. */
int op_password_change(wctx_t *w, wreq_t *r);
/* A new session (hash of the cookie, csrf, expires, src, client); uses the
 * TOTP step or recovery code given. */
int op_session_create(wctx_t *w, wreq_t *r);
/* Ends session of user (audited when audit is set). */
int op_session_revoke(wctx_t *w, wreq_t *r);
/* Records a use of session. */
int op_session_touch(wctx_t *w, wreq_t *r);
/* Two-factor: offers secret; turns it on (step, codes); turns it off. */
int op_totp_begin(wctx_t *w, wreq_t *r);
int op_totp_confirm(wctx_t *w, wreq_t *r);
int op_totp_disable(wctx_t *w, wreq_t *r);
/* An invitation (hash, expires, actor). */
int op_invite_add(wctx_t *w, wreq_t *r);
/* Deletes the account called name with its hosts (as `user del`). */
int op_account_delete(wctx_t *w, wreq_t *r);

/* args: a json_t* produced by ctl's export (see src/ctl/dump.c); only into
 * a database without users or hosts. */
int op_import(wctx_t *w, wreq_t *r);

/* 0 when a user may give a host in zone zc this TTL (ttl-min, ttl-max);
 * -EINVAL with a sentence in msg otherwise. Any thread. */
int ops_ttl_check(const conf_zone_t *zc, uint32_t ttl, char *msg, size_t msglen);

/* The JSON description of a host, as `host show` and the API print it. */
json_t *ops_host_json(const db_host_t *h);

/* The result of a successful host update whose host went to a->out. */
json_t *ops_host_update_json(const op_host_update_t *a, const db_host_t *h);

/* A user as `ddnsctl user list` and the admin API show it, with how many
 * hosts they have (read from db, the caller's connection). Never the
 * password hash or the TOTP secret. */
json_t *ops_user_json(db_t *db, const db_user_t *u);

/* One audit row as `ddnsctl audit` and the admin API print it. */
json_t *ops_audit_json(const db_audit_t *a);

/* Appends an administrative action to the audit chain (writer thread). */
int ops_audit(wctx_t *w, const char *actor, const char *action, const char *target,
              const char *reason, const char *evidence);
