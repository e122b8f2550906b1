/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Compiling records into nodes; see nodebuild.h. Writer/loader thread only. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libknot/descriptor.h>

#include "dns/nodebuild.h"
#include "lib/errors.h"
#include "lib/name.h"

#define RR_FIXED 12   /* owner pointer, type, class, TTL, RDLENGTH */

void nb_init(nodebuild_t *nb)
{
	memset(nb, 0, sizeof(*nb));
}

void nb_deinit(nodebuild_t *nb)
{
	free(nb->rrs);
	free(nb->data);
	memset(nb, 0, sizeof(*nb));
}

int nb_add(nodebuild_t *nb, uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t len)
{
	if (nb->n == nb->cap) {
		size_t cap = nb->cap ? nb->cap * 2 : 16;
		void *nv = realloc(nb->rrs, cap * sizeof(*nb->rrs));
		if (nv == NULL)
			return -ENOMEM;
		nb->rrs = nv;
		nb->cap = cap;
	}
	if (nb->dlen + len > nb->dcap) {
		size_t cap = nb->dcap ? nb->dcap : 256;
		while (cap < nb->dlen + len)
			cap *= 2;
		void *nv = realloc(nb->data, cap);
		if (nv == NULL)
			return -ENOMEM;
		nb->data = nv;
		nb->dcap = cap;
	}
	if (len > 0)
		memcpy(nb->data + nb->dlen, rdata, len);
	nb->rrs[nb->n++] = (struct nb_rr){ .type = type, .len = len, .ttl = ttl,
	                                   .off = (uint32_t)nb->dlen };
	nb->dlen += len;
	return 0;
}

static int rr_cmp(const void *a, const void *b, void *ctx)
{
	const struct nb_rr *x = a, *y = b;
	const uint8_t *data = ctx;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(data + x->off, data + y->off, n);
	if (c != 0)
		return c;
	return (int)x->len - (int)y->len;
}

static uint8_t *put_rr(uint8_t *w, uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t len)
{
	*w++ = 0xC0;
	*w++ = 0x0C;
	*w++ = type >> 8;
	*w++ = type & 0xff;
	*w++ = 0;
	*w++ = KNOT_CLASS_IN;
	*w++ = ttl >> 24;
	*w++ = (ttl >> 16) & 0xff;
	*w++ = (ttl >> 8) & 0xff;
	*w++ = ttl & 0xff;
	*w++ = len >> 8;
	*w++ = len & 0xff;
	memcpy(w, rdata, len);
	return w + len;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

int nb_build(nodebuild_t *nb, const uint8_t *rel, size_t rellen, bool apex, node_t **out)
{
	qsort_r(nb->rrs, nb->n, sizeof(*nb->rrs), rr_cmp, nb->data);

	/* Merge identical records; the RRset TTL is the lowest. */
	size_t n = 0;
	for (size_t i = 0; i < nb->n; i++) {
		if (n > 0 && rr_cmp(&nb->rrs[n - 1], &nb->rrs[i], nb->data) == 0) {
			if (nb->rrs[i].ttl < nb->rrs[n - 1].ttl)
				nb->rrs[n - 1].ttl = nb->rrs[i].ttl;
			continue;
		}
		nb->rrs[n++] = nb->rrs[i];
	}
	nb->n = n;

	unsigned ntypes = 0, cnames = 0;
	size_t data = 0;
	const struct nb_rr *soa = NULL;
	bool has_ns = false;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || nb->rrs[i].type != nb->rrs[i - 1].type)
			ntypes++;
		data += RR_FIXED + nb->rrs[i].len;
		if (nb->rrs[i].type == KNOT_RRTYPE_CNAME)
			cnames++;
		if (nb->rrs[i].type == KNOT_RRTYPE_SOA)
			soa = &nb->rrs[i];
		if (nb->rrs[i].type == KNOT_RRTYPE_NS)
			has_ns = true;
	}
	if (cnames > 1 || (cnames == 1 && ntypes > 1))
		return DDNS_ECNAME;
	if (apex) {
		if (soa == NULL || soa->len < 22)
			return -EINVAL;
		ntypes++;
		data += RR_FIXED + soa->len;
	}
	if (data > UINT16_MAX || ntypes > UINT8_MAX || rellen > 255)
		return DDNS_ETOOBIG;

	size_t idxlen = ntypes * NODE_IDX_SIZE;
	node_t *node = calloc(1, sizeof(*node) + rellen + idxlen + data);
	if (node == NULL)
		return -ENOMEM;
	node->namelen = (uint8_t)rellen;
	node->ntypes = (uint8_t)ntypes;
	node->datalen = (uint16_t)data;
	node->flags = (apex ? NODE_APEX : 0) | (has_ns && !apex ? NODE_DELEG : 0) |
	              (cnames ? NODE_CNAME : 0);
	memcpy(node->bytes, rel, rellen);

	uint8_t *idx = node->bytes + rellen;
	uint8_t *w = idx + idxlen;
	if (apex) {
		/* RFC 2308: negative answers carry the SOA with the lower of its
		 * TTL and its MINIMUM field. */
		const uint8_t *rd = nb->data + soa->off;
		uint32_t minimum = (uint32_t)rd[soa->len - 4] << 24 | rd[soa->len - 3] << 16 |
		                   rd[soa->len - 2] << 8 | rd[soa->len - 1];
		uint32_t ttl = soa->ttl < minimum ? soa->ttl : minimum;
		uint8_t *start = w;
		w = put_rr(w, KNOT_RRTYPE_SOA, ttl, rd, soa->len);
		put16(idx, NODE_TYPE_NEGSOA);
		put16(idx + 2, 1);
		put16(idx + 4, (uint16_t)(w - start));
		idx += NODE_IDX_SIZE;
	}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		uint32_t ttl = nb->rrs[i].ttl;
		while (j < n && nb->rrs[j].type == nb->rrs[i].type) {
			if (nb->rrs[j].ttl < ttl)
				ttl = nb->rrs[j].ttl;
			j++;
		}
		uint8_t *start = w;
		for (size_t k = i; k < j; k++)
			w = put_rr(w, nb->rrs[k].type, ttl, nb->data + nb->rrs[k].off, nb->rrs[k].len);
		put16(idx, nb->rrs[i].type);
		put16(idx + 2, (uint16_t)(j - i));
		put16(idx + 4, (uint16_t)(w - start));
		idx += NODE_IDX_SIZE;
		i = j;
	}
	*out = node;
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

