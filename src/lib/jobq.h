/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A FIFO of jobs served by one thread of its own: the transfer and update
 * threads are built on it. Jobs embed a jobq_item_t. jobq_push from any
 * thread; the handler runs on the queue's thread. jobq_expect counts jobs
 * that are elsewhere and will be pushed back (an update waiting for the
 * writer): the thread does not end while any is out.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>

typedef struct jobq_item {
	struct jobq_item *next;
} jobq_item_t;

typedef void (*jobq_fn)(jobq_item_t *item, void *ctx);

typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	jobq_item_t *head, *tail;
	int expected;
	bool stopping, running;
	pthread_t thread;
	jobq_fn fn;
	void *ctx;
	void (*enter)(void);       /* run on the thread first and last (may be */
	void (*leave)(void);       /* NULL): e.g. RCU reader registration */
	char name[16];
} jobq_t;

/* Starts the thread (named name, at most 15 characters) that calls fn for
 * every job. 0 or a negative errno. */
int jobq_start(jobq_t *q, const char *name, jobq_fn fn, void *ctx);

/* The same, with functions the thread calls when it starts and ends. */
int jobq_start_hooks(jobq_t *q, const char *name, jobq_fn fn, void *ctx, void (*enter)(void),
                     void (*leave)(void));

/* Appends a job. Any thread. */
void jobq_push(jobq_t *q, jobq_item_t *item);

/* Adds delta to the count of jobs expected back (any thread). */
void jobq_expect(jobq_t *q, int delta);

/* Stops the thread once no job is expected back; jobs still queued are
 * given to discard (may be NULL) instead of fn. Safe on a queue that was
 * never started (zeroed). */
void jobq_stop(jobq_t *q, jobq_fn discard);
