/*
 * core/changes.c - lets the UI poll cheaply.  A thread LISTENs on
 * "salve_alerts" (sql/006 notifies once per statement that touches alerts,
 * whichever salved made it) and counts notifications.  The UI asks
 * GET /api/v1/alerts/changes every few seconds and reloads the list only
 * when the number moved.  A lost connection also moves it, since changes
 * may have been missed meanwhile.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "changes.h"
#include "db.h"
#include "http.h"
#include "log.h"

static pthread_t thread;
static int running;
static volatile int stopping;
static unsigned long version = 1;
static const struct salve_config *config;

unsigned long changes_alerts_version(void) { return __atomic_load_n(&version, __ATOMIC_SEQ_CST); }

static void bump(void) { __atomic_add_fetch(&version, 1, __ATOMIC_SEQ_CST); }

static void *listen_loop(void *arg)
{
	PGconn *db = NULL;
	char err[512];

	(void)arg;
	while (!stopping) {
		struct pollfd pfd;
		PGnotify *n;

		if (!db || PQstatus(db) != CONNECTION_OK) {
			if (db)
				PQfinish(db);
			db = db_connect(config->database.url, (int)config->database.connect_timeout, err, sizeof(err));
			if (!db || db_exec(db, NULL, "LISTEN salve_alerts", 0, NULL) < 0) {
				for (int i = 0; i < 20 && !stopping; i++)
					usleep(100000);
				continue;
			}
			bump(); /* whatever happened while we were away */
		}
		pfd.fd = PQsocket(db);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 250) < 0 && errno != EINTR)
			continue;
		if (!PQconsumeInput(db))
			continue; /* the status check above reconnects */
		while ((n = PQnotifies(db))) {
			bump();
			PQfreemem(n);
		}
	}
	if (db)
		PQfinish(db);
	return NULL;
}

int changes_start(const struct salve_config *cfg)
{
	config = cfg;
	stopping = 0;
	if (pthread_create(&thread, NULL, listen_loop, NULL) != 0)
		return -EAGAIN;
	running = 1;
	return 0;
}

void changes_stop(void)
{
	if (!running)
		return;
	stopping = 1;
	pthread_join(thread, NULL);
	running = 0;
}

static void alerts_changes(struct salve_request *req, void *ud)
{
	(void)ud;
	salve_respond_json(req, 200, json_pack("{s:I}", "version", (json_int_t)changes_alerts_version()));
}

void changes_register_routes(void)
{
	http_route_add(NULL, "GET", "/api/v1/alerts/changes", SALVE_ROLE_VIEWER, alerts_changes, NULL);
}
