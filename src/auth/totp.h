/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two-factor log-in: RFC 6238 time-based one-time passwords (HMAC-SHA1,
 * 30-second steps, 6 digits, as every authenticator app speaks them), the
 * base32 secret and otpauth:// URI an app scans, and the one-time recovery
 * codes that stand in for a code when the phone is lost. No state: the
 * caller keeps the secret and the last step used (user.totp_last) and
 * stores recovery codes only as their hashes. Any thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN 20       /* 160 bits, RFC 4226's recommended key size */
#define TOTP_B32_MAX 33          /* base32 of the secret (32 characters) and NUL */
#define TOTP_STEP 30             /* seconds */
#define TOTP_DIGITS 6
#define TOTP_WINDOW 1            /* steps accepted either side of now (clock drift) */
#define TOTP_RECOVERY_COUNT 10
#define TOTP_RECOVERY_TEXT 15    /* "xxxx-xxxx-xxxx" and NUL: 60 random bits */
#define TOTP_RECOVERY_HASH 32

/* The HOTP value (RFC 4226) of key at counter with digits (6..8) digits. */
uint32_t totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, unsigned digits);

/* The step a Unix time falls in. */
int64_t totp_step(int64_t now);

/*
 * Checks code (TOTP_DIGITS decimal digits; spaces ignored) against key at
 * time now, accepting the steps now-1..now+1. A step at or before last (the
 * last step that logged in) is refused, so a code seen once cannot be used
 * again, nor an older one. Returns 0 and the step that matched in *step;
 * DDNS_EAUTH for a wrong or malformed code; DDNS_ESTATE for a code that
 * was right but already used (or older than the last used).
 */
int totp_verify(const uint8_t *key, size_t keylen, const char *code, int64_t now, int64_t last,
                int64_t *step);

/* Writes the RFC 4648 base32 form of in (no padding) into out; -ENOSPC
 * when outlen is too small, else 0. */
int totp_base32(const uint8_t *in, size_t len, char *out, size_t outlen);

/* The otpauth:// URI of a secret (its base32) for account at issuer, as
 * authenticator apps read it from a QR code. 0 or -ENOSPC. */
int totp_uri(char *out, size_t len, const char *issuer, const char *account, const char *b32);

/* A new random secret of TOTP_SECRET_LEN bytes. */
void totp_secret_new(uint8_t key[TOTP_SECRET_LEN]);

/* A new recovery code "xxxx-xxxx-xxxx" (lower-case base32 letters and
 * digits) and its hash for user (the user's id salts it). */
void totp_recovery_new(int64_t user, char text[TOTP_RECOVERY_TEXT],
                       uint8_t hash[TOTP_RECOVERY_HASH]);

/* The hash of a recovery code as a person typed it (case, dashes and
 * spaces ignored). -EINVAL when it cannot be a recovery code. */
int totp_recovery_hash(int64_t user, const char *text, uint8_t hash[TOTP_RECOVERY_HASH]);

/* Whether text looks like a recovery code rather than a TOTP code. */
bool totp_is_recovery(const char *text);
