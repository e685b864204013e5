/*
 * core/wakeup.c - a poll interval that can be cut short.  Workers poll the
 * database (other salved instances change it too), but a change made in
 * this process wakes them at once.
 */
#include <errno.h>
#include <time.h>

#include "wakeup.h"

void wakeup_signal(struct wakeup *w)
{
	pthread_mutex_lock(&w->lock);
	w->seq++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void wakeup_wait(struct wakeup *w, long ms, const volatile int *stopping)
{
	struct timespec until;
	unsigned long seen;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&w->lock);
	seen = w->seq;
	while (!*stopping && seen == w->seq)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&w->lock);
}
