/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the store and the writer on a temporary database: requests
 * applied and published, a failing request leaving the rest of its batch
 * alone, nochg writing nothing, serial rules across batches and restarts,
 * the audit chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>
#include <libknot/libknot.h>

#include "auth/auth.h"
#include "lib/name.h"
#include "store/account.h"
#include "store/audit.h"
#include "upd/ops.h"
#include "upd/writer.h"
#include "helpers.h"

typedef struct {
	testzone_t tz;
	char dbpath[128];
	db_t *db;
	writer_t *w;
} fx_t;

static int start_writer(fx_t *f)
{
	char err[512];
	if (db_open(f->dbpath, DB_CREATE | DB_LOCK, &f->db, err, sizeof(err)) != 0)
		return -1;
	zoneload_free(f->tz.set);
	f->tz.set = NULL;
	if (zoneload_all(f->db, f->tz.conf, &f->tz.set, err, sizeof(err)) != 0)
		return -1;
	if (writer_new(f->db, f->tz.conf, &f->tz.set, &f->w) != 0)
		return -1;
	return 0;
}

static void stop_writer(fx_t *f)
{
	writer_free(f->w);
	db_close(f->db);
	f->w = NULL;
	f->db = NULL;
}

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	auth_init();
	if (testzone_init(&f->tz, NULL, "$ORIGIN dyn.example.\nstatic A 192.0.2.9\n") != 0)
		return -1;
	snprintf(f->dbpath, sizeof(f->dbpath), "%s/db", f->tz.dir);
	if (start_writer(f) != 0 || writer_start(f->w) != 0)
		return -1;
	rcu_register_thread();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	stop_writer(f);
	testzone_deinit(&f->tz);
	rcu_unregister_thread();
	free(f);
	return 0;
}

static int call(fx_t *f, wop_fn op, void *args, char *msg)
{
	wreq_t r = { .op = op, .args = args };
	writer_call(f->w, &r);
	if (msg)
		snprintf(msg, 256, "%s", r.msg);
	json_decref(r.result);
	return r.status;
}

static uint32_t serial_of(fx_t *f)
{
	rcu_read_lock();
	const node_t *apex = zone_get(f->tz.set->zones[0], (const uint8_t *)"", 0);
	node_rrset_t rs;
	assert_true(node_rrset(apex, KNOT_RRTYPE_SOA, &rs));
	const uint8_t *p = rs.wire + rs.len - 20;
	uint32_t s = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	rcu_read_unlock();
	return s;
}

/* The A record published for rel, as text; "" when none. */
static void published_a(fx_t *f, const char *rel, char *out)
{
	uint8_t w[256];
	int n = name_to_wire(rel, w);
	out[0] = '\0';
	rcu_read_lock();
	const node_t *node = zone_get(f->tz.set->zones[0], w, (size_t)n - 1);
	node_rrset_t rs;
	if (node && node_rrset(node, KNOT_RRTYPE_A, &rs))
		inet_ntop(AF_INET, rs.wire + 12, out, INET_ADDRSTRLEN);
	rcu_read_unlock();
}

static void add_user(fx_t *f, const char *name, int max)
{
	op_user_add_t u = { .max_hosts = max };
	snprintf(u.name, sizeof(u.name), "%s", name);
	assert_int_equal(auth_password_hash("password123", 11, u.pwhash), 0);
	assert_int_equal(call(f, op_user_add, &u, NULL), 0);
}

static void add_host(fx_t *f, const char *fqdn, const char *user, const char *v4, int expect)
{
	op_host_add_t h = { 0 };
	snprintf(h.fqdn, sizeof(h.fqdn), "%s", fqdn);
	snprintf(h.user, sizeof(h.user), "%s", user);
	if (v4) {
		h.has_v4 = true;
		inet_pton(AF_INET, v4, h.v4);
	}
	char msg[256];
	assert_int_equal(call(f, op_host_add, &h, msg), expect);
}

