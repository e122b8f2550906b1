/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Queuing messages to owners and reporters; see tell.h. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abuse/tell.h"
#include "lib/errors.h"
#include "store/abuse.h"

/* What an owner reads for each event: the subject's ending and the
 * paragraphs before and after the reason. %1$s in a text is the host. */
typedef struct {
	const char *event;
	const char *subject;       /* "Your host NAME <subject>" */
	const char *what;          /* what happened */
	const char *next;          /* what they can do now; NULL: nothing */
	bool appeal;               /* tell them how to appeal */
} owner_text_t;

static const owner_text_t owner_texts[] = {
	{ "suspended", "has been suspended",
	  "Your host %1$s has been suspended because of abuse. While it is\n"
	  "suspended its updates are refused and",
	  "If you think this is a mistake, or you have dealt with the problem,\n"
	  "you can appeal.", true },
	{ "confirmed", "stays suspended",
	  "An operator has reviewed the report about your host %1$s and\n"
	  "confirmed its suspension.",
	  "You can still appeal if you think this is wrong.", true },
	{ "resumed", "has been resumed",
	  "The suspension of your host %1$s has been lifted. It answers with its\n"
	  "records again and accepts updates.", NULL, false },
	{ "expired", "has been resumed",
	  "The provisional suspension of your host %1$s ran out without an\n"
	  "operator confirming it. The host answers with its records again and\n"
	  "accepts updates.", NULL, false },
	{ "report-rejected", "was reported; no action needed",
	  "A report about your host %1$s has been reviewed and needs no action.\n"
	  "If the host was suspended provisionally because of it, that\n"
	  "suspension has been lifted.", NULL, false },
	{ "appeal-received", "- appeal received",
	  "We have received your appeal about the suspension of your host %1$s.\n"
	  "An operator will review it and you will hear from us again.", NULL, false },
	{ "appeal-granted", "- appeal granted",
	  "Your appeal about the suspension of your host %1$s was granted. The\n"
	  "suspension has been lifted: the host answers with its records again\n"
	  "and accepts updates.", NULL, false },
	{ "appeal-denied", "- appeal denied",
	  "Your appeal about the suspension of your host %1$s was reviewed and\n"
	  "denied. The host stays suspended.", NULL, false },
};

/* A report's status as its reporter reads it. */
static const struct {
	const char *status;
	const char *text;
} report_texts[] = {
	{ "open", "It has been received and waits for an operator." },
	{ "suspended", "The host has been suspended provisionally while an operator reviews\nthe report." },
	{ "confirmed", "An operator has reviewed it and suspended the host." },
	{ "rejected", "An operator has reviewed it and found nothing to act on." },
	{ "expired", "The provisional suspension of the host ended without an operator\nconfirming it; the host is active again." },
	{ "appealed", "The host's owner has appealed; an operator will review the case again." },
	{ "reversed", "The suspension was reversed on appeal; the host is active again." },
};

/* A text being built in a fixed buffer; overflow is sticky and
 * truncates (the texts are far below the outbox's limits). */
typedef struct {
	char *buf;
	size_t len, used;
	bool full;
} text_t;

static void put(text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text_t *t, const char *fmt, ...)
{
	if (t->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->len - t->used) {
		t->full = true;
		t->used = t->len - 1;
	} else {
		t->used += (size_t)n;
	}
}

static bool empty(const char *s)
{
	return s == NULL || *s == '\0';
}

bool tell_is_address(const char *s)
{
	if (s == NULL)
		return false;
	const char *at = strchr(s, '@');
	if (at == NULL || at == s || strchr(at + 1, '@') != NULL || strlen(s) > 254)
		return false;
	const char *dot = strchr(at + 1, '.');
	if (dot == NULL || dot == at + 1 || dot[1] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("<>()[]\\,;:\"", *p) != NULL)
			return false;
	return true;
}

/* The configured zone host is in, or NULL. */
static const conf_zone_t *zone_of(const conf_t *c, const char *host)
{
	const conf_zone_t *best = NULL;
	size_t best_len = 0, hl = host ? strlen(host) : 0;
	for (size_t i = 0; i < c->zone_count; i++) {
		size_t zl = strlen(c->zones[i].name);
		if (zl > best_len && zl <= hl && strcasecmp(host + hl - zl, c->zones[i].name) == 0 &&
		    (zl == hl || host[hl - zl - 1] == '.')) {
			best = &c->zones[i];
			best_len = zl;
		}
	}
	return best;
}

/* The service as people know it: the zone host is in, else the first. */
static const char *service(const conf_t *c, const char *host)
{
	const conf_zone_t *z = zone_of(c, host);
	return z ? z->name : c->zone_count ? c->zones[0].name : "ddnsd";
}

static void utc(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Queues the webhook event, if a webhook is configured. */
static int hook(wctx_t *w, const char *event, const char *host, const char *user,
                const char *reason, const char *ref)
{
	const conf_t *c = wctx_conf(w);
	if (empty(c->notification_webhook))
		return 0;
	json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:I}", "event", event, "host", host,
	                      "user", empty(user) ? NULL : user, "reason", empty(reason) ? NULL : reason,
	                      "report", empty(ref) ? NULL : ref, "time", (json_int_t)wctx_now(w));
	char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (body == NULL)
		return -ENOMEM;
	char subject[300];
	snprintf(subject, sizeof(subject), "%s %s", event, host);
	int ret = db_outbox_add(wctx_db(w), "webhook", c->notification_webhook, subject, body,
	                        wctx_now(w));
	free(body);
	return ret;
}

