/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The writer thread; the contract is in writer.h.
 *
 * Why nodes are built right after each request rather than at the end of
 * the batch: a request can store records that cannot be served together (a
 * host's address beside an imported CNAME). Building its nodes inside its
 * savepoint lets exactly that request fail, with its SQL undone, while the
 * rest of the batch goes on.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>
#include <libknot/libknot.h>

#include "dns/nodebuild.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "store/account.h"
#include "upd/checkpoint.h"
#include "upd/notify.h"
#include "upd/writer.h"
#include "upd/zoneload.h"

#define BATCH_MAX 4096

/* A configuration glue record, compiled once (conf_zone_glue parses text). */
typedef struct {
	uint8_t owner[255];
	uint8_t len;
	uint16_t type, rdlen;
	uint32_t ttl;
	uint8_t rdata[16];
} wglue_t;

typedef struct {
	int64_t id;
	const conf_zone_t *zc;
	const conf_zone_t *glue_of;  /* the configuration glue[] was made from */
	wglue_t *glue;
	size_t nglue;
	uint32_t serial;          /* last committed */
	uint32_t next_serial;     /* in the open transaction */
	bool dirty;               /* records changed in the open transaction */
	bool rebuild;             /* rebuild the whole zone after COMMIT */
} wzone_t;

typedef struct {
	size_t zone;              /* index in writer.wz and the zone set */
	uint8_t owner[255];
	uint8_t len;
	node_t *node;             /* NULL: the name has no records now */
} pend_t;

struct wctx {
	writer_t *w;
	int64_t now;
};

struct writer {
	db_t *db;
	const conf_t *conf;
	zoneset_t **zones;
	wzone_t *wz;
	size_t nz;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	wreq_t *head, *tail;
	bool stopping;
	pthread_t thread;
	bool running;

	wctx_t ctx;
	nodebuild_t nb;
	zgc_t gc;
	pend_t *pend;
	size_t npend, pcap;
	bool storage_failed;      /* a COMMIT failed; the WAL must be reset first */
	struct notifier *notifier;
	ckpt_t *ckpt;             /* checkpoints off the COMMIT path */
	uint8_t *jbuf[2];         /* journal: removed, added */
	size_t jlen[2], jcap[2];
	uint64_t batch_updates;   /* host updates applied in the open transaction */
	_Atomic uint64_t updates; /* host updates committed (writer_updates) */
};

static void pend_drop(writer_t *w, size_t from);

db_t *wctx_db(wctx_t *c) { return c->w->db; }
const conf_t *wctx_conf(wctx_t *c) { return c->w->conf; }
int64_t wctx_now(wctx_t *c) { return c->now; }

static wzone_t *zone_by_id(writer_t *w, int64_t id, size_t *index)
{
	for (size_t i = 0; i < w->nz; i++) {
		if (w->wz[i].id == id) {
			if (index)
				*index = i;
			return &w->wz[i];
		}
	}
	return NULL;
}

int64_t wctx_zone_id(wctx_t *c, const conf_zone_t *zc)
{
	for (size_t i = 0; i < c->w->nz; i++)
		if (c->w->wz[i].zc == zc)
			return c->w->wz[i].id;
	return -1;
}

static int nb_collect(const uint8_t *owner, size_t ownerlen, uint16_t type, uint32_t ttl,
                      const uint8_t *rdata, size_t rdlen, void *ctx)
{
	return nb_add(ctx, type, ttl, rdata, (uint16_t)rdlen);
}

typedef struct {
	wglue_t *v;
	size_t n, cap;
} glue_list_t;

static int glue_collect(const uint8_t *rel, size_t rellen, uint16_t type, uint32_t ttl,
                        const uint8_t *rdata, uint16_t len, void *ctx)
{
	glue_list_t *l = ctx;
	if (len > sizeof(l->v[0].rdata) || rellen > sizeof(l->v[0].owner))
		return -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		wglue_t *nv = realloc(l->v, cap * sizeof(*nv));
		if (nv == NULL)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	wglue_t *g = &l->v[l->n++];
	memcpy(g->owner, rel, rellen);
	g->len = (uint8_t)rellen;
	g->type = type;
	g->ttl = ttl;
	g->rdlen = len;
	memcpy(g->rdata, rdata, len);
	return 0;
}

/* The zone's configuration glue, compiled when its configuration changed. */
static int zone_glue(wzone_t *z)
{
	if (z->glue_of == z->zc)
		return 0;
	glue_list_t l = { 0 };
	int ret = conf_zone_glue(z->zc, glue_collect, &l);
	if (ret != 0) {
		free(l.v);
		return ret;
	}
	free(z->glue);
	z->glue = l.v;
	z->nglue = l.n;
	z->glue_of = z->zc;
	return 0;
}

/* Builds the node of owner from the database as it is inside the open
 * transaction (the apex with its configuration records and next serial). */
static int build_node(writer_t *w, wzone_t *z, const uint8_t *owner, size_t len, node_t **out)
{
	nb_reset(&w->nb);
	int ret = db_rr_owner_foreach(w->db, z->id, owner, len, nb_collect, &w->nb);
	if (ret != 0)
		return ret;
	bool apex = len == 0;
	if (apex && (ret = nb_add_apex_conf(&w->nb, z->zc, z->next_serial)) != 0)
		return ret;
	if (!apex && z->zc->glue.n > 0) {
		/* Configuration glue belongs to its owner's node too. */
		if ((ret = zone_glue(z)) != 0)
			return ret;
		for (size_t i = 0; i < z->nglue; i++) {
			const wglue_t *g = &z->glue[i];
			if (g->len == len && memcmp(g->owner, owner, len) == 0 &&
			    (ret = nb_add(&w->nb, g->type, g->ttl, g->rdata, g->rdlen)) != 0)
				return ret;
		}
	}
	if (w->nb.n == 0) {
		*out = NULL;
		return 0;
	}
	return nb_build(&w->nb, owner, len, apex, out);
}

static int pend_add(writer_t *w, size_t zone, const uint8_t *owner, size_t len, node_t *node)
{
	if (w->npend == w->pcap) {
		size_t cap = w->pcap ? w->pcap * 2 : 256;
		pend_t *np = realloc(w->pend, cap * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		w->pend = np;
		w->pcap = cap;
	}
	pend_t *p = &w->pend[w->npend++];
	p->zone = zone;
	memcpy(p->owner, owner, len);
	p->len = (uint8_t)len;
	p->node = node;
	return 0;
}

/* Two versions of a name serve the same records (or both none). */
static bool node_same(const node_t *a, const node_t *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	size_t la = sizeof(*a) + a->namelen + a->ntypes * NODE_IDX_SIZE + a->datalen;
	size_t lb = sizeof(*b) + b->namelen + b->ntypes * NODE_IDX_SIZE + b->datalen;
	/* children is writer bookkeeping, not content: compare after it. */
	size_t skip = offsetof(node_t, datalen);
	return la == lb && memcmp((const uint8_t *)a + skip, (const uint8_t *)b + skip, la - skip) == 0;
}

/* The version of a name the batch would leave: its last pending one, or
 * the published one. */
static const node_t *current_node(writer_t *w, size_t zi, const uint8_t *owner, size_t len,
                                  bool *pending)
{
	for (size_t i = w->npend; i-- > 0;) {
		pend_t *p = &w->pend[i];
		if (p->zone == zi && p->len == len && memcmp(p->owner, owner, len) == 0) {
			*pending = true;
			return p->node;
		}
	}
	*pending = false;
	return zone_get((*w->zones)->zones[zi], owner, len);
}

int wctx_touch(wctx_t *c, int64_t zone_id, const uint8_t *owner, size_t ownerlen)
{
	writer_t *w = c->w;
	size_t zi;
	wzone_t *z = zone_by_id(w, zone_id, &zi);
	if (z == NULL)
		return DDNS_ENOZONE;
	if (z->rebuild)
		return 0;
	uint32_t next = z->dirty ? z->next_serial : z->serial + 1;
	uint32_t keep = z->next_serial;
	z->next_serial = next; /* the apex node below needs it */
	node_t *node = NULL;
	int ret = build_node(w, z, owner, ownerlen, &node);
	if (ret != 0) {
		z->next_serial = keep;
		return ret;
	}
	bool pending;
	if (node_same(node, current_node(w, zi, owner, ownerlen, &pending))) {
		/* Nothing served changes (an offline host's new address, say):
		 * no new version, and no new serial for it. */
		free(node);
		z->next_serial = keep;
		return 0;
	}
	z->dirty = true;
	ret = pend_add(w, zi, owner, ownerlen, node);
	if (ret != 0)
		free(node);
	return ret;
}

int wctx_touch_zone(wctx_t *c, int64_t zone_id)
{
	wzone_t *z = zone_by_id(c->w, zone_id, NULL);
	if (z == NULL)
		return DDNS_ENOZONE;
	if (!z->dirty) {
		z->dirty = true;
		z->next_serial = z->serial + 1;
	}
	z->rebuild = true;
	return 0;
}

int wctx_set_serial(wctx_t *c, int64_t zone_id, uint32_t serial)
{
	wzone_t *z = zone_by_id(c->w, zone_id, NULL);
	if (z == NULL)
		return DDNS_ENOZONE;
	if (!z->dirty) {
		z->dirty = true;
		z->next_serial = z->serial + 1;
	}
	if ((int32_t)(serial - z->next_serial) > 0)
		z->next_serial = serial;
	return 0;
}

void wctx_count_update(wctx_t *c)
{
	c->w->batch_updates++;
}

uint64_t writer_updates(const writer_t *w)
{
	return atomic_load_explicit(&w->updates, memory_order_relaxed);
}

int wctx_run(wctx_t *c, wreq_t *sub)
{
	writer_t *w = c->w;
	size_t mark = w->npend;
	uint64_t umark = w->batch_updates;
	if (db_savepoint(w->db) != 0)
		return DDNS_EDB;
	sub->status = sub->op(c, sub);
	if (sub->status != 0) {
		db_rollback_savepoint(w->db);
		pend_drop(w, mark);
		w->batch_updates = umark;
	} else {
		db_release(w->db);
	}
	return sub->status;
}

/* ---- journal ---- */

static int jput(writer_t *w, int which, const uint8_t *owner, size_t olen, const uint8_t *rr,
                size_t rrlen)
{
	size_t need = 1 + olen + rrlen;
	if (w->jlen[which] + need > w->jcap[which]) {
		size_t cap = w->jcap[which] ? w->jcap[which] * 2 : 4096;
		while (cap < w->jlen[which] + need)
			cap *= 2;
		uint8_t *nb = realloc(w->jbuf[which], cap);
		if (nb == NULL)
			return -ENOMEM;
		w->jbuf[which] = nb;
		w->jcap[which] = cap;
	}
	uint8_t *p = w->jbuf[which] + w->jlen[which];
	p[0] = (uint8_t)olen;
	memcpy(p + 1, owner, olen);
	memcpy(p + 1 + olen, rr, rrlen);
	w->jlen[which] += need;
	return 0;
}

/* Does node n hold an RR equal to rr (type, class, TTL, RDATA: the bytes
 * after the owner pointer)? */
static bool node_has(const node_t *n, const uint8_t *rr, size_t len)
{
	if (n == NULL)
		return false;
	node_rrset_t rs;
	if (!node_rrset(n, node_get16(rr), &rs))
		return false;
	const uint8_t *p = rs.wire;
	for (unsigned i = 0; i < rs.count; i++) {
		size_t l = 10 + node_get16(p + 10);
		if (l == len && memcmp(p + 2, rr, len) == 0)
			return true;
		p += 2 + l;
	}
	return false;
}

/* Appends to journal buffer `which` every RR of a that b lacks. The
 * journal entry is: owner length, relative owner, then type, class, TTL,
 * RDLENGTH, RDATA as in wire format. */
static int diff_into(writer_t *w, int which, const node_t *a, const node_t *b)
{
	if (a == NULL)
		return 0;
	for (unsigned t = 0; t < a->ntypes; t++) {
		node_rrset_t rs;
		node_rrset_at(a, t, &rs);
		if (rs.type == NODE_TYPE_NEGSOA)
			continue;
		const uint8_t *p = rs.wire;
		for (unsigned i = 0; i < rs.count; i++) {
			size_t l = 10 + node_get16(p + 10);
			if (!node_has(b, p + 2, l)) {
				int ret = jput(w, which, node_name(a), a->namelen, p + 2, l);
				if (ret != 0)
					return ret;
			}
			p += 2 + l;
		}
	}
	return 0;
}

/* Writes one journal row per changed zone: the difference between what is
 * published and the last pending version of every touched name. */
static int write_journal(writer_t *w)
{
	zoneset_t *set = *w->zones;
	for (size_t zi = 0; zi < w->nz; zi++) {
		wzone_t *z = &w->wz[zi];
		if (!z->dirty || z->rebuild)
			continue;
		w->jlen[0] = w->jlen[1] = 0;
		zone_t *zone = set->zones[zi];
		for (size_t i = w->npend; i-- > 0;) {
			pend_t *p = &w->pend[i];
			if (p->zone != zi)
				continue;
			bool later = false; /* only the last version of a name counts */
			for (size_t j = i + 1; j < w->npend && !later; j++)
				later = w->pend[j].zone == zi && w->pend[j].len == p->len &&
				        memcmp(w->pend[j].owner, p->owner, p->len) == 0;
			if (later)
				continue;
			const node_t *old = zone_get(zone, p->owner, p->len);
			int ret = diff_into(w, 0, old, p->node);
			if (ret == 0)
				ret = diff_into(w, 1, p->node, old);
			if (ret != 0)
				return ret;
		}
		int ret = db_journal_add(w->db, z->id, z->next_serial, w->ctx.now, w->jbuf[0], w->jlen[0],
		                         w->jbuf[1], w->jlen[1]);
		if (ret != 0)
			return ret;
		/* Retention: the newest journal-max serials. Each batch takes
		 * the next serial, so everything below next - max goes (a
		 * serial set higher by an import just keeps fewer). Pruned
		 * every batch, a row or so each time: no periodic stall. */
		int64_t below = (int64_t)z->next_serial - (int64_t)w->conf->journal_max + 1;
		if (below > 0 && (ret = db_journal_prune(w->db, z->id, below)) != 0)
			return ret;
	}
	return 0;
}

/* ---- the batch ---- */

static void pend_drop(writer_t *w, size_t from)
{
	for (size_t i = from; i < w->npend; i++)
		free(w->pend[i].node);
	w->npend = from;
}

/* New serials and apex nodes for every zone the batch changed. */
static int finish_zones(writer_t *w)
{
	for (size_t zi = 0; zi < w->nz; zi++) {
		wzone_t *z = &w->wz[zi];
		if (!z->dirty)
			continue;
		int ret = db_zone_set_serial(w->db, z->id, z->next_serial);
		if (ret != 0)
			return ret;
		if (z->rebuild)
			continue;
		node_t *apex;
		ret = build_node(w, z, (const uint8_t *)"", 0, &apex);
		if (ret == 0)
			ret = pend_add(w, zi, (const uint8_t *)"", 0, apex);
		if (ret != 0)
			return ret;
	}
	return write_journal(w);
}

static void rebuild_zone(writer_t *w, size_t zi)
{
	char err[512];
	zone_t *nz;
	uint32_t serial;
	if (zoneload_zone(w->db, w->wz[zi].zc, &nz, &serial, err, sizeof(err)) != 0) {
		log_err("writer: cannot rebuild zone %s: %s", w->wz[zi].zc->name, err);
		return;
	}
	zoneset_t *old = *w->zones;
	zoneset_t *set = malloc(sizeof(*set) + old->count * sizeof(zone_t *));
	if (set == NULL) {
		zone_free(nz);
		return;
	}
	memcpy(set, old, sizeof(*set) + old->count * sizeof(zone_t *));
	zone_t *oz = set->zones[zi];
	set->zones[zi] = nz;
	rcu_assign_pointer(*w->zones, set);
	synchronize_rcu();
	zone_free(oz);
	free(old);
}

static void publish(writer_t *w)
{
	zoneset_t *set = *w->zones;
	for (size_t i = 0; i < w->npend; i++) {
		pend_t *p = &w->pend[i];
		zone_t *z = set->zones[p->zone];
		int ret = p->node ? zone_put(z, p->node, &w->gc) : zone_remove(z, p->owner, p->len, &w->gc);
		if (ret != 0 && ret != DDNS_ENOENT)
			log_err("writer: cannot publish a change: %s", ddns_strerror(ret));
		p->node = NULL;
	}
	w->npend = 0;
	zgc_defer(&w->gc);
	for (size_t zi = 0; zi < w->nz; zi++) {
		wzone_t *z = &w->wz[zi];
		if (!z->dirty)
			continue;
		z->serial = z->next_serial;
		if (z->rebuild)
			rebuild_zone(w, zi);
		z->dirty = z->rebuild = false;
		notify_changed(w->notifier, zi, z->serial);
	}
}

static void fail_batch(writer_t *w, wreq_t *batch, const char *why)
{
	for (wreq_t *r = batch; r; r = r->next) {
		if (r->status == 0) {
			r->status = DDNS_EDB;
			snprintf(r->msg, sizeof(r->msg), "not saved: %s", why);
			json_decref(r->result);
			r->result = NULL;
		}
	}
	pend_drop(w, 0);
	for (size_t zi = 0; zi < w->nz; zi++)
		w->wz[zi].dirty = w->wz[zi].rebuild = false;
}

/* Clears the trace of a failed COMMIT before anything else is written;
 * until that works every batch fails, so nothing is acknowledged that a
 * restart could lose and nothing refused can reappear after one. */
static bool storage_ready(writer_t *w)
{
	if (!w->storage_failed)
		return true;
	if (db_wal_reset(w->db) != 0)
		return false;
	w->storage_failed = false;
	log_info("writer: storage works again");
	return true;
}

static void run_batch(writer_t *w, wreq_t *batch)
{
	w->ctx.now = (int64_t)time(NULL);
	char why[256];
	if (!storage_ready(w)) {
		fail_batch(w, batch, "storage is failing (I/O error or disk full); retrying");
		goto done;
	}
	if (db_begin(w->db) != 0) {
		snprintf(why, sizeof(why), "database: %s", db_errmsg(w->db));
		log_err("writer: cannot begin a transaction: %s", db_errmsg(w->db));
		fail_batch(w, batch, why);
		goto done;
	}
	bool changed = false;
	w->batch_updates = 0;
	for (wreq_t *r = batch; r; r = r->next) {
		size_t mark = w->npend;
		uint64_t umark = w->batch_updates;
		r->status = 0;
		r->msg[0] = '\0';
		if (db_savepoint(w->db) != 0) {
			r->status = DDNS_EDB;
			snprintf(r->msg, sizeof(r->msg), "database: %s", db_errmsg(w->db));
			continue;
		}
		r->status = r->op(&w->ctx, r);
		if (r->status != 0) {
			if (r->msg[0] == '\0')
				snprintf(r->msg, sizeof(r->msg), "%s", ddns_strerror(r->status));
			json_decref(r->result);
			r->result = NULL;
			db_rollback_savepoint(w->db);
			pend_drop(w, mark);
			w->batch_updates = umark;
			/* Serials stay reserved until the batch ends: harmless. */
			continue;
		}
		db_release(w->db);
		changed |= r->changed;
	}
	int ret = finish_zones(w);
	if (ret == 0)
		ret = db_commit(w->db);
	if (ret != 0) {
		snprintf(why, sizeof(why), "database: %s", db_errmsg(w->db));
		log_err("writer: commit failed, %s", why);
		db_rollback(w->db);
		fail_batch(w, batch, why);
		w->storage_failed = true;
		storage_ready(w);
		goto done;
	}
	(void)changed;
	atomic_store_explicit(&w->updates, writer_updates(w) + w->batch_updates,
	                      memory_order_relaxed);
	publish(w);
	if (w->ckpt) {
		ckpt_poke(w->ckpt);
		if (ckpt_take_restart(w->ckpt))
			db_wal_restart(w->db); /* busy: the checkpointer asks again */
	}
done:
	while (batch) {
		wreq_t *next = batch->next;
		batch->next = NULL;
		batch->done(batch);
		batch = next;
	}
}

static void *writer_run(void *arg)
{
	writer_t *w = arg;
	pthread_setname_np(pthread_self(), "ddnsd-writer");
	rcu_register_thread();
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->stopping) {
			if (!w->storage_failed) {
				pthread_cond_wait(&w->cv, &w->mu);
				continue;
			}
			/* Retry the WAL reset while idle, so a crash soon after
			 * the fault clears finds no stale frames. */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0) {
				pthread_mutex_unlock(&w->mu);
				storage_ready(w);
				pthread_mutex_lock(&w->mu);
			}
		}
		wreq_t *batch = w->head;
		if (batch == NULL) {
			pthread_mutex_unlock(&w->mu);
			if (!storage_ready(w))
				log_err("writer: stopping while storage fails; changes that were "
				        "refused may reappear if the disk kept them");
			break;
		}
		/* Take up to BATCH_MAX; the rest waits for the next round. */
		wreq_t *last = batch;
		for (size_t n = 1; n < BATCH_MAX && last->next; n++)
			last = last->next;
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&w->mu);
		run_batch(w, batch);
	}
	rcu_unregister_thread();
	return NULL;
}

