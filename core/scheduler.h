/* core/scheduler.h - periodic work, run by exactly one salved at a time. */
#ifndef SALVE_SCHEDULER_H
#define SALVE_SCHEDULER_H

#include "config.h"

int scheduler_start(const struct salve_config *cfg);
void scheduler_stop(void);
int scheduler_is_leader(void);
unsigned long scheduler_runs(void);

#endif
