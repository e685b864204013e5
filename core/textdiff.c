/*
 * core/textdiff.c - line diff by longest common subsequence.  The common
 * first and last lines are taken off before the table is built, so an
 * edit in the middle of a long article stays cheap.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "embed.h"
#include "textdiff.h"

struct lines {
	const char **start;
	size_t *len;
	size_t n;
};

static int split(const char *text, struct lines *l)
{
	size_t cap = 1;

	for (const char *p = text; *p; p++)
		cap += *p == '\n';
	l->start = malloc(cap * sizeof(*l->start));
	l->len = malloc(cap * sizeof(*l->len));
	l->n = 0;
	if (!l->start || !l->len)
		return -ENOMEM;
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		l->start[l->n] = text;
		l->len[l->n++] = len;
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

static int same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

static void emit(json_t *out, struct buf *html, const char *op, const char *text, size_t len)
{
	char *line = strndup(text, len);
	const char *cls = *op == '+' ? "add" : *op == '-' ? "del" : "same";

	json_array_append_new(out, json_pack("{s:s,s:s}", "op", op, "text", line ? line : ""));
	buf_printf(html, "<div class=\"diff-%s\"><span class=\"diff-op\">%s</span>", cls, op);
	embed_html_escape(html, line);
	buf_puts(html, "</div>\n");
	free(line);
}

int textdiff_lines(const char *a_text, const char *b_text, json_t **lines, char **html)
{
	struct lines a = { 0 }, b = { 0 };
	struct buf out = { 0 };
	size_t pre = 0, suf = 0, n, m, i, j;
	uint32_t *t = NULL;
	int rc = -ENOMEM;

	*lines = NULL;
	if (html)
		*html = NULL;
	if (split(a_text ? a_text : "", &a) < 0 || split(b_text ? b_text : "", &b) < 0)
		goto out;
	while (pre < a.n && pre < b.n && same(&a, pre, &b, pre))
		pre++;
	while (suf < a.n - pre && suf < b.n - pre && same(&a, a.n - 1 - suf, &b, b.n - 1 - suf))
		suf++;
	n = a.n - pre - suf;
	m = b.n - pre - suf;
	*lines = json_array();
	buf_puts(&out, "<div class=\"diff\">\n");
	for (i = 0; i < pre; i++)
		emit(*lines, &out, " ", a.start[i], a.len[i]);
	if ((n + 1) * (m + 1) <= (size_t)TEXTDIFF_MAX_CELLS && (t = calloc((n + 1) * (m + 1), sizeof(*t)))) {
		/* t[i][j]: the LCS length of a's middle from i and b's from j */
		for (i = n; i-- > 0;)
			for (j = m; j-- > 0;)
				t[i * (m + 1) + j] = same(&a, pre + i, &b, pre + j)
							     ? t[(i + 1) * (m + 1) + j + 1] + 1
							     : (t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
									? t[(i + 1) * (m + 1) + j]
									: t[i * (m + 1) + j + 1]);
		for (i = 0, j = 0; i < n || j < m;) {
			if (i < n && j < m && same(&a, pre + i, &b, pre + j)) {
				emit(*lines, &out, " ", a.start[pre + i], a.len[pre + i]);
				i++, j++;
			} else if (i < n && (j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1])) {
				emit(*lines, &out, "-", a.start[pre + i], a.len[pre + i]);
				i++;
			} else {
				emit(*lines, &out, "+", b.start[pre + j], b.len[pre + j]);
				j++;
			}
		}
	} else {
		for (i = 0; i < n; i++)
			emit(*lines, &out, "-", a.start[pre + i], a.len[pre + i]);
		for (j = 0; j < m; j++)
			emit(*lines, &out, "+", b.start[pre + j], b.len[pre + j]);
	}
	for (i = a.n - suf; i < a.n; i++)
		emit(*lines, &out, " ", a.start[i], a.len[i]);
	buf_puts(&out, "</div>\n");
	if (html)
		*html = buf_steal(&out);
	rc = 0;
out:
	buf_free(&out);
	free(t);
	free(a.start);
	free(a.len);
	free(b.start);
	free(b.len);
	return rc;
}
