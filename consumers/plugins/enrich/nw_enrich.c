/*
 * nw_enrich — see nw_enrich.h. The rules are described in docs/enrich.md.
 */
#include "nw_enrich.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "nw_enrich_lang.h"
#include "nw_enrich_names.h"

#define MAX_TOKENS 20000
#define MAX_PARAS  512
#define MAX_SPAN   12
#define MAX_ENTS   256
#define MAX_HITS   16

typedef struct token {
    uint64_t hash; /* nw_enrich_data_hash of its bytes: every lookup of the word uses it */
    uint32_t off, len;
    uint8_t flags;
    uint16_t cls; /* word_class bits */
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

void nw_enrich_opts_default(nw_enrich_opts *o)
{
    *o = (nw_enrich_opts){true, true, true, true, true, true, 65536, 20, NULL, NULL, 0, false};
}

/* ---- word lists (English newswire; docs/enrich.md) ------------------------ */

/* capitalised words that start sentences or spans but name nothing */
static const char *const stop_words[] = {
    "the",        "a",         "an",        "in",        "on",          "at",       "but",
    "and",        "or",        "he",        "she",       "it",          "they",     "we",
    "i",          "you",       "this",      "that",      "these",       "those",    "his",
    "her",        "their",     "our",       "its",       "if",          "when",     "while",
    "after",      "before",    "as",        "for",       "with",        "by",       "from",
    "to",         "of",        "there",     "here",      "what",        "who",      "why",
    "how",        "where",     "so",        "yet",       "also",        "however",  "meanwhile",
    "last",       "next",      "new",       "one",       "two",         "three",    "some",
    "many",       "most",      "all",       "no",        "not",         "now",      "then",
    "today",      "yesterday", "tomorrow",  "mr",        "mrs",         "ms",       "dr",
    "sir",        "st",        "monday",    "tuesday",   "wednesday",   "thursday", "friday",
    "saturday",   "sunday",    "january",   "february",  "march",       "april",    "june",
    "july",       "august",    "september", "october",   "november",    "december", "jan",
    "feb",        "mar",       "apr",       "jun",       "jul",         "aug",      "sep",
    "sept",       "oct",       "nov",       "dec",       "photo",       "source",   "published",
    "posted",     "reuter",    "whose",     "update",    "according",   "under",    "during",
    "despite",    "although",  "because",   "since",     "until",       "about",    "over",
    "into",       "both",      "each",      "every",     "such",        "other",    "another",
    "several",    "more",      "less",      "only",      "even",        "just",     "still",
    "much",       "very",      "first",     "second",    "third",       "earlier",  "later",
    "late",       "early",     "former",    "chief",     "senior",      "minister", "president",
    "government", "officials", "official",  "spokesman", "spokeswoman", "page",     "tel",
    "fax",        "email",     "copyright", "am",        "pm",          "gmt",      "bst",
    "est",        "utc",       "tv",        "ceo",       "ok",          "ii",       "iii",
    "iv",         "dvd",       "cd",        "pc",        "pcs",         "gdp",      "mp",
    "mps",        "hiv",       "aids",      "nb",        "ps",          "it",       "usd",
    "eur",        "pct",       "inc",       "corp",      "ltd",         "plc",      "co",
    "god",        "internet",  "mp3",       "id",        "gps",         "sms",      "ipo",
    "qc",         "obe",       "mbe",       "cbe",       "gprs",        "wap",      NULL};

/* words that introduce a person: "President Vladimir Putin" */
static const char *const title_words[] = {
    "president", "minister",       "secretary",   "chancellor", "senator",    "sen.",
    "rep.",      "representative", "governor",    "gov.",       "mayor",      "king",
    "queen",     "prince",         "princess",    "pope",       "mr",         "mr.",
    "mrs",       "mrs.",           "ms",          "ms.",        "dr",         "dr.",
    "judge",     "justice",        "ambassador",  "envoy",      "general",    "gen.",
    "colonel",   "col.",           "commander",   "chairman",   "chairwoman", "chair",
    "director",  "spokesman",      "spokeswoman", "leader",     "premier",    "sheikh",
    "ayatollah", "bishop",         "archbishop",  "professor",  "prof.",      "coach",
    "captain",   "lord",           "lady",        "sir",        "ceo",        "vice",
    "deputy",    "chief",          "executive",   "manager",    "striker",    "midfielder",
    "defender",  "goalkeeper",     "star",        "singer",     "actor",      "actress",
    "officer",   "analyst",        "economist",   "economy",    "finance",    "foreign",
    "defence",   "defense",        "prime",       "interior",   "trade",      "health",
    "home",      "justice",        "opposition",  "party",      "state",      "former",
    "said",      "says",           "told",        NULL};

/* last words of organisation names */
static const char *const org_suffixes[] = {"group",        "inc",          "inc.",
                                           "corp",         "corp.",        "corporation",
                                           "co",           "co.",          "company",
                                           "ltd",          "ltd.",         "plc",
                                           "llc",          "ag",           "sa",
                                           "nv",           "gmbh",         "bank",
                                           "ministry",     "council",      "party",
                                           "union",        "association",  "organisation",
                                           "organization", "agency",       "commission",
                                           "committee",    "board",        "fund",
                                           "institute",    "university",   "court",
                                           "army",         "department",   "federation",
                                           "league",       "assembly",     "parliament",
                                           "congress",     "senate",       "airlines",
                                           "airways",      "motors",       "exchange",
                                           "authority",    "service",      "services",
                                           "police",       "forces",       "front",
                                           "movement",     "network",      "foundation",
                                           "trust",        "industries",   "holdings",
                                           "systems",      "technologies", "communications",
                                           "securities",   "partners",     "bureau",
                                           "office",       "club",         "united",
                                           "city",         "rovers",       "times",
                                           "post",         "news",         "journal",
                                           "telegraph",    "guardian",     "records",
                                           "studios",      "pictures",     "school",
                                           "college",      "hospital",     "church",
                                           "society",      "alliance",     "coalition",
                                           "brigade",      "brigades",     "international",
                                           "energy",       "petroleum",    "oil",
                                           "steel",        "electric",     "telecom",
                                           "capital",      "investments",  "reserve",
                                           "chamber",      "tribunal",     "cabinet",
                                           "navy",         "guard",        "command",
                                           "centre",       "center",       NULL};

/* lower-case words that make the capitalised words before them an organisation */
static const char *const org_trailers[] = {"group",   "militia", "movement", "party",
                                           "faction", "network", NULL};

static const char *const connectors[] = {"of",  "and", "for", "the", "de",  "du", "da", "der",
                                         "von", "van", "al",  "bin", "ibn", "y",  "on", NULL};

/* The lists as one hash of lower-case word -> class bits, built once; a slot
 * is 8 bytes (the table 32 KB) and holds the word's length and first letter,
 * so that a miss rarely reads a word. */
#define CLASS_SLOTS 4096
#define CLASS_WORDS 2048
static struct {
    uint16_t cls;
    uint8_t len; /* 0: empty */
    char c0;
    uint32_t word; /* index in class_words */
} class_table[CLASS_SLOTS];
static const char *class_words[CLASS_WORDS];
static uint32_t class_nwords;
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

/* case-blind for ASCII letters: the tables' hash, which a token has */
static size_t class_slot(uint64_t hash)
{
    return (size_t)(hash >> 20) & (CLASS_SLOTS - 1);
}

static void class_add(const char *const *list, uint16_t bit)
{
    for (; *list; list++) {
        size_t len = strlen(*list), j = class_slot(nw_enrich_data_hash(*list, len));
        while (class_table[j].len && strcmp(class_words[class_table[j].word], *list))
            j = (j + 1) & (CLASS_SLOTS - 1);
        if (!class_table[j].len) {
            if (class_nwords == CLASS_WORDS)
                return; /* the lists are constants: CLASS_WORDS covers them */
            class_words[class_nwords] = *list;
            class_table[j].word = class_nwords++;
            class_table[j].len = (uint8_t)len;
            class_table[j].c0 = (*list)[0];
        }
        class_table[j].cls |= bit;
    }
}

static void class_build(void)
{
    class_add(stop_words, W_STOP);
    class_add(title_words, W_TITLE);
    class_add(org_suffixes, W_ORG_SUFFIX);
    class_add(org_trailers, W_ORG_TRAILER);
    class_add(connectors, W_CONNECTOR);
    class_add(nw_enrich_given_names, W_GIVEN);
    class_add(nw_enrich_role_words, W_ROLE);
    class_add(nw_enrich_org_cue_words, W_ORG_CUE);
    class_add(nw_enrich_no_name_words, W_NO_NAME);
    class_add(nw_enrich_more_no_name_words, W_NO_NAME);
    class_add(nw_enrich_foreign_legal_forms, W_ORG_SUFFIX);
    class_add(nw_enrich_more_org_suffixes, W_ORG_SUFFIX);
    class_add(nw_enrich_work_words, W_WORK);
    class_add(nw_enrich_speech_words, W_SPEECH);
    class_add(nw_enrich_org_after_words, W_ORG_AFTER);
    class_add(nw_enrich_not_org_after_words, W_NOT_ORG_AFTER);
    class_add(nw_enrich_org_context_words, W_ORG_CONTEXT);
    class_add(nw_enrich_org_possessed_words, W_ORG_POSSESSED);
}

/* The class bits of s[0..len), whose nw_enrich_data_hash is `hash`. */
static uint16_t word_class(uint64_t hash, const char *s, size_t len)
{
    if (len == 0 || len > 20)
        return 0;
    char c0 = (char)(s[0] | 0x20);
    for (size_t j = class_slot(hash); class_table[j].len; j = (j + 1) & (CLASS_SLOTS - 1)) {
        if (class_table[j].len != len || class_table[j].c0 != c0)
            continue;
        const char *w = class_words[class_table[j].word];
        size_t i = 1;
        while (i < len && (s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 0x20 : s[i]) == w[i])
            i++;
        if (i == len)
            return class_table[j].cls;
    }
    return 0;
}

/* ---- tokenizer ---------------------------------------------------------- */

static bool is_upper_at(const char *s, size_t len)
{
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80)
        return isupper(c) != 0;
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &cp);
    return n > 0 && utf8proc_category(cp) == UTF8PROC_CATEGORY_LU;
}

static bool is_word_byte(unsigned char c)
{
    return isalnum(c) || c >= 0x80;
}

/* a UTF-8 punctuation or space we should not glue into words */
static size_t non_word_utf8(const unsigned char *p, const unsigned char *end)
{
    if (p[0] < 0x80)
        return 0;
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &cp);
    if (n <= 0)
        return 1; /* invalid byte: a separator */
    utf8proc_category_t cat = utf8proc_category(cp);
    if (cat >= UTF8PROC_CATEGORY_PC || cat == UTF8PROC_CATEGORY_ZS)
        return (size_t)n;
    return 0;
}

size_t nw_enrich_tokenize(const char *text, size_t len, nw_enrich_token_fn fn, void *ctx)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    size_t count = 0;
    bool sent_start = true, brk = true;
    while (p < end) {
        size_t skip = non_word_utf8(p, end);
        if (skip || !is_word_byte(*p)) {
            if (!skip)
                skip = 1;
            unsigned char c = *p;
            if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';') {
                sent_start = brk = true;
            } else if (c == '\n' && p + 1 < end && p[1] == '\n') {
                sent_start = brk = true;
            } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
                brk = true; /* commas, quotes, brackets, dashes */
            }
            p += skip;
            continue;
        }
        const unsigned char *w = p;
        while (p < end) {
            if (non_word_utf8(p, end))
                break;
            if (is_word_byte(*p)) {
                p++;
                continue;
            }
            /* inner hyphen, apostrophe or acronym dot: U.S., al-Assad, O'Brien */
            if ((*p == '-' || *p == '\'' || *p == '.') && p + 1 < end && is_word_byte(p[1]) &&
                !(*p == '.' && p + 2 < end && is_word_byte(p[2]) && p - w > 1)) {
                p++;
                continue;
            }
            break;
        }
        /* keep the dot of a dotted acronym (U.S.) or an abbreviated title */
        if (p < end && *p == '.' && p - w >= 1 && memchr(w, '.', (size_t)(p - w)))
            p++;
        size_t wl = (size_t)(p - w);
        /* possessive 's */
        if (wl > 2 && w[wl - 2] == '\'' && (w[wl - 1] == 's' || w[wl - 1] == 'S'))
            wl -= 2;
        unsigned flags = 0;
        if (is_upper_at((const char *)w, wl))
            flags |= NW_TOK_CAP;
        size_t letters = 0, upper = 0;
        for (size_t i = 0; i < wl; i++)
            if (isalpha(w[i])) {
                letters++;
                upper += isupper(w[i]) != 0;
            }
        if (letters >= 2 && upper == letters)
            flags |= NW_TOK_ALLCAPS;
        if (sent_start)
            flags |= NW_TOK_SENT_START;
        if (brk)
            flags |= NW_TOK_BREAK;
        /* "al-Assad": a lower-case particle before a capital counts as a name */
        if (!(flags & NW_TOK_CAP) && wl > 3 && w[2] == '-' && w[0] == 'a' && w[1] == 'l' &&
            isupper(w[3]))
            flags |= NW_TOK_CAP;
        fn(ctx, (size_t)(w - (const unsigned char *)text), wl, flags);
        count++;
        sent_start = brk = false;
        /* after a full stop the next word starts a sentence, unless the
         * stop closed an abbreviation like "U.S." */
        if (p < end && *p == '.') {
            sent_start = !(wl <= 4 && (flags & NW_TOK_CAP));
            brk = true;
            p++;
        }
    }
    return count;
}

/* The token at `off`, after a sentence's end, opens a paragraph: the first
 * one, or one after a blank line. */
static bool paragraph_starts(const nw_enrich *e, size_t off)
{
    if (e->ntoks == 0)
        return true;
    const token *p = &e->toks[e->ntoks - 1];
    for (const char *g = e->text + p->off + p->len; g + 1 < e->text + off; g++)
        if (g[0] == '\n' && g[1] == '\n')
            return true;
    return false;
}

/* Where a name ends besides punctuation: after a possessive ("Kate Bush's
 * Hounds of Love") and at "-based" ("San Francisco-based Balco"); a middle
 * initial ("John R. Stanley") does not end one. */
static void collect_token(void *ctx, size_t off, size_t len, unsigned flags)
{
    nw_enrich *e = ctx;
    if (e->ntoks >= MAX_TOKENS)
        return;
    const char *w = e->text + off;
    uint64_t hash = nw_enrich_data_hash(w, len);
    uint16_t cls = word_class(hash, w, len);
    /* "Standard and Poor's Corp" is one name */
    if (e->split_next == 2 || (e->split_next == 1 && !(cls & W_ORG_SUFFIX)))
        flags |= NW_TOK_BREAK;
    e->split_next = w[len] == '\'';
    if ((flags & NW_TOK_CAP) && e->ntoks) {
        const token *p = &e->toks[e->ntoks - 1];
        if (p->len == 1 && (p->flags & NW_TOK_CAP) && off == p->off + 3 &&
            e->text[p->off + 1] == '.' &&
            (e->text[p->off + 2] == ' ' || e->text[p->off + 2] == '\n'))
            flags &= ~(unsigned)NW_TOK_BREAK;
    }
    if ((flags & NW_TOK_CAP) && !(flags & NW_TOK_ALLCAPS)) {
        const char *h = memchr(w + 1, '-', len - 1);
        if (h && h + 1 < w + len && islower((unsigned char)h[1])) {
            len = (size_t)(h - w);
            hash = nw_enrich_data_hash(w, len);
            cls = word_class(hash, w, len);
            e->split_next = 2;
        }
    }
    if ((flags & NW_TOK_SENT_START) && e->npara < MAX_PARAS && paragraph_starts(e, off))
        e->para[e->npara++] = (uint32_t)e->ntoks;
    e->toks[e->ntoks++] = (token){hash, (uint32_t)off, (uint32_t)len, (uint8_t)flags, cls};
}

