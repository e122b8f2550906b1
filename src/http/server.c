/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HTTP threads and listeners; see http.h. Each thread runs its own h2o
 * context on its own loop with its own listening sockets (SO_REUSEPORT), so
 * the kernel spreads connections and threads share nothing on the request
 * path but the writer queue and the verification cache.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>
#include <urcu.h>

#include "http/http_int.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/net.h"

#define HTTP_MAX_BODY (64 * 1024)

http_thread_t *http_thread_of(h2o_req_t *req)
{
	return H2O_STRUCT_FROM_MEMBER(http_thread_t, ctx, req->conn->ctx);
}

void http_reply(h2o_req_t *req, int status, const char *reason, const char *body, size_t len)
{
	http_reply_as(req, status, reason, body, len, NULL);
}

void http_reply_as(h2o_req_t *req, int status, const char *reason, const char *body, size_t len,
                   const char *user)
{
	http_send(req, status, reason, "text/plain; charset=utf-8", body, len, body, user);
}

void http_send(h2o_req_t *req, int status, const char *reason, const char *type, const char *body,
               size_t len, const char *result, const char *user)
{
	req->res.status = status;
	req->res.reason = reason;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	               H2O_STRLIT("no-store"));
	/* A length, not chunks: ddclient 3.10 speaks HTTP/1.1 but cannot
	 * read a chunked body. */
	req->res.content_length = len;
	accesslog_write(req, status, result, result == body ? len : strlen(result), user);
	h2o_send_inline(req, body, len);
}

static bool acl_match(const conf_acl_t *acl, const struct sockaddr_storage *ss)
{
	for (size_t i = 0; i < acl->n; i++)
		if (net_in(&acl->v[i], ss))
			return true;
	return false;
}

bool http_peer_in(h2o_req_t *req, const conf_acl_t *acl)
{
	struct sockaddr_storage ss;
	socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
	return sl != 0 && acl_match(acl, &ss);
}

void http_client_addr(h2o_req_t *req, char *buf, size_t len, int *family)
{
	struct sockaddr_storage ss;
	socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
	*family = 0;
	buf[0] = '\0';
	if (sl == 0)
		return;
	http_thread_t *t = http_thread_of(req);
	if (t->srv->conf->trusted_proxies.n > 0 && acl_match(&t->srv->conf->trusted_proxies, &ss)) {
		/* The client is the last address the proxy appended. */
		ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-forwarded-for"), -1);
		if (i >= 0) {
			h2o_iovec_t v = req->headers.entries[i].value;
			const char *end = v.base + v.len, *start = end;
			while (start > v.base && start[-1] != ',')
				start--;
			while (start < end && *start == ' ')
				start++;
			char tmp[INET6_ADDRSTRLEN + 1];
			size_t n = (size_t)(end - start);
			uint8_t bin[16];
			if (n < sizeof(tmp)) {
				memcpy(tmp, start, n);
				tmp[n] = '\0';
				if (inet_pton(AF_INET, tmp, bin) == 1 || inet_pton(AF_INET6, tmp, bin) == 1) {
					*family = strchr(tmp, ':') ? AF_INET6 : AF_INET;
					snprintf(buf, len, "%s", tmp);
					return;
				}
			}
		}
	}
	/* A v4-mapped v6 peer is a v4 client. */
	const uint8_t *ip;
	size_t n = net_ip(&ss, &ip);
	if (n == 0)
		return;
	*family = n == 4 ? AF_INET : AF_INET6;
	net_ntop(*family, ip, buf, len);
}

#define CONNS_SLOTS 4096

/* The counter of the address of sock, created if missing; NULL when the
 * table is full (then there is no limit for it). */
