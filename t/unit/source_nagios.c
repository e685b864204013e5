/*
 * t/unit/source_nagios.c - the Nagios source plugin against the mock core:
 * form decoding, every notification type, host and service notifications,
 * bad input, the database away, and acknowledgements written back to a
 * FIFO.  libpq is faked here: the plugin's two statements get the rows the
 * test sets, and the test reads back the parameters they were sent.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "mock_core.h"
#include "tap.h"
#include "../../plugins/source_nagios/nagios_command.h"
#include "../../plugins/source_nagios/nagios_form.h"
#include "../../plugins/source_nagios/nagios_notification.h"

#define ROUTE "/api/v1/sources/nagios"
#define TOKEN "Bearer n4gios-t0ken"

/* ---- a fake libpq ---- */

struct pg_result {
	ExecStatusType status;
	int ntuples;
	char *values[3];
};

static struct {
	char sql[512];
	char params[4][256];
} queries[8];
static int nqueries;
static int fail_queries;          /* every statement fails */
static const char *stored[3];     /* the previous row: starts_us, labels, annotations */
static char fake_conn;            /* its address is the handle */

PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
		       const char *const *paramValues, const int *paramLengths,
		       const int *paramFormats, int resultFormat)
{
	(void)conn, (void)paramTypes, (void)paramLengths, (void)paramFormats, (void)resultFormat;
	PGresult *r = calloc(1, sizeof(*r));
	if (nqueries < 8) {
		snprintf(queries[nqueries].sql, sizeof(queries[0].sql), "%s", command);
		for (int i = 0; i < nParams && i < 4; i++)
			snprintf(queries[nqueries].params[i], 256, "%s", paramValues[i]);
		nqueries++;
	}
	if (fail_queries) {
		r->status = PGRES_FATAL_ERROR;
	} else if (!strncmp(command, "SELECT", 6)) {
		r->status = PGRES_TUPLES_OK;
		r->ntuples = stored[0] != NULL;
		for (int i = 0; i < 3 && stored[0]; i++)
			r->values[i] = strdup(stored[i]);
	} else {
		r->status = PGRES_COMMAND_OK;
	}
	return r;
}

ExecStatusType PQresultStatus(const PGresult *res) { return res->status; }
int PQntuples(const PGresult *res) { return res->ntuples; }
char *PQgetvalue(const PGresult *res, int tup, int field)
{
	(void)tup;
	return res->values[field];
}
char *PQresultErrorMessage(const PGresult *res)
{
	return res->status == PGRES_FATAL_ERROR ? (char *)"fake failure" : (char *)"";
}
void PQclear(PGresult *res)
{
	if (!res)
		return;
	for (int i = 0; i < 3; i++)
		free(res->values[i]);
	free(res);
}

static void db_reset(void)
{
	nqueries = 0;
	fail_queries = 0;
	stored[0] = stored[1] = stored[2] = NULL;
	mock_db_set((PGconn *)(void *)&fake_conn);
}

/* ---- requests ---- */

static void post_as(const char *auth, const char *type, const char *body,
		    struct mock_response *res)
{
	const char *headers[5] = { NULL };
	int h = 0;
	if (type) {
		headers[h++] = "Content-Type";
		headers[h++] = type;
	}
	if (auth) {
		headers[h++] = "Authorization";
		headers[h++] = auth;
	}
	mock_response_clear(res);
	if (mock_http(&(struct mock_request){ .method = "POST", .path = ROUTE, .headers = headers,
					      .body = body }, res) != 0)
		bail("no route for POST " ROUTE);
}

static void post(const char *body, struct mock_response *res)
{
	post_as(TOKEN, "application/x-www-form-urlencoded", body, res);
}

static const char *label(const struct salve_alert_in *a, const char *key)
{
	return a ? json_string_value(json_object_get(a->labels, key)) : NULL;
}

static const char *annotation(const struct salve_alert_in *a, const char *key)
{
	return a ? json_string_value(json_object_get(a->annotations, key)) : NULL;
}

