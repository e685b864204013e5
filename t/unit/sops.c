/*
 * t/unit/sops.c - the SOP lifecycle's pure parts (core/sops.c): every
 * legal and illegal transition between the four states, an unknown state,
 * and the field errors of metadata, training and compliance bodies.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sops.h"
#include "tap.h"

static char *errors_of(json_t *(*validate)(json_t *), const char *text)
{
	json_t *body = json_loads(text, 0, NULL), *errors, *e;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	if (!body || !(errors = validate(body)))
		bail("cannot validate %s", text);
	f = open_memstream(&out, &len);
	json_array_foreach(errors, i, e)
		fprintf(f, "%s%s", i ? "; " : "", json_string_value(json_object_get(e, "field")));
	fclose(f);
	json_decref(errors);
	json_decref(body);
	return out;
}

static void check(json_t *(*validate)(json_t *), const char *body, const char *fields, const char *what)
{
	char *got = errors_of(validate, body);
	is_string(fields, got, "%s", what);
	free(got);
}

int main(void)
{
	static const char *const states[] = { "draft", "pending_review", "approved", "deprecated" };
	/* legal[from][to], in the order of states */
	static const int legal[4][4] = {
		{ 0, 1, 0, 1 },
		{ 1, 0, 1, 1 },
		{ 0, 1, 0, 1 },
		{ 1, 0, 0, 0 },
	};

	plan(16 + 1 + 9);
	for (int f = 0; f < 4; f++)
		for (int t = 0; t < 4; t++)
			is_int(legal[f][t], sops_transition_allowed(states[f], states[t]), "%s -> %s is %s", states[f],
			       states[t], legal[f][t] ? "allowed" : "refused");
	is_int(-1, sops_transition_allowed("draft", "published"), "an unknown target state is -1, not a refusal");

	check(sops_validate_metadata, "{\"owner\":\"alice\",\"stakeholders\":[\"bob\"],\"review_frequency_days\":30,"
	      "\"requires_training\":true,\"category\":\"Database\",\"reviewer\":null}", "",
	      "a full metadata change is valid");
	check(sops_validate_metadata, "{\"review_frequency_days\":0,\"stakeholders\":[\"\"],\"category\":\"\","
	      "\"requires_training\":\"yes\",\"colour\":1}",
	      "colour; category; review_frequency_days; requires_training; stakeholders[0]",
	      "metadata: bad frequency, stakeholder, category, flag and an unknown field");
	check(sops_validate_training, "{\"acknowledged\":true,\"quiz_score\":90,\"expires_at\":\"2030-01-01T00:00:00Z\"}",
	      "", "an acknowledgement with score and expiry is valid");
	check(sops_validate_training, "{\"quiz_score\":90}", "acknowledged",
	      "completing without acknowledging is refused");
	check(sops_validate_training, "{\"status\":\"in_progress\"}", "", "in progress needs no acknowledgement");
	check(sops_validate_training, "{\"status\":\"done\",\"acknowledged\":true,\"quiz_score\":101,\"expires_at\":\"soon\"}",
	      "status; quiz_score; expires_at", "training: bad status, score and expiry");
	check(sops_validate_compliance, "{\"sop_id\":\"0b7f8a6e-1111-4222-8333-944455556666\",\"followed_sop\":false,"
	      "\"deviations\":[\"skipped step 2\"],\"deviation_reason\":\"host was down\"}", "",
	      "a compliance report with deviations is valid");
	check(sops_validate_compliance, "{}", "sop_id; followed_sop", "sop_id and followed_sop are required");
	check(sops_validate_compliance, "{\"sop_id\":\"x\",\"followed_sop\":1,\"deviations\":\"some\"}",
	      "sop_id; followed_sop; deviations", "compliance: bad id, flag and deviations");
	return done_testing();
}
