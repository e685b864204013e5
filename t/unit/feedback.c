/*
 * t/unit/feedback.c - feedback validation (core/feedback.c): every class of
 * field error for analysis and chat feedback, each with its field name and
 * message, all errors of a body at once and in a fixed order, and valid
 * minimal and full bodies.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "tap.h"

typedef json_t *(*validator)(json_t *);

/* The errors for a body given as JSON text, as "field: message" lines. */
static char *errors_of(validator fn, const char *text)
{
	json_error_t jerr;
	json_t *body = json_loads(text, JSON_DECODE_ANY, &jerr), *errors, *e;
	char *out = NULL;
	size_t len = 0, i;
	FILE *f;

	if (!body)
		bail("test body does not parse: %s: %s", text, jerr.text);
	errors = fn(body);
	json_decref(body);
	if (!errors)
		bail("validator returned NULL for %s", text);
	f = open_memstream(&out, &len);
	json_array_foreach(errors, i, e) {
		if (json_object_size(e) != 2 || !json_is_string(json_object_get(e, "field")) ||
		    !json_is_string(json_object_get(e, "message")))
			fprintf(f, "%sMALFORMED ERROR", i ? "\n" : "");
		else
			fprintf(f, "%s%s: %s", i ? "\n" : "", json_string_value(json_object_get(e, "field")),
				json_string_value(json_object_get(e, "message")));
	}
	fclose(f);
	json_decref(errors);
	return out;
}

static void check(validator fn, const char *text, const char *wanted, const char *what)
{
	char *got = errors_of(fn, text);

	is_string(wanted, got, "%s", what);
	free(got);
}

/* A body whose field holds n characters of c (a UTF-8 sequence). */
static char *long_text(const char *field, const char *c, size_t n)
{
	size_t clen = strlen(c), flen = strlen(field);
	char *s = malloc(flen + n * clen + 16), *p = s;

	p += sprintf(p, "{\"%s\":\"", field);
	for (size_t i = 0; i < n; i++, p += clen)
		memcpy(p, c, clen);
	strcpy(p, "\"}");
	return s;
}

#define A feedback_validate_analysis
#define C feedback_validate_chat
#define ANALYSIS_FIELDS "helpful, rating, accuracy, actionability, comments, what_was_missing, what_actually_worked"
#define CHAT_FEEDBACK_FIELDS "helpful, rating, feedback_type, comments"
#define CHAT_FIELDS "message_id, " CHAT_FEEDBACK_FIELDS

static void test_analysis_valid(void)
{
	check(A, "{\"helpful\":true}", "", "thumbs up alone is valid analysis feedback");
	check(A, "{\"helpful\":false}", "", "thumbs down alone is valid");
	check(A, "{\"rating\":1}", "", "a rating of 1 alone is valid");
	check(A, "{\"rating\":5}", "", "a rating of 5 alone is valid");
	check(A, "{\"what_actually_worked\":\"restarted nginx\"}", "", "one text field alone is valid");
	check(A, "{\"helpful\":true,\"rating\":4,\"accuracy\":\"partially_accurate\","
		 "\"actionability\":\"wrong_direction\",\"comments\":\"close\",\"what_was_missing\":\"the disk\","
		 "\"what_actually_worked\":\"\"}",
	      "", "a body with every field is valid (an empty string is a value)");
	check(A, "{\"accuracy\":\"accurate\"}", "", "accuracy accurate is valid");
	check(A, "{\"accuracy\":\"inaccurate\"}", "", "accuracy inaccurate is valid");
	check(A, "{\"actionability\":\"actionable\"}", "", "actionability actionable is valid");
	check(A, "{\"actionability\":\"vague\"}", "", "actionability vague is valid");
	check(A, "{\"helpful\":true,\"rating\":null,\"comments\":null}", "",
	      "null values are allowed beside a value (they clear a field)");
	{
		char *at = long_text("comments", "a", FEEDBACK_TEXT_MAX);
		check(A, at, "", "comments of exactly 10000 characters are valid");
		free(at);
		at = long_text("comments", "\xc3\xa9", FEEDBACK_TEXT_MAX);
		check(A, at, "", "10000 two-byte characters are 10000 characters, not 20000");
		free(at);
	}
}