int tell_owner(wctx_t *w, const db_host_t *h, const char *event, const char *reason,
               const char *ref)
{
	const conf_t *c = wctx_conf(w);
	bool mail = !empty(c->smtp_relay), web = !empty(c->notification_webhook);
	if (!mail && !web)
		return 0;
	db_user_t u;
	memset(&u, 0, sizeof(u));
	int ret = db_user_get_id(wctx_db(w), h->user, &u);
	if (ret != 0 && ret != DDNS_ENOENT)
		return ret;
	if ((ret = hook(w, event, h->name, u.name, reason, ref)) != 0)
		return ret;
	if (!mail || !tell_is_address(u.email))
		return 0;

	const owner_text_t *ot = NULL;
	for (size_t i = 0; i < sizeof(owner_texts) / sizeof(owner_texts[0]); i++)
		if (strcmp(owner_texts[i].event, event) == 0)
			ot = &owner_texts[i];
	const char *svc = service(c, h->name);
	char subject[DB_NAME_MAX + 128], when[64];
	if (ot)
		snprintf(subject, sizeof(subject), "[%s] Your host %s %s", svc, h->name, ot->subject);
	else
		snprintf(subject, sizeof(subject), "[%s] Your host %s: %s", svc, h->name, event);
	utc(wctx_now(w), when, sizeof(when));

	char body[sizeof(((db_outbox_t *)0)->body)];
	text_t t = { body, sizeof(body), 0, false };
	put(&t, "Hello %s,\n\n", u.name);
	if (ot) {
		put(&t, ot->what, h->name);
		if (strcmp(ot->event, "suspended") == 0) {
			/* What the world sees now depends on the zone's setting. */
			const conf_zone_t *z = zone_of(c, h->name);
			put(&t, z && z->suspended.mode == SUSPEND_SINKHOLE ?
			        " it points to a holding\naddress instead of yours." :
			        " it does not resolve:\nDNS answers that the name does not exist.");
		}
		put(&t, "\n");
	} else {
		put(&t, "Something happened to your host %s: %s.\n", h->name, event);
	}
	put(&t, "\nHost:   %s\nWhen:   %s\n", h->name, when);
	if (!empty(reason))
		put(&t, "Reason: %s\n", reason);
	if (!empty(ref))
		put(&t, "Report: %s\n", ref);
	if (ot && ot->next)
		put(&t, "\n%s\n", ot->next);
	if (ot && ot->appeal) {
		put(&t, "\nTo appeal, send your explanation to the service's API, signed in\n"
		        "with your account:\n\n    POST /api/v1/hosts/%s/appeal\n", h->name);
		if (!empty(ref))
			put(&t, "\nPlease mention the report %s.\n", ref);
	}
	if (!empty(c->abuse_contact))
		put(&t, "\nQuestions: %s\n", c->abuse_contact);
	put(&t, "\n-- \n%s dynamic DNS\nThis message was sent automatically to the owner of %s.\n",
	    svc, h->name);
	return db_outbox_add(wctx_db(w), "email", u.email, subject, body, wctx_now(w));
}

int tell_reporter(wctx_t *w, const char *contact, const char *ref, const char *host,
                  const char *status, const char *outcome)
{
	const conf_t *c = wctx_conf(w);
	bool mail = !empty(c->smtp_relay);
	char event[64];
	snprintf(event, sizeof(event), "report-%s", status);
	int ret = hook(w, event, host, NULL, outcome, ref);
	if (ret != 0 || !mail || !tell_is_address(contact))
		return ret;

	const char *st = NULL;
	for (size_t i = 0; i < sizeof(report_texts) / sizeof(report_texts[0]); i++)
		if (strcmp(report_texts[i].status, status) == 0)
			st = report_texts[i].text;
	const char *svc = service(c, host);
	char subject[DB_NAME_MAX + 128], when[64];
	snprintf(subject, sizeof(subject), "[%s] Your abuse report %s about %s: %s", svc,
	         empty(ref) ? "-" : ref, host, status);
	utc(wctx_now(w), when, sizeof(when));

	char body[sizeof(((db_outbox_t *)0)->body)];
	text_t t = { body, sizeof(body), 0, false };
	put(&t, "Hello,\n\nthank you for your report about %s.\n\n", host);
	if (st)
		put(&t, "%s\n", st);
	else
		put(&t, "Its status is now: %s.\n", status);
	put(&t, "\nReport: %s\nHost:   %s\nStatus: %s\nWhen:   %s\n", empty(ref) ? "-" : ref, host,
	    status, when);
	if (!empty(outcome))
		put(&t, "Note:   %s\n", outcome);
	if (!empty(c->abuse_contact))
		put(&t, "\nQuestions: %s\n", c->abuse_contact);
	put(&t, "\n-- \n%s dynamic DNS\nYou get this message because you gave this address "
	        "with your report.\n", svc);
	return db_outbox_add(wctx_db(w), "email", contact, subject, body, wctx_now(w));
}
