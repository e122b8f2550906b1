/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Configuration schema and parser; see conf.h. inih splits the file into
 * (section, key, value); everything else is the schema table below. Line
 * numbers come from our own line reader, because Debian's inih is built
 * without INI_HANDLER_LINENO.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/errors.h"
#include "lib/name.h"

enum key_type {
	T_STR, T_UINT, T_ADDRS, T_STRS, T_NAMES, T_GLUE, T_ACL, T_SUSPEND, T_NAME,
	T_NOTIFY,  /* "ADDRESS:PORT [key:NAME]", comma-separated */
	T_DUR,     /* seconds: "90", "15m", "72h", "30d", "2w" */
	T_BOOL,    /* yes/no, true/false, on/off, 1/0 */
	T_WORD,    /* one of the words in `words` */
	T_URL,     /* empty, or an http:// or https:// URL */
};

enum key_sect { S_SERVER, S_ZONE };

typedef struct {
	enum key_sect sect;
	const char *name;
	enum key_type type;
	unsigned long min, max;
	const char *def;           /* default as it would be written; NULL: none */
	size_t off;                /* where it goes in conf_t or conf_zone_t */
} key_t_;

#ifndef DDNSD_WEBDIR
#define DDNSD_WEBDIR ""
#endif

#define SRV(f) offsetof(conf_t, f)
#define ZN(f)  offsetof(conf_zone_t, f)

