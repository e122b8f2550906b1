/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small socket helpers shared by the threads that own blocking sockets. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Sends all n bytes of p on a blocking socket (retrying after EINTR and
 * short writes; no SIGPIPE). 0 or a negative errno. */
int net_send_all(int fd, const uint8_t *p, size_t n);
