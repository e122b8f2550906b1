/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Writer benchmark client: C connections to ddnsd's control socket, each
 * with one request in flight, each request a durable change of one host's
 * IPv4 address (answered only after COMMIT and publication). Reports the
 * rate of acknowledged changes and their latency percentiles; optionally
 * checks, for every Nth acknowledged change, that DNS already answers the
 * new address (visibility right after the acknowledgement).
 *
 *   ctlbench SOCKET CLIENTS SECONDS ZONE NHOSTS [DNSPORT [RATE]]
 * Hosts are named hostNNNNNNN.ZONE (7 digits), as bench/run creates them.
 * RATE > 0: at most RATE changes a second over all clients, sent on a
 * fixed schedule by whichever client is free (open loop while a client
 * is free; DNSPORT 0 skips the visibility checks).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	int fd;
	unsigned id;
	uint64_t seq;
	double sent;
	char in[4096];
	size_t inlen;
	char host[64];
	char addr[32];
} client_t;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static const char *zone;
static unsigned nhosts, nclients;
static uint32_t salt;      /* per run, so that a second run changes addresses too */

static void send_next(client_t *c)
{
	/* Each client owns the hosts id, id + C, id + 2C, ...; addresses
	 * change every time and differ from the previous run's (salt), so
	 * every request is a real change: a repeated value would be a nochg
	 * that writes nothing (those are counted apart, not in the rate). */
	unsigned h = (unsigned)((c->id + c->seq * nclients) % nhosts);
	uint32_t v = (uint32_t)(c->seq + 1 + salt);
	snprintf(c->host, sizeof(c->host), "host%07u.%s", h, zone);
	snprintf(c->addr, sizeof(c->addr), "%s.%u.%u", (v >> 16) & 1 ? "203.0" : "198.51",
	         (v >> 8) & 0xff, v & 0xff);
	char req[256];
	int n = snprintf(req, sizeof(req),
	                 "{\"v\":1,\"cmd\":\"host.set\",\"args\":{\"name\":\"%s\",\"ipv4\":\"%s\"}}\n",
	                 c->host, c->addr);
	c->sent = now();
	if (write(c->fd, req, n) != n) {
		perror("write");
		exit(1);
	}
}

/* Sends an A query for name to 127.0.0.1:port; returns 1 if the answer
 * holds addr. */
static int dns_has(int port, const char *name, const char *addr)
{
	uint8_t q[512], r[512];
	size_t len = 12;
	memset(q, 0, 12);
	q[0] = 0x42;
	q[5] = 1;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		q[len++] = (uint8_t)l;
		memcpy(q + len, p, l);
		len += l;
		p += l + (dot ? 1 : 0);
	}
	q[len++] = 0;
	q[len++] = 0; q[len++] = 1; q[len++] = 0; q[len++] = 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	sendto(fd, q, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ok = 0;
	if (poll(&pfd, 1, 1000) == 1) {
		ssize_t n = recv(fd, r, sizeof(r), 0);
		uint8_t a[4];
		inet_pton(AF_INET, addr, a);
		for (ssize_t i = 12; n > 0 && i + 4 <= n; i++)
			if (memcmp(r + i, a, 4) == 0)
				ok = 1;
	}
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: ctlbench SOCKET CLIENTS SECONDS ZONE NHOSTS [DNSPORT]\n");
		return 2;
	}
	const char *path = argv[1];
	nclients = (unsigned)atoi(argv[2]);
	double secs = atof(argv[3]);
	zone = argv[4];
	nhosts = (unsigned)atoi(argv[5]);
	int dnsport = argc > 6 ? atoi(argv[6]) : 0;
	double rate = argc > 7 ? atof(argv[7]) : 0;
	salt = (uint32_t)time(NULL) * 2654435761u ^ (uint32_t)getpid();
	salt &= 0x1ffff;
	client_t *cl = calloc(nclients, sizeof(*cl));
	size_t lat_cap = 1 << 22, nlat = 0;
	double *lat = malloc(lat_cap * sizeof(double));
	int ep = epoll_create1(0);
	for (unsigned i = 0; i < nclients; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		cl[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(cl[i].fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
			perror("connect");
			return 1;
		}
		cl[i].id = i;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &cl[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
	}
	double start = now(), end = start + secs;
	/* Paced: the free clients wait in a stack for the next slot. */
	client_t **idle = calloc(nclients, sizeof(*idle));
	unsigned nidle = 0;
	double slot = start;
	unsigned inflight = 0;
	for (unsigned i = 0; i < nclients; i++) {
		if (rate > 0) {
			idle[nidle++] = &cl[i];
			continue;
		}
		send_next(&cl[i]);
		inflight++;
	}
	uint64_t ok = 0, errors = 0, checked = 0, visible = 0, nochg = 0;
	for (;;) {
		double t0 = now();
		while (rate > 0 && nidle > 0 && slot <= t0 && t0 < end) {
			send_next(idle[--nidle]);
			inflight++;
			slot += 1.0 / rate;
			if (slot < t0 - 0.05)
				slot = t0; /* far behind: no catch-up burst */
		}
		if (inflight == 0 && (rate <= 0 || t0 >= end))
			break;
		int wait = 5000;
		if (rate > 0 && nidle > 0 && t0 < end)
			wait = slot > t0 ? (int)((slot - t0) * 1000) + 1 : 0;
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, wait);
		if (n < 0 || (n == 0 && wait == 5000)) {
			fprintf(stderr, "ctlbench: no reply for 5 s\n");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			client_t *c = evs[i].data.ptr;
			ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
			if (r <= 0) {
				fprintf(stderr, "ctlbench: connection closed\n");
				return 1;
			}
			c->inlen += r;
			char *nl = memchr(c->in, '\n', c->inlen);
			if (nl == NULL)
				continue;
			double t = now();
			if (strstr(c->in, "\"ok\":true") != NULL && strstr(c->in, "\"nochg\":true")) {
				nochg++;
			} else if (strstr(c->in, "\"ok\":true") != NULL) {
				ok++;
				if (nlat < lat_cap)
					lat[nlat++] = t - c->sent;
				if (dnsport && ok % 997 == 0) {
					checked++;
					visible += dns_has(dnsport, c->host, c->addr);
				}
			} else {
				if (errors < 3)
					fprintf(stderr, "ctlbench: %.*s\n", (int)(nl - c->in), c->in);
				errors++;
			}
			c->inlen = 0;
			c->seq++;
			if (t < end && rate <= 0) {
				send_next(c);
				continue;
			}
			inflight--;
			if (rate > 0)
				idle[nidle++] = c;
		}
	}
	double el = now() - start;
	qsort(lat, nlat, sizeof(double), cmp_double);
	double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(size_t)(nlat * 0.99)] : 0;
	printf("{\"clients\": %u, \"seconds\": %.2f, \"acknowledged\": %llu, \"errors\": %llu, "
	       "\"rate\": %.0f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, \"visibility_checked\": %llu, "
	       "\"visible_at_ack\": %llu, \"nochg\": %llu}\n",
	       nclients, el, (unsigned long long)ok, (unsigned long long)errors, ok / el, p50 * 1e3,
	       p99 * 1e3, (unsigned long long)checked, (unsigned long long)visible,
	       (unsigned long long)nochg);
	return errors ? 1 : 0;
}
