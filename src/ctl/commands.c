/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control commands, server side: one handler per command in a table.
 * Handlers run on the control thread. They check and normalise their
 * arguments, answer reads from the read-only connection, and turn changes
 * into writer jobs. Secrets are made here (argon2id hashes, tokens, TSIG
 * keys): the writer only ever sees their hashes, and the clear text goes
 * back to the caller once, in the reply.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "abuse/desk.h"
#include "auth/auth.h"
#include "ctl/dump.h"
#include "ctl/server_int.h"
#include "lib/errors.h"
#include "lib/hostname.h"
#include "lib/name.h"
#include "store/abuse.h"
#include "store/account.h"
#include "store/audit.h"
#include "upd/hostset.h"
#include "upd/replstatus.h"

static const char *arg_str(ctl_call_t *c, const char *key)
{
	return json_string_value(json_object_get(c->args, key));
}

static int bad(ctl_call_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(ctl_call_t *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A required string argument. */
static int need_str(ctl_call_t *c, const char *key, const char **out)
{
	*out = arg_str(c, key);
	if (*out == NULL || **out == '\0')
		return bad(c, "missing %s", key);
	return 0;
}

/* An optional integer argument within bounds; *out untouched if absent. */
static int opt_int(ctl_call_t *c, const char *key, long min, long max, long *out, bool *given)
{
	json_t *v = json_object_get(c->args, key);
	if (given)
		*given = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(c, "%s must be a number from %ld to %ld", key, min, max);
	*out = (long)json_integer_value(v);
	return 0;
}

static int user_name_ok(ctl_call_t *c, const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 63)
		return bad(c, "a user name has 1 to 63 characters");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = name[i];
		if (!(isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '@'))
			return bad(c, "user name '%s': use letters, digits and - _ . @", name);
	}
	return 0;
}

/* Normalises the host name argument into out. */
static int host_arg(ctl_call_t *c, const char *key, char *out, size_t len)
{
	const char *in;
	int ret = need_str(c, key, &in);
	if (ret != 0)
		return ret;
	char why[HOSTNAME_WHY_MAX];
	if (hostname_normalize(in, out, len, why, sizeof(why)) != 0)
		return bad(c, "%s", why);
	return 0;
}

static int parse_addr(ctl_call_t *c, const char *key, int af, bool *has, uint8_t *out, bool *given)
{
	const char *s = arg_str(c, key);
	*given = json_object_get(c->args, key) != NULL;
	*has = false;
	if (s == NULL || *s == '\0' || strcmp(s, "none") == 0)
		return 0;
	if (inet_pton(af, s, out) != 1)
		return bad(c, "'%s' is not an %s address", s, af == AF_INET ? "IPv4" : "IPv6");
	*has = true;
	return 0;
}

/* ---- users ---- */

static int cmd_user_add(ctl_call_t *c)
{
	const char *name, *pw;
	int ret;
	if ((ret = need_str(c, "name", &name)) != 0 || (ret = user_name_ok(c, name)) != 0)
		return ret;
	if ((ret = need_str(c, "password", &pw)) != 0)
		return bad(c, "missing password (ddnsctl reads it from standard input)");
	long max_hosts = c->conf->default_max_hosts;
	if ((ret = opt_int(c, "max_hosts", 0, 1000000, &max_hosts, NULL)) != 0)
		return ret;
	const char *email = arg_str(c, "email");
	if (email && (strlen(email) > 254 || strchr(email, '@') == NULL))
		return bad(c, "'%s' is not an e-mail address", email);
	ctl_job_t *j = ctl_job_new(op_user_add);
	if (j == NULL)
		return -ENOMEM;
	op_user_add_t *a = &j->a.user_add;
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->email, sizeof(a->email), "%s", email ? email : "");
	a->max_hosts = (int)max_hosts;
	a->admin = json_is_true(json_object_get(c->args, "admin"));
	snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
	ret = auth_password_hash(pw, strlen(pw), a->pwhash);
	if (ret != 0) {
		ctl_job_free(j);
		return ret == -EINVAL ? bad(c, "a password has %d to %d bytes", AUTH_PW_MIN, AUTH_PW_MAX)
		                      : ret;
	}
	c->job = j;
	return 0;
}

typedef struct {
	json_t *arr;
	db_t *db;
} list_t;

