/*
 * nw_json — the value budget of untrusted JSON. See nw_json.h.
 */
#include "nw_json.h"

int nw_json_check_values(const char *buf, size_t len, size_t max, nw_err *err)
{
    size_t values = 1;
    long line = 1;
    for (size_t i = 0; i < len; i++) {
        switch (buf[i]) {
        case '\n': line++; break;
        case '"':
            /* skip the string: to the next quote not escaped */
            for (i++; i < len && buf[i] != '"'; i++) {
                if (buf[i] == '\\')
                    i++;
                else if (buf[i] == '\n')
                    line++; /* invalid JSON, but count lines as the parser would */
            }
            break;
        case '{':
        case '[':
        case ',':
        case ':':
            if (++values > max)
                return nw_err_set(err, NW_ELIMIT,
                                  "line %ld (byte %zu): over the limit of %zu JSON values "
                                  "(objects, arrays, items, members) in one document: refused "
                                  "to bound memory",
                                  line, i, max);
            break;
        default: break;
        }
    }
    return 0;
}
