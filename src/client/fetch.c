/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libcurl wrapper; see fetch.h. The easy handle lives for one request:
 * ddnsc sends a few requests per interval, so keeping connections open
 * buys nothing and would hold sockets to the provider all day.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client/fetch.h"

#ifndef DDNSD_VERSION
#define DDNSD_VERSION "0"
#endif

int fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	fetch_result_t *res = user;
	size_t len = size * n, take = len;
	if (res->len + take > FETCH_BODY_MAX)
		take = FETCH_BODY_MAX - res->len;
	if (take > 0) {
		char *nb = realloc(res->body, res->len + take + 1);
		if (nb == NULL)
			return 0; /* curl fails the transfer */
		res->body = nb;
		memcpy(res->body + res->len, data, take);
		res->len += take;
		res->body[res->len] = '\0';
	}
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	fetch_result_t *res = user;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t vl = len - (sizeof(name) - 1);
		while (vl > 0 && isspace((unsigned char)*v)) {
			v++;
			vl--;
		}
		while (vl > 0 && isspace((unsigned char)v[vl - 1]))
			vl--;
		if (vl >= sizeof(res->retry_after))
			vl = sizeof(res->retry_after) - 1;
		memcpy(res->retry_after, v, vl);
		res->retry_after[vl] = '\0';
	} else if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100): forget the old header. */
		res->retry_after[0] = '\0';
	}
	return len;
}

int fetch_get(const fetch_req_t *req, fetch_result_t *res)
{
	memset(res, 0, sizeof(*res));
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	int ret = 0;
	if (c == NULL) {
		snprintf(res->error, sizeof(res->error), "cannot initialise libcurl");
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ddnsc/" DDNSD_VERSION);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)req->timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)req->connect_timeout);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, res);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (req->family == AF_INET)
		curl_easy_setopt(c, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
	else if (req->family == AF_INET6)
		curl_easy_setopt(c, CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V6);
	if (req->username != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, req->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, req->password ? req->password : "");
	} else if (req->follow) {
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	}

	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(res->error, sizeof(res->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		ret = rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	if (res->body == NULL && (res->body = calloc(1, 1)) == NULL)
		ret = -ENOMEM;
out:
	curl_easy_cleanup(c);
	return ret;
}

void fetch_result_deinit(fetch_result_t *res)
{
	free(res->body);
	res->body = NULL;
	res->len = 0;
}
