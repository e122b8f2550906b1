/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NOTIFY sender; see notify.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libknot/libknot.h>

#include "lib/log.h"
#include "dns/nodebuild.h"
#include "lib/name.h"
#include "lib/net.h"
#include "store/db.h"
#include "upd/notify.h"
#include "upd/tsigkey.h"

#define INTERVAL_MS 250
#define RETRY_MS 2000
#define TRIES 5
/* A secondary that answered a NOTIFY is asked for its SOA this long after,
 * and again while it serves an older serial, each time with a new NOTIFY,
 * up to CHECKS times per serial: NSD 4.6.1 can answer, transfer, fail to
 * load the update (it logs "update failed, restarting transfer"), and then
 * wait for its SOA refresh timer (xfrd_check_failed_updates notifies
 * itself of the older, failed serial), serving the old zone for hours. */
#define CHECK_MS 700
#define CHECKS 5

typedef struct {
	size_t zone;
	conf_addr_t addr;
	char key[KNOT_DNAME_TXT_MAXLEN + 1]; /* sign with this TSIG key; "": unsigned */
	uint8_t mac[128];          /* the signed NOTIFY's MAC, to check */
	size_t mac_len;            /* the answer's signature against */
	bool warned_key;           /* said that the key is missing (until it is found) */
	bool warned_answer;        /* said that an answer was not signed (until one is) */
	uint8_t refused;           /* rcode of its last answer if not NOERROR, else 0 */
	bool refetch;              /* a transfer left it behind: notify now */
	uint32_t acked;            /* last serial the secondary confirmed */
	bool acked_any;
	uint32_t inflight;         /* serial of the NOTIFY awaiting an answer */
	uint16_t id;
	int tries;                 /* sent for inflight so far; 0: none outstanding */
	uint64_t last_ms;          /* when the last one went out */
	int64_t last_unix;         /* the same, as unix time (for status) */
	uint64_t check_ms;         /* when to ask for its SOA (0: not now) */
	uint16_t check_id;         /* the SOA query awaiting an answer */
	int checks;                /* SOA queries for acked so far */
} target_t;

