/*
 * core/analysis_rules.h - which alerts are analysed on arrival, by which
 * backend: the rules under analysis.rules in salve.yaml.
 *
 *   analysis:
 *     rules:
 *       - match: { alertname: "HighCPU*", severity: [critical, warning],
 *                  labels: { team: web } }
 *         action: analyze        # analyze | manual | ignore
 *         backend: openai        # optional; else analysis.default_backend
 *
 * The first rule whose every condition holds decides; with none,
 * analysis.default_action does.  alertname is a shell glob; severity a
 * value or a list; labels values are globs and all must match.  analyze
 * queues an analysis when the alert arrives; manual waits for someone to
 * ask; ignore also refuses requests.
 */
#ifndef SALVE_ANALYSIS_RULES_H
#define SALVE_ANALYSIS_RULES_H

#include <stddef.h>
#include <jansson.h>

enum analysis_action { ANALYSIS_MANUAL = 0, ANALYSIS_ANALYZE, ANALYSIS_IGNORE };

struct analysis_rules; /* parsed, immutable */

struct analysis_decision {
	enum analysis_action action;
	const char *backend; /* NULL: the default */
	int rule;            /* 1-based index of the deciding rule; 0: the default action */
};

/* Reads analysis.rules from the YAML file at path (NULL or absent: no
 * rules).  0 with *out set; -EINVAL with err as "file:line:col: what". */
int analysis_rules_load(const char *path, struct analysis_rules **out, char *err, size_t errlen);
void analysis_rules_free(struct analysis_rules *rules);
size_t analysis_rules_count(const struct analysis_rules *rules);

/* The decision for an alert ({"alert_name","severity","labels"}). */
struct analysis_decision analysis_rules_decide(const struct analysis_rules *rules, json_t *alert,
					       enum analysis_action default_action);

const char *analysis_action_name(enum analysis_action a);
/* -1 when name is none of analyze, manual, ignore. */
int analysis_action_parse(const char *name);

#endif