static void test_host_lifecycle(void **state)
{
	fx_t *f = *state;
	char a[INET_ADDRSTRLEN];
	uint32_t s0 = serial_of(f);
	add_user(f, "alice", 2);
	assert_int_equal(serial_of(f), s0); /* no DNS change, no new serial */
	add_host(f, "home.dyn.example", "alice", "192.0.2.1", 0);
	published_a(f, "home", a);
	assert_string_equal(a, "192.0.2.1");
	assert_int_equal(serial_of(f), s0 + 1);

	/* Quota, duplicate and a name used by the zone's own records. */
	add_host(f, "work.dyn.example", "alice", NULL, 0);
	add_host(f, "more.dyn.example", "alice", NULL, DDNS_EQUOTA);
	add_host(f, "home.dyn.example", "nobody", NULL, DDNS_ENOENT);
	add_user(f, "bob", 5);
	add_host(f, "home.dyn.example", "bob", NULL, DDNS_EEXIST);
	add_host(f, "static.dyn.example", "bob", NULL, DDNS_EEXIST);

	/* An update, then the same again: nochg writes nothing. */
	op_host_update_t u = { .set = HSET_V4, .has_v4 = true };
	snprintf(u.fqdn, sizeof(u.fqdn), "home.dyn.example");
	inet_pton(AF_INET, "192.0.2.2", u.v4);
	assert_int_equal(call(f, op_host_update, &u, NULL), 0);
	assert_false(u.nochg);
	published_a(f, "home", a);
	assert_string_equal(a, "192.0.2.2");
	uint32_t s1 = serial_of(f);
	u.nochg = false;
	assert_int_equal(call(f, op_host_update, &u, NULL), 0);
	assert_true(u.nochg);
	assert_int_equal(serial_of(f), s1);

	/* Suspend: NXDOMAIN policy removes the name; updates are refused. */
	op_host_state_t st = { .suspend = true };
	snprintf(st.fqdn, sizeof(st.fqdn), "home.dyn.example");
	snprintf(st.reason, sizeof(st.reason), "test");
	assert_int_equal(call(f, op_host_state, &st, NULL), 0);
	published_a(f, "home", a);
	assert_string_equal(a, "");
	assert_int_equal(call(f, op_host_state, &st, NULL), DDNS_ESTATE);
	inet_pton(AF_INET, "192.0.2.3", u.v4);
	assert_int_equal(call(f, op_host_update, &u, NULL), DDNS_ESUSPENDED);
	st.suspend = false;
	assert_int_equal(call(f, op_host_state, &st, NULL), 0);
	published_a(f, "home", a);
	assert_string_equal(a, "192.0.2.2");

	/* Deleting the owner deletes the host and its records. */
	op_user_del_t d = { 0 };
	snprintf(d.name, sizeof(d.name), "alice");
	assert_int_equal(call(f, op_user_del, &d, NULL), 0);
	published_a(f, "home", a);
	assert_string_equal(a, "");

	int64_t rows, bad;
	char why[256];
	assert_int_equal(db_audit_verify(f->db, &rows, NULL, &bad, why, sizeof(why)), 0);
	assert_true(rows >= 8);
}

static atomic_int completed;

static void done_count(wreq_t *r)
{
	(void)r;
	atomic_fetch_add(&completed, 1);
}

/* Requests queued before the thread starts form one batch: the bad one
 * fails alone, the others commit, and the batch raises the serial once. */
static void test_batch_isolation(void **state)
{
	fx_t *f = *state;
	add_user(f, "carol", 10);
	stop_writer(f);
	assert_int_equal(start_writer(f), 0);
	uint32_t s0 = serial_of(f);

	op_host_add_t h[3];
	wreq_t r[3];
	const char *names[3] = { "c1.dyn.example", "c2.dyn.example", "c3.dyn.example" };
	const char *users[3] = { "carol", "nobody", "carol" };
	atomic_store(&completed, 0);
	for (int i = 0; i < 3; i++) {
		memset(&h[i], 0, sizeof(h[i]));
		snprintf(h[i].fqdn, sizeof(h[i].fqdn), "%s", names[i]);
		snprintf(h[i].user, sizeof(h[i].user), "%s", users[i]);
		h[i].has_v4 = true;
		inet_pton(AF_INET, "198.51.100.1", h[i].v4);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].op = op_host_add;
		r[i].args = &h[i];
		r[i].done = done_count;
		writer_submit(f->w, &r[i]);
	}
	assert_int_equal(writer_start(f->w), 0);
	while (atomic_load(&completed) < 3)
		usleep(1000);
	assert_int_equal(r[0].status, 0);
	assert_int_equal(r[1].status, DDNS_ENOENT);
	assert_int_equal(r[2].status, 0);
	for (int i = 0; i < 3; i++)
		json_decref(r[i].result);
	char a[INET_ADDRSTRLEN];
	published_a(f, "c1", a);
	assert_string_equal(a, "198.51.100.1");
	published_a(f, "c2", a);
	assert_string_equal(a, "");
	published_a(f, "c3", a);
	assert_string_equal(a, "198.51.100.1");
	assert_int_equal(serial_of(f), s0 + 1);
}

/* The serial is stored with the changes: a restart serves the same one and
 * the next change goes on from it. */
