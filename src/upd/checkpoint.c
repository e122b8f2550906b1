/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The checkpointer thread; see checkpoint.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "store/db.h"
#include "upd/checkpoint.h"

/* Frames the writer may have to copy itself when it restarts the WAL. */
#define RESTART_LEFT 256

struct ckpt {
	db_t *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned pokes;            /* commits since the last checkpoint */
	atomic_bool restart;       /* the WAL is long and was all copied */
	int restart_frames;        /* what long is */
	bool stop;
};

/* Waits on the condition until stop or ms milliseconds (mutex held). */
static void pause_ms(ckpt_t *c, long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &ts) != ETIMEDOUT)
		;
}

static void *ckpt_run(void *arg)
{
	ckpt_t *c = arg;
	pthread_setname_np(pthread_self(), "ddnsd-ckpt");
	bool failing = false;
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		while (!c->stop && c->pokes == 0)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->pokes = 0;
		pthread_mutex_unlock(&c->mu);
		int frames = 0, done = 0;
		int ret = db_checkpoint(c->db, &frames, &done);
		/* Everything copied but the WAL long: the writer restarts it
		 * between two batches (ckpt_take_restart). What the writer
		 * then copies itself, and waits for, is what was committed
		 * since this copy ended: first make that little, copying
		 * again what came during the last copy while it is much. */
		if (ret == 0 && frames >= c->restart_frames && done == frames) {
			for (int round = 0, before = frames; ret == 0 && round < 4; round++) {
				ret = db_checkpoint(c->db, &frames, &done);
				if (frames - before < RESTART_LEFT)
					break;
				before = frames;
			}
			if (ret == 0 && done == frames)
				atomic_store(&c->restart, true);
		}
		/* -EBUSY: the writer is resetting the WAL after a failed
		 * commit. Busy or failing, try again after the pause. */
		if (ret != 0 && ret != -EBUSY && !failing)
			log_err("checkpoint failed: %s; retrying", db_errmsg(c->db));
		else if (ret == 0 && failing)
			log_info("checkpoints work again");
		if (ret != -EBUSY)
			failing = ret != 0;
		pthread_mutex_lock(&c->mu);
		if (ret != 0)
			c->pokes++;
		/* At most CKPT_PER_SECOND checkpoints a second: each syncs the
		 * database file, and the commits in between gather into one. */
		pause_ms(c, 1000 / CKPT_PER_SECOND);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int ckpt_start(const char *path, uint64_t wal_limit, ckpt_t **out, char *err, size_t errlen)
{
	ckpt_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	int ret = db_open(path, 0, &c->db, err, errlen);
	if (ret != 0) {
		free(c);
		return ret;
	}
	/* A frame is a page and its 24-byte header. */
	c->restart_frames = (int)(wal_limit / (uint64_t)(db_page_size(c->db) + 24));
	if (c->restart_frames < 1)
		c->restart_frames = 1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if ((ret = pthread_create(&c->thread, NULL, ckpt_run, c)) != 0) {
		db_close(c->db);
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
		return -ret;
	}
	*out = c;
	return 0;
}

void ckpt_poke(ckpt_t *c)
{
	pthread_mutex_lock(&c->mu);
	if (c->pokes++ == 0)
		pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

bool ckpt_take_restart(ckpt_t *c)
{
	return atomic_load_explicit(&c->restart, memory_order_relaxed) &&
	       atomic_exchange(&c->restart, false);
}

void ckpt_stop(ckpt_t *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	db_close(c->db);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
