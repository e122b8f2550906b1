/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The writer's operations; see ops.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abuse/tell.h"
#include "lib/errors.h"
#include "lib/name.h"
#include "lib/net.h"
#include "lib/strbuf.h"
#include "store/abuse.h"
#include "store/audit.h"
#include "store/session.h"
#include "upd/hostrr.h"
#include "upd/namecheck.h"
#include "abuse/desk.h"
#include "upd/ops.h"

#define ACME_MAX 8

static int audit(wctx_t *w, const char *actor, const char *action, const char *target,
                 const char *reason, const char *evidence)
{
	db_audit_t a;
	memset(&a, 0, sizeof(a));
	a.time = wctx_now(w);
	str_copy(a.actor, sizeof(a.actor), actor && *actor ? actor : "system");
	str_copy(a.action, sizeof(a.action), action);
	str_copy(a.target, sizeof(a.target), target ? target : "");
	str_copy(a.reason, sizeof(a.reason), reason ? reason : "");
	str_copy(a.evidence, sizeof(a.evidence), evidence ? evidence : "");
	return db_audit_append(wctx_db(w), &a);
}

static const conf_zone_t *zone_of(wctx_t *w, int64_t zone_id)
{
	const conf_t *c = wctx_conf(w);
	for (size_t i = 0; i < c->zone_count; i++)
		if (wctx_zone_id(w, &c->zones[i]) == zone_id)
			return &c->zones[i];
	return NULL;
}

/* Rewrites h's records (old: as it was, if known) and marks the names
 * whose records changed for publishing. */
static int publish_host(wctx_t *w, const db_host_t *h, const db_host_t *old, bool remove)
{
	const conf_zone_t *zc = zone_of(w, h->zone);
	if (zc == NULL)
		return DDNS_ENOZONE;
	unsigned touched = 0;
	int ret = hostrr_write(wctx_db(w), h, old, zc, remove, &touched);
	if (ret != 0)
		return ret;
	hostrr_owner_t o[HOSTRR_OWNERS];
	hostrr_owners(h, o);
	for (int i = 0; i < HOSTRR_OWNERS && ret == 0; i++)
		if (touched & (1u << i))
			ret = wctx_touch(w, h->zone, o[i].rel, o[i].len);
	return ret;
}

static int get_host(wctx_t *w, wreq_t *r, const char *fqdn, db_host_t *h)
{
	int ret = db_host_get(wctx_db(w), fqdn, h);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "no host %s", fqdn);
	return ret;
}

static const char *state_name(int s)
{
	return s == HOST_SUSPENDED ? "suspended" : s == HOST_OFFLINE ? "offline" :
	       s == HOST_BLOCKED ? "blocked" : "active";
}

