/*
 * nw_spool — the spool directory input: the classic agency drop. Files
 * arrive in <path>/incoming/ (renamed in, or written in place); each is
 * parsed with the spool's format and its stories published; the file moves
 * to <path>/done/ only when every message made from it has a successful
 * delivery report, or to <path>/failed/ with "<name>.error" beside it saying
 * why (parse error naming file and line, a story over the max message size,
 * delivery failure after retries).
 *
 * Discovery: inotify (IN_CREATE, IN_CLOSE_WRITE, IN_MOVED_TO) plus a
 * periodic scan as a safety net (and after an inotify queue overflow);
 * dot-files are ignored. A file renamed in is complete at once; one inotify
 * saw created is taken at its IN_CLOSE_WRITE; one found otherwise once its
 * mtime is settle_time old. A file whose size is not what was read is read
 * again later; one that changed after it was published fails (never done/
 * as if whole). FIFOs, folders and links are left in incoming/ (logged once,
 * counted; a link is never followed). The spool watches the path
 * <path>/incoming, not the folder: a replaced incoming/ is read from then on,
 * a missing one makes the spool not ready. At start everything left in incoming/ is taken again:
 * a file leaves incoming/ only after all its messages were acknowledged, so
 * a crash re-sends it (at-least-once; the idempotent producer and stable uri
 * keys make that harmless) and never loses it.
 *
 * Moves use rename(2) without replacing (a name already in done/ or failed/
 * gets a ".1", ".2"... suffix). The directories are fsync'd at most once a
 * second and when the spool stops: a move a power loss undoes only sends the
 * file again (at-least-once), so it needs no fsync of its own. Must never
 * delete or truncate a spool file.
 *
 * Each spool runs helper threads for its file system work (two reading,
 * parsing and serializing files; one moving them), so that it overlaps with
 * publishing; stories still leave in file order (a large file may overtake
 * files still being read before it), and every decision stays on
 * the service's loop thread (see nw_spool.c).
 *
 * A file over 1 MiB is never held whole: it is parsed once to check it (a
 * file with any bad story sends nothing), then again with its stories sent
 * in chunks under a fixed budget, one such file at a time in the process
 * (nw_spool.c "Streaming large files"; docs/operations.md "Sizing").
 */
#ifndef NW_SPOOL_H
#define NW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "nw_config.h"
#include "nw_err.h"
#include "nw_input.h"

typedef struct nw_spool_opts {
    const char *name;     /* input name (metrics, logs); NULL = last part of path */
    const char *path;     /* the spool root holding incoming/ done/ failed/ */
    const char *format;   /* parser name or "auto" (NULL = "auto") */
    const char *category; /* default category for stories naming none; may be NULL */
    const char *timezone; /* zone of times written without one; NULL = UTC */
    int64_t settle_ms;    /* a written-in-place file is taken when its mtime is this old */
    int64_t scan_ms;      /* safety-net scan interval */
} nw_spool_opts;

/* A spool input (not started). Copies every string. */
nw_input *nw_spool_new(const nw_spool_opts *opts, nw_err *err);

/* nw_input_kind_fn for the `spools` config key: a list of maps
 *   - name: afp               (default: last part of path)
 *     path: /var/spool/newswire/afp   (required)
 *     format: nitf            (default auto)
 *     category: world         (default none)
 *     timezone: Europe/Paris  (default UTC)
 *     settle_time: 1s
 *     scan_interval: 10s
 * Names and paths must be unique. */
int nw_spool_inputs_from_config(const nw_cfg_node *list, nw_input ***out, size_t *n, nw_err *err);

/* Move `name` from directory from_fd to directory to_fd without replacing
 * anything: the first free name of name, name.1, name.2, ... is used (a name
 * is free when neither it nor, with error_text, "<it>.error" holds a file
 * we would replace; an orphan "<it>.error" whose file is missing is reused).
 * With error_text, "<dest>.error" is written (and fsync'd) first. The chosen
 * name goes to dest (size destlen). Directories are NOT fsync'd here.
 * NW_ENOTFOUND when the source is gone. */
int nw_spool_place(int from_fd, const char *name, int to_fd, const char *error_text, char *dest,
                   size_t destlen, nw_err *err);

#endif
