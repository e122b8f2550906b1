/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsd: the daemon's main. Reads the configuration, binds the sockets,
 * loads the zones from the database, starts the DNS threads and then waits
 * for signals: SIGHUP reloads zone settings, SIGUSR1 reopens the access
 * log (after logrotate moved it; SIGHUP does too), SIGTERM/SIGINT stop
 * cleanly.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu.h>

#include "abuse/desk.h"
#include "abuse/netset.h"
#include "abuse/outbox.h"
#include "auth/auth.h"
#include "ctl/server.h"
#include "dns/server.h"
#include "http/http.h"
#include "http/stats.h"
#include "lib/conf.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "store/db.h"
#include "upd/writer.h"
#include "upd/notify.h"
#include "upd/rfc2136.h"
#include "upd/xfr.h"
#include "upd/zoneload.h"

typedef struct {
	const char *conf_path;
	conf_t *conf;
	db_t *db;
	zoneset_t *zones;          /* RCU-published to the DNS threads */
	query_conf_t qc;
	dns_server_t *dns;
	writer_t *writer;
	ctl_server_t *ctl;
	http_server_t *http;
	xfr_t *xfr;
	notifier_t *notifier;
	rfc2136_t *update;
	outbox_t *outbox;
	stats_t *stats;
	conf_t **retired;
	size_t nretired;
} daemon_t;

