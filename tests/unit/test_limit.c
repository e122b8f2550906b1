/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the token buckets (src/http/limit.c): burst, refill,
 * refund, and limiter_take against limiter_allow + limiter_charge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "http/limit.h"

#define KEY(s) (s), strlen(s)

/* 3 tokens, one more every 2 seconds. */
static limiter_t *three(void)
{
	limiter_t *l = NULL;
	assert_int_equal(limiter_new(1024, 0.5, 3, &l), 0);
	assert_non_null(l);
	return l;
}

static void test_take_spends_the_burst_then_refuses(void **state)
{
	limiter_t *l = three();
	for (int i = 0; i < 3; i++)
		assert_true(limiter_take(l, KEY("alice.dyn.example"), 100.0));
	assert_false(limiter_take(l, KEY("alice.dyn.example"), 100.0));
	assert_false(limiter_allow(l, KEY("alice.dyn.example"), 100.0));
	/* A refused take takes nothing: the refill goes on (a token per 2 s). */
	assert_false(limiter_take(l, KEY("alice.dyn.example"), 101.0));
	assert_true(limiter_take(l, KEY("alice.dyn.example"), 102.0));
	assert_false(limiter_take(l, KEY("alice.dyn.example"), 102.0));
	/* Other keys have their own buckets. */
	assert_true(limiter_allow(l, KEY("bob.dyn.example"), 102.0));
	assert_true(limiter_take(l, KEY("bob.dyn.example"), 102.0));
	limiter_free(l);
}

static void test_take_is_allow_then_charge(void **state)
{
	limiter_t *a = three(), *b = three();
	/* The same sequence of times through both ways gives the same answers. */
	const double t[] = { 0, 0, 0.5, 1, 1, 1, 3, 3.1, 3.2, 9, 9, 9, 9, 9.5 };
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool took = limiter_take(a, KEY("k"), t[i]);
		bool allowed = limiter_allow(b, KEY("k"), t[i]);
		if (allowed)
			limiter_charge(b, KEY("k"), t[i]);
		assert_int_equal(took, allowed);
		assert_int_equal(limiter_wait(a, KEY("k"), t[i]), limiter_wait(b, KEY("k"), t[i]));
	}
	limiter_free(a);
	limiter_free(b);
}

static void test_refund_gives_back_a_charge(void **state)
{
	limiter_t *l = three();
	for (int i = 0; i < 3; i++)
		limiter_charge(l, KEY("192.0.2.1"), 10.0);
	assert_false(limiter_allow(l, KEY("192.0.2.1"), 10.0));
	assert_int_equal(limiter_wait(l, KEY("192.0.2.1"), 10.0), 2);
	limiter_refund(l, KEY("192.0.2.1"), 10.0);
	assert_true(limiter_allow(l, KEY("192.0.2.1"), 10.0));
	/* Never above the burst. */
	for (int i = 0; i < 5; i++)
		limiter_refund(l, KEY("192.0.2.1"), 10.0);
	for (int i = 0; i < 3; i++)
		assert_true(limiter_take(l, KEY("192.0.2.1"), 10.0));
	assert_false(limiter_take(l, KEY("192.0.2.1"), 10.0));
	limiter_free(l);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_spends_the_burst_then_refuses),
		cmocka_unit_test(test_take_is_allow_then_charge),
		cmocka_unit_test(test_refund_gives_back_a_charge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
