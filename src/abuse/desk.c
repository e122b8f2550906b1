/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The abuse desk's writer operations; see desk.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "abuse/desk.h"
#include "abuse/netset.h"
#include "abuse/tell.h"
#include "lib/errors.h"
#include "lib/log.h"

const char *const desk_categories[] = {
	"malware", "phishing", "botnet", "spam", "fraud", "scanning", "ddos", "csam",
	"copyright", "other",
};
const size_t desk_category_count = sizeof(desk_categories) / sizeof(desk_categories[0]);

/* The blocklist; read and set on the writer thread only. */
static struct netset *blocklist;

static const char ref_alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";

static void new_ref(char ref[DB_REPORT_REF_LEN + 1])
{
	for (int i = 0; i < DB_REPORT_REF_LEN; i++)
		ref[i] = ref_alphabet[randombytes_uniform(sizeof(ref_alphabet) - 1)];
	ref[DB_REPORT_REF_LEN] = '\0';
}

static void iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *desk_report_json(const db_report_t *r, bool full)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "id", r->ref, "host", r->host,
	                      "category", r->category, "status", r->status,
	                      "created", (json_int_t)r->created, "updated", (json_int_t)r->updated);
	if (o == NULL)
		return NULL;
	if (r->expires && strcmp(r->status, "suspended") == 0)
		json_object_set_new(o, "expires", json_integer(r->expires));
	if (r->outcome[0])
		json_object_set_new(o, "outcome", json_string(r->outcome));
	if (!full)
		return o;
	json_t *urls = json_loads(r->urls, 0, NULL);
	json_object_set_new(o, "class", json_string(r->klass));
	json_object_set_new(o, "evidence", json_string(r->evidence));
	json_object_set_new(o, "urls", urls ? urls : json_array());
	json_object_set_new(o, "contact", json_string(r->contact));
	json_object_set_new(o, "source", json_string(r->src));
	json_object_set_new(o, "acted", json_integer(r->acted));
	json_object_set_new(o, "suspended", json_integer(r->suspended));
	json_object_set_new(o, "reversed", json_integer(r->reversed));
	json_object_set_new(o, "appeal", json_string(r->appeal));
	return o;
}

json_t *desk_report_show(db_t *db, const db_report_t *r)
{
	json_t *o = desk_report_json(r, true);
	if (o == NULL)
		return NULL;
	db_host_t h;
	if (db_host_get(db, r->host, &h) == 0) {
		json_t *now = ops_host_json(&h);
		db_user_t u;
		if (db_user_get_id(db, h.user, &u) == 0)
			json_object_set_new(now, "owner", json_string(u.name));
		json_object_set_new(o, "host_now", now);
	}
	if (r->reporter) {
		db_reporter_t rep;
		if (db_reporter_get_id(db, r->reporter, &rep) == 0)
			json_object_set_new(o, "reporter", json_string(rep.name));
	}
	return o;
}

/* Tells the owner of host (if it still exists) about event. */
static int tell_host(wctx_t *w, const char *host, const char *event, const char *reason,
                     const char *ref)
{
	db_host_t h;
	int ret = db_host_get(wctx_db(w), host, &h);
	if (ret == DDNS_ENOENT)
		return 0;
	return ret == 0 ? tell_owner(w, &h, event, reason, ref) : ret;
}

/* Suspends or resumes host through the host operation itself (its
 * history, audit row and the owner's notification come with it). */
static int set_state(wctx_t *w, wreq_t *r, const char *host, bool suspend, const char *reason,
                     const char *ref, const char *actor)
{
	op_host_state_t st;
	memset(&st, 0, sizeof(st));
	snprintf(st.fqdn, sizeof(st.fqdn), "%s", host);
	st.suspend = suspend;
	snprintf(st.reason, sizeof(st.reason), "%s", reason);
	snprintf(st.evidence, sizeof(st.evidence), "abuse report %s", ref);
	snprintf(st.actor, sizeof(st.actor), "%s", actor);
	wreq_t sub;
	memset(&sub, 0, sizeof(sub));
	sub.op = op_host_state;
	sub.args = &st;
	int ret = wctx_run(w, &sub);
	json_decref(sub.result);
	if (ret != 0 && r != NULL)
		snprintf(r->msg, sizeof(r->msg), "%s", sub.msg);
	return ret;
}

