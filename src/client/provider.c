/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Update dialects; see provider.h. No state.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/provider.h"
#include "lib/strbuf.h"

int provider_from_name(const char *name, enum provider_kind *out)
{
	if (strcmp(name, "ddnsd") == 0)
		*out = PROVIDER_DDNSD;
	else if (strcmp(name, "dyndns2") == 0)
		*out = PROVIDER_DYNDNS2;
	else if (strcmp(name, "duckdns") == 0)
		*out = PROVIDER_DUCKDNS;
	else
		return -EINVAL;
	return 0;
}

const char *provider_name(enum provider_kind kind)
{
	switch (kind) {
	case PROVIDER_DDNSD: return "ddnsd";
	case PROVIDER_DYNDNS2: return "dyndns2";
	case PROVIDER_DUCKDNS: return "duckdns";
	}
	return "?";
}

const char *provider_default_path(enum provider_kind kind)
{
	return kind == PROVIDER_DUCKDNS ? "/update" : "/nic/update";
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static void sb_enc(strbuf_t *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			sb_add(b, s, 1);
		} else {
			char hex[4];
			snprintf(hex, sizeof(hex), "%%%02X", c);
			sb_add(b, hex, 3);
		}
	}
}

static void sb_param(strbuf_t *b, bool *first, const char *key, const char *value)
{
	sb_adds(b, *first ? "?" : "&");
	*first = false;
	sb_adds(b, key);
	sb_adds(b, "=");
	sb_enc(b, value);
}

int provider_url(enum provider_kind kind, const char *server, const char *path,
                 const char *host, const char *token, const addr_t *v4, const addr_t *v6,
                 bool mask, char **out)
{
	strbuf_t b = { 0 };
	bool first = true;
	char a4[ADDR_STRLEN], a6[ADDR_STRLEN];
	addr_str(v4, a4);
	addr_str(v6, a6);
	size_t sl = strlen(server);
	while (sl > 0 && server[sl - 1] == '/')
		sl--;
	sb_add(&b, server, sl);
	if (path[0] != '/')
		sb_adds(&b, "/");
	sb_adds(&b, path);
	if (kind == PROVIDER_DUCKDNS) {
		/* DuckDNS names a domain by its label under duckdns.org. */
		char dom[256];
		snprintf(dom, sizeof(dom), "%s", host);
		size_t hl = strlen(dom);
		static const char sfx[] = ".duckdns.org";
		if (hl > sizeof(sfx) - 1 && strcasecmp(dom + hl - (sizeof(sfx) - 1), sfx) == 0)
			dom[hl - (sizeof(sfx) - 1)] = '\0';
		sb_param(&b, &first, "domains", dom);
		sb_param(&b, &first, "token", mask ? "****" : token);
		if (a4[0])
			sb_param(&b, &first, "ip", a4);
		if (a6[0])
			sb_param(&b, &first, "ipv6", a6);
	} else {
		char myip[2 * ADDR_STRLEN + 2];
		snprintf(myip, sizeof(myip), "%s%s%s", a4, a4[0] && a6[0] ? "," : "", a6);
		sb_param(&b, &first, "hostname", host);
		if (myip[0])
			sb_param(&b, &first, "myip", myip);
	}
	if (b.failed) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	return 0;
}

static const char *const fatal_codes[] = {
	"badauth", "nohost", "notfqdn", "badagent", "abuse", "!donator", "numhost",
	"badsys", "!yours", "nofqdn",
};

