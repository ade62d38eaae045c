/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libpq, opened on first use (lib/skdl.h): a SQLite store never loads it.
 *
 * Each function the store calls is a pointer of the type of libpq's own
 * prototype (so a wrong signature does not compile), and its name maps
 * to that pointer: the code reads as plain libpq.  sk_pq_load() must
 * succeed before the first call; every connection starts with it
 * (store_pg.c, store_listen.c, store_copy.c).  A function missing from
 * SK_PQ_SYMS fails the programs' link (they do not link libpq).
 */
#ifndef PQ_DL_H
#define PQ_DL_H

#include <stddef.h>

#include <libpq-fe.h>

#define SK_PQ_SYMS(X) \
	X(PQclear) X(PQcmdTuples) X(PQconnectPoll) X(PQconnectStartParams) \
	X(PQconnectdbParams) X(PQconsumeInput) X(PQerrorMessage) X(PQexec) \
	X(PQexecParams) X(PQexecPrepared) X(PQfinish) X(PQflush) X(PQfreemem) \
	X(PQgetResult) X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQisBusy) \
	X(PQnotifies) X(PQntuples) X(PQprepare) X(PQresultErrorField) \
	X(PQresultErrorMessage) X(PQresultStatus) X(PQsendQuery) X(PQsendQueryParams) \
	X(PQsetNoticeProcessor) X(PQsetSingleRowMode) X(PQsetnonblocking) X(PQsocket) \
	X(PQstatus) X(PQtransactionStatus)

#define SK_PQ_DECLARE(f) extern __typeof__(f) *sk_pq_##f;
SK_PQ_SYMS(SK_PQ_DECLARE)
#undef SK_PQ_DECLARE

/* 0, or -errno with one sentence (en / ja) naming libpq and its package */
int sk_pq_load(char *err, size_t errlen);

#define PQclear sk_pq_PQclear
#define PQcmdTuples sk_pq_PQcmdTuples
#define PQconnectPoll sk_pq_PQconnectPoll
#define PQconnectStartParams sk_pq_PQconnectStartParams
#define PQconnectdbParams sk_pq_PQconnectdbParams
#define PQconsumeInput sk_pq_PQconsumeInput
#define PQerrorMessage sk_pq_PQerrorMessage
#define PQexec sk_pq_PQexec
#define PQexecParams sk_pq_PQexecParams
#define PQexecPrepared sk_pq_PQexecPrepared
#define PQfinish sk_pq_PQfinish
#define PQflush sk_pq_PQflush
#define PQfreemem sk_pq_PQfreemem
#define PQgetResult sk_pq_PQgetResult
#define PQgetisnull sk_pq_PQgetisnull
#define PQgetlength sk_pq_PQgetlength
#define PQgetvalue sk_pq_PQgetvalue
#define PQisBusy sk_pq_PQisBusy
#define PQnotifies sk_pq_PQnotifies
#define PQntuples sk_pq_PQntuples
#define PQprepare sk_pq_PQprepare
#define PQresultErrorField sk_pq_PQresultErrorField
#define PQresultErrorMessage sk_pq_PQresultErrorMessage
#define PQresultStatus sk_pq_PQresultStatus
#define PQsendQuery sk_pq_PQsendQuery
#define PQsendQueryParams sk_pq_PQsendQueryParams
#define PQsetNoticeProcessor sk_pq_PQsetNoticeProcessor
#define PQsetSingleRowMode sk_pq_PQsetSingleRowMode
#define PQsetnonblocking sk_pq_PQsetnonblocking
#define PQsocket sk_pq_PQsocket
#define PQstatus sk_pq_PQstatus
#define PQtransactionStatus sk_pq_PQtransactionStatus

#endif
