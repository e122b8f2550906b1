/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsc configuration schema and parser; see config.h. inih splits the
 * file into (section, key, value); everything else is the schema table.
 * As in src/lib/conf.c, line numbers come from our own line reader
 * (Debian's inih is built without INI_HANDLER_LINENO), which also sees
 * section headers first, so that a section's checks run when it ends and
 * can name the line of the key at fault.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/addr.h"
#include "client/config.h"

enum key_type { T_UINT, T_STR, T_URLS, T_BOOL, T_LOG, T_PROVIDER, T_METHOD, T_DNSSERVER };

enum key_sect { S_CLIENT, S_HOST };

typedef struct {
	enum key_sect sect;
	const char *name;
	enum key_type type;
	unsigned min, max;
	const char *def;           /* default as it would be written; NULL: none */
	size_t off;                /* where it goes in config_t or config_host_t */
} key_t_;

#define CL(f) offsetof(config_t, f)
#define HO(f) offsetof(config_host_t, f)
#define DAY 86400U

static const key_t_ schema[] = {
	{ S_CLIENT, "interval",        T_UINT, 1, 7 * DAY, "300", CL(interval) },
	{ S_CLIENT, "cache",           T_STR, 1, PATH_MAX, "/var/lib/ddnsc/cache", CL(cache) },
	{ S_CLIENT, "checkip",         T_URLS, 0, 0, "", CL(checkip) },
	{ S_CLIENT, "checkip6",        T_URLS, 0, 0, "", CL(checkip6) },
	{ S_CLIENT, "log",             T_LOG, 0, 0, "stderr", CL(log) },
	{ S_CLIENT, "backoff-initial", T_UINT, 1, 30 * DAY, "1800", CL(backoff_initial) },
	{ S_CLIENT, "backoff-max",     T_UINT, 1, 30 * DAY, "86400", CL(backoff_max) },
	{ S_CLIENT, "retry-initial",   T_UINT, 1, 30 * DAY, "60", CL(retry_initial) },
	{ S_CLIENT, "refresh-days",    T_UINT, 0, 3650, "25", CL(refresh_days) },
	{ S_CLIENT, "verify-dns",      T_BOOL, 0, 0, "off", CL(verify_dns) },
	{ S_CLIENT, "dns-server",      T_DNSSERVER, 0, 0, "", CL(dns_server) },
	{ S_CLIENT, "timeout",         T_UINT, 1, 600, "30", CL(timeout) },
	{ S_CLIENT, "connect-timeout", T_UINT, 1, 600, "10", CL(connect_timeout) },
	{ S_CLIENT, "dns-timeout",     T_UINT, 1, 60, "3", CL(dns_timeout) },

	{ S_HOST, "provider",      T_PROVIDER, 0, 0, "ddnsd", HO(provider) },
	{ S_HOST, "server",        T_STR, 0, 1024, "", HO(server) },
	{ S_HOST, "path",          T_STR, 0, 1024, "", HO(path) },
	{ S_HOST, "username",      T_STR, 0, 255, "", HO(username) },
	{ S_HOST, "password",      T_STR, 0, 1024, "", HO(password) },
	{ S_HOST, "password-file", T_STR, 0, PATH_MAX, "", HO(password_file) },
	{ S_HOST, "ipv4",          T_METHOD, 0, 0, "web", HO(ipv4) },
	{ S_HOST, "ipv6",          T_METHOD, 0, 0, "off", HO(ipv6) },
	{ S_HOST, "checkip",       T_URLS, 0, 0, "", HO(checkip) },
	{ S_HOST, "checkip6",      T_URLS, 0, 0, "", HO(checkip6) },
};
#define SCHEMA_LEN (sizeof(schema) / sizeof(schema[0]))

typedef struct {
	config_t *conf;
	const char *file;
	FILE *fp;
	const char *text;          /* string input instead of fp */
	size_t text_pos;
	int line;
	enum key_sect sect;
	bool in_section;
	bool bad_section;
	config_host_t *host;       /* current [host] section */
	int key_line[SCHEMA_LEN];  /* where each key of the current section is; 0: absent */
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

static void strs_clear(config_strs_t *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int strs_push(config_strs_t *l, const char *s)
{
	void *nv = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (nv == NULL)
		return -ENOMEM;
	l->v = nv;
	if ((l->v[l->n] = strdup(s)) == NULL)
		return -ENOMEM;
	l->n++;
	return 0;
}

static bool is_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7] != '\0') ||
	       (strncmp(s, "https://", 8) == 0 && s[8] != '\0');
}

