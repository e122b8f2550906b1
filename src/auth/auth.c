/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Credentials with libsodium; see auth.h and docs/credentials.md. */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "auth/auth.h"

_Static_assert(AUTH_PWHASH_MAX == crypto_pwhash_STRBYTES, "AUTH_PWHASH_MAX");
_Static_assert(AUTH_TOKEN_TEXT_MAX ==
               sodium_base64_ENCODED_LEN(AUTH_TOKEN_BYTES,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "AUTH_TOKEN_TEXT_MAX");
_Static_assert(AUTH_TOKEN_HASH_LEN >= crypto_generichash_BYTES_MIN &&
               AUTH_TOKEN_HASH_LEN <= crypto_generichash_BYTES_MAX, "AUTH_TOKEN_HASH_LEN");
_Static_assert(AUTH_TSIG_B64_MAX ==
               sodium_base64_ENCODED_LEN(AUTH_TSIG_MAX, sodium_base64_VARIANT_ORIGINAL),
               "AUTH_TSIG_B64_MAX");
_Static_assert(AUTH_PWHASH_MEMLIMIT >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
               AUTH_PWHASH_OPSLIMIT >= crypto_pwhash_argon2id_OPSLIMIT_MIN,
               "argon2id parameters below libsodium's minimum");

#define ARGON2ID_PREFIX "$argon2id$"

int auth_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int auth_password_hash(const char *pw, size_t len, char out[AUTH_PWHASH_MAX])
{
	if (len < AUTH_PW_MIN || len > AUTH_PW_MAX)
		return -EINVAL;
	/* libsodium fails only when it cannot allocate the argon2 memory. */
	if (crypto_pwhash_str_alg(out, pw, len, AUTH_PWHASH_OPSLIMIT, AUTH_PWHASH_MEMLIMIT,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	return 0;
}

/* True when stored is a NUL-terminated, decodable argon2id string. */
static bool is_argon2id(const char *stored)
{
	if (strnlen(stored, AUTH_PWHASH_MAX) >= AUTH_PWHASH_MAX)
		return false;
	if (strncmp(stored, ARGON2ID_PREFIX, strlen(ARGON2ID_PREFIX)) != 0)
		return false;
	return crypto_pwhash_argon2id_str_needs_rehash(stored, AUTH_PWHASH_OPSLIMIT,
	                                               AUTH_PWHASH_MEMLIMIT) >= 0;
}

int auth_password_verify(const char *stored, const char *pw, size_t len)
{
	if (!is_argon2id(stored))
		return -EINVAL;
	/* Lengths we never hash cannot match; refusing them early also keeps a
	 * megabyte "password" from costing anything. */
	if (len < AUTH_PW_MIN || len > AUTH_PW_MAX)
		return DDNS_EAUTH;
	/* libsodium returns -1 for a mismatch and for an allocation failure
	 * alike; errno tells them apart. */
	errno = 0;
	if (crypto_pwhash_argon2id_str_verify(stored, pw, len) == 0)
		return 0;
	return errno == ENOMEM ? -ENOMEM : DDNS_EAUTH;
}

bool auth_password_needs_rehash(const char *stored)
{
	if (!is_argon2id(stored))
		return true;
	return crypto_pwhash_argon2id_str_needs_rehash(stored, AUTH_PWHASH_OPSLIMIT,
	                                               AUTH_PWHASH_MEMLIMIT) != 0;
}

int auth_token_new(char text[AUTH_TOKEN_TEXT_MAX], uint8_t hash[AUTH_TOKEN_HASH_LEN])
{
	uint8_t bytes[AUTH_TOKEN_BYTES];
	randombytes_buf(bytes, sizeof(bytes));
	sodium_bin2base64(text, AUTH_TOKEN_TEXT_MAX, bytes, sizeof(bytes),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	crypto_generichash(hash, AUTH_TOKEN_HASH_LEN, bytes, sizeof(bytes), NULL, 0);
	sodium_memzero(bytes, sizeof(bytes));
	return 0;
}

int auth_token_hash(const char *text, uint8_t hash[AUTH_TOKEN_HASH_LEN])
{
	uint8_t bytes[AUTH_TOKEN_BYTES];
	size_t n = 0;
	const char *end = NULL;
	int ret = -EINVAL;

	if (strnlen(text, AUTH_TOKEN_TEXT_MAX) != AUTH_TOKEN_TEXT_LEN)
		return -EINVAL;
	/* libsodium's decoder is constant-time and refuses non-zero bits after
	 * the last whole byte, so each token has exactly one spelling. */
	if (sodium_base642bin(bytes, sizeof(bytes), text, AUTH_TOKEN_TEXT_LEN, NULL, &n, &end,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != sizeof(bytes) || end != text + AUTH_TOKEN_TEXT_LEN)
		goto out;
	crypto_generichash(hash, AUTH_TOKEN_HASH_LEN, bytes, sizeof(bytes), NULL, 0);
	ret = 0;
out:
	sodium_memzero(bytes, sizeof(bytes));
	return ret;
}

bool auth_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

int auth_tsig_new(uint8_t *secret, size_t len, char *b64, size_t b64len)
{
	if (len < AUTH_TSIG_MIN || len > AUTH_TSIG_MAX)
		return -EINVAL;
	if (b64len < sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL))
		return DDNS_ESPACE;
	randombytes_buf(secret, len);
	sodium_bin2base64(b64, b64len, secret, len, sodium_base64_VARIANT_ORIGINAL);
	return 0;
}

int auth_random_id(char *out, size_t len)
{
	static const char alphabet[32] = "abcdefghijklmnopqrstuvwxyz234567";
	if (len < 2)
		return -EINVAL;
	for (size_t i = 0; i + 1 < len; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet))];
	out[len - 1] = '\0';
	return 0;
}
