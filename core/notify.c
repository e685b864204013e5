/*
 * core/notify.c - notification routing: the notify: section of salve.yaml.
 *
 * Channels name a notify plugin and, optionally, settings of their own
 * (read through the plugin's config table into a context per channel).
 * Routes say which events go to which channels: label and field matchers,
 * a grouping window (a storm of alerts makes one message), a rate limit
 * and quiet hours.
 *
 * Every delivery is an outbox row (consumer "notify:<channel>"), written by
 * hooks_enqueue() in the transaction of the change; notify_plan() decides
 * the rows.  A grouped row waits group_window seconds; the first of a group
 * that falls due carries every pending row of its group in one message, and
 * its event id is the message's.  Rows held by quiet hours wait for their
 * end.  The outbox workers call notify_deliver_row().
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "hooks.h"
#include "log.h"
#include "notify.h"
#include "notify_render.h"
#include "plugins.h"

#define GROUP_MAX 500       /* rows one message carries at most */

struct matcher {
	char *key;
	char *value;
	int is_regex, negate;
	regex_t re;
};

struct channel {
	char *name;
	struct salve_plugin *plugin;
	void *ctx;       /* the plugin's, or own_ctx */
	void *own_ctx;   /* from the channel's settings: */
	const struct salve_notify_ops *ops;
};

struct route {
	char *name;
	unsigned char events[SALVE_EV__COUNT];
	struct matcher *matchers;
	size_t nmatchers;
	size_t *channels; /* indices into the channel table */
	size_t nchannels;
	char **group_by;  /* NULL: alertname */
	long group_window_s;
	long rate_limit, rate_window_s;
	int quiet_start, quiet_end; /* minutes of the local day; -1: none */
	long long *sent_ms;         /* per channel: rate_limit send times, a ring */
	size_t *sent_next;
};

static struct channel *channels;
static size_t nchannels;
static struct route *routes;
static size_t nroutes;
static char *public_url;
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- reading the section ---- */

struct reader {
	struct salve_config *cfg;
	char *err;
	size_t errlen;
};

static int fail(struct reader *r, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct reader *r, const yaml_node_t *node, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return config_error_at(r->cfg, node, r->err, r->errlen, "%s", what);
}

static yaml_node_t *node_at(struct reader *r, int id) { return yaml_document_get_node(&r->cfg->doc, id); }

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Each key of map must be one of keys; returns the value nodes in order. */
static int fields(struct reader *r, yaml_node_t *map, const char *where, const char *const *keys,
		  yaml_node_t **values)
{
	size_t nkeys = 0;

	while (keys[nkeys])
		values[nkeys++] = NULL;
	if (!map || map->type != YAML_MAPPING_NODE)
		return fail(r, map, "%s: expected a mapping", where);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *key = scalar(node_at(r, p->key));
		size_t i;

		for (i = 0; i < nkeys && (!key || strcmp(keys[i], key) != 0); i++)
			;
		if (i == nkeys) {
			char list[512] = "";
			for (size_t k = 0; k < nkeys; k++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", k ? ", " : "", keys[k]);
			return fail(r, node_at(r, p->key), "unknown key \"%s%s\" (expected one of: %s)", where,
				    key ? key : "?", list);
		}
		values[i] = node_at(r, p->value);
	}
	return 0;
}

static int read_long(struct reader *r, yaml_node_t *n, const char *where, const char *key, long min, long *out)
{
	const char *s = scalar(n);
	char *end;
	long v;

	if (!n)
		return 0;
	v = s ? strtol(s, &end, 10) : 0;
	if (!s || !*s || *end || v < min)
		return fail(r, n, "%s%s: expected a whole number of at least %ld", where, key, min);
	*out = v;
	return 0;
}

