/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The TCP thread, RFC 7766: every complete message in a connection's input
 * is answered in order (pipelining), replies are queued and written as the
 * socket allows, a connection that is idle at a message boundary for the
 * idle timeout, or that starts a message and does not finish it within the
 * message timeout, is closed, and beyond the connection cap new connections
 * are closed at once. One epoll loop; timeouts are checked by a sweep every
 * 100 ms, which costs nothing next to the cap of connections.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include <libknot/libknot.h>

#include "dns/server.h"
#include "lib/log.h"

#define OUT_MAX (256 * 1024)  /* stop reading while this much is unsent */
#define MSG_MAX (2 + 65535)

typedef struct conn {
	int fd;
	struct sockaddr_storage peer;
	uint8_t *in;
	size_t inlen, incap;
	uint8_t *out;
	size_t outlen, outpos, outcap;
	uint64_t last;            /* last activity, ms */
	uint64_t msg_start;       /* first byte of an unfinished message, 0 if none */
	bool eof;                 /* the client closed its side */
	struct conn *next, *prev;
} conn_t;

typedef struct {
	tcp_worker_t *w;
	int ep;
	conn_t *conns;
	unsigned count;
	query_env_t env;
	uint8_t *resp;
} tcp_state_t;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_forget(tcp_state_t *st, conn_t *c, bool close_fd)
{
	epoll_ctl(st->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (close_fd)
		close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		st->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->in);
	free(c->out);
	free(c);
	st->count--;
}

static void conn_close(tcp_state_t *st, conn_t *c)
{
	conn_forget(st, c, true);
}

