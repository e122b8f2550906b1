/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The writer's side of the HTTP update dialects (DynDNS2 / No-IP, DuckDNS):
 * one request names several hosts; each gets its own result (good, nochg,
 * nohost, abuse, ...) in order. The caller has authenticated the principal
 * (a user by password, or one host by its token) and checked the names'
 * syntax; this checks ownership and applies the change to each host as
 * `host set` would. Writer thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store/account.h"
#include "upd/writer.h"

#define HUP_MAX_HOSTS 20

enum hup_code {
	HUP_PENDING = 0,      /* not decided yet */
	HUP_GOOD,
	HUP_NOCHG,
	HUP_NOHOST,           /* no such host, or not the principal's */
	HUP_NOTFQDN,          /* not a valid name in our zones (set by the caller) */
	HUP_ABUSE,            /* suspended, or throttled */
	HUP_DNSERR,           /* the records could not be built */
	HUP_BADAUTH,          /* the token is not valid */
	HUP_911,              /* server-side failure */
};

typedef struct {
	char name[DB_NAME_MAX];
	int code;                        /* enum hup_code */
	char why[128];                   /* for the history and the log */
	uint32_t epoch;                  /* good/nochg: the host's change counter
	                                    after this request (store/epoch.h) */
} hup_host_t;

typedef struct {
	bool by_token;                   /* authenticated by a host token (checked here) */
	uint8_t token_hash[32];          /* by_token: the presented token's hash */
	char principal[DB_NAME_MAX];     /* !by_token: the authenticated user;
	                                    by_token: the user name given, if any,
	                                    which must be the token's host */
	bool all_or_nothing;             /* one host failing fails them all (DuckDNS) */
	size_t nhosts;
	hup_host_t hosts[HUP_MAX_HOSTS];
	unsigned set;                    /* HSET_* of upd/ops.h */
	bool has_v4, has_v6;
	uint8_t v4[4], v6[16];
	bool offline, wildcard;
	char acme[256];
	char mx[DB_NAME_MAX];
	int mx_pref;
	char src[64];                    /* the client's address */
	char client[128];                /* its User-Agent */
} hup_t;

/* wop_fn: args is a hup_t; fills each host's code. Never fails as a whole
 * unless the database does. */
int op_http_update(wctx_t *w, wreq_t *r);
