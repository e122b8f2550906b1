/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Domain-name helpers shared by the configuration, the store and the
 * commands: presentation-format checks and conversion to the lower-case wire
 * form the zone store keys on. No state; any thread.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define NAME_WIRE_MAX 255

/*
 * Checks a presentation-format domain name (no final dot needed): labels of
 * 1..63 characters, total wire length <= 255, printable ASCII without
 * spaces, quotes or backslashes. Returns 0 or -EINVAL.
 */
int name_check_text(const char *name);

/*
 * Converts presentation name to lower-case wire format in out (>= 255 bytes).
 * Returns the wire length (> 0) or -EINVAL.
 */
int name_to_wire(const char *name, uint8_t *out);

/*
 * Given the lower-case wire form of a name and of a zone apex, returns the
 * length of the part of name below the apex (0 for the apex itself), or -1
 * when name is not at or below the apex.
 */
int name_rel_len(const uint8_t *name, size_t name_len, const uint8_t *apex, size_t apex_len);

/* Number of labels in a wire name (the root has 0). */
unsigned name_labels(const uint8_t *name);
