/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a host publishes, written as records into the database: A, AAAA,
 * TXT and MX at its name, A and AAAA at "*.name" when it has a wildcard,
 * TXT at "_acme-challenge.name" for ACME DNS-01. Its state decides: an
 * offline host has no addresses, a suspended host answers as the zone's
 * `suspended` setting says (nothing, or the sinkhole addresses). Records of
 * other types at these names (imported ones) are left alone. Writer thread.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "store/account.h"

#define HOSTRR_OWNERS 3

typedef struct {
	uint8_t rel[255];
	uint8_t len;
} hostrr_owner_t;

/* Fills the three owner names of h (host, wildcard, ACME). 0 or -EINVAL
 * when a derived name would be too long. */
int hostrr_owners(const db_host_t *h, hostrr_owner_t out[HOSTRR_OWNERS]);

/*
 * Replaces the managed records of h at its owners with what it publishes
 * now. old: the host as it was (NULL for a new host or a deletion), so that
 * owners whose records cannot have changed are left alone. remove: publish
 * nothing (the host is being deleted). *touched gets a bit per owner
 * (index in hostrr_owners) whose records were rewritten.
 */
int hostrr_write(db_t *db, const db_host_t *h, const db_host_t *old, const conf_zone_t *zc,
                 bool remove, unsigned *touched);

/* Longest host name that leaves room for "_acme-challenge." below it. */
#define HOSTRR_NAME_MAX (253 - 16)
