/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsc's decisions: for each configured host, whether to send an update
 * (address changed, refresh due, DNS disagrees), sending it, and what the
 * reply means (record good/nochg in the cache; stop on a fatal reply
 * until the host's configuration changes; back off on 911/dnserr/5xx,
 * retry sooner on network errors). Owns the persistent cache while it
 * lives. One thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "client/config.h"

typedef struct engine engine_t;

/* How a run went, worst host first. */
enum engine_outcome {
	ENGINE_OK = 0,      /* every host good, nochg or unchanged */
	ENGINE_RETRY = 1,   /* some host failed for now (network, detection, backoff, 911) */
	ENGINE_FATAL = 2,   /* some host is stopped by a fatal reply */
};

/*
 * Creates an engine for conf (borrowed: it must outlive the engine or be
 * replaced with engine_set_config()) and loads the cache. dry_run: send
 * nothing and write no cache; print the requests to dry_out instead.
 * Returns 0, or a negative errno when the cache cannot be read (err).
 */
int engine_new(const config_t *conf, bool dry_run, FILE *dry_out, engine_t **out,
               char *err, size_t errlen);

/* Frees e (NULL is fine). */
void engine_free(engine_t *e);

/*
 * Switches to a new configuration (after SIGHUP). The cache of hosts that
 * remain is kept; a changed cache path is read afresh. Returns 0 or a
 * negative errno (err says why; e keeps the old configuration).
 */
int engine_set_config(engine_t *e, const config_t *conf, char *err, size_t errlen);

/* Whether "unchanged" is logged at info level (--once) or debug (loop). */
void engine_set_chatty(engine_t *e, bool chatty);

/*
 * Checks and updates every host once, at time now (seconds since the
 * epoch), then writes the cache. *outcome: the worst of the hosts.
 * *next_due: the earliest time a host waiting for its backoff may try
 * again (INT64_MAX if none).
 */
void engine_run(engine_t *e, int64_t now, enum engine_outcome *outcome, int64_t *next_due);
