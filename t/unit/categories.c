/*
 * t/unit/categories.c - alert categories for analysis quality: the default
 * rules, rules from salve.yaml with first-match-wins, label patterns, the
 * alert's own category label, the fallback, and rule lines refused with a
 * reason.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "categories.h"
#include "tap.h"

static const char *classify(const struct categories *c, const char *name, const char *labels_json)
{
	static char cat[64]; /* the answer may point into labels */
	json_t *labels = json_loads(labels_json, 0, NULL);

	snprintf(cat, sizeof(cat), "%s", categories_classify(c, name, labels));
	json_decref(labels);
	return cat;
}

int main(void)
{
	struct categories c;
	char msg[300];
	const char *rules[] = { "payments: service=pay* team=billing", "db: *Postgres*", "infra: *", NULL };

	plan(20);
	is_int(0, categories_init(&c, NULL, NULL, msg, sizeof(msg)), "the default rules load");
	is_string("database", classify(&c, "PostgresReplicationLag", "{}"), "a Postgres alert is database");
	is_string("database", classify(&c, "HighConnections", "{\"service\":\"pgbouncer\"}"),
		  "service=pgbouncer is database by its label");
	is_string("infrastructure", classify(&c, "HighCPUUsage", "{\"instance\":\"web-1\"}"), "HighCPUUsage is infrastructure");
	is_string("infrastructure", classify(&c, "DiskSpaceLow", "{}"), "DiskSpaceLow is infrastructure");
	is_string("network", classify(&c, "DNSResolutionFailing", "{}"), "a DNS alert is network");
	is_string("application", classify(&c, "CheckoutErrorRate", "{\"service\":\"checkout\"}"),
		  "anything else falls back to application");
	is_string("security", classify(&c, "HighCPUUsage", "{\"category\":\"security\"}"),
		  "an alert's own category label wins");
	categories_free(&c);

	is_int(0, categories_init(&c, rules, "other", msg, sizeof(msg)), "rules from salve.yaml load");
	is_string("payments", classify(&c, "PostgresDown", "{\"service\":\"payments-api\"}"),
		  "the first matching rule wins over a later one");
	is_string("payments", classify(&c, "X", "{\"team\":\"billing\"}"), "any pattern of a rule may match");
	is_string("db", classify(&c, "postgresdown", "{}"), "name globs ignore case");
	is_string("infra", classify(&c, "Anything", "{}"), "a catch-all rule leaves the fallback unused");
	categories_free(&c);

	is_int(-EINVAL, categories_check_rule("no colon here", msg, sizeof(msg)), "a rule without a colon is refused");
	is_contains("category: pattern", msg, "the message shows the expected form");
	is_int(-EINVAL, categories_check_rule("db:", msg, sizeof(msg)), "a rule without patterns is refused");
	is_int(-EINVAL, categories_check_rule("db: =x", msg, sizeof(msg)), "a label pattern without a label is refused");
	is_int(-EINVAL, categories_check_rule("bad name: x", msg, sizeof(msg)), "a category with a space is refused");
	is_int(-EINVAL, categories_check_rule("db: instance=db-*", msg, sizeof(msg)),
	       "a label rules cannot read (instance) is refused");
	is_contains("service, job", msg, "the message lists the labels rules can read");
	return done_testing();
}
