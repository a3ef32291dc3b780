/*
 * nw_enrich_internal — internal to the enrich plugin's core (nw_enrich*.c),
 * never included by the plugin's host side or by other modules: the limits,
 * the token and entity records, the word classes and the nw_enrich instance
 * that the parts of the analysis share, and the small token helpers they all
 * call (static inline: they run per token or span). Owns no memory itself: the
 * instance is allocated and freed by nw_enrich_new / nw_enrich_free
 * (nw_enrich.c). The rules are described in docs/enrich.md.
 */
#ifndef NW_ENRICH_INTERNAL_H
#define NW_ENRICH_INTERNAL_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nw_enrich.h"
#include "nw_enrich_data.h"
#include "nw_enrich_lang.h"

#define MAX_TOKENS 20000
#define MAX_PARAS  512
#define MAX_SPAN   12
#define MAX_ENTS   256
#define MAX_HITS   16

typedef struct token {
    uint64_t hash; /* nw_enrich_data_hash of its bytes: every lookup of the word uses it */
    uint32_t off, len;
    uint8_t flags;
    uint32_t cls; /* word_class bits */
} token;

/* What a word is to the span rules (the lists below). */
enum word_class {
    W_STOP = 1,
    W_TITLE = 2,
    W_ORG_SUFFIX = 4,
    W_ORG_TRAILER = 8,
    W_CONNECTOR = 16,
    W_GIVEN = 32,            /* a given name: "Tony" */
    W_ROLE = 64,             /* "singer", before a person's name */
    W_ORG_CUE = 128,         /* "firm", before an organisation's name */
    W_NO_NAME = 256,         /* "Cup", "Square": last word of no person or organisation */
    W_WORK = 512,            /* "album", before the title of a work */
    W_LINEUP = 1024,         /* set per token: a word of a sports line-up, read by read_lineups */
    W_SPEECH = 2048,         /* "said", "told" */
    W_ORG_AFTER = 4096,      /* "laboratory", after a one-word company's name */
    W_NOT_ORG_AFTER = 8192,  /* "awards", "coupes": after a work, product or event */
    W_ORG_CONTEXT = 16384,   /* "shares", "spokesman": "shares in Yukos" */
    W_ORG_POSSESSED = 32768, /* "board", "shares": "Menatep's board" */
    W_MUSIC = 65536,         /* "album", "gig": a band of entities.tsv (flag m) counts */
};

typedef enum ent_type { ENT_PERSON = 1, ENT_ORG, ENT_PLACE } ent_type;

/* One entity found in the story (before merging into ninjs). */
typedef struct ent {
    ent_type type;
    char name[160];
    const nw_gaz_entry *gaz; /* place or known entity, or NULL */
    const char *rel;
    uint32_t first; /* token index of the first mention, for output order */
    int ntok;       /* words in the name (persons) */
    char last[64];  /* persons: last word without an al-/el- particle */
    char acro[16];  /* orgs: initials of the capitalised words */
    bool from_demonym;
    bool titled;      /* named after a title: "President Reagan" */
    bool guessed;     /* an organisation only because nothing else fits */
    bool sport_guess; /* guessed in a sport story: a person's name or none */
    bool headline;    /* a company named before its stock symbol in a capitals headline */
    bool dropped;
} ent;

