/*
 * test_libxml_lazy — nw_libxml loads libxml2 at the first XML document, not
 * at start: JSON, plain text and simple HTML never load it; the first XML
 * document does, and parses as before; many threads meeting their first
 * document at the same moment all parse it (one load); a library that cannot
 * be loaded (NW_LIBXML_SONAME naming a missing one, or a library without
 * libxml2's functions) is an error naming it for every XML input, the same
 * on a second attempt, never a crash, while the inputs that do not need
 * libxml2 still parse. This binary does not link libxml2 and Criterion runs
 * every test in a fresh process, so dlopen(RTLD_NOLOAD) tells whether
 * nw_libxml loaded it.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_html.h"
#include "nw_libxml.h"
#include "nw_ninjs.h"
#include "nw_parser.h"
#include "nw_story.h"

static bool libxml_loaded(void)
{
    void *h = dlopen(NW_LIBXML_SONAME, RTLD_LAZY | RTLD_NOLOAD);
    if (h)
        dlclose(h); /* NOLOAD took a reference */
    return h != NULL;
}

static const char nitf[] =
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
    "<nitf><head><title>T</title><docdata><doc-id id-string=\"lazy-1\"/>"
    "<date.issue norm=\"20240102T030405Z\"/></docdata></head>"
    "<body><body.head><hedline><hl1>Caf\xE9 headline</hl1></hedline></body.head>"
    "<body.content><p>First &amp; only paragraph.</p><p>Second.</p></body.content></body></nitf>\n";

static const char rss[] = "<?xml version=\"1.0\"?>\n"
                          "<rss version=\"2.0\"><channel><title>Feed</title>"
                          "<link>https://example.com/</link>"
                          "<item><title>Item one</title><link>/a/1</link>"
                          "<description>&lt;p&gt;Body &amp;eacute;&lt;/p&gt;</description>"
                          "<guid>https://example.com/a/1</guid></item></channel></rss>\n";

static const char jsonfeed[] =
    "{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"F\","
    " \"home_page_url\": \"https://example.com/\","
    " \"items\": [{\"id\": \"1\", \"url\": \"/x/1\", \"title\": \"J\","
    " \"content_text\": \"Text.\"}]}";

static const char ninjs[] = "{\"uri\": \"urn:x:lazy\", \"headline\": \"N\","
                            " \"body_html\": \"<p>Plain <b>bold</b> &amp; simple.</p>\"}";

/* Parse buf as `format` ("auto" when NULL); the one story's ninjs text
 * (malloc'd), or NULL with err set. */
static char *parse_one(const char *format, const char *buf, size_t len, nw_err *err)
{
    nw_story_list list = {0};
    if (nw_parse_buffer(format, buf, len, NULL, &list, err) < 0)
        return NULL;
    cr_assert_eq(list.len, 1);
    char *s = nw_ninjs_dumps(list.items[0], err);
    cr_assert_not_null(s, "%s", err->msg);
    nw_story_list_free(&list);
    return s;
}

