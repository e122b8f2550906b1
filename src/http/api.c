/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The JSON API, /api/v1/, for scripts and the dashboard:
 *
 *   GET    /api/v1/hosts                       the caller's hosts
 *   GET    /api/v1/hosts/NAME                  one host, its history and tokens
 *   PATCH  /api/v1/hosts/NAME                  change its records (JSON body)
 *   POST   /api/v1/hosts/NAME/tokens           a new update token (shown once)
 *   DELETE /api/v1/hosts/NAME/tokens/ID        revoke one
 *   GET    /api/v1/tokens                      the caller's API tokens
 *   POST   /api/v1/tokens                      a new API token (shown once)
 *   DELETE /api/v1/tokens/ID                   revoke one
 *
 * Authentication: "Authorization: Bearer <API token>", or Basic with the
 * user's password (the same cache and failure limits as the update API).
 * Errors are {"error": "a sentence"} with a 4xx/5xx status.
 *
 * The loop thread only parses the request; authentication and reads run on
 * an auth thread (which has a database connection and may hash), changes on
 * the writer; the reply goes out from the request's own loop.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abuse/desk.h"
#include "auth/auth.h"
#include "http/http_int.h"
#include "lib/errors.h"
#include "lib/hostname.h"
#include "store/abuse.h"
#include "store/account.h"
#include "upd/hostset.h"
#include "upd/ops.h"

#define API_PREFIX "/api/v1/"

