/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The update rules; see engine.h. Providers block clients that send
 * needless updates (No-IP and Dyn call it abuse), so every path that
 * could send is guarded: the cache says whether the address changed, a
 * fatal reply is remembered with the configuration's hash, and a failure
 * sets a next-attempt time that survives restarts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/backoff.h"
#include "client/cache.h"
#include "client/clog.h"
#include "client/detect.h"
#include "client/dnscheck.h"
#include "client/engine.h"
#include "client/fetch.h"

/* One detection result per run, shared by the hosts that use the same
 * method: several hosts behind one router ask checkip once. */
typedef struct {
	char *key;
	int ret;
	addr_t a;
	char why[320];
} memo_t;

struct engine {
	const config_t *conf;
	cache_t cache;
	bool dry_run;
	bool chatty;
	FILE *dry_out;
	memo_t *memo;
	size_t nmemo;
};

int engine_new(const config_t *conf, bool dry_run, FILE *dry_out, engine_t **out,
               char *err, size_t errlen)
{
	engine_t *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->conf = conf;
	e->dry_run = dry_run;
	e->dry_out = dry_out;
	int ret = cache_load(conf->cache, &e->cache, err, errlen);
	if (ret != 0) {
		free(e);
		return ret;
	}
	*out = e;
	return 0;
}

void engine_free(engine_t *e)
{
	if (e == NULL)
		return;
	cache_deinit(&e->cache);
	free(e);
}

void engine_set_chatty(engine_t *e, bool chatty)
{
	e->chatty = chatty;
}

int engine_set_config(engine_t *e, const config_t *conf, char *err, size_t errlen)
{
	if (strcmp(conf->cache, e->conf->cache) != 0) {
		cache_t c;
		int ret = cache_load(conf->cache, &c, err, errlen);
		if (ret != 0)
			return ret;
		cache_deinit(&e->cache);
		e->cache = c;
	}
	e->conf = conf;
	return 0;
}

static void memo_clear(engine_t *e)
{
	for (size_t i = 0; i < e->nmemo; i++)
		free(e->memo[i].key);
	free(e->memo);
	e->memo = NULL;
	e->nmemo = 0;
}

static int detect(engine_t *e, const config_host_t *h, int family, addr_t *out, char *why,
                  size_t whylen)
{
	const char *method = family == AF_INET ? h->ipv4 : h->ipv6;
	const config_strs_t *urls = family == AF_INET ? &h->checkip : &h->checkip6;
	char key[4096];
	int n = snprintf(key, sizeof(key), "%d|%s", family, method);
	for (size_t i = 0; strcmp(method, "web") == 0 && i < urls->n && n < (int)sizeof(key); i++)
		n += snprintf(key + n, sizeof(key) - n, "|%s", urls->v[i]);
	for (size_t i = 0; i < e->nmemo; i++) {
		if (strcmp(e->memo[i].key, key) == 0) {
			*out = e->memo[i].a;
			snprintf(why, whylen, "%s", e->memo[i].why);
			return e->memo[i].ret;
		}
	}
	detect_opts_t o = { .urls = urls, .timeout = e->conf->timeout,
	                    .connect_timeout = e->conf->connect_timeout };
	int ret = detect_address(method, family, &o, out, why, whylen);
	memo_t *nm = realloc(e->memo, (e->nmemo + 1) * sizeof(*e->memo));
	if (nm != NULL) {
		e->memo = nm;
		memo_t *m = &e->memo[e->nmemo];
		if ((m->key = strdup(key)) != NULL) {
			m->ret = ret;
			m->a = *out;
			snprintf(m->why, sizeof(m->why), "%s", ret == 0 ? "" : why);
			e->nmemo++;
		}
	}
	return ret;
}

