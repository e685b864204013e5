/* core/fields.h - building the field errors of a 422
 * ({"field","message"} items, see http_respond_field_errors) and the
 * small checks request validators share. */
#ifndef SALVE_FIELDS_H
#define SALVE_FIELDS_H

#include <jansson.h>

void fields_add_error(json_t *errors, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 1 when s is a UUID in its 8-4-4-4-12 hex form. */
int fields_is_uuid(const char *s);
/* 1 when v is a string of at most max bytes, non-empty when nonempty. */
int fields_is_text(json_t *v, size_t max, int nonempty);

#endif
