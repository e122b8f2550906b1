/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The control-socket server thread; see server.h. One request at a time
 * per connection: the next line is read once the previous reply is out,
 * which keeps replies in order without a queue per connection. Writer jobs
 * come back through a list and an eventfd, so the writer never touches a
 * socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <urcu/uatomic.h>

#include "ctl/proto.h"
#include "ctl/server_int.h"
#include "lib/errors.h"
#include "lib/log.h"

typedef struct conn {
	int fd;
	uint64_t gen;
	char actor[128];
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outpos;
	bool busy;                  /* waiting for the writer */
	bool want_out;              /* EPOLLOUT is registered */
	bool eof;
	struct conn *next, *prev;
} conn_t;

struct ctl_server {
	const conf_t *conf;
	writer_t *writer;
	zoneset_t *const *zones;
	xfr_t *xfr;
	notifier_t *notifier;
	db_t *rdb;
	int lfd, efd, stopfd, ep;
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	ctl_job_t *done;            /* completed by the writer */
	unsigned pending;           /* jobs with the writer */
	conn_t *conns;
	uint64_t next_gen;
	char path[108];
};

ctl_job_t *ctl_job_new(wop_fn op)
{
	ctl_job_t *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->req.op = op;
	j->req.args = &j->a;
	return j;
}

void ctl_job_free(ctl_job_t *j)
{
	if (j == NULL)
		return;
	json_decref(j->req.result);
	json_decref(j->extra);
	if (j->req.op == op_import)
		json_decref(j->a.import);
	free(j);
}

/* Writer thread: hand the job back to the control thread. */
static void job_done(wreq_t *r)
{
	ctl_job_t *j = (ctl_job_t *)r;
	ctl_server_t *s = r->ctx;
	pthread_mutex_lock(&s->mu);
	bool first = s->done == NULL;
	j->next = s->done;
	s->done = j;
	pthread_mutex_unlock(&s->mu);
	/* One wake-up per batch, not a system call per request: the control
	 * thread reads the eventfd before it takes the list, so the signal
	 * for an empty list covers every job added until the list is taken. */
	if (!first)
		return;
	uint64_t one = 1;
	ssize_t n = write(s->efd, &one, sizeof(one));
	(void)n;
}

static void conn_close(ctl_server_t *s, conn_t *c)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c->in);
	free(c->out);
	free(c);
}

static conn_t *conn_find(ctl_server_t *s, void *ptr, uint64_t gen)
{
	for (conn_t *c = s->conns; c; c = c->next)
		if (c == ptr && c->gen == gen)
			return c;
	return NULL;
}

/* Input stays registered all the time (a line that arrives while the
 * writer has the previous request simply waits in the buffer); output only
 * while a reply could not be written at once. Changing the interest set
 * only when it differs saves two epoll_ctl calls per request. */
static void conn_events(ctl_server_t *s, conn_t *c)
{
	if (c->eof && c->busy) {
		/* The client hung up while the writer has its request: stop
		 * watching (EPOLLHUP would fire on every wait); the connection
		 * is closed when the reply comes back. */
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
		return;
	}
	bool want_out = c->outpos < c->outlen;
	if (want_out == c->want_out && !c->eof)
		return;
	struct epoll_event ev = { .data.ptr = c };
	if (want_out)
		ev.events |= EPOLLOUT;
	if (!c->eof)
		ev.events |= EPOLLIN;
	c->want_out = want_out;
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int conn_queue(conn_t *c, json_t *reply)
{
	char *text = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (text == NULL)
		return -ENOMEM;
	size_t len = strlen(text);
	char *nb = realloc(c->out, c->outlen + len + 1);
	if (nb == NULL) {
		free(text);
		return -ENOMEM;
	}
	c->out = nb;
	memcpy(c->out + c->outlen, text, len);
	c->out[c->outlen + len] = '\n';
	c->outlen += len + 1;
	free(text);
	return 0;
}

/* Returns -1 when the connection is finished. */
static int conn_flush(conn_t *c)
{
	while (c->outpos < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outpos, c->outlen - c->outpos, MSG_NOSIGNAL);
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->outpos += n;
	}
	c->outpos = c->outlen = 0;
	return 0;
}

