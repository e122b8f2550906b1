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

#include "auth/auth.h"
#include "http/http_int.h"
#include "lib/errors.h"
#include "lib/hostname.h"
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

static void on_req_gone(void *p)
{
	http_job_t *job = *(http_job_t **)p;
	if (job != NULL) {
		job->req = NULL;
		job->link = NULL;
	}
}

static void job_free(http_job_t *job)
{
	if (job->link)
		*job->link = NULL;
	json_decref(job->wreq.result);
	json_decref(job->body);
	json_decref(job->out);
	json_decref(job->extra);
	sodium_memzero(job->secret, sizeof(job->secret));
	sodium_memzero(job->bearer, sizeof(job->bearer));
	free(job);
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
			if (job->extra)
				json_object_update(job->out, job->extra);
		} else if (job->wreq.status == DDNS_ENOENT) {
			set_error(job, 404, "%s", job->wreq.msg);
		} else if (job->wreq.status == DDNS_ESUSPENDED || job->wreq.status == DDNS_EBLOCKED) {
			set_error(job, 403, "%s", job->wreq.msg);
		} else if (job->wreq.status == DDNS_EDB) {
			set_error(job, 503, "not saved: the database is failing; try again later");
		} else {
			set_error(job, 400, "%s", job->wreq.msg[0] ? job->wreq.msg :
			          ddns_strerror(job->wreq.status));
		}
	}
	char *text = json_dumps(job->out ? job->out : json_object(), JSON_COMPACT);
	int status = job->status ? job->status : 500;
	char user[sizeof(job->user)];
	snprintf(user, sizeof(user), "%s", job->user);
	job_free(job);
	if (text == NULL) {
		http_reply(req, 500, "Internal Server Error", H2O_STRLIT("{\"error\":\"out of memory\"}"));
		return;
	}
	static const char *const reasons[600] = {
		[200] = "OK", [201] = "Created", [400] = "Bad Request", [401] = "Unauthorized",
		[403] = "Forbidden", [404] = "Not Found", [405] = "Method Not Allowed",
		[413] = "Payload Too Large", [503] = "Service Unavailable",
	};
	size_t len = strlen(text);
	req->res.status = status;
	req->res.reason = status < 600 && reasons[status] ? reasons[status] : "Error";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("application/json"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	if (status == 401)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
		               H2O_STRLIT("Bearer realm=\"ddnsd\""));
	if (status == 503)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
		               H2O_STRLIT("60"));
	req->res.content_length = len;
	accesslog_write(req, status, text, len, user);
	h2o_send_inline(req, text, len);
	free(text);
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

/* Authenticates on the auth thread; fills job->user and the user id. */
static bool authenticate(db_t *db, http_job_t *job, int64_t *uid)
{
	http_server_t *s = job->thread->srv;
	double now = mono_f();
	if (!limiter_allow(s->fail_ip, job->ipkey, job->ipkeylen, now)) {
		set_error(job, 503, "too many failed logins from your address; try again later");
		return false;
	}
	if (job->bearer[0] != '\0') {
		uint8_t hash[AUTH_TOKEN_HASH_LEN];
		db_user_t u;
		if (auth_token_hash(job->bearer, hash) == 0 && db_apitoken_user(db, hash, uid) == 0 &&
		    db_user_get_id(db, *uid, &u) == 0 && !u.disabled) {
			snprintf(job->user, sizeof(job->user), "%s", u.name);
			return true;
		}
		limiter_charge(s->fail_ip, job->ipkey, job->ipkeylen, now);
		set_error(job, 401, "this API token is not valid (revoked, or never issued)");
		return false;
	}
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
		return true;
	}
	if (!limiter_allow(s->fail_user, job->user, strlen(job->user), now)) {
		set_error(job, 503, "too many failed logins for this account; try again later");
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
	return true;
}

typedef struct {
	json_t *arr;
} list_t;

static int host_row(const db_host_t *h, void *ctx)
{
	return json_array_append_new(((list_t *)ctx)->arr, ops_host_json(h));
}

static int history_row(const db_history_t *h, void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}",
	                                            "time", (json_int_t)h->time, "source", h->src,
	                                            "client", h->client, "old", h->old,
	                                            "new", h->new_, "result", h->result));
}

static int token_row(const db_token_t *t, void *ctx)
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

/* Answers job (on an auth thread): a reply posted back, or a change
 * handed to the writer. */
static int route(db_t *db, http_job_t *job)
{
	int64_t uid = 0;
	char *seg[4] = { 0 };
	char fqdn[HOSTNAME_BUF];
	db_host_t h;
	if (!authenticate(db, job, &uid))
		return done(job);
	int n = segments(job->path, seg);
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
		json_t *o = ops_host_json(&h), *hist = json_array(), *toks = json_array();
		db_history_foreach(db, h.id, 100, history_row, hist);
		db_token_foreach(db, h.id, token_row, toks);
		json_object_set_new(o, "history", hist);
		json_object_set_new(o, "tokens", toks);
		job->status = 200;
		job->out = o;
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
	if (tokens && n == 1 && is(job, "GET")) {
		json_t *arr = json_array();
		db_apitoken_foreach(db, uid, token_row, arr);
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
	http_job_t *job = calloc(1, sizeof(*job));
	if (job == NULL) {
		http_reply(req, 503, "Service Unavailable", H2O_STRLIT("{\"error\":\"busy\"}"));
		return 0;
	}
	job->thread = http_thread_of(req);
	job->req = req;
	job->dialect = DIALECT_API;
	job->work = api_work;
	job->link = h2o_mem_alloc_shared(&req->pool, sizeof(void *), on_req_gone);
	*job->link = job;
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
