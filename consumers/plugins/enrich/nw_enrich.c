/*
 * nw_enrich — see nw_enrich.h. The rules are described in docs/enrich.md.
 */
#include "nw_enrich.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nw_enrich_dateline.h"
#include "nw_enrich_entities.h"
#include "nw_enrich_internal.h"
#include "nw_enrich_lang.h"
#include "nw_enrich_places.h"
#include "nw_enrich_words.h"

void nw_enrich_opts_default(nw_enrich_opts *o)
{
    *o = (nw_enrich_opts){true, true, true, true, true, true, 65536, 20, NULL, NULL, 0, false};
}

/* ---- instance ----------------------------------------------------------- */

nw_enrich *nw_enrich_new(const nw_enrich_data *data, const nw_enrich_opts *opts, nw_err *err)
{
    nw_enrich_class_init();
    nw_enrich *e = calloc(1, sizeof *e);
    if (!e)
        return nw_err_set(err, NW_ENOMEM, "out of memory"), NULL;
    e->data = data;
    e->opts = *opts;
    if (e->opts.max_text_bytes < 256)
        e->opts.max_text_bytes = 256;
    e->toks = malloc(MAX_TOKENS * sizeof *e->toks);
    for (e->ntopics = 0; nw_enrich_data_topic(data, (uint32_t)e->ntopics); e->ntopics++)
        ;
    e->deep_score = calloc(e->ntopics + 1, sizeof *e->deep_score);
    e->deep_hit = malloc((e->ntopics + 1) * sizeof *e->deep_hit);
    if (!e->toks || !e->deep_score || !e->deep_hit) {
        nw_enrich_free(e);
        return nw_err_set(err, NW_ENOMEM, "out of memory"), NULL;
    }
    if (opts->language) {
        char conf[4200];
        if (opts->textcat_conf)
            snprintf(conf, sizeof conf, "%s", opts->textcat_conf);
        else
            snprintf(conf, sizeof conf, "%s/textcat.conf", nw_enrich_data_dir(data));
        e->lang = nw_enrich_lang_new(conf, "/usr/share/libexttextcat/", opts->languages,
                                     opts->nlanguages, err);
        if (!e->lang) {
            nw_enrich_free(e);
            return NULL;
        }
    }
    return e;
}

void nw_enrich_free(nw_enrich *e)
{
    if (!e)
        return;
    nw_enrich_lang_free(e->lang);
    free(e->text);
    free(e->toks);
    free(e->deep_score);
    free(e->deep_hit);
    free(e);
}

/* ---- story text --------------------------------------------------------- */

static const char *str_member(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The first headline's text. */
static const char *story_headline(json_t *story)
{
    json_t *hl = json_object_get(story, "headlines");
    if (json_is_array(hl) && json_array_size(hl) > 0)
        return str_member(json_array_get(hl, 0), "value");
    return str_member(story, "headline");
}

/* The first body and whether it is HTML. */
static const char *story_body(json_t *story, bool *html)
{
    json_t *bodies = json_object_get(story, "bodies");
    *html = false;
    if (json_is_array(bodies)) {
        const char *any = NULL;
        bool any_html = false;
        for (size_t i = 0; i < json_array_size(bodies); i++) {
            json_t *b = json_array_get(bodies, i);
            const char *v = str_member(b, "value");
            const char *ct = str_member(b, "contentType");
            if (!ct)
                ct = str_member(b, "contenttype");
            if (!v)
                continue;
            bool h = ct && strstr(ct, "html");
            if (!h)
                return v;
            if (!any) {
                any = v;
                any_html = true;
            }
        }
        if (any) {
            *html = any_html;
            return any;
        }
    }
    const char *t = str_member(story, "body_text");
    if (t)
        return t;
    *html = true;
    return str_member(story, "body_html");
}

static int reserve(nw_enrich *e, size_t need)
{
    if (need <= e->cap)
        return 0;
    char *n = realloc(e->text, need);
    if (!n)
        return NW_ENOMEM;
    e->text = n;
    e->cap = need;
    return 0;
}

/* Append `len` bytes of `s` to the work text, tags removed when html. */
static size_t append_text(char *out, const char *s, size_t len, bool html)
{
    if (!html) { /* no NUL within len: s is a C string (story_parts) */
        memcpy(out, s, len);
        return len;
    }
    size_t n = 0;
    bool in_tag = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_tag) {
            if (c == '>') {
                in_tag = false;
                out[n++] = '\n'; /* block boundaries break spans */
                out[n++] = '\n';
            }
            continue;
        }
        if (c == '<') {
            in_tag = true;
            continue;
        }
        if (c == '&') {
            const char *semi = memchr(s + i, ';', len - i < 8 ? len - i : 8);
            if (semi) {
                size_t el = (size_t)(semi - (s + i));
                out[n++] = !strncmp(s + i, "&amp", el)    ? '&'
                           : !strncmp(s + i, "&quot", el) ? '"'
                                                          : '\'';
                if (!strncmp(s + i, "&nbsp", el) || !strncmp(s + i, "&#160", el))
                    out[n - 1] = ' ';
                i += el;
                continue;
            }
        }
        out[n++] = c ? c : ' ';
    }
    return n;
}

