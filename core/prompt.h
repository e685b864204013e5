/*
 * core/prompt.h - the prompt builder: what an LLM is told about an alert,
 * within a token budget, with every piece of outside text fenced as data.
 *
 * Two steps.  prompt_context_for_alert() gathers the structured context
 * (doc/ARCHITECTURE.md, "Prompt context") from the database through a
 * table of sources: the alert, similar incidents, runbook performance and
 * related articles.  prompt_build_analysis() and prompt_build_chat() turn
 * a context into messages; they are pure (no database, no globals), so
 * tests and benchmarks call them directly.
 *
 * Tokens are estimated as one per four bytes, rounded up, plus four per
 * message: close enough for English and JSON with the tokenizers in use,
 * and on the safe side for code and labels.
 */
#ifndef SALVE_PROMPT_H
#define SALVE_PROMPT_H

#include <stddef.h>
#include <jansson.h>
#include <libpq-fe.h>

/* Used when neither the backend nor the config names a budget. */
#define PROMPT_DEFAULT_BUDGET 4000
/* The smallest budget accepted: instructions and the alert must fit. */
#define PROMPT_MIN_BUDGET 300

struct prompt {
	json_t *messages; /* [{"role","content"}] in order */
	json_t *context;  /* the context used, with "dropped" filled in */
	long tokens;      /* the estimate for messages */
	long budget;
};

long prompt_estimate_tokens(const char *text);

/*
 * Gathers {"alert", "similar", "runbooks", "articles", "dropped"} for an
 * alert.  A source that fails leaves its section empty and says so in
 * "dropped" (reason "unavailable: ..."): an analysis with less history
 * beats none.  0 with *context set; -ENOENT no such alert, -EINVAL not a
 * UUID, -EAGAIN database trouble (err says why).
 */
int prompt_context_for_alert(PGconn *db, const char *alert_id, json_t **context, char *err, size_t errlen);

/*
 * The analysis prompt for a context (borrowed; the result holds a copy):
 * a system message with the instructions and a user message with the
 * alert, historical context, runbook performance and articles, in the
 * feature plan's template.  When over budget, the least relevant items go
 * first (articles, then runbooks, then similar incidents, each by score),
 * then the alert's longest texts are cut; each is recorded in
 * context.dropped.  fence: the marker's nonce (NULL: a random one).
 * 0, -ENOMEM or -EINVAL (no alert in context).
 */
int prompt_build_analysis(json_t *context, long budget, const char *fence, struct prompt *out);

/*
 * A chat prompt: instructions, the context (with the alert's latest
 * analysis, context.analysis, when there is one) and the conversation
 * turns ([{"role": "user"|"assistant", "content", "seq"}], oldest first,
 * the question last).  The oldest turns are dropped first, then context
 * items as above; the question itself is always kept (cut if it must be).
 * context may be NULL for a free-standing chat.
 */
int prompt_build_chat(json_t *context, json_t *turns, long budget, const char *fence, struct prompt *out);

void prompt_free(struct prompt *p);

#endif
