/*
 * core/yaml_json.h - YAML documents to jansson values and back, for the
 * import and export of runbooks (and later workflows, articles, SOPs).
 *
 * Reading: mappings become objects (keys are strings; a repeated key is an
 * error), sequences arrays.  A plain scalar resolves as YAML 1.1 does for
 * the core types: null (~, null, empty), bool (true/false, yes/no, on/off
 * in any of their three casings), int (decimal, 0x hex, 0o octal), float;
 * anything else, and every quoted or block scalar, is a string.  Explicit
 * tags !!str, !!int, !!float, !!bool and !!null are honoured.  Aliases copy
 * the anchored value.  Errors read "NAME:LINE:COLUMN: what".
 *
 * Writing gives block-style YAML that reads back to the same value:
 * strings that would resolve to something else ("10", "true", "") are
 * quoted, short lists of scalars are written in flow style.
 */
#ifndef SALVE_YAML_JSON_H
#define SALVE_YAML_JSON_H

#include <stddef.h>
#include <jansson.h>

/* Reads the one document in text (an empty text is null; a second
 * document is an error).  name is used in errors.  0 with *out set, or
 * -EINVAL with err filled.  When locs is not NULL, *locs is an object from
 * each value's path to [line, column] (1-based; a mapping value is where
 * its key is): "" the root, "steps" a key of the root, "steps[0].argv[2]"
 * deeper, "[1].name" in a root list.  These are the field names validation
 * reports, so an error can be pointed at with yaml_json_where(). */
int yaml_json_load(const char *name, const char *text, size_t len, json_t **out, json_t **locs,
		   char *err, size_t errlen);
/* The same for a file; errors name path. */
int yaml_json_load_file(const char *path, json_t **out, json_t **locs, char *err, size_t errlen);

/* The line and column of path in locs, or of the nearest enclosing value
 * that has one ("steps[0].argv[9]" falls back to "steps[0].argv", then
 * "steps[0]" ...).  0 when found, -ENOENT when not even the root is there. */
int yaml_json_where(json_t *locs, const char *path, long *line, long *col);

/* value as a YAML document, malloc()ed (NULL when out of memory or when
 * value holds something YAML cannot carry). */
char *yaml_json_dump(json_t *value);

#endif