static double mono_f(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_error(http_job_t *job, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(http_job_t *job, int status, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	job->status = status;
	json_decref(job->out);
	job->out = json_pack("{s:s}", "error", msg);
}

void api_error(http_job_t *job, int status, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_error(job, status, "%s", msg);
}

void api_header(http_job_t *job, const char *name, const char *fmt, ...)
{
	if (job->nxhdr == sizeof(job->xhdr) / sizeof(job->xhdr[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(job->xhdr[job->nxhdr].value, sizeof(job->xhdr[0].value), fmt, ap);
	va_end(ap);
	job->xhdr[job->nxhdr++].name = name;
}

void api_limited(http_job_t *job, limiter_t *l, const void *key, size_t len, const char *msg)
{
	unsigned wait = limiter_wait(l, key, len, mono_f());
	set_error(job, 429, "%s; try again in %u seconds", msg, wait ? wait : 1);
	api_header(job, "retry-after", "%u", wait ? wait : 1);
}

bool api_ip_allowed(http_job_t *job)
{
	limiter_t *l = job->thread->srv->fail_ip;
	if (limiter_allow(l, job->ipkey, job->ipkeylen, mono_f()))
		return true;
	api_limited(job, l, job->ipkey, job->ipkeylen,
	            "too many failed logins (or sign-ups) from your address");
	return false;
}

void api_finish(http_job_t *job)
{
	h2o_req_t *req = job->req;
	if (job->stage == JOB_WRITE) {
		/* The writer answered: its result, or its reason. */
		if (job->wreq.status == 0) {
			job->status = job->status ? job->status : 200;
			json_decref(job->out);
			job->out = job->wreq.result ? json_incref(job->wreq.result) : json_object();
		} else if (job->wreq.status == DDNS_ENOENT) {
			set_error(job, 404, "%s", job->wreq.msg);
		} else if (job->wreq.status == DDNS_ESUSPENDED || job->wreq.status == DDNS_EBLOCKED) {
			set_error(job, 403, "%s", job->wreq.msg);
		} else if (job->wreq.status == DDNS_ESTATE) {
			set_error(job, 409, "%s", job->wreq.msg);
		} else if (job->wreq.status == DDNS_EDB) {
			set_error(job, 503, "not saved: the database is failing; try again later");
		} else {
			set_error(job, 400, "%s", job->wreq.msg[0] ? job->wreq.msg :
			          ddns_strerror(job->wreq.status));
		}
	}
	int status = job->status ? job->status : 500;
	/* Secrets for the reply (job->extra) never reach the access log. */
	char *logged = job->extra && job->out ? json_dumps(job->out, JSON_COMPACT) : NULL;
	if (job->extra && job->out && status < 400)
		json_object_update(job->out, job->extra);
	char *text = json_dumps(job->out ? job->out : json_object(), JSON_COMPACT);
	char user[sizeof(job->user)];
	snprintf(user, sizeof(user), "%s", job->user);
	for (unsigned i = 0; i < job->nxhdr && req; i++) {
		h2o_iovec_t v = h2o_strdup(&req->pool, job->xhdr[i].value, SIZE_MAX);
		h2o_add_header_by_str(&req->pool, &req->res.headers, job->xhdr[i].name,
		                      strlen(job->xhdr[i].name), 1, NULL, v.base, v.len);
	}
	http_job_free(job);
	if (text == NULL) {
		http_reply(req, 500, "Internal Server Error", H2O_STRLIT("{\"error\":\"out of memory\"}"));
		return;
	}
	static const char *const reasons[600] = {
		[200] = "OK", [201] = "Created", [202] = "Accepted", [400] = "Bad Request", [401] = "Unauthorized",
		[403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
		[409] = "Conflict", [413] = "Payload Too Large", [429] = "Too Many Requests",
		[503] = "Service Unavailable",
	};
	size_t len = strlen(text);
	req->res.status = status;
	req->res.reason = status < 600 && reasons[status] ? reasons[status] : "Error";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("application/json"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	static_security_headers(req, false);
	if (status == 401)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
		               H2O_STRLIT("Bearer realm=\"ddnsd\""));
	if (status == 503)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
		               H2O_STRLIT("60"));
	req->res.content_length = len;
	accesslog_write(req, status, logged ? logged : text, logged ? strlen(logged) : len, user);
	h2o_send_inline(req, text, len);
	free(text);
	free(logged);
}

static void writer_done(wreq_t *r)
{
	http_job_t *job = r->ctx;
	job->stage = JOB_WRITE;
	http_job_post(job);
}

/* Hands a change to the writer (from the auth thread). */
static int submit(http_job_t *job, wop_fn op, void *args)
{
	job->wreq.op = op;
	job->wreq.args = args;
	job->wreq.done = writer_done;
	job->wreq.ctx = job;
	writer_submit(job->thread->srv->writer, &job->wreq);
	return 0;
}

static int done(http_job_t *job)
{
	job->stage = JOB_API_DONE;
	http_job_post(job);
	return 0;
}

int api_submit(http_job_t *job, wop_fn op, void *args)
{
	return submit(job, op, args);
}

int api_done(http_job_t *job)
{
	return done(job);
}

/* An API token's last_used, written at most once a minute per token (a
 * script polling the API must not make a write of every read); nobody
 * waits for it. */
static void note_token_use(http_server_t *s, int64_t id, int64_t last_used)
{
	if (time(NULL) - last_used < 60)
		return;
	op_apitoken_t a = { .id = id };
	writer_post(s->writer, op_apitoken_used, &a, sizeof(a));
}

/* Dashboard accounts must confirm their address before they act. */
static bool verified(http_job_t *job, const db_user_t *u)
{
	if (!u->verified)
		set_error(job, 403, "confirm your e-mail address first: open the link in the mail "
		          "sent to %s", u->email);
	return u->verified;
}

static bool authenticate(db_t *db, http_job_t *job, int64_t *uid);

bool api_authenticate(db_t *db, http_job_t *job, int64_t *uid)
{
	return authenticate(db, job, uid);
}

/* Authenticates on the auth thread; fills job->user and the user id.
 * Bearer, then Basic, then a session cookie (api_account.c). Limited
 * callers get 429 with Retry-After before any hashing. */
static bool authenticate(db_t *db, http_job_t *job, int64_t *uid)
{
	http_server_t *s = job->thread->srv;
	double now = mono_f();
	if (!api_ip_allowed(job))
		return false;
	if (job->bearer[0] != '\0') {
		uint8_t hash[AUTH_TOKEN_HASH_LEN];
		db_user_t u;
		int64_t id, last_used;
		if (auth_token_hash(job->bearer, hash) == 0 &&
		    db_apitoken_user(db, hash, uid, &id, &last_used) == 0 &&
		    db_user_get_id(db, *uid, &u) == 0 && !u.disabled) {
			snprintf(job->user, sizeof(job->user), "%s", u.name);
			note_token_use(s, id, last_used);
			return verified(job, &u);
		}
		limiter_charge(s->fail_ip, job->ipkey, job->ipkeylen, now);
		set_error(job, 401, "this API token is not valid (revoked, or never issued)");
		return false;
	}
	if (job->user[0] == '\0' && job->cookie[0] != '\0')
		return api_session_auth(db, job, uid);
	if (job->user[0] == '\0') {
		set_error(job, 401, "log in: Authorization: Bearer <API token>, or Basic with your "
		          "user name and password");
		return false;
	}
	char principal[300];
	snprintf(principal, sizeof(principal), "u:%s", job->user);
	db_user_t u;
	if (authcache_check(s->cache, principal, job->secret, job->secret_len, 0, (uint64_t)now) &&
	    db_user_get(db, job->user, &u) == 0) {
		*uid = u.id;
		return verified(job, &u);
	}
	if (!limiter_allow(s->fail_user, job->user, strlen(job->user), now)) {
		api_limited(job, s->fail_user, job->user, strlen(job->user),
		            "too many failed logins for this account");
		return false;
	}
	if (authpool_verify_password(s->auth, db, job) != 0 || db_user_get(db, job->user, &u) != 0) {
		limiter_charge(s->fail_ip, job->ipkey, job->ipkeylen, now);
		limiter_charge(s->fail_user, job->user, strlen(job->user), now);
		set_error(job, 401, "wrong user name or password");
		return false;
	}
	authcache_put(s->cache, principal, job->secret, job->secret_len, 0, (uint64_t)now);
	*uid = u.id;
	return verified(job, &u);
}

typedef struct {
	json_t *arr;
} list_t;

static int host_row(const db_host_t *h, void *ctx)
{
	return json_array_append_new(((list_t *)ctx)->arr, ops_host_json(h));
}

int api_history_row(const db_history_t *h, void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}",
	                                            "time", (json_int_t)h->time, "source", h->src,
	                                            "client", h->client, "old", h->old,
	                                            "new", h->new_, "result", h->result));
}

int api_token_row(const db_token_t *t, void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:I, s:s, s:I, s:I, s:b}", "id", (json_int_t)t->id,
	                                            "name", t->name, "created", (json_int_t)t->created,
	                                            "last_used", (json_int_t)t->last_used,
	                                            "revoked", t->revoked));
}

