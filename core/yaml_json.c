/*
 * core/yaml_json.c - YAML text <-> jansson values (see yaml_json.h).
 *
 * Reading works on libyaml's events rather than its document loader: the
 * events still say whether a scalar was plain and whether it carried a tag
 * (`!!str 10` is a string, `10` an integer), and they give every value its
 * line and column for the locations map.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "yaml_json.h"

#define MAX_DEPTH 64
#define MAX_NODES 200000 /* what aliases may add up to: no billion laughs */

/* ---- scalars ---- */

enum scalar_kind { S_STR, S_NULL, S_TRUE, S_FALSE, S_INT, S_FLOAT, S_SPECIAL };

static int word_in(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && memcmp(*words, s, len) == 0)
			return 1;
	return 0;
}

static int all_in(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return len > 0;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_float(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (!digits)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp = 0;
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, exp++;
		if (!exp)
			return 0;
	}
	return i == len;
}

static enum scalar_kind classify(const char *s, size_t len)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", NULL };
	static const char *const specials[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
						"-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };
	size_t i = 0;

	if (word_in(s, len, nulls))
		return S_NULL;
	if (word_in(s, len, trues))
		return S_TRUE;
	if (word_in(s, len, falses))
		return S_FALSE;
	if (word_in(s, len, specials))
		return S_SPECIAL;
	if (len > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, len - 2, "0123456789abcdefABCDEF"))
		return S_INT;
	if (len > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, len - 2, "01234567"))
		return S_INT;
	if (len && (s[0] == '-' || s[0] == '+'))
		i = 1;
	if (all_in(s + i, len - i, "0123456789"))
		return S_INT;
	if (is_float(s, len))
		return S_FLOAT;
	return S_STR;
}

/* Plain text that some YAML reader might take for other than a string
 * (ours, or a YAML 1.1 one: 1_000, 1:30, y, n), quoted on output. */
static int needs_quotes(const char *s, size_t len)
{
	static const char *const yn[] = { "y", "Y", "n", "N", "=", "<<", NULL };
	int digit = 0;

	if (classify(s, len) != S_STR || word_in(s, len, yn))
		return 1;
	for (size_t i = 0; i < len; i++)
		digit |= s[i] >= '0' && s[i] <= '9';
	return digit && all_in(s, len, "0123456789_.:+-eExXoObBaAcCdDfF");
}

static int parse_int(const char *s, size_t len, json_int_t *out)
{
	char buf[80], *end;
	long long v;
	int base = 10;
	const char *digits = buf;

	if (len == 0 || len >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (len > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'o')) {
		base = buf[1] == 'x' ? 16 : 8;
		digits = buf + 2;
	}
	errno = 0;
	v = strtoll(digits, &end, base);
	if (errno || *end || end == digits)
		return -ERANGE;
	*out = (json_int_t)v;
	return 0;
}

/* ---- the loader ---- */

struct frame {
	json_t *node;  /* the object or array being filled */
	char *path;
	char *key;     /* an object's key waiting for its value */
	size_t keylen;
	long key_line, key_col;
	char *anchor;  /* registered once the node is complete */
};

struct loader {
	const char *name;
	char *err;
	size_t errlen;
	struct frame stack[MAX_DEPTH];
	int depth;
	json_t *root;
	int have_root;
	json_t *anchors;
	json_t *locs;
	size_t nodes;
};

static int fail(struct loader *l, const yaml_mark_t *mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct loader *l, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (mark)
		n = snprintf(l->err, l->errlen, "%s:%zu:%zu: ", l->name, mark->line + 1, mark->column + 1);
	else
		n = snprintf(l->err, l->errlen, "%s: ", l->name);
	if (n >= 0 && (size_t)n < l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static char *child_path(const struct frame *parent, size_t index)
{
	char *p = NULL;
	int n;

	if (!parent)
		return strdup("");
	if (json_is_array(parent->node))
		n = asprintf(&p, "%s[%zu]", parent->path, index);
	else if (parent->path[0])
		n = asprintf(&p, "%s.%.*s", parent->path, (int)parent->keylen, parent->key);
	else
		n = asprintf(&p, "%.*s", (int)parent->keylen, parent->key);
	return n < 0 ? NULL : p;
}

static size_t count_nodes(json_t *v)
{
	size_t n = 1;
	const char *k;
	json_t *child;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, child)
			n += count_nodes(child);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, child)
			n += count_nodes(child);
	}
	return n;
}

