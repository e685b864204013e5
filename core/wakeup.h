/* core/wakeup.h - "look now" for worker threads that otherwise poll. */
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

#endif
