/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Finding the home's public address, one family at a time, by one of the
 * methods of the configuration: web (checkip pages, each asked in turn;
 * all that answer must agree), interface[:NAME] (the addresses on local
 * interfaces; for IPv6 a global address, stable preferred over
 * temporary, never a deprecated one while a preferred one exists) or
 * command:CMD (the first line the command prints). Whatever the method,
 * the address must be public (addr_is_public()). Blocking; one thread.
 */
#pragma once

#include <stdio.h>

#include "client/addr.h"
#include "client/config.h"

typedef struct {
	const config_strs_t *urls;  /* checkip URLs for web */
	unsigned timeout, connect_timeout;
} detect_opts_t;

/*
 * Detects the address of family (AF_INET or AF_INET6) with method
 * ("web", "interface", "interface:NAME", "command:CMD"; not "off").
 * Returns 0 and the address in *out, or -ENOENT (nothing found, sources
 * disagree, command failed) / -EINVAL with the reason in why.
 */
int detect_address(const char *method, int family, const detect_opts_t *opts, addr_t *out,
                   char *why, size_t whylen);

/*
 * Picks the best IPv6 address from a /proc/net/if_inet6 listing f, on
 * interface ifname (NULL: any): public, not tentative nor failed DAD;
 * a preferred address before a deprecated one, a stable before a
 * temporary (privacy) one. Returns 0, or -ENOENT with the reason in why.
 */
int detect_pick_inet6(FILE *f, const char *ifname, addr_t *out, char *why, size_t whylen);