static int check_method(parser_t *p, const key_t_ *k, const char *v)
{
	if (strcmp(v, "web") == 0 || strcmp(v, "off") == 0 || strcmp(v, "interface") == 0)
		return 0;
	if (strncmp(v, "interface:", 10) == 0) {
		size_t n = strlen(v + 10);
		if (n > 0 && n < IF_NAMESIZE && strchr(v + 10, '/') == NULL)
			return 0;
		perr(p, p->line, "%s: '%s' is not an interface name", k->name, v + 10);
		return -EINVAL;
	}
	if (strncmp(v, "command:", 8) == 0) {
		if (*trim((char *)v + 8) != '\0')
			return 0;
		perr(p, p->line, "%s: command: needs a command after the colon", k->name);
		return -EINVAL;
	}
	perr(p, p->line, "%s: '%s' is not one of web, interface, interface:NAME, command:CMD, off",
	     k->name, v);
	return -EINVAL;
}

/* "IP", "IP:PORT" (IPv4) or "[IP]:PORT" (IPv6). */
static int check_dns_server(const char *v)
{
	char host[ADDR_STRLEN + 1];
	const char *port = NULL;
	addr_t a;
	if (*v == '\0')
		return 0;
	if (v[0] == '[') {
		const char *e = strchr(v, ']');
		if (e == NULL || (size_t)(e - v - 1) >= sizeof(host) || (e[1] != '\0' && e[1] != ':'))
			return -EINVAL;
		memcpy(host, v + 1, e - v - 1);
		host[e - v - 1] = '\0';
		port = e[1] == ':' ? e + 2 : NULL;
	} else if (addr_parse(v, AF_INET6, &a) == 0) {
		return 0;
	} else {
		const char *c = strchr(v, ':');
		size_t hl = c ? (size_t)(c - v) : strlen(v);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, v, hl);
		host[hl] = '\0';
		port = c ? c + 1 : NULL;
	}
	if (addr_parse(host, AF_UNSPEC, &a) != 0)
		return -EINVAL;
	if (port != NULL) {
		char *end;
		unsigned long pn = strtoul(port, &end, 10);
		if (!isdigit((unsigned char)*port) || *end != '\0' || pn == 0 || pn > 65535)
			return -EINVAL;
	}
	return 0;
}

static int set_value(parser_t *p, const key_t_ *k, void *base, const char *value)
{
	void *dst = (char *)base + k->off;
	char buf[INI_MAX_LINE + 1];
	snprintf(buf, sizeof(buf), "%s", value);
	char *v = trim(buf);
	switch (k->type) {
	case T_UINT: {
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end != '\0' || errno != 0 || n < k->min || n > k->max) {
			perr(p, p->line, "%s: '%s' is not a number from %u to %u", k->name, v, k->min, k->max);
			return -EINVAL;
		}
		*(unsigned *)dst = (unsigned)n;
		return 0;
	}
	case T_STR: {
		if (strlen(v) > k->max) {
			perr(p, p->line, "%s: longer than %u characters", k->name, k->max);
			return -EINVAL;
		}
		if (k->min > 0 && strlen(v) < k->min) {
			perr(p, p->line, "%s: must not be empty", k->name);
			return -EINVAL;
		}
		char *s = strdup(v);
		if (s == NULL)
			return -ENOMEM;
		free(*(char **)dst);
		*(char **)dst = s;
		return 0;
	}
	case T_URLS: {
		config_strs_t *l = dst;
		strs_clear(l);
		char *save = NULL;
		for (char *it = strtok_r(v, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
			it = trim(it);
			if (*it == '\0')
				continue;
			if (!is_url(it)) {
				perr(p, p->line, "%s: '%s' is not an http:// or https:// URL", k->name, it);
				return -EINVAL;
			}
			if (strs_push(l, it) != 0)
				return -ENOMEM;
		}
		return 0;
	}
	case T_BOOL: {
		bool b;
		if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			b = true;
		else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			b = false;
		else {
			perr(p, p->line, "%s: '%s' is not on or off", k->name, v);
			return -EINVAL;
		}
		*(bool *)dst = b;
		return 0;
	}
	case T_LOG:
		if (strcmp(v, "stderr") == 0)
			*(enum config_log *)dst = CONFIG_LOG_STDERR;
		else if (strcmp(v, "syslog") == 0)
			*(enum config_log *)dst = CONFIG_LOG_SYSLOG;
		else {
			perr(p, p->line, "%s: '%s' is not stderr or syslog", k->name, v);
			return -EINVAL;
		}
		return 0;
	case T_PROVIDER:
		if (provider_from_name(v, dst) != 0) {
			perr(p, p->line, "%s: '%s' is not one of ddnsd, dyndns2, duckdns", k->name, v);
			return -EINVAL;
		}
		return 0;
	case T_METHOD:
	case T_DNSSERVER: {
		if (k->type == T_METHOD && check_method(p, k, v) != 0)
			return -EINVAL;
		if (k->type == T_DNSSERVER && check_dns_server(v) != 0) {
			perr(p, p->line, "%s: '%s' is not an address, address:port or [IPv6]:port",
			     k->name, v);
			return -EINVAL;
		}
		char *s = strdup(v);
		if (s == NULL)
			return -ENOMEM;
		free(*(char **)dst);
		*(char **)dst = s;
		return 0;
	}
	}
	return -EINVAL;
}

