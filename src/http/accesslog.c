/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The access log: one JSON object per line for every request a handler
 * answers, written with one write(2) to a file opened O_APPEND, so lines
 * from several threads never interleave. Secrets never reach it: the
 * Authorization header is not logged (only the user name it carries), and
 * token and password parameters, and the token in DuckDNS's path form, are
 * replaced by "***". An update answered from memory (memo.h) has
 * "memo": true. Any HTTP thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/http_int.h"

static const char *const secret_keys[] = { "token", "password", "pass", "pwd", "key", NULL };

static bool is_secret(const char *key, size_t len)
{
	for (int i = 0; secret_keys[i]; i++)
		if (strlen(secret_keys[i]) == len && strncasecmp(secret_keys[i], key, len) == 0)
			return true;
	return false;
}

/* The path with secrets masked, as a JSON string. */
static json_t *clean_path(h2o_req_t *req)
{
	size_t plen = req->path.len, qat = req->query_at == SIZE_MAX ? plen : req->query_at;
	char *out = malloc(plen + 64);
	if (out == NULL)
		return json_null();
	size_t n = 0;
	/* /update/{domain}/{token}[/{ip}]: mask the second segment. */
	const char *p = req->path.base;
	if (qat > 8 && strncmp(p, "/update/", 8) == 0) {
		const char *seg = memchr(p + 8, '/', qat - 8);
		if (seg != NULL) {
			const char *end = memchr(seg + 1, '/', qat - (size_t)(seg + 1 - p));
			n = (size_t)(seg + 1 - p);
			memcpy(out, p, n);
			memcpy(out + n, "***", 3);
			n += 3;
			if (end) {
				memcpy(out + n, end, qat - (size_t)(end - p));
				n += qat - (size_t)(end - p);
			}
		}
	}
	if (n == 0) {
		memcpy(out, p, qat);
		n = qat;
	}
	/* The query, each secret value replaced. */
	const char *q = p + qat, *qend = p + plen;
	while (q < qend) {
		const char *amp = memchr(q + 1, '&', qend - q - 1);
		const char *stop = amp ? amp : qend;
		const char *eq = memchr(q, '=', stop - q);
		if (eq && is_secret(q + 1, (size_t)(eq - q - 1))) {
			memcpy(out + n, q, (size_t)(eq - q) + 1);
			n += (size_t)(eq - q) + 1;
			memcpy(out + n, "***", 3);
			n += 3;
		} else {
			memcpy(out + n, q, (size_t)(stop - q));
			n += (size_t)(stop - q);
		}
		q = stop;
	}
	json_t *j = json_stringn_nocheck(out, n);
	free(out);
	return j ? j : json_string("(not UTF-8)");
}

static json_t *hdr(h2o_req_t *req, const h2o_token_t *t)
{
	ssize_t i = h2o_find_header(&req->headers, t, -1);
	if (i < 0)
		return json_null();
	h2o_iovec_t v = req->headers.entries[i].value;
	json_t *j = json_stringn(v.base, v.len > 256 ? 256 : v.len);
	return j ? j : json_string("(not UTF-8)");
}

void accesslog_write(h2o_req_t *req, int status, const char *body, size_t len,
                     const char *user)
{
	http_thread_t *t = http_thread_of(req);
	int fd = t->srv->access_fd;
	bool memo = t->memo_reply;
	t->memo_reply = false;
	if (fd < 0)
		return;
	char client[64], when[40];
	int family;
	http_client_addr(req, client, sizeof(client), &family);
	struct timeval now;
	gettimeofday(&now, NULL);
	struct tm tm;
	gmtime_r(&now.tv_sec, &tm);
	size_t w = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + w, sizeof(when) - w, ".%03ldZ", (long)(now.tv_usec / 1000));
	struct timeval *b = &req->timestamps.request_begin_at;
	double ms = (now.tv_sec - b->tv_sec) * 1e3 + (now.tv_usec - b->tv_usec) / 1e3;
	/* The first line of the reply says what happened (good, nochg, ...). */
	size_t rl = 0;
	while (rl < len && rl < 64 && body[rl] != '\n')
		rl++;
	json_t *o = json_pack("{s:s, s:s, s:s%, s:o, s:i, s:s%, s:s?, s:o, s:f}",
	                      "time", when, "client", client, "method", req->method.base,
	                      req->method.len, "path", clean_path(req), "status", status,
	                      "result", body, rl, "user", user && *user ? user : NULL,
	                      "agent", hdr(req, H2O_TOKEN_USER_AGENT), "ms", ms);
	if (o == NULL)
		return;
	if (memo)
		json_object_set_new(o, "memo", json_true());
	char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(o);
	if (line == NULL)
		return;
	size_t ll = strlen(line);
	line[ll] = '\n'; /* json_dumps leaves room: the NUL becomes the newline */
	ssize_t wr = write(fd, line, ll + 1);
	(void)wr;
	free(line);
}
