/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the configuration parser and its schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/name.h"

#define ZONE "[zone dyn.example]\nns = ns1.dyn.example\n"

static void expect_error(const char *text, const char *want)
{
	conf_t *c = NULL;
	char err[512] = "";
	assert_int_not_equal(conf_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_good(void **state)
{
	conf_t *c;
	char err[512];
	const char *text =
		"; comment\n[server]\ndns-listen = 127.0.0.1:5300, [::1]:5300\nworkers = 2\n"
		"identity = ns1.dyn.example\n\n"
		"[zone Dyn.Example.]\nns = ns1.dyn.example, ns2.dyn.example\n"
		"glue = ns1.dyn.example 192.0.2.1\nglue = ns2.dyn.example 2001:db8::2\n"
		"ttl = 30\nallow-transfer = 127.0.0.1, 2001:db8::/32, key:xfr\n"
		"suspended = sinkhole:192.0.2.9, 2001:db8::9\n"
		"notify = 127.0.0.1:5354, [2001:db8::53]:53  key:Knot-XFR. \n"
		"[zone other.example]\nns = ns1.dyn.example\n";
	assert_int_equal(conf_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c->dns_listen.n, 2);
	assert_int_equal(c->workers, 2);
	assert_string_equal(c->identity, "ns1.dyn.example");
	assert_string_equal(c->version, "");
	assert_int_equal(c->tcp_idle_timeout, 10);
	assert_int_equal(c->zone_count, 2);
	const conf_zone_t *z = conf_zone_find(c, "dyn.example.");
	assert_non_null(z);
	assert_string_equal(z->name, "dyn.example");
	assert_int_equal(z->ns.n, 2);
	assert_int_equal(z->glue.n, 2);
	assert_int_equal(z->ttl, 30);
	assert_string_equal(z->soa_rname, "hostmaster.dyn.example");
	assert_int_equal(z->allow_transfer.n, 3);
	assert_true(z->allow_transfer.v[2].is_key);
	assert_int_equal(z->allow_transfer.v[1].prefix, 32);
	assert_int_equal(z->suspended.mode, SUSPEND_SINKHOLE);
	assert_true(z->suspended.has_v4 && z->suspended.has_v6);
	assert_int_equal(z->notify.n, 2);
	assert_null(z->notify.v[0].key);
	assert_string_equal(z->notify.v[1].key, "knot-xfr");
	assert_int_equal(z->notify.v[1].addr.ss.ss_family, AF_INET6);
	assert_int_equal(conf_zone_find(c, "other.example")->ttl, 60);
	/* The dashboard's accounts: closed, sessions of 7 days, 1 idle. */
	assert_string_equal(c->signup, "closed");
	assert_string_equal(c->public_url, "");
	assert_int_equal(c->session_lifetime, 7 * 86400);
	assert_int_equal(c->session_idle, 86400);
	/* Update history: 90 days, about 1000 rows per host. */
	assert_int_equal(c->history_keep, 90 * 86400);
	assert_int_equal(c->history_max, 1000);
	/* Delivered notifications: 30 days. */
	assert_int_equal(c->outbox_keep, 30 * 86400);
	conf_free(c);
	assert_int_equal(conf_load_string("[server]\nsignup = invite\npublic-url = https://dyn.example/\n"
	                                  "session-lifetime = 30d\nsession-idle = 2h\n"
	                                  "history-keep = 0\nhistory-max = 0\noutbox-keep = 12h\n" ZONE,
	                                  "t.conf",
	                                  &c, err, sizeof(err)), 0);
	assert_string_equal(c->signup, "invite");
	assert_string_equal(c->public_url, "https://dyn.example/");
	assert_int_equal(c->session_lifetime, 30 * 86400);
	assert_int_equal(c->session_idle, 7200);
	assert_int_equal(c->history_keep, 0);
	assert_int_equal(c->history_max, 0);
	assert_int_equal(c->outbox_keep, 12 * 3600);
	conf_free(c);
}

static void test_errors(void **state)
{
	expect_error("[server]\nbogus = 1\n" ZONE, "t.conf:2: unknown key 'bogus' in [server]");
	expect_error("[server]\nworkers = many\n" ZONE, "t.conf:2: workers: 'many' is not a number");
	expect_error("[server]\nworkers = 100000\n" ZONE, "t.conf:2: workers:");
	expect_error("[server]\ndns-listen = 127.0.0.1\n" ZONE, "t.conf:2: dns-listen:");
	expect_error("[server]\ndns-listen = 999.0.0.1:53\n" ZONE, "t.conf:2:");
	expect_error("[server]\n[bogus]\n" ZONE, "t.conf:2: unknown section [bogus]");
	expect_error("[server]\n" "[zone dyn.example]\nttl = 5\n", "t.conf:2: zone dyn.example: 'ns' is required");
	expect_error("[server]\n", "no [zone NAME] section");
	expect_error(ZONE "[zone dyn.example]\nns = a.b\n", "t.conf:3: zone dyn.example is configured twice");
	expect_error(ZONE "ttl = 1\nttl = 2\n", "t.conf:4: key 'ttl' given twice");
	expect_error(ZONE "suspended = maybe\n", "t.conf:3: suspended:");
	expect_error(ZONE "ttl = 10\n",
	             "t.conf:1: zone dyn.example: ttl-min 30 <= ttl 10 <= ttl-max 86400 does not hold");
	expect_error(ZONE "ttl-min = 100\nttl-max = 50\n",
	             "t.conf:1: zone dyn.example: ttl-min 100 <= ttl 60 <= ttl-max 50 does not hold");
	expect_error(ZONE "ttl-max = 0\n", "t.conf:3: ttl-max:");
	expect_error(ZONE "glue = ns1.dyn.example not-an-ip\n", "t.conf:3: glue:");
	expect_error(ZONE "allow-transfer = 10.0.0.0/33\n", "t.conf:3: allow-transfer:");
	expect_error(ZONE "notify = 127.0.0.1\n", "t.conf:3: notify: '127.0.0.1' is not an address with port");
	expect_error(ZONE "notify = 127.0.0.1:53 xfr\n",
	             "t.conf:3: notify: after 127.0.0.1:53, expected key:NAME, got 'xfr'");
	expect_error(ZONE "notify = 127.0.0.1:53 key:bad..name\n", "t.conf:3: notify:");
	expect_error("this is not ini\n" ZONE, "t.conf:1:");
	expect_error("[zone bad..name]\nns = x\n", "t.conf:1: zone:");
	expect_error("ns = x\n" ZONE, "t.conf:1: key 'ns' outside of a section");
	expect_error("[server]\nsignup = maybe\n" ZONE, "t.conf:2: signup: expected one of: open invite closed");
	expect_error("[server]\nsignup = pen\n" ZONE, "t.conf:2: signup:");
	expect_error("[server]\npublic-url = dash.example\n" ZONE, "t.conf:2: public-url:");
	expect_error("[server]\nsession-idle = 0\n" ZONE, "t.conf:2: session-idle:");
	expect_error("[server]\nhistory-keep = forever\n" ZONE, "t.conf:2: history-keep:");
	expect_error("[server]\noutbox-keep = -1d\n" ZONE, "t.conf:2: outbox-keep:");
	expect_error("[server]\nhistory-max = -1\n" ZONE, "t.conf:2: history-max:");

	conf_t *c = NULL;
	char err[512];
	assert_int_not_equal(conf_load("/nonexistent/ddnsd.conf", &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent/ddnsd.conf: cannot open"));
}

static void test_addr(void **state)
{
	conf_addr_t a;
	char buf[80];
	assert_int_equal(conf_parse_addr("[::1]:53", &a), 0);
	assert_string_equal(conf_addr_str(&a, buf, sizeof(buf)), "[::1]:53");
	assert_int_equal(conf_parse_addr("192.0.2.1:65535", &a), 0);
	assert_int_not_equal(conf_parse_addr("192.0.2.1:65536", &a), 0);
	assert_int_not_equal(conf_parse_addr("::1:53", &a), 0);
	assert_int_not_equal(conf_parse_addr("192.0.2.1:", &a), 0);
	assert_int_not_equal(conf_parse_addr("192.0.2.1:+5", &a), 0);
}

static void test_names(void **state)
{
	uint8_t w[256];
	assert_int_equal(name_to_wire("Alice.Dyn.Example.", w), 19);
	assert_memory_equal(w, "\x05" "alice\x03" "dyn\x07" "example", 19);
	assert_int_not_equal(name_check_text("a..b"), 0);
	assert_int_not_equal(name_check_text(""), 0);
	char label[70];
	memset(label, 'a', 64);
	label[64] = '\0';
	assert_int_not_equal(name_check_text(label), 0);
	assert_int_equal(name_rel_len((const uint8_t *)"\x01x\x03" "dyn\x07" "example", 15,
	                              (const uint8_t *)"\x03" "dyn\x07" "example", 13), 2);
	assert_int_equal(name_rel_len((const uint8_t *)"\x04xdyn\x07" "example", 14,
	                              (const uint8_t *)"\x03" "dyn\x07" "example", 13), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
