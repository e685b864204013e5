/* core/ui.h - the web UI shell: static files from www_dir (GET /,
 * GET /ui/{path...}) and the session routes (/api/v1/session). */
#ifndef SALVE_UI_H
#define SALVE_UI_H

#include "config.h"

/* 1 when rel may be served from www_dir: "/"-separated names, none empty
 * or starting with ".", no control characters or backslashes. */
int ui_path_ok(const char *rel);

void ui_register_routes(const struct salve_config *cfg);

#endif