int writer_new(db_t *db, const conf_t *conf, zoneset_t **zones, writer_t **out)
{
	writer_t *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->db = db;
	w->conf = conf;
	w->zones = zones;
	w->ctx.w = w;
	nb_init(&w->nb);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->nz = conf->zone_count;
	w->wz = calloc(w->nz ? w->nz : 1, sizeof(*w->wz));
	if (w->wz == NULL) {
		writer_free(w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < w->nz; i++) {
		w->wz[i].zc = &conf->zones[i];
		int ret = db_zone_get(db, conf->zones[i].name, true, &w->wz[i].id, &w->wz[i].serial);
		if (ret != 0) {
			writer_free(w);
			return ret;
		}
	}
	*out = w;
	return 0;
}

int writer_start(writer_t *w)
{
	/* Checkpoints on a thread of their own; if that cannot start, SQLite
	 * keeps checkpointing inside COMMIT as it does by default. */
	char err[256];
	if (w->conf->database != NULL &&
	    ckpt_start(w->conf->database, (uint64_t)w->conf->wal_limit << 20, &w->ckpt, err,
	               sizeof(err)) == 0)
		db_autocheckpoint(w->db, 0);
	else if (w->conf->database != NULL)
		log_err("writer: checkpoints stay inside COMMIT: %s", err);
	int ret = pthread_create(&w->thread, NULL, writer_run, w);
	if (ret != 0)
		return -ret;
	w->running = true;
	return 0;
}

void writer_stop(writer_t *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->running = false;
	ckpt_stop(w->ckpt);
	w->ckpt = NULL;
}

void writer_free(writer_t *w)
{
	if (w == NULL)
		return;
	writer_stop(w);
	pend_drop(w, 0);
	free(w->pend);
	zgc_deinit(&w->gc);
	nb_deinit(&w->nb);
	free(w->jbuf[0]);
	free(w->jbuf[1]);
	for (size_t i = 0; w->wz != NULL && i < w->nz; i++)
		free(w->wz[i].glue);
	free(w->wz);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

void writer_set_notifier(writer_t *w, struct notifier *n)
{
	w->notifier = n;
	/* The serials served now: the NOTIFYs of the start carry them. */
	for (size_t zi = 0; zi < w->nz; zi++)
		notify_changed(n, zi, w->wz[zi].serial);
}

zoneset_t **writer_zones(writer_t *w)
{
	return w->zones;
}

void writer_submit(writer_t *w, wreq_t *r)
{
	r->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->tail)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* A posted request and its own copy of the arguments. */
typedef struct {
	wreq_t r;                /* first: done frees the whole block */
	max_align_t args[];
} posted_t;

static void posted_done(wreq_t *r)
{
	json_decref(r->result);
	free(r);
}

int writer_post(writer_t *w, wop_fn op, const void *args, size_t len)
{
	posted_t *p = calloc(1, sizeof(*p) + len);
	if (p == NULL)
		return -ENOMEM;
	memcpy(p->args, args, len);
	p->r.op = op;
	p->r.args = p->args;
	p->r.done = posted_done;
	writer_submit(w, &p->r);
	return 0;
}

typedef struct {
	const conf_t *conf;
	char *err;
	size_t errlen;
} reconf_t;

static int op_reconfigure(wctx_t *c, wreq_t *r)
{
	writer_t *w = c->w;
	reconf_t *a = r->args;
	if (a->conf->zone_count != w->nz) {
		snprintf(a->err, a->errlen, "the list of zones changed: restart ddnsd to apply it");
		return -EINVAL;
	}
	for (size_t i = 0; i < w->nz; i++) {
		if (strcmp(a->conf->zones[i].name, w->wz[i].zc->name) != 0) {
			snprintf(a->err, a->errlen, "the list of zones changed: restart ddnsd to apply it");
			return -EINVAL;
		}
	}
	zoneset_t *set;
	int ret = zoneload_all(w->db, a->conf, &set, a->err, a->errlen);
	if (ret != 0)
		return ret;
	zoneset_t *old = *w->zones;
	rcu_assign_pointer(*w->zones, set);
	synchronize_rcu();
	zoneload_free(old);
	w->conf = a->conf;
	for (size_t i = 0; i < w->nz; i++)
		w->wz[i].zc = &a->conf->zones[i];
	return 0;
}

int writer_reconfigure(writer_t *w, const conf_t *conf, char *err, size_t errlen)
{
	reconf_t a = { conf, err, errlen };
	wreq_t r = { .op = op_reconfigure, .args = &a };
	err[0] = '\0';
	writer_call(w, &r);
	if (r.status != 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", r.msg);
	return r.status;
}

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	void (*orig_done)(wreq_t *r);
	void *orig_ctx;
} waiter_t;

static void call_done(wreq_t *r)
{
	waiter_t *wt = r->ctx;
	pthread_mutex_lock(&wt->mu);
	wt->done = true;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
}

void writer_call(writer_t *w, wreq_t *r)
{
	waiter_t wt = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
	                .orig_ctx = r->ctx };
	r->done = call_done;
	r->ctx = &wt;
	writer_submit(w, r);
	pthread_mutex_lock(&wt.mu);
	while (!wt.done)
		pthread_cond_wait(&wt.cv, &wt.mu);
	pthread_mutex_unlock(&wt.mu);
	r->ctx = wt.orig_ctx;
}
