/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Control-socket framing; see proto.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/proto.h"

int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int ctl_send(int fd, const json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	if (s == NULL)
		return -ENOMEM;
	size_t len = strlen(s);
	s[len] = '\n'; /* json_dumps leaves room: we replace the NUL */
	size_t off = 0;
	int ret = 0;
	while (off < len + 1) {
		ssize_t n = send(fd, s + off, len + 1 - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		off += n;
	}
	free(s);
	return ret;
}

json_t *ctl_recv(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL)
		return NULL;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= CTL_LINE_MAX)
				goto fail;
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		char *nl = memchr(buf + len, '\n', n);
		len += n;
		if (nl != NULL) {
			*nl = '\0';
			json_t *obj = json_loads(buf, 0, NULL);
			free(buf);
			return obj;
		}
	}
fail:
	free(buf);
	return NULL;
}

json_t *ctl_reply_ok(json_t *result)
{
	return json_pack("{s:i, s:b, s:o}", "v", CTL_VERSION, "ok", 1,
	                 "result", result ? result : json_null());
}

json_t *ctl_reply_err(const char *err)
{
	return json_pack("{s:i, s:b, s:s}", "v", CTL_VERSION, "ok", 0, "error", err);
}
