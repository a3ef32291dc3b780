/*
 * Tests for nw_config: the tree (paths, lines, kinds), every refusal of the
 * loader with its exact "<origin>:<line>: <path>: ..." message, typed reads,
 * table-driven reads and environment overrides.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nw_config.h"
#include "nw_testutil.h"

static nw_config *load_ok(const char *text)
{
    nw_config *cfg = NULL;
    nw_err err = {0};
    int rc = nw_config_load_string(text, strlen(text), "consumer.yaml", &cfg, &err);
    cr_assert_eq(rc, 0, "load failed: %s", err.msg);
    cr_assert_not_null(cfg);
    return cfg;
}

/* Load must fail with `code` and exactly `msg`. */
static void load_fails(const char *text, int code, const char *msg)
{
    nw_config *cfg = (nw_config *)0x1;
    nw_err err = {0};
    int rc = nw_config_load_string(text, strlen(text), "consumer.yaml", &cfg, &err);
    cr_assert_eq(rc, code, "rc %d, want %d (%s)", rc, code, err.msg);
    cr_assert_eq(err.code, code);
    cr_assert_null(cfg);
    if (msg)
        cr_assert_str_eq(err.msg, msg);
}

/* ------------------------------------------------------------------------ */
/* The tree                                                                 */
/* ------------------------------------------------------------------------ */

static const char *CONSUMER = "# consumer config\n"              /* 1 */
                              "brokers: localhost:9092\n"        /* 2 */
                              "kafka:\n"                         /* 3 */
                              "  bootstrap.servers: k1:9092\n"   /* 4 */
                              "  acks: all\n"                    /* 5 */
                              "chain:\n"                         /* 6 */
                              "  - plugin: archive\n"            /* 7 */
                              "    root: /srv/archive\n"         /* 8 */
                              "  - plugin: fts\n"                /* 9 */
                              "    root: \"/srv/index\"\n"       /* 10 */
                              "    options: {a: 1, b: [x, y]}\n" /* 11 */
                              "empty:\n"                         /* 12 */
                              "quoted_empty: ''\n"               /* 13 */
                              "tilde: ~\n"                       /* 14 */
                              "quoted_null: 'null'\n";           /* 15 */

Test(config, tree_paths_lines_and_kinds)
{
    nw_config *cfg = load_ok(CONSUMER);
    const nw_cfg_node *root = nw_config_root(cfg);
    cr_assert_str_eq(nw_config_origin(cfg), "consumer.yaml");
    cr_assert_eq(nw_cfg_kind_of(root), NW_CFG_MAP);
    cr_assert_str_eq(nw_cfg_path(root), "");
    cr_assert_eq(nw_cfg_len(root), 7);
    cr_assert_str_eq(nw_cfg_key_at(root, 0), "brokers");
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_value_at(root, 0)), "localhost:9092");
    cr_assert_null(nw_cfg_key_at(root, 7));
    cr_assert_eq(nw_cfg_line(nw_cfg_get(root, "kafka")), 3, "a map under a key starts at the key");

    const nw_cfg_node *kafka = nw_cfg_get(root, "kafka");
    cr_assert_eq(nw_cfg_kind_of(kafka), NW_CFG_MAP);
    const nw_cfg_node *bs = nw_cfg_get(kafka, "bootstrap.servers");
    cr_assert_str_eq(nw_cfg_scalar(bs), "k1:9092");
    cr_assert_eq(nw_cfg_line(bs), 4);
    cr_assert_str_eq(nw_cfg_path(bs), "kafka.bootstrap.servers");

    const nw_cfg_node *chain = nw_cfg_get(root, "chain");
    cr_assert_eq(nw_cfg_kind_of(chain), NW_CFG_SEQ);
    cr_assert_eq(nw_cfg_len(chain), 2);
    const nw_cfg_node *c1 = nw_cfg_item(chain, 1);
    cr_assert_str_eq(nw_cfg_path(c1), "chain[1]");
    cr_assert_eq(nw_cfg_line(c1), 9);
    const nw_cfg_node *root1 = nw_cfg_get(c1, "root");
    cr_assert_str_eq(nw_cfg_path(root1), "chain[1].root");
    cr_assert_eq(nw_cfg_line(root1), 10);
    cr_assert_str_eq(nw_cfg_scalar(root1), "/srv/index");
    const nw_cfg_node *y = nw_cfg_item(nw_cfg_get(nw_cfg_get(c1, "options"), "b"), 1);
    cr_assert_str_eq(nw_cfg_path(y), "chain[1].options.b[1]");
    cr_assert_str_eq(nw_cfg_scalar(y), "y");
    cr_assert_eq(nw_cfg_line(y), 11);
    cr_assert_null(nw_cfg_item(chain, 2));
    cr_assert_null(nw_cfg_get(chain, "plugin"), "get on a list");

    cr_assert_eq(nw_cfg_kind_of(nw_cfg_get(root, "empty")), NW_CFG_NULL);
    cr_assert_null(nw_cfg_scalar(nw_cfg_get(root, "empty")));
    cr_assert_eq(nw_cfg_kind_of(nw_cfg_get(root, "tilde")), NW_CFG_NULL);
    cr_assert_eq(nw_cfg_kind_of(nw_cfg_get(root, "quoted_empty")), NW_CFG_SCALAR);
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(root, "quoted_empty")), "");
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(root, "quoted_null")), "null");
    cr_assert_null(nw_cfg_get(root, "missing"));
    cr_assert_null(nw_cfg_get(NULL, "x"));
    nw_config_free(cfg);
}

