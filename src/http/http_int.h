/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shared by the files of src/http only. */
#pragma once

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "auth/cache.h"
#include "abuse/desk.h"
#include "http/limit.h"
#include "http/memo.h"
#include "http/http.h"
#include "store/account.h"
#include "store/db.h"
#include "upd/httpop.h"
#include "upd/ops.h"

typedef struct http_thread http_thread_t;
typedef struct http_job http_job_t;
typedef struct authpool authpool_t;
typedef struct static_site static_site_t;

struct http_server {
	const conf_t *conf;
	writer_t *writer;
	h2o_globalconf_t h2o;
	unsigned nthreads;
	http_thread_t *threads;
	authpool_t *auth;
	authcache_t *cache;
	authcache_gate_t gate;
	limiter_t *fail_ip;                 /* failed logins per client address */
	limiter_t *fail_user;               /* failed logins per account */
	limiter_t *nochg;                   /* identical updates per host */
	limiter_t *strikes;                 /* throttled identical updates per host */
	limiter_t *reports;                 /* public abuse reports per client address */
	memo_t *memo;                       /* repeated updates answered here */
	int access_fd;                      /* the access log, -1 when off */
	SSL_CTX *tls;                       /* for https-listen, or NULL */
	static_site_t *site;                /* the dashboard's files, or NULL */
	struct stats *stats;                /* the status page's rates (stats.h) */
	struct xfr *xfr;                    /* transfers to secondaries, or NULL */
	struct notifier *notifier;          /* NOTIFYs to secondaries, or NULL */
	atomic_bool stopping;
};

struct http_thread {
	http_server_t *srv;
	unsigned index;
	pthread_t thread;
	bool started;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept;
	h2o_multithread_receiver_t done;   /* results from the writer and auth threads */
	h2o_accept_ctx_t accept_tls;        /* the same over TLS */
	int *fds;                           /* listening sockets of this thread: */
	size_t nfds;                        /* http-listen ones, then https-listen */
	size_t nplain;                      /* how many are plain HTTP */
	h2o_socket_t **listeners;
	bool stop;
	bool memo_reply;                    /* the reply being sent came from the memo
	                                       (memo.h); the access log notes it */
	struct logbuf {                     /* access-log lines not yet written */
		char *p;
		size_t len, cap;
	} log;
	uint64_t log_written;               /* loop time (ms) of the last write */
	/* Replies by status class (index status / 100), for /metrics; only
	 * this thread adds, others read. */
	_Atomic uint64_t replies[6];
	time_t log_sec;                     /* the second log_when spells */
	char log_when[24];
	size_t log_whenlen;
	/* Password verifications this thread has in flight (update jobs in
	 * JOB_AUTH), each with the requests waiting for the same answer. */
	http_job_t *verifying;
	/* Open connections per client address (IPv6: per /64), this thread's
	 * share of http-conns-per-ip. Open addressing; a slot whose count is
	 * 0 is free for another address. */
	struct conncount {
		uint8_t key[8];
		uint32_t count;
	} *conns;
	size_t conns_mask;
	unsigned conns_cap;
};

/* What a request is waiting for. */
enum job_stage { JOB_AUTH, JOB_WRITE, JOB_API_DONE };

enum dialect { DIALECT_DYNDNS2, DIALECT_DUCKDNS, DIALECT_API };

/* One asynchronous request. Allocated with malloc: it may outlive the h2o
 * request (a client that hangs up) until the writer hands it back. */
