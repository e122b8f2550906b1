/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The JSON API's browser sessions and accounts (docs/api.md, "Browser
 * sessions" and "Accounts"):
 *
 *   POST/GET/DELETE /api/v1/session          log in, who am I, log out
 *   GET /api/v1/sessions, DELETE .../ID      the account's sessions
 *   GET/POST /api/v1/signup, POST .../verify sign-up and its mailed link
 *   POST /api/v1/password-reset[/confirm]    forgotten passwords
 *   /api/v1/account[/password|/totp[/confirm]|/export]
 *
 * A session is a 256-bit random cookie (HttpOnly, SameSite=Strict, Secure
 * over HTTPS) of which only the hash is stored, with a CSRF token that
 * every cookie request but GET/HEAD must echo in X-CSRF-Token. Passwords
 * are verified and hashed here, on an auth thread, never on the writer;
 * changes go to the writer as the operations of upd/accountops.c. Log-ins
 * share the failed-login buckets of the rest of the API (per address and
 * per account), answered 429 with Retry-After before any hashing.
 */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abuse/tell.h"
#include "auth/auth.h"
#include "auth/totp.h"
#include "http/http_int.h"
#include "lib/errors.h"
#include "store/account.h"
#include "store/session.h"
#include "upd/ops.h"

#define COOKIE "ddnsd_session"
#define PASSWORD_MIN 10          /* for new passwords; older ones may be shorter */
#define TOUCH_EVERY 60           /* seconds between writes of a session's last use
                                    (or half of session-idle when that is shorter) */

static double mono_f(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the loop thread: what the request carries ---- */

void api_account_parse(http_job_t *job, h2o_req_t *req)
{
	job->tls = req->scheme == &H2O_URL_SCHEME_HTTPS;
	for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0;) {
		h2o_iovec_t v = req->headers.entries[i].value;
		/* "a=1; ddnsd_session=...; b=2" (HTTP/2 may split cookies into
		 * several headers). */
		for (size_t p = 0; p < v.len;) {
			while (p < v.len && (v.base[p] == ' ' || v.base[p] == ';'))
				p++;
			size_t e = p;
			while (e < v.len && v.base[e] != ';')
				e++;
			size_t kl = strlen(COOKIE);
			if (e - p > kl && memcmp(v.base + p, COOKIE "=", kl + 1) == 0 &&
			    e - p - kl - 1 < sizeof(job->cookie))
				snprintf(job->cookie, sizeof(job->cookie), "%.*s", (int)(e - p - kl - 1),
				         v.base + p + kl + 1);
			p = e;
		}
	}
	ssize_t c = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-csrf-token"), -1);
	if (c >= 0 && req->headers.entries[c].value.len < sizeof(job->csrf))
		snprintf(job->csrf, sizeof(job->csrf), "%.*s", (int)req->headers.entries[c].value.len,
		         req->headers.entries[c].value.base);
}

/* ---- helpers (auth thread) ---- */

static void set_cookie(http_job_t *job, const char *value, unsigned max_age)
{
	api_header(job, "set-cookie", COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%u%s",
	           value, max_age, job->tls ? "; Secure" : "");
}

static json_t *user_json(db_t *db, const db_user_t *u)
{
	int hosts = 0;
	db_user_host_count(db, u->id, &hosts);
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:I, s:i, s:i}", "name", u->name, "email", u->email,
	                 "verified", u->verified, "admin", u->admin, "totp", u->totp,
	                 "created", (json_int_t)u->created, "max_hosts", u->max_hosts, "hosts", hosts);
}

/* The body must be a JSON object; example shows what to send. */
static bool need_object(http_job_t *job, const char *example)
{
	if (json_is_object(job->body))
		return true;
	api_error(job, 400, "send a JSON object: %s", example);
	return false;
}

/*
 * A string member of the body of at most max bytes: NULL with an error set
 * when it is missing (and required), not a string or too long; "" when it
 * is optional and absent.
 */
static const char *field(http_job_t *job, const char *key, size_t max, bool required)
{
	json_t *v = json_object_get(job->body, key);
	const char *s = v ? json_string_value(v) : "";
	if (s == NULL || strlen(s) > max) {
		api_error(job, 400, "%s: a string of at most %zu characters", key, max);
		return NULL;
	}
	if (required && *s == '\0') {
		api_error(job, 400, "%s is missing", key);
		return NULL;
	}
	return s;
}