static void test_analysis_errors(void)
{
	char *body;

	check(A, "{\"helpful\":\"yes\"}", "helpful: expected true or false", "helpful as a string is refused");
	check(A, "{\"helpful\":1}", "helpful: expected true or false", "helpful as a number is refused");
	check(A, "{\"rating\":0}", "rating: expected an integer from 1 to 5, got 0", "rating 0 is out of range");
	check(A, "{\"rating\":6}", "rating: expected an integer from 1 to 5, got 6", "rating 6 is out of range");
	check(A, "{\"rating\":-3}", "rating: expected an integer from 1 to 5, got -3", "a negative rating is out of range");
	check(A, "{\"rating\":4.5}", "rating: expected an integer from 1 to 5", "a fractional rating is refused");
	check(A, "{\"rating\":\"4\"}", "rating: expected an integer from 1 to 5", "a rating as a string is refused");
	check(A, "{\"rating\":true}", "rating: expected an integer from 1 to 5", "a rating as a boolean is refused");
	check(A, "{\"accuracy\":\"spot_on\"}", "accuracy: expected one of: accurate, partially_accurate, inaccurate",
	      "an unknown accuracy is refused with the choices");
	check(A, "{\"accuracy\":\"Accurate\"}", "accuracy: expected one of: accurate, partially_accurate, inaccurate",
	      "accuracy choices are case-sensitive");
	check(A, "{\"accuracy\":1}", "accuracy: expected one of: accurate, partially_accurate, inaccurate",
	      "accuracy as a number is refused");
	check(A, "{\"actionability\":\"partial\"}",
	      "actionability: expected one of: actionable, vague, wrong_direction",
	      "an unknown actionability is refused with the choices");
	check(A, "{\"comments\":42}", "comments: expected a string", "comments as a number is refused");
	check(A, "{\"what_was_missing\":[\"x\"]}", "what_was_missing: expected a string",
	      "what_was_missing as an array is refused");
	check(A, "{\"what_actually_worked\":{}}", "what_actually_worked: expected a string",
	      "what_actually_worked as an object is refused");
	body = long_text("what_was_missing", "a", FEEDBACK_TEXT_MAX + 1);
	check(A, body, "what_was_missing: expected at most 10000 characters, got 10001",
	      "a text field of 10001 characters is too long");
	free(body);
	body = long_text("comments", "\xe2\x82\xac", FEEDBACK_TEXT_MAX + 1);
	check(A, body, "comments: expected at most 10000 characters, got 10001",
	      "10001 three-byte characters are too long, counted in characters");
	free(body);
	check(A, "{\"helpful\":true,\"colour\":\"red\"}",
	      "colour: unknown field; expected one of: " ANALYSIS_FIELDS, "an unknown field is refused by name");
	check(A, "{\"helpful\":true,\"message_id\":null}",
	      "message_id: unknown field; expected one of: " ANALYSIS_FIELDS,
	      "a chat field is unknown to analysis feedback, even when null");
	check(A, "{}", "body: expected at least one of: " ANALYSIS_FIELDS, "an empty object is refused");
	check(A, "{\"helpful\":null,\"rating\":null}", "body: expected at least one of: " ANALYSIS_FIELDS,
	      "a body of nulls only gives no feedback");
	check(A, "[]", "body: expected a JSON object", "an array is not a body");
	check(A, "\"thumbs up\"", "body: expected a JSON object", "a string is not a body");
	check(A, "{\"zeta\":1,\"comments\":7,\"rating\":9,\"helpful\":\"no\",\"accuracy\":\"x\",\"alpha\":2}",
	      "helpful: expected true or false\n"
	      "rating: expected an integer from 1 to 5, got 9\n"
	      "accuracy: expected one of: accurate, partially_accurate, inaccurate\n"
	      "comments: expected a string\n"
	      "zeta: unknown field; expected one of: " ANALYSIS_FIELDS "\n"
	      "alpha: unknown field; expected one of: " ANALYSIS_FIELDS,
	      "every error comes at once: known fields in form order, then unknown ones in body order");
	check(A, "{\"rating\":0,\"bogus\":true}",
	      "rating: expected an integer from 1 to 5, got 0\n"
	      "bogus: unknown field; expected one of: " ANALYSIS_FIELDS,
	      "an invalid value still counts as given: no \"at least one\" error beside it");
	check(A, "{\"bogus\":true}",
	      "bogus: unknown field; expected one of: " ANALYSIS_FIELDS "\n"
	      "body: expected at least one of: " ANALYSIS_FIELDS,
	      "an unknown field alone also gives no feedback");
}

