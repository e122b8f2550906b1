/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Address detection; see detect.h. IPv6 interface addresses come from
 * /proc/net/if_inet6 rather than getifaddrs(), because only the former
 * shows the temporary/deprecated flags (without a netlink dump, which
 * would be more code for the same bits); getifaddrs() is the fallback
 * where that file does not exist.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client/clog.h"
#include "client/detect.h"
#include "client/fetch.h"

/* The flag bits of /proc/net/if_inet6 (the low byte of ifa_flags). */
#define F_TEMPORARY  0x01
#define F_DADFAILED  0x08
#define F_DEPRECATED 0x20
#define F_TENTATIVE  0x40

static const char *fam_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static int detect_web(int family, const detect_opts_t *o, addr_t *out, char *why, size_t whylen)
{
	addr_t got = { 0 };
	const char *got_url = NULL;
	char last[300] = "no checkip URL";
	for (size_t i = 0; i < o->urls->n; i++) {
		const char *url = o->urls->v[i];
		fetch_req_t req = { .url = url, .family = family, .timeout = o->timeout,
		                    .connect_timeout = o->connect_timeout, .follow = true };
		fetch_result_t res;
		addr_t a;
		const char *bad;
		char as[ADDR_STRLEN];
		int r = fetch_get(&req, &res);
		if (r != 0)
			snprintf(last, sizeof(last), "checkip %s: %s", url, res.error);
		else if (res.status != 200)
			snprintf(last, sizeof(last), "checkip %s: HTTP status %ld", url, res.status);
		else if (addr_from_checkip(res.body, res.len, family, &a) != 0)
			snprintf(last, sizeof(last), "checkip %s: no %s address in the answer", url,
			         fam_name(family));
		else if (!addr_is_public(&a, &bad))
			snprintf(last, sizeof(last), "checkip %s answered %s, which is %s, not a public address",
			         url, addr_str(&a, as), bad);
		else
			r = 1;
		fetch_result_deinit(&res);
		if (r != 1) {
			if (i + 1 < o->urls->n)
				clog_warn("%s; trying the next checkip URL", last);
			continue;
		}
		if (got.family == 0) {
			got = a;
			got_url = url;
		} else if (!addr_equal(&got, &a)) {
			char gs[ADDR_STRLEN];
			snprintf(why, whylen, "checkip sources disagree: %s says %s, %s says %s", got_url,
			         addr_str(&got, gs), url, addr_str(&a, as));
			return -ENOENT;
		}
	}
	if (got.family == 0) {
		snprintf(why, whylen, "%s", last);
		return -ENOENT;
	}
	*out = got;
	return 0;
}

int detect_pick_inet6(FILE *f, const char *ifname, addr_t *out, char *why, size_t whylen)
{
	char line[256];
	int best = -1;
	addr_t best_a = { 0 };
	while (fgets(line, sizeof(line), f) != NULL) {
		char hex[33], name[IF_NAMESIZE + 1];
		unsigned idx, plen, scope, flags;
		if (sscanf(line, "%32s %x %x %x %x %16s", hex, &idx, &plen, &scope, &flags, name) != 6 ||
		    strlen(hex) != 32)
			continue;
		if (ifname != NULL && strcmp(name, ifname) != 0)
			continue;
		addr_t a = { .family = AF_INET6 };
		bool ok = true;
		for (int i = 0; i < 16 && ok; i++) {
			unsigned b;
			ok = sscanf(hex + 2 * i, "%2x", &b) == 1;
			a.u.v6.s6_addr[i] = (unsigned char)b;
		}
		if (!ok || scope != 0 || (flags & (F_TENTATIVE | F_DADFAILED)) || !addr_is_public(&a, NULL))
			continue;
		int score = ((flags & F_DEPRECATED) ? 0 : 2) + ((flags & F_TEMPORARY) ? 0 : 1);
		if (score > best) {
			best = score;
			best_a = a;
		}
	}
	if (best < 0) {
		snprintf(why, whylen, "no global IPv6 address on %s%s", ifname ? "interface " : "any interface",
		         ifname ? ifname : "");
		return -ENOENT;
	}
	*out = best_a;
	return 0;
}

static int detect_iface(const char *ifname, int family, addr_t *out, char *why, size_t whylen)
{
	if (family == AF_INET6) {
		FILE *f = fopen("/proc/net/if_inet6", "re");
		if (f != NULL) {
			int r = detect_pick_inet6(f, ifname, out, why, whylen);
			fclose(f);
			return r;
		}
	}
	struct ifaddrs *ifa0;
	if (getifaddrs(&ifa0) != 0) {
		snprintf(why, whylen, "cannot list interfaces: %s", strerror(errno));
		return -ENOENT;
	}
	int ret = -ENOENT;
	bool found_if = ifname == NULL;
	for (struct ifaddrs *i = ifa0; i; i = i->ifa_next) {
		if (ifname != NULL && strcmp(i->ifa_name, ifname) != 0)
			continue;
		found_if = true;
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
			continue;
		addr_t a = { .family = family };
		if (family == AF_INET)
			a.u.v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		else
			a.u.v6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (addr_is_public(&a, NULL)) {
			*out = a;
			ret = 0;
			break;
		}
	}
	freeifaddrs(ifa0);
	if (ret != 0) {
		if (!found_if)
			snprintf(why, whylen, "there is no interface %s", ifname);
		else
			snprintf(why, whylen, "no public %s address on %s%s", fam_name(family),
			         ifname ? "interface " : "any interface", ifname ? ifname : "");
	}
	return ret;
}

static int detect_command(const char *cmd, int family, addr_t *out, char *why, size_t whylen)
{
	FILE *p = popen(cmd, "re");
	if (p == NULL) {
		snprintf(why, whylen, "command '%s': cannot run: %s", cmd, strerror(errno));
		return -ENOENT;
	}
	char line[256] = "";
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	/* Read the rest so that the command does not die of SIGPIPE. */
	char sink[256];
	while (fgets(sink, sizeof(sink), p) != NULL)
		;
	int st = pclose(p);
	char *s = line;
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(why, whylen, "command '%s' failed (exit status %d)", cmd,
		         st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -ENOENT;
	}
	addr_t a;
	const char *bad;
	char as[ADDR_STRLEN];
	if (addr_parse(s, family, &a) != 0) {
		snprintf(why, whylen, "command '%s' printed '%.60s', not an %s address", cmd, s,
		         fam_name(family));
		return -ENOENT;
	}
	if (!addr_is_public(&a, &bad)) {
		snprintf(why, whylen, "command '%s' printed %s, which is %s, not a public address", cmd,
		         addr_str(&a, as), bad);
		return -ENOENT;
	}
	*out = a;
	return 0;
}

int detect_address(const char *method, int family, const detect_opts_t *opts, addr_t *out,
                   char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(method, "web") == 0)
		return detect_web(family, opts, out, why, whylen);
	if (strcmp(method, "interface") == 0)
		return detect_iface(NULL, family, out, why, whylen);
	if (strncmp(method, "interface:", 10) == 0)
		return detect_iface(method + 10, family, out, why, whylen);
	if (strncmp(method, "command:", 8) == 0)
		return detect_command(method + 8, family, out, why, whylen);
	snprintf(why, whylen, "unknown detection method '%s'", method);
	return -EINVAL;
}
