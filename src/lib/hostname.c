/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host-name validation for registration; see hostname.h. */
#include <errno.h>
#include <idn2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/hostname.h"

#define LABEL_MAX 63
/* Anything longer cannot become a name of 253 characters (an A-label is
 * never shorter than the UTF-8 it encodes by more than a few bytes per
 * label); refusing it early bounds the work idn2 does. */
#define INPUT_MAX 1024
#define IDN_FLAGS (IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT)
/* How much of a label a message quotes. */
#define QUOTE_MAX 40

const char *const hostname_reserved_default[] = {
	"www", "mail", "ns", "ns1", "ns2", "ftp", "smtp", "imap", "pop",
	"admin", "root", "hostmaster", "postmaster", "webmaster", "abuse", "security",
	"api", "dashboard", "status", "_acme-challenge", "localhost",
	"wpad", "autodiscover", "isatap",
};
const size_t hostname_reserved_default_count =
	sizeof(hostname_reserved_default) / sizeof(hostname_reserved_default[0]);

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	if (why == NULL || whylen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * An "xn--" label is only valid when it decodes to Unicode that encodes back
 * to exactly the same label: that refuses undecodable garbage, A-labels of
 * plain ASCII ("xn--abc-") and non-canonical encodings, all of which could
 * otherwise look like someone else's name once displayed.
 */
static bool alabel_valid(const char *label, size_t len)
{
	char tmp[LABEL_MAX + 1];
	char *u = NULL, *a = NULL;
	bool ok = false;

	if (len > LABEL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		tmp[i] = lower(label[i]);
	tmp[len] = '\0';
	if (idn2_to_unicode_8z8z(tmp, &u, 0) == IDN2_OK &&
	    idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL) == IDN2_OK)
		ok = strcmp(a, tmp) == 0;
	idn2_free(u);
	idn2_free(a);
	return ok;
}

/*
 * Writes a label into q (QUOTE_MAX + 4 bytes) fit to quote to the user: the
 * Unicode form of a valid A-label (the user typed that, not the punycode),
 * control characters as '?', and at most QUOTE_MAX bytes, cut between
 * UTF-8 characters, followed by "...".
 */
static void quote_label(const char *label, size_t len, char *q)
{
	char tmp[LABEL_MAX + 1];
	char *u = NULL;
	const char *src = label;
	size_t n = len;

	if (len <= LABEL_MAX && len > 4 && strncmp(label, "xn--", 4) == 0 &&
	    alabel_valid(label, len)) {
		memcpy(tmp, label, len);
		tmp[len] = '\0';
		if (idn2_to_unicode_8z8z(tmp, &u, 0) == IDN2_OK) {
			src = u;
			n = strlen(u);
		}
	}
	size_t cut = n;
	if (n > QUOTE_MAX) {
		cut = QUOTE_MAX;
		while (cut > 0 && ((unsigned char)src[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = src[i];
		q[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	strcpy(q + cut, cut < n ? "..." : "");
	idn2_free(u);
}

/* Explains an idn2 error about one label (or the whole name: label NULL). */
static int idn_why(int rc, const char *label, char *why, size_t whylen)
{
	const char *what;
	switch (rc) {
	case IDN2_MALLOC:
		return -ENOMEM;
	case IDN2_ENCODING_ERROR:
	case IDN2_ICONV_FAIL:
		say(why, whylen, "the host name is not valid UTF-8 text");
		return -EINVAL;
	case IDN2_TOO_BIG_DOMAIN:
		say(why, whylen, "the host name is longer than %d characters once encoded",
		    HOSTNAME_MAX);
		return -EINVAL;
	case IDN2_TOO_BIG_LABEL:
		what = "is longer than 63 characters once encoded";
		break;
	case IDN2_DISALLOWED:
		what = "contains a character that is not allowed in host names";
		break;
	case IDN2_UNASSIGNED:
		what = "contains a character that Unicode has not assigned yet";
		break;
	case IDN2_BIDI:
		what = "mixes right-to-left and left-to-right text in a way that is not allowed";
		break;
	case IDN2_CONTEXTJ:
	case IDN2_CONTEXTJ_NO_RULE:
	case IDN2_CONTEXTO:
	case IDN2_CONTEXTO_NO_RULE:
		what = "uses a joiner or a context-dependent character where it is not allowed";
		break;
	case IDN2_LEADING_COMBINING:
		what = "starts with a combining mark";
		break;
	case IDN2_HYPHEN_STARTEND:
		what = "starts or ends with a hyphen";
		break;
	case IDN2_2HYPHEN:
		what = "has '--' in the third and fourth place";
		break;
	case IDN2_NFC:
	case IDN2_NOT_NFC:
		what = "is not in Unicode normalization form C";
		break;
	case IDN2_PUNYCODE_BAD_INPUT:
	case IDN2_PUNYCODE_BIG_OUTPUT:
	case IDN2_PUNYCODE_OVERFLOW:
	case IDN2_INVALID_ALABEL:
	case IDN2_UALABEL_MISMATCH:
	case IDN2_ALABEL_ROUNDTRIP_FAILED:
		what = "is not a valid international (xn--) label";
		break;
	default:
		what = idn2_strerror(rc);
		break;
	}
	if (label != NULL) {
		char q[QUOTE_MAX + 4];
		quote_label(label, strlen(label), q);
		say(why, whylen, "label '%s' %s", q, what);
	} else {
		say(why, whylen, "the host name %s", what);
	}
	return -EINVAL;
}

/*
 * idn2 refused the name as a whole; convert the labels one by one to find
 * the one to blame, so that the user hears which part is wrong.
 */
static int idn_blame(int rc, char *buf, char *why, size_t whylen)
{
	if (rc == IDN2_MALLOC || rc == IDN2_ENCODING_ERROR || rc == IDN2_TOO_BIG_DOMAIN)
		return idn_why(rc, NULL, why, whylen);
	char *save = NULL;
	for (char *l = strtok_r(buf, ".", &save); l != NULL; l = strtok_r(NULL, ".", &save)) {
		char *a = NULL;
		int lrc = idn2_to_ascii_8z(l, &a, IDN_FLAGS);
		idn2_free(a);
		if (lrc != IDN2_OK)
			return idn_why(lrc, l, why, whylen);
	}
	return idn_why(rc, NULL, why, whylen);
}

/* Checks one lower-case ASCII label. */
static int check_label(const char *l, size_t len, char *why, size_t whylen)
{
	char q[QUOTE_MAX + 4];
	char bad[32] = "";
	const char *what;

	if (len == 0) {
		say(why, whylen, "the host name has an empty label (two dots in a row, "
		                 "or a dot at the start)");
		return -EINVAL;
	}
	if (len > LABEL_MAX) {
		quote_label(l, len, q);
		say(why, whylen, "label '%s' is %zu characters long; the limit is %d",
		    q, len, LABEL_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = l[i];
		if (is_ldh(c))
			continue;
		if (c == ' ')
			snprintf(bad, sizeof(bad), "a space");
		else if (c < 0x20 || c == 0x7f)
			snprintf(bad, sizeof(bad), "a control character");
		else
			snprintf(bad, sizeof(bad), "'%c'", c);
		quote_label(l, len, q);
		say(why, whylen, "label '%s' contains %s; use letters, digits and hyphens",
		    q, bad);
		return -EINVAL;
	}
	if (l[0] == '-')
		what = "starts with a hyphen";
	else if (l[len - 1] == '-')
		what = "ends with a hyphen";
	else if (len >= 4 && l[2] == '-' && l[3] == '-' && strncmp(l, "xn", 2) != 0)
		what = "has '--' in the third and fourth place, which is reserved for "
		       "encoded international names";
	else if (len >= 4 && strncmp(l, "xn--", 4) == 0 && !alabel_valid(l, len))
		what = "is not a valid international (xn--) label";
	else
		return 0;
	quote_label(l, len, q);
	say(why, whylen, "label '%s' %s", q, what);
	return -EINVAL;
}

int hostname_normalize(const char *in, char *out, size_t outlen, char *why, size_t whylen)
{
	char buf[INPUT_MAX + 1];
	char *ace = NULL;
	bool ascii = true;
	int ret;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	while (is_space(*in))
		in++;
	size_t len = strlen(in);
	while (len > 0 && is_space(in[len - 1]))
		len--;
	if (len > INPUT_MAX) {
		say(why, whylen, "the host name is %zu bytes long; the limit is %d characters",
		    len, HOSTNAME_MAX);
		return -EINVAL;
	}
	memcpy(buf, in, len);
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	if (len == 0) {
		say(why, whylen, "the host name is empty");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)buf[i] >= 0x80)
			ascii = false;
	}

	/* idn2 also maps what UTS #46 maps (full-width letters and dots, upper
	 * case); pure ASCII needs none of that and skips it. */
	if (!ascii) {
		ret = idn2_to_ascii_8z(buf, &ace, IDN_FLAGS);
		if (ret != IDN2_OK) {
			idn2_free(ace);
			return idn_blame(ret, buf, why, whylen);
		}
		len = strlen(ace);
		if (len > INPUT_MAX) {
			idn2_free(ace);
			say(why, whylen, "the host name is longer than %d characters once encoded",
			    HOSTNAME_MAX);
			return -EINVAL;
		}
		memcpy(buf, ace, len + 1);
		idn2_free(ace);
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = lower(buf[i]);

	const char *p = buf, *end = buf + len;
	for (;;) {
		const char *dot = memchr(p, '.', end - p);
		size_t l = dot ? (size_t)(dot - p) : (size_t)(end - p);
		ret = check_label(p, l, why, whylen);
		if (ret != 0)
			return ret;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (len > HOSTNAME_MAX) {
		say(why, whylen, "the host name is %zu characters long; the limit is %d",
		    len, HOSTNAME_MAX);
		return -EINVAL;
	}
	if (len + 1 > outlen)
		return DDNS_ESPACE;
	memcpy(out, buf, len + 1);
	return 0;
}

int hostname_split(const char *fqdn, const conf_t *conf, const conf_zone_t **zone,
                   char *label, size_t labellen)
{
	const conf_zone_t *best = NULL;
	size_t best_len = 0, rel = 0;
	size_t flen = strlen(fqdn);

	if (flen > 0 && fqdn[flen - 1] == '.')
		flen--;
	for (size_t i = 0; i < conf->zone_count; i++) {
		const conf_zone_t *z = &conf->zones[i];
		size_t zl = strlen(z->name);
		if (zl > flen || (best != NULL && zl <= best_len))
			continue;
		if (strncasecmp(fqdn + flen - zl, z->name, zl) != 0)
			continue;
		/* The zone must start on a label boundary. */
		if (zl < flen && fqdn[flen - zl - 1] != '.')
			continue;
		best = z;
		best_len = zl;
		rel = zl < flen ? flen - zl - 1 : 0;
	}
	if (best == NULL)
		return DDNS_ENOZONE;
	*zone = best;
	if (rel == 0)
		return DDNS_ERESERVED;
	if (rel + 1 > labellen)
		return DDNS_ESPACE;
	memcpy(label, fqdn, rel);
	label[rel] = '\0';
	return 0;
}

int hostname_check_reserved(const char *label, const char *const *reserved, size_t n)
{
	const char *p = label, *last = label;
	size_t last_len = 0;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 1 && p[0] == '*')
			return DDNS_ERESERVED;
		if (l >= 4 && strncasecmp(p, "xn--", 4) == 0 && !alabel_valid(p, l))
			return DDNS_ERESERVED;
		last = p;
		last_len = l;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (last_len == 0)
		return DDNS_ERESERVED;
	for (size_t i = 0; i < n; i++)
		if (strlen(reserved[i]) == last_len && strncasecmp(last, reserved[i], last_len) == 0)
			return DDNS_ERESERVED;
	return 0;
}
