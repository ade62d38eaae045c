// SPDX-License-Identifier: GPL-2.0
/*
 * Live changes from the store (issue 13, "Live across gateways";
 * Documentation/decisions/live-gateways.md): a PostgreSQL connection of
 * its own that LISTENs on the channel "sekisho", where the triggers of
 * schema 10 announce every change a running gateway must apply.
 *
 * It never blocks its caller: the connection is made with
 * PQconnectStartParams/PQconnectPoll, the socket is non-blocking, and
 * sk_listen_step() only does what is ready.  The caller polls one
 * descriptor that stays the same for the listener's life (an epoll set of
 * our own holding libpq's socket of the moment), so a reconnection never
 * touches the caller's event set.  A lost connection is made again with a
 * growing pause (1, 2, 4, 5, 5 ... s); notifications sent meanwhile are
 * lost, so every (re)connection is reported as SK_NOTE_RESYNC: read
 * everything again.
 *
 * A notification is only a hint (any role that can connect may NOTIFY):
 * its channel must be ours, its payload at most SK_NOTE_PAYLOAD_MAX bytes
 * and one of the kinds below; anything else is counted and dropped.  The
 * caller reads the store again before it acts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pq_dl.h"
#include "store-impl.h"

#define LISTEN_CHANNEL		"sekisho"
#define LISTEN_CONNECT_MS	5000	/* a connection attempt, as the store's connect_timeout */
#define LISTEN_BACKOFF_MAX_MS	5000
#define LISTEN_PER_STEP		256	/* notifications handled per call */

enum listen_state { L_WAIT, L_CONNECTING, L_LISTENING, L_UP };

struct sk_listen {
	char *uri;
	PGconn *c;
	int ep;			/* our own epoll set: the caller's descriptor */
	int sock;		/* libpq's socket in ep, -1 */
	enum listen_state state;
	int64_t deadline_ms;	/* L_WAIT: next attempt; L_CONNECTING/L_LISTENING: give up */
	int backoff_ms;
	bool was_up;
	char err[256];
};

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* libpq's socket of the moment in our epoll set, watched for events
 * (libpq may close and open its socket while it connects: the same
 * number can be a new socket that the set no longer holds) */
static void watch(struct sk_listen *l, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events };

	if (l->sock >= 0 && l->sock != fd)
		epoll_ctl(l->ep, EPOLL_CTL_DEL, l->sock, NULL);	/* may be closed already */
	l->sock = fd;
	if (fd < 0)
		return;
	e.data.fd = fd;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &e) && errno == ENOENT)
		epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &e);
}

static void drop(struct sk_listen *l, const char *why, int64_t now)
{
	if (why)
		snprintf(l->err, sizeof(l->err), "%.*s", (int)strcspn(why, "\n"), why);
	watch(l, -1, 0);
	if (l->c)
		PQfinish(l->c);
	l->c = NULL;
	l->state = L_WAIT;
	l->deadline_ms = now + l->backoff_ms;
	l->backoff_ms = l->backoff_ms * 2 > LISTEN_BACKOFF_MAX_MS ? LISTEN_BACKOFF_MAX_MS
								  : l->backoff_ms * 2;
}

int sk_listen_new(const char *uri, struct sk_listen **out)
{
	struct sk_listen *l;

	*out = NULL;
	if (!sk_store_is_url(uri))
		return -EOPNOTSUPP;	/* SQLite: one gateway, nothing to hear */
	if (sk_pq_load(NULL, 0))
		return -ELIBACC;	/* (the store's open said why) */
	if (!(l = calloc(1, sizeof(*l))) || !(l->uri = strdup(uri))) {
		free(l);
		return -ENOMEM;
	}
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		int rc = -errno;

		free(l->uri);
		free(l);
		return rc;
	}
	l->sock = -1;
	l->state = L_WAIT;
	l->deadline_ms = 0;	/* at the first step */
	l->backoff_ms = 1000;
	*out = l;
	return 0;
}

int sk_listen_fd(const struct sk_listen *l)
{
	return l ? l->ep : -1;
}

bool sk_listen_up(const struct sk_listen *l)
{
	return l && l->state == L_UP;
}

const char *sk_listen_error(const struct sk_listen *l)
{
	return l && l->err[0] ? l->err : "not connected yet";
}

void sk_listen_free(struct sk_listen *l)
{
	if (!l)
		return;
	if (l->c)
		PQfinish(l->c);
	close(l->ep);
	explicit_bzero(l->uri, strlen(l->uri));
	free(l->uri);
	free(l);
}

/* One notification into n; false if it is not one of ours. */
static bool parse_note(const PGnotify *nf, struct sk_notes *n)
{
	const char *p = nf->extra;
	size_t len;

	if (strcmp(nf->relname, LISTEN_CHANNEL) || !p)
		return false;
	len = strnlen(p, SK_NOTE_PAYLOAD_MAX + 1);
	if (len > SK_NOTE_PAYLOAD_MAX)
		return false;
	if (!strcmp(p, "users")) {
		n->kinds |= SK_NOTE_USERS;
	} else if (!strcmp(p, "policies")) {
		n->kinds |= SK_NOTE_POLICIES;
	} else if (!strcmp(p, "settings")) {
		n->kinds |= SK_NOTE_SETTINGS;
	} else if (!strcmp(p, "crl")) {
		n->kinds |= SK_NOTE_CRL;
	} else if (!strncmp(p, "kill ", 5) || !strncmp(p, "moved ", 6)) {
		/* either way: look at the session's row (killed? another
		 * gateway's now?) */
		size_t k = p[0] == 'k' ? 5 : 6;
		char *end;
		long long id;

		if (p[k] < '1' || p[k] > '9' || len > k + 10)
			return false;
		errno = 0;
		id = strtoll(p + k, &end, 10);
		if (errno || *end || id < 1 || id > 0xffffffffLL)
			return false;
		for (int i = 0; i < n->n_kill; i++)
			if (n->kill[i] == id)
				return true;
		if (n->n_kill < SK_NOTE_KILL_MAX)
			n->kill[n->n_kill++] = id;
		else
			n->kinds |= SK_NOTE_KILL_SCAN;	/* too many: check every session */
	} else {
		return false;
	}
	return true;
}

