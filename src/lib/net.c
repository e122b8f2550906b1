/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Socket helpers; see net.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/net.h"

const char *net_ntop(int family, const void *ip, char *out, size_t len)
{
	if (family != AF_INET)
		return inet_ntop(family, ip, out, (socklen_t)len);
	const uint8_t *a = ip;
	char text[INET_ADDRSTRLEN], *p = text;
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	size_t n = (size_t)(p - text);     /* with the NUL */
	if (n > len) {
		errno = ENOSPC;
		return NULL;
	}
	memcpy(out, text, n);
	return out;
}

int net_send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

size_t net_ip(const struct sockaddr_storage *ss, const uint8_t **ip)
{
	if (ss->ss_family == AF_INET) {
		*ip = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		return 4;
	}
	if (ss->ss_family != AF_INET6)
		return 0;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	bool mapped = IN6_IS_ADDR_V4MAPPED(a);
	*ip = mapped ? a->s6_addr + 12 : a->s6_addr;
	return mapped ? 4 : 16;
}

bool net_in(const conf_acl_entry_t *e, const struct sockaddr_storage *ss)
{
	const uint8_t *a, *n;
	size_t len = net_ip(ss, &a);
	/* The network as written: a v4-mapped one stays IPv6. */
	size_t nlen = e->net.ss_family == AF_INET ? 4 : e->net.ss_family == AF_INET6 ? 16 : 0;
	if (e->is_key || len == 0 || len != nlen)
		return false;
	n = nlen == 4 ? (const uint8_t *)&((const struct sockaddr_in *)&e->net)->sin_addr
	              : (const uint8_t *)&((const struct sockaddr_in6 *)&e->net)->sin6_addr;
	unsigned p = e->prefix < 8 * len ? e->prefix : (unsigned)(8 * len);
	unsigned full = p / 8, rest = p % 8;
	if (memcmp(a, n, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ n[full]) & (0xff << (8 - rest))) == 0;
}

void net_addr_text(const struct sockaddr_storage *ss, bool with_port, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	const uint8_t *bytes;
	size_t n = net_ip(ss, &bytes);
	if (n > 0)
		inet_ntop(n == 4 ? AF_INET : AF_INET6, bytes, ip, sizeof(ip));
	unsigned port = ss->ss_family == AF_INET ? ntohs(((const struct sockaddr_in *)ss)->sin_port)
	              : ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
	              : 0;
	if (!with_port)
		snprintf(out, len, "%s", ip);
	else
		snprintf(out, len, n == 16 ? "[%s]:%u" : "%s:%u", ip, port);
}