static void test_serial_persists(void **state)
{
	fx_t *f = *state;
	uint32_t s = serial_of(f);
	stop_writer(f);
	assert_int_equal(start_writer(f), 0);
	assert_int_equal(writer_start(f->w), 0);
	assert_int_equal(serial_of(f), s);
	op_host_update_t u = { .set = HSET_V4, .has_v4 = true };
	snprintf(u.fqdn, sizeof(u.fqdn), "c1.dyn.example");
	inet_pton(AF_INET, "198.51.100.2", u.v4);
	assert_int_equal(call(f, op_host_update, &u, NULL), 0);
	assert_int_equal(serial_of(f), s + 1);

	/* The journal holds one entry per published serial. */
	sqlite3 *h;
	assert_int_equal(sqlite3_open(f->dbpath, &h), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*), max(serial) FROM journal", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_true(sqlite3_column_int(st, 0) >= 5);
	assert_int_equal((uint32_t)sqlite3_column_int64(st, 1), s + 1);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static int count(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Housekeeping deletes what can never be used again and delivered
 * notifications past outbox-keep (30 days by default), and nothing else. */
static void test_records_tick(void **state)
{
	fx_t *f = *state;
	add_user(f, "rita", 5);
	stop_writer(f);
	sqlite3 *h;
	assert_int_equal(sqlite3_open(f->dbpath, &h), SQLITE_OK);
	int64_t now = time(NULL), day = 86400;
	char sql[2048];
	snprintf(sql, sizeof(sql),
	         "INSERT INTO session(user, hash, csrf, created, last_seen, expires, revoked) "
	         "SELECT id, x'01', 'a', %1$lld, %1$lld, %1$lld + 3600, 0 FROM user WHERE name = 'rita';"
	         "INSERT INTO session(user, hash, csrf, created, last_seen, expires, revoked) "
	         "SELECT id, x'02', 'b', %1$lld, %1$lld, %1$lld + 3600, 1 FROM user WHERE name = 'rita';"
	         "INSERT INTO session(user, hash, csrf, created, last_seen, expires, revoked) "
	         "SELECT id, x'03', 'c', %1$lld - 10, %1$lld - 10, %1$lld - 1, 0 FROM user WHERE name = 'rita';"
	         "INSERT INTO session(user, hash, csrf, created, last_seen, expires, revoked) "
	         "SELECT id, x'04', 'd', %1$lld - %2$lld - 99, %1$lld - %2$lld - 9, %1$lld + 3600, 0 "
	         "FROM user WHERE name = 'rita';"
	         "INSERT INTO mailtoken(hash, user, kind, created, expires) "
	         "SELECT x'11', id, 'reset', %1$lld, %1$lld + 3600 FROM user WHERE name = 'rita';"
	         "INSERT INTO mailtoken(hash, user, kind, created, expires, used) "
	         "SELECT x'12', id, 'verify', %1$lld - 99, %1$lld - 1, %1$lld - 50 FROM user WHERE name = 'rita';"
	         "INSERT INTO invite(hash, created, expires, actor) VALUES (x'21', %1$lld, %1$lld + 3600, 'op');"
	         "INSERT INTO invite(hash, created, expires, actor) VALUES (x'22', %1$lld - 99, %1$lld - 1, 'op');"
	         "INSERT INTO invite(hash, created, expires, actor, used_by) "
	         "SELECT x'23', %1$lld - 99, %1$lld - 1, 'op', id FROM user WHERE name = 'rita';"
	         "INSERT INTO outbox(created, kind, rcpt, subject, body, next_try, delivered) VALUES "
	         "(%1$lld - 40 * %2$lld, 'email', 'a@example.net', 's', 'b', 0, %1$lld - 31 * %2$lld),"
	         "(%1$lld - 40 * %2$lld, 'email', 'b@example.net', 's', 'b', 0, %1$lld - 29 * %2$lld),"
	         "(%1$lld - 40 * %2$lld, 'email', 'c@example.net', 's', 'b', %1$lld, 0);",
	         (long long)now, (long long)day);
	char *err = NULL;
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, &err), SQLITE_OK);
	assert_int_equal(start_writer(f), 0);
	assert_int_equal(writer_start(f->w), 0);

	assert_int_equal(call(f, op_records_tick, NULL, NULL), 0);
	/* the live session, link and invitation; the used invitation */
	assert_int_equal(count(h, "SELECT count(*) FROM session"), 1);
	assert_int_equal(count(h, "SELECT count(*) FROM session WHERE hash = x'01'"), 1);
	assert_int_equal(count(h, "SELECT count(*) FROM mailtoken"), 1);
	assert_int_equal(count(h, "SELECT count(*) FROM mailtoken WHERE hash = x'11'"), 1);
	assert_int_equal(count(h, "SELECT count(*) FROM invite"), 2);
	assert_int_equal(count(h, "SELECT count(*) FROM invite WHERE hash IN (x'21', x'23')"), 2);
	/* the message delivered 29 days ago and the undelivered one */
	assert_int_equal(count(h, "SELECT count(*) FROM outbox"), 2);
	assert_int_equal(count(h, "SELECT count(*) FROM outbox WHERE rcpt != 'a@example.net'"), 2);
	/* nothing left to do */
	assert_int_equal(call(f, op_records_tick, NULL, NULL), 0);
	assert_int_equal(count(h, "SELECT count(*) FROM session") + count(h, "SELECT count(*) FROM outbox"), 3);
	sqlite3_close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_lifecycle),
		cmocka_unit_test(test_batch_isolation),
		cmocka_unit_test(test_serial_persists),
		cmocka_unit_test(test_records_tick),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
