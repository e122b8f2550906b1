/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The outbox command: a read of the outbox table on the control thread
 * (ctl_cmd_outbox), and ddnsctl's printer for it; see outboxcmd.h. Kept
 * apart from commands.c so the abuse desk's notifications stay in one
 * place.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl/outboxcmd.h"
#include "ctl/server_int.h"
#include "store/abuse.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 100000

static int row(const db_outbox_t *m, void *ctx)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:i, s:I, s:I, s:s}",
	                      "id", (json_int_t)m->id, "created", (json_int_t)m->created,
	                      "kind", m->kind, "rcpt", m->rcpt, "subject", m->subject,
	                      "attempts", m->attempts, "next_try", (json_int_t)m->next_try,
	                      "delivered", (json_int_t)m->delivered, "error", m->error);
	return o && json_array_append_new(ctx, o) == 0 ? 0 : -ENOMEM;
}

int ctl_cmd_outbox(ctl_call_t *c)
{
	json_t *lim = json_object_get(c->args, "limit");
	long limit = LIMIT_DEFAULT;
	if (lim != NULL) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > LIMIT_MAX) {
			snprintf(c->err, sizeof(c->err), "limit must be a number from 1 to %d", LIMIT_MAX);
			return -EINVAL;
		}
		limit = (long)json_integer_value(lim);
	}
	bool pending = json_is_true(json_object_get(c->args, "pending"));
	json_t *arr = json_array();
	if (arr == NULL)
		return -ENOMEM;
	int ret = db_outbox_foreach(c->rdb, pending, (int)limit, row, arr);
	if (ret != 0) {
		json_decref(arr);
		return ret;
	}
	c->result = arr;
	return 0;
}

static void when(json_int_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? s : "-";
}

void outboxcmd_print(const json_t *result)
{
	size_t i;
	json_t *m;
	json_array_foreach(result, i, m) {
		char created[32], at[32], state[400];
		json_int_t delivered = json_integer_value(json_object_get(m, "delivered"));
		when(json_integer_value(json_object_get(m, "created")), created, sizeof(created));
		if (delivered > 0) {
			when(delivered, at, sizeof(at));
			snprintf(state, sizeof(state), "delivered %s", at);
		} else {
			when(json_integer_value(json_object_get(m, "next_try")), at, sizeof(at));
			snprintf(state, sizeof(state), "pending, next try %s%s%s", at,
			         json_integer_value(json_object_get(m, "attempts")) > 0 ? ", last error: " : "",
			         json_integer_value(json_object_get(m, "attempts")) > 0 ? str(m, "error") : "");
		}
		printf("%lld\t%s\t%s\t%s\t%lld attempt(s)\t%s\t%s\n",
		       (long long)json_integer_value(json_object_get(m, "id")), created, str(m, "kind"),
		       str(m, "rcpt"), (long long)json_integer_value(json_object_get(m, "attempts")), state,
		       str(m, "subject"));
	}
}
