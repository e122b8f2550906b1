/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Zone transfers; see xfr.h. One thread, blocking sockets: a transfer is
 * long and sequential, and a secondary that reads slowly must not hold up
 * the DNS threads. Every message repeats the question, so each record's
 * owner can be its labels below the apex followed by a pointer to the
 * question's name (the apex), and the zone's names are never expanded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu/uatomic.h>
#include <libknot/libknot.h>

#include "dns/nodebuild.h"
#include "lib/errors.h"
#include "lib/jobq.h"
#include "lib/log.h"
#include "lib/name.h"
#include "lib/net.h"
#include "store/account.h"
#include "upd/notify.h"
#include "upd/tsigkey.h"
#include "upd/xfr.h"

#define MSG_LIMIT 16384        /* bytes of records per message */
#define TSIG_ROOM 512          /* left for the TSIG record */
#define CONDENSE_MAX 2000000   /* journal records beyond which IXFR sends an AXFR */

typedef struct xjob {
	jobq_item_t item;          /* first: the queue's link */
	int fd;
	uint8_t *q;
	size_t qlen;
	uint8_t *pending;
	size_t plen;
	struct sockaddr_storage peer;
} xjob_t;

struct xfr {
	const conf_t *conf;
	db_t *db;
	jobq_t q;
	notifier_t *notifier;
	atomic_ulong axfr, ixfr, refused;
	pthread_mutex_t peers_mu;
	xfr_peer_t peers[XFR_PEERS_MAX];   /* most recent first */
	size_t npeers;
};

/* One outgoing message, and the TSIG state of the stream. */
typedef struct {
	int fd;
	const uint8_t *query;
	size_t qsize;              /* header + question of the query */
	size_t len;
	uint16_t an;
	int err;
	knot_tsig_key_t *key;      /* sign with this, or NULL */
	const uint8_t *req_mac;
	size_t req_mac_len;
	uint8_t digest[128];
	size_t dlen;
	unsigned sent;             /* messages sent */
	uint8_t wire[65535];       /* last: everything before it starts zeroed */
} xmsg_t;

static void msg_begin(xmsg_t *m)
{
	memcpy(m->wire, m->query, m->qsize);
	knot_wire_set_qr(m->wire);
	knot_wire_set_aa(m->wire);
	knot_wire_clear_tc(m->wire);
	knot_wire_clear_ra(m->wire);
	knot_wire_clear_ad(m->wire);
	knot_wire_set_rcode(m->wire, KNOT_RCODE_NOERROR);
	knot_wire_set_qdcount(m->wire, 1);
	knot_wire_set_ancount(m->wire, 0);
	knot_wire_set_nscount(m->wire, 0);
	knot_wire_set_arcount(m->wire, 0);
	m->len = m->qsize;
	m->an = 0;
}

/* Signs (when asked) and sends the message under construction. */
static int msg_send(xmsg_t *m)
{
	if (m->err)
		return m->err;
	knot_wire_set_ancount(m->wire, m->an);
	if (m->key != NULL) {
		size_t dlen = sizeof(m->digest);
		int ret = m->sent == 0
		        ? knot_tsig_sign(m->wire, &m->len, sizeof(m->wire), m->req_mac, m->req_mac_len,
		                         m->digest, &dlen, m->key, 0, 0)
		        : knot_tsig_sign_next(m->wire, &m->len, sizeof(m->wire), m->digest, m->dlen,
		                              m->digest, &dlen, m->key, m->wire, m->len);
		if (ret != KNOT_EOK)
			return m->err = -EIO;
		m->dlen = dlen;
	}
	uint8_t lp[2] = { (uint8_t)(m->len >> 8), (uint8_t)m->len };
	int ret = net_send_all(m->fd, lp, 2);
	if (ret == 0)
		ret = net_send_all(m->fd, m->wire, m->len);
	m->sent++;
	msg_begin(m);
	return m->err = ret;
}

