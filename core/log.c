/*
 * core/log.c - the one logger.  Lines are logfmt:
 *   ts=2026-11-30T02:12:39.123Z level=info msg="[source:alertmanager] stored 3 alerts"
 * Each line is written with a single write(2) so concurrent threads never
 * interleave within a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_fd = STDERR_FILENO;
static char *log_path;
static volatile int log_level = SALVE_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	int level;
	const char *name;
} levels[] = {
	{ SALVE_LOG_ERROR, "error" },
	{ SALVE_LOG_WARN, "warn" },
	{ SALVE_LOG_INFO, "info" },
	{ SALVE_LOG_DEBUG, "debug" },
};

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (name && strcasecmp(name, levels[i].name) == 0)
			return levels[i].level;
	if (name && strcasecmp(name, "warning") == 0)
		return SALVE_LOG_WARN;
	return -1;
}

const char *log_level_name(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "info";
}

void log_set_level(int level) { log_level = level; }
int log_get_level(void) { return log_level; }

static int open_path(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return fd < 0 ? -errno : fd;
}

int log_open(const char *path)
{
	int fd = STDERR_FILENO;

	if (path && *path) {
		fd = open_path(path);
		if (fd < 0)
			return fd;
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	free(log_path);
	log_path = (path && *path) ? strdup(path) : NULL;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int log_reopen(void)
{
	int fd, rc = 0;

	pthread_mutex_lock(&log_lock);
	if (log_path) {
		fd = open_path(log_path);
		if (fd < 0) {
			rc = fd;
		} else {
			close(log_fd);
			log_fd = fd;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

/* Appends text to buf as the inside of a logfmt quoted value. */
static size_t escape_into(char *buf, size_t pos, size_t cap, const char *text)
{
	for (const char *s = text; *s && pos + 3 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[pos++] = '\\';
			buf[pos++] = (char)c;
		} else if (c == '\n') {
			buf[pos++] = '\\';
			buf[pos++] = 'n';
		} else if (c < 0x20) {
			buf[pos++] = ' ';
		} else {
			buf[pos++] = (char)c;
		}
	}
	return pos;
}

void log_vmsg(int level, const char *prefix, const char *fmt, va_list ap)
{
	char text[2048], line[4608];
	struct timeval tv;
	struct tm tm;
	size_t pos;

	if (level > log_level)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	pos = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	pos += (size_t)snprintf(line + pos, sizeof(line) - pos, ".%03ldZ level=%s msg=\"",
				(long)(tv.tv_usec / 1000), log_level_name(level));
	if (prefix) {
		pos = escape_into(line, pos, sizeof(line), prefix);
		line[pos++] = ' ';
	}
	pos = escape_into(line, pos, sizeof(line) - 2, text);
	line[pos++] = '"';
	line[pos++] = '\n';
	pthread_mutex_lock(&log_lock);
	if (write(log_fd, line, pos) < 0) {
		/* nowhere left to report it */
	}
	pthread_mutex_unlock(&log_lock);
}

void log_msg(int level, const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, prefix, fmt, ap);
	va_end(ap);
}
