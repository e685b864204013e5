/* core/api_learning.h - the learning routes of an alert. */
#ifndef SALVE_API_LEARNING_H
#define SALVE_API_LEARNING_H

#include "config.h"

/* GET /api/v1/alerts/{id}/similar and /recommendations; takes the
 * learning settings from cfg. */
void learning_register_routes(const struct salve_config *cfg);

#endif
