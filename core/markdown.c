/*
 * core/markdown.c - article markdown to safe HTML.
 *
 * Wiki links are found in the parsed tree, in text nodes only, so
 * [[...]] inside code stays literal; each becomes a link node before
 * rendering, which keeps cmark in charge of escaping.  Heading ids are
 * added to the rendered HTML: in safe mode raw HTML is omitted and text is
 * escaped, so every "<hN>" in the output is one of the tree's headings, in
 * document order.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>

#include "buf.h"
#include "markdown.h"

#define MAX_HEADINGS 256
#define RUNBOOK_PREFIX "Runbook:"

static const char *const extensions[] = { "tagfilter", "table", "autolink", "strikethrough", NULL };

void markdown_slug(const char *text, char *out, size_t size)
{
	size_t n = 0;
	int dash = 0;

	if (!size)
		return;
	for (const unsigned char *p = (const unsigned char *)text; *p && n + 1 < size; p++) {
		if (isalnum(*p) && *p < 0x80) {
			if (dash && n && n + 2 < size)
				out[n++] = '-';
			dash = 0;
			out[n++] = (char)tolower(*p);
		} else {
			dash = 1;
		}
	}
	out[n] = '\0';
}

static void url_encode(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-_.~", *p))
			buf_append(b, (const char *)p, 1);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* A link node for [[inner]] (inner: len bytes, not NUL-terminated). */
static int wiki_link(const char *inner, size_t len, markdown_resolve_fn resolve, void *ud, cmark_node **link)
{
	char *raw = strndup(inner, len), href[512];
	const char *target;
	struct buf url = { 0 };
	int runbook, rc = 0;
	cmark_node *text;

	if (!raw)
		return -ENOMEM;
	runbook = strncasecmp(raw, RUNBOOK_PREFIX, strlen(RUNBOOK_PREFIX)) == 0;
	target = skip_space(runbook ? raw + strlen(RUNBOOK_PREFIX) : raw);
	if (resolve && (rc = resolve(target, runbook, href, sizeof(href), ud)) < 0) {
		free(raw);
		return rc;
	}
	*link = cmark_node_new(CMARK_NODE_LINK);
	text = cmark_node_new(CMARK_NODE_TEXT);
	cmark_node_set_literal(text, raw);
	cmark_node_append_child(*link, text);
	if (rc == 1) {
		cmark_node_set_url(*link, href);
		cmark_node_set_title(*link, "");
	} else {
		buf_puts(&url, runbook ? "#/runbooks/new?name=" : "#/kb/new?title=");
		url_encode(&url, target);
		cmark_node_set_url(*link, url.data);
		cmark_node_set_title(*link, MARKDOWN_MISSING_TITLE);
		buf_free(&url);
	}
	free(raw);
	return 0;
}

static cmark_node *text_node(const char *s, size_t len)
{
	char *copy = strndup(s, len);
	cmark_node *n = cmark_node_new(CMARK_NODE_TEXT);

	cmark_node_set_literal(n, copy ? copy : "");
	free(copy);
	return n;
}

/* Splits one text node around its [[...]] links. */
static int expand_text(cmark_node *node, markdown_resolve_fn resolve, void *ud)
{
	const char *lit = cmark_node_get_literal(node), *p, *open, *close;
	int rc = 0, changed = 0;

	if (!lit || !strstr(lit, "[["))
		return 0;
	p = lit;
	while ((open = strstr(p, "[[")) && (close = strstr(open + 2, "]]"))) {
		cmark_node *link;
		size_t len = (size_t)(close - open - 2);
		if (!len || memchr(open + 2, '\n', len) || memchr(open + 2, '[', len)) {
			p = open + 1;
			continue;
		}
		if ((rc = wiki_link(open + 2, len, resolve, ud, &link)) < 0)
			return rc;
		if (open > p)
			cmark_node_insert_before(node, text_node(p, (size_t)(open - p)));
		cmark_node_insert_before(node, link);
		p = close + 2;
		changed = 1;
	}
	if (!changed)
		return 0;
	if (*p)
		cmark_node_insert_before(node, text_node(p, strlen(p)));
	cmark_node_free(node); /* unlinks it */
	return 0;
}

