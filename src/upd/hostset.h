/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reading a host change from JSON, the same for `ddnsctl host set` (the
 * control socket) and `PATCH /api/v1/hosts/NAME` (the JSON API): keys ipv4,
 * ipv6 ("" or "none" clear them), ttl, txt (array), acme_add, acme_del,
 * mx, mx_pref, wildcard, offline. Any thread; no state.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "upd/ops.h"

/* Fills the change fields of a (not fqdn, user, src, client) from args.
 * Returns 0, or -EINVAL with a sentence for the user in err. */
int hostset_parse(const json_t *args, op_host_update_t *a, char *err, size_t errlen);
