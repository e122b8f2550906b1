/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Master-file import; see zoneio.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libknot/libknot.h>
#include <libzscanner/scanner.h>

#include "lib/errors.h"
#include "lib/name.h"
#include "store/zoneio.h"

static bool refused_type(uint16_t t)
{
	/* ddnsd will sign online; imported signatures would be stale. */
	return t == KNOT_RRTYPE_RRSIG || t == KNOT_RRTYPE_NSEC || t == KNOT_RRTYPE_NSEC3 ||
	       t == KNOT_RRTYPE_NSEC3PARAM || t == KNOT_RRTYPE_DNSKEY || t == KNOT_RRTYPE_ZONEMD;
}

int zoneio_import(db_t *db, const char *zone, const char *file, zoneio_check_fn check,
                  void *ctx, uint64_t *count, char *err, size_t errlen)
{
	uint8_t apex[NAME_WIRE_MAX];
	int alen = name_to_wire(zone, apex);
	if (alen < 0) {
		snprintf(err, errlen, "'%s' is not a valid zone name", zone);
		return -EINVAL;
	}
	zs_scanner_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	char origin[NAME_WIRE_MAX + 2];
	snprintf(origin, sizeof(origin), "%s.", zone);
	if (zs_init(s, origin, KNOT_CLASS_IN, 3600) != 0 || zs_set_input_file(s, file) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", file,
		         s->error.code ? zs_strerror(s->error.code) : strerror(errno));
		zs_deinit(s);
		free(s);
		return DDNS_EZONEFILE;
	}

	int ret = db_begin(db);
	if (ret != 0) {
		snprintf(err, errlen, "database: %s", db_errmsg(db));
		goto out;
	}
	int64_t zid;
	uint32_t serial, file_serial = 0;
	bool have_soa = false;
	uint64_t n = 0;
	if ((ret = db_zone_get(db, zone, true, &zid, &serial)) != 0 || (ret = db_rr_clear(db, zid)) != 0) {
		snprintf(err, errlen, "database: %s", db_errmsg(db));
		goto rollback;
	}
	while (zs_parse_record(s) == 0) {
		if (s->state == ZS_STATE_EOF || s->state == ZS_STATE_STOP)
			break;
		if (s->state == ZS_STATE_ERROR) {
			snprintf(err, errlen, "%s:%llu: %s", file, (unsigned long long)s->line_counter,
			         zs_strerror(s->error.code));
			ret = DDNS_EZONEFILE;
			goto rollback;
		}
		if (s->state == ZS_STATE_INCLUDE) {
			snprintf(err, errlen, "%s:%llu: $INCLUDE is not supported", file,
			         (unsigned long long)s->line_counter);
			ret = DDNS_EZONEFILE;
			goto rollback;
		}
		if (s->state != ZS_STATE_DATA)
			continue;
		uint8_t owner[NAME_WIRE_MAX];
		memcpy(owner, s->r_owner, s->r_owner_length);
		knot_dname_to_lower(owner);
		int rel = name_rel_len(owner, s->r_owner_length, apex, (size_t)alen);
		const char *why = NULL;
		if (rel < 0)
			why = "record outside the zone";
		else if (s->r_class != KNOT_CLASS_IN)
			why = "only class IN is served";
		else if (refused_type(s->r_type))
			why = "DNSSEC records cannot be imported";
		else if (s->r_type == KNOT_RRTYPE_SOA && rel != 0)
			why = "SOA below the apex";
		if (why != NULL) {
			snprintf(err, errlen, "%s:%llu: %s", file, (unsigned long long)s->line_counter, why);
			ret = DDNS_EZONEFILE;
			goto rollback;
		}
		if (rel == 0 && s->r_type == KNOT_RRTYPE_SOA) {
			const uint8_t *rd = s->r_data;
			size_t l = s->r_data_length;
			if (l >= 20) {
				file_serial = (uint32_t)rd[l - 20] << 24 | rd[l - 19] << 16 |
				              rd[l - 18] << 8 | rd[l - 17];
				have_soa = true;
			}
			continue; /* the configuration owns the apex SOA */
		}
		if (rel == 0 && s->r_type == KNOT_RRTYPE_NS)
			continue; /* ... and the apex NS */
		ret = db_rr_insert(db, zid, owner, (size_t)rel, s->r_type, s->r_ttl, s->r_data,
		                   s->r_data_length);
		if (ret != 0) {
			snprintf(err, errlen, "database: %s", db_errmsg(db));
			goto rollback;
		}
		n++;
	}
	if (s->error.fatal) {
		snprintf(err, errlen, "%s:%llu: %s", file, (unsigned long long)s->line_counter,
		         zs_strerror(s->error.code));
		ret = DDNS_EZONEFILE;
		goto rollback;
	}
	/* Serials only move forward (RFC 1982 arithmetic). */
	uint32_t next = serial + 1;
	if (have_soa && (int32_t)(file_serial - next) > 0)
		next = file_serial;
	if ((ret = db_zone_set_serial(db, zid, next)) != 0) {
		snprintf(err, errlen, "database: %s", db_errmsg(db));
		goto rollback;
	}
	if (check != NULL && (ret = check(db, zid, ctx, err, errlen)) != 0)
		goto rollback;
	if ((ret = db_commit(db)) != 0) {
		snprintf(err, errlen, "database: %s", db_errmsg(db));
		goto rollback;
	}
	*count = n;
	goto out;
rollback:
	db_rollback(db);
out:
	zs_deinit(s);
	free(s);
	return ret;
}
