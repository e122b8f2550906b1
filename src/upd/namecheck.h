/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rules a new host name must pass, in one place: the writer applies them
 * when it creates a host (op_host_add), and the JSON API's availability check
 * (GET /api/v1/names/FQDN) and the dashboard's as-you-type check ask the same
 * question on an auth thread with its read-only connection. Any thread, with
 * a db_t that thread owns.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/hostname.h"
#include "store/db.h"

/* A why buffer of this size holds every reason namecheck gives. */
#define NAMECHECK_WHY_MAX 320

/*
 * May user (a user id; 0 for nobody in particular) create the host in (as
 * typed: any case, Unicode, a final dot)? In order: the syntax of a host
 * name and its length, a zone this server serves (and not its apex), the
 * reserved labels (built in and `reserved`), labels that look like a
 * `brand-words` entry, names held after a deletion (a previous owner may
 * take back a name that was not suspended), and names taken by a host or by
 * the zone's own records.
 *
 * Returns 0 with the normalised name in fqdn (HOSTNAME_BUF bytes) and its
 * zone in *zone (owned by conf). Otherwise one sentence for the user in why
 * and: -EINVAL (not a valid host name, or a zone's apex), DDNS_ENOZONE (not
 * in a service zone), DDNS_ERESERVED (reserved, a look-alike, or held),
 * DDNS_EEXIST (taken), DDNS_EDB (the database failed).
 */
int namecheck(db_t *db, const conf_t *conf, int64_t now, const char *in, int64_t user,
              char fqdn[HOSTNAME_BUF], const conf_zone_t **zone, char *why, size_t whylen);