/* 1: DNS answers exactly the detected addresses; 0: it differs; -1: unknown. */
static int dns_matches(engine_t *e, const config_host_t *h, const addr_t *v4, const addr_t *v6,
                       char *seen, size_t seenlen)
{
	int match = 1;
	size_t off = 0;
	seen[0] = '\0';
	for (int f = 0; f < 2; f++) {
		const addr_t *want = f == 0 ? v4 : v6;
		int family = f == 0 ? AF_INET : AF_INET6;
		if (want->family == 0)
			continue;
		addr_t got[DNSCHECK_MAX];
		size_t n;
		char why[300];
		if (dnscheck_query(e->conf->dns_server, h->name, family, e->conf->dns_timeout, got, &n,
		                   why, sizeof(why)) != 0) {
			clog_warn("%s: verify-dns: %s; deciding from the cache alone", h->name, why);
			return -1;
		}
		if (n != 1 || !addr_equal(&got[0], want))
			match = 0;
		for (size_t i = 0; i < n && off < seenlen; i++) {
			char as[ADDR_STRLEN];
			off += snprintf(seen + off, seenlen - off, "%s%s", off ? ", " : "", addr_str(&got[i], as));
		}
		if (n == 0 && off < seenlen)
			off += snprintf(seen + off, seenlen - off, "%sno %s address", off ? ", " : "",
			                family == AF_INET ? "IPv4" : "IPv6");
	}
	return match;
}

static void addrs_text(const addr_t *v4, const addr_t *v6, char *buf, size_t len)
{
	char a4[ADDR_STRLEN], a6[ADDR_STRLEN];
	addr_str(v4, a4);
	addr_str(v6, a6);
	snprintf(buf, len, "%s%s%s", a4, a4[0] && a6[0] ? " and " : "", a6);
}

