/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Outgoing zone transfers (AXFR, IXFR) to secondaries. The TCP thread
 * hands over a connection whose query is a transfer (dns_xfr_cb); a
 * transfer thread with its own read-only database connection checks the
 * zone's allow-transfer list (addresses, or TSIG keys verified with
 * libknot) and streams the answer from one read transaction, so it is one
 * consistent serial however the zone changes meanwhile: AXFR from the
 * records, IXFR as the condensed difference from the journal (or as an AXFR
 * when the journal no longer reaches the secondary's serial). Messages are
 * TSIG-signed when the query was.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/conf.h"

typedef struct xfr xfr_t;

int xfr_new(const conf_t *conf, xfr_t **out, char *err, size_t errlen);
void xfr_free(xfr_t *x);

/* Uses conf for transfers that start from now on (SIGHUP); the old one
 * must stay valid until xfr_free. */
void xfr_set_conf(xfr_t *x, const conf_t *conf);

/* dns_xfr_cb: queues the connection for the transfer thread. */
void xfr_handoff(int fd, const uint8_t *query, size_t len, const uint8_t *pending,
                 size_t pending_len, const struct sockaddr_storage *peer, void *ctx);

/* Transfers served since start (for tests and status). */
void xfr_counts(xfr_t *x, uint64_t *axfr, uint64_t *ixfr, uint64_t *refused);