static json_t *finish_job(ctl_job_t *j)
{
	if (j->req.status != 0)
		return ctl_reply_err(j->req.msg);
	json_t *result;
	if (j->req.op == op_host_update && j->a.host_update.out != NULL)
		result = ops_host_update_json(&j->a.host_update, j->a.host_update.out);
	else
		result = j->req.result ? json_incref(j->req.result) : json_object();
	if (result == NULL)
		return ctl_reply_err(ddns_strerror(-ENOMEM));
	if (j->extra && json_is_object(result))
		json_object_update(result, j->extra);
	return ctl_reply_ok(result);
}

static void handle_line(ctl_server_t *s, conn_t *c, const char *line)
{
	json_error_t jerr;
	json_t *req = json_loads(line, 0, &jerr), *reply = NULL;
	ctl_call_t call = { .conf = uatomic_read(&s->conf), .rdb = s->rdb, .zones = s->zones,
	                    .xfr = s->xfr, .notifier = s->notifier };
	snprintf(call.actor, sizeof(call.actor), "%s", c->actor);
	if (req == NULL || !json_is_object(req)) {
		reply = ctl_reply_err("request is not a JSON object");
		goto out;
	}
	json_t *v = json_object_get(req, "v");
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	if (!json_is_integer(v) || json_integer_value(v) != CTL_VERSION) {
		reply = ctl_reply_err("unsupported protocol version (this ddnsd speaks version 1)");
		goto out;
	}
	ctl_handler_t h = cmd ? ctl_command(cmd) : NULL;
	if (h == NULL) {
		char msg[300];
		snprintf(msg, sizeof(msg), "unknown command '%s'", cmd ? cmd : "");
		reply = ctl_reply_err(msg);
		goto out;
	}
	call.args = json_object_get(req, "args");
	if (call.args == NULL)
		call.args = json_object();
	else
		json_incref(call.args);
	int ret = h(&call);
	json_decref(call.args);
	if (ret != 0) {
		reply = ctl_reply_err(call.err[0] ? call.err : ddns_strerror(ret));
		json_decref(call.result);
		ctl_job_free(call.job);
		goto out;
	}
	if (call.job != NULL) {
		/* The reply's JSON is made here, not on the writer. */
		if (call.job->req.op == op_host_update)
			call.job->a.host_update.out = &call.job->host;
		call.job->conn = c;
		call.job->gen = c->gen;
		call.job->req.done = job_done;
		call.job->req.ctx = s;
		c->busy = true;
		s->pending++;
		writer_submit(s->writer, &call.job->req);
		goto out;
	}
	reply = ctl_reply_ok(call.result);
out:
	json_decref(req);
	if (reply != NULL)
		conn_queue(c, reply);
}

static void conn_continue(ctl_server_t *s, conn_t *c);

static int conn_read(ctl_server_t *s, conn_t *c)
{
	if (c->inlen + 4096 > c->incap) {
		size_t cap = c->incap ? c->incap * 2 : 8192;
		if (cap > CTL_LINE_MAX + 8192)
			return -1; /* a line longer than any request may be */
		char *nb = realloc(c->in, cap);
		if (nb == NULL)
			return -1;
		c->in = nb;
		c->incap = cap;
	}
	/* One recv per readiness: the socket is level-triggered, and a second
	 * call would almost always just say EAGAIN. */
	ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen - 1, 0);
	if (n == 0)
		c->eof = true;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	else if (n > 0)
		c->inlen += n;
	conn_continue(s, c);
	return 0;
}

static void do_accept(ctl_server_t *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		conn_t *c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->gen = ++s->next_gen;
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
			snprintf(c->actor, sizeof(c->actor), "ddnsctl uid=%u pid=%d", cred.uid, cred.pid);
		else
			snprintf(c->actor, sizeof(c->actor), "ddnsctl");
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
	}
}

/* Process more lines already buffered on a connection after a reply. */
static void conn_continue(ctl_server_t *s, conn_t *c)
{
	while (!c->busy && memchr(c->in ? c->in : "", '\n', c->inlen) != NULL) {
		char *nl = memchr(c->in, '\n', c->inlen);
		*nl = '\0';
		handle_line(s, c, c->in);
		size_t used = (size_t)(nl - c->in) + 1;
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
}

static void collect_done(ctl_server_t *s)
{
	uint64_t v;
	ssize_t n = read(s->efd, &v, sizeof(v));
	(void)n;
	pthread_mutex_lock(&s->mu);
	if (s->done == NULL) {
		pthread_mutex_unlock(&s->mu);
		return;
	}
	ctl_job_t *list = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->mu);
	while (list) {
		ctl_job_t *j = list;
		list = j->next;
		s->pending--;
		conn_t *c = conn_find(s, j->conn, j->gen);
		if (c != NULL) {
			c->busy = false;
			conn_queue(c, finish_job(j));
			conn_continue(s, c);
			if (conn_flush(c) != 0 || (c->eof && c->outlen == 0 && !c->busy))
				conn_close(s, c);
			else
				conn_events(s, c);
		}
		ctl_job_free(j);
	}
}

