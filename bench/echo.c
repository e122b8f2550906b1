// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * echo: the ceiling for the DNS benchmarks. It does the least any UDP DNS
 * server must do per query -- receive a datagram, touch its header, send it
 * back -- with the same shape as the servers under test: N threads, one
 * SO_REUSEPORT socket each, recvmmsg/sendmmsg batches. It sets QR so that
 * dnsperf counts the reply as an answer. No DNS parsing at all, so any
 * server's CPU per query above this is the cost of being a DNS server.
 *
 * usage: echo ADDR PORT [THREADS]      (default 2 threads; runs until killed)
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen.h"

#define BATCH 64
#define PKT_MAX 4096

static void *echo_worker(void *arg)
{
	int fd = *(int *)arg;
	unsigned char (*buf)[PKT_MAX] = malloc(BATCH * PKT_MAX);
	struct sockaddr_storage peer[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msg[BATCH];

	if (buf == NULL) {
		fprintf(stderr, "echo: out of memory\n");
		exit(1);
	}
	for (;;) {
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = PKT_MAX;
			memset(&msg[i], 0, sizeof(msg[i]));
			msg[i].msg_hdr.msg_name = &peer[i];
			msg[i].msg_hdr.msg_namelen = sizeof(peer[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		/* Block for the first datagram, then take whatever else is
		 * already queued: batching grows with load, as in the servers. */
		int n = recvmmsg(fd, msg, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("recvmmsg");
			exit(1);
		}
		int out = 0;
		for (int i = 0; i < n; i++) {
			unsigned int len = msg[i].msg_len;
			if (len < 12)
				continue;	/* no DNS header: drop, as a server would */
			buf[i][2] |= 0x80;	/* QR */
			iov[out] = iov[i];
			iov[out].iov_len = len;
			msg[out].msg_hdr = msg[i].msg_hdr;
			msg[out].msg_hdr.msg_iov = &iov[out];
			msg[out].msg_hdr.msg_iovlen = 1;
			out++;
		}
		for (int sent = 0; sent < out;) {
			int r = sendmmsg(fd, msg + sent, out - sent, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				break;	/* a full send buffer loses the rest, like UDP */
			}
			sent += r;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	int threads;
	if (listen_args(argc, argv, &addr, &threads) != 0)
		return 2;

	pthread_t tid[LISTEN_THREADS_MAX];
	int fds[LISTEN_THREADS_MAX];
	/* Bind every socket before serving so that the first answer means all
	 * workers are ready. */
	for (int i = 0; i < threads; i++) {
		fds[i] = listen_socket(&addr, SOCK_DGRAM);
		if (fds[i] < 0) {
			perror("echo: socket");
			return 1;
		}
	}
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&tid[i], NULL, echo_worker, &fds[i]) != 0) {
			fprintf(stderr, "echo: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	return 0;
}
