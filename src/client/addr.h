/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Addresses as ddnsc sees them: one IPv4 or IPv6 address in binary form,
 * parsing and printing, the "is this a public unicast address" test that
 * every detected address must pass, and extraction of an address from a
 * checkip page. Pure functions; any thread.
 */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

typedef struct {
	int family;                /* AF_INET, AF_INET6, or 0 for none */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
} addr_t;

/*
 * Parses text (no surrounding space) as an address of family (AF_INET,
 * AF_INET6, or AF_UNSPEC for either) into *out.
 * Returns 0, or -EINVAL when text is not such an address.
 */
int addr_parse(const char *text, int family, addr_t *out);

/* Writes a's text form into buf (ADDR_STRLEN bytes); "" for none. Returns buf. */
const char *addr_str(const addr_t *a, char *buf);

/* True when a and b are the same address (two empty addresses are equal). */
bool addr_equal(const addr_t *a, const addr_t *b);

/*
 * True when a may be published as a home's public address: unicast, not
 * private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local,
 * CGNAT (100.64/10), unspecified, "this network" (0/8), multicast,
 * reserved (240/4) or IPv4-mapped. The documentation ranges count as
 * public, because the tests use them as stand-ins for real addresses.
 * When it returns false and why is not NULL, *why names the range.
 */
bool addr_is_public(const addr_t *a, const char **why);

/*
 * Finds the address of family in a checkip answer: the text after
 * "Current IP Address:" (checkip.dyndns.org), else the body as a plain
 * address, else the first word that parses as an address of that family.
 * body need not be NUL-terminated. Returns 0, or -ENOENT when there is none.
 * The address is not checked for being public.
 */
int addr_from_checkip(const char *body, size_t len, int family, addr_t *out);
