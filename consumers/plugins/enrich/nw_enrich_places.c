/*
 * nw_enrich_places — see nw_enrich_places.h. The rules are described in
 * docs/enrich.md.
 */
#include "nw_enrich_places.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

/* ---- entities ----------------------------------------------------------- */

/* name[0..len) into out (len + 1 bytes at least), a name broken over lines
 * ("Rio\nTinto") with one space; returns its length */
static size_t copy_name(char *out, const char *name, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        bool space = name[i] == ' ' || name[i] == '\n' || name[i] == '\r' || name[i] == '\t';
        if (!space)
            out[n++] = name[i];
        else if (n && out[n - 1] != ' ')
            out[n++] = ' ';
    }
    out[n] = '\0';
    return n;
}

ent *nw_enrich_add_ent(nw_enrich *e, ent_type type, const char *name, size_t len, uint32_t first)
{
    if (e->nents >= MAX_ENTS || len == 0 || len >= sizeof e->ents[0].name)
        return NULL;
    ent *x = &e->ents[e->nents++];
    memset(x, 0, sizeof *x);
    x->type = type;
    copy_name(x->name, name, len);
    x->first = first;
    return x;
}

void nw_enrich_add_context(nw_enrich *e, const char *cc)
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

void nw_enrich_add_context_region(nw_enrich *e, const nw_gaz_entry *r)
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
const nw_gaz_entry *nw_enrich_best_place(const nw_enrich *e, const uint32_t *hits, size_t n,
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

bool nw_enrich_known_here(const nw_enrich *e, const nw_gaz_entry *g)
{
    return (!g->sport || e->sport_story) && (!g->music || e->music_story);
}

const nw_gaz_entry *nw_enrich_known_entity(const nw_enrich *e, const char *s, size_t len,
                                           nw_gaz_kind kind)
{
    uint32_t hits[MAX_HITS];
    size_t n = nw_enrich_data_lookup(e->data, s, len, hits, MAX_HITS);
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        if (g->kind == kind && nw_enrich_known_here(e, g))
            return g;
    }
    return NULL;
}

void nw_enrich_fill_person_keys(ent *x)
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

void nw_enrich_add_place(nw_enrich *e, const nw_gaz_entry *g, uint32_t first, const char *rel)
{
    for (size_t i = 0; i < e->nents; i++)
        if (e->ents[i].type == ENT_PLACE && e->ents[i].gaz == g)
            return;
    ent *x = nw_enrich_add_ent(e, ENT_PLACE, g->name, strlen(g->name), first);
    if (x) {
        x->gaz = g;
        x->rel = rel;
    }
}

/* An organisation of the story. A known one (entities.tsv) is one entry
 * whatever forms of it the story writes, named by the longest form it
 * writes, as a reader of the story knows it: a story's "Fannie Mae" is not
 * renamed "Federal National Mortgage Association", nor its "Capital FM"
 * "Capital Radio"; "Group Menatep" and "Menatep" are Group Menatep
 * (docs/enrich.md, "The table of known organisations"). */
void nw_enrich_add_org(nw_enrich *e, const char *name, size_t len, uint32_t first,
                       const nw_gaz_entry *known)
{
    char text[sizeof e->ents[0].name];
    if (known) {
        if (len >= sizeof text)
            return;
        size_t n = copy_name(text, name, len);
        for (size_t i = 0; i < e->nents; i++) {
            ent *x = &e->ents[i];
            if (x->type != ENT_ORG || x->gaz != known)
                continue;
            if (n > strlen(x->name)) {
                memcpy(x->name, text, n + 1);
                fill_acronym(x);
            }
            return;
        }
        name = text;
        len = n;
    }
    for (size_t i = 0; i < e->nents; i++)
        if (e->ents[i].type == ENT_ORG && strlen(e->ents[i].name) == len &&
            !strncasecmp(e->ents[i].name, name, len))
            return;
    ent *x = nw_enrich_add_ent(e, ENT_ORG, name, len, first);
    if (x) {
        x->gaz = known;
        fill_acronym(x);
    }
}

ent *nw_enrich_add_person(nw_enrich *e, size_t a, size_t b)
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
    ent *x = nw_enrich_add_ent(e, ENT_PERSON, s, len, (uint32_t)a);
    if (x)
        nw_enrich_fill_person_keys(x);
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
void nw_enrich_add_dateline_country(nw_enrich *e, const char *cc)
{
    const nw_gaz_entry *c = nw_enrich_data_country(e->data, cc);
    if (c && e->opts.dateline_country)
        nw_enrich_add_place(e, c, 0, "enrich:dateline");
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
            nw_enrich_add_context(e, g->cc);
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
                    if (!have && (x = nw_enrich_add_ent(e, ENT_PLACE, cg->name, strlen(cg->name),
                                                        (uint32_t)a))) {
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
    const nw_gaz_entry *best = region ? nw_enrich_best_place(e, hits, n, false) : NULL;
    for (size_t i = 0; i < n; i++) {
        const nw_gaz_entry *g = nw_enrich_data_entry(e->data, hits[i]);
        if (g->kind == NW_GAZ_COUNTRY) {
            if (best && best != g)
                break;
            nw_enrich_add_context(e, g->cc);
            return true; /* recorded in the second pass */
        }
    }
    if (best && best->kind == NW_GAZ_REGION && best->cc[0])
        nw_enrich_add_context_region(e, best);
    return false;
}

/* The span a..b-1 as a place (pass 2) or as context (pass 1): true when the
 * gazetteer knows it (a demonym included). */
bool nw_enrich_place_span(nw_enrich *e, size_t a, size_t b, bool pass2)
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
    const nw_gaz_entry *g = n && !demonym ? nw_enrich_best_place(e, hits, n, false) : NULL;
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
            nw_enrich_add_place(e, g, (uint32_t)a, "enrich:mentioned");
        return true;
    }
    return demonym;
}
