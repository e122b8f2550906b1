/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Look-alike detection; see lookalike.h. Everything works on skeletons: a
 * label's code points folded to the Latin letter a reader would see, in a
 * fixed array on the stack, so a check costs no allocation beyond what
 * libidn2 needs to decode an A-label.
 */
#include <errno.h>
#include <idn2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "abuse/lookalike.h"

#define LABEL_MAX 63
/* A decoded A-label of 63 bytes has fewer code points than that, and folding
 * never lengthens a skeleton, so one label's skeleton always fits. */
#define SKEL_MAX 64
/* Distance thresholds: see lookalike.h. */
#define EXACT_BELOW 4
#define FUZZY1_FROM 5
#define FUZZY2_FROM 8
/* '1' stays in a skeleton as itself and matches both 'l' and 'i': folding it
 * to either one alone would miss "m1crosoft" or "paypa1". */
#define L_OR_I '1'

typedef struct {
	uint32_t c[SKEL_MAX];
	size_t n;
} skel_t;

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	if (why == NULL || whylen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/*
 * Latin letters with diacritics read as the bare letter. Indexed from
 * U+00E0 and U+0100; '.' marks letters left alone (æ, ÷, þ, ĳ, œ), which
 * look like no single Latin letter.
 */
static const char latin1[] = "aaaaaa.ceeeeiiiidnooooo.ouuuuy.y";
static const char latin_ext_a[] =
	"aaaaaa" "cccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" ".."
	"jj" "kkk" "llllllllll" "nnnnnnnnn" "oooooo" ".." "rrrrrr" "ssssssss"
	"tttttt" "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "f";
_Static_assert(sizeof(latin1) == 0x20 + 1, "latin1 covers U+00E0..U+00FF");
_Static_assert(sizeof(latin_ext_a) == 0x80 + 1, "latin_ext_a covers U+0100..U+017F");

/* Cyrillic, Greek and other letters that render like a Latin one in the
 * fonts browsers and mail clients use (after Unicode's confusables list,
 * lower case only: IDNA labels are lower case). */
static const struct {
	uint32_t cp;
	char to;
} confusable[] = {
	/* Cyrillic */
	{ 0x0430, 'a' }, { 0x0432, 'b' }, { 0x0435, 'e' }, { 0x043a, 'k' },
	{ 0x043e, 'o' }, { 0x043f, 'n' }, { 0x0440, 'p' }, { 0x0441, 'c' },
	{ 0x0443, 'y' }, { 0x0445, 'x' }, { 0x044c, 'b' }, { 0x0451, 'e' },
	{ 0x0455, 's' }, { 0x0456, 'i' }, { 0x0457, 'i' }, { 0x0458, 'j' },
	{ 0x0461, 'w' }, { 0x0475, 'v' }, { 0x04af, 'y' }, { 0x04bb, 'h' },
	{ 0x04cf, 'l' }, { 0x0501, 'd' }, { 0x051b, 'q' }, { 0x051d, 'w' },
	/* Greek */
	{ 0x03ac, 'a' }, { 0x03ad, 'e' }, { 0x03af, 'i' }, { 0x03b1, 'a' },
	{ 0x03b2, 'b' }, { 0x03b3, 'y' }, { 0x03b5, 'e' }, { 0x03b7, 'n' },
	{ 0x03b9, 'i' }, { 0x03ba, 'k' }, { 0x03bd, 'v' }, { 0x03bf, 'o' },
	{ 0x03c1, 'p' }, { 0x03c4, 't' }, { 0x03c5, 'u' }, { 0x03c7, 'x' },
	{ 0x03c9, 'w' }, { 0x03cc, 'o' }, { 0x03cd, 'u' }, { 0x03f2, 'c' },
	{ 0x03f3, 'j' },
	/* Armenian */
	{ 0x0570, 'h' }, { 0x0578, 'n' }, { 0x057d, 'u' }, { 0x0581, 'g' },
	{ 0x0585, 'o' },
	/* Latin beyond Extended-A: dotless j, IPA and click letters */
	{ 0x01c0, L_OR_I }, { 0x0237, 'j' }, { 0x0251, 'a' }, { 0x0261, 'g' },
	{ 0x0269, 'i' }, { 0x028b, 'u' },
};

/* Folds one code point: a Latin letter, L_OR_I, 0 to drop it, or the code
 * point itself when it looks like nothing else. */
static uint32_t fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	if (c >= 0xff21 && c <= 0xff3a)          /* fullwidth A..Z */
		return c - 0xff21 + 'a';
	if (c >= 0xff41 && c <= 0xff5a)          /* fullwidth a..z */
		return c - 0xff41 + 'a';
	if (c >= 0xff10 && c <= 0xff19)          /* fullwidth digits */
		return fold_cp(c - 0xff10 + '0');
	if (c >= 0xe0 && c <= 0xff)
		return latin1[c - 0xe0] == '.' ? c : (uint32_t)latin1[c - 0xe0];
	if (c >= 0x100 && c <= 0x17f)
		return latin_ext_a[c - 0x100] == '.' ? c : (uint32_t)latin_ext_a[c - 0x100];
	/* Combining marks and joiners are invisible on their own; hyphens and
	 * dots separate words a reader joins anyway ("pay-pal"). */
	if ((c >= 0x300 && c <= 0x36f) || c == 0x200c || c == 0x200d ||
	    c == '-' || c == '.' || c == 0xff0d || c == 0xff0e)
		return 0;
	switch (c) {
	case '0': return 'o';
	case '1': return L_OR_I;
	case '3': return 'e';
	case '4': return 'a';
	case '5': return 's';
	case '7': return 't';
	case '8': return 'b';
	case '$': return 's';
	case '@': return 'a';
	case '|': return L_OR_I;
	}
	for (size_t i = 0; i < sizeof(confusable) / sizeof(confusable[0]); i++)
		if (confusable[i].cp == c)
			return (uint32_t)confusable[i].to;
	return c;
}

