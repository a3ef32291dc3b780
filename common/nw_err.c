/*
 * nw_err — error values: setting, prefixing and naming them. See nw_err.h.
 */
#include "nw_err.h"

#include <stdio.h>
#include <string.h>

void nw_err_clear(nw_err *err)
{
    if (!err)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

int nw_err_vset(nw_err *err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

int nw_err_set(nw_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    nw_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

int nw_err_prefix(nw_err *err, const char *fmt, ...)
{
    if (!err)
        return NW_EINVAL;
    char prefix[NW_ERR_MSG_MAX];
    char old[NW_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* truncating a long message is fine: the prefix matters more than the tail */
    size_t plen = strlen(prefix); /* < NW_ERR_MSG_MAX: vsnprintf bounded it */
    size_t olen = strnlen(old, sizeof err->msg - 1 - plen);
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, old, olen);
    err->msg[plen + olen] = '\0';
    return err->code;
}

const char *nw_err_code_name(int code)
{
    switch (code) {
    case NW_OK: return "ok";
    case NW_EINVAL: return "invalid input";
    case NW_EIO: return "I/O error";
    case NW_ENOMEM: return "out of memory";
    case NW_ELIMIT: return "limit exceeded";
    case NW_EKAFKA: return "Kafka error";
    case NW_ERETRY: return "temporary failure";
    case NW_ENOTFOUND: return "not found";
    default: return "unknown error";
    }
}
