/*
 * t/unit/markdown.c - article rendering: untrusted markdown cannot put
 * script or raw HTML on the page, wiki links resolve (or offer to create
 * the page), headings get unique ids, and the GFM extensions are on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "markdown.h"
#include "tap.h"

/* Knows one article, "Disk Full" (slug disk-full), and one runbook,
 * "restart-service" (id 7). */
static int fake_resolve(const char *target, int runbook, char *href, size_t hreflen, void *ud)
{
	int *calls = ud;

	(*calls)++;
	if (runbook && strcmp(target, "restart-service") == 0) {
		snprintf(href, hreflen, "#/runbooks/7");
		return 1;
	}
	if (!runbook && strcmp(target, "Disk Full") == 0) {
		snprintf(href, hreflen, "#/kb/disk-full");
		return 1;
	}
	return 0;
}

static char *render(const char *md)
{
	int calls = 0;
	char *html = NULL;

	if (markdown_render(md, fake_resolve, &calls, &html) < 0)
		return strdup("(render failed)");
	return html;
}

static void test_safety(void)
{
	char *html;

	html = render("hello <script>alert(1)</script> world\n\n<script>alert(2)</script>\n");
	ok(strstr(html, "<script") == NULL, "no <script> element survives, inline or as a block");
	ok(strstr(html, "hello") != NULL, "the text around raw HTML stays");
	free(html);

	html = render("[click](javascript:alert(1)) and [ok](https://example.com/)\n");
	ok(strstr(html, "javascript:") == NULL, "a javascript: link loses its URL");
	is_contains("href=\"https://example.com/\"", html, "an https link keeps its URL");
	free(html);

	html = render("<img src=x onerror=alert(1)>\n\n<div onclick=\"x()\">raw</div>\n");
	ok(strstr(html, "onerror") == NULL && strstr(html, "onclick") == NULL, "raw HTML attributes are dropped");
	ok(strstr(html, "<div") == NULL && strstr(html, "<img") == NULL, "raw HTML blocks are omitted");
	free(html);

	html = render("![x](data:text/html;base64,PHNjcmlwdD4=) [v](vbscript:msgbox)\n");
	ok(strstr(html, "vbscript:") == NULL && strstr(html, "data:text/html") == NULL,
	   "vbscript: and data: URLs are dropped");
	free(html);

	html = render("`<b>code</b>` and \"quotes\" & ampersands\n");
	is_contains("<code>&lt;b&gt;code&lt;/b&gt;</code>", html, "code is escaped, not interpreted");
	is_contains("&amp; ampersands", html, "text is escaped");
	free(html);
}

static void test_wiki_links(void)
{
	char *html;
	int calls = 0;

	html = render("See [[Disk Full]] and [[Runbook: restart-service]].\n");
	is_contains("<a href=\"#/kb/disk-full\">Disk Full</a>", html, "[[Title]] links to the article");
	is_contains("<a href=\"#/runbooks/7\">Runbook: restart-service</a>", html,
		    "[[Runbook: Name]] links to the runbook");
	free(html);

	html = render("Missing: [[No Such Page]] and [[Runbook: nope]]\n");
	is_contains("<a href=\"#/kb/new?title=No%20Such%20Page\" title=\"" MARKDOWN_MISSING_TITLE "\">No Such Page</a>",
		    html, "a missing article becomes a create-this-page link with the title prefilled");
	is_contains("href=\"#/runbooks/new?name=nope\" title=\"" MARKDOWN_MISSING_TITLE "\"", html,
		    "a missing runbook becomes a create-this-page link");
	free(html);

	html = render("`[[Disk Full]]` in code\n\n    [[Disk Full]]\n");
	ok(strstr(html, "<a ") == NULL, "[[...]] inside code stays literal");
	free(html);

	html = render("[[<script>x</script>]]\n");
	ok(strstr(html, "<script") == NULL, "raw HTML inside [[...]] is still omitted");
	free(html);
	html = render("[[Q&A \\\"/\\\" Ops]]\n");
	is_contains(">Q&amp;A &quot;/&quot; Ops</a>", html, "a wiki link's text is escaped");
	is_contains("title=Q%26A%20%22%2F%22%20Ops\"", html, "and its target URL-encoded");
	free(html);

	if (markdown_render("[[A]] [[B]] text [[C]]", fake_resolve, &calls, &html) == 0)
		is_int(3, calls, "each wiki link is resolved once");
	else
		ok(0, "each wiki link is resolved once");
	free(html);

	markdown_render("[[A]]", NULL, NULL, &html);
	is_contains("title=\"" MARKDOWN_MISSING_TITLE "\"", html, "without a resolver every link offers creation");
	free(html);
}

static void test_headings_and_extensions(void)
{
	char *html, slug[64];

	html = render("# Purpose\n\n## Step 1: Check it!\n\n## Step 1: Check it!\n\n### `code` *em*\n");
	is_contains("<h1 id=\"purpose\">Purpose</h1>", html, "a heading gets an id from its text");
	is_contains("<h2 id=\"step-1-check-it\">", html, "punctuation becomes single dashes");
	is_contains("<h2 id=\"step-1-check-it-2\">", html, "a repeated heading gets a unique id");
	is_contains("<h3 id=\"code-em\">", html, "code and emphasis count as heading text");
	free(html);

	html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ www.example.com\n");
	is_contains("<table>", html, "tables render");
	is_contains("<del>old</del>", html, "strikethrough renders");
	is_contains("<a href=\"http://www.example.com\">", html, "bare URLs are autolinked");
	free(html);

	html = render("<title>x</title>\n");
	ok(strstr(html, "<title>") == NULL, "tagfilter-listed tags never pass");
	free(html);

	markdown_slug("  Hello, World -- 42 ", slug, sizeof(slug));
	is_string("hello-world-42", slug, "markdown_slug squeezes separators and trims");
	markdown_slug("Ünïcode only", slug, sizeof(slug));
	is_string("n-code-only", slug, "non-ASCII bytes separate words");
}

int main(void)
{
	plan_lazy();
	test_safety();
	test_wiki_links();
	test_headings_and_extensions();
	return done_testing();
}
