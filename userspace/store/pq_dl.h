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

#include "skdl.h"

#define SK_PQ_SYMS(X) \
	X(PQclear) X(PQcmdTuples) X(PQconnectPoll) X(PQconnectStartParams) \
	X(PQconnectdbParams) X(PQconsumeInput) X(PQerrorMessage) X(PQexec) \
	X(PQexecParams) X(PQexecPrepared) X(PQfinish) X(PQflush) X(PQfreemem) \
	X(PQgetResult) X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQisBusy) \
	X(PQnotifies) X(PQntuples) X(PQprepare) X(PQresultErrorField) \
	X(PQresultErrorMessage) X(PQresultStatus) X(PQsendQuery) X(PQsendQueryParams) \
	X(PQsetNoticeProcessor) X(PQsetSingleRowMode) X(PQsetnonblocking) X(PQsocket) \
	X(PQstatus) X(PQtransactionStatus)

SK_PQ_SYMS(SK_DL_DECLARE)

/* 0, or -errno with one sentence (en / ja) naming libpq and its package */
int sk_pq_load(char *err, size_t errlen);

#define PQclear sk_dl_PQclear
#define PQcmdTuples sk_dl_PQcmdTuples
#define PQconnectPoll sk_dl_PQconnectPoll
#define PQconnectStartParams sk_dl_PQconnectStartParams
#define PQconnectdbParams sk_dl_PQconnectdbParams
#define PQconsumeInput sk_dl_PQconsumeInput
#define PQerrorMessage sk_dl_PQerrorMessage
#define PQexec sk_dl_PQexec
#define PQexecParams sk_dl_PQexecParams
#define PQexecPrepared sk_dl_PQexecPrepared
#define PQfinish sk_dl_PQfinish
#define PQflush sk_dl_PQflush
#define PQfreemem sk_dl_PQfreemem
#define PQgetResult sk_dl_PQgetResult
#define PQgetisnull sk_dl_PQgetisnull
#define PQgetlength sk_dl_PQgetlength
#define PQgetvalue sk_dl_PQgetvalue
#define PQisBusy sk_dl_PQisBusy
#define PQnotifies sk_dl_PQnotifies
#define PQntuples sk_dl_PQntuples
#define PQprepare sk_dl_PQprepare
#define PQresultErrorField sk_dl_PQresultErrorField
#define PQresultErrorMessage sk_dl_PQresultErrorMessage
#define PQresultStatus sk_dl_PQresultStatus
#define PQsendQuery sk_dl_PQsendQuery
#define PQsendQueryParams sk_dl_PQsendQueryParams
#define PQsetNoticeProcessor sk_dl_PQsetNoticeProcessor
#define PQsetSingleRowMode sk_dl_PQsetSingleRowMode
#define PQsetnonblocking sk_dl_PQsetnonblocking
#define PQsocket sk_dl_PQsocket
#define PQstatus sk_dl_PQstatus
#define PQtransactionStatus sk_dl_PQtransactionStatus

#endif
