/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RFC 2136 updates; see rfc2136.h. Two halves: the update thread (parse,
 * authenticate, check scope, reply) and op_rfc2136 on the writer thread
 * (prerequisites and changes against the host as stored). The thread never
 * waits for the writer: the writer's completion comes back through the same
 * queue as the requests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>
#include <urcu/uatomic.h>
#include <libknot/libknot.h>

#include "lib/errors.h"
#include "lib/jobq.h"
#include "lib/log.h"
#include "lib/name.h"
#include "lib/net.h"
#include "store/account.h"
#include "upd/ops.h"
#include "upd/rfc2136.h"
#include "upd/tsigkey.h"

#define MAX_PRE 32
#define MAX_UPD 64
#define RDATA_MAX 1024
#define REPLAY_SLOTS 4096
#define REPLAY_WINDOW 600      /* seconds a signed message may not be replayed */
#define TSIG_ROOM 256          /* left in a reply for its TSIG record */
/*
 * Messages waiting for or in the update thread, at most (under a second of
 * work: the thread can fall that far behind when other work takes the
 * cores for a moment, and a few MB at most); beyond this an UPDATE flood
 * (unsigned ones included: the key is checked by this thread) would grow
 * memory and delay without bound. What arrives over the cap is dropped as
 * a lost datagram is: clients resend.
 */
#define MAX_QUEUED 4096
/*
 * Authenticated updates handed to the writer and not yet answered, at
 * most: a burst of them while a commit is slow (a second or more at
 * thousands a second) must not count against MAX_QUEUED, or correctly
 * signed updates would be dropped while the thread itself is idle. Over
 * this, an update is answered SERVFAIL at once (nothing changed).
 */
#define MAX_WRITING 16384

enum { OWNER_HOST = 0, OWNER_ACME = 1 };

typedef struct {
	uint8_t owner;             /* OWNER_HOST or OWNER_ACME */
	uint16_t cls, type;
	uint16_t rdlen;
	uint8_t rdata[RDATA_MAX];
} urr_t;

/* The writer's part: input and result. */
typedef struct {
	char fqdn[DB_NAME_MAX];
	char src[64], client[128];
	size_t npre, nupd;
	urr_t *pre, *upd;          /* as many as the message has */
	int rcode;
} uop_t;

typedef struct ujob {
	jobq_item_t item;          /* first: the queue's link */
	bool reply;                /* a writer result coming back */
	int fd;
	bool tcp;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	dns_src_t src;             /* UDP: the address the answer leaves from */
	uint8_t *msg;
	size_t len;
	uint8_t *rest;             /* TCP: what followed the message */
	size_t rest_len;
	knot_tsig_key_t key;
	bool have_key;
	uint8_t mac[128];
	size_t mac_len;
	wreq_t wreq;
	uop_t op;
	bool writing;              /* counted in writing, not in queued */
	struct rfc2136 *u;
} ujob_t;

struct rfc2136 {
	const conf_t *conf;
	writer_t *writer;
	db_t *db;
	query_env_t env;           /* for signed queries */
	bool env_ok;
	dns_server_t *dns;         /* where handed-over TCP connections go back */
	jobq_t q;                  /* requests, and writer results coming back */
	atomic_uint queued;        /* jobs not at the writer, up to MAX_QUEUED */
	atomic_uint writing;       /* jobs at the writer, up to MAX_WRITING */
	atomic_uint_fast64_t shed; /* messages dropped over the cap */
	atomic_int_fast64_t shed_logged; /* when a drop was last logged */
	struct { uint8_t h[16]; uint64_t t; } replay[REPLAY_SLOTS];
};

/* ---- the writer's half ---- */

/* The records the host has at an owner, as RRsets to compare with. */
typedef struct {
	bool has_v4, has_v6;
	uint8_t v4[4], v6[16];
	json_t *txt;               /* array of strings */
} view_t;

