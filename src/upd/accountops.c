/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The web dashboard's account operations: sign-up and verification,
 * password reset and change, browser sessions, two-factor log-in,
 * invitations, account deletion. See ops.h. Writer thread.
 *
 * A mail that carries a one-time link is queued in the outbox inside the
 * same transaction as the token it carries, so a sign-up never exists
 * without its mail nor a mail without its token.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "auth/auth.h"
#include "abuse/desk.h"
#include "lib/errors.h"
#include "store/abuse.h"
#include "store/session.h"
#include "upd/ops.h"

#define VERIFY_VALID 86400      /* a verification link lasts a day */
#define RESET_VALID 3600        /* a reset link an hour */

static const char *service(const conf_t *c)
{
	return c->zone_count ? c->zones[0].name : "ddnsd";
}

/* The base of links in mails: public-url, else the first http-listen. */
static void base_url(const conf_t *c, char *buf, size_t len)
{
	if (c->public_url[0] != '\0') {
		snprintf(buf, len, "%s", c->public_url);
	} else if (c->http_listen.n > 0) {
		char a[128];
		snprintf(buf, len, "http://%s", conf_addr_str(&c->http_listen.v[0], a, sizeof(a)));
	} else {
		snprintf(buf, len, "http://localhost");
	}
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] == '/')
		buf[n - 1] = '\0';
}

/*
 * Makes a one-time token of kind ("verify" or "reset") for user u, stores
 * its hash, and queues the mail with its link. A user without an address
 * gets nothing (ddnsctl users may have none).
 */
static int mail_token(wctx_t *w, const db_user_t *u, const char *kind)
{
	const conf_t *c = wctx_conf(w);
	bool verify = strcmp(kind, "verify") == 0;
	if (u->email[0] == '\0')
		return 0;
	char text[AUTH_TOKEN_TEXT_MAX], base[300], subject[256], body[2048];
	uint8_t hash[AUTH_TOKEN_HASH_LEN];
	auth_token_new(text, hash);
	int64_t now = wctx_now(w);
	int ret = db_mailtoken_add(wctx_db(w), hash, u->id, kind, now,
	                           now + (verify ? VERIFY_VALID : RESET_VALID));
	if (ret != 0)
		goto out;
	base_url(c, base, sizeof(base));
	if (verify) {
		snprintf(subject, sizeof(subject), "[%s] Confirm your e-mail address", service(c));
		snprintf(body, sizeof(body),
		         "Hello %s,\n\n"
		         "you (or somebody giving your address) signed up for an account at\n"
		         "the dynamic DNS service %s. To confirm that this address is yours\n"
		         "and start using the account, open this link within 24 hours:\n\n"
		         "    %s/#/verify/%s\n\n"
		         "If you did not sign up, ignore this message: the account stays\n"
		         "unusable and nobody can log in to it.\n\n"
		         "-- \n%s dynamic DNS\n", u->name, service(c), base, text, service(c));
	} else {
		snprintf(subject, sizeof(subject), "[%s] Reset your password", service(c));
		snprintf(body, sizeof(body),
		         "Hello %s,\n\n"
		         "somebody asked to reset the password of your account at the\n"
		         "dynamic DNS service %s. To choose a new password, open this link\n"
		         "within an hour; it works once:\n\n"
		         "    %s/#/reset/%s\n\n"
		         "Setting a new password logs out every browser logged in to your\n"
		         "account. If you did not ask for this, ignore this message: your\n"
		         "password stays as it is.\n\n"
		         "-- \n%s dynamic DNS\n", u->name, service(c), base, text, service(c));
	}
	ret = db_outbox_add(wctx_db(w), "email", u->email, subject, body, now);
out:
	sodium_memzero(text, sizeof(text));
	sodium_memzero(body, sizeof(body));
	return ret;
}

static int get_user(wctx_t *w, wreq_t *r, int64_t id, db_user_t *u)
{
	int ret = db_user_get_id(wctx_db(w), id, u);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "this account does not exist (any more)");
	return ret;
}

/* Uses the second factor given with a request: a TOTP step must be newer
 * than the last one used (two requests with the same code may both have
 * passed the auth thread's check; only one gets here first), a recovery
 * code must be unused. */
