/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared set-up for unit tests: a configuration and a zone built from a
 * master-file string through the real import and load path, on a
 * temporary database.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/zone.h"
#include "lib/conf.h"
#include "store/db.h"
#include "store/zoneio.h"
#include "upd/zoneload.h"

typedef struct {
	char dir[64];
	conf_t *conf;
	zoneset_t *set;
} testzone_t;

static inline int testzone_init(testzone_t *t, const char *conf_extra, const char *zonetext)
{
	char path[128], conftext[4096], err[512];
	snprintf(t->dir, sizeof(t->dir), "/tmp/ddnsd-unit-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	snprintf(conftext, sizeof(conftext),
	         "[server]\ndns-listen = 127.0.0.1:5300\ndatabase = %s/db\n"
	         "identity = ns1.test\nversion = ddnsd-unit\n"
	         "[zone dyn.example]\nns = ns1.dyn.example, ns2.dyn.example\n"
	         "glue = ns1.dyn.example 192.0.2.53\nsoa-ttl = 3600\nsoa-minimum = 60\n%s",
	         t->dir, conf_extra ? conf_extra : "");
	if (conf_load_string(conftext, "unit.conf", &t->conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/zone", t->dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(zonetext, f);
	fclose(f);
	db_t *db;
	char dbpath[128];
	snprintf(dbpath, sizeof(dbpath), "%s/db", t->dir);
	if (db_open(dbpath, DB_CREATE, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	uint64_t n;
	int ret = zoneio_import(db, "dyn.example", path, zoneload_check, &t->conf->zones[0], &n,
	                        err, sizeof(err));
	if (ret == 0)
		ret = zoneload_all(db, t->conf, &t->set, err, sizeof(err));
	if (ret != 0)
		fprintf(stderr, "%s\n", err);
	db_close(db);
	return ret;
}

static inline void testzone_deinit(testzone_t *t)
{
	char cmd[128];
	zoneload_free(t->set);
	conf_free(t->conf);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", t->dir);
}