json_t *ops_host_json(const db_host_t *h)
{
	char a4[INET_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "";
	if (h->has_v4)
		net_ntop(AF_INET, h->v4, a4, sizeof(a4));
	if (h->has_v6)
		net_ntop(AF_INET6, h->v6, a6, sizeof(a6));
	json_t *txt = json_loads(h->txt[0] ? h->txt : "[]", 0, NULL);
	json_t *acme = json_loads(h->acme[0] ? h->acme : "[]", 0, NULL);
	return json_pack("{s:s, s:s?, s:s?, s:o, s:o, s:s?, s:i, s:b, s:i, s:s, s:s, s:I, s:I, s:s, s:s}",
	                 "name", h->name,
	                 "ipv4", h->has_v4 ? a4 : NULL,
	                 "ipv6", h->has_v6 ? a6 : NULL,
	                 "txt", txt ? txt : json_array(),
	                 "acme", acme ? acme : json_array(),
	                 "mx", h->mx[0] ? h->mx : NULL,
	                 "mx_pref", h->mx_pref,
	                 "wildcard", h->wildcard,
	                 "ttl", (int)h->ttl,
	                 "state", state_name(h->state),
	                 "reason", h->reason,
	                 "created", (json_int_t)h->created,
	                 "updated", (json_int_t)h->updated,
	                 "source", h->src,
	                 "client", h->client);
}

/* Whether a stored JSON array of strings holds any. Nearly all are "[]",
 * which needs no parser (this runs twice per change, on the writer). */
static bool list_nonempty(const char *json)
{
	if (json[0] == '\0' || strcmp(json, "[]") == 0)
		return false;
	json_t *arr = json_loads(json, 0, NULL);
	bool any = json_array_size(arr) > 0;
	json_decref(arr);
	return any;
}

/* A short text of what a host publishes, for its history: "A 192.0.2.1
 * AAAA - TTL 60", then TXT and ACME values and a state other than active.
 * Put together without printf: every change writes one. */
static void summary(const db_host_t *h, char *buf, size_t len)
{
	char a4[INET_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-";
	if (h->has_v4)
		net_ntop(AF_INET, h->v4, a4, sizeof(a4));
	if (h->has_v6)
		net_ntop(AF_INET6, h->v6, a6, sizeof(a6));
	char ttl[11], *t = ttl + sizeof(ttl) - 1;
	uint32_t v = h->ttl;
	*t = '\0';
	do {
		*--t = (char)('0' + v % 10);
	} while ((v /= 10) > 0);
	const char *parts[] = { "A ", a4, " AAAA ", a6, " TTL ", t };
	size_t n = 0;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		n = str_cat(buf, len, n, parts[i]);
	if (list_nonempty(h->txt)) {
		n = str_cat(buf, len, n, " TXT ");
		n = str_cat(buf, len, n, h->txt);
	}
	if (list_nonempty(h->acme)) {
		n = str_cat(buf, len, n, " ACME ");
		n = str_cat(buf, len, n, h->acme);
	}
	if (h->state != HOST_ACTIVE) {
		n = str_cat(buf, len, n, " (");
		n = str_cat(buf, len, n, state_name(h->state));
		str_cat(buf, len, n, ")");
	}
}

/* ---- users ---- */

int op_user_add(wctx_t *w, wreq_t *r)
{
	op_user_add_t *a = r->args;
	db_user_t u;
	memset(&u, 0, sizeof(u));
	str_copy(u.name, sizeof(u.name), a->name);
	str_copy(u.email, sizeof(u.email), a->email);
	str_copy(u.pwhash, sizeof(u.pwhash), a->pwhash);
	u.max_hosts = a->max_hosts;
	u.admin = a->admin;
	u.verified = !a->unverified;
	str_copy(u.signup_net, sizeof(u.signup_net), a->signup_net);
	u.created = wctx_now(w);
	int ret = db_user_add(wctx_db(w), &u);
	if (ret == DDNS_EEXIST)
		snprintf(r->msg, sizeof(r->msg), "user %s already exists", a->name);
	if (ret == 0)
		ret = audit(w, a->actor, "user.add", a->name, NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s, s:s, s:i}", "name", u.name, "email", u.email,
		                      "max_hosts", u.max_hosts);
	}
	return ret;
}

typedef struct {
	int64_t *ids;
	size_t n, cap;
} ids_t;

/* Every TRIM_EVERY-th history row written, its host's rows beyond
 * history-max go: the check costs a walk over history-max index entries,
 * so it is not made for every update, and a host keeps at most about
 * history-max + TRIM_EVERY rows. */
#define TRIM_EVERY 32

/* One row of a host's update history, from old to h (or to `what`). */
static int add_history(wctx_t *w, const db_host_t *old, const db_host_t *h, const char *src,
                       const char *client, const char *what, const char *result)
{
	db_history_t hist;
	memset(&hist, 0, sizeof(hist));
	hist.host = h->id;
	hist.time = wctx_now(w);
	str_copy(hist.src, sizeof(hist.src), src);
	str_copy(hist.client, sizeof(hist.client), client);
	summary(old, hist.old, sizeof(hist.old));
	if (what)
		str_copy(hist.new_, sizeof(hist.new_), what);
	else
		summary(h, hist.new_, sizeof(hist.new_));
	str_copy(hist.result, sizeof(hist.result), result);
	int64_t id;
	int ret = db_history_add(wctx_db(w), &hist, &id);
	unsigned max = wctx_conf(w)->history_max;
	if (ret == 0 && max > 0 && id % TRIM_EVERY == 0)
		ret = db_history_trim(wctx_db(w), h->id, max);
	return ret;
}

