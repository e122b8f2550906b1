/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Socket helpers; see net.h. */
#include <errno.h>
#include <sys/socket.h>

#include "lib/net.h"

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
