/* core/metrics.h - Prometheus text exposition of the daemon's own metrics. */
#ifndef SALVE_METRICS_H
#define SALVE_METRICS_H

#include <stddef.h>
#include "buf.h"

void metrics_observe_request(const char *route, const char *method, unsigned status, double seconds);
void metrics_add_alerts(const char *source, size_t n);
/* Appends every metric the module holds to out. */
void metrics_render(struct buf *out);
/* Appends one gauge with its HELP and TYPE lines. */
void metrics_render_gauge(struct buf *out, const char *name, const char *help, double value);
void metrics_reset(void);

#endif
