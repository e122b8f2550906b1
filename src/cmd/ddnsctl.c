/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsctl: the operator's tool. A command table: each entry has its words,
 * its usage and its handler. Output is line-oriented text; errors are one
 * line on stderr and exit status 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/zonedump.h"
#include "lib/conf.h"
#include "lib/errors.h"
#include "store/db.h"
#include "store/zoneio.h"
#include "upd/zoneload.h"

typedef struct {
	const char *conf_path;
	conf_t *conf;
	bool json;
} ctl_t;

typedef struct {
	const char *words;         /* the command, e.g. "zone import" */
	const char *args;          /* usage of the arguments */
	int min_args, max_args;
	int (*fn)(ctl_t *ctl, int argc, char **argv);
	const char *help;
} cmd_t;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ddnsctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static const conf_zone_t *find_zone(ctl_t *ctl, const char *name)
{
	const conf_zone_t *zc = conf_zone_find(ctl->conf, name);
	if (zc == NULL)
		fail("zone %s is not configured in %s", name, ctl->conf_path);
	return zc;
}

static int cmd_zone_import(ctl_t *ctl, int argc, char **argv)
{
	const conf_zone_t *zc = find_zone(ctl, argv[0]);
	if (zc == NULL)
		return 1;
	char err[512];
	db_t *db;
	int ret = db_open(ctl->conf->database, DB_CREATE | DB_LOCK | DB_BULK, &db, err, sizeof(err));
	if (ret == -EBUSY)
		return fail("%s; stop ddnsd before importing a zone", err);
	if (ret != 0)
		return fail("%s", err);
	uint64_t count = 0;
	ret = zoneio_import(db, zc->name, argv[1], zoneload_check, (void *)zc, &count, err,
	                    sizeof(err));
	if (ret != 0) {
		db_close(db);
		return fail("%s", err);
	}
	int64_t zid;
	uint32_t serial = 0;
	db_zone_get(db, zc->name, false, &zid, &serial);
	db_close(db);
	if (ctl->json)
		printf("{\"zone\":\"%s\",\"records\":%llu,\"serial\":%u}\n", zc->name,
		       (unsigned long long)count, serial);
	else
		printf("imported %llu records into %s, serial %u\n", (unsigned long long)count,
		       zc->name, serial);
	return 0;
}

static int cmd_zone_export(ctl_t *ctl, int argc, char **argv)
{
	const conf_zone_t *zc = find_zone(ctl, argv[0]);
	if (zc == NULL)
		return 1;
	char err[512];
	db_t *db;
	if (db_open(ctl->conf->database, 0, &db, err, sizeof(err)) != 0)
		return fail("%s", err);
	zone_t *z;
	uint32_t serial;
	int ret = zoneload_zone(db, zc, &z, &serial, err, sizeof(err));
	db_close(db);
	if (ret != 0)
		return fail("%s", err);
	ret = zonedump_write(z, stdout);
	zone_free(z);
	if (ret != 0 || fflush(stdout) != 0)
		return fail("cannot write the zone: %s", ddns_strerror(ret ? ret : -EIO));
	return 0;
}

static const cmd_t commands[] = {
	{ "zone import", "ZONE MASTERFILE", 2, 2, cmd_zone_import,
	  "replace a zone's records with those of an RFC 1035 master file (ddnsd stopped)" },
	{ "zone export", "ZONE", 1, 1, cmd_zone_export,
	  "print a zone as an RFC 1035 master file" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: ddnsctl -c FILE [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %-18s %s\n", commands[i].words, commands[i].args, commands[i].help);
}

/* Matches argv against the words of a command; returns how many it used. */
static int match(const cmd_t *cmd, int argc, char **argv)
{
	char words[64];
	snprintf(words, sizeof(words), "%s", cmd->words);
	int used = 0;
	char *save = NULL;
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (used >= argc || strcmp(argv[used], w) != 0)
			return 0;
		used++;
	}
	return used;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	ctl_t ctl = { 0 };
	int c;
	/* '+': options end at the command, whose own arguments may look like options. */
	while ((c = getopt_long(argc, argv, "+c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ctl.conf_path = optarg; break;
		case 'j': ctl.json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (ctl.conf_path == NULL) {
		fail("-c FILE is required");
		usage(stderr);
		return 1;
	}
	if (argc == 0) {
		usage(stderr);
		return 1;
	}
	const cmd_t *cmd = NULL;
	int used = 0;
	for (size_t i = 0; i < NCOMMANDS && cmd == NULL; i++)
		if ((used = match(&commands[i], argc, argv)) > 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fail("unknown command '%s'", argv[0]);
		usage(stderr);
		return 1;
	}
	int nargs = argc - used;
	if (nargs < cmd->min_args || nargs > cmd->max_args)
		return fail("usage: ddnsctl -c FILE %s %s", cmd->words, cmd->args);

	char err[512];
	if (conf_load(ctl.conf_path, &ctl.conf, err, sizeof(err)) != 0)
		return fail("%s", err);
	int ret = cmd->fn(&ctl, nargs, argv + used);
	conf_free(ctl.conf);
	return ret;
}
