/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the benchmark's ceiling servers (echo.c for UDP, h2oconst.c for
 * HTTP) share: the command line ADDR PORT [THREADS] and one SO_REUSEPORT
 * socket per thread, bound before any thread serves, so that the first
 * answer means every thread is ready.
 */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTEN_THREADS_MAX 64

/* Parses ADDR PORT [THREADS] (default 2, at most LISTEN_THREADS_MAX);
 * -1 after saying what is wrong. */
static inline int listen_args(int argc, char **argv, struct sockaddr_in *addr, int *threads)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s ADDR PORT [THREADS]\n", argv[0]);
		return -1;
	}
	*threads = argc > 3 ? atoi(argv[3]) : 2;
	if (*threads < 1 || *threads > LISTEN_THREADS_MAX) {
		fprintf(stderr, "%s: bad thread count\n", argv[0]);
		return -1;
	}
	addr->sin_family = AF_INET;
	addr->sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &addr->sin_addr) != 1) {
		fprintf(stderr, "%s: bad address %s\n", argv[0], argv[1]);
		return -1;
	}
	return 0;
}

/* One thread's socket of type (SOCK_DGRAM, or SOCK_STREAM, then
 * listening) on addr; -1 with errno. The kernel spreads flows over the
 * threads' sockets, as it does for the servers under test. */
static inline int listen_socket(const struct sockaddr_in *addr, int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}