int conf_zone_soa_rdata(const conf_zone_t *zc, uint32_t serial, uint8_t *rd)
{
	int ml = name_to_wire(zc->ns.v[0], rd);
	if (ml < 0)
		return ml;
	int rl = name_to_wire(zc->soa_rname, rd + ml);
	if (rl < 0)
		return rl;
	uint8_t *p = rd + ml + rl;
	put32(p, serial);
	put32(p + 4, zc->soa_refresh);
	put32(p + 8, zc->soa_retry);
	put32(p + 12, zc->soa_expire);
	put32(p + 16, zc->soa_minimum);
	return ml + rl + 20;
}

int nb_add_apex_conf(nodebuild_t *nb, const conf_zone_t *zc, uint32_t serial)
{
	uint8_t rd[CONF_SOA_RDATA_MAX];
	int sl = conf_zone_soa_rdata(zc, serial, rd);
	if (sl < 0)
		return sl;
	int ret = nb_add(nb, KNOT_RRTYPE_SOA, zc->soa_ttl, rd, (uint16_t)sl);
	for (size_t i = 0; ret == 0 && i < zc->ns.n; i++) {
		int l = name_to_wire(zc->ns.v[i], rd);
		if (l < 0)
			return l;
		ret = nb_add(nb, KNOT_RRTYPE_NS, zc->soa_ttl, rd, (uint16_t)l);
	}
	return ret;
}

int conf_zone_glue(const conf_zone_t *zc,
                   int (*fn)(const uint8_t *rel, size_t rellen, uint16_t type, uint32_t ttl,
                             const uint8_t *rdata, uint16_t len, void *ctx),
                   void *ctx)
{
	uint8_t apex[NAME_WIRE_MAX], owner[NAME_WIRE_MAX];
	int alen = name_to_wire(zc->name, apex);
	if (alen < 0)
		return alen;
	for (size_t i = 0; i < zc->glue.n; i++) {
		char name[NAME_WIRE_MAX + 1], addr[64];
		uint8_t rd[16];
		if (sscanf(zc->glue.v[i], "%255s %63s", name, addr) != 2)
			return -EINVAL;
		int olen = name_to_wire(name, owner);
		if (olen < 0)
			return olen;
		int rel = name_rel_len(owner, olen, apex, alen);
		if (rel < 0)
			continue; /* out-of-zone glue is not ours to serve */
		int ret;
		if (inet_pton(AF_INET, addr, rd) == 1)
			ret = fn(owner, rel, KNOT_RRTYPE_A, zc->soa_ttl, rd, 4, ctx);
		else if (inet_pton(AF_INET6, addr, rd) == 1)
			ret = fn(owner, rel, KNOT_RRTYPE_AAAA, zc->soa_ttl, rd, 16, ctx);
		else
			return -EINVAL;
		if (ret != 0)
			return ret;
	}
	return 0;
}
