/*
 * nw_enrich_classify — see nw_enrich_classify.h. The rules are described in
 * docs/enrich.md.
 */
#include "nw_enrich_classify.h"

#include <ctype.h>
#include <string.h>

#include "nw_enrich_dateline.h"
#include "nw_enrich_names.h"
#include "nw_enrich_places.h"
#include "nw_enrich_spans.h"

/* ---- span rules --------------------------------------------------------- */

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
        nw_enrich_add_org(e, e->text + first->off, span_bytes(e, a, b), (uint32_t)a, NULL);
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
               !nw_enrich_known_entity(e, e->text + e->toks[a].off, e->toks[a].len, NW_GAZ_ORG);
    return t->len == 2 && isdigit((unsigned char)w[0]) && isdigit((unsigned char)w[1]) &&
           (w[2] == ',' || !strncmp(w + 2, " - ", 3)); /* "Warren Leblanc, 17 - who" */
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
    nw_enrich_add_org(e, name, n, (uint32_t)a, NULL);
    if (e->nents > before)
        e->ents[before].headline = true;
}

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
    const nw_gaz_entry *g = nw_enrich_dateline_qualifier(e, e->text + t->off, len);
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
    nw_enrich_add_ent(e, ENT_PLACE, s, len, (uint32_t)a);
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
    const nw_gaz_entry *g = nw_enrich_best_place(e, hits, n, true);
    if (g && !strcmp(g->cc, state->cc)) {
        nw_enrich_add_place(e, g, (uint32_t)a, "enrich:mentioned");
    } else {
        add_unlisted_place(e, a, b);
    }
    nw_enrich_add_place(e, state, (uint32_t)b, "enrich:mentioned");
}

/* s[0..len) is the name of a country, a region or a city in the gazetteer. */
static bool is_place_name(const nw_enrich *e, const char *s, size_t len)
{
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, s, len, hits, MAX_HITS);
    for (size_t i = 0; i < n; i++) {
        nw_gaz_kind k = nw_enrich_data_entry(e->data, hits[i])->kind;
        if (k == NW_GAZ_COUNTRY || k == NW_GAZ_REGION || k == NW_GAZ_CITY)
            return true;
    }
    return false;
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
    return !(p->flags & NW_TOK_CAP) || !is_place_name(e, e->text + p->off, p->len);
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

/* A list's kind: after a known organisation, whose next single word is one
 * too ("Amnesty International and Liberty"). */
#define LIST_AFTER_ORG 2

/* The names a..b-1 end a list whose items are organisations (kind 1) or not
 * (-1); `after` words (a product's noun) follow the last one. */
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

/* The span a..b-1 stands in double quotes: a title or a nickname
 * ("its New York/Montreal \"Northeast Passages\" cruises"). */
static bool quoted(const nw_enrich *e, size_t a, size_t b)
{
    const char *s = e->text + e->toks[a].off;
    const char *end = e->text + e->toks[b - 1].off + e->toks[b - 1].len;
    bool open = (e->toks[a].off >= 1 && s[-1] == '"') ||
                (e->toks[a].off >= 3 && !strncmp(s - 3, "\xe2\x80\x9c", 3));
    return open && (*end == '"' || !strncmp(end, "\xe2\x80\x9d", 3));
}

/* Token t is one of the `n` words `words`, written so. */
static bool tok_among(const nw_enrich *e, size_t t, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tok_word(e, t, words[i]))
            return true;
    return false;
}
#define TOK_AMONG(e, t, list) tok_among(e, t, list, sizeof list / sizeof *list)

/* A capitalised possessive determiner or article begins the span a..b-1
 * inside a sentence, a title's first word: "His Latest Flame", "My Way", "A
 * Different Story" (not "The": "The Times"). */
static bool title_lead(const nw_enrich *e, size_t a)
{
    static const char *const lead[] = {"My", "Your", "His", "Her", "Our", "Their", "A", "An"};
    size_t t = a;
    if (a > 0 && !(e->toks[a].flags & NW_TOK_BREAK) && (e->toks[a - 1].flags & NW_TOK_CAP))
        t = a - 1; /* dropped as a stop word: "His" */
    return !(e->toks[t].flags & NW_TOK_SENT_START) && TOK_AMONG(e, t, lead);
}

