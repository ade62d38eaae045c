/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One message with an optional file descriptor (SCM_RIGHTS): how sekishod's
 * main process, its workers and its binder hand sockets to each other.
 */
#ifndef SK_FD_H
#define SK_FD_H

#include <stddef.h>
#include <sys/types.h>

/* Sends buf as one message on sock, with fd attached when fd >= 0.
 * MSG_NOSIGNAL is always added to flags; EINTR is retried.  Returns what
 * sendmsg returned (-1 with errno on error). */
ssize_t sk_send_fd(int sock, const void *buf, size_t len, int fd, int flags);

/* Receives one message into buf; *fd is the descriptor that came with it
 * (close-on-exec), or -1.  A truncated message or control part is an error
 * (EMSGSIZE) and closes what came.  Returns what recvmsg returned. */
ssize_t sk_recv_fd(int sock, void *buf, size_t len, int *fd, int flags);

/* The same with up to SK_FDS_MAX descriptors: fds[0..nfds) sent in one
 * SCM_RIGHTS message; received, up to maxfds are kept in fds[] (*nfds of
 * them), any beyond are closed. */
#define SK_FDS_MAX 4
ssize_t sk_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds, int flags);
ssize_t sk_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds,
		    int flags);

#endif
