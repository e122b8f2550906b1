/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A DNS stub for verify-dns; see dnscheck.h. Every read from the reply
 * is bounds-checked against its length (the reply comes from the
 * network).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/dnscheck.h"

#define T_A     1
#define T_AAAA 28

/* Skips a (possibly compressed) name at *pos. */
static int skip_name(const unsigned char *m, size_t len, size_t *pos)
{
	size_t p = *pos;
	for (int labels = 0; labels < 128; labels++) {
		if (p >= len)
			return -EINVAL;
		unsigned char l = m[p];
		if (l == 0) {
			*pos = p + 1;
			return 0;
		}
		if ((l & 0xc0) == 0xc0) {
			if (p + 2 > len)
				return -EINVAL;
			*pos = p + 2;
			return 0;
		}
		if (l & 0xc0)
			return -EINVAL;
		p += 1 + l;
	}
	return -EINVAL;
}

int dnscheck_parse(const unsigned char *m, size_t len, unsigned id, int family, addr_t *out,
                   size_t *n)
{
	*n = 0;
	if (len < 12 || (unsigned)((m[0] << 8) | m[1]) != id || !(m[2] & 0x80))
		return -EINVAL;
	unsigned rcode = m[3] & 0x0f;
	unsigned qd = (m[4] << 8) | m[5], an = (m[6] << 8) | m[7];
	if (rcode == 3)
		return 0; /* NXDOMAIN: no address */
	if (rcode != 0)
		return -EINVAL;
	size_t pos = 12;
	for (unsigned i = 0; i < qd; i++) {
		if (skip_name(m, len, &pos) != 0 || pos + 4 > len)
			return -EINVAL;
		pos += 4;
	}
	unsigned want = family == AF_INET ? T_A : T_AAAA;
	for (unsigned i = 0; i < an; i++) {
		if (skip_name(m, len, &pos) != 0 || pos + 10 > len)
			return -EINVAL;
		unsigned type = (m[pos] << 8) | m[pos + 1];
		unsigned rdlen = (m[pos + 8] << 8) | m[pos + 9];
		pos += 10;
		if (pos + rdlen > len)
			return -EINVAL;
		if (type == want && *n < DNSCHECK_MAX) {
			addr_t *a = &out[*n];
			memset(a, 0, sizeof(*a));
			a->family = family;
			if (family == AF_INET && rdlen == 4) {
				memcpy(&a->u.v4, m + pos, 4);
				(*n)++;
			} else if (family == AF_INET6 && rdlen == 16) {
				memcpy(&a->u.v6, m + pos, 16);
				(*n)++;
			}
		}
		pos += rdlen;
	}
	return 0;
}

/* The first nameserver line of /etc/resolv.conf, into buf. */
static int resolv_conf_server(char *buf, size_t len)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[256];
	int ret = -ENOENT;
	if (f == NULL)
		return -ENOENT;
	while (fgets(line, sizeof(line), f) != NULL) {
		char ns[128];
		if (sscanf(line, " nameserver %127s", ns) == 1) {
			snprintf(buf, len, "%s", ns);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

static int server_sockaddr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[64];
	unsigned port = 53;
	memset(ss, 0, sizeof(*ss));
	const char *pp = NULL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (e == NULL || (size_t)(e - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, e - s - 1);
		host[e - s - 1] = '\0';
		pp = e[1] == ':' ? e + 2 : NULL;
	} else if (strchr(s, ':') != NULL && strchr(s, ':') != strrchr(s, ':')) {
		snprintf(host, sizeof(host), "%s", s); /* a bare IPv6 address */
	} else {
		const char *c = strchr(s, ':');
		size_t hl = c ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		pp = c ? c + 1 : NULL;
	}
	if (pp != NULL)
		port = (unsigned)strtoul(pp, NULL, 10);
	/* A scope id (fe80::1%eth0) from resolv.conf: drop it, link-local is rare here. */
	char *pct = strchr(host, '%');
	if (pct)
		*pct = '\0';
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*sl = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*sl = sizeof(*v6);
	} else {
		return -EINVAL;
	}
	return 0;
}

static int make_query(const char *name, unsigned id, unsigned type, unsigned char *q, size_t cap,
                      size_t *len)
{
	size_t p = 12;
	memset(q, 0, 12);
	q[0] = id >> 8;
	q[1] = id & 0xff;
	q[2] = 0x01;                      /* RD: a resolver may be asked too */
	q[5] = 1;                         /* QDCOUNT */
	const char *s = name;
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		if (l == 0 || l > 63 || p + 1 + l + 5 > cap)
			return -EINVAL;
		q[p++] = (unsigned char)l;
		memcpy(q + p, s, l);
		p += l;
		s += l + (dot ? 1 : 0);
	}
	if (p + 5 > cap)
		return -EINVAL;
	q[p++] = 0;
	q[p++] = 0;
	q[p++] = (unsigned char)type;
	q[p++] = 0;
	q[p++] = 1;                       /* IN */
	*len = p;
	return 0;
}

int dnscheck_query(const char *server, const char *name, int family, unsigned timeout,
                   addr_t *out, size_t *n, char *why, size_t whylen)
{
	char srv[128];
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned char q[300], r[1500];
	size_t qlen;
	unsigned short rid;
	*n = 0;
	if (server == NULL || server[0] == '\0') {
		if (resolv_conf_server(srv, sizeof(srv)) != 0) {
			snprintf(why, whylen, "no dns-server set and no nameserver in /etc/resolv.conf");
			return -EINVAL;
		}
		server = srv;
	}
	if (server_sockaddr(server, &ss, &sl) != 0) {
		snprintf(why, whylen, "dns-server '%s' is not an address", server);
		return -EINVAL;
	}
	if (getrandom(&rid, sizeof(rid), 0) != sizeof(rid))
		rid = (unsigned short)(time(NULL) ^ getpid());
	if (make_query(name, rid, family == AF_INET ? T_A : T_AAAA, q, sizeof(q), &qlen) != 0) {
		snprintf(why, whylen, "%s is not a name that can be queried", name);
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) != 0 || send(fd, q, qlen, 0) != (ssize_t)qlen) {
		snprintf(why, whylen, "DNS server %s: %s", server, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ret = -ETIMEDOUT;
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (long)timeout * 1000 - ((now.tv_sec - t0.tv_sec) * 1000 +
		                                  (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)ms) <= 0)
			continue;
		ssize_t got = recv(fd, r, sizeof(r), 0);
		if (got < 0) {
			snprintf(why, whylen, "DNS server %s: %s", server, strerror(errno));
			ret = -EIO;
			break;
		}
		/* A reply with another id is someone else's (or spoofed): keep waiting. */
		if (got < 2 || ((r[0] << 8) | r[1]) != rid)
			continue;
		if (dnscheck_parse(r, (size_t)got, rid, family, out, n) != 0) {
			snprintf(why, whylen, "DNS server %s: no usable answer for %s (rcode %d)", server,
			         name, got >= 4 ? r[3] & 0x0f : -1);
			ret = -EIO;
		} else {
			ret = 0;
		}
		break;
	}
	if (ret == -ETIMEDOUT)
		snprintf(why, whylen, "DNS server %s did not answer within %u s", server, timeout);
	close(fd);
	return ret;
}
