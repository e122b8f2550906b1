/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The outbox thread; see outbox.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <sodium.h>

#include "abuse/desk.h"
#include "abuse/outbox.h"
#include "upd/ops.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/strbuf.h"
#include "store/abuse.h"

#define POLL_MS 1000
#define TICK_MS 5000
#define BATCH 8
#define BACKOFF_MAX 3600
#define CONNECT_TIMEOUT 5
#define ATTEMPT_TIMEOUT 20

struct outbox {
	const conf_t *conf;
	writer_t *writer;
	db_t *db;                    /* read-only */
	CURL *curl;                  /* kept between attempts: connections are reused */
	db_outbox_t *batch;          /* BATCH messages being delivered */
	size_t n;
	char from[256];              /* envelope sender */
	char from_hdr[300];          /* From: */
	char domain[256];            /* for Message-IDs */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread, clock;
	bool running, clock_running;
	bool stopping;               /* under mu, for the wait */
	atomic_bool stop;            /* read by curl's progress callback */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t outbox_backoff(int attempts)
{
	if (attempts < 1)
		attempts = 1;
	if (attempts > 13)
		return BACKOFF_MAX;
	int64_t d = (int64_t)1 << (attempts - 1);
	return d < BACKOFF_MAX ? d : BACKOFF_MAX;
}

int op_outbox_mark(wctx_t *w, wreq_t *r)
{
	const op_outbox_mark_t *a = r->args;
	for (size_t i = 0; i < a->n; i++) {
		const outbox_result_t *m = &a->v[i];
		int ret = db_outbox_mark(wctx_db(w), m->id, m->delivered, wctx_now(w), m->next_try,
		                         m->delivered ? "" : m->error);
		if (ret != 0) {
			snprintf(r->msg, sizeof(r->msg), "cannot record the delivery of message %lld",
			         (long long)m->id);
			return ret;
		}
	}
	return 0;
}

/* ---- composing ---- */

static bool ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* The Subject header's value: as it is when ASCII, otherwise RFC 2047
 * encoded words of at most 45 bytes each, never splitting a character. */
static void add_subject(strbuf_t *b, const char *s)
{
	if (ascii(s)) {
		sb_adds(b, s);
		return;
	}
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		size_t n = len - i < 45 ? len - i : 45;
		while (i + n < len && n > 1 && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		char enc[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)s + i, n,
		                  sodium_base64_VARIANT_ORIGINAL);
		sb_printf(b, "%s=?utf-8?B?%s?=", i ? "\r\n " : "", enc);
		i += n;
	}
}

/* An RFC 5322 message: headers, then the body with CRLF line ends. */
static int compose(outbox_t *o, const db_outbox_t *m, strbuf_t *b)
{
	char date[64];
	time_t t = (time_t)m->created;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	sb_printf(b, "From: %s\r\nTo: <%s>\r\nSubject: ", o->from_hdr, m->rcpt);
	add_subject(b, m->subject);
	sb_printf(b, "\r\nDate: %s\r\nMessage-ID: <outbox.%lld.%lld@%s>\r\n", date,
	          (long long)m->id, (long long)m->created, o->domain);
	sb_adds(b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n");
	sb_printf(b, "Content-Transfer-Encoding: %s\r\n", ascii(m->body) ? "7bit" : "8bit");
	sb_adds(b, "Auto-Submitted: auto-generated\r\n\r\n");
	for (const char *p = m->body; *p;) {
		size_t n = strcspn(p, "\r\n");
		sb_add(b, p, n);
		sb_adds(b, "\r\n");
		p += n;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
	return b->failed ? -ENOMEM : 0;
}

/* ---- delivering ---- */

typedef struct {
	const char *p;
	size_t left;
} reader_t;

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ctx)
{
	reader_t *r = ctx;
	size_t n = size * nmemb < r->left ? size * nmemb : r->left;
	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

static size_t discard_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
	return size * nmemb;
}

static int progress_cb(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	outbox_t *o = ctx;
	return atomic_load(&o->stop) ? 1 : 0;
}

static void common_opts(outbox_t *o, CURL *h, char *errbuf)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)ATTEMPT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, o);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
}