struct notifier {
	const conf_t *conf;
	target_t *t;
	size_t nt;
	uint32_t *serial;          /* per zone: newest published */
	bool *known;               /* per zone: serial told (nothing is sent before) */
	uint8_t (*apex)[NAME_WIRE_MAX];
	size_t *apex_len;
	db_t *db;                  /* TSIG keys (opened when one is needed) */
	int fd4, fd6;
	int wake;                  /* eventfd: a zone changed */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool running, stopping;
	atomic_ulong sent, acked;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The key named name, from the notifier's own read-only connection. */
static int load_key(notifier_t *n, const char *name, knot_tsig_key_t *key)
{
	if (n->db == NULL) {
		char err[256];
		if (db_open(n->conf->database, 0, &n->db, err, sizeof(err)) != 0) {
			log_err("notify: %s", err);
			return -1;
		}
	}
	db_tsig_t row;
	return tsigkey_load_name(n->db, name, key, &row) == 0 ? 0 : -1;
}

/* Logs what for t once, until *once is cleared again. */
static void warn_key(target_t *t, bool *once, const char *what)
{
	if (*once)
		return;
	char addr[NET_ADDR_TEXT];
	net_addr_text(&t->addr.ss, true, addr, sizeof(addr));
	log_warn("notify: %s: %s (key %s)", addr, what, t->key);
	*once = true;
}

/* Signs the NOTIFY in w with t's key (RFC 8945) and keeps its MAC. */
static int sign(notifier_t *n, target_t *t, uint8_t *w, size_t *len, size_t max)
{
	knot_tsig_key_t key = { 0 };
	if (load_key(n, t->key, &key) != 0) {
		warn_key(t, &t->warned_key,
		         "no such TSIG key; NOTIFY not sent until `ddnsctl tsig add` makes it");
		return -1;
	}
	t->mac_len = sizeof(t->mac);
	int ret = knot_tsig_sign(w, len, max, NULL, 0, t->mac, &t->mac_len, &key, 0, 0);
	knot_tsig_key_deinit(&key);
	if (ret != KNOT_EOK) {
		warn_key(t, &t->warned_key, "cannot sign the NOTIFY");
		return -1;
	}
	t->warned_key = false;
	return 0;
}

/*
 * Whether the answer w to t's signed NOTIFY carries a valid signature
 * over it (RFC 8945 5.3: a client discards answers that do not verify).
 */
static bool answer_verifies(notifier_t *n, target_t *t, uint8_t *w, size_t len)
{
	knot_pkt_t *pkt = knot_pkt_new(w, len, NULL);
	knot_tsig_key_t key = { 0 };
	bool ok = pkt != NULL && knot_pkt_parse(pkt, 0) == KNOT_EOK && pkt->tsig_rr != NULL &&
	          load_key(n, t->key, &key) == 0 &&
	          knot_tsig_client_check(pkt->tsig_rr, pkt->wire, pkt->size, t->mac, t->mac_len,
	                                 &key, 0) == KNOT_EOK;
	if (key.name != NULL)
		knot_tsig_key_deinit(&key);
	knot_pkt_free(pkt);
	return ok;
}

static void send_notify(notifier_t *n, target_t *t, uint32_t serial)
{
	uint8_t w[KNOT_WIRE_HEADER_SIZE + NAME_WIRE_MAX + 4 + 12 + CONF_SOA_RDATA_MAX + 512];
	memset(w, 0, KNOT_WIRE_HEADER_SIZE);
	if (t->tries == 0 || t->inflight != serial) {
		uint16_t id;
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint16_t)now_ms();
		t->id = id;
		t->inflight = serial;
		t->tries = 0;
	}
	knot_wire_set_id(w, t->id);
	knot_wire_set_opcode(w, KNOT_OPCODE_NOTIFY);
	knot_wire_set_aa(w);
	knot_wire_set_qdcount(w, 1);
	size_t len = KNOT_WIRE_HEADER_SIZE;
	memcpy(w + len, n->apex[t->zone], n->apex_len[t->zone]);
	len += n->apex_len[t->zone];
	w[len++] = 0;              /* the root label */
	w[len++] = 0;
	w[len++] = KNOT_RRTYPE_SOA;
	w[len++] = 0;
	w[len++] = KNOT_CLASS_IN;
	/* The SOA with the new serial in the answer section (RFC 1996 3.7):
	 * a secondary that already has it need not ask. */
	const conf_zone_t *zc = &n->conf->zones[t->zone];
	uint8_t rd[CONF_SOA_RDATA_MAX];
	int rl = conf_zone_soa_rdata(zc, serial, rd);
	if (rl > 0 && len + 12 + (size_t)rl <= sizeof(w)) {
		static const uint8_t owner[2] = { 0xc0, KNOT_WIRE_HEADER_SIZE }; /* the question */
		memcpy(w + len, owner, 2);
		knot_wire_write_u16(w + len + 2, KNOT_RRTYPE_SOA);
		knot_wire_write_u16(w + len + 4, KNOT_CLASS_IN);
		knot_wire_write_u32(w + len + 6, zc->soa_ttl);
		knot_wire_write_u16(w + len + 10, (uint16_t)rl);
		memcpy(w + len + 12, rd, (size_t)rl);
		len += 12 + (size_t)rl;
		knot_wire_set_ancount(w, 1);
	}
	bool ok = t->key[0] == '\0' || sign(n, t, w, &len, sizeof(w)) == 0;
	int fd = t->addr.ss.ss_family == AF_INET6 ? n->fd6 : n->fd4;
	if (ok && fd >= 0 &&
	    sendto(fd, w, len, 0, (const struct sockaddr *)&t->addr.ss, t->addr.len) > 0)
		atomic_fetch_add(&n->sent, 1);
	t->tries++;
	t->last_ms = now_ms();
	t->last_unix = time(NULL);
}

const char *notify_rcode_name(uint8_t rcode)
{
	const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
	return l != NULL ? l->name : "an unknown rcode";
}

/* The answer w from t's address to its NOTIFY in flight. */
static void answered(notifier_t *n, target_t *t, uint8_t *w, size_t len)
{
	if (t->key[0] != '\0') {
		if (!answer_verifies(n, t, w, len)) {
			warn_key(t, &t->warned_answer, "its answer to the signed NOTIFY is not "
			         "signed with the key; it counts as unanswered");
			return;
		}
		t->warned_answer = false;
	}
	uint8_t rcode = knot_wire_get_rcode(w);
	if (rcode != KNOT_RCODE_NOERROR) {
		/* Refused (its ACL, most often): not told; retried. */
		if (t->refused != rcode) {
			char addr[NET_ADDR_TEXT];
			net_addr_text(&t->addr.ss, true, addr, sizeof(addr));
			log_warn("notify: %s answered NOTIFY with %s", addr, notify_rcode_name(rcode));
		}
		t->refused = rcode;
		return;
	}
	t->refused = 0;
	if (!t->acked_any || t->acked != t->inflight)
		t->checks = 0;
	t->acked = t->inflight;
	t->acked_any = true;
	t->tries = 0;
	if (t->checks < CHECKS)
		t->check_ms = now_ms() + CHECK_MS;
	atomic_fetch_add(&n->acked, 1);
}

