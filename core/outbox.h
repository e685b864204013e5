/* core/outbox.h - worker threads that deliver durable hook events. */
#ifndef SALVE_OUTBOX_H
#define SALVE_OUTBOX_H

#include "config.h"

int outbox_start(const struct salve_config *cfg);
void outbox_wake(void);  /* something was enqueued: look now */
void outbox_stop(void);  /* workers finish the row they hold, then exit */
/* Pending rows, or -1 when the database cannot say. */
long outbox_depth(void);

#endif
