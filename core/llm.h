/*
 * core/llm.h - asking an llm backend plugin, for analyses and chat alike:
 * which backend (by name, the configured default, llm_offline, or the
 * first that runs), its prompt budget, and one timed request with the
 * llm.pre_request veto.
 */
#ifndef SALVE_LLM_H
#define SALVE_LLM_H

#include <salve/plugin.h>

#include "config.h"
#include "prompt.h"

/* The running llm plugin for name (NULL: the default).  NULL with err
 * filled when there is none. */
struct salve_plugin *llm_backend_find(const struct salve_config *cfg, const char *name, char *err, size_t errlen);
/* The backend's own budget, else analysis.token_budget. */
long llm_token_budget(const struct salve_config *cfg, struct salve_plugin *backend);
/* The configured model, or "" when the plugin does not say. */
const char *llm_model(struct salve_plugin *backend);

struct llm_result {
	int rc;                       /* SALVE_OK, SALVE_RETRY or -errno */
	struct salve_llm_response res; /* text is the caller's to free */
	long latency_ms;
};

/*
 * Sends prompt to backend, streaming through on_chunk when it is not
 * NULL.  A veto from an llm.pre_request handler ends it with -EPERM.  The
 * result's model falls back to llm_model() when the backend names none.
 */
void llm_ask(struct salve_plugin *backend, const struct prompt *prompt, const char *request_id, const char *purpose,
	     salve_llm_chunk_fn on_chunk, void *userdata, struct llm_result *out);

#endif
