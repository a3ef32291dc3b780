/*
 * nw_enrich_words — see nw_enrich_words.h. The lists are described in
 * docs/enrich.md.
 */
#include "nw_enrich_words.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <utf8proc.h>

#include "nw_enrich_names.h"

/* ---- word lists (English newswire; docs/enrich.md) ------------------------ */

/* capitalised words that start sentences or spans but name nothing */
static const char *const stop_words[] = {
    "the", "a", "an", "in", "on", "at", "but", "and", "or", "he", "she", "it", "they", "we", "i",
    "you", "this", "that", "these", "those", "his", "her", "their", "our", "its", "if", "when",
    "while", "after", "before", "as", "for", "with", "by", "from", "to", "of", "there", "here",
    "what", "who", "why", "how", "where", "so", "yet", "also", "however", "meanwhile", "last",
    "next", "new", "one", "two", "three", "some", "many", "most", "all", "no", "not", "now", "then",
    "today", "yesterday", "tomorrow", "mr", "mrs", "ms", "dr", "sir", "st", "monday", "tuesday",
    "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "june", "july", "august", "september", "october", "november", "december", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "photo", "source",
    "published", "posted", "reuter", "whose", "update", "according", "under", "during", "despite",
    "although", "because", "since", "until", "about", "over", "into", "both", "each", "every",
    "such", "other", "another", "several", "more", "less", "only", "even", "just", "still", "much",
    "very", "first", "second", "third", "earlier", "later", "late", "early", "former", "chief",
    "senior", "minister", "president", "government", "officials", "official", "spokesman",
    "spokeswoman", "page", "tel", "fax", "email", "copyright", "am", "pm", "gmt", "bst", "est",
    "utc", "tv", "ceo", "ok", "ii", "iii", "iv", "dvd", "cd", "pc", "pcs", "gdp", "mp", "mps",
    "hiv", "aids", "nb", "ps", "it", "usd", "eur", "pct", "inc", "corp", "ltd", "plc", "co", "god",
    "internet", "mp3", "id", "gps", "sms", "ipo", "qc", "obe", "mbe", "cbe", "gprs", "wap",
    /* terms of the markets, no names: "GNP", "LIBOR", "FOB", "NOTE -" */
    "gnp", "libor", "fob", "cif", "note", NULL};

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

static const char *const connectors[] = {"of",  "and", "for", "the",   "de",  "du", "da", "der",
                                         "von", "van", "al",  "bin",   "ibn", "y",  "on", "d",
                                         "des", "del", "di",  "della", "et",  NULL};

/* The lists as one hash of lower-case word -> class bits, built once; a slot
 * is 8 bytes (the table 32 KB) and holds the word's length and first letter,
 * so that a miss rarely reads a word. */
#define CLASS_SLOTS 4096
#define CLASS_WORDS 2048
static struct {
    uint32_t cls;
    uint8_t len; /* 0: empty */
    char c0;
    uint16_t word; /* index in class_words */
} class_table[CLASS_SLOTS];
static const char *class_words[CLASS_WORDS];
static uint32_t class_nwords;
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

/* case-blind for ASCII letters: the tables' hash, which a token has */
static size_t class_slot(uint64_t hash)
{
    return (size_t)(hash >> 20) & (CLASS_SLOTS - 1);
}

static void class_add(const char *const *list, uint32_t bit)
{
    for (; *list; list++) {
        size_t len = strlen(*list), j = class_slot(nw_enrich_data_hash(*list, len));
        while (class_table[j].len && strcmp(class_words[class_table[j].word], *list))
            j = (j + 1) & (CLASS_SLOTS - 1);
        if (!class_table[j].len) {
            if (class_nwords == CLASS_WORDS)
                return; /* the lists are constants: CLASS_WORDS covers them */
            class_words[class_nwords] = *list;
            class_table[j].word = (uint16_t)class_nwords++;
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
    class_add(nw_enrich_music_words, W_MUSIC);
}

/* The class bits of s[0..len), whose nw_enrich_data_hash is `hash`. */
static uint32_t word_class(uint64_t hash, const char *s, size_t len)
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

/* What the tokenizer needs to know of a byte, from one table instead of
 * several <ctype.h> calls per byte (docs/enrich.md, "Quality and speed"). */
enum {
    B_WORD = 1,   /* an ASCII letter or digit, or any byte of 0x80 and more */
    B_ALPHA = 2,  /* an ASCII letter */
    B_UPPER = 4,  /* an ASCII capital */
    B_HIGH = 8,   /* 0x80 and more: part of a UTF-8 sequence */
    B_STOP = 16,  /* . ! ? : ; end a sentence */
    B_SPACE = 32, /* space, tab, CR, LF: no break between words */
    B_INNER = 64, /* - ' . inside a word: al-Assad, O'Brien, U.S. */
};
static uint8_t byte_class[256];
static pthread_once_t byte_class_once = PTHREAD_ONCE_INIT;

static void byte_class_build(void)
{
    for (int c = 0; c < 256; c++) {
        uint8_t k = 0;
        if (c >= 0x80)
            k |= B_WORD | B_HIGH;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            k |= B_WORD | B_ALPHA;
        if (c >= 'A' && c <= 'Z')
            k |= B_UPPER;
        if (c >= '0' && c <= '9')
            k |= B_WORD;
        if (c == '.' || c == '!' || c == '?' || c == ':' || c == ';')
            k |= B_STOP;
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
            k |= B_SPACE;
        if (c == '-' || c == '\'' || c == '.')
            k |= B_INNER;
        byte_class[c] = k;
    }
}

static bool is_word_byte(unsigned char c)
{
    return (byte_class[c] & B_WORD) != 0;
}

/* The non-ASCII character at p (p[0] >= 0x80): its length in bytes, and
 * whether it belongs in a word (a letter, mark or digit) or separates words
 * (punctuation, a space, a symbol). A byte that does not start a valid
 * sequence is a one-byte separator. */
typedef struct utf8_char {
    size_t len;
    bool word;
    bool letter;
    bool upper;
} utf8_char;

static utf8_char read_utf8_char(const unsigned char *p, const unsigned char *end)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &cp);
    if (n <= 0)
        return (utf8_char){.len = 1, .word = false};
    utf8proc_category_t cat = utf8proc_category(cp);
    bool sep = cat >= UTF8PROC_CATEGORY_PC || cat == UTF8PROC_CATEGORY_ZS;
    return (utf8_char){.len = (size_t)n,
                       .word = !sep,
                       .letter = cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO,
                       .upper = cat == UTF8PROC_CATEGORY_LU};
}

