/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for the query path: any bytes as a query over UDP and
 * over TCP. A response, when there is one, must parse and must fit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <urcu.h>
#include <libknot/libknot.h>

#include "dns/query.h"
#include "../unit/helpers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *ZONE =
	"$ORIGIN dyn.example.\n$TTL 60\n"
	"@ SOA ns1 hostmaster 1 3600 600 1209600 60\n"
	"@ MX 10 mail\nmail A 192.0.2.25\n"
	"alice A 192.0.2.1\nalice AAAA 2001:db8::1\nalice TXT \"v=spf1 -all\"\n"
	"*.alice A 192.0.2.2\nwww CNAME alice\nloop CNAME loop\n"
	"a.b.c A 192.0.2.3\n_sip._udp SRV 0 5 5060 alice\n"
	"sub NS ns.sub\nns.sub A 192.0.2.99\n";

static testzone_t tz;
static query_conf_t qc = { .identity = "ns1.fuzz", .version = "fuzz" };
static query_env_t env;
static uint8_t resp[65535];

static void check(size_t len, size_t limit)
{
	if (len == 0)
		return;
	if (len > limit)
		abort();
	knot_pkt_t *p = knot_pkt_new(resp, len, NULL);
	if (p == NULL || knot_pkt_parse(p, 0) != KNOT_EOK)
		abort();
	knot_pkt_free(p);
}

/* The zone lives for the whole run; freeing it at exit keeps LeakSanitizer
 * from mistaking the tagged slot pointers of the table for leaks. */
static void cleanup(void)
{
	query_env_deinit(&env);
	testzone_deinit(&tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		rcu_register_thread();
		if (testzone_init(&tz, NULL, ZONE) != 0 || query_env_init(&env, &tz.set, &qc) != 0)
			abort();
		atexit(cleanup);
		ready = true;
	}
	if (size > 65535)
		return 0;
	uint8_t *q = malloc(size ? size : 1);
	if (q == NULL)
		return 0;
	memcpy(q, data, size);
	check(query_answer(&env, q, size, resp, 1232, false), 1232);
	memcpy(q, data, size);
	check(query_answer(&env, q, size, resp, sizeof(resp), true), sizeof(resp));
	free(q);
	return 0;
}