/* Resumes the report's host unless another report still holds it or it
 * is not suspended (any more). */
static int release(wctx_t *w, wreq_t *r, const db_report_t *rep, const char *why,
                   const char *actor)
{
	db_host_t h;
	int held = 0, ret = db_host_get(wctx_db(w), rep->host, &h);
	if (ret == DDNS_ENOENT || (ret == 0 && h.state != HOST_SUSPENDED))
		return 0;
	if (ret == 0)
		ret = db_report_holding(wctx_db(w), rep->host, rep->id, &held);
	if (ret != 0 || held > 0)
		return ret;
	return set_state(w, r, rep->host, false, why, rep->ref, actor);
}

/* Creates a report inside the current operation; suspends provisionally
 * when asked. rep->ref, id and status are filled in. */
static int file_report(wctx_t *w, wreq_t *r, db_report_t *rep, bool suspend, const char *actor)
{
	db_t *db = wctx_db(w);
	const conf_t *conf = wctx_conf(w);
	int64_t now = wctx_now(w);
	db_host_t h;
	int ret = db_host_get(db, rep->host, &h);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "there is no host %s here", rep->host);
	if (ret != 0)
		return ret;
	new_ref(rep->ref);
	rep->created = rep->updated = now;
	snprintf(rep->status, sizeof(rep->status), "open");
	if (suspend && h.state != HOST_SUSPENDED) {
		char until[32], reason[DB_TEXT_MAX];
		iso_time(now + conf->abuse_provisional, until, sizeof(until));
		snprintf(reason, sizeof(reason), "abuse report %s (%s), suspended until %s unless an "
		         "operator confirms", rep->ref, rep->category, until);
		if ((ret = set_state(w, r, rep->host, true, reason, rep->ref, actor)) != 0)
			return ret;
		snprintf(rep->status, sizeof(rep->status), "suspended");
		rep->expires = now + conf->abuse_provisional;
		rep->acted = rep->suspended = now;
	}
	for (int tries = 0; tries < 4; tries++) {
		ret = db_report_add(db, rep);
		if (ret != DDNS_EEXIST)
			break;
		new_ref(rep->ref); /* a clash of 60-bit IDs: draw again */
	}
	if (ret != 0)
		return ret;
	return ops_audit(w, actor, "abuse.report", rep->host, rep->category, rep->ref);
}

int op_report(wctx_t *w, wreq_t *r)
{
	op_report_t *a = r->args;
	db_report_t *rep = calloc(1, sizeof(*rep));
	if (rep == NULL)
		return -ENOMEM;
	snprintf(rep->host, sizeof(rep->host), "%s", a->host);
	snprintf(rep->category, sizeof(rep->category), "%s", a->category);
	snprintf(rep->evidence, sizeof(rep->evidence), "%s", a->evidence);
	snprintf(rep->urls, sizeof(rep->urls), "%s", a->urls[0] ? a->urls : "[]");
	snprintf(rep->contact, sizeof(rep->contact), "%s", a->contact);
	snprintf(rep->src, sizeof(rep->src), "%s", a->src);
	snprintf(rep->klass, sizeof(rep->klass), "%s", a->klass);
	rep->reporter = a->reporter;
	char actor[OP_ACTOR_MAX];
	if (a->reporter_name[0])
		snprintf(actor, sizeof(actor), "reporter %s", a->reporter_name);
	else
		snprintf(actor, sizeof(actor), "%s reporter %s", a->klass, a->src);
	int ret = file_report(w, r, rep, a->suspend, actor);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s, s:s, s:s}", "id", rep->ref, "status", rep->status,
		                      "host", rep->host);
		if (rep->expires)
			json_object_set_new(r->result, "expires", json_integer(rep->expires));
	}
	free(rep);
	return ret;
}

static bool is_status(const db_report_t *r, const char *s)
{
	return strcmp(r->status, s) == 0;
}