struct nw_enrich {
    const nw_enrich_data *data;
    nw_enrich_opts opts;
    nw_enrich_lang *lang; /* NULL when language detection is off */
    /* per-story scratch, reused */
    char *text;
    size_t cap;
    token *toks;
    size_t ntoks;
    size_t body_at;     /* where the body starts in text (after the headline) */
    bool caps_headline; /* the headline is in capitals: its acronyms are words */
    int split_next;     /* the next token starts a new name: 1 after "Bush's", 2 after "X-based" */
    bool sport_story;   /* sport is the story's top topic: "Chelsea" is the club */
    bool music_word;    /* a music word ("album", "gig") is in the story */
    bool music_story;   /* no sport story, and the arts its top topic or a music word in it */
    bool economy_story; /* the economy is its top topic: "Yukos" named thrice is a company */
    /* the list of names the span rules are in ("companies such as Creative,
     * Sony and Philips", "17,815 Buick Raniers, GMC Envoys and Isuzu
     * Ascenders"): the token after its last item, and whether its items are
     * organisations (1) or not (-1); 0: no list */
    size_t list_end;
    int list_kind;
    /* names found to be works or products ("the Lit Idol prize"): no
     * guessed organisation of the story has one of them */
    char not_org[8][48];
    size_t nnot_org;
    struct {
        uint32_t at;    /* first mention's token */
        uint16_t count; /* mentions */
        bool mid;       /* one is not first in its sentence */
    } lone[32];         /* single words no rule took: "Yukos", "Activcard" */
    size_t nlone;
    struct {
        char name[8];
        uint32_t at;
    } acro_alias[8]; /* acronyms the story defines: "(EAA)" */
    size_t nacro_alias;
    uint32_t para[MAX_PARAS]; /* first token of each paragraph (after a blank line) */
    size_t npara;
    ent ents[MAX_ENTS];
    size_t nents;
    char context_cc[64][3]; /* countries named, demonyms, dateline */
    size_t ncontext;
    const nw_gaz_entry *context_region[16]; /* regions named: "Texas" picks Paris, Texas */
    size_t nregions;
    char dateline_cc[3];
    float top_score[NW_TOPIC_TOP_COUNT];
    float *deep_score;  /* per topic index */
    uint32_t *deep_hit; /* the topic indexes deep_score holds a hit of */
    size_t ndeep_hit;
    size_t ntopics;
};

static inline bool tok_is(const nw_enrich *e, size_t t, unsigned cls)
{
    return (e->toks[t].cls & cls) != 0;
}

static inline size_t span_bytes(const nw_enrich *e, size_t a, size_t b) /* tokens a..b-1 */
{
    return e->toks[b - 1].off + e->toks[b - 1].len - e->toks[a].off;
}

/* Token t is the word `w`, written so ("of", "BBC"). */
static inline bool tok_word(const nw_enrich *e, size_t t, const char *w)
{
    size_t n = strlen(w);
    return t < e->ntoks && e->toks[t].len == n && !strncmp(e->text + e->toks[t].off, w, n);
}

/* The word w (n bytes) reads as a nation's or a people's ("European",
 * "Iraqis", "Scottish", "Welsh", "Congolese"), a date's ("Christmas", "May")
 * or a plural common noun's ("CDs"). */
static inline bool nation_or_season(const char *w, size_t n)
{
    static const char *const ends[] = {"ean", "ian", "ans", "sh", "ese", "is", "mas"};
    if ((n == 3 && !memcmp(w, "May", 3)) ||
        (n > 2 && isupper((unsigned char)w[1]) && w[n - 1] == 's'))
        return true; /* a plural acronym: "CDs", "PINs" */
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++) {
        size_t k = strlen(ends[i]);
        if (n > k && !memcmp(w + n - k, ends[i], k))
            return true;
    }
    return false;
}

/* Token t is the number of a radio station or channel: "BBC Radio 4",
 * "Channel 5"; part of the name. */
static inline bool broadcast_number(const nw_enrich *e, size_t t)
{
    if (t >= e->ntoks || (unsigned char)(e->text[e->toks[t].off] - '0') > 9 || t == 0 ||
        e->toks[t].len > 2 || (e->toks[t].flags & NW_TOK_BREAK))
        return false;
    const token *w = &e->toks[t - 1];
    const char *s = e->text + w->off;
    return (w->len == 5 && !strncmp(s, "Radio", 5)) || (w->len == 7 && !strncmp(s, "Channel", 7)) ||
           (w->len == 2 && !strncmp(s, "TV", 2));
}

#endif
