/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The operators' routes of the JSON API, /api/v1/admin/ (docs/api.md,
 * "Operators"): finding users and hosts, suspending and resuming a host,
 * the abuse queue and its decisions, the audit log with its verification,
 * and the status figures. Only users with the admin role get past the
 * first check; everyone else gets 403 for every path below admin/.
 *
 * Changes are the very writer operations `ddnsctl host suspend|resume` and
 * `ddnsctl abuse suspend|reject` use, with the actor "web:NAME", so the
 * host's history, the audit row and the owner's notification (the outbox)
 * come with them exactly as from ddnsctl. Runs on an auth thread (api.c's
 * route()) with its read-only connection.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"
#include "http/stats.h"
#include "lib/errors.h"
#include "lib/hostname.h"
#include "store/audit.h"
#include "upd/replstatus.h"

#define SEARCH_MAX 100          /* rows a search returns */
#define QUERY_TEXT_MAX 200      /* characters of a search text */
#define AUDIT_DEFAULT 100       /* audit rows without ?limit */
#define AUDIT_MAX 1000

static bool method(const http_job_t *job, const char *m)
{
	return strcmp(job->method, m) == 0;
}

static int db_failed(http_job_t *job)
{
	api_error(job, 503, "the database is not answering; try again later");
	return api_done(job);
}

static int reply(http_job_t *job, json_t *out)
{
	if (out == NULL)
		return db_failed(job);
	job->status = 200;
	job->out = out;
	return api_done(job);
}

/* The query parameter key, or NULL; a bad one sets a 400 reply. */
static bool query_text(http_job_t *job, const char *key, const char **out)
{
	*out = json_string_value(json_object_get(job->query, key));
	if (*out != NULL && strlen(*out) > QUERY_TEXT_MAX) {
		api_error(job, 400, "%s: at most %d characters", key, QUERY_TEXT_MAX);
		return false;
	}
	return true;
}

/* ---- users and hosts ---- */

typedef struct {
	db_t *db;
	json_t *arr;
} rows_t;

static int user_row(const db_user_t *u, void *ctx)
{
	rows_t *r = ctx;
	return json_array_append_new(r->arr, ops_user_json(r->db, u));
}

/* The host's JSON with its owner's name. */
static json_t *host_with_owner(db_t *db, const db_host_t *h, json_t *o)
{
	db_user_t u;
	json_object_set_new(o, "owner", db_user_get_id(db, h->user, &u) == 0 ? json_string(u.name)
	                                                                    : json_null());
	return o;
}

static int host_row(const db_host_t *h, void *ctx)
{
	rows_t *r = ctx;
	return json_array_append_new(r->arr, host_with_owner(r->db, h, ops_host_json(h)));
}

static int search(db_t *db, http_job_t *job, bool users)
{
	const char *q;
	if (!query_text(job, "q", &q))
		return api_done(job);
	rows_t r = { db, json_array() };
	int ret = users ? db_user_search(db, q ? q : "", SEARCH_MAX, user_row, &r)
	                : db_host_search(db, q ? q : "", SEARCH_MAX, host_row, &r);
	if (ret != 0) {
		json_decref(r.arr);
		return db_failed(job);
	}
	return reply(job, r.arr);
}

static bool host_arg(db_t *db, http_job_t *job, const char *name, db_host_t *h)
{
	char fqdn[HOSTNAME_BUF], why[HOSTNAME_WHY_MAX];
	if (hostname_normalize(name, fqdn, sizeof(fqdn), why, sizeof(why)) != 0) {
		api_error(job, 400, "%s", why);
		return false;
	}
	int ret = db_host_get(db, fqdn, h);
	if (ret != 0) {
		if (ret == DDNS_ENOENT)
			api_error(job, 404, "no host %s", fqdn);
		else
			api_error(job, 503, "the database is not answering; try again later");
		return false;
	}
	return true;
}

/* POST admin/hosts/NAME/suspend|resume: op_host_state, as ddnsctl. */
static int host_state(db_t *db, http_job_t *job, const char *name, bool suspend)
{
	db_host_t h;
	if (!host_arg(db, job, name, &h))
		return api_done(job);
	json_t *rv = json_object_get(job->body, "reason");
	const char *reason = json_string_value(rv);
	if ((rv != NULL && reason == NULL) || (reason && strlen(reason) >= DB_TEXT_MAX) ||
	    (suspend && (reason == NULL || *reason == '\0'))) {
		api_error(job, 400, "%s: {\"reason\": \"...\"} (at most %d characters); the owner is "
		          "told it", suspend ? "a suspension needs a reason" : "reason",
		          DB_TEXT_MAX - 1);
		return api_done(job);
	}
	op_host_state_t *a = &job->api.host_state;
	memset(a, 0, sizeof(*a));
	snprintf(a->fqdn, sizeof(a->fqdn), "%s", h.name);
	a->suspend = suspend;
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
	snprintf(a->actor, sizeof(a->actor), "web:%s", job->user);
	return api_submit(job, op_host_state, a);
}

