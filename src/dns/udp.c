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
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
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
#define STOP_EVENT SIZE_MAX     /* epoll data of the stop eventfd */
#define RX_SIZE 4096
#define TX_SIZE QUERY_UDP_PAYLOAD

struct udp_bufs {
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec rxiov[BATCH], txiov[BATCH];
	struct sockaddr_storage peer[BATCH];
	/* Wildcard sockets only: the address each datagram came to, and
	 * the answer's source made of it. */
	union {
		struct cmsghdr align;
		uint8_t b[DNS_SRC_CTL_MAX];
	} rxctl[BATCH];
	dns_src_t src[BATCH];
	uint8_t rxbuf[BATCH][RX_SIZE];
	uint8_t txbuf[BATCH][TX_SIZE];
};

static void put_ctl(dns_src_t *out, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *o = (struct cmsghdr *)(void *)out->ctl;
	o->cmsg_level = level;
	o->cmsg_type = type;
	o->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(o), data, len);
	out->len = CMSG_SPACE(len);
}

/* The source of the answer to a datagram received with mh (its IP_PKTINFO
 * or IPV6_PKTINFO): the address it was sent to, on the interface it came
 * in by for IPv6 (link-local addresses need it). len 0 when none. */
static void reply_source(const struct msghdr *mh, dns_src_t *out)
{
	out->len = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo in;
			memcpy(&in, CMSG_DATA(c), sizeof(in));
			struct in_pktinfo pi = { .ipi_ifindex = 0, .ipi_spec_dst = in.ipi_addr };
			put_ctl(out, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			/* The same address and interface: as received. */
			put_ctl(out, IPPROTO_IPV6, IPV6_PKTINFO, CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return;
		}
	}
}

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
		b->rx[i].msg_hdr.msg_control = b->rxctl[i].b; /* length 0 but on wildcards */
	}
}

/* Receives one batch (recvmmsg flags), answers it; the number received.
 * recvmmsg changes only the address lengths of the headers it filled:
 * those are set back afterwards, not all BATCH headers before each call
 * (at 20,000 queries a second a wake-up brings one or two). */
static int serve_batch(udp_worker_t *w, int fd, bool wildcard, struct udp_bufs *b,
                       query_env_t *env, int flags)
{
	if (wildcard)
		for (int i = 0; i < BATCH; i++)
			b->rx[i].msg_hdr.msg_controllen = sizeof(b->rxctl[i].b);
	int n = recvmmsg(fd, b->rx, BATCH, flags, NULL);
	if (n <= 0)
		return n;
	dns_count_add(w->count, (uint64_t)n); /* once per batch */
	int out = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *m = b->rxbuf[i];
		dns_src_t *src = NULL;
		if (wildcard) {
			src = &b->src[i];
			reply_source(&b->rx[i].msg_hdr, src);
		}
		if (w->update != NULL && b->rx[i].msg_len >= KNOT_WIRE_HEADER_SIZE &&
		    !knot_wire_get_qr(m) && knot_wire_get_opcode(m) == KNOT_OPCODE_UPDATE) {
			/* Updates go to their own thread, which answers. */
			w->update(fd, false, m, b->rx[i].msg_len, NULL, 0, NULL, 0, &b->peer[i],
			          b->rx[i].msg_hdr.msg_namelen, src, w->update_ctx);
			continue;
		}
		size_t len = query_answer(env, b->rxbuf[i], b->rx[i].msg_len,
		                          b->txbuf[out], TX_SIZE, false);
		if (len == 0 && env->signed_query && w->update != NULL) {
			/* TSIG-signed (a secondary's SOA check): the update
			 * thread verifies, answers and signs. */
			w->update(fd, false, m, b->rx[i].msg_len, NULL, 0, NULL, 0, &b->peer[i],
			          b->rx[i].msg_hdr.msg_namelen, src, w->update_ctx);
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
		if (src != NULL && src->len > 0) {
			b->tx[out].msg_hdr.msg_control = src->ctl;
			b->tx[out].msg_hdr.msg_controllen = src->len;
		}
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
	for (int i = 0; i < n; i++) {
		b->rx[i].msg_hdr.msg_namelen = sizeof(b->peer[i]);
		b->rx[i].msg_hdr.msg_controllen = 0;
	}
	return n;
}

static void drain(udp_worker_t *w, int fd, bool wildcard, struct udp_bufs *b, query_env_t *env)
{
	while (serve_batch(w, fd, wildcard, b, env, MSG_DONTWAIT) == BATCH)
		;
}

/* One socket: block in recvmmsg; a receive timeout lets the stop flag be
 * seen when no query comes. */
static void serve_blocking(udp_worker_t *w, int fd, bool wildcard, struct udp_bufs *b,
                           query_env_t *env)
{
	struct timeval tv = { .tv_usec = 100000 };
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		log_err("udp worker: cannot make the socket blocking: %s", strerror(errno));
		return;
	}
	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		int n = serve_batch(w, fd, wildcard, b, env, MSG_WAITFORONE);
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
		serve_blocking(w, w->fds[0], w->wildcard[0], b, &env);
		goto out;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		goto out;
	struct epoll_event ev = { .events = EPOLLIN };
	for (size_t i = 0; i < w->nfds; i++) {
		ev.data.u64 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, w->fds[i], &ev);
	}
	ev.data.u64 = STOP_EVENT;
	epoll_ctl(ep, EPOLL_CTL_ADD, w->stop_fd, &ev);

	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);
		if (n < 0 && errno != EINTR)
			break;
		bool stop = false;
		for (int i = 0; i < n; i++) {
			size_t k = (size_t)evs[i].data.u64;
			if (k == STOP_EVENT)
				stop = true;
			else
				drain(w, w->fds[k], w->wildcard[k], b, &env);
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
