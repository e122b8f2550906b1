/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The HTTP side of ddnsd, on the h2o library with its own event loop:
 * `http-threads` event-loop threads, each with its own SO_REUSEPORT
 * listener per `http-listen` address, serving the update dialects
 * (/nic/update, /v3/update, /update), /checkip and, later, the JSON API.
 * Handlers never block: a change goes to the writer, a password that is
 * not in the verification cache goes to the auth threads, and the reply is
 * sent from the request's own loop when the result comes back (h2o's
 * multithread queue). Created, started and stopped by the main thread.
 */
#pragma once

#include <stddef.h>

#include "lib/conf.h"
#include "upd/writer.h"

typedef struct http_server http_server_t;

/* Binds every listener (errors such as a busy port are reported now) and
 * prepares the threads. No http-listen: *out is NULL and 0 is returned. */
int http_server_new(const conf_t *conf, writer_t *writer, http_server_t **out, char *err,
                    size_t errlen);
int http_server_start(http_server_t *s);
/* Reads the dashboard's files (web-root) as start-up would, for
 * `ddnsd --check`; 0, or DDNS_ECONF with the reason in err. */
int http_check_web_root(const conf_t *conf, char *err, size_t errlen);
/* The status page's figures (stats.h); before http_server_start. */
struct stats;
void http_server_set_stats(http_server_t *s, struct stats *stats);
/* The secondaries' state for the status page (both may be NULL); before
 * http_server_start, and both outlive the server. */
struct xfr;
struct notifier;
void http_server_set_replication(http_server_t *s, struct xfr *xfr, struct notifier *notifier);
/* Opens the access log's file anew (after logrotate moved it) and puts it
 * in the place of the old one; lines gathered meanwhile go to the new
 * file. 0 (also without an access log), or -errno with the old file kept. */
int http_server_reopen_log(http_server_t *s);
/* Stops accepting, lets the loops finish, joins every thread. */
void http_server_stop(http_server_t *s);
void http_server_free(http_server_t *s);