static int user_row(const db_user_t *u, void *ctx)
{
	list_t *l = ctx;
	return json_array_append_new(l->arr, ops_user_json(l->db, u));
}

static int cmd_user_list(ctl_call_t *c)
{
	list_t l = { json_array(), c->rdb };
	int ret = db_user_foreach(c->rdb, user_row, &l);
	if (ret != 0) {
		json_decref(l.arr);
		return ret;
	}
	c->result = l.arr;
	return 0;
}

static int cmd_user_del(ctl_call_t *c)
{
	const char *name;
	int ret = need_str(c, "name", &name);
	if (ret != 0)
		return ret;
	ctl_job_t *j = ctl_job_new(op_user_del);
	if (j == NULL)
		return -ENOMEM;
	snprintf(j->a.user_del.name, sizeof(j->a.user_del.name), "%s", name);
	snprintf(j->a.user_del.actor, sizeof(j->a.user_del.actor), "%s", c->actor);
	c->job = j;
	return 0;
}

/* user set NAME --admin | --no-admin */
static int cmd_user_set(ctl_call_t *c)
{
	const char *name;
	int ret = need_str(c, "name", &name);
	if (ret != 0)
		return ret;
	bool on = json_is_true(json_object_get(c->args, "admin"));
	bool off = json_is_true(json_object_get(c->args, "no_admin"));
	if (on == off)
		return bad(c, "say --admin or --no-admin");
	ctl_job_t *j = ctl_job_new(op_user_admin);
	if (j == NULL)
		return -ENOMEM;
	op_user_admin_t *a = &j->a.user_admin;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->admin = on;
	snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
	c->job = j;
	return 0;
}

/* ---- hosts ---- */

/* The name's rules (namecheck.h) are the writer's, so that the operator,
 * the API and its availability check can never disagree. */
static int cmd_host_add(ctl_call_t *c)
{
	const char *name, *owner;
	int ret;
	if ((ret = need_str(c, "name", &name)) != 0 || (ret = need_str(c, "owner", &owner)) != 0)
		return ret;
	if (strlen(name) >= DB_NAME_MAX || strlen(owner) >= 64)
		return bad(c, "%s is too long", strlen(name) >= DB_NAME_MAX ? "the host name" : "the owner");
	ctl_job_t *j = ctl_job_new(op_host_add);
	if (j == NULL)
		return -ENOMEM;
	op_host_add_t *a = &j->a.host_add;
	snprintf(a->fqdn, sizeof(a->fqdn), "%s", name);
	snprintf(a->user, sizeof(a->user), "%s", owner);
	snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
	bool given;
	long ttl = 0;
	if ((ret = parse_addr(c, "ipv4", AF_INET, &a->has_v4, a->v4, &given)) != 0 ||
	    (ret = parse_addr(c, "ipv6", AF_INET6, &a->has_v6, a->v6, &given)) != 0 ||
	    (ret = opt_int(c, "ttl", 1, 86400, &ttl, NULL)) != 0) {
		ctl_job_free(j);
		return ret;
	}
	a->ttl = (uint32_t)ttl;
	c->job = j;
	return 0;
}

static int host_row(const db_host_t *h, void *ctx)
{
	list_t *l = ctx;
	json_t *o = ops_host_json(h);
	db_user_t u;
	if (db_user_get_id(l->db, h->user, &u) == 0)
		json_object_set_new(o, "owner", json_string(u.name));
	json_array_append_new(l->arr, o);
	return 0;
}

static int cmd_host_list(ctl_call_t *c)
{
	int64_t user = -1;
	const char *owner = arg_str(c, "owner");
	if (owner != NULL) {
		db_user_t u;
		if (db_user_get(c->rdb, owner, &u) != 0)
			return bad(c, "no user %s", owner);
		user = u.id;
	}
	list_t l = { json_array(), c->rdb };
	int ret = db_host_foreach(c->rdb, -1, user, host_row, &l);
	if (ret != 0) {
		json_decref(l.arr);
		return ret;
	}
	c->result = l.arr;
	return 0;
}

static int history_row(const db_history_t *h, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "time", (json_int_t)h->time,
	                                     "source", h->src, "client", h->client, "old", h->old,
	                                     "new", h->new_, "result", h->result));
	return 0;
}

