/*
 * nw_enrich_spans — see nw_enrich_spans.h. The rules are described in
 * docs/enrich.md.
 */
#include "nw_enrich_spans.h"

#include <ctype.h>
#include <string.h>

#include "nw_enrich_classify.h"
#include "nw_enrich_places.h"

/* ---- finding spans ------------------------------------------------------ */

/* The word at token a is a plain name: three letters or more, no hyphen or
 * apostrophe ("I'm", "Euro-Atlantic"), never written in lower case in the
 * story ("Culture, Media and Sport" beside "the media"). */
bool nw_enrich_plain_name(const nw_enrich *e, size_t a)
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
void nw_enrich_remember_lone(nw_enrich *e, size_t a)
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
void nw_enrich_add_repeated_names(nw_enrich *e)
{
    for (size_t i = 0; i < e->nlone && e->economy_story; i++) {
        size_t a = e->lone[i].at;
        const char *w = e->text + e->toks[a].off;
        size_t n = e->toks[a].len;
        uint32_t hits[MAX_HITS];
        if (e->lone[i].count < LONE_MENTIONS || !e->lone[i].mid || !nw_enrich_plain_name(e, a) ||
            nation_or_season(w, n) || nw_enrich_data_lookup(e->data, w, n, hits, MAX_HITS))
            continue;
        bool part = false; /* the first word of a longer name: "Sumitomo" of
                              Sumitomo Mitsui Financial, "Mukesh" of Mukesh Ambani */
        for (size_t k = 0; k < e->nents && !part; k++)
            part = !strncmp(e->ents[k].name, w, n) && e->ents[k].name[n] == ' ';
        if (part)
            continue;
        size_t before = e->nents;
        nw_enrich_add_org(e, w, n, (uint32_t)a, NULL);
        if (e->nents > before)
            e->ents[before].guessed = true;
    }
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

void nw_enrich_split_span(nw_enrich *e, size_t a, size_t b, bool pass2)
{
    size_t s = a;
    for (size_t t = a; t < b; t++) {
        /* a place named over a connector: "the Gulf of Mexico and Angola" */
        uint32_t hits[MAX_HITS];
        if (t == s && t + 2 < b && (t > a || t + 3 < b) && !(e->toks[t + 1].flags & NW_TOK_CAP) &&
            nw_enrich_data_lookup(e->data, e->text + e->toks[t].off, span_bytes(e, t, t + 3), hits,
                                  MAX_HITS)) {
            nw_enrich_classify_span(e, t, t + 3, pass2);
            s = t + 3;
            t += 2;
            continue;
        }
        if (!(e->toks[t].flags & NW_TOK_CAP) && !broadcast_number(e, t)) {
            if (t > s)
                nw_enrich_classify_span(e, s, t, pass2);
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
                /* "Secretary of State Condoleezza Rice"; "Minister of Regional
                 * and Industrial Expansion" */
                while (r < b &&
                       (((e->toks[r].flags & NW_TOK_CAP) && !tok_is(e, r, W_TITLE | W_GIVEN)) ||
                        (r > s && r + 1 < b && tok_word(e, r, "and") &&
                         (e->toks[r + 1].flags & NW_TOK_CAP))))
                    r++;
                if (r > s && r == b && !tok_is(e, r - 1, W_ORG_SUFFIX) &&
                    !nw_enrich_known_entity(e, e->text + e->toks[s].off, span_bytes(e, s, r),
                                            NW_GAZ_ORG)) {
                    t = r - 1;
                    s = r;
                }
            }
        }
    }
    if (b > s)
        nw_enrich_classify_span(e, s, b, pass2);
}

/* The story writes the capitalised word w..w+len alone (as a token of its own). */
static bool written_alone(const nw_enrich *e, const char *w, size_t len)
{
    uint64_t h = nw_enrich_data_hash(w, len);
    for (size_t t = 0; t < e->ntoks; t++)
        if (e->toks[t].hash == h && e->toks[t].len == len && (e->toks[t].flags & NW_TOK_CAP))
            return true;
    return false;
}

