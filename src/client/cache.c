/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The persistent cache file; see cache.h. Why atomic: a router loses
 * power at any moment, and a half-written cache would make ddnsc forget a
 * fatal stop or its backoff and hammer the provider after a reboot.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cache.h"

cache_entry_t *cache_get(cache_t *c, const char *name, bool create)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	if (!create || strlen(name) >= sizeof(c->v[0].name))
		return NULL;
	cache_entry_t *nv = realloc(c->v, (c->n + 1) * sizeof(*c->v));
	if (nv == NULL)
		return NULL;
	c->v = nv;
	cache_entry_t *e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

void cache_deinit(cache_t *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

static int parse_time(const char *v, int64_t *out)
{
	if (strcmp(v, "-") == 0) {
		*out = 0;
		return 0;
	}
	char *end;
	errno = 0;
	long long t = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || t < 0)
		return -EINVAL;
	*out = t;
	return 0;
}

static int parse_word(const char *v, char *out)
{
	if (strlen(v) >= CACHE_WORD_MAX)
		return -EINVAL;
	strcpy(out, strcmp(v, "-") == 0 ? "" : v);
	return 0;
}

static int parse_line(char *line, cache_entry_t *e)
{
	char *save = NULL;
	char *name = strtok_r(line, " \t\n", &save);
	if (name == NULL || name[0] == '#' || strlen(name) >= sizeof(e->name))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	strcpy(e->name, name);
	for (char *kv = strtok_r(NULL, " \t\n", &save); kv; kv = strtok_r(NULL, " \t\n", &save)) {
		char *v = strchr(kv, '=');
		if (v == NULL)
			return -EINVAL;
		*v++ = '\0';
		int r = 0;
		if (strcmp(kv, "ipv4") == 0)
			r = strcmp(v, "-") == 0 ? 0 : addr_parse(v, AF_INET, &e->v4);
		else if (strcmp(kv, "ipv6") == 0)
			r = strcmp(v, "-") == 0 ? 0 : addr_parse(v, AF_INET6, &e->v6);
		else if (strcmp(kv, "last-success") == 0)
			r = parse_time(v, &e->last_success);
		else if (strcmp(kv, "last-attempt") == 0)
			r = parse_time(v, &e->last_attempt);
		else if (strcmp(kv, "next-attempt") == 0)
			r = parse_time(v, &e->next_attempt);
		else if (strcmp(kv, "failures") == 0)
			e->failures = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(kv, "status") == 0)
			r = parse_word(v, e->status);
		else if (strcmp(kv, "fatal") == 0)
			r = parse_word(v, e->fatal);
		else if (strcmp(kv, "config") == 0)
			e->confhash = strtoull(v, NULL, 16);
		/* Unknown keys: from a newer ddnsc; ignored. */
		if (r != 0)
			return -EINVAL;
	}
	return 0;
}

int cache_load(const char *path, cache_t *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		snprintf(err, errlen, "cache %s: cannot open: %s", path, strerror(e));
		return -e;
	}
	char line[1024];
	while (fgets(line, sizeof(line), f) != NULL) {
		cache_entry_t e;
		if (parse_line(line, &e) != 0)
			continue;
		cache_entry_t *d = cache_get(c, e.name, true);
		if (d == NULL) {
			fclose(f);
			cache_deinit(c);
			snprintf(err, errlen, "cache %s: out of memory", path);
			return -ENOMEM;
		}
		*d = e;
	}
	fclose(f);
	return 0;
}

static const char *word(const char *w)
{
	return w[0] ? w : "-";
}

int cache_save(const cache_t *c, const char *path, char *err, size_t errlen)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "cache %s: path too long", path);
		return -ENAMETOOLONG;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cache %s: cannot create %s: %s", path, tmp, strerror(e));
		return -e;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		int e = errno;
		close(fd);
		unlink(tmp);
		snprintf(err, errlen, "cache %s: %s", path, strerror(e));
		return -e;
	}
	fprintf(f, "# ddnsc cache: per host, what the server last accepted; rewritten by ddnsc\n");
	for (size_t i = 0; i < c->n; i++) {
		const cache_entry_t *e = &c->v[i];
		char a4[ADDR_STRLEN], a6[ADDR_STRLEN];
		fprintf(f, "%s ipv4=%s ipv6=%s last-success=%" PRId64 " last-attempt=%" PRId64
		        " next-attempt=%" PRId64 " failures=%u status=%s fatal=%s config=%016" PRIx64 "\n",
		        e->name, word(addr_str(&e->v4, a4)), word(addr_str(&e->v6, a6)), e->last_success,
		        e->last_attempt, e->next_attempt, e->failures, word(e->status), word(e->fatal),
		        e->confhash);
	}
	int ret = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ret = -errno;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) != 0)
		ret = -errno;
	if (ret != 0) {
		snprintf(err, errlen, "cache %s: cannot write: %s", path, strerror(-ret));
		unlink(tmp);
	}
	return ret;
}