static void conn_events(tcp_state_t *st, conn_t *c)
{
	bool reading = !c->eof && c->outlen - c->outpos < OUT_MAX;
	struct epoll_event ev = {
		.events = (reading ? EPOLLIN | EPOLLRDHUP : 0) | (c->outpos < c->outlen ? EPOLLOUT : 0),
		.data.ptr = c,
	};
	epoll_ctl(st->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int out_append(conn_t *c, const uint8_t *msg, size_t len)
{
	if (c->outpos > 0 && c->outpos == c->outlen)
		c->outpos = c->outlen = 0;
	if (c->outlen + 2 + len > c->outcap) {
		if (c->outpos > 0) {
			memmove(c->out, c->out + c->outpos, c->outlen - c->outpos);
			c->outlen -= c->outpos;
			c->outpos = 0;
		}
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + 2 + len)
			cap *= 2;
		uint8_t *n = realloc(c->out, cap);
		if (n == NULL)
			return -1;
		c->out = n;
		c->outcap = cap;
	}
	c->out[c->outlen] = len >> 8;
	c->out[c->outlen + 1] = len & 0xff;
	memcpy(c->out + c->outlen + 2, msg, len);
	c->outlen += 2 + len;
	return 0;
}

/* Returns -1 when the connection must be closed. */
static int conn_flush(conn_t *c)
{
	while (c->outpos < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outpos, c->outlen - c->outpos, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->outpos += n;
	}
	return 0;
}

/* Is this message a zone-transfer query? Only the question is read. */
static bool is_xfr(const uint8_t *q, size_t len)
{
	if (len < KNOT_WIRE_HEADER_SIZE + 5 || knot_wire_get_qr(q) ||
	    knot_wire_get_opcode(q) != KNOT_OPCODE_QUERY || knot_wire_get_qdcount(q) != 1)
		return false;
	int n = knot_dname_wire_check(q + KNOT_WIRE_HEADER_SIZE, q + len, NULL);
	if (n <= 0 || KNOT_WIRE_HEADER_SIZE + (size_t)n + 4 > len)
		return false;
	uint16_t t = (uint16_t)(q[KNOT_WIRE_HEADER_SIZE + n] << 8 | q[KNOT_WIRE_HEADER_SIZE + n + 1]);
	return t == KNOT_RRTYPE_AXFR || t == KNOT_RRTYPE_IXFR;
}

#define HANDED_OFF 1

/* Answers every complete message in the input buffer. Returns HANDED_OFF
 * when the connection went to the transfer thread. */
static int conn_process(tcp_state_t *st, conn_t *c, uint64_t now)
{
	size_t pos = 0;
	while (c->inlen - pos >= 2) {
		size_t mlen = (size_t)c->in[pos] << 8 | c->in[pos + 1];
		if (c->inlen - pos < 2 + mlen)
			break;
		const uint8_t *m = c->in + pos + 2;
		const uint8_t *rest = m + mlen;
		size_t rest_len = c->inlen - pos - 2 - mlen;
		if (st->w->update != NULL && mlen >= KNOT_WIRE_HEADER_SIZE && !knot_wire_get_qr(m) &&
		    knot_wire_get_opcode(m) == KNOT_OPCODE_UPDATE) {
			st->w->update(c->fd, true, m, mlen, c->out + c->outpos, c->outlen - c->outpos,
			              rest, rest_len, &c->peer, sizeof(c->peer), NULL, st->w->update_ctx);
			return HANDED_OFF;
		}
		if (st->w->xfr != NULL && is_xfr(c->in + pos + 2, mlen)) {
			st->w->xfr(c->fd, c->in + pos + 2, mlen, c->out + c->outpos,
			           c->outlen - c->outpos, &c->peer, st->w->xfr_ctx);
			return HANDED_OFF;
		}
		dns_count_add(st->w->count, 1);
		size_t rlen = query_answer(&st->env, c->in + pos + 2, mlen, st->resp, 65535, true);
		if (rlen == 0 && st->env.signed_query && st->w->update != NULL) {
			st->w->update(c->fd, true, m, mlen, c->out + c->outpos, c->outlen - c->outpos,
			              rest, rest_len, &c->peer, sizeof(c->peer), NULL, st->w->update_ctx);
			return HANDED_OFF;
		}
		pos += 2 + mlen;
		if (rlen == 0)
			continue;
		if (out_append(c, st->resp, rlen) != 0)
			return -1;
	}
	if (pos > 0) {
		memmove(c->in, c->in + pos, c->inlen - pos);
		c->inlen -= pos;
	}
	c->msg_start = c->inlen > 0 ? (c->msg_start ? c->msg_start : now) : 0;
	return 0;
}

static int conn_read(tcp_state_t *st, conn_t *c, uint64_t now)
{
	for (;;) {
		if (c->outlen - c->outpos >= OUT_MAX)
			return 0; /* back-pressure: the client is not reading */
		size_t want = 2;
		if (c->inlen >= 2)
			want = 2 + ((size_t)c->in[0] << 8 | c->in[1]);
		/* Read ahead in big chunks to take pipelined queries at once. */
		size_t cap = c->inlen + 16384 > want ? c->inlen + 16384 : want;
		if (cap > MSG_MAX + 16384)
			cap = MSG_MAX + 16384;
		if (c->incap < cap) {
			uint8_t *n = realloc(c->in, cap);
			if (n == NULL)
				return -1;
			c->in = n;
			c->incap = cap;
		}
		ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
		if (n == 0) {
			/* Half-close: answer what came, then close. */
			c->eof = true;
			return 0;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->inlen += n;
		c->last = now;
		if (c->msg_start == 0)
			c->msg_start = now;
		int ret = conn_process(st, c, now);
		if (ret != 0)
			return ret;
	}
}

static int conn_process(tcp_state_t *st, conn_t *c, uint64_t now);

/* Starts serving a connection (new, or given back). */
static conn_t *conn_add(tcp_state_t *st, int fd, const struct sockaddr_storage *peer, uint64_t now)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->peer = *peer;
	c->last = now;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
	if (epoll_ctl(st->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		close(fd);
		free(c);
		return NULL;
	}
	c->next = st->conns;
	if (st->conns)
		st->conns->prev = c;
	st->conns = c;
	st->count++;
	return c;
}

static void do_accept(tcp_state_t *st, int lfd, uint64_t now)
{
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		int fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (st->count >= st->w->max_clients) {
			close(fd); /* over the cap: refuse rather than queue */
			continue;
		}
		conn_add(st, fd, &peer, now);
	}
}

/* Connections another thread gives back (see dns_server_adopt). */
static void do_adopt(tcp_state_t *st, uint64_t now)
{
	tcp_worker_t *w = st->w;
	uint64_t v;
	ssize_t r = read(w->adopt_fd, &v, sizeof(v));
	(void)r;
	pthread_mutex_lock(&w->adopt_mu);
	size_t n = w->nadopt;
	struct adopted *list = malloc((n ? n : 1) * sizeof(*list));
	if (list != NULL)
		memcpy(list, w->adopt, n * sizeof(*list));
	w->nadopt = 0;
	pthread_mutex_unlock(&w->adopt_mu);
	for (size_t i = 0; list && i < n; i++) {
		int fd = list[i].fd;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		conn_t *c = conn_add(st, fd, &list[i].peer, now);
		if (c != NULL && list[i].rest_len > 0) {
			/* What the client sent after the handed-over message. */
			c->in = list[i].rest;
			c->inlen = c->incap = list[i].rest_len;
			list[i].rest = NULL;
			int ret = conn_process(st, c, now);
			if (ret == HANDED_OFF)
				conn_forget(st, c, false);
			else if (ret != 0 || conn_flush(c) != 0)
				conn_close(st, c);
			else
				conn_events(st, c);
		}
		free(list[i].rest);
	}
	free(list);
}

static void sweep(tcp_state_t *st, uint64_t now)
{
	tcp_worker_t *w = st->w;
	for (conn_t *c = st->conns, *next; c; c = next) {
		next = c->next;
		bool expired;
		if (c->msg_start != 0)
			expired = now - c->msg_start >= w->msg_timeout_ms;
		else
			expired = now - c->last >= w->idle_timeout_ms;
		if (expired)
			conn_close(st, c);
	}
}

void *tcp_worker_run(void *arg)
{
	tcp_state_t st = { .w = arg, .ep = -1 };
	tcp_worker_t *w = st.w;
	bool env_ok = false;

	pthread_setname_np(pthread_self(), "ddnsd-tcp");
	dns_thread_priority();
	rcu_register_thread();
	st.resp = malloc(65535);
	if (st.resp == NULL || query_env_init(&st.env, w->zones, w->qc) != 0) {
		log_err("tcp worker: out of memory");
		goto out;
	}
	env_ok = true;
	st.ep = epoll_create1(EPOLL_CLOEXEC);
	if (st.ep < 0)
		goto out;
	/* Listeners and the stop event are told apart by their small data.u64
	 * values; connections carry pointers. */
	struct epoll_event ev = { .events = EPOLLIN };
	for (size_t i = 0; i < w->nfds; i++) {
		ev.data.u64 = i + 1;
		epoll_ctl(st.ep, EPOLL_CTL_ADD, w->fds[i], &ev);
	}
	ev.data.u64 = w->nfds + 1;
	epoll_ctl(st.ep, EPOLL_CTL_ADD, w->stop_fd, &ev);
	ev.data.u64 = w->nfds + 2;
	epoll_ctl(st.ep, EPOLL_CTL_ADD, w->adopt_fd, &ev);

	uint64_t last_sweep = now_ms();
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(st.ep, evs, 64, 100);
		if (n < 0 && errno != EINTR)
			break;
		uint64_t now = now_ms();
		bool stop = false;
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag >= 1 && tag <= w->nfds) {
				do_accept(&st, w->fds[tag - 1], now);
				continue;
			}
			if (tag == w->nfds + 1) {
				stop = true;
				continue;
			}
			if (tag == w->nfds + 2) {
				do_adopt(&st, now);
				continue;
			}
			conn_t *c = evs[i].data.ptr;
			int ret = 0;
			if (!c->eof && (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
				ret = conn_read(&st, c, now);
			if (ret == HANDED_OFF) {
				conn_forget(&st, c, false); /* the transfer thread has the socket */
				continue;
			}
			if (ret == 0)
				ret = conn_flush(c);
			if (ret == 0 && (evs[i].events & EPOLLERR))
				ret = -1;
			if (ret == 0 && (c->eof || (evs[i].events & EPOLLHUP)) && c->outpos == c->outlen)
				ret = -1;
			if (ret != 0) {
				conn_close(&st, c);
				continue;
			}
			if (c->outpos < c->outlen)
				c->last = now;
			conn_events(&st, c);
		}
		if (stop)
			break;
		if (now - last_sweep >= 100) {
			sweep(&st, now);
			last_sweep = now;
		}
	}
out:
	while (st.conns)
		conn_close(&st, st.conns);
	if (st.ep >= 0)
		close(st.ep);
	if (env_ok)
		query_env_deinit(&st.env);
	free(st.resp);
	rcu_unregister_thread();
	return NULL;
}
