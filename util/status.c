/* util/status.c — status names, default messages and the per-thread error message. */
#include "util/status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "strata_kv.h"

static _Thread_local char errbuf[1024];

const char *strata_status_name(int code)
{
    switch (code) {
#define X(name, c, msg)                                                                            \
    case c:                                                                                        \
        return "STRATA_" #name;
        STRATA_STATUS_LIST(X)
#undef X
    }
    return "STRATA_UNKNOWN";
}

const char *strata_status_message(int code)
{
    switch (code) {
#define X(name, c, msg)                                                                            \
    case c:                                                                                        \
        return msg;
        STRATA_STATUS_LIST(X)
#undef X
    }
    return "unknown error";
}

int st_verror(int code, const char *fmt, va_list ap)
{
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    return code;
}

int st_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st_verror(code, fmt, ap);
    va_end(ap);
    return code;
}

int st_errno(int code, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof errbuf)
        snprintf(errbuf + n, sizeof errbuf - (size_t)n, ": %s", strerror(err));
    return code;
}

const char *st_errmsg(void)
{
    return errbuf;
}

void st_clear_error(void)
{
    errbuf[0] = 0;
}

int st_from_errno(int err)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return STRATA_NOSPACE;
    case ENOMEM:
        return STRATA_NOMEM;
    default:
        return STRATA_IOERR;
    }
}

const char *strata_kv_errmsg(void)
{
    return errbuf;
}