/* ---- instance ----------------------------------------------------------- */

nw_enrich *nw_enrich_new(const nw_enrich_data *data, const nw_enrich_opts *opts, nw_err *err)
{
    pthread_once(&class_once, class_build);
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

/* ---- dateline ----------------------------------------------------------- */

/* Recognise "MOSCOW (AFP) -", "LONDON, March 3 (Reuters) -", "NEW YORK (AP) —",
 * "BEIRUT, Lebanon -" at the head of `b`. Returns the bytes it takes (0 if
 * none), the place part in place/place_len and what follows its comma, if
 * anything, in qual/qual_len ("Lebanon", "Va.", "March 3"). */
static size_t find_dateline(const char *b, size_t len, const char **place, size_t *place_len,
                            const char **qual, size_t *qual_len)
{
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    size_t start = i, caps = 0;
    while (i < len && i - start < 40 &&
           (isupper((unsigned char)b[i]) || b[i] == ' ' || b[i] == '.' || b[i] == '\'' ||
            b[i] == '-' || (unsigned char)b[i] >= 0x80)) {
        caps += isupper((unsigned char)b[i]) != 0;
        i++;
    }
    while (i > start && (b[i - 1] == ' ' || b[i - 1] == '-'))
        i--;
    if (caps < 3)
        return 0;
    size_t pend = i;
    /* the rest up to the dash: ", Lebanon", ", March 3", " (AFP)", "(Reuters)" */
    size_t j = i, limit = i + 60 < len ? i + 60 : len;
    bool paren = false, comma = false;
    while (j < limit && b[j] != '\n') {
        if (b[j] == '(')
            paren = true;
        if (b[j] == ',')
            comma = true;
        if (b[j] == '-' ||
            (j + 2 < len && (unsigned char)b[j] == 0xE2 && (unsigned char)b[j + 1] == 0x80 &&
             ((unsigned char)b[j + 2] == 0x94 || (unsigned char)b[j + 2] == 0x93)))
            break;
        j++;
    }
    if (j >= limit || b[j] == '\n' || !(paren || comma) ||
        (j > 0 && b[j - 1] != ' ' && b[j - 1] != ')'))
        return 0;
    /* the dash and the space after it */
    j += b[j] == '-' ? 1 : 3;
    while (j < len && (b[j] == '-' || b[j] == ' '))
        j++;
    *place = b + start;
    *place_len = pend - start;
    *qual = NULL;
    *qual_len = 0;
    if (pend + 2 < len && b[pend] == ',' && b[pend + 1] == ' ') {
        size_t q = pend + 2, qe = q;
        while (qe < j && b[qe] != ',' && b[qe] != '(' && b[qe] != '-' && b[qe] != '\n')
            qe++;
        while (qe > q && b[qe - 1] == ' ')
            qe--;
        *qual = b + q;
        *qual_len = qe - q;
    }
    return j;
}

/* The place a dateline's qualifier names: a country or region of the
 * gazetteer ("Lebanon", "Texas"), or a US state as news agencies abbreviate
 * it ("Va.", "Calif.", "N.Y.", "VA"). NULL if none. */
static const nw_gaz_entry *dateline_qualifier(const nw_enrich *e, const char *q, size_t len)
{
    static const char *const states[][3] = {
        {"Ala.", "AL", "Alabama"},
        {"Ariz.", "AZ", "Arizona"},
        {"Ark.", "AR", "Arkansas"},
        {"Calif.", "CA", "California"},
        {"Colo.", "CO", "Colorado"},
        {"Conn.", "CT", "Connecticut"},
        {"Del.", "DE", "Delaware"},
        {"Fla.", "FL", "Florida"},
        {"Ga.", "GA", "Georgia"},
        {"Ill.", "IL", "Illinois"},
        {"Ind.", "IN", "Indiana"},
        {"Kan.", "KS", "Kansas"},
        {"Ky.", "KY", "Kentucky"},
        {"La.", "LA", "Louisiana"},
        {"Md.", "MD", "Maryland"},
        {"Mass.", "MA", "Massachusetts"},
        {"Mich.", "MI", "Michigan"},
        {"Minn.", "MN", "Minnesota"},
        {"Miss.", "MS", "Mississippi"},
        {"Mo.", "MO", "Missouri"},
        {"Mont.", "MT", "Montana"},
        {"Neb.", "NE", "Nebraska"},
        {"Nev.", "NV", "Nevada"},
        {"N.H.", "NH", "New Hampshire"},
        {"N.J.", "NJ", "New Jersey"},
        {"N.M.", "NM", "New Mexico"},
        {"N.Y.", "NY", "New York"},
        {"N.C.", "NC", "North Carolina"},
        {"N.D.", "ND", "North Dakota"},
        {"Okla.", "OK", "Oklahoma"},
        {"Ore.", "OR", "Oregon"},
        {"Pa.", "PA", "Pennsylvania"},
        {"R.I.", "RI", "Rhode Island"},
        {"S.C.", "SC", "South Carolina"},
        {"S.D.", "SD", "South Dakota"},
        {"Tenn.", "TN", "Tennessee"},
        {"Vt.", "VT", "Vermont"},
        {"Va.", "VA", "Virginia"},
        {"Wash.", "WA", "Washington"},
        {"W.Va.", "WV", "West Virginia"},
        {"Wis.", "WI", "Wisconsin"},
        {"Wyo.", "WY", "Wyoming"},
        {"Tex.", "TX", "Texas"},
        {"Ohio", "OH", "Ohio"},
        {"Iowa", "IA", "Iowa"},
        {"Utah", "UT", "Utah"},
        {"Idaho", "ID", "Idaho"},
        {"Maine", "ME", "Maine"},
        {"Alaska", "AK", "Alaska"},
        {"Hawaii", "HI", "Hawaii"},
        {"D.C.", "DC", "District of Columbia"},
    };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if ((strlen(states[i][0]) == len && !strncasecmp(q, states[i][0], len)) ||
            (len == 2 && !strncmp(q, states[i][1], 2))) {
            q = states[i][2];
            len = strlen(q);
            break;
        }
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, q, len, hits, MAX_HITS);
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        if (g->kind == NW_GAZ_COUNTRY || g->kind == NW_GAZ_REGION)
            return g;
    }
    return NULL;
}

/* ---- entities ----------------------------------------------------------- */

static ent *add_ent(nw_enrich *e, ent_type type, const char *name, size_t len, uint32_t first)
{
    if (e->nents >= MAX_ENTS || len == 0 || len >= sizeof e->ents[0].name)
        return NULL;
    ent *x = &e->ents[e->nents++];
    memset(x, 0, sizeof *x);
    x->type = type;
    /* a name broken over lines ("Rio\nTinto") is written with one space */
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        bool space = name[i] == ' ' || name[i] == '\n' || name[i] == '\r' || name[i] == '\t';
        if (!space)
            x->name[n++] = name[i];
        else if (n && x->name[n - 1] != ' ')
            x->name[n++] = ' ';
    }
    x->name[n] = '\0';
    x->first = first;
    return x;
}

static void add_context(nw_enrich *e, const char *cc)
{
    if (!cc[0])
        return;
    for (size_t i = 0; i < e->ncontext; i++)
        if (!strcmp(e->context_cc[i], cc))
            return;
    if (e->ncontext < 64)
        memcpy(e->context_cc[e->ncontext++], cc, 3);
}

static bool in_context(const nw_enrich *e, const char *cc)
{
    for (size_t i = 0; i < e->ncontext; i++)
        if (!strcmp(e->context_cc[i], cc))
            return true;
    return false;
}

static void add_context_region(nw_enrich *e, const nw_gaz_entry *r)
{
    for (size_t i = 0; i < e->nregions; i++)
        if (e->context_region[i] == r)
            return;
    if (e->nregions < 16)
        e->context_region[e->nregions++] = r;
}

/* The story names the city's region: "Paris" beside "Texas" */
static bool region_in_context(const nw_enrich *e, const nw_gaz_entry *city)
{
    for (size_t i = 0; i < e->nregions && city->region[0]; i++)
        if (!strcmp(e->context_region[i]->cc, city->cc) &&
            !strcmp(e->context_region[i]->name, city->region))
            return true;
    return false;
}

/* Best gazetteer place for a name, by kind, context and population; NULL if
 * nothing credible ("never first match": see docs/enrich.md). */
static const nw_gaz_entry *best_place(const nw_enrich *e, const uint32_t *hits, size_t n,
                                      bool dateline)
{
    const nw_gaz_entry *best = NULL;
    double best_score = -1;
    /* a country of that name the story gives no sign of: "Georgia" in a
     * story from the United States is the state (US states only: a Belgian
     * story's "Luxembourg" is the country, not the province) */
    bool foreign_country = false;
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        foreign_country |=
            g->kind == NW_GAZ_COUNTRY && !in_context(e, g->cc) && strcmp(g->cc, e->dateline_cc);
    }
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        double s;
        bool ctx = in_context(e, g->cc) || !strcmp(g->cc, e->dateline_cc);
        /* the place's region named says more than the dateline's country,
         * and that more than a country named: "Paris" beside "Texas" is Paris,
         * Texas, but "Florence" in a story that names the United States is
         * still the Italian one */
        double bonus = g->kind == NW_GAZ_CITY && region_in_context(e, g) ? 3
                       : !strcmp(g->cc, e->dateline_cc)                  ? 1
                       : ctx                                             ? 0.5
                                                                         : 0;
        if (g->kind == NW_GAZ_COUNTRY) {
            s = 100;
        } else if (g->kind == NW_GAZ_REGION) {
            if (g->common_word && !ctx)
                continue;
            s = 5 + bonus + (ctx && foreign_country && !strcmp(g->cc, "US") ? 200 : 0);
        } else if (g->kind == NW_GAZ_CITY) {
            bool credible = dateline || g->population >= 1000000 ||
                            (g->population >= 100000 && (!g->common_word || ctx)) ||
                            (ctx && !g->common_word);
            if (!credible)
                continue;
            s = log10((double)g->population + 10) + bonus;
        } else {
            continue;
        }
        if (s > best_score) {
            best_score = s;
            best = g;
        }
    }
    return best;
}

static const nw_gaz_entry *known_entity(const nw_enrich *e, const char *s, size_t len,
                                        nw_gaz_kind kind)
{
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, s, len, hits, MAX_HITS);
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        if (g->kind == kind && (!g->sport || e->sport_story))
            return g;
    }
    return NULL;
}

static bool tok_is(const nw_enrich *e, size_t t, unsigned cls)
{
    return (e->toks[t].cls & cls) != 0;
}

static size_t span_bytes(const nw_enrich *e, size_t a, size_t b) /* tokens a..b-1 */
{
    return e->toks[b - 1].off + e->toks[b - 1].len - e->toks[a].off;
}

static void fill_person_keys(ent *x)
{
    const char *last = strrchr(x->name, ' ');
    last = last ? last + 1 : x->name;
    if (!strncmp(last, "al-", 3) || !strncmp(last, "el-", 3))
        last += 3;
    size_t n = strlen(last);
    if (n >= sizeof x->last)
        n = sizeof x->last - 1;
    memcpy(x->last, last, n);
    x->last[n] = '\0';
    x->ntok = 1;
    for (const char *p = x->name; *p; p++)
        x->ntok += *p == ' ';
}

static void fill_acronym(ent *x)
{
    size_t n = 0;
    for (const char *p = x->name; *p && n + 1 < sizeof x->acro; p++)
        if ((p == x->name || p[-1] == ' ') && isupper((unsigned char)*p))
            x->acro[n++] = *p;
    x->acro[n] = '\0';
}

static void add_place(nw_enrich *e, const nw_gaz_entry *g, uint32_t first, const char *rel)
{
    for (size_t i = 0; i < e->nents; i++)
        if (e->ents[i].type == ENT_PLACE && e->ents[i].gaz == g)
            return;
    ent *x = add_ent(e, ENT_PLACE, g->name, strlen(g->name), first);
    if (x) {
        x->gaz = g;
        x->rel = rel;
    }
}

static void add_org(nw_enrich *e, const char *name, size_t len, uint32_t first,
                    const nw_gaz_entry *known)
{
    if (known) {
        name = known->name;
        len = strlen(name);
    }
    for (size_t i = 0; i < e->nents; i++)
        if (e->ents[i].type == ENT_ORG && strlen(e->ents[i].name) == len &&
            !strncasecmp(e->ents[i].name, name, len))
            return;
    ent *x = add_ent(e, ENT_ORG, name, len, first);
    if (x) {
        x->gaz = known;
        fill_acronym(x);
    }
}

static ent *add_person(nw_enrich *e, size_t a, size_t b)
{
    if (b <= a || b - a > 5)
        return NULL;
    /* a trailing particle or title is not part of the name */
    const char *s = e->text + e->toks[a].off;
    size_t len = span_bytes(e, a, b);
    for (size_t i = 0; i < e->nents; i++)
        if (e->ents[i].type == ENT_PERSON && strlen(e->ents[i].name) == len &&
            !strncmp(e->ents[i].name, s, len))
            return &e->ents[i];
    ent *x = add_ent(e, ENT_PERSON, s, len, (uint32_t)a);
    if (x)
        fill_person_keys(x);
    return x;
}

/* Nouns of a state or a national whole that a demonym before them makes
 * about the country: "Russian officials", "the French President", "the
 * Chinese economy" (docs/enrich.md, "Places"). Sorted, lower case. */
static const char *const state_nouns[] = {
    "ambassador", "army",       "authorities", "cabinet",    "capital",    "central",
    "chancellor", "citizens",   "counterpart", "delegation", "diplomat",   "diplomats",
    "economies",  "economy",    "election",    "elections",  "embassy",    "envoy",
    "forces",     "government", "governments", "king",       "lawmakers",  "leader",
    "leaders",    "leadership", "military",    "minister",   "ministers",  "ministry",
    "nation",     "navy",       "official",    "officials",  "parliament", "people",
    "police",     "premier",    "president",   "prime",      "queen",      "regime",
    "soldiers",   "state",      "territory",   "troops",     "voters"};

/* The country of the dateline's town ("MOSCOW" -> Russia) when the
 * dateline_country option asks for it: the story's focus rather than a place
 * it names (docs/enrich.md, "The dateline's country"). */
static void add_dateline_country(nw_enrich *e, const char *cc)
{
    const nw_gaz_entry *c = nw_enrich_data_country(e->data, cc);
    if (c && e->opts.dateline_country)
        add_place(e, c, 0, "enrich:dateline");
}

/* Token t is one of state_nouns; after_one (a word between it and the
 * demonym: "Japanese trade officials", "Iranian Oil Minister"), only
 * officials, ministers and authorities. */