void provider_parse_reply(enum provider_kind kind, long http_status, const char *body,
                          size_t len, provider_reply_t *out)
{
	memset(out, 0, sizeof(*out));
	/* The first non-empty line, then its first word and the rest. */
	const char *s = body, *end = body + len;
	while (s < end && isspace((unsigned char)*s))
		s++;
	const char *eol = s;
	while (eol < end && *eol != '\n' && *eol != '\r')
		eol++;
	const char *w = s;
	while (w < eol && !isspace((unsigned char)*w))
		w++;
	size_t wl = (size_t)(w - s);
	if (wl >= sizeof(out->code))
		wl = sizeof(out->code) - 1;
	memcpy(out->code, s, wl);
	out->code[wl] = '\0';
	while (w < eol && isspace((unsigned char)*w))
		w++;
	size_t dl = (size_t)(eol - w);
	if (dl >= sizeof(out->detail))
		dl = sizeof(out->detail) - 1;
	memcpy(out->detail, w, dl);
	out->detail[dl] = '\0';
	for (char *c = out->detail; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';
	for (char *c = out->code; *c; c++)
		if (!isprint((unsigned char)*c))
			*c = '?';

	/* Overload and server errors first: ddnsd throttles with 503 + "911". */
	if (http_status >= 500 || http_status == 429) {
		out->verdict = PROVIDER_RETRY;
		if (out->code[0] == '\0' || (strcmp(out->code, "911") != 0 && strcmp(out->code, "dnserr") != 0 &&
		                             strcmp(out->code, "KO") != 0))
			snprintf(out->code, sizeof(out->code), "HTTP %ld", http_status);
		return;
	}
	if (kind == PROVIDER_DUCKDNS) {
		if (http_status == 200 && strcmp(out->code, "OK") == 0)
			out->verdict = PROVIDER_GOOD;
		else if (strcmp(out->code, "KO") == 0)
			out->verdict = PROVIDER_FATAL;
		else if (http_status == 401 || http_status == 403)
			goto http_auth;
		else
			goto unknown;
		return;
	}
	if (strcmp(out->code, "good") == 0) {
		out->verdict = PROVIDER_GOOD;
		return;
	}
	if (strcmp(out->code, "nochg") == 0) {
		out->verdict = PROVIDER_NOCHG;
		return;
	}
	if (strcmp(out->code, "911") == 0 || strcmp(out->code, "dnserr") == 0) {
		out->verdict = PROVIDER_RETRY;
		return;
	}
	for (size_t i = 0; i < sizeof(fatal_codes) / sizeof(fatal_codes[0]); i++) {
		if (strcmp(out->code, fatal_codes[i]) == 0) {
			out->verdict = PROVIDER_FATAL;
			return;
		}
	}
	if (http_status == 401 || http_status == 403)
		goto http_auth;
unknown:
	out->verdict = PROVIDER_UNKNOWN;
	if (out->code[0] == '\0')
		snprintf(out->code, sizeof(out->code), "HTTP %ld", http_status);
	return;
http_auth:
	/* A 401 without a dialect word: the credentials were refused. */
	out->verdict = PROVIDER_FATAL;
	snprintf(out->code, sizeof(out->code), "badauth");
	snprintf(out->detail, sizeof(out->detail), "HTTP %ld", http_status);
}

const char *provider_advice(const char *code)
{
	static const struct { const char *code, *advice; } tab[] = {
		{ "badauth", "the username or password (or token) was refused: correct username, password or password-file" },
		{ "nohost", "the server does not know this host (or not in this account): check the [host NAME] name and the account" },
		{ "notfqdn", "the host name is not a full domain name the server serves: correct the [host NAME] name" },
		{ "nofqdn", "the host name is not a full domain name the server serves: correct the [host NAME] name" },
		{ "badagent", "the server refuses this client or request: check provider, server and path" },
		{ "abuse", "the server blocked updates for this host (abuse): contact the provider before trying again" },
		{ "!donator", "the request uses a feature this account does not have: check the account with the provider" },
		{ "numhost", "the server refused the number of hosts in the request: check the [host NAME] name" },
		{ "badsys", "the server does not know this update system: check provider and path" },
		{ "!yours", "the host belongs to another account: check username and the [host NAME] name" },
		{ "KO", "DuckDNS refused the update: check the domain name (the [host NAME]) and the token (password)" },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i].code, code) == 0)
			return tab[i].advice;
	return "check the configuration of this host";
}