/* A TXT record's text: its character-strings joined (how hosts store it). */
static bool txt_text(const urr_t *r, char *out, size_t outlen)
{
	size_t n = 0, pos = 0;
	while (pos < r->rdlen) {
		size_t l = r->rdata[pos++];
		if (pos + l > r->rdlen || n + l >= outlen)
			return false;
		memcpy(out + n, r->rdata + pos, l);
		n += l;
		pos += l;
	}
	out[n] = '\0';
	return memchr(out, '\0', n) == NULL;
}

static bool has_txt(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static bool rrset_exists(const view_t *v, uint16_t type)
{
	switch (type) {
	case KNOT_RRTYPE_A: return v->has_v4;
	case KNOT_RRTYPE_AAAA: return v->has_v6;
	case KNOT_RRTYPE_TXT: return json_array_size(v->txt) > 0;
	case KNOT_RRTYPE_ANY: return v->has_v4 || v->has_v6 || json_array_size(v->txt) > 0;
	default: return false;
	}
}

/* RFC 2136 3.2: returns the rcode (NOERROR when every prerequisite holds). */
static int prerequisites(uop_t *a, view_t *views)
{
	for (size_t i = 0; i < a->npre; i++) {
		urr_t *p = &a->pre[i];
		view_t *v = &views[p->owner];
		if (p->cls == KNOT_CLASS_ANY) {
			if (!rrset_exists(v, p->type))
				return p->type == KNOT_RRTYPE_ANY ? KNOT_RCODE_NXDOMAIN : KNOT_RCODE_NXRRSET;
		} else if (p->cls == KNOT_CLASS_NONE) {
			if (rrset_exists(v, p->type))
				return p->type == KNOT_RRTYPE_ANY ? KNOT_RCODE_YXDOMAIN : KNOT_RCODE_YXRRSET;
		}
	}
	/* Value-dependent: for each (owner, type) named with class IN, the
	 * RRset must be exactly the records given. */
	for (size_t i = 0; i < a->npre; i++) {
		urr_t *p = &a->pre[i];
		if (p->cls != KNOT_CLASS_IN)
			continue;
		view_t *v = &views[p->owner];
		size_t given = 0;
		bool all_there = true;
		for (size_t k = 0; k < a->npre; k++) {
			urr_t *q = &a->pre[k];
			if (q->cls != KNOT_CLASS_IN || q->owner != p->owner || q->type != p->type)
				continue;
			given++;
			char t[RDATA_MAX];
			if (q->type == KNOT_RRTYPE_A)
				all_there &= v->has_v4 && q->rdlen == 4 && memcmp(v->v4, q->rdata, 4) == 0;
			else if (q->type == KNOT_RRTYPE_AAAA)
				all_there &= v->has_v6 && q->rdlen == 16 && memcmp(v->v6, q->rdata, 16) == 0;
			else
				all_there &= txt_text(q, t, sizeof(t)) && has_txt(v->txt, t);
		}
		size_t have = p->type == KNOT_RRTYPE_A ? v->has_v4 : p->type == KNOT_RRTYPE_AAAA ?
		              v->has_v6 : json_array_size(v->txt);
		if (!all_there || given < have)
			return KNOT_RCODE_NXRRSET;
	}
	return KNOT_RCODE_NOERROR;
}

static void apply(uop_t *a, view_t *views)
{
	for (size_t i = 0; i < a->nupd; i++) {
		urr_t *r = &a->upd[i];
		view_t *v = &views[r->owner];
		char t[RDATA_MAX];
		if (r->cls == KNOT_CLASS_IN) {
			/* A host has one address per family: an added one replaces it. */
			if (r->type == KNOT_RRTYPE_A && r->rdlen == 4) {
				v->has_v4 = true;
				memcpy(v->v4, r->rdata, 4);
			} else if (r->type == KNOT_RRTYPE_AAAA && r->rdlen == 16) {
				v->has_v6 = true;
				memcpy(v->v6, r->rdata, 16);
			} else if (r->type == KNOT_RRTYPE_TXT && txt_text(r, t, sizeof(t)) &&
			           !has_txt(v->txt, t)) {
				json_array_append_new(v->txt, json_string(t));
			}
		} else if (r->cls == KNOT_CLASS_ANY) {
			if (r->type == KNOT_RRTYPE_A || r->type == KNOT_RRTYPE_ANY)
				v->has_v4 = false;
			if (r->type == KNOT_RRTYPE_AAAA || r->type == KNOT_RRTYPE_ANY)
				v->has_v6 = false;
			if (r->type == KNOT_RRTYPE_TXT || r->type == KNOT_RRTYPE_ANY)
				json_array_clear(v->txt);
		} else if (r->cls == KNOT_CLASS_NONE) {
			if (r->type == KNOT_RRTYPE_A && r->rdlen == 4 && v->has_v4 &&
			    memcmp(v->v4, r->rdata, 4) == 0)
				v->has_v4 = false;
			else if (r->type == KNOT_RRTYPE_AAAA && r->rdlen == 16 && v->has_v6 &&
			         memcmp(v->v6, r->rdata, 16) == 0)
				v->has_v6 = false;
			else if (r->type == KNOT_RRTYPE_TXT && txt_text(r, t, sizeof(t))) {
				size_t k;
				json_t *e;
				json_array_foreach(v->txt, k, e) {
					if (strcmp(json_string_value(e), t) == 0) {
						json_array_remove(v->txt, k);
						break;
					}
				}
			}
		}
	}
}

static int op_rfc2136(wctx_t *w, wreq_t *r)
{
	uop_t *a = r->args;
	db_host_t h;
	int ret = db_host_get(wctx_db(w), a->fqdn, &h);
	if (ret == DDNS_ENOENT) {
		a->rcode = KNOT_RCODE_NOTAUTH; /* the key's host is gone */
		return 0;
	}
	if (ret != 0)
		return ret;
	if (h.state == HOST_SUSPENDED || h.state == HOST_BLOCKED) {
		a->rcode = KNOT_RCODE_REFUSED;
		return 0;
	}
	view_t views[2] = {
		{ h.has_v4, h.has_v6, { 0 }, { 0 }, json_loads(h.txt[0] ? h.txt : "[]", 0, NULL) },
		{ false, false, { 0 }, { 0 }, json_loads(h.acme[0] ? h.acme : "[]", 0, NULL) },
	};
	memcpy(views[0].v4, h.v4, 4);
	memcpy(views[0].v6, h.v6, 16);
	for (int i = 0; i < 2; i++)
		if (!json_is_array(views[i].txt)) {
			json_decref(views[i].txt);
			views[i].txt = json_array();
		}
	a->rcode = prerequisites(a, views);
	if (a->rcode != KNOT_RCODE_NOERROR)
		goto out;
	apply(a, views);
	op_host_update_t u;
	memset(&u, 0, sizeof(u));
	snprintf(u.fqdn, sizeof(u.fqdn), "%s", a->fqdn);
	u.set = HSET_V4 | HSET_V6 | HSET_TXT | HSET_ACME_SET;
	u.has_v4 = views[0].has_v4;
	u.has_v6 = views[0].has_v6;
	memcpy(u.v4, views[0].v4, 4);
	memcpy(u.v6, views[0].v6, 16);
	char *t = json_dumps(views[0].txt, JSON_COMPACT), *ac = json_dumps(views[1].txt, JSON_COMPACT);
	if (t == NULL || ac == NULL || strlen(t) >= sizeof(u.txt) || strlen(ac) >= sizeof(u.acme_all)) {
		free(t);
		free(ac);
		a->rcode = KNOT_RCODE_REFUSED; /* more TXT than a host may hold */
		goto out;
	}
	snprintf(u.txt, sizeof(u.txt), "%s", t);
	snprintf(u.acme_all, sizeof(u.acme_all), "%s", ac);
	free(t);
	free(ac);
	snprintf(u.src, sizeof(u.src), "%s", a->src);
	snprintf(u.client, sizeof(u.client), "%s", a->client);
	wreq_t sub = { .op = op_host_update, .args = &u };
	ret = op_host_update(w, &sub);
	json_decref(sub.result);
	if (ret == 0)
		r->changed = !u.nochg;
	else if (ret != DDNS_EDB) {
		a->rcode = KNOT_RCODE_REFUSED;
		ret = 0;
	}
out:
	json_decref(views[0].txt);
	json_decref(views[1].txt);
	return ret;
}

/* ---- the update thread ---- */

/* Sends the reply: the header and zone section of the request, rcode,
 * signed with the request's key when it had a valid one. */
static void reply(ujob_t *j, int rcode, uint16_t tsig_err, const knot_rrset_t *tsig_rr)
{
	uint8_t w[4096];
	size_t len = KNOT_WIRE_HEADER_SIZE;
	if (j->len >= KNOT_WIRE_HEADER_SIZE) {
		/* Echo the zone section if it parses. */
		size_t zl = 0;
		if (knot_wire_get_qdcount(j->msg) == 1) {
			int n = knot_dname_wire_check(j->msg + KNOT_WIRE_HEADER_SIZE, j->msg + j->len, NULL);
			if (n > 0 && KNOT_WIRE_HEADER_SIZE + (size_t)n + 4 <= j->len)
				zl = (size_t)n + 4;
		}
		memcpy(w, j->msg, KNOT_WIRE_HEADER_SIZE + zl);
		len += zl;
		knot_wire_set_qdcount(w, zl ? 1 : 0);
	}
	knot_wire_set_qr(w);
	knot_wire_set_rcode(w, rcode);
	knot_wire_set_ancount(w, 0);
	knot_wire_set_nscount(w, 0);
	knot_wire_set_arcount(w, 0);
	if (j->have_key && (tsig_err == 0 || tsig_err == KNOT_RCODE_BADTIME)) {
		/* BADTIME is signed too, with our time in it (RFC 8945 5.2.3). */
		uint8_t digest[128];
		size_t dlen = sizeof(digest);
		uint64_t t = tsig_rr ? knot_tsig_rdata_time_signed(tsig_rr) : 0;
		knot_tsig_sign(w, &len, sizeof(w), j->mac, j->mac_len, digest, &dlen, &j->key, tsig_err, t);
	} else if (tsig_err != 0 && tsig_rr != NULL) {
		knot_tsig_add(w, &len, sizeof(w), tsig_err, tsig_rr);
	}
	if (j->tcp) {
		uint8_t lp[2] = { (uint8_t)(len >> 8), (uint8_t)len };
		if (net_send_all(j->fd, lp, 2) == 0)
			net_send_all(j->fd, w, len);
	} else {
		dns_udp_reply(j->fd, w, len, &j->peer, j->peerlen, &j->src);
	}
}

/*
 * Loads the key a signed message names into j->key; an update needs a key
 * tied to a host, a signed query (a secondary's SOA check) any key. host gets
 * the name of the key's host ("" for a transfer key).
 */
static bool load_key(struct rfc2136 *u, ujob_t *j, const knot_rrset_t *tsig_rr, bool any_scope,
                     db_tsig_t *row, char *host, size_t hostlen)
{
	knot_tsig_key_t key;
	if (tsigkey_load(u->db, tsig_rr, &key, row) != 0)
		return false;
	db_host_t h = { .name = "" };
	if ((row->host == 0 && !any_scope) ||
	    (row->host != 0 && db_host_get_id(u->db, row->host, &h) != 0)) {
		knot_tsig_key_deinit(&key);
		return false;
	}
	j->key = key;
	snprintf(host, hostlen, "%s", h.name);
	return true;
}

/* True (and remembered) the first time a signed message's MAC is seen. */
static bool first_time(struct rfc2136 *u, const uint8_t *mac, size_t len)
{
	uint8_t h[16];
	crypto_generichash(h, sizeof(h), mac, len, NULL, 0);
	uint64_t now = (uint64_t)time(NULL), idx;
	memcpy(&idx, h, sizeof(idx));
	idx %= REPLAY_SLOTS;
	for (size_t k = 0; k < 8; k++) {
		size_t i = (idx + k) % REPLAY_SLOTS;
		if (u->replay[i].t + REPLAY_WINDOW > now && memcmp(u->replay[i].h, h, 16) == 0)
			return false;
	}
	/* The oldest of the probed slots takes it. */
	size_t best = idx;
	for (size_t k = 0; k < 8; k++) {
		size_t i = (idx + k) % REPLAY_SLOTS;
		if (u->replay[i].t < u->replay[best].t)
			best = i;
	}
	memcpy(u->replay[best].h, h, 16);
	u->replay[best].t = now;
	return true;
}

/* Where an owner is, relative to the key's host: OWNER_*, or -1. */
static int owner_kind(const knot_dname_t *owner, const uint8_t *host, size_t hostlen)
{
	uint8_t l[KNOT_DNAME_MAXLEN];
	knot_dname_copy_lower(l, owner);
	size_t n = knot_dname_size(l);
	if (n == hostlen && memcmp(l, host, n) == 0)
		return OWNER_HOST;
	if (n == hostlen + 16 && memcmp(l, "\x0f_acme-challenge", 16) == 0 &&
	    memcmp(l + 16, host, hostlen) == 0)
		return OWNER_ACME;
	return -1;
}

static bool type_in_scope(uint16_t t, int owner, bool any_ok)
{
	if (owner == OWNER_ACME)
		return t == KNOT_RRTYPE_TXT || (any_ok && t == KNOT_RRTYPE_ANY);
	return t == KNOT_RRTYPE_A || t == KNOT_RRTYPE_AAAA || t == KNOT_RRTYPE_TXT ||
	       (any_ok && t == KNOT_RRTYPE_ANY);
}

/* Copies one section into *out, allocated; false when outside the scope or
 * larger than max records. */
static bool take_section(const knot_pktsection_t *sec, urr_t **out, size_t max, size_t *n,
                         const uint8_t *host, size_t hostlen, bool prereq)
{
	size_t total = 0;
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		total += rr->rrs.count ? rr->rrs.count : 1;
	}
	if (total > max || (total > 0 && (*out = calloc(total, sizeof(**out))) == NULL))
		return false;
	for (uint16_t i = 0; i < sec->count; i++) {
		const knot_rrset_t *rr = knot_pkt_rr(sec, i);
		int kind = owner_kind(rr->owner, host, hostlen);
		bool any_ok = rr->rclass != KNOT_CLASS_IN;
		if (kind < 0 || !type_in_scope(rr->type, kind, any_ok))
			return false;
		if (rr->rclass != KNOT_CLASS_IN && rr->rclass != KNOT_CLASS_ANY &&
		    rr->rclass != KNOT_CLASS_NONE)
			return false;
		if (prereq && rr->rclass == KNOT_CLASS_NONE && rr->rrs.count > 0 &&
		    rr->rrs.rdata->len > 0)
			return false;
		uint16_t count = rr->rrs.count ? rr->rrs.count : 1;
		knot_rdata_t *rd = rr->rrs.rdata;
		for (uint16_t k = 0; k < count; k++) {
			urr_t *u = &(*out)[(*n)++];
			u->owner = (uint8_t)kind;
			u->cls = rr->rclass;
			u->type = rr->type;
			u->rdlen = 0;
			if (rr->rrs.count > 0) {
				if (rd->len > RDATA_MAX)
					return false;
				u->rdlen = rd->len;
				memcpy(u->rdata, rd->data, rd->len);
				rd = knot_rdataset_next(rd);
			}
		}
	}
	return true;
}