static bool state_noun(const nw_enrich *e, size_t t, bool after_one)
{
    const token *k = &e->toks[t];
    if (k->flags & NW_TOK_BREAK || k->len > 12)
        return false;
    char w[16];
    for (size_t i = 0; i < k->len; i++)
        w[i] = (char)tolower((unsigned char)e->text[k->off + i]);
    w[k->len] = '\0';
    size_t lo = 0, hi = sizeof state_nouns / sizeof state_nouns[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(w, state_nouns[mid]);
        if (!c)
            return !after_one || !strcmp(w, "officials") || !strcmp(w, "official") ||
                   !strncmp(w, "minist", 6) || !strcmp(w, "authorities");
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

/* The demonym a..b-1 speaks of its country as a state or a whole: a state
 * noun follows it, at most one word away, in the same phrase, and it is not
 * the end of a longer name ("Latin American", "London Irish"). Not "speaks
 * Russian", "Russian Igor Andreev", "Swiss francs" or "British Airways". */
static bool demonym_of_state(const nw_enrich *e, size_t a, size_t b)
{
    if (b >= e->ntoks)
        return false;
    if (a > 0 && (e->toks[a - 1].flags & NW_TOK_CAP) && !(e->toks[a].flags & NW_TOK_BREAK) &&
        !tok_is(e, a - 1, W_STOP | W_TITLE))
        return false;
    bool the =
        a > 0 && e->toks[a - 1].len == 3 && !strncasecmp(e->text + e->toks[a - 1].off, "the", 3);
    if (state_noun(e, b, false))
        /* "the Spanish capital", not "pools of Japanese capital" */
        return the || e->toks[b].len != 7 || strncmp(e->text + e->toks[b].off, "capital", 7);
    return b + 1 < e->ntoks && !(e->toks[b].flags & NW_TOK_BREAK) && state_noun(e, b + 1, true);
}

/* Try the whole span a..b-1 as a place or demonym; true when it was one. */
static bool classify_place(nw_enrich *e, size_t a, size_t b)
{
    uint32_t hits[MAX_HITS];
    const char *s = e->text + e->toks[a].off;
    size_t n = nw_enrich_data_lookup(e->data, s, span_bytes(e, a, b), hits, MAX_HITS);
    if (!n)
        return false;
    size_t len = span_bytes(e, a, b);
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        /* a demonym's entry is named after its country: "Ireland" is no demonym */
        if (g->kind == NW_GAZ_DEMONYM && (strlen(g->name) != len || strncasecmp(g->name, s, len))) {
            add_context(e, g->cc);
            if (!demonym_of_state(e, a, b))
                return true; /* context only: "Swiss francs", "Russian Igor Andreev" */
            ent *x = NULL;
            /* remembered; becomes a place only if the country is not named */
            uint32_t c[MAX_HITS];
            size_t m = nw_enrich_data_lookup(e->data, g->name, strlen(g->name), c, MAX_HITS);
            for (size_t k = 0; k < m; k++) {
                const nw_gaz_entry *cg = nw_enrich_data_entry(e->data, c[k]);
                if (cg->kind == NW_GAZ_COUNTRY && !strcmp(cg->cc, g->cc)) {
                    bool have = false;
                    for (size_t j = 0; j < e->nents; j++)
                        have |= e->ents[j].type == ENT_PLACE && e->ents[j].gaz == cg;
                    if (!have &&
                        (x = add_ent(e, ENT_PLACE, cg->name, strlen(cg->name), (uint32_t)a))) {
                        x->gaz = cg;
                        x->rel = "enrich:demonym";
                        x->from_demonym = true;
                    }
                }
            }
            return true;
        }
    }
    /* the region of the story ("Texas"), or the US state named like a
     * foreign country ("Georgia" in a story from the United States) */
    bool region = false;
    for (size_t i = 0; i < n && !region; i++)
        region = nw_enrich_data_entry(e->data, hits[i])->kind == NW_GAZ_REGION;
    const nw_gaz_entry *best = region ? best_place(e, hits, n, false) : NULL;
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        if (g->kind == NW_GAZ_COUNTRY) {
            if (best && best != g)
                break;
            add_context(e, g->cc);
            return true; /* recorded in the second pass */
        }
    }
    if (best && best->kind == NW_GAZ_REGION && best->cc[0])
        add_context_region(e, best);
    return false;
}

/* The span a..b-1 as a place (pass 2) or as context (pass 1): true when the
 * gazetteer knows it (a demonym included). */
static bool place_span(nw_enrich *e, size_t a, size_t b, bool pass2)
{
    if (!pass2)
        return classify_place(e, a, b);
    const char *s = e->text + e->toks[a].off;
    size_t len = span_bytes(e, a, b);
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, s, len, hits, MAX_HITS);
    bool demonym = false;
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        /* a demonym's entry is named after its country: "Georgia" is none */
        demonym |=
            g->kind == NW_GAZ_DEMONYM && (strlen(g->name) != len || strncmp(g->name, s, len));
    }
    const nw_gaz_entry *g = n && !demonym ? best_place(e, hits, n, false) : NULL;
    /* "Mobile phones are ...": a capital at a sentence's start says nothing */
    if (g && g->kind == NW_GAZ_CITY && g->common_word && (e->toks[a].flags & NW_TOK_SENT_START))
        return false;
    if (g) {
        /* a single word that is a known person's name is that person */
        bool person = false;
        for (size_t i = 0; i < e->nents && b - a == 1; i++)
            person |= e->ents[i].type == ENT_PERSON && e->ents[i].ntok > 1 &&
                      !strncmp(e->ents[i].last, s, len) && !e->ents[i].last[len];
        if (!person)
            add_place(e, g, (uint32_t)a, "enrich:mentioned");
        return true;
    }
    return demonym;
}

/* Deal with one span of capitalised tokens a..b-1 (connectors inside). */
static void classify_span(nw_enrich *e, size_t a, size_t b, bool pass2);

/* The lower-case word just before the name a.. is of class `cls`: "singer
 * Bob Geldof", "filtering firm Ciphertrust". */
static bool cued_by(const nw_enrich *e, size_t a, unsigned cls)
{
    return a > 0 && !(e->toks[a].flags & NW_TOK_BREAK) && !(e->toks[a - 1].flags & NW_TOK_CAP) &&
           tok_is(e, a - 1, cls);
}

/* The lower-case word just before a.. names a performer: "frontman Bono". */
static bool performer_cue(const nw_enrich *e, size_t a)
{
    static const char *const cues[] = {"actor",  "actress",   "comedian", "drummer", "frontman",
                                       "rapper", "guitarist", "singer",   "star"};
    if (a == 0 || (e->toks[a].flags & NW_TOK_BREAK) || (e->toks[a - 1].flags & NW_TOK_CAP))
        return false;
    const token *t = &e->toks[a - 1];
    if (!tok_is(e, a - 1, W_ROLE) && strncmp(e->text + t->off, "frontman", 8))
        return false; /* every cue but "frontman" is a role noun */
    for (size_t i = 0; i < sizeof cues / sizeof cues[0]; i++)
        if (t->len == strlen(cues[i]) && !strncmp(e->text + t->off, cues[i], t->len))
            return true;
    return false;
}

/* A stock symbol, not a name: Reuters' "<WAG>", "<ASTS.ST>", "(CAWL.L)". */
static bool ticker(const nw_enrich *e, const token *t)
{
    const char *w = e->text + t->off;
    char after = w[t->len];
    return (t->off > 0 && (w[-1] == '<' || w[-1] == '.')) ||
           (memchr(w, '.', t->len) && w[t->len - 1] != '.' && (after == '>' || after == ')'));
}

/* A name in angle brackets is a company in Reuters copy ("<Ferrado Oy>"),
 * unless it is a stock symbol; true when a..b-1 was such a span. */
static bool bracketed_company(nw_enrich *e, size_t a, size_t b, bool pass2)
{
    const token *first = &e->toks[a], *last = &e->toks[b - 1];
    if (first->off == 0 || e->text[first->off - 1] != '<' || e->text[last->off + last->len] != '>')
        return false;
    if (pass2 && !(b - a == 1 && (first->flags & NW_TOK_ALLCAPS || first->len == 1)))
        add_org(e, e->text + first->off, span_bytes(e, a, b), (uint32_t)a, NULL);
    return true;
}

/* "TEXAS INSTRUMENTS INC <TXN>": the span ending at token b-1 is followed
 * by a stock symbol in angle brackets. */
static bool before_ticker(const nw_enrich *e, size_t b)
{
    const token *t = &e->toks[b - 1];
    const char *p = e->text + t->off + t->len;
    p += *p == ' ';
    if (*p++ != '<')
        return false;
    const char *q = p;
    while (isupper((unsigned char)*q) || *q == '.')
        q++;
    return q > p && *q == '>';
}

/* A name whose appositive ends in a role noun is a person's: "Armando
 * Falcon, OFHEO director, said", "Rhoda Vane, the party's chairman". */
static bool appositive_role(const nw_enrich *e, size_t b)
{
    if (b >= e->ntoks || e->toks[b].off < 2 || e->text[e->toks[b].off - 2] != ',' ||
        (e->toks[b].flags & NW_TOK_SENT_START) || !strncasecmp(e->text + e->toks[b].off, "wh", 2))
        return false;
    for (size_t k = b; k < e->ntoks && k < b + 5; k++) {
        const token *t = &e->toks[k];
        if (k > b && (t->flags & (NW_TOK_SENT_START | NW_TOK_BREAK)))
            return false;
        if (!(t->flags & NW_TOK_CAP) && tok_is(e, k, W_ROLE)) {
            if (k + 1 >= e->ntoks || (e->toks[k + 1].flags & NW_TOK_BREAK))
                return true;
            const token *n = &e->toks[k + 1];
            const char *w = e->text + n->off;
            return (n->len == 2 && (!strncmp(w, "of", 2) || !strncmp(w, "at", 2))) ||
                   tok_is(e, k + 1, W_SPEECH);
        }
    }
    return false;
}

/* Token t is the word `w`, written so ("of", "BBC"). */
static bool tok_word(const nw_enrich *e, size_t t, const char *w)
{
    size_t n = strlen(w);
    return t < e->ntoks && e->toks[t].len == n && !strncmp(e->text + e->toks[t].off, w, n);
}

/* The one-word name at token a is an organisation by what a company has
 * around it: "shares in Yukos", "a spokesman for Nova", "chief executive of
 * Vodafone" before it; "Menatep's board", "Underwoods shares" after it. */
static bool org_context(const nw_enrich *e, size_t a)
{
    const token *t = &e->toks[a];
    if (t->len < 2 || (a > 0 && (e->toks[a - 1].flags & NW_TOK_CAP) && !(t->flags & NW_TOK_BREAK)))
        return false; /* "B shares"; "American Savings shares" */
    const char *after = e->text + t->off + t->len;
    if (!strncmp(after, " &", 2))
        return false; /* "analyst at Standard & Poor's" */
    if (a >= 2 && !(t->flags & NW_TOK_BREAK) && !(e->toks[a - 1].flags & NW_TOK_BREAK) &&
        !(e->toks[a - 2].flags & NW_TOK_CAP) && tok_is(e, a - 2, W_ORG_CONTEXT) &&
        (tok_word(e, a - 1, "in") || tok_word(e, a - 1, "of") || tok_word(e, a - 1, "at") ||
         (tok_word(e, a - 1, "for") && !strncmp(e->text + e->toks[a - 2].off, "spokes", 6))))
        return true; /* not "best director for Scorsese" */
    size_t b = a + 1;
    if (b >= e->ntoks || (e->toks[b].flags & NW_TOK_CAP) || !tok_is(e, b, W_ORG_POSSESSED))
        return false;
    uint32_t end = t->off + t->len;
    if (e->text[end] == '\'' && e->text[end + 1] != 's' && (t->flags & NW_TOK_SENT_START))
        return false; /* a plural noun: "Brewers' profits lose their fizz" */
    if (e->text[end] == '\'')
        return e->toks[b].off <= end + 3; /* "Menatep's board", "Yukos' shares" */
    return !(e->toks[b].flags & NW_TOK_BREAK) && !(t->flags & NW_TOK_SENT_START) &&
           (tok_word(e, b, "shares") || tok_word(e, b, "stock"));
}

/* The name a..b-1 is followed by an age or "who": "Harry Kewell, 26, had
 * hoped", "Jude Law, who stars" (a plural name with "who" is a band's or a
 * group's: "Scissor Sisters, who"; a known company's unit too). */
static bool age_or_who_after(const nw_enrich *e, size_t a, size_t b)
{
    if (b >= e->ntoks || e->toks[b].off < 2 || strncmp(e->text + e->toks[b].off - 2, ", ", 2))
        return false;
    const token *t = &e->toks[b], *l = &e->toks[b - 1];
    const char *w = e->text + t->off;
    if (t->len == 3 && !strncmp(w, "who", 3))
        return e->text[l->off + l->len - 1] != 's' &&
               !known_entity(e, e->text + e->toks[a].off, e->toks[a].len, NW_GAZ_ORG);
    return t->len == 2 && isdigit((unsigned char)w[0]) && isdigit((unsigned char)w[1]) &&
           (w[2] == ',' || !strncmp(w + 2, " - ", 3)); /* "Warren Leblanc, 17 - who" */
}

/* The word w (n bytes) reads as a nation's or a people's ("European",
 * "Iraqis", "Scottish", "Welsh", "Congolese"), a date's ("Christmas", "May")
 * or a plural common noun's ("CDs"). */
static bool nation_or_season(const char *w, size_t n)
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

/* Token k is the noun of a member's role in an organisation ("chief",
 * "analyst", "frontman"; not "director", a film's too). */
static bool member_role(const nw_enrich *e, size_t k)
{
    static const char *const member[] = {
        "chief",     "boss",      "chairman", "chairwoman", "spokesman",  "spokeswoman", "analyst",
        "economist", "executive", "founder",  "frontman",   "frontwoman", "guitarist",   "drummer",
        "bassist",   "singer",    "vocalist", "manager",    "controller", "strategist",  "editor"};
    const token *t = &e->toks[k];
    if (t->len < 4 || t->len > 11 || (t->flags & NW_TOK_CAP) ||
        !strchr("abcdefgmsv", e->text[t->off]))
        return false;
    for (size_t i = 0; i < sizeof member / sizeof *member; i++)
        if (tok_word(e, k, member[i]))
            return true;
    return false;
}

/* The name a..b-1 is an organisation's when a member's role and a person's
 * name follow it: "Gazprom chief Alexei Miller", "Franz Ferdinand frontman
 * Alex Kapranos", "Renaissance Capital energy analyst Adam Landes"; not a
 * place's or a nation's ("Welsh singer"), nor after a role ("ABN Amro chief
 * Asian strategist"). */
static bool member_role_after(const nw_enrich *e, size_t a, size_t b)
{
    /* the shape first, by flags only: one to three lower-case words, then a
     * capitalised one, no punctuation between */
    size_t n = b;
    while (n < e->ntoks && n < b + 4 && !(e->toks[n].flags & (NW_TOK_CAP | NW_TOK_BREAK)))
        n++;
    if (n == b || n >= e->ntoks || n == b + 4 ||
        (e->toks[n].flags & (NW_TOK_BREAK | NW_TOK_CAP)) != NW_TOK_CAP ||
        (b < e->ntoks && (e->toks[b].flags & NW_TOK_BREAK)) || tok_is(e, n, W_STOP) ||
        !member_role(e, n - 1))
        return false;
    for (size_t k = b; k + 1 < n; k++)
        if (tok_is(e, k, W_STOP) && !member_role(e, k))
            return false; /* "Shepard Broad and chairman Morris Broad" */
    if ((b - a == 1 &&
         (e->toks[a].len < 2 || nation_or_season(e->text + e->toks[a].off, e->toks[a].len))) ||
        (a > 0 && member_role(e, a - 1)))
        return false;
    uint32_t hits[MAX_HITS];
    return nw_enrich_data_lookup(e->data, e->text + e->toks[a].off, span_bytes(e, a, b), hits,
                                 MAX_HITS) == 0;
}