/* A scalar or a list of scalars, as a NULL-terminated list. */
static int read_list(struct reader *r, yaml_node_t *n, const char *where, const char *key, char ***out)
{
	size_t count = 0;
	char **list;

	if (!n)
		return 0;
	if (scalar(n)) {
		list = calloc(2, sizeof(char *));
		list[0] = strdup(scalar(n));
		*out = list;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(r, n, "%s%s: expected a list of names", where, key);
	list = calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1, sizeof(char *));
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		const char *s = scalar(node_at(r, *it));
		if (!s) {
			for (size_t i = 0; i < count; i++)
				free(list[i]);
			free(list);
			return fail(r, node_at(r, *it), "%s%s: expected a list of names", where, key);
		}
		list[count++] = strdup(s);
	}
	*out = list;
	return 0;
}

static void free_list(char **list)
{
	for (char **s = list; s && *s; s++)
		free(*s);
	free(list);
}

/* "HH:MM" to minutes of the day, or -1. */
static int parse_clock(const char *s)
{
	int h, m, used = 0;

	if (sscanf(s, "%2d:%2d%n", &h, &m, &used) != 2 || s[used] || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

static int find_plugin(const char *name, struct salve_plugin **out)
{
	char full[160];

	snprintf(full, sizeof(full), "notify_%s", name);
	for (size_t i = 0; i < plugins_count(); i++) {
		struct salve_plugin *p = plugins_at(i);
		if (p->desc.kind != SALVE_KIND_NOTIFY || (strcmp(p->name, name) != 0 && strcmp(p->name, full) != 0))
			continue;
		if (p->state != PLUGIN_READY && p->state != PLUGIN_RUNNING)
			return -EAGAIN;
		if (!p->desc.ops || p->desc.ops->size < offsetof(struct salve_notify_ops, deliver) + sizeof(void *))
			return -ENOSYS;
		*out = p;
		return 0;
	}
	return -ENOENT;
}

static int read_channel(struct reader *r, yaml_node_t *n, size_t index)
{
	static const char *const keys[] = { "name", "plugin", "settings", NULL };
	yaml_node_t *v[3];
	struct channel *c = &channels[index];
	char where[192];
	int rc;

	snprintf(where, sizeof(where), "notify.channels[%zu].", index);
	if (fields(r, n, where, keys, v) < 0)
		return -EINVAL;
	if (!scalar(v[0]) || !*scalar(v[0]) || strchr(scalar(v[0]), ':'))
		return fail(r, v[0] ? v[0] : n, "%sname: required, a word without ':'", where);
	for (size_t i = 0; i < index; i++)
		if (strcmp(channels[i].name, scalar(v[0])) == 0)
			return fail(r, v[0], "%sname: channel \"%s\" is defined twice", where, scalar(v[0]));
	if (!scalar(v[1]))
		return fail(r, v[1] ? v[1] : n, "%splugin: required, e.g. notify_slack", where);
	c->name = strdup(scalar(v[0]));
	rc = find_plugin(scalar(v[1]), &c->plugin);
	if (rc == -ENOENT)
		return fail(r, v[1], "%splugin: no notify plugin \"%s\" is loaded (see salvectl plugins)", where,
			    scalar(v[1]));
	if (rc < 0)
		return fail(r, v[1], "%splugin: %s is %s", where, scalar(v[1]),
			    rc == -EAGAIN ? "not usable: it failed to load or initialise" : "not a notify plugin");
	c->ops = (const struct salve_notify_ops *)(const void *)c->plugin->desc.ops;
	c->ctx = c->plugin->ctx;
	if (v[2]) {
		snprintf(where, sizeof(where), "notify.channels[%zu].settings.", index);
		if (v[2]->type != YAML_MAPPING_NODE)
			return fail(r, v[2], "%s: expected a mapping of the plugin's settings", where);
		c->own_ctx = calloc(1, c->plugin->desc.ctx_size ? c->plugin->desc.ctx_size : 1);
		if (config_apply_node(r->cfg, (int)(v[2] - r->cfg->doc.nodes.start) + 1, where,
				      c->plugin->desc.config, c->own_ctx, r->err, r->errlen) < 0)
			return -EINVAL;
		c->ctx = c->own_ctx;
	}
	return 0;
}

static int read_matchers(struct reader *r, yaml_node_t *n, struct route *rt, const char *where)
{
	if (!n)
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(r, n, "%smatch: expected a mapping of label: value", where);
	rt->matchers = calloc((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) + 1,
			      sizeof(*rt->matchers));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		const char *key = scalar(node_at(r, p->key)), *value = scalar(node_at(r, p->value));
		struct matcher *m = &rt->matchers[rt->nmatchers];

		if (!key || !value)
			return fail(r, node_at(r, p->value), "%smatch: expected label: value (\"~regex\", \"!value\")",
				    where);
		m->negate = value[0] == '!';
		value += m->negate;
		m->is_regex = value[0] == '~';
		value += m->is_regex;
		m->key = strdup(key);
		m->value = strdup(value);
		if (m->is_regex) {
			char anchored[1024];
			snprintf(anchored, sizeof(anchored), "^(%s)$", value);
			if (regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB) != 0) {
				m->is_regex = 0; /* nothing to free */
				rt->nmatchers++;
				return fail(r, node_at(r, p->value), "%smatch.%s: not a valid regular expression", where, key);
			}
		}
		rt->nmatchers++;
	}
	return 0;
}