/* Adds one record owned by rel (labels below the apex). */
static int msg_rr(xmsg_t *m, const uint8_t *rel, size_t rellen, uint16_t type, uint32_t ttl,
                  const uint8_t *rdata, size_t rdlen)
{
	size_t need = rellen + 2 + 10 + rdlen;
	if (m->err)
		return m->err;
	if (m->an > 0 && m->len + need > MSG_LIMIT && msg_send(m) != 0)
		return m->err;
	if (m->len + need > sizeof(m->wire) - TSIG_ROOM)
		return m->err = DDNS_ETOOBIG;
	uint8_t *w = m->wire + m->len;
	memcpy(w, rel, rellen);
	w += rellen;
	*w++ = 0xC0;           /* the apex: the question's name */
	*w++ = 0x0C;
	*w++ = type >> 8;
	*w++ = type & 0xff;
	*w++ = 0;
	*w++ = KNOT_CLASS_IN;
	*w++ = ttl >> 24;
	*w++ = (ttl >> 16) & 0xff;
	*w++ = (ttl >> 8) & 0xff;
	*w++ = ttl & 0xff;
	*w++ = (rdlen >> 8) & 0xff;
	*w++ = rdlen & 0xff;
	memcpy(w, rdata, rdlen);
	m->len += need;
	m->an++;
	return 0;
}