/* One notification that must be stored: 200 and exactly one alert. */
static const struct salve_alert_in *stored_one(const char *what, const char *body)
{
	struct mock_response res = { 0 };
	mock_alerts_clear();
	nqueries = 0;
	post(body, &res);
	is_int(200, res.status, "%s: answered 200", what);
	is_int(1, (long)mock_alerts_count(), "%s: one alert reaches the core", what);
	if (res.status != 200)
		diag("%s", res.text ? res.text : "(no body)");
	mock_response_clear(&res);
	return mock_alert(0);
}

static void refused(const char *what, const char *type, const char *body, unsigned status,
		    const char *code, const char *message)
{
	struct mock_response res = { 0 };
	mock_alerts_clear();
	post_as(TOKEN, type, body, &res);
	is_int(status, res.status, "%s: answered %u", what, status);
	is_string(code, res.error_code, "%s: error code is %s", what, code);
	is_contains(message, res.error_message, "%s: message says '%s'", what, message);
	is_int(0, (long)mock_ingest_calls(), "%s: nothing is ingested", what);
	mock_response_clear(&res);
}

/* ---- form decoding ---- */

static void test_form(void)
{
	struct form f;
	char err[256];

	is_int(0, form_decode("A=x+y%21&B=%e2%82%AC&C&&D=a%3Db%26c%0Ad", 39, &f, err, sizeof(err)),
	       "a form with +, %%-escapes, a bare name and an empty piece decodes");
	is_string("x y!", form_get(&f, "A"), "'+' is a space and %%21 is '!'");
	is_string("\xe2\x82\xac", form_get(&f, "B"), "escapes in either case give UTF-8 bytes");
	is_string("", form_get(&f, "C"), "a field without '=' has the empty value");
	is_string("a=b&c\nd", form_get(&f, "D"), "escaped '=', '&' and a line break stay data");
	is_int(4, (long)f.n, "the empty piece is skipped");
	ok(form_get(&f, "E") == NULL, "an absent field reads as NULL");
	form_free(&f);

	is_int(0, form_decode("SERVICE%44ESC=a%2Bb", 19, &f, err, sizeof(err)),
	       "a %%-escaped name decodes");
	is_string("a+b", form_get(&f, "SERVICEDESC"), "and %%2B is a literal '+'");
	form_free(&f);

	is_int(0, form_decode("OUT=caf%E9+%ff", 14, &f, err, sizeof(err)),
	       "Latin-1 output is accepted");
	is_string("caf\xef\xbf\xbd \xef\xbf\xbd", form_get(&f, "OUT"),
		  "bytes that are not UTF-8 become U+FFFD");
	form_free(&f);

	is_int(0, form_decode("", 0, &f, err, sizeof(err)), "an empty body is an empty form");
	is_int(0, (long)f.n, "with no fields");
	form_free(&f);

	static const struct { const char *body, *message; } bad[] = {
		{ "HOSTNAME=a&HOSTNAME=b", "HOSTNAME: given more than once" },
		{ "HOSTNAME=a%zzb", "HOSTNAME: malformed %-escape \"%zz\"" },
		{ "HOSTNAME=ab%4", "HOSTNAME: malformed %-escape \"%4\"" },
		{ "HOSTNAME=ab%", "HOSTNAME: malformed %-escape \"%\"" },
		{ "HOSTNAME=a%00b", "HOSTNAME: contains a NUL byte (%00)" },
		{ "=value", "a field without a name" },
		{ "NAME%zz=1", "a field name: malformed %-escape" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		is_int(-EINVAL, form_decode(bad[i].body, strlen(bad[i].body), &f, err, sizeof(err)),
		       "\"%s\" is refused", bad[i].body);
		is_contains(bad[i].message, err, "\"%s\": the error says '%s'", bad[i].body,
			    bad[i].message);
		is_int(0, (long)f.n, "\"%s\": no fields are left behind", bad[i].body);
	}
	is_int(-EINVAL, form_decode("A=1\0B=2", 7, &f, err, sizeof(err)),
	       "a raw NUL byte in the body is refused");
}

/* ---- the plugin ---- */

static struct salve_plugin *plugin_with(const char *const *config, int *init_rc)
{
	struct salve_plugin *p = mock_plugin_new(salve_plugin_entry(), config);
	if (!p)
		bail("the mock refused the config");
	*init_rc = mock_plugin_init(p);
	return p;
}

static void test_descriptor(void)
{
	const struct salve_plugin_desc *d = salve_plugin_entry();
	const struct salve_source_ops *ops = (const struct salve_source_ops *)(const void *)d->ops;
	int rc;

	is_string("source_nagios", d->name, "the plugin is named after its file");
	is_int(SALVE_KIND_SOURCE, d->kind, "it is a source");
	is_string("nagios", ops->source, "its alerts have source nagios");

	struct salve_plugin *p = plugin_with((const char *const[]){ "auth", "bearer", NULL }, &rc);
	is_int(-EINVAL, rc, "bearer auth without a token is refused at init");
	ok(mock_log_find("[source:nagios] auth is bearer but neither bearer_token nor "
			 "bearer_token_file is set") != NULL, "with the reason in the log");
	mock_plugin_free(p);

	p = plugin_with((const char *const[]){ "auth", "none", NULL }, &rc);
	is_int(0, rc, "auth none is accepted");
	ok(mock_log_find("anyone who can reach " ROUTE " can post alerts") != NULL,
	   "with a warning naming the route");
	const struct mock_route *r = mock_route_find("POST", ROUTE);
	ok(r && r->min_role == SALVE_ROLE_PUBLIC, "POST " ROUTE " is registered, public to the core");
	is_int(0, (long)mock_hook_count(), "without command_file no acknowledgement hook");
	mock_plugin_free(p);
}

static void test_auth(void)
{
	struct mock_response res = { 0 };
	int rc;
	struct salve_plugin *p = plugin_with((const char *const[]){
		"auth", "basic", "basic_user", "nagios", "basic_password", "pw", NULL }, &rc);
	is_int(0, rc, "basic auth initialises");
	post_as("Basic bmFnaW9zOndyb25n", "application/x-www-form-urlencoded",
		"NOTIFICATIONTYPE=PROBLEM", &res);
	is_int(401, res.status, "a wrong password is refused with 401");
	is_string("Basic realm=\"salve\"", res.www_authenticate, "with a Basic challenge");
	post_as("Basic bmFnaW9zOnB3", "application/x-www-form-urlencoded", "", &res);
	is_int(400, res.status, "the right one gets through to the fields");
	mock_response_clear(&res);
	mock_plugin_free(p);
}

#define SVC_PROBLEM "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=web-1&SERVICEDESC=HTTP+check" \
	"&SERVICESTATE=CRITICAL&SERVICEOUTPUT=CRITICAL+-+%22quoted%22+%27x%27%3B+down" \
	"&LONGSERVICEOUTPUT=line+1%0Aline+2&TIMET=1700000000&SERVICEPROBLEMID=17" \
	"&LASTSERVICEPROBLEMID=3"

static void test_service_problem(void)
{
	const struct salve_alert_in *a = stored_one("service PROBLEM", SVC_PROBLEM);
	char fp[17];

	nagios_fingerprint("web-1", "HTTP check", fp);
	is_string(fp, a ? a->fingerprint : NULL, "the fingerprint is the host and service's");
	is_int(16, a && a->fingerprint ? (long)strlen(a->fingerprint) : 0, "16 hex digits");
	is_string("HTTP check", a ? a->alert_name : NULL, "alert_name is the service");
	is_string("firing", a ? a->status : NULL, "a PROBLEM is firing");
	is_string("critical", a ? a->severity : NULL, "CRITICAL is severity critical");
	is_string("web-1", a ? a->instance : NULL, "instance is the host");
	is_int(1700000000000000LL, a ? a->starts_at_us : 0, "a new problem starts at TIMET");
	is_int(0, a ? a->ends_at_us : -1, "and has no end");
	is_string("web-1", label(a, "host"), "labels.host");
	is_string("HTTP check", label(a, "service"), "labels.service");
	is_string("CRITICAL", label(a, "state"), "labels.state");
	is_string("critical", label(a, "severity"), "labels.severity");
	is_string("HTTP check", label(a, "alertname"), "labels.alertname, as Alertmanager's alerts have");
	is_string("CRITICAL - \"quoted\" 'x'; down", annotation(a, "summary"),
		  "the output survives quotes and semicolons as annotations.summary");
	is_string("line 1\nline 2", annotation(a, "description"),
		  "the long output keeps its line break as annotations.description");

	a = stored_one("PROBLEM with Nagios-escaped long output",
		       "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
		       "&SERVICESTATE=CRITICAL&SERVICEPROBLEMID=17"
		       "&LONGSERVICEOUTPUT=one%5Cntwo+C%3A%5C%5Cdata+%5Ct");
	is_string("one\ntwo C:\\data \\t", annotation(a, "description"),
		  "Nagios' \\n and \\\\ in long output become a line break and a backslash, "
		  "other backslashes stay");
	is_string("17", annotation(a, "nagios_problem_id"), "the problem id is kept");
	is_string("PROBLEM", annotation(a, "nagios_notification"), "and the notification type");
	is_int(1, nqueries, "one lookup of the stored problem");
	is_string("17", queries[0].params[2], "by the current problem id, not the last one");
	is_string("false", queries[0].params[3], "only a firing row can take a PROBLEM");
	is_string(fp, queries[0].params[1], "and the fingerprint");

	/* the same problem again, now stored: same row, earlier annotations kept */
	stored[0] = "1699999000000000";
	stored[1] = "{\"state\":\"WARNING\"}";
	stored[2] = "{\"nagios_downtime\":\"true\",\"summary\":\"old\"}";
	a = stored_one("repeated PROBLEM", SVC_PROBLEM);
	is_int(1699999000000000LL, a ? a->starts_at_us : 0, "a known problem keeps its starts_at");
	is_string("true", annotation(a, "nagios_downtime"), "earlier annotations are kept");
	is_string("CRITICAL - \"quoted\" 'x'; down", annotation(a, "summary"),
		  "the output is the latest");
	stored[0] = NULL;
}

static void test_recovery(void)
{
	const struct salve_alert_in *a;

	stored[0] = "1699999000000000";
	stored[1] = "{\"state\":\"WARNING\"}";
	stored[2] = "{\"nagios_problem_id\":\"17\"}";
	a = stored_one("RECOVERY with LASTSERVICESTATE",
		       "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
		       "&SERVICESTATE=OK&LASTSERVICESTATE=CRITICAL&SERVICEOUTPUT=OK+-+fine"
		       "&TIMET=1700000600&SERVICEPROBLEMID=0&LASTSERVICEPROBLEMID=17");
	is_string("17", queries[0].params[2], "a RECOVERY finds its problem by LASTSERVICEPROBLEMID");
	is_string("true", queries[0].params[3], "whatever that row's status");
	is_string("resolved", a ? a->status : NULL, "a RECOVERY resolves");
	is_int(1699999000000000LL, a ? a->starts_at_us : 0, "the problem's row, by its starts_at");
	is_int(1700000600000000LL, a ? a->ends_at_us : 0, "ending at TIMET");
	is_string("critical", a ? a->severity : NULL, "severity from the state it recovered from");
	is_string("CRITICAL", label(a, "state"), "labels.state is the problem's state, not OK");
	is_string("OK - fine", annotation(a, "summary"), "the recovery output is the summary");

	a = stored_one("RECOVERY from Nagios 4.4",
		       "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
		       "&SERVICESTATE=OK&LASTSERVICESTATE=CRITICAL&TIMET=1700000600"
		       "&SERVICEPROBLEMID=17&LASTSERVICEPROBLEMID=0");
	is_string("17", queries[0].params[2],
		  "Nagios 4.4 has not reset SERVICEPROBLEMID yet: that is the problem");
	is_string("resolved", a ? a->status : NULL, "and it resolves");

	a = stored_one("RECOVERY without LASTSERVICESTATE",
		       "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
		       "&SERVICESTATE=OK&LASTSERVICEPROBLEMID=17&TIMET=1700000600");
	is_string("WARNING", label(a, "state"), "the stored state stays");
	is_string("warning", a ? a->severity : NULL, "and so does its severity");
	stored[0] = NULL;

	a = stored_one("RECOVERY of a problem never seen",
		       "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
		       "&SERVICESTATE=OK&LASTSERVICEPROBLEMID=18&TIMET=1700000600");
	is_string("resolved", a ? a->status : NULL, "is stored resolved");
	is_int(1700000600000000LL, a ? a->starts_at_us : 0, "starting at TIMET");
	ok(a && a->severity == NULL, "with no severity: nothing says how bad it was");
}

static void test_updates(void)
{
	static const struct { const char *type, *key, *value; } cases[] = {
		{ "FLAPPINGSTART", "nagios_flapping", "true" },
		{ "FLAPPINGSTOP", "nagios_flapping", "false" },
		{ "FLAPPINGDISABLED", "nagios_flapping", "false" },
		{ "DOWNTIMESTART", "nagios_downtime", "true" },
		{ "DOWNTIMEEND", "nagios_downtime", "false" },
		{ "DOWNTIMECANCELLED", "nagios_downtime", "false" },
		{ "CUSTOM", "nagios_custom_comment", "look at this" },
	};
	char body[512];
	struct mock_response res = { 0 };

	stored[0] = "1699999000000000";
	stored[1] = "{\"state\":\"CRITICAL\"}";
	stored[2] = "{\"nagios_problem_id\":\"17\"}";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "NOTIFICATIONTYPE=%s&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
			 "&SERVICESTATE=CRITICAL&SERVICEPROBLEMID=17&NOTIFICATIONAUTHOR=rita"
			 "&NOTIFICATIONCOMMENT=look+at+this", cases[i].type);
		const struct salve_alert_in *a = stored_one(cases[i].type, body);
		is_string("firing", a ? a->status : NULL, "%s: the alert stays firing", cases[i].type);
		is_int(1699999000000000LL, a ? a->starts_at_us : 0, "%s: on the problem's row",
		       cases[i].type);
		is_string(cases[i].value, annotation(a, cases[i].key), "%s: annotations.%s is %s",
			  cases[i].type, cases[i].key, cases[i].value);
		is_string(cases[i].type, annotation(a, "nagios_notification"),
			  "%s: annotations.nagios_notification", cases[i].type);
		is_int(1, nqueries, "%s: only the lookup runs", cases[i].type);
	}

	/* FLAPPING, DOWNTIME and CUSTOM also come in OK state, with no problem */
	mock_alerts_clear();
	post("NOTIFICATIONTYPE=DOWNTIMESTART&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
	     "&SERVICESTATE=OK&SERVICEPROBLEMID=0", &res);
	is_int(200, res.status, "DOWNTIMESTART without a problem is answered 200");
	is_contains("\"status\":\"ignored\"", res.text, "as ignored");
	is_int(0, (long)mock_ingest_calls(), "and stores nothing");
	mock_response_clear(&res);

	const struct salve_alert_in *a = stored_one("ACKNOWLEDGEMENT",
		"NOTIFICATIONTYPE=ACKNOWLEDGEMENT&HOSTNAME=web-1&SERVICEDESC=HTTP+check"
		"&SERVICESTATE=CRITICAL&SERVICEPROBLEMID=17&NOTIFICATIONAUTHOR=nagiosadmin"
		"&NOTIFICATIONCOMMENT=on+it%3B+really");
	is_string("nagiosadmin", annotation(a, "nagios_ack_author"), "ack author annotated");
	is_string("on it; really", annotation(a, "nagios_ack_comment"), "ack comment annotated");
	is_int(2, nqueries, "the lookup, then the acknowledgement");
	is_contains("UPDATE alerts SET acknowledged_by", queries[1].sql,
		    "the alert is marked acknowledged");
	is_string("nagiosadmin", queries[1].params[3], "by the Nagios author");
	is_string("1699999000000000", queries[1].params[2], "on the problem's row");
	stored[0] = NULL;
}

