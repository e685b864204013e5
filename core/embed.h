/*
 * core/embed.h - pages for Grafana panel iframes (/embed/...): the analysis
 * feedback widget, the outcome prompt and an alert summary, with their own
 * authentication (auth-proxy header or a signed, expiring link).
 *
 * A signed link carries exp=<unix seconds>&sig=<hex>[&user=<name>] where
 *   sig = lowercase hex HMAC-SHA256(embed.signing_key, "<kind>:<id>:<exp>:<user>")
 * kind is "alert" (covers /embed/alerts/{id}/feedback and .../summary) or
 * "execution" (/embed/executions/{id}/outcome); id is the path segment as
 * sent; user is the user parameter as given, "" when absent (submissions
 * are then stored as embed.default_user).
 */
#ifndef SALVE_EMBED_H
#define SALVE_EMBED_H

#include <time.h>
#include <jansson.h>

#include "buf.h"
#include "config.h"

/* The one HTML escaper: & < > " ' become entities.  NULL appends nothing.
 * 0 or -ENOMEM. */
int embed_html_escape(struct buf *b, const char *s);

/* Percent-encodes everything but A-Z a-z 0-9 - . _ ~ (for query values). */
int embed_url_encode(struct buf *b, const char *s);

/* out = the link signature (64 hex characters and a NUL).  user NULL is "". */
int embed_sign(const char *key, const char *kind, const char *id, const char *exp, const char *user,
	       char out[65]);

/* Checks a signed link at time now.  0 valid;
 *   -ENOKEY       no signing key is configured
 *   -EINVAL       exp or sig missing or malformed
 *   -EACCES       the signature does not match (tampered, or another scope)
 *   -EKEYEXPIRED  the signature matches but exp has passed
 * The signature is compared in constant time. */
int embed_verify(const char *key, const char *kind, const char *id, const char *exp, const char *user,
		 const char *sig, time_t now);

/* Appends "exp=..&sig=..[&user=..]" for a link valid until exp. */
int embed_link_query(struct buf *b, const char *key, const char *kind, const char *id, time_t exp,
		     const char *user);

/* "30d", "12h", "15m", "90s" or plain seconds; 0 or -EINVAL. */
int embed_parse_ttl(const char *text, long *seconds);

/* application/x-www-form-urlencoded to {"name": ["value", ...]}: '+' is a
 * space, %XX a byte (a malformed escape stays as written), a repeated name
 * keeps every value in order.  0; -EILSEQ when a name or value is not
 * UTF-8 or holds a NUL; -ENOMEM. */
int embed_form_parse(const char *body, size_t len, json_t **form);

/* The stylesheet and script, compiled in (embed_assets.c). */
extern const char embed_asset_css[];
extern const char embed_asset_js[];

/* GET/POST /embed/alerts/{id}/feedback, GET/POST /embed/executions/{id}/outcome,
 * GET /embed/alerts/{id}/summary, GET /embed/static/embed.{css,js}. */
void embed_register_routes(const struct salve_config *cfg);

#endif
