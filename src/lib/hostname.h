/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Host names that users register: turning what a user typed (any case,
 * Unicode, a final dot, spaces around) into the one lower-case ASCII form we
 * store, explaining refusals in words a user understands, finding the zone a
 * name belongs to, and refusing reserved names. Stricter than name.h, which
 * accepts any DNS name: these are host names (letters, digits, hyphens).
 * No state; any thread.
 */
#pragma once

#include <stddef.h>

#include "lib/conf.h"
#include "lib/errors.h"

/* Longest normalised name (no final dot) and a buffer that holds it. */
#define HOSTNAME_MAX 253
#define HOSTNAME_BUF (HOSTNAME_MAX + 1)
/* A why buffer of this size is never truncated for names up to HOSTNAME_MAX. */
#define HOSTNAME_WHY_MAX 160

/*
 * Normalises the host name in (NUL-terminated UTF-8, as a user typed it):
 * strips surrounding white space and one final dot; converts labels with
 * non-ASCII characters to punycode A-labels with libidn2 (IDNA2008 with
 * UTS #46 non-transitional mapping, input NFC-normalised); lower-cases; then
 * checks every label: 1..63 characters of letters, digits and hyphens, not
 * starting or ending with a hyphen, no "--" in the third and fourth place
 * except a valid "xn--" A-label; and the whole name at most 253 characters.
 * Underscores are refused: host names never have them.
 * On success returns 0 with the name in out (outlen bytes, HOSTNAME_BUF
 * suffices). Otherwise returns -EINVAL and writes into why (whylen bytes; may
 * be NULL/0) one sentence for the user, e.g. "label 'foo_bar' contains '_';
 * use letters, digits and hyphens"; or DDNS_ESPACE when out is too small.
 */
int hostname_normalize(const char *in, char *out, size_t outlen, char *why, size_t whylen);

/*
 * Finds the configured zone that fqdn (normalised, as hostname_normalize
 * makes it) is under, the longest one when zones nest, and copies the part
 * of fqdn below the zone into label (labellen bytes): "alice" for
 * "alice.dyn.example" under zone "dyn.example", "www.alice" for
 * "www.alice.dyn.example". Returns 0 and the zone in *zone (owned by conf);
 * DDNS_ENOZONE when fqdn is in no configured zone; DDNS_ERESERVED when fqdn
 * is the apex of its zone; DDNS_ESPACE when label is too small.
 */
int hostname_split(const char *fqdn, const conf_t *conf, const conf_zone_t **zone,
                   char *label, size_t labellen);

/*
 * Checks a name relative to its zone (as hostname_split returns it) against
 * reserved (n names, compared case-insensitively). The label compared is the
 * one directly under the zone, i.e. the rightmost: "admin" and "x.admin" are
 * refused when "admin" is reserved, "admin.alice" is not (that is alice's own
 * name). Also refused anywhere in the name: a "*" label, and an "xn--" label
 * that is not a valid A-label (it must decode and re-encode to itself).
 * Returns 0 or DDNS_ERESERVED.
 */
int hostname_check_reserved(const char *label, const char *const *reserved, size_t n);

/*
 * Names reserved by default (service and administrative names that would let
 * a user impersonate the operator, or that clients look up automatically:
 * wpad, autodiscover, isatap). The configuration may add to it.
 */
extern const char *const hostname_reserved_default[];
extern const size_t hostname_reserved_default_count;
