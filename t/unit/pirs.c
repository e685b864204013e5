/*
 * t/unit/pirs.c - post-incident review validation and markdown
 * (core/pirs.c), no database: each class of field error with its path, the
 * fields a client may echo back, and the article a review becomes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pirs.h"
#include "tap.h"

/* The errors for a body as "field: message" lines joined by "; ". */
static char *errors_of(const char *text, int creating)
{
	json_error_t jerr;
	json_t *body = json_loads(text, 0, &jerr), *errors, *e;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	if (!body)
		bail("test body does not parse: %s: %s", text, jerr.text);
	if (!(errors = pirs_validate(body, creating)))
		bail("pirs_validate returned NULL for %s", text);
	f = open_memstream(&out, &len);
	json_array_foreach(errors, i, e)
		fprintf(f, "%s%s: %s", i ? "; " : "", json_string_value(json_object_get(e, "field")),
			json_string_value(json_object_get(e, "message")));
	fclose(f);
	json_decref(errors);
	json_decref(body);
	return out;
}

static void check(const char *body, int creating, const char *wanted, const char *what)
{
	char *got = errors_of(body, creating);
	is_string(wanted, got, "%s", what);
	free(got);
}

int main(void)
{
	plan(16);

	check("{\"title\":\"DB down\",\"incident_date\":\"2024-12-13T10:00:00Z\"}", 1, "",
	      "a title and an incident date make a valid new review");
	check("{}", 1, "title: required; incident_date: required (an RFC 3339 time)",
	      "creating without title and incident date names both");
	check("{}", 0, "", "an update may change nothing");
	check("{\"title\":\"\"}", 0, "title: expected a non-empty string of up to 500 bytes", "an empty title is refused");
	check("{\"incident_date\":\"yesterday\"}", 0,
	      "incident_date: expected an RFC 3339 time like 2024-12-13T10:00:00Z", "a free-form date is refused");
	check("{\"severity\":\"P5\",\"duration_minutes\":-1}", 0,
	      "severity: expected P1, P2, P3, P4 or null; "
	      "duration_minutes: expected a whole number of minutes from 0 to 525600, or null",
	      "severity P5 and a negative duration are refused");
	check("{\"severity\":null,\"duration_minutes\":null,\"summary\":null}", 0, "",
	      "nulls clear severity, duration and text");
	check("{\"alert_ids\":[\"0b7f8a6e-1111-4222-8333-944455556666\",\"nope\"],\"execution_ids\":\"x\"}", 0,
	      "alert_ids[1]: expected a UUID; execution_ids: expected an array", "ids must be UUIDs in arrays");
	check("{\"timeline\":[{\"time\":\"10:05\",\"event\":\"On-call acknowledged\"},"
	      "{\"time\":\"2024-12-13T10:00:00Z\",\"event\":\"fired\"},{\"time\":\"25:00\",\"event\":\"\"},3]}", 0,
	      "timeline[2].time: expected an RFC 3339 time or HH:MM; timeline[2].event: expected a non-empty string; "
	      "timeline[3]: expected {\"time\": \"10:05\", \"event\": \"what happened\"}",
	      "timeline entries need a time (HH:MM or RFC 3339) and an event");
	check("{\"action_items\":[{\"title\":\"Add pool alerting\",\"owner\":\"alice\",\"due_date\":\"2024-12-20\","
	      "\"done\":false},{\"title\":\"x\",\"due_date\":\"2024-02-30\",\"done\":\"no\",\"colour\":1}]}", 0,
	      "action_items[1].colour: unknown field; action_items[1].due_date: expected a date YYYY-MM-DD or null; "
	      "action_items[1].done: expected true or false",
	      "action items: a real due date, a boolean done, no unknown fields");
	check("{\"action_items\":[{\"owner\":\"bob\"}]}", 0, "action_items[0].title: expected a non-empty string",
	      "an action item needs a title");
	check("{\"what_went_well\":[\"quick\",\"\"],\"reviewers\":[1]}", 0,
	      "what_went_well[1]: expected a non-empty string of up to 100000 bytes; "
	      "reviewers[0]: expected a non-empty string of up to 100000 bytes",
	      "lists of strings hold non-empty strings");
	check("{\"id\":\"x\",\"status\":\"published\",\"author\":\"eve\",\"created_at\":\"x\"}", 0, "",
	      "fields the server owns may be echoed back and are ignored");
	{
		char *got = errors_of("{\"colour\":\"red\"}", 0);
		is_contains("colour: unknown field", got, "an unknown field is named");
		free(got);
	}

	json_t *pir = json_loads("{\"title\":\"DB\",\"incident_date\":\"2024-12-13T10:00:00Z\",\"severity\":\"P2\","
				 "\"duration_minutes\":45,\"author\":\"rita\",\"summary\":\"pool exhausted\","
				 "\"timeline\":[{\"time\":\"10:00\",\"event\":\"fired | paged\"}],"
				 "\"what_went_well\":[\"quick fix\"],\"action_items\":[{\"title\":\"Alert on pool\","
				 "\"owner\":\"alice\",\"due_date\":\"2024-12-20\",\"done\":true}]}",
				 0, NULL);
	char *md = pirs_markdown(pir);
	is_contains("**Severity:** P2  \n**Duration:** 45 minutes", md, "the article states severity and duration");
	is_contains("| 10:00 | fired \\| paged |\n", md, "the timeline is a table, a pipe in an event escaped");
	free(md);
	json_decref(pir);
	return done_testing();
}