/* An error reply (REFUSED, NOTAUTH...) with the TSIG error when there is one. */
static void send_error_key(int fd, knot_pkt_t *q, const uint8_t *raw, size_t qsize, int rcode,
                           uint16_t tsig_err, const knot_tsig_key_t *key)
{
	uint8_t wire[1024];
	size_t len = qsize < 512 ? qsize : KNOT_WIRE_HEADER_SIZE;
	memcpy(wire, raw, len);
	knot_wire_set_qr(wire);
	knot_wire_clear_aa(wire);
	knot_wire_set_rcode(wire, rcode);
	knot_wire_set_qdcount(wire, len > KNOT_WIRE_HEADER_SIZE ? 1 : 0);
	knot_wire_set_ancount(wire, 0);
	knot_wire_set_nscount(wire, 0);
	knot_wire_set_arcount(wire, 0);
	if (key != NULL && q != NULL && q->tsig_rr != NULL) {
		/* BADTIME is signed, with our time in it (RFC 8945 5.2.3). */
		uint8_t digest[128];
		size_t dlen = sizeof(digest);
		knot_tsig_sign(wire, &len, sizeof(wire), knot_tsig_rdata_mac(q->tsig_rr),
		               knot_tsig_rdata_mac_length(q->tsig_rr), digest, &dlen, key, tsig_err,
		               knot_tsig_rdata_time_signed(q->tsig_rr));
	} else if (tsig_err && q != NULL && q->tsig_rr != NULL) {
		knot_tsig_add(wire, &len, sizeof(wire), tsig_err, q->tsig_rr);
	}
	uint8_t lp[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	if (net_send_all(fd, lp, 2) == 0)
		net_send_all(fd, wire, len);
}

static void send_error(int fd, knot_pkt_t *q, const uint8_t *raw, size_t qsize, int rcode,
                       uint16_t tsig_err)
{
	send_error_key(fd, q, raw, qsize, rcode, tsig_err, NULL);
}

/* ---- what the zone holds ---- */

typedef struct {
	const uint8_t *rel;
	size_t rellen;
	uint16_t type;
	uint32_t ttl;
	const uint8_t *rdata;
	size_t rdlen;
	uint8_t buf[256 + 16];     /* for glue copies */
} glue_t;

typedef struct {
	xmsg_t *m;
	glue_t *glue;
	size_t nglue;
} axfr_t;

static int keep_glue(const uint8_t *rel, size_t rellen, uint16_t type, uint32_t ttl,
                     const uint8_t *rdata, uint16_t len, void *ctx)
{
	axfr_t *a = ctx;
	glue_t *ng = realloc(a->glue, (a->nglue + 1) * sizeof(*ng));
	if (ng == NULL)
		return -ENOMEM;
	a->glue = ng;
	glue_t *g = &a->glue[a->nglue++];
	memcpy(g->buf, rel, rellen);
	memcpy(g->buf + 256, rdata, len);
	g->rel = g->buf;
	g->rellen = rellen;
	g->type = type;
	g->ttl = ttl;
	g->rdata = g->buf + 256;
	g->rdlen = len;
	return 0;
}

static int emit_row(const uint8_t *owner, size_t ownerlen, uint16_t type, uint32_t ttl,
                    const uint8_t *rdata, size_t rdlen, void *ctx)
{
	axfr_t *a = ctx;
	if (type == KNOT_RRTYPE_SOA)
		return 0; /* the configuration's SOA opens and closes the zone */
	for (size_t i = 0; i < a->nglue; i++) {
		glue_t *g = &a->glue[i];
		if (g->type == type && g->rellen == ownerlen && g->rdlen == rdlen &&
		    memcmp(g->rel, owner, ownerlen) == 0 && memcmp(g->rdata, rdata, rdlen) == 0)
			return 0; /* already sent with the configuration's records */
	}
	return msg_rr(a->m, owner, ownerlen, type, ttl, rdata, rdlen);
}

/* The apex SOA of serial, from the configuration, into nb (SOA first). */
static int apex_rrs(nodebuild_t *nb, const conf_zone_t *zc, uint32_t serial)
{
	nb_reset(nb);
	return nb_add_apex_conf(nb, zc, serial);
}

static int send_soa(xmsg_t *m, nodebuild_t *nb)
{
	struct nb_rr *soa = &nb->rrs[0];
	return msg_rr(m, (const uint8_t *)"", 0, KNOT_RRTYPE_SOA, soa->ttl, nb->data + soa->off,
	              soa->len);
}

static int send_axfr(xmsg_t *m, db_t *db, int64_t zid, const conf_zone_t *zc, uint32_t serial)
{
	nodebuild_t nb;
	nb_init(&nb);
	axfr_t a = { .m = m };
	int ret = apex_rrs(&nb, zc, serial);
	if (ret == 0)
		ret = send_soa(m, &nb);
	for (size_t i = 1; ret == 0 && i < nb.n; i++) /* the NS records */
		ret = msg_rr(m, (const uint8_t *)"", 0, nb.rrs[i].type, nb.rrs[i].ttl,
		             nb.data + nb.rrs[i].off, nb.rrs[i].len);
	if (ret == 0)
		ret = conf_zone_glue(zc, keep_glue, &a);
	for (size_t i = 0; ret == 0 && i < a.nglue; i++)
		ret = msg_rr(m, a.glue[i].rel, a.glue[i].rellen, a.glue[i].type, a.glue[i].ttl,
		             a.glue[i].rdata, a.glue[i].rdlen);
	if (ret == 0)
		ret = db_rr_foreach(db, zid, emit_row, &a);
	if (ret == 0)
		ret = send_soa(m, &nb);
	if (ret == 0)
		ret = msg_send(m);
	free(a.glue);
	nb_deinit(&nb);
	return ret;
}

/* ---- IXFR: the journal condensed ---- */

typedef struct {
	const uint8_t *rr;         /* owner length, owner, type, class, TTL, RDLENGTH, RDATA */
	size_t len;
	int sign;                  /* -1 removed, +1 added */
} change_t;

typedef struct {
	uint32_t expect;           /* next serial the journal must have */
	change_t *v;
	size_t n, cap;
	uint8_t **blobs;           /* copies of the journal rows */
	size_t nblobs;
	bool gap;
} condense_t;

static int add_changes(condense_t *c, const uint8_t *blob, size_t len, int sign)
{
	size_t pos = 0;
	while (pos < len) {
		size_t olen = blob[pos];
		if (pos + 1 + olen + 10 > len)
			return DDNS_EMALF;
		size_t rdlen = (size_t)blob[pos + 1 + olen + 8] << 8 | blob[pos + 1 + olen + 9];
		size_t rlen = 1 + olen + 10 + rdlen;
		if (pos + rlen > len)
			return DDNS_EMALF;
		uint16_t type = (uint16_t)(blob[pos + 1 + olen] << 8 | blob[pos + 2 + olen]);
		if (type != KNOT_RRTYPE_SOA) {
			if (c->n == c->cap) {
				size_t cap = c->cap ? c->cap * 2 : 1024;
				if (cap > CONDENSE_MAX)
					return -E2BIG;
				change_t *nv = realloc(c->v, cap * sizeof(*nv));
				if (nv == NULL)
					return -ENOMEM;
				c->v = nv;
				c->cap = cap;
			}
			c->v[c->n++] = (change_t){ blob + pos, rlen, sign };
		}
		pos += rlen;
	}
	return 0;
}

static int on_journal(uint32_t serial, const uint8_t *removed, size_t rlen, const uint8_t *added,
                      size_t alen, void *ctx)
{
	condense_t *c = ctx;
	if (serial != c->expect) {
		c->gap = true;
		return 1;
	}
	c->expect = serial + 1;
	uint8_t **nb = realloc(c->blobs, (c->nblobs + 2) * sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	c->blobs = nb;
	uint8_t *r = malloc(rlen + 1), *a = malloc(alen + 1);
	if (r == NULL || a == NULL) {
		free(r);
		free(a);
		return -ENOMEM;
	}
	memcpy(r, removed, rlen);
	memcpy(a, added, alen);
	c->blobs[c->nblobs++] = r;
	c->blobs[c->nblobs++] = a;
	int ret = add_changes(c, r, rlen, -1);
	return ret ? ret : add_changes(c, a, alen, +1);
}

static int change_cmp(const void *x, const void *y)
{
	const change_t *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int d = memcmp(a->rr, b->rr, n);
	return d ? d : (a->len > b->len) - (a->len < b->len);
}

/* Sends the changes whose net sign is `want` (records compared whole:
 * a TTL change is a removal and an addition). */
static int send_net(xmsg_t *m, change_t *v, size_t n, int want)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int net = 0;
		while (j < n && change_cmp(&v[i], &v[j]) == 0)
			net += v[j++].sign;
		if ((want < 0 && net < 0) || (want > 0 && net > 0)) {
			const uint8_t *p = v[i].rr;
			size_t olen = p[0];
			const uint8_t *rr = p + 1 + olen;
			uint16_t type = (uint16_t)(rr[0] << 8 | rr[1]);
			uint32_t ttl = (uint32_t)rr[4] << 24 | rr[5] << 16 | rr[6] << 8 | rr[7];
			size_t rdlen = (size_t)rr[8] << 8 | rr[9];
			int ret = msg_rr(m, p + 1, olen, type, ttl, rr + 10, rdlen);
			if (ret != 0)
				return ret;
		}
		i = j;
	}
	return 0;
}

