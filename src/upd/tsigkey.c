/* SPDX-License-Identifier: GPL-3.0-or-later */
/* TSIG key lookup for signed messages; see tsigkey.h. */
#include <sodium.h>

#include "lib/errors.h"
#include "upd/tsigkey.h"

int tsigkey_load(db_t *db, const knot_rrset_t *tsig_rr, knot_tsig_key_t *key, db_tsig_t *row)
{
	char name[KNOT_DNAME_TXT_MAXLEN + 1];
	if (knot_dname_to_str(name, tsig_rr->owner, sizeof(name)) == NULL)
		return DDNS_ENOENT;
	size_t len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		name[--len] = '\0';
	for (char *p = name; *p; p++)
		*p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	return tsigkey_load_name(db, name, key, row);
}

int tsigkey_load_name(db_t *db, const char *name, knot_tsig_key_t *key, db_tsig_t *row)
{
	int ret = db_tsig_get(db, name, row);
	if (ret != 0)
		return ret;
	char b64[200];
	sodium_bin2base64(b64, sizeof(b64), row->secret, row->secret_len,
	                  sodium_base64_VARIANT_ORIGINAL);
	ret = knot_tsig_key_init(key, row->algorithm, row->name, b64) == KNOT_EOK ? 0 : DDNS_ENOENT;
	sodium_memzero(b64, sizeof(b64));
	sodium_memzero(row->secret, sizeof(row->secret));
	return ret;
}

uint16_t tsigkey_error(int knot_ret)
{
	return knot_ret == KNOT_TSIG_EBADTIME ? KNOT_RCODE_BADTIME :
	       knot_ret == KNOT_TSIG_EBADKEY ? KNOT_RCODE_BADKEY : KNOT_RCODE_BADSIG;
}