static int decide_suspend(wctx_t *w, wreq_t *r, db_report_t *rep, const op_abuse_decide_t *a)
{
	db_host_t h;
	int64_t now = wctx_now(w);
	int ret = db_host_get(wctx_db(w), rep->host, &h);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "host %s no longer exists; reject the report instead",
		         rep->host);
	if (ret != 0)
		return ret;
	bool appealed = is_status(rep, "appealed");
	if (h.state != HOST_SUSPENDED) {
		char reason[DB_TEXT_MAX];
		snprintf(reason, sizeof(reason), "abuse report %s (%s)%s%s", rep->ref, rep->category,
		         a->reason[0] ? ": " : "", a->reason);
		if ((ret = set_state(w, r, rep->host, true, reason, rep->ref, a->actor)) != 0)
			return ret;
	}
	if (rep->suspended == 0)
		rep->suspended = now;
	if (rep->acted == 0)
		rep->acted = now;
	rep->expires = 0;
	snprintf(rep->status, sizeof(rep->status), "confirmed");
	if (a->reason[0])
		snprintf(rep->outcome, sizeof(rep->outcome), "%s", a->reason);
	if (appealed && (ret = tell_host(w, rep->host, "appeal-denied", a->reason, rep->ref)) != 0)
		return ret;
	if ((ret = tell_reporter(w, rep->contact, rep->ref, rep->host, rep->status,
	                         rep->outcome)) != 0)
		return ret;
	return ops_audit(w, a->actor, appealed ? "abuse.appeal-denied" : "abuse.confirm",
	                 rep->host, a->reason, rep->ref);
}

static int decide_reject(wctx_t *w, wreq_t *r, db_report_t *rep, const op_abuse_decide_t *a)
{
	int64_t now = wctx_now(w);
	bool appealed = is_status(rep, "appealed");
	bool held = rep->suspended != 0 && (appealed || is_status(rep, "suspended") ||
	                                    is_status(rep, "confirmed"));
	if (rep->acted == 0)
		rep->acted = now;
	rep->expires = 0;
	snprintf(rep->outcome, sizeof(rep->outcome), "%s", a->reason);
	if (appealed) {
		rep->reversed = now;
		snprintf(rep->status, sizeof(rep->status), "reversed");
	} else {
		snprintf(rep->status, sizeof(rep->status), "rejected");
	}
	/* The report no longer holds the host: store that first, so release()
	 * counts only the others. */
	int ret = db_report_put(wctx_db(w), rep);
	if (ret == 0 && held)
		ret = release(w, r, rep, appealed ? "appeal granted" : "report rejected", a->actor);
	if (ret == 0 && appealed)
		ret = tell_host(w, rep->host, "appeal-granted", a->reason, rep->ref);
	if (ret == 0)
		ret = tell_reporter(w, rep->contact, rep->ref, rep->host, rep->status, rep->outcome);
	if (ret == 0)
		ret = ops_audit(w, a->actor, appealed ? "abuse.appeal-granted" : "abuse.reject",
		                rep->host, a->reason, rep->ref);
	return ret;
}

int op_abuse_decide(wctx_t *w, wreq_t *r)
{
	op_abuse_decide_t *a = r->args;
	db_report_t *rep = calloc(1, sizeof(*rep));
	if (rep == NULL)
		return -ENOMEM;
	int ret = db_report_get(wctx_db(w), a->ref, rep);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "no abuse report %s", a->ref);
	if (ret != 0)
		goto out;
	if (a->action == DESK_SUSPEND && is_status(rep, "confirmed")) {
		snprintf(r->msg, sizeof(r->msg), "report %s is already confirmed", rep->ref);
		ret = DDNS_ESTATE;
		goto out;
	}
	if (a->action == DESK_REJECT && (is_status(rep, "rejected") || is_status(rep, "reversed") ||
	                                 is_status(rep, "expired"))) {
		snprintf(r->msg, sizeof(r->msg), "report %s is closed (%s)", rep->ref, rep->status);
		ret = DDNS_ESTATE;
		goto out;
	}
	rep->updated = wctx_now(w);
	ret = a->action == DESK_SUSPEND ? decide_suspend(w, r, rep, a) : decide_reject(w, r, rep, a);
	if (ret == 0)
		ret = db_report_put(wctx_db(w), rep);
	if (ret == 0) {
		r->changed = true;
		r->result = desk_report_json(rep, true);
	}
