/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The access log: one JSON object per line for every request a handler
 * answers. Each HTTP thread formats its lines into a buffer of its own and
 * writes what gathered with one write(2) to the file (opened O_APPEND)
 * after a turn of its event loop once LOG_FLUSH_MS passed since the last
 * write, or sooner when the buffer fills, and when the thread ends: lines
 * from several threads never interleave, a line is in the file within a
 * few tenths of a second, and a busy thread pays one system call for
 * hundreds of requests instead of one each (a write per request cost a
 * third of the rate of nochg polls). Secrets never reach
 * it: the Authorization header is not logged (only the user name it
 * carries), and token and password parameters, and the token in DuckDNS's
 * path form, are replaced by "***". An update answered from memory
 * (memo.h) has "memo": true. Strings that are not UTF-8 have each bad byte
 * replaced by U+FFFD. The thread that owns the request, only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/http_int.h"

/* A thread's buffer is written out once it holds this much, or after a
 * turn of the loop this long after the last write. */
#define LOG_FLUSH_AT (32 * 1024)

static const char *const secret_keys[] = { "token", "password", "pass", "pwd", "key", NULL };

static bool is_secret(const char *key, size_t len)
{
	for (int i = 0; secret_keys[i]; i++)
		if (strlen(secret_keys[i]) == len && strncasecmp(secret_keys[i], key, len) == 0)
			return true;
	return false;
}

static bool reserve(struct logbuf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 2 * LOG_FLUSH_AT;
	while (cap < b->len + n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

/* Room is reserved by the caller. */
static void put(struct logbuf *b, const char *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;   /* the second byte's range */
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;                /* overlong */
		else if (c == 0xed)
			hi = 0x9f;                /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;                /* above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* Appends s as the inside of a JSON string: quotes, backslashes and
 * control characters escaped, each byte that is not UTF-8 as U+FFFD. */
static bool esc(struct logbuf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (!reserve(b, 6 * n)) /* the most one byte can become */
		return false;
	const unsigned char *s = (const unsigned char *)str;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			b->p[b->len++] = (char)c;
			i++;
		} else if (c == '"' || c == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)c;
			i++;
		} else if (c < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(b, e, 6);
			i++;
		} else {
			size_t l = utf8_len(s + i, n - i);
			if (l == 0) {
				put(b, "\\ufffd", 6);
				i++;
			} else {
				put(b, str + i, l);
				i += l;
			}
		}
	}
	return true;
}

/* "key":"value" and a comma before it unless first. */
static bool field(struct logbuf *b, const char *key, const char *v, size_t n, bool first)
{
	size_t kl = strlen(key);
	if (!reserve(b, kl + 5))
		return false;
	if (!first)
		put(b, ",", 1);
	put(b, "\"", 1);
	put(b, key, kl);
	put(b, "\":\"", 3);
	if (!esc(b, v, n) || !reserve(b, 1))
		return false;
	put(b, "\"", 1);
	return true;
}

/* The path with secrets masked, as the inside of a JSON string. */
static bool clean_path(struct logbuf *b, h2o_req_t *req)
{
	size_t plen = req->path.len, qat = req->query_at == SIZE_MAX ? plen : req->query_at;
	const char *p = req->path.base;
	bool done = false;
	/* /update/{domain}/{token}[/{ip}]: mask the second segment. */
	if (qat > 8 && strncmp(p, "/update/", 8) == 0) {
		const char *seg = memchr(p + 8, '/', qat - 8);
		if (seg != NULL) {
			const char *end = memchr(seg + 1, '/', qat - (size_t)(seg + 1 - p));
			if (!esc(b, p, (size_t)(seg + 1 - p)) || !esc(b, "***", 3) ||
			    (end && !esc(b, end, qat - (size_t)(end - p))))
				return false;
			done = true;
		}
	}
	if (!done && !esc(b, p, qat))
		return false;
	/* The query, each secret value replaced. */
	const char *q = p + qat, *qend = p + plen;
	while (q < qend) {
		const char *amp = memchr(q + 1, '&', qend - q - 1);
		const char *stop = amp ? amp : qend;
		const char *eq = memchr(q, '=', stop - q);
		if (eq && is_secret(q + 1, (size_t)(eq - q - 1))) {
			if (!esc(b, q, (size_t)(eq - q) + 1) || !esc(b, "***", 3))
				return false;
		} else if (!esc(b, q, (size_t)(stop - q))) {
			return false;
		}
		q = stop;
	}
	return true;
}

/* Room is reserved by the caller: v in decimal, at least `digits` digits. */
static void put_uint(struct logbuf *b, uint64_t v, int digits)
{
	char d[20];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || n < digits);
	while (n > 0)
		b->p[b->len++] = d[--n];
}

/* The time of a line, to the millisecond, as a JSON field; the part down
 * to the second is formatted once a second. No printf: this and the two
 * numbers below are on every request's path. */