static bool name_ok(http_job_t *job, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '@')) {
			api_error(job, 400, "name: use letters, digits and - _ . @ (1 to 63 of them)");
			return false;
		}
	}
	return true;
}

static bool new_password_ok(http_job_t *job, const char *pw)
{
	if (strlen(pw) < PASSWORD_MIN || strlen(pw) > AUTH_PW_MAX) {
		api_error(job, 400, "a password has %d to %d characters", PASSWORD_MIN, AUTH_PW_MAX);
		return false;
	}
	return true;
}

/* Hashes a new password into a->pwhash (argon2id, here and not on the
 * writer). */
static bool hash_password(http_job_t *job, const char *pw, op_account_t *a)
{
	int ret = auth_password_hash(pw, strlen(pw), a->pwhash);
	if (ret != 0)
		api_error(job, 503, "the server cannot hash the password now; try again later");
	return ret == 0;
}

/*
 * Verifies the password pw of the user called name with the failure
 * limits of the API: 429 before hashing when the address or the account is
 * limited (also for the right password), a failure charged to both.
 * wrong: the status of a wrong password. false: an error is set.
 */
static bool check_password(db_t *db, http_job_t *job, const char *name, const char *pw, int wrong)
{
	http_server_t *s = job->thread->srv;
	double now = mono_f();
	if (!api_ip_allowed(job))
		return false;
	if (!limiter_allow(s->fail_user, name, strlen(name), now)) {
		api_limited(job, s->fail_user, name, strlen(name), "too many failed logins for this account");
		return false;
	}
	snprintf(job->user, sizeof(job->user), "%s", name);
	size_t len = strlen(pw);
	if (len >= sizeof(job->secret))
		len = sizeof(job->secret) - 1;
	memcpy(job->secret, pw, len);
	job->secret_len = len;
	char principal[300];
	snprintf(principal, sizeof(principal), "u:%s", name);
	bool ok = authcache_check(s->cache, principal, job->secret, len, 0, (uint64_t)now);
	if (!ok && authpool_verify_password(s->auth, db, job) == 0) {
		authcache_put(s->cache, principal, job->secret, len, 0, (uint64_t)now);
		ok = true;
	}
	sodium_memzero(job->secret, sizeof(job->secret));
	if (!ok) {
		limiter_charge(s->fail_ip, job->ipkey, job->ipkeylen, now);
		limiter_charge(s->fail_user, name, strlen(name), now);
		api_error(job, wrong, wrong == 401 ? "wrong user name or password" :
		          "the password is wrong");
	}
	return ok;
}

/*
 * Checks the second factor of u: a TOTP code, or a recovery code. Fills
 * a->step or a->recovery for the writer, which uses them once. A wrong
 * code counts as a failed log-in. false: an error is set (401, with
 * "totp_required").
 */
static bool check_factor(db_t *db, http_job_t *job, const db_user_t *u, const char *code,
                         op_account_t *a)
{
	http_server_t *s = job->thread->srv;
	const char *why = NULL;
	if (*code == '\0') {
		why = "two-factor log-in is on: send the code from your authenticator app "
		      "(or a recovery code) as \"code\"";
	} else if (totp_is_recovery(code)) {
		totp_recovery_hash(u->id, code, a->recovery);
		a->has_recovery = true;
	} else {
		db_totp_t t;
		int ret = db_totp_get(db, u->id, &t);
		if (ret == 0 && t.secret_len > 0)
			ret = totp_verify(t.secret, t.secret_len, code, time(NULL), t.last, &a->step);
		else if (ret == 0)
			ret = DDNS_EAUTH;
		sodium_memzero(&t, sizeof(t));
		if (ret == DDNS_ESTATE) {
			why = "this code was already used; wait for the next one";
		} else if (ret != 0) {
			double now = mono_f();
			limiter_charge(s->fail_ip, job->ipkey, job->ipkeylen, now);
			limiter_charge(s->fail_user, u->name, strlen(u->name), now);
			why = "wrong code: check that the phone's clock is right, or use a recovery code";
		}
	}
	if (why == NULL)
		return true;
	api_error(job, 401, "%s", why);
	json_object_set_new(job->out, "totp_required", json_true());
	return false;
}

/* The writer's answer for an account operation: its result, or the
 * reason mapped to a status (writer thread; the reply goes from the loop). */
