/*
 * t/unit/yaml_json.c - YAML to JSON and back: how plain and quoted scalars
 * resolve, errors with file:line:column, the locations of values, and
 * dumps that read back to the same value.
 */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "tap.h"
#include "yaml_json.h"

/* The YAML as compact JSON, or "ERR: message". */
static char *load(const char *yaml)
{
	char err[512], *out;
	json_t *v;

	if (yaml_json_load("t.yaml", yaml, strlen(yaml), &v, NULL, err, sizeof(err)) < 0)
		return asprintf(&out, "ERR: %s", err) < 0 ? NULL : out;
	out = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	return out;
}

static void is_load(const char *want, const char *yaml, const char *desc)
{
	char *got = load(yaml);
	is_string(want, got, "%s", desc);
	free(got);
}

/* dump, then load again: the same value? */
static int round_trips(json_t *v, char **text)
{
	char err[512];
	json_t *back = NULL;
	int same;

	*text = yaml_json_dump(v);
	if (!*text || yaml_json_load("dump", *text, strlen(*text), &back, NULL, err, sizeof(err)) < 0)
		return 0;
	same = json_equal(v, back);
	json_decref(back);
	return same;
}

int main(void)
{
	plan_lazy();

	/* scalars */
	is_load("{\"a\":1,\"b\":-7,\"c\":255,\"d\":8}", "a: 1\nb: -7\nc: 0xff\nd: 0o10\n", "plain integers: decimal, hex, octal");
	is_load("{\"a\":1.5,\"b\":0.001}", "a: 1.5\nb: 1e-3\n", "plain floats");
	is_load("[true,false,true,false,true,false]", "[true, False, yes, NO, on, off]", "YAML 1.1 booleans");
	is_load("[null,null,null,null]", "- ~\n- null\n- NULL\n-\n", "nulls, an empty item among them");
	is_load("{\"k\":null}", "k:\n", "a key without a value is null");
	is_load("[\"10\",\"true\",\"null\",\"x\"]", "['10', \"true\", \"null\", x]", "quoted scalars stay strings");
	is_load("[\"10\",\"yes\"]", "[!!str 10, !!str yes]", "!!str keeps a plain scalar a string");
	is_load("[7,true]", "[!!int \"7\", !!bool \"true\"]", "!!int and !!bool read quoted text");
	is_load("\"1_000\"", "1_000", "1_000 stays a string");
	is_load("\"x; rm -rf /\"", "x; rm -rf /", "shell text is a plain string");
	is_load("\"{{alert.labels.x}}\"", "\"{{alert.labels.x}}\"", "a quoted template");
	is_load("\"Ünïcødé ☃\"", "Ünïcødé ☃", "unicode");
	is_load("\"line one\\nline two\\n\"", "|\n  line one\n  line two\n", "a literal block");
	is_load("null", "", "an empty document is null");
	is_load("{\"a\":[1,2],\"b\":[1,2]}", "a: &x [1, 2]\nb: *x\n", "an alias copies the anchored value");
	is_load("{\"a\":{\"b\":{}}}", "a: {b: {}}", "flow mappings nest");

	/* errors */
	is_load("ERR: t.yaml:3:1: duplicate key \"a\"", "a: 1\nb: 2\na: 3\n", "a repeated key names its line");
	is_load("ERR: t.yaml:2:3: a mapping key must be a plain value, not a list or mapping", "a: 1\n? [x]\n: 2\n",
		"a list as a key is refused");
	{
		char *got = load("name: x\nsteps: [a, b\n");
		is_contains("t.yaml:", got, "a syntax error names the file");
		is_contains("flow sequence", got, "and what is wrong");
		free(got);
	}
	{
		char *got = load("a: 1\n---\nb: 2\n");
		is_contains("t.yaml:2:1: a second YAML document", got, "a second document is refused with its line");
		free(got);
	}
	is_load("ERR: t.yaml:1:5: .inf cannot be represented in JSON", "[1, .inf]", ".inf is refused");
	is_load("ERR: t.yaml:1:4: alias *b: no complete node has that anchor", "a: *b\n", "an unknown alias");
	is_load("ERR: t.yaml:1:11: alias *a: no complete node has that anchor", "a: &a [1, *a]\n",
		"an alias inside its own anchor (a cycle) is refused");
	{
		/* a billion laughs, much smaller */
		char yaml[4096] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
		for (char c = 'b'; c <= 'h'; c++) {
			char line[128];
			snprintf(line, sizeof(line), "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c,
				 c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
			strcat(yaml, line);
		}
		char *got = load(yaml);
		is_contains("aliases expanding too far", got, "aliases that would expand to 10^8 values are refused");
		free(got);
	}

	/* locations */
	{
		const char *yaml = "- name: a\n  steps:\n    - name: s\n      argv: [x,\n        y]\n- name: b\n";
		char err[256];
		json_t *v, *locs;
		long line = 0, col = 0;

		ok(yaml_json_load("f.yaml", yaml, strlen(yaml), &v, &locs, err, sizeof(err)) == 0, "a list loads");
		yaml_json_where(locs, "[0].steps[0].argv[1]", &line, &col);
		is_string("5:9", (snprintf(err, sizeof(err), "%ld:%ld", line, col), err), "an argv item has its line and column");
		yaml_json_where(locs, "[0].steps[0].timeout", &line, &col);
		is_string("3:7", (snprintf(err, sizeof(err), "%ld:%ld", line, col), err),
			  "a missing key falls back to its mapping");
		yaml_json_where(locs, "[1].name", &line, &col);
		is_string("6:3", (snprintf(err, sizeof(err), "%ld:%ld", line, col), err), "a key's value is where its key is");
		yaml_json_where(locs, "[1]", &line, &col);
		is_string("6:3", (snprintf(err, sizeof(err), "%ld:%ld", line, col), err), "a list item is where it starts");
		json_decref(v);
		json_decref(locs);
	}

	/* dumping */
	{
		json_t *v = json_pack("{s:s,s:[s,s,s,s,s,s,s,s],s:{s:s},s:i,s:f,s:b,s:n,s:[],s:{},s:s,s:s,s:[{s:s,s:[s,s]}]}",
				      "name", "restart-service",
				      "strings", "10", "true", "", "null", "~", "x; rm -rf /", "{{alert.labels.service}}", "y",
				      "labels", "country", "NO", "n", 5, "f", 1.0, "b", 1, "z", "empty", "obj",
				      "multi", "line one\nline two\n", "unicode", "Ünïcødé ☃",
				      "steps", "name", "s1", "argv", "systemctl", "- restart");
		char *text;
		ok(round_trips(v, &text), "a document with awkward strings reads back equal");
		is_contains("name: restart-service\n", text, "plain strings are written plain");
		is_contains("country: \"NO\"", text, "a string that reads as a boolean is quoted");
		is_contains("\"10\"", text, "a string that reads as a number is quoted");
		is_contains("'{{alert.labels.service}}'", text, "a template is quoted");
		is_contains("Ünïcødé ☃", text, "unicode is written as it is");
		is_contains("empty: []", text, "an empty list is []");
		is_contains("- name: s1\n", text, "a list of mappings is in block style");
		free(text);
		json_decref(v);
	}

	return done_testing();
}