/* Cut `len` back to a UTF-8 character boundary. */
static size_t utf8_floor(const char *s, size_t len)
{
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--;
    return len;
}

/* ---- subjects ----------------------------------------------------------- */

static void topic_hit(void *ctx, uint32_t topic, float weight)
{
    nw_enrich *e = ctx;
    const nw_topic *t = nw_enrich_data_topic(e->data, topic);
    if (!t)
        return;
    e->top_score[t->top] += weight;
    if (t->level > 1) {
        if (e->deep_score[topic] == 0 && e->ndeep_hit < e->ntopics)
            e->deep_hit[e->ndeep_hit++] = topic;
        e->deep_score[topic] += weight;
    }
}

static void score_topics(nw_enrich *e)
{
    memset(e->top_score, 0, sizeof e->top_score);
    for (size_t i = 0; i < e->ndeep_hit; i++)
        e->deep_score[e->deep_hit[i]] = 0;
    e->ndeep_hit = 0;
    /* keys compare ASCII case-insensitively: a word is looked up in the
     * text; a phrase is its words joined by single spaces */
    char buf[96];
    for (size_t t = 0; t < e->ntoks; t++) {
        const token *first = &e->toks[t];
        bool head = false;
        if (first->len + 1 >= sizeof buf)
            continue;
        nw_enrich_data_topic_hits(e->data, e->text + first->off, first->len, first->hash, topic_hit,
                                  e, &head);
        if (!head)
            continue; /* no keyword phrase starts with this word */
        memcpy(buf, e->text + first->off, first->len);
        size_t len = first->len;
        for (size_t w = 1; w < 3 && t + w < e->ntoks; w++) {
            const token *k = &e->toks[t + w];
            if ((k->flags & NW_TOK_BREAK) || len + k->len + 1 >= sizeof buf)
                break;
            buf[len++] = ' ';
            memcpy(buf + len, e->text + k->off, k->len);
            len += k->len;
            nw_enrich_data_topic_hits(e->data, buf, len, nw_enrich_data_hash(buf, len), topic_hit,
                                      e, NULL);
        }
    }
}

/* ---- writing the story ------------------------------------------------------ */

static json_t *ensure_array(json_t *story, const char *key)
{
    json_t *a = json_object_get(story, key);
    if (json_is_array(a))
        return a;
    if (a) /* the provider's member is not an array: leave it alone */
        return NULL;
    a = json_array();
    if (!a || json_object_set_new(story, key, a) != 0)
        return NULL;
    return a;
}

static bool array_has(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = str_member(v, key);
        if (s && !strcasecmp(s, value))
            return true;
    }
    return false;
}

