/*
 * core/template.h - the one template engine: {{variable}} in runbook argv
 * elements and targets.
 *
 * A template renders to exactly one string.  Values are substituted as
 * plain text, once: a value that itself contains "{{...}}" is not expanded
 * again, and nothing is ever handed to a shell, so `x; rm -rf /` in a label
 * stays one literal argv element.
 *
 * Syntax:  {{ alert.labels.service }}   whitespace inside the braces is allowed
 *          {{"{{"}}                      a quoted literal: renders {{ (for
 *                                        Go templates such as --format '{{"{{"}}.Names}}')
 * Variables (read from a jansson object, see template_lookup):
 *   alert.id  alert.name  alert.severity  alert.instance  alert.status
 *   alert.fingerprint  alert.source  alert.labels.NAME  alert.annotations.NAME
 *   execution.id  target
 */
#ifndef SALVE_TEMPLATE_H
#define SALVE_TEMPLATE_H

#include <stddef.h>
#include <jansson.h>

/* 0 when tmpl is well formed and names only known variables; else -EINVAL
 * with err saying why ("unterminated {{ at character 7",
 * "{{alert.lables.x}} is not a known variable"). */
int template_check(const char *tmpl, char *err, size_t errlen);

/* Renders tmpl with the variables in vars (may be NULL).  0 with *out
 * malloc()ed; -EINVAL (malformed, err as template_check), -ENOENT (a
 * variable is missing, null or empty: "{{alert.labels.service}} is not set"),
 * -ERANGE (an object, an array, or a string holding a NUL byte), -ENOMEM. */
int template_render(const char *tmpl, json_t *vars, char **out, char *err, size_t errlen);

/* The value of a dotted variable name in vars, or NULL.  At each level the
 * whole remaining name is tried as a key first, then its first segment:
 * {"alert":{"labels":{"a.b":"x"}}} and {"alert.labels.a.b":"x"} both give
 * alert.labels.a.b. */
json_t *template_lookup(json_t *vars, const char *name, size_t len);

/* The host of an instance label: "host:port" -> host, "[v6]:port" and
 * "[v6]" -> v6, a bare host or a bare IPv6 address as it is.  0, or
 * -EINVAL when nothing is left (NULL, "", ":9100"), -ENOSPC when it does
 * not fit in len. */
int template_default_target(const char *instance, char *host, size_t len);

#endif
