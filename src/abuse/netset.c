/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Address and network sets; see netset.h. Networks are kept per prefix
 * length, each length a sorted run of masked keys, so a lookup masks the
 * address once per length present and binary-searches that run. Blocklists
 * use few distinct lengths (/32, /24, /64, /48 ...), which keeps a lookup
 * at a handful of searches however long the file is; a trie would cost a
 * pointer chase per bit and an allocation per node instead.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "abuse/netset.h"

#define V4_BITS 32
#define V6_BITS 128
/* How much of a bad line an error quotes. */
#define QUOTE_MAX 60

typedef struct {
	uint64_t hi, lo;
} key6_t;

/* An entry while the file is read: a masked key and its prefix length. */
typedef struct {
	uint32_t key;
	uint8_t len;
} ent4_t;

typedef struct {
	key6_t key;
	uint8_t len;
} ent6_t;

struct netset {
	/* v4[v4_start[p] .. v4_start[p + 1]) are the /p networks, sorted. */
	uint32_t *v4;
	size_t v4_start[V4_BITS + 2];
	uint8_t v4_lens[V4_BITS + 1]; /* the lengths that have networks */
	size_t v4_nlens;
	key6_t *v6;
	size_t v6_start[V6_BITS + 2];
	uint8_t v6_lens[V6_BITS + 1];
	size_t v6_nlens;
	size_t count;
};

/* The entries of a file being read, and the first error. */
typedef struct {
	ent4_t *e4;
	size_t n4, cap4;
	ent6_t *e6;
	size_t n6, cap6;
	const char *path;
	char *err;
	size_t errlen;
} loader_t;