static void written(wreq_t *r)
{
	http_job_t *job = r->ctx;
	op_account_t *a = &job->api.account;
	if (r->status == 0) {
		json_decref(job->out);
		job->out = r->result ? json_incref(r->result) : json_object();
		/* A new password: the old one must stop working at once, also
		 * where a router's cached verification would still accept it. */
		if (r->op == op_reset_confirm || r->op == op_password_change || r->op == op_account_delete) {
			char principal[300];
			snprintf(principal, sizeof(principal), "u:%s", a->name);
			authcache_drop(job->thread->srv->cache, principal);
		}
	} else {
		int status = r->status == DDNS_EEXIST ? 409 : r->status == DDNS_ESTATE ? 409 :
		             r->status == DDNS_ENOENT ? 404 : r->status == DDNS_EDB ? 503 :
		             r->status == DDNS_EAUTH ? (r->op == op_signup ? 403 : 401) : 400;
		if (r->status == DDNS_EDB)
			api_error(job, status, "not saved: the database is failing; try again later");
		else
			api_error(job, status, "%s", r->msg[0] ? r->msg : ddns_strerror(r->status));
		if (r->status == DDNS_EAUTH && r->op != op_signup)
			json_object_set_new(job->out, "totp_required", json_true());
		job->nxhdr = 0;
		json_decref(job->extra);
		job->extra = NULL;
	}
	job->stage = JOB_API_DONE;
	http_job_post(job);
}

static int submit(http_job_t *job, wop_fn op, int status)
{
	job->status = status;
	job->wreq.op = op;
	job->wreq.args = &job->api.account;
	job->wreq.done = written;
	job->wreq.ctx = job;
	writer_submit(job->thread->srv->writer, &job->wreq);
	return 0;
}

/* Records a session's use without making the request wait for it (out
 * of memory: only last_seen is late; the next request tries again). */
static void touch(http_job_t *job, int64_t session)
{
	op_account_t a;
	memset(&a, 0, sizeof(a));
	a.session = session;
	writer_post(job->thread->srv->writer, op_session_touch, &a, sizeof(a));
}

/* ---- sessions ---- */

bool api_session_auth(db_t *db, http_job_t *job, int64_t *uid)
{
	const conf_t *conf = job->thread->srv->conf;
	uint8_t hash[AUTH_TOKEN_HASH_LEN];
	db_session_t s;
	db_user_t u;
	int64_t now = time(NULL);
	if (auth_token_hash(job->cookie, hash) != 0 || db_session_find(db, hash, &s) != 0 ||
	    s.expires <= now || s.last_seen + (int64_t)conf->session_idle <= now ||
	    db_user_get_id(db, s.user, &u) != 0 || u.disabled || !u.verified) {
		api_error(job, 401, "your session has ended; log in again");
		set_cookie(job, "", 0);
		return false;
	}
	if (strcmp(job->method, "GET") != 0 && strcmp(job->method, "HEAD") != 0 &&
	    (strlen(job->csrf) != strlen(s.csrf) ||
	     sodium_memcmp(job->csrf, s.csrf, strlen(s.csrf)) != 0)) {
		api_error(job, 403, "this request needs the header X-CSRF-Token with your session's "
		          "token (from GET /api/v1/session)");
		return false;
	}
	/* Not a write per request: last_seen is coarse on purpose. */
	int64_t every = conf->session_idle / 2 < TOUCH_EVERY ? conf->session_idle / 2 : TOUCH_EVERY;
	if (now - s.last_seen >= (every > 0 ? every : 1))
		touch(job, s.id);
	snprintf(job->user, sizeof(job->user), "%s", u.name);
	job->session = s.id;
	*uid = u.id;
	return true;
}