static int apply_defaults(parser_t *p, enum key_sect sect, void *base)
{
	for (size_t i = 0; i < SCHEMA_LEN; i++) {
		if (schema[i].sect != sect || schema[i].def == NULL)
			continue;
		if (set_value(p, &schema[i], base, schema[i].def) != 0)
			return -ENOMEM;
	}
	return 0;
}

static const key_t_ *schema_find(enum key_sect sect, const char *name, size_t *idx)
{
	for (size_t i = 0; i < SCHEMA_LEN; i++) {
		if (schema[i].sect == sect && strcmp(schema[i].name, name) == 0) {
			*idx = i;
			return &schema[i];
		}
	}
	return NULL;
}

static int key_line(const parser_t *p, const char *name)
{
	size_t idx;
	return schema_find(p->sect, name, &idx) ? p->key_line[idx] : 0;
}

static int check_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' || strchr(s, '.') == NULL)
		return -EINVAL;
	for (const char *c = s; *c; c++) {
		if (*c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
		} else if (isalnum((unsigned char)*c) || *c == '-' || *c == '_') {
			if (++label > 63)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* Reads the secret from h->password_file: a private regular file, first line. */
static int read_password_file(parser_t *p, config_host_t *h, int line)
{
	const char *f = h->password_file;
	int fd = open(f, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		perr(p, line, "password-file %s: cannot open: %s", f, strerror(errno));
		return -EINVAL;
	}
	struct stat st;
	char buf[1025];
	ssize_t n = -1;
	int ret = -EINVAL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		perr(p, line, "password-file %s: not a regular file", f);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		perr(p, line, "password-file %s has mode %04o: others can read it; it must be 0600 "
		     "or stricter (chmod 600 %s)", f, (unsigned)(st.st_mode & 07777), f);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		perr(p, line, "password-file %s: cannot read: %s", f, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		perr(p, line, "password-file %s: the first line is empty", f);
		goto out;
	}
	free(h->password);
	if ((h->password = strdup(buf)) == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

/* The checks of one [host] section, run when it ends. */
static int end_host(parser_t *p)
{
	config_host_t *h = p->host;
	const char *prov = provider_name(h->provider);
	if (h->server[0] == '\0') {
		if (h->provider != PROVIDER_DUCKDNS) {
			perr(p, h->line, "[host %s]: server is required (the provider's base URL, "
			     "like https://ddns.example)", h->name);
			return -EINVAL;
		}
		free(h->server);
		if ((h->server = strdup("https://www.duckdns.org")) == NULL)
			return -ENOMEM;
	} else if (!is_url(h->server)) {
		perr(p, key_line(p, "server"), "server: '%s' is not an http:// or https:// URL", h->server);
		return -EINVAL;
	}
	if (h->path[0] == '\0') {
		free(h->path);
		if ((h->path = strdup(provider_default_path(h->provider))) == NULL)
			return -ENOMEM;
	}
	if (h->password[0] != '\0' && h->password_file[0] != '\0') {
		perr(p, key_line(p, "password-file"), "[host %s]: give password or password-file, not both",
		     h->name);
		return -EINVAL;
	}
	if (h->password_file[0] != '\0') {
		if (read_password_file(p, h, key_line(p, "password-file")) != 0)
			return -EINVAL;
	} else if (h->password[0] == '\0') {
		perr(p, h->line, "[host %s]: missing credentials: set password-file (or password)%s",
		     h->name, h->provider == PROVIDER_DUCKDNS ? " to the DuckDNS token" : "");
		return -EINVAL;
	}
	if (h->provider == PROVIDER_DUCKDNS && h->username[0] != '\0') {
		perr(p, key_line(p, "username"), "username: provider duckdns uses only the token "
		     "(password or password-file)");
		return -EINVAL;
	}
	if (h->provider != PROVIDER_DUCKDNS && h->username[0] == '\0') {
		perr(p, h->line, "[host %s]: missing credentials: provider %s needs username "
		     "(the host's name %s when the password is a host token)", h->name, prov, h->name);
		return -EINVAL;
	}
	if (strcmp(h->ipv4, "off") == 0 && strcmp(h->ipv6, "off") == 0) {
		perr(p, h->line, "[host %s]: ipv4 and ipv6 are both off: nothing to update", h->name);
		return -EINVAL;
	}
	return 0;
}

/* Fills a host's effective checkip lists; the [client] section may come last. */
static int finish_host(parser_t *p, config_host_t *h)
{
	config_t *c = p->conf;
	if (h->checkip.n == 0) {
		for (size_t i = 0; i < c->checkip.n; i++)
			if (strs_push(&h->checkip, c->checkip.v[i]) != 0)
				return -ENOMEM;
	}
	if (h->checkip.n == 0 && h->provider == PROVIDER_DDNSD) {
		/* ddnsd serves the checkip.dyndns.org page itself. */
		char url[1100];
		size_t sl = strlen(h->server);
		while (sl > 0 && h->server[sl - 1] == '/')
			sl--;
		snprintf(url, sizeof(url), "%.*s/checkip", (int)sl, h->server);
		if (strs_push(&h->checkip, url) != 0)
			return -ENOMEM;
	}
	if (h->checkip.n == 0 && h->provider == PROVIDER_DYNDNS2 && strstr(h->server, "no-ip.com") != NULL &&
	    strs_push(&h->checkip, "http://ip1.dynupdate.no-ip.com/") != 0)
		return -ENOMEM; /* No-IP's own plain-text checkip service */
	if (h->checkip6.n == 0) {
		const config_strs_t *src = c->checkip6.n > 0 ? &c->checkip6 : &h->checkip;
		for (size_t i = 0; i < src->n; i++)
			if (strs_push(&h->checkip6, src->v[i]) != 0)
				return -ENOMEM;
	}
	if (strcmp(h->ipv4, "web") == 0 && h->checkip.n == 0) {
		perr(p, h->line, "[host %s]: ipv4 = web needs checkip = URL (in [client] or here)", h->name);
		return -EINVAL;
	}
	if (strcmp(h->ipv6, "web") == 0 && h->checkip6.n == 0) {
		perr(p, h->line, "[host %s]: ipv6 = web needs checkip6 or checkip = URL", h->name);
		return -EINVAL;
	}
	/* FNV-1a: a change detector, not a secret; the cache is private. */
	uint64_t x = 1469598103934665603ULL;
	const char *fields[] = { h->name, provider_name(h->provider), h->server, h->path, h->username,
	                         h->password, h->ipv4, h->ipv6 };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		for (const char *s = fields[i]; ; s++) {
			x ^= (unsigned char)*s;
			x *= 1099511628211ULL;
			if (*s == '\0')
				break;
		}
	}
	h->hash = x;
	return 0;
}

static int end_section(parser_t *p)
{
	if (!p->in_section || p->bad_section || p->err_line != 0)
		return 0;
	if (p->sect == S_HOST)
		return end_host(p);
	return 0;
}

/* Called for each section header line; the reader sees them before inih. */
static int begin_section(parser_t *p, char *name)
{
	if (end_section(p) != 0)
		return -EINVAL;
	name = trim(name);
	memset(p->key_line, 0, sizeof(p->key_line));
	p->bad_section = true;
	p->in_section = true;
	if (strcmp(name, "client") == 0) {
		p->sect = S_CLIENT;
		p->host = NULL;
		p->bad_section = false;
		return 0;
	}
	if (strncmp(name, "host", 4) != 0 || !isspace((unsigned char)name[4])) {
		perr(p, p->line, "unknown section [%s] (expected [client] or [host NAME])", name);
		return -EINVAL;
	}
	char *hn = trim(name + 4);
	size_t hl = strlen(hn);
	if (hl > 0 && hn[hl - 1] == '.')
		hn[--hl] = '\0';
	for (char *c = hn; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (check_hostname(hn) != 0) {
		perr(p, p->line, "[host %s]: not a full domain name (like home.dyn.example)", hn);
		return -EINVAL;
	}
	config_t *c = p->conf;
	if (config_host_find(c, hn) != NULL) {
		perr(p, p->line, "[host %s] appears twice", hn);
		return -EINVAL;
	}
	void *nh = realloc(c->hosts, (c->nhosts + 1) * sizeof(*c->hosts));
	if (nh == NULL)
		return -ENOMEM;
	c->hosts = nh;
	config_host_t *h = &c->hosts[c->nhosts++];
	memset(h, 0, sizeof(*h));
	h->line = p->line;
	if ((h->name = strdup(hn)) == NULL)
		return -ENOMEM;
	p->sect = S_HOST;
	p->host = h;
	p->bad_section = false;
	return apply_defaults(p, S_HOST, h);
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
	p->line++;
	if (n == (size_t)num - 1 && str[n - 1] != '\n') {
		perr(p, p->line, "line longer than %d characters", num - 2);
		str[0] = '\0';
		return str;
	}
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
	size_t idx;
	const key_t_ *k = schema_find(p->sect, name, &idx);
	if (k == NULL) {
		perr(p, p->line, "unknown key '%s' in [%s]", name, section);
		return 1;
	}
	if (p->key_line[idx] != 0) {
		perr(p, p->line, "key '%s' given twice in [%s] (first on line %d)", name, section,
		     p->key_line[idx]);
		return 1;
	}
	p->key_line[idx] = p->line;
	set_value(p, k, p->sect == S_HOST ? (void *)p->host : (void *)p->conf, value);
	return 1;
}

static int load(parser_t *p, config_t **out)
{
	config_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	p->conf = c;
	if ((c->path = strdup(p->file)) == NULL || apply_defaults(p, S_CLIENT, c) != 0) {
		config_free(c);
		return -ENOMEM;
	}
	int ret = ini_parse_stream(reader, p, handler, p);
	if (ret > 0 && p->err_line == 0)
		perr(p, ret, "syntax error (expected 'key = value' or '[section]')");
	if (ret < 0 && p->err_line == 0)
		perr(p, 0, "cannot read the file");
	end_section(p);
	if (p->err_line == 0 && c->nhosts == 0)
		perr(p, 0, "no [host NAME] section: nothing to update");
	if (p->err_line == 0 && c->backoff_max < c->backoff_initial)
		perr(p, 0, "backoff-max (%u) is less than backoff-initial (%u)", c->backoff_max,
		     c->backoff_initial);
	for (size_t i = 0; p->err_line == 0 && i < c->nhosts; i++)
		if (finish_host(p, &c->hosts[i]) == -ENOMEM)
			perr(p, 0, "out of memory");
	if (p->err_line != 0) {
		config_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

int config_load(const char *file, config_t **out, char *err, size_t errlen)
{
	parser_t p = { .file = file, .err = err, .errlen = errlen };
	*out = NULL;
	p.fp = fopen(file, "re");
	if (p.fp == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
		return -EINVAL;
	}
	int ret = load(&p, out);
	fclose(p.fp);
	return ret;
}

int config_load_string(const char *text, const char *name, config_t **out, char *err, size_t errlen)
{
	parser_t p = { .file = name, .text = text, .err = err, .errlen = errlen };
	*out = NULL;
	return load(&p, out);
}

static void host_deinit(config_host_t *h)
{
	free(h->name);
	free(h->server);
	free(h->path);
	free(h->username);
	if (h->password != NULL) {
		explicit_bzero(h->password, strlen(h->password));
		free(h->password);
	}
	free(h->password_file);
	free(h->ipv4);
	free(h->ipv6);
	strs_clear(&h->checkip);
	strs_clear(&h->checkip6);
}

void config_free(config_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nhosts; i++)
		host_deinit(&c->hosts[i]);
	free(c->hosts);
	free(c->path);
	free(c->cache);
	free(c->dns_server);
	strs_clear(&c->checkip);
	strs_clear(&c->checkip6);
	free(c);
}

const config_host_t *config_host_find(const config_t *c, const char *name)
{
	for (size_t i = 0; i < c->nhosts; i++)
		if (strcasecmp(c->hosts[i].name, name) == 0)
			return &c->hosts[i];
	return NULL;
}
