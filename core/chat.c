/*
 * core/chat.c - chat about an alert (or about nothing in particular):
 *   POST /api/v1/chat/sessions                 start one (alert-bound or free)
 *   GET  /api/v1/chat/sessions                 one's recent sessions (?alert_id=)
 *   GET  /api/v1/chat/sessions/{id}            a session with its messages
 *   POST /api/v1/chat/sessions/{id}/messages   ask; the answer streams back by SSE
 *   POST /api/v1/chat/sessions/{id}/feedback   feedback on an answer (message_id)
 *
 * The question is stored before anything is streamed; the answer is
 * written by its own thread into the SSE stream and stored when complete
 * (or stored as failed, with the error).  At most analysis.chat_max_streams
 * answers are written at once; more get 503.  The prompt holds the alert,
 * its latest analysis, similar incidents and the conversation, within the
 * backend's budget (core/prompt.c drops the oldest turns first).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chat.h"
#include "db.h"
#include "feedback.h"
#include "http.h"
#include "llm.h"
#include "log.h"
#include "plugins.h"
#include "prompt.h"
#include "sse.h"

#define CHAT_TEXT_MAX 20000  /* characters of one question */
#define CHAT_TITLE_MAX 200

static const struct salve_config *config;
static int active;            /* answers being written (atomic) */
static volatile int stopping;

static const char session_json[] =
	"jsonb_build_object('id', s.id, 'alert_id', s.alert_id, 'title', s.title, 'backend', s.backend,"
	" 'created_by', s.created_by, 'created_at', s.created_at, 'updated_at', s.updated_at)";
static const char message_json[] =
	"jsonb_build_object('id', m.id, 'session_id', m.session_id, 'seq', m.seq, 'role', m.role,"
	" 'content', m.content, 'status', m.status, 'error', m.error, 'backend', m.backend, 'model', m.model,"
	" 'prompt_tokens', m.prompt_tokens, 'completion_tokens', m.completion_tokens,"
	" 'latency_ms', m.latency_ms, 'author', m.author, 'created_at', m.created_at)";

static json_t *body_object(struct salve_request *req, const char *example)
{
	size_t len;
	const char *text = salve_request_body(req, &len);
	json_error_t jerr;
	json_t *body = len ? json_loadb(text, len, 0, &jerr) : json_object();

	if (!json_is_object(body)) {
		json_decref(body);
		salve_respond_error(req, 400, "invalid_json", "expected a JSON object like %s", example);
		return NULL;
	}
	return body;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* ---- sessions ---- */

static void create_session(struct salve_request *req, void *ud)
{
	json_t *body = body_object(req, "{\"alert_id\":\"...\",\"title\":\"disk on db-1\"}"), *fields, *v;
	const char *key, *alert_id, *title, *backend_name;
	struct salve_plugin *backend;
	char err[256];
	PGresult *res;
	PGconn *db;
	int rc;

	(void)ud;
	if (!body)
		return;
	fields = json_array();
	json_object_foreach(body, key, v) {
		if (strcmp(key, "alert_id") && strcmp(key, "title") && strcmp(key, "backend"))
			json_array_append_new(fields, json_pack("{s:s,s:s}", "field", key,
								"message", "unknown field (expected alert_id, title, backend)"));
		else if (!json_is_string(v) && !json_is_null(v))
			json_array_append_new(fields, json_pack("{s:s,s:s}", "field", key, "message", "expected a string"));
	}
	title = json_string_value(json_object_get(body, "title"));
	if (title && utf8_chars(title) > CHAT_TITLE_MAX)
		json_array_append_new(fields, json_pack("{s:s,s:s}", "field", "title", "message",
							"longer than 200 characters"));
	if (json_array_size(fields)) {
		json_decref(body);
		http_respond_field_errors(req, "invalid_payload", "the session has problems; see fields", fields);
		return;
	}
	json_decref(fields);
	alert_id = json_string_value(json_object_get(body, "alert_id"));
	backend_name = json_string_value(json_object_get(body, "backend"));
	if (!(backend = llm_backend_find(config, backend_name, err, sizeof(err)))) {
		salve_respond_error(req, backend_name ? 422 : 503, backend_name ? "unknown_backend" : "no_backend", "%s", err);
		json_decref(body);
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	{
		const char *params[] = { alert_id, title ? title : "", backend->name, salve_request_user(req) };
		char sql[700];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO chat_sessions AS s (alert_id, title, backend, created_by)"
			 " SELECT $1::uuid, $2, $3, $4 WHERE $1 IS NULL OR EXISTS (SELECT 1 FROM alerts WHERE id = $1::uuid)"
			 " RETURNING (%s)::text",
			 session_json);
		rc = db_exec(db, &res, sql, 4, params);
	}
	if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "alert_id: \"%s\" is not a UUID", alert_id);
	else if (rc < 0)
		http_respond_db_unavailable(req);
	else if (PQntuples(res) == 0)
		salve_respond_error(req, 404, "not_found", "no alert %s", alert_id);
	else
		salve_respond_json(req, 201, json_loads(PQgetvalue(res, 0, 0), 0, NULL));
	if (rc == 0)
		PQclear(res);
	json_decref(body);
}