/* The word at p..end begins with a capital letter. */
static bool is_upper_at(const unsigned char *p, const unsigned char *end)
{
    return p[0] < 0x80 ? (byte_class[p[0]] & B_UPPER) != 0 : read_utf8_char(p, end).upper;
}

/* One pass over the bytes: each byte's class read once from byte_class, a
 * word's letters and capitals counted as it is read; utf8proc only for
 * bytes of 0x80 and more. */
size_t nw_enrich_tokenize(const char *text, size_t len, nw_enrich_token_fn fn, void *ctx)
{
    pthread_once(&byte_class_once, byte_class_build);
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    size_t count = 0;
    bool sent_start = true, brk = true;
    while (p < end) {
        unsigned k = byte_class[*p];
        size_t skip = 0;
        if (k & B_HIGH) {
            utf8_char u = read_utf8_char(p, end);
            if (!u.word)
                skip = u.len;
        }
        if (skip || !(k & B_WORD)) {
            if (!skip)
                skip = 1;
            if (k & B_STOP) {
                sent_start = brk = true;
            } else if (*p == '\n' && p + 1 < end && p[1] == '\n') {
                sent_start = brk = true;
            } else if (!(k & B_SPACE)) {
                brk = true; /* commas, quotes, brackets, dashes */
            }
            p += skip;
            continue;
        }
        const unsigned char *w = p;
        size_t letters = 0, upper = 0;
        while (p < end) {
            k = byte_class[*p];
            if (k & B_HIGH) {
                /* a whole character: "José", "Müller" are one word each */
                utf8_char u = read_utf8_char(p, end);
                if (!u.word)
                    break;
                letters += u.letter;
                upper += u.upper;
                p += u.len;
                continue;
            }
            if (k & B_WORD) {
                letters += (k & B_ALPHA) != 0;
                upper += (k & B_UPPER) != 0;
                p++;
                continue;
            }
            /* inner hyphen, apostrophe or acronym dot: U.S., al-Assad, O'Brien */
            if ((k & B_INNER) && p + 1 < end && is_word_byte(p[1]) &&
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
        if (wl > 2 && w[wl - 2] == '\'' && (w[wl - 1] == 's' || w[wl - 1] == 'S')) {
            letters--;
            upper -= w[wl - 1] == 'S';
            wl -= 2;
        }
        unsigned flags = 0;
        if (is_upper_at(w, w + wl))
            flags |= NW_TOK_CAP;
        if (letters >= 2 && upper == letters)
            flags |= NW_TOK_ALLCAPS;
        if (sent_start)
            flags |= NW_TOK_SENT_START;
        if (brk)
            flags |= NW_TOK_BREAK;
        /* "al-Assad": a lower-case particle before a capital counts as a name */
        if (!(flags & NW_TOK_CAP) && wl > 3 && w[2] == '-' && w[0] == 'a' && w[1] == 'l' &&
            (byte_class[w[3]] & B_UPPER))
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
void nw_enrich_collect_token(void *ctx, size_t off, size_t len, unsigned flags)
{
    nw_enrich *e = ctx;
    if (e->ntoks >= MAX_TOKENS)
        return;
    const char *w = e->text + off;
    uint64_t hash = nw_enrich_data_hash(w, len);
    uint32_t cls = word_class(hash, w, len);
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
    e->music_word |= (cls & W_MUSIC) != 0;
    e->toks[e->ntoks++] = (token){hash, (uint32_t)off, (uint32_t)len, (uint8_t)flags, cls};
}

void nw_enrich_class_init(void)
{
    pthread_once(&class_once, class_build);
}
