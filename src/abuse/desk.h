/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The abuse desk's policy, as writer operations: reports (public, from
 * trusted reporters, from heuristics), the operator's decisions, appeals,
 * provisional suspensions that expire, and names held after deletion.
 * Every decision is audited and told to the host's owner (the outbox).
 * The operations run on the writer thread; see upd/writer.h.
 */
#pragma once

#include "upd/writer.h"

/* Housekeeping, run by the desk's timer every few seconds: provisional
 * suspensions whose time is up are lifted (report status "expired"),
 * expired tombstones pruned. args: NULL. */
int op_abuse_tick(wctx_t *w, wreq_t *r);