/* The acronym s (len bytes) is a common noun's when the story writes it in
 * the plural: "three DJs", "personal digital assistants (PDAs)". */
static bool acronym_in_plural(const nw_enrich *e, const char *s, size_t len)
{
    char plural[8];
    if (len + 1 >= sizeof plural)
        return false;
    memcpy(plural, s, len);
    memcpy(plural + len, "s", 2);
    for (const char *p = e->text; (p = strstr(p, plural)) != NULL; p += len + 1)
        if ((p == e->text || !isalnum((unsigned char)p[-1])) && !isalnum((unsigned char)p[len + 1]))
            return true;
    return false;
}

/* "Barclays, the UK's third-biggest bank, ...", "Nova, the Canadian company
 * that owns ...": the span before b is named by an appositive whose head noun
 * is an organisation's (at its end, or before a relative or "of"); a role
 * noun or an "of" before it makes it a person's ("the head of the bank"). */
static bool appositive_org(const nw_enrich *e, size_t b)
{
    static const char *const after_head[] = {"that", "which",  "whose", "of",    "in",
                                             "with", "behind", "for",   "owned", "controlled"};
    if (b >= e->ntoks || e->text[e->toks[b].off - 2] != ',' || e->toks[b].len != 3 ||
        strncasecmp(e->text + e->toks[b].off, "the", 3))
        return false;
    for (size_t k = b + 1; k < e->ntoks && k < b + 9; k++) {
        const token *t = &e->toks[k];
        if (t->flags & NW_TOK_SENT_START)
            return false;
        bool head = !(t->flags & NW_TOK_CAP) && tok_is(e, k, W_ORG_CUE | W_ORG_SUFFIX);
        char after = e->text[t->off + t->len];
        if (strchr(",.;:)", after))
            return head;
        if (!(t->flags & NW_TOK_CAP) && (tok_is(e, k, W_ROLE) || tok_word(e, k, "of")))
            return false;
        for (size_t i = 0; head && after == ' ' && i < sizeof after_head / sizeof *after_head; i++)
            if (tok_word(e, k + 1, after_head[i]))
                return true;
    }
    return false;
}

/* An organisation's name as written in a capitals headline, title-cased:
 * "M.A. HANNA CO" -> "M.A. Hanna Co". */
static void add_headline_org(nw_enrich *e, size_t a, size_t b)
{
    char name[sizeof e->ents[0].name];
    size_t len = span_bytes(e, a, b), n = 0;
    const char *s = e->text + e->toks[a].off;
    for (size_t i = 0; i < len && n + 1 < sizeof name; i++, n++) {
        bool inner = i > 0 && (isalpha((unsigned char)s[i - 1]) || s[i - 1] == '\'');
        name[n] = inner ? (char)tolower((unsigned char)s[i]) : s[i];
    }
    size_t before = e->nents;
    add_org(e, name, n, (uint32_t)a, NULL);
    if (e->nents > before)
        e->ents[before].headline = true;
}

static const nw_gaz_entry *dateline_qualifier(const nw_enrich *e, const char *q, size_t len);

/* "Good Hope, La.": the span before b is a town of the US state that token
 * b abbreviates; the state, or NULL. */
static const nw_gaz_entry *state_after(const nw_enrich *e, size_t b)
{
    if (b >= e->ntoks || strncmp(e->text + e->toks[b].off - 2, ", ", 2))
        return NULL;
    const token *t = &e->toks[b];
    if (e->text[t->off + t->len] != '.' && !memchr(e->text + t->off, '.', t->len))
        return NULL;
    size_t len = t->len + (e->text[t->off + t->len] == '.');
    const nw_gaz_entry *g = dateline_qualifier(e, e->text + t->off, len);
    return g && g->kind == NW_GAZ_REGION && !strcmp(g->cc, "US") ? g : NULL;
}

/* A place the gazetteer lacks, the span a..b-1 as written (no uri), once. */
static void add_unlisted_place(nw_enrich *e, size_t a, size_t b)
{
    const char *s = e->text + e->toks[a].off;
    size_t len = span_bytes(e, a, b);
    for (size_t i = 0; i < e->nents; i++)
        if (e->ents[i].type == ENT_PLACE && !e->ents[i].gaz && strlen(e->ents[i].name) == len &&
            !strncmp(e->ents[i].name, s, len))
            return;
    add_ent(e, ENT_PLACE, s, len, (uint32_t)a);
}

/* A county by its ending ("Perthshire", "Aberdeenshire"), or a constituency:
 * a town of the gazetteer and a compass word ("Derby North", "Leeds West"). */
static bool unlisted_place(const nw_enrich *e, size_t a, size_t b)
{
    const token *t = &e->toks[a];
    if (b - a == 1)
        return t->len > 6 && !(t->flags & NW_TOK_ALLCAPS) &&
               !strncmp(e->text + t->off + t->len - 5, "shire", 5);
    if (b - a != 2)
        return false;
    static const char *const compass[] = {"North", "South", "East", "West", "Central"};
    const token *c = &e->toks[a + 1];
    bool compass_word = false;
    for (size_t i = 0; i < sizeof compass / sizeof *compass; i++)
        compass_word |=
            c->len == strlen(compass[i]) && !strncmp(e->text + c->off, compass[i], c->len);
    uint32_t hits[MAX_HITS];
    size_t n =
        compass_word ? nw_enrich_data_lookup(e->data, e->text + t->off, t->len, hits, MAX_HITS) : 0;
    for (size_t i = 0; i < n; i++)
        if (nw_enrich_data_entry(e->data, hits[i])->kind == NW_GAZ_CITY)
            return true;
    return false;
}

/* The town of "Good Hope, La.": the gazetteer's if it knows one in that
 * country, else the name as written (no uri). */
static void add_town(nw_enrich *e, size_t a, size_t b, const nw_gaz_entry *state)
{
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, e->text + e->toks[a].off, span_bytes(e, a, b), hits,
                                     MAX_HITS);
    const nw_gaz_entry *g = best_place(e, hits, n, true);
    if (g && !strcmp(g->cc, state->cc)) {
        add_place(e, g, (uint32_t)a, "enrich:mentioned");
    } else {
        add_unlisted_place(e, a, b);
    }
    add_place(e, state, (uint32_t)b, "enrich:mentioned");
}

/* The word before token a is a possessive that is no place's: "Green Day's
 * Boulevard of Broken Dreams", "Sony's Qrio Robot", "this year's Tracey
 * Island", not "London's Capital FM". */
static bool owned_by_non_place(const nw_enrich *e, size_t a)
{
    if (a == 0)
        return false;
    const token *p = &e->toks[a - 1];
    uint32_t end = p->off + p->len;
    if (e->text[end] != '\'' || e->toks[a].off > end + 3)
        return false;
    uint32_t hits[MAX_HITS];
    size_t n = (p->flags & NW_TOK_CAP)
                   ? nw_enrich_data_lookup(e->data, e->text + p->off, p->len, hits, MAX_HITS)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        nw_gaz_kind k = nw_enrich_data_entry(e->data, hits[i])->kind;
        if (k == NW_GAZ_COUNTRY || k == NW_GAZ_REGION || k == NW_GAZ_CITY)
            return false;
    }
    return true;
}

/* Words of the span a..b-1 stand in different cells or lines of a table: a
 * line break then indentation, or a run of spaces ("Year     Oper shr loss"). */
static bool across_lines(const nw_enrich *e, size_t a, size_t b)
{
    for (size_t t = a + 1; t < b; t++) {
        const char *g = e->text + e->toks[t - 1].off + e->toks[t - 1].len;
        size_t n = e->toks[t].off - (size_t)(g - e->text);
        const char *nl = memchr(g, '\n', n);
        if ((nl && nl[1] == ' ') || (n >= 3 && g[0] == ' ' && g[1] == ' ' && g[2] == ' '))
            return true;
    }
    return false;
}

/* The names a..b-1 end a list whose items are organisations (kind 1) or not
 * (-1); `after` words (a product's noun) follow the last one. */
/* The word at token a is a plain name: three letters or more, no hyphen or
 * apostrophe ("I'm", "Euro-Atlantic"), never written in lower case in the
 * story ("Culture, Media and Sport" beside "the media"). */
static bool plain_name(const nw_enrich *e, size_t a)
{
    const token *t = &e->toks[a];
    const char *after = e->text + t->off + t->len;
    char lower[32];
    if (t->len < 3 || t->len >= sizeof lower || *after == '-' || !strncmp(after, " &", 2))
        return false; /* "Multi-band", "Standard & Poor's" */
    for (size_t i = 0; i < t->len; i++) {
        char c = e->text[t->off + i];
        if (c == '-' || c == '\'')
            return false;
        lower[i] = (char)tolower((unsigned char)c);
    }
    lower[t->len] = '\0';
    for (const char *p = e->text; (p = strstr(p, lower)) != NULL; p += t->len)
        if ((p == e->text || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[t->len]))
            return false;
    return true;
}

/* mentions that make a single word with no cue a guessed organisation */
#define LONE_MENTIONS 3

/* Count the single word at token a that no rule took. */
static void remember_lone(nw_enrich *e, size_t a)
{
    const token *t = &e->toks[a];
    size_t i = 0;
    while (i < e->nlone && (e->toks[e->lone[i].at].len != t->len ||
                            memcmp(e->text + e->toks[e->lone[i].at].off, e->text + t->off, t->len)))
        i++;
    if (i == e->nlone) {
        if (i == sizeof e->lone / sizeof e->lone[0])
            return;
        e->nlone++;
        e->lone[i].at = (uint32_t)a;
        e->lone[i].count = 0;
        e->lone[i].mid = false;
    }
    e->lone[i].count++;
    /* inside a sentence, after a lower-case function word or verb of speech
     * ("shares in Yukos", "said Lukoil"): not a table's label ("18 cts Oper
     * net") */
    e->lone[i].mid |= a > 0 && !(t->flags & (NW_TOK_SENT_START | NW_TOK_BREAK)) &&
                      !(e->toks[a - 1].flags & NW_TOK_CAP) && tok_is(e, a - 1, W_STOP | W_SPEECH);
}

/* In a story whose top topic is the economy, a single word that no rule
 * took, named three times or more, once inside a sentence, never in lower
 * case, no place's, nation's or person's, is most often a company's whose
 * name is its own word ("Yukos", "Lukoil", "Vodafone"); guessed. Elsewhere
 * such words are as often works and products ("Aviator", "Xbox"). */
static void add_repeated_names(nw_enrich *e)
{
    for (size_t i = 0; i < e->nlone && e->economy_story; i++) {
        size_t a = e->lone[i].at;
        const char *w = e->text + e->toks[a].off;
        size_t n = e->toks[a].len;
        uint32_t hits[MAX_HITS];
        if (e->lone[i].count < LONE_MENTIONS || !e->lone[i].mid || !plain_name(e, a) ||
            nation_or_season(w, n) || nw_enrich_data_lookup(e->data, w, n, hits, MAX_HITS))
            continue;
        bool part = false; /* the first word of a longer name: "Sumitomo" of
                              Sumitomo Mitsui Financial, "Mukesh" of Mukesh Ambani */
        for (size_t k = 0; k < e->nents && !part; k++)
            part = !strncmp(e->ents[k].name, w, n) && e->ents[k].name[n] == ' ';
        if (part)
            continue;
        size_t before = e->nents;
        add_org(e, w, n, (uint32_t)a, NULL);
        if (e->nents > before)
            e->ents[before].guessed = true;
    }
}

/* A list's kind: after a known organisation, whose next single word is one
 * too ("Amnesty International and Liberty"). */
#define LIST_AFTER_ORG 2

static void set_list(nw_enrich *e, size_t b, size_t after, int kind)
{
    e->list_end = b + after;
    e->list_kind = kind;
}

/* The name at token a is the next item of the list of `kind`: a comma, "and"
 * or "or" is all that stands between. */
static bool continues_list(const nw_enrich *e, size_t a, int kind)
{
    size_t p = e->list_end;
    if (e->list_kind != kind || p == 0 || a < p || a > p + 1)
        return false;
    if (a == p + 1)
        return tok_word(e, p, "and") || tok_word(e, p, "or");
    const char *g = e->text + e->toks[p - 1].off + e->toks[p - 1].len;
    return memchr(g, ',', e->toks[a].off - (size_t)(g - e->text)) != NULL;
}

/* The name at token a opens a list after "such as", "including" or "like"
 * and an organisation's noun ("companies such as Creative"); not after a
 * role ("artists like") or any other noun ("tourist spots such as the Tate
 * Modern" are organisations, "burgers like the Big Mac" are not). */
static bool list_cue(const nw_enrich *e, size_t a)
{
    if (a >= 1 && tok_word(e, a - 1, "the") && !(e->toks[a].flags & NW_TOK_BREAK))
        a--;
    if (a < 2 || (e->toks[a].flags & NW_TOK_BREAK))
        return false;
    size_t n;
    if (a >= 3 && tok_word(e, a - 1, "as") && tok_word(e, a - 2, "such") &&
        !(e->toks[a - 1].flags & NW_TOK_BREAK))
        n = a - 3;
    else if (tok_word(e, a - 1, "including") || tok_word(e, a - 1, "like"))
        n = a - 2;
    else
        return false;
    const token *w = &e->toks[n];
    return !(w->flags & NW_TOK_CAP) && !(e->toks[n + 1].flags & NW_TOK_BREAK) &&
           tok_is(e, n, W_ORG_CUE);
}

/* A count before the name at token a: "17,815 Buick Raniers" (a year is not
 * one: "in 2004 Fannie Mae"). */
static bool counted(const nw_enrich *e, size_t a)
{
    if (a == 0 || (e->toks[a].flags & NW_TOK_BREAK))
        return false;
    const token *n = &e->toks[a - 1];
    const char *w = e->text + n->off;
    if (!isdigit((unsigned char)w[0]))
        return false;
    return !(n->len == 4 && (!strncmp(w, "19", 2) || !strncmp(w, "20", 2)));
}

/* Remember the span a..b-1 as a work's or product's name. */
static void not_an_org(nw_enrich *e, size_t a, size_t b)
{
    size_t len = span_bytes(e, a, b);
    if (e->nnot_org < sizeof e->not_org / sizeof e->not_org[0] && len < sizeof e->not_org[0]) {
        memcpy(e->not_org[e->nnot_org], e->text + e->toks[a].off, len);
        e->not_org[e->nnot_org++][len] = '\0';
    }
}

/* The span a..b-1 names a product by its model ("BMW X5", "Motorola Razr
 * V3": a word after the first mixes letters and digits) or an area by a
 * compass word and a place ("North Devon", "Mid Wales"). */
