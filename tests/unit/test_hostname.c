/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of host-name normalisation, zone split and reserved names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/hostname.h"

static void expect_ok(const char *in, const char *want)
{
	char out[HOSTNAME_BUF], why[HOSTNAME_WHY_MAX] = "";
	int ret = hostname_normalize(in, out, sizeof(out), why, sizeof(why));
	if (ret != 0)
		fail_msg("'%s' refused: %s", in, why);
	assert_string_equal(out, want);
}

static void expect_bad(const char *in, const char *want)
{
	char out[HOSTNAME_BUF] = "", why[HOSTNAME_WHY_MAX] = "";
	assert_int_equal(hostname_normalize(in, out, sizeof(out), why, sizeof(why)), -EINVAL);
	if (strstr(why, want) == NULL)
		fail_msg("'%s': reason '%s' does not contain '%s'", in, why, want);
}

static void test_valid(void **state)
{
	expect_ok("alice.dyn.example", "alice.dyn.example");
	expect_ok("Alice.DYN.Example.", "alice.dyn.example");
	expect_ok("  home-1.dyn.example \t\n", "home-1.dyn.example");
	expect_ok("0.9a.dyn.example", "0.9a.dyn.example");
	expect_ok("x", "x");
	expect_ok("xn--bcher-kva.dyn.example", "xn--bcher-kva.dyn.example");
	expect_ok("XN--BCHER-KVA.dyn.example", "xn--bcher-kva.dyn.example");
}

static void test_idn(void **state)
{
	expect_ok("bücher", "xn--bcher-kva");
	expect_ok("Bücher.Dyn.Example.", "xn--bcher-kva.dyn.example");
	expect_ok("BÜCHER.dyn.example", "xn--bcher-kva.dyn.example");
	/* Non-transitional: ß stays ß rather than becoming "ss". */
	expect_ok("faß.dyn.example", "xn--fa-hia.dyn.example");
	/* NFD input (u + combining diaeresis) is normalised to NFC first. */
	expect_ok("bu\xcc\x88" "cher", "xn--bcher-kva");
	/* UTS #46 maps the ideographic full stop to a dot. */
	expect_ok("bücher\xe3\x80\x82" "dyn.example", "xn--bcher-kva.dyn.example");
	expect_ok("日本.dyn.example", "xn--wgv71a.dyn.example");

	expect_bad("b\xfc" "cher.dyn.example", "not valid UTF-8");
	expect_bad("a\xe2\x98\x83" "b.dyn.example", "");  /* snowman: IDNA2008 disallows */
	expect_bad("a\xe2\x98\x83" "b.dyn.example", "'a");
	expect_bad("\xcc\x88" "x.dyn.example", "combining mark");
	/* A Unicode label with an underscore: the message quotes what was typed. */
	expect_bad("ü_x.dyn.example", "label 'ü_x' contains '_'");
}

static void test_bad(void **state)
{
	expect_bad("", "empty");
	expect_bad("  .  ", "empty");
	expect_bad("foo_bar.dyn.example",
	           "label 'foo_bar' contains '_'; use letters, digits and hyphens");
	expect_bad("foo bar.dyn.example", "label 'foo bar' contains a space");
	expect_bad("a\tb.dyn.example", "label 'a?b' contains a control character");
	expect_bad("a..dyn.example", "empty label");
	expect_bad(".a.dyn.example", "empty label");
	expect_bad("a.dyn.example..", "empty label");
	expect_bad("-a.dyn.example", "label '-a' starts with a hyphen");
	expect_bad("a-.dyn.example", "label 'a-' ends with a hyphen");
	expect_bad("ab--cd.dyn.example", "label 'ab--cd' has '--' in the third and fourth place");
	expect_bad("xn--zz.dyn.example", "label 'xn--zz' is not a valid international");
	expect_bad("xn--abc-.dyn.example", "label 'xn--abc-' ends with a hyphen");
	/* Decodes (to U+1F4A9), but IDNA2008 does not allow emoji. */
	expect_bad("xn--ls8h.dyn.example", "label 'xn--ls8h' is not a valid international");
	/* Decodes to plain "abc": not an A-label either. */
	expect_bad("xn--abc-9a.dyn.example", "is not a valid international");
	expect_bad("*.dyn.example", "label '*' contains '*'");
	expect_bad("a/b.dyn.example", "contains '/'");
	expect_bad("a@b", "contains '@'");
}

