/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsc's configuration: one [client] section and one [host NAME] section
 * per updated name, read with inih and checked against one schema table
 * (name, type, bounds, default, where it goes). Every error is reported as
 * "FILE:LINE: reason". Credentials from password-file are read here, after
 * checking that the file is private (mode 0600 or stricter).
 * A loaded config_t is immutable; the caller owns it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/provider.h"

enum config_log { CONFIG_LOG_STDERR, CONFIG_LOG_SYSLOG };

typedef struct {
	char **v;
	size_t n;
} config_strs_t;

typedef struct {
	char *name;                 /* the FQDN from [host NAME], lower case */
	int line;                   /* line of the section header */
	enum provider_kind provider;
	char *server;               /* base URL */
	char *path;                 /* update path */
	char *username;             /* "" for DuckDNS */
	char *password;             /* the secret itself (also from password-file) */
	char *password_file;        /* "" when the password is inline */
	char *ipv4, *ipv6;          /* web | interface[:NAME] | command:CMD | off */
	config_strs_t checkip;      /* URLs for ipv4 = web */
	config_strs_t checkip6;     /* URLs for ipv6 = web */
	uint64_t hash;              /* of everything above: a change lifts a fatal stop */
} config_host_t;

typedef struct {
	char *path;                 /* the file it came from */
	unsigned interval;          /* seconds between checks */
	char *cache;                /* path of the persistent cache */
	config_strs_t checkip;      /* as written; hosts get their effective list */
	config_strs_t checkip6;
	enum config_log log;
	unsigned backoff_initial, backoff_max, retry_initial;
	unsigned refresh_days;
	bool verify_dns;
	char *dns_server;           /* "" = the first nameserver of /etc/resolv.conf */
	unsigned timeout, connect_timeout, dns_timeout;
	config_host_t *hosts;
	size_t nhosts;
} config_t;

/*
 * Loads and checks file. Returns 0 and a new config in *out, or
 * -EINVAL/-ENOMEM with "FILE:LINE: reason" (or "FILE: reason") in err.
 */
int config_load(const char *file, config_t **out, char *err, size_t errlen);

/* The same from a string; name stands for the file in messages. Relative
 * password-file paths are taken as they are. */
int config_load_string(const char *text, const char *name, config_t **out,
                       char *err, size_t errlen);

/* Frees c (NULL is fine). */
void config_free(config_t *c);

/* The host called name, or NULL. */
const config_host_t *config_host_find(const config_t *c, const char *name);
