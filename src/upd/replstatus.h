/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the secondaries were told and what they took, as JSON, for
 * `ddnsctl status` and the operators' status page: a snapshot of the
 * notifier's targets and of the transfer thread's records, then per zone
 * the "notify" and "transfers" arrays and the counters. Any thread; the
 * notifier and the transfer thread are only locked while copying.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "upd/notify.h"
#include "upd/xfr.h"

typedef struct {
	notify_target_t *targets;
	size_t ntargets;
	xfr_peer_t *peers;
	size_t npeers;
	int64_t now;
	uint64_t axfr, ixfr, refused, sent, answered;
} repl_snap_t;

/* Copies the state of x and n (either may be NULL). 0 or -ENOMEM. */
int repl_snap_take(repl_snap_t *s, xfr_t *x, notifier_t *n);
void repl_snap_free(repl_snap_t *s);

/*
 * Sets "notify" (the targets of conf zone index zi: address, the serial
 * it last answered, one waiting for an answer and how often it was sent)
 * and "transfers" (each secondary that transferred zone: address, TSIG
 * key, type, serials, how many serials it is behind serial, age in
 * seconds, count) on the zone's object.
 */
void repl_snap_zone(const repl_snap_t *s, size_t zi, const char *zone, uint32_t serial,
                    json_t *obj);

/* Sets "transfers" {axfr, ixfr, refused} and "notify" {sent, answered}. */
void repl_snap_counters(const repl_snap_t *s, json_t *obj);