static int token_row(const db_token_t *t, void *ctx)
{
	json_array_append_new(ctx, json_pack("{s:I, s:s, s:I, s:I, s:b}", "id", (json_int_t)t->id,
	                                     "name", t->name, "created", (json_int_t)t->created,
	                                     "last_used", (json_int_t)t->last_used,
	                                     "revoked", t->revoked));
	return 0;
}

static int cmd_host_show(ctl_call_t *c)
{
	char fqdn[HOSTNAME_BUF];
	int ret = host_arg(c, "name", fqdn, sizeof(fqdn));
	if (ret != 0)
		return ret;
	db_host_t h;
	if ((ret = db_host_get(c->rdb, fqdn, &h)) != 0)
		return ret == DDNS_ENOENT ? bad(c, "no host %s", fqdn) : ret;
	list_t l = { json_array(), c->rdb };
	host_row(&h, &l);
	json_t *o = json_incref(json_array_get(l.arr, 0));
	json_decref(l.arr);
	json_t *hist = json_array(), *tokens = json_array();
	db_history_foreach(c->rdb, h.id, 50, history_row, hist);
	db_token_foreach(c->rdb, h.id, token_row, tokens);
	json_object_set_new(o, "history", hist);
	json_object_set_new(o, "tokens", tokens);
	c->result = o;
	return 0;
}

static int simple_host_job(ctl_call_t *c, wop_fn op, char *fqdn_dst, size_t len, char *actor)
{
	int ret = host_arg(c, "name", fqdn_dst, len);
	if (ret != 0)
		return ret;
	snprintf(actor, OP_ACTOR_MAX, "%s", c->actor);
	return 0;
}

static int cmd_host_del(ctl_call_t *c)
{
	ctl_job_t *j = ctl_job_new(op_host_del);
	if (j == NULL)
		return -ENOMEM;
	int ret = simple_host_job(c, op_host_del, j->a.host_del.fqdn, sizeof(j->a.host_del.fqdn),
	                          j->a.host_del.actor);
	if (ret != 0) {
		ctl_job_free(j);
		return ret;
	}
	c->job = j;
	return 0;
}

static int host_state(ctl_call_t *c, bool suspend)
{
	ctl_job_t *j = ctl_job_new(op_host_state);
	if (j == NULL)
		return -ENOMEM;
	op_host_state_t *a = &j->a.host_state;
	int ret = simple_host_job(c, op_host_state, a->fqdn, sizeof(a->fqdn), a->actor);
	const char *reason = arg_str(c, "reason"), *evidence = arg_str(c, "evidence");
	if (ret == 0 && suspend && (reason == NULL || *reason == '\0'))
		ret = bad(c, "a suspension needs a reason (--reason TEXT)");
	if (ret != 0) {
		ctl_job_free(j);
		return ret;
	}
	a->suspend = suspend;
	snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
	snprintf(a->evidence, sizeof(a->evidence), "%s", evidence ? evidence : "");
	c->job = j;
	return 0;
}

static int cmd_host_suspend(ctl_call_t *c) { return host_state(c, true); }
static int cmd_host_resume(ctl_call_t *c) { return host_state(c, false); }

static int cmd_host_set(ctl_call_t *c)
{
	ctl_job_t *j = ctl_job_new(op_host_update);
	if (j == NULL)
		return -ENOMEM;
	op_host_update_t *a = &j->a.host_update;
	int ret = simple_host_job(c, op_host_update, a->fqdn, sizeof(a->fqdn), a->actor);
	if (ret == 0)
		ret = hostset_parse(c->args, a, c->err, sizeof(c->err));
	if (ret != 0) {
		ctl_job_free(j);
		return ret;
	}
	snprintf(a->src, sizeof(a->src), "ddnsctl");
	snprintf(a->client, sizeof(a->client), "ddnsctl");
	c->job = j;
	return 0;
}

/* ---- credentials ---- */

/* A new token for job j: its hash into hash (for the writer), its text
 * into the reply only, as {key: text}, shown once. */
static void new_secret(ctl_job_t *j, const char *key, uint8_t hash[AUTH_TOKEN_HASH_LEN])
{
	char text[AUTH_TOKEN_TEXT_MAX];
	auth_token_new(text, hash);
	j->extra = json_pack("{s:s}", key, text);
	sodium_memzero(text, sizeof(text));
}

