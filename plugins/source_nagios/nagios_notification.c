/*
 * plugins/source_nagios/nagios_notification.c - from notification fields
 * to a salve alert (see nagios_notification.h).
 */
#include "nagios_notification.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_ALERT_NAME "Host check"

static const char *const type_names[] = {
	[NAGIOS_PROBLEM] = "PROBLEM",
	[NAGIOS_RECOVERY] = "RECOVERY",
	[NAGIOS_ACKNOWLEDGEMENT] = "ACKNOWLEDGEMENT",
	[NAGIOS_FLAPPINGSTART] = "FLAPPINGSTART",
	[NAGIOS_FLAPPINGSTOP] = "FLAPPINGSTOP",
	[NAGIOS_FLAPPINGDISABLED] = "FLAPPINGDISABLED",
	[NAGIOS_DOWNTIMESTART] = "DOWNTIMESTART",
	[NAGIOS_DOWNTIMEEND] = "DOWNTIMEEND",
	[NAGIOS_DOWNTIMECANCELLED] = "DOWNTIMECANCELLED",
	[NAGIOS_CUSTOM] = "CUSTOM",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char *const service_states[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN", NULL };
static const char *const host_states[] = { "UP", "DOWN", "UNREACHABLE", NULL };

static const char *field_or_empty(const struct form *f, const char *name)
{
	const char *v = form_get(f, name);
	return v ? v : "";
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

/* A decimal number of digits only; empty or absent reads as 0. */
static int parse_unsigned(const struct form *f, const char *name, unsigned long long *out,
			  char *err, size_t errlen)
{
	const char *v = form_get(f, name);
	char *end;

	*out = 0;
	if (!v || !*v)
		return 0;
	if (*v < '0' || *v > '9')
		return nagios_fail(err, errlen, "%s: expected a non-negative integer, got \"%.32s\"", name, v);
	errno = 0;
	*out = strtoull(v, &end, 10);
	if (*end || errno)
		return nagios_fail(err, errlen, "%s: expected a non-negative integer, got \"%.32s\"", name, v);
	return 0;
}

static int parse_type(const struct form *f, struct nagios_notification *n, char *err, size_t errlen)
{
	const char *v = form_get(f, "NOTIFICATIONTYPE");

	if (!v || !*v)
		return nagios_fail(err, errlen, "NOTIFICATIONTYPE: required");
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(v, type_names[i])) {
			n->type = (enum nagios_type)i;
			n->type_name = type_names[i];
			return 0;
		}
	return nagios_fail(err, errlen, "NOTIFICATIONTYPE: unknown value \"%.32s\" (expected PROBLEM, "
		    "RECOVERY, ACKNOWLEDGEMENT, FLAPPINGSTART, FLAPPINGSTOP, FLAPPINGDISABLED, "
		    "DOWNTIMESTART, DOWNTIMEEND, DOWNTIMECANCELLED or CUSTOM)", v);
}

static int parse_state(const struct form *f, struct nagios_notification *n, const char *prefix,
		       const char *const *states, char *err, size_t errlen)
{
	char name[32], last[32];
	const char *expected = states == service_states ? "OK, WARNING, CRITICAL or UNKNOWN"
							: "UP, DOWN or UNREACHABLE";

	snprintf(name, sizeof(name), "%sSTATE", prefix);
	snprintf(last, sizeof(last), "LAST%sSTATE", prefix);
	n->state = form_get(f, name);
	if (!n->state || !*n->state)
		return nagios_fail(err, errlen, "%s: required for a %s notification", name,
			    n->service ? "service" : "host");
	if (!in_list(n->state, states))
		return nagios_fail(err, errlen, "%s: expected %s, got \"%.32s\"", name, expected, n->state);
	n->problem_state = NULL;
	if (n->type == NAGIOS_RECOVERY) {
		const char *v = form_get(f, last);
		if (v && *v && !in_list(v, states))
			return nagios_fail(err, errlen, "%s: expected %s, got \"%.32s\"", last, expected, v);
		if (v && *v)
			n->problem_state = v;
	}
	return 0;
}

/* Which problem the notification is about: RECOVERY names the one it
 * ends, everything else the current one; PROBLEM, RECOVERY and
 * ACKNOWLEDGEMENT cannot be about none.  Nagios 4.4 (Debian 12) resets
 * the ids only after sending the RECOVERY, so there the ended problem is
 * still in $SERVICEPROBLEMID$ and $LASTSERVICEPROBLEMID$ is the one
 * before; newer Nagios reset first.  LAST* is the ended problem when it
 * is set, because the current one is 0 then. */
static int parse_problem_id(const struct form *f, struct nagios_notification *n,
			    const char *prefix, char *err, size_t errlen)
{
	char name[40], last[40];
	unsigned long long current;
	int rc;

	snprintf(name, sizeof(name), "%sPROBLEMID", prefix);
	snprintf(last, sizeof(last), "LAST%sPROBLEMID", prefix);
	if ((rc = parse_unsigned(f, name, &current, err, errlen)) < 0)
		return rc;
	n->problem_id = current;
	if (n->type == NAGIOS_RECOVERY) {
		if ((rc = parse_unsigned(f, last, &n->problem_id, err, errlen)) < 0)
			return rc;
		if (current)
			n->problem_id = current; /* Nagios 4.4: not reset yet */
		if (!n->problem_id)
			return nagios_fail(err, errlen, "%s: required for RECOVERY, a positive integer (the $%s$ "
				    "macro; or $%s$, which Nagios 4.4 has not reset yet)", last, last, name);
		return 0;
	}
	if (n->problem_id == 0 && (n->type == NAGIOS_PROBLEM || n->type == NAGIOS_ACKNOWLEDGEMENT))
		return nagios_fail(err, errlen, "%s: required for %s, a positive integer (the $%s$ macro)",
			    name, n->type_name, name);
	return 0;
}

int nagios_notification_parse(const struct form *f, int64_t now_us,
			      struct nagios_notification *n, char *err, size_t errlen)
{
	unsigned long long timet;
	const char *prefix;
	int rc;

	memset(n, 0, sizeof(*n));
	if ((rc = parse_type(f, n, err, errlen)) < 0)
		return rc;
	n->host = form_get(f, "HOSTNAME");
	if (!n->host || !*n->host)
		return nagios_fail(err, errlen, "HOSTNAME: required");
	n->service = form_get(f, "SERVICEDESC");
	if (n->service && !*n->service)
		n->service = NULL;
	prefix = n->service ? "SERVICE" : "HOST";
	if ((rc = parse_state(f, n, prefix, n->service ? service_states : host_states,
			      err, errlen)) < 0 ||
	    (rc = parse_problem_id(f, n, prefix, err, errlen)) < 0 ||
	    (rc = parse_unsigned(f, "TIMET", &timet, err, errlen)) < 0)
		return rc;
	if (timet > (unsigned long long)(INT64_MAX / 1000000))
		return nagios_fail(err, errlen, "TIMET: %llu is too far in the future", timet);
	n->time_us = timet ? (int64_t)timet * 1000000 : now_us;
	n->output = field_or_empty(f, n->service ? "SERVICEOUTPUT" : "HOSTOUTPUT");
	n->long_output = field_or_empty(f, n->service ? "LONGSERVICEOUTPUT" : "LONGHOSTOUTPUT");
	n->author = field_or_empty(f, "NOTIFICATIONAUTHOR");
	n->comment = field_or_empty(f, "NOTIFICATIONCOMMENT");
	return 0;
}

void nagios_fingerprint(const char *host, const char *service, char out[17])
{
	const char *parts[2] = { host, service ? service : "" };
	uint64_t h = UINT64_C(14695981039346656037);

	for (int j = 0; j < 2; j++) {
		for (const unsigned char *s = (const unsigned char *)parts[j]; *s; s++)
			h = (h ^ *s) * UINT64_C(1099511628211);
		h = (h ^ 0xff) * UINT64_C(1099511628211);
	}
	snprintf(out, 17, "%016" PRIx64, h);
}

const char *nagios_severity(const char *state)
{
	if (!state)
		return NULL;
	if (!strcmp(state, "CRITICAL") || !strcmp(state, "DOWN"))
		return "critical";
	if (!strcmp(state, "WARNING") || !strcmp(state, "UNKNOWN") || !strcmp(state, "UNREACHABLE"))
		return "warning";
	return NULL;
}

/* The problem's state: a RECOVERY reports OK or UP, which says nothing
 * about what the alert was, so it keeps the state it had. */
static const char *alert_state(const struct nagios_notification *n,
			       const struct nagios_previous *prev)
{
	if (n->type != NAGIOS_RECOVERY)
		return n->state;
	if (n->problem_state)
		return n->problem_state;
	const char *stored = prev ? json_string_value(json_object_get(prev->labels, "state")) : NULL;
	return stored ? stored : n->state;
}

static int set_str(json_t *obj, const char *key, const char *value)
{
	return json_object_set_new(obj, key, json_string(value));
}

/* What this kind of notification changes beyond summary and description. */
static int annotate_type(const struct nagios_notification *n, json_t *ann)
{
	switch (n->type) {
	case NAGIOS_ACKNOWLEDGEMENT:
		return set_str(ann, "nagios_ack_author", n->author) |
		       set_str(ann, "nagios_ack_comment", n->comment);
	case NAGIOS_FLAPPINGSTART:
		return set_str(ann, "nagios_flapping", "true");
	case NAGIOS_FLAPPINGSTOP:
	case NAGIOS_FLAPPINGDISABLED:
		return set_str(ann, "nagios_flapping", "false");
	case NAGIOS_DOWNTIMESTART:
		return set_str(ann, "nagios_downtime", "true");
	case NAGIOS_DOWNTIMEEND:
	case NAGIOS_DOWNTIMECANCELLED:
		return set_str(ann, "nagios_downtime", "false");
	case NAGIOS_CUSTOM:
		return set_str(ann, "nagios_custom_author", n->author) |
		       set_str(ann, "nagios_custom_comment", n->comment);
	case NAGIOS_PROBLEM:
	case NAGIOS_RECOVERY:
		break;
	}
	return 0;
}

static json_t *build_labels(const struct nagios_notification *n, const char *alert_name,
			    const char *state)
{
	json_t *labels = json_pack("{s:s,s:s,s:s,s:s}", "alertname", alert_name, "host", n->host,
				   "instance", n->host, "state", state);
	const char *severity = nagios_severity(state);

	if (labels && ((n->service && set_str(labels, "service", n->service) < 0) ||
		       (severity && set_str(labels, "severity", severity) < 0))) {
		json_decref(labels);
		return NULL;
	}
	return labels;
}

/* Nagios keeps long output on one line, "\n" for a line break and "\\"
 * for a backslash, and hands it to notifications that way; a reader wants
 * the lines.  Other backslashes stay as they are. */
static json_t *long_output_text(const char *escaped)
{
	char *text = malloc(strlen(escaped) + 1), *o = text;
	json_t *v;

	if (!text)
		return NULL;
	for (const char *s = escaped; *s; s++) {
		if (s[0] == '\\' && (s[1] == 'n' || s[1] == '\\')) {
			*o++ = s[1] == 'n' ? '\n' : '\\';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	v = json_string(text);
	free(text);
	return v;
}

/* Later notifications keep what earlier ones annotated (flapping,
 * downtime, acknowledgement); the output is the latest. */
static json_t *build_annotations(const struct nagios_notification *n,
				 const struct nagios_previous *prev, const char *problem_id)
{
	json_t *ann = prev && json_is_object(prev->annotations)
		? json_deep_copy(prev->annotations) : json_object();
	int rc;

	if (!ann)
		return NULL;
	rc = set_str(ann, "nagios_problem_id", problem_id) |
	     set_str(ann, "nagios_notification", n->type_name);
	if (*n->output)
		rc |= set_str(ann, "summary", n->output);
	if (*n->long_output)
		rc |= json_object_set_new(ann, "description", long_output_text(n->long_output));
	rc |= annotate_type(n, ann);
	if (rc) {
		json_decref(ann);
		return NULL;
	}
	return ann;
}

int nagios_alert_build(const struct nagios_notification *n, const struct nagios_previous *prev,
		       struct nagios_alert *out)
{
	const char *alert_name = n->service ? n->service : HOST_ALERT_NAME;
	const char *state = alert_state(n, prev);

	memset(out, 0, sizeof(*out));
	nagios_fingerprint(n->host, n->service, out->fingerprint);
	snprintf(out->problem_id, sizeof(out->problem_id), "%llu", n->problem_id);
	out->in.fingerprint = out->fingerprint;
	out->in.alert_name = alert_name;
	out->in.status = n->type == NAGIOS_RECOVERY ? "resolved" : "firing";
	out->in.severity = nagios_severity(state);
	out->in.instance = n->host;
	out->in.starts_at_us = prev ? prev->starts_us : n->time_us;
	out->in.ends_at_us = n->type == NAGIOS_RECOVERY ? n->time_us : 0;
	out->in.labels = build_labels(n, alert_name, state);
	out->in.annotations = build_annotations(n, prev, out->problem_id);
	if (!out->in.labels || !out->in.annotations) {
		nagios_alert_clear(out);
		return -ENOMEM;
	}
	return 0;
}

void nagios_alert_clear(struct nagios_alert *a)
{
	json_decref(a->in.labels);
	json_decref(a->in.annotations);
	a->in.labels = a->in.annotations = NULL;
}
