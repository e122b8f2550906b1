/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The JSON API's routes for making and removing hosts (docs/api.md,
 * "Hosts"):
 *
 *   GET    /api/v1/zones                the service domains and their TTL limits
 *   GET    /api/v1/names/FQDN           may the caller create FQDN, and if not why
 *   POST   /api/v1/hosts                create a host (the caller's quota)
 *   DELETE /api/v1/hosts/NAME           delete one of the caller's hosts
 *
 * The availability check and creation apply the same rules with the same
 * code (upd/namecheck.h): here on the auth thread's read-only connection,
 * so that a refusal comes with the right status at once, and again by the
 * writer inside the transaction that creates the host, which decides. Runs
 * on an auth thread (api.c's route()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http/http_int.h"
#include "lib/errors.h"
#include "upd/namecheck.h"

/* The HTTP status of a refusal by namecheck. */
static int refusal_status(int ret)
{
	switch (ret) {
	case DDNS_EEXIST:
		return 409;
	case DDNS_ERESERVED:
		return 403;
	case DDNS_EDB:
		return 503;
	default:
		return 400;
	}
}

/* A short word for the reason, for pages that react to it. */
static const char *refusal_code(int ret)
{
	switch (ret) {
	case 0:
		return "available";
	case DDNS_EEXIST:
		return "taken";
	case DDNS_ERESERVED:
		return "reserved";
	case DDNS_ENOZONE:
		return "not_a_service_zone";
	case DDNS_EDB:
		return "unknown";
	default:
		return "invalid";
	}
}

static int zones(http_job_t *job)
{
	const conf_t *conf = job->thread->srv->conf;
	json_t *arr = json_array();
	for (size_t i = 0; i < conf->zone_count; i++) {
		const conf_zone_t *z = &conf->zones[i];
		json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I}", "name", z->name,
		                                     "ttl", (json_int_t)z->ttl,
		                                     "ttl_min", (json_int_t)z->ttl_min,
		                                     "ttl_max", (json_int_t)z->ttl_max));
	}
	job->status = 200;
	job->out = arr;
	return api_done(job);
}

static int name_check(db_t *db, http_job_t *job, int64_t uid, const char *name)
{
	char fqdn[HOSTNAME_BUF] = "", why[NAMECHECK_WHY_MAX] = "";
	const conf_zone_t *zone;
	int ret = namecheck(db, job->thread->srv->conf, (int64_t)time(NULL), name, uid, fqdn, &zone,
	                    why, sizeof(why));
	if (ret == DDNS_EDB) {
		api_error(job, 503, "the database is not answering; try again later");
		return api_done(job);
	}
	if (ret == 0)
		snprintf(why, sizeof(why), "%s is available", fqdn);
	job->status = 200;
	job->out = json_pack("{s:s, s:b, s:s, s:s}", "name", fqdn[0] ? fqdn : name,
	                     "available", ret == 0, "code", refusal_code(ret), "reason", why);
	return api_done(job);
}

/* An optional address member of the body: absent, "" or "none" is none. */
static bool body_addr(http_job_t *job, const char *key, int af, bool *has, uint8_t *out)
{
	json_t *v = json_object_get(job->body, key);
	*has = false;
	if (v == NULL || json_is_null(v))
		return true;
	const char *s = json_string_value(v);
	if (s == NULL || (*s != '\0' && strcmp(s, "none") != 0 && inet_pton(af, s, out) != 1)) {
		api_error(job, 400, "%s: not an %s address", key, af == AF_INET ? "IPv4" : "IPv6");
		return false;
	}
	*has = s[0] != '\0' && strcmp(s, "none") != 0;
	return true;
}

static int create(db_t *db, http_job_t *job, int64_t uid)
{
	const char *name = json_string_value(json_object_get(job->body, "name"));
	if (!json_is_object(job->body) || name == NULL) {
		api_error(job, 400, "send the host as JSON: {\"name\": \"home.dyn.example\"[, \"ipv4\", "
		          "\"ipv6\", \"ttl\"]}");
		return api_done(job);
	}
	db_user_t u;
	if (db_user_get_id(db, uid, &u) != 0) {
		api_error(job, 503, "the database is not answering; try again later");
		return api_done(job);
	}
	char fqdn[HOSTNAME_BUF], why[NAMECHECK_WHY_MAX];
	const conf_zone_t *zone;
	int ret = namecheck(db, job->thread->srv->conf, (int64_t)time(NULL), name, uid, fqdn, &zone,
	                    why, sizeof(why));
	if (ret != 0) {
		api_error(job, refusal_status(ret), "%s", ret == DDNS_EDB ?
		          "the database is not answering; try again later" : why);
		return api_done(job);
	}
	op_host_add_t *a = &job->api.host_add;
	memset(a, 0, sizeof(*a));
	json_t *ttl = json_object_get(job->body, "ttl");
	if (ttl != NULL && !json_is_null(ttl)) {
		char msg[160];
		if (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
		    json_integer_value(ttl) > 86400) {
			api_error(job, 400, "ttl: a number of seconds from %u to %u", zone->ttl_min,
			          zone->ttl_max);
			return api_done(job);
		}
		a->ttl = (uint32_t)json_integer_value(ttl);
		if (ops_ttl_check(zone, a->ttl, msg, sizeof(msg)) != 0) {
			api_error(job, 400, "%s", msg);
			return api_done(job);
		}
	}
	if (!body_addr(job, "ipv4", AF_INET, &a->has_v4, a->v4) ||
	    !body_addr(job, "ipv6", AF_INET6, &a->has_v6, a->v6))
		return api_done(job);
	int count = 0;
	if (db_user_host_count(db, uid, &count) == 0 && count >= u.max_hosts) {
		api_error(job, 403, "you already have %d of %d hosts: delete one first", count,
		          u.max_hosts);
		return api_done(job);
	}
	snprintf(a->fqdn, sizeof(a->fqdn), "%s", fqdn);
	snprintf(a->user, sizeof(a->user), "%s", u.name);
	snprintf(a->actor, sizeof(a->actor), "web:%s", u.name);
	job->status = 201;
	return api_submit(job, op_host_add, a);
}

static int delete(db_t *db, http_job_t *job, int64_t uid, const char *name)
{
	char fqdn[HOSTNAME_BUF];
	db_host_t h;
	if (!api_own_host(db, job, uid, name, &h, fqdn, sizeof(fqdn)))
		return api_done(job);
	op_host_del_t *a = &job->api.host_del;
	snprintf(a->fqdn, sizeof(a->fqdn), "%s", fqdn);
	snprintf(a->actor, sizeof(a->actor), "web:%s", job->user);
	return api_submit(job, op_host_del, a);
}

static bool method(const http_job_t *job, const char *m)
{
	return strcmp(job->method, m) == 0;
}

int api_hosts_route(db_t *db, http_job_t *job, int64_t uid, char **seg, int n)
{
	if (n == 1 && strcmp(seg[0], "zones") == 0 && method(job, "GET"))
		return zones(job), 1;
	if (n == 2 && strcmp(seg[0], "names") == 0 && method(job, "GET"))
		return name_check(db, job, uid, seg[1]), 1;
	if (n == 1 && strcmp(seg[0], "hosts") == 0 && method(job, "POST"))
		return create(db, job, uid), 1;
	if (n == 2 && strcmp(seg[0], "hosts") == 0 && method(job, "DELETE"))
		return delete(db, job, uid, seg[1]), 1;
	return 0;
}
