/* core/log.h - logfmt lines on stderr (or a log file), one per event. */
#ifndef SALVE_LOG_H
#define SALVE_LOG_H

#include <stdarg.h>
#include <salve/plugin.h>

int log_open(const char *path); /* NULL or "": stderr; 0 or -errno */
int log_reopen(void);           /* SIGHUP: reopen the same path */
void log_close(void);
void log_set_level(int level);
int log_get_level(void);
int log_level_parse(const char *name); /* SALVE_LOG_*, or -1 */
const char *log_level_name(int level);

/* prefix is "[kind:name]" for plugin lines, or NULL. */
void log_vmsg(int level, const char *prefix, const char *fmt, va_list ap);
void log_msg(int level, const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(SALVE_LOG_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)  log_msg(SALVE_LOG_WARN, NULL, __VA_ARGS__)
#define log_info(...)  log_msg(SALVE_LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...) log_msg(SALVE_LOG_DEBUG, NULL, __VA_ARGS__)

#endif
