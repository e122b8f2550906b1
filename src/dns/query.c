/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The query engine; see query.h.
 *
 * Every answer RR in the store starts with the pointer 0xC00C ("the name in
 * the question"), so a direct or wildcard answer is a memcpy. Only records
 * whose owner is some other name in the packet (a CNAME target, a zone cut,
 * an MX target in the additional section) get their two owner bytes patched
 * to point at that name, which is always already present in the packet: in
 * the question or in the RDATA of a record written before.
 *
 * Why an arena instead of malloc: libknot's parser allocates the packet
 * structure and its RR arrays; with a bump allocator that is rewound per
 * query this costs a few pointer additions and never takes malloc's locks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>
#include <urcu/uatomic.h>
#include <libknot/libknot.h>

#include "dns/query.h"

#define MAX_CHAIN 8          /* CNAME hops followed inside a zone */
#define OPT_FIXED 11         /* root owner, type, class, TTL, RDLENGTH */
#define PTR_MAX 0x3FFF       /* highest offset a compression pointer reaches */

static void *arena_alloc(void *ctx, size_t len)
{
	query_env_t *env = ctx;
	size_t need = (len + 15) & ~(size_t)15;
	if (env->arena_used + need > QUERY_ARENA_SIZE)
		return NULL;
	void *p = env->arena + env->arena_used;
	env->arena_used += need;
	return p;
}

static void arena_free(void *p)
{
	(void)p; /* rewound as a whole after each query */
}

int query_env_init(query_env_t *env, zoneset_t *const *zones, const query_conf_t *conf)
{
	memset(env, 0, sizeof(*env));
	env->arena = aligned_alloc(64, QUERY_ARENA_SIZE);
	if (env->arena == NULL)
		return -ENOMEM;
	env->zones = zones;
	env->conf = conf;
	env->mm.ctx = env;
	env->mm.alloc = arena_alloc;
	env->mm.free = arena_free;
	return 0;
}

void query_env_deinit(query_env_t *env)
{
	free(env->arena);
	env->arena = NULL;
}

/* The response under construction. */
typedef struct {
	uint8_t *w;
	size_t len;          /* bytes written */
	size_t max;          /* limit for answer+authority+additional (OPT reserved) */
	size_t qend;         /* end of the question */
	uint16_t an, ns, ar;
	bool tc;             /* answer or authority did not fit */
	uint16_t apex_ptr;   /* offset of the zone apex inside the question */
	uint16_t qtype;
	bool tcp;
	const zone_t *zone;
	const node_t *apex;
} resp_t;

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Appends an RRset whose records all get the owner at offset owner. */
static bool put_rrset(resp_t *r, const node_rrset_t *rs, uint16_t owner)
{
	if (r->len + rs->len > r->max)
		return false;
	uint8_t *start = r->w + r->len;
	memcpy(start, rs->wire, rs->len);
	if (owner != KNOT_WIRE_HEADER_SIZE) {
		uint8_t *p = start;
		for (unsigned i = 0; i < rs->count; i++) {
			p[0] = 0xC0 | (owner >> 8);
			p[1] = owner & 0xff;
			p += 12 + node_get16(p + 10);
		}
	}
	r->len += rs->len;
	return true;
}

static bool put_answer(resp_t *r, const node_rrset_t *rs, uint16_t owner)
{
	if (!put_rrset(r, rs, owner)) {
		r->tc = true;
		return false;
	}
	r->an += rs->count;
	return true;
}

static void put_negative_soa(resp_t *r)
{
	node_rrset_t soa;
	if (r->apex == NULL || !node_rrset(r->apex, NODE_TYPE_NEGSOA, &soa))
		return;
	if (!put_rrset(r, &soa, r->apex_ptr)) {
		r->tc = true;
		return;
	}
	r->ns += soa.count;
}

/* Copies a wire name at p (uncompressed, inside our own packet) in lower case. */
static size_t lower_name(const uint8_t *p, const uint8_t *end, uint8_t *out)
{
	size_t n = 0;
	while (p < end && *p != 0) {
		uint8_t l = *p;
		if (l > 63 || p + 1 + l > end || n + 1 + l > KNOT_DNAME_MAXLEN - 1)
			return 0;
		out[n++] = l;
		for (unsigned i = 1; i <= l; i++)
			out[n++] = (uint8_t)((p[i] >= 0x41 && p[i] <= 0x5a) ? p[i] | 0x20 : p[i]);
		p += 1 + l;
	}
	if (p >= end)
		return 0;
	out[n++] = 0;
	return n;
}

/* Additional-section addresses for names in the RDATA of the RRs written
 * between from and to (MX, NS, SRV targets). Skipped silently if full. */
static void put_additional(resp_t *r, size_t from, size_t to, uint16_t type, zoneset_t *set)
{
	size_t skip = type == KNOT_RRTYPE_MX ? 2 : type == KNOT_RRTYPE_SRV ? 6 : 0;
	size_t p = from;
	while (p + 12 <= to) {
		uint16_t rdlen = node_get16(r->w + p + 10);
		size_t name_off = p + 12 + skip;
		p += 12 + rdlen;
		if (name_off > PTR_MAX || name_off >= p)
			continue;
		uint8_t lname[KNOT_DNAME_MAXLEN];
		size_t ln = lower_name(r->w + name_off, r->w + p, lname);
		if (ln == 0)
			continue;
		size_t rel;
		zone_t *z = zoneset_find(set, lname, ln, &rel);
		if (z == NULL)
			continue;
		const node_t *n = zone_get(z, lname, rel);
		if (n == NULL)
			continue;
		static const uint16_t types[] = { KNOT_RRTYPE_A, KNOT_RRTYPE_AAAA };
		for (unsigned i = 0; i < 2; i++) {
			node_rrset_t rs;
			if (!node_rrset(n, types[i], &rs))
				continue;
			if (!put_rrset(r, &rs, (uint16_t)name_off))
				return;
			r->ar += rs.count;
		}
	}
}

/* Returns the zone cut at or above rel (strictly above when qtype is DS
 * and the cut is rel itself), or NULL. */
static const node_t *find_cut(const zone_t *z, const uint8_t *rel, size_t rellen, uint16_t qtype,
                              size_t *cutlen)
{
	/* Walk from the label just below the apex down to the name. */
	const uint8_t *labels[128];
	size_t n = 0, pos = 0;
	while (pos < rellen && n < 128) {
		labels[n++] = rel + pos;
		pos += 1 + rel[pos];
	}
	for (size_t i = n; i-- > 0;) {
		size_t len = rellen - (size_t)(labels[i] - rel);
		if (i == 0 && qtype == KNOT_RRTYPE_DS)
			break;
		const node_t *node = zone_get(z, labels[i], len);
		if (node == NULL)
			return NULL; /* nothing exists below a missing name */
		if (node->flags & NODE_DELEG) {
			*cutlen = len;
			return node;
		}
	}
	return NULL;
}

static void referral(resp_t *r, const node_t *cut, uint16_t owner, zoneset_t *set)
{
	node_rrset_t ns;
	if (!node_rrset(cut, KNOT_RRTYPE_NS, &ns))
		return;
	size_t from = r->len;
	if (!put_rrset(r, &ns, owner)) {
		r->tc = true;
		return;
	}
	r->ns += ns.count;
	put_additional(r, from, r->len, KNOT_RRTYPE_NS, set);
}

/*
 * Answers for the name rel (relative to r->zone) whose wire copy sits at
 * offset owner in the packet. Returns the rcode. depth counts CNAME hops.
 */
static int resolve(resp_t *r, const uint8_t *rel, size_t rellen, uint16_t owner, unsigned depth,
                   zoneset_t *set, bool *aa)
{
	const zone_t *z = r->zone;
	if (uatomic_read(&z->delegations) > 0) {
		size_t cutlen;
		const node_t *cut = find_cut(z, rel, rellen, r->qtype, &cutlen);
		if (cut != NULL) {
			if (depth == 0) {
				*aa = false;
				/* The cut's name is a suffix of the name at owner. */
				referral(r, cut, (uint16_t)(owner + rellen - cutlen), set);
			}
			return KNOT_RCODE_NOERROR;
		}
	}

	const node_t *node = zone_get(z, rel, rellen);
	if (node == NULL) {
		/* RFC 4592: the wildcard of the closest encloser, if any. */
		const uint8_t *p = rel;
		size_t l = rellen;
		while (l > 0) {
			size_t skip = 1 + p[0];
			p += skip;
			l -= skip;
			if (zone_get(z, p, l) != NULL)
				break;
		}
		uint8_t wc[KNOT_DNAME_MAXLEN + 2];
		wc[0] = 1;
		wc[1] = '*';
		memcpy(wc + 2, p, l);
		node = zone_get(z, wc, l + 2);
		if (node == NULL) {
			put_negative_soa(r);
			return KNOT_RCODE_NXDOMAIN;
		}
	}

	if (node->ntypes == 0) {
		put_negative_soa(r);
		return KNOT_RCODE_NOERROR;
	}

	node_rrset_t rs;
	if (r->qtype == KNOT_RRTYPE_ANY) {
		/* RFC 8482: over UDP one RRset is enough; TCP gets them all. */
		for (unsigned i = 0; i < node->ntypes; i++) {
			node_rrset_at(node, i, &rs);
			if (rs.type == NODE_TYPE_NEGSOA)
				continue;
			if (!put_answer(r, &rs, owner) || !r->tcp)
				break;
		}
		return KNOT_RCODE_NOERROR;
	}

	if ((node->flags & NODE_CNAME) && r->qtype != KNOT_RRTYPE_CNAME) {
		node_rrset(node, KNOT_RRTYPE_CNAME, &rs);
		size_t at = r->len;
		if (!put_answer(r, &rs, owner))
			return KNOT_RCODE_NOERROR;
		size_t target = at + 12;
		if (depth + 1 >= MAX_CHAIN || target > PTR_MAX)
			return KNOT_RCODE_NOERROR;
		uint8_t lname[KNOT_DNAME_MAXLEN];
		size_t ln = lower_name(r->w + target, r->w + r->len, lname);
		if (ln == 0)
			return KNOT_RCODE_NOERROR;
		int trel = (ln >= z->apex_len &&
		            memcmp(lname + ln - z->apex_len, z->apex, z->apex_len) == 0)
		           ? (int)(ln - z->apex_len) : -1;
		if (trel < 0)
			return KNOT_RCODE_NOERROR; /* out of zone: the resolver follows it */
		/* The suffix check above must also fall on a label boundary. */
		size_t pos = 0;
		while (pos < (size_t)trel)
			pos += 1 + lname[pos];
		if (pos != (size_t)trel)
			return KNOT_RCODE_NOERROR;
		return resolve(r, lname, (size_t)trel, (uint16_t)target, depth + 1, set, aa);
	}

	if (!node_rrset(node, r->qtype, &rs)) {
		put_negative_soa(r);
		return KNOT_RCODE_NOERROR;
	}
	size_t from = r->len;
	if (!put_answer(r, &rs, owner))
		return KNOT_RCODE_NOERROR;
	if (r->qtype == KNOT_RRTYPE_MX || r->qtype == KNOT_RRTYPE_SRV ||
	    r->qtype == KNOT_RRTYPE_NS)
		put_additional(r, from, r->len, r->qtype, set);
	return KNOT_RCODE_NOERROR;
}

/* Writes a TXT RR with the question's owner; false when it does not fit. */
static bool put_chaos_txt(resp_t *r, const char *text)
{
	size_t tl = strlen(text);
	if (tl > 255)
		tl = 255;
	if (r->len + 12 + 1 + tl > r->max)
		return false;
	uint8_t *w = r->w + r->len;
	w[0] = 0xC0;
	w[1] = 0x0C;
	put16(w + 2, KNOT_RRTYPE_TXT);
	put16(w + 4, KNOT_CLASS_CH);
	memset(w + 6, 0, 4);
	put16(w + 10, (uint16_t)(1 + tl));
	w[12] = (uint8_t)tl;
	memcpy(w + 13, text, tl);
	r->len += 13 + tl;
	r->an++;
	return true;
}

static int answer_chaos(query_env_t *env, resp_t *r, const uint8_t *qname)
{
	static const uint8_t id_server[] = "\x02id\x06server";
	static const uint8_t hostname_bind[] = "\x08hostname\x04" "bind";
	static const uint8_t version_bind[] = "\x07version\x04" "bind";
	static const uint8_t version_server[] = "\x07version\x06server";
	const char *text = NULL;
	size_t qn = knot_dname_size(qname);
	if ((qn == sizeof(id_server) && memcmp(qname, id_server, qn) == 0) ||
	    (qn == sizeof(hostname_bind) && memcmp(qname, hostname_bind, qn) == 0))
		text = env->conf->identity;
	else if ((qn == sizeof(version_bind) && memcmp(qname, version_bind, qn) == 0) ||
	         (qn == sizeof(version_server) && memcmp(qname, version_server, qn) == 0))
		text = env->conf->version;
	if (text == NULL || *text == '\0')
		return KNOT_RCODE_REFUSED;
	if (r->qtype == KNOT_RRTYPE_TXT || r->qtype == KNOT_RRTYPE_ANY) {
		if (!put_chaos_txt(r, text))
			r->tc = true;
	}
	return KNOT_RCODE_NOERROR;
}

/* A reply that carries only the header: FORMERR, NOTIMP. RFC 1035 lets
 * RD be copied, but genreport's opcodeflg probe expects a NOTIMP to echo
 * no flag of a request it did not understand; FORMERR keeps RD. */
static size_t header_only(const uint8_t *q, uint8_t *resp, int rcode, bool keep_rd)
{
	memset(resp, 0, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_id(resp, knot_wire_get_id(q));
	knot_wire_set_qr(resp);
	knot_wire_set_opcode(resp, knot_wire_get_opcode(q));
	if (keep_rd && knot_wire_get_rd(q))
		knot_wire_set_rd(resp);
	knot_wire_set_rcode(resp, rcode);
	return KNOT_WIRE_HEADER_SIZE;
}

/* Appends our OPT RR: payload 1232, version 0, DO copied, NSID if asked. */
static size_t put_opt(uint8_t *w, uint8_t ext_rcode, bool dnssec_ok, const char *nsid)
{
	size_t nl = nsid ? strlen(nsid) : 0;
	w[0] = 0;
	put16(w + 1, KNOT_RRTYPE_OPT);
	put16(w + 3, QUERY_UDP_PAYLOAD);
	w[5] = ext_rcode;
	w[6] = 0;                        /* version */
	w[7] = dnssec_ok ? 0x80 : 0;     /* DO; the other flags are not echoed */
	w[8] = 0;
	if (nsid == NULL) {
		put16(w + 9, 0);
		return OPT_FIXED;
	}
	put16(w + 9, (uint16_t)(4 + nl));
	put16(w + 11, KNOT_EDNS_OPTION_NSID);
	put16(w + 13, (uint16_t)nl);
	memcpy(w + 15, nsid, nl);
	return OPT_FIXED + 4 + nl;
}

/* The last record of the additional section is a TSIG (as KEEPWIRE leaves it). */
static bool has_tsig(const knot_pkt_t *pkt)
{
	const knot_pktsection_t *ar = knot_pkt_section(pkt, KNOT_ADDITIONAL);
	return ar->count > 0 && knot_pkt_rr(ar, ar->count - 1)->type == KNOT_RRTYPE_TSIG;
}

size_t query_answer(query_env_t *env, uint8_t *q, size_t qlen, uint8_t *resp, size_t cap,
                    bool tcp)
{
	if (qlen < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(q))
		return 0;
	if (knot_wire_get_opcode(q) != KNOT_OPCODE_QUERY)
		return header_only(q, resp, KNOT_RCODE_NOTIMPL, false);

	env->arena_used = 0;
	knot_pkt_t *pkt = knot_pkt_new(q, (uint16_t)(qlen > UINT16_MAX ? UINT16_MAX : qlen), &env->mm);
	if (pkt == NULL)
		return header_only(q, resp, KNOT_RCODE_SERVFAIL, true);
	/* KEEPWIRE: a TSIG record stays in the wire, so that the thread we
	 * hand a signed query to can verify it. */
	env->signed_query = false;
	int parsed = knot_pkt_parse(pkt, KNOT_PF_KEEPWIRE);
	if (parsed == KNOT_EOK && !env->keep_tsig && (pkt->tsig_rr != NULL || has_tsig(pkt))) {
		env->signed_query = true;
		return 0;
	}
	if (parsed != KNOT_EOK || knot_wire_get_qdcount(q) != 1 ||
	    pkt->qname_size == 0)
		return header_only(q, resp, KNOT_RCODE_FORMERR, true);

	/* Size limits: 512 without EDNS, the client's payload up to ours. */
	const knot_rrset_t *opt = pkt->opt_rr;
	size_t limit = tcp ? (cap < UINT16_MAX ? cap : UINT16_MAX) : 512;
	const char *nsid = NULL;
	bool dnssec_ok = false;
	if (opt != NULL) {
		if (!tcp) {
			uint16_t pl = knot_edns_get_payload(opt);
			limit = pl < 512 ? 512 : pl > QUERY_UDP_PAYLOAD ? QUERY_UDP_PAYLOAD : pl;
		}
		dnssec_ok = knot_edns_do(opt);
		const char *id = env->conf->identity;
		if (id != NULL && *id != '\0' && knot_pkt_edns_option(pkt, KNOT_EDNS_OPTION_NSID))
			nsid = id;
	}
	if (limit > cap)
		limit = cap;

	resp_t r = { .w = resp, .qtype = knot_pkt_qtype(pkt), .tcp = tcp };
	size_t qsize = knot_pkt_question_size(pkt);
	memset(resp, 0, KNOT_WIRE_HEADER_SIZE);
	knot_wire_set_id(resp, knot_wire_get_id(q));
	knot_wire_set_qr(resp);
	if (knot_wire_get_rd(q))
		knot_wire_set_rd(resp);
	if (knot_wire_get_cd(q))
		knot_wire_set_cd(resp);
	knot_wire_set_qdcount(resp, 1);
	memcpy(resp + KNOT_WIRE_HEADER_SIZE, q + KNOT_WIRE_HEADER_SIZE, qsize);
	r.qend = r.len = KNOT_WIRE_HEADER_SIZE + qsize;
	size_t optlen = opt ? OPT_FIXED + (nsid ? 4 + strlen(nsid) : 0) : 0;
	r.max = limit - optlen;

	int rcode;
	uint8_t ext_rcode = 0;
	bool aa = false;
	uint16_t qclass = knot_pkt_qclass(pkt);
	const uint8_t *qname = knot_pkt_qname(pkt);

	if (opt != NULL && knot_edns_get_version(opt) != KNOT_EDNS_VERSION) {
		rcode = KNOT_RCODE_BADVERS & 0xf;
		ext_rcode = KNOT_EDNS_RCODE_HI(KNOT_RCODE_BADVERS);
	} else if (r.qtype == KNOT_RRTYPE_OPT || r.qtype == KNOT_RRTYPE_TSIG ||
	           r.qtype == KNOT_RRTYPE_TKEY) {
		rcode = KNOT_RCODE_FORMERR;
	} else if (qclass == KNOT_CLASS_CH) {
		aa = true;
		rcode = answer_chaos(env, &r, qname);
		if (rcode != KNOT_RCODE_NOERROR)
			aa = false;
	} else if (qclass != KNOT_CLASS_IN) {
		rcode = KNOT_RCODE_REFUSED;
	} else if (r.qtype == KNOT_RRTYPE_AXFR || r.qtype == KNOT_RRTYPE_IXFR) {
		rcode = KNOT_RCODE_REFUSED;  /* zone transfers are not served yet */
	} else {
		rcu_read_lock();
		zoneset_t *set = rcu_dereference(*env->zones);
		size_t rellen;
		zone_t *z = set ? zoneset_find(set, qname, pkt->qname_size, &rellen) : NULL;
		if (z == NULL) {
			rcode = KNOT_RCODE_REFUSED;
		} else {
			aa = true;
			r.zone = z;
			r.apex = zone_get(z, (const uint8_t *)"", 0);
			r.apex_ptr = (uint16_t)(KNOT_WIRE_HEADER_SIZE + pkt->qname_size - z->apex_len);
			if (r.apex == NULL) {
				rcode = KNOT_RCODE_SERVFAIL;
				aa = false;
			} else {
				rcode = resolve(&r, qname, rellen, KNOT_WIRE_HEADER_SIZE, 0, set, &aa);
			}
		}
		rcu_read_unlock();
	}

	if (r.tc) {
		/* RFC 2181 9: a truncated answer is dropped whole; the client
		 * retries over TCP. */
		r.len = r.qend;
		r.an = r.ns = r.ar = 0;
		knot_wire_set_tc(resp);
	}
	if (aa)
		knot_wire_set_aa(resp);
	knot_wire_set_rcode(resp, rcode);
	knot_wire_set_ancount(resp, r.an);
	knot_wire_set_nscount(resp, r.ns);
	if (opt != NULL) {
		r.len += put_opt(resp + r.len, ext_rcode, dnssec_ok, nsid);
		r.ar++;
	}
	knot_wire_set_arcount(resp, r.ar);
	return r.len;
}
