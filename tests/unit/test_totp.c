/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of two-factor log-in: the RFC 6238 appendix B test vectors
 * (SHA-1), the window of one step either side, refusal of a code already
 * used or older, base32 and the otpauth URI, recovery codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/totp.h"

/* RFC 6238's SHA-1 seed: the ASCII string "12345678901234567890". */
static const uint8_t seed[] = "12345678901234567890";

static int setup(void **state)
{
	return auth_init();
}

static void test_rfc6238_vectors(void **state)
{
	static const struct { int64_t t; uint32_t code; } v[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
		{ 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000LL, 65353130 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(totp_hotp(seed, 20, (uint64_t)totp_step(v[i].t), 8), v[i].code);
	/* RFC 4226 appendix D: HOTP with 6 digits at counters 0 and 9. */
	assert_int_equal(totp_hotp(seed, 20, 0, 6), 755224);
	assert_int_equal(totp_hotp(seed, 20, 9, 6), 520489);
}

static void code_at(int64_t step, char out[8])
{
	snprintf(out, 8, "%06u", totp_hotp(seed, 20, (uint64_t)step, 6));
}

static void test_window_and_replay(void **state)
{
	int64_t now = 1111111111, s = totp_step(now), got = 0;
	char c[8];
	code_at(s, c);
	assert_int_equal(totp_verify(seed, 20, c, now, 0, &got), 0);
	assert_int_equal(got, s);
	/* The same code again: refused, although it is right. */
	assert_int_equal(totp_verify(seed, 20, c, now, got, &got), DDNS_ESTATE);
	/* One step either side is accepted, two are not. */
	code_at(s - 1, c);
	assert_int_equal(totp_verify(seed, 20, c, now, 0, &got), 0);
	assert_int_equal(got, s - 1);
	code_at(s + 1, c);
	assert_int_equal(totp_verify(seed, 20, c, now, 0, &got), 0);
	assert_int_equal(got, s + 1);
	code_at(s - 2, c);
	assert_int_equal(totp_verify(seed, 20, c, now, 0, &got), DDNS_EAUTH);
	code_at(s + 2, c);
	assert_int_equal(totp_verify(seed, 20, c, now, 0, &got), DDNS_EAUTH);
	/* An older code than the last one used is refused too. */
	code_at(s - 1, c);
	assert_int_equal(totp_verify(seed, 20, c, now, s, &got), DDNS_ESTATE);
	/* Malformed codes. */
	assert_int_equal(totp_verify(seed, 20, "12345", now, 0, &got), DDNS_EAUTH);
	assert_int_equal(totp_verify(seed, 20, "1234567", now, 0, &got), DDNS_EAUTH);
	assert_int_equal(totp_verify(seed, 20, "12a456", now, 0, &got), DDNS_EAUTH);
	assert_int_equal(totp_verify(seed, 20, "", now, 0, &got), DDNS_EAUTH);
	/* Spaces, as apps show the code ("123 456"), are ignored. */
	code_at(s, c);
	char spaced[10];
	snprintf(spaced, sizeof(spaced), "%.3s %s", c, c + 3);
	assert_int_equal(totp_verify(seed, 20, spaced, now, 0, &got), 0);
}

static void test_base32_uri(void **state)
{
	char b[64], uri[512];
	/* RFC 4648 section 10, without padding. */
	assert_int_equal(totp_base32((const uint8_t *)"foobar", 6, b, sizeof(b)), 0);
	assert_string_equal(b, "MZXW6YTBOI");
	assert_int_equal(totp_base32((const uint8_t *)"f", 1, b, sizeof(b)), 0);
	assert_string_equal(b, "MY");
	assert_int_equal(totp_base32(seed, 20, b, sizeof(b)), 0);
	assert_string_equal(b, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(totp_base32(seed, 20, b, 32), -ENOSPC);
	assert_int_equal(totp_uri(uri, sizeof(uri), "dyn example", "carol", "ABC"), 0);
	assert_string_equal(uri, "otpauth://totp/dyn%20example:carol?secret=ABC&issuer=dyn%20example"
	                         "&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(totp_uri(uri, 20, "dyn", "carol", "ABC"), -ENOSPC);
}

static void test_recovery(void **state)
{
	char text[TOTP_RECOVERY_TEXT], again[TOTP_RECOVERY_TEXT + 4];
	uint8_t h[TOTP_RECOVERY_HASH], h2[TOTP_RECOVERY_HASH];
	totp_recovery_new(7, text, h);
	assert_int_equal(strlen(text), 14);
	assert_int_equal(text[4], '-');
	assert_int_equal(text[9], '-');
	assert_true(totp_is_recovery(text));
	assert_false(totp_is_recovery("123456"));
	assert_int_equal(totp_recovery_hash(7, text, h2), 0);
	assert_memory_equal(h, h2, sizeof(h));
	/* Typed in capitals without dashes: the same code. */
	size_t n = 0;
	for (const char *c = text; *c; c++)
		if (*c != '-')
			again[n++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
	again[n] = '\0';
	assert_int_equal(totp_recovery_hash(7, again, h2), 0);
	assert_memory_equal(h, h2, sizeof(h));
	/* Another user's hash of the same code differs. */
	assert_int_equal(totp_recovery_hash(8, text, h2), 0);
	assert_memory_not_equal(h, h2, sizeof(h));
	assert_int_equal(totp_recovery_hash(7, "abcd-efgh", h2), -EINVAL);
	assert_int_equal(totp_recovery_hash(7, "abcd-efgh-ij01", h2), -EINVAL);
	/* Two new codes differ. */
	char other[TOTP_RECOVERY_TEXT];
	totp_recovery_new(7, other, h2);
	assert_string_not_equal(text, other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238_vectors),
		cmocka_unit_test(test_window_and_replay),
		cmocka_unit_test(test_base32_uri),
		cmocka_unit_test(test_recovery),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
