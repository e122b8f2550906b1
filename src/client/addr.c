/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Address parsing and classification for ddnsc; see addr.h. No state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "client/addr.h"

int addr_parse(const char *text, int family, addr_t *out)
{
	memset(out, 0, sizeof(*out));
	if ((family == AF_INET || family == AF_UNSPEC) && inet_pton(AF_INET, text, &out->u.v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if ((family == AF_INET6 || family == AF_UNSPEC) && inet_pton(AF_INET6, text, &out->u.v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

const char *addr_str(const addr_t *a, char *buf)
{
	buf[0] = '\0';
	if (a->family == AF_INET || a->family == AF_INET6)
		inet_ntop(a->family, &a->u, buf, ADDR_STRLEN);
	return buf;
}

bool addr_equal(const addr_t *a, const addr_t *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->u.v4.s_addr == b->u.v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
	return true;
}

typedef struct {
	unsigned char net[16];
	unsigned bits;
	const char *why;
} range_t;

static const range_t v4_bad[] = {
	{ { 0 }, 8, "\"this network\" (0.0.0.0/8)" },
	{ { 10 }, 8, "private (10.0.0.0/8)" },
	{ { 100, 64 }, 10, "carrier-grade NAT (100.64.0.0/10)" },
	{ { 127 }, 8, "loopback (127.0.0.0/8)" },
	{ { 169, 254 }, 16, "link-local (169.254.0.0/16)" },
	{ { 172, 16 }, 12, "private (172.16.0.0/12)" },
	{ { 192, 168 }, 16, "private (192.168.0.0/16)" },
	{ { 224 }, 4, "multicast (224.0.0.0/4)" },
	{ { 240 }, 4, "reserved (240.0.0.0/4)" },
};

static const range_t v6_bad[] = {
	{ { 0 }, 128, "unspecified (::)" },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, "loopback (::1)" },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 96, "IPv4-mapped (::ffff:0:0/96)" },
	{ { 0xfc }, 7, "unique local (fc00::/7)" },
	{ { 0xfe, 0x80 }, 10, "link-local (fe80::/10)" },
	{ { 0xff }, 8, "multicast (ff00::/8)" },
};

static bool in_range(const unsigned char *a, const range_t *r)
{
	unsigned full = r->bits / 8, rest = r->bits % 8;
	if (memcmp(a, r->net, full) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (r->net[full] & mask);
}

bool addr_is_public(const addr_t *a, const char **why)
{
	const range_t *tab;
	size_t n;
	const unsigned char *bytes;
	if (a->family == AF_INET) {
		tab = v4_bad;
		n = sizeof(v4_bad) / sizeof(v4_bad[0]);
		bytes = (const unsigned char *)&a->u.v4;
	} else if (a->family == AF_INET6) {
		tab = v6_bad;
		n = sizeof(v6_bad) / sizeof(v6_bad[0]);
		bytes = a->u.v6.s6_addr;
	} else {
		if (why)
			*why = "no address";
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (in_range(bytes, &tab[i])) {
			if (why)
				*why = tab[i].why;
			return false;
		}
	}
	/* 255.255.255.255 is inside 240/4 above. */
	return true;
}

static bool addr_char(int c)
{
	return isxdigit(c) || c == '.' || c == ':';
}

/* Parses the word at s (up to end) as an address of family. */
static int word_at(const char *s, const char *end, int family, addr_t *out)
{
	char word[ADDR_STRLEN + 1];
	size_t n = 0;
	while (s + n < end && addr_char((unsigned char)s[n]))
		n++;
	if (n == 0 || n > ADDR_STRLEN)
		return -ENOENT;
	memcpy(word, s, n);
	word[n] = '\0';
	return addr_parse(word, family, out) == 0 ? 0 : -ENOENT;
}

int addr_from_checkip(const char *body, size_t len, int family, addr_t *out)
{
	static const char tag[] = "Current IP Address:";
	const char *end = body + len;
	/* checkip.dyndns.org form. */
	for (const char *s = body; s + sizeof(tag) - 1 <= end; s++) {
		if (strncasecmp(s, tag, sizeof(tag) - 1) == 0) {
			s += sizeof(tag) - 1;
			while (s < end && (*s == ' ' || *s == '\t'))
				s++;
			return word_at(s, end, family, out);
		}
	}
	/* A plain address, with space around it, or any word that is one. */
	const char *s = body;
	while (s < end) {
		while (s < end && !addr_char((unsigned char)*s))
			s++;
		const char *w = s;
		while (s < end && addr_char((unsigned char)*s))
			s++;
		/* A word glued to letters ("foo::bar") is not an address. */
		bool glued = (w > body && isalnum((unsigned char)w[-1])) ||
		             (s < end && isalnum((unsigned char)*s));
		if (w < end && !glued && word_at(w, end, family, out) == 0)
			return 0;
	}
	return -ENOENT;
}
