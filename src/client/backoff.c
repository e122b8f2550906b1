/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Backoff arithmetic; see backoff.h. No state.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/backoff.h"

uint32_t backoff_delay(uint32_t initial, uint32_t max, unsigned failures, uint32_t retry_after)
{
	if (initial == 0)
		initial = 1;
	if (failures == 0)
		failures = 1;
	if (max < initial)
		max = initial;
	uint64_t d = initial;
	/* Stop doubling once past max: no shift can overflow. */
	for (unsigned i = 1; i < failures && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	if (retry_after > BACKOFF_RETRY_AFTER_MAX)
		retry_after = BACKOFF_RETRY_AFTER_MAX;
	if (d < retry_after)
		d = retry_after;
	return (uint32_t)d;
}

long backoff_parse_retry_after(const char *value, long long now)
{
	while (isspace((unsigned char)*value))
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(value, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*end != '\0')
			return -1;
		if (errno == ERANGE || v > BACKOFF_RETRY_AFTER_MAX)
			return BACKOFF_RETRY_AFTER_MAX;
		return (long)v;
	}
	/* An HTTP date; curl_getdate() reads the RFC 7231 formats. */
	time_t t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return -1;
	long long d = (long long)t - now;
	if (d < 0)
		return 0;
	return d > BACKOFF_RETRY_AFTER_MAX ? BACKOFF_RETRY_AFTER_MAX : (long)d;
}