static bool product_or_area(const nw_enrich *e, size_t a, size_t b)
{
    for (size_t t = a + 1; t < b; t++) {
        const char *w = e->text + e->toks[t].off;
        size_t n = e->toks[t].len, digits = 0;
        for (size_t i = 0; i < n; i++)
            digits += isdigit((unsigned char)w[i]) != 0;
        if (digits && digits < n)
            return true;
    }
    static const char *const compass[] = {"North", "South", "East", "West", "Mid", "Central"};
    bool area = false;
    for (size_t i = 0; b - a == 2 && i < sizeof compass / sizeof *compass; i++)
        area |= tok_word(e, a, compass[i]);
    uint32_t hits[MAX_HITS];
    return area && nw_enrich_data_lookup(e->data, e->text + e->toks[a + 1].off, e->toks[a + 1].len,
                                         hits, MAX_HITS) > 0;
}

/* The span before token b is a work's, named by an appositive whose head is a
 * work's noun: "The Blue Room, an early morning weekend show that plays",
 * "Sideways, the film about". */
static bool appositive_work(const nw_enrich *e, size_t b)
{
    if (b + 1 >= e->ntoks || e->text[e->toks[b].off - 2] != ',' ||
        !(tok_word(e, b, "a") || tok_word(e, b, "an") || tok_word(e, b, "the")))
        return false;
    for (size_t k = b + 1; k < e->ntoks && k < b + 8; k++) {
        const token *t = &e->toks[k];
        if (t->flags & (NW_TOK_SENT_START | NW_TOK_BREAK))
            return false;
        if (!(t->flags & NW_TOK_CAP) && tok_is(e, k, W_WORK))
            return e->text[t->off + t->len] != '\'' && /* "the programme's chief" */
                   (k + 1 >= e->ntoks || (e->toks[k + 1].flags & NW_TOK_BREAK) ||
                    tok_word(e, k + 1, "that") || tok_word(e, k + 1, "which") ||
                    tok_word(e, k + 1, "about") || tok_word(e, k + 1, "by") ||
                    tok_word(e, k + 1, "starring") || tok_word(e, k + 1, "from"));
    }
    return false;
}

/* A capitalised span with no cue, a..b-1, is an organisation unless what
 * surrounds it says it is a work, a product, an event or a label. */
static void add_guessed_org(nw_enrich *e, size_t a, size_t b)
{
    for (size_t t = a; t < b; t++)
        if (tok_is(e, t, W_NO_NAME))
            return; /* "Wake Me Up", "Family Guy Day" */
    const token *l = &e->toks[b - 1];
    const char *after = e->text + l->off + l->len;
    if (b < e->ntoks && !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) &&
        tok_is(e, b, W_NOT_ORG_AFTER)) {
        not_an_org(e, a, b); /* "the Golden Joystick awards", "Cadillac XLR coupes" */
        set_list(e, b, 1, -1);
        return;
    }
    if (!strncmp(after, "-style", 6) || owned_by_non_place(e, a) || appositive_work(e, b)) {
        not_an_org(e, a, b); /* "a Pop Idol-style search", "Sony's Qrio Robot" */
        set_list(e, b, 0, -1);
        return;
    }
    if (counted(e, a) || continues_list(e, a, -1)) {
        set_list(e, b, 0, -1); /* "17,815 Buick Raniers, Chevrolet Trailblazers and GMC Envoys" */
        return;
    }
    if (across_lines(e, a, b) || product_or_area(e, a, b))
        return;
    if ((e->toks[a].flags & NW_TOK_SENT_START) && *after == ':')
        return; /* a label: "Subs Not Used:" */
    if (b - a == 2 && e->toks[a].len == 1) {
        add_person(e, a, b); /* an initial and a name: "E Nesbit" */
        return;
    }
    if (list_cue(e, a) || continues_list(e, a, 1))
        set_list(e, b, 0, 1);
    size_t n = e->nents;
    add_org(e, e->text + e->toks[a].off, span_bytes(e, a, b), (uint32_t)a, NULL);
    if (e->nents > n) {
        e->ents[n].guessed = true;
        /* in a sport story such a name is most often a player's ("Kolo
         * Toure"), an event's or a ground's: kept only as a person (see
         * merge_entities) or as a broadcaster's unit ("BBC Wales") */
        e->ents[n].sport_guess = e->sport_story && !known_entity(e, e->text + e->toks[a].off,
                                                                 e->toks[a].len, NW_GAZ_ORG);
    }
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

/* "Sumitomo Trust and Banking Co Ltd", "American Savings and Loan
 * Association of Florida": the span a..b-1, whose token `conj` is "and", is
 * one company's name: its head is a company's word, and neither side is a
 * name of its own: a known organisation, a place, a person's (a given name
 * first), a name with "of" or "for" ("United Bank of Africa and ..."), a
 * right side opening with a head word and "of" ("... and Bank of
 * Alexandria"), a left side ending in a word that ends names ("Holiday
 * Corp and ...", "Daewoo Group and ...", "Electoral Commission and ..."). */
static bool one_company_with_and(const nw_enrich *e, size_t a, size_t conj, size_t b)
{
    static const char *const ends[] = {
        "Inc",         "Corp",     "Co",          "Ltd",        "Plc",
        "LLC",         "Company",  "Corporation", "Group",      "Bank",
        "Association", "Union",    "Commission",  "Council",    "Committee",
        "Party",       "Times",    "News",        "Post",       "Agency",
        "Authority",   "Ministry", "Department",  "University", "Fund"};
    size_t head = b - 1;
    for (size_t t = conj + 1; t < b; t++)
        if (tok_word(e, t, "of") || tok_word(e, t, "for"))
            head = t - 1;
    if (!tok_is(e, head, W_ORG_SUFFIX) || (e->toks[a].flags & NW_TOK_ALLCAPS) ||
        tok_is(e, a, W_GIVEN) || tok_is(e, conj + 1, W_GIVEN) || (head == conj + 1 && head + 1 < b))
        return false;
    for (size_t t = a; t < conj; t++)
        if (tok_word(e, t, "of") || tok_word(e, t, "for"))
            return false;
    for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
        if (tok_word(e, conj - 1, ends[i]))
            return false;
    const char *l = e->text + e->toks[a].off, *r = e->text + e->toks[conj + 1].off;
    uint32_t hits[MAX_HITS];
    return !known_entity(e, r, span_bytes(e, conj + 1, b), NW_GAZ_ORG) &&
           !known_entity(e, l, span_bytes(e, a, conj), NW_GAZ_ORG) &&
           !nw_enrich_data_lookup(e->data, l, span_bytes(e, a, conj), hits, MAX_HITS);
}

/* Token t is the number word of a channel: "BBC Two", "Channel Five". */
static bool channel_number_word(const nw_enrich *e, size_t t)
{
    static const char *const numbers[] = {"One", "Two", "Three", "Four", "Five"};
    if (t == 0 || !(tok_word(e, t - 1, "BBC") || tok_word(e, t - 1, "Channel")))
        return false;
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++)
        if (tok_word(e, t, numbers[i]))
            return true;
    return false;
}

/* Token a is a peer's title: Lord, Lady, Baron, Baroness. */
static bool peer_title(const nw_enrich *e, size_t a)
{
    static const char *const peers[] = {"Lord", "Lady", "Baron", "Baroness"};
    for (size_t i = 0; i < sizeof peers / sizeof peers[0]; i++)
        if (tok_word(e, a, peers[i]))
            return true;
    return false;
}

/* Token o is a capitalised office ("Director", "Minister") and token t its
 * "of". */
static bool office_of(const nw_enrich *e, size_t o, size_t t)
{
    static const char *const office[] = {"Director", "Minister",  "Secretary",  "Commissioner",
                                         "Governor", "Registrar", "Comptroller"};
    if (!tok_word(e, t, "of"))
        return false;
    for (size_t i = 0; i < sizeof office / sizeof *office; i++)
        if (tok_word(e, o, office[i]))
            return true;
    return false;
}

static void split_span(nw_enrich *e, size_t a, size_t b, bool pass2)
{
    size_t s = a;
    for (size_t t = a; t < b; t++) {
        /* a place named over a connector: "the Gulf of Mexico and Angola" */
        uint32_t hits[MAX_HITS];
        if (t == s && t + 2 < b && (t > a || t + 3 < b) && !(e->toks[t + 1].flags & NW_TOK_CAP) &&
            nw_enrich_data_lookup(e->data, e->text + e->toks[t].off, span_bytes(e, t, t + 3), hits,
                                  MAX_HITS)) {
            classify_span(e, t, t + 3, pass2);
            s = t + 3;
            t += 2;
            continue;
        }
        if (!(e->toks[t].flags & NW_TOK_CAP) && !broadcast_number(e, t)) {
            if (t > s)
                classify_span(e, s, t, pass2);
            s = t + 1;
            /* a peerage's "of Conwy" ("Lord Roberts of Conwy") names no place;
             * an office's does ("Lord Chief Justice of England") */
            if (t >= a + 2 && peer_title(e, t - 2) && !tok_is(e, t - 1, W_TITLE) &&
                e->toks[t].len == 2 && !strncmp(e->text + e->toks[t].off, "of", 2))
                while (s < b && (e->toks[s].flags & NW_TOK_CAP))
                    t = s++;
            /* an office's "of" names a portfolio, no organisation, unless
             * the name has an organisation's word or is known: "Director of
             * Public Prosecutions", "Minister of Public Works" */
            if (t > a && office_of(e, t - 1, t)) {
                size_t r = s;
                while (r < b && (e->toks[r].flags & NW_TOK_CAP) && !tok_is(e, r, W_TITLE | W_GIVEN))
                    r++; /* "Secretary of State Condoleezza Rice" */
                if (r > s && r == b && !tok_is(e, r - 1, W_ORG_SUFFIX) &&
                    !known_entity(e, e->text + e->toks[s].off, span_bytes(e, s, r), NW_GAZ_ORG)) {
                    t = r - 1;
                    s = r;
                }
            }
        }
    }
    if (b > s)
        classify_span(e, s, b, pass2);
}

/* The acronym at token a, in brackets, follows a name of the same initial:
 * "European Athletics (EAA)", "Democratic Republic of Congo (DRC)". */
static bool defines_acronym(const nw_enrich *e, size_t a)
{
    const token *t = &e->toks[a];
    if (a == 0 || t->off < 2 || strncmp(e->text + t->off - 2, " (", 2) ||
        e->text[t->off + t->len] != ')')
        return false;
    for (size_t k = a; k-- > 0 && k + 6 > a;) {
        if (!(e->toks[k].flags & NW_TOK_CAP) && !tok_is(e, k, W_CONNECTOR))
            return false;
        if (e->text[e->toks[k].off] == e->text[t->off] &&
            ((e->toks[k].flags & NW_TOK_BREAK) || k == 0 || !(e->toks[k - 1].flags & NW_TOK_CAP)))
            return true;
    }
    return false;
}

/* An acronym the story defines after a name, at token `at`: it names no
 * organisation of its own when the name is one. */
static void remember_acronym(nw_enrich *e, const char *s, size_t len, size_t at)
{
    if (e->nacro_alias < sizeof e->acro_alias / sizeof e->acro_alias[0] &&
        len < sizeof e->acro_alias[0].name) {
        memcpy(e->acro_alias[e->nacro_alias].name, s, len);
        e->acro_alias[e->nacro_alias].name[len] = '\0';
        e->acro_alias[e->nacro_alias++].at = (uint32_t)at;
    }
}

/* Token t is a legal form ending a company's name: "Inc", "Corp", "Ltd". */
static bool legal_form_tok(const nw_enrich *e, size_t t)
{
    static const char *const forms[] = {"Inc", "Corp", "Co", "Ltd", "Plc", "PLC", "LLC"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++)
        if (tok_word(e, t, forms[i]))
            return true;
    return false;
}

/* The capitalised word before token a owns it ("Moody's Investors"): the
 * name's first word, cut at its "'s". */
static bool owner_before(const nw_enrich *e, size_t a)
{
    if (a == 0 || !(e->toks[a - 1].flags & NW_TOK_CAP) || (e->toks[a - 1].flags & NW_TOK_ALLCAPS))
        return false; /* "GHR's Good Hope Refineries Inc": a parent's acronym */
    uint32_t end = e->toks[a - 1].off + e->toks[a - 1].len;
    return !strncmp(e->text + end, "'s ", 3) && e->toks[a].off == end + 3;
}

/* A place owns the rest of the span a..b-1 ("London's Capital FM": a name
 * the possessive did not end, before a company's word): the token after
 * the place, or 0. */
static size_t place_owner_ends(const nw_enrich *e, size_t a, size_t b)
{
    for (size_t t = a; t + 1 < b; t++) {
        if (e->text[e->toks[t].off + e->toks[t].len] != '\'')
            continue;
        uint32_t hits[MAX_HITS];
        size_t n = nw_enrich_data_lookup(e->data, e->text + e->toks[a].off, span_bytes(e, a, t + 1),
                                         hits, MAX_HITS);
        for (size_t i = 0; i < n; i++) {
            nw_gaz_kind k = nw_enrich_data_entry(e->data, hits[i])->kind;
            if (k == NW_GAZ_COUNTRY || k == NW_GAZ_REGION || k == NW_GAZ_CITY)
                return t + 1;
        }
    }
    return 0;
}

