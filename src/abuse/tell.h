/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Telling people what the abuse desk did: a host's owner about their host,
 * a reporter about their report. The messages are queued in the outbox
 * table inside the caller's transaction, so a decision and the message about
 * it commit (or roll back) together; the outbox thread (outbox.h) delivers
 * them later. Channels, from the configuration:
 *
 *   smtp-relay            set: an email to the owner's address (users.email)
 *                         or to a reporter's contact when it is an address
 *   notification-webhook  set: a JSON event for every message, to that URL:
 *                         {"event", "host", "user", "reason", "report", "time"}
 *
 * With neither set nothing is queued. Writer thread only (inside an
 * operation; see upd/writer.h).
 */
#pragma once

#include "store/account.h"
#include "upd/writer.h"

/*
 * The events told to an owner (the webhook's "event" is the same word):
 *
 *   suspended        the host was suspended (by an operator, provisionally
 *                    on a trusted report, or by a heuristic)
 *   confirmed        an operator confirmed a provisional suspension
 *   resumed          an operator lifted the suspension
 *   expired          a provisional suspension ran out unconfirmed; resumed
 *   report-rejected  a report about the host was found to need no action
 *                    (a provisional suspension on it is lifted)
 *   appeal-received  the owner's appeal was recorded; an operator will look
 *   appeal-granted   the appeal succeeded; the host is resumed
 *   appeal-denied    the appeal failed; the suspension stays
 *
 * Any other word is sent with a generic text naming it, never an error, so
 * a new event in the desk cannot fail the decision it describes.
 */

/*
 * Queues the messages about event for h's owner. reason: the operator's
 * reason or outcome (NULL or "": none); ref: the public report ID the event
 * is about (NULL or "": none). The email goes to the owner's address if they
 * have one that looks like one. Returns 0 (also when nothing was queued) or
 * a database error, which should fail the caller's operation.
 */
int tell_owner(wctx_t *w, const db_host_t *h, const char *event, const char *reason,
               const char *ref);

/*
 * Queues the messages about report ref (about host, now in status, with the
 * operator's outcome, NULL or "" for none) for its reporter: an email when
 * contact is an email address, and the webhook event "report-<status>"
 * (whatever contact is). Returns as tell_owner().
 */
int tell_reporter(wctx_t *w, const char *contact, const char *ref, const char *host,
                  const char *status, const char *outcome);

/* Whether s looks like a deliverable email address (one '@', a dot in the
 * domain, no spaces, controls, quotes or angle brackets). Any thread. */
bool tell_is_address(const char *s);