/* IXFR from `from` to `serial`; > 0 when the journal cannot answer (send an
 * AXFR instead). */
static int send_ixfr(xmsg_t *m, db_t *db, int64_t zid, const conf_zone_t *zc, uint32_t from,
                     uint32_t serial)
{
	condense_t c = { .expect = from + 1 };
	int ret = db_journal_foreach(db, zid, from, on_journal, &c);
	if (ret == 0 && (c.gap || c.expect != serial + 1))
		ret = 1;
	if (ret == -E2BIG)
		ret = 1;
	if (ret == 0) {
		qsort(c.v, c.n, sizeof(*c.v), change_cmp);
		nodebuild_t now, then;
		nb_init(&now);
		nb_init(&then);
		ret = apex_rrs(&now, zc, serial);
		if (ret == 0)
			ret = apex_rrs(&then, zc, from);
		/* RFC 1995: SOA(new), SOA(old), removals, SOA(new), additions, SOA(new). */
		if (ret == 0)
			ret = send_soa(m, &now);
		if (ret == 0)
			ret = send_soa(m, &then);
		if (ret == 0)
			ret = send_net(m, c.v, c.n, -1);
		if (ret == 0)
			ret = send_soa(m, &now);
		if (ret == 0)
			ret = send_net(m, c.v, c.n, +1);
		if (ret == 0)
			ret = send_soa(m, &now);
		if (ret == 0)
			ret = msg_send(m);
		nb_deinit(&now);
		nb_deinit(&then);
	}
	for (size_t i = 0; i < c.nblobs; i++)
		free(c.blobs[i]);
	free(c.blobs);
	free(c.v);
	return ret;
}

/* ---- one transfer ---- */

static const conf_zone_t *zone_of(const conf_t *conf, const uint8_t *qname)
{
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(name, qname, sizeof(name)) == NULL)
		return NULL;
	return conf_zone_find(conf, name);
}

/* Notes a transfer served (the record of this secondary and zone goes to
 * the front; the least recent falls off when the table is full), and tells
 * the notifier where it ended. */
static void record_peer(xfr_t *x, const char *zone, const struct sockaddr_storage *peer,
                        const char *key, const char *type, uint32_t from, uint32_t serial)
{
	notify_transferred(x->notifier, zone, peer, serial);
	xfr_peer_t r = { .type = type, .from = from, .serial = serial, .when = time(NULL),
	                 .count = 1 };
	snprintf(r.zone, sizeof(r.zone), "%s", zone);
	net_addr_text(peer, false, r.addr, sizeof(r.addr));
	snprintf(r.key, sizeof(r.key), "%s", key);
	pthread_mutex_lock(&x->peers_mu);
	size_t i = 0;
	while (i < x->npeers && (strcmp(x->peers[i].zone, r.zone) != 0 ||
	                         strcmp(x->peers[i].addr, r.addr) != 0 ||
	                         strcmp(x->peers[i].key, r.key) != 0))
		i++;
	if (i < x->npeers)
		r.count = x->peers[i].count + 1;
	else if (x->npeers < XFR_PEERS_MAX)
		x->npeers++;
	else
		i = XFR_PEERS_MAX - 1;
	memmove(&x->peers[1], &x->peers[0], i * sizeof(r));
	x->peers[0] = r;
	pthread_mutex_unlock(&x->peers_mu);
}