/* The caller's host called name, or an error (404 also for other users'
 * hosts: existence is not for strangers to learn). */
static bool own_host(db_t *db, http_job_t *job, int64_t uid, const char *name, db_host_t *h,
                     char *fqdn, size_t len)
{
	char why[HOSTNAME_WHY_MAX];
	if (hostname_normalize(name, fqdn, len, why, sizeof(why)) != 0) {
		set_error(job, 400, "%s", why);
		return false;
	}
	if (db_host_get(db, fqdn, h) != 0 || h->user != uid) {
		set_error(job, 404, "you have no host %s", fqdn);
		return false;
	}
	return true;
}

static const char *label_of(http_job_t *job)
{
	const char *l = json_string_value(json_object_get(job->body, "label"));
	return l ? l : "";
}

/* Splits the path below /api/v1/ into at most 4 segments. */
static int segments(char *path, char *seg[4])
{
	int n = 0;
	char *save = NULL;
	for (char *s = strtok_r(path, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
		if (n == 4)
			return -1;
		seg[n++] = s;
	}
	return n;
}

static bool is(const http_job_t *job, const char *m)
{
	return strcmp(job->method, m) == 0;
}

/* The owner's view of the abuse cases about their host. */
static int owner_case(const db_report_t *r, void *ctx)
{
	return json_array_append_new(ctx, desk_report_json(r, false));
}

static int operator_case(const db_report_t *r, void *ctx)
{
	return json_array_append_new(ctx, desk_report_json(r, true));
}

json_t *api_host_detail(db_t *db, const db_host_t *h, bool operator)
{
	json_t *o = ops_host_json(h), *hist = json_array(), *toks = json_array();
	db_history_foreach(db, h->id, 100, api_history_row, hist);
	db_token_foreach(db, h->id, api_token_row, toks);
	json_object_set_new(o, "history", hist);
	json_object_set_new(o, "tokens", toks);
	json_t *cases = json_array();
	db_report_foreach(db, NULL, h->name, operator ? 100 : 20,
	                  operator ? operator_case : owner_case, cases);
	json_object_set_new(o, "abuse", cases);
	return o;
}

bool api_own_host(db_t *db, http_job_t *job, int64_t uid, const char *name, db_host_t *h,
                  char *fqdn, size_t len)
{
	return own_host(db, job, uid, name, h, fqdn, len);
}

static bool category_ok(const char *c)
{
	for (size_t i = 0; i < desk_category_count; i++)
		if (strcmp(c, desk_categories[i]) == 0)
			return true;
	return false;
}

/* A string member of the body: absent is "", too long an error. */
static bool body_str(http_job_t *job, const char *key, size_t max, char *out, size_t outlen)
{
	json_t *v = json_object_get(job->body, key);
	const char *s = v ? json_string_value(v) : "";
	if (s == NULL || strlen(s) >= max || strlen(s) >= outlen) {
		set_error(job, 400, "%s: a string of at most %zu characters", key,
		          (max < outlen ? max : outlen) - 1);
		return false;
	}
	snprintf(out, outlen, "%s", s);
	return true;
}

/* Checks and files a report: anyone may; a trusted reporter's key makes
 * it act at once. */
static int new_report(db_t *db, http_job_t *job)
{
	http_server_t *s = job->thread->srv;
	op_report_t *a = &job->api.report;
	char host[DB_NAME_MAX], why[HOSTNAME_WHY_MAX];
	if (job->bearer[0] != '\0') {
		uint8_t hash[AUTH_TOKEN_HASH_LEN];
		db_reporter_t rep;
		if (auth_token_hash(job->bearer, hash) != 0 || db_reporter_find(db, hash, &rep) != 0) {
			set_error(job, 401, "this reporter key is not valid (revoked, or never issued); "
			          "leave out the Authorization header to report as the public");
			return done(job);
		}
		snprintf(a->klass, sizeof(a->klass), "trusted");
		a->reporter = rep.id;
		snprintf(a->reporter_name, sizeof(a->reporter_name), "%s", rep.name);
		a->suspend = rep.suspend;
	} else {
		if (!limiter_allow(s->reports, job->ipkey, job->ipkeylen, mono_f())) {
			set_error(job, 429, "too many reports from your address; try again later, or ask "
			          "the operator (%s) for a reporter key", s->conf->abuse_contact[0] ?
			          s->conf->abuse_contact : "see /.well-known/security.txt");
			return done(job);
		}
		limiter_charge(s->reports, job->ipkey, job->ipkeylen, mono_f());
		snprintf(a->klass, sizeof(a->klass), "public");
	}
	if (!json_is_object(job->body)) {
		set_error(job, 400, "send the report as a JSON object: {\"hostname\": ..., "
		          "\"category\": ..., \"evidence\": ..., \"urls\": [...], \"contact\": ...}");
		return done(job);
	}
	const char *hn = json_string_value(json_object_get(job->body, "hostname"));
	if (hn == NULL || hostname_normalize(hn, host, sizeof(host), why, sizeof(why)) != 0) {
		set_error(job, 400, "hostname: %s", hn ? why : "the host name you report is missing");
		return done(job);
	}
	snprintf(a->host, sizeof(a->host), "%s", host);
	if (!body_str(job, "category", sizeof(a->category), a->category, sizeof(a->category)) ||
	    !body_str(job, "evidence", DB_EVIDENCE_MAX, a->evidence, sizeof(a->evidence)) ||
	    !body_str(job, "contact", DB_CONTACT_MAX, a->contact, sizeof(a->contact)))
		return done(job);
	if (!category_ok(a->category)) {
		char list[256] = "";
		for (size_t i = 0; i < desk_category_count; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			         desk_categories[i]);
		set_error(job, 400, "category: one of %s", list);
		return done(job);
	}
	if (a->evidence[0] == '\0') {
		set_error(job, 400, "evidence: describe what the host does (what you saw, when)");
		return done(job);
	}
	json_t *urls = json_object_get(job->body, "urls");
	size_t i;
	json_t *u;
	if (urls != NULL && (!json_is_array(urls) || json_array_size(urls) > 20)) {
		set_error(job, 400, "urls: a list of at most 20 URLs");
		return done(job);
	}
	json_array_foreach(urls, i, u) {
		const char *t = json_string_value(u);
		if (t == NULL || strlen(t) > 2000 || (strncmp(t, "http://", 7) != 0 &&
		                                      strncmp(t, "https://", 8) != 0)) {
			set_error(job, 400, "urls: each an http:// or https:// URL of at most 2000 characters");
			return done(job);
		}
	}
	char *text = urls ? json_dumps(urls, JSON_COMPACT) : NULL;
	if (text != NULL && strlen(text) >= sizeof(a->urls)) {
		free(text);
		set_error(job, 400, "urls: too long together");
		return done(job);
	}
	snprintf(a->urls, sizeof(a->urls), "%s", text ? text : "[]");
	free(text);
	snprintf(a->src, sizeof(a->src), "%s", job->hup.src);
	job->status = 201;
	return submit(job, op_report, a);
}

typedef struct {
	json_t *months;                      /* "YYYY-MM" -> figures */
	struct month_delays {
		char month[8];
		int64_t *v;
		size_t n, cap;
	} *delays;
	size_t ndelays;
} transp_t;

static json_t *month_of(transp_t *t, int64_t when, char key[8])
{
	time_t tt = (time_t)when;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(key, 8, "%Y-%m", &tm);
	json_t *m = json_object_get(t->months, key);
	if (m == NULL) {
		m = json_pack("{s:{}, s:{}, s:{}, s:i, s:i}", "reports", "suspended_by_category",
		              "suspended_by_reporter_class", "reversed_on_appeal", 0,
		              "rejected", 0);
		json_object_set_new(t->months, key, m);
	}
	return m;
}

static void bump(json_t *obj, const char *key)
{
	json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

static int transp_row(const db_report_t *r, void *ctx)
{
	transp_t *t = ctx;
	char key[8];
	json_t *m = month_of(t, r->created, key);
	bump(json_object_get(m, "reports"), r->klass);
	if (strcmp(r->status, "rejected") == 0)
		bump(m, "rejected");
	if (r->suspended) {
		json_t *sm = month_of(t, r->suspended, key);
		bump(json_object_get(sm, "suspended_by_category"), r->category);
		bump(json_object_get(sm, "suspended_by_reporter_class"), r->klass);
	}
	if (r->reversed)
		bump(month_of(t, r->reversed, key), "reversed_on_appeal");
	if (r->acted && strcmp(r->klass, "operator") != 0) {
		month_of(t, r->created, key);
		struct month_delays *d = NULL;
		for (size_t i = 0; i < t->ndelays; i++)
			if (strcmp(t->delays[i].month, key) == 0)
				d = &t->delays[i];
		if (d == NULL) {
			void *p = realloc(t->delays, (t->ndelays + 1) * sizeof(*t->delays));
			if (p == NULL)
				return -ENOMEM;
			t->delays = p;
			d = &t->delays[t->ndelays++];
			memset(d, 0, sizeof(*d));
			snprintf(d->month, sizeof(d->month), "%s", key);
		}
		if (d->n == d->cap) {
			size_t cap = d->cap ? d->cap * 2 : 64;
			void *p = realloc(d->v, cap * sizeof(*d->v));
			if (p == NULL)
				return -ENOMEM;
			d->v = p;
			d->cap = cap;
		}
		d->v[d->n++] = r->acted - r->created;
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Counts per month, nothing that identifies anybody. */
static json_t *transparency(db_t *db)
{
	transp_t t = { json_object(), NULL, 0 };
	int ret = db_report_foreach_all(db, transp_row, &t);
	for (size_t i = 0; i < t.ndelays; i++) {
		struct month_delays *d = &t.delays[i];
		qsort(d->v, d->n, sizeof(*d->v), cmp_i64);
		int64_t med = d->n % 2 ? d->v[d->n / 2] : (d->v[d->n / 2 - 1] + d->v[d->n / 2]) / 2;
		json_object_set_new(json_object_get(t.months, d->month), "median_seconds_to_action",
		                    json_integer(med));
		free(d->v);
	}
	free(t.delays);
	if (ret != 0) {
		json_decref(t.months);
		return NULL;
	}
	json_t *arr = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(t.months, k, v) {
		json_object_set_new(v, "month", json_string(k));
		if (json_object_get(v, "median_seconds_to_action") == NULL)
			json_object_set_new(v, "median_seconds_to_action", json_null());
		json_array_append(arr, v);
	}
	json_decref(t.months);
	return json_pack("{s:o}", "months", arr);
}

/* The routes anyone may use: reporting abuse, a report's status, the
 * desk's contact, the transparency figures. */
static int public_route(db_t *db, http_job_t *job, char **seg, int n)
{
	const conf_t *conf = job->thread->srv->conf;
	if (strcmp(seg[0], "abuse-reports") == 0 && n == 1 && is(job, "POST"))
		return new_report(db, job);
	if (strcmp(seg[0], "abuse-reports") == 0 && n == 2 && is(job, "GET")) {
		db_report_t *r = calloc(1, sizeof(*r));
		if (r == NULL) {
			set_error(job, 503, "out of memory");
		} else if (db_report_get(db, seg[1], r) != 0) {
			set_error(job, 404, "no abuse report %s", seg[1]);
		} else {
			job->status = 200;
			job->out = desk_report_json(r, false);
		}
		free(r);
		return done(job);
	}
	if (strcmp(seg[0], "abuse") == 0 && n == 1 && is(job, "GET")) {
		json_t *cats = json_array();
		for (size_t i = 0; i < desk_category_count; i++)
			json_array_append_new(cats, json_string(desk_categories[i]));
		job->status = 200;
		job->out = json_pack("{s:s, s:I, s:s, s:s, s:o}", "contact", conf->abuse_contact,
		                     "response_time_seconds", (json_int_t)conf->abuse_response_time,
		                     "report", API_PREFIX "abuse-reports",
		                     "security_txt", "/.well-known/security.txt", "categories", cats);
		return done(job);
	}
	if (strcmp(seg[0], "transparency") == 0 && n == 1 && is(job, "GET")) {
		job->out = transparency(db);
		job->status = job->out ? 200 : 503;
		if (job->out == NULL)
			set_error(job, 503, "the database is not answering; try again later");
		return done(job);
	}
	set_error(job, 405, "%s %s%s is not part of the API (see docs/abuse.md)", job->method,
	          API_PREFIX, job->path);
	return done(job);
}

/* Answers job (on an auth thread): a reply posted back, or a change
 * handed to the writer. */
static int route(db_t *db, http_job_t *job)
{
	int64_t uid = 0;
	char *seg[4] = { 0 };
	char fqdn[HOSTNAME_BUF];
	db_host_t h;
	int n = segments(job->path, seg);
	if (n >= 1 && (strcmp(seg[0], "abuse-reports") == 0 || strcmp(seg[0], "abuse") == 0 ||
	               strcmp(seg[0], "transparency") == 0))
		return public_route(db, job, seg, n);
	if (n >= 1 && api_account_owns(seg[0]))
		return api_account_route(db, job, seg, n);
	if (!authenticate(db, job, &uid))
		return done(job);
	if (api_hosts_route(db, job, uid, seg, n) || api_admin_route(db, job, uid, seg, n))
		return 0;
	bool hosts = n >= 1 && strcmp(seg[0], "hosts") == 0;
	bool tokens = n >= 1 && strcmp(seg[0], "tokens") == 0;

	if (hosts && n == 1 && is(job, "GET")) {
		list_t l = { json_array() };
		if (db_host_foreach(db, -1, uid, host_row, &l) != 0) {
			json_decref(l.arr);
			set_error(job, 503, "the database is not answering; try again later");
			return done(job);
		}
		job->status = 200;
		job->out = l.arr;
		return done(job);
	}
	if (hosts && n == 2 && is(job, "GET")) {
		if (!own_host(db, job, uid, seg[1], &h, fqdn, sizeof(fqdn)))
			return done(job);
		job->status = 200;
		job->out = api_host_detail(db, &h, false);
		return done(job);
	}
	if (hosts && n == 2 && is(job, "PATCH")) {
		if (!own_host(db, job, uid, seg[1], &h, fqdn, sizeof(fqdn)))
			return done(job);
		op_host_update_t *a = &job->api.host_update;
		char err[256];
		if (!json_is_object(job->body) || hostset_parse(job->body, a, err, sizeof(err)) != 0) {
			set_error(job, 400, "%s", json_is_object(job->body) ? err :
			          "send the changes as a JSON object, e.g. {\"ipv4\": \"203.0.113.7\"}");
			return done(job);
		}
		snprintf(a->fqdn, sizeof(a->fqdn), "%s", fqdn);
		a->user = uid;
		snprintf(a->src, sizeof(a->src), "%s", job->hup.src);
		snprintf(a->client, sizeof(a->client), "%s", job->hup.client);
		return submit(job, op_host_update, a);
	}
	if (hosts && n == 3 && strcmp(seg[2], "tokens") == 0 && is(job, "POST")) {
		if (!own_host(db, job, uid, seg[1], &h, fqdn, sizeof(fqdn)))
			return done(job);
		op_token_add_t *a = &job->api.token_add;
		snprintf(a->fqdn, sizeof(a->fqdn), "%s", fqdn);
		snprintf(a->name, sizeof(a->name), "%s", label_of(job));
		a->user = uid;
		char text[AUTH_TOKEN_TEXT_MAX];
		auth_token_new(text, a->hash);
		job->extra = json_pack("{s:s}", "token", text);
		sodium_memzero(text, sizeof(text));
		job->status = 201;
		return submit(job, op_token_add, a);
	}
	if (hosts && n == 4 && strcmp(seg[2], "tokens") == 0 && is(job, "DELETE")) {
		if (!own_host(db, job, uid, seg[1], &h, fqdn, sizeof(fqdn)))
			return done(job);
		op_token_revoke_t *a = &job->api.token_revoke;
		snprintf(a->fqdn, sizeof(a->fqdn), "%s", fqdn);
		a->id = strtoll(seg[3], NULL, 10);
		a->user = uid;
		return submit(job, op_token_revoke, a);
	}
	if (hosts && n == 3 && strcmp(seg[2], "appeal") == 0 && is(job, "POST")) {
		if (!own_host(db, job, uid, seg[1], &h, fqdn, sizeof(fqdn)))
			return done(job);
		const char *text = json_string_value(json_object_get(job->body, "text"));
		if (text == NULL || *text == '\0' || strlen(text) >= DB_TEXT_MAX) {
			set_error(job, 400, "say why the suspension is wrong: {\"text\": \"...\"} "
			          "(at most %d characters)", DB_TEXT_MAX - 1);
			return done(job);
		}
		op_appeal_t *a = &job->api.appeal;
		snprintf(a->host, sizeof(a->host), "%s", fqdn);
		snprintf(a->text, sizeof(a->text), "%s", text);
		a->user = uid;
		snprintf(a->actor, sizeof(a->actor), "owner %s", job->user);
		job->status = 201;
		return submit(job, op_appeal, a);
	}
	if (tokens && n == 1 && is(job, "GET")) {
		json_t *arr = json_array();
		db_apitoken_foreach(db, uid, api_token_row, arr);
		job->status = 200;
		job->out = arr;
		return done(job);
	}
	if (tokens && n == 1 && is(job, "POST")) {
		op_apitoken_t *a = &job->api.apitoken;
		a->user = uid;
		snprintf(a->name, sizeof(a->name), "%s", label_of(job));
		char text[AUTH_TOKEN_TEXT_MAX];
		auth_token_new(text, a->hash);
		job->extra = json_pack("{s:s}", "token", text);
		sodium_memzero(text, sizeof(text));
		job->status = 201;
		return submit(job, op_apitoken_add, a);
	}
	if (tokens && n == 2 && is(job, "DELETE")) {
		op_apitoken_t *a = &job->api.apitoken;
		a->user = uid;
		a->id = strtoll(seg[1], NULL, 10);
		return submit(job, op_apitoken_revoke, a);
	}
	set_error(job, n >= 1 && (hosts || tokens) ? 405 : 404,
	          "%s %s%s is not part of the API (see docs/api.md)", job->method, API_PREFIX,
	          job->path);
	return done(job);
}

static void api_work(db_t *db, http_job_t *job)
{
	route(db, job);
}

int api_on_request(h2o_handler_t *self, h2o_req_t *req)
{
	http_job_t *job = http_job_new(req, DIALECT_API);
	if (job == NULL) {
		http_reply(req, 503, "Service Unavailable", H2O_STRLIT("{\"error\":\"busy\"}"));
		return 0;
	}
	job->work = api_work;
	int family;
	http_client_addr(req, job->hup.src, sizeof(job->hup.src), &family);
	if (family == AF_INET6 && inet_pton(AF_INET6, job->hup.src, job->ipkey) == 1)
		job->ipkeylen = 8;
	else if (family == AF_INET && inet_pton(AF_INET, job->hup.src, job->ipkey) == 1)
		job->ipkeylen = 4;
	ssize_t ua = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
	if (ua >= 0)
		snprintf(job->hup.client, sizeof(job->hup.client), "%.*s",
		         (int)req->headers.entries[ua].value.len, req->headers.entries[ua].value.base);

	snprintf(job->method, sizeof(job->method), "%.*s", (int)(req->method.len < 7 ? req->method.len : 7),
	         req->method.base);
	/* The path below the prefix, without the query. */
	h2o_iovec_t p = req->path_normalized;
	size_t plen = strlen(API_PREFIX);
	if (p.len < plen - 1 || p.len - (p.len >= plen ? plen : plen - 1) >= sizeof(job->path)) {
		set_error(job, 404, "no such API path");
		job->stage = JOB_API_DONE;
		api_finish(job);
		return 0;
	}
	if (p.len >= plen)
		snprintf(job->path, sizeof(job->path), "%.*s", (int)(p.len - plen), p.base + plen);

	api_account_parse(job, req);
	ssize_t ai = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
	if (ai >= 0) {
		h2o_iovec_t v = req->headers.entries[ai].value;
		if (v.len > 7 && strncasecmp(v.base, "Bearer ", 7) == 0 && v.len - 7 < sizeof(job->bearer)) {
			memcpy(job->bearer, v.base + 7, v.len - 7);
			job->bearer[v.len - 7] = '\0';
		} else if (v.len > 6 && strncasecmp(v.base, "Basic ", 6) == 0) {
			unsigned char raw[1400];
			size_t n;
			if (v.len - 6 < 1800 &&
			    sodium_base642bin(raw, sizeof(raw) - 1, v.base + 6, v.len - 6, " ", &n, NULL,
			                      sodium_base64_VARIANT_ORIGINAL) == 0) {
				unsigned char *colon = memchr(raw, ':', n);
				size_t ul = colon ? (size_t)(colon - raw) : 0, pl = colon ? n - ul - 1 : 0;
				if (colon && ul > 0 && ul < sizeof(job->user) && pl < sizeof(job->secret) &&
				    memchr(raw, '\0', n) == NULL) {
					memcpy(job->user, raw, ul);
					memcpy(job->secret, colon + 1, pl);
					job->secret_len = pl;
				}
			}
			sodium_memzero(raw, sizeof(raw));
		}
	}
	if ((job->query = http_query_json(req)) == NULL) {
		set_error(job, 400, "the query string is malformed (a bad %%-escape, a control "
		          "character or too many parameters)");
		job->stage = JOB_API_DONE;
		api_finish(job);
		return 0;
	}
	if (req->entity.base != NULL && req->entity.len > 0) {
		json_error_t jerr;
		job->body = json_loadb(req->entity.base, req->entity.len, 0, &jerr);
		if (job->body == NULL) {
			set_error(job, 400, "the body is not JSON: %s (line %d)", jerr.text, jerr.line);
			job->stage = JOB_API_DONE;
			api_finish(job);
			return 0;
		}
	}
	job->stage = JOB_API_DONE;
	if (authpool_submit(job->thread->srv->auth, job) != 0) {
		set_error(job, 503, "the server is busy; try again in a minute");
		api_finish(job);
	}
	return 0;
}

/* RFC 9116: where to report abuse, and how fast the operator acts. */
int api_on_security_txt(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	const conf_t *conf = http_thread_of(req)->srv->conf;
	if (conf->abuse_contact[0] == '\0') {
		http_reply(req, 404, "Not Found", H2O_STRLIT("no abuse-contact is configured\n"));
		return 0;
	}
	char expires[32], body[1024];
	time_t t = time(NULL) + 180 * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", &tm);
	const char *c = conf->abuse_contact;
	bool mail = strchr(c, '@') != NULL && strchr(c, ':') == NULL;
	unsigned rt = conf->abuse_response_time;
	int n = snprintf(body, sizeof(body),
	                 "# Abuse of a host name of this dynamic DNS service: report it by\n"
	                 "# POST " API_PREFIX "abuse-reports (JSON: hostname, category, evidence,\n"
	                 "# urls, contact); " API_PREFIX "abuse lists the categories.\n"
	                 "# We act on reports within %u %s.\n"
	                 "Contact: %s%s\n"
	                 "Expires: %s\n"
	                 "Preferred-Languages: en\n",
	                 rt % 3600 == 0 ? rt / 3600 : rt / 60, rt % 3600 == 0 ? "hours" : "minutes",
	                 mail ? "mailto:" : "", c, expires);
	http_reply(req, 200, "OK", body, (size_t)n);
	return 0;
}
