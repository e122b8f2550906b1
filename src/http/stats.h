/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The figures of the operators' status page that need history: DNS queries
 * and host updates per second over the last 10 seconds, and the uptime. A
 * thread of its own samples the counters (dns_server_queries,
 * writer_updates) once a second into a small ring; a reader compares the
 * counters now with the sample taken about 10 s before. The DNS threads
 * and the writer only ever bump their own counters: nothing here is on
 * their path. Created and freed by the main thread; stats_rates from any
 * thread.
 */
#pragma once

#include <stdint.h>

#include "dns/server.h"
#include "upd/writer.h"

typedef struct stats stats_t;

/* Starts sampling dns's and writer's counters (both must outlive it).
 * 0 or an error. */
int stats_new(const dns_server_t *dns, const writer_t *writer, stats_t **out);

/* Stops the thread and frees s (NULL: nothing). */
void stats_free(stats_t *s);

typedef struct {
	double queries_per_second;
	double updates_per_second;
	double window;                   /* seconds the rates are over (<= 10) */
	uint64_t queries, updates;       /* totals since start */
	int64_t uptime;                  /* seconds since start */
} stats_now_t;

/* The figures as of now. */
void stats_get(stats_t *s, stats_now_t *out);