Test(config, empty_inputs_are_empty_maps)
{
    const char *texts[] = {"", "# only a comment\n\n", "---\n", "~\n", "---\n...\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        nw_config *cfg = load_ok(texts[i]);
        cr_assert_eq(nw_cfg_kind_of(nw_config_root(cfg)), NW_CFG_MAP, "text %zu", i);
        cr_assert_eq(nw_cfg_len(nw_config_root(cfg)), 0);
        nw_config_free(cfg);
    }
}

/* ------------------------------------------------------------------------ */
/* Refusals                                                                 */
/* ------------------------------------------------------------------------ */

Test(config, syntax_error_reports_line_column_and_problem)
{
    load_fails("a: 1\nb: [1, 2\nc: 3\n", NW_EINVAL, NULL);
    nw_config *cfg = NULL;
    nw_err err = {0};
    const char *text = "a: 1\nb: c: d\n";
    cr_assert_lt(nw_config_load_string(text, strlen(text), "consumer.yaml", &cfg, &err), 0);
    cr_assert_str_eq(err.msg, "consumer.yaml:2:5: YAML syntax error: mapping values are not "
                              "allowed in this context");
    text = "a:\n  b: 1\n c: 2\n";
    cr_assert_lt(nw_config_load_string(text, strlen(text), "consumer.yaml", &cfg, &err), 0);
    cr_assert_str_eq(err.msg, "consumer.yaml:3:2: YAML syntax error: did not find expected key "
                              "(while parsing a block mapping at line 1)");
}

Test(config, invalid_utf8_is_a_reader_error_with_line)
{
    load_fails("a: 1\nb: \"caf\xff\"\n", NW_EINVAL,
               "consumer.yaml:2: invalid YAML text: invalid leading UTF-8 octet "
               "(byte 0xff at offset 12)");
}

Test(config, duplicate_keys)
{
    load_fails("a: 1\nb: 2\na: 3\n", NW_EINVAL,
               "consumer.yaml:3: a: duplicate key 'a' (first defined at line 1)");
    load_fails("chain:\n  - root: x\n    fsync: true\n    root: y\n", NW_EINVAL,
               "consumer.yaml:4: chain[0].root: duplicate key 'root' (first defined at line 2)");
    /* the earliest repeat in file order is reported */
    load_fails("z: 1\ny: 1\ny: 2\nz: 2\n", NW_EINVAL,
               "consumer.yaml:3: y: duplicate key 'y' (first defined at line 2)");
}

Test(config, duplicate_check_scales)
{
    /* 20000 distinct keys and one repeat at the end: n log n, not n^2 */
    size_t cap = 20001 * 16;
    char *text = malloc(cap);
    size_t len = 0;
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(text + len, cap - len, "k%d: %d\n", i, i);
    len += (size_t)snprintf(text + len, cap - len, "k7: x\n");
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(text, len, "big.yaml", &cfg, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "big.yaml:20001: k7: duplicate key 'k7' (first defined at line 8)");
    free(text);
}

Test(config, second_document_is_refused)
{
    load_fails("a: 1\n---\nb: 2\n", NW_EINVAL,
               "consumer.yaml:2: a second YAML document ('---'); a config file holds one");
}

Test(config, tags_are_refused)
{
    load_fails("a: !!python/object:os.system x\n", NW_EINVAL,
               "consumer.yaml:1: a: YAML tags are not supported "
               "(found 'tag:yaml.org,2002:python/object:os.system'); write the plain value");
    load_fails("a:\n  - !!map {b: 1}\n", NW_EINVAL,
               "consumer.yaml:2: a[0]: YAML tags are not supported "
               "(found 'tag:yaml.org,2002:map'); write the plain value");
    load_fails("!custom {}\n", NW_EINVAL, NULL);
}