/* Takes value.  A container that is still to be filled (push) becomes the
 * new top frame; an alias's copy is complete already. */
static int add_value(struct loader *l, json_t *value, const yaml_mark_t *mark, const char *anchor, int push)
{
	struct frame *top = l->depth ? &l->stack[l->depth - 1] : NULL;
	long line = (long)mark->line + 1, col = (long)mark->column + 1;
	char *path;
	int rc = 0;

	if (!value)
		return fail(l, mark, "out of memory or invalid UTF-8");
	if ((l->nodes += 1) > MAX_NODES) {
		json_decref(value);
		return fail(l, mark, "more than %d values (aliases expanding too far?)", MAX_NODES);
	}
	if (top && json_is_object(top->node) && !top->key) {
		json_decref(value);
		return fail(l, mark, "a mapping key must be a plain value, not a list or mapping");
	}
	if (!(path = child_path(top, top ? json_array_size(top->node) : 0))) {
		json_decref(value);
		return fail(l, mark, "out of memory");
	}
	if (top && json_is_object(top->node)) {
		line = top->key_line;
		col = top->key_col;
	}
	if (l->locs)
		json_object_set_new(l->locs, path, json_pack("[ii]", line, col));
	if (push) {
		struct frame *f;
		if (l->depth >= MAX_DEPTH) {
			free(path);
			json_decref(value);
			return fail(l, mark, "nested deeper than %d levels", MAX_DEPTH);
		}
		f = &l->stack[l->depth++];
		memset(f, 0, sizeof(*f));
		f->node = json_incref(value);
		f->path = path;
		f->anchor = anchor ? strdup(anchor) : NULL;
		path = NULL;
	} else if (anchor) {
		json_object_set(l->anchors, anchor, value);
	}
	free(path);
	if (!top) {
		l->root = value;
		l->have_root = 1;
	} else if (json_is_array(top->node)) {
		rc = json_array_append_new(top->node, value);
	} else {
		rc = json_object_setn_new(top->node, top->key, top->keylen, value);
		free(top->key);
		top->key = NULL;
	}
	return rc < 0 ? fail(l, mark, "out of memory") : 0;
}

static int set_key(struct loader *l, const char *key, size_t len, const yaml_mark_t *mark)
{
	struct frame *top = &l->stack[l->depth - 1];

	if (memchr(key, '\0', len))
		return fail(l, mark, "a mapping key holds a NUL byte");
	if (json_object_getn(top->node, key, len))
		return fail(l, mark, "duplicate key \"%.*s\"", (int)len, key);
	if (!(top->key = malloc(len + 1)))
		return fail(l, mark, "out of memory");
	memcpy(top->key, key, len);
	top->key[len] = '\0';
	top->keylen = len;
	top->key_line = (long)mark->line + 1;
	top->key_col = (long)mark->column + 1;
	return 0;
}

static int awaiting_key(struct loader *l)
{
	return l->depth && json_is_object(l->stack[l->depth - 1].node) && !l->stack[l->depth - 1].key;
}