out:
	free(rep);
	return ret;
}

struct pick {
	db_report_t *rep;
	bool found;
};

/* The newest report that keeps the host suspended. */
static int pick_holding(const db_report_t *r, void *ctx)
{
	struct pick *p = ctx;
	if (r->suspended == 0 || !(is_status(r, "suspended") || is_status(r, "confirmed") ||
	                           is_status(r, "appealed")))
		return 0;
	*p->rep = *r;
	p->found = true;
	return 1;
}

int op_appeal(wctx_t *w, wreq_t *r)
{
	op_appeal_t *a = r->args;
	db_t *db = wctx_db(w);
	db_host_t h;
	int ret = db_host_get(db, a->host, &h);
	if (ret == DDNS_ENOENT || (ret == 0 && a->user != 0 && h.user != a->user)) {
		snprintf(r->msg, sizeof(r->msg), "you have no host %s", a->host);
		return DDNS_ENOENT;
	}
	if (ret != 0)
		return ret;
	if (h.state != HOST_SUSPENDED) {
		snprintf(r->msg, sizeof(r->msg), "%s is not suspended; there is nothing to appeal",
		         a->host);
		return DDNS_ESTATE;
	}
	/* The newest report that holds the host is the case; a suspension made
	 * directly by an operator becomes a case of its own. */
	db_report_t *rep = calloc(1, sizeof(*rep));
	if (rep == NULL)
		return -ENOMEM;
	struct pick pick = { rep, false };
	ret = db_report_foreach(db, NULL, a->host, 0, pick_holding, &pick);
	if (ret == 1)
		ret = 0;
	int64_t now = wctx_now(w);
	if (ret == 0 && pick.found && is_status(rep, "appealed")) {
		snprintf(r->msg, sizeof(r->msg), "%s is already appealed (case %s); an operator will "
		         "answer", a->host, rep->ref);
		ret = DDNS_ESTATE;
	} else if (ret == 0 && !pick.found) {
		snprintf(rep->host, sizeof(rep->host), "%s", a->host);
		snprintf(rep->category, sizeof(rep->category), "other");
		snprintf(rep->evidence, sizeof(rep->evidence), "suspended by an operator: %s", h.reason);
		snprintf(rep->klass, sizeof(rep->klass), "operator");
		new_ref(rep->ref);
		rep->created = now;
		rep->acted = rep->suspended = h.updated ? h.updated : now;
		snprintf(rep->status, sizeof(rep->status), "confirmed");
		ret = db_report_add(db, rep);
	}
	if (ret == 0) {
		snprintf(rep->status, sizeof(rep->status), "appealed");
		snprintf(rep->appeal, sizeof(rep->appeal), "%s", a->text);
		rep->updated = now;
		rep->expires = 0;
		ret = db_report_put(db, rep);
	}
	if (ret == 0)
		ret = ops_audit(w, a->actor, "abuse.appeal", a->host, a->text, rep->ref);
	if (ret == 0)
		ret = tell_owner(w, &h, "appeal-received", a->text, rep->ref);
	if (ret == 0) {
		r->changed = true;
		r->result = desk_report_json(rep, false);
	}
	free(rep);
	return ret;
}

int op_reporter(wctx_t *w, wreq_t *r)
{
	op_reporter_t *a = r->args;
	db_t *db = wctx_db(w);
	int ret;
	if (a->revoke) {
		ret = db_reporter_revoke(db, a->name);
		if (ret == DDNS_ENOENT)
			snprintf(r->msg, sizeof(r->msg), "no trusted reporter %s", a->name);
	} else {
		db_reporter_t rep = { .created = wctx_now(w), .suspend = a->suspend };
		snprintf(rep.name, sizeof(rep.name), "%s", a->name);
		ret = db_reporter_add(db, &rep, a->hash);
		if (ret == DDNS_EEXIST)
			snprintf(r->msg, sizeof(r->msg), "a reporter %s exists already", a->name);
	}
	if (ret == 0)
		ret = ops_audit(w, a->actor, a->revoke ? "reporter.revoke" : "reporter.add", a->name,
		                NULL, NULL);
	if (ret == 0) {
		r->changed = true;
		r->result = json_pack("{s:s}", "name", a->name);
	}
	return ret;
}

