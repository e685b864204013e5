/*
 * t/unit/analysis_rules.c - auto-analysis rules (core/analysis_rules.c):
 * first match wins, globs on alertname and label values, severity as a
 * value or a list, the default action when nothing matches, and every
 * mistake reported with its file, line and column.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis_rules.h"
#include "tap.h"

static char path[] = "/tmp/salve-rules-XXXXXX";

static int load_text(const char *yaml, struct analysis_rules **rules, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f)
		bail("cannot write %s", path);
	fputs(yaml, f);
	fclose(f);
	return analysis_rules_load(path, rules, err, errlen);
}

static struct analysis_decision decide(struct analysis_rules *r, const char *alert_json)
{
	json_t *alert = json_loads(alert_json, 0, NULL);
	struct analysis_decision d = analysis_rules_decide(r, alert, ANALYSIS_MANUAL);
	json_decref(alert);
	return d;
}

static void matching(void)
{
	struct analysis_rules *r = NULL;
	struct analysis_decision d;
	char err[512] = "";

	is_int(0, load_text("analysis:\n"
			    "  rules:\n"
			    "    - match: { alertname: \"HighCPU*\", labels: { team: \"web*\" } }\n"
			    "      action: analyze\n"
			    "      backend: openai\n"
			    "    - match: { severity: [info, none] }\n"
			    "      action: ignore\n"
			    "    - match: { alertname: \"HighCPU*\" }\n"
			    "      action: manual\n",
			    &r, err, sizeof(err)),
	       "valid rules load (%s)", err);
	is_int(3, (long)analysis_rules_count(r), "three rules");
	d = decide(r, "{\"alert_name\":\"HighCPUWeb\",\"severity\":\"critical\",\"labels\":{\"team\":\"web-frontend\"}}");
	ok(d.action == ANALYSIS_ANALYZE && d.rule == 1 && d.backend && !strcmp(d.backend, "openai"),
	   "name and label globs match the first rule, with its backend");
	d = decide(r, "{\"alert_name\":\"HighCPUDb\",\"severity\":\"critical\",\"labels\":{\"team\":\"db\"}}");
	ok(d.action == ANALYSIS_MANUAL && d.rule == 3 && !d.backend, "a label that does not match falls through to rule 3");
	d = decide(r, "{\"alert_name\":\"HighCPUWeb\",\"severity\":\"info\",\"labels\":{}}");
	ok(d.action == ANALYSIS_IGNORE && d.rule == 2, "a missing label never matches; severity in a list does");
	d = decide(r, "{\"alert_name\":\"DiskFull\",\"severity\":\"critical\",\"labels\":{}}");
	ok(d.action == ANALYSIS_MANUAL && d.rule == 0, "nothing matches: the default action, rule 0");
	d = analysis_rules_decide(NULL, NULL, ANALYSIS_ANALYZE);
	ok(d.action == ANALYSIS_ANALYZE && d.rule == 0, "no rules at all: the default action");
	analysis_rules_free(r);

	is_int(0, load_text("listen: 127.0.0.1:1\n", &r, err, sizeof(err)), "a file without analysis.rules loads");
	is_int(0, (long)analysis_rules_count(r), "with no rules");
	analysis_rules_free(r);
}

static void mistakes(void)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "analysis:\n  rules: {}\n", ":2:3: analysis.rules: expected a list of rules" },
		{ "analysis:\n  rules:\n    - match: {}\n      action: analyse\n",
		  ":4:7: analysis.rules[0].action: expected analyze, manual or ignore" },
		{ "analysis:\n  rules:\n    - action: analyze\n      colour: red\n",
		  ":4:7: analysis.rules[0].colour: unknown key (expected match, action, backend)" },
		{ "analysis:\n  rules:\n    - match: { hostname: x }\n      action: analyze\n",
		  "analysis.rules[0].match.hostname: unknown condition (expected alertname, severity, labels)" },
		{ "analysis:\n  rules:\n    - match: { severity: [1, {a: b}] }\n      action: analyze\n",
		  "analysis.rules[0].match.severity: expected a string or a list of strings" },
		{ "analysis:\n  rules:\n    - match: { labels: { team: [a] } }\n      action: analyze\n",
		  "analysis.rules[0].match.labels.team: expected a string (a glob)" },
		{ "analysis:\n  rules:\n    - action: analyze\n      backend: 5\n",
		  "analysis.rules[0].backend: expected an llm plugin name" },
		{ "analysis:\n  rules:\n  - [\n", ":4:1: did not find expected node content" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct analysis_rules *r = (struct analysis_rules *)1;
		char err[512] = "";
		int rc = load_text(cases[i].yaml, &r, err, sizeof(err));
		is_int(-EINVAL, rc, "mistake %zu is refused", i + 1);
		ok(r == NULL, "mistake %zu leaves no rules", i + 1);
		is_contains(cases[i].want, err, "mistake %zu says where and what", i + 1);
		ok(!strncmp(err, path, strlen(path)), "mistake %zu names the file", i + 1);
	}
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		bail("mkstemp failed");
	close(fd);
	plan_lazy();
	matching();
	mistakes();
	is_string("analyze", analysis_action_name(ANALYSIS_ANALYZE), "action names");
	is_int(-1, analysis_action_parse("sometimes"), "an unknown action parses to -1");
	unlink(path);
	return done_testing();
}