static void test_host(void)
{
	const struct salve_alert_in *a = stored_one("host PROBLEM",
		"NOTIFICATIONTYPE=PROBLEM&HOSTNAME=db-2&HOSTSTATE=DOWN&HOSTOUTPUT=PING+CRITICAL"
		"&LONGHOSTOUTPUT=&HOSTPROBLEMID=5&TIMET=1700000000&SERVICEDESC=");
	char fp[17];
	nagios_fingerprint("db-2", NULL, fp);
	is_string(fp, a ? a->fingerprint : NULL, "a host's fingerprint is its name's");
	is_string("Host check", a ? a->alert_name : NULL, "alert_name says it is the host check");
	is_string("critical", a ? a->severity : NULL, "DOWN is critical");
	ok(label(a, "service") == NULL, "no service label");
	is_string("DOWN", label(a, "state"), "labels.state");
	is_string("PING CRITICAL", annotation(a, "summary"), "HOSTOUTPUT is the summary");
	ok(annotation(a, "description") == NULL, "an empty long output is left out");
	is_string("5", queries[0].params[2], "HOSTPROBLEMID names the problem");

	a = stored_one("host UNREACHABLE", "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=db-2"
		       "&HOSTSTATE=UNREACHABLE&HOSTPROBLEMID=6");
	is_string("warning", a ? a->severity : NULL, "UNREACHABLE is a warning");
	ok(a && a->starts_at_us > 1700000000000000LL, "without TIMET the problem starts now");

	a = stored_one("host RECOVERY", "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=db-2&HOSTSTATE=UP"
		       "&LASTHOSTSTATE=DOWN&LASTHOSTPROBLEMID=5&TIMET=1700000100");
	is_string("resolved", a ? a->status : NULL, "a host RECOVERY resolves");
	is_string("5", queries[0].params[2], "through LASTHOSTPROBLEMID");
}

