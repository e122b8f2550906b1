/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RFC 6238 TOTP and recovery codes; see totp.h. HMAC-SHA1 comes from
 * OpenSSL (libsodium has no SHA-1, and TOTP apps speak nothing else);
 * randomness and hashing of recovery codes from libsodium.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/totp.h"
#include "lib/errors.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits)
{
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)counter;
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen) == NULL || maclen < 20)
		return UINT32_MAX; /* never equal to a code of at most 8 digits */
	/* RFC 4226 5.3: dynamic truncation. */
	unsigned off = mac[maclen - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	               ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	uint32_t mod = 1;
	for (unsigned i = 0; i < digits; i++)
		mod *= 10;
	sodium_memzero(mac, sizeof(mac));
	return bin % mod;
}

int64_t totp_step(int64_t now)
{
	return now / TOTP_STEP;
}

int totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now, int64_t last,
                int64_t *step)
{
	char digits[TOTP_DIGITS + 1];
	size_t n = 0;
	for (const char *c = code; *c; c++) {
		if (*c == ' ')
			continue;
		if (!isdigit((unsigned char)*c) || n == TOTP_DIGITS)
			return DDNS_EAUTH;
		digits[n++] = *c;
	}
	if (n != TOTP_DIGITS)
		return DDNS_EAUTH;
	digits[n] = '\0';
	/* Every step of the window is computed and compared the same way, so
	 * the time taken does not tell which one matched. */
	int64_t now_step = totp_step(now), found = -1;
	for (int64_t s = now_step - TOTP_WINDOW; s <= now_step + TOTP_WINDOW; s++) {
		char want[16];
		snprintf(want, sizeof(want), "%0*u", TOTP_DIGITS,
		         totp_hotp(key, keylen, (uint64_t)s, TOTP_DIGITS));
		if (sodium_memcmp(want, digits, TOTP_DIGITS) == 0 && strlen(want) == TOTP_DIGITS)
			found = s > found ? s : found;
	}
	if (found < 0)
		return DDNS_EAUTH;
	if (found <= last)
		return DDNS_ESTATE;
	*step = found;
	return 0;
}

int totp_base32(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t need = (len * 8 + 4) / 5 + 1, o = 0;
	if (outlen < need)
		return -ENOSPC;
	uint32_t buf = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		buf = (buf << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32_alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(buf << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

/* Percent-encodes s for a URI's path or query. */
static size_t uri_escape(char *out, size_t len, const char *s)
{
	size_t o = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
			if (o + 1 < len)
				out[o] = (char)c;
			o++;
		} else {
			if (o + 3 < len)
				snprintf(out + o, 4, "%%%02X", c);
			o += 3;
		}
	}
	if (len > 0)
		out[o < len ? o : len - 1] = '\0';
	return o;
}

int totp_uri(char *out, size_t len, const char *issuer, const char *account, const char *b32)
{
	char is[256], ac[256];
	if (uri_escape(is, sizeof(is), issuer) >= sizeof(is) ||
	    uri_escape(ac, sizeof(ac), account) >= sizeof(ac))
		return -ENOSPC;
	int n = snprintf(out, len, "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1"
	                 "&digits=%d&period=%d", is, ac, b32, is, TOTP_DIGITS, TOTP_STEP);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

void totp_secret_new(uint8_t key[TOTP_SECRET_LEN])
{
	randombytes_buf(key, TOTP_SECRET_LEN);
}

/* BLAKE2b of the 12 letters, keyed by nothing but salted with the user's
 * id: the same code of two users has different hashes. */
static void recovery_hash(int64_t user, const char letters[12], uint8_t hash[TOTP_RECOVERY_HASH])
{
	crypto_generichash_state st;
	uint8_t uid[8];
	for (int i = 0; i < 8; i++)
		uid[i] = (uint8_t)((uint64_t)user >> (56 - 8 * i));
	crypto_generichash_init(&st, NULL, 0, TOTP_RECOVERY_HASH);
	crypto_generichash_update(&st, (const uint8_t *)"ddnsd-recovery", 14);
	crypto_generichash_update(&st, uid, sizeof(uid));
	crypto_generichash_update(&st, (const uint8_t *)letters, 12);
	crypto_generichash_final(&st, hash, TOTP_RECOVERY_HASH);
}

void totp_recovery_new(int64_t user, char text[TOTP_RECOVERY_TEXT],
                       uint8_t hash[TOTP_RECOVERY_HASH])
{
	char letters[13];
	auth_random_id(letters, sizeof(letters));
	snprintf(text, TOTP_RECOVERY_TEXT, "%.4s-%.4s-%.4s", letters, letters + 4, letters + 8);
	recovery_hash(user, letters, hash);
	sodium_memzero(letters, sizeof(letters));
}

/* The 12 letters of a typed recovery code, lower case; -EINVAL if not one. */
static int recovery_letters(const char *text, char letters[13])
{
	size_t n = 0;
	for (const char *c = text; *c; c++) {
		if (*c == '-' || *c == ' ')
			continue;
		char l = (char)tolower((unsigned char)*c);
		if (n == 12 || !((l >= 'a' && l <= 'z') || (l >= '2' && l <= '7')))
			return -EINVAL;
		letters[n++] = l;
	}
	letters[n] = '\0';
	return n == 12 ? 0 : -EINVAL;
}

int totp_recovery_hash(int64_t user, const char *text, uint8_t hash[TOTP_RECOVERY_HASH])
{
	char letters[13];
	if (recovery_letters(text, letters) != 0)
		return -EINVAL;
	recovery_hash(user, letters, hash);
	sodium_memzero(letters, sizeof(letters));
	return 0;
}

bool totp_is_recovery(const char *text)
{
	char letters[13];
	bool yes = recovery_letters(text, letters) == 0;
	sodium_memzero(letters, sizeof(letters));
	return yes;
}
