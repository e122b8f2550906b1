/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of what the abuse desk queues for owners and reporters
 * (abuse/tell.h) on a temporary database through a real writer, and of the
 * outbox's retry schedule: the email and the webhook event of a suspension,
 * an owner without an address, a reporter whose contact is not an address,
 * nothing at all without channels.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>
#include <urcu.h>

#include "abuse/outbox.h"
#include "abuse/tell.h"
#include "auth/auth.h"
#include "store/abuse.h"
#include "upd/ops.h"
#include "helpers.h"

#define CHANNELS "[server]\nsmtp-relay = smtp://127.0.0.1:2525\n" \
	"notification-webhook = http://127.0.0.1:9/hook\n"

typedef struct {
	testzone_t tz;
	db_t *db;
	writer_t *w;
	db_outbox_t got[8];
	int n;
} fx_t;

static int setup_with(void **state, const char *extra)
{
	fx_t *f = calloc(1, sizeof(*f));
	char err[512], path[160];
	auth_init();
	if (testzone_init(&f->tz, extra, "$ORIGIN dyn.example.\n") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/db", f->tz.dir);
	if (db_open(path, DB_CREATE | DB_LOCK, &f->db, err, sizeof(err)) != 0 ||
	    writer_new(f->db, f->tz.conf, &f->tz.set, &f->w) != 0 || writer_start(f->w) != 0)
		return -1;
	rcu_register_thread();
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_with(state, CHANNELS); }
static int setup_silent(void **state) { return setup_with(state, NULL); }

static int teardown(void **state)
{
	fx_t *f = *state;
	writer_free(f->w);
	db_close(f->db);
	testzone_deinit(&f->tz);
	rcu_unregister_thread();
	free(f);
	return 0;
}

static int call(fx_t *f, wop_fn op, void *args)
{
	wreq_t r = { .op = op, .args = args };
	writer_call(f->w, &r);
	json_decref(r.result);
	return r.status;
}

static void add_owner(fx_t *f, const char *user, const char *mail, const char *fqdn)
{
	op_user_add_t u = { .max_hosts = 5 };
	snprintf(u.name, sizeof(u.name), "%s", user);
	snprintf(u.email, sizeof(u.email), "%s", mail);
	assert_int_equal(auth_password_hash("password123", 11, u.pwhash), 0);
	assert_int_equal(call(f, op_user_add, &u), 0);
	op_host_add_t h = { .has_v4 = true };
	snprintf(h.fqdn, sizeof(h.fqdn), "%s", fqdn);
	snprintf(h.user, sizeof(h.user), "%s", user);
	inet_pton(AF_INET, "192.0.2.1", h.v4);
	assert_int_equal(call(f, op_host_add, &h), 0);
}

static void suspend(fx_t *f, const char *fqdn, const char *reason)
{
	op_host_state_t a = { .suspend = true };
	snprintf(a.fqdn, sizeof(a.fqdn), "%s", fqdn);
	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	snprintf(a.actor, sizeof(a.actor), "unit");
	assert_int_equal(call(f, op_host_state, &a), 0);
}

static int collect(const db_outbox_t *m, void *ctx)
{
	fx_t *f = ctx;
	if (f->n < 8)
		f->got[f->n++] = *m;
	return 0;
}

/* The outbox as a reader sees it, oldest first. */
static void read_outbox(fx_t *f)
{
	char path[160], err[512];
	db_t *rdb;
	snprintf(path, sizeof(path), "%s/db", f->tz.dir);
	assert_int_equal(db_open(path, 0, &rdb, err, sizeof(err)), 0);
	f->n = 0;
	assert_int_equal(db_outbox_foreach_due(rdb, INT64_MAX, 0, collect, f), 0);
	db_close(rdb);
}

static void test_suspension_told(void **state)
{
	fx_t *f = *state;
	add_owner(f, "alice", "alice@example.net", "cam.dyn.example");
	suspend(f, "cam.dyn.example", "phishing at /login");
	read_outbox(f);
	assert_int_equal(f->n, 2);
	const db_outbox_t *hook = &f->got[0], *mail = &f->got[1];
	assert_string_equal(hook->kind, "webhook");
	assert_string_equal(hook->rcpt, "http://127.0.0.1:9/hook");
	json_t *ev = json_loads(hook->body, 0, NULL);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "suspended");
	assert_string_equal(json_string_value(json_object_get(ev, "host")), "cam.dyn.example");
	assert_string_equal(json_string_value(json_object_get(ev, "user")), "alice");
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), "phishing at /login");
	assert_true(json_is_null(json_object_get(ev, "report")));
	assert_true(json_is_integer(json_object_get(ev, "time")));
	json_decref(ev);
	assert_string_equal(mail->kind, "email");
	assert_string_equal(mail->rcpt, "alice@example.net");
	assert_non_null(strstr(mail->subject, "cam.dyn.example"));
	assert_non_null(strstr(mail->body, "phishing at /login"));
	assert_non_null(strstr(mail->body, "POST /api/v1/hosts/cam.dyn.example/appeal"));
	assert_int_equal(mail->attempts, 0);
	assert_int_equal(mail->delivered, 0);
}

