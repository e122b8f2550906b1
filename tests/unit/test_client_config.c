/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of ddnsc's configuration parser: defaults, every error with
 * its line number, and the password-file mode check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/config.h"

#define HOST "[host home.dyn.example]\nserver = http://127.0.0.1:8053\nusername = alice\npassword = pw\n"

static void expect_error(const char *text, const char *want)
{
	config_t *c = NULL;
	char err[512] = "";
	assert_int_not_equal(config_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_defaults(void **state)
{
	config_t *c;
	char err[512];
	assert_int_equal(config_load_string("[client]\ncheckip = http://a.example/ip, https://b.example/\n"
	                                    HOST, "t.conf", &c, err, sizeof(err)), 0);
	assert_int_equal(c->interval, 300);
	assert_int_equal(c->backoff_initial, 1800);
	assert_int_equal(c->backoff_max, 86400);
	assert_int_equal(c->retry_initial, 60);
	assert_int_equal(c->refresh_days, 25);
	assert_false(c->verify_dns);
	assert_int_equal(c->log, CONFIG_LOG_STDERR);
	assert_string_equal(c->cache, "/var/lib/ddnsc/cache");
	assert_int_equal(c->nhosts, 1);
	const config_host_t *h = config_host_find(c, "HOME.dyn.example");
	assert_non_null(h);
	assert_int_equal(h->provider, PROVIDER_DDNSD);
	assert_string_equal(h->path, "/nic/update");
	assert_string_equal(h->ipv4, "web");
	assert_string_equal(h->ipv6, "off");
	assert_int_equal(h->checkip.n, 2);
	assert_string_equal(h->checkip.v[1], "https://b.example/");
	assert_int_equal(h->checkip6.n, 2);
	config_free(c);
}

static void test_host_defaults(void **state)
{
	config_t *c, *c2;
	char err[512];
	/* ddnsd serves /checkip itself; DuckDNS has a default server and path. */
	const char *text = HOST "[host Me.DuckDNS.org.]\nprovider = duckdns\npassword = tok\n"
	                   "ipv4 = command:echo 203.0.113.5\nipv6 = interface:eth0\n";
	assert_int_equal(config_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c->hosts[0].checkip.v[0], "http://127.0.0.1:8053/checkip");
	const config_host_t *d = config_host_find(c, "me.duckdns.org");
	assert_non_null(d);
	assert_string_equal(d->server, "https://www.duckdns.org");
	assert_string_equal(d->path, "/update");
	assert_string_equal(d->ipv4, "command:echo 203.0.113.5");
	assert_string_equal(d->ipv6, "interface:eth0");
	config_free(c);
	assert_int_equal(config_load_string("[host me.ddns.net]\nprovider = dyndns2\nserver = https://dynupdate.no-ip.com\n"
	                                    "username = a\npassword = b\n", "t.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c->hosts[0].checkip.v[0], "http://ip1.dynupdate.no-ip.com/");
	config_free(c);
	assert_int_equal(config_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	/* The hash follows the credentials. */
	const char *text2 = "[host home.dyn.example]\nserver = http://127.0.0.1:8053\nusername = alice\n"
	                    "password = pw2\n";
	assert_int_equal(config_load_string(text2, "t.conf", &c2, err, sizeof(err)), 0);
	assert_true(c->hosts[0].hash != c2->hosts[0].hash);
	config_free(c2);
	assert_int_equal(config_load_string(HOST, "t.conf", &c2, err, sizeof(err)), 0);
	assert_true(c->hosts[0].hash == c2->hosts[0].hash);
	config_free(c2);
	config_free(c);
}

static void test_errors(void **state)
{
	expect_error("[client]\nintervall = 5\n" HOST, "t.conf:2: unknown key 'intervall' in [client]");
	expect_error("[client]\ninterval = 0\n" HOST, "t.conf:2: interval: '0' is not a number");
	expect_error("[client]\ninterval = 5m\n" HOST, "t.conf:2:");
	expect_error("[client]\nlog = file\n" HOST, "t.conf:2: log: 'file' is not stderr or syslog");
	expect_error("[client]\nverify-dns = maybe\n" HOST, "t.conf:2: verify-dns");
	expect_error("[client]\ncheckip = ftp://x.example/\n" HOST, "t.conf:2: checkip: 'ftp://x.example/'");
	expect_error("[client]\ndns-server = resolver.example\n" HOST, "t.conf:2: dns-server");
	expect_error("[client]\n", "t.conf: no [host NAME] section");
	expect_error("[server]\n" HOST, "t.conf:1: unknown section [server]");
	expect_error("interval = 5\n" HOST, "t.conf:1: key 'interval' outside of a section");
	expect_error(HOST "colour = red\n", "t.conf:5: unknown key 'colour' in [host home.dyn.example]");
	expect_error(HOST "provider = noip\n", "t.conf:5: provider: 'noip' is not one of");
	expect_error(HOST "ipv6 = dhcp\n", "t.conf:5: ipv6: 'dhcp' is not one of web");
	expect_error(HOST "ipv4 = command:\n", "t.conf:5: ipv4: command: needs a command");
	expect_error(HOST "username = bob\n", "t.conf:5: key 'username' given twice");
	expect_error(HOST "ipv4 = off\n", "t.conf:1: [host home.dyn.example]: ipv4 and ipv6 are both off");
	expect_error("\n[host home]\n", "t.conf:2: [host home]: not a full domain name");
	expect_error(HOST HOST, "t.conf:5: [host home.dyn.example] appears twice");
	/* Missing credentials, on the section's line. */
	expect_error("[client]\n\n[host a.dyn.example]\nserver = http://127.0.0.1:1\nusername = a\n",
	             "t.conf:3: [host a.dyn.example]: missing credentials");
	expect_error("[host a.dyn.example]\nserver = http://127.0.0.1:1\npassword = x\n",
	             "t.conf:1: [host a.dyn.example]: missing credentials: provider ddnsd needs username");
	expect_error("[host a.duckdns.org]\nprovider = duckdns\n", "t.conf:1: [host a.duckdns.org]: missing "
	             "credentials: set password-file (or password) to the DuckDNS token");
	expect_error("[host a.duckdns.org]\nprovider = duckdns\npassword = t\nusername = a\n",
	             "t.conf:4: username: provider duckdns uses only the token");
	expect_error("[host a.dyn.example]\nusername = a\npassword = b\n",
	             "t.conf:1: [host a.dyn.example]: server is required");
	expect_error("[host a.dyn.example]\nprovider = dyndns2\nserver = https://members.dyndns.org\n"
	             "username = a\npassword = b\n", "t.conf:1: [host a.dyn.example]: ipv4 = web needs checkip");
	expect_error("[host a.dyn.example]\nserver = http://127.0.0.1:1\nusername = a\npassword = b\n"
	             "password-file = /nonexistent\n", "t.conf:5: [host a.dyn.example]: give password or "
	             "password-file, not both");
	expect_error("[host a.dyn.example]\nserver = http://127.0.0.1:1\nusername = a\n"
	             "password-file = /nonexistent/x\n", "t.conf:4: password-file /nonexistent/x: cannot open");
	expect_error("[client]\nbackoff-initial = 100\nbackoff-max = 10\n" HOST, "backoff-max (10) is less");
}

static void test_password_file(void **state)
{
	char dir[] = "/tmp/ddnsc-unit-XXXXXX", path[64], text[512], err[512];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("s3cret with spaces\nsecond line ignored\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "[client]\ninterval = 60\n[host a.dyn.example]\n"
	         "server = http://127.0.0.1:1\nusername = a\npassword-file = %s\n", path);

	config_t *c;
	chmod(path, 0644);
	assert_int_not_equal(config_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	char want[256];
	snprintf(want, sizeof(want), "t.conf:6: password-file %s has mode 0644", path);
	if (strstr(err, want) == NULL || strstr(err, "chmod 600") == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
	chmod(path, 0640);
	assert_int_not_equal(config_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "has mode 0640"));

	chmod(path, 0600);
	assert_int_equal(config_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	assert_string_equal(c->hosts[0].password, "s3cret with spaces");
	config_free(c);
	chmod(path, 0400);
	assert_int_equal(config_load_string(text, "t.conf", &c, err, sizeof(err)), 0);
	config_free(c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_host_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_password_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
