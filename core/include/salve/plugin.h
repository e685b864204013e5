/*
 * salve/plugin.h - the public plugin ABI of salve.
 *
 * A plugin is a shared object that exports exactly one function,
 * salve_plugin_entry(), returning a const descriptor.  Everything else a
 * plugin needs from the daemon it reaches through the salve_* functions
 * declared here; the core prefixes every log line with [kind:name].
 *
 * Compatibility: the loader refuses a different SALVE_ABI_MAJOR, a newer
 * SALVE_ABI_MINOR than its own, a descriptor larger than it knows, non-zero
 * reserved slots, and a name that differs from the file name.  Members that
 * an older plugin lacks read as zero.  Additions go at the end of a struct
 * (taking a reserved slot) and bump SALVE_ABI_MINOR.
 */
#ifndef SALVE_PLUGIN_H
#define SALVE_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SALVE_ABI_MAJOR 1
#define SALVE_ABI_MINOR 3

/* Return codes shared by plugin callbacks: 0 or a negative errno, plus
 * SALVE_RETRY where delivery may be attempted again later. */
#define SALVE_OK 0
#define SALVE_RETRY 1

enum salve_kind {
	SALVE_KIND_SOURCE = 1, /* alert intake */
	SALVE_KIND_LLM,        /* complete and stream */
	SALVE_KIND_KB,         /* knowledge storage and search */
	SALVE_KIND_NOTIFY,     /* deliver notifications */
	SALVE_KIND_EXEC,       /* run one runbook step */
	SALVE_KIND_WIDGET      /* dashboard data plus client asset */
};

struct salve_plugin; /* one loaded plugin instance, owned by the core */

/* ---- configuration map (the table is also the documentation) ---- */

enum salve_config_type {
	SALVE_CFG_STRING = 1, /* char *, owned by the core */
	SALVE_CFG_INT,        /* long */
	SALVE_CFG_BOOL,       /* int, 0 or 1 */
	SALVE_CFG_DOUBLE,     /* double */
	SALVE_CFG_STRLIST     /* char **, NULL-terminated, owned by the core */
};

#define SALVE_CFG_REQUIRED 0x1 /* the key must be present */
#define SALVE_CFG_SECRET   0x2 /* never logged */

struct salve_config_entry {
	enum salve_config_type type;
	const char *key;
	const char *default_value; /* parsed like a YAML scalar; NULL: none */
	size_t offset;             /* offsetof() into the plugin's context */
	const char *doc;
	unsigned flags;
};
#define SALVE_CONFIG_END { 0, NULL, NULL, 0, NULL, 0 }

/* ---- per-kind operations: every ops table starts with this header ---- */

struct salve_ops_header {
	uint32_t size;         /* sizeof the ops struct as the plugin was built */
	enum salve_kind kind;  /* must equal the descriptor's kind */
};

struct salve_source_ops {
	struct salve_ops_header hdr;
	const char *source;    /* value stored in alerts.source, e.g. "alertmanager" */
};

/* Executors run one rendered runbook step (since ABI 1.2).  The argv
 * elements are final strings: values from alerts were substituted into
 * single elements and must never pass through a shell. */
struct salve_exec_step {
	const char *const *argv;  /* NULL-terminated */
	const char *target;       /* the host it runs against; NULL for none */
	long timeout_ms;          /* kill everything the step started after this */
	const char *execution_id;
	int step_index;
};

struct salve_exec_result {
	int exit_status;    /* when the step exited */
	int signal;         /* when a signal ended it (timeout, cancel), else 0 */
	int timed_out;      /* 1 when the timeout ended it */
	int cancelled;      /* 1 when a cancel ended it */
	char *output;       /* stdout and stderr, malloc()ed, NUL-terminated; the core frees it */
	size_t output_len;
	int truncated;      /* 1 when the output cap cut it (the text says so at its end) */
	char error[256];    /* why it could not start, when run() returns < 0 */
};

struct salve_exec_ops {
	struct salve_ops_header hdr;
	/* 0 when the step ran, whatever its exit status; a negative errno
	 * when it could not start (error says why).  *cancel turns non-zero
	 * when the execution is cancelled: stop the step and return. */
	int (*run)(void *ctx, const struct salve_exec_step *step, struct salve_exec_result *result,
		   const volatile int *cancel);
};

