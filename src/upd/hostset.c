/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host changes from JSON; see hostset.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hostname.h"
#include "upd/hostset.h"

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int addr(const json_t *args, const char *key, int af, bool *has, uint8_t *out, bool *given,
                char *err, size_t errlen)
{
	const json_t *v = json_object_get(args, key);
	*given = v != NULL;
	*has = false;
	if (v == NULL || json_is_null(v))
		return 0;
	const char *s = json_string_value(v);
	if (s == NULL)
		return bad(err, errlen, "%s must be a string", key);
	if (*s == '\0' || strcmp(s, "none") == 0)
		return 0;
	if (inet_pton(af, s, out) != 1)
		return bad(err, errlen, "'%s' is not an %s address", s, af == AF_INET ? "IPv4" : "IPv6");
	*has = true;
	return 0;
}

static int integer(const json_t *args, const char *key, long min, long max, long *out,
                   bool *given, char *err, size_t errlen)
{
	const json_t *v = json_object_get(args, key);
	*given = v != NULL;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return bad(err, errlen, "%s must be a number from %ld to %ld", key, min, max);
	*out = (long)json_integer_value(v);
	return 0;
}

int hostset_parse(const json_t *args, op_host_update_t *a, char *err, size_t errlen)
{
	bool given;
	int ret = addr(args, "ipv4", AF_INET, &a->has_v4, a->v4, &given, err, errlen);
	if (ret == 0 && given)
		a->set |= HSET_V4;
	if (ret == 0)
		ret = addr(args, "ipv6", AF_INET6, &a->has_v6, a->v6, &given, err, errlen);
	if (ret == 0 && given)
		a->set |= HSET_V6;
	long v = 0;
	if (ret == 0 && (ret = integer(args, "ttl", 1, 86400, &v, &given, err, errlen)) == 0 && given) {
		a->set |= HSET_TTL;
		a->ttl = (uint32_t)v;
	}
	const json_t *txt = json_object_get(args, "txt");
	if (ret == 0 && txt != NULL) {
		size_t i;
		json_t *e;
		bool ok = json_is_array(txt) && json_array_size(txt) <= 8;
		json_array_foreach(txt, i, e)
			ok = ok && json_is_string(e) && json_string_length(e) <= 1024;
		char *s = ok ? json_dumps(txt, JSON_COMPACT) : NULL;
		if (s == NULL || strlen(s) >= sizeof(a->txt))
			ret = bad(err, errlen, "txt: at most 8 strings of up to 1024 characters");
		else {
			snprintf(a->txt, sizeof(a->txt), "%s", s);
			a->set |= HSET_TXT;
		}
		free(s);
	}
	const char *s;
	if (ret == 0 && (s = json_string_value(json_object_get(args, "acme_add"))) != NULL) {
		if (strlen(s) == 0 || strlen(s) > 255)
			ret = bad(err, errlen, "an ACME value has 1 to 255 characters");
		snprintf(a->acme, sizeof(a->acme), "%s", s);
		a->set |= HSET_ACME_ADD;
	}
	if (ret == 0 && (s = json_string_value(json_object_get(args, "acme_del"))) != NULL) {
		snprintf(a->acme, sizeof(a->acme), "%s", s);
		a->set |= HSET_ACME_DEL;
	}
	if (ret == 0 && (a->set & HSET_ACME_ADD) && (a->set & HSET_ACME_DEL))
		ret = bad(err, errlen, "add or delete one ACME value at a time");
	long pref = 10;
	bool pref_given = false;
	if (ret == 0)
		ret = integer(args, "mx_pref", 0, 65535, &pref, &pref_given, err, errlen);
	if (ret == 0 && (s = json_string_value(json_object_get(args, "mx"))) != NULL) {
		char why[HOSTNAME_WHY_MAX];
		if (*s != '\0' && strcmp(s, "none") != 0 &&
		    hostname_normalize(s, a->mx, sizeof(a->mx), why, sizeof(why)) != 0)
			ret = bad(err, errlen, "mx: %s", why);
		a->mx_pref = (int)pref;
		a->set |= HSET_MX;
	} else if (ret == 0 && pref_given) {
		/* Only the preference of the MX the host has. */
		a->mx_pref = (int)pref;
		a->set |= HSET_MX_PREF;
	}
	const json_t *b;
	if (ret == 0 && (b = json_object_get(args, "wildcard")) != NULL) {
		if (!json_is_boolean(b))
			ret = bad(err, errlen, "wildcard must be true or false");
		a->wildcard = json_is_true(b);
		a->set |= HSET_WILDCARD;
	}
	if (ret == 0 && (b = json_object_get(args, "offline")) != NULL) {
		if (!json_is_boolean(b))
			ret = bad(err, errlen, "offline must be true or false");
		a->offline = json_is_true(b);
		a->set |= HSET_OFFLINE;
	}
	if (ret == 0 && (b = json_object_get(args, "unblock")) != NULL) {
		if (!json_is_true(b))
			ret = bad(err, errlen, "unblock takes true");
		a->set |= HSET_UNBLOCK;
	}
	if (ret == 0 && a->set == 0)
		ret = bad(err, errlen, "nothing to change");
	return ret;
}
