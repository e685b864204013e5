/*
 * core/textdiff.h - a line-based diff of two texts (longest common
 * subsequence), as data and as HTML, for article versions.
 */
#ifndef SALVE_TEXTDIFF_H
#define SALVE_TEXTDIFF_H

#include <jansson.h>

/* *lines: [{"op": " "|"-"|"+", "text": line}] turning a into b, and *html
 * (malloc()ed, may be NULL) the same as escaped <div class="diff-…">
 * rows.  Texts too long for the table (over TEXTDIFF_MAX_CELLS line
 * pairs after the common start and end) diff as all removed, all added.
 * 0 or -ENOMEM. */
#define TEXTDIFF_MAX_CELLS (4L * 1000 * 1000)
int textdiff_lines(const char *a, const char *b, json_t **lines, char **html);

#endif