/* Rows deleted per round of op_history_tick: each costs about what writing
 * it did, and a round holds up the updates queued behind it. */
#define EXPIRE_ROWS 250

int op_history_tick(wctx_t *w, wreq_t *r)
{
	unsigned keep = wctx_conf(w)->history_keep;
	if (keep == 0)
		return 0;
	int n;
	int ret = db_history_expire(wctx_db(w), wctx_now(w) - (int64_t)keep, EXPIRE_ROWS, &n);
	if (ret == 0 && n > 0) {
		r->changed = true;
		r->result = json_pack("{s:i, s:b}", "deleted", n, "more", n == EXPIRE_ROWS);
	}
	return ret;
}

int op_records_tick(wctx_t *w, wreq_t *r)
{
	const conf_t *conf = wctx_conf(w);
	int64_t now = wctx_now(w);
	int n, m = 0;
	bool more;
	int ret = db_logins_expire(wctx_db(w), now, now - (int64_t)conf->session_idle, EXPIRE_ROWS,
	                           &n, &more);
	if (ret == 0 && conf->outbox_keep > 0) {
		ret = db_outbox_expire(wctx_db(w), now - (int64_t)conf->outbox_keep, EXPIRE_ROWS, &m);
		more |= m == EXPIRE_ROWS;
	}
	if (ret == 0 && n + m > 0) {
		r->changed = true;
		r->result = json_pack("{s:i, s:b}", "deleted", n + m, "more", more);
	}
	return ret;
}

static int collect_host(const db_host_t *h, void *ctx)
{
	ids_t *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		int64_t *nv = realloc(l->ids, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		l->ids = nv;
		l->cap = cap;
	}
	l->ids[l->n++] = h->id;
	return 0;
}

static int delete_host(wctx_t *w, const db_host_t *h)
{
	int ret = publish_host(w, h, NULL, true);
	if (ret == 0)
		ret = db_host_del(wctx_db(w), h->id);
	if (ret == 0)
		ret = desk_host_deleted(w, h);
	return ret;
}

int op_user_del(wctx_t *w, wreq_t *r)
{
	op_user_del_t *a = r->args;
	db_t *db = wctx_db(w);
	db_user_t u;
	int ret = db_user_get(db, a->name, &u);
	if (ret == DDNS_ENOENT) {
		snprintf(r->msg, sizeof(r->msg), "no user %s", a->name);
		return ret;
	}
	/* Their hosts go with them; collect first, the loop must not delete
	 * under its own statement. */
	ids_t l = { 0 };
	if (ret == 0)
		ret = db_host_foreach(db, -1, u.id, collect_host, &l);
	for (size_t i = 0; ret == 0 && i < l.n; i++) {
		db_host_t h;
		ret = db_host_get_id(db, l.ids[i], &h);
		if (ret == 0)
			ret = delete_host(w, &h);
		if (ret == 0)
			ret = audit(w, a->actor, "host.del", h.name, "owner deleted", NULL);
	}
	free(l.ids);
	if (ret == 0)
		ret = db_tombstone_disown(db, u.id);
	if (ret == 0)
		ret = db_user_del(db, u.id);
	if (ret == 0)
		ret = audit(w, a->actor, "user.del", a->name, NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s, s:i}", "name", a->name, "hosts_deleted", (int)l.n);
	}
	return ret;
}

/* ---- hosts ---- */