/* ---- housekeeping ---- */

/* Reports whose provisional suspension is up, at most 64 per tick. */
typedef struct {
	char v[64][DB_REPORT_REF_LEN + 1];
	int n;
} refs_t;

static int collect_refs(const db_report_t *r, void *ctx)
{
	refs_t *d = ctx;
	if (d->n == (int)(sizeof(d->v) / sizeof(d->v[0])))
		return 1;
	snprintf(d->v[d->n++], sizeof(d->v[0]), "%s", r->ref);
	return 0;
}

static int expire(wctx_t *w, const char *ref)
{
	db_report_t *rep = calloc(1, sizeof(*rep));
	if (rep == NULL)
		return -ENOMEM;
	int ret = db_report_get(wctx_db(w), ref, rep);
	if (ret == 0 && is_status(rep, "suspended")) {
		snprintf(rep->status, sizeof(rep->status), "expired");
		snprintf(rep->outcome, sizeof(rep->outcome), "not confirmed by an operator in time");
		rep->updated = wctx_now(w);
		rep->expires = 0;
		ret = db_report_put(wctx_db(w), rep);
		if (ret == 0)
			ret = release(w, NULL, rep, "provisional suspension expired", "ddnsd");
		if (ret == 0)
			ret = ops_audit(w, "ddnsd", "abuse.expire", rep->host, rep->outcome, rep->ref);
		if (ret == 0)
			ret = tell_reporter(w, rep->contact, rep->ref, rep->host, rep->status, rep->outcome);
	}
	free(rep);
	return ret;
}

int op_abuse_tick(wctx_t *w, wreq_t *r)
{
	db_t *db = wctx_db(w);
	int64_t now = wctx_now(w), next;
	int ret = db_report_next_expiry(db, &next);
	if (ret == 0 && next <= now) {
		refs_t refs = { .n = 0 };
		ret = db_report_foreach_due(db, now, collect_refs, &refs);
		if (ret == 1)
			ret = 0;
		for (int i = 0; i < refs.n && ret == 0; i++)
			ret = expire(w, refs.v[i]);
		if (ret == 0 && refs.n > 0)
			r->changed = true;
	} else if (ret == DDNS_ENOENT) {
		ret = 0;
	}
	if (ret == 0)
		ret = db_tombstone_prune(db, now);
	return ret;
}

/* ---- names held, heuristics ---- */

int desk_name_held(db_t *db, int64_t now, const char *fqdn, int64_t user, char *msg,
                   size_t msglen)
{
	int64_t until, owner;
	bool suspended;
	int ret = db_tombstone_get(db, fqdn, now, &until, &owner, &suspended);
	if (ret == DDNS_ENOENT)
		return 0;
	if (ret != 0)
		return ret;
	if (owner == user && !suspended)
		return 0; /* its previous owner may take it back */
	char when[32];
	iso_time(until, when, sizeof(when));
	snprintf(msg, msglen, "%s was %s recently and is held until %s", fqdn,
	         suspended ? "suspended for abuse and deleted" : "deleted", when);
	return DDNS_ERESERVED;
}

int desk_host_deleted(wctx_t *w, const db_host_t *h)
{
	const conf_t *conf = wctx_conf(w);
	bool suspended = h->state == HOST_SUSPENDED;
	unsigned hold = suspended ? conf->hold_suspended : conf->hold_deleted;
	if (hold == 0)
		return 0;
	return db_tombstone_put(wctx_db(w), h->name, wctx_now(w) + hold, h->user, suspended);
}

/* Flags host for review (a heuristic report) unless it already waits for
 * one; suspends provisionally when the operator configured that. */
