/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of credentials (passwords, tokens, TSIG secrets, IDs) and of the
 * verification cache and hashing gate. argon2id runs with the production
 * parameters, so the tests hash only a handful of times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/cache.h"

#define PW "correct horse battery staple"

static int setup(void **state)
{
	return auth_init();
}

static void test_password(void **state)
{
	char h[AUTH_PWHASH_MAX], h2[AUTH_PWHASH_MAX], prefix[64];

	assert_int_equal(auth_password_hash(PW, strlen(PW), h), 0);
	snprintf(prefix, sizeof(prefix), "$argon2id$v=19$m=%u,t=%llu,p=1$",
	         AUTH_PWHASH_MEMLIMIT / 1024, AUTH_PWHASH_OPSLIMIT);
	assert_ptr_equal(strstr(h, prefix), h);
	assert_int_equal(auth_password_verify(h, PW, strlen(PW)), 0);
	assert_int_equal(auth_password_verify(h, "correct horse battery stapler", 29), DDNS_EAUTH);
	/* The length given counts, not the NUL: a prefix is a different password. */
	assert_int_equal(auth_password_verify(h, PW, strlen(PW) - 1), DDNS_EAUTH);
	assert_false(auth_password_needs_rehash(h));

	/* Same password, new salt: a different string. */
	assert_int_equal(auth_password_hash(PW, strlen(PW), h2), 0);
	assert_string_not_equal(h, h2);

	/* Passwords may hold any bytes, NUL included. */
	const char bin[10] = { 'a', 0, 'b', (char)0xff, 'c', 'd', 'e', 'f', 'g', 'h' };
	assert_int_equal(auth_password_hash(bin, sizeof(bin), h2), 0);
	assert_int_equal(auth_password_verify(h2, bin, sizeof(bin)), 0);
	assert_int_equal(auth_password_verify(h2, "a", 1), DDNS_EAUTH);
}

static void test_password_limits(void **state)
{
	char h[AUTH_PWHASH_MAX];
	static char big[AUTH_PW_MAX + 2];
	memset(big, 'x', sizeof(big));

	assert_int_equal(auth_password_hash("1234567", 7, h), -EINVAL);
	assert_int_equal(auth_password_hash("", 0, h), -EINVAL);
	assert_int_equal(auth_password_hash(big, AUTH_PW_MAX + 1, h), -EINVAL);

	/* A stored hash made elsewhere (cheaper parameters, as an older release
	 * might have used) still verifies, and asks to be redone. */
	assert_int_equal(crypto_pwhash_str_alg(h, PW, strlen(PW), 1, 8192 * 1024,
	                                       crypto_pwhash_ALG_ARGON2ID13), 0);
	assert_int_equal(auth_password_verify(h, PW, strlen(PW)), 0);
	assert_true(auth_password_needs_rehash(h));
	/* Out-of-range lengths are refused without hashing. */
	assert_int_equal(auth_password_verify(h, "short", 5), DDNS_EAUTH);
	assert_int_equal(auth_password_verify(h, big, AUTH_PW_MAX + 1), DDNS_EAUTH);

	/* argon2i or garbage in the database: a damaged row, not a bad password. */
	assert_int_equal(crypto_pwhash_str_alg(h, PW, strlen(PW), 3, 8192 * 1024,
	                                       crypto_pwhash_ALG_ARGON2I13), 0);
	assert_int_equal(auth_password_verify(h, PW, strlen(PW)), -EINVAL);
	assert_true(auth_password_needs_rehash(h));
	assert_int_equal(auth_password_verify("", PW, strlen(PW)), -EINVAL);
	assert_int_equal(auth_password_verify("$argon2id$v=19$garbage", PW, strlen(PW)), -EINVAL);
	assert_true(auth_password_needs_rehash("x"));
	memset(h, 'a', sizeof(h));      /* no NUL within AUTH_PWHASH_MAX */
	assert_int_equal(auth_password_verify(h, PW, strlen(PW)), -EINVAL);
}

static int cmp_token(const void *a, const void *b)
{
	return memcmp(a, b, AUTH_TOKEN_TEXT_MAX);
}

