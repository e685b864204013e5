/* core/api_insights.h - the insights routes (core/api_insights.c). */
#ifndef SALVE_API_INSIGHTS_H
#define SALVE_API_INSIGHTS_H

#include "config.h"

void api_insights_register_routes(const struct salve_config *cfg);

#endif