/* The hyphened word at token a, w..h-1 "-" h+1.., joins two organisations'
 * names, each known or written alone in the story ("the merged
 * Gazprom-Rosneft group" beside "Gazprom" and "Rosneft"), and is no name of
 * its own ("TNK-BP", "Coca-Cola"). */
static bool two_names_hyphened(const nw_enrich *e, size_t a, const char *w, const char *h)
{
    size_t n1 = (size_t)(h - w), n2 = e->toks[a].len - n1 - 1;
    uint32_t hits[MAX_HITS];
    if (n1 < 2 || n2 < 2 || !isupper((unsigned char)h[1]) ||
        nw_enrich_data_lookup(e->data, w, e->toks[a].len, hits, MAX_HITS))
        return false;
    return (nw_enrich_known_entity(e, w, n1, NW_GAZ_ORG) || written_alone(e, w, n1)) &&
           (nw_enrich_known_entity(e, h + 1, n2, NW_GAZ_ORG) || written_alone(e, h + 1, n2));
}

/* The capitalised span from token a, at whose token t "of the" or "and the"
 * and capitalised words follow, is with them a name of nonorgs.tsv (also
 * after "The"): the token after that name, else 0. */
static size_t title_over_the(const nw_enrich *e, size_t a, size_t t)
{
    if (t + 2 >= e->ntoks || !(tok_word(e, t, "of") || tok_word(e, t, "and")) ||
        !tok_word(e, t + 1, "the") || !(e->toks[t + 2].flags & NW_TOK_CAP) ||
        ((e->toks[t + 1].flags | e->toks[t + 2].flags) & NW_TOK_BREAK))
        return 0;
    size_t r = t + 3;
    while (r < e->ntoks && r - a < MAX_SPAN && (e->toks[r].flags & NW_TOK_CAP) &&
           !(e->toks[r].flags & NW_TOK_BREAK))
        r++;
    size_t from = tok_word(e, a, "The") && a + 1 < t ? a + 1 : a;
    return nw_enrich_nonorg_kind(e, e->text + e->toks[from].off, span_bytes(e, from, r), NULL) ? r
                                                                                               : 0;
}

/* Walk the capitalised spans; pass 1 records context (countries, demonyms),
 * pass 2 the entities. Connectors join capitalised words ("Bank of England"). */
void nw_enrich_scan_spans(nw_enrich *e, bool pass2)
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
            if (tok_is(e, t, W_CONNECTOR) && t + 2 < e->ntoks &&
                (tok_is(e, t - 1, W_ORG_SUFFIX) || tok_is(e, a, W_ORG_SUFFIX)) &&
                !tok_word(e, t, "and") && (tok_word(e, t + 1, "the") || tok_word(e, t + 1, "la")) &&
                (e->toks[t + 2].flags & NW_TOK_CAP) &&
                !((e->toks[t + 1].flags | e->toks[t + 2].flags) & NW_TOK_BREAK)) {
                t += 3;
                continue;
            }
            /* a title of nonorgs.tsv over "of the", "and the": "Eternal Sunshine
             * of the Spotless Mind", "The Lord of the Rings" */
            size_t title_end = title_over_the(e, a, t);
            if (title_end)
                t = title_end; /* and the title ends the span */
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
            /* not a name known whole: "TNK-BP", "Daimler-Benz" */
            if (((n1 && n2) || two_names_hyphened(e, a, w, h)) && e->ntoks + 2 <= MAX_TOKENS &&
                !nw_enrich_data_lookup(e->data, w, e->toks[a].len, hits, MAX_HITS)) {
                /* classify each half through two synthetic tokens at the end */
                token saved = e->toks[a];
                e->toks[a].len = (uint32_t)(h - w);
                nw_enrich_classify_span(e, a, a + 1, pass2);
                e->toks[a].off = (uint32_t)(h + 1 - e->text);
                e->toks[a].len = saved.len - (uint32_t)(h - w) - 1;
                nw_enrich_classify_span(e, a, a + 1, pass2);
                e->toks[a] = saved;
                continue;
            }
        }
        nw_enrich_classify_span(e, a, t, pass2);
    }
}