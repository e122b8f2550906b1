/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ddnsctl: the operator's tool. A command table: each entry has its words,
 * its arguments and options, the control-socket command it sends (or a
 * local handler for the commands that work on the database directly) and a
 * printer for its text output. Output is line-oriented; --json prints the
 * server's result as JSON. Errors are one line on stderr and exit status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ctl/outboxcmd.h"
#include "ctl/proto.h"
#include "dns/zonedump.h"
#include "lib/conf.h"
#include "lib/errors.h"
#include "store/db.h"
#include "store/zoneio.h"
#include "upd/zoneload.h"

typedef struct {
	const char *conf_path;
	conf_t *conf;
	bool json;
} ctl_t;

/* Option types: a string, a number, an on/off switch, a flag, a list. */
enum opt_type { O_STR, O_INT, O_ONOFF, O_FLAG, O_LIST };

typedef struct {
	const char *name;            /* "--max-hosts" */
	const char *key;             /* JSON key, "max_hosts" */
	enum opt_type type;
} opt_t;

typedef struct cmd cmd_t;
struct cmd {
	const char *words;           /* "host add" */
	const char *usage;
	const char *wire;            /* control command, NULL: local */
	const char *const *pos;      /* JSON keys of positional arguments */
	int npos;
	const opt_t *opts;
	int (*local)(ctl_t *ctl, int argc, char **argv);
	void (*print)(const json_t *result);
	bool password;               /* read a password from standard input */
	bool stdin_json;             /* send standard input as args.dump */
	const char *help;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ddnsctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static const char *js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? s : "-";
}

