/*
 * strata_status.h — the error codes shared by the SQL API (strata.h) and the KV API
 * (strata_kv.h).
 *
 * One X-macro list generates the enum, the names and the default messages (libuv's errno.h).
 * Every function of the public APIs returns STRATA_OK (0) or one of these codes; the detailed
 * message ("what and where") is kept per thread for the KV API (strata_kv_errmsg()) and per
 * connection for the SQL API (strata_errmsg()).
 */
#ifndef STRATA_STATUS_H
#define STRATA_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_STATUS_LIST(X)                                                                      \
    X(OK, 0, "not an error")                                                                       \
    X(ERROR, 1, "error")                                                                           \
    X(SYNTAX, 2, "syntax error")                                                                   \
    X(NOTFOUND, 3, "not found")                                                                    \
    X(EXISTS, 4, "already exists")                                                                 \
    X(CONSTRAINT, 5, "constraint violated")                                                        \
    X(TYPE, 6, "type mismatch")                                                                    \
    X(BUSY, 7, "busy")                                                                             \
    X(CORRUPT, 8, "data is corrupt")                                                               \
    X(IOERR, 9, "I/O error")                                                                       \
    X(NOMEM, 10, "out of memory")                                                                  \
    X(MISUSE, 11, "API misuse")                                                                    \
    X(INVALID, 12, "invalid argument")                                                             \
    X(RANGE, 13, "value out of range")                                                             \
    X(TOOBIG, 14, "too big")                                                                       \
    X(NOSPACE, 15, "no space left on device")                                                      \
    X(LOCKED, 16, "database is locked by another process")                                         \
    X(CLOSED, 17, "database is closed")                                                            \
    X(NOTSUP, 18, "not supported")                                                                 \
    X(ROW, 100, "a row is ready")                                                                  \
    X(DONE, 101, "no more rows")

typedef enum strata_status {
#define STRATA__ENUM(name, code, msg) STRATA_##name = code,
    STRATA_STATUS_LIST(STRATA__ENUM)
#undef STRATA__ENUM
} strata_status;

/* "STRATA_CORRUPT" for STRATA_CORRUPT; "STRATA_UNKNOWN" for a code not in the list. */
const char *strata_status_name(int code);
/* The default message of a code ("data is corrupt"). */
const char *strata_status_message(int code);

#ifdef __cplusplus
}
#endif
#endif