static void *ctl_run(void *arg)
{
	ctl_server_t *s = arg;
	bool stopping = false;
	pthread_setname_np(pthread_self(), "ddnsd-ctl");
	for (;;) {
		if (stopping && s->pending == 0)
			break;
		struct epoll_event evs[32];
		/* The timeout and the unconditional collect below make a lost
		 * eventfd wake-up (a failed write) cost a second, not a hang. */
		int n = epoll_wait(s->ep, evs, 32, s->pending ? 1000 : -1);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0)
			collect_done(s);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &s->lfd) {
				if (!stopping)
					do_accept(s);
				continue;
			}
			if (p == &s->efd) {
				collect_done(s);
				continue;
			}
			if (p == &s->stopfd) {
				stopping = true;
				epoll_ctl(s->ep, EPOLL_CTL_DEL, s->stopfd, NULL);
				continue;
			}
			conn_t *c = p;
			int ret = 0;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				ret = conn_read(s, c);
			if (ret == 0)
				ret = conn_flush(c);
			if (ret != 0 || (c->eof && !c->busy && c->outlen == 0)) {
				conn_close(s, c);
				continue;
			}
			conn_events(s, c);
		}
	}
	while (s->conns)
		conn_close(s, s->conns);
	return NULL;
}

int ctl_server_new(const conf_t *conf, writer_t *writer, zoneset_t *const *zones,
                   ctl_server_t **out, char *err, size_t errlen)
{
	ctl_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->conf = conf;
	s->writer = writer;
	s->zones = zones;
	s->lfd = s->efd = s->stopfd = s->ep = -1;
	pthread_mutex_init(&s->mu, NULL);
	snprintf(s->path, sizeof(s->path), "%s", conf->control_socket);

	int ret = db_open(conf->database, 0, &s->rdb, err, errlen);
	if (ret != 0)
		goto fail;
	/* A socket file nobody answers on is left from a crash: replace it. */
	int probe = ctl_connect(s->path);
	if (probe >= 0) {
		close(probe);
		snprintf(err, errlen, "control socket %s is in use by another ddnsd", s->path);
		ret = -EADDRINUSE;
		goto fail;
	}
	unlink(s->path);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0177);
	ret = s->lfd < 0 ? -errno : bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ? -errno : 0;
	umask(old);
	if (ret != 0 || listen(s->lfd, 128) != 0) {
		snprintf(err, errlen, "cannot listen on control socket %s: %s", s->path,
		         strerror(ret ? -ret : errno));
		ret = ret ? ret : -errno;
		goto fail;
	}
	chmod(s->path, 0600);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->efd < 0 || s->stopfd < 0 || s->ep < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		ret = -errno;
		goto fail;
	}
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.ptr = &s->lfd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev);
	ev.data.ptr = &s->efd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &ev);
	ev.data.ptr = &s->stopfd;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->stopfd, &ev);
	*out = s;
	return 0;
fail:
	ctl_server_free(s);
	return ret ? ret : DDNS_ECONF;
}

void ctl_server_set_conf(ctl_server_t *s, const conf_t *conf)
{
	uatomic_set(&s->conf, conf);
}

int ctl_server_start(ctl_server_t *s)
{
	int ret = pthread_create(&s->thread, NULL, ctl_run, s);
	if (ret != 0)
		return -ret;
	s->running = true;
	return 0;
}

void ctl_server_stop(ctl_server_t *s)
{
	if (!s->running)
		return;
	uint64_t one = 1;
	ssize_t n = write(s->stopfd, &one, sizeof(one));
	(void)n;
	pthread_join(s->thread, NULL);
	s->running = false;
}

void ctl_server_free(ctl_server_t *s)
{
	if (s == NULL)
		return;
	ctl_server_stop(s);
	if (s->lfd >= 0) {
		close(s->lfd);
		unlink(s->path);
	}
	if (s->efd >= 0)
		close(s->efd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	if (s->ep >= 0)
		close(s->ep);
	db_close(s->rdb);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void ctl_server_set_replication(ctl_server_t *s, xfr_t *xfr, notifier_t *notifier)
{
	s->xfr = xfr;
	s->notifier = notifier;
}
