/*
 * plugins/source_nagios/nagios_command.c - writing external commands (see
 * nagios_command.h).
 */
#include "nagios_command.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Copies src into dst (at most room-1 bytes and a NUL), with line breaks
 * as spaces and, when semicolons is set, ';' as ','.  Returns the bytes
 * written; never cuts a UTF-8 sequence in two. */
static size_t copy_field(char *dst, size_t room, const char *src, int semicolons)
{
	size_t o = 0, n = strlen(src);

	if (!room)
		return 0;
	if (n > room - 1) {
		n = room - 1;
		while (n && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--; /* back to the start of the cut sequence */
	}
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (c == '\n' || c == '\r')
			c = ' ';
		else if (semicolons && c == ';')
			c = ',';
		dst[o++] = c;
	}
	dst[o] = '\0';
	return o;
}

static int bad_name(const char *s)
{
	return !s || !*s || strpbrk(s, ";\r\n") != NULL;
}

int nagios_ack_format(const struct nagios_ack *ack, time_t now, char *buf, size_t size)
{
	char author[128];
	int head;

	if (bad_name(ack->host) || (ack->service && bad_name(ack->service)))
		return -EINVAL;
	if (size > PIPE_BUF)
		size = PIPE_BUF;
	copy_field(author, sizeof(author), ack->author && *ack->author ? ack->author : "salve", 1);
	if (ack->service)
		head = snprintf(buf, size, "[%lld] ACKNOWLEDGE_SVC_PROBLEM;%s;%s;%d;%d;%d;%s;",
				(long long)now, ack->host, ack->service, ack->sticky ? 2 : 0,
				ack->notify ? 1 : 0, ack->persistent ? 1 : 0, author);
	else
		head = snprintf(buf, size, "[%lld] ACKNOWLEDGE_HOST_PROBLEM;%s;%d;%d;%d;%s;",
				(long long)now, ack->host, ack->sticky ? 2 : 0,
				ack->notify ? 1 : 0, ack->persistent ? 1 : 0, author);
	if (head < 0 || (size_t)head + 2 > size)
		return -EINVAL;
	size_t len = (size_t)head;
	len += copy_field(buf + len, size - len - 1, ack->comment ? ack->comment : "", 0);
	buf[len++] = '\n';
	buf[len] = '\0';
	return (int)len;
}

int nagios_command_write(const char *path, const char *line, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	ssize_t w;

	if (fd < 0)
		return -errno;
	w = write(fd, line, len);
	int e = w < 0 ? errno : 0;
	close(fd);
	if (w < 0)
		return e == EWOULDBLOCK ? -EAGAIN : -e;
	return (size_t)w == len ? 0 : -EIO;
}
