/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * op_import: loads an export (ctl/dump.c) into a server that has no users
 * and no hosts yet, in one transaction: all of it or nothing. Records go in
 * byte for byte and zones keep their serials (raised if this server's is
 * already higher), so the new server answers exactly as the old one did.
 * Writer thread.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "store/account.h"
#include "store/audit.h"
#include "upd/ops.h"

typedef struct {
	wctx_t *w;
	wreq_t *r;
	db_t *db;
	int64_t *zone_ids;         /* per configured zone */
	const conf_t *conf;
} imp_t;

static int fail(imp_t *im, const char *what, size_t i, const char *why)
{
	snprintf(im->r->msg, sizeof(im->r->msg), "import: %s[%zu]: %s", what, i, why);
	return -EINVAL;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static json_int_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Decodes hex into out (max bytes); returns the length or -1. */
static int unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n;
	if (sodium_hex2bin(out, max, s, strlen(s), NULL, &n, NULL) != 0)
		return -1;
	return (int)n;
}

static int64_t zone_id(imp_t *im, const char *name)
{
	for (size_t i = 0; i < im->conf->zone_count; i++)
		if (strcmp(im->conf->zones[i].name, name) == 0)
			return im->zone_ids[i];
	return -1;
}

static int empty_check(const db_user_t *u, void *ctx)
{
	return DDNS_EEXIST;
}

static int empty_host(const db_host_t *h, void *ctx)
{
	return DDNS_EEXIST;
}

static int empty_audit(const db_audit_t *a, void *ctx)
{
	return DDNS_EEXIST;
}

static int import_zones(imp_t *im, json_t *zones)
{
	size_t i, j;
	json_t *z, *rr;
	static uint8_t rdata[65535];
	json_array_foreach(zones, i, z) {
		int64_t zid = zone_id(im, str(z, "name"));
		if (zid < 0)
			return fail(im, "zones", i, "zone is not configured on this server");
		int ret = db_rr_clear(im->db, zid);
		if (ret != 0)
			return ret;
		json_array_foreach(json_object_get(z, "records"), j, rr) {
			uint8_t owner[255];
			int ol = unhex(str(rr, "owner"), owner, sizeof(owner));
			int rl = unhex(str(rr, "rdata"), rdata, sizeof(rdata));
			json_int_t type = num(rr, "type"), ttl = num(rr, "ttl");
			if (ol < 0 || rl < 0 || type <= 0 || type > 65535 || ttl < 0 || ttl > INT32_MAX)
				return fail(im, "records", j, "malformed record");
			ret = db_rr_insert(im->db, zid, owner, (size_t)ol, (uint16_t)type, (uint32_t)ttl,
			                   rdata, (size_t)rl);
			if (ret != 0)
				return ret;
		}
		/* The zone keeps its serial unless ours is already ahead. */
		if ((ret = wctx_touch_zone(im->w, zid)) != 0 ||
		    (ret = wctx_set_serial(im->w, zid, (uint32_t)num(z, "serial"))) != 0)
			return ret;
	}
	return 0;
}

