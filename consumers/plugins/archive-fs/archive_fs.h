/*
 * archive-fs — the built-in sink that archives stories as JSON lines files:
 *
 *   <root>/<category>/<YYYY>/<MM>/<DD>/<topic>-<partition>-<first offset, 20 digits>.jsonl
 *
 * The date is the story's versionCreated, else firstCreated, else the Kafka
 * message timestamp, in UTC (stories with none go under <category>/undated/).
 * write() only buffers; flush() writes one file per (directory, topic,
 * partition) of what was buffered: temp file ".<name>.tmp", fsync, rename,
 * fsync of the directory. Nothing counts as archived before flush() is OK.
 *
 * Replay idempotence. Offsets are committed only after flush(), and the host
 * hands a sink whole batches, so a file never straddles a committed offset.
 * A replay restarts at the committed offset C and every file it writes starts
 * at an offset >= C. Rules, per directory and topic-partition, for a new file
 * covering offsets [F, L]:
 *  1. a file named for F with identical content is left alone (not even its
 *     mtime changes), otherwise it is replaced atomically by the rename;
 *  2. after the rename (and its directory fsync), files whose first offset
 *     lies in (F, L] are stale leftovers of an uncommitted batch with other
 *     boundaries and are deleted (then the directory is fsynced again).
 * Every story of a deleted file is in the new file (same day: the date comes
 * from the story or its message), and a crash between the two steps leaves a
 * duplicate, never a gap. A file starting before C is never touched, so a
 * story whose offset was committed is never lost.
 *
 * Settings: root (required; created if missing), fsync (bool, default true;
 * false skips every fsync, for tests and throwaway archives). Unknown keys
 * are refused. Stories that are not JSON, or whose category cannot be a
 * directory name, fail permanently (dead letter); I/O errors are retryable.
 */
#ifndef NW_ARCHIVE_FS_H
#define NW_ARCHIVE_FS_H

#include <newswire/plugin.h>
#include <stdint.h>

extern const nw_plugin_descriptor nw_plugin_archive_fs;

/* Counters of one instance, for tests and metrics. */
typedef struct nw_archive_fs_stats {
    uint64_t stories;         /* accepted by write() */
    uint64_t files_written;   /* renamed into place */
    uint64_t files_unchanged; /* identical file already there: skipped */
    uint64_t files_removed;   /* stale files deleted */
    uint64_t fsyncs;          /* fsync(2) calls on files and directories */
} nw_archive_fs_stats;

/* `state` is what nw_plugin_archive_fs.init returned. */
nw_archive_fs_stats nw_archive_fs_get_stats(const void *state);

#endif
