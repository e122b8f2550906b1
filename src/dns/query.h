/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The query engine: a DNS message in, a DNS message out, no sockets. libknot
 * parses the query; answers are assembled from the zone store's precompiled
 * bytes. Each DNS worker owns one query_env_t; query_answer() takes no lock,
 * calls no malloc (libknot's parser allocates from the env's arena, reset
 * for every query) and logs nothing. It enters an RCU read-side critical
 * section itself; the calling thread must be registered with liburcu.
 */
#pragma once

#include <libknot/mm_ctx.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/zone.h"

/* Server-wide settings the engine needs; read-only while serving. */
typedef struct {
	const char *identity;      /* CHAOS id.server, hostname.bind, NSID; NULL/"" refuses */
	const char *version;       /* CHAOS version.bind, version.server; NULL/"" refuses */
} query_conf_t;

#define QUERY_ARENA_SIZE (64 * 1024)
#define QUERY_UDP_PAYLOAD 1232   /* the EDNS payload we advertise and honour */

typedef struct {
	zoneset_t *const *zones;   /* the published zone set (RCU pointer) */
	const query_conf_t *conf;
	knot_mm_t mm;              /* arena allocator handed to libknot */
	uint8_t *arena;
	size_t arena_used;
	bool signed_query;         /* out: the last query carried a TSIG record;
	                              nothing was answered (see query_answer) */
	bool keep_tsig;            /* in: answer queries with TSIG anyway (the
	                              thread that verified and will sign) */
} query_env_t;

/* Sets env up for one worker. zones points to the RCU-published set
 * pointer, which the writer replaces. 0 or -ENOMEM. */
int query_env_init(query_env_t *env, zoneset_t *const *zones, const query_conf_t *conf);
void query_env_deinit(query_env_t *env);

/*
 * Answers the query in q (qlen bytes; q may be modified) into resp, which
 * has room for cap bytes (at least 512; 65535 for TCP). tcp: the query came
 * over TCP (no UDP size limit, ANY answered in full). Returns the length of
 * the response, or 0 when the query must be dropped silently (shorter than
 * a header, or a response itself). A query signed with TSIG is not
 * answered here (the keys are in the database, which DNS workers never
 * touch): 0 is returned with env->signed_query set, and the caller hands
 * it to the thread that verifies and signs (dns_update_cb).
 */
size_t query_answer(query_env_t *env, uint8_t *q, size_t qlen, uint8_t *resp, size_t cap,
                    bool tcp);
