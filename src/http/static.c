/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The web dashboard's files, served under `/` from the directory named by
 * `web-root`. The files are few and small, so they are read once at start
 * (static_site_load, main thread) and served from memory: a request never
 * touches the disk and the loop never blocks. The site is read-only once
 * loaded; every HTTP thread reads it without a lock.
 *
 * index.html names its assets with a version (`app.js?v=ETAG`, rewritten
 * here at load), so an asset asked for with its current version may be
 * cached for a year, and a new release is picked up at the next load of
 * index.html. Everything else (index.html itself, the modules app.js
 * imports) is revalidated on every use with its ETag.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http_int.h"
#include "lib/errors.h"
#include "lib/log.h"

#define SITE_MAX_FILES 64
#define SITE_MAX_BYTES (4 * 1024 * 1024)

/* What every dashboard reply carries: no script but our own files, no
 * framing, no guessing of types, no referrer sent to anyone. */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

typedef struct {
	char name[64];              /* "/app.js" */
	char *body;
	size_t len;
	const char *type;
	char etag[24];              /* "\"" 16 hex "\"" */
	bool is_index;
} site_file_t;

struct static_site {
	site_file_t files[SITE_MAX_FILES];
	size_t n;
};

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
};

static const char *type_of(const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t el = strlen(types[i].ext);
		if (nl > el && strcmp(name + nl - el, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

static void etag_of(site_file_t *f)
{
	uint8_t h[8];
	crypto_generichash(h, sizeof(h), (const uint8_t *)f->body, f->len, NULL, 0);
	char hex[17];
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(f->etag, sizeof(f->etag), "\"%s\"", hex);
}

static int read_file(int dirfd, const char *name, site_file_t *f, size_t *total, char *err,
                     size_t errlen)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return 1; /* not a file: not served */
	}
	*total += (size_t)st.st_size;
	if (*total > SITE_MAX_BYTES) {
		snprintf(err, errlen, "the files are larger than %d bytes together; a dashboard "
		         "is small", SITE_MAX_BYTES);
		goto fail;
	}
	/* One byte more, for the NUL that makes rewriting index.html easy. */
	f->body = malloc((size_t)st.st_size + 1);
	if (f->body == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, f->body + got, (size_t)st.st_size - got);
		if (r <= 0) {
			snprintf(err, errlen, "%s: %s", name, r < 0 ? strerror(errno) : "shorter than its size");
			goto fail;
		}
		got += (size_t)r;
	}
	f->body[got] = '\0';
	f->len = got;
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(f->body);
	f->body = NULL;
	return -1;
}

/* Rewrites `"NAME"` (with or without a leading slash) in index.html to
 * `"/NAME?v=HEX"` for every other file, so that browsers fetch the assets
 * of this release and may keep them. */
static int version_assets(static_site_t *s, site_file_t *index)
{
	for (size_t i = 0; i < s->n; i++) {
		site_file_t *a = &s->files[i];
		if (a == index)
			continue;
		char from[80], to[120];
		for (int slash = 0; slash < 2; slash++) {
			snprintf(from, sizeof(from), "\"%s\"", a->name + 1 - slash);
			snprintf(to, sizeof(to), "\"%s?v=%.16s\"", a->name, a->etag + 1);
			size_t fl = strlen(from), tl = strlen(to);
			char *p;
			while ((p = strstr(index->body, from)) != NULL) {
				size_t at = (size_t)(p - index->body);
				char *nb = malloc(index->len - fl + tl + 1);
				if (nb == NULL)
					return -ENOMEM;
				memcpy(nb, index->body, at);
				memcpy(nb + at, to, tl);
				memcpy(nb + at + tl, p + fl, index->len - at - fl + 1);
				free(index->body);
				index->body = nb;
				index->len = index->len - fl + tl;
			}
		}
	}
	return 0;
}

int static_site_load(const char *dir, static_site_t **out, char *err, size_t errlen)
{
	*out = NULL;
	if (dir == NULL || dir[0] == '\0')
		return 0;
	char why[200] = "";
	static_site_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	int ret = DDNS_ECONF;
	DIR *d = opendir(dir);
	if (d == NULL) {
		snprintf(why, sizeof(why), "%s", strerror(errno));
		goto fail;
	}
	size_t total = 0;
	site_file_t *index = NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		/* Only named, known kinds of file: no dot files, no editor
		 * back-ups, nothing whose type a browser would have to guess. */
		if (e->d_name[0] == '.' || type_of(e->d_name) == NULL ||
		    strlen(e->d_name) + 2 > sizeof(s->files[0].name))
			continue;
		if (s->n == SITE_MAX_FILES) {
			snprintf(why, sizeof(why), "more than %d files", SITE_MAX_FILES);
			goto fail;
		}
		site_file_t *f = &s->files[s->n];
		int r = read_file(dirfd(d), e->d_name, f, &total, why, sizeof(why));
		if (r < 0)
			goto fail;
		if (r > 0)
			continue;
		snprintf(f->name, sizeof(f->name), "/%s", e->d_name);
		f->type = type_of(e->d_name);
		f->is_index = strcmp(e->d_name, "index.html") == 0;
		etag_of(f);
		if (f->is_index)
			index = f;
		s->n++;
	}
	if (index == NULL) {
		snprintf(why, sizeof(why), "it has no index.html");
		goto fail;
	}
	if (version_assets(s, index) != 0) {
		ret = -ENOMEM;
		snprintf(why, sizeof(why), "out of memory");
		goto fail;
	}
	etag_of(index);
	closedir(d);
	*out = s;
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	snprintf(err, errlen, "web-root %s: %s (web-root = with no value turns the dashboard off)",
	         dir, why);
	static_site_free(s);
	return ret;
}

