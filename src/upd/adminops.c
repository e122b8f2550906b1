/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The admin role as a writer operation; see ops.h. Writer thread. */
#include <stdio.h>
#include <string.h>

#include "lib/errors.h"
#include "upd/ops.h"

int op_user_admin(wctx_t *w, wreq_t *r)
{
	op_user_admin_t *a = r->args;
	db_user_t u;
	int ret = db_user_get(wctx_db(w), a->name, &u);
	if (ret == DDNS_ENOENT)
		snprintf(r->msg, sizeof(r->msg), "no user %s", a->name);
	if (ret != 0)
		return ret;
	if (u.admin != a->admin) {
		if ((ret = db_user_set_admin(wctx_db(w), u.id, a->admin)) != 0 ||
		    (ret = ops_audit(w, a->actor, a->admin ? "user.admin.grant" : "user.admin.revoke",
		                     a->name, NULL, NULL)) != 0)
			return ret;
		r->changed = true;
	}
	r->result = json_pack("{s:s, s:b}", "name", u.name, "admin", a->admin);
	return 0;
}
