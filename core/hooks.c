/*
 * core/hooks.c - the event hook registry.
 *
 * Sync handlers are kept per event, sorted by priority (ties keep their
 * registration order, as in Naemon's NEB).  Registration happens during
 * plugin init only; hooks_freeze() closes it, so dispatch reads without
 * locks.  Durable consumers (plugin handlers and hooks/<event>.d scripts)
 * receive events from the outbox: hooks_enqueue() writes the rows inside
 * the caller's transaction, and the outbox workers call hooks_deliver().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "hooks.h"
#include "log.h"
#include "notify.h"
#include "plugins.h"

static const struct {
	const char *name;
	unsigned flags;
} events[SALVE_EV__COUNT] = {
#define SALVE_EVENT(id, name, flags) [SALVE_EV_##id] = { name, flags },
#include <salve/events.def>
#undef SALVE_EVENT
};

struct handler {
	struct salve_plugin *owner;
	int priority;
	salve_hook_fn fn;
	void *userdata;
};

struct handler_list {
	struct handler *items;
	size_t n;
};

static struct handler_list sync_handlers[SALVE_EV__COUNT];
static struct handler_list durable_handlers[SALVE_EV__COUNT];
static int frozen;

/* Scripts change on SIGHUP, so they are guarded. */
static pthread_mutex_t scripts_lock = PTHREAD_MUTEX_INITIALIZER;
static char **scripts[SALVE_EV__COUNT]; /* NULL-terminated paths */
static char *scripts_dir;
static int script_timeout = 30;

const char *hooks_event_name(enum salve_event_id ev)
{
	return (unsigned)ev < SALVE_EV__COUNT ? events[ev].name : "unknown";
}

unsigned hooks_event_flags(enum salve_event_id ev)
{
	return (unsigned)ev < SALVE_EV__COUNT ? events[ev].flags : 0;
}

int hooks_event_lookup(const char *name)
{
	for (int i = 0; i < SALVE_EV__COUNT; i++)
		if (strcmp(events[i].name, name) == 0)
			return i;
	return -1;
}

static const char *owner_name(const struct salve_plugin *p) { return p ? p->name : "core"; }

