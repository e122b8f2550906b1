/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsd's side of the control socket: one thread with an epoll loop. Reads
 * (lists, show, audit, export) are answered from its own read-only database
 * connection; changes are handed to the writer, and the reply is sent when
 * the writer has committed and published them. Created and stopped by the
 * main thread.
 */
#pragma once

#include <stddef.h>

#include "dns/zone.h"
#include "lib/conf.h"
#include "upd/notify.h"
#include "upd/writer.h"
#include "upd/xfr.h"

typedef struct ctl_server ctl_server_t;

/* Binds the socket at conf->control_socket (mode 0600; a stale socket file
 * is replaced, a live one is an error). 0 or an error with a reason. */
int ctl_server_new(const conf_t *conf, writer_t *writer, zoneset_t *const *zones,
                   ctl_server_t **out, char *err, size_t errlen);
int ctl_server_start(ctl_server_t *s);
/* Stops the thread; requests still with the writer are completed first. */
void ctl_server_stop(ctl_server_t *s);
void ctl_server_free(ctl_server_t *s);

/* Uses conf for the requests that start from now on (SIGHUP). The old
 * configuration must stay valid until the server is freed. */
void ctl_server_set_conf(ctl_server_t *s, const conf_t *conf);

/* Lets `status` show the transfers and NOTIFYs to secondaries. Before
 * ctl_server_start; both outlive the server. */
void ctl_server_set_replication(ctl_server_t *s, xfr_t *xfr, notifier_t *notifier);