/* A signed query whose signature checked out: answered as a DNS thread
 * would, then signed with the same key. */
static void answer_signed(struct rfc2136 *u, ujob_t *j, knot_pkt_t *q)
{
	uint8_t *resp = malloc(65535);
	if (resp == NULL || !u->env_ok) {
		free(resp);
		reply(j, KNOT_RCODE_SERVFAIL, 0, NULL);
		return;
	}
	/* The parse above removed the TSIG record from the message. */
	size_t cap = j->tcp ? 65535 - TSIG_ROOM : QUERY_UDP_PAYLOAD - TSIG_ROOM;
	size_t len = query_answer(&u->env, j->msg, q->size, resp, cap, j->tcp);
	if (len > 0) {
		uint8_t digest[128];
		size_t dlen = sizeof(digest);
		knot_tsig_sign(resp, &len, j->tcp ? 65535 : QUERY_UDP_PAYLOAD, j->mac, j->mac_len,
		               digest, &dlen, &j->key, 0, 0);
		if (j->tcp) {
			uint8_t lp[2] = { (uint8_t)(len >> 8), (uint8_t)len };
			if (net_send_all(j->fd, lp, 2) == 0)
				net_send_all(j->fd, resp, len);
		} else {
			dns_udp_reply(j->fd, resp, len, &j->peer, j->peerlen, &j->src);
		}
	}
	free(resp);
}

