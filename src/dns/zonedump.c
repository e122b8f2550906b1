/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Master-file output; see zonedump.h. libknot formats every record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libknot/libknot.h>

#include "dns/zonedump.h"

typedef struct {
	const node_t **v;
	size_t n, cap;
	const zone_t *z;
} collect_t;

static void collect(const node_t *n, void *ctx)
{
	collect_t *c = ctx;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		const node_t **nv = realloc(c->v, cap * sizeof(*nv));
		if (nv == NULL)
			return; /* reported by the count check below */
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = n;
}

static const zone_t *sort_zone;

static void full_name(const zone_t *z, const node_t *n, uint8_t *out)
{
	memcpy(out, node_name(n), n->namelen);
	memcpy(out + n->namelen, z->apex, z->apex_len);
}

static int canonical_cmp(const void *a, const void *b)
{
	uint8_t x[KNOT_DNAME_MAXLEN * 2], y[KNOT_DNAME_MAXLEN * 2];
	full_name(sort_zone, *(const node_t *const *)a, x);
	full_name(sort_zone, *(const node_t *const *)b, y);
	return knot_dname_cmp(x, y);
}

static int dump_rrset(const uint8_t *owner, const node_rrset_t *rs, FILE *out, char **buf,
                      size_t *buflen)
{
	knot_rrset_t rr;
	knot_rrset_init(&rr, (knot_dname_t *)owner, rs->type, KNOT_CLASS_IN, 0);
	const uint8_t *p = rs->wire;
	for (unsigned i = 0; i < rs->count; i++) {
		uint16_t rdlen = node_get16(p + 10);
		rr.ttl = (uint32_t)p[6] << 24 | p[7] << 16 | p[8] << 8 | p[9];
		if (knot_rrset_add_rdata(&rr, p + 12, rdlen, NULL) != KNOT_EOK) {
			knot_rdataset_clear(&rr.rrs, NULL);
			return -ENOMEM;
		}
		p += 12 + rdlen;
	}
	int ret = knot_rrset_txt_dump(&rr, buf, buflen, &KNOT_DUMP_STYLE_DEFAULT);
	knot_rdataset_clear(&rr.rrs, NULL);
	if (ret < 0)
		return -ENOMEM;
	return fputs(*buf, out) == EOF ? -EIO : 0;
}

int zonedump_write(const zone_t *z, FILE *out)
{
	collect_t c = { .z = z };
	zone_walk(z, collect, &c);
	if (c.n != zone_size(z)) {
		free(c.v);
		return -ENOMEM;
	}
	sort_zone = z;
	qsort(c.v, c.n, sizeof(*c.v), canonical_cmp);

	size_t buflen = 4096;
	char *buf = malloc(buflen);
	int ret = buf ? 0 : -ENOMEM;
	for (size_t i = 0; ret == 0 && i < c.n; i++) {
		const node_t *n = c.v[i];
		uint8_t owner[KNOT_DNAME_MAXLEN * 2];
		full_name(z, n, owner);
		node_rrset_t rs;
		if ((n->flags & NODE_APEX) && node_rrset(n, KNOT_RRTYPE_SOA, &rs))
			ret = dump_rrset(owner, &rs, out, &buf, &buflen);
		for (unsigned t = 0; ret == 0 && t < n->ntypes; t++) {
			node_rrset_at(n, t, &rs);
			if (rs.type == NODE_TYPE_NEGSOA || ((n->flags & NODE_APEX) && rs.type == KNOT_RRTYPE_SOA))
				continue;
			ret = dump_rrset(owner, &rs, out, &buf, &buflen);
		}
	}
	free(buf);
	free(c.v);
	return ret;
}
