/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The configuration file: an INI file read with inih into a conf_t. Every
 * key is one row of the schema table in conf.c (name, type, bounds,
 * default), which `ddnsd --check` and the daemon share. Parsing is done once
 * by the main thread; the result is read-only afterwards and may be read by
 * any thread. A reload builds a new conf_t.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONF_NAME_MAX 255

typedef struct {
	struct sockaddr_storage ss;
	socklen_t len;
} conf_addr_t;

/* An address list, e.g. "127.0.0.1:5300, [::1]:5300". */
typedef struct {
	conf_addr_t *v;
	size_t n;
} conf_addrs_t;

/* A list of strings, e.g. the NS names of a zone. */
typedef struct {
	char **v;
	size_t n;
} conf_strs_t;

/* One access-control entry: a network, or a TSIG key name. */
typedef struct {
	bool is_key;
	char *key;                  /* is_key: key name */
	struct sockaddr_storage net; /* else: network address */
	unsigned prefix;
} conf_acl_entry_t;

/* A secondary to NOTIFY: where, and the TSIG key to sign with (NULL: none). */
typedef struct {
	conf_addr_t addr;
	char *key;
} conf_notify_entry_t;

typedef struct {
	conf_notify_entry_t *v;
	size_t n;
} conf_notify_t;

typedef struct {
	conf_acl_entry_t *v;
	size_t n;
} conf_acl_t;

typedef enum {
	SUSPEND_NXDOMAIN = 0,
	SUSPEND_SINKHOLE,
} suspend_mode_t;

typedef struct {
	suspend_mode_t mode;
	bool has_v4, has_v6;
	uint8_t v4[4];
	uint8_t v6[16];
} conf_suspend_t;

typedef struct {
	char *name;                  /* "dyn.example": lower case, no final dot */
	conf_strs_t ns;              /* NS names, absolute, no final dot */
	conf_strs_t glue;            /* "name address" pairs as written */
	char *soa_rname;
	uint32_t ttl;                /* default TTL of host records */
	uint32_t soa_ttl, soa_refresh, soa_retry, soa_expire, soa_minimum;
	conf_notify_t notify;
	conf_acl_t allow_transfer;
	conf_suspend_t suspended;
	uint32_t ttl_min, ttl_max;   /* TTLs users may choose for their hosts */
	int line;                    /* where the section starts */
} conf_zone_t;

typedef struct {
	char *path;
	conf_addrs_t dns_listen;
	conf_addrs_t http_listen;
	char *database;
	char *control_socket;
	unsigned workers;            /* 0: number of cores */
	char *identity;              /* empty: CHAOS id.server and NSID refused */
	char *version;               /* empty: CHAOS version.bind refused */
	unsigned tcp_max_clients;
	unsigned tcp_idle_timeout;   /* seconds */
	unsigned tcp_msg_timeout;    /* milliseconds to complete a message */
	unsigned udp_buffer;         /* socket buffer bytes */
	conf_strs_t reserved;        /* host labels refused beside the built-in list */
	unsigned http_threads;       /* HTTP event-loop threads */
	unsigned auth_threads;       /* threads that verify passwords (argon2id) */
	conf_acl_t trusted_proxies;  /* peers whose X-Forwarded-For is believed */
	conf_acl_t metrics_allow;    /* peers that may read /metrics */
	conf_addrs_t https_listen;   /* HTTPS (HTTP/2 when offered) */
	char *tls_certificate;       /* PEM chain for https-listen */
	char *tls_key;               /* PEM private key */
	char *access_log;            /* file of one JSON line per request; "" off */
	unsigned http_conns_per_ip;  /* open connections one address may have */
	unsigned http_timeout;       /* seconds to send a request, or to idle */
	unsigned journal_max;        /* journal rows (serials) kept per zone for IXFR */
	unsigned history_keep;       /* seconds a host's update history is kept (0: ever) */
	unsigned outbox_keep;        /* seconds a delivered notification is kept (0: ever) */
	unsigned history_max;        /* about this many newest rows kept per host (0: all) */
	unsigned wal_limit;          /* MiB: the WAL is restarted at this length */
	unsigned default_max_hosts;  /* host quota of a new user */
	/* the abuse desk */
	char *abuse_contact;         /* published in security.txt and the API */
	unsigned abuse_response_time; /* seconds the operator promises to act within */
	unsigned abuse_provisional;  /* a trusted reporter's suspension lasts (s) */
	unsigned abuse_reports_per_hour; /* public reports per client address */
	char *abuse_blocklist;       /* file of addresses and networks; "" none */
	unsigned abuse_same_address; /* new hosts on one address within the window
	                                that flag them (0: off) */
	unsigned abuse_signups;      /* sign-ups from one network within the window
	                                that flag their hosts (0: off) */
	unsigned abuse_window;       /* seconds */
	bool abuse_auto_suspend;     /* heuristics suspend (provisionally) */
	conf_strs_t brand_words;     /* labels that look like these are refused */
	unsigned hold_deleted;       /* seconds a deleted name is held */
	unsigned hold_suspended;     /* seconds a suspended, deleted name is held */
	char *smtp_relay;            /* smtp://host:port for email; "" none */
	char *mail_from;             /* envelope and From: address */
	char *notification_webhook;  /* URL that gets every notification as JSON */
	char *web_root;              /* the dashboard's files; "" off */
	/* accounts of the web dashboard */
	char *signup;                /* "open", "invite" or "closed" */
	char *public_url;            /* base of links in mails; "": http://<first http-listen> */
	unsigned session_lifetime;   /* seconds a browser session lasts after log-in */
	unsigned session_idle;       /* seconds a session lasts without use */
	unsigned unconfirmed_expire; /* seconds a sign-up may stay unconfirmed
	                                before the account is removed */
	conf_zone_t *zones;
	size_t zone_count;
} conf_t;

/*
 * Reads and validates FILE. On success returns 0 and a new conf_t in *out
 * (free with conf_free). On failure returns DDNS_ECONF and writes a one-line
 * reason "FILE:LINE: ..." into err (errlen bytes).
 */
int conf_load(const char *file, conf_t **out, char *err, size_t errlen);

/* Same for a configuration held in a string; name is used in messages. */
int conf_load_string(const char *text, const char *name, conf_t **out,
                     char *err, size_t errlen);

void conf_free(conf_t *conf);

/* Parses "host:port" or "[v6]:port" into a; 0 or -EINVAL. */
int conf_parse_addr(const char *s, conf_addr_t *a);

/* Formats a into buf as "host:port" / "[v6]:port". */
const char *conf_addr_str(const conf_addr_t *a, char *buf, size_t len);

/* Finds the zone whose name is exactly name (case-insensitive), or NULL. */
const conf_zone_t *conf_zone_find(const conf_t *conf, const char *name);
