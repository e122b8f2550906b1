/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The update dialects routers and clients speak: DynDNS2 / No-IP
 * (/nic/update, /v3/update), DuckDNS (/update) and /checkip. A handler
 * checks the request, authenticates it (the verification cache, else the
 * auth threads), hands the change to the writer and answers from this loop
 * when the writer has committed and published it.
 *
 * Reply design for real clients: every failure word avoids the words an
 * update client may take for success (ok, good, true, updated, success,
 * nochg); throttling is 503 with Retry-After and "911".
 */
#include <arpa/inet.h>
#include <ctype.h>
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
#include "lib/net.h"
#include "lib/strbuf.h"
#include "upd/ops.h"

#define MAX_PARAMS 24
#define MAX_VALUE 1024

typedef struct {
	char *key[MAX_PARAMS];
	char *val[MAX_PARAMS];
	size_t n;
	bool bad;                /* malformed: bad escape, control character, too many */
} params_t;

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 :
	       (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* Percent-decodes [s, s+len) into a pool string; NULL for a bad escape, a
 * control character (NUL, CR, LF...) or an over-long value. */
static char *decode(h2o_mem_pool_t *pool, const char *s, size_t len, bool plus_space)
{
	if (len > MAX_VALUE)
		return NULL;
	char *out = h2o_mem_alloc_pool(pool, len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return NULL;
			int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return NULL;
			c = h << 4 | l;
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return NULL;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

static void parse_query(h2o_req_t *req, params_t *p)
{
	memset(p, 0, sizeof(*p));
	if (req->query_at == SIZE_MAX)
		return;
	const char *q = req->path.base + req->query_at + 1;
	const char *end = req->path.base + req->path.len;
	while (q < end) {
		const char *amp = memchr(q, '&', end - q);
		const char *stop = amp ? amp : end;
		const char *eq = memchr(q, '=', stop - q);
		if (stop > q) {
			if (p->n == MAX_PARAMS) {
				p->bad = true;
				return;
			}
			const char *kend = eq ? eq : stop;
			p->key[p->n] = decode(&req->pool, q, kend - q, true);
			p->val[p->n] = eq ? decode(&req->pool, eq + 1, stop - eq - 1, true)
			                  : decode(&req->pool, "", 0, true);
			if (p->key[p->n] == NULL || p->val[p->n] == NULL) {
				p->bad = true;
				return;
			}
			p->n++;
		}
		q = stop + 1;
	}
}

static const char *param(const params_t *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->key[i], key) == 0)
			return p->val[i];
	return NULL;
}

static bool yes(const char *v)
{
	return v && (strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 ||
	             strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static const char *header(h2o_req_t *req, const h2o_token_t *token)
{
	ssize_t i = h2o_find_header(&req->headers, token, -1);
	if (i < 0)
		return NULL;
	h2o_iovec_t v = req->headers.entries[i].value;
	return h2o_strdup(&req->pool, v.base, v.len).base;
}

/* Splits "Basic base64(user:pass)" into job->user / job->secret. */
static bool basic_auth(h2o_req_t *req, http_job_t *job)
{
	const char *h = header(req, H2O_TOKEN_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return false;
	h += 6;
	while (*h == ' ')
		h++;
	unsigned char raw[1400];
	size_t n;
	if (sodium_base642bin(raw, sizeof(raw) - 1, h, strlen(h), " ", &n, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0)
		return false;
	raw[n] = '\0';
	unsigned char *colon = memchr(raw, ':', n);
	if (colon == NULL || memchr(raw, '\0', n) != NULL)
		return false;
	size_t ul = (size_t)(colon - raw), pl = n - ul - 1;
	if (ul == 0 || ul >= sizeof(job->user) || pl >= sizeof(job->secret))
		return false;
	for (size_t i = 0; i < n; i++)
		if (raw[i] < 0x20 || raw[i] == 0x7f)
			return false;
	memcpy(job->user, raw, ul);
	job->user[ul] = '\0';
	memcpy(job->secret, colon + 1, pl);
	job->secret[pl] = '\0';
	job->secret_len = pl;
	sodium_memzero(raw, sizeof(raw));
	return true;
}

static void reply_and_free(http_job_t *job, int status, const char *reason, const char *body)
{
	h2o_req_t *req = job->req;
	char user[sizeof(job->user)];
	str_copy(user, sizeof(user), job->user);
	job->thread->memo_reply = job->from_memo;
	http_job_free(job);
	if (status == 503)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("300"));
	if (status == 401)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
		               H2O_STRLIT("Basic realm=\"ddnsd\""));
	http_reply_as(req, status, reason, body, strlen(body), user);
}

/* The same word for every host: numhost, badauth, 911... */
static void reply_all(http_job_t *job, int status, const char *reason, const char *word)
{
	char body[HUP_MAX_HOSTS * 16 + 16];
	size_t n = 0, hosts = job->hup.nhosts ? job->hup.nhosts : 1;
	if (job->dialect == DIALECT_DUCKDNS)
		hosts = 1;
	for (size_t i = 0; i < hosts; i++) {
		n = str_cat(body, sizeof(body), n, word);
		n = str_cat(body, sizeof(body), n, "\n");
	}
	reply_and_free(job, status, reason, body);
}

static void writer_done(wreq_t *r)
{
	http_job_t *job = r->ctx;
	job->stage = JOB_WRITE;
	http_job_post(job);
}

static void submit(http_job_t *job)
{
	job->wreq.op = op_http_update;
	job->wreq.args = &job->hup;
	job->wreq.done = writer_done;
	job->wreq.ctx = job;
	writer_submit(job->thread->srv->writer, &job->wreq);
}

static uint64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static double mono_f(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Throttled: 503, Retry-After, "911" (DynDNS2) or "KO" (DuckDNS). */
static void throttle(http_job_t *job)
{
	reply_all(job, 503, "Service Unavailable", job->dialect == DIALECT_DUCKDNS ? "KO" : "911");
}

static void charge_failure(http_job_t *job, bool account)
{
	http_server_t *s = job->thread->srv;
	double now = mono_f();
	limiter_charge(s->fail_ip, job->ipkey, job->ipkeylen, now);
	if (account)
		limiter_charge(s->fail_user, job->user, strlen(job->user), now);
}

/* An authenticated request (or one by token, which the memo or the writer
 * checks): answered here when it repeats what was accepted before and
 * nothing changed since (memo.h), else handed to the writer. */
static void submit_or_answer(http_job_t *job)
{
	if (memo_answer(job->thread->srv->memo, &job->hup)) {
		job->from_memo = true;
		update_finish(job);
		return;
	}
	submit(job);
}

/* Authenticates job and sends it on: to the writer (token, or a cached
 * password), or to the auth threads. */
static void authenticate(http_job_t *job)
{
	http_server_t *s = job->thread->srv;
	double now = mono_f();
	if (job->hup.by_token) {
		if (!limiter_allow(s->fail_ip, job->ipkey, job->ipkeylen, now)) {
			throttle(job);
			return;
		}
		submit_or_answer(job);
		return;
	}
	char principal[300];
	str_cat(principal, sizeof(principal), str_copy(principal, sizeof(principal), "u:"), job->user);
	/* The cache's MAC of (name, password) also tells which logins are the
	 * same one (below). */
	if (authcache_check_mac(s->cache, principal, job->secret, job->secret_len, 0, mono(),
	                        job->cred)) {
		str_copy(job->hup.principal, sizeof(job->hup.principal), job->user);
		submit_or_answer(job);
		return;
	}
	/* The same name and password already being verified here: their
	 * answer is this request's too, with no second hash and no second
	 * charge. Without this, every router of an account asking at once
	 * after a restart would find the account's bucket empty and be told
	 * 911 by its own correct password. */
	for (http_job_t *l = job->thread->verifying; l != NULL; l = l->next_verifying) {
		if (sodium_memcmp(l->cred, job->cred, sizeof(job->cred)) == 0) {
			job->stage = JOB_AUTH;
			job->waited = true;
			job->next_waiter = l->waiters;
			l->waiters = job;
			return;
		}
	}
	/* Buckets before any hashing: a refused guess costs microseconds. A
	 * verification is charged before it starts (and refunded if it
	 * succeeds), so that many guesses in flight at once cannot all pass
	 * the check before the first failure is counted. */
	if (!limiter_allow(s->fail_ip, job->ipkey, job->ipkeylen, now) ||
	    !limiter_allow(s->fail_user, job->user, strlen(job->user), now)) {
		throttle(job);
		return;
	}
	charge_failure(job, true);
	job->stage = JOB_AUTH;
	if (authpool_submit(s->auth, job) != 0) {
		limiter_refund(s->fail_ip, job->ipkey, job->ipkeylen, now);
		limiter_refund(s->fail_user, job->user, strlen(job->user), now);
		reply_all(job, 503, "Service Unavailable", "911");
		return;
	}
	/* The result comes back through this thread's loop: linking after
	 * the submission is in time. */
	job->next_verifying = job->thread->verifying;
	job->thread->verifying = job;
}

/* Gives back what starting a verification charged (a job that waited for
 * another's verification was not charged). */
static void refund_failure(http_job_t *job)
{
	if (job->waited)
		return;
	http_server_t *s = job->thread->srv;
	double now = mono_f();
	limiter_refund(s->fail_ip, job->ipkey, job->ipkeylen, now);
	limiter_refund(s->fail_user, job->user, strlen(job->user), now);
}

void update_authenticated(http_job_t *job)
{
	if (job->auth_result == -EBUSY || (job->auth_result != 0 && job->auth_result != DDNS_EAUTH)) {
		refund_failure(job);
		reply_all(job, 503, "Service Unavailable", "911");
		return;
	}
	if (job->auth_result != 0) {
		/* Charged when the verification started. */
		reply_all(job, 200, "OK", job->dialect == DIALECT_DUCKDNS ? "KO" : "badauth");
		return;
	}
	refund_failure(job);
	str_copy(job->hup.principal, sizeof(job->hup.principal), job->user);
	submit_or_answer(job);
}

void update_verified(http_job_t *job)
{
	http_thread_t *t = job->thread;
	for (http_job_t **p = &t->verifying; *p != NULL; p = &(*p)->next_verifying) {
		if (*p == job) {
			*p = job->next_verifying;
			break;
		}
	}
	http_job_t *w = job->waiters;
	int result = job->auth_result;
	if (job->req == NULL)
		http_job_free(job);
	else
		update_authenticated(job);
	while (w != NULL) {
		http_job_t *next = w->next_waiter;
		w->auth_result = result;
		if (w->req == NULL)
			http_job_free(w);
		else
			update_authenticated(w);
		w = next;
	}
}

/*
 * A client that keeps sending the same update: after the allowance, each
 * identical update is answered 911 (back off) instead of nochg; one that
 * ignores 30 of those has the host's updates blocked (records still
 * served, owner lifts it), with the reason in the host's history.
 */
static void police_nochg(http_job_t *job, hup_host_t *host)
{
	http_server_t *s = job->thread->srv;
	double now = mono_f();
	size_t len = strlen(host->name);
	if (limiter_take(s->nochg, host->name, len, now))
		return;
	host->code = HUP_911;
	if (limiter_take(s->strikes, host->name, len, now))
		return;
	host->code = HUP_ABUSE;
	op_host_state_t a;
	memset(&a, 0, sizeof(a));
	str_copy(a.fqdn, sizeof(a.fqdn), host->name);
	snprintf(a.reason, sizeof(a.reason),
	         "the same update was sent again and again after being told to back off "
	         "(client %s, %s)", job->hup.src, job->hup.client);
	str_copy(a.evidence, sizeof(a.evidence), job->hup.src);
	snprintf(a.actor, sizeof(a.actor), "ddnsd: update flood heuristic");
	writer_post(s->writer, op_host_block, &a, sizeof(a));
}

static const char *code_word(int code)
{
	switch (code) {
	case HUP_GOOD: return "good";
	case HUP_NOCHG: return "nochg";
	case HUP_NOHOST: return "nohost";
	case HUP_NOTFQDN: return "notfqdn";
	case HUP_ABUSE: return "abuse";
	case HUP_DNSERR: return "dnserr";
	case HUP_BADAUTH: return "badauth";
	default: return "911";
	}
}

/* The addresses a good/nochg line reports: the ones the request set. */
static void addrs_text(const hup_t *h, char *buf, size_t len)
{
	char a4[INET_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "";
	if ((h->set & HSET_V4) && h->has_v4)
		net_ntop(AF_INET, h->v4, a4, sizeof(a4));
	if ((h->set & HSET_V6) && h->has_v6)
		net_ntop(AF_INET6, h->v6, a6, sizeof(a6));
	size_t n = str_copy(buf, len, a4);
	if (*a4 && *a6)
		n = str_cat(buf, len, n, ",");
	str_cat(buf, len, n, a6);
}

void update_finish(http_job_t *job)
{
	if (job->wreq.status != 0) {
		/* The database failed: nothing was saved; clients retry later. */
		reply_all(job, 503, "Service Unavailable", job->dialect == DIALECT_DUCKDNS ? "KO" : "911");
		return;
	}
	hup_t *h = &job->hup;
	char body[HUP_MAX_HOSTS * 96 + 128] = "", addrs[INET6_ADDRSTRLEN * 2 + 2];
	size_t n = 0;
	if (!job->from_memo)
		memo_learn(job->thread->srv->memo, h);
	for (size_t i = 0; i < h->nhosts; i++) {
		if (h->hosts[i].code == HUP_BADAUTH) {
			charge_failure(job, false);
			break;
		}
	}
	bool all_911 = h->nhosts > 0;
	for (size_t i = 0; i < h->nhosts; i++) {
		if (h->hosts[i].code == HUP_NOCHG)
			police_nochg(job, &h->hosts[i]);
		all_911 &= h->hosts[i].code == HUP_911;
	}
	if (all_911) {
		/* Slow down: 503 and Retry-After, which clients honour. */
		throttle(job);
		return;
	}
	addrs_text(h, addrs, sizeof(addrs));
	if (job->dialect == DIALECT_DUCKDNS) {
		bool ok = true, updated = false;
		for (size_t i = 0; i < h->nhosts; i++) {
			ok &= h->hosts[i].code == HUP_GOOD || h->hosts[i].code == HUP_NOCHG;
			updated |= h->hosts[i].code == HUP_GOOD;
		}
		if (!ok || !job->verbose) {
			reply_and_free(job, 200, "OK", ok ? "OK" : "KO");
			return;
		}
		char a4[INET_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN] = "";
		if ((h->set & HSET_V4) && h->has_v4)
			net_ntop(AF_INET, h->v4, a4, sizeof(a4));
		if ((h->set & HSET_V6) && h->has_v6)
			net_ntop(AF_INET6, h->v6, a6, sizeof(a6));
		snprintf(body, sizeof(body), "OK\n%s\n%s\n%s", a4, a6, updated ? "UPDATED" : "NOCHANGE");
		reply_and_free(job, 200, "OK", body);
		return;
	}
	for (size_t i = 0; i < h->nhosts; i++) {
		int c = h->hosts[i].code;
		n = str_cat(body, sizeof(body), n, code_word(c));
		if (c == HUP_GOOD || c == HUP_NOCHG) {
			n = str_cat(body, sizeof(body), n, " ");
			n = str_cat(body, sizeof(body), n, addrs);
		}
		n = str_cat(body, sizeof(body), n, "\n");
	}
	reply_and_free(job, 200, "OK", body);
}

/* Addresses no host can be reached at: unspecified, broadcast,
 * multicast, reserved. (Private and loopback ones are allowed: people
 * name machines on their own network too.) */
static bool usable_v4(const uint8_t *a)
{
	return a[0] != 0 && a[0] < 224;
}

static bool usable_v6(const uint8_t *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) != 0 && a[0] != 0xff;
}

/* Reads one address into the job: one per family, usable, and an IPv4
 * address written as v4-mapped IPv6 counts as IPv4. false: refuse it. */
static bool take_addr(hup_t *h, const char *s)
{
	uint8_t buf[16];
	if (inet_pton(AF_INET6, s, buf) == 1 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)buf)) {
		memmove(buf, buf + 12, 4);
		goto v4;
	}
	if (inet_pton(AF_INET, s, buf) == 1) {
v4:
		if ((h->set & HSET_V4) || !usable_v4(buf))
			return false;
		h->has_v4 = true;
		memcpy(h->v4, buf, 4);
		h->set |= HSET_V4;
		return true;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		if ((h->set & HSET_V6) || !usable_v6(buf))
			return false;
		h->has_v6 = true;
		memcpy(h->v6, buf, 16);
		h->set |= HSET_V6;
		return true;
	}
	return false;
}

/* myip=A[,B], myipv4=, myipv6=, myip6=; none: the connection's address,
 * unless detect is false (offline=YES needs no address). */
static bool addresses(h2o_req_t *req, const params_t *p, hup_t *h, const char *ip_key,
                      const char *ip6_key, bool detect)
{
	const char *myip = param(p, ip_key);
	bool any = false;
	if (myip && *myip) {
		char tmp[MAX_VALUE + 1];
		str_copy(tmp, sizeof(tmp), myip);
		char *save = NULL;
		for (char *a = strtok_r(tmp, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
			while (*a == ' ')
				a++;
			if (!take_addr(h, a))
				return false;
			any = true;
		}
	}
	const char *keys[] = { "myipv4", ip6_key, "myipv6", "myip6" };
	for (size_t i = 0; i < 4; i++) {
		const char *v = keys[i] ? param(p, keys[i]) : NULL;
		if (v == NULL || *v == '\0')
			continue;
		if (!take_addr(h, v))
			return false;
		any = true;
	}
	if (!any && detect) {
		char a[INET6_ADDRSTRLEN];
		int family;
		http_client_addr(req, a, sizeof(a), &family);
		if (family == 0 || !take_addr(h, a))
			return false;
	}
	return true;
}

/* Adds the host names of a comma list; marks invalid ones notfqdn. */
static bool add_hosts(http_job_t *job, const char *list)
{
	const conf_t *conf = job->thread->srv->conf;
	char tmp[MAX_VALUE + 1];
	str_copy(tmp, sizeof(tmp), list);
	char *save = NULL;
	for (char *n = strtok_r(tmp, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		if (job->hup.nhosts == HUP_MAX_HOSTS)
			return false;
		hup_host_t *h = &job->hup.hosts[job->hup.nhosts++];
		char why[HOSTNAME_WHY_MAX], label[HOSTNAME_BUF];
		const conf_zone_t *zone;
		if (hostname_normalize(n, h->name, sizeof(h->name), why, sizeof(why)) != 0 ||
		    hostname_split(h->name, conf, &zone, label, sizeof(label)) != 0) {
			/* DuckDNS users name a host by its label alone. */
			char full[DB_NAME_MAX];
			if (job->dialect == DIALECT_DUCKDNS && conf->zone_count > 0 && strchr(n, '.') == NULL &&
			    snprintf(full, sizeof(full), "%s.%s", n, conf->zones[0].name) < (int)sizeof(full) &&
			    hostname_normalize(full, h->name, sizeof(h->name), why, sizeof(why)) == 0 &&
			    hostname_split(h->name, conf, &zone, label, sizeof(label)) == 0)
				continue;
			str_copy(h->name, sizeof(h->name), n);
			h->code = HUP_NOTFQDN;
		}
	}
	return true;
}

static void client_info(h2o_req_t *req, http_job_t *job)
{
	hup_t *h = &job->hup;
	int family;
	http_client_addr(req, h->src, sizeof(h->src), &family);
	if (family == AF_INET6 && inet_pton(AF_INET6, h->src, job->ipkey) == 1) {
		job->ipkeylen = 8; /* one subscriber usually has a whole /64 */
	} else if (family == AF_INET && inet_pton(AF_INET, h->src, job->ipkey) == 1) {
		job->ipkeylen = 4;
	}
	const char *ua = header(req, H2O_TOKEN_USER_AGENT);
	str_copy(h->client, sizeof(h->client), ua ? ua : "");
}

int update_on_nic(h2o_handler_t *self, h2o_req_t *req)
{
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
		http_reply(req, 405, "Method Not Allowed", H2O_STRLIT("badrequest\n"));
		return 0;
	}
	http_job_t *job = http_job_new(req, DIALECT_DYNDNS2);
	if (job == NULL) {
		http_reply(req, 503, "Service Unavailable", H2O_STRLIT("911\n"));
		return 0;
	}
	params_t p;
	parse_query(req, &p);
	hup_t *h = &job->hup;
	client_info(req, job);
	if (p.bad) {
		reply_all(job, 400, "Bad Request", "notfqdn");
		return 0;
	}
	if (h->client[0] == '\0') {
		reply_all(job, 200, "OK", "badagent");
		return 0;
	}
	if (!basic_auth(req, job)) {
		reply_all(job, 401, "Unauthorized", "badauth");
		return 0;
	}
	/* A host name as user and a token as password: token login. */
	char fqdn[DB_NAME_MAX], why[HOSTNAME_WHY_MAX];
	if (job->secret_len == AUTH_TOKEN_TEXT_LEN &&
	    hostname_normalize(job->user, fqdn, sizeof(fqdn), why, sizeof(why)) == 0 &&
	    strchr(fqdn, '.') != NULL && auth_token_hash(job->secret, h->token_hash) == 0) {
		h->by_token = true;
		/* The user name must be the token's own host. */
		str_copy(h->principal, sizeof(h->principal), fqdn);
	}
	const char *hostnames = param(&p, "hostname");
	if (hostnames == NULL || *hostnames == '\0') {
		if (!h->by_token) {
			reply_all(job, 200, "OK", "notfqdn");
			return 0;
		}
		hostnames = fqdn; /* the token's own host */
	}
	if (!add_hosts(job, hostnames)) {
		job->hup.nhosts = 1;
		reply_all(job, 200, "OK", "numhost");
		return 0;
	}
	const char *v;
	if ((v = param(&p, "offline")) != NULL) {
		h->offline = yes(v);
		h->set |= HSET_OFFLINE;
	}
	if (!addresses(req, &p, h, "myip", NULL, !h->offline)) {
		reply_all(job, 200, "OK", "dnserr");
		return 0;
	}
	if ((v = param(&p, "wildcard")) != NULL && strcasecmp(v, "nochg") != 0) {
		h->wildcard = yes(v);
		h->set |= HSET_WILDCARD;
	}
	if ((v = param(&p, "mx")) != NULL && strcasecmp(v, "nochg") != 0) {
		if (*v && strcasecmp(v, "none") != 0 &&
		    hostname_normalize(v, h->mx, sizeof(h->mx), why, sizeof(why)) != 0) {
			reply_all(job, 200, "OK", "dnserr");
			return 0;
		}
		h->mx_pref = 10;
		h->set |= HSET_MX;
	}
	authenticate(job);
	return 0;
}

/* DuckDNS: /update?domains=a,b&token=T&ip=&ipv6=&txt=&clear=true&verbose=true
 * and /update/{domain}/{token}[/{ip}]. */
int update_on_duck(h2o_handler_t *self, h2o_req_t *req)
{
	http_job_t *job = http_job_new(req, DIALECT_DUCKDNS);
	if (job == NULL) {
		http_reply(req, 503, "Service Unavailable", H2O_STRLIT("KO"));
		return 0;
	}
	params_t p;
	parse_query(req, &p);
	hup_t *h = &job->hup;
	client_info(req, job);
	if (p.bad) {
		reply_all(job, 400, "Bad Request", "KO");
		return 0;
	}
	const char *domains = param(&p, "domains"), *token = param(&p, "token"), *ip = param(&p, "ip");
	/* The path form puts domain, token and address in the path. */
	size_t plen = req->path_normalized.len;
	const char *path = req->path_normalized.base;
	if (plen > 8 && strncmp(path, "/update/", 8) == 0) {
		char *parts[3] = { 0 };
		char *rest = h2o_strdup(&req->pool, path + 8, plen - 8).base, *save = NULL;
		int np = 0;
		for (char *s = strtok_r(rest, "/", &save); s && np < 3; s = strtok_r(NULL, "/", &save))
			parts[np++] = s;
		if (np >= 2) {
			domains = parts[0];
			token = parts[1];
			if (np == 3)
				ip = parts[2];
		}
	}
	if (domains == NULL || *domains == '\0' || token == NULL ||
	    auth_token_hash(token, h->token_hash) != 0) {
		reply_all(job, 200, "OK", "KO");
		return 0;
	}
	h->by_token = true;
	if (!add_hosts(job, domains)) {
		reply_all(job, 200, "OK", "KO");
		return 0;
	}
	job->verbose = yes(param(&p, "verbose"));
	bool clear = yes(param(&p, "clear"));
	const char *txt = param(&p, "txt");
	h->all_or_nothing = true;
	if (txt != NULL) {
		/* ACME DNS-01: add a value at _acme-challenge, or remove it; an
		 * empty value with clear=true removes them all (what acme.sh and
		 * lego send to clean up). */
		if ((strlen(txt) == 0 && !clear) || strlen(txt) > 255) {
			reply_all(job, 200, "OK", "KO");
			return 0;
		}
		str_copy(h->acme, sizeof(h->acme), txt);
		h->set |= clear ? HSET_ACME_DEL : HSET_ACME_ADD;
	} else if (clear) {
		h->set |= HSET_V4 | HSET_V6;
		h->has_v4 = h->has_v6 = false;
	} else {
		params_t q = p;
		if (ip != NULL && *ip && ip != param(&p, "ip")) {
			/* The path form's address comes first, before any ?ip=. */
			q.n = 0;
			q.key[q.n] = "ip";
			q.val[q.n++] = (char *)ip;
			for (size_t i = 0; i < p.n && q.n < MAX_PARAMS; i++) {
				if (strcmp(p.key[i], "ip") == 0)
					continue;
				q.key[q.n] = p.key[i];
				q.val[q.n++] = p.val[i];
			}
		}
		if (!addresses(req, &q, h, "ip", "ipv6", true)) {
			reply_all(job, 200, "OK", "KO");
			return 0;
		}
	}
	authenticate(job);
	return 0;
}

int update_on_checkip(h2o_handler_t *self, h2o_req_t *req)
{
	char addr[INET6_ADDRSTRLEN], body[256];
	int family;
	http_client_addr(req, addr, sizeof(addr), &family);
	/* The page checkip.dyndns.org serves, which ddclient and inadyn parse. */
	int n = snprintf(body, sizeof(body),
	                 "<html><head><title>Current IP Check</title></head>"
	                 "<body>Current IP Address: %s</body></html>\n", addr);
	http_send(req, 200, "OK", "text/html", body, (size_t)n, addr, NULL);
	return 0;
}

json_t *http_query_json(h2o_req_t *req)
{
	params_t p;
	parse_query(req, &p);
	json_t *o = json_object();
	for (size_t i = 0; o != NULL && !p.bad && i < p.n; i++) {
		json_t *v = json_string(p.val[i]);
		if (v == NULL || json_object_set_new(o, p.key[i], v) != 0)
			p.bad = true; /* not UTF-8 */
	}
	if (p.bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
