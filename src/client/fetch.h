/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HTTP GET with libcurl for ddnsc: the checkip pages and the update
 * requests. Sends "User-Agent: ddnsc/VERSION", limits the time and the
 * size of the answer, and keeps what the client needs from the reply:
 * status, body and Retry-After. One request at a time per thread; call
 * fetch_global_init() once before any thread starts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define FETCH_BODY_MAX 65536   /* longer answers are cut here */

typedef struct {
	const char *url;
	const char *username;      /* Basic auth when not NULL */
	const char *password;
	int family;                /* AF_INET/AF_INET6: connect over that family only; AF_UNSPEC: any */
	unsigned timeout;          /* seconds for the whole request */
	unsigned connect_timeout;  /* seconds to connect */
	bool follow;               /* follow up to 3 redirects (never with credentials) */
} fetch_req_t;

typedef struct {
	long status;               /* HTTP status */
	char *body;                /* NUL-terminated; len bytes before the NUL */
	size_t len;
	char retry_after[64];      /* the Retry-After header's value, "" if none */
	char error[256];           /* why the request failed (fetch_get < 0) */
} fetch_result_t;

/* Initialises libcurl. Returns 0 or -EIO. */
int fetch_global_init(void);
void fetch_global_cleanup(void);

/*
 * Performs one GET. Returns 0 when an HTTP answer arrived (any status;
 * *res filled), or -EIO when none did (connection refused, timeout,
 * TLS failure: res->error says which), -ENOMEM. Either way the caller
 * calls fetch_result_deinit(res) afterwards.
 */
int fetch_get(const fetch_req_t *req, fetch_result_t *res);

/* Frees what fetch_get() allocated in res. */
void fetch_result_deinit(fetch_result_t *res);
