/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The append-only audit log of administrative actions, tamper-evident:
 * every row's hash (BLAKE2b-256) covers its own fields and the previous
 * row's hash, so editing, deleting or reordering a row breaks the chain at
 * that row. Written by the writer thread only; verified by any reader.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

#define AUDIT_HASH_LEN 32

typedef struct {
	int64_t id;
	int64_t time;
	char actor[128];         /* who: "ddnsctl uid=0", "api user alice", ... */
	char action[64];         /* what: "host.suspend", "user.add", ... */
	char target[256];        /* which object */
	char reason[512];        /* why, as given */
	char evidence[512];      /* reference to evidence (report id, URL) */
	uint8_t prev[AUDIT_HASH_LEN];
	uint8_t hash[AUDIT_HASH_LEN];
} db_audit_t;

/* Appends a row: fills id, prev and hash. Inside the caller's transaction. */
int db_audit_append(db_t *db, db_audit_t *a);

/* Inserts a row exactly as given (id, prev and hash included): imports
 * into an empty log, where the chain then verifies as it did before. */
int db_audit_insert_raw(db_t *db, const db_audit_t *a);

/* Rows in order; fn's non-zero return stops and is returned. */
int db_audit_foreach(db_t *db, int (*fn)(const db_audit_t *a, void *ctx), void *ctx);

/*
 * Checks the whole chain. Returns 0 when intact (and the head hash in head,
 * if not NULL, and the row count in *rows), or DDNS_EMALF with *bad_id the
 * first row that is altered, missing after its predecessor, or out of
 * order, and a reason in why.
 */
int db_audit_verify(db_t *db, int64_t *rows, uint8_t head[AUDIT_HASH_LEN], int64_t *bad_id,
                    char *why, size_t whylen);
