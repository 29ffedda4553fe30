/*
 * util/status.h — recording errors inside strata.
 *
 * The kernel reports the detail of an error in a per-thread buffer (strata_kv_errmsg()): a
 * failing function calls st_error(code, fmt, ...) once, where it knows what and where, and
 * returns the code it got back; callers above only pass the code on. The SQL layer copies the
 * message onto its connection.
 */
#ifndef STRATA_UTIL_STATUS_H
#define STRATA_UTIL_STATUS_H

#include <stdarg.h>

#include "strata_status.h"

#if defined(__GNUC__)
#define ST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ST_LIKELY(x)    __builtin_expect(!!(x), 1)
#define ST_UNLIKELY(x)  __builtin_expect(!!(x), 0)
#else
#define ST_PRINTF(f, a)
#define ST_LIKELY(x)   (x)
#define ST_UNLIKELY(x) (x)
#endif

/* Records "fmt..." as this thread's last error message and returns code. */
int st_error(int code, const char *fmt, ...) ST_PRINTF(2, 3);
int st_verror(int code, const char *fmt, va_list ap);
/* Records code's default message followed by ": " and strerror(err) for an errno value. */
int st_errno(int code, int err, const char *fmt, ...) ST_PRINTF(3, 4);
/* This thread's last error message ("" if none). */
const char *st_errmsg(void);
void st_clear_error(void);
/* Maps an errno value to a status code: ENOSPC → STRATA_NOSPACE, ENOMEM → STRATA_NOMEM,
 * anything else → STRATA_IOERR. */
int st_from_errno(int err);

/* Defensive markers (SQLite's ALWAYS/NEVER): conditions believed impossible but handled. */
#ifdef NDEBUG
#define ALWAYS(x) (x)
#define NEVER(x)  (x)
#else
#include <assert.h>
#define ALWAYS(x) ((x) ? 1 : (assert(0), 0))
#define NEVER(x)  ((x) ? (assert(0), 1) : 0)
#endif

#endif
