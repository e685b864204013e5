/* core/fields.c - field errors and shared checks for request validators. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"

void fields_add_error(json_t *errors, const char *field, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_array_append_new(errors, json_pack("{s:s,s:s}", "field", field, "message", message));
}

int fields_is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !s[i] || !strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	}
	return s[36] == '\0';
}

int fields_is_text(json_t *v, size_t max, int nonempty)
{
	return json_is_string(v) && json_string_length(v) <= max && (!nonempty || json_string_length(v) > 0);
}
