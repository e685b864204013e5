/* core/buf.h - a growable byte buffer, the one string builder. */
#ifndef SALVE_BUF_H
#define SALVE_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
};

int buf_append(struct buf *b, const char *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* JSON text without a DOM, for hot paths: a string literal (NULL gives
 * null), and an object whose values are all strings (NULL gives {}). */
int buf_json_string(struct buf *b, const char *s);
struct json_t;
int buf_json_string_map(struct buf *b, struct json_t *object);
char *buf_steal(struct buf *b); /* the data (never NULL); b is left empty */
void buf_free(struct buf *b);

#endif
