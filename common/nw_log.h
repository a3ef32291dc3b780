/*
 * nw_log — structured logs on stderr: one line per event, key=value pairs
 * (logfmt), or one JSON object per line when NEWSWIRE_LOG_FORMAT=json.
 *   ts=2026-11-27T04:40:00.123Z level=warn mod=producer msg="..." uri=...
 *   {"ts":"2026-11-27T04:40:00.123Z","level":"warn","mod":"producer","msg":"...","uri":"..."}
 * Thread-safe (each line is built in memory and written with one write(2);
 * on a pipe the kernel keeps lines up to PIPE_BUF = 4 KiB whole).
 * Never prints secrets: callers log config values only through nw_log_kv
 * with keys that are not passwords. Logging never changes errno.
 */
#ifndef NW_LOG_H
#define NW_LOG_H

#include <stdbool.h>

typedef enum nw_log_level {
    NW_LOG_ERROR = 0,
    NW_LOG_WARN = 1,
    NW_LOG_INFO = 2,
    NW_LOG_DEBUG = 3,
} nw_log_level;

typedef enum nw_log_format {
    NW_LOG_LOGFMT = 0, /* default */
    NW_LOG_JSON = 1,
} nw_log_format;

/* Global threshold; default INFO, or NEWSWIRE_LOG_LEVEL=error|warn|info|debug
 * (read once, at the first log call or the first set/get; an unknown value
 * keeps INFO and logs one warning). An explicit set wins over the variable. */
void nw_log_set_level(nw_log_level level);
nw_log_level nw_log_get_level(void);
/* True when a message at `level` would be written (skip costly formatting). */
bool nw_log_enabled(nw_log_level level);
/* Parse "error", "warn" (or "warning"), "info", "debug", any case; -1 when unknown. */
int nw_log_level_parse(const char *name);
/* "error", "warn", "info", "debug". */
const char *nw_log_level_name(nw_log_level level);

/* Output format; default from NEWSWIRE_LOG_FORMAT=logfmt|json (else logfmt). */
void nw_log_set_format(nw_log_format format);
nw_log_format nw_log_get_format(void);
/* Parse "logfmt", "json" (any case); -1 when unknown. */
int nw_log_format_parse(const char *name);

/* Log msg (printf-style) from module `mod`. Extra key=value pairs can follow
 * in the message itself: when the formatted text ends in pairs (the first
 * " key=" with key made of [A-Za-z0-9_.-] starting a run of key=value or
 * key="quoted \" value" items up to the end), they become separate fields
 *   nw_log_info("archive", "stored uri=%s version=%d", uri, v)
 *   -> ... msg="stored" uri=urn:x version=2
 * otherwise the whole text is msg. Reserved keys (ts, level, mod, msg) in the
 * tail keep it in msg. Quotes, backslashes, newlines, control characters
 * and invalid UTF-8 are escaped in every field. msg is cut at 8 KiB and each
 * field value at 1 KiB, marked "..."; at most 32 fields. */
void nw_log(nw_log_level level, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Log a plain msg with explicit fields: key, value, key, value, ..., NULL.
 * A NULL value is written as an empty string. */
void nw_log_kv(nw_log_level level, const char *mod, const char *msg, ...) __attribute__((sentinel));

#define nw_log_error(mod, ...) nw_log(NW_LOG_ERROR, mod, __VA_ARGS__)
#define nw_log_warn(mod, ...)  nw_log(NW_LOG_WARN, mod, __VA_ARGS__)
#define nw_log_info(mod, ...)  nw_log(NW_LOG_INFO, mod, __VA_ARGS__)
#define nw_log_debug(mod, ...) nw_log(NW_LOG_DEBUG, mod, __VA_ARGS__)

#endif