static void classify_span(nw_enrich *e, size_t a, size_t b, bool pass2)
{
    if (a < b && bracketed_company(e, a, b, pass2))
        return;
    size_t owner_end = a < b ? place_owner_ends(e, a, b) : 0;
    if (owner_end) {
        classify_span(e, a, owner_end, pass2);
        classify_span(e, owner_end, b, pass2);
        return;
    }
    /* drop leading stop words ("The", "But", "In"), unless one starts a
     * place's name: "New Jersey" is not Jersey, "New York" not York */
    while (a < b && tok_is(e, a, W_STOP) && !tok_is(e, a, W_TITLE)) {
        if (b - a >= 2 &&
            nw_enrich_data_name_head(e->data, e->text + e->toks[a].off, e->toks[a].len)) {
            size_t w = b - a < 3 ? b - a : 3;
            while (w >= 2 && !place_span(e, a, a + w, pass2))
                w--;
            if (w >= 2) {
                if (a + w < b)
                    classify_span(e, a + w, b, pass2);
                return;
            }
        }
        /* "St Mary's" (a church, a ground) is no Mary; places named after a
         * saint are in the gazetteer whole ("St Louis") */
        if (e->toks[a].len == 2 && !strncmp(e->text + e->toks[a].off, "St", 2) && b - a >= 2)
            return;
        a++;
    }
    /* trailing lower-case words and stop words: "League One", "US TV" */
    while (b > a && ((!(e->toks[b - 1].flags & NW_TOK_CAP) && !broadcast_number(e, b - 1)) ||
                     (b - a > 1 && tok_is(e, b - 1, W_STOP) &&
                      !tok_is(e, b - 1, W_TITLE | W_ORG_SUFFIX) && !channel_number_word(e, b - 1) &&
                      !known_entity(e, e->text + e->toks[a].off, span_bytes(e, a, b), NW_GAZ_ORG))))
        b--;
    if (a >= b)
        return;
    const char *s = e->text + e->toks[a].off;
    size_t len = span_bytes(e, a, b);
    bool allcaps_seg =
        (e->toks[a].flags & NW_TOK_ALLCAPS) && b - a > 1 && (e->toks[b - 1].flags & NW_TOK_ALLCAPS);
    bool caps_headline = e->caps_headline && e->toks[a].off < e->body_at;
    if (caps_headline && before_ticker(e, b)) {
        if (pass2)
            add_headline_org(e, a, b); /* "WALGREEN CO <WAG>" */
        return;
    }
    if ((allcaps_seg && b - a > 2) || caps_headline) {
        /* capitals tell nothing here ("U.S. TRADE DEFICIT WIDENS"): names of
         * places only, the longest first */
        for (size_t t = a; t < b;) {
            size_t w = b - t < 3 ? b - t : 3;
            for (; w > 1; w--) {
                uint32_t hits[MAX_HITS];
                if (nw_enrich_data_lookup(e->data, e->text + e->toks[t].off,
                                          span_bytes(e, t, t + w), hits, MAX_HITS))
                    break;
            }
            place_span(e, t, t + w, pass2);
            t += w;
        }
        return;
    }

    const nw_gaz_entry *state = state_after(e, b);
    if (state) {
        if (pass2)
            add_town(e, a, b, state);
        else
            add_context(e, state->cc);
        return;
    }
    /* known organisation (entities.tsv) or a place, the whole span; a short
     * form of two letters only in capitals ("IS", not "Is") */
    const nw_gaz_entry *known = b - a > 1 || len > 2 || (e->toks[a].flags & NW_TOK_ALLCAPS) ||
                                        (len == 2 && isdigit((unsigned char)s[1]))
                                    ? known_entity(e, s, len, NW_GAZ_ORG)
                                    : NULL;
    if (known && known->sport && a > 0 && e->toks[a - 1].len == 2 &&
        !strncmp(e->text + e->toks[a - 1].off, "in", 2))
        known = NULL; /* "in Cardiff" is the town, even in a sport story */
    bool org_trailer = b < e->ntoks && !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) &&
                       tok_is(e, b, W_ORG_TRAILER);
    if (known || org_trailer) {
        if (list_cue(e, a) || continues_list(e, a, 1))
            set_list(e, b, 0, 1); /* "companies such as Creative, Sony and Philips" */
        else
            set_list(e, b, 0, LIST_AFTER_ORG); /* "Amnesty International and Liberty" */
        if (pass2)
            add_org(e, s, len, (uint32_t)a, known);
        return;
    }
    /* "U2 frontman Bono", "singer Usher": a performer known by one name, whatever
     * place has it ("captain England" is the team) */
    if (pass2 && b - a == 1 && performer_cue(e, a) && !(e->toks[a].flags & NW_TOK_ALLCAPS)) {
        ent *x = add_person(e, a, b);
        if (x)
            x->titled = true;
        return;
    }
    if (place_span(e, a, b, pass2))
        return;
    if (appositive_org(e, b)) {
        if (pass2)
            add_org(e, s, len, (uint32_t)a, NULL);
        return;
    }
    /* acronym defined in the text: "... Countries (OPEC)" */
    if (b - a == 1) {
        if (!pass2)
            return;
        const token *t = &e->toks[a];
        if ((t->flags & NW_TOK_ALLCAPS) && t->len >= 2 && t->len <= 6 && !tok_is(e, a, W_STOP) &&
            !allcaps_seg) {
            /* all-caps text (Reuters headlines) has no acronyms to trust */
            bool upper_text = (a > 0 && (e->toks[a - 1].flags & NW_TOK_ALLCAPS) &&
                               a + 1 < e->ntoks && (e->toks[a + 1].flags & NW_TOK_ALLCAPS)) ||
                              (e->caps_headline && t->off < e->body_at);
            /* a credit rating ("AA", "CCC") or a label ("NOTE:") is none */
            bool rating = strspn(s, "ABC") == len;
            if (defines_acronym(e, a))
                remember_acronym(e, s, len, a); /* "European Athletics (EAA)" */
            else if (!upper_text && !ticker(e, t) && !rating && s[len] != ':' &&
                     !(b < e->ntoks && !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) &&
                       tok_is(e, b, W_NOT_ORG_AFTER) && !tok_word(e, b, "prize") &&
                       !tok_word(e, b, "award") && !tok_word(e, b, "awards")) &&
                     /* "the ISEQ index", "Nintendo DS console"; not "MTV prize" */
                     !acronym_in_plural(e, s, len))
                add_org(e, s, len, (uint32_t)a, NULL);
        } else if (cued_by(e, a, W_ORG_CUE)) {
            add_org(e, s, len, (uint32_t)a, NULL); /* "filtering firm Ciphertrust" */
        } else if (!tok_is(e, a, W_STOP | W_TITLE | W_GIVEN) &&
                   (list_cue(e, a) || continues_list(e, a, 1))) {
            set_list(e, b, 0, 1); /* "companies such as Creative, Sony and Philips" */
            add_org(e, s, len, (uint32_t)a, NULL);
        } else if (!(t->flags & NW_TOK_SENT_START) &&
                   !tok_is(e, a, W_STOP | W_TITLE | W_GIVEN | W_NO_NAME) && b < e->ntoks &&
                   !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) && tok_is(e, b, W_ORG_AFTER)) {
            add_org(e, s, len, (uint32_t)a, NULL); /* "the Balco laboratory" */
        } else if (unlisted_place(e, a, b)) {
            add_unlisted_place(e, a, b);
        } else if (!tok_is(e, a,
                           W_STOP | W_TITLE | W_GIVEN | W_NO_NAME | W_ORG_SUFFIX | W_ORG_CUE) &&
                   org_context(e, a)) {
            size_t n = e->nents; /* "shares in Yukos", "Underwoods shares" */
            add_org(e, s, len, (uint32_t)a, NULL);
            if (e->nents > n)
                e->ents[n].guessed = true; /* "Blair's board" is Tony Blair's */
        } else if (!(t->flags & NW_TOK_SENT_START) &&
                   !tok_is(e, a, W_STOP | W_TITLE | W_GIVEN | W_NO_NAME | W_ROLE | W_WORK) &&
                   continues_list(e, a, LIST_AFTER_ORG) && plain_name(e, a)) {
            size_t n = e->nents; /* "Amnesty International and Liberty" */
            add_org(e, s, len, (uint32_t)a, NULL);
            if (e->nents > n)
                e->ents[n].guessed = true; /* "the BBC and Blair": Tony Blair */
            set_list(e, b, 0, LIST_AFTER_ORG);
        } else if (!(t->flags & NW_TOK_SENT_START) &&
                   !tok_is(e, a, W_STOP | W_TITLE | W_GIVEN | W_NO_NAME) &&
                   member_role_after(e, a, b)) {
            add_org(e, s, len, (uint32_t)a, NULL); /* "Gazprom chief Alexei Miller" */
        } else if (cued_by(e, a, W_ROLE) && !tok_is(e, a, W_STOP)) {
            ent *x = add_person(e, a, b); /* "R&B star Nelly" */
            if (x)
                x->titled = true;
        } else if (!(t->flags & NW_TOK_ALLCAPS) &&
                   !tok_is(e, a,
                           W_STOP | W_TITLE | W_GIVEN | W_NO_NAME | W_ROLE | W_WORK | W_ORG_SUFFIX |
                               W_ORG_CUE)) {
            remember_lone(e, a); /* not "Bank", "Ministry" */
        }
        return;
    }
    bool has_connector = false;
    for (size_t t = a; t < b; t++)
        has_connector |= !(e->toks[t].flags & NW_TOK_CAP) && !broadcast_number(e, t);
    /* "Volcker and International Monetary Fund": two names, not one */
    for (size_t t = a + 1; t + 3 < b + 1 && has_connector; t++)
        if (e->toks[t].len == 3 && !strncmp(e->text + e->toks[t].off, "and", 3) && b - t > 3) {
            if (one_company_with_and(e, a, t, b)) {
                if (pass2)
                    add_org(e, s, len, (uint32_t)a, NULL);
                return;
            }
            classify_span(e, a, t, pass2);
            classify_span(e, t + 1, b, pass2);
            return;
        }
    /* organisation: a suffix word, also before "of" or "for" ("Commission
     * for Africa", "Electronic Industries Association of Japan") */
    size_t head = a + 1;
    while (head < b && (e->toks[head].flags & NW_TOK_CAP))
        head++;
    bool head_of = head < b && tok_is(e, head - 1, W_ORG_SUFFIX) &&
                   strncasecmp(e->text + e->toks[head].off, "and", e->toks[head].len);
    if (tok_is(e, b - 1, W_ORG_SUFFIX) || head_of) {
        if (pass2 && legal_form_tok(e, b - 1) && owner_before(e, a)) {
            a--; /* "Moody's Investors Service Inc" */
            s = e->text + e->toks[a].off;
            len = span_bytes(e, a, b);
        }
        if (pass2)
            add_org(e, s, len, (uint32_t)a, NULL);
        if (!head_of) /* not "Department for Culture, Media and Sport" */
            set_list(e, b, 0, LIST_AFTER_ORG);
        return;
    }
    if (has_connector) {
        if (pass2 && owned_by_non_place(e, a))
            return; /* "Green Day's Boulevard of Broken Dreams" */
        split_span(e, a, b, pass2);
        return;
    }
    if (allcaps_seg) {
        classify_span(e, a, a + 1, pass2);
        classify_span(e, a + 1, b, pass2);
        return;
    }
    /* titles: the person is what follows the last title word */
    size_t last_title = SIZE_MAX;
    for (size_t t = a; t < b; t++)
        if (tok_is(e, t, W_TITLE))
            last_title = t;
    if (last_title != SIZE_MAX) {
        size_t first_title = a;
        while (!tok_is(e, first_title, W_TITLE))
            first_title++;
        /* "European Commission" before "President"; before "Minister" or
         * "Secretary" a portfolio, of which only a first "Russian" or "US" */
        const char *t = e->text + e->toks[first_title].off;
        bool portfolio = !strncasecmp(t, "minister", 8) || !strncasecmp(t, "secretary", 9);
        if (first_title > a)
            classify_span(e, a, portfolio ? a + 1 : first_title, pass2);
        size_t p = last_title + 1;
        ent *x = p < b && pass2 ? add_person(e, p, b) : NULL;
        if (x)
            x->titled = true;
        return;
    }
    if (allcaps_seg)
        return;
    /* a country or demonym in the span: "British Airways", "West Germany";
     * the end of a longer name is none of its own ("BBC Northern Ireland") */
    for (size_t t = a; t < b; t++) {
        uint32_t hits[MAX_HITS];
        size_t n = nw_enrich_data_lookup(e->data, e->text + e->toks[t].off, e->toks[t].len, hits,
                                         MAX_HITS);
        for (size_t i = 0; i < n; i++) {
            const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
            if (g->kind == NW_GAZ_COUNTRY || g->kind == NW_GAZ_DEMONYM) {
                uint32_t longer[MAX_HITS];
                bool name_end =
                    t > a && nw_enrich_data_lookup(e->data, e->text + e->toks[t - 1].off,
                                                   span_bytes(e, t - 1, t + 1), longer, MAX_HITS);
                if (t > a)
                    classify_span(e, a, t, pass2);
                if (!name_end)
                    classify_span(e, t, t + 1, pass2);
                if (t + 1 < b)
                    classify_span(e, t + 1, b, pass2);
                return;
            }
        }
    }
    if (!pass2)
        return;
    if (tok_is(e, b - 1, W_NO_NAME)) { /* "League Cup", "Trafalgar Square" */
        known = b - a > 1 ? known_entity(e, s, span_bytes(e, a, b - 1), NW_GAZ_ORG) : NULL;
        if (known) /* "U.N. Headquarters" */
            add_org(e, s, len, (uint32_t)a, known);
        return;
    }
    if (cued_by(e, a, W_WORK)) {
        not_an_org(e, a, b); /* "the show Advance Warning", "his album Some Cities" */
        return;
    }
    if (b - a <= 4 && !cued_by(e, a, W_ROLE) && member_role_after(e, a, b)) {
        add_org(e, s, len, (uint32_t)a, NULL); /* "Franz Ferdinand frontman Alex Kapranos" */
        return;
    }
    if (cued_by(e, a, W_ROLE) || (tok_is(e, a, W_GIVEN) && b - a <= 4)) {
        ent *x = add_person(e, a, b);
        if (x && !tok_is(e, a, W_GIVEN))
            x->titled = true;
        return;
    }
    if (cued_by(e, a, W_ORG_CUE)) {
        add_org(e, s, len, (uint32_t)a, NULL);
        return;
    }
    if (b - a >= 2 && b - a <= 4 && appositive_role(e, b)) {
        add_person(e, a, b);
        return;
    }
    /* "Sprinter Michelle Collins": the person starts at the given name */
    for (size_t t = a + 1; t + 1 < b; t++)
        if (tok_is(e, t, W_GIVEN)) {
            classify_span(e, a, t, pass2);
            add_person(e, t, b);
            return;
        }
    if (unlisted_place(e, a, b)) {
        add_unlisted_place(e, a, b);
        return;
    }
    if (b - a >= 2 && b - a <= 3 && age_or_who_after(e, a, b)) {
        add_person(e, a, b);
        return;
    }
    /* no sign of a person: a name of that shape is most often an
     * organisation's ("Fannie Mae", "Kaiser Chiefs") */
    if (b - a <= 4)
        add_guessed_org(e, a, b);
}

/* Walk the capitalised spans; pass 1 records context (countries, demonyms),
 * pass 2 the entities. Connectors join capitalised words ("Bank of England"). */
static void scan_spans(nw_enrich *e, bool pass2)
{
    size_t t = 0;
    e->list_kind = 0;
    e->nnot_org = 0;
    e->nlone = 0;
    e->nacro_alias = 0;
    while (t < e->ntoks) {
        if (!(e->toks[t].flags & NW_TOK_CAP) || tok_is(e, t, W_LINEUP)) {
            t++;
            continue;
        }
        size_t a = t++;
        while (t < e->ntoks && t - a < MAX_SPAN && !(e->toks[t].flags & NW_TOK_BREAK)) {
            if (e->toks[t].flags & NW_TOK_CAP) {
                t++;
                continue;
            }
            if (tok_is(e, t, W_CONNECTOR) && t + 1 < e->ntoks &&
                (e->toks[t + 1].flags & NW_TOK_CAP) && !(e->toks[t + 1].flags & NW_TOK_BREAK)) {
                t += 2;
                continue;
            }
            /* "Federation of the Phonographic Industry": after an organisation's
             * word ("Dr Jeremy Philpott of the UK Patent Office" is two names) */
            if (tok_is(e, t, W_CONNECTOR) && t + 2 < e->ntoks && tok_is(e, t - 1, W_ORG_SUFFIX) &&
                !tok_word(e, t, "and") && (tok_word(e, t + 1, "the") || tok_word(e, t + 1, "la")) &&
                (e->toks[t + 2].flags & NW_TOK_CAP) &&
                !((e->toks[t + 1].flags | e->toks[t + 2].flags) & NW_TOK_BREAK)) {
                t += 3;
                continue;
            }
            break;
        }
        if (broadcast_number(e, t))
            t++;
        /* "US-Russian": a hyphenated pair of names is two names */
        if (t - a == 1 && memchr(e->text + e->toks[a].off, '-', e->toks[a].len) &&
            !(e->text[e->toks[a].off + 2] == '-')) {
            const char *w = e->text + e->toks[a].off;
            const char *h = memchr(w, '-', e->toks[a].len);
            uint32_t hits[MAX_HITS];
            size_t n1 = nw_enrich_data_lookup(e->data, w, (size_t)(h - w), hits, MAX_HITS);
            size_t n2 = nw_enrich_data_lookup(e->data, h + 1, e->toks[a].len - (size_t)(h - w) - 1,
                                              hits, MAX_HITS);
            if (n1 && n2 && e->ntoks + 2 <= MAX_TOKENS) {
                /* classify each half through two synthetic tokens at the end */
                token saved = e->toks[a];
                e->toks[a].len = (uint32_t)(h - w);
                classify_span(e, a, a + 1, pass2);
                e->toks[a].off = (uint32_t)(h + 1 - e->text);
                e->toks[a].len = saved.len - (uint32_t)(h - w) - 1;
                classify_span(e, a, a + 1, pass2);
                e->toks[a] = saved;
                continue;
            }
        }
        classify_span(e, a, t, pass2);
    }
}

