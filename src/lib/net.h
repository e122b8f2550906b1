/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small socket helpers shared by the threads that own blocking sockets. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/conf.h"

/* Sends all n bytes of p on a blocking socket (retrying after EINTR and
 * short writes; no SIGPIPE). 0 or a negative errno. */
int net_send_all(int fd, const uint8_t *p, size_t n);

/* The address bytes of ss in *ip: 4 for IPv4 and for a v4-mapped IPv6
 * address, 16 for other IPv6; 0 for other families. */
size_t net_ip(const struct sockaddr_storage *ss, const uint8_t **ip);

/* Whether ss's address is in e's network (never for a key entry); a
 * v4-mapped IPv6 address is in IPv4 networks. */
bool net_in(const conf_acl_entry_t *e, const struct sockaddr_storage *ss);

/* inet_ntop, with IPv4 formatted here rather than by sprintf (as glibc
 * does): it is on every update's path. */
const char *net_ntop(int family, const void *ip, char *out, size_t len);

/* "192.0.2.1" or "2001:db8::1" (with_port: "192.0.2.1:53", "[2001:db8::1]:53");
 * a v4-mapped IPv6 address as IPv4. len of at least NET_ADDR_TEXT. */
#define NET_ADDR_TEXT 64
void net_addr_text(const struct sockaddr_storage *ss, bool with_port, char *out, size_t len);
