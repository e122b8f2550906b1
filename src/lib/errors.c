/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names for error codes; see errors.h. */
#include <string.h>

#include "lib/errors.h"

const char *ddns_strerror(int err)
{
	switch (err) {
	case DDNS_EOK:       return "success";
	case DDNS_ECONF:     return "invalid configuration";
	case DDNS_EDB:       return "database error";
	case DDNS_ESCHEMA:   return "database schema is newer than this program or damaged";
	case DDNS_ENOZONE:   return "name is not in a configured zone";
	case DDNS_EEXIST:    return "already exists";
	case DDNS_ENOENT:    return "does not exist";
	case DDNS_EMALF:     return "malformed input";
	case DDNS_ESPACE:    return "not enough space";
	case DDNS_ETOOBIG:   return "record data too large";
	case DDNS_EZONEFILE: return "master file error";
	case DDNS_ECNAME:    return "CNAME cannot coexist with other data";
	case DDNS_EAUTH:     return "authentication failed";
	case DDNS_EQUOTA:    return "quota exceeded";
	case DDNS_ERESERVED: return "name is reserved";
	case DDNS_ESUSPENDED: return "host is suspended";
	case DDNS_ESTATE:    return "already in that state";
	case DDNS_EBLOCKED:  return "updates blocked for abusive polling";
	}
	if (err < 0 && err > -1000)
		return strerror(-err);
	return "unknown error";
}