size_t xfr_peers(xfr_t *x, xfr_peer_t *out, size_t max)
{
	pthread_mutex_lock(&x->peers_mu);
	size_t n = x->npeers < max ? x->npeers : max;
	memcpy(out, x->peers, n * sizeof(*out));
	pthread_mutex_unlock(&x->peers_mu);
	return n;
}

static void serve(xfr_t *x, xjob_t *j)
{
	const conf_t *conf = uatomic_read(&x->conf);
	knot_tsig_key_t key = { 0 };
	knot_pkt_t *q = NULL;
	bool have_key = false, began = false;
	int flags = fcntl(j->fd, F_GETFL);
	fcntl(j->fd, F_SETFL, flags & ~O_NONBLOCK);
	struct timeval tv = { .tv_sec = 30 };
	setsockopt(j->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (j->plen > 0 && net_send_all(j->fd, j->pending, j->plen) != 0)
		goto out;

	q = knot_pkt_new(j->q, j->qlen, NULL);
	if (q == NULL || knot_pkt_parse(q, 0) != KNOT_EOK || q->qname_size == 0) {
		send_error(j->fd, NULL, j->q, KNOT_WIRE_HEADER_SIZE, KNOT_RCODE_FORMERR, 0);
		goto out;
	}
	size_t qsize = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(q);
	const conf_zone_t *zc = zone_of(conf, knot_pkt_qname(q));
	if (zc == NULL) {
		send_error(j->fd, q, j->q, qsize, KNOT_RCODE_NOTAUTH, 0);
		atomic_fetch_add(&x->refused, 1);
		goto out;
	}

	/* Allowed by address, or by a TSIG key the list names. */
	bool allowed = false;
	db_tsig_t keyrow = { .name = "" };
	if (q->tsig_rr != NULL) {
		have_key = tsigkey_load(x->db, q->tsig_rr, &key, &keyrow) == 0;
		if (!have_key) {
			send_error(j->fd, q, j->q, qsize, KNOT_RCODE_NOTAUTH, KNOT_RCODE_BADKEY);
			atomic_fetch_add(&x->refused, 1);
			goto out;
		}
		int ret = knot_tsig_server_check(q->tsig_rr, q->wire, q->size, &key);
		if (ret != KNOT_EOK) {
			uint16_t e = tsigkey_error(ret);
			send_error_key(j->fd, q, j->q, qsize, KNOT_RCODE_NOTAUTH, e,
			               e == KNOT_RCODE_BADTIME ? &key : NULL);
			atomic_fetch_add(&x->refused, 1);
			goto out;
		}
	}
	for (size_t i = 0; i < zc->allow_transfer.n && !allowed; i++) {
		const conf_acl_entry_t *e = &zc->allow_transfer.v[i];
		allowed = e->is_key ? (have_key && strcmp(e->key, keyrow.name) == 0) : net_in(e, &j->peer);
	}
	if (!allowed) {
		send_error(j->fd, q, j->q, qsize, KNOT_RCODE_REFUSED, 0);
		atomic_fetch_add(&x->refused, 1);
		goto out;
	}

	/* One read transaction: one serial, whatever the writer does. */
	if (db_begin_read(x->db) != 0)
		goto fail;
	began = true;
	int64_t zid;
	uint32_t serial;
	if (db_zone_get(x->db, zc->name, false, &zid, &serial) != 0)
		goto fail;
	xmsg_t *m = malloc(sizeof(*m));
	if (m == NULL)
		goto fail;
	memset(m, 0, offsetof(xmsg_t, wire));
	m->fd = j->fd;
	m->query = j->q;
	m->qsize = qsize;
	if (have_key) {
		m->key = &key;
		m->req_mac = knot_tsig_rdata_mac(q->tsig_rr);
		m->req_mac_len = knot_tsig_rdata_mac_length(q->tsig_rr);
	}
	msg_begin(m);
	int ret = 1;
	if (knot_pkt_qtype(q) == KNOT_RRTYPE_IXFR) {
		/* The secondary's serial is the SOA in the authority section. */
		const knot_pktsection_t *auth = knot_pkt_section(q, KNOT_AUTHORITY);
		const knot_rrset_t *soa = auth->count > 0 ? knot_pkt_rr(auth, 0) : NULL;
		if (soa != NULL && soa->type == KNOT_RRTYPE_SOA && soa->rrs.count > 0) {
			uint32_t theirs = knot_soa_serial(soa->rrs.rdata);
			if ((int32_t)(serial - theirs) <= 0) {
				/* Up to date: the current SOA alone. */
				nodebuild_t nb;
				nb_init(&nb);
				ret = apex_rrs(&nb, zc, serial);
				if (ret == 0)
					ret = send_soa(m, &nb);
				if (ret == 0)
					ret = msg_send(m);
				nb_deinit(&nb);
			} else {
				ret = send_ixfr(m, x->db, zid, zc, theirs, serial);
			}
			if (ret == 0) {
				atomic_fetch_add(&x->ixfr, 1);
				record_peer(x, zc->name, &j->peer, keyrow.name,
				            (int32_t)(serial - theirs) <= 0 ? "IXFR-current" : "IXFR",
				            theirs, serial);
			}
		}
		if (ret > 0)
			msg_begin(m); /* fall back to a whole zone */
	}
	if (ret > 0) {
		ret = send_axfr(m, x->db, zid, zc, serial);
		if (ret == 0) {
			atomic_fetch_add(&x->axfr, 1);
			record_peer(x, zc->name, &j->peer, keyrow.name, "AXFR", 0, serial);
		}
	}
	if (ret < 0 && m->sent == 0)
		send_error(j->fd, q, j->q, qsize, KNOT_RCODE_SERVFAIL, 0);
	free(m);
	goto out;
fail:
	send_error(j->fd, q, j->q, qsize, KNOT_RCODE_SERVFAIL, 0);
out:
	if (began)
		db_rollback(x->db);
	if (have_key)
		knot_tsig_key_deinit(&key);
	knot_pkt_free(q);
	shutdown(j->fd, SHUT_WR);
	close(j->fd);
}

static void job_free(xjob_t *j)
{
	free(j->q);
	free(j->pending);
	free(j);
}

static void work(jobq_item_t *it, void *ctx)
{
	xjob_t *j = (xjob_t *)it;
	serve(ctx, j);
	job_free(j);
}

/* At shutdown: transfers that did not start are dropped. */
static void discard(jobq_item_t *it, void *ctx)
{
	xjob_t *j = (xjob_t *)it;
	close(j->fd);
	job_free(j);
}

void xfr_handoff(int fd, const uint8_t *query, size_t len, const uint8_t *pending,
                 size_t pending_len, const struct sockaddr_storage *peer, void *ctx)
{
	xfr_t *x = ctx;
	xjob_t *j = calloc(1, sizeof(*j));
	if (j == NULL || (j->q = malloc(len)) == NULL ||
	    (pending_len && (j->pending = malloc(pending_len)) == NULL)) {
		if (j)
			free(j->q);
		free(j);
		close(fd);
		return;
	}
	j->fd = fd;
	memcpy(j->q, query, len);
	j->qlen = len;
	if (pending_len)
		memcpy(j->pending, pending, pending_len);
	j->plen = pending_len;
	j->peer = *peer;
	jobq_push(&x->q, &j->item);
}

int xfr_new(const conf_t *conf, notifier_t *notifier, xfr_t **out, char *err, size_t errlen)
{
	xfr_t *x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	x->conf = conf;
	x->notifier = notifier;
	pthread_mutex_init(&x->peers_mu, NULL);
	int ret = db_open(conf->database, 0, &x->db, err, errlen);
	if (ret == 0)
		ret = jobq_start(&x->q, "ddnsd-xfr", work, x);
	if (ret != 0) {
		xfr_free(x);
		return ret;
	}
	*out = x;
	return 0;
}

void xfr_free(xfr_t *x)
{
	if (x == NULL)
		return;
	jobq_stop(&x->q, discard);
	db_close(x->db);
	pthread_mutex_destroy(&x->peers_mu);
	free(x);
}

void xfr_set_conf(xfr_t *x, const conf_t *conf)
{
	uatomic_set(&x->conf, conf);
}

void xfr_counts(xfr_t *x, uint64_t *axfr, uint64_t *ixfr, uint64_t *refused)
{
	*axfr = atomic_load(&x->axfr);
	*ixfr = atomic_load(&x->ixfr);
	*refused = atomic_load(&x->refused);
}
