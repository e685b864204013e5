/* core/categories.h - which kind of alert is this: the category that AI
 * analysis quality is broken down by, from labels by a configurable mapping.
 *
 * A rule is one line "category: pattern pattern ...".  A pattern is an
 * fnmatch(3) glob on the alert name ("*Postgres*") or on one label's value
 * ("service=*redis*"), both without regard to case.  The first rule with a
 * matching pattern wins; an alert no rule matches gets the fallback.  An
 * alert with a "category" label is taken at its word.
 *
 * Label patterns may read only the labels of categories_labels (feedback
 * is rolled up per distinct set of them: sql/008, insights_category_labels,
 * holds the same list). */
#ifndef SALVE_CATEGORIES_H
#define SALVE_CATEGORIES_H

#include <stddef.h>
#include <jansson.h>

struct category_rule {
	char *category;
	char **patterns; /* NULL-terminated */
};

struct categories {
	struct category_rule *rules;
	size_t nrules;
	char *fallback;
};

/* The labels a rule may read, NULL-terminated. */
extern const char *const categories_labels[];

/* The rules used when salve.yaml names none (insights.categories). */
extern const char *const categories_default_rules[];

/* Checks one rule line: 0, or -EINVAL with what is wrong in msg. */
int categories_check_rule(const char *line, char *msg, size_t msglen);
/* Builds the mapping from rule lines (NULL: the defaults).  0 or -EINVAL
 * (msg says which line and why) or -ENOMEM. */
int categories_init(struct categories *c, const char *const *lines, const char *fallback,
		    char *msg, size_t msglen);
void categories_free(struct categories *c);
/* The category of an alert; labels may be NULL.  Never NULL; it may
 * point into labels (the alert's own category label). */
const char *categories_classify(const struct categories *c, const char *alert_name, json_t *labels);

#endif