static const key_t_ schema[] = {
	{ S_SERVER, "dns-listen",       T_ADDRS, 0, 0, "127.0.0.1:53", SRV(dns_listen) },
	{ S_SERVER, "http-listen",      T_ADDRS, 0, 0, "", SRV(http_listen) },
	{ S_SERVER, "database",         T_STR,   1, PATH_MAX, "ddnsd.db", SRV(database) },
	{ S_SERVER, "control-socket",   T_STR,   1, 107, "ddnsd.sock", SRV(control_socket) },
	{ S_SERVER, "workers",          T_UINT,  0, 256, "0", SRV(workers) },
	{ S_SERVER, "identity",         T_STR,   0, 255, "", SRV(identity) },
	{ S_SERVER, "version",          T_STR,   0, 255, "", SRV(version) },
	{ S_SERVER, "tcp-max-clients",  T_UINT,  1, 1000000, "1000", SRV(tcp_max_clients) },
	{ S_SERVER, "tcp-idle-timeout", T_UINT,  1, 3600, "10", SRV(tcp_idle_timeout) },
	{ S_SERVER, "tcp-msg-timeout",  T_UINT,  10, 60000, "2000", SRV(tcp_msg_timeout) },
	{ S_SERVER, "udp-buffer",       T_UINT,  65536, 1U << 30, "8388608", SRV(udp_buffer) },
	{ S_SERVER, "reserved",         T_NAMES, 0, 0, "", SRV(reserved) },
	{ S_SERVER, "http-threads",     T_UINT,  1, 64, "2", SRV(http_threads) },
	{ S_SERVER, "auth-threads",     T_UINT,  1, 64, "2", SRV(auth_threads) },
	{ S_SERVER, "trusted-proxies",  T_ACL,   0, 0, "", SRV(trusted_proxies) },
	{ S_SERVER, "metrics-allow",    T_ACL,   0, 0, "127.0.0.1, ::1", SRV(metrics_allow) },
	{ S_SERVER, "https-listen",     T_ADDRS, 0, 0, "", SRV(https_listen) },
	{ S_SERVER, "tls-certificate",  T_STR,   0, PATH_MAX, "", SRV(tls_certificate) },
	{ S_SERVER, "tls-key",          T_STR,   0, PATH_MAX, "", SRV(tls_key) },
	{ S_SERVER, "access-log",       T_STR,   0, PATH_MAX, "", SRV(access_log) },
	{ S_SERVER, "http-conns-per-ip", T_UINT, 1, 1000000, "256", SRV(http_conns_per_ip) },
	{ S_SERVER, "http-timeout",     T_UINT,  1, 3600, "10", SRV(http_timeout) },
	{ S_SERVER, "journal-max",      T_UINT,  1, 100000000, "100000", SRV(journal_max) },
	{ S_SERVER, "history-keep",     T_DUR,   0, 10 * 365 * 86400, "90d", SRV(history_keep) },
	{ S_SERVER, "outbox-keep",      T_DUR,   0, 10 * 365 * 86400, "30d", SRV(outbox_keep) },
	{ S_SERVER, "history-max",      T_UINT,  0, 100000000, "1000", SRV(history_max) },
	{ S_SERVER, "wal-limit",        T_UINT,  1, 65536, "256", SRV(wal_limit) },
	{ S_SERVER, "default-max-hosts", T_UINT, 0, 1000000, "5", SRV(default_max_hosts) },
	/* the abuse desk (docs/abuse.md) */
	{ S_SERVER, "abuse-contact",    T_STR,   0, 255, "", SRV(abuse_contact) },
	{ S_SERVER, "abuse-response-time", T_DUR, 60, 30 * 86400, "24h", SRV(abuse_response_time) },
	{ S_SERVER, "abuse-provisional", T_DUR,  1, 365 * 86400, "72h", SRV(abuse_provisional) },
	{ S_SERVER, "abuse-reports-per-hour", T_UINT, 1, 1000000, "10", SRV(abuse_reports_per_hour) },
	{ S_SERVER, "abuse-blocklist",  T_STR,   0, PATH_MAX, "", SRV(abuse_blocklist) },
	{ S_SERVER, "abuse-same-address", T_UINT, 0, 1000000, "10", SRV(abuse_same_address) },
	{ S_SERVER, "abuse-signups",    T_UINT,  0, 1000000, "5", SRV(abuse_signups) },
	{ S_SERVER, "abuse-window",     T_DUR,   60, 7 * 86400, "10m", SRV(abuse_window) },
	{ S_SERVER, "abuse-auto-suspend", T_BOOL, 0, 0, "no", SRV(abuse_auto_suspend) },
	{ S_SERVER, "brand-words",      T_NAMES, 0, 0, "", SRV(brand_words) },
	{ S_SERVER, "hold-deleted",     T_DUR,   0, 10 * 365 * 86400, "30d", SRV(hold_deleted) },
	{ S_SERVER, "hold-suspended",   T_DUR,   0, 10 * 365 * 86400, "365d", SRV(hold_suspended) },
	/* notifications to owners and reporters */
	{ S_SERVER, "smtp-relay",       T_STR,   0, 255, "", SRV(smtp_relay) },
	{ S_SERVER, "mail-from",        T_STR,   0, 255, "", SRV(mail_from) },
	{ S_SERVER, "notification-webhook", T_STR, 0, 1024, "", SRV(notification_webhook) },
	/* the dashboard: the source tree's web/ unless told otherwise */
	{ S_SERVER, "web-root",         T_STR,   0, PATH_MAX, DDNSD_WEBDIR, SRV(web_root) },
	/* accounts of the web dashboard (docs/api.md) */
	{ S_SERVER, "signup",           T_WORD,  0, 0, "closed", SRV(signup) },
	{ S_SERVER, "public-url",       T_URL,   0, 255, "", SRV(public_url) },
	{ S_SERVER, "session-lifetime", T_DUR,   1, 365 * 86400, "7d", SRV(session_lifetime) },
	{ S_SERVER, "session-idle",     T_DUR,   1, 365 * 86400, "1d", SRV(session_idle) },
	{ S_SERVER, "unconfirmed-expire", T_DUR, 1, 365 * 86400, "7d", SRV(unconfirmed_expire) },

	{ S_ZONE, "ns",             T_NAMES,   0, 0, NULL, ZN(ns) },
	{ S_ZONE, "glue",           T_GLUE,    0, 0, "", ZN(glue) },
	{ S_ZONE, "soa-rname",      T_NAME,    0, 0, NULL, ZN(soa_rname) },
	{ S_ZONE, "ttl",            T_UINT,    0, 604800, "60", ZN(ttl) },
	{ S_ZONE, "soa-ttl",        T_UINT,    0, 604800, "3600", ZN(soa_ttl) },
	{ S_ZONE, "soa-refresh",    T_UINT,    1, 2147483647, "3600", ZN(soa_refresh) },
	{ S_ZONE, "soa-retry",      T_UINT,    1, 2147483647, "600", ZN(soa_retry) },
	{ S_ZONE, "soa-expire",     T_UINT,    1, 2147483647, "1209600", ZN(soa_expire) },
	{ S_ZONE, "soa-minimum",    T_UINT,    0, 86400, "60", ZN(soa_minimum) },
	{ S_ZONE, "notify",         T_NOTIFY,  0, 0, "", ZN(notify) },
	{ S_ZONE, "allow-transfer", T_ACL,     0, 0, "", ZN(allow_transfer) },
	{ S_ZONE, "suspended",      T_SUSPEND, 0, 0, "nxdomain", ZN(suspended) },
	{ S_ZONE, "ttl-min",        T_UINT,    1, 86400, "30", ZN(ttl_min) },
	{ S_ZONE, "ttl-max",        T_UINT,    1, 86400, "86400", ZN(ttl_max) },
};
#define SCHEMA_LEN (sizeof(schema) / sizeof(schema[0]))

