/* SPDX-License-Identifier: GPL-3.0-or-later */
/* stderr logger; see log.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

static enum log_level max_level = LOG_LVL_INFO;

void log_set_level(enum log_level lvl)
{
	max_level = lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	if (lvl > max_level)
		return;

	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - n, ".%03ldZ %s: ",
	              ts.tv_nsec / 1000000, names[lvl]);

	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	/* A line cut at the buffer end still ends with a newline. */
	n = (m < 0) ? n : (n + m >= (int)sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m);
	line[n++] = '\n';
	/* One write per line keeps lines whole when threads log at once. */
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}