int op_host_add(wctx_t *w, wreq_t *r)
{
	op_host_add_t *a = r->args;
	db_t *db = wctx_db(w);
	db_user_t u;
	int ret = db_user_get(db, a->user, &u);
	if (ret == DDNS_ENOENT) {
		snprintf(r->msg, sizeof(r->msg), "no user %s", a->user);
		return ret;
	}
	if (ret != 0)
		return ret;
	int count = 0;
	if ((ret = db_user_host_count(db, u.id, &count)) != 0)
		return ret;
	if (count >= u.max_hosts) {
		snprintf(r->msg, sizeof(r->msg), "user %s already has %d of %d hosts", u.name, count,
		         u.max_hosts);
		return DDNS_EQUOTA;
	}
	/* The same rules as the API's availability check, on the writer's
	 * own view of the database: nothing can change between the check
	 * and the insert. */
	char fqdn[HOSTNAME_BUF];
	const conf_zone_t *zc;
	if ((ret = namecheck(db, wctx_conf(w), wctx_now(w), a->fqdn, u.id, fqdn, &zc, r->msg,
	                     sizeof(r->msg))) != 0)
		return ret;

	db_host_t h;
	memset(&h, 0, sizeof(h));
	str_copy(h.name, sizeof(h.name), fqdn);
	h.zone = wctx_zone_id(w, zc);
	uint8_t full[NAME_WIRE_MAX], apex[NAME_WIRE_MAX];
	int fl = name_to_wire(fqdn, full), al = name_to_wire(zc->name, apex);
	int rel = fl > 0 && al > 0 ? name_rel_len(full, fl, apex, al) : -1;
	if (h.zone < 0 || rel <= 0) {
		snprintf(r->msg, sizeof(r->msg), "%s is not a host name in zone %s", fqdn, zc->name);
		return -EINVAL;
	}
	memcpy(h.owner, full, rel);
	h.ownerlen = (uint8_t)rel;
	h.user = u.id;
	h.has_v4 = a->has_v4;
	h.has_v6 = a->has_v6;
	memcpy(h.v4, a->v4, 4);
	memcpy(h.v6, a->v6, 16);
	h.ttl = a->ttl ? a->ttl : zc->ttl;
	h.mx_pref = 10;
	snprintf(h.txt, sizeof(h.txt), "[]");
	snprintf(h.acme, sizeof(h.acme), "[]");
	h.created = h.updated = wctx_now(w);
	str_copy(h.src, sizeof(h.src), a->actor);
	ret = db_host_add(db, &h);
	if (ret == DDNS_EEXIST)
		snprintf(r->msg, sizeof(r->msg), "host %s already exists", fqdn);
	if (ret == 0)
		ret = publish_host(w, &h, NULL, false);
	if (ret == DDNS_ECNAME)
		snprintf(r->msg, sizeof(r->msg), "%s: a CNAME is in the way", fqdn);
	if (ret == 0)
		ret = audit(w, a->actor, "host.add", fqdn, NULL, NULL);
	if (ret == 0)
		ret = desk_host_created(w, &h);
	if (ret == 0) {
		r->changed = true;
		r->result = ops_host_json(&h);
	}
	return ret;
}

/* Adds or removes one value in a JSON array of strings held in buf. */
static int acme_edit(char *buf, size_t len, const char *value, bool add, wreq_t *r)
{
	json_t *arr = json_loads(buf[0] ? buf : "[]", 0, NULL);
	if (arr == NULL || !json_is_array(arr)) {
		json_decref(arr);
		arr = json_array();
	}
	size_t i;
	json_t *v;
	bool found = false;
	json_array_foreach(arr, i, v) {
		if (strcmp(json_string_value(v), value) == 0) {
			found = true;
			if (!add) {
				json_array_remove(arr, i);
				break;
			}
		}
	}
	if (!add && value[0] == '\0')
		json_array_clear(arr);
	if (add && !found) {
		if (json_array_size(arr) >= ACME_MAX) {
			json_decref(arr);
			snprintf(r->msg, sizeof(r->msg), "at most %d ACME values at once", ACME_MAX);
			return DDNS_EQUOTA;
		}
		json_array_append_new(arr, json_string(value));
	}
	char *s = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	if (s == NULL)
		return -ENOMEM;
	int ret = strlen(s) < len ? 0 : DDNS_ETOOBIG;
	if (ret == 0)
		snprintf(buf, len, "%s", s);
	free(s);
	return ret;
}