static int use_factor(wctx_t *w, wreq_t *r, const op_account_t *a)
{
	db_t *db = wctx_db(w);
	int ret = 0;
	if (a->step > 0) {
		db_totp_t t;
		if ((ret = db_totp_get(db, a->user, &t)) != 0)
			return ret;
		sodium_memzero(&t.secret, sizeof(t.secret));
		sodium_memzero(&t.pending, sizeof(t.pending));
		if (a->step <= t.last) {
			snprintf(r->msg, sizeof(r->msg), "this code was already used; wait for the next one");
			return DDNS_EAUTH;
		}
		ret = db_totp_set_last(db, a->user, a->step);
	}
	if (ret == 0 && a->has_recovery) {
		ret = db_recovery_use(db, a->user, a->recovery);
		if (ret == DDNS_ENOENT) {
			snprintf(r->msg, sizeof(r->msg), "this recovery code is not valid or was already used");
			return DDNS_EAUTH;
		}
		if (ret == 0)
			ret = ops_audit(w, a->actor, "account.recovery-code", a->name, NULL, NULL);
	}
	return ret;
}

int op_signup(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	db_t *db = wctx_db(w);
	op_user_add_t ua;
	memset(&ua, 0, sizeof(ua));
	snprintf(ua.name, sizeof(ua.name), "%s", a->name);
	snprintf(ua.email, sizeof(ua.email), "%s", a->email);
	snprintf(ua.pwhash, sizeof(ua.pwhash), "%s", a->pwhash);
	snprintf(ua.actor, sizeof(ua.actor), "%s", a->actor);
	ua.max_hosts = (int)wctx_conf(w)->default_max_hosts;
	ua.unverified = true;
	desk_signup_net(a->src, ua.signup_net, sizeof(ua.signup_net));
	/* Checked again here: two sign-ups may race past the reader's check.
	 * "Alice" beside "alice" would let one pass for the other. */
	db_user_t same;
	int found = db_user_get_nocase(db, a->name, &same);
	if (found == 0) {
		snprintf(r->msg, sizeof(r->msg), "the name %s is taken; choose another", a->name);
		return DDNS_EEXIST;
	}
	if (found != DDNS_ENOENT)
		return found;
	/* The same path as `ddnsctl user add`, audit row included. */
	wreq_t sub;
	memset(&sub, 0, sizeof(sub));
	sub.op = op_user_add;
	sub.args = &ua;
	int ret = wctx_run(w, &sub);
	json_decref(sub.result);
	if (ret == DDNS_EEXIST)
		snprintf(r->msg, sizeof(r->msg), "the name %s is taken; choose another", a->name);
	else if (ret != 0)
		snprintf(r->msg, sizeof(r->msg), "%s", sub.msg);
	db_user_t u;
	if (ret == 0)
		ret = db_user_get(db, a->name, &u);
	if (ret == 0 && a->has_invite) {
		ret = db_invite_use(db, a->invite, wctx_now(w), u.id);
		if (ret == DDNS_ENOENT || ret == DDNS_ESTATE) {
			snprintf(r->msg, sizeof(r->msg), ret == DDNS_ENOENT ?
			         "this invitation code is not valid" :
			         "this invitation was already used or has expired");
			return DDNS_EAUTH;
		}
	}
	if (ret == 0)
		ret = mail_token(w, &u, "verify");
	if (ret == 0)
		ret = desk_user_signed_up(w, &u);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s, s:s, s:b}", "name", u.name, "email", u.email,
		                      "verified", 0);
	}
	return ret;
}

/* Uses a mailed token of kind; the user in *u. */
static int use_mailtoken(wctx_t *w, wreq_t *r, const op_account_t *a, const char *kind,
                         db_user_t *u)
{
	int64_t uid = 0;
	int ret = db_mailtoken_use(wctx_db(w), a->hash, kind, wctx_now(w), &uid);
	const char *what = strcmp(kind, "verify") == 0 ? "verification" : "reset";
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "this %s link is not valid; copy the whole link "
		         "from the mail", what);
	else if (ret == DDNS_ESTATE)
		snprintf(r->msg, sizeof(r->msg), "this %s link was already used or has expired; "
		         "ask for a new one", what);
	if (ret == DDNS_ENOENT || ret == DDNS_ESTATE)
		return DDNS_EMALF;
	return ret == 0 ? get_user(w, r, uid, u) : ret;
}