/* ---- LLM backends (since ABI 1.3) ---- */

struct salve_llm_message {
	const char *role;    /* "system", "user" or "assistant" */
	const char *content;
};

struct salve_llm_request {
	const struct salve_llm_message *messages; /* the prompt, as built by core/prompt.c */
	size_t nmessages;
	/* The same context in structure, borrowed: {"alert": {...},
	 * "similar": [...], "runbooks": [...], "articles": [...],
	 * "dropped": [...]} (shapes in doc/ARCHITECTURE.md, "Prompt context").
	 * Network backends may ignore it; llm_offline writes from it alone. */
	json_t *context;
	long max_tokens;     /* 0: the backend's configured default */
	double temperature;  /* < 0: the backend's configured default */
	const char *request_id; /* for logs and idempotency headers */
};

/* Called with each piece of text as it arrives when streaming.  Return
 * non-zero to stop the request (the client went away). */
typedef int (*salve_llm_chunk_fn)(const char *text, size_t len, void *userdata);

struct salve_llm_response {
	char *text;              /* the whole answer, malloc()ed; the core frees it */
	char model[128];         /* the model that answered, as the server named it */
	long prompt_tokens;      /* as reported; -1 when unknown */
	long completion_tokens;  /* as reported; -1 when unknown */
	int http_status;         /* the last HTTP status seen; 0 for none */
	char error[512];         /* why, when complete() does not return SALVE_OK */
};

struct salve_llm_ops {
	struct salve_ops_header hdr;
	/* SALVE_OK; SALVE_RETRY when a later attempt may succeed (429 and 5xx
	 * after the plugin's own retries, timeouts, a cut stream); or a
	 * negative errno when it will not (4xx other than 429, a malformed
	 * answer).  on_chunk NULL: not streaming.  error says why. */
	int (*complete)(void *ctx, const struct salve_llm_request *req, salve_llm_chunk_fn on_chunk,
			void *userdata, struct salve_llm_response *res);
	/* The configured model name, for display before any answer. */
	const char *(*model)(void *ctx);
	/* The prompt budget in tokens (config token_budget); 0: the core's default. */
	long (*token_budget)(void *ctx);
};

/* ---- knowledge stores (since ABI 1.3) ---- */

/* Articles travel as JSON objects in the shape of GET /api/v1/articles/{slug}
 * (doc/openapi.yaml, Article).  Every call returns SALVE_OK or a negative
 * errno: -ENOENT not found, -EEXIST slug taken, -ESTALE version conflict,
 * -EINVAL bad article (error says which field), -EAGAIN store unavailable. */
struct salve_kb_ops {
	struct salve_ops_header hdr;
	int (*get)(void *ctx, const char *slug, json_t **article, char *error, size_t errlen);
	/* Creates or updates; expect_version 0: create, > 0: update only if the
	 * stored version is that one.  *saved gets the stored article. */
	int (*put)(void *ctx, json_t *article, const char *editor, const char *edit_summary,
		   long expect_version, json_t **saved, char *error, size_t errlen);
	/* filter: {"category", "tag", "limit", "cursor"}; *page: {"items", "next_cursor"} */
	int (*list)(void *ctx, json_t *filter, json_t **page, char *error, size_t errlen);
	/* query: {"q", "category", "tag", "limit"}; *hits: array of articles with "rank" and "snippet" */
	int (*search)(void *ctx, json_t *query, json_t **hits, char *error, size_t errlen);
	/* *versions: array of {"version", "editor", "edit_summary", "created_at"} */
	int (*history)(void *ctx, const char *slug, json_t **versions, char *error, size_t errlen);
	/* The members below may be missing from a plugin built against an
	 * earlier header (hdr.size tells): the core answers 501 for them. */
	/* Removes the article and its versions. */
	int (*remove)(void *ctx, const char *slug, char *error, size_t errlen);
	/* One kept version: {"version", "editor", "edit_summary", "created_at",
	 * "title", "content", "document": the editable fields as saved}. */
	int (*version)(void *ctx, const char *slug, long version, json_t **entry, char *error, size_t errlen);
	/* Records user's "was this helpful?" (one answer each, the last counts);
	 * *count gets the article's helpful_count. */
	int (*vote)(void *ctx, const char *slug, const char *user, int helpful, long *count, char *error,
		    size_t errlen);
};