Test(config, top_level_must_be_a_map)
{
    load_fails("- a\n- b\n", NW_EINVAL,
               "consumer.yaml:1: expected a map of settings at the top level, got a list");
    load_fails("just text\n", NW_EINVAL,
               "consumer.yaml:1: expected a map of settings at the top level, got a value");
}

Test(config, keys_must_be_plain)
{
    load_fails("? [a, b]\n: 1\n", NW_EINVAL,
               "consumer.yaml:1: expected a key (a plain string), got a list");
    load_fails("a:\n  ? \n  : 1\n", NW_EINVAL,
               "consumer.yaml:2: a: expected a key before ':', got nothing");
    load_fails("base: &b {x: 1}\nother:\n  <<: *b\n", NW_EINVAL,
               "consumer.yaml:3: other: merge keys ('<<') are not supported; write the settings "
               "out or use a plain alias as the whole value");
    load_fails("a: \"x\\0y\"\n", NW_EINVAL,
               "consumer.yaml:1: a: the value contains a NUL character");
}

Test(config, nesting_is_bounded)
{
    char text[512];
    size_t n = (size_t)snprintf(text, sizeof text, "a: ");
    for (int i = 0; i < NW_CONFIG_MAX_DEPTH; i++)
        text[n++] = '[';
    for (int i = 0; i < NW_CONFIG_MAX_DEPTH; i++)
        text[n++] = ']';
    text[n] = '\0';
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(text, n, "deep.yaml", &cfg, &err), NW_ELIMIT);
    cr_assert(strstr(err.msg, "nested deeper than 64 maps and lists"), "%s", err.msg);
    cr_assert(!strncmp(err.msg, "deep.yaml:1: a", 14), "%s", err.msg);
}

Test(config, size_limit)
{
    size_t len = NW_CONFIG_MAX_BYTES + 1;
    char *text = malloc(len);
    memset(text, '#', len);
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(text, len, "huge.yaml", &cfg, &err), NW_ELIMIT);
    cr_assert_str_eq(err.msg, "huge.yaml: larger than the 4194304-byte limit for config files");

    char *dir = nw_test_mkdtemp("cfg");
    char path[512];
    snprintf(path, sizeof path, "%s/huge.yaml", dir);
    cr_assert_eq(nw_test_write_file(path, text, len), 0);
    cr_assert_eq(nw_config_load_file(path, &cfg, &err), NW_ELIMIT);
    cr_assert(strstr(err.msg, "larger than the 4194304-byte limit"), "%s", err.msg);
    cr_assert(!strncmp(err.msg, path, strlen(path)));
    nw_test_rm_rf(dir);
    free(dir);
    free(text);
}

Test(config, load_file_and_missing_file)
{
    char *dir = nw_test_mkdtemp("cfg");
    char path[512];
    snprintf(path, sizeof path, "%s/c.yaml", dir);
    const char *text = "a: 1\nb:\n  c: maybe\n";
    cr_assert_eq(nw_test_write_file(path, text, strlen(text)), 0);
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_file(path, &cfg, &err), 0, "%s", err.msg);
    cr_assert_str_eq(nw_config_origin(cfg), path);
    bool v;
    const nw_cfg_node *c = nw_cfg_get(nw_cfg_get(nw_config_root(cfg), "b"), "c");
    cr_assert_lt(nw_cfg_as_bool(c, &v, &err), 0);
    char want[600];
    snprintf(want, sizeof want, "%s:3: b.c: expected true or false, got 'maybe'", path);
    cr_assert_str_eq(err.msg, want);
    nw_config_free(cfg);

    snprintf(path, sizeof path, "%s/nope.yaml", dir);
    cr_assert_eq(nw_config_load_file(path, &cfg, &err), NW_ENOTFOUND);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    cr_assert_str_eq(err.msg, want);
    cr_assert_null(cfg);
    cr_assert_eq(nw_config_load_file(dir, &cfg, &err), NW_EIO);
    cr_assert(strstr(err.msg, "Is a directory"), "%s", err.msg);
    nw_test_rm_rf(dir);
    free(dir);
}

/* ------------------------------------------------------------------------ */
/* Aliases                                                                  */
/* ------------------------------------------------------------------------ */

