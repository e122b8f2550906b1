/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of ddnsc's pure pieces: the reply parser of each dialect,
 * address validation and checkip extraction, the backoff arithmetic, the
 * update URLs, the IPv6 address choice, the DNS reply parser and the
 * cache file round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/addr.h"
#include "client/backoff.h"
#include "client/cache.h"
#include "client/detect.h"
#include "client/dnscheck.h"
#include "client/provider.h"

static provider_reply_t reply(enum provider_kind k, long status, const char *body)
{
	provider_reply_t r;
	provider_parse_reply(k, status, body, strlen(body), &r);
	return r;
}

static void test_reply_dyndns2(void **state)
{
	provider_reply_t r = reply(PROVIDER_DYNDNS2, 200, "good 203.0.113.5\n");
	assert_int_equal(r.verdict, PROVIDER_GOOD);
	assert_string_equal(r.code, "good");
	assert_string_equal(r.detail, "203.0.113.5");
	assert_int_equal(reply(PROVIDER_DDNSD, 200, "nochg 203.0.113.5").verdict, PROVIDER_NOCHG);
	assert_int_equal(reply(PROVIDER_DDNSD, 200, "\r\n  good\r\n").verdict, PROVIDER_GOOD);
	static const char *const fatal[] = { "badauth", "nohost", "notfqdn", "badagent", "abuse",
	                                     "!donator", "numhost" };
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		r = reply(PROVIDER_DYNDNS2, 200, fatal[i]);
		assert_int_equal(r.verdict, PROVIDER_FATAL);
		assert_string_equal(r.code, fatal[i]);
		assert_string_not_equal(provider_advice(r.code), "check the configuration of this host");
	}
	assert_int_equal(reply(PROVIDER_DYNDNS2, 200, "911").verdict, PROVIDER_RETRY);
	assert_int_equal(reply(PROVIDER_DYNDNS2, 200, "dnserr").verdict, PROVIDER_RETRY);
	r = reply(PROVIDER_DDNSD, 503, "911\n");
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_string_equal(r.code, "911");
	r = reply(PROVIDER_DDNSD, 502, "<html>Bad gateway</html>");
	assert_int_equal(r.verdict, PROVIDER_RETRY);
	assert_string_equal(r.code, "HTTP 502");
	assert_int_equal(reply(PROVIDER_DDNSD, 429, "").verdict, PROVIDER_RETRY);
	/* Only the first line counts; "good" later does not make it good. */
	assert_int_equal(reply(PROVIDER_DDNSD, 200, "badauth\ngood 1.2.3.4").verdict, PROVIDER_FATAL);
	/* Not words of the dialect: unknown, never good. */
	assert_int_equal(reply(PROVIDER_DDNSD, 200, "goodness").verdict, PROVIDER_UNKNOWN);
	assert_int_equal(reply(PROVIDER_DDNSD, 200, "").verdict, PROVIDER_UNKNOWN);
	assert_int_equal(reply(PROVIDER_DDNSD, 404, "Not Found").verdict, PROVIDER_UNKNOWN);
	r = reply(PROVIDER_DDNSD, 401, "Unauthorized");
	assert_int_equal(r.verdict, PROVIDER_FATAL);
	assert_string_equal(r.code, "badauth");
}

static void test_reply_duckdns(void **state)
{
	assert_int_equal(reply(PROVIDER_DUCKDNS, 200, "OK").verdict, PROVIDER_GOOD);
	assert_int_equal(reply(PROVIDER_DUCKDNS, 200, "OK\n203.0.113.5\n\nUPDATED").verdict, PROVIDER_GOOD);
	assert_int_equal(reply(PROVIDER_DUCKDNS, 200, "KO").verdict, PROVIDER_FATAL);
	assert_int_equal(reply(PROVIDER_DUCKDNS, 503, "KO").verdict, PROVIDER_RETRY);
	assert_int_equal(reply(PROVIDER_DUCKDNS, 200, "good").verdict, PROVIDER_UNKNOWN);
	assert_int_equal(reply(PROVIDER_DUCKDNS, 200, "OKAY").verdict, PROVIDER_UNKNOWN);
}