static void test_token(void **state)
{
	enum { N = 1000 };
	char (*texts)[AUTH_TOKEN_TEXT_MAX] = calloc(N, AUTH_TOKEN_TEXT_MAX);
	uint8_t hash[AUTH_TOKEN_HASH_LEN], again[AUTH_TOKEN_HASH_LEN];
	assert_non_null(texts);

	for (int i = 0; i < N; i++) {
		assert_int_equal(auth_token_new(texts[i], hash), 0);
		assert_int_equal(strlen(texts[i]), AUTH_TOKEN_TEXT_LEN);
		assert_int_equal(strspn(texts[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                                  "0123456789-_"), AUTH_TOKEN_TEXT_LEN);
		/* The stored hash is what the presented text hashes to... */
		assert_int_equal(auth_token_hash(texts[i], again), 0);
		assert_true(auth_equal(hash, again, sizeof(hash)));
		/* ...and is BLAKE2b-256 of the 32 decoded bytes. */
		uint8_t bytes[AUTH_TOKEN_BYTES];
		size_t n;
		assert_int_equal(sodium_base642bin(bytes, sizeof(bytes), texts[i],
		                                   AUTH_TOKEN_TEXT_LEN, NULL, &n, NULL,
		                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING), 0);
		assert_int_equal(n, AUTH_TOKEN_BYTES);
		crypto_generichash(again, sizeof(again), bytes, n, NULL, 0);
		assert_memory_equal(hash, again, sizeof(hash));
	}
	qsort(texts, N, AUTH_TOKEN_TEXT_MAX, cmp_token);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(texts[i - 1], texts[i]);
	free(texts);
}

static void test_token_malformed(void **state)
{
	char text[AUTH_TOKEN_TEXT_MAX], bad[64];
	uint8_t hash[AUTH_TOKEN_HASH_LEN], h2[AUTH_TOKEN_HASH_LEN];
	assert_int_equal(auth_token_new(text, hash), 0);

	assert_int_equal(auth_token_hash("", h2), -EINVAL);
	/* One character short, one too many. */
	snprintf(bad, sizeof(bad), "%.42s", text);
	assert_int_equal(auth_token_hash(bad, h2), -EINVAL);
	snprintf(bad, sizeof(bad), "%sA", text);
	assert_int_equal(auth_token_hash(bad, h2), -EINVAL);
	/* Characters of other alphabets: standard base64, padding, space. */
	const char subst[] = { '+', '/', '=', ' ', '.', '%', ':' };
	for (size_t i = 0; i < sizeof(subst); i++) {
		strcpy(bad, text);
		bad[10] = subst[i];
		assert_int_equal(auth_token_hash(bad, h2), -EINVAL);
	}
	/* The last character carries 4 bits; the 2 spare bits must be zero, so
	 * no token has two spellings. */
	strcpy(bad, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(auth_token_hash(bad, h2), 0);
	bad[42] = 'B';
	assert_int_equal(auth_token_hash(bad, h2), -EINVAL);
	bad[42] = 'E';
	assert_int_equal(auth_token_hash(bad, h2), 0);
	/* A changed character is a different token. */
	strcpy(bad, text);
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	assert_int_equal(auth_token_hash(bad, h2), 0);
	assert_false(auth_equal(hash, h2, sizeof(hash)));
}

static void test_equal(void **state)
{
	uint8_t a[32], b[32];
	randombytes_buf(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_true(auth_equal(a, b, sizeof(a)));
	assert_true(auth_equal(a, b, 0));
	b[31] ^= 1;
	assert_false(auth_equal(a, b, sizeof(a)));
	assert_true(auth_equal(a, b, 31));
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_false(auth_equal(a, b, sizeof(a)));
}

static void test_tsig(void **state)
{
	uint8_t secret[AUTH_TSIG_MAX], dec[AUTH_TSIG_MAX];
	char b64[AUTH_TSIG_B64_MAX];
	size_t n;

	const size_t lens[] = { 32, 64, 16 };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(auth_tsig_new(secret, lens[i], b64, sizeof(b64)), 0);
		assert_int_equal(strlen(b64), (lens[i] + 2) / 3 * 4);
		assert_int_equal(sodium_base642bin(dec, sizeof(dec), b64, strlen(b64), NULL, &n, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL), 0);
		assert_int_equal(n, lens[i]);
		assert_memory_equal(dec, secret, n);
	}
	/* 32 bytes: 44 characters ending in one '='; 64 bytes: 88 ending in "==". */
	assert_int_equal(auth_tsig_new(secret, 32, b64, sizeof(b64)), 0);
	assert_int_equal(strlen(b64), 44);
	assert_true(b64[43] == '=' && b64[42] != '=');
	assert_int_equal(auth_tsig_new(secret, 64, b64, sizeof(b64)), 0);
	assert_string_equal(b64 + 86, "==");

	assert_int_equal(auth_tsig_new(secret, 15, b64, sizeof(b64)), -EINVAL);
	assert_int_equal(auth_tsig_new(secret, 65, b64, sizeof(b64)), -EINVAL);
	assert_int_equal(auth_tsig_new(secret, 32, b64, 44), DDNS_ESPACE);
	assert_int_equal(auth_tsig_new(secret, 32, b64, 45), 0);
	sodium_memzero(secret, sizeof(secret));
}

static void test_random_id(void **state)
{
	char a[27], b[27];
	assert_int_equal(auth_random_id(a, sizeof(a)), 0);
	assert_int_equal(auth_random_id(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 26);
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz234567"), 26);
	assert_string_not_equal(a, b);
	assert_int_equal(auth_random_id(a, 2), 0);
	assert_int_equal(strlen(a), 1);
	assert_int_equal(auth_random_id(a, 1), -EINVAL);
}

static void test_cache(void **state)
{
	authcache_t *c;
	assert_int_equal(authcache_new(1024, 300, &c), 0);
	const char *s1 = "hunter22", *s2 = "hunter23";

	assert_false(authcache_check(c, "alice", s1, 8, 1, 1000));
	authcache_put(c, "alice", s1, 8, 1, 1000);
	assert_true(authcache_check(c, "alice", s1, 8, 1, 1000));
	assert_true(authcache_check(c, "alice", s1, 8, 1, 1299));
	/* Expired at put time + ttl. */
	assert_false(authcache_check(c, "alice", s1, 8, 1, 1300));
	/* Another secret, principal, length or generation: no match. */
	assert_false(authcache_check(c, "alice", s2, 8, 1, 1000));
	assert_false(authcache_check(c, "alice", s1, 7, 1, 1000));
	assert_false(authcache_check(c, "bob", s1, 8, 1, 1000));
	assert_false(authcache_check(c, "alic", s1, 8, 1, 1000));
	assert_false(authcache_check(c, "alice", s1, 8, 2, 1000));
	/* principal || 0 || secret cannot be shifted between the two. */
	authcache_put(c, "ab", "cdefghij", 8, 1, 1000);
	assert_false(authcache_check(c, "abc", "defghij", 7, 1, 1000));
	assert_false(authcache_check(c, "a", "bcdefghij", 9, 1, 1000));

	/* Password change: the generation goes up and the old password stops
	 * matching; putting the new one frees the old entries. */
	authcache_put(c, "alice", s2, 8, 2, 1010);
	assert_true(authcache_check(c, "alice", s2, 8, 2, 1010));
	assert_false(authcache_check(c, "alice", s1, 8, 1, 1010));
	assert_false(authcache_check(c, "alice", s1, 8, 2, 1010));

	/* Drop forgets a principal and nobody else. */
	authcache_put(c, "carol", s1, 8, 7, 1010);
	authcache_drop(c, "alice");
	assert_false(authcache_check(c, "alice", s2, 8, 2, 1010));
	assert_true(authcache_check(c, "carol", s1, 8, 7, 1010));
	assert_true(authcache_check(c, "ab", "cdefghij", 8, 1, 1010));

	authcache_free(c);

	/* A principal with more secrets than ways keeps the newest ones (in a
	 * fresh cache, where no other principal shares its set). */
	assert_int_equal(authcache_new(1024, 300, &c), 0);
	char sec[24];
	for (int i = 0; i < AUTHCACHE_WAYS + 2; i++) {
		snprintf(sec, sizeof(sec), "secret-%02d", i);
		authcache_put(c, "dave", sec, strlen(sec), 1, 2000 + i);
	}
	for (int i = 0; i < AUTHCACHE_WAYS + 2; i++) {
		snprintf(sec, sizeof(sec), "secret-%02d", i);
		assert_int_equal(authcache_check(c, "dave", sec, strlen(sec), 1, 2010), i >= 2);
	}
	/* Putting again refreshes the expiry instead of taking another slot. */
	authcache_put(c, "dave", "secret-05", 9, 1, 2200);
	assert_true(authcache_check(c, "dave", "secret-05", 9, 1, 2400));
	assert_true(authcache_check(c, "dave", "secret-04", 9, 1, 2250));

	authcache_free(c);
	authcache_free(NULL);
	assert_int_equal(authcache_new(1024, 0, &c), -EINVAL);
	/* Sizes are clamped and rounded; a tiny cache still works. */
	assert_int_equal(authcache_new(1, 60, &c), 0);
	authcache_put(c, "x", s1, 8, 0, 1);
	assert_true(authcache_check(c, "x", s1, 8, 0, 1));
	authcache_free(c);
}

static void test_gate(void **state)
{
	authcache_gate_t g;
	assert_int_equal(authcache_gate_init(&g, 0), -EINVAL);
	assert_int_equal(authcache_gate_init(&g, 2), 0);
	assert_true(authcache_gate_enter(&g));
	assert_true(authcache_gate_enter(&g));
	assert_false(authcache_gate_enter(&g));
	authcache_gate_leave(&g);
	assert_true(authcache_gate_enter(&g));
	assert_false(authcache_gate_enter(&g));
	authcache_gate_leave(&g);
	authcache_gate_leave(&g);
}

static void test_verify(void **state)
{
	authcache_t *c;
	authcache_gate_t g;
	char h[AUTH_PWHASH_MAX], h2[AUTH_PWHASH_MAX];
	assert_int_equal(authcache_new(256, 300, &c), 0);
	assert_int_equal(authcache_gate_init(&g, 1), 0);
	assert_int_equal(auth_password_hash(PW, strlen(PW), h), 0);

	/* Slow path once, then from the cache; the gate is not needed for a hit. */
	assert_int_equal(authcache_verify(c, &g, "alice", h, PW, strlen(PW), 1, 100), 0);
	assert_true(authcache_gate_enter(&g));
	assert_int_equal(authcache_verify(c, &g, "alice", h, PW, strlen(PW), 1, 101), 0);
	/* A miss with the gate full hashes nothing and says so. */
	assert_int_equal(authcache_verify(c, &g, "alice", h, "wrong password", 14, 1, 101),
	                 -EBUSY);
	authcache_gate_leave(&g);
	assert_int_equal(authcache_verify(c, &g, "alice", h, "wrong password", 14, 1, 101),
	                 DDNS_EAUTH);
	/* A wrong password is never cached: it fails the slow way every time. */
	assert_true(authcache_gate_enter(&g));
	assert_int_equal(authcache_verify(c, &g, "alice", h, "wrong password", 14, 1, 102),
	                 -EBUSY);
	authcache_gate_leave(&g);
	/* The entry is bound to the stored hash: a new hash of even the same
	 * password (same generation, by mistake) does not hit. */
	assert_int_equal(auth_password_hash(PW, strlen(PW), h2), 0);
	assert_true(authcache_gate_enter(&g));
	assert_int_equal(authcache_verify(c, &g, "alice", h2, PW, strlen(PW), 1, 103), -EBUSY);
	authcache_gate_leave(&g);
	/* And the plain API does not see verify's entries. */
	assert_false(authcache_check(c, "alice", PW, strlen(PW), 1, 103));
	assert_int_equal(authcache_verify(c, &g, "alice", "garbage", PW, strlen(PW), 1, 103),
	                 -EINVAL);
	authcache_free(c);
}

#define THREADS 4
#define ROUNDS 20000

typedef struct {
	authcache_t *c;
	int id;
	int errors;
} worker_t;

/* Each thread owns some principals (its entries must always be found) and
 * shares others (whose entries may be replaced by any thread). */
static void *worker(void *arg)
{
	worker_t *w = arg;
	char principal[32], secret[32];
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(principal, sizeof(principal), "own-%d-%d", w->id, i % 50);
		snprintf(secret, sizeof(secret), "pw-%d", i % 50);
		authcache_put(w->c, principal, secret, strlen(secret), 1, 1000);
		if (!authcache_check(w->c, principal, secret, strlen(secret), 1, 1000))
			w->errors++;
		if (authcache_check(w->c, principal, "not it", 6, 1, 1000))
			w->errors++;
		snprintf(principal, sizeof(principal), "shared-%d", i % 8);
		authcache_put(w->c, principal, secret, strlen(secret), (uint64_t)(i % 3), 1000);
		(void)authcache_check(w->c, principal, secret, strlen(secret), (uint64_t)(i % 3),
		                      1000);
		if (i % 97 == 0)
			authcache_drop(w->c, principal);
	}
	return NULL;
}

static void test_cache_threads(void **state)
{
	authcache_t *c;
	pthread_t t[THREADS];
	worker_t w[THREADS];
	/* Large enough that each principal's set is unlikely to overflow: an
	 * own entry may be evicted only by another principal in its set. */
	assert_int_equal(authcache_new(1 << 16, 300, &c), 0);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker_t){ .c = c, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].errors, 0);
	}
	authcache_free(c);
}

typedef struct {
	authcache_gate_t *g;
	atomic_int *inside;
	atomic_int *peak;
} gate_arg_t;

static void *gate_worker(void *arg)
{
	gate_arg_t *a = arg;
	for (int i = 0; i < ROUNDS; i++) {
		if (!authcache_gate_enter(a->g))
			continue;
		int now = atomic_fetch_add(a->inside, 1) + 1;
		int p = atomic_load(a->peak);
		while (now > p && !atomic_compare_exchange_weak(a->peak, &p, now))
			;
		atomic_fetch_sub(a->inside, 1);
		authcache_gate_leave(a->g);
	}
	return NULL;
}

static void test_gate_threads(void **state)
{
	authcache_gate_t g;
	atomic_int inside = 0, peak = 0;
	pthread_t t[THREADS];
	gate_arg_t a = { &g, &inside, &peak };
	assert_int_equal(authcache_gate_init(&g, 2), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, gate_worker, &a), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_true(atomic_load(&peak) >= 1 && atomic_load(&peak) <= 2);
	assert_int_equal(atomic_load(&g.busy), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_password_limits),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_token_malformed),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_tsig),
		cmocka_unit_test(test_random_id),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_gate),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_cache_threads),
		cmocka_unit_test(test_gate_threads),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
