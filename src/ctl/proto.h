/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control-socket protocol shared by ddnsd and ddnsctl: one JSON object
 * per line over a UNIX stream socket (mode 0600, so only its owner may
 * speak). A request is {"v":1, "cmd":"host.add", "args":{...}}; a reply is
 * {"v":1, "ok":true, "result":...} or {"v":1, "ok":false, "error":"reason"}.
 * A server answers a request of another version with an error naming the
 * versions it speaks. Any thread; no state.
 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#define CTL_VERSION 1
#define CTL_LINE_MAX (64 * 1024 * 1024)   /* an import may be large */

/* Connects to the socket at path; fd or -errno. */
int ctl_connect(const char *path);

/* Sends obj as one line (blocking). 0 or -errno. */
int ctl_send(int fd, const json_t *obj);

/* Reads one line (blocking) and parses it; NULL on EOF or error. */
json_t *ctl_recv(int fd);

/* Builds the reply objects. result/err may be NULL. Steals result. */
json_t *ctl_reply_ok(json_t *result);
json_t *ctl_reply_err(const char *err);
