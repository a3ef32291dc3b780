/*
 * nw_enrich_train — see nw_enrich_train.h.
 */
#include "nw_enrich_train.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nw_enrich.h"

#define MAX_KEYWORDS 200
#define MAX_TEXT     (64 << 10) /* as the plugin's default max_text_bytes */

/* function words: frequent everywhere, typical of no topic */
static const char *const function_words[] = {
    "the",   "and",   "for",   "that",  "with",   "this",  "from",  "have",  "has",    "had",
    "was",   "were",  "are",   "been",  "its",    "his",   "her",   "their", "they",   "said",
    "says",  "will",  "would", "could", "should", "also",  "about", "after", "before", "more",
    "most",  "than",  "into",  "over",  "other",  "which", "who",   "what",  "when",   "where",
    "while", "there", "here",  "them",  "then",   "some",  "such",  "only",  "just",   "very",
    "much",  "many",  "one",   "two",   "three",  "new",   "year",  "years", "last",   "first",
    "not",   "but",   "can",   "may",   "might",  "our",   "out",   "all",   "any",    "per",
    "mr",    "mrs",   "ms",    NULL};

typedef struct word_count {
    char *word; /* NULL = empty slot */
    uint32_t df[NW_TOPIC_TOP_COUNT];
    uint32_t last_story; /* the story that last counted it */
} word_count;

struct nw_topic_trainer {
    const nw_enrich_data *data;
    word_count *slots;
    size_t cap, used;
    uint32_t stories;
    uint32_t ndocs[NW_TOPIC_TOP_COUNT];
    /* the story being counted */
    uint32_t tops; /* bit per top-level topic */
    bool failed;   /* out of memory while counting it */
};

nw_topic_trainer *nw_topic_trainer_new(const nw_enrich_data *data, nw_err *err)
{
    nw_topic_trainer *t = calloc(1, sizeof *t);
    if (t) {
        t->cap = 1 << 14;
        t->slots = calloc(t->cap, sizeof *t->slots);
    }
    if (!t || !t->slots) {
        free(t);
        return nw_err_set(err, NW_ENOMEM, "out of memory"), NULL;
    }
    t->data = data;
    return t;
}

void nw_topic_trainer_free(nw_topic_trainer *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i].word);
    free(t->slots);
    free(t);
}

size_t nw_topic_trainer_stories(const nw_topic_trainer *t)
{
    return t->stories;
}

static uint64_t hash_word(const char *w, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)w[i]) * 1099511628211ull;
    return h;
}

static word_count *slot_of(word_count *slots, size_t cap, const char *w, size_t len)
{
    size_t i = hash_word(w, len) & (cap - 1);
    while (slots[i].word && (strncmp(slots[i].word, w, len) || slots[i].word[len]))
        i = (i + 1) & (cap - 1);
    return &slots[i];
}

static int grow(nw_topic_trainer *t)
{
    size_t cap = t->cap * 2;
    word_count *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return NW_ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].word)
            *slot_of(slots, cap, t->slots[i].word, strlen(t->slots[i].word)) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* Words worth counting: three or more letters, no digits, not a function word. */
static bool countable(const char *w, size_t len)
{
    if (len < 3 || (unsigned char)w[0] < 'a')
        return false;
    for (size_t i = 0; i < len; i++)
        if (w[i] >= '0' && w[i] <= '9')
            return false;
    for (size_t i = 0; function_words[i]; i++)
        if (!strcmp(function_words[i], w))
            return false;
    return true;
}

static void count_word(void *ctx, const char *w, size_t len)
{
    nw_topic_trainer *t = ctx;
    if (t->failed || !countable(w, len))
        return;
    if (2 * (t->used + 1) > t->cap && grow(t) != 0) {
        t->failed = true;
        return;
    }
    word_count *s = slot_of(t->slots, t->cap, w, len);
    if (!s->word) {
        if (!(s->word = strndup(w, len))) {
            t->failed = true;
            return;
        }
        t->used++;
    }
    if (s->last_story == t->stories)
        return; /* counted once per story */
    s->last_story = t->stories;
    for (unsigned k = 0; k < NW_TOPIC_TOP_COUNT; k++)
        if (t->tops & (1u << k))
            s->df[k]++;
}

/* Top-level topics of the story's Media Topic subjects, as bits. */
static uint32_t story_tops(const nw_topic_trainer *t, json_t *story)
{
    json_t *subjects = json_object_get(story, "subjects"), *s;
    size_t i;
    uint32_t tops = 0;
    size_t plen = strlen(NW_MEDIATOPIC_URI);
    json_array_foreach(subjects, i, s)
    {
        const char *uri = json_string_value(json_object_get(s, "uri"));
        if (!uri || strncmp(uri, NW_MEDIATOPIC_URI, plen))
            continue;
        const nw_topic *topic = nw_enrich_data_topic_code(t->data, uri + plen);
        if (topic)
            tops |= 1u << topic->top;
    }
    return tops;
}

