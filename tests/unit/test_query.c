/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the query engine: packets in, packets out, no sockets.
 * The zone is built through the real import and load path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <urcu.h>
#include <libknot/libknot.h>

#include "dns/query.h"
#include "lib/name.h"
#include "helpers.h"

static const char *ZONE =
	"$ORIGIN dyn.example.\n$TTL 60\n"
	"@ SOA ns1 hostmaster 1 3600 600 1209600 60\n"
	"alice A 192.0.2.1\nalice AAAA 2001:db8::1\n"
	"*.alice A 192.0.2.2\n"
	"www CNAME alice\nloop1 CNAME loop2\nloop2 CNAME loop1\n"
	"dangling CNAME nothere\nout CNAME elsewhere.example.\n"
	"a.b.c A 192.0.2.3\n"
	"mx MX 10 mail.mx\nmail.mx A 192.0.2.25\n"
	"sub NS ns.sub\nns.sub A 192.0.2.99\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"1123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"2123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"3123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"4123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"5123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"6123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"7123456789012345678901234567890123456789012345678901234567890123456789\"\n";

typedef struct {
	testzone_t tz;
	query_conf_t qc;
	query_env_t env;
	uint8_t resp[65535];
	size_t len;
	knot_pkt_t *pkt;
} fx_t;

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	if (testzone_init(&f->tz, NULL, ZONE) != 0)
		return -1;
	f->qc.identity = "ns1.test";
	f->qc.version = "ddnsd-unit";
	if (query_env_init(&f->env, &f->tz.set, &f->qc) != 0)
		return -1;
	rcu_register_thread();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	knot_pkt_free(f->pkt);
	query_env_deinit(&f->env);
	testzone_deinit(&f->tz);
	rcu_unregister_thread();
	free(f);
	return 0;
}

enum { Q_NOEDNS = -1 };

/* Builds a query; edns_payload < 0: no OPT. Returns its length. */
static size_t mkquery(uint8_t *q, const char *name, uint16_t type, uint16_t cls, int edns_payload,
                      uint8_t version)
{
	memset(q, 0, 12);
	q[0] = 0x12;
	q[1] = 0x34;
	q[2] = 0x01; /* RD */
	q[5] = 1;
	size_t len = 12;
	/* Keep the case as given, to check it is echoed. */
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
	q[len++] = type >> 8;
	q[len++] = type & 0xff;
	q[len++] = cls >> 8;
	q[len++] = cls & 0xff;
	if (edns_payload >= 0) {
		q[11] = 1;
		uint8_t opt[11] = { 0, 0, 41, edns_payload >> 8, edns_payload & 0xff, 0, version, 0, 0, 0, 0 };
		memcpy(q + len, opt, 11);
		len += 11;
	}
	return len;
}

static knot_pkt_t *ask(fx_t *f, uint8_t *q, size_t qlen, bool tcp)
{
	knot_pkt_free(f->pkt);
	f->pkt = NULL;
	f->len = query_answer(&f->env, q, qlen, f->resp, tcp ? sizeof(f->resp) : 1232, tcp);
	if (f->len == 0)
		return NULL;
	f->pkt = knot_pkt_new(f->resp, f->len, NULL);
	assert_int_equal(knot_pkt_parse(f->pkt, 0), KNOT_EOK);
	return f->pkt;
}

static knot_pkt_t *query(fx_t *f, const char *name, uint16_t type, int payload)
{
	uint8_t q[512];
	size_t n = mkquery(q, name, type, KNOT_CLASS_IN, payload, 0);
	return ask(f, q, n, false);
}

static const knot_pktsection_t *sec(knot_pkt_t *p, knot_section_t s)
{
	return knot_pkt_section(p, s);
}

static void test_positive(void **state)
{
	fx_t *f = *state;
	knot_pkt_t *p = query(f, "AlIcE.Dyn.Example", KNOT_RRTYPE_A, 1232);
	assert_non_null(p);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_true(knot_wire_get_aa(p->wire));
	assert_true(knot_wire_get_rd(p->wire));
	assert_false(knot_wire_get_ra(p->wire));
	/* The question's case is echoed. */
	assert_memory_equal(p->wire + 12, "\x05" "AlIcE\x03" "Dyn\x07" "Example", 19);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 1);
	const knot_rrset_t *rr = knot_pkt_rr(sec(p, KNOT_ANSWER), 0);
	assert_int_equal(rr->type, KNOT_RRTYPE_A);
	assert_memory_equal(rr->rrs.rdata->data, "\xc0\x00\x02\x01", 4);
	assert_non_null(p->opt_rr);
	assert_int_equal(knot_edns_get_payload(p->opt_rr), 1232);
}

