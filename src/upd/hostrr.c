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

/* The records one owner should hold, collected before any is written. A
 * TXT string costs at least 3 bytes of JSON ("",) and at most one length
 * byte per 255 bytes more than its text, so DB_TXT_MAX bounds both. */
#define REC_MAX (DB_TXT_MAX / 3 + 4)
typedef struct {
	db_rr_t rr[REC_MAX];
	uint8_t buf[2 * DB_TXT_MAX + 2 + NAME_WIRE_MAX + 16 + 4];
	size_t n, used;
} recs_t;

static int rec_add(recs_t *s, uint16_t type, uint32_t ttl, const uint8_t *rd, size_t len)
{
	if (s->n == REC_MAX || s->used + len > sizeof(s->buf))
		return -EINVAL;
	memcpy(s->buf + s->used, rd, len);
	s->rr[s->n++] = (db_rr_t){ .type = type, .rdlen = (uint16_t)len, .ttl = ttl,
	                           .rdata = s->buf + s->used };
	s->used += len;
	return 0;
}

/* Adds each string of a JSON array as one TXT record (split in 255-byte
 * character-strings). */
static int put_txts(recs_t *s, const db_host_t *h, const char *json)
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
		const char *str = json_string_value(v);
		if (str == NULL)
			continue;
		size_t len = strlen(str);
		uint8_t rd[65535];
		size_t rl = 0;
		do {
			size_t chunk = len > 255 ? 255 : len;
			if (rl + 1 + chunk > sizeof(rd))
				break;
			rd[rl++] = (uint8_t)chunk;
			memcpy(rd + rl, str, chunk);
			rl += chunk;
			str += chunk;
			len -= chunk;
		} while (len > 0);
		if ((ret = rec_add(s, KNOT_RRTYPE_TXT, h->ttl, rd, rl)) != 0)
			break;
	}
	json_decref(arr);
	return ret;
}

static int put_addrs(recs_t *s, const db_host_t *h, bool v4, const uint8_t *a4, bool v6,
                     const uint8_t *a6)
{
	int ret = 0;
	if (v4)
		ret = rec_add(s, KNOT_RRTYPE_A, h->ttl, a4, 4);
	if (ret == 0 && v6)
		ret = rec_add(s, KNOT_RRTYPE_AAAA, h->ttl, a6, 16);
	return ret;
}

/* The records h publishes at its owner i (index in hostrr_owners). */
static int owner_records(const db_host_t *h, const conf_zone_t *zc, int i, recs_t *s)
{
	s->n = s->used = 0;
	if (h->state == HOST_SUSPENDED) {
		const conf_suspend_t *su = &zc->suspended;
		if (su->mode != SUSPEND_SINKHOLE || i == 2 || (i == 1 && !h->wildcard))
			return 0; /* NXDOMAIN: nothing at all */
		return put_addrs(s, h, su->has_v4, su->v4, su->has_v6, su->v6);
	}
	bool online = h->state == HOST_ACTIVE || h->state == HOST_BLOCKED;
	switch (i) {
	case 0: {
		int ret = put_addrs(s, h, online && h->has_v4, h->v4, online && h->has_v6, h->v6);
		if (ret == 0)
			ret = put_txts(s, h, h->txt);
		if (ret == 0 && h->mx[0] != '\0') {
			uint8_t rd[2 + NAME_WIRE_MAX];
			int nl = name_to_wire(h->mx, rd + 2);
			if (nl < 0)
				return -EINVAL;
			rd[0] = (uint8_t)(h->mx_pref >> 8);
			rd[1] = (uint8_t)h->mx_pref;
			ret = rec_add(s, KNOT_RRTYPE_MX, h->ttl, rd, (size_t)nl + 2);
		}
		return ret;
	}
	case 1:
		if (!h->wildcard)
			return 0;
		return put_addrs(s, h, online && h->has_v4, h->v4, online && h->has_v6, h->v6);
	default:
		return put_txts(s, h, h->acme);
	}
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
	recs_t recs; /* about 20 kB; put_txts already needs 64 kB of stack */
	unsigned mask = 0;
	for (int i = 0; i < HOSTRR_OWNERS; i++) {
		if (old != NULL && !remove && !owner_differs(old, h, i))
			continue;
		mask |= 1u << i;
		recs.n = recs.used = 0;
		if (!remove && (ret = owner_records(h, zc, i, &recs)) != 0)
			return ret;
		/* Only the rows that differ are written: a new IPv4 address
		 * leaves the AAAA row (and its b-tree page) alone. */
		ret = db_rr_set_types(db, h->zone, o[i].rel, o[i].len, types[i], recs.rr, recs.n);
		if (ret != 0)
			return ret;
	}
	*touched = mask;
	return 0;
}
