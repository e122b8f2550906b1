/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The auth threads: password verifications that miss the cache. Each
 * thread has its own read-only database connection to fetch the user's
 * argon2id string and may spend tens of milliseconds on argon2id; the event
 * loops never do. (Host tokens need no such thread: their hash is cheap and
 * the writer checks it.) The number of
 * threads is the cap on concurrent hashing; a full queue answers -EBUSY
 * (503) at once rather than queueing unbounded work.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "http/http_int.h"
#include "lib/errors.h"
#include "lib/hostname.h"
#include "store/account.h"

static int verify_password(authpool_t *p, db_t *db, http_job_t *job);

#define QUEUE_MAX 256

struct authpool {
	authcache_t *cache;
	authcache_gate_t *gate;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	http_job_t *head, *tail;
	unsigned queued;
	bool stopping;
	unsigned nthreads;
	pthread_t *threads;
	db_t **dbs;
	const conf_t *conf;
	char dummy[AUTH_PWHASH_MAX];   /* a hash to verify unknown users against */
};

static uint64_t mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

int authpool_verify_password(authpool_t *p, db_t *db, http_job_t *job)
{
	return verify_password(p, db, job);
}

static int verify_password(authpool_t *p, db_t *db, http_job_t *job)
{
	db_user_t u;
	int ret = db_user_get(db, job->user, &u);
	if (ret == DDNS_ENOENT || (ret == 0 && u.disabled)) {
		/* Same cost as a wrong password, so a name's existence does not
		 * show in the timing. */
		auth_password_verify(p->dummy, job->secret, job->secret_len);
		return DDNS_EAUTH;
	}
	if (ret != 0)
		return -EIO;
	return auth_password_verify(u.pwhash, job->secret, job->secret_len);
}

static void *run(void *arg)
{
	authpool_t *p = ((void **)arg)[0];
	db_t *db = ((void **)arg)[1];
	free(arg);
	pthread_setname_np(pthread_self(), "ddnsd-auth");
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		http_job_t *job = p->head;
		if (job == NULL) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		pthread_mutex_unlock(&p->mu);

		if (job->work != NULL) {
			/* The JSON API: authentication and reads need the
			 * database; the job posts itself back when done. */
			job->work(db, job);
			continue;
		}
		int ret = verify_password(p, db, job);
		if (ret == 0) {
			char principal[300];
			snprintf(principal, sizeof(principal), "u:%s", job->user);
			authcache_put(p->cache, principal, job->secret, job->secret_len, 0, mono());
		}
		job->auth_result = ret;
		http_job_post(job);
	}
	return NULL;
}

int authpool_submit(authpool_t *p, http_job_t *job)
{
	pthread_mutex_lock(&p->mu);
	if (p->queued >= QUEUE_MAX) {
		pthread_mutex_unlock(&p->mu);
		return -EBUSY;
	}
	job->next = NULL;
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->queued++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int authpool_new(const conf_t *conf, authcache_t *cache, authcache_gate_t *gate,
                 authpool_t **out, char *err, size_t errlen)
{
	authpool_t *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->cache = cache;
	p->gate = gate;
	p->conf = conf;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	char random[33];
	auth_random_id(random, sizeof(random));
	if (auth_password_hash(random, strlen(random), p->dummy) != 0) {
		free(p);
		return -ENOMEM;
	}
	p->threads = calloc(conf->auth_threads, sizeof(*p->threads));
	p->dbs = calloc(conf->auth_threads, sizeof(*p->dbs));
	if (p->threads == NULL || p->dbs == NULL) {
		authpool_free(p);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < conf->auth_threads; i++) {
		int ret = db_open(conf->database, 0, &p->dbs[i], err, errlen);
		if (ret != 0) {
			authpool_free(p);
			return ret;
		}
		void **arg = malloc(2 * sizeof(void *));
		if (arg == NULL) {
			authpool_free(p);
			return -ENOMEM;
		}
		arg[0] = p;
		arg[1] = p->dbs[i];
		if ((ret = pthread_create(&p->threads[i], NULL, run, arg)) != 0) {
			free(arg);
			authpool_free(p);
			return -ret;
		}
		p->nthreads++;
	}
	*out = p;
	return 0;
}

void authpool_free(authpool_t *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	for (unsigned i = 0; p->dbs && i < p->conf->auth_threads; i++)
		db_close(p->dbs[i]);
	free(p->threads);
	free(p->dbs);
	free(p);
}
