/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Growing strings; see strbuf.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"

/* Room for n more bytes and the NUL; false (sticky) when there is none. */
static bool reserve(strbuf_t *b, size_t n)
{
	if (b->failed)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *np = realloc(b->p, cap);
	if (np == NULL) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void sb_add(strbuf_t *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void sb_adds(strbuf_t *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void sb_printf(strbuf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t str_copy(char *dst, size_t cap, const char *src)
{
	return str_cat(dst, cap, 0, src);
}

size_t str_cat(char *dst, size_t cap, size_t at, const char *src)
{
	if (at >= cap)
		at = cap - 1;
	size_t n = strnlen(src, cap - 1 - at);
	memcpy(dst + at, src, n);
	dst[at + n] = '\0';
	return at + n;
}
