/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `ddnsctl outbox [--pending] [--limit N]`: the notification outbox, newest
 * first. The server side (ctl_cmd_outbox, declared in server_int.h) answers
 * from the control thread's read-only connection; this is ddnsctl's printer.
 */
#pragma once

#include <jansson.h>

/* One line per message: id, created, kind, recipient, attempts, where it
 * stands (delivered at, or pending with the next try and the last error),
 * subject. */
void outboxcmd_print(const json_t *result);
