/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The outbox thread: delivers the messages tell.h queued, and keeps the
 * abuse desk's clock.
 *
 * Once a second it reads the messages that are due (its own read-only
 * database connection), delivers each with libcurl (email by SMTP to
 * smtp-relay, webhook events by HTTP POST to their URL, where only a 2xx
 * answer counts) and records the outcome through the writer
 * (op_outbox_mark). A message is kept until delivered: a failed attempt is
 * retried after 1 s, 2 s, 4 s ... at most an hour apart (outbox_backoff),
 * across restarts. Attempts are bounded (5 s to connect, 20 s in all) and
 * abandoned at once when the thread is asked to stop, so a stop never
 * waits for a slow relay.
 *
 * A second thread, the abuse desk's clock, submits op_abuse_tick
 * (abuse/desk.h) and op_accounts_tick (upd/ops.h) to the writer every 5
 * seconds, whatever the relays do;
 * that is why ddnsd always starts the outbox, channels configured or not.
 *
 * outbox_new/outbox_free from the main thread: after the writer has
 * started, and before it stops.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "upd/writer.h"

typedef struct outbox outbox_t;

/* Opens the read connection to conf->database and starts the threads. conf
 * and writer must outlive it. 0 and *out, or an error with a reason in err. */
int outbox_new(const conf_t *conf, writer_t *writer, outbox_t **out, char *err, size_t errlen);

/* Stops the threads (an attempt under way is abandoned and retried at the
 * next start) and frees o. NULL: nothing. */
void outbox_free(outbox_t *o);

/* Seconds before the next attempt after a message's attempts-th failed
 * attempt (1 for the first): 1, 2, 4, ... capped at 3600. */
int64_t outbox_backoff(int attempts);

/* One attempt's outcome. */
typedef struct {
	int64_t id;
	bool delivered;
	int64_t next_try;                /* failed: when to try again */
	char error[256];                 /* failed: why */
} outbox_result_t;

/* args of op_outbox_mark: n outcomes. */
typedef struct {
	const outbox_result_t *v;
	size_t n;
} op_outbox_mark_t;

/* Records delivery attempts (writer thread): delivered at now, or failed
 * with error and to be tried again at next_try. */
int op_outbox_mark(wctx_t *w, wreq_t *r);