static bool stamp(http_thread_t *t, struct logbuf *b, const struct timeval *now)
{
	if (now->tv_sec != t->log_sec) {
		struct tm tm;
		gmtime_r(&now->tv_sec, &tm);
		t->log_whenlen = strftime(t->log_when, sizeof(t->log_when), "%Y-%m-%dT%H:%M:%S", &tm);
		t->log_sec = now->tv_sec;
	}
	if (!reserve(b, t->log_whenlen + 16))
		return false;
	put(b, "{\"time\":\"", 9);
	put(b, t->log_when, t->log_whenlen);
	put(b, ".", 1);
	put_uint(b, (uint64_t)(now->tv_usec / 1000), 3);
	put(b, "Z\"", 2);
	return true;
}

void accesslog_write(h2o_req_t *req, int status, const char *body, size_t len,
                     const char *user)
{
	http_thread_t *t = http_thread_of(req);
	bool memo = t->memo_reply;
	t->memo_reply = false;
	_Atomic uint64_t *cnt = &t->replies[status >= 100 && status < 600 ? status / 100 : 0];
	atomic_store_explicit(cnt, atomic_load_explicit(cnt, memory_order_relaxed) + 1,
	                      memory_order_relaxed); /* one writer: no locked add */
	if (t->srv->access_fd < 0)
		return;
	char client[64];
	int family;
	http_client_addr(req, client, sizeof(client), &family);
	struct timeval now, *began = &req->timestamps.request_begin_at;
	gettimeofday(&now, NULL);
	int64_t us = (int64_t)(now.tv_sec - began->tv_sec) * 1000000 + (now.tv_usec - began->tv_usec);
	if (us < 0)
		us = 0; /* the wall clock was set back meanwhile */
	/* The first line of the reply says what happened (good, nochg, ...). */
	size_t rl = 0;
	while (rl < len && rl < 64 && body[rl] != '\n')
		rl++;
	struct logbuf *b = &t->log;
	size_t mark = b->len;
	bool ok = stamp(t, b, &now) &&
	          field(b, "client", client, strlen(client), false) &&
	          field(b, "method", req->method.base, req->method.len, false) &&
	          reserve(b, 10) && (put(b, ",\"path\":\"", 9), true) && clean_path(b, req) &&
	          reserve(b, 32);
	if (ok) {
		put(b, "\",\"status\":", 11);
		put_uint(b, (uint64_t)(status > 0 ? status : 0), 1);
		ok = field(b, "result", body, rl, false);
	}
	if (ok && user && *user)
		ok = field(b, "user", user, strlen(user), false);
	else if (ok)
		ok = reserve(b, 12) && (put(b, ",\"user\":null", 12), true);
	ssize_t ua = h2o_find_header(&req->headers, H2O_TOKEN_USER_AGENT, -1);
	if (ok && ua >= 0) {
		h2o_iovec_t v = req->headers.entries[ua].value;
		ok = field(b, "agent", v.base, v.len > 256 ? 256 : v.len, false);
	} else if (ok) {
		ok = reserve(b, 13) && (put(b, ",\"agent\":null", 13), true);
	}
	if (ok && reserve(b, 64)) {
		put(b, ",\"ms\":", 6);
		put_uint(b, (uint64_t)us / 1000, 1);
		put(b, ".", 1);
		put_uint(b, (uint64_t)us % 1000, 3);
		if (memo)
			put(b, ",\"memo\":true", 12);
		put(b, "}\n", 2);
	} else {
		b->len = mark; /* out of memory: this line is lost, not half written */
		return;
	}
	if (b->len >= LOG_FLUSH_AT)
		accesslog_flush(t);
}

void accesslog_tick(http_thread_t *t)
{
	if (t->log.len == 0)
		return;
	uint64_t now = h2o_now(t->ctx.loop);
	if (now - t->log_written >= LOG_FLUSH_MS)
		accesslog_flush(t);
}

void accesslog_flush(http_thread_t *t)
{
	t->log_written = h2o_now(t->ctx.loop);
	struct logbuf *b = &t->log;
	int fd = t->srv->access_fd;
	size_t off = 0;
	while (fd >= 0 && off < b->len) {
		ssize_t w = write(fd, b->p + off, b->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* disk full or an I/O error: these lines are lost */
		off += (size_t)w;
	}
	/* Start writing it out now, without waiting: left to the kernel's
	 * flusher, the lines of busy minutes go to the disk in bursts of
	 * hundreds of MB, and the writer's COMMITs (which wait on the same
	 * disk) waited behind them: 100 ms at the p99 instead of 10. */
	if (off > 0)
		sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	b->len = 0;
}

void accesslog_free(http_thread_t *t)
{
	accesslog_flush(t);
	free(t->log.p);
	t->log.p = NULL;
	t->log.cap = 0;
}