static int scalar(struct loader *l, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	const yaml_mark_t *mark = &ev->start_mark;
	enum scalar_kind kind = S_STR;
	json_int_t i;
	json_t *v;

	if (awaiting_key(l))
		return set_key(l, text, len, mark);
	if (tag && strcmp(tag, "!") != 0) {
		if (strcmp(tag, YAML_STR_TAG) == 0)
			kind = S_STR;
		else if (strcmp(tag, YAML_INT_TAG) == 0 && classify(text, len) == S_INT)
			kind = S_INT;
		else if (strcmp(tag, YAML_FLOAT_TAG) == 0 &&
			 (classify(text, len) == S_FLOAT || classify(text, len) == S_INT))
			kind = S_FLOAT;
		else if (strcmp(tag, YAML_BOOL_TAG) == 0 &&
			 (classify(text, len) == S_TRUE || classify(text, len) == S_FALSE))
			kind = classify(text, len);
		else if (strcmp(tag, YAML_NULL_TAG) == 0 && classify(text, len) == S_NULL)
			kind = S_NULL;
		else
			return fail(l, mark, "\"%.*s\" cannot be read as %s", (int)(len > 60 ? 60 : len), text, tag);
	} else if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		kind = classify(text, len);
	}
	switch (kind) {
	case S_NULL: v = json_null(); break;
	case S_TRUE: v = json_true(); break;
	case S_FALSE: v = json_false(); break;
	case S_INT:
		if (parse_int(text, len, &i) < 0)
			return fail(l, mark, "integer %.*s is out of range", (int)(len > 60 ? 60 : len), text);
		v = json_integer(i);
		break;
	case S_FLOAT: {
		char buf[128];
		if (len >= sizeof(buf))
			return fail(l, mark, "number too long");
		memcpy(buf, text, len);
		buf[len] = '\0';
		v = json_real(strtod(buf, NULL));
		break;
	}
	case S_SPECIAL:
		return fail(l, mark, "%.*s cannot be represented in JSON", (int)len, text);
	default:
		v = json_stringn(text, len);
		if (!v)
			return fail(l, mark, "invalid UTF-8");
	}
	return add_value(l, v, mark, anchor, 0);
}

static int alias(struct loader *l, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	json_t *v = json_object_get(l->anchors, name);

	if (!v)
		return fail(l, &ev->start_mark, "alias *%s: no complete node has that anchor", name);
	if (awaiting_key(l)) {
		if (!json_is_string(v))
			return fail(l, &ev->start_mark, "alias *%s as a key must name a string", name);
		return set_key(l, json_string_value(v), json_string_length(v), &ev->start_mark);
	}
	l->nodes += count_nodes(v);
	if (l->nodes > MAX_NODES)
		return fail(l, &ev->start_mark, "more than %d values (aliases expanding too far?)", MAX_NODES);
	return add_value(l, json_deep_copy(v), &ev->start_mark, NULL, 0);
}

static void end_node(struct loader *l)
{
	struct frame *f = &l->stack[--l->depth];

	if (f->anchor)
		json_object_set(l->anchors, f->anchor, f->node);
	json_decref(f->node);
	free(f->path);
	free(f->key);
	free(f->anchor);
}

static int parser_error(struct loader *l, yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		return fail(l, NULL, "out of memory");
	if (p->context)
		return fail(l, &p->problem_mark, "%s (%s at line %zu)", p->problem ? p->problem : "syntax error",
			    p->context, p->context_mark.line + 1);
	return fail(l, &p->problem_mark, "%s", p->problem ? p->problem : "syntax error");
}

int yaml_json_load(const char *name, const char *text, size_t len, json_t **out, json_t **locs,
		   char *err, size_t errlen)
{
	struct loader l = { .name = name, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0, documents = 0;

	*out = NULL;
	if (locs)
		*locs = NULL;
	if (!yaml_parser_initialize(&parser))
		return fail(&l, NULL, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	l.anchors = json_object();
	l.locs = locs ? json_object() : NULL;
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&l, &parser);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1)
				rc = fail(&l, &ev.start_mark, "a second YAML document: put several items in one list instead");
			break;
		case YAML_SCALAR_EVENT:
			rc = scalar(&l, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = alias(&l, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = add_value(&l, json_array(), &ev.start_mark, (const char *)ev.data.sequence_start.anchor, 1);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = add_value(&l, json_object(), &ev.start_mark, (const char *)ev.data.mapping_start.anchor, 1);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			end_node(&l);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	while (l.depth)
		end_node(&l);
	yaml_parser_delete(&parser);
	json_decref(l.anchors);
	if (rc < 0) {
		json_decref(l.root);
		json_decref(l.locs);
		return rc;
	}
	*out = l.have_root ? l.root : json_null();
	if (locs) {
		if (!l.have_root)
			json_object_set_new(l.locs, "", json_pack("[ii]", 1, 1));
		*locs = l.locs;
	}
	return 0;
}

int yaml_json_load_file(const char *path, json_t **out, json_t **locs, char *err, size_t errlen)
{
	struct buf b = { 0 };
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	int rc;

	*out = NULL;
	if (locs)
		*locs = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0) {
			fclose(f);
			buf_free(&b);
			snprintf(err, errlen, "%s: out of memory", path);
			return -ENOMEM;
		}
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc < 0) {
		snprintf(err, errlen, "%s: read error", path);
		buf_free(&b);
		return rc;
	}
	rc = yaml_json_load(path, b.data ? b.data : "", b.len, out, locs, err, errlen);
	buf_free(&b);
	return rc;
}

