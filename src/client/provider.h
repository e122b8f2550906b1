/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The update dialects ddnsc speaks: ddnsd's own (DynDNS2 form), DynDNS2
 * (Dyn, No-IP, ...) and DuckDNS. Builds the request URL for one host and
 * classifies the server's reply into what the client must do next. Pure
 * functions; any thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "client/addr.h"

enum provider_kind { PROVIDER_DDNSD, PROVIDER_DYNDNS2, PROVIDER_DUCKDNS };

/* What a reply means for the client. */
enum provider_verdict {
	PROVIDER_GOOD,      /* updated ("good", DuckDNS "OK") */
	PROVIDER_NOCHG,     /* the server already had the address */
	PROVIDER_FATAL,     /* retrying cannot help: stop until the config changes */
	PROVIDER_RETRY,     /* server-side trouble (911, dnserr, HTTP 5xx/429): back off */
	PROVIDER_UNKNOWN,   /* a reply we do not understand: back off too */
};

#define PROVIDER_CODE_MAX 32

typedef struct {
	enum provider_verdict verdict;
	char code[PROVIDER_CODE_MAX];   /* the reply word ("good", "badauth", "KO", "HTTP 503") */
	char detail[64];                /* the rest of the line, e.g. the address after "good" */
} provider_reply_t;

/* "ddnsd", "dyndns2", "duckdns" to its kind. Returns 0 or -EINVAL. */
int provider_from_name(const char *name, enum provider_kind *out);

/* The kind's name as written in the configuration. */
const char *provider_name(enum provider_kind kind);

/* The kind's default update path: "/nic/update" or "/update". */
const char *provider_default_path(enum provider_kind kind);

/*
 * Builds the update URL for host (server is the base URL, path is
 * appended) with the addresses v4 and v6 (family 0: not sent). For
 * DuckDNS the token travels in the URL: when mask is true it is written
 * as "****" (for logs and --dry-run). DynDNS2 credentials go in Basic
 * auth and never into the URL.
 * Returns 0 and a malloc'd string in *out (the caller frees it), or
 * -ENOMEM.
 */
int provider_url(enum provider_kind kind, const char *server, const char *path,
                 const char *host, const char *token, const addr_t *v4, const addr_t *v6,
                 bool mask, char **out);

/*
 * Classifies a reply: http_status (0 when no HTTP answer arrived is not a
 * reply: do not call), the body (need not be NUL-terminated). Only the
 * first non-empty line counts: ddnsc names one host per request.
 */
void provider_parse_reply(enum provider_kind kind, long http_status, const char *body,
                          size_t len, provider_reply_t *out);

/* For a fatal code: one sentence telling the user what to do. */
const char *provider_advice(const char *code);
