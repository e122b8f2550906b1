/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A set of IPv4 and IPv6 addresses and networks read from a blocklist file
 * (the abuse-blocklist key), for asking whether a client address is listed.
 * Built once by whoever loads the file; read-only afterwards, so any number
 * of threads may query one set at the same time. A reload builds a new set.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errors.h"

typedef struct netset netset_t;

/* An err buffer of this size holds any message for a path of up to 256 bytes. */
#define NETSET_ERR_MAX 512

/*
 * Reads the blocklist at path: one entry a line, an address ("192.0.2.1",
 * "2001:db8::1") or a network ("198.51.100.0/24", "2001:db8::/32");
 * white space around an entry, blank lines and everything from a '#' to
 * the end of its line are ignored. A network must have no host bits set
 * ("192.0.2.5/24" is refused: it is probably a typo for a /32 or the wrong
 * length). An IPv4-mapped IPv6 entry ("::ffff:192.0.2.1") is read as the
 * IPv4 one. The same entry listed twice is kept once.
 *
 * Returns 0 and a new set in *out, which the caller frees with netset_free.
 * Otherwise *out is untouched and err (errlen bytes; may be NULL/0) gets one
 * line: "FILE:LINE: 'TEXT' is not an address or network" or "FILE:LINE:
 * '192.0.2.5/24' has host bits set; the network is 192.0.2.0/24" (-EINVAL),
 * "FILE: cannot open: REASON" or "FILE: cannot read: REASON" (a negated errno),
 * or -ENOMEM.
 */
int netset_load(const char *path, netset_t **out, char *err, size_t errlen);

/*
 * Whether addr (4 bytes for AF_INET, 16 for AF_INET6, network byte order)
 * is one of s's addresses or inside one of its networks. An IPv4-mapped
 * IPv6 address (how a dual-stack socket reports an IPv4 client) is looked
 * up as IPv4. Any other family, or s NULL, is in no set. Costs one binary
 * search per distinct prefix length in s; no allocation, no locks.
 */
bool netset_contains(const netset_t *s, int family, const uint8_t *addr);

/* Number of distinct entries in s (0 for NULL). */
size_t netset_count(const netset_t *s);

/* Frees s; NULL does nothing. */
void netset_free(netset_t *s);