static int read_route(struct reader *r, yaml_node_t *n, size_t index)
{
	static const char *const keys[] = { "name", "events", "match", "channels", "group_by", "group_window",
					     "rate_limit", "rate_window", "quiet_hours", NULL };
	yaml_node_t *v[9];
	struct route *rt = &routes[index];
	char where[96], name[32], **events = NULL, **chans = NULL;
	int rc = -EINVAL;

	snprintf(where, sizeof(where), "notify.routes[%zu].", index);
	rt->quiet_start = rt->quiet_end = -1;
	rt->rate_window_s = 60;
	if (fields(r, n, where, keys, v) < 0)
		return -EINVAL;
	snprintf(name, sizeof(name), "route-%zu", index + 1);
	rt->name = strdup(scalar(v[0]) ? scalar(v[0]) : name);
	if (read_list(r, v[1], where, "events", &events) < 0 || read_list(r, v[3], where, "channels", &chans) < 0 ||
	    read_list(r, v[4], where, "group_by", &rt->group_by) < 0 || read_matchers(r, v[2], rt, where) < 0 ||
	    read_long(r, v[5], where, "group_window", 0, &rt->group_window_s) < 0 ||
	    read_long(r, v[6], where, "rate_limit", 0, &rt->rate_limit) < 0 ||
	    read_long(r, v[7], where, "rate_window", 1, &rt->rate_window_s) < 0)
		goto out;
	if (!events || !events[0]) {
		fail(r, v[1] ? v[1] : n, "%sevents: required, e.g. [alert.received]", where);
		goto out;
	}
	for (char **e = events; *e; e++) {
		int ev = hooks_event_lookup(*e);
		if (ev < 0 || (hooks_event_flags((enum salve_event_id)ev) & SALVE_EVF_VETOABLE) ||
		    ev == SALVE_EV_DAEMON_START || ev == SALVE_EV_DAEMON_STOP || ev == SALVE_EV_NOTIFY_SENT ||
		    ev == SALVE_EV_NOTIFY_FAILED) {
			fail(r, v[1], "%sevents: \"%s\" is not an event that can be notified (see hooks/README.md)",
			     where, *e);
			goto out;
		}
		rt->events[ev] = 1;
	}
	if (!chans || !chans[0]) {
		fail(r, v[3] ? v[3] : n, "%schannels: required, names from notify.channels", where);
		goto out;
	}
	for (char **c = chans; *c; c++)
		rt->nchannels++;
	rt->channels = calloc(rt->nchannels, sizeof(size_t));
	for (size_t i = 0; i < rt->nchannels; i++) {
		size_t k;
		for (k = 0; k < nchannels && strcmp(channels[k].name, chans[i]) != 0; k++)
			;
		if (k == nchannels) {
			fail(r, v[3], "%schannels: no channel named \"%s\" in notify.channels", where, chans[i]);
			goto out;
		}
		rt->channels[i] = k;
	}
	if (v[8]) {
		const char *q = scalar(v[8]), *dash = q ? strchr(q, '-') : NULL;
		char start[8] = "";
		if (dash && dash - q < (long)sizeof(start))
			memcpy(start, q, (size_t)(dash - q));
		if (!dash || (rt->quiet_start = parse_clock(start)) < 0 || (rt->quiet_end = parse_clock(dash + 1)) < 0 ||
		    rt->quiet_start == rt->quiet_end) {
			fail(r, v[8], "%squiet_hours: expected \"HH:MM-HH:MM\" in local time, e.g. \"22:00-07:00\"", where);
			goto out;
		}
	}
	if (rt->rate_limit > 0) {
		rt->sent_ms = calloc(rt->nchannels * (size_t)rt->rate_limit, sizeof(long long));
		rt->sent_next = calloc(rt->nchannels, sizeof(size_t));
	}
	rc = 0;
out:
	free_list(events);
	free_list(chans);
	return rc;
}