/* Asks t for the SOA of its zone (unsigned: a secondary serves it to
 * anyone); the answer goes to served(). */
static void send_check(notifier_t *n, target_t *t)
{
	uint8_t w[KNOT_WIRE_HEADER_SIZE + NAME_WIRE_MAX + 5];
	memset(w, 0, KNOT_WIRE_HEADER_SIZE);
	if (getrandom(&t->check_id, sizeof(t->check_id), 0) != sizeof(t->check_id))
		t->check_id = (uint16_t)(now_ms() >> 3);
	knot_wire_set_id(w, t->check_id);
	knot_wire_set_qdcount(w, 1);
	size_t len = KNOT_WIRE_HEADER_SIZE;
	memcpy(w + len, n->apex[t->zone], n->apex_len[t->zone]);
	len += n->apex_len[t->zone];
	w[len++] = 0;
	knot_wire_write_u16(w + len, KNOT_RRTYPE_SOA);
	knot_wire_write_u16(w + len + 2, KNOT_CLASS_IN);
	len += 4;
	int fd = t->addr.ss.ss_family == AF_INET6 ? n->fd6 : n->fd4;
	if (fd >= 0)
		sendto(fd, w, len, 0, (const struct sockaddr *)&t->addr.ss, t->addr.len);
	t->checks++;
	/* No answer: ask again later (counted as a check). */
	t->check_ms = t->checks < CHECKS ? now_ms() + RETRY_MS : 0;
}

/* t's answer w to the SOA query: when it serves an older serial than the
 * one it acknowledged, it is told again at once and asked again later. */
static void served(target_t *t, uint8_t *w, size_t len)
{
	t->check_id = 0;
	knot_pkt_t *pkt = knot_pkt_new(w, len, NULL);
	if (pkt == NULL)
		return;
	const knot_pktsection_t *an;
	if (knot_pkt_parse(pkt, 0) == KNOT_EOK && knot_wire_get_rcode(w) == KNOT_RCODE_NOERROR &&
	    (an = knot_pkt_section(pkt, KNOT_ANSWER))->count > 0 &&
	    knot_pkt_rr(an, 0)->type == KNOT_RRTYPE_SOA) {
		uint32_t serial = knot_soa_serial(knot_pkt_rr(an, 0)->rrs.rdata);
		if ((int32_t)(serial - t->acked) < 0) { /* RFC 1982: older */
			char addr[NET_ADDR_TEXT];
			net_addr_text(&t->addr.ss, true, addr, sizeof(addr));
			log_info("notify: %s answered the NOTIFY of serial %u but serves %u; notifying it "
			         "again", addr, t->acked, serial);
			t->refetch = true;
		} else {
			t->check_ms = 0; /* it serves it */
		}
	}
	knot_pkt_free(pkt);
}

/* Whether a is b's address and port (an answer comes from where it went). */
static bool same_addr(const struct sockaddr_storage *a, const conf_addr_t *b)
{
	if (a->ss_family != b->ss.ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)&b->ss;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)&b->ss;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void receive(notifier_t *n, int fd)
{
	uint8_t w[1024];
	struct sockaddr_storage from;
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(fd, w, sizeof(w), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return;
		if ((size_t)r < KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(w))
			continue;
		uint8_t op = knot_wire_get_opcode(w);
		uint16_t id = knot_wire_get_id(w);
		pthread_mutex_lock(&n->mu);
		for (size_t i = 0; i < n->nt; i++) {
			target_t *t = &n->t[i];
			if (!same_addr(&from, &t->addr))
				continue;
			if (op == KNOT_OPCODE_NOTIFY && t->tries > 0 && t->id == id)
				answered(n, t, w, (size_t)r);
			else if (op == KNOT_OPCODE_QUERY && t->check_id != 0 && t->check_id == id)
				served(t, w, (size_t)r);
		}
		pthread_mutex_unlock(&n->mu);
	}
}

