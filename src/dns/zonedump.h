/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writing a zone from the store as an RFC 1035 master file, in canonical
 * order with the SOA first: exactly what the zone serves. Writer thread or
 * a tool; the zone must not change meanwhile.
 */
#pragma once

#include <stdio.h>

#include "dns/zone.h"

/* Writes z to out. Returns 0, -ENOMEM or -EIO. */
int zonedump_write(const zone_t *z, FILE *out);