/* ---- the abuse desk ---- */

static int report_row(const db_report_t *r, void *ctx)
{
	return json_array_append_new(ctx, desk_report_json(r, true));
}

static int abuse_list(db_t *db, http_job_t *job)
{
	const char *status;
	if (!query_text(job, "status", &status))
		return api_done(job);
	if (status != NULL && strcmp(status, "open") != 0 && strcmp(status, "all") != 0) {
		api_error(job, 400, "status: open (the queue: waiting, provisionally suspended, "
		          "appealed) or all");
		return api_done(job);
	}
	json_t *arr = json_array();
	bool all = status != NULL && strcmp(status, "all") == 0;
	if (db_report_foreach(db, all ? NULL : "queue", NULL, 1000, report_row, arr) != 0) {
		json_decref(arr);
		return db_failed(job);
	}
	return reply(job, arr);
}

static bool report_arg(db_t *db, http_job_t *job, const char *id, db_report_t *r)
{
	int ret = db_report_get(db, id, r);
	if (ret == DDNS_ENOENT)
		api_error(job, 404, "no abuse report %s", id);
	else if (ret != 0)
		api_error(job, 503, "the database is not answering; try again later");
	return ret == 0;
}

static int abuse_show(db_t *db, http_job_t *job, const char *id)
{
	db_report_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return db_failed(job);
	if (report_arg(db, job, id, r))
		reply(job, desk_report_show(db, r));
	else
		api_done(job);
	free(r);
	return 0;
}

/* POST admin/abuse/ID/suspend|reject: op_abuse_decide, as ddnsctl. */
static int abuse_decide(db_t *db, http_job_t *job, const char *id, enum desk_action action)
{
	db_report_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return db_failed(job);
	bool ok = report_arg(db, job, id, r);
	const char *reason = json_string_value(json_object_get(job->body, "reason"));
	if (ok && ((reason && strlen(reason) >= DB_TEXT_MAX) ||
	           (action == DESK_REJECT && (reason == NULL || *reason == '\0')))) {
		api_error(job, 400, "%s: {\"reason\": \"...\"} (at most %d characters)",
		          action == DESK_REJECT ? "say why: the reporter and the owner are told"
		                                : "reason", DB_TEXT_MAX - 1);
		ok = false;
	}
	if (!ok) {
		free(r);
		return api_done(job);
	}
	op_abuse_decide_t *a = &job->api.abuse_decide;
	memset(a, 0, sizeof(*a));
	snprintf(a->ref, sizeof(a->ref), "%s", r->ref);
	a->action = action;
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
	snprintf(a->actor, sizeof(a->actor), "web:%s", job->user);
	free(r);
	return api_submit(job, op_abuse_decide, a);
}

/* ---- the audit log ---- */

typedef struct {
	json_t **ring;
	size_t limit, n;
} newest_t;

/* Keeps the newest limit rows: the log is read in order once anyway, for
 * its verification. */
static int audit_keep(const db_audit_t *a, void *ctx)
{
	newest_t *t = ctx;
	json_t **slot = &t->ring[t->n++ % t->limit];
	json_decref(*slot);
	*slot = ops_audit_json(a);
	return 0;
}

static int audit(db_t *db, http_job_t *job)
{
	const char *ls;
	long limit = AUDIT_DEFAULT;
	if (!query_text(job, "limit", &ls))
		return api_done(job);
	if (ls != NULL) {
		char *end;
		limit = strtol(ls, &end, 10);
		if (*ls == '\0' || *end != '\0' || limit < 1 || limit > AUDIT_MAX) {
			api_error(job, 400, "limit: a number from 1 to %d", AUDIT_MAX);
			return api_done(job);
		}
	}
	int64_t rows = 0, bad_id = 0;
	uint8_t head[AUDIT_HASH_LEN];
	char why[256] = "", hex[2 * AUDIT_HASH_LEN + 1] = "";
	int ret = db_audit_verify(db, &rows, head, &bad_id, why, sizeof(why));
	if (ret != 0 && ret != DDNS_EMALF)
		return db_failed(job);
	if (ret == 0)
		sodium_bin2hex(hex, sizeof(hex), head, sizeof(head));
	newest_t t = { calloc((size_t)limit, sizeof(json_t *)), (size_t)limit, 0 };
	if (t.ring == NULL)
		return db_failed(job);
	int fret = db_audit_foreach(db, audit_keep, &t);
	json_t *arr = json_array();
	/* Newest first. */
	size_t have = t.n < t.limit ? t.n : t.limit;
	for (size_t i = 0; i < have; i++)
		json_array_append_new(arr, t.ring[(t.n - 1 - i) % t.limit]);
	free(t.ring);
	if (fret != 0) {
		json_decref(arr);
		return db_failed(job);
	}
	json_t *out = json_pack("{s:o, s:b, s:I}", "rows", arr, "verified", ret == 0,
	                        "count", (json_int_t)t.n);
	json_object_set_new(out, "first_bad", ret == 0 ? json_null() : json_integer(bad_id));
	json_object_set_new(out, "why", ret == 0 ? json_null() : json_string(why));
	json_object_set_new(out, "head", ret == 0 ? json_string(hex) : json_null());
	return reply(job, out);
}