/* An integer member of o (0 if missing), for printf's %lld. */
static long long ji(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_time(json_int_t t, char *buf, size_t len)
{
	if (t <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- printers ---- */

static void print_user_line(const json_t *u)
{
	printf("%s\t%s\t%lld/%lld hosts\t%s\n", js(u, "name"), js(u, "email"),
	       ji(u, "hosts"), ji(u, "max_hosts"),
	       json_is_true(json_object_get(u, "admin")) ? "admin" : "user");
}

static void print_user_set(const json_t *r)
{
	printf("%s is %s\n", js(r, "name"),
	       json_is_true(json_object_get(r, "admin")) ? "an admin" : "not an admin");
}

static void print_users(const json_t *r)
{
	size_t i;
	json_t *u;
	json_array_foreach(r, i, u)
		print_user_line(u);
}

static void print_host_line(const json_t *h)
{
	printf("%s\t%s\t%s\t%s\t%s\n", js(h, "name"), js(h, "ipv4"), js(h, "ipv6"), js(h, "state"),
	       js(h, "owner"));
}

static void print_hosts(const json_t *r)
{
	size_t i;
	json_t *h;
	json_array_foreach(r, i, h)
		print_host_line(h);
}

static void print_strings(const char *label, const json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		printf("%s: %s\n", label, json_string_value(v));
}

static void print_host(const json_t *h)
{
	char t[32];
	printf("name: %s\nowner: %s\nstate: %s\n", js(h, "name"), js(h, "owner"), js(h, "state"));
	if (strcmp(js(h, "state"), "suspended") == 0 || strcmp(js(h, "state"), "blocked") == 0)
		printf("reason: %s\n", js(h, "reason"));
	printf("ipv4: %s\nipv6: %s\nttl: %lld\n", js(h, "ipv4"), js(h, "ipv6"), ji(h, "ttl"));
	print_strings("txt", json_object_get(h, "txt"));
	print_strings("acme", json_object_get(h, "acme"));
	if (json_object_get(h, "mx") && !json_is_null(json_object_get(h, "mx")))
		printf("mx: %lld %s\n", ji(h, "mx_pref"),
		       js(h, "mx"));
	printf("wildcard: %s\n", json_is_true(json_object_get(h, "wildcard")) ? "on" : "off");
	print_time(json_integer_value(json_object_get(h, "created")), t, sizeof(t));
	printf("created: %s\n", t);
	print_time(json_integer_value(json_object_get(h, "updated")), t, sizeof(t));
	printf("updated: %s (from %s, %s)\n", t, js(h, "source"), js(h, "client"));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(h, "tokens"), i, e) {
		print_time(json_integer_value(json_object_get(e, "created")), t, sizeof(t));
		printf("token: %lld %s created %s%s\n", ji(e, "id"),
		       js(e, "name"), t, json_is_true(json_object_get(e, "revoked")) ? " (revoked)" : "");
	}
	json_array_foreach(json_object_get(h, "history"), i, e) {
		print_time(json_integer_value(json_object_get(e, "time")), t, sizeof(t));
		printf("history: %s %s %s: %s -> %s\n", t, js(e, "source"), js(e, "result"), js(e, "old"),
		       js(e, "new"));
	}
}

static void print_done(const char *what, const json_t *r)
{
	printf("%s %s\n", what, js(r, "name"));
}

static void print_user_added(const json_t *r) { print_done("added user", r); }
static void print_user_deleted(const json_t *r) { print_done("deleted user", r); }
static void print_host_added(const json_t *r) { print_done("added host", r); }
static void print_host_deleted(const json_t *r) { print_done("deleted host", r); }
static void print_host_suspended(const json_t *r) { print_done("suspended host", r); }
static void print_host_resumed(const json_t *r) { print_done("resumed host", r); }
static void print_host_set(const json_t *r)
{
	print_done(json_is_true(json_object_get(r, "nochg")) ? "no change to host" : "updated host", r);
}

static void print_token(const json_t *r)
{
	printf("%s\n", js(r, "token"));
}

static void print_tsig(const json_t *r)
{
	const char *k = js(r, "key"), *a = js(r, "algorithm"), *s = js(r, "secret");
	printf("# TSIG key %s (%s), scope %s. The secret is shown only now.\n", k, a, js(r, "scope"));
	printf("# nsupdate -k FILE, and BIND (named.conf):\n");
	printf("key \"%s\" {\n\talgorithm %s;\n\tsecret \"%s\";\n};\n", k, a, s);
	printf("# knsupdate / kdig:  -y %s:%s:%s\n", a, k, s);
	printf("# Knot (knot.conf):\n#   key:\n#     - id: %s\n#       algorithm: %s\n#       secret: %s\n",
	       k, a, s);
	printf("# NSD (nsd.conf):\n#   key:\n#     name: \"%s\"\n#     algorithm: %s\n#     secret: \"%s\"\n",
	       k, a, s);
}

static void print_audit(const json_t *r)
{
	if (json_is_object(r)) {
		printf("audit chain intact: %lld rows, head %s\n", ji(r, "rows"), js(r, "head"));
		return;
	}
	size_t i;
	json_t *e;
	char t[32];
	json_array_foreach(r, i, e) {
		print_time(json_integer_value(json_object_get(e, "time")), t, sizeof(t));
		printf("%lld\t%s\t%s\t%s\t%s\t%s\n", ji(e, "id"),
		       t, js(e, "actor"), js(e, "action"), js(e, "target"), js(e, "reason"));
	}
}

static void print_report_line(const json_t *r)
{
	char t[32];
	print_time(json_integer_value(json_object_get(r, "created")), t, sizeof(t));
	const char *ev = js(r, "evidence");
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%.60s\n", js(r, "id"), t, js(r, "status"), js(r, "class"),
	       js(r, "category"), js(r, "host"), ev);
}

static void print_reports(const json_t *r)
{
	size_t i;
	json_t *e;
	json_array_foreach(r, i, e)
		print_report_line(e);
}

static void print_report(const json_t *r)
{
	static const char *const times[] = { "created", "updated", "expires", "acted", "suspended",
	                                     "reversed" };
	static const char *const texts[] = { "id", "host", "status", "class", "reporter", "category",
	                                     "source", "contact", "evidence", "outcome", "appeal" };
	char t[32];
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (json_object_get(r, texts[i]) != NULL)
			printf("%s: %s\n", texts[i], js(r, texts[i]));
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		json_int_t v = json_integer_value(json_object_get(r, times[i]));
		if (v > 0) {
			print_time(v, t, sizeof(t));
			printf("%s: %s\n", times[i], t);
		}
	}
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(r, "urls"), i, u)
		printf("url: %s\n", json_string_value(u));
	const json_t *h = json_object_get(r, "host_now");
	if (h != NULL)
		printf("host now: %s, owner %s%s%s\n", js(h, "state"), js(h, "owner"),
		       *js(h, "reason") != '-' ? ", reason: " : "", *js(h, "reason") != '-' ? js(h, "reason") : "");
}

