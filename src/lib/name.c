/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Domain-name helpers; see name.h. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "lib/name.h"

int name_check_text(const char *name)
{
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -EINVAL;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = name[i];
		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
			continue;
		}
		if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\' || c == '(' || c == ')' || c == ';')
			return -EINVAL;
		if (++label > 63)
			return -EINVAL;
	}
	return 0;
}

int name_to_wire(const char *name, uint8_t *out)
{
	if (name_check_text(name) != 0)
		return -EINVAL;
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	size_t pos = 0;
	const char *p = name, *end = name + len;
	while (p < end) {
		const char *dot = memchr(p, '.', end - p);
		size_t l = dot ? (size_t)(dot - p) : (size_t)(end - p);
		out[pos++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[pos++] = (uint8_t)tolower((unsigned char)p[i]);
		p += l + 1;
	}
	out[pos++] = 0;
	return (int)pos;
}

int name_rel_len(const uint8_t *name, size_t name_len, const uint8_t *apex, size_t apex_len)
{
	if (name_len < apex_len)
		return -1;
	size_t rel = name_len - apex_len;
	if (memcmp(name + rel, apex, apex_len) != 0)
		return -1;
	/* The suffix must start on a label boundary. */
	size_t pos = 0;
	while (pos < rel)
		pos += 1 + name[pos];
	return pos == rel ? (int)rel : -1;
}

unsigned name_labels(const uint8_t *name)
{
	unsigned n = 0;
	while (*name) {
		n++;
		name += 1 + *name;
	}
	return n;
}
