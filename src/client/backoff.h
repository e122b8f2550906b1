/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The arithmetic of waiting after a failed update: exponential backoff
 * from an initial delay, doubling per consecutive failure, capped, and
 * never shorter than what the server asked for in Retry-After. Pure
 * functions; any thread.
 */
#pragma once

#include <stdint.h>

/* Retry-After values above this (a week) are taken as this. */
#define BACKOFF_RETRY_AFTER_MAX (7 * 86400)

/*
 * Seconds to wait after the failures-th consecutive failure (1 for the
 * first): initial * 2^(failures-1), at most max, and at least retry_after
 * (0: the server gave none; capped at BACKOFF_RETRY_AFTER_MAX). initial 0
 * is taken as 1; failures 0 as 1. Never overflows.
 */
uint32_t backoff_delay(uint32_t initial, uint32_t max, unsigned failures, uint32_t retry_after);

/*
 * Parses a Retry-After header value: delta-seconds, or an HTTP date
 * (then relative to now). Returns the seconds to wait (0 for a date in
 * the past), or -1 when value is neither.
 */
long backoff_parse_retry_after(const char *value, long long now);