static bool pub(const char *s)
{
	addr_t a;
	assert_int_equal(addr_parse(s, AF_UNSPEC, &a), 0);
	return addr_is_public(&a, NULL);
}

static void test_addr_public(void **state)
{
	static const char *const yes[] = { "203.0.113.5", "198.51.100.1", "192.0.2.1", "8.8.8.8",
	                                   "100.63.255.255", "100.128.0.0", "172.15.255.255",
	                                   "172.32.0.0", "11.0.0.1", "223.255.255.255",
	                                   "2001:db8::5", "2a00:1450::1", "fbff::1", "fec0::1",
	                                   "::2" };
	static const char *const no[] = { "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
	                                  "127.0.0.1", "169.254.1.1", "100.64.0.1", "100.127.255.255",
	                                  "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.1.1.1", "240.0.0.1",
	                                  "255.255.255.255", "::1", "::", "fe80::1", "febf::1",
	                                  "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:203.0.113.5" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!pub(yes[i]))
			fail_msg("%s should be public", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (pub(no[i]))
			fail_msg("%s should not be public", no[i]);
	const char *why = NULL;
	addr_t a;
	addr_parse("100.64.1.1", AF_INET, &a);
	assert_false(addr_is_public(&a, &why));
	assert_non_null(strstr(why, "100.64.0.0/10"));
	/* The family must match. */
	assert_int_not_equal(addr_parse("203.0.113.5", AF_INET6, &a), 0);
	assert_int_not_equal(addr_parse("2001:db8::1", AF_INET, &a), 0);
	assert_int_not_equal(addr_parse("203.0.113.5 ", AF_INET, &a), 0);
}

static int from_checkip(const char *body, int family, char *out)
{
	addr_t a;
	int r = addr_from_checkip(body, strlen(body), family, &a);
	if (r == 0)
		addr_str(&a, out);
	return r;
}

static void test_checkip_body(void **state)
{
	char s[ADDR_STRLEN];
	assert_int_equal(from_checkip("<html><head><title>Current IP Check</title></head><body>"
	                              "Current IP Address: 203.0.113.7</body></html>\n", AF_INET, s), 0);
	assert_string_equal(s, "203.0.113.7");
	assert_int_equal(from_checkip("203.0.113.8\n", AF_INET, s), 0);
	assert_string_equal(s, "203.0.113.8");
	assert_int_equal(from_checkip("  2001:db8::8\r\n", AF_INET6, s), 0);
	assert_string_equal(s, "2001:db8::8");
	assert_int_equal(from_checkip("Current IP Address: 2001:db8::9", AF_INET6, s), 0);
	assert_string_equal(s, "2001:db8::9");
	/* Wrong family, nothing, or garbage glued to letters. */
	assert_int_not_equal(from_checkip("203.0.113.8", AF_INET6, s), 0);
	assert_int_not_equal(from_checkip("Current IP Address: 2001:db8::9", AF_INET, s), 0);
	assert_int_not_equal(from_checkip("<html>no address here</html>", AF_INET, s), 0);
	assert_int_not_equal(from_checkip("foo::bar", AF_INET6, s), 0);
	assert_int_not_equal(from_checkip("", AF_INET, s), 0);
	assert_int_not_equal(from_checkip("Current IP Address: 999.1.1.1", AF_INET, s), 0);
}

static void test_backoff(void **state)
{
	/* 1800, doubling, capped at 86400. */
	assert_int_equal(backoff_delay(1800, 86400, 1, 0), 1800);
	assert_int_equal(backoff_delay(1800, 86400, 2, 0), 3600);
	assert_int_equal(backoff_delay(1800, 86400, 3, 0), 7200);
	assert_int_equal(backoff_delay(1800, 86400, 6, 0), 57600);
	assert_int_equal(backoff_delay(1800, 86400, 7, 0), 86400);
	assert_int_equal(backoff_delay(1800, 86400, 1000, 0), 86400);
	assert_int_equal(backoff_delay(1800, 86400, 4000000000U, 0), 86400);
	assert_int_equal(backoff_delay(60, 86400, 1, 0), 60);
	assert_int_equal(backoff_delay(60, 86400, 4, 0), 480);
	/* Retry-After raises the wait, never shortens it; a week at most. */
	assert_int_equal(backoff_delay(60, 86400, 1, 3600), 3600);
	assert_int_equal(backoff_delay(1800, 86400, 1, 5), 1800);
	assert_int_equal(backoff_delay(60, 86400, 1, 100000000), BACKOFF_RETRY_AFTER_MAX);
	assert_int_equal(backoff_delay(0, 0, 0, 0), 1);
	assert_int_equal(backoff_delay(UINT32_MAX, UINT32_MAX, 40, 0), UINT32_MAX);

	assert_int_equal(backoff_parse_retry_after("120", 0), 120);
	assert_int_equal(backoff_parse_retry_after(" 7 ", 0), 7);
	assert_int_equal(backoff_parse_retry_after("99999999999999999999", 0), BACKOFF_RETRY_AFTER_MAX);
	assert_int_equal(backoff_parse_retry_after("soon", 0), -1);
	assert_int_equal(backoff_parse_retry_after("12x", 0), -1);
	/* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
	assert_int_equal(backoff_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 90), 90);
	assert_int_equal(backoff_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 90), 0);
}

static void test_urls(void **state)
{
	addr_t v4, v6, none = { 0 };
	char *u;
	addr_parse("203.0.113.5", AF_INET, &v4);
	addr_parse("2001:db8::5", AF_INET6, &v6);
	assert_int_equal(provider_url(PROVIDER_DDNSD, "http://127.0.0.1:8053/", "/nic/update",
	                              "home.dyn.example", "secret", &v4, &v6, false, &u), 0);
	assert_string_equal(u, "http://127.0.0.1:8053/nic/update?hostname=home.dyn.example"
	                       "&myip=203.0.113.5%2C2001%3Adb8%3A%3A5");
	free(u);
	assert_int_equal(provider_url(PROVIDER_DYNDNS2, "https://dynupdate.no-ip.com", "/nic/update",
	                              "me.ddns.net", "secret", &none, &v6, false, &u), 0);
	assert_string_equal(u, "https://dynupdate.no-ip.com/nic/update?hostname=me.ddns.net"
	                       "&myip=2001%3Adb8%3A%3A5");
	assert_null(strstr(u, "secret"));
	free(u);
	assert_int_equal(provider_url(PROVIDER_DUCKDNS, "https://www.duckdns.org", "/update",
	                              "myhome.duckdns.org", "t&k=n", &v4, &v6, false, &u), 0);
	assert_string_equal(u, "https://www.duckdns.org/update?domains=myhome&token=t%26k%3Dn"
	                       "&ip=203.0.113.5&ipv6=2001%3Adb8%3A%3A5");
	free(u);
	assert_int_equal(provider_url(PROVIDER_DUCKDNS, "http://127.0.0.1:1", "/update",
	                              "cam.dyn.example", "tok", &v4, &none, true, &u), 0);
	assert_string_equal(u, "http://127.0.0.1:1/update?domains=cam.dyn.example&token=%2A%2A%2A%2A"
	                       "&ip=203.0.113.5");
	assert_null(strstr(u, "=tok"));
	free(u);
}

static int pick6(const char *listing, const char *ifname, char *out)
{
	FILE *f = fmemopen((void *)listing, strlen(listing), "r");
	assert_non_null(f);
	addr_t a;
	char why[200];
	int r = detect_pick_inet6(f, ifname, &a, why, sizeof(why));
	fclose(f);
	if (r == 0)
		addr_str(&a, out);
	return r;
}

static void test_pick_inet6(void **state)
{
	char s[ADDR_STRLEN];
	const char *listing =
		"00000000000000000000000000000001 01 80 10 80       lo\n"
		"fe800000000000000000000000000001 02 40 20 80     eth0\n"
		"20010db8000000000000000000000077 02 40 00 01     eth0\n"   /* temporary */
		"20010db8000000000000000000000088 02 40 00 20     eth0\n"   /* deprecated */
		"20010db8000000000000000000000099 02 40 00 00     eth0\n"   /* stable */
		"20010db8000000000000000000000066 02 40 00 40     eth0\n"   /* tentative */
		"fd000000000000000000000000000001 03 40 00 80     wg0\n"
		"20010db80000000000000000000000aa 04 40 00 80     eth1\n";
	assert_int_equal(pick6(listing, "eth0", s), 0);
	assert_string_equal(s, "2001:db8::99");
	assert_int_equal(pick6(listing, "eth1", s), 0);
	assert_string_equal(s, "2001:db8::aa");
	assert_int_not_equal(pick6(listing, "wg0", s), 0);
	assert_int_not_equal(pick6(listing, "lo", s), 0);
	/* Without the stable one: temporary beats deprecated. */
	const char *tmp_only =
		"20010db8000000000000000000000088 02 40 00 20     eth0\n"
		"20010db8000000000000000000000077 02 40 00 01     eth0\n";
	assert_int_equal(pick6(tmp_only, NULL, s), 0);
	assert_string_equal(s, "2001:db8::77");
}

static void test_dns_parse(void **state)
{
	/* Reply id 0x1234: question a.ex A, answers CNAME then two A. */
	static const unsigned char msg[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
		1, 'a', 2, 'e', 'x', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'b', 0xc0, 14,
		1, 'b', 0xc0, 14, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 5,
		0xc0, 34, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 6,
	};
	addr_t a[DNSCHECK_MAX];
	size_t n;
	char s[ADDR_STRLEN];
	assert_int_equal(dnscheck_parse(msg, sizeof(msg), 0x1234, AF_INET, a, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(addr_str(&a[0], s), "203.0.113.5");
	assert_string_equal(addr_str(&a[1], s), "203.0.113.6");
	assert_int_equal(dnscheck_parse(msg, sizeof(msg), 0x4321, AF_INET, a, &n), -EINVAL);
	for (size_t cut = 0; cut < sizeof(msg); cut++)
		assert_int_equal(dnscheck_parse(msg, cut, 0x1234, AF_INET, a, &n), -EINVAL);
	unsigned char nx[12] = { 0x12, 0x34, 0x81, 0x83 };
	assert_int_equal(dnscheck_parse(nx, sizeof(nx), 0x1234, AF_INET, a, &n), 0);
	assert_int_equal(n, 0);
	unsigned char sf[12] = { 0x12, 0x34, 0x81, 0x82 };
	assert_int_equal(dnscheck_parse(sf, sizeof(sf), 0x1234, AF_INET, a, &n), -EINVAL);
}

static void test_cache_roundtrip(void **state)
{
	char dir[] = "/tmp/ddnsc-unit-XXXXXX", path[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache", dir);
	cache_t c;
	assert_int_equal(cache_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	cache_entry_t *e = cache_get(&c, "home.dyn.example", true);
	addr_parse("203.0.113.5", AF_INET, &e->v4);
	e->last_success = 1700000000;
	e->next_attempt = 1700003600;
	e->failures = 2;
	strcpy(e->status, "911");
	strcpy(e->fatal, "");
	e->confhash = 0xfedcba9876543210ULL;
	e = cache_get(&c, "cam.dyn.example", true);
	addr_parse("2001:db8::5", AF_INET6, &e->v6);
	strcpy(e->fatal, "badauth");
	assert_int_equal(cache_save(&c, path, err, sizeof(err)), 0);
	cache_deinit(&c);

	assert_int_equal(cache_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	e = cache_get(&c, "home.dyn.example", false);
	char s[ADDR_STRLEN];
	assert_string_equal(addr_str(&e->v4, s), "203.0.113.5");
	assert_int_equal(e->v6.family, 0);
	assert_int_equal(e->last_success, 1700000000);
	assert_int_equal(e->next_attempt, 1700003600);
	assert_int_equal(e->failures, 2);
	assert_string_equal(e->status, "911");
	assert_string_equal(e->fatal, "");
	assert_true(e->confhash == 0xfedcba9876543210ULL);
	e = cache_get(&c, "cam.dyn.example", false);
	assert_string_equal(e->fatal, "badauth");
	assert_string_equal(addr_str(&e->v6, s), "2001:db8::5");
	assert_null(cache_get(&c, "other.dyn.example", false));
	cache_deinit(&c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_dyndns2),
		cmocka_unit_test(test_reply_duckdns),
		cmocka_unit_test(test_addr_public),
		cmocka_unit_test(test_checkip_body),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_pick_inet6),
		cmocka_unit_test(test_dns_parse),
		cmocka_unit_test(test_cache_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
