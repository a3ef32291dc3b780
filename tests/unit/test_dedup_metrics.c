/*
 * test_dedup_metrics — the plugin metrics hook end to end: a chain built
 * with a metrics registry (as the consumer host does for /metrics) runs the
 * dedup filter over a new story, a copy of it under another uri and a new
 * version of the first; the rendered exposition text then holds dedup's
 * series with the plugin label and the right values (verdicts by kind,
 * index stories and bytes, lookup latency count), and after the chain is
 * freed the instance's share of the index gauges is gone. Without a
 * registry the hook is not offered.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_buf.h"
#include "nw_chain.h"
#include "nw_config.h"
#include "nw_metrics.h"

static nw_config *cfg;

static nw_chain *build(const char *yaml, nw_metrics *m)
{
    nw_err err = {0};
    cr_assert_eq(nw_config_load_string(yaml, strlen(yaml), "consumer.yaml", &cfg, &err), 0, "%s",
                 err.msg);
    nw_chain_opts opts = {.metrics = m};
    nw_chain *chain = NULL;
    cr_assert_eq(nw_chain_new_ex(nw_cfg_get(nw_config_root(cfg), "chain"), "consumer.yaml", &opts,
                                 &chain, &err),
                 0, "%s", err.msg);
    return chain;
}

static void story(nw_chain_msg *m, int64_t off, const char *uri, const char *version, int seed)
{
    char body[4096], json[8192];
    size_t k = 0;
    for (int i = 0; i < 120; i++)
        k += (size_t)snprintf(body + k, sizeof body - k, "%sword%d", i ? " " : "", seed * 1000 + i);
    snprintf(json, sizeof json,
             "{\"uri\":\"%s\",\"version\":\"%s\",\"versionCreated\":\"2024-03-01T10:00:00Z\","
             "\"bodies\":[{\"value\":\"%s\"}]}",
             uri, version, body);
    cr_assert_eq(nw_chain_msg_init(m, "news.world", "news.", 0, off, uri, strlen(uri), json,
                                   strlen(json), -1, NULL),
                 0);
}

static char *render(nw_metrics *m)
{
    nw_buf b = {0};
    nw_metrics_render(m, &b);
    cr_assert(!nw_buf_failed(&b));
    return nw_buf_take(&b);
}

static void expect_line(const char *text, const char *line)
{
    char want[256];
    snprintf(want, sizeof want, "\n%s\n", line);
    cr_assert(strstr(text, want), "'%s' not in:\n%s", line, text);
}

Test(dedup_metrics, series_on_the_host_registry)
{
    nw_metrics *m = nw_metrics_new();
    nw_chain *chain = build("chain:\n  - plugin: dedup\n    policy: mark\n", m);
    nw_chain_msg msgs[3];
    nw_chain_msg *ptrs[3] = {&msgs[0], &msgs[1], &msgs[2]};
    story(&msgs[0], 0, "urn:newswire:afp:1", "1", 1);
    story(&msgs[1], 1, "urn:newswire:ap:2", "1", 1);  /* same text: duplicate */
    story(&msgs[2], 2, "urn:newswire:afp:1", "2", 2); /* new version: update */
    nw_err err = {0};
    cr_assert_eq(nw_chain_run(chain, ptrs, 3, &err), 0, "%s", err.msg);

    char *text = render(m);
    expect_line(text, "newswire_dedup_verdicts_total{plugin=\"dedup\",verdict=\"new\"} 1");
    expect_line(text, "newswire_dedup_verdicts_total{plugin=\"dedup\",verdict=\"duplicate\"} 1");
    expect_line(text, "newswire_dedup_verdicts_total{plugin=\"dedup\",verdict=\"update\"} 1");
    expect_line(text,
                "newswire_dedup_verdicts_total{plugin=\"dedup\",verdict=\"near-duplicate\"} 0");
    expect_line(text, "newswire_dedup_index_stories{plugin=\"dedup\"} 3");
    expect_line(text, "newswire_dedup_lookup_seconds_count{plugin=\"dedup\"} 3");
    expect_line(text, "newswire_dedup_evictions_total{plugin=\"dedup\",reason=\"capacity\"} 0");
    cr_assert(strstr(text, "# TYPE newswire_dedup_lookup_seconds histogram"), "%s", text);
    cr_assert(strstr(text, "# TYPE newswire_dedup_index_bytes gauge"), "%s", text);
    double bytes =
        nw_gauge_value(nw_metrics_gauge(m, "newswire_dedup_index_bytes", "", "plugin=\"dedup\""));
    cr_assert_gt(bytes, 1000);
    free(text);

    for (int i = 0; i < 3; i++)
        nw_chain_msg_deinit(&msgs[i]);
    nw_chain_free(chain);
    /* the instance is gone, and so is its share of the index gauges */
    cr_assert_eq(
        nw_gauge_value(nw_metrics_gauge(m, "newswire_dedup_index_stories", "", "plugin=\"dedup\"")),
        0);
    cr_assert_eq(
        nw_gauge_value(nw_metrics_gauge(m, "newswire_dedup_index_bytes", "", "plugin=\"dedup\"")),
        0);
    nw_config_free(cfg);
    cfg = NULL;
    nw_metrics_free(m);
}

Test(dedup_metrics, two_workers_add_up)
{
    nw_metrics *m = nw_metrics_new();
    nw_chain *a = build("chain:\n  - plugin: dedup\n", m);
    nw_config *cfg_a = cfg;
    cfg = NULL;
    nw_chain *b = build("chain:\n  - plugin: dedup\n", m);
    nw_chain_msg m1, m2;
    nw_chain_msg *p1 = &m1, *p2 = &m2;
    story(&m1, 0, "urn:newswire:afp:1", "1", 1);
    story(&m2, 0, "urn:newswire:afp:2", "1", 2);
    cr_assert_eq(nw_chain_run(a, &p1, 1, NULL), 0);
    cr_assert_eq(nw_chain_run(b, &p2, 1, NULL), 0);
    cr_assert_eq(nw_counter_value(nw_metrics_counter(m, "newswire_dedup_verdicts_total", "",
                                                     "plugin=\"dedup\",verdict=\"new\"")),
                 2);
    cr_assert_eq(
        nw_gauge_value(nw_metrics_gauge(m, "newswire_dedup_index_stories", "", "plugin=\"dedup\"")),
        2);
    nw_chain_msg_deinit(&m1);
    nw_chain_msg_deinit(&m2);
    nw_chain_free(a);
    cr_assert_eq(
        nw_gauge_value(nw_metrics_gauge(m, "newswire_dedup_index_stories", "", "plugin=\"dedup\"")),
        1);
    nw_chain_free(b);
    nw_config_free(cfg_a);
    nw_config_free(cfg);
    cfg = NULL;
    nw_metrics_free(m);
}
