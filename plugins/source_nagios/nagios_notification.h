/*
 * plugins/source_nagios/nagios_notification.h - what one Nagios
 * notification says, and the salve alert it makes.
 *
 * Nagios numbers each problem of a host or service ($SERVICEPROBLEMID$);
 * the number goes back to 0 at recovery, whose notification names the
 * problem it ends in $LASTSERVICEPROBLEMID$.  salve keeps one alert row
 * per problem: the fingerprint is the host and service (stable across
 * problems, as Alertmanager's is across firings, so similar incidents
 * match), the row is told apart by starts_at, and the problem id is kept
 * in annotations.nagios_problem_id so that later notifications find it.
 */
#ifndef SALVE_NAGIOS_NOTIFICATION_H
#define SALVE_NAGIOS_NOTIFICATION_H

#include <salve/plugin.h>

#include "nagios_form.h"

enum nagios_type {
	NAGIOS_PROBLEM,
	NAGIOS_RECOVERY,
	NAGIOS_ACKNOWLEDGEMENT,
	NAGIOS_FLAPPINGSTART,
	NAGIOS_FLAPPINGSTOP,
	NAGIOS_FLAPPINGDISABLED,
	NAGIOS_DOWNTIMESTART,
	NAGIOS_DOWNTIMEEND,
	NAGIOS_DOWNTIMECANCELLED,
	NAGIOS_CUSTOM
};

/* Borrowed from the form it was parsed from. */
struct nagios_notification {
	enum nagios_type type;
	const char *type_name;      /* "PROBLEM", ... */
	const char *host;
	const char *service;        /* NULL: a host notification */
	const char *state;          /* SERVICESTATE / HOSTSTATE */
	const char *problem_state;  /* for RECOVERY: LAST*STATE when given, else NULL */
	const char *output;         /* may be "" */
	const char *long_output;    /* may be "" */
	const char *author;         /* NOTIFICATIONAUTHOR; may be "" */
	const char *comment;        /* NOTIFICATIONCOMMENT; may be "" */
	int64_t time_us;            /* TIMET, or the time it arrived */
	unsigned long long problem_id; /* 0: the notification is about no problem */
};

/* Reads and checks the fields; now_us stands in for a missing TIMET.
 * 0, or -EINVAL with err naming the field and what was expected. */
int nagios_notification_parse(const struct form *f, int64_t now_us,
			      struct nagios_notification *n, char *err, size_t errlen);

/* The row stored for this problem, when there is one. */
struct nagios_previous {
	int64_t starts_us;
	json_t *labels;       /* borrowed */
	json_t *annotations;  /* borrowed */
};

struct nagios_alert {
	struct salve_alert_in in; /* points into the members below and the notification */
	char fingerprint[17];
	char problem_id[24];
};

/* 16 hex digits of FNV-1a 64 over host, 0xff, service (or ""), 0xff. */
void nagios_fingerprint(const char *host, const char *service, char out[17]);

/* "critical", "warning", or NULL for OK, UP and states it does not know. */
const char *nagios_severity(const char *state);

/* Builds the alert; prev may be NULL.  in.labels and in.annotations are
 * new references: nagios_alert_clear() drops them.  0 or -ENOMEM. */
int nagios_alert_build(const struct nagios_notification *n, const struct nagios_previous *prev,
		       struct nagios_alert *out);
void nagios_alert_clear(struct nagios_alert *a);

#endif /* SALVE_NAGIOS_NOTIFICATION_H */
