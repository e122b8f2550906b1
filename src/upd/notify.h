/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * NOTIFY (RFC 1996) to each zone's `notify` secondaries after a new serial
 * is published. Coalesced: only the newest serial is ever announced, at
 * most one NOTIFY per zone and secondary is outstanding, and a secondary
 * hears about a zone at most every 250 ms, so a burst of thousands of
 * updates costs a handful of NOTIFYs. Unanswered NOTIFYs are retried (2 s
 * apart, 5 times). Its own thread; notify_changed() from the writer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <libknot/libknot.h>

#include "lib/conf.h"

typedef struct notifier notifier_t;  /* struct notifier */

/* Nothing is sent for a zone before notify_changed() gave its serial. */
int notify_new(const conf_t *conf, notifier_t **out);
void notify_free(notifier_t *n);

/* Zone conf->zones[zone] now serves serial. Never blocks. */
void notify_changed(notifier_t *n, size_t zone, uint32_t serial);

/*
 * A transfer of zone (its name) to peer ended with serial. When the zone
 * has moved on meanwhile, the secondaries at peer's address (any port)
 * are notified again at once, even if they answered the NOTIFY of the
 * current serial, in case one did not act on a NOTIFY that came while it
 * transferred. From the transfer thread.
 */
void notify_transferred(notifier_t *n, const char *zone, const struct sockaddr_storage *peer,
                        uint32_t serial);

/*
 * The secondaries of conf (same zones as before; SIGHUP): those kept keep
 * their state, new ones are notified at once, removed ones no more. Called
 * from the thread that owns n.
 */
int notify_set_conf(notifier_t *n, const conf_t *conf);

/* NOTIFY messages sent and acknowledged so far. */
void notify_counts(notifier_t *n, uint64_t *sent, uint64_t *acked);

/* What one secondary was told (ddnsctl status). */
typedef struct {
	size_t zone;               /* index in the configuration's zones */
	conf_addr_t addr;
	char key[KNOT_DNAME_TXT_MAXLEN + 1];  /* the TSIG key NOTIFYs are signed with, or "" */
	bool answered;             /* it answered a NOTIFY since start */
	uint32_t answered_serial;  /* the serial of the last one it answered */
	uint32_t pending_serial;   /* tries > 0: the serial awaiting an answer */
	int tries;                 /* sent for pending_serial without an answer */
	uint8_t refused;           /* the rcode of its last answer if an error, else 0 */
	int64_t last_sent;         /* unix time of the last NOTIFY sent, 0: none */
} notify_target_t;

/* "NOTAUTH" for KNOT_RCODE_NOTAUTH, and so on. */
const char *notify_rcode_name(uint8_t rcode);

/* Copies up to max targets in configuration order; returns how many there
 * are (more than max: the rest were left out). */
size_t notify_targets(notifier_t *n, notify_target_t *out, size_t max);
