/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The checkpointer: copies committed WAL frames into the database file on
 * a thread and connection of its own, so that the writer's COMMIT (and
 * with it every acknowledgement) never waits for a checkpoint's page
 * copies and fsync. At 1,000,000 hosts a checkpoint writes about a
 * thousand scattered pages and syncs the file: tens of milliseconds that
 * SQLite's automatic checkpoint spends inside the COMMIT that crosses its
 * threshold. It changes no data: only where committed pages live. The
 * writer turns the automatic checkpoint off and pokes this thread after
 * each COMMIT; at most CKPT_PER_SECOND checkpoints run a second, each
 * copying what the commits since the last one added. Under a steady load
 * the WAL would never start over on its own (db_checkpoint says why): once
 * it is wal_limit long and all copied, this thread says so and
 * the writer restarts it between two batches (db_wal_restart), which
 * copies only what the last batch or two added and syncs the database
 * file: a pause of the writer of about 10 ms at 1,000,000 hosts here, so
 * the limit is large enough (256 MiB by default: every few seconds at
 * 10,000 changes a second) that few acknowledgements wait for one. The
 * file is reused from its start, never cut shorter: on a disk mounted
 * with online discard, cutting hundreds of MB stalled COMMIT for tenths
 * of a second.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ckpt ckpt_t;

#define CKPT_PER_SECOND 10

/* Opens its own connection to path and starts the thread; a WAL of
 * wal_limit bytes or more is to be restarted. 0 or an error (with a
 * reason in err). */
int ckpt_start(const char *path, uint64_t wal_limit, ckpt_t **out, char *err, size_t errlen);

/* After a COMMIT: frames were added to the WAL. Any thread; never blocks
 * for long (a mutex held only to count). */
void ckpt_poke(ckpt_t *c);

/* The writer, between batches: true once (then false until it is so
 * again) when the WAL should be restarted. */
bool ckpt_take_restart(ckpt_t *c);

/* Stops the thread and closes its connection (NULL: nothing). */
void ckpt_stop(ckpt_t *c);