/* A word after the first of the span a..b-1 is a function word written with
 * a capital, as titles are and names are not ("Are You Lonesome Tonight",
 * "How To Dismantle An Atomic Bomb", "Room With A View"; "Bank of England"). */
static bool title_case(const nw_enrich *e, size_t a, size_t b)
{
    static const char *const small[] = {"A",    "An",   "The", "Of", "And",  "To",  "In", "On",
                                        "At",   "With", "Are", "Is", "Be",   "You", "It", "For",
                                        "From", "By",   "Me",  "My", "Your", "We"};
    for (size_t t = a + 1; t < b; t++)
        if ((e->toks[t].flags & NW_TOK_CAP) && e->toks[t].len <= 4 && TOK_AMONG(e, t, small))
            return true;
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
    if (!strncmp(after, "-style", 6) || owned_by_non_place(e, a) || appositive_work(e, b) ||
        quoted(e, a, b) || title_lead(e, a) || title_case(e, a, b)) {
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
        nw_enrich_add_person(e, a, b); /* an initial and a name: "E Nesbit" */
        return;
    }
    if (list_cue(e, a) || continues_list(e, a, 1))
        set_list(e, b, 0, 1);
    size_t n = e->nents;
    nw_enrich_add_org(e, e->text + e->toks[a].off, span_bytes(e, a, b), (uint32_t)a, NULL);
    if (e->nents > n) {
        e->ents[n].guessed = true;
        /* in a sport story such a name is most often a player's ("Kolo
         * Toure"), an event's or a ground's: kept only as a person (see
         * merge_entities) or as a broadcaster's unit ("BBC Wales") */
        e->ents[n].sport_guess =
            e->sport_story &&
            !nw_enrich_known_entity(e, e->text + e->toks[a].off, e->toks[a].len, NW_GAZ_ORG);
    }
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
    return !nw_enrich_known_entity(e, r, span_bytes(e, conj + 1, b), NW_GAZ_ORG) &&
           !nw_enrich_known_entity(e, l, span_bytes(e, a, conj), NW_GAZ_ORG) &&
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

/* A partnership's first partner and a comma come before the span a..b-1,
 * its second partner "and Co": "Goldman, Sachs and Co", "Kidder, Peabody and
 * Co Inc"; the name is one. */
static bool partner_before(const nw_enrich *e, size_t a, size_t b)
{
    if (a == 0 || b - a < 3 || !tok_word(e, a + 1, "and") || !tok_word(e, a + 2, "Co"))
        return false;
    const token *p = &e->toks[a - 1];
    return (p->flags & NW_TOK_CAP) && !tok_is(e, a - 1, W_STOP | W_GIVEN | W_TITLE) &&
           e->toks[a].off == p->off + p->len + 2 && e->text[p->off + p->len] == ',' &&
           (a == 1 || (p->flags & (NW_TOK_SENT_START | NW_TOK_BREAK)) ||
            !(e->toks[a - 2].flags & NW_TOK_CAP));
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
        if (is_place_name(e, e->text + e->toks[a].off, span_bytes(e, a, t + 1)))
            return t + 1;
    }
    return 0;
}

/* A word of the span a..b-1 ends organisations' names: "Royal Television
 * Society and British Comedy awards" names the Society. */
static bool has_org_word(const nw_enrich *e, size_t a, size_t b)
{
    for (size_t t = a; t < b; t++)
        if (tok_is(e, t, W_ORG_SUFFIX))
            return true;
    return false;
}

/* A capitalised word of the span a..b-1 is a country's, a region's or a
 * city's name. */
static bool names_a_place(const nw_enrich *e, size_t a, size_t b)
{
    for (size_t t = a; t < b; t++)
        if ((e->toks[t].flags & NW_TOK_CAP) &&
            is_place_name(e, e->text + e->toks[t].off, e->toks[t].len))
            return true;
    return false;
}