static int cmd_token_add(ctl_call_t *c)
{
	ctl_job_t *j = ctl_job_new(op_token_add);
	if (j == NULL)
		return -ENOMEM;
	op_token_add_t *a = &j->a.token_add;
	int ret = simple_host_job(c, op_token_add, a->fqdn, sizeof(a->fqdn), a->actor);
	if (ret != 0) {
		ctl_job_free(j);
		return ret;
	}
	const char *label = arg_str(c, "label");
	snprintf(a->name, sizeof(a->name), "%s", label ? label : "");
	new_secret(j, "token", a->hash);
	c->job = j;
	return 0;
}

static int cmd_tsig_add(ctl_call_t *c)
{
	const char *key, *alg = arg_str(c, "algorithm");
	int ret = need_str(c, "key", &key);
	if (ret != 0)
		return ret;
	if (name_check_text(key) != 0)
		return bad(c, "'%s' is not a valid key name (it must look like a domain name)", key);
	if (alg == NULL)
		alg = "hmac-sha256";
	size_t len = strcmp(alg, "hmac-sha256") == 0 ? 32 : strcmp(alg, "hmac-sha512") == 0 ? 64 : 0;
	if (len == 0)
		return bad(c, "algorithm must be hmac-sha256 or hmac-sha512");
	ctl_job_t *j = ctl_job_new(op_tsig_add);
	if (j == NULL)
		return -ENOMEM;
	op_tsig_add_t *a = &j->a.tsig_add;
	snprintf(a->keyname, sizeof(a->keyname), "%s", key);
	for (char *p = a->keyname; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(a->algorithm, sizeof(a->algorithm), "%s", alg);
	snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
	if (arg_str(c, "host") != NULL && (ret = host_arg(c, "host", a->fqdn, sizeof(a->fqdn))) != 0) {
		ctl_job_free(j);
		return ret;
	}
	char b64[AUTH_TSIG_B64_MAX];
	auth_tsig_new(a->secret, len, b64, sizeof(b64));
	a->secret_len = len;
	j->extra = json_pack("{s:s}", "secret", b64);
	sodium_memzero(b64, sizeof(b64));
	c->job = j;
	return 0;
}

/* ---- the abuse desk ---- */

static int report_row(const db_report_t *r, void *ctx)
{
	return json_array_append_new(ctx, desk_report_json(r, true));
}

static int cmd_abuse_list(ctl_call_t *c)
{
	const char *status = arg_str(c, "status");
	if (json_is_true(json_object_get(c->args, "all")))
		status = NULL;
	else if (status == NULL)
		status = "queue";
	json_t *arr = json_array();
	int ret = db_report_foreach(c->rdb, status, arg_str(c, "host"), 1000, report_row, arr);
	if (ret != 0) {
		json_decref(arr);
		return ret;
	}
	c->result = arr;
	return 0;
}

static int report_arg(ctl_call_t *c, db_report_t *r)
{
	const char *id;
	int ret = need_str(c, "id", &id);
	if (ret != 0)
		return ret;
	ret = db_report_get(c->rdb, id, r);
	if (ret == DDNS_ENOENT)
		return bad(c, "no abuse report %s (ddnsctl abuse list shows the open ones)", id);
	return ret;
}

static int cmd_abuse_show(ctl_call_t *c)
{
	db_report_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	int ret = report_arg(c, r);
	if (ret == 0 && (c->result = desk_report_show(c->rdb, r)) == NULL)
		ret = -ENOMEM;
	free(r);
	return ret;
}

static int abuse_decide(ctl_call_t *c, enum desk_action action)
{
	db_report_t *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	int ret = report_arg(c, r);
	const char *reason = arg_str(c, "reason");
	if (ret == 0 && action == DESK_REJECT && (reason == NULL || *reason == '\0'))
		ret = bad(c, "say why (--reason TEXT): the reporter and the owner are told");
	ctl_job_t *j = ret == 0 ? ctl_job_new(op_abuse_decide) : NULL;
	if (ret == 0 && j == NULL)
		ret = -ENOMEM;
	if (ret == 0) {
		op_abuse_decide_t *a = &j->a.abuse_decide;
		snprintf(a->ref, sizeof(a->ref), "%s", r->ref);
		a->action = action;
		snprintf(a->reason, sizeof(a->reason), "%s", reason ? reason : "");
		snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
		c->job = j;
	}
	free(r);
	return ret;
}

static int cmd_abuse_suspend(ctl_call_t *c) { return abuse_decide(c, DESK_SUSPEND); }
static int cmd_abuse_reject(ctl_call_t *c) { return abuse_decide(c, DESK_REJECT); }

/* A reporter job for the name argument (checked as a user name when new). */
static int reporter_job(ctl_call_t *c, bool revoke, op_reporter_t **out)
{
	const char *name;
	int ret = need_str(c, "name", &name);
	if (ret == 0 && !revoke)
		ret = user_name_ok(c, name);
	if (ret != 0)
		return ret;
	ctl_job_t *j = ctl_job_new(op_reporter);
	if (j == NULL)
		return -ENOMEM;
	op_reporter_t *a = &j->a.reporter;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->revoke = revoke;
	snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
	c->job = j;
	*out = a;
	return 0;
}

static int cmd_reporter_add(ctl_call_t *c)
{
	op_reporter_t *a;
	int ret = reporter_job(c, false, &a);
	if (ret != 0)
		return ret;
	a->suspend = !json_is_true(json_object_get(c->args, "no_suspend"));
	new_secret(c->job, "key", a->hash);
	return 0;
}

static int cmd_reporter_revoke(ctl_call_t *c)
{
	op_reporter_t *a;
	return reporter_job(c, true, &a);
}

static int reporter_row(const db_reporter_t *r, void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:s, s:I, s:b, s:b}", "name", r->name,
	                                            "created", (json_int_t)r->created,
	                                            "suspend", r->suspend, "revoked", r->revoked));
}