static void usage(FILE *f)
{
	fprintf(f, "usage: ddnsd -c FILE [--check]\n"
	           "  -c, --config FILE  configuration file\n"
	           "      --check        validate the configuration and exit\n"
	           "  -V, --version      print the version\n");
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Loads conf's abuse-blocklist (none when not set) and, with a writer,
 * hands it to the heuristics, freeing the one it replaces. */
static int use_blocklist(writer_t *writer, const conf_t *conf, char *err, size_t errlen)
{
	netset_t *set = NULL;
	int ret = 0;
	if (conf->abuse_blocklist[0] != '\0' &&
	    (ret = netset_load(conf->abuse_blocklist, &set, err, errlen)) != 0)
		return ret;
	if (writer == NULL) {
		netset_free(set);
		return 0;
	}
	wreq_t r = { .op = op_blocklist, .args = &set };
	writer_call(writer, &r);
	netset_free(set); /* the previous one */
	return 0;
}

/* SIGHUP: the zone settings of the configuration file as it is now. The
 * writer applies them between two batches; listen addresses, the database
 * and the list of zones need a restart. */
static void reload(daemon_t *d)
{
	char err[512];
	conf_t *nc;
	if (conf_load(d->conf_path, &nc, err, sizeof(err)) != 0) {
		log_err("reload: %s; keeping the running configuration", err);
		return;
	}
	int ret = writer_reconfigure(d->writer, nc, err, sizeof(err));
	if (ret != 0) {
		log_err("reload: %s; keeping the running configuration", err);
		conf_free(nc);
		return;
	}
	if (use_blocklist(d->writer, nc, err, sizeof(err)) != 0)
		log_err("reload: abuse-blocklist not changed: %s", err);
	ctl_server_set_conf(d->ctl, nc);
	xfr_set_conf(d->xfr, nc);
	rfc2136_set_conf(d->update, nc);
	if ((ret = notify_set_conf(d->notifier, nc)) != 0)
		log_err("reload: NOTIFY targets not changed: %s", strerror(-ret));
	/* The old configuration may still be read by a request in flight; it
	 * is kept until exit (a reload is rare and a conf_t small). */
	d->retired = realloc(d->retired, (d->nretired + 1) * sizeof(conf_t *));
	if (d->retired != NULL)
		d->retired[d->nretired++] = d->conf;
	d->conf = nc;
	log_info("reloaded the zone settings of %zu zone(s)", nc->zone_count);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	daemon_t d = { 0 };
	bool check = false;
	int c;
	while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d.conf_path = optarg; break;
		case 'k': check = true; break;
		case 'V': printf("ddnsd %s\n", DDNSD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (d.conf_path == NULL || optind != argc) {
		usage(stderr);
		return 1;
	}

	char err[512];
	if (conf_load(d.conf_path, &d.conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		return 1;
	}
	if (check && (use_blocklist(NULL, d.conf, err, sizeof(err)) != 0 ||
	              http_check_web_root(d.conf, err, sizeof(err)) != 0)) {
		fprintf(stderr, "ddnsd: %s\n", err);
		conf_free(d.conf);
		return 1;
	}
	if (check) {
		printf("%s: ok (%zu zone(s))\n", d.conf_path, d.conf->zone_count);
		conf_free(d.conf);
		return 0;
	}

	/* Signals go to sigwait() in this thread only. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	int status = 1;
	char *identity = NULL, *version = NULL;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	identity = strdup(d.conf->identity);
	version = strdup(d.conf->version);
	if (identity == NULL || version == NULL) {
		fprintf(stderr, "ddnsd: out of memory\n");
		goto out;
	}
	d.qc.identity = identity;
	d.qc.version = version;
	if (dns_server_new(d.conf, &d.zones, &d.qc, &d.dns, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		goto out;
	}
	if (auth_init() != 0) {
		fprintf(stderr, "ddnsd: cannot initialise libsodium\n");
		goto out;
	}
	if (db_open(d.conf->database, DB_CREATE | DB_LOCK, &d.db, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		goto out;
	}
	if (zoneload_all(d.db, d.conf, &d.zones, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		goto out;
	}
	/* Loading left free heap behind (builders, old tables): return it. */
	malloc_trim(0);
	size_t nodes = 0;
	for (size_t i = 0; i < d.zones->count; i++)
		nodes += zone_size(d.zones->zones[i]);
	int ret = writer_new(d.db, d.conf, &d.zones, &d.writer);
	if (ret != 0) {
		fprintf(stderr, "ddnsd: cannot start the writer: %s\n", ddns_strerror(ret));
		goto out;
	}
	d.db = NULL; /* the writer owns it now */
	if ((ret = notify_new(d.conf, &d.notifier)) != 0) {
		fprintf(stderr, "ddnsd: cannot start NOTIFY: %s\n", ddns_strerror(ret));
		goto out;
	}
	if (xfr_new(d.conf, d.notifier, &d.xfr, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		goto out;
	}
	dns_server_set_xfr(d.dns, xfr_handoff, d.xfr);
	writer_set_notifier(d.writer, d.notifier);
	if (rfc2136_new(d.conf, d.writer, &d.zones, &d.qc, &d.update, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		goto out;
	}
	dns_server_set_update(d.dns, rfc2136_handoff, d.update);
	rfc2136_set_dns(d.update, d.dns);
	if (ctl_server_new(d.conf, d.writer, &d.zones, &d.ctl, err, sizeof(err)) != 0 ||
	    http_server_new(d.conf, d.writer, &d.http, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		goto out;
	}
	ctl_server_set_replication(d.ctl, d.xfr, d.notifier);
	if ((ret = stats_new(d.dns, d.writer, &d.stats)) != 0) {
		fprintf(stderr, "ddnsd: cannot start the status figures: %s\n", ddns_strerror(ret));
		goto out;
	}
	if (d.http) {
		http_server_set_stats(d.http, d.stats);
		http_server_set_replication(d.http, d.xfr, d.notifier);
	}
	zgc_start();
	if ((ret = writer_start(d.writer)) != 0 || (ret = ctl_server_start(d.ctl)) != 0 ||
	    (d.http && (ret = http_server_start(d.http)) != 0) ||
	    (ret = dns_server_start(d.dns)) != 0) {
		fprintf(stderr, "ddnsd: cannot start threads: %s\n", ddns_strerror(ret));
		goto out;
	}
	if (use_blocklist(d.writer, d.conf, err, sizeof(err)) != 0 ||
	    outbox_new(d.conf, d.writer, &d.outbox, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsd: %s\n", err);
		goto out;
	}
	char as[80];
	char hs[80] = "off";
	if (d.conf->http_listen.n > 0)
		conf_addr_str(&d.conf->http_listen.v[0], hs, sizeof(hs));
	log_info("ddnsd %s ready: %zu zone(s), %zu names loaded in %.3f s, DNS on %s%s, HTTP %s",
	         DDNSD_VERSION, d.zones->count, nodes, elapsed(&t0),
	         conf_addr_str(&d.conf->dns_listen.v[0], as, sizeof(as)),
	         d.conf->dns_listen.n > 1 ? " and more" : "", hs);

	for (;;) {
		int sig;
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP || sig == SIGUSR1) {
			if (sig == SIGHUP)
				reload(&d);
			int e = http_server_reopen_log(d.http);
			if (e != 0)
				log_err("cannot reopen the access log: %s; still writing to the old file",
				        strerror(-e));
			else if (sig == SIGUSR1)
				log_info("reopened the access log");
			continue;
		}
		log_info("stopping on signal %d", sig);
		break;
	}
	status = 0;
out:
	/* Order: no new requests, finish the queued ones, then free. The DNS
	 * threads hand updates and transfers to other threads: they stop
	 * first. */
	http_server_stop(d.http);
	if (d.dns)
		dns_server_stop(d.dns);
	rfc2136_free(d.update);
	stats_free(d.stats);
	ctl_server_free(d.ctl);
	outbox_free(d.outbox);
	writer_free(d.writer);
	xfr_free(d.xfr);              /* it tells the notifier of transfers */
	notify_free(d.notifier);
	http_server_free(d.http);
	dns_server_free(d.dns);
	/* No reader is left; free the zones directly. */
	zoneload_free(d.zones);
	db_close(d.db);
	conf_free(d.conf);
	free(identity);
	free(version);
	for (size_t i = 0; i < d.nretired; i++)
		conf_free(d.retired[i]);
	free(d.retired);
	return status;
}
