/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zone loading; see zoneload.h. Records arrive from the database grouped by
 * owner; each group becomes one node. Configuration records are merged into
 * the group of their owner, or get a node of their own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libknot/libknot.h>

#include "dns/nodebuild.h"
#include "lib/errors.h"
#include "lib/name.h"
#include "upd/zoneload.h"

typedef struct {
	uint8_t rel[NAME_WIRE_MAX];
	uint8_t rellen;
	uint16_t type;
	uint32_t ttl;
	uint8_t rdata[16];
	uint8_t len;
	bool used;
} glue_t;

typedef struct {
	const conf_zone_t *zc;
	zone_t *zone;
	uint32_t serial;
	nodebuild_t nb;
	zgc_t gc;
	uint8_t owner[NAME_WIRE_MAX];
	size_t ownerlen;
	bool have_owner;
	bool apex_done;
	glue_t *glue;
	size_t nglue;
	char *err;
	size_t errlen;
} loader_t;

static int collect_glue(const uint8_t *rel, size_t rellen, uint16_t type, uint32_t ttl,
                        const uint8_t *rdata, uint16_t len, void *ctx)
{
	loader_t *l = ctx;
	glue_t *ng = realloc(l->glue, (l->nglue + 1) * sizeof(*ng));
	if (ng == NULL)
		return -ENOMEM;
	l->glue = ng;
	glue_t *g = &l->glue[l->nglue++];
	memset(g, 0, sizeof(*g));
	memcpy(g->rel, rel, rellen);
	g->rellen = (uint8_t)rellen;
	g->type = type;
	g->ttl = ttl;
	memcpy(g->rdata, rdata, len);
	g->len = (uint8_t)len;
	return 0;
}

static void owner_text(const loader_t *l, const uint8_t *rel, size_t rellen, char *buf, size_t len)
{
	uint8_t full[NAME_WIRE_MAX * 2];
	memcpy(full, rel, rellen);
	memcpy(full + rellen, l->zone->apex, l->zone->apex_len);
	if (knot_dname_to_str(buf, full, len) == NULL)
		snprintf(buf, len, "(name)");
}

/* Builds and publishes the node for the records collected so far. */
static int flush(loader_t *l, const uint8_t *rel, size_t rellen)
{
	int ret = 0;
	bool apex = rellen == 0;
	for (size_t i = 0; i < l->nglue; i++) {
		glue_t *g = &l->glue[i];
		if (g->rellen == rellen && memcmp(g->rel, rel, rellen) == 0) {
			g->used = true;
			ret = nb_add(&l->nb, g->type, g->ttl, g->rdata, g->len);
			if (ret != 0)
				return ret;
		}
	}
	if (apex) {
		ret = nb_add_apex_conf(&l->nb, l->zc, l->serial);
		if (ret != 0)
			return ret;
		l->apex_done = true;
	}
	node_t *node;
	ret = nb_build(&l->nb, rel, rellen, apex, &node);
	if (ret != 0) {
		char name[KNOT_DNAME_TXT_MAXLEN + 1];
		owner_text(l, rel, rellen, name, sizeof(name));
		snprintf(l->err, l->errlen, "zone %s: %s: %s", l->zc->name, name, ddns_strerror(ret));
		return ret;
	}
	nb_reset(&l->nb);
	ret = zone_put(l->zone, node, &l->gc);
	if (ret != 0)
		snprintf(l->err, l->errlen, "zone %s: %s", l->zc->name, ddns_strerror(ret));
	return ret;
}

static int on_rr(const uint8_t *owner, size_t ownerlen, uint16_t type, uint32_t ttl,
                 const uint8_t *rdata, size_t rdlen, void *ctx)
{
	loader_t *l = ctx;
	if (ownerlen > (size_t)(NAME_WIRE_MAX - l->zone->apex_len) || rdlen > UINT16_MAX) {
		snprintf(l->err, l->errlen, "zone %s: damaged record in the database", l->zc->name);
		return DDNS_EDB;
	}
	if (l->have_owner && (ownerlen != l->ownerlen || memcmp(owner, l->owner, ownerlen) != 0)) {
		int ret = flush(l, l->owner, l->ownerlen);
		if (ret != 0)
			return ret;
	}
	memcpy(l->owner, owner, ownerlen);
	l->ownerlen = ownerlen;
	l->have_owner = true;
	return nb_add(&l->nb, type, ttl, rdata, (uint16_t)rdlen);
}

static int load(db_t *db, const conf_zone_t *zc, int64_t zid, uint32_t serial, zone_t **out,
                char *err, size_t errlen)
{
	uint8_t apex[NAME_WIRE_MAX];
	if (name_to_wire(zc->name, apex) < 0)
		return -EINVAL;
	loader_t l = { .zc = zc, .serial = serial, .err = err, .errlen = errlen };
	nb_init(&l.nb);
	int ret = -ENOMEM;
	l.zone = zone_new(apex);
	if (l.zone == NULL)
		goto out;
	/* No zone_reserve() from the record count: it overestimates the
	 * names, and growing by doubling costs less than counting them. */
	if ((ret = conf_zone_glue(zc, collect_glue, &l)) != 0)
		goto out;
	ret = db_rr_foreach(db, zid, on_rr, &l);
	if (ret == DDNS_EDB && err[0] == '\0')
		snprintf(err, errlen, "zone %s: database: %s", zc->name, db_errmsg(db));
	if (ret == 0 && l.have_owner)
		ret = flush(&l, l.owner, l.ownerlen);
	for (size_t i = 0; ret == 0 && i < l.nglue; i++) {
		if (l.glue[i].used)
			continue;
		ret = flush(&l, l.glue[i].rel, l.glue[i].rellen);
	}
	if (ret == 0 && !l.apex_done)
		ret = flush(&l, (const uint8_t *)"", 0);
out:
	if (ret != 0 && err[0] == '\0')
		snprintf(err, errlen, "zone %s: %s", zc->name, ddns_strerror(ret));
	zgc_deinit(&l.gc);
	nb_deinit(&l.nb);
	free(l.glue);
	if (ret != 0) {
		zone_free(l.zone);
		return ret;
	}
	*out = l.zone;
	return 0;
}

int zoneload_zone(db_t *db, const conf_zone_t *zc, zone_t **out, uint32_t *serial,
                  char *err, size_t errlen)
{
	int64_t zid;
	err[0] = '\0';
	int ret = db_zone_get(db, zc->name, true, &zid, serial);
	if (ret != 0) {
		snprintf(err, errlen, "zone %s: database: %s", zc->name, db_errmsg(db));
		return ret;
	}
	return load(db, zc, zid, *serial, out, err, errlen);
}

int zoneload_all(db_t *db, const conf_t *conf, zoneset_t **out, char *err, size_t errlen)
{
	zoneset_t *set = calloc(1, sizeof(*set) + conf->zone_count * sizeof(zone_t *));
	if (set == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < conf->zone_count; i++) {
		uint32_t serial;
		int ret = zoneload_zone(db, &conf->zones[i], &set->zones[i], &serial, err, errlen);
		if (ret != 0) {
			zoneload_free(set);
			return ret;
		}
		set->count++;
	}
	*out = set;
	return 0;
}

void zoneload_free(zoneset_t *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->count; i++)
		zone_free(set->zones[i]);
	free(set);
}

int zoneload_check(db_t *db, int64_t zone, void *ctx, char *err, size_t errlen)
{
	const conf_zone_t *zc = ctx;
	zone_t *z = NULL;
	err[0] = '\0';
	int ret = load(db, zc, zone, 1, &z, err, errlen);
	if (ret == 0)
		zone_free(z);
	return ret;
}