static int flag(wctx_t *w, const char *host, const char *evidence)
{
	bool pending = false;
	int ret = db_report_pending(wctx_db(w), host, &pending);
	if (ret != 0 || pending)
		return ret;
	db_report_t *rep = calloc(1, sizeof(*rep));
	if (rep == NULL)
		return -ENOMEM;
	snprintf(rep->host, sizeof(rep->host), "%s", host);
	snprintf(rep->category, sizeof(rep->category), "suspicious");
	snprintf(rep->evidence, sizeof(rep->evidence), "%s", evidence);
	snprintf(rep->klass, sizeof(rep->klass), "heuristic");
	snprintf(rep->src, sizeof(rep->src), "ddnsd");
	wreq_t dummy;
	memset(&dummy, 0, sizeof(dummy));
	ret = file_report(w, &dummy, rep, wctx_conf(w)->abuse_auto_suspend, "ddnsd heuristics");
	if (ret == 0)
		log_info("abuse: flagged %s for review (report %s): %s", host, rep->ref, evidence);
	free(rep);
	return ret;
}

static int check_blocklist(wctx_t *w, const db_host_t *h, const db_host_t *old)
{
	if (blocklist == NULL)
		return 0;
	char text[INET6_ADDRSTRLEN], ev[DB_EVIDENCE_MAX];
	int ret = 0;
	if (h->has_v4 && (old == NULL || !old->has_v4 || memcmp(old->v4, h->v4, 4) != 0) &&
	    netset_contains(blocklist, AF_INET, h->v4)) {
		inet_ntop(AF_INET, h->v4, text, sizeof(text));
		snprintf(ev, sizeof(ev), "points at %s, which is on the blocklist", text);
		ret = flag(w, h->name, ev);
	}
	if (ret == 0 && h->has_v6 && (old == NULL || !old->has_v6 || memcmp(old->v6, h->v6, 16) != 0) &&
	    netset_contains(blocklist, AF_INET6, h->v6)) {
		inet_ntop(AF_INET6, h->v6, text, sizeof(text));
		snprintf(ev, sizeof(ev), "points at %s, which is on the blocklist", text);
		ret = flag(w, h->name, ev);
	}
	return ret;
}

typedef struct {
	wctx_t *w;
	char names[256][DB_NAME_MAX];
	int n;
	int total;
} same_t;

static int collect_same(const db_host_t *h, void *ctx)
{
	same_t *s = ctx;
	if (s->n < (int)(sizeof(s->names) / sizeof(s->names[0])))
		snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", h->name);
	s->total++;
	return 0;
}

/* Many new hosts pointing at one address within the window: each is
 * flagged once the count reaches abuse-same-address. */
static int check_same_address(wctx_t *w, const db_host_t *h, int family, const uint8_t *addr)
{
	const conf_t *conf = wctx_conf(w);
	if (conf->abuse_same_address == 0)
		return 0;
	same_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	int ret = db_host_foreach_recent_addr(wctx_db(w), wctx_now(w) - conf->abuse_window,
	                                      family == AF_INET ? 4 : 6, addr, collect_same, s);
	if (ret == 0 && s->total >= (int)conf->abuse_same_address) {
		char text[INET6_ADDRSTRLEN], ev[DB_EVIDENCE_MAX];
		inet_ntop(family, addr, text, sizeof(text));
		snprintf(ev, sizeof(ev), "one of %d hosts created within %u minutes that point at %s "
		         "(newest: %s)", s->total, conf->abuse_window / 60, text, h->name);
		for (int i = 0; i < s->n && ret == 0; i++)
			ret = flag(w, s->names[i], ev);
	}
	free(s);
	return ret;
}

/* ---- bursts of sign-ups from one network ---- */

void desk_signup_net(const char *addr, char *out, size_t len)
{
	static const uint8_t loop6[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	uint8_t a[16];
	int family = inet_pton(AF_INET6, addr, a) == 1 ? AF_INET6 :
	             inet_pton(AF_INET, addr, a) == 1 ? AF_INET : 0;
	if (family == AF_INET6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		memmove(a, a + 12, 4); /* ::ffff:a.b.c.d is a.b.c.d */
		family = AF_INET;
	}
	out[0] = '\0';
	if (family == AF_INET6 && memcmp(a, loop6, sizeof(loop6)) != 0) {
		char text[INET6_ADDRSTRLEN];
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, text, sizeof(text));
		snprintf(out, len, "%s/64", text);
	} else if (family == AF_INET && a[0] != 127) {
		snprintf(out, len, "%u.%u.%u.0/24", a[0], a[1], a[2]);
	}
}

