/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Building nodes: collects the records of one owner name and compiles them
 * into a node_t of precompiled answer bytes (see zone.h). Used by the loader
 * at start-up and by the writer thread; a nodebuild_t belongs to one thread.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dns/zone.h"
#include "lib/conf.h"

typedef struct {
	struct nb_rr {
		uint16_t type;
		uint16_t len;
		uint32_t ttl;
		uint32_t off;
	} *rrs;
	size_t n, cap;
	uint8_t *data;
	size_t dlen, dcap;
} nodebuild_t;

void nb_init(nodebuild_t *nb);
void nb_deinit(nodebuild_t *nb);

/* Forgets the collected records, keeps the memory. */
static inline void nb_reset(nodebuild_t *nb) { nb->n = 0; nb->dlen = 0; }

/* Adds one RR (class IN). rdata is uncompressed wire format. 0 or -ENOMEM. */
int nb_add(nodebuild_t *nb, uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t len);

/*
 * Compiles the collected records into a new node named rel (lower-case wire
 * relative to the apex, rellen bytes). Records of a type form one RRset,
 * identical rdata are merged, the RRset's TTL is the lowest of its records.
 * apex: this is the zone apex (an SOA is required; the negative-answer SOA
 * is precompiled too). Returns 0 and *out (caller owns it), DDNS_ECNAME for
 * CNAME beside other data, DDNS_ETOOBIG when it exceeds 64 KiB, -EINVAL for
 * an apex without SOA, -ENOMEM. The collected records stay until nb_reset.
 */
int nb_build(nodebuild_t *nb, const uint8_t *rel, size_t rellen, bool apex, node_t **out);

/*
 * Adds the records the configuration defines at the apex (SOA with the given
 * serial, NS) to nb. Returns 0 or an error.
 */
int nb_add_apex_conf(nodebuild_t *nb, const conf_zone_t *zc, uint32_t serial);

/* The zone's SOA rdata at serial, as served (MNAME the first NS), in rd
 * (CONF_SOA_RDATA_MAX bytes). Returns its length or an error. */
#define CONF_SOA_RDATA_MAX (2 * NAME_WIRE_MAX + 20)
int conf_zone_soa_rdata(const conf_zone_t *zc, uint32_t serial, uint8_t *rd);

/*
 * Calls fn for every glue record the configuration defines below the apex
 * (relative owner in lower-case wire). Returns 0 or the first error of fn.
 */
int conf_zone_glue(const conf_zone_t *zc,
                   int (*fn)(const uint8_t *rel, size_t rellen, uint16_t type, uint32_t ttl,
                             const uint8_t *rdata, uint16_t len, void *ctx),
                   void *ctx);