int http_check_web_root(const conf_t *conf, char *err, size_t errlen)
{
	static_site_t *s = NULL;
	if (conf->http_listen.n == 0 && conf->https_listen.n == 0)
		return 0; /* no HTTP, no dashboard */
	int ret = static_site_load(conf->web_root, &s, err, errlen);
	static_site_free(s);
	return ret;
}

void static_site_free(static_site_t *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].body);
	free(s);
}

static void header(h2o_req_t *req, const char *name, const char *value)
{
	h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 1, NULL, value,
	                      strlen(value));
}

void static_security_headers(h2o_req_t *req, bool page)
{
	header(req, "x-content-type-options", "nosniff");
	header(req, "content-security-policy", page ? CSP : "frame-ancestors 'none'");
	if (page) {
		header(req, "referrer-policy", "no-referrer");
		header(req, "x-frame-options", "DENY");
	}
}

static void reply_text(h2o_req_t *req, int status, const char *reason, const char *text)
{
	static_security_headers(req, true);
	http_reply(req, status, reason, text, strlen(text));
}

static const site_file_t *lookup(const static_site_t *s, h2o_iovec_t path)
{
	if (path.len == 1 && path.base[0] == '/')
		path = h2o_iovec_init(H2O_STRLIT("/index.html"));
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->files[i].name) == path.len &&
		    memcmp(s->files[i].name, path.base, path.len) == 0)
			return &s->files[i];
	return NULL;
}

/* Whether the query string asks for exactly this version of the file. */
static bool asks_version(h2o_req_t *req, const site_file_t *f)
{
	if (req->query_at == SIZE_MAX)
		return false;
	h2o_iovec_t q = h2o_iovec_init(req->path.base + req->query_at, req->path.len - req->query_at);
	return q.len == 19 && memcmp(q.base, "?v=", 3) == 0 && memcmp(q.base + 3, f->etag + 1, 16) == 0;
}

static bool etag_matches(h2o_req_t *req, const site_file_t *f)
{
	ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
	if (i < 0)
		return false;
	h2o_iovec_t v = req->headers.entries[i].value;
	if (v.len == 1 && v.base[0] == '*')
		return true;
	/* A list: "a", W/"b", ... ; a weak match is enough for GET. */
	size_t el = strlen(f->etag);
	for (size_t k = 0; k + el <= v.len; k++)
		if (memcmp(v.base + k, f->etag, el) == 0)
			return true;
	return false;
}

int static_on_request(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	const static_site_t *s = http_thread_of(req)->srv->site;
	if (s == NULL)
		return -1; /* no dashboard: h2o's own 404 */
	const site_file_t *f = lookup(s, req->path_normalized);
	if (f == NULL) {
		reply_text(req, 404, "Not Found", "not found (the dashboard's pages are at /#/...)\n");
		return 0;
	}
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
	    !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
		header(req, "allow", "GET, HEAD");
		reply_text(req, 405, "Method Not Allowed", "only GET and HEAD here\n");
		return 0;
	}
	static_security_headers(req, true);
	/* A file asked for by its current version never changes; anything
	 * else (index.html, modules imported by app.js) is checked each time,
	 * which costs a 304 when nothing changed. */
	const char *cache = !f->is_index && asks_version(req, f) ? "public, max-age=31536000, immutable"
	                                                          : "no-cache";
	header(req, "cache-control", cache);
	header(req, "etag", f->etag);
	if (etag_matches(req, f)) {
		req->res.status = 304;
		req->res.reason = "Not Modified";
		accesslog_write(req, 304, "", 0, NULL);
		h2o_send_inline(req, "", 0);
		return 0;
	}
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, f->type,
	               strlen(f->type));
	req->res.content_length = f->len;
	accesslog_write(req, 200, "", 0, NULL);
	h2o_send_inline(req, f->body, f->len);
	return 0;
}
