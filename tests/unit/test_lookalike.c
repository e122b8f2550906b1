/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of look-alike detection against brand words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <idn2.h>
#include <stdio.h>
#include <string.h>

#include "abuse/lookalike.h"

static const char *const brands[] = { "paypal", "microsoft", "amazon", "google", "ibm", "visa" };
#define NBRANDS (sizeof(brands) / sizeof(brands[0]))

static void expect_refused_by(const char *label, const char *const *words, size_t n,
                              const char *word)
{
	char why[LOOKALIKE_WHY_MAX] = "", want[LOOKALIKE_WHY_MAX];
	int ret = lookalike_check(label, words, n, why, sizeof(why));
	if (ret != DDNS_ERESERVED)
		fail_msg("'%s' was not refused (returned %d)", label, ret);
	snprintf(want, sizeof(want), "looks like the protected name '%s'", word);
	if (strcmp(why, want) != 0)
		fail_msg("'%s': reason '%s', wanted '%s'", label, why, want);
}

static void expect_refused(const char *label, const char *word)
{
	expect_refused_by(label, brands, NBRANDS, word);
}

static void expect_allowed_by(const char *label, const char *const *words, size_t n)
{
	char why[LOOKALIKE_WHY_MAX] = "";
	int ret = lookalike_check(label, words, n, why, sizeof(why));
	if (ret != 0)
		fail_msg("'%s' refused (%d): %s", label, ret, why);
	assert_string_equal(why, "");
}

static void expect_allowed(const char *label)
{
	expect_allowed_by(label, brands, NBRANDS);
}

static void test_exact_and_contained(void **state)
{
	expect_refused("paypal", "paypal");
	expect_refused("paypal-login", "paypal");
	expect_refused("secure-paypal", "paypal");
	expect_refused("mypaypalaccount", "paypal");
	expect_refused("pay-pal", "paypal");
	expect_refused("p-a-y-p-a-l", "paypal");
	expect_refused("microsoft", "microsoft");
	expect_refused("amazon", "amazon");
	expect_refused("amazon-prime-verify", "amazon");
	/* A four-letter word matches inside a label, but only exactly. */
	expect_refused("myvisa", "visa");
	expect_allowed("vise");
	expect_allowed("visor");
}

static void test_digits_and_pairs(void **state)
{
	expect_refused("paypa1", "paypal");
	expect_refused("paypa1-secure", "paypal");
	expect_refused("p4yp4l", "paypal");
	expect_refused("micros0ft", "microsoft");
	expect_refused("m1crosoft", "microsoft");
	expect_refused("m1cr0s0ft", "microsoft");
	expect_refused("rnicrosoft", "microsoft");
	expect_refused("arnazon", "amazon");
	expect_refused("arnaz0n-login", "amazon");
	expect_refused("g00gle", "google");
	expect_refused("goog1e", "google");
	/* vv reads as w, cl as d. */
	const char *const w[] = { "network", "dropbox" };
	expect_refused_by("netvvork", w, 2, "network");
	expect_refused_by("clropbox", w, 2, "dropbox");
	expect_refused_by("c1ropbox", w, 2, "dropbox");
	/* 1 is both l and i, but l and i are not each other. */
	const char *const li[] = { "lima" };
	expect_refused_by("1ima", li, 1, "lima");
	expect_allowed_by("iima", li, 1);
}

static void test_fuzzy(void **state)
{
	/* Distance 1 for words of 5 to 7 letters: one typo, swap, extra or
	 * missing letter. */
	expect_refused("paypl", "paypal");
	expect_refused("paypall", "paypal");
	expect_refused("pyapal", "paypal");
	expect_refused("paypel", "paypal");
	expect_refused("amazom", "amazon");
	expect_refused("gogle", "google");
	/* ... but not two. */
	expect_allowed("pypl");
	expect_allowed("paypxx");
	expect_allowed("amzaom");
	/* Distance 2 for words of 8 letters or more. */
	expect_refused("micosoft", "microsoft");
	expect_refused("mircosft", "microsoft");
	expect_refused("microsfot", "microsoft");
	expect_allowed("micxxxoft");
	/* The distance is of the whole label: a typo inside a longer label is
	 * not a match, or every long label would be at risk. */
	expect_allowed("my-paypl-shop-at-home");
}

