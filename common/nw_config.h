/*
 * nw_config — YAML configuration files as a read-only tree with line numbers,
 * plus typed, table-driven access that produces errors an operator can act
 * on: "consumer.yaml:14: chain[0].root: expected a string".
 *
 * Loading never executes anything from the file: tags are refused, plain
 * aliases are copied under a node and byte budget (no billion laughs), one
 * document per file, size-limited. Environment overrides for containers:
 * NEWSWIRE_<PATH> with '.' written as "__" (NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS
 * overrides kafka.bootstrap.servers; see nw_config_apply_env for the rules).
 *
 * Ownership: nw_config owns every node and string; pointers returned by the
 * accessors are borrowed and valid until nw_config_free() (or, for a value an
 * environment variable replaces, until nw_config_apply_env()).
 */
#ifndef NW_CONFIG_H
#define NW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nw_err.h"

typedef struct nw_config nw_config;
typedef struct nw_cfg_node nw_cfg_node;

typedef enum nw_cfg_kind {
    NW_CFG_NULL = 0, /* unquoted "~", "null" or an empty value */
    NW_CFG_SCALAR,
    NW_CFG_MAP,
    NW_CFG_SEQ,
} nw_cfg_kind;

/* Maximum size of a config file; larger files are refused with NW_ELIMIT. */
#define NW_CONFIG_MAX_BYTES (4u << 20)
/* Limits on the loaded tree, aliases expanded (NW_ELIMIT beyond them). */
#define NW_CONFIG_MAX_NODES   (1u << 18)  /* maps, lists and values */
#define NW_CONFIG_MAX_TEXT    (32u << 20) /* bytes of keys, values and paths */
#define NW_CONFIG_MAX_DEPTH   64          /* nested maps and lists */
#define NW_CONFIG_MAX_ANCHORS 1024        /* "&name" definitions */

/*
 * Parse a YAML file. On error returns negative and err says
 *   "<path>:<line>: <dotted.path>: <what was expected>"   (bad content)
 *   "<path>:<line>:<column>: YAML syntax error: <problem> (<context> at line N)"
 *   "<path>: <reason>"                                     (cannot read it)
 * What is accepted:
 * - exactly one document (a second "---" document is an error); an empty file
 *   or one with only comments is an empty map; the top level must be a map;
 * - keys are scalars, unique within one map (a duplicate is an error naming
 *   both lines); "<<" merge keys are refused;
 * - anchors and plain aliases ("&base" / "*base"): the alias gets a copy of
 *   the anchored node, so paths name where it is used while lines point at
 *   the anchored text; the copies count against NW_CONFIG_MAX_NODES/_TEXT
 *   (at most NW_CONFIG_MAX_ANCHORS anchors);
 * - any explicit tag ("!!str", "!foo") is refused; scalars holding a NUL
 *   character are refused.
 * Codes: NW_EINVAL (bad content), NW_ENOTFOUND (no such file), NW_EIO,
 * NW_ELIMIT, NW_ENOMEM.
 */
int nw_config_load_file(const char *path, nw_config **out, nw_err *err);
/* Parse YAML text; `origin` names it in messages (e.g. "<string>"). */
int nw_config_load_string(const char *text, size_t len, const char *origin, nw_config **out,
                          nw_err *err);
/* NULL is accepted. */
void nw_config_free(nw_config *cfg);

/* The document's root node: always a map (possibly empty). */
const nw_cfg_node *nw_config_root(const nw_config *cfg);
/* The path or origin the config was loaded from. */
const char *nw_config_origin(const nw_config *cfg);

nw_cfg_kind nw_cfg_kind_of(const nw_cfg_node *node);
/* 1-based line of the node in the file (0 for values from the environment). */
int nw_cfg_line(const nw_cfg_node *node);
/* Dotted path of the node from the root: "chain[1].root"; "" for the root. */
const char *nw_cfg_path(const nw_cfg_node *node);
/* Where the node came from: the file's origin, or "env NEWSWIRE_X__Y". */
const char *nw_cfg_origin(const nw_cfg_node *node);
/* Scalar text, or NULL if the node is not a scalar (NW_CFG_NULL included). */
const char *nw_cfg_scalar(const nw_cfg_node *node);

/* Maps and sequences: number of entries (0 for scalars and NULL). */
size_t nw_cfg_len(const nw_cfg_node *node);
/* Map: the value for key (exact match), or NULL (also when map is NULL). */
const nw_cfg_node *nw_cfg_get(const nw_cfg_node *map, const char *key);
/* Map: key and value of entry i (in file order); NULL when out of range. */
const char *nw_cfg_key_at(const nw_cfg_node *map, size_t i);
const nw_cfg_node *nw_cfg_value_at(const nw_cfg_node *map, size_t i);
/* Sequence: item i, or NULL when out of range. */
const nw_cfg_node *nw_cfg_item(const nw_cfg_node *seq, size_t i);