static int login(db_t *db, http_job_t *job)
{
	const conf_t *conf = job->thread->srv->conf;
	op_account_t *a = &job->api.account;
	const char *name, *pw, *code;
	db_user_t u;
	if (!need_object(job, "{\"name\": ..., \"password\": ...[, \"code\": ...]}") ||
	    !(name = field(job, "name", 63, true)) || !(pw = field(job, "password", AUTH_PW_MAX, true)) ||
	    !(code = field(job, "code", 32, false)))
		return api_done(job);
	if (!check_password(db, job, name, pw, 401))
		return api_done(job);
	if (db_user_get(db, name, &u) != 0 || u.disabled) {
		api_error(job, 401, "wrong user name or password");
		return api_done(job);
	}
	if (!u.verified) {
		api_error(job, 403, "confirm your e-mail address first: open the link in the mail sent "
		          "to %s", u.email);
		return api_done(job);
	}
	if (u.totp && !check_factor(db, job, &u, code, a))
		return api_done(job);
	char cookie[AUTH_TOKEN_TEXT_MAX], csrf[AUTH_TOKEN_TEXT_MAX];
	uint8_t unused[AUTH_TOKEN_HASH_LEN];
	auth_token_new(cookie, a->hash);
	auth_token_new(csrf, unused);
	a->user = u.id;
	snprintf(a->name, sizeof(a->name), "%s", u.name);
	snprintf(a->csrf, sizeof(a->csrf), "%s", csrf);
	a->expires = time(NULL) + conf->session_lifetime;
	snprintf(a->src, sizeof(a->src), "%s", job->hup.src);
	snprintf(a->client, sizeof(a->client), "%s", job->hup.client);
	snprintf(a->actor, sizeof(a->actor), "web:%s", u.name);
	set_cookie(job, cookie, conf->session_lifetime);
	job->extra = json_pack("{s:o, s:s}", "user", user_json(db, &u), "csrf", csrf);
	sodium_memzero(cookie, sizeof(cookie));
	return submit(job, op_session_create, 201);
}

typedef struct {
	json_t *arr;
	int64_t current, now, idle;
} sessions_t;

static int session_row(const db_session_t *s, void *ctx)
{
	sessions_t *l = ctx;
	if (s->expires <= l->now || s->last_seen + l->idle <= l->now)
		return 0;
	return json_array_append_new(l->arr, json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:b}",
	                                               "id", (json_int_t)s->id,
	                                               "created", (json_int_t)s->created,
	                                               "last_seen", (json_int_t)s->last_seen,
	                                               "expires", (json_int_t)s->expires,
	                                               "src", s->src, "client", s->client,
	                                               "current", s->id == l->current));
}

static json_t *sessions(db_t *db, http_job_t *job, int64_t uid)
{
	sessions_t l = { json_array(), job->session, time(NULL),
	                 (int64_t)job->thread->srv->conf->session_idle };
	db_session_foreach(db, uid, session_row, &l);
	return l.arr;
}

/* ---- sign-up, verification, reset ---- */

static int signup(db_t *db, http_job_t *job)
{
	http_server_t *srv = job->thread->srv;
	const char *mode = srv->conf->signup;
	op_account_t *a = &job->api.account;
	const char *name, *email, *pw, *invite;
	if (strcmp(mode, "closed") == 0) {
		api_error(job, 403, "sign-up is closed here; ask the operator for an account");
		return api_done(job);
	}
	if (!need_object(job, "{\"name\": ..., \"email\": ..., \"password\": ...[, \"invite\": ...]}") ||
	    !(name = field(job, "name", 63, true)) || !name_ok(job, name) ||
	    !(email = field(job, "email", 254, true)) || !(pw = field(job, "password", AUTH_PW_MAX, true)) ||
	    !(invite = field(job, "invite", 64, false)) || !new_password_ok(job, pw))
		return api_done(job);
	if (!tell_is_address(email)) {
		api_error(job, 400, "email: '%s' is not an e-mail address", email);
		return api_done(job);
	}
	if (strcmp(mode, "invite") == 0) {
		if (*invite == '\0' || auth_token_hash(invite, a->invite) != 0) {
			api_error(job, 403, *invite ? "this invitation code is not valid" :
			          "sign-up here needs an invitation code (\"invite\")");
			return api_done(job);
		}
		a->has_invite = true;
	}
	db_user_t u;
	if (db_user_get_nocase(db, name, &u) == 0) {
		api_error(job, 409, "the name %s is taken; choose another", name);
		return api_done(job);
	}
	/* Each sign-up costs an argon2id hash and a mail: counted like a
	 * failed log-in from the address. */
	if (!api_ip_allowed(job))
		return api_done(job);
	limiter_charge(srv->fail_ip, job->ipkey, job->ipkeylen, mono_f());
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->email, sizeof(a->email), "%s", email);
	snprintf(a->actor, sizeof(a->actor), "web:%s", name);
	snprintf(a->src, sizeof(a->src), "%s", job->hup.src); /* the desk's burst check */
	if (!hash_password(job, pw, a))
		return api_done(job);
	return submit(job, op_signup, 201);
}