int op_verify(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	db_user_t u;
	int ret = use_mailtoken(w, r, a, "verify", &u);
	if (ret == 0)
		ret = db_user_set_verified(wctx_db(w), u.id);
	if (ret == 0) {
		char actor[OP_ACTOR_MAX];
		snprintf(actor, sizeof(actor), "web:%s", u.name);
		ret = ops_audit(w, actor, "account.verify", u.name, NULL, u.email);
	}
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s, s:b}", "name", u.name, "verified", 1);
	}
	return ret;
}

typedef struct {
	wctx_t *w;
	int ret;
} reset_t;

static int reset_one(const db_user_t *u, void *ctx)
{
	reset_t *rs = ctx;
	if (!u->disabled)
		rs->ret = mail_token(rs->w, u, "reset");
	return rs->ret;
}

int op_reset_request(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	reset_t rs = { w, 0 };
	int ret = 0;
	if (a->name[0] != '\0') {
		db_user_t u;
		ret = db_user_get(wctx_db(w), a->name, &u);
		if (ret == 0)
			ret = reset_one(&u, &rs);
		else if (ret == DDNS_ENOENT)
			ret = 0;
	} else {
		ret = db_user_foreach_email(wctx_db(w), a->email, reset_one, &rs);
	}
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:b}", "requested", 1);
	}
	return ret;
}

int op_reset_confirm(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	db_t *db = wctx_db(w);
	db_user_t u;
	int ret = use_mailtoken(w, r, a, "reset", &u);
	if (ret == 0)
		ret = db_user_set_password(db, u.id, a->pwhash);
	/* The mail reached its owner: the address is confirmed too. */
	if (ret == 0)
		ret = db_user_set_verified(db, u.id);
	if (ret == 0)
		ret = db_session_revoke_user(db, u.id, 0);
	if (ret == 0) {
		snprintf(a->name, sizeof(a->name), "%s", u.name);
		char actor[OP_ACTOR_MAX];
		snprintf(actor, sizeof(actor), "web:%s", u.name);
		ret = ops_audit(w, actor, "account.password-reset", u.name, NULL, NULL);
	}
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s}", "name", u.name);
	}
	return ret;
}

int op_password_change(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	db_t *db = wctx_db(w);
	int ret = db_user_set_password(db, a->user, a->pwhash);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "this account does not exist (any more)");
	if (ret == 0)
		ret = db_session_revoke_user(db, a->user, a->session);
	if (ret == 0)
		ret = ops_audit(w, a->actor, "account.password", a->name, NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s}", "name", a->name);
	}
	return ret;
}

int op_session_create(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	db_t *db = wctx_db(w);
	db_user_t u;
	int ret = get_user(w, r, a->user, &u);
	if (ret == 0)
		ret = use_factor(w, r, a);
	if (ret == 0)
		ret = db_session_prune(db, a->user, wctx_now(w));
	db_session_t s;
	memset(&s, 0, sizeof(s));
	s.user = a->user;
	snprintf(s.csrf, sizeof(s.csrf), "%s", a->csrf);
	s.created = wctx_now(w);
	s.expires = a->expires;
	snprintf(s.src, sizeof(s.src), "%s", a->src);
	snprintf(s.client, sizeof(s.client), "%s", a->client);
	if (ret == 0)
		ret = db_session_add(db, a->hash, &s);
	if (ret == 0) {
		a->session = s.id;
		r->changed = true;
		r->result = json_object();
	}
	return ret;
}

int op_session_revoke(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	int ret = db_session_revoke(wctx_db(w), a->user, a->session);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "you have no session %lld", (long long)a->session);
	if (ret == 0 && a->audit) {
		char id[32];
		snprintf(id, sizeof(id), "session %lld", (long long)a->session);
		ret = ops_audit(w, a->actor, "account.session-revoke", a->name, id, NULL);
	}
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:I, s:b}", "id", (json_int_t)a->session, "revoked", 1);
	}
	return ret;
}

int op_session_touch(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	int ret = db_session_touch(wctx_db(w), a->session, wctx_now(w));
	r->changed = ret == 0;
	return ret;
}

