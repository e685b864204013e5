/* core/categories.c - alert categories from labels (see categories.h). */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "categories.h"

const char *const categories_labels[] = { "category", "service", "job", "team", "namespace",
					   "component", "app", "env", NULL };

const char *const categories_default_rules[] = {
	"database: *postgres* *mysql* *mariadb* *redis* *mongo* *database* *replication* *pgbouncer* "
	"service=*postgres* service=*mysql* service=*redis* service=*pgbouncer* service=*mongo* "
	"job=*postgres* job=*mysql* job=*redis*",
	"network: *network* *dns* *packet* *interface* *certificate* *ssl* *tls* *probe* *bandwidth* "
	"*connectivity* job=blackbox*",
	"infrastructure: *cpu* *disk* *memory* *node* *host* *load* *filesystem* *swap* *inode* *kubelet* "
	"job=node*",
	NULL
};

#define DEFAULT_FALLBACK "application"

static int known_label(const char *s, size_t n)
{
	for (const char *const *l = categories_labels; *l; l++)
		if (strlen(*l) == n && strncmp(*l, s, n) == 0)
			return 1;
	return 0;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return 0;
	return 1;
}

int categories_check_rule(const char *line, char *msg, size_t msglen)
{
	const char *colon = line ? strchr(line, ':') : NULL;
	const char *p;
	int patterns = 0;

	if (!colon || !valid_name(line, (size_t)(colon - line))) {
		snprintf(msg, msglen, "\"%s\": expected \"category: pattern ...\" with a category of letters, "
			 "digits, _ . or -", line ? line : "");
		return -EINVAL;
	}
	for (p = colon + 1; *p;) {
		const char *eq;
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (n == 0)
			break;
		eq = memchr(p, '=', n);
		if (*p == '=' || (eq && !valid_name(p, (size_t)(eq - p)))) {
			snprintf(msg, msglen, "\"%s\": \"%.*s\" should be a glob on the alert name or label=glob",
				 line, (int)n, p);
			return -EINVAL;
		}
		if (eq && !known_label(p, (size_t)(eq - p))) {
			snprintf(msg, msglen, "\"%s\": label \"%.*s\" cannot be used; rules read category, service, "
				 "job, team, namespace, component, app and env", line, (int)(eq - p), p);
			return -EINVAL;
		}
		patterns++;
		p += n;
	}
	if (!patterns) {
		snprintf(msg, msglen, "\"%s\": no patterns after the category", line);
		return -EINVAL;
	}
	return 0;
}

static int add_rule(struct category_rule *r, const char *line)
{
	const char *colon = strchr(line, ':'), *p;
	size_t n = 0;

	if (!(r->category = strndup(line, (size_t)(colon - line))))
		return -ENOMEM;
	if (!(r->patterns = calloc(strlen(colon) + 1, sizeof(char *))))
		return -ENOMEM;
	for (p = colon + 1; *p;) {
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!(len = strcspn(p, " \t")))
			break;
		if (!(r->patterns[n++] = strndup(p, len)))
			return -ENOMEM;
		p += len;
	}
	return 0;
}

int categories_init(struct categories *c, const char *const *lines, const char *fallback,
		    char *msg, size_t msglen)
{
	size_t n = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!lines)
		lines = categories_default_rules;
	while (lines[n])
		n++;
	for (size_t i = 0; i < n; i++)
		if ((rc = categories_check_rule(lines[i], msg, msglen)) < 0)
			return rc;
	if (!(c->rules = calloc(n ? n : 1, sizeof(*c->rules))) ||
	    !(c->fallback = strdup(fallback && *fallback ? fallback : DEFAULT_FALLBACK)))
		goto nomem;
	for (; c->nrules < n; c->nrules++)
		if (add_rule(&c->rules[c->nrules], lines[c->nrules]) < 0) {
			c->nrules++;
			goto nomem;
		}
	return 0;
nomem:
	categories_free(c);
	snprintf(msg, msglen, "out of memory");
	return -ENOMEM;
}

void categories_free(struct categories *c)
{
	for (size_t i = 0; i < c->nrules; i++) {
		for (char **p = c->rules[i].patterns; p && *p; p++)
			free(*p);
		free(c->rules[i].patterns);
		free(c->rules[i].category);
	}
	free(c->rules);
	free(c->fallback);
	memset(c, 0, sizeof(*c));
}

static int pattern_matches(const char *pattern, const char *alert_name, json_t *labels)
{
	const char *eq = strchr(pattern, '=');
	const char *value = alert_name;
	char label[80];

	if (eq) {
		snprintf(label, sizeof(label), "%.*s", (int)(eq - pattern), pattern);
		value = json_string_value(json_object_get(labels, label));
		pattern = eq + 1;
	}
	return value && fnmatch(pattern, value, FNM_CASEFOLD) == 0;
}

const char *categories_classify(const struct categories *c, const char *alert_name, json_t *labels)
{
	const char *own = json_string_value(json_object_get(labels, "category"));

	if (own && *own)
		return own;
	for (size_t i = 0; i < c->nrules; i++)
		for (char **p = c->rules[i].patterns; *p; p++)
			if (pattern_matches(*p, alert_name ? alert_name : "", labels))
				return c->rules[i].category;
	return c->fallback;
}
