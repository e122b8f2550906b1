/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Socket set-up and thread lifecycle of the DNS servers; see server.h.
 * Main thread only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dns/server.h"
#include "lib/errors.h"
#include "lib/log.h"

struct dns_server {
	unsigned nworkers;
	udp_worker_t *udp;
	pthread_t *udp_threads;
	tcp_worker_t tcp;
	pthread_t tcp_thread;
	dns_count_t *counts;        /* one per UDP worker, then TCP's */
	int stop_fd;
	unsigned started;           /* UDP threads running */
	bool tcp_started;
};

/* Bound to 0.0.0.0 or :: (any address of the host). */
static bool is_wildcard(const conf_addr_t *a)
{
	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return a->ss.ss_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

ssize_t dns_udp_reply(int fd, const void *msg, size_t len, const struct sockaddr_storage *peer,
                      socklen_t peerlen, const dns_src_t *src)
{
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_name = (void *)peer, .msg_namelen = peerlen, .msg_iov = &iov,
	                     .msg_iovlen = 1 };
	if (src != NULL && src->len > 0) {
		mh.msg_control = (void *)src->ctl;
		mh.msg_controllen = src->len;
	}
	return sendmsg(fd, &mh, 0);
}

static int open_socket(const conf_addr_t *a, int type, bool reuseport, unsigned bufsize,
                       char *err, size_t errlen)
{
	char as[80];
	int fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a socket for %s: %s",
		         conf_addr_str(a, as, sizeof(as)), strerror(errno));
		return -1;
	}
	int one = 1;
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* On a wildcard, each datagram tells the address it came to, and
	 * the answer leaves from it (udp.c): a host with several addresses
	 * would otherwise answer from whichever the route picks, and the
	 * client would drop it. */
	if (type == SOCK_DGRAM && is_wildcard(a)) {
		if (a->ss.ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	if (bufsize > 0) {
		int sz = (int)bufsize;
		/* FORCE passes rmem_max when we run as root; else take what
		 * the kernel allows. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0) {
		snprintf(err, errlen, "cannot listen on %s (%s): %s", conf_addr_str(a, as, sizeof(as)),
		         type == SOCK_STREAM ? "TCP" : "UDP",
		         errno == EADDRINUSE ? "address already in use" : strerror(errno));
		close(fd);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 1024) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", conf_addr_str(a, as, sizeof(as)),
		         strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void close_all(dns_server_t *s)
{
	for (unsigned i = 0; s->udp && i < s->nworkers; i++) {
		for (size_t j = 0; j < s->udp[i].nfds; j++)
			if (s->udp[i].fds[j] >= 0)
				close(s->udp[i].fds[j]);
		free(s->udp[i].fds);
		free(s->udp[i].wildcard);
	}
	for (size_t j = 0; j < s->tcp.nfds; j++)
		if (s->tcp.fds[j] >= 0)
			close(s->tcp.fds[j]);
	free(s->tcp.fds);
	free(s->udp);
	s->udp = NULL;
	s->tcp.fds = NULL;
}

int dns_server_new(const conf_t *conf, zoneset_t *const *zones, const query_conf_t *qc,
                   dns_server_t **out, char *err, size_t errlen)
{
	dns_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->nworkers = conf->workers;
	if (s->nworkers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		s->nworkers = n > 0 ? (unsigned)n : 1;
	}
	size_t naddr = conf->dns_listen.n;
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->tcp.adopt_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&s->tcp.adopt_mu, NULL);
	s->udp = calloc(s->nworkers, sizeof(*s->udp));
	s->udp_threads = calloc(s->nworkers, sizeof(*s->udp_threads));
	s->tcp.fds = calloc(naddr, sizeof(int));
	s->counts = aligned_alloc(_Alignof(dns_count_t), (s->nworkers + 1) * sizeof(dns_count_t));
	if (s->stop_fd < 0 || s->udp == NULL || s->udp_threads == NULL || s->tcp.fds == NULL ||
	    s->counts == NULL)
		goto nomem;
	for (unsigned i = 0; i <= s->nworkers; i++)
		atomic_init(&s->counts[i].n, 0);
	s->tcp.count = &s->counts[s->nworkers];

	/* TCP listeners first: binding them without SO_REUSEPORT also tells us
	 * whether anyone else holds the port, which UDP sockets with
	 * SO_REUSEPORT from the same user would not. */
	for (size_t j = 0; j < naddr; j++) {
		s->tcp.fds[j] = open_socket(&conf->dns_listen.v[j], SOCK_STREAM, false, 0, err, errlen);
		s->tcp.nfds = j + 1;
		if (s->tcp.fds[j] < 0)
			goto fail;
		int probe = open_socket(&conf->dns_listen.v[j], SOCK_DGRAM, false, 0, err, errlen);
		if (probe < 0)
			goto fail;
		close(probe);
	}
	for (unsigned i = 0; i < s->nworkers; i++) {
		udp_worker_t *w = &s->udp[i];
		w->fds = calloc(naddr, sizeof(int));
		w->wildcard = calloc(naddr, sizeof(bool));
		if (w->fds == NULL || w->wildcard == NULL)
			goto nomem;
		for (size_t j = 0; j < naddr; j++) {
			w->fds[j] = open_socket(&conf->dns_listen.v[j], SOCK_DGRAM, true,
			                        conf->udp_buffer, err, errlen);
			w->wildcard[j] = is_wildcard(&conf->dns_listen.v[j]);
			w->nfds = j + 1;
			if (w->fds[j] < 0)
				goto fail;
		}
		w->stop_fd = s->stop_fd;
		w->count = &s->counts[i];
		w->zones = zones;
		w->qc = qc;
	}
	s->tcp.stop_fd = s->stop_fd;
	s->tcp.zones = zones;
	s->tcp.qc = qc;
	s->tcp.max_clients = conf->tcp_max_clients;
	s->tcp.idle_timeout_ms = conf->tcp_idle_timeout * 1000;
	s->tcp.msg_timeout_ms = conf->tcp_msg_timeout;
	*out = s;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	dns_server_free(s);
	return DDNS_ECONF;
}

uint64_t dns_server_queries(const dns_server_t *s)
{
	uint64_t n = 0;
	for (unsigned i = 0; i <= s->nworkers; i++)
		n += atomic_load_explicit(&s->counts[i].n, memory_order_relaxed);
	return n;
}

void dns_server_set_xfr(dns_server_t *s, dns_xfr_cb cb, void *ctx)
{
	s->tcp.xfr = cb;
	s->tcp.xfr_ctx = ctx;
}

void dns_server_adopt(dns_server_t *s, int fd, const struct sockaddr_storage *peer,
                      const uint8_t *rest, size_t rest_len)
{
	tcp_worker_t *w = &s->tcp;
	uint8_t *copy = NULL;
	if (rest_len > 0 && (copy = malloc(rest_len)) == NULL) {
		close(fd);
		return;
	}
	if (rest_len > 0)
		memcpy(copy, rest, rest_len);
	pthread_mutex_lock(&w->adopt_mu);
	if (w->nadopt == w->adopt_cap) {
		size_t cap = w->adopt_cap ? w->adopt_cap * 2 : 16;
		void *nv = realloc(w->adopt, cap * sizeof(*w->adopt));
		if (nv == NULL) {
			pthread_mutex_unlock(&w->adopt_mu);
			free(copy);
			close(fd);
			return;
		}
		w->adopt = nv;
		w->adopt_cap = cap;
	}
	w->adopt[w->nadopt].fd = fd;
	w->adopt[w->nadopt].peer = *peer;
	w->adopt[w->nadopt].rest = copy;
	w->adopt[w->nadopt].rest_len = rest_len;
	w->nadopt++;
	pthread_mutex_unlock(&w->adopt_mu);
	uint64_t one = 1;
	ssize_t r = write(w->adopt_fd, &one, sizeof(one));
	(void)r;
}

void dns_server_set_update(dns_server_t *s, dns_update_cb cb, void *ctx)
{
	for (unsigned i = 0; i < s->nworkers; i++) {
		s->udp[i].update = cb;
		s->udp[i].update_ctx = ctx;
	}
	s->tcp.update = cb;
	s->tcp.update_ctx = ctx;
}

int dns_server_start(dns_server_t *s)
{
	for (unsigned i = 0; i < s->nworkers; i++) {
		int ret = pthread_create(&s->udp_threads[i], NULL, udp_worker_run, &s->udp[i]);
		if (ret != 0) {
			dns_server_stop(s);
			return -ret;
		}
		s->started++;
	}
	int ret = pthread_create(&s->tcp_thread, NULL, tcp_worker_run, &s->tcp);
	if (ret != 0) {
		dns_server_stop(s);
		return -ret;
	}
	s->tcp_started = true;
	return 0;
}

void dns_server_stop(dns_server_t *s)
{
	for (unsigned i = 0; i < s->nworkers; i++)
		atomic_store(&s->udp[i].stop, true);
	uint64_t one = 1;
	ssize_t w = write(s->stop_fd, &one, sizeof(one));
	(void)w;
	for (unsigned i = 0; i < s->started; i++)
		pthread_join(s->udp_threads[i], NULL);
	s->started = 0;
	if (s->tcp_started)
		pthread_join(s->tcp_thread, NULL);
	s->tcp_started = false;
}

void dns_server_free(dns_server_t *s)
{
	if (s == NULL)
		return;
	if (s->started || s->tcp_started)
		dns_server_stop(s);
	close_all(s);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->tcp.adopt_fd >= 0)
		close(s->tcp.adopt_fd);
	for (size_t i = 0; i < s->tcp.nadopt; i++) {
		close(s->tcp.adopt[i].fd);
		free(s->tcp.adopt[i].rest);
	}
	free(s->tcp.adopt);
	free(s->udp_threads);
	free(s->counts);
	free(s);
}

void dns_thread_priority(void)
{
	/* Linux: the nice value of PRIO_PROCESS with a thread id is that
	 * thread's own. */
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int now = getpriority(PRIO_PROCESS, (id_t)tid);
	if (now > DNS_NICE)
		setpriority(PRIO_PROCESS, (id_t)tid, DNS_NICE);
}