/* Set err to "<origin>:<line>: <path>: <message>" (the path part is left out
 * for the root; ":<line>" for environment values) and return `code`. For
 * callers that validate values themselves, so every config error reads alike. */
int nw_cfg_error(const nw_cfg_node *node, nw_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Typed scalar reads. Each fails with NW_EINVAL and a message naming origin,
 * line and path, the expected form and what was found ("got 'maybe'", "got a
 * map", "got an empty value"). A NULL node fails with "missing value". */
int nw_cfg_as_string(const nw_cfg_node *node, const char **out, nw_err *err);
/* Decimal integer with optional sign, within [min, max] (inclusive). */
int nw_cfg_as_int(const nw_cfg_node *node, int64_t min, int64_t max, int64_t *out, nw_err *err);
/* true/false/yes/no/on/off, any case. */
int nw_cfg_as_bool(const nw_cfg_node *node, bool *out, nw_err *err);
/* Durations "250ms", "5s", "2m", "72h", "3d"; whole numbers only, never
 * negative. A unit is required: a bare number other than 0 is refused with
 * a message naming file, line and key ("has no unit: write 30ms, 30s..."). */
int nw_cfg_as_duration_ms(const nw_cfg_node *node, int64_t *out, nw_err *err);
/* Sizes "512" (bytes), "64KiB", "5MB", "1GiB": B; KB MB GB TB = powers of
 * 1000; KiB MiB GiB TiB = powers of 1024; unit in any case, optional space. */
int nw_cfg_as_size(const nw_cfg_node *node, uint64_t *out, nw_err *err);

/* Table-driven reading of one map into a struct (after Fluent Bit's config map).
 * Every key of the map must appear in the table (else "unknown key", with a
 * "did you mean" when one is close); missing required keys are errors; others
 * get their default. A key whose value is empty/null counts as missing.
 * Strings stored into the struct are borrowed from the config (or are the
 * table's default_value pointer). */
typedef enum nw_cfg_type {
    NW_CFG_T_STRING,   /* const char *      */
    NW_CFG_T_INT,      /* int64_t, within [min, max] */
    NW_CFG_T_BOOL,     /* bool              */
    NW_CFG_T_DURATION, /* int64_t ms        */
    NW_CFG_T_SIZE,     /* uint64_t bytes    */
    NW_CFG_T_NODE,     /* const nw_cfg_node * (maps, lists: read by the caller);
                          any non-NULL default_value makes it optional and
                          stores NULL when the key is absent */
} nw_cfg_type;

typedef struct nw_cfg_field {
    const char *key;
    nw_cfg_type type;
    const char *default_value; /* parsed like the file's text; NULL = required */
    size_t offset;             /* offsetof(struct, member) */
    int64_t min, max;          /* for NW_CFG_T_INT; both 0 = no bounds */
    const char *description;   /* one line, for --help and docs */
} nw_cfg_field;

/* Fill `out` from `map` per `fields` (terminated by a {NULL} entry), stopping
 * at the first error. `map` may be NULL (every field takes its default; a
 * required one fails with "missing required key '<key>'" without location).
 * A default_value that does not parse is reported like a file error with
 * origin "<default>" (a programming error). */
int nw_cfg_read(const nw_cfg_node *map, const nw_cfg_field *fields, void *out, nw_err *err);

/*
 * Apply NEWSWIRE_* environment overrides from `envp` (environ-style,
 * NULL-terminated). Call it before reading the tree. How a name maps:
 * - strip "NEWSWIRE_", split the rest at every "__" into path segments and
 *   lower-case them; a single '_' stays '_':
 *     NEWSWIRE_BROKERS=h:9092                -> brokers
 *     NEWSWIRE_METRICS__LISTEN=0.0.0.0:9100  -> metrics.listen
 *     NEWSWIRE_DEDUP__WINDOW_HOURS=24        -> dedup.window_hours
 * - in a map, segments are matched against the existing keys first, without
 *   regard to case, with '_' also matching '-', and consecutive segments
 *   joined by '.' matching a key that contains dots (longest match wins), so
 *   NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS overrides "kafka: {bootstrap.servers: x}"
 *   as well as a nested "kafka: {bootstrap: {servers: x}}";
 * - in a list, a segment must be the index of an existing item:
 *     NEWSWIRE_CHAIN__0__ROOT=/srv/archive   -> chain[0].root
 * - missing maps and keys are created (lower-case names); an existing value
 *   or empty key is replaced; replacing a whole map or list, or going through
 *   a plain value, is an error naming the variable;
 * - the value is always a string scalar (an empty value stays ""); its line
 *   is 0 and its origin "env <NAME>", so later errors name the variable;
 * - reserved for the process and never read as settings: NEWSWIRE_LOG_LEVEL,
 *   NEWSWIRE_LOG_FORMAT (see nw_log.h) and NEWSWIRE_CONFIG.
 * Variables apply in envp order. Returns 0, or negative with err.
 */
int nw_config_apply_env(nw_config *cfg, char *const *envp, nw_err *err);

#endif