/* One of the first `n` members of arr (the provider's) has this `key`,
 * ASCII case aside. */
static bool given_has(json_t *arr, size_t n, const char *key, const char *value)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = str_member(json_array_get(arr, i), key);
        if (s && !strcasecmp(s, value))
            return true;
    }
    return false;
}

static int cmp_first(const void *a, const void *b)
{
    const ent *x = *(const ent *const *)a, *y = *(const ent *const *)b;
    return (x->first > y->first) - (x->first < y->first);
}

static unsigned write_entities(nw_enrich *e, json_t *story, ent_type type, const char *key)
{
    ent *order[MAX_ENTS];
    size_t n = 0;
    for (size_t i = 0; i < e->nents; i++)
        if (e->ents[i].type == type && !e->ents[i].dropped)
            order[n++] = &e->ents[i];
    if (!n)
        return 0;
    qsort(order, n, sizeof *order, cmp_first);
    json_t *arr = ensure_array(story, key);
    if (!arr)
        return 0;
    unsigned added = 0;
    size_t given = json_array_size(arr);
    const char *names[MAX_ENTS]; /* of the entries added here */
    for (size_t i = 0; i < n; i++) {
        ent *x = order[i];
        /* the provider's entry of the same name or uri stands, and the first
         * of enrich's of a name; two of enrich's may share a uri ("West
         * Germany" and "Germany"). The names added here are compared here,
         * not looked up again in the JSON (docs/enrich.md, "Quality and
         * speed"). */
        bool again = false;
        for (size_t k = 0; k < added && !again; k++)
            again = !strcasecmp(names[k], x->name);
        if (again || given_has(arr, given, "name", x->name) ||
            (x->gaz && x->gaz->uri[0] && given_has(arr, given, "uri", x->gaz->uri)))
            continue;
        /* a name cut from text that is not valid UTF-8 (a document a filter
         * before us built by hand) is no name: leave the entity out */
        json_t *name = json_string(x->name);
        json_t *o = name ? json_object() : NULL;
        if (!o) {
            json_decref(name);
            continue;
        }
        /* the keys and rel are the code's own ASCII: no UTF-8 check */
        json_object_set_new_nocheck(o, "name", name);
        json_object_set_new_nocheck(o, "rel",
                                    json_string_nocheck(x->rel ? x->rel : "enrich:mentioned"));
        if (x->gaz && x->gaz->uri[0])
            json_object_set_new_nocheck(o, "uri", json_string(x->gaz->uri));
        if (json_array_append_new(arr, o) == 0)
            names[added++] = x->name;
    }
    if (json_array_size(arr) == 0)
        json_object_del(story, key);
    return added;
}

static int add_subject(json_t *arr, const nw_topic *t, int confidence, int relevance)
{
    char uri[64];
    snprintf(uri, sizeof uri, "http://cv.iptc.org/newscodes/mediatopic/%s", t->code);
    if (array_has(arr, "uri", uri))
        return 0;
    json_t *o = json_object();
    if (!o)
        return NW_ENOMEM;
    json_object_set_new(o, "name", json_string(t->label));
    json_object_set_new(o, "uri", json_string(uri));
    json_object_set_new(o, "rel", json_string("enrich:about"));
    json_object_set_new(o, "creator", json_string(NW_ENRICH_CREATOR));
    json_object_set_new(o, "confidence", json_integer(confidence));
    json_object_set_new(o, "relevance", json_integer(relevance));
    return json_array_append_new(arr, o) == 0 ? 1 : NW_ENOMEM;
}