int nw_topic_trainer_add(nw_topic_trainer *t, json_t *story)
{
    if (!json_is_object(story))
        return 0;
    t->tops = story_tops(t, story);
    if (!t->tops)
        return 0;
    t->stories++; /* story numbers start at 1: last_story 0 is "never" */
    t->failed = false;
    if (nw_enrich_story_words(story, MAX_TEXT, count_word, t) < 0 || t->failed)
        return NW_ENOMEM;
    for (unsigned k = 0; k < NW_TOPIC_TOP_COUNT; k++)
        if (t->tops & (1u << k))
            t->ndocs[k]++;
    return 1;
}

typedef struct keyword {
    double score, log_odds;
    const char *word;
} keyword;

static int by_score(const void *a, const void *b)
{
    const keyword *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return strcmp(x->word, y->word);
}

static int by_word(const void *a, const void *b)
{
    return strcmp(((const keyword *)a)->word, ((const keyword *)b)->word);
}

/* The weight written for a keyword: log-odds / 2 within 0.5..2, one decimal. */
static double weight_of(double log_odds)
{
    double w = log_odds / 2;
    w = w < 0.5 ? 0.5 : w > 2 ? 2 : w;
    return round(w * 10) / 10;
}

/* Keywords of top-level topic k, best first, into kw; returns how many. */
static size_t topic_keywords(const nw_topic_trainer *t, unsigned k, unsigned min_df, keyword *kw)
{
    double n_in = t->ndocs[k], n_out = (double)t->stories - t->ndocs[k];
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        const word_count *s = &t->slots[i];
        if (!s->word || s->df[k] < min_df)
            continue;
        double all = 0;
        for (unsigned j = 0; j < NW_TOPIC_TOP_COUNT; j++)
            all += s->df[j];
        double in = s->df[k], rest = all - in;
        double lo = log((in + 0.5) / (n_in + 1)) - log((rest + 0.5) / (n_out + 1));
        if (lo > 1.0)
            kw[n++] = (keyword){lo * log(in), lo, s->word};
    }
    qsort(kw, n, sizeof *kw, by_score);
    return n < MAX_KEYWORDS ? n : MAX_KEYWORDS;
}

int nw_topic_trainer_write(const nw_topic_trainer *t, FILE *out, unsigned min_df, nw_err *err)
{
    if (t->stories == 0)
        return nw_err_set(err, NW_EINVAL,
                          "no story has a known Media Topic subject (subjects[].uri "
                          "%s<code>)",
                          NW_MEDIATOPIC_URI);
    unsigned topics = 0;
    for (unsigned k = 0; k < NW_TOPIC_TOP_COUNT; k++)
        topics += t->ndocs[k] > 0;
    if (topics < 2)
        return nw_err_set(err, NW_EINVAL,
                          "all %u stories are about one top-level topic: a model contrasts two "
                          "or more",
                          t->stories);
    /* the candidates, then room for one weight's line of the kept ones */
    keyword *kw = malloc((t->used + MAX_KEYWORDS + 1) * sizeof *kw);
    if (!kw)
        return nw_err_set(err, NW_ENOMEM, "out of memory");
    fprintf(out,
            "# topic keyword model trained by `newswire train-topics` from %u stories\n"
            "# topic code <TAB> weight <TAB> words (|-separated); docs/enrich.md\n",
            t->stories);
    size_t written = 0;
    for (unsigned k = 0; k < NW_TOPIC_TOP_COUNT; k++) {
        if (t->ndocs[k] == 0 || t->ndocs[k] == t->stories)
            continue;
        size_t n = topic_keywords(t, k, min_df, kw);
        const nw_topic *top = nw_enrich_data_topic(t->data, nw_enrich_data_top_topic(t->data, k));
        /* one line per weight, heaviest first, words in order */
        for (int w10 = 20; w10 >= 5; w10--) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if ((int)lround(weight_of(kw[i].log_odds) * 10) == w10)
                    kw[n + m++] = kw[i];
            if (m == 0)
                continue;
            qsort(kw + n, m, sizeof *kw, by_word);
            fprintf(out, "%s\t%.1f\t", top->code, w10 / 10.0);
            for (size_t i = 0; i < m; i++)
                fprintf(out, "%s%s", i ? "|" : "", kw[n + i].word);
            fputc('\n', out);
            written += m;
        }
    }
    free(kw);
    if (fflush(out) != 0 || ferror(out))
        return nw_err_set(err, NW_EIO, "cannot write the model");
    if (written == 0)
        return nw_err_set(err, NW_EINVAL,
                          "no word occurs in %u or more stories of a topic and is typical of it: "
                          "train on more stories (or a lower minimum)",
                          min_df);
    return (int)written;
}
