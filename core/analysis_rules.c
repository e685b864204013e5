/*
 * core/analysis_rules.c - auto-analysis rules (see analysis_rules.h).
 *
 * The rules are read with yaml_json, which keeps each value's line and
 * column, so a mistake is reported where it is.  Once loaded they are
 * plain JSON, checked, and only read.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_rules.h"
#include "yaml_json.h"

struct analysis_rules {
	json_t *list; /* validated: [{"match": {...}, "action", "backend"}] */
};

static const char *const action_names[] = { "manual", "analyze", "ignore" };

const char *analysis_action_name(enum analysis_action a) { return action_names[a]; }

int analysis_action_parse(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (strcmp(name, action_names[i]) == 0)
			return i;
	return -1;
}

static int fail(const char *path, json_t *locs, const char *field, char *err, size_t errlen, const char *what)
{
	long line = 0, col = 0;

	if (yaml_json_where(locs, field, &line, &col) == 0)
		snprintf(err, errlen, "%s:%ld:%ld: %s: %s", path, line, col, field, what);
	else
		snprintf(err, errlen, "%s: %s: %s", path, field, what);
	return -EINVAL;
}

static int is_string_or_strings(json_t *v)
{
	json_t *x;
	size_t i;

	if (json_is_string(v))
		return 1;
	if (!json_is_array(v) || !json_array_size(v))
		return 0;
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return 0;
	return 1;
}

static int check_rule(const char *path, json_t *locs, json_t *rule, size_t i, char *err, size_t errlen)
{
	char field[96];
	json_t *match = json_object_get(rule, "match"), *v;
	const char *key;

#define FIELD(fmt, ...) (snprintf(field, sizeof(field), "analysis.rules[%zu]" fmt, i, ##__VA_ARGS__), field)
	if (!json_is_object(rule))
		return fail(path, locs, FIELD(""), err, errlen, "expected a mapping with match and action");
	json_object_foreach(rule, key, v)
		if (strcmp(key, "match") && strcmp(key, "action") && strcmp(key, "backend"))
			return fail(path, locs, FIELD(".%s", key), err, errlen,
				    "unknown key (expected match, action, backend)");
	if (analysis_action_parse(json_string_value(json_object_get(rule, "action"))) < 0)
		return fail(path, locs, FIELD(".action"), err, errlen, "expected analyze, manual or ignore");
	if (json_object_get(rule, "backend") && !json_is_string(json_object_get(rule, "backend")))
		return fail(path, locs, FIELD(".backend"), err, errlen, "expected an llm plugin name like openai");
	if (match && !json_is_object(match))
		return fail(path, locs, FIELD(".match"), err, errlen, "expected a mapping of alertname, severity, labels");
	json_object_foreach(match, key, v) {
		if (strcmp(key, "alertname") == 0 || strcmp(key, "severity") == 0) {
			if (!is_string_or_strings(v))
				return fail(path, locs, FIELD(".match.%s", key), err, errlen,
					    "expected a string or a list of strings");
		} else if (strcmp(key, "labels") == 0) {
			json_t *lv;
			const char *lk;
			if (!json_is_object(v))
				return fail(path, locs, FIELD(".match.labels"), err, errlen,
					    "expected a mapping of label to glob");
			json_object_foreach(v, lk, lv)
				if (!json_is_string(lv))
					return fail(path, locs, FIELD(".match.labels.%s", lk), err, errlen,
						    "expected a string (a glob)");
		} else {
			return fail(path, locs, FIELD(".match.%s", key), err, errlen,
				    "unknown condition (expected alertname, severity, labels)");
		}
	}
#undef FIELD
	return 0;
}

int analysis_rules_load(const char *path, struct analysis_rules **out, char *err, size_t errlen)
{
	json_t *doc = NULL, *locs = NULL, *rules, *r;
	size_t i;
	int rc = 0;

	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (!path)
		return 0;
	if (yaml_json_load_file(path, &doc, &locs, err, errlen) < 0) {
		analysis_rules_free(*out);
		*out = NULL;
		return -EINVAL;
	}
	rules = json_object_get(json_object_get(doc, "analysis"), "rules");
	if (rules && !json_is_null(rules) && !json_is_array(rules))
		rc = fail(path, locs, "analysis.rules", err, errlen, "expected a list of rules");
	json_array_foreach(rules, i, r)
		if (!rc)
			rc = check_rule(path, locs, r, i, err, errlen);
	if (!rc)
		(*out)->list = json_is_array(rules) ? json_incref(rules) : json_array();
	json_decref(doc);
	json_decref(locs);
	if (rc) {
		analysis_rules_free(*out);
		*out = NULL;
	}
	return rc;
}

void analysis_rules_free(struct analysis_rules *rules)
{
	if (!rules)
		return;
	json_decref(rules->list);
	free(rules);
}

size_t analysis_rules_count(const struct analysis_rules *rules) { return rules ? json_array_size(rules->list) : 0; }

/* A glob, or any of a list of globs, matches value (NULL matches nothing). */
static int glob_any(json_t *patterns, const char *value)
{
	json_t *p;
	size_t i;

	if (!value)
		return 0;
	if (json_is_string(patterns))
		return fnmatch(json_string_value(patterns), value, 0) == 0;
	json_array_foreach(patterns, i, p)
		if (fnmatch(json_string_value(p), value, 0) == 0)
			return 1;
	return 0;
}

static int rule_matches(json_t *match, json_t *alert)
{
	json_t *cond, *labels = json_object_get(alert, "labels"), *lv;
	const char *lk;

	if ((cond = json_object_get(match, "alertname")) &&
	    !glob_any(cond, json_string_value(json_object_get(alert, "alert_name"))))
		return 0;
	if ((cond = json_object_get(match, "severity")) &&
	    !glob_any(cond, json_string_value(json_object_get(alert, "severity"))))
		return 0;
	json_object_foreach(json_object_get(match, "labels"), lk, lv)
		if (!glob_any(lv, json_string_value(json_object_get(labels, lk))))
			return 0;
	return 1;
}

struct analysis_decision analysis_rules_decide(const struct analysis_rules *rules, json_t *alert,
					       enum analysis_action default_action)
{
	struct analysis_decision d = { default_action, NULL, 0 };
	json_t *r;
	size_t i;

	if (!rules)
		return d;
	json_array_foreach(rules->list, i, r)
		if (rule_matches(json_object_get(r, "match"), alert)) {
			d.action = (enum analysis_action)analysis_action_parse(
				json_string_value(json_object_get(r, "action")));
			d.backend = json_string_value(json_object_get(r, "backend"));
			d.rule = (int)i + 1;
			break;
		}
	return d;
}
