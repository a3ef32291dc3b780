/*
 * nw_story_state — the story-state contract every sink follows
 * (docs/story-state.md): which of two versions of a story is newer, and what
 * a version means for search and forwarding (usable, canceled, withheld,
 * embargoed until a time). Sinks store the version key of what they hold and
 * compare incoming versions with nw_story_key_cmp, never by Kafka offset or
 * arrival order.
 *
 * Functions over a decoded story (a borrowed jansson object): no I/O, no
 * clock (callers pass "now"); only nw_story_kill_record allocates (the
 * record it returns). Thread-safe.
 */
#ifndef NW_STORY_STATE_H
#define NW_STORY_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "nw_err.h"

/* What orders the versions of one uri. NW_STORY_NO_NUMBER / NW_STORY_NO_TIME
 * mark a missing or unreadable part. */
#define NW_STORY_NO_NUMBER INT64_MIN
#define NW_STORY_NO_TIME   INT64_MIN

typedef struct nw_story_key {
    int64_t version; /* `version` as a non-negative integer ("3" or 3), else NW_STORY_NO_NUMBER */
    int64_t created_ms; /* `versionCreated` in ms since the epoch (UTC), else NW_STORY_NO_TIME */
} nw_story_key;

/* Read the key of a story. Never fails: parts it cannot read are "missing". */
nw_story_key nw_story_key_of(const json_t *story);

/* The ordering rule: <0 when a is older than b, 0 when the same version, >0
 * when newer.
 *   1. both versions numeric and different: the larger number is newer;
 *   2. otherwise both versionCreated present and different: the later is newer;
 *   3. otherwise the same version (0).
 * Comparable keys only: a story with neither part ties with every other. */
int nw_story_key_cmp(nw_story_key a, nw_story_key b);

/* What a version means for indexes and forwards. */
typedef enum nw_story_class {
    NW_STORY_USABLE = 0,    /* searchable, forwarded */
    NW_STORY_CANCELED = 1,  /* a kill: final for the uri, content stripped */
    NW_STORY_WITHHELD = 2,  /* hidden until a later usable version */
    NW_STORY_EMBARGOED = 3, /* usable but not before *embargo_ms */
} nw_story_class;

/* Classify `story` at time now_ms (ms since the epoch). pubStatus "canceled"
 * (or "cancelled") is a kill whatever else the story says; "withheld", and any
 * pubStatus other than "usable" (the ninjs enumeration has no other), hides
 * it; a usable story whose embargoedUntil is later than now_ms is embargoed,
 * with the release time in *embargo_ms (may be NULL; set to
 * NW_STORY_NO_TIME otherwise). Returns the class, or NW_EINVAL (negative)
 * with err naming the field when embargoedUntil is present but not a
 * timestamp: such a story is refused (dead letter) rather than published
 * early or hidden for ever. */
int nw_story_classify(const json_t *story, int64_t now_ms, int64_t *embargo_ms, nw_err *err);

/* "usable", "canceled", "withheld" or "embargoed". */
const char *nw_story_class_name(nw_story_class c);

/* The merge rule a sink applies when `incoming` (class ic, key ik) meets the
 * stored current version (class sc, key sk; has_stored false when the uri is
 * new). True: the incoming version replaces the stored one. False: it is
 * skipped (counted, not an error): it is older, the same version again (a
 * replay), or the uri was killed.
 *   - a kill is final for the uri: once stored, only a newer kill record
 *     replaces it (content stays stripped) and no version brings it back;
 *   - a kill replaces any stored version that is not a kill, older or newer;
 *   - otherwise the newer key (nw_story_key_cmp) wins; at the same key the
 *     stored version stays.
 * So the end state is the newest kill if any kill arrived, else the newest
 * version: it never depends on arrival order. */
bool nw_story_supersedes(bool has_stored, nw_story_class sc, nw_story_key sk, nw_story_class ic,
                         nw_story_key ik);

/* Why a version was skipped (nw_story_supersedes said false), for the
 * sinks' separate counters (docs/story-state.md, "Counters"). */
typedef enum nw_story_skip {
    NW_STORY_SKIP_OLDER = 0,  /* older than the stored version */
    NW_STORY_SKIP_SAME = 1,   /* the same version again (a replay) */
    NW_STORY_SKIP_KILLED = 2, /* the uri was killed: nothing after a kill counts */
} nw_story_skip;

/* The reason for skipping incoming (ic, ik) against the stored (sc, sk):
 * KILLED when the stored version is a kill, else OLDER or SAME by key. */
nw_story_skip nw_story_skip_reason(nw_story_class sc, nw_story_key sk, nw_story_key ik);

/* "skipped_older", "skipped_same" or "skipped_killed": the counter names. */
const char *nw_story_skip_name(nw_story_skip why);

/* The content-free record a kill is kept as (docs/story-state.md, "Kill"):
 * a new object holding `uri` (the identity the sink resolved: the story's
 * uri, or the message key when it has none; omitted when NULL) and, when
 * the story has them,
 * type, version, versionCreated, firstCreated and pubStatus; headlines,
 * bodies, entities and everything else are left out. Every sink that stores
 * or indexes a kill builds it here. Returns a new reference (the caller
 * decrefs), or NULL when out of memory. */
json_t *nw_story_kill_record(const json_t *story, const char *uri);

#endif
