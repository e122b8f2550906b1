/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Look-alike names: refusing a host label that a reader would take for one
 * of the operator's protected brand words ("paypa1", "rnicrosoft", "pаypal"
 * with a Cyrillic а). Both the label and each word are reduced to a
 * skeleton (homoglyphs and digits folded to Latin letters, "rn" read as
 * "m", hyphens dropped) and compared. No state; any thread.
 */
#pragma once

#include <stddef.h>

#include "lib/errors.h"

/* A why buffer of this size is never truncated for words up to 63 bytes. */
#define LOOKALIKE_WHY_MAX 112

/*
 * Checks one host label (lower-case ASCII of at most 63 bytes, as
 * hostname_normalize makes it; an "xn--" A-label is decoded first) against
 * words (nwords brand words in the same form, e.g. conf->brand_words).
 *
 * After folding both sides, the label is refused when:
 *  - a word of 4 or more letters occurs anywhere in it ("secure-paypal");
 *  - a word of 5 or more letters is within Damerau-Levenshtein distance 1 of
 *    the whole label, 2 for a word of 8 or more letters ("paypl", "micosoft");
 *  - a word of 1 to 3 letters equals the whole label; shorter words are
 *    too common inside ordinary names to match anything else.
 * The digit 1 matches both l and i. Words are compared without case; dots
 * in a word are dropped like hyphens ("paypal.com" protects "paypal-com",
 * not "paypal"). Words that are empty or longer than 63 bytes never match.
 *
 * Returns 0 when the label looks like no word, DDNS_ERESERVED when it does
 * (why, whylen bytes, gets one sentence for the user naming the word as
 * configured: "looks like the protected name 'paypal'"), or -EINVAL when
 * the label is empty or longer than 63 bytes. why may be NULL/0.
 * Allocates nothing itself; libidn2 allocates while decoding an A-label.
 */
int lookalike_check(const char *label, const char *const *words, size_t nwords,
                    char *why, size_t whylen);