Test(libxml_lazy, json_and_text_do_not_load_it_xml_does)
{
    cr_assert_not(libxml_loaded(), "libxml2 mapped before any input");
    nw_err err = {0};
    char *s = parse_one("ninjs", ninjs, strlen(ninjs), &err);
    cr_assert_not_null(s, "%s", err.msg);
    cr_assert(strstr(s, "<b>bold</b>"), "%s", s);
    free(s);
    const char text[] = "Headline\n\nA plain text story.\n";
    s = parse_one(NULL, text, strlen(text), &err);
    cr_assert_not_null(s, "%s", err.msg);
    free(s);
    nw_html_result r;
    cr_assert_eq(nw_html_clean("<p>a &lt; b</p>", 15, &r, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r.plain, "a < b");
    nw_html_result_free(&r);
    cr_assert_not(libxml_loaded(), "JSON, plain text or simple HTML loaded libxml2");

    s = parse_one(NULL, nitf, strlen(nitf), &err);
    cr_assert_not_null(s, "%s", err.msg);
    cr_assert(libxml_loaded());
    cr_assert(strstr(s, "Caf\xC3\xA9 headline"), "%s", s);
    cr_assert(strstr(s, "First &amp; only paragraph."), "%s", s);
    free(s);
    s = parse_one(NULL, rss, strlen(rss), &err);
    cr_assert_not_null(s, "%s", err.msg);
    cr_assert(strstr(s, "https://example.com/a/1"), "%s", s);
    cr_assert(strstr(s, "Body \xC3\xA9"), "%s", s); /* &eacute;: libxml2's entity table */
    free(s);
    s = parse_one(NULL, jsonfeed, strlen(jsonfeed), &err);
    cr_assert_not_null(s, "%s", err.msg);
    cr_assert(strstr(s, "https://example.com/x/1"), "%s", s); /* xmlBuildURI */
    free(s);
    cr_assert_eq(nw_libxml_require(&err), 0);
}

Test(libxml_lazy, an_html_entity_loads_it_for_its_table)
{
    nw_err err = {0};
    nw_html_result r;
    cr_assert_eq(nw_html_clean("<p>caf&eacute;</p>", 18, &r, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r.plain, "caf\xC3\xA9");
    nw_html_result_free(&r);
    cr_assert(libxml_loaded());
}

/* ------------------------------------------------- concurrent first use */

#define RACERS 16

typedef struct racer {
    pthread_barrier_t *start;
    const char *input;
    char *out;
    nw_err err;
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    pthread_barrier_wait(r->start);
    nw_story_list list = {0};
    if (nw_parse_buffer(NULL, r->input, strlen(r->input), NULL, &list, &r->err) == 0 &&
        list.len == 1)
        r->out = nw_ninjs_dumps(list.items[0], &r->err);
    nw_story_list_free(&list);
    return NULL;
}

Test(libxml_lazy, threads_racing_the_first_document_all_parse_it)
{
    cr_assert_not(libxml_loaded());
    pthread_barrier_t start;
    cr_assert_eq(pthread_barrier_init(&start, NULL, RACERS), 0);
    racer r[RACERS];
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        r[i] = (racer){.start = &start, .input = i % 3 == 0 ? rss : i % 3 == 1 ? nitf : jsonfeed};
        cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    cr_assert(libxml_loaded());
    /* the same as the same documents parsed one by one afterwards */
    for (int i = 0; i < RACERS; i++) {
        cr_assert_not_null(r[i].out, "thread %d: %s", i, r[i].err.msg);
        nw_err err = {0};
        char *want = parse_one(NULL, r[i].input, strlen(r[i].input), &err);
        cr_assert_not_null(want, "%s", err.msg);
        cr_assert_str_eq(r[i].out, want, "thread %d", i);
        free(want);
        free(r[i].out);
    }
}

/* ------------------------------------------------------ missing library */

/* Every input that needs libxml2 fails with the same message, twice, and
 * the others still parse. `why` is a part of the expected message. */
static void check_unavailable(const char *why)
{
    const char *needs[][2] = {{NULL, nitf}, {"rss", rss}, {NULL, jsonfeed}};
    char first[3][NW_ERR_MSG_MAX];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++) {
            nw_err err = {0};
            nw_story_list list = {0};
            nw_parse_opts opts = {.origin = "in.xml"};
            int rc =
                nw_parse_buffer(needs[i][0], needs[i][1], strlen(needs[i][1]), &opts, &list, &err);
            cr_assert_eq(rc, NW_ENOTFOUND, "input %d: rc %d: %s", i, rc, err.msg);
            cr_assert_eq(list.len, 0);
            cr_assert(strstr(err.msg, "in.xml: libxml2 is needed"), "%s", err.msg);
            cr_assert(strstr(err.msg, why), "%s", err.msg);
            if (round == 0)
                snprintf(first[i], sizeof first[i], "%s", err.msg);
            else
                cr_assert_str_eq(err.msg, first[i]);
        }
    }
    /* HTML the fast path cannot finish alone: the same error, not a guess */
    nw_err err = {0};
    nw_html_result r;
    cr_assert_eq(nw_html_clean("<p>caf&eacute;</p>", 18, &r, &err), NW_ENOTFOUND);
    cr_assert(strstr(err.msg, why), "%s", err.msg);
    cr_assert_eq(nw_html_clean("<p><script>x</script></p>", 25, &r, &err), NW_ENOTFOUND);
    cr_assert_eq(nw_html_clean("<p><svg>x</svg></p>", 19, &r, &err), NW_ENOTFOUND);
    cr_assert_eq(nw_libxml_require(&err), NW_ENOTFOUND);
    cr_assert(strstr(err.msg, why), "%s", err.msg);
    /* what does not need it still works */
    char *s = parse_one("ninjs", ninjs, strlen(ninjs), &err);
    cr_assert_not_null(s, "%s", err.msg);
    free(s);
    const char text[] = "Headline\n\nA plain text story.\n";
    s = parse_one(NULL, text, strlen(text), &err);
    cr_assert_not_null(s, "%s", err.msg);
    free(s);
    cr_assert_eq(nw_html_clean("<p>a &amp; <i>b</i></p>", 23, &r, &err), 0, "%s", err.msg);
    cr_assert_str_eq(r.plain, "a & b");
    nw_html_result_free(&r);
}

Test(libxml_lazy, a_missing_library_is_an_error_naming_it)
{
    cr_assert_eq(setenv("NW_LIBXML_SONAME", "libxml2-nw-missing.so.2", 1), 0);
    check_unavailable("cannot load libxml2-nw-missing.so.2");
    cr_assert_not(libxml_loaded());
}

Test(libxml_lazy, a_library_without_its_functions_is_an_error_naming_the_function)
{
    /* a real library, but not libxml2: the first lookup fails */
    cr_assert_eq(setenv("NW_LIBXML_SONAME", "libz.so.1", 1), 0);
    check_unavailable("libz.so.1 has no xmlInitParser");
    cr_assert_not(libxml_loaded());
}

Test(libxml_lazy, threads_racing_a_missing_library_all_get_the_error)
{
    cr_assert_eq(setenv("NW_LIBXML_SONAME", "libxml2-nw-missing.so.2", 1), 0);
    pthread_barrier_t start;
    cr_assert_eq(pthread_barrier_init(&start, NULL, RACERS), 0);
    racer r[RACERS];
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++) {
        r[i] = (racer){.start = &start, .input = i % 2 ? rss : nitf};
        cr_assert_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < RACERS; i++) {
        cr_assert_null(r[i].out);
        cr_assert_eq(r[i].err.code, NW_ENOTFOUND, "thread %d: %s", i, r[i].err.msg);
        cr_assert(strstr(r[i].err.msg, "cannot load libxml2-nw-missing.so.2"), "%s", r[i].err.msg);
    }
}