Test(config, plain_aliases_are_copied_with_their_own_paths)
{
    nw_config *cfg = load_ok("defaults: &d\n"    /* 1 */
                             "  fsync: maybe\n"  /* 2 */
                             "  root: /a\n"      /* 3 */
                             "chain:\n"          /* 4 */
                             "  - *d\n"          /* 5 */
                             "  - name: &n x\n"  /* 6 */
                             "    other: *n\n"); /* 7 */
    const nw_cfg_node *chain = nw_cfg_get(nw_config_root(cfg), "chain");
    const nw_cfg_node *c0 = nw_cfg_item(chain, 0);
    cr_assert_eq(nw_cfg_kind_of(c0), NW_CFG_MAP);
    cr_assert_str_eq(nw_cfg_path(c0), "chain[0]");
    const nw_cfg_node *fsync = nw_cfg_get(c0, "fsync");
    cr_assert_str_eq(nw_cfg_path(fsync), "chain[0].fsync");
    nw_err err = {0};
    bool b;
    cr_assert_lt(nw_cfg_as_bool(fsync, &b, &err), 0);
    /* the path is where it is used, the line where its text is */
    cr_assert_str_eq(err.msg,
                     "consumer.yaml:2: chain[0].fsync: expected true or false, got 'maybe'");
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(nw_cfg_item(chain, 1), "other")), "x");
    nw_config_free(cfg);
}

Test(config, alias_errors)
{
    load_fails("a: *nope\n", NW_EINVAL,
               "consumer.yaml:1: a: unknown alias *nope (no anchor &nope before it)");
    load_fails("a: &x [1, *x]\n", NW_EINVAL,
               "consumer.yaml:1: a[1]: alias *x is used inside the node it names");

    /* anchors are counted too: alias lookups stay cheap */
    size_t cap = (NW_CONFIG_MAX_ANCHORS + 2) * 24;
    char *text = malloc(cap);
    size_t len = 0;
    for (int i = 0; i <= NW_CONFIG_MAX_ANCHORS; i++)
        len += (size_t)snprintf(text + len, cap - len, "k%d: &a%d v\n", i, i);
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(text, len, "consumer.yaml", &cfg, &err), NW_ELIMIT);
    cr_assert_str_eq(err.msg, "consumer.yaml:1025: k1024: more than 1024 anchors ('&name')");
    free(text);
}

Test(config, billion_laughs_is_bounded)
{
    const char *text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    nw_config *cfg = NULL;
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(text, strlen(text), "lol.yaml", &cfg, &err), NW_ELIMIT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert(strstr(err.msg, "too many values (the limit is 262144, aliases expanded)"), "%s",
              err.msg);
    cr_assert(!strncmp(err.msg, "lol.yaml:", 9));
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_lt(s, 5.0, "took %.2fs", s);

    /* few nodes, much text: the byte budget stops it */
    size_t big = 1u << 20;
    char *t = malloc(big + 256);
    size_t n = (size_t)snprintf(t, 256, "a: &a '");
    memset(t + n, 'x', big);
    n += big;
    n += (size_t)snprintf(t + n, 256,
                          "'\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a,"
                          " *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a,"
                          " *a, *a, *a, *a, *a, *a, *a, *a]\n");
    cr_assert_eq(nw_config_load_string(t, n, "text.yaml", &cfg, &err), NW_ELIMIT);
    cr_assert(strstr(err.msg, "too much text"), "%s", err.msg);
    free(t);
}

/* ------------------------------------------------------------------------ */
/* Typed reads                                                              */
/* ------------------------------------------------------------------------ */

static const char *TYPED = "s: hello\n"                   /* 1 */
                           "i: 42\n"                      /* 2 */
                           "neg: -7\n"                    /* 3 */
                           "big: 99999999999999999999\n"  /* 4 */
                           "port: 70000\n"                /* 5 */
                           "t: TRUE\n"                    /* 6 */
                           "f: off\n"                     /* 7 */
                           "bad: maybe\n"                 /* 8 */
                           "d1: 250ms\n"                  /* 9 */
                           "d2: 5s\n"                     /* 10 */
                           "d3: 2m\n"                     /* 11 */
                           "d4: 72h\n"                    /* 12 */
                           "d5: 3d\n"                     /* 13 */
                           "d6: 1500\n"                   /* 14 */
                           "dbad: 5 sec\n"                /* 15 */
                           "z1: 512\n"                    /* 16 */
                           "z2: 64KiB\n"                  /* 17 */
                           "z3: 5MB\n"                    /* 18 */
                           "z4: 1gib\n"                   /* 19 */
                           "z5: 2 MiB\n"                  /* 20 */
                           "zbad: -1KB\n"                 /* 21 */
                           "m: {a: 1}\n"                  /* 22 */
                           "nothing:\n"                   /* 23 */
                           "dhuge: 99999999999999999d\n"; /* 24 */