/* ---- status ---- */

static int status(db_t *db, http_job_t *job)
{
	const http_server_t *srv = job->thread->srv;
	const conf_t *conf = srv->conf;
	repl_snap_t snap;
	if (repl_snap_take(&snap, srv->xfr, srv->notifier) != 0) {
		api_error(job, 503, "out of memory; try again later");
		return api_done(job);
	}
	json_t *zones = json_array();
	for (size_t i = 0; i < conf->zone_count; i++) {
		int64_t id = 0, hosts = 0;
		uint32_t serial = 0;
		if (db_zone_get(db, conf->zones[i].name, false, &id, &serial) == 0)
			db_zone_host_count(db, id, &hosts);
		json_t *z = json_pack("{s:s, s:I, s:I}", "name", conf->zones[i].name,
		                      "serial", (json_int_t)serial, "hosts", (json_int_t)hosts);
		repl_snap_zone(&snap, i, conf->zones[i].name, serial, z);
		json_array_append_new(zones, z);
	}
	int64_t users = 0, hosts = 0;
	if (db_count_users_hosts(db, &users, &hosts) != 0) {
		json_decref(zones);
		repl_snap_free(&snap);
		return db_failed(job);
	}
	stats_now_t st = { 0 };
	if (srv->stats != NULL)
		stats_get(srv->stats, &st);
	json_t *out = json_pack("{s:s, s:o, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:I}",
	                            "version", DDNSD_VERSION, "zones", zones,
	                            "users", (json_int_t)users, "hosts", (json_int_t)hosts,
	                            "updates_per_second", st.updates_per_second,
	                            "queries_per_second", st.queries_per_second,
	                            "window_seconds", st.window,
	                            "updates_total", (json_int_t)st.updates,
	                            "queries_total", (json_int_t)st.queries,
	                            "uptime", (json_int_t)st.uptime);
	repl_snap_counters(&snap, out);
	repl_snap_free(&snap);
	return reply(job, out);
}

/* ---- routing ---- */

int api_admin_route(db_t *db, http_job_t *job, int64_t uid, char **seg, int n)
{
	if (n < 1 || strcmp(seg[0], "admin") != 0)
		return 0;
	db_user_t u;
	int ret = db_user_get_id(db, uid, &u);
	if (ret != 0 && ret != DDNS_ENOENT)
		return db_failed(job), 1;
	if (ret != 0 || !u.admin) {
		api_error(job, 403, "the operators' pages are for users with the admin role");
		return api_done(job), 1;
	}
	const char *what = n >= 2 ? seg[1] : "";
	bool get = method(job, "GET"), post = method(job, "POST");
	if (strcmp(what, "users") == 0 && n == 2 && get)
		return search(db, job, true), 1;
	if (strcmp(what, "hosts") == 0 && n == 2 && get)
		return search(db, job, false), 1;
	if (strcmp(what, "hosts") == 0 && n == 3 && get) {
		db_host_t h;
		if (!host_arg(db, job, seg[2], &h))
			return api_done(job), 1;
		return reply(job, host_with_owner(db, &h, api_host_detail(db, &h, true))), 1;
	}
	if (strcmp(what, "hosts") == 0 && n == 4 && post && strcmp(seg[3], "suspend") == 0)
		return host_state(db, job, seg[2], true), 1;
	if (strcmp(what, "hosts") == 0 && n == 4 && post && strcmp(seg[3], "resume") == 0)
		return host_state(db, job, seg[2], false), 1;
	if (strcmp(what, "abuse") == 0 && n == 2 && get)
		return abuse_list(db, job), 1;
	if (strcmp(what, "abuse") == 0 && n == 3 && get)
		return abuse_show(db, job, seg[2]), 1;
	if (strcmp(what, "abuse") == 0 && n == 4 && post && strcmp(seg[3], "suspend") == 0)
		return abuse_decide(db, job, seg[2], DESK_SUSPEND), 1;
	if (strcmp(what, "abuse") == 0 && n == 4 && post && strcmp(seg[3], "reject") == 0)
		return abuse_decide(db, job, seg[2], DESK_REJECT), 1;
	if (strcmp(what, "audit") == 0 && n == 2 && get)
		return audit(db, job), 1;
	if (strcmp(what, "status") == 0 && n == 2 && get)
		return status(db, job), 1;
	api_error(job, 404, "%s /api/v1/%s is not part of the API (see docs/api.md, \"Operators\")",
	          job->method, job->path);
	return api_done(job), 1;
}