/* Letter pairs that read as one letter at a glance. */
static uint32_t fold_pair(uint32_t a, uint32_t b)
{
	if (a == 'r' && b == 'n')
		return 'm';
	if (a == 'v' && b == 'v')
		return 'w';
	if (a == 'c' && (b == 'l' || b == L_OR_I))
		return 'd';
	return 0;
}

static void skel_push(skel_t *s, uint32_t c)
{
	c = fold_cp(c);
	if (c != 0 && s->n < SKEL_MAX)
		s->c[s->n++] = c;
}

/* Folds the code points of an A-label into raw; false if it does not decode. */
static bool skel_alabel(const char *s, size_t len, skel_t *raw)
{
	char tmp[LABEL_MAX + 1];
	uint32_t *u = NULL;
	bool ok;

	for (size_t i = 0; i < len; i++)
		tmp[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	tmp[len] = '\0';
	ok = idn2_to_unicode_8z4z(tmp, &u, 0) == IDN2_OK;
	for (size_t i = 0; ok && u[i] != 0; i++)
		skel_push(raw, u[i]);
	idn2_free(u);
	return ok;
}

/*
 * Builds the skeleton of s (len bytes, at most LABEL_MAX). An A-label is
 * decoded first; one libidn2 cannot decode is folded as the ASCII it is,
 * which is what a reader sees of it anyway.
 */
static void skel_make(const char *s, size_t len, skel_t *out)
{
	skel_t raw = { .n = 0 };

	if (!(len > 4 && strncasecmp(s, "xn--", 4) == 0 && skel_alabel(s, len, &raw))) {
		raw.n = 0;
		for (size_t i = 0; i < len; i++)
			skel_push(&raw, (unsigned char)s[i]);
	}
	out->n = 0;
	for (size_t i = 0; i < raw.n; i++) {
		uint32_t m = i + 1 < raw.n ? fold_pair(raw.c[i], raw.c[i + 1]) : 0;
		if (m != 0) {
			out->c[out->n++] = m;
			i++;
		} else {
			out->c[out->n++] = raw.c[i];
		}
	}
}

static bool same(uint32_t a, uint32_t b)
{
	if (a == b)
		return true;
	if (a == L_OR_I)
		return b == 'l' || b == 'i';
	if (b == L_OR_I)
		return a == 'l' || a == 'i';
	return false;
}

static bool skel_contains(const skel_t *hay, const skel_t *needle)
{
	if (needle->n > hay->n)
		return false;
	for (size_t i = 0; i + needle->n <= hay->n; i++) {
		size_t j = 0;
		while (j < needle->n && same(hay->c[i + j], needle->c[j]))
			j++;
		if (j == needle->n)
			return true;
	}
	return false;
}

static bool skel_equal(const skel_t *a, const skel_t *b)
{
	return a->n == b->n && skel_contains(a, b);
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

/*
 * Whether a and b are within max edits (insert, delete, substitute, swap of
 * neighbours; the "optimal string alignment" form of Damerau-Levenshtein,
 * which is what a typo or a deliberate swap produces).
 */
static bool skel_near(const skel_t *a, const skel_t *b, unsigned max)
{
	uint8_t d[SKEL_MAX + 1][SKEL_MAX + 1];
	size_t n = a->n, m = b->n;

	if ((n > m ? n - m : m - n) > max)
		return false;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (uint8_t)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (uint8_t)j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = same(a->c[i - 1], b->c[j - 1]) ? 0 : 1;
			unsigned v = min3(d[i - 1][j] + 1u, d[i][j - 1] + 1u, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && same(a->c[i - 1], b->c[j - 2]) &&
			    same(a->c[i - 2], b->c[j - 1]) && d[i - 2][j - 2] + 1u < v)
				v = d[i - 2][j - 2] + 1u;
			d[i][j] = (uint8_t)v;
		}
	}
	return d[n][m] <= max;
}

static bool looks_like(const skel_t *label, const skel_t *word)
{
	if (word->n == 0)
		return false;
	if (word->n < EXACT_BELOW)
		return skel_equal(label, word);
	if (skel_contains(label, word))
		return true;
	if (word->n >= FUZZY2_FROM)
		return skel_near(label, word, 2);
	if (word->n >= FUZZY1_FROM)
		return skel_near(label, word, 1);
	return false;
}

int lookalike_check(const char *label, const char *const *words, size_t nwords,
                    char *why, size_t whylen)
{
	skel_t l, w;
	size_t len = strlen(label);

	say(why, whylen, "%s", "");
	if (len == 0 || len > LABEL_MAX) {
		say(why, whylen, "the label is %zu bytes long; it must be 1 to %d", len, LABEL_MAX);
		return -EINVAL;
	}
	skel_make(label, len, &l);
	for (size_t i = 0; i < nwords; i++) {
		size_t wlen = strlen(words[i]);
		if (wlen == 0 || wlen > LABEL_MAX)
			continue;
		skel_make(words[i], wlen, &w);
		if (looks_like(&l, &w)) {
			say(why, whylen, "looks like the protected name '%s'", words[i]);
			return DDNS_ERESERVED;
		}
	}
	return 0;
}
