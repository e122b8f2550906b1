/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The abuse desk's writer operations; see desk.h. */
#include "abuse/desk.h"
#include "lib/errors.h"
#include "store/abuse.h"

int op_abuse_tick(wctx_t *w, wreq_t *r)
{
	(void)r;
	return db_tombstone_prune(wctx_db(w), wctx_now(w));
}