static bool host_same(const db_host_t *a, const db_host_t *b)
{
	return a->has_v4 == b->has_v4 && (!a->has_v4 || memcmp(a->v4, b->v4, 4) == 0) &&
	       a->has_v6 == b->has_v6 && (!a->has_v6 || memcmp(a->v6, b->v6, 16) == 0) &&
	       a->ttl == b->ttl && strcmp(a->txt, b->txt) == 0 && strcmp(a->acme, b->acme) == 0 &&
	       strcmp(a->mx, b->mx) == 0 && a->mx_pref == b->mx_pref &&
	       a->wildcard == b->wildcard && a->state == b->state;
}

json_t *ops_host_update_json(const op_host_update_t *a, const db_host_t *h)
{
	json_t *j = ops_host_json(h);
	if (j != NULL && a->nochg)
		json_object_set_new(j, "nochg", json_true());
	return j;
}

static void host_update_result(wreq_t *r, op_host_update_t *a, const db_host_t *h)
{
	if (a->out != NULL)
		*a->out = *h; /* a copy is cheaper than the JSON */
	else
		r->result = ops_host_update_json(a, h);
}

int ops_ttl_check(const conf_zone_t *zc, uint32_t ttl, char *msg, size_t msglen)
{
	if (ttl >= zc->ttl_min && ttl <= zc->ttl_max)
		return 0;
	snprintf(msg, msglen, "a TTL in %s is from %u to %u seconds, not %u", zc->name, zc->ttl_min,
	         zc->ttl_max, ttl);
	return -EINVAL;
}

int op_host_update(wctx_t *w, wreq_t *r)
{
	op_host_update_t *a = r->args;
	db_t *db = wctx_db(w);
	db_host_t old, h;
	int ret = get_host(w, r, a->fqdn, &old);
	if (ret != 0)
		return ret;
	if (a->user != 0 && old.user != a->user) {
		snprintf(r->msg, sizeof(r->msg), "no host %s", a->fqdn);
		return DDNS_ENOENT;
	}
	/* A user keeps to the zone's TTL limits; the operator (ddnsctl,
	 * user 0) may set any TTL. */
	const conf_zone_t *zc = (a->set & HSET_TTL) && a->user != 0 ? zone_of(w, old.zone) : NULL;
	if (zc != NULL && (ret = ops_ttl_check(zc, a->ttl, r->msg, sizeof(r->msg))) != 0)
		return ret;
	a->state = old.state;
	if (old.state == HOST_SUSPENDED) {
		snprintf(r->msg, sizeof(r->msg), "host %s is suspended: %s", a->fqdn, old.reason);
		return DDNS_ESUSPENDED;
	}
	h = old;
	if (old.state == HOST_BLOCKED) {
		if (!(a->set & HSET_UNBLOCK)) {
			snprintf(r->msg, sizeof(r->msg), "updates of %s are blocked: %s; its owner can "
			         "lift this (ddnsctl host set --unblock, or the API)", a->fqdn, old.reason);
			return DDNS_EBLOCKED;
		}
		h.state = HOST_ACTIVE;
		h.reason[0] = '\0';
	}
	if (a->set & HSET_V4) {
		h.has_v4 = a->has_v4;
		memcpy(h.v4, a->v4, 4);
	}
	if (a->set & HSET_V6) {
		h.has_v6 = a->has_v6;
		memcpy(h.v6, a->v6, 16);
	}
	if (a->set & HSET_TTL)
		h.ttl = a->ttl;
	if (a->set & HSET_TXT)
		str_copy(h.txt, sizeof(h.txt), a->txt);
	if (a->set & HSET_ACME_SET)
		str_copy(h.acme, sizeof(h.acme), a->acme_all);
	if ((a->set & HSET_ACME_ADD) && (ret = acme_edit(h.acme, sizeof(h.acme), a->acme, true, r)) != 0)
		return ret;
	if ((a->set & HSET_ACME_DEL) && (ret = acme_edit(h.acme, sizeof(h.acme), a->acme, false, r)) != 0)
		return ret;
	if (a->set & HSET_MX) {
		str_copy(h.mx, sizeof(h.mx), a->mx);
		h.mx_pref = a->mx_pref;
	}
	if (a->set & HSET_MX_PREF) {
		if (h.mx[0] == '\0') {
			snprintf(r->msg, sizeof(r->msg), "%s has no MX record to give a preference", a->fqdn);
			return -EINVAL;
		}
		h.mx_pref = a->mx_pref;
	}
	if (a->set & HSET_WILDCARD)
		h.wildcard = a->wildcard;
	if (a->set & HSET_OFFLINE)
		h.state = a->offline ? HOST_OFFLINE : HOST_ACTIVE;

	if (host_same(&old, &h)) {
		/* A repeated identical update writes nothing at all. */
		a->nochg = true;
		host_update_result(r, a, &old);
		return 0;
	}
	h.updated = wctx_now(w);
	str_copy(h.src, sizeof(h.src), a->src);
	str_copy(h.client, sizeof(h.client), a->client);
	if ((ret = db_host_put(db, &h)) != 0 || (ret = publish_host(w, &h, &old, false)) != 0) {
		if (ret == DDNS_ECNAME)
			snprintf(r->msg, sizeof(r->msg), "%s: a CNAME is in the way", a->fqdn);
		return ret;
	}
	if ((ret = add_history(w, &old, &h, a->src, a->client, NULL, "good")) != 0)
		return ret;
	if (a->actor[0] && (ret = audit(w, a->actor, "host.update", a->fqdn, NULL, NULL)) != 0)
		return ret;
	if ((a->set & (HSET_V4 | HSET_V6)) && (ret = desk_host_addressed(w, &h, &old)) != 0)
		return ret;
	wctx_count_update(w);
	r->changed = true;
	host_update_result(r, a, &h);
	return 0;
}