static void test_bad_input(void)
{
	const char *form = "application/x-www-form-urlencoded";
	static const struct { const char *body, *message; } bad[] = {
		{ "HOSTNAME=a", "NOTIFICATIONTYPE: required" },
		{ "NOTIFICATIONTYPE=BROKEN&HOSTNAME=a", "NOTIFICATIONTYPE: unknown value \"BROKEN\"" },
		{ "NOTIFICATIONTYPE=PROBLEM&SERVICESTATE=OK", "HOSTNAME: required" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=&SERVICESTATE=OK", "HOSTNAME: required" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICEPROBLEMID=1",
		  "SERVICESTATE: required for a service notification" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&HOSTPROBLEMID=1",
		  "HOSTSTATE: required for a host notification" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=BAD&SERVICEPROBLEMID=1",
		  "SERVICESTATE: expected OK, WARNING, CRITICAL or UNKNOWN, got \"BAD\"" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&HOSTSTATE=CRITICAL&HOSTPROBLEMID=1",
		  "HOSTSTATE: expected UP, DOWN or UNREACHABLE" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=CRITICAL",
		  "SERVICEPROBLEMID: required for PROBLEM" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=CRITICAL&SERVICEPROBLEMID=x1",
		  "SERVICEPROBLEMID: expected a non-negative integer, got \"x1\"" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=CRITICAL&SERVICEPROBLEMID=-1",
		  "SERVICEPROBLEMID: expected a non-negative integer" },
		{ "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=OK&SERVICEPROBLEMID=0",
		  "LASTSERVICEPROBLEMID: required for RECOVERY" },
		{ "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=OK&LASTSERVICEPROBLEMID=z",
		  "LASTSERVICEPROBLEMID: expected a non-negative integer" },
		{ "NOTIFICATIONTYPE=RECOVERY&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=OK"
		  "&LASTSERVICEPROBLEMID=4&LASTSERVICESTATE=PURPLE",
		  "LASTSERVICESTATE: expected OK, WARNING, CRITICAL or UNKNOWN" },
		{ "NOTIFICATIONTYPE=ACKNOWLEDGEMENT&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=OK",
		  "SERVICEPROBLEMID: required for ACKNOWLEDGEMENT" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=CRITICAL"
		  "&SERVICEPROBLEMID=1&TIMET=yesterday",
		  "TIMET: expected a non-negative integer, got \"yesterday\"" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=CRITICAL"
		  "&SERVICEPROBLEMID=1&TIMET=99999999999999999999", "TIMET: expected a non-negative integer" },
		{ "NOTIFICATIONTYPE=PROBLEM&HOSTNAME=a&SERVICEDESC=b&SERVICESTATE=CRITICAL"
		  "&SERVICEPROBLEMID=1&TIMET=9999999999999999", "TIMET: 9999999999999999 is too far" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i].message, form, bad[i].body, 400, "invalid_notification", bad[i].message);
	refused("a repeated field", form, "NOTIFICATIONTYPE=PROBLEM&NOTIFICATIONTYPE=RECOVERY", 400,
		"invalid_form", "NOTIFICATIONTYPE: given more than once");
	refused("a broken escape", form, "NOTIFICATIONTYPE=PROB%LEM", 400, "invalid_form",
		"NOTIFICATIONTYPE: malformed %-escape");
	refused("a JSON body", "application/json", "{\"NOTIFICATIONTYPE\":\"PROBLEM\"}", 415,
		"unsupported_media_type", "expected Content-Type: application/x-www-form-urlencoded");
	refused("a charset parameter is fine", "application/x-www-form-urlencoded; charset=utf-8",
		"HOSTNAME=a", 400, "invalid_notification", "NOTIFICATIONTYPE: required");
	refused("no Content-Type is fine", NULL, "HOSTNAME=a", 400, "invalid_notification",
		"NOTIFICATIONTYPE: required");
}