struct http_job {
	h2o_multithread_message_t msg;      /* link for the receiver: first */
	http_thread_t *thread;
	h2o_req_t *req;                     /* NULL once the request is gone */
	void **link;                        /* pool-owned pointer back to us */
	enum job_stage stage;
	enum dialect dialect;
	bool verbose;
	bool from_memo;                     /* answered without the writer */
	/* authentication */
	char user[256];                     /* the name given */
	char secret[1100];                  /* the password or token given */
	size_t secret_len;
	int auth_result;                    /* 0 ok, DDNS_EAUTH, -EBUSY, ... */
	uint8_t cred[AUTHCACHE_MAC_LEN];    /* the cache's MAC of (user, password) */
	http_job_t *next_verifying;         /* the thread's verifying list */
	http_job_t *waiters;                /* jobs with the same credentials */
	http_job_t *next_waiter;
	bool waited;                        /* answered by another job's verification */
	uint8_t ipkey[16];                  /* client address (v6: its /64) */
	size_t ipkeylen;
	/* the change */
	wreq_t wreq;
	hup_t hup;
	/* the JSON API: work done on an auth thread (with its database
	 * connection) instead of a password check */
	void (*work)(db_t *db, http_job_t *job);
	char method[8];
	char path[512];
	json_t *body;
	json_t *query;                      /* the query string's parameters */
	char bearer[64];
	int status;                         /* the reply's HTTP status */
	json_t *out;                        /* the reply's JSON body */
	json_t *extra;                      /* secrets for the reply only */
	union {
		op_host_update_t host_update;
		op_token_add_t token_add;
		op_token_revoke_t token_revoke;
		op_apitoken_t apitoken;
		op_report_t report;
		op_appeal_t appeal;
		op_host_add_t host_add;
		op_host_del_t host_del;
		op_host_state_t host_state;
		op_abuse_decide_t abuse_decide;
		op_account_t account;
	} api;
	/* browser sessions (api_account.c) */
	char cookie[64];                    /* the ddnsd_session cookie, "" if none */
	char csrf[64];                      /* the X-CSRF-Token header, "" if none */
	bool tls;                           /* came in over https-listen */
	int64_t session;                    /* authenticated by this session (0: not by a cookie) */
	struct {
		const char *name;           /* lower case, static */
		char value[320];
	} xhdr[2];                          /* extra reply headers: Set-Cookie, Retry-After, ... */
	unsigned nxhdr;
	http_job_t *next;                   /* auth queue link */
};

/* Sends the reply of a finished job (loop thread). */
void update_finish(http_job_t *job);

/* Called on the loop thread when authentication of job is done. */
void update_authenticated(http_job_t *job);

/* Queues job for a slow verification; the result comes back to its loop. */
int authpool_submit(authpool_t *p, http_job_t *job);
int authpool_new(const conf_t *conf, authcache_t *cache, authcache_gate_t *gate,
                 authpool_t **out, char *err, size_t errlen);
void authpool_free(authpool_t *p);

/* On an auth thread: checks job->user / job->secret against the database
 * (argon2id; unknown users cost the same). 0 or DDNS_EAUTH. */
int authpool_verify_password(authpool_t *p, db_t *db, http_job_t *job);

/* Posts job back to its loop (any thread). */
void http_job_post(http_job_t *job);

/* Handlers. */
int update_on_nic(h2o_handler_t *self, h2o_req_t *req);
int update_on_duck(h2o_handler_t *self, h2o_req_t *req);
int update_on_checkip(h2o_handler_t *self, h2o_req_t *req);
int api_on_request(h2o_handler_t *self, h2o_req_t *req);
int api_on_security_txt(h2o_handler_t *self, h2o_req_t *req);

/* The dashboard's files (static.c): reads every file of dir into memory
 * (main thread, before the loops start); dir "" or NULL: *out is NULL and
 * the dashboard is off. DDNS_ECONF with a reason in err when dir cannot be
 * read or has no index.html. */
int static_site_load(const char *dir, static_site_t **out, char *err, size_t errlen);
void static_site_free(static_site_t *s);
/* GET/HEAD of a dashboard file (`/`, `/app.js`, ...), from memory. */
int static_on_request(h2o_handler_t *self, h2o_req_t *req);
/* Adds the headers that keep a reply out of frames and type guessing;
 * page: a dashboard page, which also gets the full Content-Security-Policy,
 * Referrer-Policy and X-Frame-Options. */
void static_security_headers(h2o_req_t *req, bool page);

/* Sends the reply of a finished API job (loop thread). */
void api_finish(http_job_t *job);

/* The query string's parameters, percent-decoded, as a JSON object of
 * strings (a key given twice: the last); NULL when it is malformed (a bad
 * escape, a control character, not UTF-8, too many). Loop thread. */
json_t *http_query_json(h2o_req_t *req);

/*
 * The API's routes in files of their own, called by api.c's route() on an
 * auth thread once the caller (uid) is authenticated: they answer with
 * api_done() or hand a change on with api_submit(), and return 1, or
 * return 0 when the path is not theirs. api_error sets the reply to
 * {"error": ...} with status.
 */