/* The values a T_WORD key accepts, space-separated. */
static const struct {
	const char *key;
	const char *words;
} word_keys[] = {
	{ "signup", "open invite closed" },
};

static const char *words_of(const key_t_ *k)
{
	for (size_t i = 0; i < sizeof(word_keys) / sizeof(word_keys[0]); i++)
		if (strcmp(word_keys[i].key, k->name) == 0)
			return word_keys[i].words;
	return "";
}

typedef struct {
	conf_t *conf;
	const char *file;
	FILE *fp;
	const char *text;          /* string input instead of fp */
	size_t text_pos;
	int line;
	enum key_sect sect;
	conf_zone_t *zone;         /* current [zone] section */
	bool bad_section;
	unsigned char *seen;       /* per schema row, for the current section */
	char *err;
	size_t errlen;
	int err_line;
} parser_t;

static void perr(parser_t *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(parser_t *p, int line, const char *fmt, ...)
{
	if (p->err_line != 0)
		return; /* keep the first error */
	p->err_line = line ? line : -1;
	int n = line > 0 ? snprintf(p->err, p->errlen, "%s:%d: ", p->file, line)
	                 : snprintf(p->err, p->errlen, "%s: ", p->file);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - n, fmt, ap);
	va_end(ap);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int conf_parse_addr(const char *s, conf_addr_t *a)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port;
	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, end - s - 1);
		host[end - s - 1] = '\0';
		port = end + 2;
	} else {
		const char *c = strrchr(s, ':');
		if (c == NULL || (size_t)(c - s) >= sizeof(host) || memchr(s, ':', c - s))
			return -EINVAL;
		memcpy(host, s, c - s);
		host[c - s] = '\0';
		port = c + 1;
	}
	char *end;
	errno = 0;
	unsigned long pn = strtoul(port, &end, 10);
	if (*port == '\0' || *end != '\0' || errno != 0 || pn > 65535 || !isdigit((unsigned char)*port))
		return -EINVAL;

	struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(pn);
		a->len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(pn);
		a->len = sizeof(*v6);
	} else {
		return -EINVAL;
	}
	return 0;
}

const char *conf_addr_str(const conf_addr_t *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const void *)&a->ss;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(v6->sin6_port));
	} else {
		const struct sockaddr_in *v4 = (const void *)&a->ss;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(v4->sin_port));
	}
	return buf;
}