static const char *when(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* A cache word: no spaces ("HTTP 503" -> "HTTP-503"). */
static void set_word(char *dst, const char *src)
{
	snprintf(dst, CACHE_WORD_MAX, "%s", src[0] ? src : "-");
	for (char *c = dst; *c; c++)
		if (*c <= ' ' || *c == '=' || *c > '~')
			*c = '-';
}

static enum engine_outcome fail_later(const config_host_t *h, cache_entry_t *ent, int64_t now,
                                      uint32_t delay, const char *status)
{
	char t[32];
	ent->failures++;
	ent->next_attempt = now + delay;
	set_word(ent->status, status);
	clog_info("%s: next attempt in %" PRIu32 " s, at %s (failure %u in a row)", h->name, delay,
	          when(ent->next_attempt, t, sizeof(t)), ent->failures);
	return ENGINE_RETRY;
}

static enum engine_outcome send_update(engine_t *e, const config_host_t *h, cache_entry_t *ent,
                                       const addr_t *v4, const addr_t *v6, const char *reason,
                                       int64_t now)
{
	const config_t *c = e->conf;
	bool duck = h->provider == PROVIDER_DUCKDNS;
	char *url = NULL, *shown = NULL, addrs[2 * ADDR_STRLEN + 8];
	enum engine_outcome oc = ENGINE_RETRY;
	addrs_text(v4, v6, addrs, sizeof(addrs));
	if (provider_url(h->provider, h->server, h->path, h->name, h->password, v4, v6, false, &url) != 0 ||
	    provider_url(h->provider, h->server, h->path, h->name, h->password, v4, v6, true, &shown) != 0) {
		clog_err("%s: out of memory", h->name);
		goto out;
	}
	if (e->dry_run) {
		if (duck)
			fprintf(e->dry_out, "%s: would send GET %s (token masked) [%s]\n", h->name, shown, reason);
		else
			fprintf(e->dry_out, "%s: would send GET %s with Basic auth user '%s', password '****' [%s]\n",
			        h->name, shown, h->username, reason);
		oc = ENGINE_OK;
		goto out;
	}
	clog_info("%s: updating to %s (%s): GET %s", h->name, addrs, reason, shown);
	fetch_req_t req = { .url = url, .username = duck ? NULL : h->username,
	                    .password = duck ? NULL : h->password, .family = AF_UNSPEC,
	                    .timeout = c->timeout, .connect_timeout = c->connect_timeout };
	fetch_result_t res;
	int r = fetch_get(&req, &res);
	ent->last_attempt = now;
	ent->confhash = h->hash;
	if (r != 0) {
		clog_warn("%s: cannot reach %s: %s", h->name, h->server, res.error);
		oc = fail_later(h, ent, now, backoff_delay(c->retry_initial, c->backoff_max, ent->failures + 1, 0),
		                "network");
		fetch_result_deinit(&res);
		goto out;
	}
	provider_reply_t rep;
	provider_parse_reply(h->provider, res.status, res.body, res.len, &rep);
	switch (rep.verdict) {
	case PROVIDER_GOOD:
	case PROVIDER_NOCHG:
		ent->v4 = *v4;
		ent->v6 = *v6;
		ent->last_success = now;
		ent->failures = 0;
		ent->next_attempt = 0;
		ent->fatal[0] = '\0';
		set_word(ent->status, rep.code);
		if (rep.verdict == PROVIDER_GOOD)
			clog_info("%s: %s: the server now has %s", h->name, rep.code, addrs);
		else
			clog_info("%s: nochg: the server already had %s", h->name, addrs);
		oc = ENGINE_OK;
		break;
	case PROVIDER_FATAL:
		set_word(ent->fatal, rep.code);
		set_word(ent->status, rep.code);
		ent->next_attempt = 0;
		clog_err("%s: the server answered '%s'%s%s: %s. No more updates for this host until its "
		         "[host %s] section in %s changes.", h->name, rep.code, rep.detail[0] ? " " : "",
		         rep.detail, provider_advice(rep.code), h->name, c->path);
		oc = ENGINE_FATAL;
		break;
	case PROVIDER_RETRY:
	case PROVIDER_UNKNOWN: {
		long ra = res.retry_after[0] ? backoff_parse_retry_after(res.retry_after, now) : -1;
		if (rep.verdict == PROVIDER_RETRY)
			clog_warn("%s: the server answered '%s' (HTTP %ld%s%s): a problem on the server's side; "
			          "backing off", h->name, rep.code, res.status, ra >= 0 ? ", Retry-After: " : "",
			          ra >= 0 ? res.retry_after : "");
		else
			clog_warn("%s: unexpected reply (HTTP %ld): '%s%s%s'; backing off", h->name, res.status,
			          rep.code, rep.detail[0] ? " " : "", rep.detail);
		oc = fail_later(h, ent, now, backoff_delay(c->backoff_initial, c->backoff_max, ent->failures + 1,
		                                           ra > 0 ? (uint32_t)ra : 0), rep.code);
		break;
	}
	}
	fetch_result_deinit(&res);
out:
	free(url);
	free(shown);
	return oc;
}

static enum engine_outcome run_host(engine_t *e, const config_host_t *h, int64_t now)
{
	const config_t *c = e->conf;
	char t[32], why[400];
	cache_entry_t *ent = cache_get(&e->cache, h->name, true);
	if (ent == NULL) {
		clog_err("%s: out of memory", h->name);
		return ENGINE_RETRY;
	}
	bool config_changed = ent->confhash != 0 && ent->confhash != h->hash;
	if (config_changed) {
		if (ent->fatal[0] || ent->failures)
			clog_info("%s: the configuration changed: trying again", h->name);
		ent->fatal[0] = '\0';
		ent->failures = 0;
		ent->next_attempt = 0;
	}
	if (ent->confhash == 0)
		ent->confhash = h->hash;
	if (ent->fatal[0]) {
		clog_err("%s: not updating: the server answered '%s' at %s; %s. ddnsc tries again when "
		         "the [host %s] section in %s changes.", h->name, ent->fatal,
		         when(ent->last_attempt, t, sizeof(t)), provider_advice(ent->fatal), h->name, c->path);
		if (e->dry_run)
			fprintf(e->dry_out, "%s: stopped after '%s': nothing to send\n", h->name, ent->fatal);
		return ENGINE_FATAL;
	}
	if (ent->next_attempt > now) {
		clog_info("%s: backing off after '%s': next attempt at %s", h->name, ent->status,
		          when(ent->next_attempt, t, sizeof(t)));
		if (e->dry_run)
			fprintf(e->dry_out, "%s: backing off until %s: nothing to send\n", h->name, t);
		return ENGINE_RETRY;
	}

	addr_t v4 = { 0 }, v6 = { 0 };
	if (strcmp(h->ipv4, "off") != 0 && detect(e, h, AF_INET, &v4, why, sizeof(why)) != 0) {
		clog_warn("%s: no update: IPv4 address unknown: %s", h->name, why);
		return ENGINE_RETRY;
	}
	if (strcmp(h->ipv6, "off") != 0 && detect(e, h, AF_INET6, &v6, why, sizeof(why)) != 0) {
		clog_warn("%s: no update: IPv6 address unknown: %s", h->name, why);
		return ENGINE_RETRY;
	}

	char addrs[2 * ADDR_STRLEN + 8], reason[300] = "";
	addrs_text(&v4, &v6, addrs, sizeof(addrs));
	bool changed = !addr_equal(&v4, &ent->v4) || !addr_equal(&v6, &ent->v6);
	int64_t age = now - ent->last_success;
	bool refresh = c->refresh_days > 0 && ent->last_success > 0 &&
	               age >= (int64_t)c->refresh_days * 86400;
	if (ent->last_success == 0)
		snprintf(reason, sizeof(reason), "no earlier update in the cache");
	else if (config_changed)
		snprintf(reason, sizeof(reason), "configuration changed");
	else if (changed)
		snprintf(reason, sizeof(reason), "address changed");
	else if (refresh)
		snprintf(reason, sizeof(reason), "refresh: the last successful update was %" PRId64
		         " days ago", age / 86400);

	if (c->verify_dns && !refresh && !config_changed) {
		char seen[200];
		int m = dns_matches(e, h, &v4, &v6, seen, sizeof(seen));
		if (m == 1 && reason[0]) {
			clog_info("%s: DNS already answers %s: nothing to send", h->name, addrs);
			if (e->dry_run)
				fprintf(e->dry_out, "%s: DNS already answers %s: nothing to send\n", h->name, addrs);
			ent->v4 = v4;
			ent->v6 = v6;
			if (ent->last_success == 0)
				ent->last_success = now;
			set_word(ent->status, "dns-ok");
			return ENGINE_OK;
		}
		if (m == 0 && !reason[0])
			snprintf(reason, sizeof(reason), "DNS answers %s", seen);
	}
	if (!reason[0]) {
		if (e->chatty)
			clog_info("%s: unchanged (%s): nothing to send", h->name, addrs);
		else
			clog_debug("%s: unchanged (%s): nothing to send", h->name, addrs);
		if (e->dry_run)
			fprintf(e->dry_out, "%s: unchanged (%s): nothing to send\n", h->name, addrs);
		return ENGINE_OK;
	}
	return send_update(e, h, ent, &v4, &v6, reason, now);
}

void engine_run(engine_t *e, int64_t now, enum engine_outcome *outcome, int64_t *next_due)
{
	enum engine_outcome worst = ENGINE_OK;
	*next_due = INT64_MAX;
	for (size_t i = 0; i < e->conf->nhosts; i++) {
		const config_host_t *h = &e->conf->hosts[i];
		enum engine_outcome oc = run_host(e, h, now);
		if (oc > worst)
			worst = oc;
		const cache_entry_t *ent = cache_get(&e->cache, h->name, false);
		if (ent != NULL && ent->next_attempt > now && ent->fatal[0] == '\0' &&
		    ent->next_attempt < *next_due)
			*next_due = ent->next_attempt;
	}
	memo_clear(e);
	if (!e->dry_run) {
		/* Hosts no longer configured leave the cache. */
		cache_t keep = { 0 };
		bool oom = false;
		for (size_t i = 0; i < e->cache.n; i++) {
			if (config_host_find(e->conf, e->cache.v[i].name) == NULL)
				continue;
			cache_entry_t *d = cache_get(&keep, e->cache.v[i].name, true);
			if (d == NULL) {
				oom = true;
				break;
			}
			*d = e->cache.v[i];
		}
		if (!oom) {
			cache_deinit(&e->cache);
			e->cache = keep;
		} else {
			cache_deinit(&keep);
		}
		char err[512];
		if (cache_save(&e->cache, e->conf->cache, err, sizeof(err)) != 0) {
			clog_err("%s: the next run may send updates again", err);
			if (worst < ENGINE_RETRY)
				worst = ENGINE_RETRY;
		}
	}
	*outcome = worst;
}
