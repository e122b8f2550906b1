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
#include <libknot/libknot.h>

#include "lib/conf.h"
#include "lib/net.h"

typedef struct xfr xfr_t;

/* notifier (or NULL) hears of each transfer that ended behind the zone. */
struct notifier;
int xfr_new(const conf_t *conf, struct notifier *notifier, xfr_t **out, char *err, size_t errlen);
void xfr_free(xfr_t *x);

/* Uses conf for transfers that start from now on (SIGHUP); the old one
 * must stay valid until xfr_free. */
void xfr_set_conf(xfr_t *x, const conf_t *conf);

/* dns_xfr_cb: queues the connection for the transfer thread. */
void xfr_handoff(int fd, const uint8_t *query, size_t len, const uint8_t *pending,
                 size_t pending_len, const struct sockaddr_storage *peer, void *ctx);

/* Transfers served since start (ddnsctl status). */
void xfr_counts(xfr_t *x, uint64_t *axfr, uint64_t *ixfr, uint64_t *refused);

/*
 * The last transfer each secondary took of each zone, for an operator to
 * see whether the secondaries keep up (ddnsctl status). A secondary is its
 * address (without the port, which is new for each connection) and TSIG
 * key; the XFR_PEERS_MAX most recent are kept.
 */
#define XFR_PEERS_MAX 64
typedef struct {
	char zone[KNOT_DNAME_TXT_MAXLEN + 1];
	char addr[NET_ADDR_TEXT];
	char key[KNOT_DNAME_TXT_MAXLEN + 1];   /* "" without TSIG */
	const char *type;          /* "AXFR", "IXFR", or "IXFR-current" (only the SOA) */
	uint32_t from;             /* IXFR: the serial the secondary had */
	uint32_t serial;           /* the serial it was sent */
	int64_t when;              /* unix time */
	uint64_t count;            /* transfers by this secondary of this zone */
} xfr_peer_t;

/* Copies up to max records, most recent first; returns how many. */
size_t xfr_peers(xfr_t *x, xfr_peer_t *out, size_t max);
