/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Job queue with its own thread; see jobq.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/jobq.h"

static void *run(void *arg)
{
	jobq_t *q = arg;
	pthread_setname_np(pthread_self(), q->name);
	if (q->enter)
		q->enter();
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (q->head == NULL && !(q->stopping && q->expected <= 0))
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stopping && q->expected <= 0) {
			/* What is still queued is for jobq_stop's discard. */
			pthread_mutex_unlock(&q->mu);
			break;
		}
		jobq_item_t *it = q->head;
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		it->next = NULL;
		q->fn(it, q->ctx);
	}
	if (q->leave)
		q->leave();
	return NULL;
}

int jobq_start(jobq_t *q, const char *name, jobq_fn fn, void *ctx)
{
	return jobq_start_hooks(q, name, fn, ctx, NULL, NULL);
}

int jobq_start_hooks(jobq_t *q, const char *name, jobq_fn fn, void *ctx, void (*enter)(void),
                     void (*leave)(void))
{
	memset(q, 0, sizeof(*q));
	q->enter = enter;
	q->leave = leave;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->fn = fn;
	q->ctx = ctx;
	snprintf(q->name, sizeof(q->name), "%s", name);
	int ret = pthread_create(&q->thread, NULL, run, q);
	if (ret != 0)
		return -ret;
	q->running = true;
	return 0;
}

void jobq_push(jobq_t *q, jobq_item_t *item)
{
	item->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = item;
	else
		q->head = item;
	q->tail = item;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void jobq_expect(jobq_t *q, int delta)
{
	pthread_mutex_lock(&q->mu);
	q->expected += delta;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void jobq_stop(jobq_t *q, jobq_fn discard)
{
	if (!q->running)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	q->running = false;
	while (q->head) {
		jobq_item_t *it = q->head;
		q->head = it->next;
		if (discard)
			discard(it, q->ctx);
	}
	q->tail = NULL;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}
