/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Credentials: argon2id password hashes, update tokens (256 random bits,
 * stored only as a BLAKE2b-256 hash), TSIG secrets and random identifiers,
 * all with libsodium. The module owns no state beyond libsodium's own, which
 * auth_init() sets up once; after that every function may be called from any
 * thread. Password hashing and verification are deliberately slow (tens of
 * milliseconds, see docs/credentials.md): never call them on an event-loop
 * thread without the cache and the gate of auth/cache.h in front.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errors.h"

/* Bytes of an encoded password hash, NUL included (crypto_pwhash_STRBYTES). */
#define AUTH_PWHASH_MAX 128
/* Accepted password lengths in bytes (not characters). */
#define AUTH_PW_MIN 8
#define AUTH_PW_MAX 1024
/*
 * argon2id cost of new hashes: 2 passes over 19 MiB, one lane (libsodium is
 * single-lane). About 45 ms per verification on the reference machine;
 * docs/credentials.md has the measurements and the reasoning.
 */
#define AUTH_PWHASH_OPSLIMIT 2ULL
#define AUTH_PWHASH_MEMLIMIT (19U << 20)

/* An update token: 32 random bytes, shown as 43 characters of base64url. */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_TEXT_LEN 43
#define AUTH_TOKEN_TEXT_MAX (AUTH_TOKEN_TEXT_LEN + 1)
#define AUTH_TOKEN_HASH_LEN 32

/* TSIG secret sizes: 16..64 bytes; base64 of 64 bytes with its NUL. */
#define AUTH_TSIG_MIN 16
#define AUTH_TSIG_MAX 64
#define AUTH_TSIG_B64_MAX 89

/*
 * Initialises libsodium. Call once from the main thread before any other
 * thread starts; calling it again is harmless. Returns 0, or -EIO when
 * libsodium cannot initialise (no usable random source).
 */
int auth_init(void);

/*
 * Hashes the password pw (len bytes, any bytes, need not be NUL-terminated)
 * with argon2id at AUTH_PWHASH_OPSLIMIT / AUTH_PWHASH_MEMLIMIT and a fresh
 * random salt. Writes the self-describing string "$argon2id$v=19$m=...,t=...,
 * p=1$salt$hash" (NUL-terminated, < AUTH_PWHASH_MAX bytes) into out.
 * Returns 0; -EINVAL when len < AUTH_PW_MIN or len > AUTH_PW_MAX; -ENOMEM
 * when the memory for argon2id cannot be had. Slow (tens of ms), any thread.
 */
int auth_password_hash(const char *pw, size_t len, char out[AUTH_PWHASH_MAX]);

/*
 * Checks the password pw (len bytes) against a string made by
 * auth_password_hash (any argon2id parameters are accepted, so hashes made
 * before a parameter change still verify).
 * Returns 0 when it matches; DDNS_EAUTH when it does not, including a
 * password whose length is outside AUTH_PW_MIN..AUTH_PW_MAX (refused without
 * hashing: no stored password can have such a length); -EINVAL when stored
 * is not an argon2id string (damaged database row); -ENOMEM when the memory
 * for argon2id cannot be had. Slow (tens of ms), any thread.
 */
int auth_password_verify(const char *stored, const char *pw, size_t len);

/*
 * True when stored was not made with the current parameters (or cannot be
 * parsed): after a successful verify the caller should then store a new
 * auth_password_hash() of the same password. Fast, any thread.
 */
bool auth_password_needs_rehash(const char *stored);

/*
 * Makes a new update token. text receives its 43-character base64url form
 * (alphabet A-Z a-z 0-9 '-' '_', no padding; NUL-terminated), which is shown
 * to the user once and never stored; hash receives the BLAKE2b-256 digest of
 * the 32 token bytes, which is what the database keeps. The characters need
 * no escaping in a URL path or query, in HTTP Basic auth (no ':') or in a
 * DuckDNS token= parameter. Returns 0. Any thread.
 */
int auth_token_new(char text[AUTH_TOKEN_TEXT_MAX], uint8_t hash[AUTH_TOKEN_HASH_LEN]);

/*
 * Computes the stored form of a token a client presented. text must be
 * exactly 43 characters of canonical base64url (NUL-terminated).
 * Returns 0 and the digest in hash, or -EINVAL when text is malformed (wrong
 * length, a character outside the alphabet, non-zero trailing bits). Compare
 * the result with auth_equal(). Fast, constant time in the token, any thread.
 */
int auth_token_hash(const char *text, uint8_t hash[AUTH_TOKEN_HASH_LEN]);

/* Compares n bytes of a and b in time independent of their contents. */
bool auth_equal(const uint8_t *a, const uint8_t *b, size_t n);

/*
 * Makes a new TSIG secret of len bytes (AUTH_TSIG_MIN..AUTH_TSIG_MAX; use 32
 * for hmac-sha256, 64 for hmac-sha512) into secret, and its standard base64
 * form with '=' padding, as BIND, Knot, NSD and nsupdate read it, into b64
 * (b64len bytes, NUL included; AUTH_TSIG_B64_MAX always suffices).
 * Returns 0; -EINVAL for a bad len; DDNS_ESPACE when b64 is too small.
 * The caller owns both buffers and should sodium_memzero() them when done.
 */
int auth_tsig_new(uint8_t *secret, size_t len, char *b64, size_t b64len);

/*
 * Writes len - 1 random characters from the 32-letter alphabet
 * "abcdefghijklmnopqrstuvwxyz234567" and a NUL into out: 5 bits per
 * character (len 27 gives 130 bits). Meant for identifiers shown to people
 * and put in URLs: abuse report IDs, session IDs. Returns 0, or -EINVAL
 * when len < 2. Any thread.
 */
int auth_random_id(char *out, size_t len);
