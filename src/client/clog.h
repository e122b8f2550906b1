/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsc's log: one line per event, to stderr (with a UTC timestamp and
 * the level) or to syslog (facility daemon, ident "ddnsc"). ddnsc has no
 * threads; the target is process state set once at start and on reload.
 */
#pragma once

#include <stdbool.h>

enum clog_level { CLOG_ERR, CLOG_WARN, CLOG_INFO, CLOG_DEBUG };

/* Sends the log to syslog (true) or stderr (false). */
void clog_use_syslog(bool syslog);

/* Sets the most verbose level that is written (default CLOG_INFO). */
void clog_set_level(enum clog_level lvl);

void clog_msg(enum clog_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define clog_err(...)   clog_msg(CLOG_ERR, __VA_ARGS__)
#define clog_warn(...)  clog_msg(CLOG_WARN, __VA_ARGS__)
#define clog_info(...)  clog_msg(CLOG_INFO, __VA_ARGS__)
#define clog_debug(...) clog_msg(CLOG_DEBUG, __VA_ARGS__)