static int cmd_reporter_list(ctl_call_t *c)
{
	json_t *arr = json_array();
	int ret = db_reporter_foreach(c->rdb, reporter_row, arr);
	if (ret != 0) {
		json_decref(arr);
		return ret;
	}
	c->result = arr;
	return 0;
}

/* ---- invitations (signup = invite) ---- */

static int cmd_invite_add(ctl_call_t *c)
{
	long days = 7;
	int ret = opt_int(c, "days", 1, 365, &days, NULL);
	if (ret != 0)
		return ret;
	ctl_job_t *j = ctl_job_new(op_invite_add);
	if (j == NULL)
		return -ENOMEM;
	op_account_t *a = &j->a.account;
	a->expires = time(NULL) + days * 86400;
	snprintf(a->actor, sizeof(a->actor), "%s", c->actor);
	new_secret(j, "code", a->hash);
	c->job = j;
	return 0;
}

/* ---- audit and status ---- */

static int audit_row(const db_audit_t *a, void *ctx)
{
	json_array_append_new(ctx, ops_audit_json(a));
	return 0;
}

static int cmd_audit(ctl_call_t *c)
{
	if (json_is_true(json_object_get(c->args, "verify"))) {
		int64_t rows = 0, bad_id = 0;
		uint8_t head[AUDIT_HASH_LEN];
		char why[256] = "", hex[2 * AUDIT_HASH_LEN + 1];
		int ret = db_audit_verify(c->rdb, &rows, head, &bad_id, why, sizeof(why));
		if (ret == DDNS_EMALF)
			return bad(c, "audit chain broken at row %lld: %s", (long long)bad_id, why);
		if (ret != 0)
			return ret;
		sodium_bin2hex(hex, sizeof(hex), head, sizeof(head));
		c->result = json_pack("{s:b, s:I, s:s}", "intact", 1, "rows", (json_int_t)rows, "head", hex);
		return 0;
	}
	json_t *arr = json_array();
	int ret = db_audit_foreach(c->rdb, audit_row, arr);
	if (ret != 0) {
		json_decref(arr);
		return ret;
	}
	c->result = arr;
	return 0;
}

static int cmd_status(ctl_call_t *c)
{
	repl_snap_t snap;
	if (repl_snap_take(&snap, c->xfr, c->notifier) != 0)
		return -ENOMEM;
	json_t *zones = json_array();
	for (size_t i = 0; i < c->conf->zone_count; i++) {
		const char *name = c->conf->zones[i].name;
		int64_t id;
		uint32_t serial = 0;
		db_zone_get(c->rdb, name, false, &id, &serial);
		json_t *z = json_pack("{s:s, s:I}", "zone", name, "serial", (json_int_t)serial);
		repl_snap_zone(&snap, i, name, serial, z);
		json_array_append_new(zones, z);
	}
	c->result = json_pack("{s:s, s:o}", "version", DDNSD_VERSION, "zones", zones);
	repl_snap_counters(&snap, c->result);
	repl_snap_free(&snap);
	return 0;
}

