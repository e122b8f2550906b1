/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The HTTP ceiling for bench/httpbench.py: libh2o-evloop answering every
 * request with the same `nochg` line, on THREADS threads with a
 * SO_REUSEPORT listener each (as ddnsd's HTTP threads), keep-alive,
 * HTTP/1.1. What wrk reaches against it on the same machine in the same
 * run is what the machine, the kernel's loopback TCP, h2o and the load
 * generator allow; ddnsd's nochg rate is reported as a share of it.
 *
 *   cc -O2 -pthread -DH2O_USE_LIBUV=0 -o bench/out/h2oconst bench/h2oconst.c -lh2o-evloop
 *   bench/out/h2oconst ADDR PORT [THREADS]
 */
#include <pthread.h>
#include <stdio.h>

#include <h2o.h>

#include "listen.h"

static h2o_globalconf_t config;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	static const char body[] = "nochg 198.51.100.1\n";
	req->res.status = 200;
	req->res.reason = "OK";
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	               H2O_STRLIT("text/plain; charset=utf-8"));
	req->res.content_length = sizeof(body) - 1;
	h2o_send_inline(req, body, sizeof(body) - 1);
	return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
	if (err != NULL)
		return;
	h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
	if (sock != NULL)
		h2o_accept(listener->data, sock);
}

static void *run(void *arg)
{
	int fd = *(int *)arg;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept = {0};
	h2o_context_init(&ctx, h2o_evloop_create(), &config);
	accept.ctx = &ctx;
	accept.hosts = config.hosts;
	h2o_socket_t *l = h2o_evloop_socket_create(ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	l->data = &accept;
	h2o_socket_read_start(l, on_accept);
	for (;;)
		h2o_evloop_run(ctx.loop, INT32_MAX);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	int threads, fds[LISTEN_THREADS_MAX];
	if (listen_args(argc, argv, &addr, &threads) != 0)
		return 2;
	for (int i = 0; i < threads; i++) {
		fds[i] = listen_socket(&addr, SOCK_STREAM);
		if (fds[i] < 0) {
			perror("h2oconst: bind/listen");
			return 1;
		}
	}
	h2o_config_init(&config);
	h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
	h2o_handler_t *h = h2o_create_handler(path, sizeof(*h));
	h->on_req = on_req;
	pthread_t t;
	for (int i = 1; i < threads; i++) {
		if (pthread_create(&t, NULL, run, &fds[i]) != 0) {
			fprintf(stderr, "h2oconst: pthread_create failed\n");
			return 1;
		}
	}
	run(&fds[0]);
	return 0;
}