static void test_idn(void **state)
{
	/* Cyrillic а in "pаypal", and both a's. */
	expect_refused("xn--pypal-4ve", "paypal");
	expect_refused("xn--pypl-53dc", "paypal");
	/* Greek ρ for p; Cyrillic о twice in google and microsoft. */
	expect_refused("xn--aypal-2ce", "paypal");
	expect_refused("xn--ggle-55da", "google");
	expect_refused("xn--micrsft-djgb", "microsoft");
	/* Cyrillic а at the start of amazon; â in paypal. */
	expect_refused("xn--mazon-3ve", "amazon");
	expect_refused("xn--pypal-3qa", "paypal");
	expect_refused("XN--PYPAL-4VE", "paypal");

	/* The A-labels above are what libidn2 itself makes of the Unicode. */
	char *a = NULL;
	assert_int_equal(idn2_to_ascii_8z("p\xd0\xb0ypal", &a, 0), IDN2_OK);
	assert_string_equal(a, "xn--pypal-4ve");
	idn2_free(a);

	/* Ordinary international names are not look-alikes. */
	expect_allowed("xn--bcher-kva");
	expect_allowed("xn--wgv71a");
	/* An A-label that does not decode is read as the ASCII it is. */
	expect_allowed("xn--zz");
	const char *const xn[] = { "xnzz" };
	expect_refused_by("xn--zz", xn, 1, "xnzz");
	/* A brand word that is itself an A-label: bücher. */
	const char *const idnw[] = { "xn--bcher-kva" };
	expect_refused_by("xn--bcher-kva", idnw, 1, "xn--bcher-kva");
	expect_refused_by("bucher", idnw, 1, "xn--bcher-kva");
	expect_refused_by("bucher-shop", idnw, 1, "xn--bcher-kva");
}

static void test_short_words(void **state)
{
	/* Words of 1 to 3 letters match the whole label only. */
	expect_refused("ibm", "ibm");
	expect_refused("1bm", "ibm");
	expect_allowed("ibm-fan");
	expect_allowed("lbm");
	expect_allowed("ibn");
	const char *const nas[] = { "nas", "pc" };
	expect_refused_by("nas", nas, 2, "nas");
	expect_refused_by("n4s", nas, 2, "nas");
	expect_allowed_by("mynas", nas, 2);
	expect_allowed_by("mypc", nas, 2);
	expect_allowed_by("pcs", nas, 2);
}

static void test_ordinary(void **state)
{
	static const char *const ok[] = {
		"alice", "bob", "home", "nas", "camera", "office", "bob-laptop", "paris",
		"pal", "mypc", "apple-pie", "router", "raspberrypi", "garage-cam",
		"nextcloud", "plex", "minecraft", "homeassistant", "vpn", "pihole",
		"x", "a1", "amazing", "googol", "micro", "soft", "payroll", "paul",
		"map", "pay", "1234", "server-01", "jellyfin", "xn--bcher-kva",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		expect_allowed(ok[i]);
	/* apple-pie is fine for a paypal operator, not for an apple one. */
	const char *const apple[] = { "apple" };
	expect_refused_by("apple-pie", apple, 1, "apple");
	expect_refused_by("4pple", apple, 1, "apple");
	/* No words, nothing refused. */
	expect_allowed_by("paypal", NULL, 0);
}

static void test_words_and_args(void **state)
{
	char why[LOOKALIKE_WHY_MAX];
	/* Words are compared without case, and named as configured. */
	const char *const upper[] = { "PayPal" };
	expect_refused_by("paypa1", upper, 1, "PayPal");
	/* A dot in a word reads like a hyphen. */
	const char *const dotted[] = { "paypal.com" };
	expect_refused_by("paypal-com", dotted, 1, "paypal.com");
	expect_refused_by("paypalcom-login", dotted, 1, "paypal.com");
	/* Empty and overlong words are skipped; the first match is named. */
	char longw[80];
	memset(longw, 'a', sizeof(longw) - 1);
	longw[sizeof(longw) - 1] = '\0';
	const char *const odd[] = { "", longw, "-", "google", "paypal" };
	expect_allowed_by("alice", odd, 5);
	expect_allowed_by("aaaaaaaa", odd, 5);
	expect_refused_by("google-paypal", odd, 5, "google");

	/* The label must be one DNS label's length. */
	assert_int_equal(lookalike_check("", brands, NBRANDS, why, sizeof(why)), -EINVAL);
	char label[70];
	memset(label, 'b', 64);
	label[64] = '\0';
	assert_int_equal(lookalike_check(label, brands, NBRANDS, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "64 bytes"));
	label[63] = '\0';
	assert_int_equal(lookalike_check(label, brands, NBRANDS, why, sizeof(why)), 0);
	memcpy(label + 57, "paypal", 6);
	assert_int_equal(lookalike_check(label, brands, NBRANDS, why, sizeof(why)),
	                 DDNS_ERESERVED);
	/* why may be omitted, or too short: the result is the same. */
	assert_int_equal(lookalike_check("paypa1", brands, NBRANDS, NULL, 0), DDNS_ERESERVED);
	assert_int_equal(lookalike_check("paypa1", brands, NBRANDS, why, 8), DDNS_ERESERVED);
	assert_string_equal(why, "looks l");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_contained),
		cmocka_unit_test(test_digits_and_pairs),
		cmocka_unit_test(test_fuzzy),
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_short_words),
		cmocka_unit_test(test_ordinary),
		cmocka_unit_test(test_words_and_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