Test(config, typed_reads)
{
    nw_config *cfg = load_ok(TYPED);
    const nw_cfg_node *r = nw_config_root(cfg);
    nw_err err = {0};
    const char *s;
    int64_t i;
    bool b;
    uint64_t z;

    cr_assert_eq(nw_cfg_as_string(nw_cfg_get(r, "s"), &s, &err), 0);
    cr_assert_str_eq(s, "hello");
    cr_assert_eq(nw_cfg_as_int(nw_cfg_get(r, "i"), 0, 100, &i, &err), 0);
    cr_assert_eq(i, 42);
    cr_assert_eq(nw_cfg_as_int(nw_cfg_get(r, "neg"), INT64_MIN, INT64_MAX, &i, &err), 0);
    cr_assert_eq(i, -7);
    cr_assert_eq(nw_cfg_as_bool(nw_cfg_get(r, "t"), &b, &err), 0);
    cr_assert(b);
    cr_assert_eq(nw_cfg_as_bool(nw_cfg_get(r, "f"), &b, &err), 0);
    cr_assert(!b);

    const char *dk[] = {"d1", "d2", "d3", "d4", "d5"};
    int64_t dv[] = {250, 5000, 120000, 72 * 3600000LL, 3 * 86400000LL};
    for (size_t k = 0; k < 5; k++) {
        cr_assert_eq(nw_cfg_as_duration_ms(nw_cfg_get(r, dk[k]), &i, &err), 0, "%s", err.msg);
        cr_assert_eq(i, dv[k], "%s", dk[k]);
    }
    const char *zk[] = {"z1", "z2", "z3", "z4", "z5"};
    uint64_t zv[] = {512, 65536, 5000000, 1ull << 30, 2ull << 20};
    for (size_t k = 0; k < 5; k++) {
        cr_assert_eq(nw_cfg_as_size(nw_cfg_get(r, zk[k]), &z, &err), 0, "%s", err.msg);
        cr_assert_eq(z, zv[k], "%s", zk[k]);
    }
    nw_config_free(cfg);
}

