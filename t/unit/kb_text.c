/*
 * t/unit/kb_text.c - the knowledge base's text handling without a
 * database: the line diff of versions, markdown files with front matter
 * (lines of errors are the file's lines), and the templates.
 */
#include <stdlib.h>
#include <string.h>

#include "article_templates.h"
#include "kb_files.h"
#include "tap.h"
#include "textdiff.h"

static char *ops(json_t *lines)
{
	size_t n = json_array_size(lines), i;
	char *out = calloc(n + 1, 1);
	json_t *l;

	json_array_foreach(lines, i, l)
		out[i] = json_string_value(json_object_get(l, "op"))[0];
	return out;
}

static void test_diff(void)
{
	json_t *lines;
	char *html, *o;

	textdiff_lines("a\nb\nc\n", "a\nB\nc\nd\n", &lines, &html);
	o = ops(lines);
	is_string(" -+ +", o, "a changed middle line and an added last line");
	is_contains("<div class=\"diff-add\"><span class=\"diff-op\">+</span>B</div>", html, "added lines render as diff-add");
	free(o);
	free(html);
	json_decref(lines);

	textdiff_lines("<script>x</script>\n", "", &lines, &html);
	is_contains("&lt;script&gt;", html, "diff HTML escapes the text");
	ok(strstr(html, "<script>") == NULL, "and never carries markup from it");
	free(html);
	json_decref(lines);

	textdiff_lines("same\n", "same\n", &lines, NULL);
	o = ops(lines);
	is_string(" ", o, "equal texts diff as unchanged lines");
	free(o);
	json_decref(lines);

	textdiff_lines("x\ny\nz", "y\nz\nx", &lines, NULL);
	o = ops(lines);
	is_string("-  +", o, "a moved line is one removal and one addition");
	free(o);
	json_decref(lines);
}

static json_t *parse(const char *name, const char *text, long *line, char *err, size_t errlen)
{
	json_t *a = NULL;

	*line = -1;
	err[0] = '\0';
	kb_files_parse_markdown(name, text, strlen(text), &a, line, err, errlen);
	return a;
}

static void test_front_matter(void)
{
	char err[512];
	long line;
	json_t *a;
	const char *bad_key = "---\ntitle: X\ncolour: red\n---\nbody\n";

	a = parse("docs/disk.md", "---\ntitle: Disk Full\ntags: [a, b]\n---\n# Heading\n\nbody\n", &line, err, sizeof(err));
	is_string("Disk Full", json_string_value(json_object_get(a, "title")), "the title comes from the front matter");
	is_string("disk", json_string_value(json_object_get(a, "slug")), "the slug from the file name");
	is_string("# Heading\n\nbody\n", json_string_value(json_object_get(a, "content")), "the content is what follows");
	is_int(2, (long)json_array_size(json_object_get(a, "tags")), "lists are lists");
	json_decref(a);

	a = parse("Welcome Aboard.md", "# Welcome Aboard!\ntext\n", &line, err, sizeof(err));
	is_string("Welcome Aboard!", json_string_value(json_object_get(a, "title")), "no front matter: the first heading is the title");
	is_string("welcome-aboard", json_string_value(json_object_get(a, "slug")), "and the file name, slugified, the slug");
	json_decref(a);

	a = parse("x.md", "---\ntitle: X\n\nbody\n", &line, err, sizeof(err));
	ok(a == NULL && line == 1, "front matter never closed: an error at line 1");
	is_contains("never closed", err, "saying so");

	a = parse("x.md", "---\ntitle: X\ntags: [a\n---\nbody\n", &line, err, sizeof(err));
	ok(a == NULL && line >= 3, "broken YAML: an error at its line (%ld)", line);
	is_contains("x.md:", err, "naming the file");

	a = parse("x.md", bad_key, &line, err, sizeof(err));
	ok(a == NULL && line == 3, "an unknown key: an error at its line (%ld)", line);
	is_contains("colour: unknown front matter key", err, "naming the key");

	a = parse("x.md", "just text\n", &line, err, sizeof(err));
	ok(a == NULL, "no title anywhere is an error");
	is_contains("title: required", err, "naming the field");

	is_int(3, kb_files_field_line("---\ntitle: X\ncategory: nope\n---\n", 31, "category"), "kb_files_field_line finds a key's line");
}

static void test_round_trip_and_templates(void)
{
	/* as a store answers: every field present */
	json_t *a = json_pack("{s:s,s:s,s:s,s:s,s:[s],s:s,s:s,s:[],s:[i],s:n,s:i}", "title", "T: colon", "slug", "t",
			      "content", "body\n", "excerpt", "body", "tags", "x", "category", "sop", "visibility",
			      "team", "related_alerts", "related_runbooks", 4, "parent", "version", 3), *back = NULL, *t;
	char *md = kb_files_markdown(a), err[256] = "";
	long line;
	size_t i;
	int seen = 0;

	ok(md && strncmp(md, "---\n", 4) == 0, "an article writes as front matter and markdown");
	kb_files_parse_markdown("t.md", md, strlen(md), &back, &line, err, sizeof(err));
	ok(back && !kb_files_differs(back, a), "and reads back equal (%s)", err);
	ok(!json_object_get(back, "version"), "without server-owned fields");
	free(md);
	json_decref(back);
	json_decref(a);

	a = article_templates("erin", "2026-11-30");
	is_int(7, (long)json_array_size(a), "seven templates");
	json_array_foreach(a, i, t) {
		const char *c = json_string_value(json_object_get(t, "content"));
		seen += strstr(c, "{{date}}") == NULL && strstr(c, "{{author}}") == NULL;
	}
	is_int(7, seen, "{{date}} and {{author}} are filled in every one");
	is_contains("**Approver:** {{approver}}", json_string_value(json_object_get(json_array_get(a, 0), "content")),
		    "other placeholders stay for the writer");
	json_decref(a);
}

int main(void)
{
	plan_lazy();
	test_diff();
	test_front_matter();
	test_round_trip_and_templates();
	return done_testing();
}