static int cmd_export(ctl_call_t *c)
{
	c->result = dump_export(c->rdb, c->conf, c->err, sizeof(c->err));
	return c->result ? 0 : DDNS_EDB;
}

static int cmd_import(ctl_call_t *c)
{
	json_t *dump = json_object_get(c->args, "dump");
	if (!json_is_object(dump))
		return bad(c, "import needs the export document (ddnsctl import < dump.json)");
	ctl_job_t *j = ctl_job_new(op_import);
	if (j == NULL)
		return -ENOMEM;
	j->a.import = json_incref(dump);
	c->job = j;
	return 0;
}

/* A copy of the database taken while ddnsd runs: consistent (one read
 * transaction), checked, in a new file only the server's user can read
 * (it holds password hashes and TSIG secrets), audited. The control
 * thread waits for it: seconds at a million hosts. */
static int cmd_backup(ctl_call_t *c)
{
	const char *path;
	int ret = need_str(c, "path", &path);
	if (ret != 0)
		return ret;
	if (path[0] != '/')
		return bad(c, "backup: %s is not an absolute path", path);
	if (strlen(path) >= sizeof(((op_audit_note_t *)0)->target))
		return bad(c, "backup: the path is longer than 255 bytes");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return bad(c, "backup: %s: %s", path, strerror(errno));
	close(fd);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int64_t users = 0, hosts = 0;
	char why[300];
	if (db_backup(c->rdb, path) != 0) {
		ret = bad(c, "backup: %s", db_errmsg(c->rdb));
		unlink(path);
		return ret;
	}
	if (db_check_file(path, &users, &hosts, why, sizeof(why)) != 0) {
		unlink(path);
		return bad(c, "backup: the copy did not check out, removed: %s", why);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	struct stat sb;
	if (stat(path, &sb) != 0)
		sb.st_size = 0;
	ctl_job_t *j = ctl_job_new(op_audit_note);
	if (j == NULL)
		return -ENOMEM;
	snprintf(j->a.note.actor, sizeof(j->a.note.actor), "%s", c->actor);
	snprintf(j->a.note.action, sizeof(j->a.note.action), "db.backup");
	snprintf(j->a.note.target, sizeof(j->a.note.target), "%s", path);
	j->extra = json_pack("{s:s, s:I, s:I, s:I, s:f, s:s}", "path", path, "bytes",
	                     (json_int_t)sb.st_size, "users", (json_int_t)users, "hosts",
	                     (json_int_t)hosts, "seconds",
	                     (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	                     "check", "ok");
	c->job = j;
	return 0;
}

static const struct {
	const char *name;
	ctl_handler_t fn;
} table[] = {
	{ "export", cmd_export },
	{ "import", cmd_import },
	{ "user.add", cmd_user_add },
	{ "user.list", cmd_user_list },
	{ "user.del", cmd_user_del },
	{ "user.set", cmd_user_set },
	{ "host.add", cmd_host_add },
	{ "host.list", cmd_host_list },
	{ "host.show", cmd_host_show },
	{ "host.del", cmd_host_del },
	{ "host.set", cmd_host_set },
	{ "host.suspend", cmd_host_suspend },
	{ "host.resume", cmd_host_resume },
	{ "token.add", cmd_token_add },
	{ "tsig.add", cmd_tsig_add },
	{ "abuse.list", cmd_abuse_list },
	{ "abuse.show", cmd_abuse_show },
	{ "abuse.suspend", cmd_abuse_suspend },
	{ "abuse.reject", cmd_abuse_reject },
	{ "reporter.add", cmd_reporter_add },
	{ "reporter.list", cmd_reporter_list },
	{ "reporter.revoke", cmd_reporter_revoke },
	{ "invite.add", cmd_invite_add },
	{ "audit", cmd_audit },
	{ "status", cmd_status },
	{ "backup", cmd_backup },
	{ "outbox", ctl_cmd_outbox },
};

ctl_handler_t ctl_command(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].fn;
	return NULL;
}
