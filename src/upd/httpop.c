/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HTTP updates in the writer; see httpop.h. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/strbuf.h"
#include "store/epoch.h"
#include "upd/httpop.h"
#include "upd/ops.h"

int op_http_update(wctx_t *w, wreq_t *r)
{
	hup_t *a = r->args;
	int64_t user = 0;
	char token_host[DB_NAME_MAX] = "";
	db_token_t t = { 0 };
	if (a->by_token) {
		db_host_t th;
		int ret = db_token_find(wctx_db(w), a->token_hash, &t);
		if (ret == 0)
			ret = db_host_get_id(wctx_db(w), t.host, &th);
		if (ret != 0 && ret != DDNS_ENOENT)
			return ret;
		if (ret == DDNS_ENOENT) {
			for (size_t i = 0; i < a->nhosts; i++)
				if (a->hosts[i].code == HUP_PENDING)
					a->hosts[i].code = HUP_BADAUTH;
			return 0;
		}
		str_copy(token_host, sizeof(token_host), th.name);
		if (a->principal[0] != '\0' && strcmp(a->principal, token_host) != 0) {
			/* Another host's name with this token: wrong credentials. */
			for (size_t i = 0; i < a->nhosts; i++)
				if (a->hosts[i].code == HUP_PENDING)
					a->hosts[i].code = HUP_BADAUTH;
			return 0;
		}
	} else {
		db_user_t u;
		int ret = db_user_get(wctx_db(w), a->principal, &u);
		if (ret != 0 && ret != DDNS_ENOENT)
			return ret;
		user = ret == 0 ? u.id : -1; /* an unknown user owns nothing */
	}
	if (a->all_or_nothing) {
		/* Refuse the whole request before changing anything when one
		 * of its names cannot be updated with this token. */
		bool bad = false;
		for (size_t i = 0; i < a->nhosts; i++)
			bad |= a->hosts[i].code != HUP_PENDING ||
			       (a->by_token && strcmp(a->hosts[i].name, token_host) != 0);
		if (bad) {
			for (size_t i = 0; i < a->nhosts; i++)
				if (a->hosts[i].code == HUP_PENDING)
					a->hosts[i].code = HUP_NOHOST;
			return 0;
		}
	}
	for (size_t i = 0; i < a->nhosts; i++) {
		hup_host_t *h = &a->hosts[i];
		if (h->code != HUP_PENDING)
			continue;
		if (a->by_token && strcmp(h->name, token_host) != 0) {
			/* A host token updates its own host only. */
			h->code = HUP_NOHOST;
			continue;
		}
		op_host_update_t u;
		memset(&u, 0, sizeof(u));
		str_copy(u.fqdn, sizeof(u.fqdn), h->name);
		u.set = a->set;
		u.has_v4 = a->has_v4;
		u.has_v6 = a->has_v6;
		memcpy(u.v4, a->v4, 4);
		memcpy(u.v6, a->v6, 16);
		u.offline = a->offline;
		u.wildcard = a->wildcard;
		str_copy(u.acme, sizeof(u.acme), a->acme);
		str_copy(u.mx, sizeof(u.mx), a->mx);
		u.mx_pref = a->mx_pref;
		u.user = a->by_token ? 0 : (user > 0 ? user : -1);
		str_copy(u.src, sizeof(u.src), a->src);
		str_copy(u.client, sizeof(u.client), a->client);
		db_host_t now; /* the JSON result would be thrown away */
		u.out = &now;
		wreq_t sub = { .op = op_host_update, .args = &u };
		int ret = wctx_run(w, &sub);
		json_decref(sub.result);
		str_copy(h->why, sizeof(h->why), sub.msg);
		switch (ret) {
		case 0:
			h->code = u.nochg ? HUP_NOCHG : HUP_GOOD;
			r->changed |= !u.nochg;
			h->epoch = host_epoch(h->name);
			break;
		case DDNS_ENOENT:
			h->code = HUP_NOHOST;
			break;
		case DDNS_ESUSPENDED:
		case DDNS_EBLOCKED:
			h->code = HUP_ABUSE;
			break;
		case DDNS_EDB:
			return ret; /* the whole request fails: nothing half-done */
		default:
			h->code = HUP_DNSERR;
			break;
		}
	}
	/* A token's "last used" is the last change it made. */
	for (size_t i = 0; a->by_token && i < a->nhosts; i++)
		if (a->hosts[i].code == HUP_GOOD)
			return db_token_used(wctx_db(w), t.id, wctx_now(w));
	return 0;
}
