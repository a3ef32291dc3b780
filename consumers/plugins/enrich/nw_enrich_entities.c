/*
 * nw_enrich_entities — see nw_enrich_entities.h. The rules are described in
 * docs/enrich.md.
 */
#include "nw_enrich_entities.h"

#include <ctype.h>
#include <string.h>

#include "nw_enrich_lineups.h"
#include "nw_enrich_names.h"
#include "nw_enrich_places.h"
#include "nw_enrich_spans.h"

/* ---- merging ------------------------------------------------------------ */

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

/* `name` is an organisation's head word, then `rest`: "Group Menatep" and
 * "Menatep", "Banco Santander" and "Santander". */
static bool org_head_then(const char *name, const char *rest)
{
    for (const char *const *w = nw_enrich_org_head_words; *w; w++) {
        size_t n = strlen(*w);
        if (!strncmp(name, *w, n) && name[n] == ' ' && !strcasecmp(name + n + 1, rest))
            return true;
    }
    return false;
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
    if (!strchr(x->name, ' ') && org_head_then(y->name, x->name))
        return true; /* "Menatep" and "Group Menatep" */
    if (strncasecmp(x->name, y->name, n) || y->name[n] != ' ')
        return false;
    /* "GM" and "GM Daewoo"; not a known one: "BBC" and "BBC One" are two */
    bool acronym = !x->gaz && !strchr(x->name, ' ') && n >= 2 &&
                   strspn(x->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
    /* "Husky" and "Husky Oil Ltd": a registered name and its first word (a
     * known short form too when the table lacks the registered name:
     * "Hutchison" and "Hutchison Whampoa Ltd") */
    const char *last = strrchr(y->name, ' ');
    bool short_form = (!x->gaz || !y->gaz) && !strchr(x->name, ' ') && last &&
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
            nw_enrich_add_org(e, e->acro_alias[k].name, strlen(e->acro_alias[k].name),
                              e->acro_alias[k].at, NULL);
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
        nw_enrich_fill_person_keys(&probe);
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
        nw_enrich_fill_person_keys(&probe);
        size_t f = x->first, n = strlen(x->name);
        /* not a plural name ("Scissor Sisters") unless a given name starts
         * it, nor one that starts with an acronym or a known organisation
         * ("BBC Sport", "Nintendo Europe") */
        bool plural = x->name[n - 1] == 's' && !tok_is(e, f, W_GIVEN);
        if (probe.ntok >= 2 && probe.ntok <= 3 && !plural && !isupper((unsigned char)x->name[1]) &&
            !nw_enrich_known_entity(e, e->text + e->toks[f].off, e->toks[f].len, NW_GAZ_ORG) &&
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
            if (x->type == ENT_ORG && (!x->gaz || !y->gaz) && xl >= 2 && yl >= 2 &&
                (!strcmp(x->name, y->acro) ||
                 (xl >= 3 && yl > xl && !strcmp(y->acro + yl - xl, x->name)))) {
                /* "ISSG" for International Syria Support Group; "CAS" for
                 * North American Court of Arbitration for Sport; the known
                 * "IMF" for a guessed "International Monetary\nFund" (two
                 * known ones are two) */
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

/* ---- the entity pass ---------------------------------------------------- */

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
void nw_enrich_find_entities(nw_enrich *e)
{
    if (e->opts.people)
        nw_enrich_read_lineups(e);
    nw_enrich_scan_spans(e, false);
    nw_enrich_scan_spans(e, true);
    nw_enrich_add_repeated_names(e);
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
            const nw_gaz_entry *best = c ? nw_enrich_best_place(e, hits, n, false) : NULL;
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
                    nw_enrich_add_place(e, c, (uint32_t)t, "enrich:mentioned");
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