int op_totp_begin(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	db_user_t u;
	int ret = get_user(w, r, a->user, &u);
	if (ret == 0 && u.totp) {
		snprintf(r->msg, sizeof(r->msg), "two-factor log-in is already on; turn it off first "
		         "to set up a new secret");
		return DDNS_ESTATE;
	}
	if (ret == 0)
		ret = db_totp_set_pending(wctx_db(w), a->user, a->secret, sizeof(a->secret));
	if (ret == 0) {
		r->changed = true;
		r->result = json_object();
	}
	return ret;
}

int op_totp_confirm(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	db_t *db = wctx_db(w);
	int ret = db_totp_enable(db, a->user, a->step);
	if (ret == DDNS_ENOENT) {
		snprintf(r->msg, sizeof(r->msg), "start two-factor set-up first "
		         "(POST /api/v1/account/totp)");
		return DDNS_ESTATE;
	}
	if (ret == 0)
		ret = db_recovery_replace(db, a->user, (const uint8_t (*)[DB_HASH_LEN])a->codes,
		                          TOTP_RECOVERY_COUNT);
	if (ret == 0)
		ret = ops_audit(w, a->actor, "account.totp-on", a->name, NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_object();
	}
	return ret;
}

int op_totp_disable(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	int ret = use_factor(w, r, a);
	if (ret == 0)
		ret = db_totp_disable(wctx_db(w), a->user);
	if (ret == 0)
		ret = ops_audit(w, a->actor, "account.totp-off", a->name, NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:b}", "totp", 0);
	}
	return ret;
}

int op_invite_add(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	int ret = db_invite_add(wctx_db(w), a->hash, wctx_now(w), a->expires, a->actor);
	if (ret == 0)
		ret = ops_audit(w, a->actor, "invite.add", "", NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:I}", "expires", (json_int_t)a->expires);
	}
	return ret;
}

int op_account_delete(wctx_t *w, wreq_t *r)
{
	op_account_t *a = r->args;
	int ret = use_factor(w, r, a);
	if (ret != 0)
		return ret;
	/* `ddnsctl user del`'s path: hosts deleted and their names held,
	 * sessions, tokens and codes go with the user row. */
	op_user_del_t ud;
	memset(&ud, 0, sizeof(ud));
	snprintf(ud.name, sizeof(ud.name), "%s", a->name);
	snprintf(ud.actor, sizeof(ud.actor), "%s", a->actor);
	wreq_t sub;
	memset(&sub, 0, sizeof(sub));
	sub.op = op_user_del;
	sub.args = &ud;
	ret = wctx_run(w, &sub);
	if (ret != 0) {
		snprintf(r->msg, sizeof(r->msg), "%s", sub.msg);
		json_decref(sub.result);
		return ret;
	}
	r->changed = true;
	r->result = sub.result;
	return 0;
}

/* ---- housekeeping ---- */

#define EXPIRE_BATCH 64

typedef struct {
	char names[EXPIRE_BATCH][64];
	int n;
} names_t;

static int collect_name(const db_user_t *u, void *ctx)
{
	names_t *l = ctx;
	if (l->n < EXPIRE_BATCH)
		snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", u->name);
	return 0;
}

int op_accounts_tick(wctx_t *w, wreq_t *r)
{
	/* Sign-ups never confirmed: removed (as `user del` would, audited),
	 * so that a name is not held forever by an address nobody reads.
	 * A batch at a time: the next tick takes the rest. */
	const conf_t *conf = wctx_conf(w);
	names_t *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	int ret = db_user_foreach_unconfirmed(wctx_db(w), wctx_now(w) - conf->unconfirmed_expire,
	                                      EXPIRE_BATCH, collect_name, l);
	for (int i = 0; ret == 0 && i < l->n; i++) {
		op_user_del_t d;
		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "%s", l->names[i]);
		unsigned e = conf->unconfirmed_expire;
		snprintf(d.actor, sizeof(d.actor), "ddnsd: address not confirmed within %u %s",
		         e % 86400 ? e : e / 86400, e % 86400 ? "seconds" : "days");
		wreq_t sub = { .op = op_user_del, .args = &d };
		ret = wctx_run(w, &sub);
		json_decref(sub.result);
		if (ret == 0)
			r->changed = true;
	}
	free(l);
	return ret;
}
