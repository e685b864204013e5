/* core/chat.h - chat sessions about alerts, answered by an llm backend
 * with the answer streamed by SSE; feedback on each answer. */
#ifndef SALVE_CHAT_H
#define SALVE_CHAT_H

#include "config.h"

void chat_register_routes(const struct salve_config *cfg);
/* Asks the answers being written to stop, and waits for them (10 s at most). */
void chat_stop(void);

#endif