/* The words of `name` after its first `n` bytes are only legal forms: "Co",
 * "Inc", "Corp", "Ltd", "Plc", "AG", "Oy" ... */
static bool legal_forms_only(const char *name, size_t n)
{
    static const char *const forms[] = {"inc",  "inc.", "co",   "co.", "corp", "corp.",
                                        "ltd",  "ltd.", "plc",  "llc", "ag",   "sa",
                                        "s.a.", "nv",   "n.v.", "oy",  "oyj",  "gmbh"};
    const char *p = name + n;
    if (*p != ' ')
        return false;
    while (*p == ' ') {
        p++;
        size_t w = strcspn(p, " "), k = 0;
        while (k < sizeof forms / sizeof forms[0] &&
               (strlen(forms[k]) != w || strncasecmp(forms[k], p, w)))
            k++;
        if (k == sizeof forms / sizeof forms[0])
            return false;
        p += w;
    }
    return true;
}

/* One organisation named twice: "Transco Energy" and "Transco Energy Co",
 * "GHR" and "GHR Energy Corp", "BETHLEHEM STEEL <BS>" and "Bethlehem Steel
 * Corp": x gives way to y. */
static bool same_org(const ent *x, const ent *y)
{
    size_t n = strlen(x->name);
    if (x->headline && !y->headline) {
        /* "Knoll To Buy American Savings", "Wins Government Okay For Husky":
         * a word of the headline begins the company's name */
        size_t yw = strcspn(y->name, " ");
        for (const char *w = x->name; *w; w += strcspn(w, " "), w += *w == ' ')
            if (strcspn(w, " ") == yw && !strncasecmp(w, y->name, yw))
                return true;
        return false;
    }
    if (strncasecmp(x->name, y->name, n) || y->name[n] != ' ')
        return false;
    bool acronym =
        !strchr(x->name, ' ') && n >= 2 && strspn(x->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
    /* "Husky" and "Husky Oil Ltd": a registered name and its first word */
    const char *last = strrchr(y->name, ' ');
    bool short_form = !x->gaz && !strchr(x->name, ' ') && last &&
                      legal_forms_only(y->name, (size_t)(last - y->name));
    return acronym || short_form || legal_forms_only(y->name, n);
}

/* x is y's name with an initial for the first name: "G Poll", "Graham Poll". */
static bool initial_of(const ent *x, const ent *y)
{
    return x->ntok == 2 && y->ntok == 2 && x->name[1] == ' ' && y->name[1] != ' ' &&
           y->name[1] != '.' && x->name[0] == y->name[0];
}

/* The story defines an acronym of x's initial right after its first
 * mention: "European Athletics (EAA)". */
static bool defined_by_acronym(const nw_enrich *e, const ent *x)
{
    for (size_t k = 0; k < e->nacro_alias; k++)
        if (e->acro_alias[k].at > x->first && e->acro_alias[k].at < x->first + 8 &&
            e->acro_alias[k].name[0] == x->name[0])
            return true;
    return false;
}

/* A one-word organisation written with "'s" at each mention, three or
 * more, is named so: "McDonald's" (the tokenizer cut the "'s"). */
static void keep_possessive_name(nw_enrich *e, ent *x)
{
    size_t len = strlen(x->name), poss = 0;
    if (x->gaz || strchr(x->name, ' ') || len + 3 > sizeof x->name ||
        e->toks[x->first].len != len || strncmp(e->text + e->toks[x->first].off + len, "'s", 2))
        return;
    for (size_t t = 0; t < e->ntoks; t++) {
        const token *k = &e->toks[t];
        if (k->len != len || strncmp(e->text + k->off, x->name, len))
            continue;
        if (strncmp(e->text + k->off + len, "'s", 2))
            return;
        poss++;
    }
    if (poss >= 3)
        memcpy(x->name + len, "'s", 3);
}

/* The last word of a guessed name stands alone elsewhere in the story,
 * not after "the" and not a place: "Sania Mirza ... Mirza won". News names
 * a person again by surname, an organisation by its full or first name or
 * after "the" ("the Chiefs"). */
static bool surname_again(const nw_enrich *e, const char *last, size_t from)
{
    size_t n = strlen(last);
    if (n < 3 || !isupper((unsigned char)last[0]) || !islower((unsigned char)last[1]))
        return false;
    for (size_t t = from; t < e->ntoks; t++) {
        const token *k = &e->toks[t];
        if (k->len != n || e->text[k->off] != last[0])
            continue;
        if (memcmp(e->text + k->off, last, n) || tok_is(e, t, W_ORG_SUFFIX) ||
            ((k->flags & NW_TOK_SENT_START) && !(t + 1 < e->ntoks && tok_is(e, t + 1, W_SPEECH))) ||
            k->off < e->body_at)
            continue; /* "Electronics makers ...": a capital that says nothing;
                         "Stephens said" does */
        const token *p = t > 0 ? &e->toks[t - 1] : NULL;
        bool alone = (!p || !(p->flags & NW_TOK_CAP) || tok_is(e, t - 1, W_TITLE | W_STOP) ||
                      ((k->flags & NW_TOK_BREAK) && e->text[p->off + p->len] != '\'')) &&
                     (!p || p->len != 3 || strncasecmp(e->text + p->off, "the", 3)) &&
                     (t + 1 >= e->ntoks || (e->toks[t + 1].flags & NW_TOK_BREAK) ||
                      !(e->toks[t + 1].flags & NW_TOK_CAP));
        if (!alone)
            continue;
        uint32_t hits[MAX_HITS];
        return nw_enrich_data_lookup(e->data, last, n, hits, MAX_HITS) == 0;
    }
    return false;
}

/* The name at token f is a list's item after a person's name: "Huw
 * Stephens, Ras Kwame", "Ras Kwame and Rob Da Bank". */
static bool listed_after_person(const nw_enrich *e, size_t f)
{
    if (f < 2 || (e->toks[f].flags & NW_TOK_SENT_START))
        return false;
    size_t end = f; /* the previous item ends before token `end` */
    if (tok_word(e, f - 1, "and"))
        end = f - 1;
    else if (e->text[e->toks[f].off - 2] != ',')
        return false;
    size_t start = end;
    while (start > 0 && end - start < 4 && (e->toks[start - 1].flags & NW_TOK_CAP)) {
        start--;
        if (e->toks[start].flags & NW_TOK_BREAK)
            break;
    }
    if (start == end || end - start > 3)
        return false;
    const char *s = e->text + e->toks[start].off;
    size_t len = span_bytes(e, start, end);
    for (size_t j = 0; j < e->nents; j++) {
        const ent *p = &e->ents[j];
        if (p->type == ENT_PERSON && !p->dropped && !strncmp(p->name, s, len) && !p->name[len])
            return true;
    }
    return false;
}

/* Single words after the spans: "Kerry" is John Kerry; acronyms of orgs. */
static void merge_entities(nw_enrich *e)
{
    for (size_t i = 0; i < e->nents; i++)
        for (size_t j = 0; j < e->nents && e->ents[i].type == ENT_ORG; j++)
            if (i != j && e->ents[j].type == ENT_ORG && !e->ents[j].dropped &&
                same_org(&e->ents[i], &e->ents[j])) {
                e->ents[i].dropped = true;
                if (e->ents[i].first < e->ents[j].first)
                    e->ents[j].first = e->ents[i].first;
                break;
            }
    /* a guessed organisation named like a work of the story is that work:
     * "Lit Idol" in a headline beside "the Lit Idol prize" */
    for (size_t i = 0; i < e->nents; i++)
        for (size_t k = 0; k < e->nnot_org && e->ents[i].guessed; k++)
            if (e->ents[i].type == ENT_ORG && !strcasecmp(e->ents[i].name, e->not_org[k]))
                e->ents[i].dropped = true;
    /* "EAA member federations" after the organisation "European Athletics
     * (EAA)" */
    for (size_t k = 0; k < e->nacro_alias; k++) {
        bool named = false;
        for (size_t j = 0; j < e->nents && !named; j++)
            named = e->ents[j].type == ENT_ORG && !e->ents[j].dropped &&
                    e->ents[j].first < e->acro_alias[k].at &&
                    e->ents[j].first + 8 > e->acro_alias[k].at;
        for (size_t i = 0; i < e->nents && named; i++)
            if (e->ents[i].type == ENT_ORG && !e->ents[i].gaz &&
                !strcmp(e->ents[i].name, e->acro_alias[k].name))
                e->ents[i].dropped = true;
        if (!named) /* "Democratic Republic of Congo (DRC)" names a place, "ONGC" a company */
            add_org(e, e->acro_alias[k].name, strlen(e->acro_alias[k].name), e->acro_alias[k].at,
                    NULL);
    }
    /* a name of two words or more that begins or ends another organisation's
     * is that one: "Union Faith" and "Union Faith Canada Holding Ltd", "GW
     * Pharma" and "GW Pharmaceuticals", "Radio 2" and "BBC Radio 2" */
    for (size_t i = 0; i < e->nents; i++) {
        ent *x = &e->ents[i];
        size_t xl = strlen(x->name);
        if (x->type != ENT_ORG || x->dropped || x->gaz || !strchr(x->name, ' '))
            continue;
        for (size_t j = 0; j < e->nents && !x->dropped; j++) {
            ent *y = &e->ents[j];
            size_t yl = strlen(y->name);
            if (i == j || y->type != ENT_ORG || y->dropped || yl <= xl)
                continue;
            if (!strncasecmp(y->name, x->name, xl) ||
                (y->name[yl - xl - 1] == ' ' && !strcasecmp(y->name + yl - xl, x->name))) {
                x->dropped = true;
                if (x->first < y->first)
                    y->first = x->first;
            }
        }
    }
    /* a town named like a company of the story is the company: "Nokia" beside
     * "Nokia Oy"; a town of less than a million beside a company whose name
     * starts with it ("Toyota" beside "Toyota Motor Credit Corp"; not "London"
     * beside "London Stock Exchange", which has no legal form) */
    for (size_t i = 0; i < e->nents; i++) {
        ent *p = &e->ents[i];
        if (p->type != ENT_PLACE || !p->gaz || p->gaz->kind == NW_GAZ_COUNTRY || !p->rel ||
            strcmp(p->rel, "enrich:mentioned"))
            continue;
        size_t n = strlen(p->name);
        for (size_t j = 0; j < e->nents && !p->dropped; j++) {
            const char *o = e->ents[j].name, *last = strrchr(o, ' ');
            bool company = p->gaz->kind == NW_GAZ_CITY && p->gaz->population < 1000000 && last &&
                           o[n] == ' ' && legal_forms_only(o, (size_t)(last - o));
            p->dropped = e->ents[j].type == ENT_ORG && !e->ents[j].dropped &&
                         !strncasecmp(o, p->name, n) && (legal_forms_only(o, n) || company);
        }
    }
    /* a guessed organisation with a person's last name is that person:
     * "Iyad Allawi" beside "Mr Allawi" */
    for (size_t i = 0; i < e->nents; i++) {
        ent *x = &e->ents[i];
        if (x->type != ENT_ORG || !x->guessed)
            continue;
        ent probe = *x;
        fill_person_keys(&probe);
        bool person = probe.ntok >= 2 && probe.ntok <= 3 && !isupper((unsigned char)x->name[1]) &&
                      surname_again(e, probe.last, x->first + 1);
        for (size_t j = 0; j < e->nents && !person; j++)
            person = e->ents[j].type == ENT_PERSON && !strcmp(e->ents[j].last, probe.last);
        if (person) {
            *x = probe;
            x->type = ENT_PERSON;
            x->guessed = false;
        }
        x->dropped |= x->type == ENT_ORG && x->sport_guess && !defined_by_acronym(e, x);
    }
    /* a guessed name listed after a person is a person: "Huw Stephens, Ras
     * Kwame and Rob Da Bank will each host" */
    for (size_t i = 0; i < e->nents; i++) {
        ent *x = &e->ents[i];
        if (x->type != ENT_ORG || !x->guessed || x->dropped)
            continue;
        ent probe = *x;
        fill_person_keys(&probe);
        size_t f = x->first, n = strlen(x->name);
        /* not a plural name ("Scissor Sisters") unless a given name starts
         * it, nor one that starts with an acronym or a known organisation
         * ("BBC Sport", "Nintendo Europe") */
        bool plural = x->name[n - 1] == 's' && !tok_is(e, f, W_GIVEN);
        if (probe.ntok >= 2 && probe.ntok <= 3 && !plural && !isupper((unsigned char)x->name[1]) &&
            !known_entity(e, e->text + e->toks[f].off, e->toks[f].len, NW_GAZ_ORG) &&
            listed_after_person(e, f)) {
            *x = probe;
            x->type = ENT_PERSON;
            x->guessed = false;
        }
    }
    for (size_t i = 0; i < e->nents; i++) {
        ent *x = &e->ents[i];
        if (x->dropped)
            continue;
        for (size_t j = 0; j < e->nents; j++) {
            ent *y = &e->ents[j];
            if (i == j || y->dropped || y->type != x->type)
                continue;
            bool initial = initial_of(x, y);
            if (x->type == ENT_PERSON && (y->ntok > x->ntok || initial) &&
                !strcmp(x->last, y->last) &&
                (x->ntok == 1 || initial || strstr(y->name, x->name))) {
                x->dropped = true;
                if (x->first < y->first)
                    y->first = x->first;
            }
            size_t xl = strlen(x->name), yl = strlen(y->acro);
            if (x->type == ENT_ORG && !x->gaz && xl >= 2 && yl >= 2 &&
                (!strcmp(x->name, y->acro) ||
                 (xl >= 3 && yl > xl && !strcmp(y->acro + yl - xl, x->name)))) {
                /* "ISSG" for International Syria Support Group; "CAS" for
                 * North American Court of Arbitration for Sport */
                x->dropped = true;
            }
        }
        /* a single word is a person only after a title ("President Reagan") */
        if (x->type == ENT_PERSON && x->ntok == 1 && !x->titled)
            x->dropped = true;
        if (x->type == ENT_ORG && !x->dropped)
            keep_possessive_name(e, x);
    }
    /* people whose full name is a place are places; a town named like a
     * person's last name is that person ("Clinton administration") */
    for (size_t i = 0; i < e->nents; i++) {
        ent *x = &e->ents[i];
        if (x->type != ENT_PERSON || x->dropped)
            continue;
        for (size_t j = 0; j < e->nents; j++) {
            ent *y = &e->ents[j];
            if (y->type == ENT_PLACE && !y->dropped && y->gaz && y->gaz->kind != NW_GAZ_COUNTRY &&
                !strcmp(y->name, x->last) && (x->ntok > 1 || x->titled) &&
                (!y->rel || strcmp(y->rel, "enrich:dateline")))
                y->dropped = true;
            else if (y->type != ENT_PERSON && !y->dropped && !strcmp(y->name, x->name))
                x->dropped = true;
        }
    }
}

/* ---- line-ups ----------------------------------------------------------- */

#define LINEUP_MIN_NAMES       3
#define LINEUP_OTHER_MIN_NAMES 5

/* The first mark between tokens t-1 and t that is not a space (0: none). */
static char gap_mark(const nw_enrich *e, size_t t)
{
    for (const char *g = e->text + e->toks[t - 1].off + e->toks[t - 1].len;
         g < e->text + e->toks[t].off; g++)
        if (*g != ' ' && *g != '\n' && *g != '\r' && *g != '\t')
            return *g;
    return 0;
}

/* A mark that ends an item of a list. */
static bool item_end(char c)
{
    return c == ',' || c == ';' || c == ':' || c == '.' || c == '(' || c == ')';
}

/* A minute or a note after a player's name: "Nunez 73", "Bramble 35 og",
 * "(Ireland, capt)". */
static bool minute_word(const nw_enrich *e, size_t t)
{
    const char *w = e->text + e->toks[t].off;
    size_t n = e->toks[t].len;
    if (isdigit((unsigned char)w[0]))
        return true;
    return (n == 2 && !strncmp(w, "og", 2)) || (n == 3 && !strncmp(w, "pen", 3)) ||
           (n == 4 && !strncmp(w, "capt", 4));
}

/* A lower-case particle inside a name: "CA del Fava", "P de Villiers". */
static bool name_particle(const nw_enrich *e, size_t t)
{
    static const char *const particles[] = {"del", "dal", "di", "le", "la", "dos", "den", "ten"};
    if (tok_is(e, t, W_CONNECTOR))
        return true;
    for (size_t i = 0; i < sizeof particles / sizeof *particles; i++)
        if (e->toks[t].len == strlen(particles[i]) &&
            !strncmp(e->text + e->toks[t].off, particles[i], e->toks[t].len))
            return true;
    return false;
}

/* One item of a list, tokens a..b-1 between commas, brackets or stops: the
 * length of the player's name it holds (0: none, as in "(77)"), or -1 when
 * the item is no name (a lower-case word, more than three words). `*minute`
 * tells whether a minute followed the name ("Mellor 38"). */
static int lineup_item(const nw_enrich *e, size_t a, size_t b, bool *minute)
{
    size_t end = b;
    while (b > a && minute_word(e, b - 1))
        b--;
    *minute = b < end;
    if (b - a > 3)
        return -1;
    for (size_t t = a; t < b; t++)
        if (!(e->toks[t].flags & NW_TOK_CAP) && (t == a || !name_particle(e, t)))
            return -1;
    return (int)(b - a);
}

/* A bracketed item without a minute is a player's club or country, or a
 * referee's county: "Traille (Biarritz)", "S Mathieson (Cheshire)"; a
 * substitute has one: "Kewell (Traore 85)". */
static bool lineup_note(const nw_enrich *e, size_t a)
{
    if (a == 0)
        return false;
    const char *g = e->text + e->toks[a - 1].off + e->toks[a - 1].len;
    return memchr(g, '(', (size_t)(e->text + e->toks[a].off - g)) != NULL;
}

/* Read the paragraph p..q-1 as a line-up: a list of players' names, one to
 * three capitalised words each, between commas, brackets (substitutes:
 * "Kewell (Traore 85)") and stops, a label before a colon ("Subs not used:",
 * a team's name) aside; at least three names, or names after a "Subs" label,
 * or names each with a minute (scorers: "Mellor 38, Baros 61."). Each name is
 * a person, also a surname alone, except a club or country in brackets; its
 * words are marked for the span rules to skip. Returns whether the paragraph
 * is one. */
static bool read_lineup(nw_enrich *e, size_t p, size_t q, bool add)
{
    int names = 0, minutes = 0;
    bool subs = false;
    for (size_t a = p; a < q;) {
        if (!(e->toks[a].flags & NW_TOK_CAP) && !minute_word(e, a))
            return false; /* prose, most often at its first word */
        size_t b = a + 1;
        while (b < q && b - a <= 5 && !item_end(gap_mark(e, b)))
            b++;
        if (b - a > 5)
            return false;
        bool minute = false;
        bool label = b < q && gap_mark(e, b) == ':';
        int n = label ? 0 : lineup_item(e, a, b, &minute);
        if (n < 0)
            return false;
        subs |= label && !strncasecmp(e->text + e->toks[a].off, "subs", 4);
        if (n > 0 && !minute && lineup_note(e, a))
            n = 0;
        if (n > 0) {
            names++;
            minutes += minute;
            for (size_t t = a; add && t < a + (size_t)n; t++)
                e->toks[t].cls |= W_LINEUP;
            ent *x = add ? add_person(e, a, a + (size_t)n) : NULL;
            if (x)
                x->titled = true; /* a surname alone stays */
        }
        a = b;
    }
    if (!e->sport_story) /* a list of names outside sport: five of them or more */
        return names >= LINEUP_OTHER_MIN_NAMES;
    return names >= LINEUP_MIN_NAMES || (names > 0 && (subs || minutes == names));
}

/* Line-ups ("Dudek, Finnan, Hyypia, Carragher ..."), in a sport story or,
 * of five names or more, in another ("Margaret Atwood (Canada), Saul Bellow
 * (Canada) ..."). */
static void read_lineups(nw_enrich *e)
{
    for (size_t i = 0; i < e->npara; i++) {
        size_t p = e->para[i], q = i + 1 < e->npara ? e->para[i + 1] : e->ntoks;
        if (e->toks[p].off >= e->body_at && read_lineup(e, p, q, false))
            read_lineup(e, p, q, true);
    }
}

/* Tokens t..t+w-1 are words of an organisation's name as the story writes it
 * there, its legal form aside: "Bermuda Star Line (Inc)", "Commonwealth Bank
 * of Australia", "UK Patent Office". */
static bool inside_org(const nw_enrich *e, size_t t, size_t w)
{
    uint32_t from = e->toks[t].off, to = e->toks[t + w - 1].off + e->toks[t + w - 1].len;
    for (size_t i = 0; i < e->nents; i++) {
        const ent *x = &e->ents[i];
        if (x->type != ENT_ORG || x->dropped)
            continue;
        size_t n = strlen(x->name);
        /* a start k whose name would end before the country is too far back
         * (a line break may widen a space: some slack) */
        for (size_t k = t + 1; k-- > 0 && t - k < 8 && to - e->toks[k].off <= n + 8;) {
            /* p walks the name, q the text, where a line break is a space */
            const char *at = e->text + e->toks[k].off;
            if (tolower((unsigned char)at[0]) != tolower((unsigned char)x->name[0]))
                continue;
            size_t p = 0, q = 0, p_space = 0, q_space = 0;
            while (x->name[p]) {
                if (x->name[p] == ' ' && isspace((unsigned char)at[q])) {
                    p_space = p++, q_space = q;
                    while (isspace((unsigned char)at[q]))
                        q++;
                } else if (tolower((unsigned char)at[q]) == tolower((unsigned char)x->name[p])) {
                    p++, q++;
                } else {
                    break;
                }
            }
            if (x->name[p] && p_space)
                p = p_space, q = q_space; /* "Bermuda Star Line shares" */
            bool whole = !x->name[p] || legal_forms_only(x->name, p);
            if (whole && !isalnum((unsigned char)at[q]) && e->toks[k].off + q >= to &&
                (k < t || q > to - from))
                return true;
        }
    }
    return false;
}

/* Pass 1 gathers context (countries, demonyms), pass 2 the entities; then the
 * countries named, and the merging of short forms into full names. */
static void find_entities(nw_enrich *e)
{
    if (e->opts.people)
        read_lineups(e);
    scan_spans(e, false);
    scan_spans(e, true);
    add_repeated_names(e);
    /* countries named explicitly (pass 1 only recorded them): add as places;
     * those named only inside organisations' names are none */
    uint32_t hits[MAX_HITS];
    const nw_gaz_entry *in_org[16], *named[64];
    size_t nin_org = 0, nnamed = 0;
    for (size_t t = 0; t < e->ntoks; t++) {
        if (!(e->toks[t].flags & NW_TOK_CAP))
            continue;
        bool head = nw_enrich_data_name_head(e->data, e->text + e->toks[t].off, e->toks[t].len);
        for (size_t w = head ? 3 : 1; w >= 1; w--) {
            if (t + w > e->ntoks)
                continue;
            bool ok = true;
            for (size_t k = t + 1; k < t + w; k++)
                ok &= !(e->toks[k].flags & NW_TOK_BREAK);
            if (!ok)
                continue;
            size_t n = nw_enrich_data_lookup(e->data, e->text + e->toks[t].off,
                                             span_bytes(e, t, t + w), hits, MAX_HITS);
            const nw_gaz_entry *c = NULL;
            for (size_t i = 0; i < n; i++) {
                const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
                if (g->kind == NW_GAZ_COUNTRY)
                    c = g;
            }
            /* a state of the story's country named like a foreign country */
            const nw_gaz_entry *best = c ? best_place(e, hits, n, false) : NULL;
            if (best && best->kind != NW_GAZ_COUNTRY)
                c = NULL;
            if (c && inside_org(e, t, w)) {
                if (nin_org < 16)
                    in_org[nin_org++] = c;
                t += w - 1; /* no mention of its own (docs/enrich.md, "Places") */
                break;
            }
            if (c && nnamed < 64)
                named[nnamed++] = c;
            if (c) {
                /* a demonym-inferred entry of the same country gives way */
                bool had = false;
                for (size_t i = 0; i < e->nents; i++)
                    if (e->ents[i].gaz == c) {
                        had = true;
                        /* named in the text too: "Russian officials ... Russia",
                         * "WASHINGTON ... U.S." with dateline_country */
                        if (e->ents[i].from_demonym ||
                            (e->ents[i].rel && !strcmp(e->ents[i].rel, "enrich:dateline"))) {
                            e->ents[i].from_demonym = false;
                            e->ents[i].rel = "enrich:mentioned";
                        }
                    }
                if (!had)
                    add_place(e, c, (uint32_t)t, "enrich:mentioned");
                t += w - 1;
                break;
            }
            if (n > 0 && w > 1) {
                t += w - 1; /* the longest name wins: "New Jersey" holds no Jersey */
                break;
            }
        }
    }
    for (size_t i = 0; i < e->nents; i++) {
        ent *x = &e->ents[i];
        bool inside = false, outside = false;
        bool mentioned = !x->rel || !strcmp(x->rel, "enrich:mentioned");
        for (size_t k = 0; k < nin_org && x->type == ENT_PLACE && mentioned; k++)
            inside |= in_org[k] == x->gaz;
        for (size_t k = 0; k < nnamed && inside; k++)
            outside |= named[k] == x->gaz;
        if (inside && !outside)
            x->dropped = true; /* "Bermuda Star Line": no mention of Bermuda */
    }
    merge_entities(e);
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

/* One of the first `n` members of arr (the provider's) has this uri. */
static bool given_uri(json_t *arr, size_t n, const char *uri)
{
    for (size_t i = 0; i < n; i++) {
        const char *s = str_member(json_array_get(arr, i), "uri");
        if (s && !strcasecmp(s, uri))
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
    for (size_t i = 0; i < n; i++) {
        ent *x = order[i];
        /* the provider's entry of the same uri stands; two of enrich's may
         * share one ("West Germany" and "Germany") */
        if (array_has(arr, "name", x->name) ||
            (x->gaz && x->gaz->uri[0] && given_uri(arr, given, x->gaz->uri)))
            continue;
        /* a name cut from text that is not valid UTF-8 (a document a filter
         * before us built by hand) is no name: leave the entity out */
        json_t *name = json_string(x->name);
        json_t *o = name ? json_object() : NULL;
        if (!o) {
            json_decref(name);
            continue;
        }
        json_object_set_new(o, "name", name);
        json_object_set_new(o, "rel", json_string(x->rel ? x->rel : "enrich:mentioned"));
        if (x->gaz && x->gaz->uri[0])
            json_object_set_new(o, "uri", json_string(x->gaz->uri));
        if (json_array_append_new(arr, o) == 0)
            added++;
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
    size_t upper = 0, lower = 0;
    for (size_t i = 0; i < st.hl_len; i++) {
        upper += isupper((unsigned char)e->text[i]) != 0;
        lower += islower((unsigned char)e->text[i]) != 0;
    }
    e->caps_headline = upper > 3 * lower;
    /* on the text, so HTML bodies ("<p>MOSCOW (AFP) - ...") have theirs too */
    if (st.body && e->opts.dateline)
        body_from = find_dateline(e->text + body_at, n - body_at, &dl_place, &dl_len, &dl_qual,
                                  &dl_qual_len);
    const nw_gaz_entry *dl_gaz = NULL, *qual_gaz = NULL;
    char dl_name[64] = "";
    if (body_from) {
        /* "MARTINSVILLE, Va.", "SAN MATEO, Calif.": the state is named too,
         * and tells which Cambridge */
        if (dl_qual_len && (qual_gaz = dateline_qualifier(e, dl_qual, dl_qual_len))) {
            add_context(e, qual_gaz->cc);
            if (qual_gaz->kind == NW_GAZ_REGION)
                add_context_region(e, qual_gaz);
        }
        /* "NEW YORK" or "BEIRUT, Lebanon": look the capitals up as a name */
        uint32_t hits[MAX_HITS];
        size_t k = nw_enrich_data_lookup(e->data, dl_place, dl_len, hits, MAX_HITS);
        dl_gaz = best_place(e, hits, k, true);
        const nw_gaz_entry *where = dl_gaz ? dl_gaz : qual_gaz;
        if (where) {
            memcpy(e->dateline_cc, where->cc, 3);
            add_context(e, where->cc);
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

    nw_enrich_tokenize(e->text, n, collect_token, e);

    if (dl_gaz) {
        if (e->opts.places) {
            add_place(e, dl_gaz, 0, "enrich:dateline");
            if (qual_gaz && qual_gaz != dl_gaz)
                add_place(e, qual_gaz, 0, "enrich:dateline");
            if (dl_gaz->kind != NW_GAZ_COUNTRY)
                add_dateline_country(e, dl_gaz->cc);
        }
        if (!json_object_get(story, "located") &&
            json_object_set_new(story, "located", json_string(dl_gaz->name)) == 0)
            res->located_added = true;
    } else if (dl_name[0]) {
        if (qual_gaz && e->opts.places) {
            /* the town itself, without a uri: "EXTON, Pa." */
            ent *town = add_ent(e, ENT_PLACE, dl_name, strlen(dl_name), 0);
            if (town)
                town->rel = "enrich:dateline";
            add_place(e, qual_gaz, 0, "enrich:dateline");
            if (qual_gaz->kind != NW_GAZ_COUNTRY)
                add_dateline_country(e, qual_gaz->cc);
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
    for (int t = 0, best = -1; e->opts.subjects && t < NW_TOPIC_TOP_COUNT; t++)
        if (e->top_score[t] > 0 && (best < 0 || e->top_score[t] > e->top_score[best])) {
            best = t;
            e->sport_story = t == 14;  /* 15000000, sport */
            e->economy_story = t == 3; /* 04000000, economy, business and finance */
        }
    if (e->opts.places || e->opts.people || e->opts.organisations) {
        find_entities(e);
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