static void print_report_done(const json_t *r)
{
	printf("report %s: %s (%s)\n", js(r, "id"), js(r, "status"), js(r, "host"));
}

static void print_reporter_added(const json_t *r)
{
	printf("reporter %s\nkey: %s\n", js(r, "name"), js(r, "key"));
	printf("(shown once: the reporter sends it as \"Authorization: Bearer KEY\" to "
	       "POST /api/v1/abuse-reports)\n");
}

static void print_invite(const json_t *r)
{
	char t[32];
	print_time(json_integer_value(json_object_get(r, "expires")), t, sizeof(t));
	printf("invitation: %s\nvalid until: %s\n", js(r, "code"), t);
	printf("(shown once, usable once: the new user gives it at sign-up as \"invite\")\n");
}

static void print_reporters(const json_t *r)
{
	size_t i;
	json_t *e;
	char t[32];
	json_array_foreach(r, i, e) {
		print_time(json_integer_value(json_object_get(e, "created")), t, sizeof(t));
		printf("%s\t%s\t%s\t%s\n", js(e, "name"), t,
		       json_is_true(json_object_get(e, "suspend")) ? "suspends" : "reports",
		       json_is_true(json_object_get(e, "revoked")) ? "revoked" : "active");
	}
}

static void print_reporter_revoked(const json_t *r)
{
	printf("revoked reporter %s\n", js(r, "name"));
}

static void print_status(const json_t *r)
{
	size_t i, k;
	json_t *z, *e;
	printf("ddnsd %s\n", js(r, "version"));
	json_array_foreach(json_object_get(r, "zones"), i, z) {
		printf("zone %s serial %lld\n", js(z, "zone"), ji(z, "serial"));
		json_array_foreach(json_object_get(z, "notify"), k, e) {
			const char *nkey = json_string_value(json_object_get(e, "key"));
			printf("  notify %s%s%s:", js(e, "address"), nkey ? " key " : "", nkey ? nkey : "");
			if (json_is_integer(json_object_get(e, "answered_serial")))
				printf(" answered serial %lld", ji(e, "answered_serial"));
			else
				printf(" no answer yet");
			const char *refused = json_string_value(json_object_get(e, "refused"));
			if (refused)
				printf(", refuses NOTIFY (%s)", refused);
			if (ji(e, "unanswered") > 0)
				printf(", serial %lld sent %lld time(s) without an answer",
				       ji(e, "pending_serial"), ji(e, "unanswered"));
			printf("\n");
		}
		json_array_foreach(json_object_get(z, "transfers"), k, e) {
			const char *key = json_string_value(json_object_get(e, "key"));
			printf("  transfer %s%s%s: %s", js(e, "address"), key ? " key " : "", key ? key : "",
			       js(e, "type"));
			if (json_is_integer(json_object_get(e, "from")))
				printf(" %lld ->", ji(e, "from"));
			printf(" serial %lld", ji(e, "serial"));
			if (ji(e, "behind") == 0)
				printf(" (current)");
			else
				printf(" (%lld serial(s) behind)", ji(e, "behind"));
			printf(", %lld s ago, %lld transfer(s)\n", ji(e, "age"), ji(e, "count"));
		}
	}
	const json_t *t = json_object_get(r, "transfers"), *n = json_object_get(r, "notify");
	printf("transfers served: %lld AXFR, %lld IXFR, %lld refused; NOTIFY: %lld sent, "
	       "%lld answered\n", ji(t, "axfr"), ji(t, "ixfr"), ji(t, "refused"), ji(n, "sent"),
	       ji(n, "answered"));
}