/* Splits a comma-separated list in place; calls fn for every non-empty item. */
static int split_list(parser_t *p, char *val, int (*fn)(parser_t *, const key_t_ *, void *, char *),
                      const key_t_ *k, void *dst)
{
	char *save = NULL;
	for (char *it = strtok_r(val, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		it = trim(it);
		if (*it == '\0')
			continue;
		int ret = fn(p, k, dst, it);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* A new last element of the array *vp of *n elements of size bytes. */
static void *push_slot(void *vp, size_t *n, size_t size)
{
	void **v = vp;
	char *nv = realloc(*v, (*n + 1) * size);
	if (nv == NULL)
		return NULL;
	*v = nv;
	return nv + (*n)++ * size;
}

static int add_addr(parser_t *p, const key_t_ *k, void *dst, char *it)
{
	conf_addrs_t *l = dst;
	conf_addr_t a;
	if (conf_parse_addr(it, &a) != 0) {
		perr(p, p->line, "%s: '%s' is not an address with port (like 127.0.0.1:53 or [::1]:53)",
		     k->name, it);
		return -1;
	}
	conf_addr_t *slot = push_slot(&l->v, &l->n, sizeof(*l->v));
	if (slot == NULL)
		return -1;
	*slot = a;
	return 0;
}

static void notify_free(conf_notify_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].key);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int push_str(conf_strs_t *l, const char *s)
{
	char *d = strdup(s);
	char **slot = d ? push_slot(&l->v, &l->n, sizeof(*l->v)) : NULL;
	if (slot == NULL) {
		free(d);
		return -1;
	}
	*slot = d;
	return 0;
}

/* Normalises a domain name in place: lower case, no final dot. */
static int check_name(parser_t *p, const key_t_ *k, char *s)
{
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	if (name_check_text(s) != 0) {
		perr(p, p->line, "%s: '%s' is not a valid domain name", k->name, s);
		return -1;
	}
	for (char *c = s; *c; c++)
		*c = tolower((unsigned char)*c);
	return 0;
}

static int add_name(parser_t *p, const key_t_ *k, void *dst, char *it)
{
	if (check_name(p, k, it) != 0)
		return -1;
	return push_str(dst, it);
}

static int add_glue(parser_t *p, const key_t_ *k, void *dst, char *it)
{
	char name[CONF_NAME_MAX + 2], addr[INET6_ADDRSTRLEN + 1], extra;
	uint8_t buf[16];
	if (sscanf(it, "%256s %46s %c", name, addr, &extra) != 2) {
		perr(p, p->line, "glue: expected 'NAME ADDRESS', got '%s'", it);
		return -1;
	}
	if (check_name(p, k, name) != 0)
		return -1;
	if (inet_pton(AF_INET, addr, buf) != 1 && inet_pton(AF_INET6, addr, buf) != 1) {
		perr(p, p->line, "glue: '%s' is not an IPv4 or IPv6 address", addr);
		return -1;
	}
	char pair[sizeof(name) + sizeof(addr) + 1];
	snprintf(pair, sizeof(pair), "%s %s", name, addr);
	return push_str(dst, pair);
}

/* The NAME of "key:NAME" (text without "key:"), checked and lower-cased,
 * as a new string; NULL after an error. */
static char *key_name(parser_t *p, const key_t_ *k, char *text)
{
	char *kn = trim(text);
	return check_name(p, k, kn) == 0 ? strdup(kn) : NULL;
}

static int add_acl(parser_t *p, const key_t_ *k, void *dst, char *it)
{
	conf_acl_t *l = dst;
	conf_acl_entry_t e = { 0 };
	if (strncmp(it, "key:", 4) == 0) {
		e.is_key = true;
		if ((e.key = key_name(p, k, it + 4)) == NULL)
			return -1;
	} else {
		char *slash = strchr(it, '/');
		long prefix = -1;
		if (slash) {
			char *end;
			*slash = '\0';
			prefix = strtol(slash + 1, &end, 10);
			if (*end != '\0' || slash[1] == '\0' || prefix < 0) {
				perr(p, p->line, "%s: bad prefix length in '%s/%s'", k->name, it, slash + 1);
				return -1;
			}
		}
		struct sockaddr_in *v4 = (void *)&e.net;
		struct sockaddr_in6 *v6 = (void *)&e.net;
		if (inet_pton(AF_INET, it, &v4->sin_addr) == 1) {
			v4->sin_family = AF_INET;
			e.prefix = prefix < 0 ? 32 : (unsigned)prefix;
			if (e.prefix > 32)
				goto bad;
		} else if (inet_pton(AF_INET6, it, &v6->sin6_addr) == 1) {
			v6->sin6_family = AF_INET6;
			e.prefix = prefix < 0 ? 128 : (unsigned)prefix;
			if (e.prefix > 128)
				goto bad;
		} else {
			goto bad;
		}
	}
	conf_acl_entry_t *slot = push_slot(&l->v, &l->n, sizeof(*l->v));
	if (slot == NULL) {
		free(e.key);
		return -1;
	}
	*slot = e;
	return 0;
bad:
	perr(p, p->line, "%s: '%s' is neither an address, a network nor key:NAME", k->name, it);
	return -1;
}

/* "192.0.2.7:53" or "192.0.2.7:53 key:NAME": NOTIFY signed with that key. */
static int add_notify(parser_t *p, const key_t_ *k, void *dst, char *it)
{
	conf_notify_t *l = dst;
	conf_notify_entry_t e = { 0 };
	char *sp = it + strcspn(it, " \t");
	char *rest = trim(sp);
	*sp = '\0';
	if (conf_parse_addr(it, &e.addr) != 0) {
		perr(p, p->line, "%s: '%s' is not an address with port (like 127.0.0.1:53 or [::1]:53)",
		     k->name, it);
		return -1;
	}
	if (*rest != '\0') {
		if (strncmp(rest, "key:", 4) != 0) {
			perr(p, p->line, "%s: after %s, expected key:NAME, got '%s'", k->name, it, rest);
			return -1;
		}
		if ((e.key = key_name(p, k, rest + 4)) == NULL)
			return -1;
	}
	conf_notify_entry_t *slot = push_slot(&l->v, &l->n, sizeof(*l->v));
	if (slot == NULL) {
		free(e.key);
		return -1;
	}
	*slot = e;
	return 0;
}

static int set_suspend(parser_t *p, const key_t_ *k, conf_suspend_t *s, char *val)
{
	memset(s, 0, sizeof(*s));
	if (strcmp(val, "nxdomain") == 0)
		return 0;
	if (strncmp(val, "sinkhole:", 9) != 0) {
		perr(p, p->line, "suspended: expected 'nxdomain' or 'sinkhole:ADDRESS[,ADDRESS]', got '%s'", val);
		return -1;
	}
	s->mode = SUSPEND_SINKHOLE;
	char *save = NULL;
	for (char *it = strtok_r(val + 9, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
		it = trim(it);
		if (inet_pton(AF_INET, it, s->v4) == 1 && !s->has_v4) {
			s->has_v4 = true;
		} else if (inet_pton(AF_INET6, it, s->v6) == 1 && !s->has_v6) {
			s->has_v6 = true;
		} else {
			perr(p, p->line, "suspended: '%s' is not a sinkhole address (one IPv4 and/or one IPv6)", it);
			return -1;
		}
	}
	if (!s->has_v4 && !s->has_v6) {
		perr(p, p->line, "suspended: sinkhole needs an address");
		return -1;
	}
	return 0;
}

/* "90" or "90s", "15m", "72h", "30d", "2w": seconds within the key's bounds. */
static int set_duration(parser_t *p, const key_t_ *k, unsigned *dst, const char *v)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10), unit = 1;
	if (*v == '\0' || !isdigit((unsigned char)*v) || errno != 0)
		goto bad;
	switch (*end) {
	case '\0': case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	if (n > k->max / unit || n * unit < k->min || n * unit > k->max)
		goto bad;
	*dst = (unsigned)(n * unit);
	return 0;
bad:
	perr(p, p->line, "%s: '%s' is not a duration from %lus to %lus (a number with s, m, h, d "
	     "or w, e.g. 72h)", k->name, v, k->min, k->max);
	return -1;
}

static int set_bool(parser_t *p, const key_t_ *k, bool *dst, const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
			*dst = strcasecmp(v, yes[i]) == 0;
			return 0;
		}
	}
	perr(p, p->line, "%s: expected yes or no, got '%s'", k->name, v);
	return -1;
}