static unsigned write_subjects(nw_enrich *e, json_t *story)
{
    float total = 0, best = 0;
    for (int i = 0; i < NW_TOPIC_TOP_COUNT; i++) {
        total += e->top_score[i];
        if (e->top_score[i] > best)
            best = e->top_score[i];
    }
    if (best < 2)
        return 0;
    json_t *arr = ensure_array(story, "subjects");
    if (!arr)
        return 0;
    unsigned added = 0;
    bool chosen[NW_TOPIC_TOP_COUNT] = {false};
    for (int round = 0; round < 3; round++) {
        int pick = -1;
        for (int i = 0; i < NW_TOPIC_TOP_COUNT; i++)
            if (!chosen[i] && (pick < 0 || e->top_score[i] > e->top_score[pick]))
                pick = i;
        if (pick < 0 || e->top_score[pick] < 0.5f * best || e->top_score[pick] < 2)
            break;
        int conf = (int)lroundf(100 * e->top_score[pick] / total);
        if (conf < e->opts.min_topic_confidence && round > 0)
            break;
        chosen[pick] = true;
        const nw_topic *t =
            nw_enrich_data_topic(e->data, nw_enrich_data_top_topic(e->data, (unsigned)pick));
        int rel = (int)lroundf(100 * e->top_score[pick] / best);
        if (add_subject(arr, t, conf > 99 ? 99 : conf, rel) > 0)
            added++;
    }
    /* deeper topics whose label occurs at least twice, under a chosen top;
     * of equal scores the first in the vocabulary */
    for (int k = 0; k < 3; k++) {
        size_t pick = SIZE_MAX;
        for (size_t h = 0; h < e->ndeep_hit; h++) {
            size_t i = e->deep_hit[h];
            const nw_topic *t = nw_enrich_data_topic(e->data, (uint32_t)i);
            if (e->deep_score[i] >= 4 && chosen[t->top] &&
                (pick == SIZE_MAX || e->deep_score[i] > e->deep_score[pick] ||
                 (e->deep_score[i] == e->deep_score[pick] && i < pick)))
                pick = i;
        }
        if (pick == SIZE_MAX)
            break;
        const nw_topic *t = nw_enrich_data_topic(e->data, (uint32_t)pick);
        int conf = (int)lroundf(10 * e->deep_score[pick]);
        if (add_subject(arr, t, conf > 90 ? 90 : conf,
                        (int)lroundf(100 * e->deep_score[pick] / (e->top_score[t->top] + 1))) > 0)
            added++;
        e->deep_score[pick] = 0;
    }
    if (json_array_size(arr) == 0)
        json_object_del(story, "subjects");
    return added;
}

/* ---- the analysed text ------------------------------------------------------ */

/* What of a story is analysed: its first headline and first body, at most
 * max bytes together (the headline a quarter of them), cut at characters. */
typedef struct story_text {
    const char *headline, *body;
    size_t hl_len, body_len;
    bool html;
} story_text;

static story_text story_parts(json_t *story, size_t max)
{
    story_text t = {.headline = story_headline(story)};
    t.body = story_body(story, &t.html);
    t.hl_len = t.headline ? strlen(t.headline) : 0;
    t.body_len = t.body ? strlen(t.body) : 0;
    if (t.hl_len > max / 4)
        t.hl_len = utf8_floor(t.headline, max / 4);
    if (t.body_len > max - t.hl_len)
        t.body_len = utf8_floor(t.body, max - t.hl_len);
    return t;
}

/* Bytes `out` needs for the text of t. */
static size_t text_room(const story_text *t)
{
    return t->hl_len + 2 * t->body_len + 8;
}

/* The headline, a blank line and the body (tags removed) into `out`;
 * returns the length and where the body starts in *body_at. */
static size_t write_text(const story_text *t, char *out, size_t *body_at)
{
    size_t n = 0;
    if (t->headline) {
        memcpy(out, t->headline, t->hl_len);
        n = t->hl_len;
        out[n++] = '\n';
        out[n++] = '\n';
    }
    *body_at = n;
    if (t->body)
        n += append_text(out + n, t->body, t->body_len, t->html);
    out[n] = '\0';
    return n;
}

/* ---- words, for training the topic model ----------------------------------- */