static void list_sessions(struct salve_request *req, void *ud)
{
	const char *alert_id = salve_request_query(req, "alert_id");
	const char *params[] = { salve_request_user(req), alert_id };
	PGconn *db = http_request_db(req);
	PGresult *res;
	char sql[900];
	int rc;

	(void)ud;
	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(jsonb_agg(%s || jsonb_build_object('messages',"
		 "   (SELECT count(*) FROM chat_messages m WHERE m.session_id = s.id)) ORDER BY s.updated_at DESC), '[]')::text"
		 " FROM (SELECT * FROM chat_sessions WHERE (created_by = $1 OR $2::uuid IS NOT NULL)"
		 "       AND ($2::uuid IS NULL OR alert_id = $2::uuid) ORDER BY updated_at DESC LIMIT 50) s",
		 session_json);
	rc = db ? db_exec(db, &res, sql, 2, params) : -EAGAIN;
	if (rc == -EINVAL) {
		salve_respond_error(req, 400, "invalid_parameter", "alert_id: \"%s\" is not a UUID", alert_id);
		return;
	}
	if (rc < 0) {
		http_respond_db_unavailable(req);
		return;
	}
	salve_respond_json(req, 200, json_pack("{s:o}", "sessions", json_loads(PQgetvalue(res, 0, 0), 0, NULL)));
	PQclear(res);
}

static void get_session(struct salve_request *req, void *ud)
{
	char sql[1600];
	PGresult *res;

	(void)ud;
	snprintf(sql, sizeof(sql),
		 "SELECT (%s || jsonb_build_object('messages', (SELECT coalesce(jsonb_agg(%s"
		 "   || jsonb_build_object('feedback', (SELECT jsonb_agg(" FEEDBACK_ROW_JSON("f") ")"
		 "        FROM chat_feedback f JOIN users u ON u.id = f.user_id WHERE f.message_id = m.id))"
		 "   ORDER BY m.seq), '[]') FROM chat_messages m WHERE m.session_id = s.id)))::text"
		 " FROM chat_sessions s WHERE s.id = $1::uuid",
		 session_json, message_json);
	if (http_query_by_id(req, sql, "chat session", &res) < 0)
		return;
	salve_respond_json(req, 200, json_loads(PQgetvalue(res, 0, 0), 0, NULL));
	PQclear(res);
}

/* ---- answering ---- */

struct answer {
	char session_id[40];
	char *alert_id;       /* NULL: a free chat */
	char backend[128];
	struct sse_stream *stream;
};

static int on_chunk(const char *text, size_t len, void *ud)
{
	struct answer *a = ud;
	sse_send(a->stream, "token", text, len); /* a client gone still gets its answer stored */
	return stopping;
}

static json_t *chat_context(PGconn *db, const char *alert_id)
{
	const char *params[] = { alert_id };
	json_t *ctx = NULL;
	PGresult *res;
	char err[256];

	if (!alert_id || prompt_context_for_alert(db, alert_id, &ctx, err, sizeof(err)) < 0)
		return NULL;
	if (db_exec(db, &res,
		    "SELECT jsonb_build_object('answer', answer, 'backend', backend, 'model', model)::text FROM analyses"
		    " WHERE alert_id = $1::uuid AND status = 'succeeded' ORDER BY created_at DESC LIMIT 1",
		    1, params) == 0) {
		if (PQntuples(res))
			json_object_set_new(ctx, "analysis", json_loads(PQgetvalue(res, 0, 0), 0, NULL));
		PQclear(res);
	}
	return ctx;
}

static json_t *store_answer(PGconn *db, struct answer *a, const struct llm_result *r, const char *error)
{
	char pt[24], ct[24], lat[24];
	const char *params[] = { a->session_id, error ? (r->res.text ? r->res.text : "") : r->res.text,
				 error ? "failed" : "complete", error, a->backend, r->res.model[0] ? r->res.model : NULL,
				 r->res.prompt_tokens >= 0 ? pt : NULL, r->res.completion_tokens >= 0 ? ct : NULL, lat };
	PGresult *res;
	json_t *msg = NULL;
	char sql[1200];

	snprintf(pt, sizeof(pt), "%ld", r->res.prompt_tokens);
	snprintf(ct, sizeof(ct), "%ld", r->res.completion_tokens);
	snprintf(lat, sizeof(lat), "%ld", r->latency_ms);
	snprintf(sql, sizeof(sql),
		 "WITH s AS (UPDATE chat_sessions SET updated_at = now() WHERE id = $1::uuid RETURNING id)"
		 " INSERT INTO chat_messages AS m (session_id, seq, role, content, status, error, backend, model,"
		 " prompt_tokens, completion_tokens, latency_ms)"
		 " SELECT s.id, (SELECT coalesce(max(seq), 0) + 1 FROM chat_messages WHERE session_id = s.id), 'assistant',"
		 " left($2, 100000), $3, $4, $5, $6, $7::int, $8::int, $9::int FROM s RETURNING (%s)::text",
		 message_json);
	if (db_exec(db, &res, sql, 9, params) == 0) {
		if (PQntuples(res))
			msg = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		PQclear(res);
	}
	return msg;
}

static void *answer_thread(void *arg)
{
	struct answer *a = arg;
	struct salve_plugin *backend;
	struct llm_result r;
	struct prompt pr = { 0 };
	json_t *ctx = NULL, *turns = NULL, *msg;
	PGresult *res;
	PGconn *db;
	char err[700] = "";
	const char *params[] = { a->session_id };

	memset(&r, 0, sizeof(r));
	r.res.prompt_tokens = r.res.completion_tokens = -1;
	if (!(db = db_acquire())) {
		sse_send(a->stream, "error", "{\"error\":\"database unavailable\"}", 32);
		goto out;
	}
	if (db_exec(db, &res,
		    "SELECT coalesce(jsonb_agg(jsonb_build_object('role', role, 'content', content, 'seq', seq)"
		    " ORDER BY seq), '[]')::text FROM chat_messages WHERE session_id = $1::uuid AND status = 'complete'",
		    1, params) == 0) {
		turns = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		PQclear(res);
	}
	ctx = chat_context(db, a->alert_id);
	backend = llm_backend_find(config, a->backend, err, sizeof(err));
	if (backend && prompt_build_chat(ctx, turns, llm_token_budget(config, backend), NULL, &pr) < 0)
		snprintf(err, sizeof(err), "the prompt could not be built");
	if (!err[0]) {
		json_t *start = json_pack("{s:s,s:s}", "backend", backend->name, "model", llm_model(backend));
		char *text = json_dumps(start, JSON_COMPACT);
		sse_send(a->stream, "start", text, strlen(text));
		free(text);
		json_decref(start);
		llm_ask(backend, &pr, a->session_id, "chat", on_chunk, a, &r);
		if (r.rc != SALVE_OK)
			snprintf(err, sizeof(err), "%s: %s", backend->name, r.res.error);
	}
	msg = store_answer(db, a, &r, err[0] ? err : NULL);
	if (msg) {
		char *text = json_dumps(msg, JSON_COMPACT);
		sse_send(a->stream, err[0] ? "error" : "done", text, strlen(text));
		free(text);
		json_decref(msg);
	} else {
		sse_send(a->stream, "error", "{\"error\":\"the answer could not be stored\"}", 42);
	}
	db_release(db);
out:
	prompt_free(&pr);
	json_decref(ctx);
	json_decref(turns);
	free(r.res.text);
	sse_close(a->stream);
	free(a->alert_id);
	free(a);
	__atomic_sub_fetch(&active, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void post_message(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	json_t *body = body_object(req, "{\"content\":\"what changed on db-1?\"}"), *content;
	struct answer *a = NULL;
	PGresult *res = NULL;
	pthread_attr_t attr;
	pthread_t t;
	PGconn *db;
	char sql[1400];
	int rc;

	(void)ud;
	if (!body)
		return;
	content = json_object_get(body, "content");
	if (!json_is_string(content) || !json_string_length(content) || json_object_size(body) != 1 ||
	    utf8_chars(json_string_value(content)) > CHAT_TEXT_MAX) {
		int extra = json_object_size(body) > 1 && json_is_string(content);
		http_respond_field_errors(req, "invalid_payload", "the message has a problem; see fields",
					  json_pack("[{s:s,s:s}]", "field", extra ? "body" : "content", "message",
						    extra ? "only \"content\" may be given"
							  : "expected a non-empty string of up to 20000 characters"));
		json_decref(body);
		return;
	}
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	if (__atomic_add_fetch(&active, 1, __ATOMIC_SEQ_CST) > config->analysis.chat_max_streams || stopping) {
		__atomic_sub_fetch(&active, 1, __ATOMIC_SEQ_CST);
		json_decref(body);
		salve_respond_error(req, 503, "busy", "%ld chat answers are being written; retry shortly",
				    config->analysis.chat_max_streams);
		return;
	}
	snprintf(sql, sizeof(sql),
		 "WITH s AS (UPDATE chat_sessions SET updated_at = now() WHERE id = $1::uuid"
		 "           RETURNING id, alert_id, backend)"
		 " , m AS (INSERT INTO chat_messages (session_id, seq, role, content, author)"
		 "   SELECT s.id, (SELECT coalesce(max(seq), 0) + 1 FROM chat_messages WHERE session_id = s.id),"
		 "          'user', $2, $3 FROM s RETURNING *)"
		 " SELECT (%s)::text, s.alert_id::text, s.backend FROM m, s",
		 message_json);
	{
		const char *params[] = { id, json_string_value(content), salve_request_user(req) };
		rc = db_exec(db, &res, sql, 3, params);
	}
	json_decref(body);
	if (rc < 0 || PQntuples(res) == 0 || !(a = calloc(1, sizeof(*a))) || !(a->stream = sse_stream_new())) {
		__atomic_sub_fetch(&active, 1, __ATOMIC_SEQ_CST);
		if (rc == -EINVAL)
			salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
		else if (rc < 0)
			http_respond_db_unavailable(req);
		else if (PQntuples(res) == 0)
			salve_respond_error(req, 404, "not_found", "no chat session %s", id);
		else
			salve_respond_error(req, 500, "internal", "out of memory");
		if (rc == 0)
			PQclear(res);
		free(a);
		return;
	}
	snprintf(a->session_id, sizeof(a->session_id), "%s", id);
	a->alert_id = PQgetisnull(res, 0, 1) ? NULL : strdup(PQgetvalue(res, 0, 1));
	snprintf(a->backend, sizeof(a->backend), "%s", PQgetvalue(res, 0, 2));
	sse_send(a->stream, "question", PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)));
	PQclear(res);
	if (http_respond_sse(req, a->stream) < 0)
		log_warn("chat session %s: the answer stream could not be sent; the answer is still stored", id);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, answer_thread, a) != 0) {
		sse_send(a->stream, "error", "{\"error\":\"no thread for the answer\"}", 36);
		sse_close(a->stream);
		free(a->alert_id);
		free(a);
		__atomic_sub_fetch(&active, 1, __ATOMIC_SEQ_CST);
	}
	pthread_attr_destroy(&attr);
}

