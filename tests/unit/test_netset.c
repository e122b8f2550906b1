/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of blocklist address sets: parsing, errors, membership, size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "abuse/netset.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/ddnsd-netset-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to a file in the test directory; returns its path. */
static const char *write_file(const char *name, const char *text)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static netset_t *load_ok(const char *text)
{
	char err[NETSET_ERR_MAX] = "";
	netset_t *s = NULL;
	const char *path = write_file("ok.list", text);
	if (netset_load(path, &s, err, sizeof(err)) != 0)
		fail_msg("load failed: %s", err);
	assert_string_equal(err, "");
	assert_non_null(s);
	return s;
}

/* Loading text must fail with ret and an error ending in want after the
 * "PATH:" prefix. */
static void expect_bad(const char *text, int ret, const char *want)
{
	char err[NETSET_ERR_MAX] = "", full[NETSET_ERR_MAX];
	netset_t *s = (netset_t *)&s; /* must stay untouched */
	netset_t *const before = s;
	const char *path = write_file("bad.list", text);
	assert_int_equal(netset_load(path, &s, err, sizeof(err)), ret);
	assert_ptr_equal(s, before);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	if (strcmp(err, full) != 0)
		fail_msg("error '%s', wanted '%s'", err, full);
}

static bool has(const netset_t *s, const char *addr)
{
	uint8_t a[16];
	if (strchr(addr, ':') != NULL) {
		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
		return netset_contains(s, AF_INET6, a);
	}
	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	return netset_contains(s, AF_INET, a);
}

