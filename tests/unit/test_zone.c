/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the zone store: names, empty non-terminals, replacement,
 * removal, growth, and readers running against a writer that replaces
 * nodes and resizes the table under them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <urcu.h>
#include <libknot/libknot.h>

#include "dns/nodebuild.h"
#include "dns/zone.h"
#include "lib/errors.h"
#include "lib/name.h"

static const uint8_t APEX[] = "\x03" "dyn\x07" "example";

/* Relative wire name from text ("a.b" -> "\1a\1b"). */
static size_t rel(const char *text, uint8_t *out)
{
	if (*text == '\0')
		return 0;
	int n = name_to_wire(text, out);
	assert_true(n > 0);
	return (size_t)n - 1;
}

static node_t *make_node(nodebuild_t *nb, const char *name, uint32_t value)
{
	uint8_t r[256], a[4] = { value >> 24, value >> 16, value >> 8, value };
	uint8_t txt[64];
	int tl = snprintf((char *)txt + 1, sizeof(txt) - 1, "version-%u", value);
	txt[0] = (uint8_t)tl;
	size_t rl = rel(name, r);
	nb_reset(nb);
	assert_int_equal(nb_add(nb, KNOT_RRTYPE_A, 60, a, 4), 0);
	assert_int_equal(nb_add(nb, KNOT_RRTYPE_TXT, 60, txt, (uint16_t)(tl + 1)), 0);
	node_t *n;
	assert_int_equal(nb_build(nb, r, rl, false, &n), 0);
	return n;
}

static const node_t *get(zone_t *z, const char *name)
{
	uint8_t r[256];
	size_t rl = rel(name, r);
	return zone_get(z, r, rl);
}

static void test_put_get_ent(void **state)
{
	zone_t *z = zone_new(APEX);
	zgc_t gc = { 0 };
	nodebuild_t nb;
	nb_init(&nb);
	assert_int_equal(zone_put(z, make_node(&nb, "a.b.c", 1), &gc), 0);
	assert_non_null(get(z, "a.b.c"));
	/* Ancestors exist as empty non-terminals. */
	const node_t *ent = get(z, "b.c");
	assert_non_null(ent);
	assert_int_equal(ent->ntypes, 0);
	assert_non_null(get(z, "c"));
	assert_null(get(z, "x.c"));
	assert_int_equal(zone_size(z), 3);

	/* Giving an ENT records keeps its children count. */
	assert_int_equal(zone_put(z, make_node(&nb, "b.c", 2), &gc), 0);
	assert_int_equal(get(z, "b.c")->ntypes, 2);
	assert_int_equal(get(z, "b.c")->children, 1);

	/* Removing the leaf: b.c keeps its records, c stays as its parent. */
	assert_int_equal(zone_remove(z, (const uint8_t *)"\x01" "a\x01" "b\x01" "c", 6, &gc), 0);
	assert_null(get(z, "a.b.c"));
	assert_non_null(get(z, "b.c"));
	assert_non_null(get(z, "c"));
	/* Removing b.c removes the now childless ENT c too. */
	assert_int_equal(zone_remove(z, (const uint8_t *)"\x01" "b\x01" "c", 4, &gc), 0);
	assert_null(get(z, "b.c"));
	assert_null(get(z, "c"));
	assert_int_equal(zone_size(z), 0);
	assert_int_equal(zone_remove(z, (const uint8_t *)"\x01" "q", 2, &gc), DDNS_ENOENT);

	zgc_deinit(&gc);
	nb_deinit(&nb);
	zone_free(z);
}

static void test_node_with_children_becomes_ent(void **state)
{
	zone_t *z = zone_new(APEX);
	zgc_t gc = { 0 };
	nodebuild_t nb;
	nb_init(&nb);
	assert_int_equal(zone_put(z, make_node(&nb, "alice", 1), &gc), 0);
	assert_int_equal(zone_put(z, make_node(&nb, "*.alice", 2), &gc), 0);
	assert_int_equal(zone_remove(z, (const uint8_t *)"\x05" "alice", 6, &gc), 0);
	const node_t *n = get(z, "alice");
	assert_non_null(n);
	assert_int_equal(n->ntypes, 0);
	assert_non_null(get(z, "*.alice"));
	zgc_deinit(&gc);
	nb_deinit(&nb);
	zone_free(z);
}

