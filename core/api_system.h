/* core/api_system.h - health, readiness, metrics, plugins, dead letters. */
#ifndef SALVE_API_SYSTEM_H
#define SALVE_API_SYSTEM_H

#include "config.h"

void api_system_register_routes(const struct salve_config *cfg);

#endif