static void test_parse(void **state)
{
	netset_t *s = load_ok(
		"# abuse blocklist\n"
		"\n"
		"192.0.2.1\n"
		"   198.51.100.0/24   \n"
		"\t2001:db8::/32\t# documentation range\n"
		"203.0.113.7 # one host\n"
		"   # indented comment\n"
		"  \t \n"
		"2001:db8:ffff::1\r\n"           /* CRLF from an editor elsewhere */
		"192.0.2.1\n"                    /* listed twice, kept once */
		"198.51.100.0/24\n"
		"10.0.0.0/8");                   /* no final newline */
	assert_int_equal(netset_count(s), 6);
	assert_true(has(s, "192.0.2.1"));
	assert_true(has(s, "203.0.113.7"));
	assert_true(has(s, "198.51.100.77"));
	assert_true(has(s, "10.255.255.255"));
	assert_true(has(s, "2001:db8:1234::5"));
	assert_true(has(s, "2001:db8:ffff::1"));
	assert_false(has(s, "192.0.2.2"));
	assert_false(has(s, "203.0.113.8"));
	assert_false(has(s, "11.0.0.0"));
	assert_false(has(s, "2001:db9::"));
	netset_free(s);

	/* An empty file, or one of comments only, is an empty set. */
	s = load_ok("");
	assert_int_equal(netset_count(s), 0);
	assert_false(has(s, "192.0.2.1"));
	assert_false(has(s, "::1"));
	netset_free(s);
	s = load_ok("# nothing yet\n\n");
	assert_int_equal(netset_count(s), 0);
	netset_free(s);

	/* /0 is everything of its family, and only of its family. */
	s = load_ok("0.0.0.0/0\n");
	assert_true(has(s, "0.0.0.0"));
	assert_true(has(s, "255.255.255.255"));
	assert_false(has(s, "::"));
	netset_free(s);
	s = load_ok("::/0\n");
	assert_true(has(s, "::1"));
	assert_true(has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(has(s, "192.0.2.1"));
	netset_free(s);

	/* An explicit full length is the address itself. */
	s = load_ok("192.0.2.9/32\n2001:db8::9/128\n");
	assert_int_equal(netset_count(s), 2);
	assert_true(has(s, "192.0.2.9"));
	assert_false(has(s, "192.0.2.8"));
	assert_true(has(s, "2001:db8::9"));
	assert_false(has(s, "2001:db8::8"));
	netset_free(s);
}

static void test_errors(void **state)
{
	const int E = -EINVAL;
	expect_bad("192.0.2.1\nexample.com\n", E, "2: 'example.com' is not an address or network");
	expect_bad("# c\n\n192.0.2.256\n", E, "3: '192.0.2.256' is not an address or network");
	expect_bad("192.0.2.1 198.51.100.1\n", E,
	           "1: '192.0.2.1 198.51.100.1' is not an address or network");
	expect_bad("192.0.2.0/33\n", E, "1: '192.0.2.0/33' is not an address or network");
	expect_bad("2001:db8::/129\n", E, "1: '2001:db8::/129' is not an address or network");
	expect_bad("192.0.2.0/\n", E, "1: '192.0.2.0/' is not an address or network");
	expect_bad("192.0.2.0/-1\n", E, "1: '192.0.2.0/-1' is not an address or network");
	expect_bad("192.0.2.0/ 24\n", E, "1: '192.0.2.0/ 24' is not an address or network");
	expect_bad("192.0.2.0/0024\n", E, "1: '192.0.2.0/0024' is not an address or network");
	expect_bad("/24\n", E, "1: '/24' is not an address or network");
	expect_bad("192.0.2\n", E, "1: '192.0.2' is not an address or network");
	expect_bad("2001:db8:::1\n", E, "1: '2001:db8:::1' is not an address or network");
	expect_bad("[2001:db8::1]\n", E, "1: '[2001:db8::1]' is not an address or network");
	expect_bad("192.0.2.1:80\n", E, "1: '192.0.2.1:80' is not an address or network");
	expect_bad("a\x01" "b\n", E, "1: 'a?b' is not an address or network");
	/* Host bits set: a typo the operator should hear about, with the fix. */
	expect_bad("10.0.0.0/8\n\n192.0.2.5/24\n", E,
	           "3: '192.0.2.5/24' has host bits set; the network is 192.0.2.0/24");
	expect_bad("2001:db8::1/32\n", E,
	           "1: '2001:db8::1/32' has host bits set; the network is 2001:db8::/32");
	expect_bad("1.2.3.4/0\n", E, "1: '1.2.3.4/0' has host bits set; the network is 0.0.0.0/0");
	/* Long lines are quoted in part. */
	char longline[300];
	memset(longline, 'x', 200);
	strcpy(longline + 200, "\n");
	expect_bad(longline, E, "1: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
	                        " is not an address or network");

	/* Files that cannot be read name the file. */
	char err[NETSET_ERR_MAX], want[NETSET_ERR_MAX];
	netset_t *s = NULL;
	snprintf(want, sizeof(want), "%s/missing.list", dir);
	assert_int_equal(netset_load(want, &s, err, sizeof(err)), -ENOENT);
	assert_null(s);
	strcat(want, ": cannot open: No such file or directory");
	assert_string_equal(err, want);
	assert_int_equal(netset_load(dir, &s, err, sizeof(err)), -EISDIR);
	assert_null(s);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", dir);
	assert_string_equal(err, want);
	/* err may be omitted. */
	assert_int_equal(netset_load(write_file("x.list", "nope\n"), &s, NULL, 0), -EINVAL);
	assert_null(s);
}

static void test_boundaries(void **state)
{
	netset_t *s = load_ok(
		"198.51.100.0/24\n"
		"203.0.113.128/25\n"
		"192.0.2.64/26\n"
		"100.64.0.0/10\n"
		"2001:db8:aaaa::/48\n"
		"2001:db8:bbbb:cc00::/56\n"
		"2001:db8:0:1::/64\n"
		"2001:db8:0:2::/65\n"
		"2001:db8:0:3::8/125\n");
	assert_int_equal(netset_count(s), 9);
	static const char *const in[] = {
		"198.51.100.0", "198.51.100.255",
		"203.0.113.128", "203.0.113.255",
		"192.0.2.64", "192.0.2.127",
		"100.64.0.0", "100.127.255.255",
		"2001:db8:aaaa::", "2001:db8:aaaa:ffff:ffff:ffff:ffff:ffff",
		"2001:db8:bbbb:cc00::", "2001:db8:bbbb:ccff:ffff:ffff:ffff:ffff",
		"2001:db8:0:1::", "2001:db8:0:1:ffff:ffff:ffff:ffff",
		"2001:db8:0:2::", "2001:db8:0:2:7fff:ffff:ffff:ffff",
		"2001:db8:0:3::8", "2001:db8:0:3::f",
	};
	/* Each network's neighbours below and above, where not another entry. */
	static const char *const out[] = {
		"198.51.99.255", "198.51.101.0",
		"203.0.113.127", "203.0.114.0",
		"192.0.2.63", "192.0.2.128",
		"100.63.255.255", "100.128.0.0",
		"2001:db8:aa9f:ffff:ffff:ffff:ffff:ffff", "2001:db8:aaab::",
		"2001:db8:bbbb:cbff:ffff:ffff:ffff:ffff", "2001:db8:bbbb:cd00::",
		"2001:db8:0:0:ffff:ffff:ffff:ffff",   /* below the /64 */
		"2001:db8:0:2:8000::",                /* above the /65 */
		"2001:db8:0:3::7", "2001:db8:0:3::10",
		"0.0.0.0", "255.255.255.255", "::", "::1",
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		if (!has(s, in[i]))
			fail_msg("%s should be in the set", in[i]);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		if (has(s, out[i]))
			fail_msg("%s should not be in the set", out[i]);
	netset_free(s);
}

static void test_families(void **state)
{
	netset_t *s = load_ok("192.0.2.0/24\n::ffff:198.51.100.7\n::ffff:203.0.113.0/120\n"
	                      "2001:db8::/32\n");
	uint8_t a[16];

	/* A mapped entry is its IPv4 address; a mapped query is looked up as
	 * IPv4, as a dual-stack socket reports an IPv4 client. */
	assert_int_equal(netset_count(s), 4);
	assert_true(has(s, "198.51.100.7"));
	assert_true(has(s, "203.0.113.200"));
	assert_true(has(s, "::ffff:192.0.2.10"));
	assert_true(has(s, "::ffff:198.51.100.7"));
	assert_false(has(s, "::ffff:192.0.3.10"));
	/* The same bytes in another IPv6 prefix are not IPv4. */
	assert_false(has(s, "::192.0.2.10"));
	assert_false(has(s, "64:ff9b::192.0.2.10"));
	/* The first four bytes of an IPv6 address are not an IPv4 address. */
	assert_int_equal(inet_pton(AF_INET6, "c000:0201::", a), 1);
	assert_false(netset_contains(s, AF_INET6, a));
	assert_true(netset_contains(s, AF_INET, a));
	/* Other families and no set at all: nothing is listed. */
	assert_false(netset_contains(s, AF_UNIX, a));
	assert_false(netset_contains(NULL, AF_INET, a));
	assert_int_equal(netset_count(NULL), 0);
	netset_free(s);
	netset_free(NULL);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 100,000 entries of mixed lengths load and answer fast, and correctly. */
static void test_large(void **state)
{
	enum { N = 100000, Q = 400000 };
	char path[128], err[NETSET_ERR_MAX];
	snprintf(path, sizeof(path), "%s/large.list", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	/* Entry i: an IPv4 /32 at 10.x.y.z with even i, a /24 in 172.16.0.0/12
	 * for i % 4 == 1, an IPv6 /64 or /48 for the rest. */
	for (uint32_t i = 0; i < N; i++) {
		uint32_t h = i * 2654435761u;
		switch (i % 4) {
		case 0:
		case 2:
			fprintf(f, "10.%u.%u.%u\n", h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xfe);
			break;
		case 1:
			fprintf(f, "172.%u.%u.0/24 # entry %u\n", 16 + (h >> 28), (h >> 20) & 0xff, i);
			break;
		default:
			if (i & 4)
				fprintf(f, "2001:db8:%x:%x::/64\n", h >> 16, h & 0xffff);
			else
				fprintf(f, "2001:db9:%x::/48\n", h >> 16);
			break;
		}
	}
	assert_int_equal(fclose(f), 0);

	netset_t *s = NULL;
	double t0 = now();
	if (netset_load(path, &s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	double load = now() - t0;
	assert_true(netset_count(s) > N / 2);
	assert_true(netset_count(s) <= N);

	/* Every listed address and /64 is found; odd last bytes in 10/8 and
	 * anything in 11/8 or 2001:db7::/32 never are. */
	t0 = now();
	for (uint32_t i = 0; i < Q; i++) {
		uint32_t e = i % N, h = e * 2654435761u;
		uint8_t a4[4] = { 10, h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xfe };
		uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, h >> 24, (h >> 16) & 0xff,
		                   (h >> 8) & 0xff, h & 0xff, 0, 0, 0, 0, 0, 0, 0, i & 0xff };
		if (e % 2 == 0 && !netset_contains(s, AF_INET, a4))
			fail_msg("10.%u.%u.%u (entry %u) not found", a4[1], a4[2], a4[3], e);
		a4[3] |= 1;
		if (netset_contains(s, AF_INET, a4))
			fail_msg("10.%u.%u.%u is not listed", a4[1], a4[2], a4[3]);
		a4[0] = 11;
		if (netset_contains(s, AF_INET, a4))
			fail_msg("11.%u.%u.%u is not listed", a4[1], a4[2], a4[3]);
		if (e % 4 == 3 && (e & 4) && !netset_contains(s, AF_INET6, a6))
			fail_msg("IPv6 entry %u not found", e);
		a6[3] = 0xb7;
		if (netset_contains(s, AF_INET6, a6))
			fail_msg("2001:db7:... is not listed");
	}
	double query = now() - t0;
	/* Generous bounds: a linear scan would take minutes, not seconds, and
	 * sanitizer builds must still pass. */
	if (load > 2.0 || query > 2.0)
		fail_msg("too slow: load %.3f s, %d rounds of queries %.3f s", load, Q, query);
	print_message("load %.3f s, %d rounds of queries %.3f s\n", load, Q, query);
	netset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