static void test_many_and_replace(void **state)
{
	zone_t *z = zone_new(APEX);
	zgc_t gc = { 0 };
	nodebuild_t nb;
	nb_init(&nb);
	char name[64];
	for (unsigned i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "host%u", i);
		assert_int_equal(zone_put(z, make_node(&nb, name, i), &gc), 0);
	}
	assert_int_equal(zone_size(z), 50000);
	for (unsigned i = 0; i < 50000; i += 7) {
		snprintf(name, sizeof(name), "host%u", i);
		assert_int_equal(zone_put(z, make_node(&nb, name, i + 1000000), &gc), 0);
	}
	assert_int_equal(zone_size(z), 50000);
	for (unsigned i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "host%u", i);
		const node_t *n = get(z, name);
		assert_non_null(n);
		node_rrset_t rs;
		assert_true(node_rrset(n, KNOT_RRTYPE_A, &rs));
		uint32_t want = i % 7 == 0 ? i + 1000000 : i;
		const uint8_t *a = rs.wire + 12;
		assert_int_equal((uint32_t)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3], want);
	}
	/* Delete half; tombstones must not break lookups of the rest. */
	for (unsigned i = 0; i < 50000; i += 2) {
		uint8_t r[64];
		snprintf(name, sizeof(name), "host%u", i);
		size_t rl = rel(name, r);
		assert_int_equal(zone_remove(z, r, rl, &gc), 0);
	}
	for (unsigned i = 0; i < 50000; i++) {
		snprintf(name, sizeof(name), "host%u", i);
		if (i % 2)
			assert_non_null(get(z, name));
		else
			assert_null(get(z, name));
	}
	zgc_deinit(&gc);
	nb_deinit(&nb);
	zone_free(z);
}

static void test_build_rules(void **state)
{
	nodebuild_t nb;
	nb_init(&nb);
	node_t *n = NULL;
	uint8_t target[] = "\x05" "alice\x03" "dyn\x07" "example";
	uint8_t a[4] = { 192, 0, 2, 1 };
	/* CNAME beside other data is refused. */
	nb_add(&nb, KNOT_RRTYPE_CNAME, 60, target, sizeof(target));
	nb_add(&nb, KNOT_RRTYPE_A, 60, a, 4);
	assert_int_equal(nb_build(&nb, (const uint8_t *)"\x01w", 2, false, &n), DDNS_ECNAME);
	/* Duplicates merge; the RRset TTL is the lowest. */
	nb_reset(&nb);
	nb_add(&nb, KNOT_RRTYPE_A, 300, a, 4);
	nb_add(&nb, KNOT_RRTYPE_A, 60, a, 4);
	assert_int_equal(nb_build(&nb, (const uint8_t *)"\x01w", 2, false, &n), 0);
	node_rrset_t rs;
	assert_true(node_rrset(n, KNOT_RRTYPE_A, &rs));
	assert_int_equal(rs.count, 1);
	assert_int_equal(rs.wire[0], 0xC0);
	assert_int_equal(rs.wire[1], 0x0C);
	assert_int_equal(rs.wire[9], 60);
	free(n);
	/* An apex needs an SOA. */
	nb_reset(&nb);
	nb_add(&nb, KNOT_RRTYPE_A, 60, a, 4);
	assert_int_equal(nb_build(&nb, (const uint8_t *)"", 0, true, &n), -EINVAL);
	nb_deinit(&nb);
}

/*
 * Readers never see a half-written node: each node's A record and TXT
 * record carry the same version number, written by the builder before the
 * node is published. Readers check both halves match while the writer
 * replaces the node and adds names to force table resizes.
 */
typedef struct {
	zone_t *z;
	atomic_bool stop;
	atomic_ulong reads;
	atomic_ulong errors;
} race_t;

static void *reader(void *arg)
{
	race_t *rc = arg;
	uint8_t r[] = "\x03hot";
	rcu_register_thread();
	while (!atomic_load(&rc->stop)) {
		rcu_read_lock();
		const node_t *n = zone_get(rc->z, r, 4);
		node_rrset_t a, t;
		if (n == NULL || !node_rrset(n, KNOT_RRTYPE_A, &a) || !node_rrset(n, KNOT_RRTYPE_TXT, &t)) {
			atomic_fetch_add(&rc->errors, 1);
		} else {
			const uint8_t *p = a.wire + 12;
			unsigned v = (unsigned)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
			char want[64];
			int wl = snprintf(want, sizeof(want), "version-%u", v);
			if (t.wire[12] != wl || memcmp(t.wire + 13, want, wl) != 0)
				atomic_fetch_add(&rc->errors, 1);
		}
		rcu_read_unlock();
		atomic_fetch_add(&rc->reads, 1);
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_readers_never_see_partial_nodes(void **state)
{
	race_t rc = { .z = zone_new(APEX) };
	zgc_t gc = { 0 };
	nodebuild_t nb;
	nb_init(&nb);
	assert_int_equal(zone_put(rc.z, make_node(&nb, "hot", 0), &gc), 0);
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, reader, &rc);
	char name[32];
	for (unsigned v = 1; v <= 200000; v++) {
		assert_int_equal(zone_put(rc.z, make_node(&nb, "hot", v), &gc), 0);
		if (v % 4 == 0) {
			snprintf(name, sizeof(name), "filler%u", v);
			assert_int_equal(zone_put(rc.z, make_node(&nb, name, v), &gc), 0);
		}
		if (gc.n >= 1024)
			zgc_defer(&gc);
	}
	atomic_store(&rc.stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&rc.errors), 0);
	assert_true(atomic_load(&rc.reads) > 1000);
	zgc_deinit(&gc);
	rcu_barrier();
	nb_deinit(&nb);
	zone_free(rc.z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_ent),
		cmocka_unit_test(test_node_with_children_becomes_ent),
		cmocka_unit_test(test_many_and_replace),
		cmocka_unit_test(test_build_rules),
		cmocka_unit_test(test_readers_never_see_partial_nodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
