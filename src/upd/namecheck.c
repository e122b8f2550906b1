/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The rules of a new host name; see namecheck.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "abuse/desk.h"
#include "abuse/lookalike.h"
#include "lib/errors.h"
#include "lib/name.h"
#include "store/account.h"
#include "upd/hostrr.h"
#include "upd/namecheck.h"

static int why_(char *why, size_t whylen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why_(char *why, size_t whylen, int ret, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return ret;
}

static bool reserved(const conf_t *conf, const char *label)
{
	return hostname_check_reserved(label, hostname_reserved_default,
	                               hostname_reserved_default_count) != 0 ||
	       hostname_check_reserved(label, (const char *const *)conf->reserved.v,
	                               conf->reserved.n) != 0;
}

static int count_rr(const uint8_t *o, size_t ol, uint16_t t, uint32_t ttl, const uint8_t *rd,
                    size_t rl, void *ctx)
{
	(void)o, (void)ol, (void)t, (void)ttl, (void)rd, (void)rl;
	(*(int *)ctx)++;
	return 0;
}

/* Whether the zone's own (imported) records use the name. */
static int zone_records(db_t *db, const conf_zone_t *zone, const char *fqdn, bool *used)
{
	int64_t zid;
	uint32_t serial;
	int ret = db_zone_get(db, zone->name, false, &zid, &serial);
	if (ret == DDNS_ENOENT)
		return 0; /* nothing was ever stored for the zone */
	if (ret != 0)
		return ret;
	uint8_t full[NAME_WIRE_MAX], apex[NAME_WIRE_MAX];
	int fl = name_to_wire(fqdn, full), al = name_to_wire(zone->name, apex);
	int rel = fl > 0 && al > 0 ? name_rel_len(full, fl, apex, al) : -1;
	if (rel <= 0)
		return -EINVAL;
	int n = 0;
	ret = db_rr_owner_foreach(db, zid, full, (size_t)rel, count_rr, &n);
	*used = n > 0;
	return ret;
}

int namecheck(db_t *db, const conf_t *conf, int64_t now, const char *in, int64_t user,
              char fqdn[HOSTNAME_BUF], const conf_zone_t **zone, char *why, size_t whylen)
{
	char label[HOSTNAME_BUF], lw[LOOKALIKE_WHY_MAX];
	if (hostname_normalize(in, fqdn, HOSTNAME_BUF, why, whylen) != 0)
		return -EINVAL;
	if (strlen(fqdn) > HOSTRR_NAME_MAX)
		return why_(why, whylen, -EINVAL, "%s is too long: at most %d characters", fqdn,
		            HOSTRR_NAME_MAX);
	int ret = hostname_split(fqdn, conf, zone, label, sizeof(label));
	if (ret == DDNS_ENOZONE)
		return why_(why, whylen, ret, "%s is not in a zone this server serves", fqdn);
	if (ret != 0)
		return why_(why, whylen, -EINVAL, "%s is a zone, not a host", fqdn);
	if (reserved(conf, label))
		return why_(why, whylen, DDNS_ERESERVED, "%s is reserved", fqdn);
	char *save = NULL;
	for (char *l = strtok_r(label, ".", &save); l; l = strtok_r(NULL, ".", &save))
		if (lookalike_check(l, (const char *const *)conf->brand_words.v, conf->brand_words.n,
		                    lw, sizeof(lw)) == DDNS_ERESERVED)
			return why_(why, whylen, DDNS_ERESERVED, "%s is refused: it %s", fqdn, lw);
	if ((ret = desk_name_held(db, now, fqdn, user, why, whylen)) != 0)
		return ret;
	db_host_t taken;
	if ((ret = db_host_get(db, fqdn, &taken)) != DDNS_ENOENT)
		return ret == 0 ? why_(why, whylen, DDNS_EEXIST, "host %s already exists", fqdn) : ret;
	bool used = false;
	if ((ret = zone_records(db, *zone, fqdn, &used)) != 0)
		return ret;
	if (used)
		return why_(why, whylen, DDNS_EEXIST, "%s is already used by the zone's own records",
		            fqdn);
	return 0;
}
