/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsc's log; see clog.h. ddnsc links no part of ddnsd's core (which
 * would drag libknot, SQLite and h2o onto a router), hence its own.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "client/clog.h"

static bool use_syslog;
static enum clog_level max_level = CLOG_INFO;

void clog_use_syslog(bool on)
{
	if (on && !use_syslog)
		openlog("ddnsc", LOG_PID, LOG_DAEMON);
	else if (!on && use_syslog)
		closelog();
	use_syslog = on;
}

void clog_set_level(enum clog_level lvl)
{
	max_level = lvl;
}

void clog_msg(enum clog_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	if (lvl > max_level)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	if (use_syslog) {
		vsnprintf(line, sizeof(line), fmt, ap);
		syslog(prio[lvl], "%s", line);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
		n += snprintf(line + n, sizeof(line) - n, "%s: ", names[lvl]);
		if (n < (int)sizeof(line) - 1) {
			int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
			n = m < 0 ? n : (n + m < (int)sizeof(line) - 1 ? n + m : (int)sizeof(line) - 2);
		}
		line[n++] = '\n';
		/* One write per line: lines from several ddnsc never interleave. */
		ssize_t w = write(STDERR_FILENO, line, (size_t)n);
		(void)w;
	}
	va_end(ap);
}