/* Replaces the string at dst with a copy of v; -1 when out of memory. */
static int set_str(void *dst, const char *v)
{
	char **s = dst;
	free(*s);
	return (*s = strdup(v)) == NULL ? -1 : 0;
}

static int set_value(parser_t *p, const key_t_ *k, void *base, const char *value)
{
	void *dst = (char *)base + k->off;
	char *val = strdup(value);
	if (val == NULL)
		return -1;
	char *v = trim(val);
	int ret = 0;

	switch (k->type) {
	case T_STR: {
		size_t n = strlen(v);
		if (n < k->min || n > k->max) {
			perr(p, p->line, "%s: value must be %lu to %lu characters long", k->name, k->min, k->max);
			ret = -1;
			break;
		}
		ret = set_str(dst, v);
		break;
	}
	case T_NAME: {
		if (check_name(p, k, v) != 0) {
			ret = -1;
			break;
		}
		ret = set_str(dst, v);
		break;
	}
	case T_UINT: {
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (*v == '\0' || !isdigit((unsigned char)*v) || *end != '\0' || errno != 0 ||
		    n < k->min || n > k->max) {
			perr(p, p->line, "%s: '%s' is not a number from %lu to %lu", k->name, v, k->min, k->max);
			ret = -1;
			break;
		}
		*(unsigned *)dst = (unsigned)n;
		break;
	}
	case T_ADDRS: {
		conf_addrs_t *l = dst;
		free(l->v);
		l->v = NULL;
		l->n = 0;
		ret = split_list(p, v, add_addr, k, dst);
		break;
	}
	case T_NAMES:
	case T_STRS:
		ret = split_list(p, v, add_name, k, dst);
		break;
	case T_GLUE:
		ret = split_list(p, v, add_glue, k, dst);
		break;
	case T_ACL:
		ret = split_list(p, v, add_acl, k, dst);
		break;
	case T_NOTIFY:
		notify_free(dst);
		ret = split_list(p, v, add_notify, k, dst);
		break;
	case T_SUSPEND:
		ret = set_suspend(p, k, dst, v);
		break;
	case T_DUR:
		ret = set_duration(p, k, dst, v);
		break;
	case T_BOOL:
		ret = set_bool(p, k, dst, v);
		break;
	case T_WORD:
	case T_URL: {
		bool ok;
		if (k->type == T_WORD) {
			/* A whole word of the list, not a part of one. */
			const char *all = words_of(k), *w = strstr(all, v);
			size_t n = strlen(v);
			ok = n > 0 && w && (w == all || w[-1] == ' ') && (w[n] == ' ' || w[n] == '\0');
		} else {
			ok = *v == '\0' || ((strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0) &&
			                    strlen(v) <= k->max && strpbrk(v, " \t\"<>") == NULL);
		}
		if (!ok) {
			perr(p, p->line, k->type == T_WORD ? "%s: expected one of: %s; got '%s'" :
			     "%s: expected an http:// or https:// URL%s; got '%s'", k->name,
			     k->type == T_WORD ? words_of(k) : "", v);
			ret = -1;
			break;
		}
		ret = set_str(dst, v);
		break;
	}
	}
	free(val);
	return ret;
}