static int add(struct handler_list *list, struct salve_plugin *owner, enum salve_event_id ev,
	       int priority, salve_hook_fn fn, void *userdata)
{
	struct handler *grown;
	size_t at;

	if ((unsigned)ev >= SALVE_EV__COUNT || !fn) {
		log_error("%s: hook registration for an unknown event (%d) refused", owner_name(owner), (int)ev);
		return -EINVAL;
	}
	if (frozen) {
		log_error("%s: hook for %s registered after start: handlers register during init only",
			  owner_name(owner), events[ev].name);
		return -EBUSY;
	}
	grown = realloc(list->items, (list->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	list->items = grown;
	/* insert after every handler of lower or equal priority: stable order */
	for (at = list->n; at > 0 && list->items[at - 1].priority > priority; at--)
		list->items[at] = list->items[at - 1];
	list->items[at] = (struct handler){ owner, priority, fn, userdata };
	list->n++;
	return 0;
}

int hooks_register(struct salve_plugin *owner, enum salve_event_id ev, int priority,
		   salve_hook_fn fn, void *userdata)
{
	return add(&sync_handlers[ev < SALVE_EV__COUNT ? ev : 0], owner, ev, priority, fn, userdata);
}

int hooks_register_durable(struct salve_plugin *owner, enum salve_event_id ev,
			   salve_hook_fn fn, void *userdata)
{
	if (!owner) {
		log_error("durable hooks belong to plugins; the core cannot register one");
		return -EINVAL;
	}
	return add(&durable_handlers[ev < SALVE_EV__COUNT ? ev : 0], owner, ev, 500, fn, userdata);
}

void hooks_freeze(void) { frozen = 1; }

static void remove_from(struct handler_list *list, const struct salve_plugin *owner)
{
	size_t kept = 0;

	for (size_t i = 0; i < list->n; i++)
		if (list->items[i].owner != owner)
			list->items[kept++] = list->items[i];
	list->n = kept;
}

void hooks_remove_owner(const struct salve_plugin *owner)
{
	for (int i = 0; i < SALVE_EV__COUNT; i++) {
		remove_from(&sync_handlers[i], owner);
		remove_from(&durable_handlers[i], owner);
	}
}

void hooks_reset(void)
{
	for (int i = 0; i < SALVE_EV__COUNT; i++) {
		free(sync_handlers[i].items);
		free(durable_handlers[i].items);
		sync_handlers[i] = (struct handler_list){ 0 };
		durable_handlers[i] = (struct handler_list){ 0 };
	}
	frozen = 0;
	pthread_mutex_lock(&scripts_lock);
	for (int i = 0; i < SALVE_EV__COUNT; i++) {
		for (char **s = scripts[i]; s && *s; s++)
			free(*s);
		free(scripts[i]);
		scripts[i] = NULL;
	}
	free(scripts_dir);
	scripts_dir = NULL;
	pthread_mutex_unlock(&scripts_lock);
}

static int64_t now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int hooks_durable(enum salve_event_id ev)
{
	int scripted;

	if (durable_handlers[ev].n || notify_routes_event(ev))
		return 1;
	pthread_mutex_lock(&scripts_lock);
	scripted = scripts[ev] != NULL;
	pthread_mutex_unlock(&scripts_lock);
	return scripted;
}

int hooks_wanted(enum salve_event_id ev)
{
	return sync_handlers[ev].n || hooks_durable(ev);
}

int hooks_emit(enum salve_event_id ev, json_t *payload)
{
	struct salve_event e = { ev, events[ev].name, events[ev].flags, now_us(), "", payload };
	const struct handler_list *list = &sync_handlers[ev];

	for (size_t i = 0; i < list->n; i++) {
		const struct handler *h = &list->items[i];
		int rc = h->fn(&e, h->userdata);

		if (rc == SALVE_HOOK_CONTINUE)
			continue;
		if (rc < 0) {
			log_warn("hook %s of %s failed: %s; going on", events[ev].name, owner_name(h->owner),
				 strerror(-rc));
			continue;
		}
		if (rc == SALVE_HOOK_HANDLED)
			return SALVE_HOOK_HANDLED;
		if (rc == SALVE_HOOK_VETO) {
			if (events[ev].flags & SALVE_EVF_VETOABLE) {
				log_info("%s vetoed by %s", events[ev].name, owner_name(h->owner));
				return SALVE_HOOK_VETO;
			}
			log_error("bug: %s returned VETO for %s, which is not vetoable; ignored",
				  owner_name(h->owner), events[ev].name);
			continue;
		}
		log_error("bug: %s returned %d for %s; expected CONTINUE, HANDLED, VETO or -errno",
			  owner_name(h->owner), rc, events[ev].name);
	}
	return SALVE_HOOK_CONTINUE;
}

/* ---- shell hooks ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* run-parts rules: regular executable files, no dotfiles or editor backups */
static int runnable(const char *dir, const char *name, char *path, size_t len)
{
	struct stat st;
	size_t n = strlen(name);

	if (name[0] == '.' || name[n - 1] == '~' || (n > 4 && strcmp(name + n - 4, ".bak") == 0))
		return 0;
	snprintf(path, len, "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

void hooks_scan_scripts(const char *hooks_dir, int timeout_seconds)
{
	size_t total = 0;

	pthread_mutex_lock(&scripts_lock);
	for (int i = 0; i < SALVE_EV__COUNT; i++) {
		for (char **s = scripts[i]; s && *s; s++)
			free(*s);
		free(scripts[i]);
		scripts[i] = NULL;
	}
	free(scripts_dir);
	scripts_dir = hooks_dir ? strdup(hooks_dir) : NULL;
	script_timeout = timeout_seconds > 0 ? timeout_seconds : 30;
	for (int i = 0; hooks_dir && i < SALVE_EV__COUNT; i++) {
		char dir[1024], path[1536];
		struct dirent *de;
		size_t n = 0;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/%s.d", hooks_dir, events[i].name);
		if (!(d = opendir(dir)))
			continue;
		while ((de = readdir(d))) {
			char **grown;
			if (!runnable(dir, de->d_name, path, sizeof(path)))
				continue;
			grown = realloc(scripts[i], (n + 2) * sizeof(char *));
			if (!grown)
				break;
			scripts[i] = grown;
			scripts[i][n++] = strdup(de->d_name);
			scripts[i][n] = NULL;
		}
		closedir(d);
		if (n)
			qsort(scripts[i], n, sizeof(char *), by_name);
		total += n;
	}
	pthread_mutex_unlock(&scripts_lock);
	log_info("hook scripts: %zu found under %s", total, hooks_dir ? hooks_dir : "(none)");
}

/* ---- durable consumers ---- */

/* Consumer names: "plugin:<name>" and "script:<file>" (in <event>.d/). */
static json_t *consumers_of(enum salve_event_id ev)
{
	json_t *list = json_array();
	char name[512];

	for (size_t i = 0; i < durable_handlers[ev].n; i++) {
		snprintf(name, sizeof(name), "plugin:%s", durable_handlers[ev].items[i].owner->name);
		json_array_append_new(list, json_string(name));
	}
	pthread_mutex_lock(&scripts_lock);
	for (char **s = scripts[ev]; s && *s; s++) {
		snprintf(name, sizeof(name), "script:%s", *s);
		json_array_append_new(list, json_string(name));
	}
	pthread_mutex_unlock(&scripts_lock);
	return list;
}

/* One statement, so that every consumer of an event shares its event id:
 * plugin handlers and scripts take every payload; notify channels take what
 * the routes give them (notify_plan), maybe later and with a group key. */
int hooks_enqueue(PGconn *conn, enum salve_event_id ev, json_t *payloads)
{
	json_t *consumers = consumers_of(ev);
	json_t *plan = notify_plan(ev, payloads);
	char *c_text, *p_text, *n_text;
	int rc = 0;

	if ((json_array_size(consumers) || json_array_size(plan)) && json_array_size(payloads)) {
		c_text = json_dumps(consumers, JSON_COMPACT);
		p_text = json_dumps(payloads, JSON_COMPACT);
		n_text = json_dumps(plan, JSON_COMPACT);
		const char *params[] = { events[ev].name, c_text, p_text, n_text };
		rc = db_exec(conn, NULL,
			     "WITH e AS MATERIALIZED (SELECT gen_random_uuid() AS id, p.payload, p.ord"
			     "       FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS p(payload, ord))"
			     " INSERT INTO outbox (event_id, event, consumer, payload, route, group_key, next_attempt_at)"
			     " SELECT e.id, $1, c.name, e.payload, NULL, NULL, now()"
			     " FROM e CROSS JOIN jsonb_array_elements_text($2::jsonb) AS c(name)"
			     " UNION ALL"
			     " SELECT e.id, $1, n.consumer, e.payload, n.route, n.group_key,"
			     "        now() + n.delay_ms * interval '1 millisecond'"
			     " FROM e JOIN jsonb_to_recordset($4::jsonb)"
			     "      AS n(ord bigint, consumer text, route text, group_key text, delay_ms bigint)"
			     "      ON n.ord = e.ord",
			     4, params);
		free(c_text);
		free(p_text);
		free(n_text);
	}
	json_decref(consumers);
	json_decref(plan);
	return rc;
}

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int run_script(const char *event, const char *file, const char *event_id, json_t *payload,
		      char *err, size_t errlen)
{
	char path[1536], prefix[600], line[1024];
	char *input = json_dumps(payload, JSON_COMPACT);
	int in[2], errp[2], status = 0, timed_out = 0;
	size_t input_len = input ? strlen(input) : 0, written = 0, linelen = 0;
	long long deadline; /* monotonic ms: whole seconds would cut a 1 s timeout short */
	pid_t pid;

	pthread_mutex_lock(&scripts_lock);
	snprintf(path, sizeof(path), "%s/%s.d/%s", scripts_dir ? scripts_dir : ".", event, file);
	deadline = monotonic_ms() + (long long)script_timeout * 1000;
	pthread_mutex_unlock(&scripts_lock);
	snprintf(prefix, sizeof(prefix), "[hook:%s.d/%s]", event, file);
	if (!input || pipe2(in, O_CLOEXEC) < 0) {
		free(input);
		snprintf(err, errlen, "cannot prepare %s: %s", path, strerror(errno));
		return SALVE_RETRY;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		free(input);
		snprintf(err, errlen, "cannot prepare %s: %s", path, strerror(errno));
		return SALVE_RETRY;
	}
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		sigset_t all;
		setpgid(0, 0);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		dup2(in[0], 0);
		dup2(devnull, 1);
		dup2(errp[1], 2);
		setenv("SALVE_EVENT", event, 1);
		setenv("SALVE_EVENT_ID", event_id, 1);
		execl(path, path, event, (char *)NULL);
		dprintf(2, "cannot execute: %s\n", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(errp[1]);
	if (pid < 0) {
		close(in[1]);
		close(errp[0]);
		free(input);
		snprintf(err, errlen, "cannot fork for %s: %s", path, strerror(errno));
		return SALVE_RETRY;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd fds[2] = { { errp[0], POLLIN, 0 }, { in[1], POLLOUT, 0 } };
		int nfds = in[1] >= 0 ? 2 : 1;
		long long left = deadline - monotonic_ms();

		if (left <= 0) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			break;
		}
		if (poll(fds, (nfds_t)nfds, (int)left) < 0 && errno != EINTR)
			break;
		if (nfds == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in[1], input + written, input_len - written);
			if (w > 0)
				written += (size_t)w;
			if (w < 0 || written == input_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			char chunk[512];
			ssize_t r = read(errp[0], chunk, sizeof(chunk));
			if (r <= 0)
				break; /* the script closed stderr: it is done or dying */
			for (ssize_t i = 0; i < r; i++) {
				if (chunk[i] == '\n' || linelen == sizeof(line) - 1) {
					line[linelen] = '\0';
					log_msg(SALVE_LOG_INFO, prefix, "%s", line);
					linelen = 0;
				} else {
					line[linelen++] = chunk[i];
				}
			}
		}
	}
	if (linelen) {
		line[linelen] = '\0';
		log_msg(SALVE_LOG_INFO, prefix, "%s", line);
	}
	if (in[1] >= 0)
		close(in[1]);
	close(errp[0]);
	free(input);
	/* stderr closed early is not the end: wait, but never past the deadline */
	while (!timed_out && waitpid(pid, &status, WNOHANG) == 0) {
		if (monotonic_ms() >= deadline) {
			timed_out = 1;
			kill(-pid, SIGKILL);
			break;
		}
		usleep(10000);
	}
	if (timed_out) {
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "%s timed out after %d s", path, script_timeout);
		return SALVE_RETRY;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return SALVE_OK;
	if (WIFEXITED(status))
		snprintf(err, errlen, "%s exited with status %d", path, WEXITSTATUS(status));
	else
		snprintf(err, errlen, "%s killed by signal %d", path, WTERMSIG(status));
	return SALVE_RETRY;
}

int hooks_deliver(const char *consumer, const char *event, const char *event_id,
		  int64_t occurred_us, json_t *payload, char *err, size_t errlen)
{
	int ev = hooks_event_lookup(event);

	err[0] = '\0';
	if (ev < 0) {
		snprintf(err, errlen, "unknown event \"%s\"", event);
		return -EINVAL;
	}
	if (strncmp(consumer, "script:", 7) == 0)
		return run_script(event, consumer + 7, event_id, payload, err, errlen);
	if (strncmp(consumer, "plugin:", 7) == 0) {
		const struct handler_list *list = &durable_handlers[ev];
		for (size_t i = 0; i < list->n; i++) {
			const struct handler *h = &list->items[i];
			struct salve_event e = { (enum salve_event_id)ev, events[ev].name, events[ev].flags,
						 occurred_us, event_id, payload };
			int rc;
			if (strcmp(h->owner->name, consumer + 7) != 0)
				continue;
			rc = h->fn(&e, h->userdata);
			if (rc == SALVE_RETRY)
				snprintf(err, errlen, "%s asked to retry", h->owner->name);
			else if (rc < 0)
				snprintf(err, errlen, "%s failed: %s", h->owner->name, strerror(-rc));
			return rc == SALVE_RETRY || rc < 0 ? rc : SALVE_OK;
		}
	}
	snprintf(err, errlen, "no consumer \"%s\" is loaded for %s", consumer, event);
	return SALVE_RETRY;
}
