/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Dynamic updates, RFC 2136 with TSIG (RFC 8945). The DNS threads pass
 * UPDATE messages here (dns_update_cb); an update thread with a read-only
 * database connection checks the zone, the TSIG signature (keys made with
 * `ddnsctl tsig add KEY --host FQDN`), the freshness of the message (a
 * replay of a signed message is refused) and the key's scope (its own host
 * name and _acme-challenge.<host>, types A, AAAA and TXT), then hands the
 * prerequisites and changes to the writer, which evaluates and applies them
 * in one step as a host update (same durability and history as HTTP). The
 * reply, signed with the same key, is sent when the writer has committed
 * and published the change.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/conf.h"
#include "dns/query.h"
#include "dns/server.h"
#include "upd/writer.h"

typedef struct rfc2136 rfc2136_t;

/* zones and qc: what signed queries are answered from (as the DNS threads
 * do), by the update thread after it has checked the signature. */
int rfc2136_new(const conf_t *conf, writer_t *writer, zoneset_t *const *zones,
                const query_conf_t *qc, rfc2136_t **out, char *err, size_t errlen);
void rfc2136_free(rfc2136_t *u);
void rfc2136_set_conf(rfc2136_t *u, const conf_t *conf);

/* The DNS server that TCP connections are given back to once their
 * handed-over message is answered. */
void rfc2136_set_dns(rfc2136_t *u, dns_server_t *dns);

/* dns_update_cb */
void rfc2136_handoff(int fd, bool tcp, const uint8_t *msg, size_t len, const uint8_t *pending,
                     size_t pending_len, const uint8_t *rest, size_t rest_len,
                     const struct sockaddr_storage *peer, socklen_t peerlen, const dns_src_t *src,
                     void *ctx);
