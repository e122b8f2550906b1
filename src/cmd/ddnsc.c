/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsc, the update client: options, signals and the check loop. The
 * decisions live in src/client/engine.c; this file only runs them, once
 * (--once, --dry-run) or every interval until SIGTERM/SIGINT, reloading
 * the configuration on SIGHUP. Single-threaded.
 *
 * Exit status: 0 every host good/nochg/unchanged (or a clean stop),
 * 1 usage or configuration error, 2 some host could not be updated for
 * now (will be retried), 3 some host is stopped by a fatal reply.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/clog.h"
#include "client/config.h"
#include "client/engine.h"
#include "client/fetch.h"

#ifndef DDNSD_VERSION
#define DDNSD_VERSION "0"
#endif

enum { EXIT_CONF = 1, EXIT_RETRY = 2, EXIT_FATAL = 3 };

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: ddnsc -c FILE [--once | --dry-run] [-v]\n"
	        "       ddnsc -c FILE --check\n"
	        "  -c, --config FILE  configuration ([client] and [host NAME] sections)\n"
	        "      --once         check and update once; exit 0 when every host is\n"
	        "                     good, nochg or unchanged\n"
	        "      --dry-run      print the requests it would send (passwords masked);\n"
	        "                     send nothing, write no cache\n"
	        "      --check        check the configuration and exit\n"
	        "  -v, --verbose      log debug lines too\n"
	        "  -V, --version      print the version\n"
	        "exit status: 0 ok, 1 usage or configuration error, 2 some host not updated\n"
	        "(retried later), 3 some host stopped by a fatal reply (fix its configuration)\n");
}

static int exit_code(enum engine_outcome oc)
{
	return oc == ENGINE_OK ? 0 : oc == ENGINE_RETRY ? EXIT_RETRY : EXIT_FATAL;
}

static void apply_log(const config_t *c, bool verbose)
{
	clog_use_syslog(c->log == CONFIG_LOG_SYSLOG);
	clog_set_level(verbose ? CLOG_DEBUG : CLOG_INFO);
}

/* The loop: run, then wait for a signal until the next check is due. */
static int loop(const char *file, config_t **confp, engine_t *e, bool verbose)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	clog_info("ddnsc %s started: %zu host(s), checking every %u s", DDNSD_VERSION,
	          (*confp)->nhosts, (*confp)->interval);
	for (;;) {
		enum engine_outcome oc;
		int64_t due, now = (int64_t)time(NULL);
		engine_run(e, now, &oc, &due);
		int64_t wake = now + (*confp)->interval;
		if (due < wake)
			wake = due;
		int sig;
		for (;;) {
			int64_t left = wake - (int64_t)time(NULL);
			if (left <= 0) {
				sig = 0;
				break;
			}
			struct timespec ts = { .tv_sec = left };
			sig = sigtimedwait(&set, NULL, &ts);
			if (sig >= 0 || errno != EINTR)
				break;
		}
		if (sig == SIGTERM || sig == SIGINT) {
			clog_info("stopping on signal %d", sig);
			return 0;
		}
		if (sig == SIGHUP) {
			config_t *nc;
			char err[1024];
			if (config_load(file, &nc, err, sizeof(err)) != 0) {
				clog_err("reload: %s; keeping the running configuration", err);
				continue;
			}
			if (engine_set_config(e, nc, err, sizeof(err)) != 0) {
				clog_err("reload: %s; keeping the running configuration", err);
				config_free(nc);
				continue;
			}
			config_free(*confp);
			*confp = nc;
			apply_log(nc, verbose);
			clog_info("configuration reloaded: %zu host(s), checking every %u s", nc->nhosts,
			          nc->interval);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check", no_argument, NULL, 'k' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	bool once = false, dry = false, check = false, verbose = false;
	int ch;
	while ((ch = getopt_long(argc, argv, "c:vVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'o': once = true; break;
		case 'n': dry = true; break;
		case 'k': check = true; break;
		case 'v': verbose = true; break;
		case 'V': printf("ddnsc %s\n", DDNSD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_CONF;
		}
	}
	if (file == NULL || optind != argc || (once + dry + check) > 1) {
		usage(stderr);
		return EXIT_CONF;
	}

	config_t *conf;
	char err[1024];
	if (config_load(file, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "ddnsc: %s\n", err);
		return EXIT_CONF;
	}
	if (check) {
		printf("%s: ok, %zu host(s)\n", file, conf->nhosts);
		config_free(conf);
		return 0;
	}
	/* Signals are taken synchronously with sigtimedwait() in the loop. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (!once && !dry)
		sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	apply_log(conf, verbose);

	int ret = EXIT_RETRY;
	engine_t *e = NULL;
	if (fetch_global_init() != 0) {
		clog_err("cannot initialise libcurl");
		goto out;
	}
	if (engine_new(conf, dry, stdout, &e, err, sizeof(err)) != 0) {
		clog_err("%s", err);
		goto out_curl;
	}
	if (once || dry) {
		enum engine_outcome oc;
		int64_t due;
		engine_set_chatty(e, true);
		engine_run(e, (int64_t)time(NULL), &oc, &due);
		ret = exit_code(oc);
	} else {
		ret = loop(file, &conf, e, verbose);
	}
	engine_free(e);
out_curl:
	fetch_global_cleanup();
out:
	config_free(conf);
	return ret;
}
