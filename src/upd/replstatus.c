/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Replication status as JSON; see replstatus.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/net.h"
#include "upd/replstatus.h"

int repl_snap_take(repl_snap_t *s, xfr_t *x, notifier_t *n)
{
	memset(s, 0, sizeof(*s));
	s->now = time(NULL);
	size_t nt = notify_targets(n, NULL, 0);
	s->targets = calloc(nt ? nt : 1, sizeof(*s->targets));
	s->peers = calloc(XFR_PEERS_MAX, sizeof(*s->peers));
	if (s->targets == NULL || s->peers == NULL) {
		repl_snap_free(s);
		return -ENOMEM;
	}
	size_t all = notify_targets(n, s->targets, nt);
	s->ntargets = all < nt ? all : nt;   /* fewer after a SIGHUP in between */
	if (x != NULL) {
		s->npeers = xfr_peers(x, s->peers, XFR_PEERS_MAX);
		xfr_counts(x, &s->axfr, &s->ixfr, &s->refused);
	}
	notify_counts(n, &s->sent, &s->answered);
	return 0;
}

void repl_snap_free(repl_snap_t *s)
{
	free(s->targets);
	free(s->peers);
	s->targets = NULL;
	s->peers = NULL;
}

static json_t *int_or_null(bool have, json_int_t v)
{
	return have ? json_integer(v) : json_null();
}

void repl_snap_zone(const repl_snap_t *s, size_t zi, const char *zone, uint32_t serial,
                    json_t *obj)
{
	json_t *notify = json_array();
	for (size_t i = 0; i < s->ntargets; i++) {
		const notify_target_t *t = &s->targets[i];
		if (t->zone != zi)
			continue;
		char addr[NET_ADDR_TEXT];
		net_addr_text(&t->addr.ss, true, addr, sizeof(addr));
		json_t *o = json_pack("{s:s, s:i}", "address", addr, "unanswered", t->tries);
		json_object_set_new(o, "key", t->key[0] ? json_string(t->key) : json_null());
		json_object_set_new(o, "answered_serial", int_or_null(t->answered, t->answered_serial));
		json_object_set_new(o, "pending_serial", int_or_null(t->tries > 0, t->pending_serial));
		json_object_set_new(o, "last_sent", int_or_null(t->last_sent != 0, t->last_sent));
		json_object_set_new(o, "refused", t->refused ? json_string(notify_rcode_name(t->refused))
		                                             : json_null());
		json_array_append_new(notify, o);
	}
	json_t *transfers = json_array();
	for (size_t i = 0; i < s->npeers; i++) {
		const xfr_peer_t *p = &s->peers[i];
		if (strcmp(p->zone, zone) != 0)
			continue;
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "address", p->addr,
		                      "type", p->type, "serial", (json_int_t)p->serial,
		                      "behind", (json_int_t)(uint32_t)(serial - p->serial),
		                      "age", (json_int_t)(s->now - p->when),
		                      "count", (json_int_t)p->count);
		json_object_set_new(o, "key", p->key[0] ? json_string(p->key) : json_null());
		json_object_set_new(o, "from", int_or_null(strcmp(p->type, "AXFR") != 0, p->from));
		json_array_append_new(transfers, o);
	}
	json_object_set_new(obj, "notify", notify);
	json_object_set_new(obj, "transfers", transfers);
}

void repl_snap_counters(const repl_snap_t *s, json_t *obj)
{
	json_object_set_new(obj, "transfers", json_pack("{s:I, s:I, s:I}",
	                                                "axfr", (json_int_t)s->axfr,
	                                                "ixfr", (json_int_t)s->ixfr,
	                                                "refused", (json_int_t)s->refused));
	json_object_set_new(obj, "notify", json_pack("{s:I, s:I}", "sent", (json_int_t)s->sent,
	                                             "answered", (json_int_t)s->answered));
}