static void writer_done(wreq_t *r)
{
	ujob_t *j = r->ctx;
	j->reply = true;
	jobq_push(&j->u->q, &j->item);
}

/* Handles one request; returns true when it went to the writer (the job
 * lives on). */
static bool handle(struct rfc2136 *u, ujob_t *j)
{
	const conf_t *conf = uatomic_read(&u->conf);
	knot_pkt_t *q = knot_pkt_new(j->msg, j->len, NULL);
	bool queued = false;
	if (q == NULL || knot_pkt_parse(q, 0) != KNOT_EOK || knot_wire_get_qdcount(j->msg) != 1 ||
	    q->qname_size == 0) {
		reply(j, KNOT_RCODE_FORMERR, 0, NULL);
		goto out;
	}
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	knot_dname_to_str(zone, knot_pkt_qname(q), sizeof(zone));
	const conf_zone_t *zc = conf_zone_find(conf, zone);
	bool is_update = knot_wire_get_opcode(j->msg) == KNOT_OPCODE_UPDATE;
	if (is_update && (knot_pkt_qtype(q) != KNOT_RRTYPE_SOA || knot_pkt_qclass(q) != KNOT_CLASS_IN)) {
		reply(j, KNOT_RCODE_FORMERR, 0, NULL);
		goto out;
	}
	if (is_update && zc == NULL) {
		reply(j, KNOT_RCODE_NOTAUTH, 0, NULL);
		goto out;
	}
	if (q->tsig_rr == NULL) {
		reply(j, KNOT_RCODE_REFUSED, 0, NULL); /* updates need a key */
		goto out;
	}
	db_tsig_t keyrow;
	char keyhost[DB_NAME_MAX];
	if (!load_key(u, j, q->tsig_rr, knot_wire_get_opcode(j->msg) == KNOT_OPCODE_QUERY, &keyrow,
	              keyhost, sizeof(keyhost))) {
		reply(j, KNOT_RCODE_NOTAUTH, KNOT_RCODE_BADKEY, q->tsig_rr);
		goto out;
	}
	int ret = knot_tsig_server_check(q->tsig_rr, q->wire, q->size, &j->key);
	j->have_key = true;
	j->mac_len = knot_tsig_rdata_mac_length(q->tsig_rr);
	if (j->mac_len > sizeof(j->mac))
		j->mac_len = sizeof(j->mac);
	memcpy(j->mac, knot_tsig_rdata_mac(q->tsig_rr), j->mac_len);
	if (ret != KNOT_EOK) {
		uint16_t e = tsigkey_error(ret);
		if (e != KNOT_RCODE_BADTIME) {
			/* A signature we cannot trust is not answered with it. */
			knot_tsig_key_deinit(&j->key);
			j->have_key = false;
		}
		reply(j, KNOT_RCODE_NOTAUTH, e, q->tsig_rr);
		goto out;
	}
	if (knot_wire_get_opcode(j->msg) == KNOT_OPCODE_QUERY) {
		answer_signed(u, j, q);
		goto out;
	}
	if (!first_time(u, j->mac, j->mac_len)) {
		/* The same signed message again: applied once is enough. */
		reply(j, KNOT_RCODE_REFUSED, 0, NULL);
		goto out;
	}
	uint8_t host[KNOT_DNAME_MAXLEN];
	int hl = name_to_wire(keyhost, host);
	uint8_t apex[KNOT_DNAME_MAXLEN];
	int al = name_to_wire(zc->name, apex);
	if (hl < 0 || al < 0 || name_rel_len(host, (size_t)hl, apex, (size_t)al) < 0) {
		reply(j, KNOT_RCODE_NOTAUTH, 0, NULL); /* the key's host is in another zone */
		goto out;
	}
	uop_t *a = &j->op;
	snprintf(a->fqdn, sizeof(a->fqdn), "%s", keyhost);
	if (!take_section(knot_pkt_section(q, KNOT_ANSWER), &a->pre, MAX_PRE, &a->npre, host,
	                  (size_t)hl, true) ||
	    !take_section(knot_pkt_section(q, KNOT_AUTHORITY), &a->upd, MAX_UPD, &a->nupd, host,
	                  (size_t)hl, false)) {
		reply(j, KNOT_RCODE_REFUSED, 0, NULL); /* outside what the key may change */
		goto out;
	}
	char addr[INET6_ADDRSTRLEN] = "";
	if (j->peer.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&j->peer)->sin_addr, addr, sizeof(addr));
	else if (j->peer.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&j->peer)->sin6_addr, addr, sizeof(addr));
	snprintf(a->src, sizeof(a->src), "%s", addr);
	snprintf(a->client, sizeof(a->client), "RFC 2136, key %s", keyrow.name);
	if (atomic_fetch_add(&u->writing, 1) >= MAX_WRITING) {
		atomic_fetch_sub(&u->writing, 1);
		reply(j, KNOT_RCODE_SERVFAIL, 0, NULL); /* the writer is that far behind */
		goto out;
	}
	j->writing = true;
	atomic_fetch_sub(&u->queued, 1);
	j->wreq.op = op_rfc2136;
	j->wreq.args = a;
	j->wreq.done = writer_done;
	j->wreq.ctx = j;
	jobq_expect(&u->q, 1);
	writer_submit(u->writer, &j->wreq);
	queued = true;
