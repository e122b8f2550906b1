/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The JSON API's own writer operations: token revocation and API tokens.
 * See ops.h. Writer thread. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "upd/ops.h"

typedef struct {
	int64_t id;
	bool found;
} find_t;

static int match_id(const db_token_t *t, void *ctx)
{
	find_t *f = ctx;
	if (t->id == f->id && !t->revoked)
		f->found = true;
	return 0;
}

int op_token_revoke(wctx_t *w, wreq_t *r)
{
	op_token_revoke_t *a = r->args;
	db_host_t h;
	int ret = db_host_get(wctx_db(w), a->fqdn, &h);
	if (ret == DDNS_ENOENT || (ret == 0 && a->user != 0 && h.user != a->user)) {
		snprintf(r->msg, sizeof(r->msg), "no host %s", a->fqdn);
		return DDNS_ENOENT;
	}
	if (ret != 0)
		return ret;
	find_t f = { a->id, false };
	if ((ret = db_token_foreach(wctx_db(w), h.id, match_id, &f)) != 0)
		return ret;
	if (!f.found) {
		snprintf(r->msg, sizeof(r->msg), "%s has no token %lld", a->fqdn, (long long)a->id);
		return DDNS_ENOENT;
	}
	if ((ret = db_token_revoke(wctx_db(w), a->id)) != 0)
		return ret;
	r->changed = true;
	r->result = json_pack("{s:s, s:I, s:b}", "host", a->fqdn, "id", (json_int_t)a->id,
	                      "revoked", 1);
	return 0;
}

int op_apitoken_add(wctx_t *w, wreq_t *r)
{
	op_apitoken_t *a = r->args;
	int ret = db_apitoken_add(wctx_db(w), a->user, a->hash, a->name, wctx_now(w), &a->id);
	if (ret != 0)
		return ret;
	r->changed = true;
	r->result = json_pack("{s:I, s:s}", "id", (json_int_t)a->id, "name", a->name);
	return 0;
}

int op_apitoken_revoke(wctx_t *w, wreq_t *r)
{
	op_apitoken_t *a = r->args;
	int ret = db_apitoken_revoke(wctx_db(w), a->user, a->id);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "no API token %lld", (long long)a->id);
	if (ret != 0)
		return ret;
	r->changed = true;
	r->result = json_pack("{s:I, s:b}", "id", (json_int_t)a->id, "revoked", 1);
	return 0;
}

int op_apitoken_used(wctx_t *w, wreq_t *r)
{
	op_apitoken_t *a = r->args;
	return db_apitoken_used(wctx_db(w), a->id, wctx_now(w));
}