static const key_t_ *schema_find(enum key_sect sect, const char *name)
{
	for (size_t i = 0; i < SCHEMA_LEN; i++)
		if (schema[i].sect == sect && strcmp(schema[i].name, name) == 0)
			return &schema[i];
	return NULL;
}

static int apply_defaults(parser_t *p, enum key_sect sect, void *base, int line)
{
	int saved = p->line;
	p->line = line;
	for (size_t i = 0; i < SCHEMA_LEN; i++) {
		const key_t_ *k = &schema[i];
		if (k->sect != sect || k->def == NULL)
			continue;
		if (set_value(p, k, base, k->def) != 0) {
			p->line = saved;
			return -1;
		}
	}
	p->line = saved;
	return 0;
}

/* Called for each new section line; the reader sees them before inih. */
static int begin_section(parser_t *p, char *name)
{
	name = trim(name);
	memset(p->seen, 0, SCHEMA_LEN);
	p->bad_section = true;
	if (strcmp(name, "server") == 0) {
		p->sect = S_SERVER;
		p->zone = NULL;
		p->bad_section = false;
		return 0;
	}
	if (strncmp(name, "zone", 4) != 0 || !isspace((unsigned char)name[4])) {
		perr(p, p->line, "unknown section [%s] (expected [server] or [zone NAME])", name);
		return -1;
	}
	char *zn = trim(name + 4);
	key_t_ zk = { .name = "zone" };
	if (check_name(p, &zk, zn) != 0)
		return -1;
	if (conf_zone_find(p->conf, zn) != NULL) {
		perr(p, p->line, "zone %s is configured twice", zn);
		return -1;
	}
	conf_t *c = p->conf;
	void *nz = realloc(c->zones, (c->zone_count + 1) * sizeof(*c->zones));
	if (nz == NULL)
		return -1;
	c->zones = nz;
	conf_zone_t *z = &c->zones[c->zone_count++];
	memset(z, 0, sizeof(*z));
	z->line = p->line;
	if ((z->name = strdup(zn)) == NULL)
		return -1;
	p->sect = S_ZONE;
	p->zone = z;
	p->bad_section = false;
	return apply_defaults(p, S_ZONE, z, p->line);
}

