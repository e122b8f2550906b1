/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Error codes shared by every module. Functions return 0 on success and a
 * negative code on failure: a negated errno value (-ENOMEM, -EINVAL, ...) or
 * one of ours below, which start at -1000 so they never collide with errno.
 * Thread-safe; no state.
 */
#pragma once

enum ddns_err {
	DDNS_EOK = 0,
	DDNS_ECONF     = -1000, /* configuration invalid */
	DDNS_EDB       = -1001, /* database error */
	DDNS_ESCHEMA   = -1002, /* database schema too new or damaged */
	DDNS_ENOZONE   = -1003, /* name is in no configured zone */
	DDNS_EEXIST    = -1004, /* object already exists */
	DDNS_ENOENT    = -1005, /* object does not exist */
	DDNS_EMALF     = -1006, /* malformed input */
	DDNS_ESPACE    = -1007, /* output buffer too small */
	DDNS_ETOOBIG   = -1008, /* record set or node too large */
	DDNS_EZONEFILE = -1009, /* master file error */
	DDNS_ECNAME    = -1010, /* CNAME beside other data */
	DDNS_EAUTH     = -1011, /* authentication failed */
	DDNS_EQUOTA    = -1012, /* over a quota */
	DDNS_ERESERVED = -1013, /* name is reserved */
	DDNS_ESUSPENDED = -1014, /* host is suspended for abuse */
	DDNS_ESTATE    = -1015, /* object is already in that state */
	DDNS_EBLOCKED  = -1016, /* host's updates are blocked for abuse */
};

/* Returns a static, human-readable description of err (any sign). */
const char *ddns_strerror(int err);