static void test_database_away(void)
{
	mock_db_set(NULL);
	refused("no database connection", "application/x-www-form-urlencoded", SVC_PROBLEM, 503,
		"database_unavailable", "the database is unavailable");
	db_reset();
	fail_queries = 1;
	refused("the lookup fails", "application/x-www-form-urlencoded", SVC_PROBLEM, 503,
		"database_unavailable", "the database is unavailable");
	fail_queries = 0;

	struct mock_response res = { 0 };
	mock_ingest_set(-EAGAIN, NULL);
	post(SVC_PROBLEM, &res);
	is_int(503, res.status, "the core losing the database during ingest answers 503");
	mock_ingest_set(0, NULL);
	mock_response_clear(&res);
	is_int(0, mock_db_outstanding(), "every connection went back to the pool");
}

/* ---- acknowledging in Nagios ---- */

static void test_ack_format(void)
{
	char line[PIPE_BUF + 64];
	struct nagios_ack ack = { .host = "web-1", .service = "HTTP check", .sticky = 1,
				  .notify = 1, .persistent = 0, .author = "rita; admin",
				  .comment = "on it;\nreally\r\n[1] SHUTDOWN_PROGRAM" };
	int n = nagios_ack_format(&ack, 1700000000, line, sizeof(line));
	is_string("[1700000000] ACKNOWLEDGE_SVC_PROBLEM;web-1;HTTP check;2;1;0;rita, admin;"
		  "on it; really  [1] SHUTDOWN_PROGRAM\n", n > 0 ? line : NULL,
		  "a service acknowledgement: one line, no line break can start a command");
	is_int((long)strlen(line), n, "the length is returned");

	ack.service = NULL;
	ack.sticky = ack.notify = 0;
	ack.persistent = 1;
	ack.author = NULL;
	ack.comment = "x";
	n = nagios_ack_format(&ack, 1700000000, line, sizeof(line));
	is_string("[1700000000] ACKNOWLEDGE_HOST_PROBLEM;web-1;0;0;1;salve;x\n", n > 0 ? line : NULL,
		  "a host acknowledgement, by salve when nobody is named");

	char big[3 * PIPE_BUF];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ack.comment = big;
	n = nagios_ack_format(&ack, 1700000000, line, sizeof(line));
	ok(n > 0 && n <= PIPE_BUF && line[n - 1] == '\n',
	   "a long comment is cut so the line fits one atomic write (%d bytes)", n);

	ack.comment = "x";
	ack.host = "web;1";
	is_int(-EINVAL, nagios_ack_format(&ack, 0, line, sizeof(line)), "a host with ';' is refused");
	ack.host = "web-1";
	ack.service = "a\nb";
	is_int(-EINVAL, nagios_ack_format(&ack, 0, line, sizeof(line)),
	       "a service with a line break is refused");
}