/* A mailed token from the body into a->hash. */
static bool mailed_token(http_job_t *job, const char *what)
{
	const char *t = field(job, "token", 64, true);
	if (t == NULL)
		return false;
	if (auth_token_hash(t, job->api.account.hash) != 0) {
		api_error(job, 400, "this %s link is not valid; copy the whole link from the mail", what);
		return false;
	}
	return true;
}

static int reset_request(http_job_t *job)
{
	http_server_t *srv = job->thread->srv;
	op_account_t *a = &job->api.account;
	const char *email, *name;
	if (!need_object(job, "{\"email\": ...} or {\"name\": ...}") ||
	    !(email = field(job, "email", 254, false)) || !(name = field(job, "name", 63, false)))
		return api_done(job);
	if (*email == '\0' && *name == '\0') {
		api_error(job, 400, "send the account's e-mail address as \"email\" (or its \"name\")");
		return api_done(job);
	}
	/* Each request may send a mail: limited per address like sign-up. */
	if (!api_ip_allowed(job))
		return api_done(job);
	limiter_charge(srv->fail_ip, job->ipkey, job->ipkeylen, mono_f());
	snprintf(a->email, sizeof(a->email), "%s", email);
	snprintf(a->name, sizeof(a->name), "%s", name);
	job->extra = json_pack("{s:s}", "message", "if this account exists, a mail with a link to "
	                       "choose a new password is on its way; the link works for an hour");
	return submit(job, op_reset_request, 202);
}

static int reset_confirm(http_job_t *job)
{
	op_account_t *a = &job->api.account;
	const char *pw;
	if (!need_object(job, "{\"token\": ..., \"password\": ...}") || !mailed_token(job, "reset") ||
	    !(pw = field(job, "password", AUTH_PW_MAX, true)) || !new_password_ok(job, pw) ||
	    !hash_password(job, pw, a))
		return api_done(job);
	set_cookie(job, "", 0);
	return submit(job, op_reset_confirm, 200);
}

/* ---- the account ---- */

typedef struct {
	db_t *db;
	json_t *arr;
} export_t;

static int export_host(const db_host_t *h, void *ctx)
{
	export_t *e = ctx;
	json_t *o = ops_host_json(h), *hist = json_array(), *toks = json_array();
	db_history_foreach(e->db, h->id, 0, api_history_row, hist);
	db_token_foreach(e->db, h->id, api_token_row, toks);
	json_object_set_new(o, "history", hist);
	json_object_set_new(o, "tokens", toks);
	return json_array_append_new(e->arr, o);
}

/* Everything stored about the account, as a download. */
static int account_export(db_t *db, http_job_t *job, const db_user_t *u)
{
	export_t e = { db, json_array() };
	json_t *apitokens = json_array();
	int ret = db_begin_read(db);
	if (ret == 0)
		ret = db_host_foreach(db, -1, u->id, export_host, &e);
	if (ret == 0)
		ret = db_apitoken_foreach(db, u->id, api_token_row, apitokens);
	json_t *sess = ret == 0 ? sessions(db, job, u->id) : NULL;
	json_t *account = user_json(db, u);
	db_commit(db);
	if (ret != 0) {
		json_decref(e.arr);
		json_decref(apitokens);
		json_decref(account);
		api_error(job, 503, "the database is not answering; try again later");
		return api_done(job);
	}
	job->status = 200;
	job->out = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "service", "ddnsd",
	                     "exported", (json_int_t)time(NULL), "account", account, "hosts", e.arr,
	                     "api_tokens", apitokens, "sessions", sess);
	api_header(job, "content-disposition", "attachment; filename=\"ddnsd-%s.json\"", u->name);
	return api_done(job);
}

static int totp_begin(db_t *db, http_job_t *job, const db_user_t *u)
{
	op_account_t *a = &job->api.account;
	if (u->totp) {
		api_error(job, 409, "two-factor log-in is already on; turn it off first to set up a "
		          "new secret");
		return api_done(job);
	}
	char b32[TOTP_B32_MAX], uri[600];
	const conf_t *c = job->thread->srv->conf;
	totp_secret_new(a->secret);
	totp_base32(a->secret, sizeof(a->secret), b32, sizeof(b32));
	totp_uri(uri, sizeof(uri), c->zone_count ? c->zones[0].name : "ddnsd", u->name, b32);
	job->extra = json_pack("{s:s, s:s}", "secret", b32, "uri", uri);
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(uri, sizeof(uri));
	return submit(job, op_totp_begin, 201);
}

