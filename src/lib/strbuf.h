/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A growing string (NUL-terminated once anything was added) whose
 * allocation failure is sticky: append freely, check `failed` once at the
 * end. Used by ddnsd and by ddnsc (which links no other part of ddnsd).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *p;          /* NULL until something is added */
	size_t len, cap;
	bool failed;
} strbuf_t;

void sb_add(strbuf_t *b, const char *s, size_t n);
void sb_adds(strbuf_t *b, const char *s);
void sb_printf(strbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fixed buffers, without printf's cost on hot paths. str_copy: src into
 * dst (cap > 0), cut to fit and NUL-terminated, as snprintf "%s" would;
 * the length written. str_cat: the same at dst + at (at <= cap - 1); the
 * new length. */
size_t str_copy(char *dst, size_t cap, const char *src);
size_t str_cat(char *dst, size_t cap, size_t at, const char *src);
