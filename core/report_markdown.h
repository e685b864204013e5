/* core/report_markdown.h - an improvement report (insights.h) as markdown,
 * for a ticket, a wiki page or a chat message. */
#ifndef SALVE_REPORT_MARKDOWN_H
#define SALVE_REPORT_MARKDOWN_H

#include <jansson.h>

/* The report as markdown text (malloc'd, never NULL unless out of memory).
 * Text from people (phrases, names) is escaped so it cannot form markup. */
char *report_markdown(json_t *report);

#endif
