/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GET /metrics: the running server's counters in the Prometheus text
 * format (version 0.0.4), for the addresses of metrics-allow only. Every
 * figure is read from counters the other threads keep anyway (the DNS
 * threads', the writer's, each HTTP thread's replies, the transfer and
 * NOTIFY state the status page shows) and from the zones in memory: a
 * scrape reads no database and takes no lock on any path that answers a
 * query or an update. On the HTTP thread that got the request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>

#include "dns/zone.h"
#include "http/http_int.h"
#include "http/stats.h"
#include "lib/name.h"
#include "lib/strbuf.h"
#include "upd/replstatus.h"

/* A metric's HELP and TYPE lines. */
static void head(strbuf_t *t, const char *name, const char *type, const char *help)
{
	sb_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the format wants it: \, " and newline escaped. */
static const char *esc(const char *v, char *buf, size_t len)
{
	size_t o = 0;
	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			buf[o++] = '\\';
			buf[o++] = *v == '\n' ? 'n' : *v;
		} else {
			buf[o++] = *v;
		}
	}
	buf[o] = '\0';
	return buf;
}

static const char *str_of(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The zones: served serial and, per secondary, what the status page
 * shows (repl_snap_zone builds it; read back from its JSON here). */
static void zones(strbuf_t *t, http_server_t *s, const repl_snap_t *snap)
{
	const conf_t *conf = s->conf;
	uint32_t *serial = calloc(conf->zone_count + 1, sizeof(*serial));
	bool *known = calloc(conf->zone_count + 1, sizeof(*known));
	if (serial == NULL || known == NULL) {
		t->failed = true;
		goto out;
	}
	rcu_read_lock();
	const zoneset_t *set = rcu_dereference(*writer_zones(s->writer));
	for (size_t i = 0; i < conf->zone_count; i++) {
		uint8_t apex[256];
		size_t rel;
		int alen = name_to_wire(conf->zones[i].name, apex);
		if (alen <= 0)
			continue;
		zone_t *z = set ? zoneset_find(set, apex, (size_t)alen, &rel) : NULL;
		if (z != NULL && rel == 0)
			known[i] = zone_serial(z, &serial[i]);
	}
	rcu_read_unlock();

	char zb[300], ab[300], kb[300];
	head(t, "ddnsd_zone_serial", "gauge", "The SOA serial each zone serves.");
	for (size_t i = 0; i < conf->zone_count; i++)
		if (known[i])
			sb_printf(t, "ddnsd_zone_serial{zone=\"%s\"} %u\n",
			          esc(conf->zones[i].name, zb, sizeof(zb)), serial[i]);
	json_t **per = calloc(conf->zone_count + 1, sizeof(*per));
	if (per == NULL) {
		t->failed = true;
		goto out;
	}
	for (size_t i = 0; i < conf->zone_count; i++) {
		per[i] = json_object();
		if (per[i] != NULL)
			repl_snap_zone(snap, i, conf->zones[i].name, serial[i], per[i]);
	}
	static const struct {
		const char *list, *field, *name, *type, *help;
	} rows[] = {
		{ "transfers", "behind", "ddnsd_secondary_serials_behind", "gauge",
		  "Serials the last transfer a secondary took was behind the zone." },
		{ "transfers", "age", "ddnsd_secondary_transfer_age_seconds", "gauge",
		  "Seconds since a secondary last transferred the zone." },
		{ "transfers", "count", "ddnsd_secondary_transfers_total", "counter",
		  "Transfers of the zone a secondary took." },
		{ "notify", "unanswered", "ddnsd_notify_unanswered", "gauge",
		  "Times the NOTIFY of the pending serial was sent without an answer (0: none pending)." },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		head(t, rows[r].name, rows[r].type, rows[r].help);
		for (size_t i = 0; i < conf->zone_count; i++) {
			size_t k;
			json_t *e;
			json_array_foreach(json_object_get(per[i], rows[r].list), k, e) {
				sb_printf(t, "%s{zone=\"%s\",address=\"%s\",key=\"%s\"} %lld\n",
				          rows[r].name, esc(conf->zones[i].name, zb, sizeof(zb)),
				          esc(str_of(e, "address"), ab, sizeof(ab)),
				          esc(str_of(e, "key"), kb, sizeof(kb)),
				          (long long)json_integer_value(json_object_get(e, rows[r].field)));
			}
		}
	}
	for (size_t i = 0; i < conf->zone_count; i++)
		json_decref(per[i]);
	free(per);
out:
	free(serial);
	free(known);
}

static void build(strbuf_t *t, http_server_t *s)
{
	head(t, "ddnsd_build_info", "gauge", "The running ddnsd's version.");
	sb_printf(t, "ddnsd_build_info{version=\"%s\"} 1\n", DDNSD_VERSION);
	if (s->stats != NULL) {
		stats_now_t st;
		stats_get(s->stats, &st);
		head(t, "ddnsd_uptime_seconds", "gauge", "Seconds since ddnsd started.");
		sb_printf(t, "ddnsd_uptime_seconds %lld\n", (long long)st.uptime);
		head(t, "ddnsd_dns_queries_total", "counter",
		     "DNS messages received (UDP datagrams; TCP messages but updates and transfers).");
		sb_printf(t, "ddnsd_dns_queries_total %llu\n", (unsigned long long)st.queries);
	}
	head(t, "ddnsd_updates_total", "counter",
	     "Host changes committed and served (HTTP, JSON API, RFC 2136, ddnsctl).");
	sb_printf(t, "ddnsd_updates_total %llu\n", (unsigned long long)writer_updates(s->writer));
	head(t, "ddnsd_http_responses_total", "counter", "HTTP responses by status class.");
	for (int c = 1; c <= 5; c++) {
		uint64_t n = 0;
		for (unsigned i = 0; i < s->nthreads; i++)
			n += atomic_load_explicit(&s->threads[i].replies[c], memory_order_relaxed);
		sb_printf(t, "ddnsd_http_responses_total{code=\"%dxx\"} %llu\n", c, (unsigned long long)n);
	}
	repl_snap_t snap;
	if (repl_snap_take(&snap, s->xfr, s->notifier) != 0) {
		t->failed = true;
		return;
	}
	head(t, "ddnsd_transfers_total", "counter", "Zone transfers served by type, and refused.");
	sb_printf(t, "ddnsd_transfers_total{type=\"axfr\"} %llu\n", (unsigned long long)snap.axfr);
	sb_printf(t, "ddnsd_transfers_total{type=\"ixfr\"} %llu\n", (unsigned long long)snap.ixfr);
	sb_printf(t, "ddnsd_transfers_total{type=\"refused\"} %llu\n", (unsigned long long)snap.refused);
	head(t, "ddnsd_notify_sent_total", "counter", "NOTIFY messages sent to secondaries.");
	sb_printf(t, "ddnsd_notify_sent_total %llu\n", (unsigned long long)snap.sent);
	head(t, "ddnsd_notify_answered_total", "counter", "NOTIFY messages secondaries answered.");
	sb_printf(t, "ddnsd_notify_answered_total %llu\n", (unsigned long long)snap.answered);
	zones(t, s, &snap);
	repl_snap_free(&snap);
}

int metrics_on_request(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	http_server_t *s = http_thread_of(req)->srv;
	if (!http_peer_in(req, &s->conf->metrics_allow)) {
		static const char body[] = "metrics are only for the addresses of metrics-allow\n";
		http_reply(req, 403, "Forbidden", body, sizeof(body) - 1);
		return 0;
	}
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		static const char body[] = "GET /metrics\n";
		http_reply(req, 405, "Method Not Allowed", body, sizeof(body) - 1);
		return 0;
	}
	strbuf_t t = { 0 };
	build(&t, s);
	if (t.failed || t.p == NULL) {
		static const char body[] = "out of memory; try again\n";
		free(t.p);
		http_reply(req, 503, "Service Unavailable", body, sizeof(body) - 1);
		return 0;
	}
	http_send(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", t.p, t.len, "metrics",
	          NULL);
	free(t.p);
	return 0;
}