static void test_negative(void **state)
{
	fx_t *f = *state;
	knot_pkt_t *p = query(f, "nope.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NXDOMAIN);
	assert_true(knot_wire_get_aa(p->wire));
	assert_int_equal(sec(p, KNOT_AUTHORITY)->count, 1);
	const knot_rrset_t *soa = knot_pkt_rr(sec(p, KNOT_AUTHORITY), 0);
	assert_int_equal(soa->type, KNOT_RRTYPE_SOA);
	assert_int_equal(soa->ttl, 60); /* min(SOA TTL 3600, minimum 60) */
	assert_null(p->opt_rr);

	/* NODATA at a name with other types, and at an empty non-terminal. */
	p = query(f, "alice.dyn.example", KNOT_RRTYPE_MX, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 0);
	assert_int_equal(sec(p, KNOT_AUTHORITY)->count, 1);
	p = query(f, "b.c.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 0);
	p = query(f, "x.b.c.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NXDOMAIN);
	p = query(f, "alice.dyn.example", 666, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 0);

	/* Outside our zones. */
	p = query(f, "example.com", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	assert_false(knot_wire_get_aa(p->wire));
}

static void test_wildcard_and_cname(void **state)
{
	fx_t *f = *state;
	knot_pkt_t *p = query(f, "x.Y.alice.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 1);
	const knot_rrset_t *rr = knot_pkt_rr(sec(p, KNOT_ANSWER), 0);
	assert_memory_equal(rr->rrs.rdata->data, "\xc0\x00\x02\x02", 4);
	assert_true(knot_dname_is_equal(rr->owner, (const uint8_t *)"\x01x\x01y\x05" "alice\x03" "dyn\x07" "example"));

	p = query(f, "www.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 2);
	assert_int_equal(knot_pkt_rr(sec(p, KNOT_ANSWER), 0)->type, KNOT_RRTYPE_CNAME);
	rr = knot_pkt_rr(sec(p, KNOT_ANSWER), 1);
	assert_int_equal(rr->type, KNOT_RRTYPE_A);
	assert_true(knot_dname_is_equal(rr->owner, (const uint8_t *)"\x05" "alice\x03" "dyn\x07" "example"));

	p = query(f, "dangling.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NXDOMAIN);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 1);

	p = query(f, "out.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 1);

	/* A CNAME loop ends after a bounded number of hops. */
	p = query(f, "loop1.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_non_null(p);
	assert_true(sec(p, KNOT_ANSWER)->count <= 8);

	p = query(f, "mx.dyn.example", KNOT_RRTYPE_MX, Q_NOEDNS);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 1);
	assert_int_equal(sec(p, KNOT_ADDITIONAL)->count, 1);
}

static void test_referral(void **state)
{
	fx_t *f = *state;
	knot_pkt_t *p = query(f, "www.sub.dyn.example", KNOT_RRTYPE_A, Q_NOEDNS);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	assert_false(knot_wire_get_aa(p->wire));
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 0);
	assert_int_equal(sec(p, KNOT_AUTHORITY)->count, 1);
	assert_int_equal(knot_pkt_rr(sec(p, KNOT_AUTHORITY), 0)->type, KNOT_RRTYPE_NS);
	assert_int_equal(sec(p, KNOT_ADDITIONAL)->count, 1);
}

static void test_edns(void **state)
{
	fx_t *f = *state;
	uint8_t q[512];
	size_t n = mkquery(q, "alice.dyn.example", KNOT_RRTYPE_A, KNOT_CLASS_IN, 4096, 1);
	knot_pkt_t *p = ask(f, q, n, false);
	assert_int_equal(knot_pkt_ext_rcode(p), KNOT_RCODE_BADVERS);
	assert_int_equal(knot_edns_get_version(p->opt_rr), 0);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 0);

	/* Truncation: eight 80-byte TXT records exceed 512 bytes. */
	p = query(f, "big.dyn.example", KNOT_RRTYPE_TXT, Q_NOEDNS);
	assert_true(knot_wire_get_tc(p->wire));
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 0);
	assert_true(f->len <= 512);
	p = query(f, "big.dyn.example", KNOT_RRTYPE_TXT, 1232);
	assert_false(knot_wire_get_tc(p->wire));
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 8);
	n = mkquery(q, "big.dyn.example", KNOT_RRTYPE_TXT, KNOT_CLASS_IN, Q_NOEDNS, 0);
	p = ask(f, q, n, true);
	assert_false(knot_wire_get_tc(p->wire));
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 8);
}

static void test_any(void **state)
{
	fx_t *f = *state;
	uint8_t q[512];
	knot_pkt_t *p = query(f, "alice.dyn.example", KNOT_RRTYPE_ANY, Q_NOEDNS);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 1);
	size_t n = mkquery(q, "alice.dyn.example", KNOT_RRTYPE_ANY, KNOT_CLASS_IN, Q_NOEDNS, 0);
	p = ask(f, q, n, true);
	assert_int_equal(sec(p, KNOT_ANSWER)->count, 2);
}

static void test_chaos(void **state)
{
	fx_t *f = *state;
	uint8_t q[512];
	size_t n = mkquery(q, "id.server", KNOT_RRTYPE_TXT, KNOT_CLASS_CH, Q_NOEDNS, 0);
	knot_pkt_t *p = ask(f, q, n, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOERROR);
	const knot_rrset_t *rr = knot_pkt_rr(sec(p, KNOT_ANSWER), 0);
	assert_memory_equal(rr->rrs.rdata->data, "\x08ns1.test", 9);
	f->qc.version = "";
	n = mkquery(q, "version.bind", KNOT_RRTYPE_TXT, KNOT_CLASS_CH, Q_NOEDNS, 0);
	p = ask(f, q, n, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_REFUSED);
	f->qc.version = "ddnsd-unit";
}

static void test_bad_packets(void **state)
{
	fx_t *f = *state;
	uint8_t q[512];
	/* Shorter than a header, or a response: silence. */
	assert_null(ask(f, q, 11, false));
	size_t n = mkquery(q, "alice.dyn.example", KNOT_RRTYPE_A, KNOT_CLASS_IN, Q_NOEDNS, 0);
	q[2] |= 0x80;
	assert_null(ask(f, q, n, false));
	/* QDCOUNT 0 and 2: FORMERR. */
	n = mkquery(q, "alice.dyn.example", KNOT_RRTYPE_A, KNOT_CLASS_IN, Q_NOEDNS, 0);
	q[5] = 0;
	knot_pkt_t *p = ask(f, q, n, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_FORMERR);
	q[5] = 2;
	p = ask(f, q, n, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_FORMERR);
	/* Truncated question. */
	n = mkquery(q, "alice.dyn.example", KNOT_RRTYPE_A, KNOT_CLASS_IN, Q_NOEDNS, 0);
	p = ask(f, q, n - 3, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_FORMERR);
	/* A compression pointer in the question pointing at itself. */
	memcpy(q + 12, "\xc0\x0c\x00\x01\x00\x01", 6);
	p = ask(f, q, 18, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_FORMERR);
	/* Label longer than 63. */
	n = mkquery(q, "alice.dyn.example", KNOT_RRTYPE_A, KNOT_CLASS_IN, Q_NOEDNS, 0);
	q[12] = 64;
	p = ask(f, q, n, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_FORMERR);
	/* Unknown opcode with every flag set: NOTIMP, nothing echoed. */
	n = mkquery(q, "alice.dyn.example", KNOT_RRTYPE_A, KNOT_CLASS_IN, Q_NOEDNS, 0);
	q[2] = 0x7f;   /* opcode 15, AA, TC, RD */
	q[3] = 0x70;   /* RA, Z, AD, CD */
	p = ask(f, q, n, false);
	assert_int_equal(knot_wire_get_rcode(p->wire), KNOT_RCODE_NOTIMPL);
	assert_int_equal(knot_wire_get_opcode(p->wire), 15);
	assert_int_equal(p->wire[2], 0x80 | 15 << 3);
	assert_int_equal(p->wire[3] & 0xf0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_positive),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_wildcard_and_cname),
		cmocka_unit_test(test_referral),
		cmocka_unit_test(test_edns),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_chaos),
		cmocka_unit_test(test_bad_packets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