/* Token t is a month's name. */
static bool month(const nw_enrich *e, size_t t)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    return TOK_AMONG(e, t, months);
}

/* The span a..b-1 is a label of a results or dividend line, no name: "Pay
 * May 12", "Record April Seven", "Class B shares". */
static bool market_label(const nw_enrich *e, size_t a, size_t b)
{
    if (b - a < 2)
        return false;
    if (tok_word(e, a, "Class"))
        return b - a == 2 && e->toks[a + 1].len == 1;
    return (tok_word(e, a, "Pay") || tok_word(e, a, "Payable") || tok_word(e, a, "Record")) &&
           ((b - a == 2 && b < e->ntoks && isdigit((unsigned char)e->text[e->toks[b].off])) ||
            month(e, a + 1)); /* "Record April Seven" */
}

/* The span a..b-1 of two or three words could be a person's name: no title,
 * stop or organisation's word ("Satoshi Sumita"; not "Police Officers"). */
static bool plain_person(const nw_enrich *e, size_t a, size_t b)
{
    if (b - a < 2 || b - a > 3)
        return false;
    for (size_t t = a; t < b; t++)
        if (!(e->toks[t].flags & NW_TOK_CAP) ||
            tok_is(e, t, W_TITLE | W_STOP | W_ORG_SUFFIX | W_NO_NAME))
            return false;
    return true;
}

/* Token t is an organisation's head word before its name: "Group Menatep",
 * "Banco Santander"; not a tournament's group ("Group B", "Group Four"). */
static bool org_head_tok(const nw_enrich *e, size_t t)
{
    if (e->sport_story || t + 1 >= e->ntoks || e->toks[t + 1].len < 3)
        return false;
    for (const char *const *w = nw_enrich_org_head_words; *w; w++)
        if (tok_word(e, t, *w))
            return true;
    return false;
}

/* Token a, a stop word that is an adjective ("Official", "First"), begins
 * the name a..b-1 of three words or more that ends in an organisation's word:
 * "the Official Charts Company", "First Boston Corp". */
static bool leads_org_name(const nw_enrich *e, size_t a, size_t b)
{
    return b - a >= 3 && tok_is(e, b - 1, W_ORG_SUFFIX) &&
           (tok_word(e, a, "Official") || tok_word(e, a, "First"));
}

/* A legislature's committee named by its capitalised subject and a
 * lower-case "committee" after it: "a House Appropriations subcommittee",
 * "the Senate Banking committee"; the name is the span and that word. */
static size_t committee_after(const nw_enrich *e, size_t a, size_t b)
{
    static const char *const houses[] = {"House", "Senate", "Commons", "Lords", "Congressional"};
    if (b - a < 2 || b >= e->ntoks || (e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) ||
        !(tok_word(e, b, "committee") || tok_word(e, b, "subcommittee")))
        return 0;
    return TOK_AMONG(e, a, houses) ? b + 1 : 0;
}

/* The kind of nonorgs.tsv the span s..s+len is named in (an event's, a
 * work's or a product's: "Champions League", "Family Guy", "Big Mac"), or 0;
 * with `org`, also the known organisation of that name (entities.tsv), from
 * the same lookup. */
uint8_t nw_enrich_nonorg_kind(const nw_enrich *e, const char *s, size_t len,
                              const nw_gaz_entry **org)
{
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, s, len, hits, MAX_HITS);
    uint8_t kind = 0;
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        if (nw_gaz_kind_is_nonorg(g->kind))
            kind = g->kind;
        else if (org && !*org && g->kind == NW_GAZ_ORG && nw_enrich_known_here(e, g))
            *org = g;
    }
    return kind;
}

/* The span a..b-1 is an event's, a work's or a product's name of
 * nonorgs.tsv (`whole_kind`: the whole span's kind, 0 if none), whole ("the
 * Champions League tie", "a Big Mac") or after another word, a sponsor's or a
 * broadcaster's that is part of an event's or a work's name ("RBS Six
 * Nations", "BBC Sports Personality"), or a maker's before its product, which
 * is classified alone ("Sony PlayStation": Sony): the rest is no
 * organisation, person or place. */
