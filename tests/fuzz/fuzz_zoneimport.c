/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for zone import: any bytes as a master file, imported
 * into an in-memory database and checked by the loader, as
 * `ddnsctl zone import` does. Must never crash; a successful import must
 * load.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "store/db.h"
#include "store/zoneio.h"
#include "upd/zoneload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static db_t *db;
static conf_t *conf;
static char path[64];

static void cleanup(void)
{
	db_close(db);
	conf_free(conf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	if (db == NULL) {
		const char *text = "[server]\ndns-listen = 127.0.0.1:5300\n"
		                   "[zone dyn.example]\nns = ns1.dyn.example\n"
		                   "glue = ns1.dyn.example 192.0.2.1\n";
		if (conf_load_string(text, "fuzz.conf", &conf, err, sizeof(err)) != 0 ||
		    db_open(":memory:", DB_CREATE, &db, err, sizeof(err)) != 0)
			abort();
		snprintf(path, sizeof(path), "/tmp/ddnsd-fuzz-zone-%d", (int)getpid());
		atexit(cleanup);
	}
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	uint64_t n;
	if (zoneio_import(db, "dyn.example", path, zoneload_check, &conf->zones[0], &n, err,
	                  sizeof(err)) == 0) {
		zoneset_t *set;
		if (zoneload_all(db, conf, &set, err, sizeof(err)) != 0)
			abort(); /* an accepted import must load */
		zoneload_free(set);
	}
	unlink(path);
	return 0;
}