static void test_owner_without_address(void **state)
{
	fx_t *f = *state;
	add_owner(f, "bob", "", "bob.dyn.example");
	suspend(f, "bob.dyn.example", "spam");
	read_outbox(f);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->got[0].kind, "webhook");
}

/* A writer operation that tells a reporter. */
static int op_tell_reporter(wctx_t *w, wreq_t *r)
{
	const char **a = r->args;
	return tell_reporter(w, a[0], "ABCDEFGHJKMN", "cam.dyn.example", a[1], "nothing found");
}

static void test_reporter(void **state)
{
	fx_t *f = *state;
	const char *by_mail[] = { "reporter@example.org", "rejected" };
	const char *by_url[] = { "https://reports.example/42", "confirmed" };
	assert_int_equal(call(f, op_tell_reporter, by_mail), 0);
	assert_int_equal(call(f, op_tell_reporter, by_url), 0);
	read_outbox(f);
	assert_int_equal(f->n, 3);
	assert_non_null(strstr(f->got[0].body, "\"event\":\"report-rejected\""));
	assert_non_null(strstr(f->got[0].body, "\"report\":\"ABCDEFGHJKMN\""));
	assert_string_equal(f->got[1].kind, "email");
	assert_string_equal(f->got[1].rcpt, "reporter@example.org");
	assert_non_null(strstr(f->got[1].body, "nothing found"));
	assert_non_null(strstr(f->got[1].subject, "ABCDEFGHJKMN"));
	assert_non_null(strstr(f->got[2].body, "\"event\":\"report-confirmed\""));
}

static void test_no_channels(void **state)
{
	fx_t *f = *state;
	add_owner(f, "carol", "carol@example.net", "carol.dyn.example");
	suspend(f, "carol.dyn.example", "malware");
	read_outbox(f);
	assert_int_equal(f->n, 0);
}

static void test_backoff_and_addresses(void **state)
{
	(void)state;
	assert_int_equal(outbox_backoff(1), 1);
	assert_int_equal(outbox_backoff(2), 2);
	assert_int_equal(outbox_backoff(5), 16);
	assert_int_equal(outbox_backoff(12), 2048);
	assert_int_equal(outbox_backoff(13), 3600);
	assert_int_equal(outbox_backoff(1000), 3600);
	assert_true(tell_is_address("a.b@example.net"));
	assert_false(tell_is_address(""));
	assert_false(tell_is_address("https://example.net/form"));
	assert_false(tell_is_address("a@b"));
	assert_false(tell_is_address("a@@example.net"));
	assert_false(tell_is_address("a@example.net>\r\nBcc: x@example.net"));
	assert_false(tell_is_address("a b@example.net"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_suspension_told, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_without_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reporter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_channels, setup_silent, teardown),
		cmocka_unit_test(test_backoff_and_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
