/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Rates for the status page; see stats.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/stats.h"

#define WINDOW 10                /* seconds the rates are over */
#define RING (WINDOW + 2)        /* one sample a second, and some slack */

typedef struct {
	double t;                    /* CLOCK_MONOTONIC seconds */
	uint64_t queries, updates;
} sample_t;

struct stats {
	const dns_server_t *dns;
	const writer_t *writer;
	double start;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* CLOCK_MONOTONIC */
	bool stop;
	sample_t ring[RING];         /* under mu */
	unsigned next, count;
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static sample_t take(const stats_t *s)
{
	sample_t x = { mono(), dns_server_queries(s->dns), writer_updates(s->writer) };
	return x;
}

static void *run(void *arg)
{
	stats_t *s = arg;
	pthread_setname_np(pthread_self(), "ddnsd-stats");
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (s->stop)
			break;
		s->ring[s->next] = take(s);
		s->next = (s->next + 1) % RING;
		if (s->count < RING)
			s->count++;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int stats_new(const dns_server_t *dns, const writer_t *writer, stats_t **out)
{
	stats_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->dns = dns;
	s->writer = writer;
	s->start = mono();
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* The first sample is the start: the first rates are over the time
	 * since then. */
	s->ring[0] = take(s);
	s->next = s->count = 1;
	int ret = pthread_create(&s->thread, NULL, run, s);
	if (ret != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return -ret;
	}
	*out = s;
	return 0;
}

void stats_free(stats_t *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void stats_get(stats_t *s, stats_now_t *out)
{
	memset(out, 0, sizeof(*out));
	sample_t now = take(s), base = now;
	pthread_mutex_lock(&s->mu);
	/* The oldest sample still inside the window. */
	for (unsigned i = 0; i < s->count; i++) {
		const sample_t *x = &s->ring[(s->next + RING - s->count + i) % RING];
		if (now.t - x->t <= WINDOW + 0.5) {
			base = *x;
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	double dt = now.t - base.t;
	if (dt > 0.001) {
		out->queries_per_second = (double)(now.queries - base.queries) / dt;
		out->updates_per_second = (double)(now.updates - base.updates) / dt;
		out->window = dt;
	}
	out->queries = now.queries;
	out->updates = now.updates;
	out->uptime = (int64_t)(now.t - s->start);
}