static void test_lengths(void **state)
{
	char in[600], want[700];
	char out[HOSTNAME_BUF], why[HOSTNAME_WHY_MAX];

	/* 63-character label: fine; 64: refused, with the length. */
	memset(in, 'a', 63);
	strcpy(in + 63, ".dyn.example");
	expect_ok(in, in);
	memset(in, 'a', 64);
	strcpy(in + 64, ".dyn.example");
	expect_bad(in, "is 64 characters long; the limit is 63");
	expect_bad(in, "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");

	/* 253 characters in all: fine (with or without the final dot); 254: refused. */
	in[0] = '\0';
	for (int i = 0; i < 3; i++)
		strcat(in, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
	strcat(in, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_int_equal(strlen(in), 253);
	expect_ok(in, in);
	snprintf(want, sizeof(want), "%s.", in);
	expect_ok(want, in);
	snprintf(want, sizeof(want), "%sb", in);
	expect_bad(want, "is 254 characters long; the limit is 253");

	/* An output buffer too small is not the user's fault. */
	assert_int_equal(hostname_normalize("alice.dyn.example", out, 5, why, sizeof(why)),
	                 DDNS_ESPACE);
	/* Absurdly long input is refused before any IDN work. */
	static char huge[5000];
	memset(huge, 'a', sizeof(huge) - 1);
	expect_bad(huge, "the host name is 4999 bytes long; the limit is 253");
	/* why may be omitted. */
	assert_int_equal(hostname_normalize("a_b", out, sizeof(out), NULL, 0), -EINVAL);
}

static void test_reserved(void **state)
{
	const char *const *r = hostname_reserved_default;
	size_t n = hostname_reserved_default_count;

	assert_true(n >= 24);
	assert_int_equal(hostname_check_reserved("alice", r, n), 0);
	assert_int_equal(hostname_check_reserved("www", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("WWW", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("Admin", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("wpad", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("_acme-challenge", r, n), DDNS_ERESERVED);
	/* Prefixes and extensions of reserved names are not reserved. */
	assert_int_equal(hostname_check_reserved("ww", r, n), 0);
	assert_int_equal(hostname_check_reserved("wwww", r, n), 0);
	assert_int_equal(hostname_check_reserved("ns3", r, n), 0);
	/* The label under the zone decides: x.admin is the operator's subtree,
	 * admin.alice is alice's. */
	assert_int_equal(hostname_check_reserved("x.admin", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("admin.alice", r, n), 0);
	/* Wildcards and broken A-labels anywhere. */
	assert_int_equal(hostname_check_reserved("*", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("*.alice", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("xn--zz", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("xn--zz.alice", r, n), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("xn--bcher-kva", r, n), 0);
	assert_int_equal(hostname_check_reserved("", r, n), DDNS_ERESERVED);
	/* A configured list on top of the defaults. */
	const char *const extra[] = { "billing", "support" };
	assert_int_equal(hostname_check_reserved("billing", extra, 2), DDNS_ERESERVED);
	assert_int_equal(hostname_check_reserved("billing", r, n), 0);
}

static void test_split(void **state)
{
	conf_t *c = NULL;
	char err[512], label[HOSTNAME_BUF];
	const conf_zone_t *z = NULL;
	const char *text =
		"[zone dyn.example]\nns = ns1.dyn.example\n"
		"[zone sub.dyn.example]\nns = ns1.dyn.example\n"
		"[zone other.example]\nns = ns1.dyn.example\n";
	assert_int_equal(conf_load_string(text, "t.conf", &c, err, sizeof(err)), 0);

	assert_int_equal(hostname_split("alice.dyn.example", c, &z, label, sizeof(label)), 0);
	assert_string_equal(z->name, "dyn.example");
	assert_string_equal(label, "alice");

	assert_int_equal(hostname_split("www.alice.dyn.example.", c, &z, label, sizeof(label)), 0);
	assert_string_equal(z->name, "dyn.example");
	assert_string_equal(label, "www.alice");

	/* Longest match wins when zones nest. */
	assert_int_equal(hostname_split("bob.sub.dyn.example", c, &z, label, sizeof(label)), 0);
	assert_string_equal(z->name, "sub.dyn.example");
	assert_string_equal(label, "bob");

	assert_int_equal(hostname_split("x.other.example", c, &z, label, sizeof(label)), 0);
	assert_string_equal(z->name, "other.example");
	assert_string_equal(label, "x");

	/* Apexes are not hosts. */
	assert_int_equal(hostname_split("dyn.example", c, &z, label, sizeof(label)),
	                 DDNS_ERESERVED);
	assert_int_equal(hostname_split("sub.dyn.example", c, &z, label, sizeof(label)),
	                 DDNS_ERESERVED);
	assert_string_equal(z->name, "sub.dyn.example");

	/* Outside every zone, including names that merely end in the same text. */
	assert_int_equal(hostname_split("alice.example", c, &z, label, sizeof(label)),
	                 DDNS_ENOZONE);
	assert_int_equal(hostname_split("alicedyn.example", c, &z, label, sizeof(label)),
	                 DDNS_ENOZONE);
	assert_int_equal(hostname_split("example", c, &z, label, sizeof(label)), DDNS_ENOZONE);
	assert_int_equal(hostname_split("", c, &z, label, sizeof(label)), DDNS_ENOZONE);

	assert_int_equal(hostname_split("alice.dyn.example", c, &z, label, 5), DDNS_ESPACE);

	/* The registration path end to end: typed name -> zone, label -> policy. */
	char fqdn[HOSTNAME_BUF], why[HOSTNAME_WHY_MAX];
	assert_int_equal(hostname_normalize(" Bücher.Dyn.Example. ", fqdn, sizeof(fqdn), why,
	                                    sizeof(why)), 0);
	assert_int_equal(hostname_split(fqdn, c, &z, label, sizeof(label)), 0);
	assert_string_equal(label, "xn--bcher-kva");
	assert_int_equal(hostname_check_reserved(label, hostname_reserved_default,
	                                         hostname_reserved_default_count), 0);
	assert_int_equal(hostname_normalize("MAIL.dyn.example", fqdn, sizeof(fqdn), why,
	                                    sizeof(why)), 0);
	assert_int_equal(hostname_split(fqdn, c, &z, label, sizeof(label)), 0);
	assert_int_equal(hostname_check_reserved(label, hostname_reserved_default,
	                                         hostname_reserved_default_count),
	                 DDNS_ERESERVED);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_idn),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