int api_hosts_route(db_t *db, http_job_t *job, int64_t uid, char **seg, int n);
int api_admin_route(db_t *db, http_job_t *job, int64_t uid, char **seg, int n);
void api_error(http_job_t *job, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int api_done(http_job_t *job);
int api_submit(http_job_t *job, wop_fn op, void *args);

/* A host as GET /api/v1/hosts/NAME shows it: records, history, tokens
 * (no secrets) and the abuse cases about it (operator: with evidence and
 * reporter, else without). */
json_t *api_host_detail(db_t *db, const db_host_t *h, bool operator);

/* The caller's (uid's) host called name into h and its normalised name
 * into fqdn; otherwise false with the reply set (400, or 404 also for
 * another user's host). */
bool api_own_host(db_t *db, http_job_t *job, int64_t uid, const char *name, db_host_t *h,
                  char *fqdn, size_t len);

/* For api_account.c, from api.c (auth thread): authenticates job (Bearer,
 * Basic, then the session cookie with its CSRF rule); sets an error reply
 * and its status; posts a finished job back to its loop; adds a reply
 * header (name lower case, static). */
bool api_authenticate(db_t *db, http_job_t *job, int64_t *uid);
void api_header(http_job_t *job, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* JSON rows of a host's history and of token metadata (never a secret),
 * for the foreach functions of store/account.h; ctx is the json_t array. */
int api_history_row(const db_history_t *h, void *ctx);
int api_token_row(const db_token_t *t, void *ctx);
/* The address's failed-login bucket: false (429 set) when it is empty. */
bool api_ip_allowed(http_job_t *job);
/* 429 with Retry-After for the key of limiter l. */
void api_limited(http_job_t *job, limiter_t *l, const void *key, size_t len, const char *msg);

/* Browser sessions and accounts (api_account.c). On the loop thread:
 * reads the session cookie, the CSRF header and the scheme. On the auth
 * thread: whether seg0 is one of its routes, and answers them; checks a
 * session cookie for api_authenticate (false: an error is set). */
void api_account_parse(http_job_t *job, h2o_req_t *req);
bool api_account_owns(const char *seg0);
int api_account_route(db_t *db, http_job_t *job, char **seg, int n);
bool api_session_auth(db_t *db, http_job_t *job, int64_t *uid);

/* A job for req (zeroed, on req's loop thread); it learns through job->req
 * (NULL then) when the client goes away. NULL when out of memory. */
http_job_t *http_job_new(h2o_req_t *req, enum dialect d);

/* Frees a job (its secrets wiped) and detaches it from its request. */
void http_job_free(http_job_t *job);

/* A password verification came back (on the job's loop thread): answers
 * it and every request that waited for the same credentials, freeing
 * those whose client left. */
void update_verified(http_job_t *job);

/* The server of a request's loop. */
http_thread_t *http_thread_of(h2o_req_t *req);

/* The address the request came from (trusted proxies' X-Forwarded-For
 * honoured), as text. */
void http_client_addr(h2o_req_t *req, char *buf, size_t len, int *family);

/* Sends a text/plain reply (and logs it; user: who authenticated, if any). */
void http_reply(h2o_req_t *req, int status, const char *reason, const char *body, size_t len);
/* Whether the connection's peer (not X-Forwarded-For) is in acl. */
bool http_peer_in(h2o_req_t *req, const conf_acl_t *acl);
/* GET /metrics (metrics.c). */
int metrics_on_request(h2o_handler_t *self, h2o_req_t *req);
void http_reply_as(h2o_req_t *req, int status, const char *reason, const char *body, size_t len,
                   const char *user);
/* The same with a Content-Type of its own (a literal: h2o keeps the
 * pointer), and result (a string) in the
 * access log instead of the body (result == body: the body, len bytes). */
void http_send(h2o_req_t *req, int status, const char *reason, const char *type, const char *body,
               size_t len, const char *result, const char *user);

/* Writes the access-log line of a reply (secrets masked). user: the name
 * that authenticated, or NULL. */
void accesslog_write(h2o_req_t *req, int status, const char *body, size_t len,
                     const char *user);
/* After each turn of the thread's loop: writes out the gathered lines
 * when LOG_FLUSH_MS passed since the last write (a loop holding lines
 * waits no longer than that for events). */
#define LOG_FLUSH_MS 100
void accesslog_tick(http_thread_t *t);
/* Writes out the thread's gathered lines now. */
void accesslog_flush(http_thread_t *t);
/* Flushes and frees the thread's buffer (when the thread ends). */
void accesslog_free(http_thread_t *t);