static size_t sequence_length(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
						  : 0;
}

int notify_load(struct salve_config *cfg, char *err, size_t errlen)
{
	static const char *const keys[] = { "public_url", "channels", "routes", NULL };
	struct reader r = { cfg, err, errlen };
	yaml_node_t *v[3], *section;
	size_t i;

	notify_unload();
	public_url = strdup("");
	if (!cfg->notify_node || !cfg->have_doc)
		return 0;
	section = node_at(&r, cfg->notify_node);
	if (fields(&r, section, "notify.", keys, v) < 0)
		goto fail;
	if (v[0]) {
		if (!scalar(v[0]) || (strncmp(scalar(v[0]), "http://", 7) != 0 && strncmp(scalar(v[0]), "https://", 8) != 0)) {
			fail(&r, v[0], "notify.public_url: expected the URL people reach salve at, e.g. https://salve.example.com");
			goto fail;
		}
		free(public_url);
		public_url = strdup(scalar(v[0]));
		if (*public_url && public_url[strlen(public_url) - 1] == '/')
			public_url[strlen(public_url) - 1] = '\0';
	}
	if ((v[1] && v[1]->type != YAML_SEQUENCE_NODE) || (v[2] && v[2]->type != YAML_SEQUENCE_NODE)) {
		fail(&r, v[1] && v[1]->type != YAML_SEQUENCE_NODE ? v[1] : v[2], "notify: channels and routes are lists");
		goto fail;
	}
	channels = calloc(sequence_length(v[1]) + 1, sizeof(*channels));
	for (i = 0; i < sequence_length(v[1]); i++, nchannels++)
		if (read_channel(&r, node_at(&r, v[1]->data.sequence.items.start[i]), i) < 0) {
			nchannels++;
			goto fail;
		}
	routes = calloc(sequence_length(v[2]) + 1, sizeof(*routes));
	for (i = 0; i < sequence_length(v[2]); i++, nroutes++)
		if (read_route(&r, node_at(&r, v[2]->data.sequence.items.start[i]), i) < 0) {
			nroutes++;
			goto fail;
		}
	log_info("notify: %zu channel(s), %zu route(s)", nchannels, nroutes);
	return 0;
fail:
	notify_unload();
	return -EINVAL;
}

void notify_unload(void)
{
	for (size_t i = 0; i < nroutes; i++) {
		struct route *rt = &routes[i];
		for (size_t m = 0; m < rt->nmatchers; m++) {
			if (rt->matchers[m].is_regex)
				regfree(&rt->matchers[m].re);
			free(rt->matchers[m].key);
			free(rt->matchers[m].value);
		}
		free(rt->matchers);
		free(rt->channels);
		free_list(rt->group_by);
		free(rt->sent_ms);
		free(rt->sent_next);
		free(rt->name);
	}
	free(routes);
	for (size_t i = 0; i < nchannels; i++) {
		if (channels[i].own_ctx) {
			config_table_free(channels[i].plugin->desc.config, channels[i].own_ctx);
			free(channels[i].own_ctx);
		}
		free(channels[i].name);
	}
	free(channels);
	free(public_url);
	routes = NULL;
	channels = NULL;
	public_url = NULL;
	nroutes = nchannels = 0;
}

int notify_routes_event(enum salve_event_id ev)
{
	for (size_t i = 0; i < nroutes; i++)
		if ((unsigned)ev < SALVE_EV__COUNT && routes[i].events[ev])
			return 1;
	return 0;
}