static int check_zone(parser_t *p, conf_zone_t *z)
{
	char buf[CONF_NAME_MAX + 32];
	if (z->ns.n == 0) {
		perr(p, z->line, "zone %s: 'ns' is required", z->name);
		return -1;
	}
	/* The default TTL is what a user gets without choosing: it must be
	 * one they could have chosen. */
	if (z->ttl_min > z->ttl_max || z->ttl < z->ttl_min || z->ttl > z->ttl_max) {
		perr(p, z->line, "zone %s: ttl-min %u <= ttl %u <= ttl-max %u does not hold", z->name,
		     z->ttl_min, z->ttl, z->ttl_max);
		return -1;
	}
	if (z->soa_rname == NULL) {
		snprintf(buf, sizeof(buf), "hostmaster.%s", z->name);
		if ((z->soa_rname = strdup(buf)) == NULL)
			return -1;
	}
	return 0;
}

/* Reader for inih that counts lines and handles section headers itself. */
static char *reader(char *str, int num, void *stream)
{
	parser_t *p = stream;
	char *ret;
	if (p->fp) {
		ret = fgets(str, num, p->fp);
	} else {
		const char *s = p->text + p->text_pos;
		if (*s == '\0')
			return NULL;
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s + 1) : strlen(s);
		if (n > (size_t)num - 1)
			n = num - 1;
		memcpy(str, s, n);
		str[n] = '\0';
		p->text_pos += n;
		ret = str;
	}
	if (ret == NULL)
		return NULL;
	size_t n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n') {
		p->line++;
		perr(p, p->line, "line longer than %d characters", num - 2);
		str[0] = '\0';
		return str;
	}
	p->line++;
	char *t = str;
	while (isspace((unsigned char)*t))
		t++;
	if (*t == '[') {
		char *end = strchr(t, ']');
		if (end == NULL) {
			perr(p, p->line, "section header without ']'");
		} else {
			char sect[INI_MAX_LINE];
			size_t sl = end - t - 1;
			memcpy(sect, t + 1, sl);
			sect[sl] = '\0';
			begin_section(p, sect);
		}
	}
	return ret;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	parser_t *p = user;
	if (p->err_line != 0)
		return 1;
	if (*section == '\0') {
		perr(p, p->line, "key '%s' outside of a section", name);
		return 1;
	}
	if (p->bad_section)
		return 1;
	const key_t_ *k = schema_find(p->sect, name);
	if (k == NULL) {
		perr(p, p->line, "unknown key '%s' in [%s]", name, section);
		return 1;
	}
	size_t idx = k - schema;
	/* Repeating list keys appends to them; scalar keys may appear once. */
	bool list = k->type == T_NAMES || k->type == T_GLUE || k->type == T_ACL || k->type == T_STRS;
	if (p->seen[idx] && !list) {
		perr(p, p->line, "key '%s' given twice in [%s]", name, section);
		return 1;
	}
	if (!p->seen[idx] && list) {
		/* The first explicit value replaces the default. */
		if (k->type == T_ACL) {
			conf_acl_t *l = (void *)((char *)(p->sect == S_ZONE ? (void *)p->zone : (void *)p->conf) + k->off);
			for (size_t i = 0; i < l->n; i++)
				free(l->v[i].key);
			l->n = 0;
		} else {
			conf_strs_t *l = (void *)((char *)(p->sect == S_ZONE ? (void *)p->zone : (void *)p->conf) + k->off);
			for (size_t i = 0; i < l->n; i++)
				free(l->v[i]);
			l->n = 0;
		}
	}
	p->seen[idx] = 1;
	void *base = p->sect == S_ZONE ? (void *)p->zone : (void *)p->conf;
	set_value(p, k, base, value);
	return 1;
}