int yaml_json_where(json_t *locs, const char *path, long *line, long *col)
{
	char *p = strdup(path ? path : "");
	json_t *at = NULL;

	if (!p)
		return -ENOMEM;
	for (;;) {
		char *dot, *bracket, *cut;
		if ((at = json_object_get(locs, p)) != NULL || !*p)
			break;
		dot = strrchr(p, '.');
		bracket = strrchr(p, '[');
		cut = dot > bracket ? dot : bracket;
		if (!cut)
			cut = p;
		*cut = '\0';
	}
	free(p);
	if (!json_is_array(at))
		return -ENOENT;
	*line = (long)json_integer_value(json_array_get(at, 0));
	*col = (long)json_integer_value(json_array_get(at, 1));
	return 0;
}

/* ---- the emitter ---- */

static int write_out(void *data, unsigned char *bytes, size_t size)
{
	return buf_append(data, (const char *)bytes, size) == 0;
}

static int emit_string(yaml_emitter_t *e, const char *s, size_t len)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	if (needs_quotes(s, len))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (memchr(s, '\n', len))
		style = YAML_LITERAL_SCALAR_STYLE;
	return yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style) &&
	       yaml_emitter_emit(e, &ev);
}

static int emit_plain(yaml_emitter_t *e, const char *s)
{
	yaml_event_t ev;

	return yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 0,
					    YAML_PLAIN_SCALAR_STYLE) &&
	       yaml_emitter_emit(e, &ev);
}

static int all_scalars(json_t *array)
{
	size_t i;
	json_t *v;

	json_array_foreach(array, i, v)
		if (json_is_object(v) || json_is_array(v))
			return 0;
	return 1;
}

static int emit_value(yaml_emitter_t *e, json_t *v)
{
	yaml_event_t ev;
	char num[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *child;
		int flow = json_object_size(v) == 0;
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE
										   : YAML_BLOCK_MAPPING_STYLE) ||
		    !yaml_emitter_emit(e, &ev))
			return 0;
		json_object_foreach(v, k, child)
			if (!emit_string(e, k, strlen(k)) || !emit_value(e, child))
				return 0;
		return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *child;
		int flow = all_scalars(v);
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE
										    : YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(e, &ev))
			return 0;
		json_array_foreach(v, i, child)
			if (!emit_value(e, child))
				return 0;
		return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(e, &ev);
	}
	case JSON_STRING:
		return emit_string(e, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_plain(e, num);
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		if (!strpbrk(num, ".eE"))
			strcat(num, ".0");
		return emit_plain(e, num);
	case JSON_TRUE:
		return emit_plain(e, "true");
	case JSON_FALSE:
		return emit_plain(e, "false");
	case JSON_NULL:
		return emit_plain(e, "null");
	}
	return 0;
}

char *yaml_json_dump(json_t *value)
{
	struct buf b = { 0 };
	yaml_emitter_t e;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&e))
		return NULL;
	yaml_emitter_set_output(&e, write_out, &b);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1); /* no folding of long lines */
	yaml_emitter_set_indent(&e, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&e, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&e, &ev) &&
	     emit_value(&e, value) &&
	     yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&e, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&e, &ev) &&
	     yaml_emitter_flush(&e);
	yaml_emitter_delete(&e);
	if (!ok) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}