static int totp_confirm(db_t *db, http_job_t *job, const db_user_t *u)
{
	op_account_t *a = &job->api.account;
	const char *code;
	if (!need_object(job, "{\"code\": \"123456\"}") || !(code = field(job, "code", 32, true)))
		return api_done(job);
	db_totp_t t;
	if (db_totp_get(db, u->id, &t) != 0 || t.pending_len == 0) {
		api_error(job, 409, "start two-factor set-up first (POST /api/v1/account/totp)");
		return api_done(job);
	}
	int ret = totp_verify(t.pending, t.pending_len, code, time(NULL), t.last, &a->step);
	sodium_memzero(&t, sizeof(t));
	if (ret != 0) {
		api_error(job, 400, "wrong code: enter the code your app shows now (check that the "
		          "phone's clock is right)");
		return api_done(job);
	}
	json_t *codes = json_array();
	for (int i = 0; i < TOTP_RECOVERY_COUNT; i++) {
		char text[TOTP_RECOVERY_TEXT];
		totp_recovery_new(u->id, text, a->codes[i]);
		json_array_append_new(codes, json_string(text));
		sodium_memzero(text, sizeof(text));
	}
	job->extra = json_pack("{s:o, s:b}", "recovery_codes", codes, "totp", 1);
	return submit(job, op_totp_confirm, 200);
}

/* Password (and code, when two-factor is on) of the logged-in user, for
 * the actions that must not rest on a session alone. */
static bool reconfirm(db_t *db, http_job_t *job, const db_user_t *u, bool need_code)
{
	const char *pw, *code;
	if (!need_object(job, need_code ? "{\"password\": ..., \"code\": ...}" : "{\"password\": ...}") ||
	    !(pw = field(job, "password", AUTH_PW_MAX, true)) || !(code = field(job, "code", 32, false)) ||
	    !check_password(db, job, u->name, pw, 403))
		return false;
	return !need_code || check_factor(db, job, u, code, &job->api.account);
}

static int account_route(db_t *db, http_job_t *job, char **seg, int n, const db_user_t *u)
{
	op_account_t *a = &job->api.account;
	bool get = strcmp(job->method, "GET") == 0, post = strcmp(job->method, "POST") == 0,
	     del = strcmp(job->method, "DELETE") == 0;
	a->user = u->id;
	a->session = job->session;
	snprintf(a->name, sizeof(a->name), "%s", u->name);
	snprintf(a->actor, sizeof(a->actor), "web:%s", u->name);
	if (n == 1 && get) {
		job->status = 200;
		job->out = user_json(db, u);
		return api_done(job);
	}
	if (n == 1 && del) {
		if (!reconfirm(db, job, u, u->totp))
			return api_done(job);
		set_cookie(job, "", 0);
		return submit(job, op_account_delete, 200);
	}
	if (n == 2 && strcmp(seg[1], "export") == 0 && get)
		return account_export(db, job, u);
	if (n == 2 && strcmp(seg[1], "password") == 0 && post) {
		const char *old, *pw;
		if (!need_object(job, "{\"old\": ..., \"new\": ...}") ||
		    !(old = field(job, "old", AUTH_PW_MAX, true)) ||
		    !(pw = field(job, "new", AUTH_PW_MAX, true)) || !new_password_ok(job, pw) ||
		    !check_password(db, job, u->name, old, 403) || !hash_password(job, pw, a))
			return api_done(job);
		return submit(job, op_password_change, 200);
	}
	if (n == 2 && strcmp(seg[1], "totp") == 0 && post)
		return totp_begin(db, job, u);
	if (n == 3 && strcmp(seg[1], "totp") == 0 && strcmp(seg[2], "confirm") == 0 && post)
		return totp_confirm(db, job, u);
	if (n == 2 && strcmp(seg[1], "totp") == 0 && del) {
		if (!u->totp) {
			api_error(job, 409, "two-factor log-in is not on");
			return api_done(job);
		}
		if (!reconfirm(db, job, u, true))
			return api_done(job);
		return submit(job, op_totp_disable, 200);
	}
	api_error(job, 405, "%s /api/v1/%s is not part of the API (see docs/api.md)", job->method,
	          job->path);
	return api_done(job);
}