static void *run(void *arg)
{
	notifier_t *n = arg;
	pthread_setname_np(pthread_self(), "ddnsd-notify");
	for (;;) {
		/* Decide what to send now, and how long to sleep. */
		int wait = 1000;
		pthread_mutex_lock(&n->mu);
		if (n->stopping) {
			pthread_mutex_unlock(&n->mu);
			break;
		}
		uint64_t now = now_ms();
		for (size_t i = 0; i < n->nt; i++) {
			target_t *t = &n->t[i];
			uint32_t want = n->serial[t->zone];
			bool behind = !t->acked_any || t->acked != want || t->refetch;
			if (!n->known[t->zone])
				continue;
			if (!behind) {
				/* Told the newest serial: does it serve it? */
				if (t->check_ms != 0 && t->check_ms <= now)
					send_check(n, t);
				if (t->check_ms != 0 && t->check_ms - now < (uint64_t)wait)
					wait = (int)(t->check_ms - now);
				continue;
			}
			uint64_t due;
			if (t->refetch)
				due = now;                               /* its transfer ended behind */
			else if (t->tries == 0)
				due = t->last_ms + INTERVAL_MS;          /* nothing outstanding */
			else if (t->inflight != want)
				due = t->last_ms + INTERVAL_MS;          /* newer serial: coalesce */
			else if (t->tries < TRIES)
				due = t->last_ms + RETRY_MS;             /* no answer: retry */
			else
				continue;                                /* gave up until the next change */
			if (due <= now) {
				t->refetch = false;
				send_notify(n, t, want);
				due = now + (t->tries < TRIES ? RETRY_MS : 1000);
			}
			if (due - now < (uint64_t)wait)
				wait = (int)(due - now);
		}
		pthread_mutex_unlock(&n->mu);

		struct pollfd p[3] = { { .fd = n->fd4, .events = POLLIN }, { .fd = n->fd6, .events = POLLIN },
		                       { .fd = n->wake, .events = POLLIN } };
		int r = poll(p, 3, wait > 0 ? wait : 1);
		if (r > 0) {
			if (p[2].revents & POLLIN) {
				uint64_t v;
				ssize_t rd = read(n->wake, &v, sizeof(v));
				(void)rd;
			}
			if (p[0].revents & POLLIN)
				receive(n, n->fd4);
			if (p[1].revents & POLLIN)
				receive(n, n->fd6);
		}
	}
	return NULL;
}

static const target_t *find_target(const notifier_t *n, size_t zone, const conf_addr_t *a)
{
	for (size_t i = 0; i < n->nt; i++)
		if (n->t[i].zone == zone && n->t[i].addr.len == a->len &&
		    memcmp(&n->t[i].addr.ss, &a->ss, a->len) == 0)
			return &n->t[i];
	return NULL;
}

/*
 * Makes conf's notify lists the targets: a secondary already known keeps
 * what it confirmed, a new one hears of its zone at once, one no longer
 * listed is forgotten.
 */
static int set_targets(notifier_t *n, const conf_t *conf)
{
	size_t nt = 0;
	for (size_t z = 0; z < conf->zone_count; z++)
		nt += conf->zones[z].notify.n;
	target_t *t = calloc(nt ? nt : 1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&n->mu);
	size_t k = 0;
	for (size_t z = 0; z < conf->zone_count; z++) {
		for (size_t i = 0; i < conf->zones[z].notify.n; i++, k++) {
			const conf_notify_entry_t *e = &conf->zones[z].notify.v[i];
			const target_t *old = find_target(n, z, &e->addr);
			t[k] = old ? *old : (target_t){ .zone = z, .addr = e->addr };
			if (strcmp(t[k].key, e->key ? e->key : "") != 0) {
				snprintf(t[k].key, sizeof(t[k].key), "%s", e->key ? e->key : "");
				t[k].warned_key = t[k].warned_answer = false;
			}
		}
	}
	target_t *old = n->t;
	n->t = t;
	n->nt = nt;
	n->conf = conf;
	pthread_mutex_unlock(&n->mu);
	free(old);
	return 0;
}