static void print_imported(const json_t *r)
{
	printf("imported %lld zone(s), %lld user(s), %lld host(s)\n", ji(r, "zones"),
	       ji(r, "users"), ji(r, "hosts"));
}

static void print_backup(const json_t *r)
{
	printf("backup %s: %lld bytes, %lld user(s), %lld host(s), check %s, %.1f s\n", js(r, "path"),
	       ji(r, "bytes"), ji(r, "users"), ji(r, "hosts"), js(r, "check"),
	       json_number_value(json_object_get(r, "seconds")));
}

static void print_json(const json_t *r)
{
	char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s) {
		puts(s);
		free(s);
	}
}

/* ---- local commands (on the database, ddnsd stopped or not) ---- */

static const conf_zone_t *find_zone(ctl_t *ctl, const char *name)
{
	const conf_zone_t *zc = conf_zone_find(ctl->conf, name);
	if (zc == NULL)
		fail("zone %s is not configured in %s", name, ctl->conf_path);
	return zc;
}

static int cmd_zone_import(ctl_t *ctl, int argc, char **argv)
{
	const conf_zone_t *zc = find_zone(ctl, argv[0]);
	if (zc == NULL)
		return 1;
	char err[512];
	db_t *db;
	int ret = db_open(ctl->conf->database, DB_CREATE | DB_LOCK | DB_BULK, &db, err, sizeof(err));
	if (ret == -EBUSY)
		return fail("%s; stop ddnsd before importing a zone", err);
	if (ret != 0)
		return fail("%s", err);
	uint64_t count = 0;
	ret = zoneio_import(db, zc->name, argv[1], zoneload_check, (void *)zc, &count, err,
	                    sizeof(err));
	if (ret != 0) {
		db_close(db);
		return fail("%s", err);
	}
	int64_t zid;
	uint32_t serial = 0;
	db_zone_get(db, zc->name, false, &zid, &serial);
	db_close(db);
	if (ctl->json)
		printf("{\"zone\":\"%s\",\"records\":%llu,\"serial\":%u}\n", zc->name,
		       (unsigned long long)count, serial);
	else
		printf("imported %llu records into %s, serial %u\n", (unsigned long long)count,
		       zc->name, serial);
	return 0;
}

static int cmd_zone_export(ctl_t *ctl, int argc, char **argv)
{
	const conf_zone_t *zc = find_zone(ctl, argv[0]);
	if (zc == NULL)
		return 1;
	char err[512];
	db_t *db;
	if (db_open(ctl->conf->database, 0, &db, err, sizeof(err)) != 0)
		return fail("%s", err);
	zone_t *z;
	uint32_t serial;
	int ret = zoneload_zone(db, zc, &z, &serial, err, sizeof(err));
	db_close(db);
	if (ret != 0)
		return fail("%s", err);
	ret = zonedump_write(z, stdout);
	zone_free(z);
	if (ret != 0 || fflush(stdout) != 0)
		return fail("cannot write the zone: %s", ddns_strerror(ret ? ret : -EIO));
	return 0;
}

/* ---- the table ---- */

static const char *const P_NAME[] = { "name" };
static const char *const P_KEY[] = { "key" };

static const opt_t O_USER_ADD[] = { { "--email", "email", O_STR }, { "--max-hosts", "max_hosts", O_INT },
                                    { "--admin", "admin", O_FLAG }, { 0 } };
