/*
 * plugins/source_nagios/nagios_form.h - application/x-www-form-urlencoded
 * bodies, as curl --data-urlencode and salve-nagios-notify send them.
 */
#ifndef SALVE_NAGIOS_FORM_H
#define SALVE_NAGIOS_FORM_H

#include <stddef.h>

struct form_field {
	char *name;
	char *value; /* valid UTF-8, NUL-free */
};

struct form {
	struct form_field *fields;
	size_t n;
};

/* Decodes "a=1&b=x+y%21": '+' is a space, %XX a byte; a field without '='
 * has the empty value; empty pieces ("a=1&&b=2") are skipped.  Bytes that
 * are not valid UTF-8 become U+FFFD, because plugin output is whatever a
 * check printed.  0, -ENOMEM, or -EINVAL with err naming the field: a
 * malformed %-escape, a %00, a nameless field, a name given twice (which
 * value would be meant?). */
int form_decode(const char *body, size_t len, struct form *out, char *err, size_t errlen);

/* The value of name, or NULL when absent. */
const char *form_get(const struct form *f, const char *name);

void form_free(struct form *f);

/* Formats a reason into err and returns -EINVAL: how every check of the
 * Nagios fields says no. */
int nagios_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* SALVE_NAGIOS_FORM_H */
