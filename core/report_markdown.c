/* core/report_markdown.c - an improvement report as markdown (see report_markdown.h). */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "report_markdown.h"

/* Text as literal markdown: markup characters get a backslash, line breaks
 * become spaces so an entry stays one list item. */
static void md_text(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\n' || *s == '\r')
			buf_puts(b, " ");
		else {
			if (strchr("\\`*_{}[]()<>#+-.!|~", *s))
				buf_puts(b, "\\");
			buf_append(b, s, 1);
		}
	}
}

static void section(struct buf *b, const char *title, json_t *list, const char *none)
{
	size_t i;
	json_t *e;

	buf_printf(b, "\n## %s\n\n", title);
	if (json_array_size(list) == 0) {
		buf_printf(b, "%s\n", none);
		return;
	}
	json_array_foreach(list, i, e) {
		const char *evidence = json_string_value(json_object_get(e, "evidence"));

		buf_puts(b, "- ");
		md_text(b, json_string_value(json_object_get(e, "text")));
		if (evidence) {
			buf_puts(b, " (");
			md_text(b, evidence);
			buf_puts(b, ")");
		}
		buf_puts(b, "\n");
	}
}

static void percent(struct buf *b, json_t *v)
{
	if (json_is_number(v))
		buf_printf(b, "%.0f%%", json_number_value(v) * 100);
	else
		buf_puts(b, "n/a");
}

char *report_markdown(json_t *report)
{
	struct buf b = { 0 };
	json_t *s = json_object_get(report, "summary");

	buf_puts(&b, "# Improvement report: ");
	md_text(&b, json_string_value(json_object_get(report, "name")));
	buf_printf(&b, "\n\nLast %lld days (%s to %s), generated %s.\n\n",
		   (long long)json_integer_value(json_object_get(report, "days")),
		   json_string_value(json_object_get(json_object_get(report, "window"), "from")),
		   json_string_value(json_object_get(json_object_get(report, "window"), "to")),
		   json_string_value(json_object_get(report, "generated_at")));
	buf_printf(&b, "- Executions: %lld\n- Outcome reports: %lld\n- Success rate: ",
		   (long long)json_integer_value(json_object_get(s, "executions")),
		   (long long)json_integer_value(json_object_get(s, "outcomes")));
	percent(&b, json_object_get(s, "success_rate"));
	buf_puts(&b, " (lower bound at 95%: ");
	percent(&b, json_object_get(s, "wilson_lower"));
	buf_printf(&b, ")\n- Trend: %s\n", json_string_value(json_object_get(s, "trend")));
	if (json_is_true(json_object_get(report, "empty")))
		buf_printf(&b, "\n%s\n", json_string_value(json_object_get(report, "message")));
	section(&b, "Recommendations", json_object_get(report, "recommendations"),
		"No recommendation: no manual step, suggestion or failing step recurs.");
	section(&b, "Failure patterns", json_object_get(report, "failure_patterns"),
		"No host, label or step fails more often than the runbook does overall.");
	section(&b, "Success factors", json_object_get(report, "success_factors"),
		"No host or label stands out where it works better than overall.");
	section(&b, "Suggested new triggers", json_object_get(report, "suggested_triggers"),
		"None: every alert it resolved is already among its triggers.");
	return buf_steal(&b);
}
