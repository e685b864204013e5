/*
 * plugins/source_nagios/nagios_command.h - Nagios' external command file:
 * how salve tells Nagios that a problem was acknowledged.
 *
 * Nagios reads one command per line from a FIFO (command_file in
 * nagios.cfg, with check_external_commands=1).  A line break inside a
 * field would start a new command, so none gets through.
 */
#ifndef SALVE_NAGIOS_COMMAND_H
#define SALVE_NAGIOS_COMMAND_H

#include <stddef.h>
#include <time.h>

struct nagios_ack {
	const char *host;
	const char *service;  /* NULL: ACKNOWLEDGE_HOST_PROBLEM */
	int sticky;           /* written as 2 (sticky) or 0 */
	int notify;
	int persistent;
	const char *author;
	const char *comment;
};

/* "[now] ACKNOWLEDGE_SVC_PROBLEM;host;service;2;1;0;author;comment\n" in
 * buf.  Line breaks in author and comment become spaces and ';' in the
 * author ',' (Nagios splits there); the comment is cut to keep the line
 * within PIPE_BUF, so one write() delivers it whole.  Returns the length,
 * or -EINVAL when host or service holds ';' or a line break (no object of
 * Nagios is named so) or buf is too small for the rest. */
int nagios_ack_format(const struct nagios_ack *ack, time_t now, char *buf, size_t size);

/* Writes line with a single non-blocking write.  0; -ENXIO when nothing
 * reads the FIFO (Nagios is not running); -EAGAIN when the FIFO is full;
 * another -errno from open or write. */
int nagios_command_write(const char *path, const char *line, size_t len);

#endif /* SALVE_NAGIOS_COMMAND_H */