static const opt_t O_USER_SET[] = { { "--admin", "admin", O_FLAG }, { "--no-admin", "no_admin", O_FLAG },
                                    { 0 } };
static const opt_t O_HOST_ADD[] = { { "--owner", "owner", O_STR }, { "--ipv4", "ipv4", O_STR },
                                    { "--ipv6", "ipv6", O_STR }, { "--ttl", "ttl", O_INT }, { 0 } };
static const opt_t O_HOST_LIST[] = { { "--owner", "owner", O_STR }, { 0 } };
static const opt_t O_HOST_SET[] = { { "--ipv4", "ipv4", O_STR }, { "--ipv6", "ipv6", O_STR },
                                    { "--ttl", "ttl", O_INT }, { "--txt", "txt", O_LIST },
                                    { "--acme-add", "acme_add", O_STR }, { "--acme-del", "acme_del", O_STR },
                                    { "--mx", "mx", O_STR }, { "--mx-pref", "mx_pref", O_INT },
                                    { "--wildcard", "wildcard", O_ONOFF }, { "--offline", "offline", O_ONOFF },
                                    { "--unblock", "unblock", O_FLAG }, { 0 } };
static const opt_t O_SUSPEND[] = { { "--reason", "reason", O_STR }, { "--evidence", "evidence", O_STR }, { 0 } };
static const opt_t O_RESUME[] = { { "--reason", "reason", O_STR }, { 0 } };
static const opt_t O_TOKEN[] = { { "--label", "label", O_STR }, { 0 } };
static const opt_t O_TSIG[] = { { "--host", "host", O_STR }, { "--algorithm", "algorithm", O_STR }, { 0 } };
static const opt_t O_AUDIT[] = { { "--verify", "verify", O_FLAG }, { 0 } };
static const opt_t O_OUTBOX[] = { { "--pending", "pending", O_FLAG }, { "--limit", "limit", O_INT }, { 0 } };
static const opt_t O_NONE[] = { { 0 } };
static const char *const P_ID[] = { "id" };
static const char *const P_PATH[] = { "path" };
static const opt_t O_ABUSE_LIST[] = { { "--all", "all", O_FLAG }, { "--status", "status", O_STR },
                                      { "--host", "host", O_STR }, { 0 } };
static const opt_t O_ABUSE_DECIDE[] = { { "--reason", "reason", O_STR }, { 0 } };
static const opt_t O_INVITE[] = { { "--days", "days", O_INT }, { 0 } };
static const opt_t O_REPORTER_ADD[] = { { "--no-suspend", "no_suspend", O_FLAG }, { 0 } };

