/*
 * core/api_learning.c - what history says about an alert:
 *   GET /api/v1/alerts/{id}/similar?limit=5           similar past incidents
 *   GET /api/v1/alerts/{id}/recommendations?limit=5   runbooks ranked for it
 */
#include <errno.h>

#include "api_learning.h"
#include "http.h"
#include "recommend.h"
#include "similar.h"

#define LIMIT_DEFAULT 5

typedef int (*learning_fn)(PGconn *conn, const char *alert_id, int limit, json_t **items, char *err,
			   size_t errlen);

struct learning_route {
	learning_fn fn;
	const char *key;
	long max;
};

static const struct learning_route similar_route = { similar_for_alert, "similar", SIMILAR_LIMIT_MAX };
static const struct learning_route recommend_route = { recommend_for_alert, "recommendations", RECOMMEND_LIMIT_MAX };

static void answer(struct salve_request *req, void *ud)
{
	const struct learning_route *route = ud;
	const char *id = salve_request_param(req, "id");
	PGconn *db;
	json_t *items;
	char err[256];
	long limit;
	int rc;

	if (http_page_limit(req, LIMIT_DEFAULT, route->max, &limit) < 0)
		return;
	if (!(db = http_request_db(req))) {
		http_respond_db_unavailable(req);
		return;
	}
	rc = route->fn(db, id, (int)limit, &items, err, sizeof(err));
	if (rc == -EINVAL)
		salve_respond_error(req, 400, "invalid_parameter", "%s", err);
	else if (rc == -ENOENT)
		salve_respond_error(req, 404, "not_found", "%s", err);
	else if (rc < 0)
		http_respond_db_unavailable(req);
	else
		salve_respond_json(req, 200, json_pack("{s:s,s:I,s:o}", "alert_id", id, "count",
						       (json_int_t)json_array_size(items), route->key, items));
}

void learning_register_routes(const struct salve_config *cfg)
{
	similar_configure(cfg);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}/similar", SALVE_ROLE_VIEWER, answer, (void *)&similar_route);
	http_route_add(NULL, "GET", "/api/v1/alerts/{id}/recommendations", SALVE_ROLE_VIEWER, answer,
		       (void *)&recommend_route);
}
