/*
 * t/unit/template.c - the template engine: substitution into one string,
 * hostile values kept literal and never expanded again, errors that name
 * the variable, and the default target taken from an instance label.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "tap.h"
#include "template.h"

static json_t *vars;

/* The rendering of tmpl, or "ERR(<rc>): <message>". */
static char *render(const char *tmpl)
{
	char err[512], *out = NULL, *msg;
	int rc = template_render(tmpl, vars, &out, err, sizeof(err));

	if (rc == 0)
		return out;
	if (asprintf(&msg, "ERR(%d): %s", rc, err) < 0)
		return NULL;
	return msg;
}

static void is_render(const char *want, const char *tmpl, const char *desc)
{
	char *got = render(tmpl);
	is_string(want, got, "%s", desc);
	free(got);
}

static char *check(const char *tmpl)
{
	static char err[512];
	if (template_check(tmpl, err, sizeof(err)) == 0)
		return "ok";
	return err;
}

static char *target(const char *instance)
{
	static char host[256];
	int rc = template_default_target(instance, host, sizeof(host));
	if (rc < 0)
		snprintf(host, sizeof(host), "ERR(%d)", rc);
	return host;
}

int main(void)
{
	char err[256], *out;

	plan_lazy();
	vars = json_pack("{s:{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:{s:s,s:s}},"
			 "s:{s:s},s:i,s:b,s:n,s:[],s:s}",
			 "alert", "id", "0b8f1c2e-1111-4222-8333-444455556666", "name", "HighCPULoad",
			 "severity", "critical", "instance", "db-1:9100", "status", "firing",
			 "labels", "service", "api", "instance", "db-1:9100", "evil", "x; rm -rf /",
			 "subst", "$(reboot)", "nested", "{{alert.labels.service}}", "unicode", "Ünïcødé ☃ 雪",
			 "quotes", "it's \"quoted\" `back`", "empty", "",
			 "annotations", "summary", "CPU load high", "runbook_url", "https://example.com/r?a=1&b=2",
			 "execution", "id", "42", "count", 7, "flag", 1, "nothing", "list", "alert.labels.flat", "F");

	/* plain substitution */
	is_render("HighCPULoad", "{{alert.name}}", "{{alert.name}} gives the alert's name");
	is_render("api", "{{alert.labels.service}}", "{{alert.labels.X}} gives a label");
	is_render("CPU load high", "{{alert.annotations.summary}}", "{{alert.annotations.X}} gives an annotation");
	is_render("0b8f1c2e-1111-4222-8333-444455556666", "{{alert.id}}", "{{alert.id}} gives the id");
	is_render("critical db-1:9100", "{{alert.severity}} {{alert.instance}}",
		  "{{alert.severity}} and {{alert.instance}} in one element");
	is_render("run-42", "run-{{execution.id}}", "{{execution.id}} with text before it");
	is_render("api", "{{ alert.labels.service }}", "spaces inside the braces are allowed");
	is_render("api", "{{\talert.labels.service  }}", "tabs and several spaces too");
	is_render("--service=api,instance=db-1:9100", "--service={{alert.labels.service}},instance={{alert.labels.instance}}",
		  "two variables and text around them make one string");
	is_render("no braces here", "no braces here", "text without a variable is itself");
	is_render("", "", "an empty template renders empty");
	is_render("a } b }} c", "a } b }} c", "lone closing braces are plain text");
	is_render("7 true", "{{count}} {{flag}}", "integers and booleans render as text");
	is_render("F", "{{alert.labels.flat}}", "a flat dotted key at the top level is found first");

	/* hostile values stay literal */
	is_render("x; rm -rf /", "{{alert.labels.evil}}", "`x; rm -rf /` is substituted as it is");
	is_render("$(reboot)", "{{alert.labels.subst}}", "`$(reboot)` is not evaluated");
	is_render("--name=$(reboot)", "--name={{alert.labels.subst}}", "nor inside other text");
	is_render("{{alert.labels.service}}", "{{alert.labels.nested}}",
		  "a value containing {{...}} is not expanded again");
	is_render("Ünïcødé ☃ 雪", "{{alert.labels.unicode}}", "unicode values come through byte for byte");
	is_render("é-Ünïcødé ☃ 雪-é", "é-{{alert.labels.unicode}}-é", "unicode around a variable too");
	is_render("it's \"quoted\" `back`", "{{alert.labels.quotes}}", "quotes and backticks are just bytes");
	is_render("{{.Names}}", "{{\"{{\"}}.Names}}", "{{\"{{\"}} writes a literal {{ (Go templates)");
	is_render("a }} b", "a {{ \"}}\" }} b", "{{\"}}\"}} writes a literal }}");

	/* missing values */
	is_render("ERR(-2): {{alert.labels.team}} is not set", "{{alert.labels.team}}",
		  "a missing label fails, naming the variable");
	is_render("ERR(-2): {{alert.labels.team}} is not set", "x {{ alert.labels.team }} y",
		  "the message names it without the spaces");
	is_render("ERR(-2): {{alert.labels.empty}} is not set", "/var/tmp/{{alert.labels.empty}}",
		  "an empty value counts as not set (no silent /var/tmp/)");
	is_render("ERR(-2): {{nothing}} is not set", "{{nothing}}", "a null value counts as not set");
	is_render("ERR(-34): {{list}} is not a single value", "{{list}}", "an array is not a value");
	is_render("ERR(-34): {{alert.labels}} is not a single value", "{{alert.labels}}", "nor is an object");
	is_render("ERR(-2): {{target}} is not set", "{{target}}", "target is not set until the caller sets it");
	{
		json_t *nul = json_pack("{s:s%}", "v", "a\0b", (size_t)3);
		int rc = template_render("{{v}}", nul, &out, err, sizeof(err));
		is_int(-ERANGE, rc, "a value with a NUL byte is refused");
		is_string("{{v}} contains a NUL byte", err, "and the message says so");
		json_decref(nul);
	}
	ok(template_render("{{alert.name}}", NULL, &out, err, sizeof(err)) == -ENOENT && out == NULL,
	   "without variables everything is missing, and nothing is returned");

	/* syntax */
	is_render("ERR(-22): unterminated {{ at character 4", "ab {{alert.name", "an unterminated {{ fails rendering");
	is_string("unterminated {{ at character 4", check("ab {{alert.name"), "and template_check reports it");
	is_string("unterminated {{ at character 17", check("{{alert.name}}  {{"), "a trailing {{ is unterminated too");
	is_string("empty {{}} at character 1", check("{{ }}"), "empty braces are an error");
	is_string("unterminated {{ at character 4", check("é☃ {{x"), "positions count characters, not bytes");
	is_string("unterminated {{\" at character 1", check("{{\"abc}}"), "an unterminated quoted literal");
	is_string("ok", check("systemctl restart {{alert.labels.service}}"), "a good template checks ok");
	is_string("ok", check("{{alert.annotations.summary}}{{execution.id}}{{target}}{{alert.id}}"),
		  "every documented variable is known");
	is_string("ok", check("{{alert.labels.a.b}}"), "label names with dots are allowed");
	is_contains("{{alert.lables.service}} is not a known variable", check("{{alert.lables.service}}"),
		    "a misspelt variable is caught by template_check");
	is_contains("{{.Names}} is not a known variable", check("--format={{.Names}}"),
		    "a Go template is caught too");
	is_contains("writes a literal {{", check("{{.Names}}"), "and the message says how to write a literal");
	is_contains("is not a known variable", check("{{alert.labels.}}"), "alert.labels. needs a name");
	is_contains("is not a known variable", check("{{alert.labels.a b}}"), "a name with a space is refused");
	is_contains("is not a known variable", check("{{{alert.name}}}"), "triple braces are refused");

	/* lookup */
	ok(template_lookup(vars, "alert.labels.instance", 21) != NULL, "template_lookup walks nested objects");
	ok(template_lookup(vars, "alert.labels", 12) != NULL && json_is_object(template_lookup(vars, "alert.labels", 12)),
	   "and returns objects too");
	ok(template_lookup(vars, "alert.nope.x", 12) == NULL, "and NULL for a missing path");

	/* default target */
	is_string("db-1", target("db-1:9100"), "host:port gives the host");
	is_string("db-1.example.com", target("db-1.example.com"), "a bare host stays");
	is_string("2001:db8::1", target("[2001:db8::1]:9100"), "[v6]:port gives the address");
	is_string("2001:db8::1", target("[2001:db8::1]"), "[v6] without a port too");
	is_string("fe80::1", target("fe80::1"), "a bare IPv6 address is left whole");
	is_string("10.0.0.5", target("10.0.0.5:443"), "IPv4 with a port");
	is_string("payments.example.com", target("https://payments.example.com:443/health"),
		  "a URL (blackbox) gives its host");
	is_string("ERR(-22)", target(""), "an empty instance has no host");
	is_string("ERR(-22)", target(":9100"), "a port alone has no host");
	is_string("ERR(-22)", target(NULL), "NULL has no host");
	is_string("ERR(-22)", target("[2001:db8::1"), "an unclosed bracket is refused");
	{
		char small[4];
		is_int(-ENOSPC, template_default_target("longhost:1", small, sizeof(small)),
		       "a host that does not fit is -ENOSPC");
	}

	json_decref(vars);
	return done_testing();
}
