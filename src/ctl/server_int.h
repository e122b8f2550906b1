/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by ctl/server.c and ctl/commands.c only: calls and writer jobs. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "abuse/desk.h"
#include "ctl/server.h"
#include "store/db.h"
#include "upd/ops.h"

typedef struct ctl_job ctl_job_t;

struct ctl_job {
	wreq_t req;
	void *conn;                  /* the connection to answer */
	uint64_t gen;                /* its generation, in case it closed */
	/* Extra fields for the reply that must never reach the writer or the
	 * log: a new token, a TSIG secret. */
	json_t *extra;
	union {
		op_user_add_t user_add;
		op_user_del_t user_del;
		op_user_admin_t user_admin;
		op_host_add_t host_add;
		op_host_update_t host_update;
		op_host_state_t host_state;
		op_host_del_t host_del;
		op_token_add_t token_add;
		op_tsig_add_t tsig_add;
		op_abuse_decide_t abuse_decide;
		op_reporter_t reporter;
		op_account_t account;
		op_audit_note_t note;
		json_t *import;
	} a;
	db_host_t host;              /* a host update's result (a.host_update.out) */
	ctl_job_t *next;
};

typedef struct {
	const conf_t *conf;
	db_t *rdb;                   /* read-only connection */
	zoneset_t *const *zones;
	xfr_t *xfr;                  /* transfers served, or NULL */
	notifier_t *notifier;        /* NOTIFYs sent, or NULL */
	json_t *args;                /* the request's "args" object (borrowed) */
	char actor[128];             /* who asked, for the audit log */
	json_t *result;              /* a reply for reads */
	ctl_job_t *job;              /* or a change for the writer */
	char err[512];
} ctl_call_t;

typedef int (*ctl_handler_t)(ctl_call_t *c);

/* Handlers that live in files of their own. */
int ctl_cmd_outbox(ctl_call_t *c);            /* outboxcmd.c */

/* The handler of command name, or NULL. */
ctl_handler_t ctl_command(const char *name);

/* A job for op; the handler fills job->a and points req.args at it. */
ctl_job_t *ctl_job_new(wop_fn op);
void ctl_job_free(ctl_job_t *j);
