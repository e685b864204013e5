/* core/wakeup.h - "look now" for worker threads that otherwise poll, and their pool. */
#ifndef SALVE_WAKEUP_H
#define SALVE_WAKEUP_H

#include <pthread.h>

struct wakeup {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long seq;
};
#define WAKEUP_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }

/* Wakes every waiter now. */
void wakeup_signal(struct wakeup *w);
/* Sleeps up to ms, or until wakeup_signal(), or at once when *stopping. */
void wakeup_wait(struct wakeup *w, long ms, const volatile int *stopping);

/* A fixed set of worker threads running one function. */
struct worker_pool {
	pthread_t *threads;
	size_t n;
};

/* Starts n threads running fn(NULL).  0, -ENOMEM, or -EAGAIN (those that
 * started are in the pool: worker_pool_join() still ends them). */
int worker_pool_start(struct worker_pool *wp, size_t n, void *(*fn)(void *));
/* Joins every thread (they must be told to stop first) and empties the pool. */
void worker_pool_join(struct worker_pool *wp);

/* "host:pid", naming this salved in rows it claims. */
void worker_instance_name(char *out, size_t len);

#endif