static const cmd_t commands[] = {
	{ "user add", "NAME [--email E] [--max-hosts N] [--admin]  (password on stdin)", "user.add",
	  P_NAME, 1, O_USER_ADD, NULL, print_user_added, true, false,
	  "create a user (--admin: an operator of the dashboard)" },
	{ "user set", "NAME --admin|--no-admin", "user.set", P_NAME, 1, O_USER_SET, NULL, print_user_set,
	  false, false, "give a user the admin role or take it away" },
	{ "user list", "", "user.list", NULL, 0, O_NONE, NULL, print_users, false, false, "list users" },
	{ "user del", "NAME", "user.del", P_NAME, 1, O_NONE, NULL, print_user_deleted, false, false,
	  "delete a user and their hosts" },
	{ "host add", "FQDN --owner NAME [--ipv4 A] [--ipv6 B] [--ttl N]", "host.add", P_NAME, 1,
	  O_HOST_ADD, NULL, print_host_added, false, false, "create a host" },
	{ "host list", "[--owner NAME]", "host.list", NULL, 0, O_HOST_LIST, NULL, print_hosts, false, false,
	  "list hosts" },
	{ "host show", "FQDN", "host.show", P_NAME, 1, O_NONE, NULL, print_host, false, false,
	  "show a host with its tokens and history" },
	{ "host set", "FQDN [--ipv4 A|none] [--ipv6 B|none] [--ttl N] [--txt T]... [--acme-add V] "
	  "[--acme-del V] [--mx NAME|none] [--mx-pref N] [--wildcard on|off] [--offline on|off] [--unblock]",
	  "host.set", P_NAME, 1, O_HOST_SET, NULL, print_host_set, false, false, "change a host's records" },
	{ "host del", "FQDN", "host.del", P_NAME, 1, O_NONE, NULL, print_host_deleted, false, false,
	  "delete a host" },
	{ "host suspend", "FQDN --reason TEXT [--evidence REF]", "host.suspend", P_NAME, 1, O_SUSPEND,
	  NULL, print_host_suspended, false, false, "take a host down for abuse" },
	{ "host resume", "FQDN", "host.resume", P_NAME, 1, O_RESUME, NULL, print_host_resumed, false,
	  false, "restore a suspended host" },
	{ "token add", "FQDN [--label TEXT]", "token.add", P_NAME, 1, O_TOKEN, NULL, print_token, false,
	  false, "print a new update token for a host (shown once)" },
	{ "tsig add", "KEYNAME [--host FQDN] [--algorithm hmac-sha256|hmac-sha512]", "tsig.add", P_KEY, 1,
	  O_TSIG, NULL, print_tsig, false, false, "print a new TSIG key (shown once)" },
	{ "abuse list", "[--all | --status S] [--host FQDN]", "abuse.list", NULL, 0, O_ABUSE_LIST, NULL,
	  print_reports, false, false, "the abuse queue (open, provisionally suspended, appealed)" },
	{ "abuse show", "ID", "abuse.show", P_ID, 1, O_NONE, NULL, print_report, false, false,
	  "one report with its evidence and the host's state" },
	{ "abuse suspend", "ID [--reason TEXT]", "abuse.suspend", P_ID, 1, O_ABUSE_DECIDE, NULL,
	  print_report_done, false, false, "suspend the reported host (or confirm a provisional one)" },
	{ "abuse reject", "ID --reason TEXT", "abuse.reject", P_ID, 1, O_ABUSE_DECIDE, NULL,
	  print_report_done, false, false, "close a report without action (resumes a host it held)" },
	{ "reporter add", "NAME [--no-suspend]", "reporter.add", P_NAME, 1, O_REPORTER_ADD, NULL,
	  print_reporter_added, false, false, "a trusted reporter: prints its API key once" },
	{ "reporter list", "", "reporter.list", NULL, 0, O_NONE, NULL, print_reporters, false, false,
	  "list trusted reporters" },
	{ "reporter revoke", "NAME", "reporter.revoke", P_NAME, 1, O_NONE, NULL,
	  print_reporter_revoked, false, false, "revoke a trusted reporter's key" },
	{ "invite add", "[--days N]", "invite.add", NULL, 0, O_INVITE, NULL, print_invite, false, false,
	  "print a one-time sign-up invitation, valid N days (default 7)" },
	{ "audit", "[--verify]", "audit", NULL, 0, O_AUDIT, NULL, print_audit, false, false,
	  "print or verify the audit log" },
	{ "status", "", "status", NULL, 0, O_NONE, NULL, print_status, false, false,
	  "show the running server's zones and serials, and what its secondaries took" },
	{ "outbox", "[--pending] [--limit N]", "outbox", NULL, 0, O_OUTBOX, NULL, outboxcmd_print, false,
	  false, "list notifications to owners and reporters, newest first" },
	{ "backup", "FILE", "backup", P_PATH, 1, O_NONE, NULL, print_backup, false, false,
	  "copy the database while ddnsd runs into a new FILE (consistent, checked, mode 0600)" },
	{ "export", "> dump.json", "export", NULL, 0, O_NONE, NULL, print_json, false, false,
	  "print everything as JSON" },
	{ "import", "< dump.json", "import", NULL, 0, O_NONE, NULL, print_imported, false, true,
	  "load a JSON export into an empty server" },
	{ "zone import", "ZONE MASTERFILE", NULL, NULL, 2, O_NONE, cmd_zone_import, NULL, false, false,
	  "replace a zone's records with a master file (ddnsd stopped)" },
	{ "zone export", "ZONE", NULL, NULL, 1, O_NONE, cmd_zone_export, NULL, false, false,
	  "print a zone as a master file" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: ddnsctl -c FILE [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s %s\n      %s\n", commands[i].words, commands[i].usage, commands[i].help);
}

static int match(const cmd_t *cmd, int argc, char **argv)
{
	char words[64];
	snprintf(words, sizeof(words), "%s", cmd->words);
	int used = 0;
	char *save = NULL;
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (used >= argc || strcmp(argv[used], w) != 0)
			return 0;
		used++;
	}
	return used;
}

/* Turns the command's arguments into the request's args object. */
static int build_args(const cmd_t *cmd, int argc, char **argv, json_t *args)
{
	int npos = 0;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			if (npos >= cmd->npos)
				return fail("unexpected argument '%s'; usage: ddnsctl %s %s", argv[i], cmd->words,
				            cmd->usage);
			json_object_set_new(args, cmd->pos[npos++], json_string(argv[i]));
			continue;
		}
		const opt_t *o = cmd->opts;
		while (o->name && strcmp(o->name, argv[i]) != 0)
			o++;
		if (o->name == NULL)
			return fail("unknown option %s; usage: ddnsctl %s %s", argv[i], cmd->words, cmd->usage);
		if (o->type == O_FLAG) {
			json_object_set_new(args, o->key, json_true());
			continue;
		}
		if (o->type != O_LIST && json_object_get(args, o->key) != NULL)
			return fail("%s given twice", o->name);
		if (i + 1 >= argc)
			return fail("%s needs a value", o->name);
		const char *v = argv[++i];
		char *end;
		switch (o->type) {
		case O_STR:
			json_object_set_new(args, o->key, json_string(v));
			break;
		case O_INT: {
			long n = strtol(v, &end, 10);
			if (*v == '\0' || *end != '\0')
				return fail("%s: '%s' is not a number", o->name, v);
			json_object_set_new(args, o->key, json_integer(n));
			break;
		}
		case O_ONOFF:
			if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
				return fail("%s takes on or off", o->name);
			json_object_set_new(args, o->key, json_boolean(strcmp(v, "on") == 0));
			break;
		case O_LIST: {
			json_t *arr = json_object_get(args, o->key);
			if (arr == NULL) {
				arr = json_array();
				json_object_set_new(args, o->key, arr);
			}
			json_array_append_new(arr, json_string(v));
			break;
		}
		case O_FLAG:
			break;
		}
	}
	if (npos < cmd->npos)
		return fail("usage: ddnsctl %s %s", cmd->words, cmd->usage);
	return 0;
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
		if (n + 1 == cap) {
			char *nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

static int read_password(json_t *args)
{
	char pw[1100];
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password: ");
	struct termios old, quiet;
	bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	char *ok = fgets(pw, sizeof(pw), stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (ok == NULL)
		return fail("no password on standard input");
	pw[strcspn(pw, "\r\n")] = '\0';
	json_object_set_new(args, "password", json_string(pw));
	memset(pw, 0, sizeof(pw));
	return 0;
}

/* ddnsd runs elsewhere than ddnsctl: a relative path is made absolute
 * against ddnsctl's directory (the file itself need not exist yet). */
static int absolute_path(json_t *args)
{
	const char *p = json_string_value(json_object_get(args, "path"));
	if (p == NULL || p[0] == '\0')
		return fail("missing FILE");
	if (p[0] == '/')
		return 0;
	char cwd[PATH_MAX], full[PATH_MAX + 256];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return fail("cannot tell the current directory: %s", strerror(errno));
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", cwd, p) >= sizeof(full))
		return fail("%s: path too long", p);
	json_object_set_new(args, "path", json_string(full));
	return 0;
}

static int remote(ctl_t *ctl, const cmd_t *cmd, int argc, char **argv)
{
	json_t *args = json_object();
	int ret = build_args(cmd, argc, argv, args);
	if (ret == 0 && cmd->pos == P_PATH)
		ret = absolute_path(args);
	if (ret == 0 && cmd->password)
		ret = read_password(args);
	if (ret == 0 && cmd->stdin_json) {
		size_t len;
		char *text = read_all(stdin, &len);
		json_error_t jerr;
		json_t *dump = text ? json_loads(text, 0, &jerr) : NULL;
		free(text);
		if (dump == NULL)
			ret = fail("standard input is not JSON: %s (line %d)", jerr.text, jerr.line);
		else
			json_object_set_new(args, "dump", dump);
	}
	if (ret != 0) {
		json_decref(args);
		return 1;
	}
	json_t *req = json_pack("{s:i, s:s, s:o}", "v", CTL_VERSION, "cmd", cmd->wire, "args", args);
	int fd = ctl_connect(ctl->conf->control_socket);
	if (fd < 0) {
		json_decref(req);
		return fail("cannot reach ddnsd at %s: %s (is it running?)", ctl->conf->control_socket,
		            strerror(-fd));
	}
	ret = ctl_send(fd, req);
	json_decref(req);
	json_t *reply = ret == 0 ? ctl_recv(fd) : NULL;
	close(fd);
	if (reply == NULL)
		return fail("no reply from ddnsd");
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *e = json_string_value(json_object_get(reply, "error"));
		ret = fail("%s", e ? e : "failed");
		json_decref(reply);
		return ret;
	}
	json_t *result = json_object_get(reply, "result");
	if (ctl->json)
		print_json(result);
	else
		cmd->print(result);
	json_decref(reply);
	return fflush(stdout) == 0 ? 0 : fail("cannot write the output");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	ctl_t ctl = { 0 };
	int c;
	/* '+': options end at the command, which has options of its own. */
	while ((c = getopt_long(argc, argv, "+c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ctl.conf_path = optarg; break;
		case 'j': ctl.json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (ctl.conf_path == NULL) {
		fail("-c FILE is required");
		usage(stderr);
		return 1;
	}
	if (argc == 0) {
		usage(stderr);
		return 1;
	}
	const cmd_t *cmd = NULL;
	int used = 0, best = 0;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		int m = match(&commands[i], argc, argv);
		if (m > best) {
			best = m;
			used = m;
			cmd = &commands[i];
		}
	}
	if (cmd == NULL) {
		bool group = false; /* "host frob": name both words */
		for (size_t i = 0; i < NCOMMANDS && argc > 1; i++)
			group |= strncmp(commands[i].words, argv[0], strlen(argv[0])) == 0 &&
			         commands[i].words[strlen(argv[0])] == ' ';
		if (group)
			fail("unknown command '%s %s'", argv[0], argv[1]);
		else
			fail("unknown command '%s'", argv[0]);
		usage(stderr);
		return 1;
	}
	char err[512];
	if (conf_load(ctl.conf_path, &ctl.conf, err, sizeof(err)) != 0)
		return fail("%s", err);
	int nargs = argc - used, ret;
	if (cmd->local != NULL) {
		if (nargs != cmd->npos)
			ret = fail("usage: ddnsctl %s %s", cmd->words, cmd->usage);
		else
			ret = cmd->local(&ctl, nargs, argv + used);
	} else {
		ret = remote(&ctl, cmd, nargs, argv + used);
	}
	conf_free(ctl.conf);
	return ret;
}
