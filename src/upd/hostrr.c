/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host records; see hostrr.h. */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <libknot/libknot.h>

#include "lib/errors.h"
#include "lib/name.h"
#include "upd/hostrr.h"

static const uint8_t ACME_LABEL[] = "\x0f_acme-challenge";

int hostrr_owners(const db_host_t *h, hostrr_owner_t out[HOSTRR_OWNERS])
{
	if (h->ownerlen + 16 > 255 - 1)
		return -EINVAL;
	memcpy(out[0].rel, h->owner, h->ownerlen);
	out[0].len = h->ownerlen;
	out[1].rel[0] = 1;
	out[1].rel[1] = '*';
	memcpy(out[1].rel + 2, h->owner, h->ownerlen);
	out[1].len = (uint8_t)(h->ownerlen + 2);
	memcpy(out[2].rel, ACME_LABEL, 16);
	memcpy(out[2].rel + 16, h->owner, h->ownerlen);
	out[2].len = (uint8_t)(h->ownerlen + 16);
	return 0;
}

/* Adds each string of a JSON array as one TXT record (split in 255-byte
 * character-strings). */
static int put_txts(db_t *db, const db_host_t *h, const hostrr_owner_t *o, const char *json)
{
	if (json[0] == '\0' || strcmp(json, "[]") == 0)
		return 0;
	json_t *arr = json_loads(json, 0, NULL);
	if (arr == NULL || !json_is_array(arr)) {
		json_decref(arr);
		return 0; /* nothing valid stored: publish nothing */
	}
	int ret = 0;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		size_t len = strlen(s);
		uint8_t rd[65535];
		size_t rl = 0;
		do {
			size_t chunk = len > 255 ? 255 : len;
			if (rl + 1 + chunk > sizeof(rd))
				break;
			rd[rl++] = (uint8_t)chunk;
			memcpy(rd + rl, s, chunk);
			rl += chunk;
			s += chunk;
			len -= chunk;
		} while (len > 0);
		ret = db_rr_insert(db, h->zone, o->rel, o->len, KNOT_RRTYPE_TXT, h->ttl, rd, rl);
		if (ret != 0)
			break;
	}
	json_decref(arr);
	return ret;
}

static int put_addrs(db_t *db, const db_host_t *h, const hostrr_owner_t *o, bool v4, const uint8_t *a4,
                     bool v6, const uint8_t *a6)
{
	int ret = 0;
	if (v4)
		ret = db_rr_insert(db, h->zone, o->rel, o->len, KNOT_RRTYPE_A, h->ttl, a4, 4);
	if (ret == 0 && v6)
		ret = db_rr_insert(db, h->zone, o->rel, o->len, KNOT_RRTYPE_AAAA, h->ttl, a6, 16);
	return ret;
}

#define BIT(t) ((uint64_t)1 << (t))

/* Whether the records a host publishes at owner i could differ between a
 * and b. */
static bool owner_differs(const db_host_t *a, const db_host_t *b, int i)
{
	bool addrs = a->has_v4 != b->has_v4 || (a->has_v4 && memcmp(a->v4, b->v4, 4) != 0) ||
	             a->has_v6 != b->has_v6 || (a->has_v6 && memcmp(a->v6, b->v6, 16) != 0);
	bool common = a->state != b->state || a->ttl != b->ttl;
	switch (i) {
	case 0:
		return common || addrs || strcmp(a->txt, b->txt) != 0 || strcmp(a->mx, b->mx) != 0 ||
		       a->mx_pref != b->mx_pref;
	case 1:
		return a->wildcard != b->wildcard || ((a->wildcard || b->wildcard) && (common || addrs));
	default:
		return strcmp(a->acme, b->acme) != 0 || (strcmp(a->acme, "[]") != 0 && common);
	}
}

int hostrr_write(db_t *db, const db_host_t *h, const db_host_t *old, const conf_zone_t *zc,
                 bool remove, unsigned *touched)
{
	static const uint64_t types[HOSTRR_OWNERS] = {
		BIT(KNOT_RRTYPE_A) | BIT(KNOT_RRTYPE_AAAA) | BIT(KNOT_RRTYPE_TXT) | BIT(KNOT_RRTYPE_MX),
		BIT(KNOT_RRTYPE_A) | BIT(KNOT_RRTYPE_AAAA),
		BIT(KNOT_RRTYPE_TXT),
	};
	hostrr_owner_t o[HOSTRR_OWNERS];
	int ret = hostrr_owners(h, o);
	if (ret != 0)
		return ret;
	unsigned mask = 0;
	for (int i = 0; i < HOSTRR_OWNERS; i++) {
		if (old != NULL && !remove && !owner_differs(old, h, i))
			continue;
		mask |= 1u << i;
		if ((ret = db_rr_delete_types(db, h->zone, o[i].rel, o[i].len, types[i])) != 0)
			return ret;
	}
	*touched = mask;
	if (remove)
		return 0;

	if (h->state == HOST_SUSPENDED) {
		const conf_suspend_t *s = &zc->suspended;
		if (s->mode != SUSPEND_SINKHOLE)
			return 0; /* NXDOMAIN: nothing at all */
		if (mask & 1)
			ret = put_addrs(db, h, &o[0], s->has_v4, s->v4, s->has_v6, s->v6);
		if (ret == 0 && h->wildcard && (mask & 2))
			ret = put_addrs(db, h, &o[1], s->has_v4, s->v4, s->has_v6, s->v6);
		return ret;
	}
	bool online = h->state == HOST_ACTIVE || h->state == HOST_BLOCKED;
	if (mask & 1) {
		ret = put_addrs(db, h, &o[0], online && h->has_v4, h->v4, online && h->has_v6, h->v6);
		if (ret == 0)
			ret = put_txts(db, h, &o[0], h->txt);
		if (ret == 0 && h->mx[0] != '\0') {
			uint8_t rd[2 + NAME_WIRE_MAX];
			int nl = name_to_wire(h->mx, rd + 2);
			if (nl < 0)
				return -EINVAL;
			rd[0] = (uint8_t)(h->mx_pref >> 8);
			rd[1] = (uint8_t)h->mx_pref;
			ret = db_rr_insert(db, h->zone, o[0].rel, o[0].len, KNOT_RRTYPE_MX, h->ttl, rd,
			                   (size_t)nl + 2);
		}
	}
	if (ret == 0 && h->wildcard && (mask & 2))
		ret = put_addrs(db, h, &o[1], online && h->has_v4, h->v4, online && h->has_v6, h->v6);
	if (ret == 0 && (mask & 4))
		ret = put_txts(db, h, &o[2], h->acme);
	return ret;
}