static void chat_feedback(struct salve_request *req, void *ud)
{
	const char *id = salve_request_param(req, "id");
	json_t *body = body_object(req, "{\"message_id\":\"...\",\"helpful\":true}"), *errors, *stored, *previous;
	const char *message_id;
	PGconn *db;
	int rc;

	(void)ud;
	if (!body)
		return;
	if (!(errors = feedback_validate_chat(body)) || json_array_size(errors)) {
		char message[64];
		snprintf(message, sizeof(message), "the feedback has %zu problem%s; see fields", json_array_size(errors),
			 json_array_size(errors) == 1 ? "" : "s");
		json_decref(body);
		if (!errors)
			salve_respond_error(req, 500, "internal", "out of memory");
		else
			http_respond_field_errors(req, "invalid_payload", message, errors);
		return;
	}
	json_decref(errors);
	if (!(db = http_request_db(req))) {
		json_decref(body);
		http_respond_db_unavailable(req);
		return;
	}
	message_id = json_string_value(json_object_get(body, "message_id"));
	if (message_id) {
		const char *params[] = { id, message_id };
		PGresult *res;
		rc = db_exec(db, &res, "SELECT role FROM chat_messages WHERE id = $2::uuid AND session_id = $1::uuid", 2,
			     params);
		if (rc == 0 && (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "assistant") != 0)) {
			int none = PQntuples(res) == 0;
			PQclear(res);
			if (none) /* message_id belongs to body: answer before letting it go */
				salve_respond_error(req, 404, "not_found", "no message %s in chat session %s", message_id, id);
			else
				http_respond_field_errors(req, "invalid_payload", "the feedback has 1 problem; see fields",
							  json_pack("[{s:s,s:s}]", "field", "message_id", "message",
								    "is a question; feedback is on answers"));
			json_decref(body);
			return;
		}
		if (rc == 0)
			PQclear(res);
		else if (rc != -EINVAL) {
			json_decref(body);
			http_respond_db_unavailable(req);
			return;
		}
	}
	rc = feedback_submit_chat(db, id, salve_request_user(req), body, &stored, &previous);
	if (rc < 0) {
		json_decref(body);
		if (rc == -EINVAL)
			salve_respond_error(req, 400, "invalid_parameter", "id: \"%s\" is not a UUID", id);
		else if (rc == -ENOENT)
			salve_respond_error(req, 404, "not_found", "no chat session %s", id);
		else if (rc == -EPERM)
			salve_respond_error(req, 403, "forbidden", "%s is not a known user", salve_request_user(req));
		else
			http_respond_db_unavailable(req);
		return;
	}
	http_request_audit_detail(req, json_pack("{s:o,s:o}", "previous", previous ? previous : json_null(),
						 "submitted", body));
	salve_respond_json(req, previous ? 200 : 201, stored);
}

void chat_register_routes(const struct salve_config *cfg)
{
	config = cfg;
	stopping = 0;
	http_route_add(NULL, "POST", "/api/v1/chat/sessions", SALVE_ROLE_RESPONDER, create_session, NULL);
	http_route_add(NULL, "GET", "/api/v1/chat/sessions", SALVE_ROLE_VIEWER, list_sessions, NULL);
	http_route_add(NULL, "GET", "/api/v1/chat/sessions/{id}", SALVE_ROLE_VIEWER, get_session, NULL);
	http_route_add(NULL, "POST", "/api/v1/chat/sessions/{id}/messages", SALVE_ROLE_RESPONDER, post_message, NULL);
	http_route_add(NULL, "POST", "/api/v1/chat/sessions/{id}/feedback", SALVE_ROLE_VIEWER, chat_feedback, NULL);
}

void chat_stop(void)
{
	stopping = 1;
	for (int i = 0; i < 1000 && __atomic_load_n(&active, __ATOMIC_SEQ_CST) > 0; i++)
		usleep(10000);
}