Test(config, typed_read_errors)
{
    nw_config *cfg = load_ok(TYPED);
    const nw_cfg_node *r = nw_config_root(cfg);
    nw_err err = {0};
    const char *s;
    int64_t i;
    bool b;
    uint64_t z;

    cr_assert_eq(nw_cfg_as_bool(nw_cfg_get(r, "bad"), &b, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:8: bad: expected true or false, got 'maybe'");
    cr_assert_eq(nw_cfg_as_int(nw_cfg_get(r, "port"), 1, 65535, &i, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:5: port: expected an integer between 1 and 65535, "
                              "got '70000'");
    cr_assert_eq(nw_cfg_as_int(nw_cfg_get(r, "big"), INT64_MIN, INT64_MAX, &i, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:4: big: expected an integer, got "
                              "'99999999999999999999'");
    cr_assert_eq(nw_cfg_as_int(nw_cfg_get(r, "neg"), 0, INT64_MAX, &i, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:3: neg: expected an integer of at least 0, got '-7'");
    cr_assert_eq(nw_cfg_as_int(nw_cfg_get(r, "s"), 0, 10, &i, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:1: s: expected an integer between 0 and 10, got "
                              "'hello'");
    cr_assert_eq(nw_cfg_as_duration_ms(nw_cfg_get(r, "dbad"), &i, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:15: dbad: expected a duration such as 250ms, 5s, "
                              "2m, 72h or 3d, got '5 sec'");
    /* a bare number was read as milliseconds ("shutdown_timeout: 30" = 30 ms) */
    cr_assert_eq(nw_cfg_as_duration_ms(nw_cfg_get(r, "d6"), &i, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:14: d6: duration '1500' has no unit: write 1500ms, "
                              "1500s, 1500m, 1500h or 1500d");
    cr_assert_eq(nw_cfg_as_duration_ms(nw_cfg_get(r, "dhuge"), &i, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:24: dhuge: duration '99999999999999999d' is too long");
    cr_assert_eq(nw_cfg_as_size(nw_cfg_get(r, "zbad"), &z, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:21: zbad: expected a size such as 512, 64KiB, 5MB "
                              "or 1GiB, got '-1KB'");
    cr_assert_eq(nw_cfg_as_string(nw_cfg_get(r, "m"), &s, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:22: m: expected a string, got a map");
    cr_assert_eq(nw_cfg_as_string(nw_cfg_get(r, "nothing"), &s, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:23: nothing: expected a string, got an empty value");
    cr_assert_eq(nw_cfg_as_bool(nw_cfg_get(r, "absent"), &b, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "missing value (expected true or false)");

    cr_assert_eq(nw_cfg_error(nw_cfg_get(r, "s"), &err, NW_ELIMIT, "too %s", "long"), NW_ELIMIT);
    cr_assert_str_eq(err.msg, "consumer.yaml:1: s: too long");
    nw_config_free(cfg);
}

Test(config, duration_zero_needs_no_unit)
{
    nw_config *cfg = load_ok("a: 0\nb: 0ms\n");
    const nw_cfg_node *r = nw_config_root(cfg);
    nw_err err = {0};
    int64_t v = -1;
    cr_assert_eq(nw_cfg_as_duration_ms(nw_cfg_get(r, "a"), &v, &err), 0, "%s", err.msg);
    cr_assert_eq(v, 0);
    cr_assert_eq(nw_cfg_as_duration_ms(nw_cfg_get(r, "b"), &v, &err), 0, "%s", err.msg);
    cr_assert_eq(v, 0);
    nw_config_free(cfg);
}

Test(config, brief_example_message)
{
    /* the exact example of the design brief: line 14, chain[0].fsync */
    nw_config *cfg = load_ok("# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n# 10\n"
                             "chain:\n"         /* 11 */
                             "  - plugin: x\n"  /* 12 */
                             "    root: /tmp\n" /* 13 */
                             "    fsync: maybe\n");
    bool b;
    nw_err err = {0};
    const nw_cfg_node *c0 = nw_cfg_item(nw_cfg_get(nw_config_root(cfg), "chain"), 0);
    cr_assert_lt(nw_cfg_as_bool(nw_cfg_get(c0, "fsync"), &b, &err), 0);
    cr_assert_str_eq(err.msg,
                     "consumer.yaml:14: chain[0].fsync: expected true or false, got 'maybe'");
    nw_config_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* Table-driven reads                                                       */
/* ------------------------------------------------------------------------ */

typedef struct archive_conf {
    const char *root;
    int64_t workers;
    bool fsync;
    int64_t flush_ms;
    uint64_t max_bytes;
    const nw_cfg_node *options;
} archive_conf;

static const nw_cfg_field ARCHIVE_FIELDS[] = {
    {"root", NW_CFG_T_STRING, NULL, offsetof(archive_conf, root), 0, 0, "archive directory"},
    {"workers", NW_CFG_T_INT, "4", offsetof(archive_conf, workers), 1, 64, "writer threads"},
    {"fsync", NW_CFG_T_BOOL, "true", offsetof(archive_conf, fsync), 0, 0, "fsync each file"},
    {"flush_interval", NW_CFG_T_DURATION, "5s", offsetof(archive_conf, flush_ms), 0, 0, ""},
    {"max_bytes", NW_CFG_T_SIZE, "1MiB", offsetof(archive_conf, max_bytes), 0, 0, ""},
    {"options", NW_CFG_T_NODE, "", offsetof(archive_conf, options), 0, 0, "free-form"},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

Test(config, table_read_values_and_defaults)
{
    nw_config *cfg = load_ok("chain:\n"
                             "  - root: /srv/a\n"
                             "    workers: 8\n"
                             "    flush_interval: 250ms\n"
                             "    max_bytes:\n"
                             "    options: {x: 1}\n"
                             "  - root: /srv/b\n");
    const nw_cfg_node *chain = nw_cfg_get(nw_config_root(cfg), "chain");
    archive_conf a;
    memset(&a, 0xAB, sizeof a);
    nw_err err = {0};
    cr_assert_eq(nw_cfg_read(nw_cfg_item(chain, 0), ARCHIVE_FIELDS, &a, &err), 0, "%s", err.msg);
    cr_assert_str_eq(a.root, "/srv/a");
    cr_assert_eq(a.workers, 8);
    cr_assert(a.fsync);
    cr_assert_eq(a.flush_ms, 250);
    cr_assert_eq(a.max_bytes, 1u << 20, "empty value takes the default");
    cr_assert_eq(nw_cfg_kind_of(a.options), NW_CFG_MAP);
    cr_assert_str_eq(nw_cfg_path(a.options), "chain[0].options");

    memset(&a, 0xAB, sizeof a);
    cr_assert_eq(nw_cfg_read(nw_cfg_item(chain, 1), ARCHIVE_FIELDS, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(a.workers, 4);
    cr_assert_eq(a.flush_ms, 5000);
    cr_assert_null(a.options);
    nw_config_free(cfg);
}

Test(config, table_read_errors)
{
    nw_config *cfg = load_ok("chain:\n"              /* 1 */
                             "  - root: /srv/a\n"    /* 2 */
                             "    fsnc: true\n"      /* 3 */
                             "  - workers: 2\n"      /* 4 */
                             "  - root: /x\n"        /* 5 */
                             "    workers: 65\n"     /* 6 */
                             "  - root: /x\n"        /* 7 */
                             "    colour: red\n"     /* 8 */
                             "  - [not, a, map]\n"); /* 9 */
    const nw_cfg_node *chain = nw_cfg_get(nw_config_root(cfg), "chain");
    archive_conf a;
    nw_err err = {0};
    cr_assert_eq(nw_cfg_read(nw_cfg_item(chain, 0), ARCHIVE_FIELDS, &a, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:3: chain[0].fsnc: unknown key; did you mean 'fsync'?");
    cr_assert_eq(nw_cfg_read(nw_cfg_item(chain, 1), ARCHIVE_FIELDS, &a, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:4: chain[1]: missing required key 'root'");
    cr_assert_eq(nw_cfg_read(nw_cfg_item(chain, 2), ARCHIVE_FIELDS, &a, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:6: chain[2].workers: expected an integer between 1 "
                              "and 64, got '65'");
    cr_assert_eq(nw_cfg_read(nw_cfg_item(chain, 3), ARCHIVE_FIELDS, &a, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:8: chain[3].colour: unknown key (expected one of: "
                              "root, workers, fsync, flush_interval, max_bytes, options)");
    cr_assert_eq(nw_cfg_read(nw_cfg_item(chain, 4), ARCHIVE_FIELDS, &a, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "consumer.yaml:9: chain[4]: expected a map, got a list");
    cr_assert_eq(nw_cfg_read(NULL, ARCHIVE_FIELDS, &a, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "missing required key 'root'");

    static const nw_cfg_field bad_default[] = {
        {"fsync", NW_CFG_T_BOOL, "perhaps", 0, 0, 0, ""},
        {NULL, 0, NULL, 0, 0, 0, NULL},
    };
    bool b;
    cr_assert_eq(nw_cfg_read(NULL, bad_default, &b, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "<default>: fsync: expected true or false, got 'perhaps'");
    nw_config_free(cfg);
}

/* ------------------------------------------------------------------------ */
/* Environment overrides                                                    */
/* ------------------------------------------------------------------------ */

static const char *ENV_BASE = "brokers: a:9092\n"             /* 1 */
                              "kafka:\n"                      /* 2 */
                              "  bootstrap.servers: k:9092\n" /* 3 */
                              "  Linger-MS: 5\n"              /* 4 */
                              "chain:\n"                      /* 5 */
                              "  - root: /a\n"                /* 6 */
                              "    fsync: true\n"             /* 7 */
                              "metrics:\n"                    /* 8 */
                              "name: x\n";                    /* 9 */

Test(config, env_overrides_map_names)
{
    nw_config *cfg = load_ok(ENV_BASE);
    char *env[] = {
        "PATH=/usr/bin",
        "NEWSWIRE_BROKERS=b:9092",
        "NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS=env:9092",
        "NEWSWIRE_KAFKA__LINGER_MS=20",
        "NEWSWIRE_KAFKA__SASL__MECHANISM=PLAIN",
        "NEWSWIRE_CHAIN__0__FSYNC=maybe",
        "NEWSWIRE_METRICS__LISTEN=0.0.0.0:9100",
        "NEWSWIRE_DEDUP__WINDOW_HOURS=24",
        "NEWSWIRE_LOG_LEVEL=debug",
        "NEWSWIRE_LOG_FORMAT=json",
        "NEWSWIRE_CONFIG=/etc/newswire.yaml",
        "NEWSWIRE_NAME=",
        "NOT_NEWSWIRE_X=1",
        NULL,
    };
    nw_err err = {0};
    cr_assert_eq(nw_config_apply_env(cfg, env, &err), 0, "%s", err.msg);
    const nw_cfg_node *r = nw_config_root(cfg);
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(r, "brokers")), "b:9092");
    const nw_cfg_node *kafka = nw_cfg_get(r, "kafka");
    const nw_cfg_node *bs = nw_cfg_get(kafka, "bootstrap.servers");
    cr_assert_str_eq(nw_cfg_scalar(bs), "env:9092");
    cr_assert_eq(nw_cfg_line(bs), 0);
    cr_assert_str_eq(nw_cfg_origin(bs), "env NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS");
    cr_assert_null(nw_cfg_get(kafka, "bootstrap"), "matched the dotted key, not a new map");
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(kafka, "Linger-MS")), "20");
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(nw_cfg_get(kafka, "sasl"), "mechanism")), "PLAIN");
    const nw_cfg_node *listen = nw_cfg_get(nw_cfg_get(r, "metrics"), "listen");
    cr_assert_str_eq(nw_cfg_scalar(listen), "0.0.0.0:9100");
    cr_assert_str_eq(nw_cfg_path(listen), "metrics.listen");
    const nw_cfg_node *wh = nw_cfg_get(nw_cfg_get(r, "dedup"), "window_hours");
    cr_assert_str_eq(nw_cfg_scalar(wh), "24");
    cr_assert_str_eq(nw_cfg_path(wh), "dedup.window_hours");
    cr_assert_null(nw_cfg_get(r, "log_level"));
    cr_assert_null(nw_cfg_get(r, "log_format"));
    cr_assert_null(nw_cfg_get(r, "config"));
    cr_assert_eq(nw_cfg_kind_of(nw_cfg_get(r, "name")), NW_CFG_SCALAR);
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(r, "name")), "");

    /* a bad value from the environment names the variable */
    bool b;
    const nw_cfg_node *fsync = nw_cfg_get(nw_cfg_item(nw_cfg_get(r, "chain"), 0), "fsync");
    cr_assert_lt(nw_cfg_as_bool(fsync, &b, &err), 0);
    cr_assert_str_eq(err.msg, "env NEWSWIRE_CHAIN__0__FSYNC: chain[0].fsync: expected true or "
                              "false, got 'maybe'");
    nw_config_free(cfg);
}

Test(config, env_nested_key_matches_dotted_then_nested)
{
    nw_config *cfg = load_ok("kafka:\n  bootstrap:\n    servers: k:1\n");
    char *env[] = {"NEWSWIRE_KAFKA__BOOTSTRAP__SERVERS=k:2", NULL};
    nw_err err = {0};
    cr_assert_eq(nw_config_apply_env(cfg, env, &err), 0, "%s", err.msg);
    const nw_cfg_node *k = nw_cfg_get(nw_config_root(cfg), "kafka");
    cr_assert_eq(nw_cfg_len(k), 1);
    cr_assert_str_eq(nw_cfg_scalar(nw_cfg_get(nw_cfg_get(k, "bootstrap"), "servers")), "k:2");
    nw_config_free(cfg);
}

static void env_fails(const char *var, const char *msg)
{
    nw_config *cfg = load_ok(ENV_BASE);
    char *env[] = {(char *)var, NULL};
    nw_err err = {0};
    cr_assert_lt(nw_config_apply_env(cfg, env, &err), 0, "%s should fail", var);
    cr_assert_str_eq(err.msg, msg);
    nw_config_free(cfg);
}

Test(config, env_errors)
{
    env_fails(
        "NEWSWIRE_KAFKA=x",
        "env NEWSWIRE_KAFKA: cannot replace a map 'kafka' (consumer.yaml:2) with a single value");
    env_fails("NEWSWIRE_BROKERS__HOST=x",
              "env NEWSWIRE_BROKERS__HOST: 'brokers' is a single value (consumer.yaml:1), not a "
              "map with more keys");
    env_fails("NEWSWIRE_CHAIN__3__ROOT=x",
              "env NEWSWIRE_CHAIN__3__ROOT: 'chain' is a list of 1 item(s); '3' is not the index "
              "of one of them");
    env_fails("NEWSWIRE_CHAIN__ROOT=x",
              "env NEWSWIRE_CHAIN__ROOT: 'chain' is a list of 1 item(s); 'root' is not the index "
              "of one of them");
    env_fails("NEWSWIRE_A____B=x",
              "env NEWSWIRE_A____B: empty name between '__' separators (write A__B for a.b)");
    env_fails("NEWSWIRE_=x", "env NEWSWIRE_: no setting named after the prefix");
}

Test(config, env_fills_an_empty_key_and_table_reads_it)
{
    nw_config *cfg = load_ok("chain:\n  - root:\n");
    char *env[] = {"NEWSWIRE_CHAIN__0__ROOT=/from/env", "NEWSWIRE_CHAIN__0__WORKERS=0", NULL};
    nw_err err = {0};
    cr_assert_eq(nw_config_apply_env(cfg, env, &err), 0, "%s", err.msg);
    archive_conf a;
    const nw_cfg_node *c0 = nw_cfg_item(nw_cfg_get(nw_config_root(cfg), "chain"), 0);
    cr_assert_eq(nw_cfg_read(c0, ARCHIVE_FIELDS, &a, &err), NW_EINVAL);
    cr_assert_str_eq(err.msg, "env NEWSWIRE_CHAIN__0__WORKERS: chain[0].workers: expected an "
                              "integer between 1 and 64, got '0'");
    nw_config_free(cfg);
}
