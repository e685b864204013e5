/* core/changes.h - a change counter for alerts, driven by LISTEN/NOTIFY. */
#ifndef SALVE_CHANGES_H
#define SALVE_CHANGES_H

#include "config.h"

int changes_start(const struct salve_config *cfg);
void changes_stop(void);
/* Grows whenever alerts change, in this instance or any other. */
unsigned long changes_alerts_version(void);
void changes_register_routes(void);

#endif