out:
	knot_pkt_free(q);
	return queued;
}

static void done(struct rfc2136 *u, ujob_t *j);

static void job_free(ujob_t *j)
{
	if (j->have_key)
		knot_tsig_key_deinit(&j->key);
	if (j->tcp) {
		shutdown(j->fd, SHUT_WR);
		close(j->fd);
	}
	json_decref(j->wreq.result);
	free(j->op.pre);
	free(j->op.upd);
	atomic_fetch_sub(j->writing ? &j->u->writing : &j->u->queued, 1);
	free(j->msg);
	free(j->rest);
	free(j);
}

/* Over the cap: the message is dropped; logged at most once a minute. */
static void shed(struct rfc2136 *u, int fd, bool tcp)
{
	atomic_fetch_sub(&u->queued, 1);
	uint64_t n = atomic_fetch_add(&u->shed, 1) + 1;
	int64_t now = (int64_t)time(NULL), last = atomic_load(&u->shed_logged);
	if (now - last >= 60 && atomic_compare_exchange_strong(&u->shed_logged, &last, now))
		log_warn("update: %u messages waiting; dropping new ones (%" PRIu64 " so far)",
		         MAX_QUEUED, n);
	if (tcp)
		close(fd);
}

/* A job is finished. A TCP connection goes back to the DNS server's TCP
 * thread: the client may go on (a secondary's signed SOA check is followed
 * by its IXFR on the same connection), and nobody here waits on it. */