int notify_new(const conf_t *conf, notifier_t **out)
{
	notifier_t *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->conf = conf;
	n->fd4 = n->fd6 = -1;
	n->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&n->mu, NULL);
	pthread_cond_init(&n->cv, NULL);
	size_t zc = conf->zone_count ? conf->zone_count : 1;
	n->serial = calloc(zc, sizeof(*n->serial));
	n->known = calloc(zc, sizeof(*n->known));
	n->apex = calloc(zc, sizeof(*n->apex));
	n->apex_len = calloc(zc, sizeof(*n->apex_len));
	if (!n->serial || !n->known || !n->apex || !n->apex_len ||
	    set_targets(n, conf) != 0) {
		notify_free(n);
		return -ENOMEM;
	}
	for (size_t z = 0; z < conf->zone_count; z++) {
		int l = name_to_wire(conf->zones[z].name, n->apex[z]);
		n->apex_len[z] = l > 0 ? (size_t)l - 1 : 0; /* the root label is added when sending */
	}
	n->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	n->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->nt > 0) {
		if (pthread_create(&n->thread, NULL, run, n) != 0) {
			notify_free(n);
			return -EAGAIN;
		}
		n->running = true;
	}
	*out = n;
	return 0;
}

void notify_free(notifier_t *n)
{
	if (n == NULL)
		return;
	pthread_mutex_lock(&n->mu);
	n->stopping = true;
	pthread_mutex_unlock(&n->mu);
	if (n->wake >= 0) {
		uint64_t one = 1;
		ssize_t w = write(n->wake, &one, sizeof(one));
		(void)w;
	}
	if (n->running)
		pthread_join(n->thread, NULL);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->fd6 >= 0)
		close(n->fd6);
	if (n->wake >= 0)
		close(n->wake);
	db_close(n->db);
	free(n->t);
	free(n->serial);
	free(n->known);
	free(n->apex);
	free(n->apex_len);
	free(n);
}

void notify_changed(notifier_t *n, size_t zone, uint32_t serial)
{
	if (n == NULL || zone >= n->conf->zone_count)
		return;
	pthread_mutex_lock(&n->mu);
	n->serial[zone] = serial;
	n->known[zone] = true;
	bool wake = n->nt > 0;
	pthread_mutex_unlock(&n->mu);
	if (wake) {
		uint64_t one = 1;
		ssize_t w = write(n->wake, &one, sizeof(one));
		(void)w;
	}
}

void notify_transferred(notifier_t *n, const char *zone, const struct sockaddr_storage *peer,
                        uint32_t serial)
{
	if (n == NULL)
		return;
	const uint8_t *pip, *tip;
	size_t plen = net_ip(peer, &pip);
	bool wake = false;
	pthread_mutex_lock(&n->mu);
	for (size_t i = 0; i < n->nt; i++) {
		target_t *t = &n->t[i];
		if (strcmp(n->conf->zones[t->zone].name, zone) != 0 || n->serial[t->zone] == serial)
			continue;
		if (plen > 0 && net_ip(&t->addr.ss, &tip) == plen && memcmp(pip, tip, plen) == 0)
			wake = t->refetch = true;
	}
	pthread_mutex_unlock(&n->mu);
	if (wake) {
		uint64_t one = 1;
		ssize_t w = write(n->wake, &one, sizeof(one));
		(void)w;
	}
}

int notify_set_conf(notifier_t *n, const conf_t *conf)
{
	if (conf->zone_count != n->conf->zone_count)
		return -EINVAL;
	int ret = set_targets(n, conf);
	if (ret != 0)
		return ret;
	if (!n->running && n->nt > 0) {
		if (pthread_create(&n->thread, NULL, run, n) != 0)
			return -EAGAIN;
		n->running = true;
	}
	uint64_t one = 1;
	ssize_t w = write(n->wake, &one, sizeof(one));
	(void)w;
	return 0;
}

void notify_counts(notifier_t *n, uint64_t *sent, uint64_t *acked)
{
	*sent = n ? atomic_load(&n->sent) : 0;
	*acked = n ? atomic_load(&n->acked) : 0;
}

size_t notify_targets(notifier_t *n, notify_target_t *out, size_t max)
{
	if (n == NULL)
		return 0;
	pthread_mutex_lock(&n->mu);
	size_t total = n->nt, k = total < max ? total : max;
	for (size_t i = 0; i < k; i++) {
		const target_t *t = &n->t[i];
		out[i] = (notify_target_t){ .zone = t->zone, .addr = t->addr, .answered = t->acked_any,
		                            .answered_serial = t->acked, .pending_serial = t->inflight,
		                            .tries = t->tries, .last_sent = t->last_unix };
		memcpy(out[i].key, t->key, sizeof(out[i].key));
		out[i].refused = t->refused;
	}
	pthread_mutex_unlock(&n->mu);
	return total;
}
