/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The DNS servers: one UDP worker thread per configured worker, each with its
 * own SO_REUSEPORT socket on every listen address (recvmmsg/sendmmsg
 * batches), and one TCP thread (RFC 7766: pipelining, idle and message
 * timeouts, a connection cap) so that TCP never slows UDP. All of them only
 * read the zone store through the query engine. Created, started and stopped
 * by the main thread.
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <pthread.h>

#include "dns/query.h"
#include "dns/zone.h"
#include "lib/conf.h"

typedef struct dns_server dns_server_t;

/* Where a UDP answer must leave from, for a socket bound to a wildcard
 * address (0.0.0.0, ::): the control message (IP_PKTINFO, IPV6_PKTINFO)
 * for sendmsg; len 0 when the socket's own address will do. */
#define DNS_SRC_CTL_MAX 64
typedef struct {
	uint8_t ctl[DNS_SRC_CTL_MAX];
	size_t len;
} dns_src_t;

/* Sends a UDP answer to peer from src's address (src NULL or empty: the
 * socket's). What sendmsg returns. */
ssize_t dns_udp_reply(int fd, const void *msg, size_t len, const struct sockaddr_storage *peer,
                      socklen_t peerlen, const dns_src_t *src);

/*
 * Dynamic updates (RFC 2136) leave the DNS threads the same way: a UDP
 * UPDATE message is passed with the socket, the sender's address and the
 * answer's source (the callback answers with dns_udp_reply on that socket,
 * from its own thread); a TCP
 * connection whose next message is an UPDATE is handed over like a
 * transfer (tcp = true, fd is the connection, owned by the callback; rest
 * is what the client sent after that message, to give back with the
 * connection).
 */
typedef void (*dns_update_cb)(int fd, bool tcp, const uint8_t *msg, size_t len,
                              const uint8_t *pending, size_t pending_len,
                              const uint8_t *rest, size_t rest_len,
                              const struct sockaddr_storage *peer, socklen_t peerlen,
                              const dns_src_t *src, void *ctx);
void dns_server_set_update(dns_server_t *s, dns_update_cb cb, void *ctx);

/*
 * Gives a TCP connection back to the TCP thread after a handed-over message
 * was answered, so that the client may go on (a secondary's SOA check is
 * followed by its IXFR on the same connection) without any other thread
 * waiting on it. Any thread; the socket is the TCP thread's afterwards.
 */
void dns_server_adopt(dns_server_t *s, int fd, const struct sockaddr_storage *peer,
                      const uint8_t *rest, size_t rest_len);

/*
 * Opens and binds every socket, so that a busy port or a bad address is
 * reported before anything runs. zones and qc must outlive the server.
 * Returns 0 and *out, or an error with a one-line reason in err.
 */
int dns_server_new(const conf_t *conf, zoneset_t *const *zones, const query_conf_t *qc,
                   dns_server_t **out, char *err, size_t errlen);

/* Starts the worker threads. 0 or an error (then nothing runs). */
int dns_server_start(dns_server_t *s);

/* Stops and joins the threads; queries in progress are answered. */
void dns_server_stop(dns_server_t *s);

void dns_server_free(dns_server_t *s);

/*
 * DNS messages received by the DNS threads so far (every UDP datagram, and
 * TCP messages other than updates and transfers), for the status page's
 * queries per second. Each
 * thread counts its own in a cache line of its own; this sums them. Any
 * thread; the sum is a moment's, not a snapshot of all threads at once.
 */
uint64_t dns_server_queries(const dns_server_t *s);

/* One thread's query count, alone in its cache line: only that thread
 * writes it (a relaxed load and store: no locked instruction, no line
 * bouncing between workers), dns_server_queries reads it. */
typedef struct {
	_Alignas(64) _Atomic uint64_t n;
} dns_count_t;

static inline void dns_count_add(dns_count_t *c, uint64_t n)
{
	atomic_store_explicit(&c->n, atomic_load_explicit(&c->n, memory_order_relaxed) + n,
	                      memory_order_relaxed);
}

/* Internal: the thread bodies (udp.c, tcp.c). */
typedef struct udp_worker udp_worker_t;
typedef struct tcp_worker tcp_worker_t;
/* Called first by every DNS thread: raises its priority above the rest of
 * ddnsd (nice DNS_NICE) when the process may (root, CAP_SYS_NICE), so that
 * writes, HTTP and transfers competing for the cores never delay answers.
 * Without the privilege it changes nothing. */
#define DNS_NICE (-5)
void dns_thread_priority(void);

void *udp_worker_run(void *arg);
void *tcp_worker_run(void *arg);

struct udp_worker {
	dns_update_cb update;
	void *update_ctx;
	int *fds;
	bool *wildcard;                  /* fds[i] is bound to 0.0.0.0 or :: */
	size_t nfds;
	int stop_fd;                     /* eventfd: readable when stopping */
	atomic_bool stop;                /* set before stop_fd is written */
	zoneset_t *const *zones;
	const query_conf_t *qc;
	dns_count_t *count;              /* queries received */
};

/*
 * Zone transfers leave the TCP thread: a connection whose next message is
 * an AXFR or IXFR query is handed, with that message and any replies not
 * yet written, to this callback, which owns the socket from then on (it
 * may block: it runs its own thread). Set before dns_server_start.
 */
typedef void (*dns_xfr_cb)(int fd, const uint8_t *query, size_t len, const uint8_t *pending,
                           size_t pending_len, const struct sockaddr_storage *peer, void *ctx);
void dns_server_set_xfr(dns_server_t *s, dns_xfr_cb cb, void *ctx);



struct tcp_worker {
	int adopt_fd;                    /* eventfd: connections given back */
	pthread_mutex_t adopt_mu;
	struct adopted { int fd; struct sockaddr_storage peer; uint8_t *rest; size_t rest_len; } *adopt;
	size_t nadopt, adopt_cap;
	dns_xfr_cb xfr;
	void *xfr_ctx;
	dns_update_cb update;
	void *update_ctx;
	int *fds;                        /* listening sockets */
	size_t nfds;
	int stop_fd;
	zoneset_t *const *zones;
	const query_conf_t *qc;
	dns_count_t *count;              /* queries received */
	unsigned max_clients;
	unsigned idle_timeout_ms;
	unsigned msg_timeout_ms;
};