static int expand_wiki_links(cmark_node *root, markdown_resolve_fn resolve, void *ud)
{
	cmark_node *texts[1024];
	size_t n = 0;
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	int rc = 0;

	/* collect first: the tree must not change under the iterator */
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		const char *lit;
		if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_TEXT)
			continue;
		lit = cmark_node_get_literal(node);
		if (lit && strstr(lit, "[[") && n < sizeof(texts) / sizeof(texts[0]))
			texts[n++] = node;
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = expand_text(texts[i], resolve, ud);
	return rc;
}

static void heading_text(cmark_node *heading, struct buf *b)
{
	cmark_iter *it = cmark_iter_new(heading);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(node);
		if (ev == CMARK_EVENT_ENTER && (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)) {
			buf_puts(b, cmark_node_get_literal(node));
			buf_puts(b, " ");
		}
	}
	cmark_iter_free(it);
}

/* The heading ids in document order, unique ("setup", "setup-2"). */
static size_t heading_ids(cmark_node *root, char ids[][96], size_t max)
{
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	size_t n = 0;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && n < max) {
		cmark_node *node = cmark_iter_get_node(it);
		struct buf text = { 0 };
		char base[80];
		int dup = 1;
		if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_HEADING)
			continue;
		heading_text(node, &text);
		markdown_slug(text.data ? text.data : "", base, sizeof(base));
		buf_free(&text);
		if (!base[0])
			snprintf(base, sizeof(base), "section");
		snprintf(ids[n], 96, "%s", base);
		for (size_t i = 0; i < n; i++)
			if (strcmp(ids[i], ids[n]) == 0) {
				snprintf(ids[n], 96, "%s-%d", base, ++dup);
				i = (size_t)-1; /* check the new one from the start */
			}
		n++;
	}
	cmark_iter_free(it);
	return n;
}

static char *add_heading_ids(const char *html, char ids[][96], size_t nids)
{
	struct buf out = { 0 };
	const char *p = html;
	size_t i = 0;

	while (*p) {
		const char *h = strstr(p, "<h");
		if (!h || i >= nids) {
			buf_puts(&out, p);
			break;
		}
		if (h[2] >= '1' && h[2] <= '6' && h[3] == '>') {
			buf_append(&out, p, (size_t)(h - p));
			buf_printf(&out, "<h%c id=\"%s\">", h[2], ids[i++]);
			p = h + 4;
		} else {
			buf_append(&out, p, (size_t)(h - p) + 2);
			p = h + 2;
		}
	}
	return buf_steal(&out);
}

static pthread_once_t registered = PTHREAD_ONCE_INIT;

static void register_extensions(void) { cmark_gfm_core_extensions_ensure_registered(); }

int markdown_render(const char *markdown, markdown_resolve_fn resolve, void *ud, char **html)
{
	/* CMARK_OPT_UNSAFE is never set: raw HTML and dangerous URLs are
	 * dropped (CMARK_OPT_SAFE is the default since 0.29, kept for clarity) */
	const int options = CMARK_OPT_SAFE | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_GITHUB_PRE_LANG;
	char (*ids)[96];
	cmark_parser *parser;
	cmark_node *root;
	char *rendered;
	size_t nids;
	int rc;

	*html = NULL;
	pthread_once(&registered, register_extensions);
	if (!(parser = cmark_parser_new(options)))
		return -ENOMEM;
	for (const char *const *e = extensions; *e; e++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(*e);
		if (ext)
			cmark_parser_attach_syntax_extension(parser, ext);
	}
	cmark_parser_feed(parser, markdown ? markdown : "", markdown ? strlen(markdown) : 0);
	root = cmark_parser_finish(parser);
	if (!root) {
		cmark_parser_free(parser);
		return -ENOMEM;
	}
	cmark_consolidate_text_nodes(root);
	if ((rc = expand_wiki_links(root, resolve, ud)) < 0)
		goto out;
	rendered = cmark_render_html(root, options, cmark_parser_get_syntax_extensions(parser));
	if (!rendered) {
		rc = -ENOMEM;
		goto out;
	}
	if ((ids = calloc(MAX_HEADINGS, sizeof(*ids))) != NULL) {
		nids = heading_ids(root, ids, MAX_HEADINGS);
		*html = add_heading_ids(rendered, ids, nids);
		free(ids);
	}
	free(rendered);
	rc = *html ? 0 : -ENOMEM;
out:
	cmark_node_free(root);
	cmark_parser_free(parser);
	return rc;
}