static void done(struct rfc2136 *u, ujob_t *j)
{
	if (j->tcp && u->dns != NULL) {
		dns_server_adopt(u->dns, j->fd, &j->peer, j->rest, j->rest_len);
		j->tcp = false; /* not ours to close any more */
	}
	job_free(j);
}

static void work(jobq_item_t *it, void *ctx)
{
	struct rfc2136 *u = ctx;
	ujob_t *j = (ujob_t *)it;
	if (j->reply) {
		jobq_expect(&u->q, -1);
		int rcode = j->wreq.status == 0 ? j->op.rcode : KNOT_RCODE_SERVFAIL;
		reply(j, rcode, 0, NULL);
		done(u, j);
		return;
	}
	if (!handle(u, j))
		done(u, j);
}

/* At shutdown: requests not yet read are dropped unanswered. */
static void discard(jobq_item_t *it, void *ctx)
{
	job_free((ujob_t *)it);
}

void rfc2136_handoff(int fd, bool tcp, const uint8_t *msg, size_t len, const uint8_t *pending,
                     size_t pending_len, const uint8_t *rest, size_t rest_len,
                     const struct sockaddr_storage *peer, socklen_t peerlen, const dns_src_t *src,
                     void *ctx)
{
	struct rfc2136 *u = ctx;
	if (atomic_fetch_add(&u->queued, 1) >= MAX_QUEUED) {
		shed(u, fd, tcp);
		return;
	}
	ujob_t *j = calloc(1, sizeof(*j));
	if (j == NULL || (j->msg = malloc(len ? len : 1)) == NULL) {
		free(j);
		shed(u, fd, tcp);
		return;
	}
	if (tcp) {
		/* A blocking socket from here on: this thread owns it. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		struct timeval tv = { .tv_sec = 10 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (pending_len)
			net_send_all(fd, pending, pending_len);
	}
	if (rest_len > 0 && (j->rest = malloc(rest_len)) != NULL) {
		memcpy(j->rest, rest, rest_len);
		j->rest_len = rest_len;
	}
	j->u = u;
	j->fd = fd;
	j->tcp = tcp;
	memcpy(j->msg, msg, len);
	j->len = len;
	j->peer = *peer;
	j->peerlen = peerlen;
	if (src != NULL)
		j->src = *src;
	jobq_push(&u->q, &j->item);
}

static void thread_enter(void)
{
	rcu_register_thread();
}

static void thread_leave(void)
{
	rcu_unregister_thread();
}

int rfc2136_new(const conf_t *conf, writer_t *writer, zoneset_t *const *zones,
                const query_conf_t *qc, rfc2136_t **out, char *err, size_t errlen)
{
	struct rfc2136 *u = calloc(1, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->conf = conf;
	u->writer = writer;
	int ret = db_open(conf->database, 0, &u->db, err, errlen);
	if (ret == 0 && (ret = query_env_init(&u->env, zones, qc)) == 0) {
		u->env_ok = true;
		u->env.keep_tsig = true;
	}
	if (ret == 0)
		ret = jobq_start_hooks(&u->q, "ddnsd-update", work, u, thread_enter, thread_leave);
	if (ret != 0) {
		rfc2136_free(u);
		return ret;
	}
	*out = u;
	return 0;
}

void rfc2136_free(rfc2136_t *u)
{
	if (u == NULL)
		return;
	/* Waits for every update with the writer to be answered. */
	jobq_stop(&u->q, discard);
	if (u->env_ok)
		query_env_deinit(&u->env);
	db_close(u->db);
	free(u);
}

void rfc2136_set_dns(rfc2136_t *u, dns_server_t *dns)
{
	u->dns = dns;
}

void rfc2136_set_conf(rfc2136_t *u, const conf_t *conf)
{
	uatomic_set(&u->conf, conf);
}