static json_t *ack_payload(const char *source, const char *status, const char *service)
{
	json_t *labels = json_pack("{s:s}", "host", "web-1");
	if (service)
		json_object_set_new(labels, "service", json_string(service));
	return json_pack("{s:{s:s,s:s,s:s,s:o},s:s,s:s}", "alert", "id",
			 "36ede7f5-908f-445c-8b11-e5c919e7480b", "source", source, "status", status,
			 "labels", labels, "by", "rita", "comment", "restarting it");
}

static void test_ack_back(const char *dir)
{
	char fifo[PATH_MAX], buf[PIPE_BUF + 1];
	int rc;

	snprintf(fifo, sizeof(fifo), "%s/nagios.cmd", dir);
	if (mkfifo(fifo, 0600) < 0)
		bail("mkfifo %s: %s", fifo, strerror(errno));
	struct salve_plugin *p = plugin_with((const char *const[]){
		"auth", "none", "command_file", fifo, "ack_persistent", "true", NULL }, &rc);
	is_int(0, rc, "with command_file the plugin initialises");
	mock_log_clear();
	is_int(0, mock_plugin_start(p), "and starts");
	ok(mock_log_find("command_file") == NULL, "without a warning: the FIFO is writable");
	ok(mock_hook_count() == 1 && mock_hook_get(0)->durable &&
	   mock_hook_get(0)->ev == SALVE_EV_ALERT_ACKNOWLEDGED,
	   "and consumes alert.acknowledged durably");

	json_t *ev = ack_payload("nagios", "firing", "HTTP check");
	mock_log_clear();
	is_int(SALVE_RETRY, mock_hook_deliver(SALVE_EV_ALERT_ACKNOWLEDGED, ev),
	       "with Nagios not reading the FIFO the delivery is retried later");
	ok(mock_log_find("nothing reads it; is Nagios running with check_external_commands=1?") != NULL,
	   "and the log says why");

	int reader = open(fifo, O_RDONLY | O_NONBLOCK);
	if (reader < 0)
		bail("open %s: %s", fifo, strerror(errno));
	is_int(SALVE_OK, mock_hook_deliver(SALVE_EV_ALERT_ACKNOWLEDGED, ev),
	       "with Nagios reading, the acknowledgement is delivered");
	ssize_t n = read(reader, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	is_contains("] ACKNOWLEDGE_SVC_PROBLEM;web-1;HTTP check;2;1;1;rita;Acknowledged in salve "
		    "(alert 36ede7f5-908f-445c-8b11-e5c919e7480b): restarting it\n", buf,
		    "Nagios reads one ACKNOWLEDGE_SVC_PROBLEM line by the salve user, "
		    "with the configured flags");
	json_decref(ev);

	ev = ack_payload("alertmanager", "firing", "HTTP check");
	is_int(SALVE_OK, mock_hook_deliver(SALVE_EV_ALERT_ACKNOWLEDGED, ev),
	       "an alert from another source is not Nagios' business");
	json_decref(ev);
	ev = ack_payload("nagios", "resolved", NULL);
	is_int(SALVE_OK, mock_hook_deliver(SALVE_EV_ALERT_ACKNOWLEDGED, ev),
	       "a resolved alert has nothing to acknowledge");
	json_decref(ev);
	ok(read(reader, buf, sizeof(buf)) <= 0, "and neither wrote to the FIFO");
	close(reader);

	ev = ack_payload("nagios", "firing", "bad;name");
	is_int(-EINVAL, mock_hook_deliver(SALVE_EV_ALERT_ACKNOWLEDGED, ev),
	       "a service name Nagios cannot have is refused for good");
	json_decref(ev);
	mock_plugin_free(p);
	unlink(fifo);

	p = plugin_with((const char *const[]){ "auth", "none", "command_file", fifo, NULL }, &rc);
	mock_log_clear();
	is_int(0, mock_plugin_start(p), "a missing command file does not stop the plugin");
	ok(mock_log_find("No such file or directory; acknowledgements will wait") != NULL,
	   "but it warns at start");
	mock_plugin_free(p);
}

int main(void)
{
	char dir[] = "/tmp/salve-nagios-XXXXXX";
	int rc;

	plan_lazy();
	if (!mkdtemp(dir))
		bail("mkdtemp: %s", strerror(errno));
	test_form();
	test_descriptor();
	test_auth();

	db_reset();
	struct salve_plugin *p = plugin_with((const char *const[]){
		"bearer_token", "n4gios-t0ken", NULL }, &rc);
	is_int(0, rc, "bearer auth with a token initialises");
	struct mock_response res = { 0 };
	post_as(NULL, "application/x-www-form-urlencoded", SVC_PROBLEM, &res);
	is_int(401, res.status, "no token: 401");
	is_string("Bearer realm=\"salve\"", res.www_authenticate, "with a Bearer challenge");
	mock_response_clear(&res);
	test_service_problem();
	test_recovery();
	test_updates();
	test_host();
	test_bad_input();
	test_database_away();
	mock_plugin_free(p);

	test_ack_format();
	test_ack_back(dir);
	rmdir(dir);

	is_int(0, (long)mock_violations(), "the plugin kept the core's contract");
	mock_reset();
	return done_testing();
}