static struct conncount *conn_slot(http_thread_t *t, h2o_socket_t *sock)
{
	struct sockaddr_storage ss;
	uint8_t key[8] = { 0 };
	socklen_t sl = h2o_socket_getpeername(sock, (struct sockaddr *)&ss);
	if (sl == 0)
		return NULL;
	if (ss.ss_family == AF_INET)
		memcpy(key, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		memcpy(key, &((struct sockaddr_in6 *)&ss)->sin6_addr, 8); /* its /64 */
	uint64_t h;
	memcpy(&h, key, 8);
	h *= 0x9E3779B97F4A7C15ULL;
	size_t i = (size_t)(h >> 40) & t->conns_mask;
	struct conncount *free_slot = NULL;
	for (size_t n = 0; n <= t->conns_mask; n++, i = (i + 1) & t->conns_mask) {
		struct conncount *c = &t->conns[i];
		if (c->count > 0 && memcmp(c->key, key, 8) == 0)
			return c;
		if (c->count == 0 && free_slot == NULL)
			free_slot = c;
		if (c->count == 0 && memcmp(c->key, "\0\0\0\0\0\0\0\0", 8) == 0)
			break; /* never used: the key is not further on */
	}
	if (free_slot != NULL) {
		memcpy(free_slot->key, key, 8);
		free_slot->count = 0;
	}
	return free_slot;
}

static void on_conn_close(void *data)
{
	struct conncount *c = data;
	if (c->count > 0)
		c->count--;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
	if (err != NULL)
		return;
	h2o_accept_ctx_t *accept = listener->data;
	http_thread_t *t = H2O_STRUCT_FROM_MEMBER(http_thread_t, ctx, accept->ctx);
	h2o_socket_t *sock;
	/* Several at once: under a burst one wake-up takes many. */
	for (int i = 0; i < 64 && (sock = h2o_evloop_socket_accept(listener)) != NULL; i++) {
		struct conncount *c = t->conns ? conn_slot(t, sock) : NULL;
		if (c != NULL) {
			if (c->count >= t->conns_cap) {
				/* Over the cap for this address: refuse at once. */
				h2o_socket_close(sock);
				continue;
			}
			c->count++;
			sock->on_close.cb = on_conn_close;
			sock->on_close.data = c;
		}
		h2o_accept(accept, sock);
	}
}

static void on_done(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
	while (!h2o_linklist_is_empty(messages)) {
		http_job_t *job = H2O_STRUCT_FROM_MEMBER(http_job_t, msg.link, messages->next);
		h2o_linklist_unlink(&job->msg.link);
		if (job->dialect != DIALECT_API && job->stage == JOB_AUTH) {
			update_verified(job); /* others may wait for it, gone or not */
			continue;
		}
		if (job->req == NULL) {
			/* The client went away; nothing to answer. */
			http_job_free(job);
			continue;
		}
		if (job->dialect == DIALECT_API)
			api_finish(job);
		else
			update_finish(job);
	}
}

/* The request's pool is being freed: the job must not touch it again. */
static void on_req_gone(void *p)
{
	http_job_t *job = *(http_job_t **)p;
	if (job != NULL) {
		job->req = NULL;
		job->link = NULL;
	}
}

http_job_t *http_job_new(h2o_req_t *req, enum dialect d)
{
	http_job_t *job = calloc(1, sizeof(*job));
	if (job == NULL)
		return NULL;
	job->thread = http_thread_of(req);
	job->req = req;
	job->dialect = d;
	/* If the client leaves before the job is answered, the request's
	 * pool is freed; this pointer tells us so. */
	job->link = h2o_mem_alloc_shared(&req->pool, sizeof(void *), on_req_gone);
	*job->link = job;
	return job;
}

void http_job_free(http_job_t *job)
{
	if (job->link)
		*job->link = NULL;
	json_decref(job->wreq.result);
	json_decref(job->body);
	json_decref(job->query);
	json_decref(job->out);
	json_decref(job->extra);
	sodium_memzero(job->secret, sizeof(job->secret));
	sodium_memzero(job->cred, sizeof(job->cred));
	sodium_memzero(job->bearer, sizeof(job->bearer));
	free(job);
}

void http_job_post(http_job_t *job)
{
	h2o_multithread_send_message(&job->thread->done, &job->msg);
}

static void *thread_run(void *arg)
{
	http_thread_t *t = arg;
	pthread_setname_np(pthread_self(), "ddnsd-http");
	rcu_register_thread(); /* memo_answer reads the zones */
	h2o_context_init(&t->ctx, h2o_evloop_create(), &t->srv->h2o);
	h2o_multithread_register_receiver(t->ctx.queue, &t->done, on_done);
	t->accept.ctx = &t->ctx;
	t->accept.hosts = t->srv->h2o.hosts;
	t->accept_tls = t->accept;
	t->accept_tls.ssl_ctx = t->srv->tls;
	t->conns = calloc(CONNS_SLOTS, sizeof(*t->conns));
	t->conns_mask = CONNS_SLOTS - 1;
	t->conns_cap = t->srv->conf->http_conns_per_ip / t->srv->nthreads;
	if (t->conns_cap == 0)
		t->conns_cap = 1;
	t->listeners = calloc(t->nfds, sizeof(*t->listeners));
	for (size_t i = 0; t->listeners && i < t->nfds; i++) {
		t->listeners[i] = h2o_evloop_socket_create(t->ctx.loop, t->fds[i], H2O_SOCKET_FLAG_DONT_READ);
		t->listeners[i]->data = i < t->nplain ? &t->accept : &t->accept_tls;
		h2o_socket_read_start(t->listeners[i], on_accept);
		t->fds[i] = -1; /* the h2o socket owns it now */
	}
	while (!atomic_load(&t->srv->stopping)) {
		h2o_evloop_run(t->ctx.loop, t->log.len > 0 ? LOG_FLUSH_MS : 200);
		accesslog_tick(t);
	}
	/* Stop taking connections, then let requests in flight finish. */
	for (size_t i = 0; t->listeners && i < t->nfds; i++) {
		h2o_socket_read_stop(t->listeners[i]);
		h2o_socket_close(t->listeners[i]);
	}
	free(t->listeners);
	for (int i = 0; i < 10; i++) {
		h2o_evloop_run(t->ctx.loop, 10);
		accesslog_flush(t);
	}
	accesslog_free(t);
	/* Connections still open keep pointers into the table: it stays. */
	rcu_unregister_thread();
	return NULL;
}

static int listen_socket(const conf_addr_t *a, char *err, size_t errlen)
{
	char as[80];
	int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		goto fail;
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* Accepted connections inherit it (h2o accepts with accept4 and
	 * counts on that): without it a reply written in two pieces waits
	 * for the client's delayed ACK, 40 ms on Linux. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, 1024) != 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s (HTTP): %s", conf_addr_str(a, as, sizeof(as)),
	         errno == EADDRINUSE ? "address already in use" : strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static h2o_pathconf_t *route(http_server_t *s, h2o_hostconf_t *host, const char *path,
                             int (*fn)(h2o_handler_t *, h2o_req_t *))
{
	h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
	h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
	h->on_req = fn;
	return pc;
}

static SSL_CTX *tls_context(const conf_t *conf, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, conf->tls_certificate) != 1) {
		snprintf(err, errlen, "tls-certificate %s: cannot load it (PEM expected)",
		         conf->tls_certificate);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, conf->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "tls-key %s: cannot load it, or it does not match the certificate",
		         conf->tls_key);
		goto fail;
	}
	/* HTTP/2 when the client offers it, else HTTP/1.1. */
	h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int open_log(const conf_t *conf)
{
	return open(conf->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int http_server_reopen_log(http_server_t *s)
{
	if (s == NULL || s->access_fd < 0)
		return 0;
	int fd = open_log(s->conf);
	if (fd < 0)
		return -errno;
	/* One atomic step: a thread writing meanwhile writes whole to one
	 * file or the other, and the descriptor's number never changes. */
	int ret = dup3(fd, s->access_fd, O_CLOEXEC) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

int http_server_new(const conf_t *conf, writer_t *writer, http_server_t **out, char *err,
                    size_t errlen)
{
	*out = NULL;
	if (conf->http_listen.n == 0 && conf->https_listen.n == 0)
		return 0;
	http_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->access_fd = -1;
	s->conf = conf;
	s->writer = writer;
	s->nthreads = conf->http_threads;
	int ret = -ENOMEM;
	s->threads = calloc(s->nthreads, sizeof(*s->threads));
	if (s->threads == NULL)
		goto fail;

	/* A busy port must fail start-up: probe without SO_REUSEPORT, which a
	 * listener of another process would otherwise let us share. */
	size_t naddr = conf->http_listen.n + conf->https_listen.n;
	for (size_t j = 0; j < naddr; j++) {
		const conf_addr_t *a = j < conf->http_listen.n ? &conf->http_listen.v[j]
		                                              : &conf->https_listen.v[j - conf->http_listen.n];
		int probe = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		if (a->ss.ss_family == AF_INET6)
			setsockopt(probe, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (probe < 0 || bind(probe, (const struct sockaddr *)&a->ss, a->len) != 0) {
			char as[80];
			snprintf(err, errlen, "cannot listen on %s (HTTP): %s",
			         conf_addr_str(a, as, sizeof(as)),
			         errno == EADDRINUSE ? "address already in use" : strerror(errno));
			if (probe >= 0)
				close(probe);
			ret = DDNS_ECONF;
			goto fail;
		}
		close(probe);
	}
	for (unsigned i = 0; i < s->nthreads; i++) {
		http_thread_t *t = &s->threads[i];
		t->srv = s;
		t->index = i;
		t->fds = calloc(naddr, sizeof(int));
		if (t->fds == NULL)
			goto fail;
		t->nplain = conf->http_listen.n;
		for (size_t j = 0; j < naddr; j++) {
			const conf_addr_t *a = j < conf->http_listen.n ? &conf->http_listen.v[j]
			                                              : &conf->https_listen.v[j - conf->http_listen.n];
			t->fds[j] = listen_socket(a, err, errlen);
			t->nfds = j + 1;
			if (t->fds[j] < 0) {
				ret = DDNS_ECONF;
				goto fail;
			}
		}
	}

	if (conf->https_listen.n > 0 && (s->tls = tls_context(conf, err, errlen)) == NULL) {
		ret = DDNS_ECONF;
		goto fail;
	}
	if (conf->access_log[0] != '\0') {
		s->access_fd = open_log(conf);
		if (s->access_fd < 0) {
			snprintf(err, errlen, "access-log %s: %s", conf->access_log, strerror(errno));
			ret = -errno;
			goto fail;
		}
	}
	/* Failed logins: 30 at once then one per 10 s from an address (its /64
	 * for IPv6); 10 at once then one per 30 s against one account. A
	 * password in the verification cache passes regardless, so an attack
	 * on an account does not lock its owner's router out. */
	/* Identical updates: 10 at once, then one per minute per host is
	 * normal polling; more is answered 911 (back off), and a host that
	 * keeps going after 30 such answers has its updates blocked. */
	if ((ret = limiter_new(262144, 1.0 / 60, 10, &s->nochg)) != 0 ||
	    (ret = limiter_new(65536, 1.0 / 600, 30, &s->strikes)) != 0 ||
	    (ret = limiter_new(65536, 0.1, 30, &s->fail_ip)) != 0 ||
	    (ret = limiter_new(65536, 1.0 / 30, 5, &s->fail_user)) != 0 ||
	    (ret = limiter_new(65536, conf->abuse_reports_per_hour / 3600.0,
	                       conf->abuse_reports_per_hour, &s->reports)) != 0 ||
	    (ret = authcache_new(65536, 3600, &s->cache)) != 0 ||
	    (ret = authcache_gate_init(&s->gate, conf->auth_threads)) != 0 ||
	    (ret = authpool_new(conf, s->cache, &s->gate, &s->auth, err, errlen)) != 0)
		goto fail;
	/* Sized for the hosts there are now (the writer has not started). */
	zoneset_t **zones = writer_zones(writer);
	size_t hosts = 0;
	for (size_t i = 0; i < (*zones)->count; i++)
		hosts += zone_size((*zones)->zones[i]);
	if ((s->memo = memo_new(hosts, zones)) == NULL) {
		ret = -ENOMEM;
		goto fail;
	}

	h2o_config_init(&s->h2o);
	s->h2o.max_request_entity_size = HTTP_MAX_BODY;
	s->h2o.server_name = h2o_iovec_init(H2O_STRLIT("ddnsd"));
	/* A request must arrive whole, and a connection may idle, this long:
	 * a slowloris client holds a connection for at most this time. */
	s->h2o.http1.req_timeout = (uint64_t)conf->http_timeout * 1000;
	s->h2o.http2.idle_timeout = (uint64_t)conf->http_timeout * 1000;
	h2o_hostconf_t *host = h2o_config_register_host(&s->h2o, h2o_iovec_init(H2O_STRLIT("default")),
	                                                65535);
	route(s, host, "/nic/update", update_on_nic);
	route(s, host, "/v3/update", update_on_nic);
	route(s, host, "/update", update_on_duck);
	route(s, host, "/checkip", update_on_checkip);
	route(s, host, "/api/v1", api_on_request);
	route(s, host, "/.well-known/security.txt", api_on_security_txt);
	route(s, host, "/metrics", metrics_on_request);
	/* Last: the routes above keep their paths, the dashboard has the rest. */
	if ((ret = static_site_load(conf->web_root, &s->site, err, errlen)) != 0)
		goto fail;
	route(s, host, "/", static_on_request);
	*out = s;
	return 0;
fail:
	http_server_free(s);
	return ret;
}

void http_server_set_stats(http_server_t *s, struct stats *stats)
{
	s->stats = stats;
}

void http_server_set_replication(http_server_t *s, struct xfr *xfr, struct notifier *notifier)
{
	s->xfr = xfr;
	s->notifier = notifier;
}

int http_server_start(http_server_t *s)
{
	for (unsigned i = 0; i < s->nthreads; i++) {
		int ret = pthread_create(&s->threads[i].thread, NULL, thread_run, &s->threads[i]);
		if (ret != 0)
			return -ret;
		s->threads[i].started = true;
	}
	return 0;
}

void http_server_stop(http_server_t *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stopping, true);
	for (unsigned i = 0; i < s->nthreads; i++) {
		if (s->threads[i].started)
			pthread_join(s->threads[i].thread, NULL);
		s->threads[i].started = false;
	}
}

void http_server_free(http_server_t *s)
{
	if (s == NULL)
		return;
	http_server_stop(s);
	for (unsigned i = 0; s->threads && i < s->nthreads; i++) {
		for (size_t j = 0; j < s->threads[i].nfds; j++)
			if (s->threads[i].fds[j] >= 0)
				close(s->threads[i].fds[j]);
		free(s->threads[i].fds);
		free(s->threads[i].conns);
	}
	authpool_free(s->auth);
	authcache_free(s->cache);
	limiter_free(s->fail_ip);
	limiter_free(s->fail_user);
	limiter_free(s->nochg);
	limiter_free(s->strikes);
	limiter_free(s->reports);
	memo_free(s->memo);
	if (s->access_fd >= 0)
		close(s->access_fd);
	if (s->tls)
		SSL_CTX_free(s->tls);
	static_site_free(s->site);
	free(s->threads);
	free(s);
}