typedef struct word_sink {
    const char *text;
    nw_enrich_word_fn fn;
    void *ctx;
    char buf[96];
} word_sink;

static void lower_word(void *ctx, size_t off, size_t len, unsigned flags)
{
    (void)flags;
    word_sink *w = ctx;
    if (len >= sizeof w->buf)
        return;
    for (size_t i = 0; i < len; i++)
        w->buf[i] = (char)tolower((unsigned char)w->text[off + i]);
    w->buf[len] = '\0';
    w->fn(w->ctx, w->buf, len);
}

int nw_enrich_story_words(json_t *story, size_t max_text_bytes, nw_enrich_word_fn fn, void *ctx)
{
    if (!json_is_object(story))
        return 0;
    story_text t = story_parts(story, max_text_bytes);
    char *text = malloc(text_room(&t));
    if (!text)
        return NW_ENOMEM;
    size_t body_at, n = write_text(&t, text, &body_at);
    word_sink w = {.text = text, .fn = fn, .ctx = ctx};
    size_t words = nw_enrich_tokenize(text, n, lower_word, &w);
    free(text);
    return words > INT32_MAX ? INT32_MAX : (int)words;
}

/* ---- the story ------------------------------------------------------------ */

int nw_enrich_story(nw_enrich *e, json_t *story, nw_enrich_result *res)
{
    memset(res, 0, sizeof *res);
    if (!json_is_object(story))
        return 0;
    story_text st = story_parts(story, e->opts.max_text_bytes);
    bool html = st.html;
    if (reserve(e, text_room(&st)) != 0)
        return NW_ENOMEM;

    /* dateline: located + a place, and where the indexed text starts */
    size_t body_from = 0;
    e->dateline_cc[0] = '\0';
    e->nents = e->ncontext = e->ntoks = e->npara = e->nregions = 0;
    const char *dl_place = NULL, *dl_qual = NULL;
    size_t dl_len = 0, dl_qual_len = 0;
    size_t body_at, n = write_text(&st, e->text, &body_at);
    e->body_at = body_at;
    e->split_next = 0;
    e->music_word = false;
    size_t upper = 0, lower = 0;
    for (size_t i = 0; i < st.hl_len; i++) {
        upper += isupper((unsigned char)e->text[i]) != 0;
        lower += islower((unsigned char)e->text[i]) != 0;
    }
    e->caps_headline = upper > 3 * lower;
    /* on the text, so HTML bodies ("<p>MOSCOW (AFP) - ...") have theirs too */
    if (st.body && e->opts.dateline)
        body_from = nw_enrich_find_dateline(e->text + body_at, n - body_at, &dl_place, &dl_len,
                                            &dl_qual, &dl_qual_len);
    const nw_gaz_entry *dl_gaz = NULL, *qual_gaz = NULL;
    char dl_name[64] = "";
    if (body_from) {
        /* "MARTINSVILLE, Va.", "SAN MATEO, Calif.": the state is named too,
         * and tells which Cambridge */
        if (dl_qual_len && (qual_gaz = nw_enrich_dateline_qualifier(e, dl_qual, dl_qual_len))) {
            nw_enrich_add_context(e, qual_gaz->cc);
            if (qual_gaz->kind == NW_GAZ_REGION)
                nw_enrich_add_context_region(e, qual_gaz);
        }
        /* "NEW YORK" or "BEIRUT, Lebanon": look the capitals up as a name */
        uint32_t hits[MAX_HITS];
        size_t k = nw_enrich_data_lookup(e->data, dl_place, dl_len, hits, MAX_HITS);
        dl_gaz = nw_enrich_best_place(e, hits, k, true);
        const nw_gaz_entry *where = dl_gaz ? dl_gaz : qual_gaz;
        if (where) {
            memcpy(e->dateline_cc, where->cc, 3);
            nw_enrich_add_context(e, where->cc);
        }
        /* an unknown place keeps the dateline's words, title-cased */
        size_t m = dl_len < sizeof dl_name - 1 ? dl_len : sizeof dl_name - 1;
        for (size_t i = 0; i < m; i++)
            dl_name[i] = (char)(i == 0 || dl_place[i - 1] == ' ' || dl_place[i - 1] == '-'
                                    ? dl_place[i]
                                    : tolower((unsigned char)dl_place[i]));
        dl_name[m] = '\0';
        /* a plain body's bytes are the text's: say where its indexable text starts */
        if (!html)
            res->body_text_start = body_from;
        /* the dateline is not story text: cut it out of what is analysed */
        memmove(e->text + body_at, e->text + body_at + body_from, n - body_at - body_from + 1);
        n -= body_from;
    }

    if (e->opts.language && !json_object_get(story, "language")) {
        char lang[16];
        size_t sample = n > NW_ENRICH_LANG_SAMPLE ? utf8_floor(e->text, NW_ENRICH_LANG_SAMPLE) : n;
        if (e->lang && nw_enrich_lang_detect(e->lang, e->text, sample, lang) &&
            json_object_set_new(story, "language", json_string(lang)) == 0)
            res->language_added = true;
    }

    nw_enrich_tokenize(e->text, n, nw_enrich_collect_token, e);

    if (dl_gaz) {
        if (e->opts.places) {
            nw_enrich_add_place(e, dl_gaz, 0, "enrich:dateline");
            if (qual_gaz && qual_gaz != dl_gaz)
                nw_enrich_add_place(e, qual_gaz, 0, "enrich:dateline");
            if (dl_gaz->kind != NW_GAZ_COUNTRY)
                nw_enrich_add_dateline_country(e, dl_gaz->cc);
        }
        if (!json_object_get(story, "located") &&
            json_object_set_new(story, "located", json_string(dl_gaz->name)) == 0)
            res->located_added = true;
    } else if (dl_name[0]) {
        if (qual_gaz && e->opts.places) {
            /* the town itself, without a uri: "EXTON, Pa." */
            ent *town = nw_enrich_add_ent(e, ENT_PLACE, dl_name, strlen(dl_name), 0);
            if (town)
                town->rel = "enrich:dateline";
            nw_enrich_add_place(e, qual_gaz, 0, "enrich:dateline");
            if (qual_gaz->kind != NW_GAZ_COUNTRY)
                nw_enrich_add_dateline_country(e, qual_gaz->cc);
        }
        if (!json_object_get(story, "located") &&
            json_object_set_new(story, "located", json_string(dl_name)) == 0)
            res->located_added = true;
    }

    /* topics first: a sport story's "Chelsea" is the club */
    if (e->opts.subjects)
        score_topics(e);
    e->sport_story = false;
    e->economy_story = false;
    bool arts_story = false;
    for (int t = 0, best = -1; e->opts.subjects && t < NW_TOPIC_TOP_COUNT; t++)
        if (e->top_score[t] > 0 && (best < 0 || e->top_score[t] > e->top_score[best])) {
            best = t;
            e->sport_story = t == 14;  /* 15000000, sport */
            e->economy_story = t == 3; /* 04000000, economy, business and finance */
            arts_story = t == 0;       /* 01000000, arts, culture and entertainment */
        }
    /* a band named like a word ("Travis", "Blur") only where music is news */
    e->music_story = !e->sport_story && (arts_story || e->music_word);
    if (e->opts.places || e->opts.people || e->opts.organisations) {
        nw_enrich_find_entities(e);
        if (e->opts.people)
            res->people = write_entities(e, story, ENT_PERSON, "people");
        if (e->opts.places)
            res->places = write_entities(e, story, ENT_PLACE, "places");
        if (e->opts.organisations)
            res->organisations = write_entities(e, story, ENT_ORG, "organisations");
    }
    if (e->opts.subjects)
        res->subjects = write_subjects(e, story);
    return 0;
}