/* ---- routing ---- */

/* A label of the event's labels, else a top-level scalar field (of the
 * payload, then of the alert it wraps). */
static const char *field_of(json_t *payload, const char *key, char *num, size_t numlen)
{
	json_t *v = json_object_get(json_object_get(notify_subject(payload), "labels"), key);

	if (!v)
		v = json_object_get(payload, key);
	if (!v)
		v = json_object_get(notify_subject(payload), key);
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(num, numlen, "%lld", (long long)json_integer_value(v));
		return num;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

static int route_matches(const struct route *rt, json_t *payload)
{
	for (size_t i = 0; i < rt->nmatchers; i++) {
		const struct matcher *m = &rt->matchers[i];
		char num[32];
		const char *value = field_of(payload, m->key, num, sizeof(num));
		int hit = value && (m->is_regex ? regexec(&m->re, value, 0, NULL, 0) == 0 : strcmp(value, m->value) == 0);

		if (hit == m->negate)
			return 0;
	}
	return 1;
}

static long quiet_left_ms(const struct route *rt, time_t now)
{
	struct tm tm;
	int minute, end;

	if (rt->quiet_start < 0)
		return 0;
	localtime_r(&now, &tm);
	minute = tm.tm_hour * 60 + tm.tm_min;
	end = rt->quiet_end;
	if (rt->quiet_start < end ? (minute < rt->quiet_start || minute >= end)
				  : (minute < rt->quiet_start && minute >= end))
		return 0;
	return ((long)((end - minute + 1440) % 1440) * 60 - tm.tm_sec) * 1000L;
}

static char *group_key(const struct route *rt, const char *event, json_t *payload)
{
	static const char *const by_name[] = { "alertname", NULL };
	const char *const *by = rt->group_by ? (const char *const *)rt->group_by : by_name;
	struct buf b = { 0 };

	buf_printf(&b, "%s|%s", rt->name, event);
	for (; *by; by++) {
		char num[32];
		const char *v = field_of(payload, *by, num, sizeof(num));
		if (!v && strcmp(*by, "alertname") == 0)
			v = field_of(payload, "alert_name", num, sizeof(num));
		buf_printf(&b, "|%s=%s", *by, v ? v : "");
	}
	return buf_steal(&b);
}

json_t *notify_plan(enum salve_event_id ev, json_t *payloads)
{
	json_t *plan = json_array(), *payload;
	time_t now = time(NULL);
	size_t ord;

	if ((unsigned)ev >= SALVE_EV__COUNT)
		return plan;
	json_array_foreach(payloads, ord, payload) {
		unsigned char taken[nchannels + 1];

		memset(taken, 0, sizeof(taken));
		for (size_t i = 0; i < nroutes; i++) {
			const struct route *rt = &routes[i];
			long delay = quiet_left_ms(rt, now);
			char *key = NULL;

			if (!rt->events[ev] || !route_matches(rt, payload))
				continue;
			if (rt->group_window_s > 0) {
				key = group_key(rt, hooks_event_name(ev), payload);
				if (delay < rt->group_window_s * 1000)
					delay = rt->group_window_s * 1000;
			}
			for (size_t c = 0; c < rt->nchannels; c++) {
				char consumer[256];
				if (taken[rt->channels[c]]++)
					continue; /* the first route to a channel decides */
				snprintf(consumer, sizeof(consumer), "notify:%s", channels[rt->channels[c]].name);
				json_array_append_new(plan, json_pack("{s:I,s:s,s:s,s:s?,s:I}", "ord", (json_int_t)ord + 1,
								      "consumer", consumer, "route", rt->name,
								      "group_key", key, "delay_ms", (json_int_t)delay));
			}
			free(key);
		}
	}
	return plan;
}

/* ---- delivery ---- */

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct channel *channel_named(const char *name)
{
	for (size_t i = 0; i < nchannels; i++)
		if (strcmp(channels[i].name, name) == 0)
			return &channels[i];
	return NULL;
}

static struct route *route_named(const char *name)
{
	for (size_t i = 0; name && i < nroutes; i++)
		if (strcmp(routes[i].name, name) == 0)
			return &routes[i];
	return NULL;
}

/* The rate limit's slot for (rt, channel): 0 and taken, or ms to wait. */
static long rate_take(struct route *rt, size_t channel_index)
{
	long long now = monotonic_ms(), *ring;
	size_t c, *next;
	long wait = 0;

	if (!rt || rt->rate_limit <= 0)
		return 0;
	for (c = 0; c < rt->nchannels && rt->channels[c] != channel_index; c++)
		;
	if (c == rt->nchannels)
		return 0;
	pthread_mutex_lock(&rate_lock);
	ring = rt->sent_ms + c * (size_t)rt->rate_limit;
	next = &rt->sent_next[c];
	/* the oldest of the last rate_limit sends must be a window ago */
	if (ring[*next] && now - ring[*next] < rt->rate_window_s * 1000)
		wait = (long)(ring[*next] + rt->rate_window_s * 1000 - now);
	else {
		ring[*next] = now;
		*next = (*next + 1) % (size_t)rt->rate_limit;
	}
	pthread_mutex_unlock(&rate_lock);
	return wait;
}

static void rate_give_back(struct route *rt, size_t channel_index)
{
	size_t c;

	if (!rt || rt->rate_limit <= 0)
		return;
	for (c = 0; c < rt->nchannels && rt->channels[c] != channel_index; c++)
		;
	if (c == rt->nchannels)
		return;
	pthread_mutex_lock(&rate_lock);
	rt->sent_next[c] = (rt->sent_next[c] + (size_t)rt->rate_limit - 1) % (size_t)rt->rate_limit;
	rt->sent_ms[c * (size_t)rt->rate_limit + rt->sent_next[c]] = 0;
	pthread_mutex_unlock(&rate_lock);
}

static int channel_deliver(struct channel *c, const char *event_id, const char *event, json_t *payload,
			   long *retry_after_ms, char *err, size_t errlen)
{
	struct salve_notification n = { c->name, event_id, event, payload, NULL, NULL, NULL };
	char *title, *text, *link;
	int rc;

	notify_render(public_url, event, payload, &title, &text, &link);
	n.title = title;
	n.text = text;
	n.link = link;
	*retry_after_ms = 0;
	err[0] = '\0';
	rc = c->ops->deliver(c->ctx, &n, retry_after_ms, err, errlen);
	if (rc != SALVE_OK && !err[0])
		snprintf(err, errlen, "%s refused: %s", c->plugin->name, rc < 0 ? strerror(-rc) : "try again");
	if (rc > SALVE_RETRY)
		rc = SALVE_RETRY;
	free(title);
	free(text);
	free(link);
	return rc;
}

/* 1 when this transaction leads row's group (until it ends). */
static int group_lead(PGconn *db, const struct notify_row *row)
{
	const char *params[] = { row->consumer, row->group_key };
	PGresult *res;
	int lead;

	if (db_exec(db, &res, "SELECT pg_try_advisory_xact_lock(hashtext($1 || '|' || $2))", 2, params) < 0)
		return 0;
	lead = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return lead;
}

/* Locks the other pending rows of row's group; their payloads join group. */
static json_t *collect_group(PGconn *db, const struct notify_row *row, json_t *group, char *err, size_t errlen)
{
	const char *params[] = { row->consumer, row->group_key, row->id };
	json_t *ids = json_array();
	PGresult *res;
	char limit[96];

	/* waits for rows a worker holds: it gives them up at once, as it cannot lead */
	snprintf(limit, sizeof(limit), " ORDER BY id LIMIT %d FOR UPDATE", GROUP_MAX - 1);
	{
		char sql[512];
		snprintf(sql, sizeof(sql),
			 "SELECT id, payload::text FROM outbox WHERE status = 'pending' AND consumer = $1"
			 " AND group_key = $2 AND id <> $3::bigint%s", limit);
		if (db_exec(db, &res, sql, 3, params) < 0) {
			snprintf(err, errlen, "cannot read the group: %s", PQerrorMessage(db));
			return ids;
		}
	}
	for (int r = 0; r < PQntuples(res); r++) {
		json_t *p = json_loads(PQgetvalue(res, r, 1), 0, NULL);
		if (!p)
			continue;
		json_array_append_new(group, p);
		json_array_append_new(ids, json_string(PQgetvalue(res, r, 0)));
	}
	PQclear(res);
	return ids;
}

void notify_deliver_row(PGconn *db, const struct notify_row *row, struct notify_outcome *out, char *err,
			size_t errlen)
{
	struct channel *c = channel_named(row->consumer + strlen("notify:"));
	struct route *rt = route_named(row->route);
	json_t *payload = row->payload;
	long wait;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	if (!c) {
		snprintf(err, errlen, "no channel \"%s\" in notify.channels", row->consumer + strlen("notify:"));
		out->rc = SALVE_RETRY; /* the config may come back: dead after max_attempts */
		return;
	}
	if ((wait = rate_take(rt, (size_t)(c - channels))) > 0) {
		snprintf(err, errlen, "rate limit of route %s: %ld per %ld s", rt->name, rt->rate_limit, rt->rate_window_s);
		out->postpone_ms = wait;
		out->rc = SALVE_RETRY;
		return;
	}
	if (row->group_key && *row->group_key) {
		json_t *group;

		/* one leader per group: a second worker would find the rows locked
		 * and send what it holds alone */
		if (!group_lead(db, row)) {
			snprintf(err, errlen, "its group is being sent by another worker");
			out->postpone_ms = 1000;
			out->rc = SALVE_RETRY;
			rate_give_back(rt, (size_t)(c - channels));
			return;
		}
		group = json_array();
		json_array_append(group, row->payload);
		out->grouped = collect_group(db, row, group, err, errlen);
		payload = json_pack("{s:o}", "group", group);
		if (json_array_size(group) == 1) { /* alone after all: send it as itself */
			json_decref(payload);
			payload = row->payload;
		}
	}
	if (!err[0])
		out->rc = channel_deliver(c, row->event_id, row->event, payload, &out->retry_after_ms, err, errlen);
	else
		out->rc = SALVE_RETRY;
	if (out->rc != SALVE_OK)
		rate_give_back(rt, (size_t)(c - channels));
	if (payload != row->payload)
		json_decref(payload);
}

json_t *notify_notice(const struct notify_row *row, const struct notify_outcome *out, int attempts, int dead,
		      const char *error)
{
	json_t *n = json_pack("{s:s,s:s,s:s,s:s,s:I}", "outbox_id", row->id, "channel", row->consumer + strlen("notify:"),
			      "event", row->event, "event_id", row->event_id, "grouped",
			      (json_int_t)json_array_size(out->grouped));

	if (n && out->rc != SALVE_OK) {
		json_object_set_new(n, "error", json_string(error));
		json_object_set_new(n, "attempts", json_integer(attempts));
		json_object_set_new(n, "dead", json_boolean(dead));
	}
	return n;
}

int notify_send_test(const char *channel, char *err, size_t errlen)
{
	struct channel *c = channel_named(channel);
	unsigned char raw[16];
	char event_id[40];
	json_t *payload;
	long retry_after = 0;
	int rc;
	FILE *f = fopen("/dev/urandom", "r");

	if (!c) {
		snprintf(err, errlen, "no channel \"%s\" in notify.channels", channel);
		return -ENOENT;
	}
	if (!f || fread(raw, 1, sizeof(raw), f) != sizeof(raw)) {
		if (f)
			fclose(f);
		snprintf(err, errlen, "cannot read /dev/urandom");
		return -EIO;
	}
	fclose(f);
	raw[6] = (raw[6] & 0x0f) | 0x40;
	raw[8] = (raw[8] & 0x3f) | 0x80;
	snprintf(event_id, sizeof(event_id), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7], raw[8], raw[9], raw[10], raw[11],
		 raw[12], raw[13], raw[14], raw[15]);
	payload = json_pack("{s:s,s:s,s:s}", "title", "salve test message", "summary",
			    "If you can read this, the channel works.", "channel", channel);
	rc = channel_deliver(c, event_id, "notify.test", payload, &retry_after, err, errlen);
	json_decref(payload);
	return rc;
}