int op_host_state(wctx_t *w, wreq_t *r)
{
	op_host_state_t *a = r->args;
	db_host_t old, h;
	int ret = get_host(w, r, a->fqdn, &old);
	if (ret != 0)
		return ret;
	if (a->suspend == (old.state == HOST_SUSPENDED)) {
		snprintf(r->msg, sizeof(r->msg), "host %s is %s", a->fqdn,
		         a->suspend ? "already suspended" : "not suspended");
		return DDNS_ESTATE;
	}
	h = old;
	h.state = a->suspend ? HOST_SUSPENDED : HOST_ACTIVE;
	str_copy(h.reason, sizeof(h.reason), a->suspend ? a->reason : "");
	if ((ret = db_host_put(wctx_db(w), &h)) != 0 || (ret = publish_host(w, &h, &old, false)) != 0)
		return ret;
	if ((ret = add_history(w, &old, &h, a->actor, "", NULL,
	                       a->suspend ? "suspended" : "resumed")) != 0)
		return ret;
	ret = audit(w, a->actor, a->suspend ? "host.suspend" : "host.resume", a->fqdn, a->reason,
	            a->evidence);
	if (ret == 0)
		ret = tell_owner(w, &h, a->suspend ? "suspended" : "resumed", a->reason, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = ops_host_json(&h);
	}
	return ret;
}

int op_audit_note(wctx_t *w, wreq_t *r)
{
	const op_audit_note_t *a = r->args;
	return audit(w, a->actor, a->action, a->target, NULL, NULL);
}

int op_host_block(wctx_t *w, wreq_t *r)
{
	op_host_state_t *a = r->args;
	db_host_t old, h;
	int ret = get_host(w, r, a->fqdn, &old);
	if (ret != 0)
		return ret;
	if (old.state != HOST_ACTIVE && old.state != HOST_OFFLINE)
		return 0; /* suspended or already blocked: nothing to add */
	h = old;
	h.state = HOST_BLOCKED;
	str_copy(h.reason, sizeof(h.reason), a->reason);
	if ((ret = db_host_put(wctx_db(w), &h)) != 0 || (ret = publish_host(w, &h, &old, false)) != 0)
		return ret;
	char what[DB_TEXT_MAX];
	snprintf(what, sizeof(what), "updates blocked: %s", a->reason);
	if ((ret = add_history(w, &old, &h, a->evidence, "", what, "blocked")) != 0)
		return ret;
	ret = audit(w, a->actor, "host.block", a->fqdn, a->reason, a->evidence);
	if (ret == 0)
		r->changed = true;
	return ret;
}