/* Reads what the server sent: results of LISTEN, notifications. */
static int receive(struct sk_listen *l, struct sk_notes *n, int64_t now)
{
	PGnotify *nf;
	int count = 0;

	if (!PQconsumeInput(l->c)) {
		drop(l, PQerrorMessage(l->c), now);
		return -EIO;
	}
	while (!PQisBusy(l->c)) {
		PGresult *r = PQgetResult(l->c);

		if (!r)
			break;
		if (l->state == L_LISTENING && PQresultStatus(r) != PGRES_COMMAND_OK) {
			char why[200];

			snprintf(why, sizeof(why), "LISTEN " LISTEN_CHANNEL ": %s",
				 PQresultErrorMessage(r));
			PQclear(r);
			drop(l, why, now);
			return -EIO;
		}
		PQclear(r);
		if (l->state == L_LISTENING) {
			l->state = L_UP;
			l->backoff_ms = 1000;
			l->err[0] = '\0';
			n->kinds |= SK_NOTE_RESYNC | (l->was_up ? SK_NOTE_RECONNECTED : 0);
			l->was_up = true;
		}
	}
	while (count < LISTEN_PER_STEP && (nf = PQnotifies(l->c))) {
		if (!parse_note(nf, n))
			n->dropped++;
		PQfreemem(nf);
		count++;
	}
	if (count == LISTEN_PER_STEP)
		n->kinds |= SK_NOTE_RESYNC;	/* a flood: read everything, skip the rest */
	while (count == LISTEN_PER_STEP && (nf = PQnotifies(l->c)))
		PQfreemem(nf);
	if (PQstatus(l->c) == CONNECTION_BAD) {
		drop(l, PQerrorMessage(l->c), now);
		return -EIO;
	}
	return 0;
}

/* libpq prints what the server says outside a query (the FATAL of a
 * terminated backend) on stderr: keep it as the reason instead */
static void quiet(void *arg, const char *message)
{
	struct sk_listen *l = arg;

	snprintf(l->err, sizeof(l->err), "%.*s", (int)strcspn(message, "\n"), message);
}

static void start_connect(struct sk_listen *l, int64_t now)
{
	/* keepalives notice a peer that vanished without a FIN (TCP only) */
	const char *const kw[] = { "connect_timeout", "fallback_application_name", "keepalives_idle",
				   "keepalives_interval", "keepalives_count", "dbname", NULL };
	const char *const val[] = { "5", "sekisho-listen", "10", "5", "3", l->uri, NULL };

	l->c = PQconnectStartParams(kw, val, 1);
	if (!l->c || PQstatus(l->c) == CONNECTION_BAD) {
		drop(l, l->c ? PQerrorMessage(l->c) : "out of memory", now);
		return;
	}
	PQsetNoticeProcessor(l->c, quiet, l);
	l->state = L_CONNECTING;
	l->deadline_ms = now + LISTEN_CONNECT_MS;
	/* PQconnectPoll's first call is as if the socket were writable */
	watch(l, PQsocket(l->c), EPOLLOUT);
}

static void poll_connect(struct sk_listen *l, int64_t now)
{
	switch (PQconnectPoll(l->c)) {
	case PGRES_POLLING_READING:
		watch(l, PQsocket(l->c), EPOLLIN);
		return;
	case PGRES_POLLING_WRITING:
		watch(l, PQsocket(l->c), EPOLLOUT);
		return;
	case PGRES_POLLING_OK:
		if (PQsetnonblocking(l->c, 1) || !PQsendQuery(l->c, "LISTEN " LISTEN_CHANNEL)) {
			drop(l, PQerrorMessage(l->c), now);
			return;
		}
		PQflush(l->c);
		l->state = L_LISTENING;
		l->deadline_ms = now + LISTEN_CONNECT_MS;
		watch(l, PQsocket(l->c), EPOLLIN);
		return;
	default:
		drop(l, PQerrorMessage(l->c), now);
		return;
	}
}

int sk_listen_step(struct sk_listen *l, struct sk_notes *n)
{
	int64_t now = mono_ms();
	bool was_up = l->state == L_UP;

	/* the caller's descriptor (our epoll set) is level-triggered on
	 * libpq's socket: nothing to take from it, what is read clears it */
	memset(n, 0, sizeof(*n));
	switch (l->state) {
	case L_WAIT:
		if (now >= l->deadline_ms)
			start_connect(l, now);
		break;
	case L_CONNECTING:
		if (now >= l->deadline_ms)
			drop(l, "the database did not answer within 5 s", now);
		else
			poll_connect(l, now);
		break;
	case L_LISTENING:
		if (!receive(l, n, now) && l->state == L_LISTENING && now >= l->deadline_ms)
			drop(l, "LISTEN " LISTEN_CHANNEL ": no answer within 5 s", now);
		break;
	case L_UP:
		receive(l, n, now);
		break;
	}
	if (was_up && l->state != L_UP)
		n->kinds |= SK_NOTE_LOST;
	return l->state == L_UP ? 1 : 0;
}
