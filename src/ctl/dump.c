/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The export; see dump.h. Binary values (owner names, RDATA, hashes,
 * secrets) are hex; names of zones, users and hosts tie rows together, not
 * database ids, so an import does not depend on them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/dump.h"
#include "lib/errors.h"
#include "store/account.h"
#include "store/audit.h"

static json_t *hex(const uint8_t *b, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (s == NULL)
		return json_null();
	sodium_bin2hex(s, 2 * n + 1, b, n);
	json_t *j = json_string(s);
	free(s);
	return j;
}

static int rr_row(const uint8_t *owner, size_t ownerlen, uint16_t type, uint32_t ttl,
                  const uint8_t *rdata, size_t rdlen, void *ctx)
{
	return json_array_append_new(ctx, json_pack("{s:o, s:i, s:I, s:o}", "owner", hex(owner, ownerlen),
	                                            "type", type, "ttl", (json_int_t)ttl,
	                                            "rdata", hex(rdata, rdlen)));
}

typedef struct {
	json_t *arr;
	db_t *db;
} ctx_t;

static int user_row(const db_user_t *u, void *c)
{
	return json_array_append_new(((ctx_t *)c)->arr,
		json_pack("{s:s, s:s, s:s, s:i, s:I, s:b, s:I, s:b, s:b, s:s}", "name", u->name,
		          "email", u->email, "pwhash", u->pwhash, "max_hosts", u->max_hosts,
		          "created", (json_int_t)u->created, "disabled", u->disabled,
		          "generation", (json_int_t)u->generation, "admin", u->admin,
		          "verified", u->verified, "signup_net", u->signup_net));
}

typedef struct {
	json_t *arr;
	db_t *db;
	const conf_t *conf;
	int64_t *zone_ids;
} hctx_t;

static int host_row(const db_host_t *h, void *p)
{
	hctx_t *c = p;
	db_user_t u;
	const char *zone = "";
	for (size_t i = 0; i < c->conf->zone_count; i++)
		if (c->zone_ids[i] == h->zone)
			zone = c->conf->zones[i].name;
	if (db_user_get_id(c->db, h->user, &u) != 0)
		u.name[0] = '\0';
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:I, s:i, s:s, s:I, s:I, s:s, s:s}",
	                      "name", h->name, "zone", zone, "user", u.name, "txt", h->txt,
	                      "acme", h->acme, "mx", h->mx, "mx_pref", h->mx_pref,
	                      "wildcard", h->wildcard, "ttl", (json_int_t)h->ttl, "state", h->state,
	                      "reason", h->reason, "created", (json_int_t)h->created,
	                      "updated", (json_int_t)h->updated, "source", h->src, "client", h->client);
	if (h->has_v4)
		json_object_set_new(o, "ipv4", hex(h->v4, 4));
	if (h->has_v6)
		json_object_set_new(o, "ipv6", hex(h->v6, 16));
	return json_array_append_new(c->arr, o);
}

static const char *host_name(db_t *db, int64_t id, db_host_t *h)
{
	return id > 0 && db_host_get_id(db, id, h) == 0 ? h->name : "";
}

static int token_row(const db_token_t *t, void *p)
{
	ctx_t *c = p;
	db_host_t h;
	return json_array_append_new(c->arr,
		json_pack("{s:s, s:o, s:s, s:I, s:I, s:I, s:b}", "host", host_name(c->db, t->host, &h),
		          "hash", hex(t->hash, 32), "name", t->name, "created", (json_int_t)t->created,
		          "last_used", (json_int_t)t->last_used, "expires", (json_int_t)t->expires,
		          "revoked", t->revoked));
}

static int tsig_row(const db_tsig_t *k, void *p)
{
	ctx_t *c = p;
	db_host_t h;
	return json_array_append_new(c->arr,
		json_pack("{s:s, s:s, s:o, s:s, s:s, s:I}", "name", k->name, "algorithm", k->algorithm,
		          "secret", hex(k->secret, k->secret_len), "host", host_name(c->db, k->host, &h),
		          "scope", k->scope, "created", (json_int_t)k->created));
}

static int history_row(const db_history_t *r, void *p)
{
	ctx_t *c = p;
	db_host_t h;
	return json_array_append_new(c->arr,
		json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "host", host_name(c->db, r->host, &h),
		          "time", (json_int_t)r->time, "source", r->src, "client", r->client,
		          "old", r->old, "new", r->new_, "result", r->result));
}

static int audit_row(const db_audit_t *a, void *p)
{
	return json_array_append_new(p,
		json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)a->id,
		          "time", (json_int_t)a->time, "actor", a->actor, "action", a->action,
		          "target", a->target, "reason", a->reason, "evidence", a->evidence,
		          "prev", hex(a->prev, AUDIT_HASH_LEN), "hash", hex(a->hash, AUDIT_HASH_LEN)));
}

json_t *dump_export(db_t *db, const conf_t *conf, char *err, size_t errlen)
{
	json_t *out = NULL, *zones = json_array(), *users = json_array(), *hosts = json_array(),
	       *tokens = json_array(), *tsig = json_array(), *history = json_array(),
	       *audit = json_array();
	int64_t *zone_ids = calloc(conf->zone_count + 1, sizeof(int64_t));
	int ret = zone_ids ? db_begin_read(db) : -ENOMEM;
	for (size_t i = 0; ret == 0 && i < conf->zone_count; i++) {
		uint32_t serial = 0;
		json_t *records = json_array();
		zone_ids[i] = -1;
		ret = db_zone_get(db, conf->zones[i].name, false, &zone_ids[i], &serial);
		if (ret == DDNS_ENOENT) {
			ret = 0;
			json_decref(records);
			continue;
		}
		if (ret == 0)
			ret = db_rr_foreach(db, zone_ids[i], rr_row, records);
		json_array_append_new(zones, json_pack("{s:s, s:I, s:o}", "name", conf->zones[i].name,
		                                       "serial", (json_int_t)serial, "records", records));
	}
	ctx_t c = { users, db };
	if (ret == 0)
		ret = db_user_foreach(db, user_row, &c);
	hctx_t hc = { hosts, db, conf, zone_ids };
	if (ret == 0)
		ret = db_host_foreach(db, -1, -1, host_row, &hc);
	c.arr = tokens;
	if (ret == 0)
		ret = db_token_foreach(db, -1, token_row, &c);
	c.arr = tsig;
	if (ret == 0)
		ret = db_tsig_foreach(db, tsig_row, &c);
	c.arr = history;
	if (ret == 0)
		ret = db_history_foreach_all(db, history_row, &c);
	if (ret == 0)
		ret = db_audit_foreach(db, audit_row, audit);
	db_rollback(db);
	free(zone_ids);
	if (ret != 0) {
		snprintf(err, errlen, "export failed: %s", ret == DDNS_EDB ? db_errmsg(db) : ddns_strerror(ret));
		json_decref(zones);
		json_decref(users);
		json_decref(hosts);
		json_decref(tokens);
		json_decref(tsig);
		json_decref(history);
		json_decref(audit);
		return NULL;
	}
	out = json_pack("{s:s, s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "format", DUMP_FORMAT,
	                "version", DUMP_VERSION, "ddnsd", DDNSD_VERSION, "zones", zones, "users", users,
	                "hosts", hosts, "tokens", tokens, "tsig", tsig, "history", history,
	                "audit", audit);
	return out;
}
