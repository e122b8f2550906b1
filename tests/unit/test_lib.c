/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the small string and address helpers of src/lib that
 * replace printf on the request path: str_copy, str_cat, net_ntop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/net.h"
#include "lib/strbuf.h"

static void test_str_copy_and_cat_cut_like_snprintf(void **state)
{
	char buf[8], ref[8];
	const char *srcs[] = { "", "a", "abcdefg", "abcdefgh", "abcdefghijkl" };
	for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		size_t n = str_copy(buf, sizeof(buf), srcs[i]);
		snprintf(ref, sizeof(ref), "%s", srcs[i]);
		assert_string_equal(buf, ref);
		assert_int_equal(n, strlen(ref));
	}
	size_t n = str_copy(buf, sizeof(buf), "good");
	n = str_cat(buf, sizeof(buf), n, " ");
	n = str_cat(buf, sizeof(buf), n, "203.0.113.1");
	assert_string_equal(buf, "good 20");
	assert_int_equal(n, 7);
	/* Full: further appends change nothing. */
	assert_int_equal(str_cat(buf, sizeof(buf), n, "more"), 7);
	assert_string_equal(buf, "good 20");
	/* A one-byte buffer holds the empty string. */
	char one[1] = { 'x' };
	assert_int_equal(str_copy(one, 1, "abc"), 0);
	assert_int_equal(one[0], '\0');
}

static void test_net_ntop_writes_ipv4_as_inet_ntop(void **state)
{
	char got[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	/* Every value in every position (one, two and three digits), and the
	 * corners. */
	for (unsigned v = 0; v < 256; v++) {
		for (int pos = 0; pos < 4; pos++) {
			uint8_t a[4] = { 192, 0, 2, 1 };
			a[pos] = (uint8_t)v;
			assert_non_null(net_ntop(AF_INET, a, got, sizeof(got)));
			assert_non_null(inet_ntop(AF_INET, a, want, sizeof(want)));
			assert_string_equal(got, want);
		}
	}
	const uint8_t all[4] = { 255, 255, 255, 255 }, none[4] = { 0, 0, 0, 0 };
	assert_string_equal(net_ntop(AF_INET, all, got, sizeof(got)), "255.255.255.255");
	assert_string_equal(net_ntop(AF_INET, none, got, sizeof(got)), "0.0.0.0");
	/* Too small a buffer: NULL and ENOSPC, as inet_ntop; just enough: fine. */
	const uint8_t short4[4] = { 1, 2, 3, 4 };
	errno = 0;
	assert_null(net_ntop(AF_INET, short4, got, 7));
	assert_int_equal(errno, ENOSPC);
	assert_string_equal(net_ntop(AF_INET, short4, got, 8), "1.2.3.4");
	/* IPv6 is inet_ntop's. */
	uint8_t a6[16];
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::71", a6), 1);
	assert_string_equal(net_ntop(AF_INET6, a6, got, sizeof(got)), "2001:db8::71");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_copy_and_cat_cut_like_snprintf),
		cmocka_unit_test(test_net_ntop_writes_ipv4_as_inet_ntop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