typedef struct {
	int64_t ids[64];
	int n, total;
} signups_t;

static int count_signup(const db_user_t *u, void *ctx)
{
	signups_t *s = ctx;
	if (s->n < (int)(sizeof(s->ids) / sizeof(s->ids[0])))
		s->ids[s->n++] = u->id;
	s->total++;
	return 0;
}

/* The sign-ups from net in [from, to] into s; true when they reach
 * abuse-signups. */
static int signup_burst(wctx_t *w, const char *net, int64_t from, int64_t to, signups_t *s,
                        bool *burst)
{
	unsigned limit = wctx_conf(w)->abuse_signups;
	*burst = false;
	if (limit == 0 || net[0] == '\0')
		return 0;
	int ret = db_user_foreach_signup(wctx_db(w), net, from, to, count_signup, s);
	*burst = ret == 0 && s->total >= (int)limit;
	return ret;
}

static void burst_evidence(wctx_t *w, const char *net, const signups_t *s, char *ev, size_t len)
{
	snprintf(ev, len, "its owner is one of %d accounts signed up from %s within %u minutes",
	         s->total, net, wctx_conf(w)->abuse_window / 60);
}

/* A host made by an account of a burst is flagged when it is created. */
static int check_owner_burst(wctx_t *w, const db_host_t *h)
{
	db_user_t u;
	int ret = db_user_get_id(wctx_db(w), h->user, &u);
	if (ret != 0 || u.signup_net[0] == '\0')
		return ret == DDNS_ENOENT ? 0 : ret;
	unsigned win = wctx_conf(w)->abuse_window;
	signups_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	bool burst;
	ret = signup_burst(w, u.signup_net, u.created - win, u.created + win, s, &burst);
	if (ret == 0 && burst) {
		char ev[DB_EVIDENCE_MAX];
		burst_evidence(w, u.signup_net, s, ev, sizeof(ev));
		ret = flag(w, h->name, ev);
	}
	free(s);
	return ret;
}

int desk_user_signed_up(wctx_t *w, const db_user_t *u)
{
	signups_t *s = calloc(1, sizeof(*s));
	same_t *hosts = calloc(1, sizeof(*hosts));
	int ret = s && hosts ? 0 : -ENOMEM;
	bool burst = false;
	if (ret == 0)
		ret = signup_burst(w, u->signup_net, wctx_now(w) - wctx_conf(w)->abuse_window,
		                   wctx_now(w), s, &burst);
	if (ret == 0 && burst) {
		/* The accounts of the burst that already made hosts: those
		 * hosts are flagged now (collected first: flagging writes). */
		char ev[DB_EVIDENCE_MAX];
		burst_evidence(w, u->signup_net, s, ev, sizeof(ev));
		log_info("abuse: %d sign-ups from %s within %u minutes", s->total, u->signup_net,
		         wctx_conf(w)->abuse_window / 60);
		for (int i = 0; ret == 0 && i < s->n; i++)
			ret = db_host_foreach(wctx_db(w), -1, s->ids[i], collect_same, hosts);
		for (int i = 0; ret == 0 && i < hosts->n; i++)
			ret = flag(w, hosts->names[i], ev);
	}
	free(s);
	free(hosts);
	return ret;
}

int desk_host_created(wctx_t *w, const db_host_t *h)
{
	int ret = check_blocklist(w, h, NULL);
	if (ret == 0 && h->has_v4)
		ret = check_same_address(w, h, AF_INET, h->v4);
	if (ret == 0 && h->has_v6)
		ret = check_same_address(w, h, AF_INET6, h->v6);
	if (ret == 0)
		ret = check_owner_burst(w, h);
	return ret;
}

int desk_host_addressed(wctx_t *w, const db_host_t *h, const db_host_t *old)
{
	return check_blocklist(w, h, old);
}

int op_blocklist(wctx_t *w, wreq_t *r)
{
	(void)w;
	struct netset **set = r->args, *old = blocklist;
	blocklist = *set;
	*set = old;
	return 0;
}