static void curl_error(CURLcode rc, const char *errbuf, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static int send_email(outbox_t *o, const db_outbox_t *m, char *err, size_t errlen)
{
	if (o->conf->smtp_relay[0] == '\0') {
		snprintf(err, errlen, "no smtp-relay is configured");
		return -ENOTCONN;
	}
	strbuf_t msg = { 0 };
	if (compose(o, m, &msg) != 0) {
		free(msg.p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	char url[300], from[300], to[1100], errbuf[CURL_ERROR_SIZE];
	/* "host:port" alone would be taken for HTTP. */
	snprintf(url, sizeof(url), "%s%s", strstr(o->conf->smtp_relay, "://") ? "" : "smtp://",
	         o->conf->smtp_relay);
	snprintf(from, sizeof(from), "<%s>", o->from);
	snprintf(to, sizeof(to), "<%s>", m->rcpt);
	struct curl_slist *rcpt = curl_slist_append(NULL, to);
	reader_t rd = { msg.p, msg.len };
	CURL *h = o->curl;
	curl_easy_reset(h);
	common_opts(o, h, errbuf);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	CURLcode rc = rcpt ? curl_easy_perform(h) : CURLE_OUT_OF_MEMORY;
	int ret = 0;
	if (rc != CURLE_OK) {
		curl_error(rc, errbuf, err, errlen);
		ret = -EIO;
	}
	curl_slist_free_all(rcpt);
	free(msg.p);
	return ret;
}

static int send_webhook(outbox_t *o, const db_outbox_t *m, char *err, size_t errlen)
{
	char errbuf[CURL_ERROR_SIZE], ua[64];
	snprintf(ua, sizeof(ua), "ddnsd/%s", DDNSD_VERSION);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	CURL *h = o->curl;
	curl_easy_reset(h);
	common_opts(o, h, errbuf);
	curl_easy_setopt(h, CURLOPT_URL, m->rcpt);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, m->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(m->body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	CURLcode rc = hdr ? curl_easy_perform(h) : CURLE_OUT_OF_MEMORY;
	int ret = 0;
	long status = 0;
	if (rc != CURLE_OK) {
		curl_error(rc, errbuf, err, errlen);
		ret = -EIO;
	} else if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), status < 200 || status > 299) {
		snprintf(err, errlen, "the webhook answered HTTP %ld", status);
		ret = -EIO;
	}
	curl_slist_free_all(hdr);
	return ret;
}

static int deliver(outbox_t *o, const db_outbox_t *m, char *err, size_t errlen)
{
	if (strcmp(m->kind, "email") == 0)
		return send_email(o, m, err, errlen);
	if (strcmp(m->kind, "webhook") == 0)
		return send_webhook(o, m, err, errlen);
	snprintf(err, errlen, "unknown kind of message '%s'", m->kind);
	return -EINVAL;
}

/* The recipient for the log: a webhook's URL often holds a secret. */
static const char *who(const db_outbox_t *m)
{
	return strcmp(m->kind, "email") == 0 ? m->rcpt : "the notification webhook";
}

static int collect(const db_outbox_t *m, void *ctx)
{
	outbox_t *o = ctx;
	o->batch[o->n++] = *m;
	return 0;
}

/* Delivers one batch of due messages; whether there may be more. */
static bool deliver_due(outbox_t *o)
{
	o->n = 0;
	int ret = db_outbox_foreach_due(o->db, (int64_t)time(NULL), BATCH, collect, o);
	if (ret != 0) {
		log_warn("outbox: cannot read the due messages: %s", db_errmsg(o->db));
		return false;
	}
	outbox_result_t res[BATCH];
	size_t done = 0;
	for (size_t i = 0; i < o->n && !atomic_load(&o->stop); i++, done++) {
		const db_outbox_t *m = &o->batch[i];
		outbox_result_t *r = &res[i];
		memset(r, 0, sizeof(*r));
		r->id = m->id;
		if (deliver(o, m, r->error, sizeof(r->error)) == 0) {
			r->delivered = true;
			log_info("outbox: delivered message %lld (%s to %s)", (long long)m->id, m->kind,
			         who(m));
			continue;
		}
		if (atomic_load(&o->stop))
			break; /* abandoned, not failed: tried again at the next start */
		int64_t wait = outbox_backoff(m->attempts + 1);
		r->next_try = (int64_t)time(NULL) + wait;
		log_warn("outbox: message %lld (%s to %s), attempt %d: %s; next try in %lld s",
		         (long long)m->id, m->kind, who(m), m->attempts + 1, r->error, (long long)wait);
	}
	if (done > 0) {
		op_outbox_mark_t a = { res, done };
		wreq_t req = { .op = op_outbox_mark, .args = &a };
		writer_call(o->writer, &req);
		if (req.status != 0)
			log_warn("outbox: %s: %s", req.msg[0] ? req.msg : "cannot record deliveries",
			         ddns_strerror(req.status));
		json_decref(req.result);
	}
	return o->n == BATCH && done == o->n;
}

static void tick(outbox_t *o)
{
	/* A job that answers "more" is called again, up to its rounds: each
	 * call is a request of its own, so updates queued meanwhile go
	 * between them. */
	static const struct {
		wop_fn op;
		const char *what;
		int rounds;
	} jobs[] = {
		{ op_abuse_tick, "abuse desk", 1 },
		{ op_accounts_tick, "accounts", 1 },
		{ op_history_tick, "history", 40 },
		{ op_records_tick, "old records", 40 },
	};
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		bool more = true;
		for (int round = 0; more && round < jobs[i].rounds && !atomic_load(&o->stop); round++) {
			wreq_t req = { .op = jobs[i].op };
			writer_call(o->writer, &req);
			if (req.status != 0)
				log_warn("%s housekeeping failed: %s%s%s", jobs[i].what,
				         ddns_strerror(req.status), req.msg[0] ? ": " : "", req.msg);
			more = req.status == 0 && json_is_true(json_object_get(req.result, "more"));
			json_decref(req.result);
		}
	}
}

/* Sleeps ms unless asked to stop; whether to go on. */
static bool nap(outbox_t *o, unsigned ms)
{
	pthread_mutex_lock(&o->mu);
	if (!o->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (long)(ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&o->cv, &o->mu, &ts);
	}
	bool go_on = !o->stopping;
	pthread_mutex_unlock(&o->mu);
	return go_on;
}

static void *run(void *arg)
{
	outbox_t *o = arg;
	pthread_setname_np(pthread_self(), "ddnsd-outbox");
	do {
		while (!atomic_load(&o->stop) && deliver_due(o))
			;
	} while (nap(o, POLL_MS));
	return NULL;
}

/* The desk's clock has a thread of its own: an attempt to reach a relay
 * that does not answer may take ATTEMPT_TIMEOUT per message, and
 * provisional suspensions must still end on time meanwhile. */
static void *run_clock(void *arg)
{
	outbox_t *o = arg;
	pthread_setname_np(pthread_self(), "ddnsd-deskclock");
	uint64_t next = mono_ms() + TICK_MS;
	while (nap(o, POLL_MS)) {
		if (mono_ms() >= next) {
			tick(o);
			next = mono_ms() + TICK_MS;
		}
	}
	return NULL;
}

/* The envelope sender, From: and the Message-ID domain from mail-from
 * ("addr" or "Name <addr>"), or ddnsd@ the first zone. */
static void set_sender(outbox_t *o)
{
	const char *mf = o->conf->mail_from;
	const char *zone = o->conf->zone_count ? o->conf->zones[0].name : "localhost";
	const char *lt = strchr(mf, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && gt) {
		snprintf(o->from, sizeof(o->from), "%.*s", (int)(gt - lt - 1), lt + 1);
		snprintf(o->from_hdr, sizeof(o->from_hdr), "%s", mf);
	} else if (mf[0]) {
		snprintf(o->from, sizeof(o->from), "%s", mf);
		snprintf(o->from_hdr, sizeof(o->from_hdr), "<%s>", mf);
	} else {
		snprintf(o->from, sizeof(o->from), "ddnsd@%s", zone);
		snprintf(o->from_hdr, sizeof(o->from_hdr), "%s dynamic DNS <%s>", zone, o->from);
	}
	const char *at = strrchr(o->from, '@');
	snprintf(o->domain, sizeof(o->domain), "%s", at && at[1] ? at + 1 : zone);
}

int outbox_new(const conf_t *conf, writer_t *writer, outbox_t **out, char *err, size_t errlen)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -ENOMEM;
	}
	outbox_t *o = calloc(1, sizeof(*o));
	if (o == NULL) {
		curl_global_cleanup();
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o->conf = conf;
	o->writer = writer;
	pthread_mutex_init(&o->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&o->stop, false);
	set_sender(o);
	int ret = db_open(conf->database, 0, &o->db, err, errlen);
	if (ret != 0)
		goto fail;
	o->batch = calloc(BATCH, sizeof(*o->batch));
	o->curl = curl_easy_init();
	if (o->batch == NULL || o->curl == NULL) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto fail;
	}
	if (pthread_create(&o->thread, NULL, run, o) != 0) {
		snprintf(err, errlen, "cannot start the outbox thread");
		ret = -EAGAIN;
		goto fail;
	}
	o->running = true;
	if (pthread_create(&o->clock, NULL, run_clock, o) != 0) {
		snprintf(err, errlen, "cannot start the abuse desk's clock");
		ret = -EAGAIN;
		goto fail;
	}
	o->clock_running = true;
	*out = o;
	return 0;
fail:
	outbox_free(o);
	return ret;
}

void outbox_free(outbox_t *o)
{
	if (o == NULL)
		return;
	atomic_store(&o->stop, true);
	pthread_mutex_lock(&o->mu);
	o->stopping = true;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	if (o->running)
		pthread_join(o->thread, NULL);
	if (o->clock_running)
		pthread_join(o->clock, NULL);
	if (o->curl)
		curl_easy_cleanup(o->curl);
	db_close(o->db);
	free(o->batch);
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	free(o);
	curl_global_cleanup();
}