static int import_users(imp_t *im, json_t *users)
{
	size_t i;
	json_t *o;
	json_array_foreach(users, i, o) {
		db_user_t u;
		memset(&u, 0, sizeof(u));
		snprintf(u.name, sizeof(u.name), "%s", str(o, "name"));
		snprintf(u.email, sizeof(u.email), "%s", str(o, "email"));
		snprintf(u.pwhash, sizeof(u.pwhash), "%s", str(o, "pwhash"));
		u.max_hosts = (int)num(o, "max_hosts");
		u.created = num(o, "created");
		u.disabled = json_is_true(json_object_get(o, "disabled"));
		u.generation = num(o, "generation");
		u.admin = json_is_true(json_object_get(o, "admin"));
		u.verified = !json_is_false(json_object_get(o, "verified"));
		snprintf(u.signup_net, sizeof(u.signup_net), "%s", str(o, "signup_net"));
		if (u.name[0] == '\0' || strncmp(u.pwhash, "$argon2id$", 10) != 0)
			return fail(im, "users", i, "needs a name and an argon2id password hash");
		int ret = db_user_add(im->db, &u);
		if (ret == DDNS_EEXIST)
			return fail(im, "users", i, "duplicate user");
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int import_hosts(imp_t *im, json_t *hosts)
{
	size_t i;
	json_t *o;
	json_array_foreach(hosts, i, o) {
		db_host_t h;
		db_user_t u;
		memset(&h, 0, sizeof(h));
		snprintf(h.name, sizeof(h.name), "%s", str(o, "name"));
		h.zone = zone_id(im, str(o, "zone"));
		if (h.zone < 0)
			return fail(im, "hosts", i, "zone is not configured on this server");
		if (db_user_get(im->db, str(o, "user"), &u) != 0)
			return fail(im, "hosts", i, "owner is not among the users");
		h.user = u.id;
		/* The owner name is the host name less its zone, in wire form. */
		const char *zn = str(o, "zone");
		size_t hl = strlen(h.name), zl = strlen(zn);
		if (hl <= zl + 1 || strcmp(h.name + hl - zl, zn) != 0 || h.name[hl - zl - 1] != '.')
			return fail(im, "hosts", i, "name is not in its zone");
		size_t pos = 0;
		const char *p = h.name, *end = h.name + hl - zl - 1;
		while (p < end) {
			const char *dot = memchr(p, '.', end - p);
			size_t l = dot ? (size_t)(dot - p) : (size_t)(end - p);
			if (l == 0 || l > 63 || pos + 1 + l > sizeof(h.owner))
				return fail(im, "hosts", i, "bad name");
			h.owner[pos++] = (uint8_t)l;
			memcpy(h.owner + pos, p, l);
			pos += l;
			p += l + 1;
		}
		h.ownerlen = (uint8_t)pos;
		const char *a4 = str(o, "ipv4"), *a6 = str(o, "ipv6");
		h.has_v4 = *a4 && unhex(a4, h.v4, 4) == 4;
		h.has_v6 = *a6 && unhex(a6, h.v6, 16) == 16;
		snprintf(h.txt, sizeof(h.txt), "%s", *str(o, "txt") ? str(o, "txt") : "[]");
		snprintf(h.acme, sizeof(h.acme), "%s", *str(o, "acme") ? str(o, "acme") : "[]");
		snprintf(h.mx, sizeof(h.mx), "%s", str(o, "mx"));
		h.mx_pref = (int)num(o, "mx_pref");
		h.wildcard = json_is_true(json_object_get(o, "wildcard"));
		h.ttl = (uint32_t)num(o, "ttl");
		h.state = (int)num(o, "state");
		snprintf(h.reason, sizeof(h.reason), "%s", str(o, "reason"));
		h.created = num(o, "created");
		h.updated = num(o, "updated");
		snprintf(h.src, sizeof(h.src), "%s", str(o, "source"));
		snprintf(h.client, sizeof(h.client), "%s", str(o, "client"));
		int ret = db_host_add(im->db, &h);
		if (ret == DDNS_EEXIST)
			return fail(im, "hosts", i, "duplicate host");
		if (ret != 0)
			return ret;
	}
	return 0;
}

static int64_t host_id(imp_t *im, const char *name)
{
	db_host_t h;
	return *name && db_host_get(im->db, name, &h) == 0 ? h.id : 0;
}

static int import_rest(imp_t *im, json_t *dump)
{
	size_t i;
	json_t *o;
	int ret;
	json_array_foreach(json_object_get(dump, "tokens"), i, o) {
		db_token_t t;
		memset(&t, 0, sizeof(t));
		if ((t.host = host_id(im, str(o, "host"))) == 0 || unhex(str(o, "hash"), t.hash, 32) != 32)
			return fail(im, "tokens", i, "unknown host or malformed hash");
		snprintf(t.name, sizeof(t.name), "%s", str(o, "name"));
		t.created = num(o, "created");
		t.last_used = num(o, "last_used");
		t.expires = num(o, "expires");
		t.revoked = json_is_true(json_object_get(o, "revoked"));
		if ((ret = db_token_add(im->db, &t)) != 0)
			return ret;
	}
	json_array_foreach(json_object_get(dump, "tsig"), i, o) {
		db_tsig_t k;
		memset(&k, 0, sizeof(k));
		snprintf(k.name, sizeof(k.name), "%s", str(o, "name"));
		snprintf(k.algorithm, sizeof(k.algorithm), "%s", str(o, "algorithm"));
		snprintf(k.scope, sizeof(k.scope), "%s", str(o, "scope"));
		int n = unhex(str(o, "secret"), k.secret, sizeof(k.secret));
		if (n < 16)
			return fail(im, "tsig", i, "malformed secret");
		k.secret_len = (size_t)n;
		k.host = host_id(im, str(o, "host"));
		k.created = num(o, "created");
		if ((ret = db_tsig_add(im->db, &k)) != 0)
			return ret == DDNS_EEXIST ? fail(im, "tsig", i, "duplicate key") : ret;
	}
	json_array_foreach(json_object_get(dump, "history"), i, o) {
		db_history_t h;
		memset(&h, 0, sizeof(h));
		if ((h.host = host_id(im, str(o, "host"))) == 0)
			continue; /* history of hosts deleted before the export */
		h.time = num(o, "time");
		snprintf(h.src, sizeof(h.src), "%s", str(o, "source"));
		snprintf(h.client, sizeof(h.client), "%s", str(o, "client"));
		snprintf(h.old, sizeof(h.old), "%s", str(o, "old"));
		snprintf(h.new_, sizeof(h.new_), "%s", str(o, "new"));
		snprintf(h.result, sizeof(h.result), "%s", str(o, "result"));
		if ((ret = db_history_add(im->db, &h, NULL)) != 0)
			return ret;
	}
	json_array_foreach(json_object_get(dump, "audit"), i, o) {
		db_audit_t a;
		memset(&a, 0, sizeof(a));
		a.id = num(o, "id");
		a.time = num(o, "time");
		snprintf(a.actor, sizeof(a.actor), "%s", str(o, "actor"));
		snprintf(a.action, sizeof(a.action), "%s", str(o, "action"));
		snprintf(a.target, sizeof(a.target), "%s", str(o, "target"));
		snprintf(a.reason, sizeof(a.reason), "%s", str(o, "reason"));
		snprintf(a.evidence, sizeof(a.evidence), "%s", str(o, "evidence"));
		if (unhex(str(o, "prev"), a.prev, AUDIT_HASH_LEN) != AUDIT_HASH_LEN ||
		    unhex(str(o, "hash"), a.hash, AUDIT_HASH_LEN) != AUDIT_HASH_LEN)
			return fail(im, "audit", i, "malformed hash");
		if ((ret = db_audit_insert_raw(im->db, &a)) != 0)
			return ret;
	}
	return 0;
}

int op_import(wctx_t *w, wreq_t *r)
{
	json_t *dump = *(json_t **)r->args;
	const conf_t *conf = wctx_conf(w);
	imp_t im = { .w = w, .r = r, .db = wctx_db(w), .conf = conf };
	if (!json_is_object(dump) || strcmp(str(dump, "format"), "ddnsd-export") != 0 ||
	    num(dump, "version") != 1) {
		snprintf(r->msg, sizeof(r->msg), "import: not a ddnsd export (format ddnsd-export, version 1)");
		return -EINVAL;
	}
	if (db_user_foreach(im.db, empty_check, NULL) != 0 ||
	    db_host_foreach(im.db, -1, -1, empty_host, NULL) != 0 ||
	    db_audit_foreach(im.db, empty_audit, NULL) != 0) {
		snprintf(r->msg, sizeof(r->msg),
		         "import: this server already has users, hosts or an audit log; import needs an empty one");
		return DDNS_EEXIST;
	}
	int64_t ids[conf->zone_count + 1];
	im.zone_ids = ids;
	for (size_t i = 0; i < conf->zone_count; i++)
		ids[i] = wctx_zone_id(w, &conf->zones[i]);
	int ret = import_zones(&im, json_object_get(dump, "zones"));
	if (ret == 0)
		ret = import_users(&im, json_object_get(dump, "users"));
	if (ret == 0)
		ret = import_hosts(&im, json_object_get(dump, "hosts"));
	if (ret == 0)
		ret = import_rest(&im, dump);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:i, s:i, s:i}", "zones", (int)json_array_size(json_object_get(dump, "zones")),
		                      "users", (int)json_array_size(json_object_get(dump, "users")),
		                      "hosts", (int)json_array_size(json_object_get(dump, "hosts")));
	}
	return ret;
}