/* ---- routing ---- */

bool api_account_owns(const char *seg0)
{
	static const char *const mine[] = { "session", "sessions", "signup", "password-reset",
	                                    "account" };
	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
		if (strcmp(seg0, mine[i]) == 0)
			return true;
	return false;
}

int api_account_route(db_t *db, http_job_t *job, char **seg, int n)
{
	const conf_t *conf = job->thread->srv->conf;
	bool get = strcmp(job->method, "GET") == 0, post = strcmp(job->method, "POST") == 0,
	     del = strcmp(job->method, "DELETE") == 0;
	const char *s0 = seg[0];
	/* What anyone may do. */
	if (strcmp(s0, "session") == 0 && n == 1 && post)
		return login(db, job);
	if (strcmp(s0, "signup") == 0 && n == 1 && get) {
		job->status = 200;
		job->out = json_pack("{s:s, s:i}", "mode", conf->signup, "password_min", PASSWORD_MIN);
		return api_done(job);
	}
	if (strcmp(s0, "signup") == 0 && n == 1 && post)
		return signup(db, job);
	if (strcmp(s0, "signup") == 0 && n == 2 && strcmp(seg[1], "verify") == 0 && post) {
		if (!need_object(job, "{\"token\": ...}") || !mailed_token(job, "verification"))
			return api_done(job);
		return submit(job, op_verify, 200);
	}
	if (strcmp(s0, "password-reset") == 0 && n == 1 && post)
		return reset_request(job);
	if (strcmp(s0, "password-reset") == 0 && n == 2 && strcmp(seg[1], "confirm") == 0 && post)
		return reset_confirm(job);
	if (strcmp(s0, "signup") == 0 || strcmp(s0, "password-reset") == 0) {
		api_error(job, 405, "%s /api/v1/%s is not part of the API (see docs/api.md)",
		          job->method, job->path);
		return api_done(job);
	}

	/* What needs a log-in. */
	int64_t uid = 0;
	db_user_t u;
	if (!api_authenticate(db, job, &uid))
		return api_done(job);
	if (db_user_get_id(db, uid, &u) != 0) {
		api_error(job, 401, "this account does not exist (any more)");
		return api_done(job);
	}
	op_account_t *a = &job->api.account;
	if (strcmp(s0, "account") == 0)
		return account_route(db, job, seg, n, &u);
	a->user = u.id;
	snprintf(a->name, sizeof(a->name), "%s", u.name);
	snprintf(a->actor, sizeof(a->actor), "web:%s", u.name);
	if (strcmp(s0, "session") == 0 && n == 1 && (get || del)) {
		if (job->session == 0) {
			api_error(job, 401, "no browser session: log in with POST /api/v1/session");
			return api_done(job);
		}
		if (del) {
			a->session = job->session;
			set_cookie(job, "", 0);
			return submit(job, op_session_revoke, 200);
		}
		db_session_t s;
		uint8_t hash[AUTH_TOKEN_HASH_LEN];
		if (auth_token_hash(job->cookie, hash) != 0 || db_session_find(db, hash, &s) != 0) {
			api_error(job, 401, "your session has ended; log in again");
			return api_done(job);
		}
		job->status = 200;
		job->out = json_pack("{s:o}", "user", user_json(db, &u));
		job->extra = json_pack("{s:s}", "csrf", s.csrf);
		return api_done(job);
	}
	if (strcmp(s0, "sessions") == 0 && n == 1 && get) {
		job->status = 200;
		job->out = sessions(db, job, u.id);
		return api_done(job);
	}
	if (strcmp(s0, "sessions") == 0 && n == 2 && del) {
		char *end;
		a->session = strtoll(seg[1], &end, 10);
		if (*end != '\0' || a->session <= 0) {
			api_error(job, 404, "you have no session %s", seg[1]);
			return api_done(job);
		}
		a->audit = true;
		return submit(job, op_session_revoke, 200);
	}
	api_error(job, 405, "%s /api/v1/%s is not part of the API (see docs/api.md)", job->method,
	          job->path);
	return api_done(job);
}