static void lerr(loader_t *l, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void lerr(loader_t *l, unsigned long line, const char *fmt, ...)
{
	if (l->err == NULL || l->errlen == 0)
		return;
	int n = line > 0 ? snprintf(l->err, l->errlen, "%s:%lu: ", l->path, line)
	                 : snprintf(l->err, l->errlen, "%s: ", l->path);
	if (n < 0 || (size_t)n >= l->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - n, fmt, ap);
	va_end(ap);
}

static uint32_t mask4(unsigned len)
{
	return len == 0 ? 0 : UINT32_MAX << (V4_BITS - len);
}

static uint64_t mask64(unsigned len)
{
	return len == 0 ? 0 : len >= 64 ? UINT64_MAX : UINT64_MAX << (64 - len);
}

static key6_t mask6(key6_t k, unsigned len)
{
	k.hi &= mask64(len);
	k.lo &= len <= 64 ? 0 : mask64(len - 64);
	return k;
}

static uint32_t load4(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static key6_t load6(const uint8_t *a)
{
	key6_t k = { 0, 0 };
	for (int i = 0; i < 8; i++) {
		k.hi = k.hi << 8 | a[i];
		k.lo = k.lo << 8 | a[8 + i];
	}
	return k;
}

static void store6(key6_t k, uint8_t *a)
{
	for (int i = 7; i >= 0; i--) {
		a[i] = (uint8_t)k.hi;
		a[8 + i] = (uint8_t)k.lo;
		k.hi >>= 8;
		k.lo >>= 8;
	}
}

/* ::ffff:a.b.c.d, how a dual-stack socket shows an IPv4 peer. */
static bool is_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

static int cmp_key6(key6_t a, key6_t b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static int cmp_ent4(const void *pa, const void *pb)
{
	const ent4_t *a = pa, *b = pb;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return 0;
}

static int cmp_ent6(const void *pa, const void *pb)
{
	const ent6_t *a = pa, *b = pb;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return cmp_key6(a->key, b->key);
}

static int push4(loader_t *l, uint32_t key, unsigned len)
{
	if (l->n4 == l->cap4) {
		size_t cap = l->cap4 ? l->cap4 * 2 : 64;
		ent4_t *e = realloc(l->e4, cap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		l->e4 = e;
		l->cap4 = cap;
	}
	l->e4[l->n4++] = (ent4_t){ .key = key, .len = (uint8_t)len };
	return 0;
}

static int push6(loader_t *l, key6_t key, unsigned len)
{
	if (l->n6 == l->cap6) {
		size_t cap = l->cap6 ? l->cap6 * 2 : 64;
		ent6_t *e = realloc(l->e6, cap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		l->e6 = e;
		l->cap6 = cap;
	}
	l->e6[l->n6++] = (ent6_t){ .key = key, .len = (uint8_t)len };
	return 0;
}

/* The prefix length after a '/': 1 to 3 digits, at most max. */
static int parse_len(const char *s, unsigned max, unsigned *len)
{
	size_t n = strlen(s);
	if (n == 0 || n > 3)
		return -EINVAL;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*len = v;
	return 0;
}

/* Copies text for an error message: at most QUOTE_MAX bytes, then "...". */
static const char *quote(const char *text, char *q, size_t qlen)
{
	size_t n = strlen(text);
	if (n > QUOTE_MAX)
		snprintf(q, qlen, "%.*s...", QUOTE_MAX, text);
	else
		snprintf(q, qlen, "%s", text);
	for (char *p = q; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return q;
}

/* Adds one entry (trimmed, not empty) from line of the file. */
static int add_entry(loader_t *l, unsigned long line, const char *text)
{
	char addr[INET6_ADDRSTRLEN + 1], q[QUOTE_MAX + 4], net[INET6_ADDRSTRLEN] = "";
	uint8_t bin[16];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	bool v6 = memchr(text, ':', alen) != NULL;
	unsigned max = v6 ? V6_BITS : V4_BITS, len = max;

	if (alen >= sizeof(addr) ||
	    (slash != NULL && parse_len(slash + 1, max, &len) != 0))
		goto bad;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bin) != 1)
		goto bad;

	if (v6 && is_mapped(bin) && len >= 96) {
		v6 = false;
		memmove(bin, bin + 12, 4);
		len -= 96;
	}
	/* With host bits set, net gets the network the operator probably
	 * meant, for the message. */
	if (!v6) {
		uint32_t k = load4(bin);
		if ((k & ~mask4(len)) == 0)
			return push4(l, k, len);
		uint32_t m = htonl(k & mask4(len));
		inet_ntop(AF_INET, &m, net, sizeof(net));
	} else {
		key6_t k = load6(bin), m = mask6(k, len);
		if (cmp_key6(k, m) == 0)
			return push6(l, k, len);
		store6(m, bin);
		inet_ntop(AF_INET6, bin, net, sizeof(net));
	}

bad:
	if (net[0] != '\0')
		lerr(l, line, "'%s' has host bits set; the network is %s/%u",
		     quote(text, q, sizeof(q)), net, len);
	else
		lerr(l, line, "'%s' is not an address or network", quote(text, q, sizeof(q)));
	return -EINVAL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int read_file(loader_t *l, FILE *f)
{
	char *buf = NULL, q[QUOTE_MAX + 4];
	size_t cap = 0;
	ssize_t n;
	unsigned long line = 0;
	int ret = 0;

	errno = 0;
	while ((n = getline(&buf, &cap, f)) >= 0) {
		line++;
		if (memchr(buf, '\0', (size_t)n) != NULL) {
			lerr(l, line, "'%s' is not an address or network (it has a NUL byte)",
			     quote(buf, q, sizeof(q)));
			ret = -EINVAL;
			goto out;
		}
		char *hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		char *text = trim(buf);
		if (*text == '\0')
			continue;
		ret = add_entry(l, line, text);
		if (ret != 0)
			goto out;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		lerr(l, 0, "cannot read: %s", strerror(-ret));
	}
out:
	free(buf);
	return ret;
}

/* Sorts and de-duplicates the entries into s's arrays and length index. */
static int build(loader_t *l, netset_t *s)
{
	size_t n = 0;

	if (l->n4 > 0) {
		qsort(l->e4, l->n4, sizeof(*l->e4), cmp_ent4);
		s->v4 = malloc(l->n4 * sizeof(*s->v4));
		if (s->v4 == NULL)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->n4; i++) {
		const ent4_t *e = &l->e4[i];
		if (n > 0 && cmp_ent4(e, &l->e4[i - 1]) == 0)
			continue;
		s->v4[n++] = e->key;
		s->v4_start[e->len + 1] = n;
		if (s->v4_nlens == 0 || s->v4_lens[s->v4_nlens - 1] != e->len)
			s->v4_lens[s->v4_nlens++] = e->len;
	}
	/* A length without networks starts where the previous one ends. */
	for (size_t p = 1; p <= V4_BITS + 1; p++)
		if (s->v4_start[p] < s->v4_start[p - 1])
			s->v4_start[p] = s->v4_start[p - 1];
	s->count = n;

	n = 0;
	if (l->n6 > 0) {
		qsort(l->e6, l->n6, sizeof(*l->e6), cmp_ent6);
		s->v6 = malloc(l->n6 * sizeof(*s->v6));
		if (s->v6 == NULL)
			return -ENOMEM;
	}
	for (size_t i = 0; i < l->n6; i++) {
		const ent6_t *e = &l->e6[i];
		if (n > 0 && cmp_ent6(e, &l->e6[i - 1]) == 0)
			continue;
		s->v6[n++] = e->key;
		s->v6_start[e->len + 1] = n;
		if (s->v6_nlens == 0 || s->v6_lens[s->v6_nlens - 1] != e->len)
			s->v6_lens[s->v6_nlens++] = e->len;
	}
	for (size_t p = 1; p <= V6_BITS + 1; p++)
		if (s->v6_start[p] < s->v6_start[p - 1])
			s->v6_start[p] = s->v6_start[p - 1];
	s->count += n;
	return 0;
}

int netset_load(const char *path, netset_t **out, char *err, size_t errlen)
{
	loader_t l = { .path = path, .err = err, .errlen = errlen };
	netset_t *s = NULL;
	FILE *f;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	f = fopen(path, "re");
	if (f == NULL) {
		ret = -errno;
		lerr(&l, 0, "cannot open: %s", strerror(errno));
		return ret;
	}
	ret = read_file(&l, f);
	if (ret != 0)
		goto out;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ret = build(&l, s);
	if (ret != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	if (ret == -ENOMEM)
		lerr(&l, 0, "out of memory");
	netset_free(s);
	free(l.e6);
	free(l.e4);
	fclose(f);
	return ret;
}

static bool find4(const uint32_t *v, size_t lo, size_t hi, uint32_t key)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == key)
			return true;
		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool find6(const key6_t *v, size_t lo, size_t hi, key6_t key)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key6(v[mid], key);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool netset_contains(const netset_t *s, int family, const uint8_t *addr)
{
	if (s == NULL)
		return false;
	if (family == AF_INET6 && is_mapped(addr)) {
		family = AF_INET;
		addr += 12;
	}
	if (family == AF_INET) {
		uint32_t a = load4(addr);
		for (size_t i = 0; i < s->v4_nlens; i++) {
			unsigned p = s->v4_lens[i];
			if (find4(s->v4, s->v4_start[p], s->v4_start[p + 1], a & mask4(p)))
				return true;
		}
		return false;
	}
	if (family == AF_INET6) {
		key6_t a = load6(addr);
		for (size_t i = 0; i < s->v6_nlens; i++) {
			unsigned p = s->v6_lens[i];
			if (find6(s->v6, s->v6_start[p], s->v6_start[p + 1], mask6(a, p)))
				return true;
		}
	}
	return false;
}

size_t netset_count(const netset_t *s)
{
	return s != NULL ? s->count : 0;
}

void netset_free(netset_t *s)
{
	if (s == NULL)
		return;
	free(s->v6);
	free(s->v4);
	free(s);
}
