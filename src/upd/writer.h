/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The single writer. Every change to the database, from the control socket
 * now and from HTTP and RFC 2136 later, is a request queued here. One thread
 * takes whatever is queued, applies each request inside a savepoint of one
 * transaction (a request that fails leaves the others alone), gives every
 * changed zone the next SOA serial and a journal entry, COMMITs with
 * synchronous=FULL, and only then publishes the new nodes to the in-memory
 * zones and completes the requests. While one batch is being made durable
 * the next one gathers: that is the group commit, and no request ever waits
 * for company. If COMMIT fails, every request of that batch fails and
 * nothing is published.
 *
 * Threads: writer_submit() from any thread; the done callback runs on the
 * writer thread and must not block (hand the result to your own thread).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/zone.h"
#include "lib/conf.h"
#include "store/db.h"

typedef struct writer writer_t;
typedef struct wctx wctx_t;
typedef struct wreq wreq_t;

/* An operation: runs on the writer thread inside a savepoint. Returns 0, or
 * an error with a one-line reason in r->msg (then its changes are undone).
 * It reports the names it changed with wctx_touch(). */
typedef int (*wop_fn)(wctx_t *w, wreq_t *r);

struct wreq {
	wop_fn op;
	void *args;              /* the operation's input, owned by the submitter */
	int status;              /* result: 0 or an error */
	char msg[256];           /* one-line reason when status != 0 */
	json_t *result;          /* optional output; the submitter frees it */
	bool changed;            /* the operation changed something */
	void (*done)(wreq_t *r); /* called once, on the writer thread */
	void *ctx;               /* for the submitter */
	wreq_t *next;            /* queue link, writer-internal */
};

/*
 * Creates the writer over db (which it then owns and uses alone), the
 * configuration and the published zone set (*zones, which it reads and, on
 * changes, updates in place). Returns 0 or an error.
 */
int writer_new(db_t *db, const conf_t *conf, zoneset_t **zones, writer_t **out);
int writer_start(writer_t *w);
/* Finishes every queued request, then stops the thread. */
void writer_stop(writer_t *w);
void writer_free(writer_t *w);

/*
 * Applies a new configuration (SIGHUP) between two batches: the zones are
 * rebuilt with its zone settings and published. The list of zones must be
 * the same. Waits for it. The writer uses conf from then on; the old one
 * must stay valid until writer_free. 0 or an error with a reason in err.
 */
int writer_reconfigure(writer_t *w, const conf_t *conf, char *err, size_t errlen);

/* Tells n about the zones' serials now and every serial the writer
 * publishes (NULL: nobody). Before writer_start. */
struct notifier;
void writer_set_notifier(writer_t *w, struct notifier *n);

/* The published zone set (read it under rcu_read_lock with
 * rcu_dereference; only the writer replaces it). */
zoneset_t **writer_zones(writer_t *w);

/* Queues r. Thread-safe; never blocks on the database. */
void writer_submit(writer_t *w, wreq_t *r);

/* Queues op with a copy of args (len bytes) for nobody to wait for: its
 * result is dropped. Thread-safe. -ENOMEM (nothing queued) when out of
 * memory. */
int writer_post(writer_t *w, wop_fn op, const void *args, size_t len);

/* Runs r and waits for it (for callers without their own event loop). */
void writer_call(writer_t *w, wreq_t *r);

/* Host updates that changed something, committed since start (the status
 * page's updates per second). Any thread. */
uint64_t writer_updates(const writer_t *w);

/* ---- for operations (writer thread) ---- */

db_t *wctx_db(wctx_t *w);
const conf_t *wctx_conf(wctx_t *w);
int64_t wctx_now(wctx_t *w);

/* The zone id in the database of configured zone zc. */
int64_t wctx_zone_id(wctx_t *w, const conf_zone_t *zc);

/* Marks the records of owner (relative name in zone zone_id) as changed:
 * its node is rebuilt from the database and published after COMMIT. */
int wctx_touch(wctx_t *w, int64_t zone_id, const uint8_t *owner, size_t ownerlen);

/* Marks a whole zone to be rebuilt from the database (imports). */
int wctx_touch_zone(wctx_t *w, int64_t zone_id);

/* Counts one applied host update (writer_updates), undone with the
 * request or batch if it fails. */
void wctx_count_update(wctx_t *w);

/* Runs the operation sub inside a nested savepoint: if it fails, its SQL
 * and the names it touched are undone, and the caller's request goes on.
 * Returns sub's status. */
int wctx_run(wctx_t *w, wreq_t *sub);

/* Makes serial the zone's next serial when it is ahead of the current one
 * (imports keep the serial they had); otherwise the next one is as usual. */
int wctx_set_serial(wctx_t *w, int64_t zone_id, uint32_t serial);