static void test_chat(void)
{
	char *body;

	check(C, "{\"helpful\":true}", "", "thumbs up alone is valid chat feedback (on the session)");
	check(C, "{\"message_id\":\"36ede7f5-908f-445c-8b11-e5c919e7480b\",\"helpful\":false,\"rating\":2,"
		 "\"feedback_type\":\"wrong\",\"comments\":\"it suggested rm -rf\"}",
	      "", "a chat body with every field is valid");
	check(C, "{\"message_id\":\"36EDE7F5-908F-445C-8B11-E5C919E7480B\",\"feedback_type\":\"great\"}", "",
	      "an upper-case UUID is a UUID");
	check(C, "{\"feedback_type\":\"incomplete\"}", "", "feedback_type incomplete is valid");
	check(C, "{\"feedback_type\":\"confusing\"}", "", "feedback_type confusing is valid");
	check(C, "{\"message_id\":null,\"comments\":\"ok\"}", "", "a null message_id means the whole session");
	check(C, "{\"feedback_type\":\"meh\"}", "feedback_type: expected one of: great, wrong, incomplete, confusing",
	      "an unknown chat feedback_type is refused with the choices");
	check(C, "{\"message_id\":\"42\",\"helpful\":true}", "message_id: expected a UUID",
	      "a message_id that is not a UUID is refused");
	check(C, "{\"message_id\":\"36ede7f5x908f-445c-8b11-e5c919e7480b\",\"helpful\":true}",
	      "message_id: expected a UUID", "a message_id with a wrong separator is refused");
	check(C, "{\"message_id\":\"36ede7f5-908f-445c-8b11-e5c919e7480g\",\"helpful\":true}",
	      "message_id: expected a UUID", "a message_id with a non-hex digit is refused");
	check(C, "{\"message_id\":7,\"helpful\":true}", "message_id: expected a UUID",
	      "a numeric message_id is refused");
	check(C, "{\"helpful\":\"true\"}", "helpful: expected true or false", "chat helpful must be a boolean");
	check(C, "{\"rating\":10}", "rating: expected an integer from 1 to 5, got 10", "chat rating is 1 to 5");
	check(C, "{\"comments\":false}", "comments: expected a string", "chat comments must be a string");
	body = long_text("comments", "x", FEEDBACK_TEXT_MAX + 1);
	check(C, body, "comments: expected at most 10000 characters, got 10001", "chat comments are capped too");
	free(body);
	check(C, "{\"helpful\":true,\"accuracy\":\"accurate\"}",
	      "accuracy: unknown field; expected one of: " CHAT_FIELDS,
	      "an analysis field is unknown to chat feedback");
	check(C, "{\"message_id\":\"36ede7f5-908f-445c-8b11-e5c919e7480b\"}",
	      "body: expected at least one of: " CHAT_FEEDBACK_FIELDS,
	      "a message_id alone is not feedback");
	check(C, "{}", "body: expected at least one of: " CHAT_FEEDBACK_FIELDS, "an empty chat body is refused");
	check(C, "null", "body: expected a JSON object", "null is not a chat body");
}

int main(void)
{
	plan_lazy();
	test_analysis_valid();
	test_analysis_errors();
	test_chat();
	return done_testing();
}