/* ---- notification channels (since ABI 1.3) ---- */

struct salve_notification {
	const char *channel;      /* the channel's name in the routing config */
	const char *event_id;     /* stable across retries: receivers deduplicate by it */
	const char *event;        /* "alert.received", ... */
	json_t *payload;          /* borrowed: the event's payload, or {"group": [...]} for a grouped batch */
	const char *title;        /* one line, rendered by the core */
	const char *text;         /* plain text body, rendered by the core */
	const char *link;         /* absolute URL into salve's UI; may be NULL */
};

struct salve_notify_ops {
	struct salve_ops_header hdr;
	/* SALVE_OK, SALVE_RETRY (with *retry_after_ms set when the receiver said
	 * when, else 0), or a negative errno for a permanent refusal (error
	 * says why).  Called from outbox workers: block at most the timeout. */
	int (*deliver)(void *ctx, const struct salve_notification *n, long *retry_after_ms,
		       char *error, size_t errlen);
};

/* ---- the descriptor ---- */

struct salve_plugin_desc {
	uint32_t size; /* sizeof(struct salve_plugin_desc) as the plugin was built */
	uint16_t abi_major;
	uint16_t abi_minor;
	const char *name;        /* must equal the file name without ".so" */
	const char *version;
	const char *description;
	enum salve_kind kind;
	const struct salve_config_entry *config; /* ends with SALVE_CONFIG_END */
	size_t ctx_size;         /* the core allocates and zeroes this much */
	/* Validate and register routes and hooks here, nowhere else.  Also run
	 * by salved --check-config and --list-routes and by salvectl plugins and
	 * doctor, which never call start or stop: keep it cheap and free of
	 * side effects other than registering. */
	int (*init)(struct salve_plugin *p, void *ctx);
	int (*start)(struct salve_plugin *p, void *ctx);
	/* Frees what init and start allocated.  Also called once after init
	 * when start never ran (salved --check-config, salvectl), so it must
	 * cope with a plugin that was never started. */
	void (*stop)(struct salve_plugin *p, void *ctx);
	const struct salve_ops_header *ops;
	void *reserved[6];       /* must be zero */
};

#define SALVE_PLUGIN_HEADER                                   \
	.size = sizeof(struct salve_plugin_desc),             \
	.abi_major = SALVE_ABI_MAJOR, .abi_minor = SALVE_ABI_MINOR

/* The one symbol a plugin exports. */
const struct salve_plugin_desc *salve_plugin_entry(void);

/* ---- logging: the core adds the [kind:name] prefix ---- */

enum salve_log_level {
	SALVE_LOG_ERROR = 3,
	SALVE_LOG_WARN = 4,
	SALVE_LOG_INFO = 6,
	SALVE_LOG_DEBUG = 7
};

