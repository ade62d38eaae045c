// SPDX-License-Identifier: GPL-2.0
/*
 * sekishod's password hashing threads.
 *
 * One argon2id verification (or, for a first-login password change, a
 * verification and a new hash) costs 64 MiB and a few hundred milliseconds of
 * CPU on real hardware (seconds under emulation).  Run on the event loop,
 * fifty users logging in at nine o'clock queue behind each other, and
 * nothing else moves meanwhile: no accept, no DTLS handover, no admin
 * command; clients time out their TLS handshake.  So the chain runs with
 * defer_hash and the event loop hands each verification to one of a few
 * threads here (conf hash_threads).  A group whose passwords a directory
 * checks (LDAP / Active Directory) sends its binds here too: sk_login_hash
 * is then the directory check, a network wait bounded by the directory's
 * timeouts (Documentation/admin/directory.md).
 *
 * A thread touches nothing but the struct sk_login of its job, through
 * sk_login_hash(): the copy of the stored hash and the posted password in
 * it.  The main thread does not use that login until the job comes back
 * (skd_login.hashing), and collects finished jobs from an eventfd in the
 * event loop.  Threads are started after the privilege drop, so they hold
 * what the main thread holds and no more; all signals stay blocked in them
 * (the main thread reads signals from a signalfd).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "daemon.h"

struct skd_hjob {
	struct skd_hjob *next;
	int slot;			/* index in d->logins */
	struct sk_login *l;
};

struct skd_hashq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct skd_hjob *todo, *todo_tail, *done;
	bool stop;
	int efd;
	int n;
	pthread_t th[SKD_HASH_THREADS_MAX];
};

static void *hash_thread(void *arg)
{
	struct skd_hashq *q = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct skd_hjob *j;

		while (!q->todo && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stop)
			break;
		j = q->todo;
		q->todo = j->next;
		if (!q->todo)
			q->todo_tail = NULL;
		pthread_mutex_unlock(&q->mu);

		(void)sk_login_hash(j->l);	/* argon2 in this thread's kept area */

		pthread_mutex_lock(&q->mu);
		j->next = q->done;
		q->done = j;
		/* fails only when the counter would pass 2^64 - 2, and then
		 * the loop is awake already */
		ssize_t r = write(q->efd, &one, sizeof(one));

		(void)r;
	}
	pthread_mutex_unlock(&q->mu);
	sk_pw_release();
	return NULL;
}

static int hash_threads(const struct skd *d)
{
	long n = d->conf.hash_threads;

	if (n <= 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		if (n < 1)
			n = 1;
	}
	return n > SKD_HASH_THREADS_MAX ? SKD_HASH_THREADS_MAX : (int)n;
}

int skd_hashq_start(struct skd *d)
{
	struct skd_hashq *q = calloc(1, sizeof(*q));
	sigset_t all, old;
	int want, rc = 0;

	if (!q)
		return -ENOMEM;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		free(q);
		return -errno;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	want = hash_threads(d);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (q->n = 0; q->n < want; q->n++) {
		rc = -pthread_create(&q->th[q->n], NULL, hash_thread, q);
		if (rc)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!q->n) {
		close(q->efd);
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return rc ? rc : -EAGAIN;
	}
	d->hashq = q;
	d->hashq_ev = (struct skd_ev){ SKD_EV_HASH, 0 };
	return skd_poll_add(d, q->efd, &d->hashq_ev);
}

int skd_hashq_submit(struct skd *d, int slot)
{
	struct skd_hashq *q = d->hashq;
	struct skd_hjob *j;

	if (!q)
		return -ENOSYS;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->slot = slot;
	j->l = d->logins[slot].l;
	d->logins[slot].hashing = true;
	pthread_mutex_lock(&q->mu);
	if (q->todo_tail)
		q->todo_tail->next = j;
	else
		q->todo = j;
	q->todo_tail = j;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* The event loop: every finished job goes back to its login. */
void skd_hashq_done(struct skd *d)
{
	struct skd_hashq *q = d->hashq;
	struct skd_hjob *list, *next;
	uint64_t v;

	if (!q)
		return;
	if (read(q->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&q->mu);
	list = q->done;
	q->done = NULL;
	pthread_mutex_unlock(&q->mu);
	for (; list; list = next) {
		next = list->next;
		skd_on_hashed(d, list->slot);
		free(list);
	}
}

/* Joins the threads (each finishes the verification it is in). */
void skd_hashq_stop(struct skd *d)
{
	struct skd_hashq *q = d->hashq;
	struct skd_hjob *j, *next;

	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->n; i++)
		pthread_join(q->th[i], NULL);
	for (j = q->todo; j; j = next) {
		next = j->next;
		free(j);
	}
	for (j = q->done; j; j = next) {
		next = j->next;
		free(j);
	}
	if (d->ep >= 0)
		skd_poll_del(d, q->efd);
	close(q->efd);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
	d->hashq = NULL;
}