static int load(parser_t *p, conf_t **out)
{
	conf_t *c = calloc(1, sizeof(*c));
	unsigned char seen[SCHEMA_LEN];
	if (c == NULL)
		return -ENOMEM;
	p->conf = c;
	p->seen = seen;
	memset(seen, 0, sizeof(seen));
	if ((c->path = strdup(p->file)) == NULL || apply_defaults(p, S_SERVER, c, 0) != 0) {
		conf_free(c);
		return DDNS_ECONF;
	}

	int ret = ini_parse_stream(reader, p, handler, p);
	if (ret > 0 && p->err_line == 0)
		perr(p, ret, "syntax error (expected 'key = value' or '[section]')");
	if (p->err_line == 0 && c->zone_count == 0)
		perr(p, 0, "no [zone NAME] section: nothing to serve");
	for (size_t i = 0; p->err_line == 0 && i < c->zone_count; i++)
		check_zone(p, &c->zones[i]);
	if (p->err_line == 0 && c->dns_listen.n == 0)
		perr(p, 0, "dns-listen is empty");
	if (p->err_line == 0 && c->https_listen.n > 0 &&
	    (c->tls_certificate[0] == '\0' || c->tls_key[0] == '\0'))
		perr(p, 0, "https-listen needs tls-certificate and tls-key");
	if (p->err_line != 0 || ret < 0) {
		if (ret < 0 && p->err_line == 0)
			perr(p, 0, "cannot read the file");
		conf_free(c);
		return DDNS_ECONF;
	}
	*out = c;
	return 0;
}

int conf_load(const char *file, conf_t **out, char *err, size_t errlen)
{
	parser_t p = { .file = file, .err = err, .errlen = errlen };
	p.fp = fopen(file, "r");
	if (p.fp == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
		return DDNS_ECONF;
	}
	int ret = load(&p, out);
	fclose(p.fp);
	return ret;
}

int conf_load_string(const char *text, const char *name, conf_t **out,
                     char *err, size_t errlen)
{
	parser_t p = { .file = name, .text = text, .err = err, .errlen = errlen };
	return load(&p, out);
}

static void strs_free(conf_strs_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void acl_free(conf_acl_t *a)
{
	for (size_t j = 0; j < a->n; j++)
		free(a->v[j].key);
	free(a->v);
}

void conf_free(conf_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->zone_count; i++) {
		conf_zone_t *z = &c->zones[i];
		free(z->name);
		strs_free(&z->ns);
		strs_free(&z->glue);
		free(z->soa_rname);
		notify_free(&z->notify);
		acl_free(&z->allow_transfer);
	}
	free(c->zones);
	strs_free(&c->reserved);
	strs_free(&c->brand_words);
	free(c->abuse_contact);
	free(c->abuse_blocklist);
	free(c->smtp_relay);
	free(c->mail_from);
	free(c->notification_webhook);
	free(c->web_root);
	free(c->signup);
	free(c->public_url);
	acl_free(&c->trusted_proxies);
	acl_free(&c->metrics_allow);
	free(c->dns_listen.v);
	free(c->http_listen.v);
	free(c->https_listen.v);
	free(c->tls_certificate);
	free(c->tls_key);
	free(c->access_log);
	free(c->database);
	free(c->control_socket);
	free(c->identity);
	free(c->version);
	free(c->path);
	free(c);
}

const conf_zone_t *conf_zone_find(const conf_t *conf, const char *name)
{
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < conf->zone_count; i++)
		if (strlen(conf->zones[i].name) == n && strncasecmp(conf->zones[i].name, name, n) == 0)
			return &conf->zones[i];
	return NULL;
}