void salve_log(struct salve_plugin *p, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define salve_error(p, ...) salve_log((p), SALVE_LOG_ERROR, __VA_ARGS__)
#define salve_warn(p, ...)  salve_log((p), SALVE_LOG_WARN, __VA_ARGS__)
#define salve_info(p, ...)  salve_log((p), SALVE_LOG_INFO, __VA_ARGS__)
#define salve_debug(p, ...) salve_log((p), SALVE_LOG_DEBUG, __VA_ARGS__)

/* ---- events and hooks ---- */

#define SALVE_EVF_OBSERVE  0x0
#define SALVE_EVF_VETOABLE 0x1

enum salve_event_id {
#define SALVE_EVENT(id, name, flags) SALVE_EV_##id,
#include <salve/events.def>
#undef SALVE_EVENT
	SALVE_EV__COUNT
};

struct salve_event {
	enum salve_event_id id;
	const char *name;     /* "alert.received" */
	unsigned flags;       /* SALVE_EVF_* */
	int64_t time_us;      /* when it happened, microseconds since the epoch:
			       * sync, when emitted; durable, the outbox row's
			       * created_at (the same on every retry) */
	const char *event_id; /* uuid, stable across durable retries */
	json_t *payload;      /* borrowed; see hooks/README.md per event */
};

enum salve_hook_result {
	SALVE_HOOK_CONTINUE = 0, /* the next handler runs */
	SALVE_HOOK_HANDLED = 1,  /* stop; the core skips its default action
				  * (alert.pre_store: the alert is not stored) */
	SALVE_HOOK_VETO = 2      /* stop; refuse the action (vetoable events) */
	/* or a negative errno: logged, and the chain goes on */
};

typedef int (*salve_hook_fn)(const struct salve_event *ev, void *userdata);

/* Synchronous, in-process, after commit.  Lower priority runs first. */
int salve_hook_register(struct salve_plugin *p, enum salve_event_id ev,
			int priority, salve_hook_fn fn, void *userdata);
/* Durable: delivered from the outbox by a worker, at least once.  The
 * handler returns SALVE_OK, SALVE_RETRY or a negative errno (dead letter
 * once attempts run out).  Consumers must be idempotent by event_id. */
int salve_hook_register_durable(struct salve_plugin *p, enum salve_event_id ev,
				salve_hook_fn fn, void *userdata);

/* ---- HTTP routes ---- */

enum salve_role {
	SALVE_ROLE_PUBLIC = 0, /* the core checks nothing: the handler must */
	SALVE_ROLE_VIEWER = 1,
	SALVE_ROLE_RESPONDER = 2,
	SALVE_ROLE_EDITOR = 3,
	SALVE_ROLE_ADMIN = 4
};

struct salve_request;
typedef void (*salve_route_fn)(struct salve_request *req, void *userdata);

/* pattern: "/api/v1/things/{id}"; a handler answers exactly once. */
int salve_route_add(struct salve_plugin *p, const char *method,
		    const char *pattern, enum salve_role min_role,
		    salve_route_fn fn, void *userdata);

const char *salve_request_method(struct salve_request *req);
const char *salve_request_path(struct salve_request *req);
const char *salve_request_header(struct salve_request *req, const char *name);
const char *salve_request_query(struct salve_request *req, const char *name);
const char *salve_request_param(struct salve_request *req, const char *name);
const char *salve_request_body(struct salve_request *req, size_t *len);
const char *salve_request_user(struct salve_request *req); /* NULL if none */

/* Adds a header to the answer still to come (call before responding;
 * at most 8 per request).  A 401 gets WWW-Authenticate: Bearer unless one
 * is set here.  0, -EINVAL (NULL, a name with CR, LF or ':', a value with
 * CR or LF), -ENOSPC or -ENOMEM.  Since ABI 1.1. */
int salve_respond_header(struct salve_request *req, const char *name, const char *value);
/* body is stolen (decref'd by the core). */
int salve_respond_json(struct salve_request *req, unsigned status, json_t *body);
int salve_respond_error(struct salve_request *req, unsigned status,
			const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- alerts ---- */

struct salve_alert_in {
	const char *fingerprint; /* required */
	const char *alert_name;  /* required */
	const char *status;      /* "firing" or "resolved" */
	const char *severity;    /* may be NULL */
	const char *instance;    /* may be NULL */
	json_t *labels;          /* object, borrowed */
	json_t *annotations;     /* object, borrowed */
	int64_t starts_at_us;    /* required */
	int64_t ends_at_us;      /* 0: unset */
	const char *generator_url;
};

struct salve_ingest_result {
	size_t created;  /* new alert rows */
	size_t updated;  /* repeats of a known (fingerprint, starts_at) */
	size_t resolved; /* firing rows closed by this call */
	size_t vetoed;   /* refused (VETO) or taken over (HANDLED) by an alert.pre_store handler */
};

/* Stores every alert in one transaction; returns after COMMIT.  Of alerts
 * with the same (fingerprint, starts_at_us) only the last is stored.
 * 0, -EAGAIN (database unavailable: answer 503), -EINVAL. */
int salve_alerts_ingest(struct salve_plugin *p, const struct salve_alert_in *alerts,
			size_t n, struct salve_ingest_result *result);

/* RFC 3339 to microseconds since the epoch.  0, or -EINVAL. */
int salve_time_parse_rfc3339(const char *text, int64_t *out_us);

/* ---- database ---- */

typedef struct pg_conn PGconn;
/* NULL while the database is unavailable. */
PGconn *salve_db_acquire(struct salve_plugin *p);
void salve_db_release(struct salve_plugin *p, PGconn *conn);

#ifdef __cplusplus
}
#endif
#endif /* SALVE_PLUGIN_H */