int op_host_del(wctx_t *w, wreq_t *r)
{
	op_host_del_t *a = r->args;
	db_host_t h;
	int ret = get_host(w, r, a->fqdn, &h);
	if (ret == 0)
		ret = delete_host(w, &h);
	if (ret == 0)
		ret = audit(w, a->actor, "host.del", a->fqdn, NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s}", "name", a->fqdn);
	}
	return ret;
}

/* ---- credentials ---- */

int op_token_add(wctx_t *w, wreq_t *r)
{
	op_token_add_t *a = r->args;
	db_host_t h;
	int ret = get_host(w, r, a->fqdn, &h);
	if (ret != 0)
		return ret;
	if (a->user != 0 && h.user != a->user) {
		snprintf(r->msg, sizeof(r->msg), "no host %s", a->fqdn);
		return DDNS_ENOENT;
	}
	db_token_t t;
	memset(&t, 0, sizeof(t));
	t.host = h.id;
	memcpy(t.hash, a->hash, 32);
	str_copy(t.name, sizeof(t.name), a->name);
	t.created = wctx_now(w);
	if ((ret = db_token_add(wctx_db(w), &t)) != 0)
		return ret;
	if (a->actor[0])
		ret = audit(w, a->actor, "token.add", a->fqdn, NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s, s:I}", "host", a->fqdn, "id", (json_int_t)t.id);
	}
	return ret;
}

int op_tsig_add(wctx_t *w, wreq_t *r)
{
	op_tsig_add_t *a = r->args;
	db_tsig_t k;
	memset(&k, 0, sizeof(k));
	int ret;
	if (a->fqdn[0]) {
		db_host_t h;
		if ((ret = get_host(w, r, a->fqdn, &h)) != 0)
			return ret;
		k.host = h.id;
		snprintf(k.scope, sizeof(k.scope), "host");
	} else {
		snprintf(k.scope, sizeof(k.scope), "transfer");
	}
	str_copy(k.name, sizeof(k.name), a->keyname);
	str_copy(k.algorithm, sizeof(k.algorithm), a->algorithm);
	memcpy(k.secret, a->secret, a->secret_len);
	k.secret_len = a->secret_len;
	k.created = wctx_now(w);
	ret = db_tsig_add(wctx_db(w), &k);
	if (ret == DDNS_EEXIST)
		snprintf(r->msg, sizeof(r->msg), "TSIG key %s already exists", a->keyname);
	if (ret == 0)
		ret = audit(w, a->actor, "tsig.add", a->keyname, a->fqdn[0] ? a->fqdn : "transfers", NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s, s:s, s:s}", "key", k.name, "algorithm", k.algorithm,
		                      "scope", k.scope);
	}
	return ret;
}


json_t *ops_user_json(db_t *db, const db_user_t *u)
{
	int hosts = 0;
	db_user_host_count(db, u->id, &hosts);
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:I, s:i, s:i, s:b}", "name", u->name,
	                 "email", u->email, "verified", u->verified, "admin", u->admin,
	                 "totp", u->totp, "created", (json_int_t)u->created,
	                 "max_hosts", u->max_hosts, "hosts", hosts, "disabled", u->disabled);
}

json_t *ops_audit_json(const db_audit_t *a)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id,
	                 "time", (json_int_t)a->time, "actor", a->actor, "action", a->action,
	                 "target", a->target, "reason", a->reason, "evidence", a->evidence);
}

int ops_audit(wctx_t *w, const char *actor, const char *action, const char *target,
              const char *reason, const char *evidence)
{
	return audit(w, actor, action, target, reason, evidence);
}
