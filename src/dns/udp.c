/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A UDP worker thread: waits for its sockets, then drains each in batches
 * with recvmmsg, answers every datagram through the query engine and sends
 * the batch back with one sendmmsg. Buffers are allocated once per thread;
 * nothing per query. A worker with one socket (one listen address) blocks
 * in recvmmsg itself instead of in epoll_wait: two system calls per wake-up
 * instead of three, which at moderate rates (a wake-up per query or two) is
 * most of what a query costs.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <urcu.h>

#include <libknot/libknot.h>

#include "dns/server.h"
#include "lib/log.h"

#define BATCH 64
#define RX_SIZE 4096
#define TX_SIZE QUERY_UDP_PAYLOAD

struct udp_bufs {
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec rxiov[BATCH], txiov[BATCH];
	struct sockaddr_storage peer[BATCH];
	uint8_t rxbuf[BATCH][RX_SIZE];
	uint8_t txbuf[BATCH][TX_SIZE];
};

/* Points the receive headers at their buffers, once per thread. */
static void rx_init(struct udp_bufs *b)
{
	for (int i = 0; i < BATCH; i++) {
		b->rxiov[i].iov_base = b->rxbuf[i];
		b->rxiov[i].iov_len = RX_SIZE;
		memset(&b->rx[i].msg_hdr, 0, sizeof(b->rx[i].msg_hdr));
		b->rx[i].msg_hdr.msg_iov = &b->rxiov[i];
		b->rx[i].msg_hdr.msg_iovlen = 1;
		b->rx[i].msg_hdr.msg_name = &b->peer[i];
		b->rx[i].msg_hdr.msg_namelen = sizeof(b->peer[i]);
	}
}

/* Receives one batch (recvmmsg flags), answers it; the number received.
 * recvmmsg changes only the address lengths of the headers it filled:
 * those are set back afterwards, not all BATCH headers before each call
 * (at 20,000 queries a second a wake-up brings one or two). */
static int serve_batch(udp_worker_t *w, int fd, struct udp_bufs *b, query_env_t *env, int flags)
{
	int n = recvmmsg(fd, b->rx, BATCH, flags, NULL);
	if (n <= 0)
		return n;
	dns_count_add(w->count, (uint64_t)n); /* once per batch */
	int out = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *m = b->rxbuf[i];
		if (w->update != NULL && b->rx[i].msg_len >= KNOT_WIRE_HEADER_SIZE &&
		    !knot_wire_get_qr(m) && knot_wire_get_opcode(m) == KNOT_OPCODE_UPDATE) {
			/* Updates go to their own thread, which answers. */
			w->update(fd, false, m, b->rx[i].msg_len, NULL, 0, NULL, 0, &b->peer[i],
			          b->rx[i].msg_hdr.msg_namelen, w->update_ctx);
			continue;
		}
		size_t len = query_answer(env, b->rxbuf[i], b->rx[i].msg_len,
		                          b->txbuf[out], TX_SIZE, false);
		if (len == 0 && env->signed_query && w->update != NULL) {
			/* TSIG-signed (a secondary's SOA check): the update
			 * thread verifies, answers and signs. */
			w->update(fd, false, m, b->rx[i].msg_len, NULL, 0, NULL, 0, &b->peer[i],
			          b->rx[i].msg_hdr.msg_namelen, w->update_ctx);
			continue;
		}
		if (len == 0)
			continue;
		b->txiov[out].iov_base = b->txbuf[out];
		b->txiov[out].iov_len = len;
		memset(&b->tx[out].msg_hdr, 0, sizeof(b->tx[out].msg_hdr));
		b->tx[out].msg_hdr.msg_iov = &b->txiov[out];
		b->tx[out].msg_hdr.msg_iovlen = 1;
		b->tx[out].msg_hdr.msg_name = &b->peer[i];
		b->tx[out].msg_hdr.msg_namelen = b->rx[i].msg_hdr.msg_namelen;
		out++;
	}
	int sent = 0;
	while (sent < out) {
		int r = sendmmsg(fd, b->tx + sent, out - sent, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* A peer we cannot reach (ICMP error queued) must not
			 * stop the others: skip that one datagram. */
			sent++;
			continue;
		}
		sent += r;
	}
	for (int i = 0; i < n; i++)
		b->rx[i].msg_hdr.msg_namelen = sizeof(b->peer[i]);
	return n;
}

static void drain(udp_worker_t *w, int fd, struct udp_bufs *b, query_env_t *env)
{
	while (serve_batch(w, fd, b, env, MSG_DONTWAIT) == BATCH)
		;
}

/* One socket: block in recvmmsg; a receive timeout lets the stop flag be
 * seen when no query comes. */
static void serve_blocking(udp_worker_t *w, int fd, struct udp_bufs *b, query_env_t *env)
{
	struct timeval tv = { .tv_usec = 100000 };
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		log_err("udp worker: cannot make the socket blocking: %s", strerror(errno));
		return;
	}
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		int n = serve_batch(w, fd, b, env, MSG_WAITFORONE);
		if (n < 0 && errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED) {
			log_err("udp worker: %s", strerror(errno));
			break;
		}
	}
}

void *udp_worker_run(void *arg)
{
	udp_worker_t *w = arg;
	struct udp_bufs *b = NULL;
	query_env_t env;
	int ep = -1;
	bool env_ok = false;

	pthread_setname_np(pthread_self(), "ddnsd-udp");
	dns_thread_priority();
	rcu_register_thread();
	b = malloc(sizeof(*b));
	if (b == NULL || query_env_init(&env, w->zones, w->qc) != 0) {
		log_err("udp worker: out of memory");
		goto out;
	}
	env_ok = true;
	rx_init(b);
	if (w->nfds == 1) {
		serve_blocking(w, w->fds[0], b, &env);
		goto out;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		goto out;
	struct epoll_event ev = { .events = EPOLLIN };
	for (size_t i = 0; i < w->nfds; i++) {
		ev.data.fd = w->fds[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, w->fds[i], &ev);
	}
	ev.data.fd = w->stop_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, w->stop_fd, &ev);

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);
		if (n < 0 && errno != EINTR)
			break;
		bool stop = false;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == w->stop_fd)
				stop = true;
			else
				drain(w, evs[i].data.fd, b, &env);
		}
		if (stop)
			break;
	}
out:
	if (ep >= 0)
		close(ep);
	if (env_ok)
		query_env_deinit(&env);
	free(b);
	rcu_unregister_thread();
	return NULL;
}
