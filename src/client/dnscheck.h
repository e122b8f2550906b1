/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The optional check of what DNS currently answers for a host
 * (verify-dns): one A or AAAA query over UDP to a configured server (or
 * the first nameserver of /etc/resolv.conf), with its own small wire
 * code so that ddnsc needs no DNS library. Blocking; one thread.
 */
#pragma once

#include <stddef.h>

#include "client/addr.h"

#define DNSCHECK_MAX 16

/*
 * Asks server ("IP", "IP:PORT", "[IPv6]:PORT"; "" or NULL: resolv.conf)
 * for the family's addresses of name, waiting at most timeout seconds.
 * Returns 0 and the addresses of the answer section in out[0..*n) (0 of
 * them for NXDOMAIN or no data), or -ETIMEDOUT/-EIO/-EINVAL with the
 * reason in why.
 */
int dnscheck_query(const char *server, const char *name, int family, unsigned timeout,
                   addr_t *out, size_t *n, char *why, size_t whylen);

/*
 * Parses a DNS reply to the query with id, collecting A or AAAA rdata
 * (per family) of the answer section. For the unit tests and for
 * dnscheck_query(). Returns 0, or -EINVAL when the reply is malformed or
 * not a successful answer (SERVFAIL, REFUSED, wrong id).
 */
int dnscheck_parse(const unsigned char *msg, size_t len, unsigned id, int family, addr_t *out,
                   size_t *n);