static bool nonorg_span(nw_enrich *e, size_t a, size_t b, uint8_t whole_kind, bool pass2)
{
    size_t from = a;
    if (!whole_kind) {
        uint8_t k =
            b - a >= 2 && b - a <= 4 && (e->toks[a + 1].flags & NW_TOK_CAP) &&
                    !tok_is(e, a, W_GIVEN | W_TITLE | W_ROLE | W_STOP) /* "Robert MacIntosh" */
                ? nw_enrich_nonorg_kind(e, e->text + e->toks[a + 1].off, span_bytes(e, a + 1, b),
                                        NULL)
                : 0;
        if (!k)
            return false;
        if (k == NW_GAZ_PRODUCT) {
            from = a + 1;
            nw_enrich_classify_span(e, a, from, pass2);
        }
    }
    if (pass2)
        not_an_org(e, from, b);
    return true;
}

void nw_enrich_classify_span(nw_enrich *e, size_t a, size_t b, bool pass2)
{
    if (a < b && bracketed_company(e, a, b, pass2))
        return;
    size_t owner_end = a < b ? place_owner_ends(e, a, b) : 0;
    if (owner_end) {
        nw_enrich_classify_span(e, a, owner_end, pass2);
        nw_enrich_classify_span(e, owner_end, b, pass2);
        return;
    }
    /* drop leading stop words ("The", "But", "In"), unless one starts a
     * place's name: "New Jersey" is not Jersey, "New York" not York; or the
     * span is a known organisation whole ("Official Charts Company", "St
     * Johnstone") */
    while (a < b && tok_is(e, a, W_STOP) && !tok_is(e, a, W_TITLE) && !leads_org_name(e, a, b)) {
        if (b - a >= 2 &&
            nw_enrich_data_name_head(e->data, e->text + e->toks[a].off, e->toks[a].len)) {
            if (nw_enrich_known_entity(e, e->text + e->toks[a].off, span_bytes(e, a, b),
                                       NW_GAZ_ORG))
                break;
            size_t w = b - a < 3 ? b - a : 3;
            while (w >= 2 && !nw_enrich_place_span(e, a, a + w, pass2))
                w--;
            if (w >= 2) {
                if (a + w < b)
                    nw_enrich_classify_span(e, a + w, b, pass2);
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
                      !nw_enrich_known_entity(e, e->text + e->toks[a].off, span_bytes(e, a, b),
                                              NW_GAZ_ORG))))
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
            nw_enrich_place_span(e, t, t + w, pass2);
            t += w;
        }
        return;
    }

    const nw_gaz_entry *state = state_after(e, b);
    if (state) {
        if (pass2)
            add_town(e, a, b, state);
        else
            nw_enrich_add_context(e, state->cc);
        return;
    }
    /* known organisation (entities.tsv) or a place, the whole span; a short
     * form of two letters only in capitals ("IS", not "Is") */
    bool lookup = b - a > 1 || len > 2 || (e->toks[a].flags & NW_TOK_ALLCAPS) ||
                  (len == 2 && isdigit((unsigned char)s[1]));
    const nw_gaz_entry *known = NULL;
    uint8_t nonorg = lookup ? nw_enrich_nonorg_kind(e, s, len, &known) : 0;
    if (!known && ((lookup && nonorg_span(e, a, b, nonorg, pass2)) || market_label(e, a, b)))
        return;
    size_t committee = known ? 0 : committee_after(e, a, b);
    if (committee) {
        if (pass2) /* "a House Appropriations subcommittee" */
            nw_enrich_add_org(e, s, span_bytes(e, a, committee), (uint32_t)a, NULL);
        return;
    }
    /* an organisation's word before a known name (no such word itself) is a
     * cue, not part of it: "Russian News Agency Interfax" */
    if (!known && b - a >= 2 && tok_is(e, b - 2, W_ORG_SUFFIX | W_ORG_CUE) &&
        !tok_is(e, b - 1, W_ORG_SUFFIX) && /* "Trades Union Congress" is no Congress */
        (known = nw_enrich_known_entity(e, e->text + e->toks[b - 1].off, e->toks[b - 1].len,
                                        NW_GAZ_ORG))) {
        a = b - 1;
        s = e->text + e->toks[a].off;
        len = e->toks[a].len;
    }
    if (known && known->sport && a > 0 && e->toks[a - 1].len == 2 &&
        !strncmp(e->text + e->toks[a - 1].off, "in", 2))
        known = NULL; /* "in Cardiff" is the town, even in a sport story */
    bool org_trailer = b < e->ntoks && !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) &&
                       tok_is(e, b, W_ORG_TRAILER);
    if (known || org_trailer) {
        if (list_cue(e, a) || continues_list(e, a, 1))
            set_list(e, b, 0, 1);              /* "companies such as Creative, Sony and Philips" */
        else if (!known || !known->music)      /* not "Green Day, Usher and Eminem" */
            set_list(e, b, 0, LIST_AFTER_ORG); /* "Amnesty International and Liberty" */
        if (pass2)
            nw_enrich_add_org(e, s, len, (uint32_t)a, known);
        return;
    }
    /* "U2 frontman Bono", "singer Usher": a performer known by one name, whatever
     * place has it ("captain England" is the team) */
    if (pass2 && b - a == 1 && performer_cue(e, a) && !(e->toks[a].flags & NW_TOK_ALLCAPS)) {
        ent *x = nw_enrich_add_person(e, a, b);
        if (x)
            x->titled = true;
        return;
    }
    if (nw_enrich_place_span(e, a, b, pass2))
        return;
    if (appositive_org(e, b)) {
        if (pass2)
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL);
        return;
    }
    /* acronym defined in the text: "... Countries (OPEC)" */
    if (b - a == 1) {
        if (!pass2)
            return;
        const token *t = &e->toks[a];
        if ((t->flags & NW_TOK_ALLCAPS) && t->len >= 2 && t->len <= 6 &&
            !tok_is(e, a, W_STOP | W_ROLE) && !allcaps_seg) {
            /* all-caps text (Reuters headlines) has no acronyms to trust */
            bool upper_text = (a > 0 && (e->toks[a - 1].flags & NW_TOK_ALLCAPS) &&
                               a + 1 < e->ntoks && (e->toks[a + 1].flags & NW_TOK_ALLCAPS)) ||
                              (e->caps_headline && t->off < e->body_at);
            /* a credit rating ("AA", "CCC") or a label ("NOTE:") is none */
            bool rating = strspn(s, "ABC") == len;
            if (defines_acronym(e, a))
                remember_acronym(e, s, len, a); /* "European Athletics (EAA)" */
            else if (!upper_text && !ticker(e, t) && !rating && s[len] != ':' &&
                     /* a dotted one no table knows is a place's: "N.J.", "N.Z. dlrs",
                        "U.S officials" ("U.N." is known) */
                     !memchr(s, '.', len) &&
                     !(b < e->ntoks && !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) &&
                       tok_is(e, b, W_NOT_ORG_AFTER) && !tok_word(e, b, "prize") &&
                       !tok_word(e, b, "award") && !tok_word(e, b, "awards")) &&
                     /* "the ISEQ index", "Nintendo DS console"; not "MTV prize" */
                     !acronym_in_plural(e, s, len))
                nw_enrich_add_org(e, s, len, (uint32_t)a, NULL);
        } else if (cued_by(e, a, W_ORG_CUE)) {
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL); /* "filtering firm Ciphertrust" */
        } else if (!tok_is(e, a, W_STOP | W_TITLE | W_GIVEN) &&
                   (list_cue(e, a) || continues_list(e, a, 1))) {
            set_list(e, b, 0, 1); /* "companies such as Creative, Sony and Philips" */
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL);
        } else if (!(t->flags & NW_TOK_SENT_START) &&
                   !tok_is(e, a, W_STOP | W_TITLE | W_GIVEN | W_NO_NAME) && b < e->ntoks &&
                   !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) && tok_is(e, b, W_ORG_AFTER)) {
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL); /* "the Balco laboratory" */
        } else if (unlisted_place(e, a, b)) {
            add_unlisted_place(e, a, b);
        } else if (!tok_is(e, a,
                           W_STOP | W_TITLE | W_GIVEN | W_NO_NAME | W_ORG_SUFFIX | W_ORG_CUE) &&
                   org_context(e, a)) {
            size_t n = e->nents; /* "shares in Yukos", "Underwoods shares" */
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL);
            if (e->nents > n)
                e->ents[n].guessed = true; /* "Blair's board" is Tony Blair's */
        } else if (!(t->flags & NW_TOK_SENT_START) &&
                   !tok_is(e, a, W_STOP | W_TITLE | W_GIVEN | W_NO_NAME | W_ROLE | W_WORK) &&
                   continues_list(e, a, LIST_AFTER_ORG) && nw_enrich_plain_name(e, a)) {
            size_t n = e->nents; /* "Amnesty International and Liberty" */
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL);
            if (e->nents > n)
                e->ents[n].guessed = true; /* "the BBC and Blair": Tony Blair */
            set_list(e, b, 0, LIST_AFTER_ORG);
        } else if (!(t->flags & NW_TOK_SENT_START) &&
                   !tok_is(e, a, W_STOP | W_TITLE | W_GIVEN | W_NO_NAME) &&
                   member_role_after(e, a, b)) {
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL); /* "Gazprom chief Alexei Miller" */
        } else if (cued_by(e, a, W_ROLE) && !tok_is(e, a, W_STOP)) {
            ent *x = nw_enrich_add_person(e, a, b); /* "R&B star Nelly" */
            if (x)
                x->titled = true;
        } else if (!(t->flags & NW_TOK_ALLCAPS) &&
                   !tok_is(e, a,
                           W_STOP | W_TITLE | W_GIVEN | W_NO_NAME | W_ROLE | W_WORK | W_ORG_SUFFIX |
                               W_ORG_CUE)) {
            nw_enrich_remember_lone(e, a); /* not "Bank", "Ministry" */
        }
        return;
    }
    bool has_connector = false;
    for (size_t t = a; t < b; t++)
        has_connector |= !(e->toks[t].flags & NW_TOK_CAP) && !broadcast_number(e, t);
    /* one title over its connectors, which a work's noun announces or an
     * event's noun follows: "single Black and White Town", "a World Dramatic
     * and Documentary competition" */
    if (has_connector &&
        (cued_by(e, a, W_WORK) ||
         (b < e->ntoks && !(e->toks[b].flags & (NW_TOK_CAP | NW_TOK_BREAK)) &&
          tok_is(e, b, W_NOT_ORG_AFTER) && !has_org_word(e, a, b))) &&
        !names_a_place(e, a, b)) { /* not "have hit England and Scotland" */
        if (pass2)
            not_an_org(e, a, b);
        return;
    }
    /* "Volcker and International Monetary Fund": two names, not one */
    for (size_t t = a + 1; t + 3 < b + 1 && has_connector; t++)
        if (e->toks[t].len == 3 && !strncmp(e->text + e->toks[t].off, "and", 3) && b - t > 3) {
            if (one_company_with_and(e, a, t, b)) {
                if (pass2)
                    nw_enrich_add_org(e, s, len, (uint32_t)a, NULL);
                return;
            }
            nw_enrich_classify_span(e, a, t, pass2);
            nw_enrich_classify_span(e, t + 1, b, pass2);
            return;
        }
    /* organisation: a suffix word, also before "of" or "for" ("Commission
     * for Africa", "Electronic Industries Association of Japan") */
    size_t head = a + 1;
    while (head < b && (e->toks[head].flags & NW_TOK_CAP))
        head++;
    bool head_of = head < b && tok_is(e, head - 1, W_ORG_SUFFIX) &&
                   strncasecmp(e->text + e->toks[head].off, "and", e->toks[head].len);
    /* "Bank of Japan Governor Satoshi Sumita": the title and its person end
     * the name */
    for (size_t t = head + 1; head_of && t + 2 < b; t++)
        if (tok_is(e, t, W_TITLE) && (e->toks[t].flags & NW_TOK_CAP) && plain_person(e, t + 1, b)) {
            nw_enrich_classify_span(e, a, t, pass2);
            nw_enrich_classify_span(e, t, b, pass2);
            return;
        }
    if (tok_is(e, b - 1, W_ORG_SUFFIX) || head_of) {
        if (pass2 && legal_form_tok(e, b - 1) && (owner_before(e, a) || partner_before(e, a, b))) {
            a--; /* "Moody's Investors Service Inc", "Goldman, Sachs and Co" */
            s = e->text + e->toks[a].off;
            len = span_bytes(e, a, b);
        }
        if (pass2)
            nw_enrich_add_org(e, s, len, (uint32_t)a, NULL);
        if (!head_of) /* not "Department for Culture, Media and Sport" */
            set_list(e, b, 0, LIST_AFTER_ORG);
        return;
    }
    if (has_connector) {
        if (pass2 && owned_by_non_place(e, a))
            return; /* "Green Day's Boulevard of Broken Dreams" */
        nw_enrich_split_span(e, a, b, pass2);
        return;
    }
    if (allcaps_seg) {
        nw_enrich_classify_span(e, a, a + 1, pass2);
        nw_enrich_classify_span(e, a + 1, b, pass2);
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
            nw_enrich_classify_span(e, a, portfolio ? a + 1 : first_title, pass2);
        size_t p = last_title + 1;
        ent *x = p < b && pass2 ? nw_enrich_add_person(e, p, b) : NULL;
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
                    nw_enrich_classify_span(e, a, t, pass2);
                if (!name_end)
                    nw_enrich_classify_span(e, t, t + 1, pass2);
                if (t + 1 < b)
                    nw_enrich_classify_span(e, t + 1, b, pass2);
                return;
            }
        }
    }
    if (!pass2)
        return;
    if (tok_is(e, b - 1, W_NO_NAME)) { /* "League Cup", "Trafalgar Square" */
        known =
            b - a > 1 ? nw_enrich_known_entity(e, s, span_bytes(e, a, b - 1), NW_GAZ_ORG) : NULL;
        if (known) /* "U.N. Headquarters": the U.N. */
            nw_enrich_add_org(e, s, span_bytes(e, a, b - 1), (uint32_t)a, known);
        return;
    }
    if (cued_by(e, a, W_WORK)) {
        not_an_org(e, a, b); /* "the show Advance Warning", "his album Some Cities" */
        return;
    }
    if (b - a <= 4 && !cued_by(e, a, W_ROLE) && member_role_after(e, a, b)) {
        nw_enrich_add_org(e, s, len, (uint32_t)a,
                          NULL); /* "Franz Ferdinand frontman Alex Kapranos" */
        return;
    }
    if (cued_by(e, a, W_ROLE) || (tok_is(e, a, W_GIVEN) && b - a <= 4)) {
        ent *x = nw_enrich_add_person(e, a, b);
        if (x && !tok_is(e, a, W_GIVEN))
            x->titled = true;
        return;
    }
    if (cued_by(e, a, W_ORG_CUE) || (b - a >= 2 && org_head_tok(e, a))) {
        nw_enrich_add_org(e, s, len, (uint32_t)a, NULL); /* "Group Menatep": no person */
        return;
    }
    if (b - a >= 2 && b - a <= 4 && appositive_role(e, b)) {
        nw_enrich_add_person(e, a, b);
        return;
    }
    /* "Sprinter Michelle Collins": the person starts at the given name */
    for (size_t t = a + 1; t + 1 < b; t++)
        if (tok_is(e, t, W_GIVEN)) {
            nw_enrich_classify_span(e, a, t, pass2);
            nw_enrich_add_person(e, t, b);
            return;
        }
    if (unlisted_place(e, a, b)) {
        add_unlisted_place(e, a, b);
        return;
    }
    if (b - a >= 2 && b - a <= 3 && age_or_who_after(e, a, b)) {
        nw_enrich_add_person(e, a, b);
        return;
    }
    /* no sign of a person: a name of that shape is most often an
     * organisation's ("Fannie Mae", "Kaiser Chiefs") */
    if (b - a <= 4)
        add_guessed_org(e, a, b);
}
