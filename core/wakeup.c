/*
 * core/wakeup.c - a poll interval that can be cut short.  Workers poll the
 * database (other salved instances change it too), but a change made in
 * this process wakes them at once.  Also the pool those workers run in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

int worker_pool_start(struct worker_pool *wp, size_t n, void *(*fn)(void *))
{
	wp->n = 0;
	wp->threads = calloc(n ? n : 1, sizeof(*wp->threads));
	if (!wp->threads)
		return -ENOMEM;
	for (; wp->n < n; wp->n++)
		if (pthread_create(&wp->threads[wp->n], NULL, fn, NULL) != 0)
			return -EAGAIN;
	return 0;
}

void worker_pool_join(struct worker_pool *wp)
{
	for (size_t i = 0; i < wp->n; i++)
		pthread_join(wp->threads[i], NULL);
	free(wp->threads);
	wp->threads = NULL;
	wp->n = 0;
}

void worker_instance_name(char *out, size_t len)
{
	char host[64] = "localhost";

	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "%s:%d", host, (int)getpid());
}
